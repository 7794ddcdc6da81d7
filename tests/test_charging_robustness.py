"""Robustness of the charging calculator (issue 10 item 5, issue 9 item 2).

* the four charging reproducers of /work/shared/reliability/findings.json as regression tests,
  with the outcome the findings expect;
* bad configuration raises ValueError when Site / Charger / the rules are built;
* hypothesis properties: for any Reading (NaN, infinities, negative and implausible values in
  every field, naive or aware timestamps of any year, junk), ``charge_limit``,
  ``available_power`` and ``ChargeController.update`` never raise and stay within bounds, and a
  suspicious quantity never gives more than the same Reading without it.
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs import Reading
from smartmeter_codecs.charging import (
    CapacityRule,
    CapacityState,
    ChargeController,
    Charger,
    CountryRules,
    Dimming,
    Site,
    available_power,
    charge_limit,
)
from smartmeter_codecs.charging.inputs import PF_MIN, USED_FIELDS, plausible

NOW = dt.datetime(2024, 6, 12, 12, 0, tzinfo=dt.UTC)
DE3 = Site(country="DE", phases=3, main_fuse_a=25.0)
NAN, INF = float("nan"), float("inf")


def _r(**kw) -> Reading:
    kw.setdefault("timestamp", NOW)
    return Reading(format="x", **kw)


def _phase_powers(v: float | None, p: float = 5750.0) -> Reading:
    return _r(active_power_import_l1=p, active_power_import_l2=p, active_power_import_l3=p,
              voltage_l1=v, voltage_l2=v, voltage_l3=v)


# -- findings.json reproducers -----------------------------------------------------------------
FINDINGS = json.loads((Path(__file__).parent.parent / "fixtures" / "charging" / "reliability_findings.json")
                      .read_text(encoding="utf-8"))["findings"]


def _run_call(code: str):
    """Execute a findings.json ``call`` snippet; the value of its last expression is the result."""
    tree = ast.parse(code)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr)
    ns: dict = {}
    exec(compile(tree, "<finding>", "exec"), ns)  # noqa: S102 - reproducer snippets from the fixture
    return eval(compile(ast.Expression(last.value), "<finding>", "eval"), ns)


@pytest.mark.parametrize("finding", FINDINGS, ids=[f["area"].split(":")[1].strip()[:40] for f in FINDINGS])
def test_findings_reproducer_gives_its_expected_outcome(finding):
    check = finding["check"]
    if check["result"] == "raises":
        with pytest.raises(getattr(builtins, check["exception"])):
            _run_call(finding["call"])
        return
    got = _run_call(finding["call"])
    if check["result"] == "value":
        assert got == check["equals"]
        return
    assert type(got).__name__ == "ChargeLimit" and math.isfinite(got.current_a)
    if "current_a" in check:
        assert got.current_a == check["current_a"]
    if "first_reason" in check:
        assert got.reasons[0] == check["first_reason"]


@pytest.mark.parametrize("volts", [2300.0, 318.0, 1e300, 400.0, 500.0, NAN, INF, -230.0])
def test_finding_implausible_or_high_voltage_frees_no_fuse_headroom(volts):
    # findings.json "implausible measured voltage frees fuse headroom": expected 0.0 A, as with
    # 230 V or no voltage (household 31.25 A on a 25 A fuse); got 16 A (318 V found by hypothesis)
    out = charge_limit(_phase_powers(volts), DE3, Charger(phases=3, max_current_a=16.0), now=NOW)
    assert out.current_a == 0.0
    assert out.household_a == (31.25, 31.25, 31.25)
    assert charge_limit(_phase_powers(230.0), DE3, Charger(phases=3), now=NOW).current_a == 0.0
    assert charge_limit(_phase_powers(None), DE3, Charger(phases=3), now=NOW).current_a == 0.0


def test_finding_implausible_voltage_is_named_in_the_warnings():
    out = charge_limit(_phase_powers(2300.0), DE3, Charger(), now=NOW)
    assert any(w.startswith("ignored implausible voltage_l1=2300 V") for w in out.warnings)


def test_measured_voltage_below_nominal_makes_the_estimate_larger():
    # 5750 W at 200 V is 28.75 A, more than at 230 V: the lower voltage is the conservative one
    out = charge_limit(_phase_powers(200.0, 3000.0), DE3, Charger(), now=NOW)
    assert out.household_a[0] == pytest.approx(3000.0 / (200.0 * 0.8))


def test_export_uses_the_higher_voltage():
    # an export current is a credit: 2300 W exported at a measured 250 V is 9.2 A, not 10 A
    r = _r(active_power_export_l1=2300.0, active_power_import_l2=0.0, active_power_import_l3=0.0,
           voltage_l1=250.0)
    out = charge_limit(r, DE3, Charger(), now=NOW)
    assert out.household_a[0] == pytest.approx(-9.2)


def test_current_below_p_over_v_is_a_scaler_error():
    # |P| <= V * I: 2.5 A with 5750 W on the phase cannot be; the larger current (25 A) is used
    r = _r(current_l1=2.5, current_l2=2.5, current_l3=2.5, active_power_import_l1=5750.0,
           active_power_import_l2=5750.0, active_power_import_l3=5750.0)
    out = charge_limit(r, DE3, Charger(), now=NOW)
    assert out.current_a == 0.0 and out.household_a == (25.0, 25.0, 25.0)


HDLC_YEAR_1 = bytes.fromhex(
    "7ea06d030313ced0e6e7000f40000000090c00010101ff000000008000ff0104020309060100010700ff12006402020f"
    "00161b0203090601001f0700ff12006402020ffe1621020309060100330700ff12006402020ffe16210203090601004707"
    "00ff12006402020ffe16215d9a7e")


@pytest.mark.parametrize("now", [None, NOW, NOW.replace(tzinfo=None)])
def test_finding_naive_timestamp_at_year_1_is_stale(now):
    # findings.json "naive meter timestamp at the datetime range ends raises OverflowError":
    # expected a ChargeLimit with 0.0 A and a 'stale' reason
    r = smc.decode(HDLC_YEAR_1)
    assert r.timestamp == dt.datetime(1, 1, 1)
    out = charge_limit(r, DE3, Charger(phases=3), now=now)
    assert out.current_a == 0.0 and out.reasons[0] == "stale"


@pytest.mark.parametrize("stamp", [dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime.min,
                                   dt.datetime.max.replace(tzinfo=dt.UTC), dt.datetime.min.replace(tzinfo=dt.UTC),
                                   dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
                                   dt.datetime(9999, 12, 31, tzinfo=dt.timezone(dt.timedelta(hours=-12)))])
@pytest.mark.parametrize("now", [None, NOW, NOW.replace(tzinfo=None)])
def test_finding_timestamps_at_the_range_ends_are_stale_everywhere(stamp, now):
    r = _r(timestamp=stamp, current_l1=1.0, current_l2=1.0, current_l3=1.0)
    out = charge_limit(r, DE3, Charger(), now=now)
    assert out.current_a == 0.0 and out.reasons[0] == "stale"
    head = available_power(r, DE3, now=now)
    assert head.stale and head.power_w == 0.0
    ctl = ChargeController(DE3, Charger(), clock=lambda: NOW, mode="now")
    res = ctl.update(r, now=now)
    assert res.current_a == 0.0 and res.reasons[0] == "stale"


@pytest.mark.parametrize("stamp", ["2024-06-12T12:00:00Z", 1718193600, dt.date(2024, 6, 12)])
def test_a_timestamp_that_is_not_a_datetime_is_stale(stamp):
    out = charge_limit(_r(timestamp=stamp, current_l1=1.0), Site(phases=1, main_fuse_a=25.0), Charger(phases=1),
                       now=NOW)
    assert out.current_a == 0.0 and "not a datetime" in out.reasons[0].message


def test_fresh_timestamp_near_the_range_end_with_a_matching_now():
    # a meter and a caller clock both in 9999 (UTC site): not stale, valid_until saturates
    t = dt.datetime(9999, 12, 31, 23, 59, 30, tzinfo=dt.UTC)
    r = _r(timestamp=t, current_l1=1.0, current_l2=1.0, current_l3=1.0)
    out = charge_limit(r, Site(main_fuse_a=25.0), Charger(), now=t)
    assert out.current_a == 16.0 and out.valid_until == dt.datetime.max.replace(tzinfo=dt.UTC)
    # the caller's clock is not a measurement: one that cannot be placed in the site's zone
    # (Europe/Berlin is an hour past the range end) is a ValueError, not an OverflowError
    with pytest.raises(ValueError, match="now"):
        charge_limit(r, DE3, Charger(), now=t)


@pytest.mark.parametrize(("p", "q"), [(5e-324, 10.0), (1.4e-45, 1e5), (8.8e-261, 2e5)])
def test_finding_power_factor_underflow_gives_a_limit(p, q):
    # findings.json "power factor ... underflows to 0 -> ZeroDivisionError": expected a ChargeLimit
    out = charge_limit(Reading(format="x", active_power_import=p, reactive_power_import=q),
                       Site(country="DE", phases=1, main_fuse_a=25.0), Charger(phases=1))
    assert out.current_a == 16.0 and math.isfinite(out.household_a[0])


@pytest.mark.parametrize("pf", [1e-300, 0.01, -0.05])
def test_tiny_power_factor_is_raised_to_pf_min_never_to_the_fallback(pf):
    # a tiny factor gives the larger current: it is kept down to PF_MIN (finite), not replaced by 0.8
    site = Site(phases=1, main_fuse_a=63.0)
    out = charge_limit(_r(active_power_import=1000.0, power_factor=pf), site, Charger(phases=1), now=NOW)
    assert out.household_a[0] == pytest.approx(1000.0 / (230.0 * PF_MIN))


@pytest.mark.parametrize("pf", [0.0, 4.556, NAN, INF, -2.0])
def test_power_factor_outside_its_range_falls_back(pf):
    site = Site(phases=1, main_fuse_a=63.0)
    out = charge_limit(_r(active_power_import=1000.0, power_factor=pf), site, Charger(phases=1), now=NOW)
    assert out.household_a[0] == pytest.approx(1000.0 / (230.0 * 0.8))


def test_finding_charger_step_inf_is_a_configuration_error():
    # findings.json "Charger accepts non-finite max_current_a / step_a": expected ValueError from Charger(...)
    with pytest.raises(ValueError, match="step_a"):
        Charger(phases=3, step_a=INF)
    with pytest.raises(ValueError, match="max_current_a"):
        Charger(max_current_a=INF)


# -- what a meter's implausible limiter or import means ---------------------------------------------
@pytest.mark.parametrize("field", ["available_power", "contracted_power"])
@pytest.mark.parametrize("value", [-1.0, 1e9, NAN, INF])
def test_implausible_meter_limiter_is_taken_as_zero_watts(field, value):
    # the meter has a limiter of unknown value: 0 W of net import, not "no limit"
    site = Site(country="IT", phases=1)
    out = charge_limit(_r(active_power_import=500.0, **{field: value}), site, Charger(phases=1), now=NOW)
    assert out.current_a == 0.0 and out.reasons[0] == "contract"
    # with 2300 W of PV export the EV may still take the surplus (10 A at 230 V)
    pv = charge_limit(_r(active_power_import=0.0, active_power_export=2300.0, **{field: value}), site,
                      Charger(phases=1), now=NOW)
    assert pv.current_a == 10.0 and pv.reasons[0] == "contract"


def test_limiter_screened_by_the_decoder_is_taken_as_zero_watts_too():
    # plausibility.screen set the field to None and named it in quality: same outcome as unscreened
    r = smc.plausibility.screen(_r(active_power_import=500.0, available_power=1e9))
    assert r.available_power is None and "available_power" in r.quality
    out = charge_limit(r, Site(country="IT", phases=1), Charger(phases=1), now=NOW)
    assert out.current_a == 0.0 and out.reasons[0] == "contract"
    assert any("screened" in w for w in out.warnings)


def test_plausible_available_power_wins_over_an_implausible_contracted_power():
    r = _r(active_power_import=1200.0, available_power=3300.0, contracted_power=NAN)
    assert charge_limit(r, Site(country="IT", phases=1), Charger(phases=1), now=NOW).current_a == 9.0


def test_implausible_import_is_unknown_not_zero():
    # NaN import with a plausible export: the net power is unknown, not "5000 W of export"
    site = Site(country="IT", phases=1, contracted_power_w=3000.0)
    out = charge_limit(_r(active_power_import=NAN, active_power_export=5000.0), site, Charger(phases=1), now=NOW)
    assert out.current_a == 0.0 and "missing_data" in out.reasons
    ok = charge_limit(_r(active_power_export=5000.0), site, Charger(phases=1), now=NOW)
    assert ok.current_a == 16.0  # a meter that sends no import at all: unchanged behaviour


@pytest.mark.parametrize("ev", [(NAN, 0.0, 0.0), (INF, INF, INF), (1e6, 0.0, 0.0)])
def test_implausible_ev_currents_count_as_zero(ev):
    r = _r(current_l1=20.0, current_l2=20.0, current_l3=20.0)
    out = charge_limit(r, DE3, Charger(), ev_currents_a=ev, now=NOW)
    assert out.household_a == (20.0, 20.0, 20.0) and out.current_a == 0.0
    assert any("EV current" in w for w in out.warnings)


def test_implausible_ev_power_is_derived_from_the_currents():
    site = Site(country="IT", phases=1, contracted_power_w=3000.0)
    out = charge_limit(_r(active_power_import=1200.0), site, Charger(phases=1), ev_power_w=NAN, now=NOW)
    assert out.current_a == 9.0 and any("ev_power_w" in w for w in out.warnings)


# -- configuration errors --------------------------------------------------------------------------
SITE_BAD = [
    ("nominal_voltage", INF), ("nominal_voltage", NAN), ("nominal_voltage", 5000.0), ("main_fuse_a", INF),
    ("main_fuse_a", 0.0), ("main_fuse_a", NAN), ("contracted_power_w", INF), ("contracted_power_w", -1.0),
    ("flexible_contracted_power_w", NAN), ("safety_margin_a", INF), ("safety_margin_a", -1.0),
    ("safety_margin_pct", NAN), ("contract_tolerance", INF), ("contract_tolerance", 0.0),
    ("unbalance_limit_a", NAN), ("unbalance_limit_a", -1.0), ("capacity_limit_w", INF), ("failsafe_power_w", NAN),
    ("fallback_power_factor", 0.0), ("fallback_power_factor", 0.01), ("fallback_power_factor", NAN),
    ("phases", True), ("phases", 3.0), ("country", None), ("timezone", "Mars/Olympus"), ("timezone", 3),
    ("holidays", ("2024-01-01",)), ("contracted_power_periods_w", {"P1": INF}), ("flexible_window", 3),
    ("rules", "DE"),
]


@pytest.mark.parametrize(("field", "value"), SITE_BAD)
def test_site_rejects_meaningless_configuration(field, value):
    with pytest.raises(ValueError, match=field if field not in ("phases",) else "phases"):
        Site(**{field: value})


def test_site_margins_must_leave_current_below_the_fuse():
    with pytest.raises(ValueError, match="margins"):
        Site(main_fuse_a=25.0, safety_margin_a=25.0)
    assert Site(unbalance_limit_a=INF).unbalance_limit_a == INF  # documented: disables the limit


CHARGER_BAD = [("min_current_a", INF), ("min_current_a", -1.0), ("max_current_a", NAN), ("max_current_a", 0.0),
               ("step_a", NAN), ("step_a", -1.0), ("step_a", 32.0), ("phases", 1.5), ("phase_switching", "yes"),
               ("grid_phase", True)]


@pytest.mark.parametrize(("field", "value"), CHARGER_BAD)
def test_charger_rejects_meaningless_configuration(field, value):
    with pytest.raises(ValueError):
        Charger(**{field: value})


@pytest.mark.parametrize("build", [
    lambda: Dimming(simultaneity_factor=INF), lambda: Dimming(limit_w=INF), lambda: Dimming(pmin_w=0.0),
    lambda: Dimming(devices=True), lambda: CapacityState(window_energy_wh=NAN),
    lambda: CapacityState(month_peak_w=-1.0), lambda: CapacityState(daily_peaks_wh={dt.date(2024, 1, 1): INF}),
    lambda: CapacityState(household_forecast_w=INF), lambda: CapacityRule("netting", window_s=0.0),
    lambda: CapacityRule("netting", window_s=INF), lambda: CapacityRule("daily_top_n", 3600.0, top_n=0),
    lambda: CapacityRule("weekly", 3600.0), lambda: CountryRules("XX", contract_tolerance=NAN),
    lambda: CountryRules("XX", timezone="Nowhere/City"), lambda: CountryRules("XX", dimming_pmin_w=INF),
    lambda: ChargeController(DE3, Charger(), enable_delay_s=NAN),
    lambda: ChargeController(DE3, Charger(), under_draw_a=INF), lambda: ChargeController(DE3, Charger(), slew_a=0.0),
])
def test_rules_dimming_capacity_and_controller_reject_meaningless_configuration(build):
    with pytest.raises(ValueError):
        build()


def test_ocpp_and_lpc_reject_non_finite_values():
    from smartmeter_codecs.charging import LpcWatchdog, ocpp_amps_to_watts, ocpp_watts_to_amps

    for call in (lambda: ocpp_watts_to_amps(INF), lambda: ocpp_watts_to_amps(NAN), lambda: ocpp_amps_to_watts(INF),
                 lambda: ocpp_watts_to_amps(11000.0, voltage=0.0), lambda: ocpp_watts_to_amps(1.0, decimals=400)):
        with pytest.raises(ValueError):
            call()
    assert ocpp_watts_to_amps(-5.0) == 0.0 and ocpp_amps_to_watts(-1.0) == 0.0
    wd = LpcWatchdog(lambda: NOW)
    for bad in (NAN, INF, -1.0):
        with pytest.raises(ValueError, match="LPC limit"):
            wd.set_limit(bad)
    assert wd.limit_w() is None  # a rejected limit leaves the state unchanged
    with pytest.raises(ValueError):
        LpcWatchdog(lambda: NOW, failsafe_limit_w=NAN)


@pytest.mark.parametrize("kw", [{"max_age_s": NAN}, {"max_age_s": -1.0}, {"limit_w": NAN}, {"now": INF},
                                {"now": dt.datetime.max.replace(tzinfo=dt.UTC)}])
def test_bad_call_arguments_raise_value_error(kw):
    with pytest.raises(ValueError):
        charge_limit(_r(current_l1=1.0), Site(phases=1, country="DE"), Charger(phases=1), **kw)


# -- hypothesis properties --------------------------------------------------------------------------
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

SPECIAL = [NAN, INF, -INF, 0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 2300.0, 318.0, 1e6, 10**400, -(10**400),
           230, 0]
wild = st.one_of(st.none(), st.sampled_from(SPECIAL), st.floats(-600.0, 600.0),
                 st.floats(0.0, 400_000.0), st.floats(allow_nan=True, allow_infinity=True))
zones = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12)),
                         dt.timezone(dt.timedelta(hours=5, minutes=30))])
stamps = st.one_of(
    st.none(),
    st.just(NOW), st.just(NOW.replace(tzinfo=None)),
    st.integers(-120, 120).map(lambda s: NOW + dt.timedelta(seconds=s)),
    st.datetimes(),                                   # naive, any year 1..9999
    st.datetimes(timezones=zones),                    # aware, any year
    st.sampled_from([dt.datetime.min, dt.datetime.max, dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59)]),
    st.sampled_from(["2024-06-12", 1718193600.0, dt.date(2024, 6, 12)]),
)


@st.composite
def readings(draw, fields=USED_FIELDS):
    kw = {name: draw(wild) for name in fields if draw(st.booleans())}
    return Reading(format="x", timestamp=draw(stamps), **kw)


@st.composite
def sites(draw):
    phases = draw(st.sampled_from([1, 3]))
    network = draw(st.sampled_from(["TN", "TT", "IT"]))
    country = draw(st.sampled_from(["", "DE", "AT", "IT", "ES", "FR", "NO", "BE", "DK"]))
    return Site(country=country, phases=phases, network=network,
                main_fuse_a=draw(st.one_of(st.none(), st.sampled_from([16.0, 25.0, 35.0, 63.0]))),
                contracted_power_w=draw(st.one_of(st.none(), st.sampled_from([3000.0, 6000.0]))),
                contracted_power_periods_w=({"P1": 4600.0, "P2": 6900.0}
                                            if country == "ES" and draw(st.booleans()) else None),
                safety_margin_a=draw(st.sampled_from([0.0, 1.0])),
                capacity_limit_w=5000.0 if country == "NO" else None,
                nominal_voltage=draw(st.sampled_from([230.0, 230.0, 120.0])))


@st.composite
def chargers(draw):
    lo = draw(st.sampled_from([0.0, 6.0]))
    return Charger(phases=draw(st.sampled_from([1, 2, 3])), min_current_a=lo,
                   max_current_a=draw(st.sampled_from([6.0, 16.0, 32.0])),
                   step_a=draw(st.sampled_from([1.0, 0.1, 0.001])), phase_switching=draw(st.booleans()),
                   grid_phase=draw(st.sampled_from([1, 2, 3])))


ev_values = st.one_of(st.just((0.0, 0.0, 0.0)), st.tuples(wild.filter(lambda x: x is not None),
                                                           st.floats(0.0, 32.0), st.floats(0.0, 32.0)))


def _in_bounds(out, charger: Charger) -> None:
    assert math.isfinite(out.current_a) and math.isfinite(out.power_w)
    assert out.current_a == 0.0 or charger.min_current_a - 1e-9 <= out.current_a <= charger.max_current_a + 1e-9
    assert out.power_w >= 0.0 and out.reasons
    k = out.current_a / charger.step_a
    assert abs(k - round(k)) < 1e-6


@SETTINGS
@given(sites(), chargers(), readings(), ev_values, st.one_of(st.none(), wild),
       st.sampled_from(["now", "pv", "minpv", "off"]), st.sampled_from([None, NOW, NOW.replace(tzinfo=None)]))
def test_any_reading_never_raises_and_stays_in_bounds(site, charger, reading, ev, ev_power, mode, now):
    if site.country in ("NO", "BE", "DK"):
        site = dataclasses.replace(site, country="FR")  # budgets need a CapacityState (tested above)
    out = charge_limit(reading, site, charger, ev_currents_a=ev, ev_power_w=ev_power, now=now)
    _in_bounds(out, charger)
    if out.current_a and site.fuse_limit_a is not None and site.network != "IT":
        for line in out.grid_phases:
            assert out.household_a[line - 1] + out.current_a <= site.fuse_limit_a + 1e-6
    head = available_power(reading, site, ev_currents_a=ev, ev_power_w=ev_power, now=now)
    assert not math.isnan(head.power_w) and not any(math.isnan(a) for a in head.current_a)
    if site.fuse_limit_a is not None and not head.stale:
        for a, h in zip(head.current_a[: site.phases], head.household_a):
            assert a <= (0.0 if h is None else site.fuse_limit_a - h) + 1e-9
    ctl = ChargeController(site, charger, clock=lambda: NOW, mode=mode)
    for _ in range(2):
        res = ctl.update(reading, ev, ev_power_w=ev_power, now=now)
        _in_bounds(res, charger)
        cap = charge_limit(reading, site, charger, ev, now=NOW if now is None else now, phases=res.phases,
                           ev_power_w=ev_power)
        assert res.current_a <= cap.current_a + 1e-9


def _suspicious(field: str):
    """Values of ``field`` the calculator must treat at least as conservatively as None."""
    if field.startswith("voltage"):
        return wild.filter(lambda v: v is not None)  # any voltage: implausible, above or below nominal
    if field == "power_factor":
        return st.one_of(st.sampled_from([0.0, 1e-300, 5e-324, 0.05, -0.09, 1.5, 4.556, 200.0, NAN, INF]),
                         wild.filter(lambda v: v is not None and not (PF_MIN <= abs(v) <= 1.0)))
    return wild.filter(lambda v: v is not None and not plausible(field, v))


@st.composite
def suspicious_cases(draw):
    field = draw(st.sampled_from(USED_FIELDS + ("timestamp",)))
    if field == "timestamp":
        value = draw(st.one_of(
            st.sampled_from([dt.datetime.min, dt.datetime.max, dt.datetime.max.replace(tzinfo=dt.UTC),
                             "2024-06-12", 0.0, dt.date(2024, 6, 12)]),
            st.datetimes(max_value=dt.datetime(1999, 1, 1)), st.datetimes(min_value=dt.datetime(2100, 1, 1)),
            st.datetimes(max_value=dt.datetime(1999, 1, 1), timezones=zones)))
    else:
        value = draw(_suspicious(field))
    return field, value


@st.composite
def base_readings(draw):
    """A reading with fresh or no timestamp (a stale base would hide everything behind 0 A)."""
    r = draw(readings())
    return r.replace(timestamp=draw(st.sampled_from([None, NOW])))


dimmings = st.one_of(st.none(), st.builds(Dimming, mode=st.sampled_from(["direct", "ems"]),
                                          devices=st.integers(1, 3)))


@SETTINGS
@given(sites(), chargers(), base_readings(), suspicious_cases(), st.sampled_from([(0.0, 0.0, 0.0), (6.0, 6.0, 6.0)]),
       dimmings, st.one_of(st.none(), st.sampled_from([0.0, 4200.0, 11000.0])), st.booleans())
def test_a_suspicious_quantity_never_gives_more_than_its_absence(site, charger, base, case, ev, dimming, limit_w,
                                                                 forecast):
    field, value = case
    bad = dataclasses.replace(base, **{field: value})
    gone = dataclasses.replace(base, **{field: None})
    capacity = None
    if site.country in ("NO", "BE", "DK"):
        capacity = CapacityState(window_energy_wh=500.0, daily_peaks_wh={dt.date(2024, 6, 1): 4000.0},
                                 month_peak_w=3000.0, household_forecast_w=800.0 if forecast else None)
    kw = {"ev_currents_a": ev, "now": NOW, "dimming": dimming, "limit_w": limit_w, "capacity": capacity}
    # for every phase count on its own: never more current
    for n in (1, 2, 3):
        b = charge_limit(bad, site, charger, phases=n, **kw)
        g = charge_limit(gone, site, charger, phases=n, **kw)
        assert b.current_a <= g.current_a + 1e-9, (field, value, n, b, g)
    # overall (a phase-switching charger picks the count): never more power
    b, g = charge_limit(bad, site, charger, **kw), charge_limit(gone, site, charger, **kw)
    assert b.power_w <= g.power_w + 1e-6, (field, value, b, g)
    # headroom: below 0 means "nothing may be added" either way (a stale reading reports 0)
    hb, hg = available_power(bad, site, **kw), available_power(gone, site, **kw)
    assert max(hb.power_w, 0.0) <= max(hg.power_w, 0.0) + 1e-6
    assert all(max(x, 0.0) <= max(y, 0.0) + 1e-9 for x, y in zip(hb.current_a, hg.current_a)), (field, value, hb, hg)
