"""Hypothesis properties of charge_limit: never above a bound, monotone in load, 0 or >= minimum."""
from __future__ import annotations

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartmeter_codecs import Reading
from smartmeter_codecs.charging import Charger, Dimming, Site, charge_limit

NOW = dt.datetime(2024, 3, 14, 12, 0, tzinfo=dt.UTC)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amps = st.floats(min_value=-40.0, max_value=80.0, allow_nan=False)


@st.composite
def sites(draw):
    phases = draw(st.sampled_from([1, 3]))
    network = draw(st.sampled_from(["TN", "TT", "IT"])) if phases == 3 else "TN"
    return Site(
        country=draw(st.sampled_from(["", "DE", "AT", "IT", "ES", "NO", "FR"])) if network != "IT" else "NO",
        phases=phases, network=network,
        main_fuse_a=draw(st.one_of(st.none(), st.sampled_from([16.0, 25.0, 35.0, 40.0, 63.0]))),
        contracted_power_w=draw(st.one_of(st.none(), st.floats(min_value=1500.0, max_value=30000.0))),
        safety_margin_a=draw(st.sampled_from([0.0, 1.0, 2.5])),
        safety_margin_pct=draw(st.sampled_from([0.0, 5.0, 10.0])),
    )


@st.composite
def chargers(draw):
    lo = draw(st.sampled_from([0.0, 6.0, 8.0]))
    return Charger(
        phases=draw(st.sampled_from([1, 3])),
        min_current_a=lo,
        max_current_a=draw(st.floats(min_value=max(lo, 1.0), max_value=63.0)),
        step_a=draw(st.sampled_from([1.0, 0.1, 0.5])),
        phase_switching=draw(st.booleans()),
        grid_phase=draw(st.sampled_from([1, 2, 3])),
    )


@st.composite
def loads(draw):
    """Per-phase household currents (signed) with matching per-phase powers; L2 sometimes missing."""
    cur = [draw(amps) for _ in range(3)]
    drop_l2 = draw(st.booleans()) and draw(st.booleans())
    return cur, drop_l2


def _reading(cur, drop_l2: bool, site: Site) -> Reading:
    if site.network == "IT":
        # line currents on IT networks are magnitudes (3-wire meters): load is |I|
        cur = [abs(c) for c in cur]
    fields = {}
    for i, c in enumerate(cur, start=1):
        if i == 2 and drop_l2:
            continue
        fields[f"current_l{i}"] = abs(c)
        p = 230.0 * c
        fields[f"active_power_import_l{i}"] = max(p, 0.0)
        fields[f"active_power_export_l{i}"] = max(-p, 0.0)
    total = sum(230.0 * c for c in cur[: site.phases])
    fields["active_power_import"] = max(total, 0.0)
    fields["active_power_export"] = max(-total, 0.0)
    return Reading(format="test", timestamp=NOW, **fields)


dimmings = st.one_of(st.none(), st.builds(Dimming, mode=st.sampled_from(["direct", "ems"]),
                                          devices=st.integers(1, 3),
                                          simultaneity_factor=st.sampled_from([0.7, 0.8, 1.0])))


@SETTINGS
@given(sites(), chargers(), loads(), dimmings, st.one_of(st.none(), st.floats(0.0, 30000.0)))
def test_never_above_any_bound_and_zero_or_minimum(site, charger, load, dimming, limit_w):
    cur, drop = load
    reading = _reading(cur, drop, site)
    r = charge_limit(reading, site, charger, now=NOW, dimming=dimming, limit_w=limit_w)
    assert r.current_a == 0.0 or r.current_a >= charger.min_current_a - 1e-9
    assert 0.0 <= r.current_a <= charger.max_current_a + 1e-9
    assert r.reasons
    # a whole number of steps
    k = r.current_a / charger.step_a
    assert abs(k - round(k)) < 1e-6
    if r.current_a == 0:
        return
    if site.fuse_limit_a is not None:
        for line in r.grid_phases:
            house = r.household_a[line - 1]
            assert house is not None, "nothing may be drawn on a phase that is not bounded"
            assert house + r.current_a <= site.fuse_limit_a + 1e-6, (line, house, r)
    if site.contracted_power_w is not None:
        limit = site.contracted_power_w * site.country_rules.contract_tolerance
        assert r.household_w is not None
        assert r.household_w + r.power_w <= limit + 1e-6
    if limit_w is not None:
        assert r.power_w <= limit_w + 1e-6
    if dimming is not None and dimming.mode == "direct":
        assert r.power_w <= 4200.0 + 1e-6
    if dimming is not None and dimming.mode == "ems":
        assert r.household_w + r.power_w <= dimming.devices * 4200.0 * dimming.simultaneity_factor + 1e-6
    if site.country in ("DE", "AT") and r.phases < 3 and site.phases == 3 and site.network != "IT":
        assert r.current_a <= {"DE": 20.0, "AT": 16.0}[site.country] + 1e-9


@SETTINGS
@given(sites(), chargers(), loads(), st.integers(0, 2), st.floats(min_value=0.0, max_value=40.0))
def test_monotone_non_increasing_in_household_load(site, charger, load, phase, extra):
    cur, drop = load
    if site.network == "IT":
        cur = [abs(c) for c in cur]  # line currents are magnitudes there
    more = list(cur)
    more[phase] += extra
    r1 = charge_limit(_reading(cur, drop, site), site, charger, now=NOW)
    r2 = charge_limit(_reading(more, drop, site), site, charger, now=NOW)
    # with phase switching a heavier load may move to 1 phase at a higher current but less power
    if charger.phase_switching:
        assert r2.power_w <= r1.power_w + 1e-6
    else:
        assert r2.current_a <= r1.current_a + 1e-9


@SETTINGS
@given(sites(), chargers(), loads(), st.floats(min_value=61.0, max_value=1e6))
def test_stale_reading_gives_zero(site, charger, load, age):
    cur, drop = load
    reading = _reading(cur, drop, site).replace(timestamp=NOW - dt.timedelta(seconds=age))
    r = charge_limit(reading, site, charger, now=NOW, max_age_s=60.0)
    assert r.current_a == 0.0 and r.reasons[0] == "stale"
    assert not math.isnan(r.power_w)


@SETTINGS
@given(sites(), chargers(), loads(), st.integers(0, 2), st.floats(min_value=0.0, max_value=40.0),
       dimmings, st.one_of(st.none(), st.floats(0.0, 30000.0)))
def test_monotone_with_dimming_and_external_limits(site, charger, load, phase, extra, dimming, limit_w):
    cur, drop = load
    if site.network == "IT":
        cur = [abs(c) for c in cur]  # line currents are magnitudes there
    more = list(cur)
    more[phase] += extra
    kw = dict(now=NOW, dimming=dimming, limit_w=limit_w)
    r1 = charge_limit(_reading(cur, drop, site), site, charger, **kw)
    r2 = charge_limit(_reading(more, drop, site), site, charger, **kw)
    if charger.phase_switching:
        assert r2.power_w <= r1.power_w + 1e-6
    else:
        assert r2.current_a <= r1.current_a + 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites(), chargers(), st.sampled_from(["pv", "minpv", "now"]),
       st.lists(st.tuples(st.floats(0.0, 60.0), st.lists(amps, min_size=3, max_size=3),
                          st.floats(-12000.0, 12000.0)), min_size=1, max_size=12),
       st.one_of(st.none(), st.floats(1.0, 8.0)))
def test_controller_never_exceeds_charge_limit(site, charger, mode, steps, slew):
    from smartmeter_codecs.charging import ChargeController

    now = [NOW]
    ctl = ChargeController(site, charger, clock=lambda: now[0], mode=mode, slew_a=slew)
    for dt_s, cur, grid_w in steps:
        now[0] = now[0] + dt.timedelta(seconds=dt_s)
        ev_on = ctl.current_a
        lines = charge_limit(_reading([0, 0, 0], False, site), site, charger, now=now[0],
                             phases=ctl.phases).grid_phases
        ev = [ev_on if (i + 1) in lines else 0.0 for i in range(3)]
        fields = {f"current_l{i + 1}": abs(c) + ev[i] for i, c in enumerate(cur)}
        rd = Reading(format="t", timestamp=now[0], active_power_import=max(grid_w, 0.0),
                     active_power_export=max(-grid_w, 0.0), **fields)
        out = ctl.update(rd, ev)
        cap = charge_limit(rd, site, charger, ev, now=now[0], phases=out.phases)
        assert out.current_a <= cap.current_a + 1e-9
        assert out.current_a == 0 or out.current_a >= charger.min_current_a - 1e-9
        assert out.reasons


odd = st.one_of(st.none(), st.just(float("nan")), st.just(float("inf")), st.just(float("-inf")),
                st.floats(-1e6, 1e6))


@SETTINGS
@given(sites(), chargers(), st.fixed_dictionaries({
    k: odd for k in ("current_l1", "current_l2", "current_l3", "voltage_l1", "active_power_import",
                     "active_power_export", "active_power_import_l1", "active_power_export_l2",
                     "power_factor", "reactive_power_import", "available_power")}))
def test_odd_values_never_raise_and_stay_in_bounds(site, charger, fields):
    r = charge_limit(Reading(format="t", timestamp=NOW, **fields), site, charger, now=NOW)
    assert math.isfinite(r.current_a) and math.isfinite(r.power_w)
    assert r.current_a == 0 or charger.min_current_a - 1e-9 <= r.current_a <= charger.max_current_a + 1e-9
    if r.current_a and site.fuse_limit_a is not None:
        for line in r.grid_phases:
            assert r.household_a[line - 1] + r.current_a <= site.fuse_limit_a + 1e-6


@SETTINGS
@given(sites(), chargers(), loads(), dimmings, st.one_of(st.none(), st.floats(0.0, 30000.0)))
def test_charge_limit_stays_within_available_power(site, charger, load, dimming, limit_w):
    from smartmeter_codecs.charging import available_power

    cur, drop = load
    reading = _reading(cur, drop, site)
    r = charge_limit(reading, site, charger, now=NOW, dimming=dimming, limit_w=limit_w)
    head = available_power(reading, site, now=NOW, dimming=dimming, limit_w=limit_w)
    assert r.power_w <= max(head.power_w, 0.0) + 1e-6
    if r.current_a:
        for line in r.grid_phases:
            assert r.current_a <= head.current_a[line - 1] + 1e-6


@SETTINGS
@given(st.sampled_from(["NO", "BE", "DK"]), st.booleans(), st.floats(-3000.0, 9000.0),
       st.floats(-2000.0, 6000.0), st.integers(0, 3599), st.floats(0.0, 8000.0),
       st.lists(st.floats(0.0, 9000.0), max_size=5), st.floats(2000.0, 15000.0))
def test_capacity_budgets_are_kept(country, switching, house_w, used_wh, second, month_peak, peaks, step_w):
    from zoneinfo import ZoneInfo

    from smartmeter_codecs.charging import CapacityState
    from smartmeter_codecs.charging.rules import rules_for

    now = dt.datetime(2024, 3, 14, 18, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=second)
    site = Site(country=country, capacity_limit_w=step_w if country == "NO" else None)
    days = {dt.date(2024, 3, d + 1): v for d, v in enumerate(peaks)}
    state = CapacityState(window_energy_wh=used_wh, daily_peaks_wh=days, month_peak_w=month_peak)
    reading = Reading(format="t", timestamp=now, active_power_import=max(house_w, 0.0),
                      active_power_export=max(-house_w, 0.0))
    r = charge_limit(reading, site, Charger(phase_switching=switching), now=now, capacity=state)
    if not r.current_a:
        return
    rule = rules_for(country).capacity
    local = now.astimezone(ZoneInfo(site.country_rules.timezone))
    into = (local.minute * 60 + local.second) % rule.window_s
    left_h = (rule.window_s - into) / 3600.0
    projected = used_wh + (house_w + r.power_w) * left_h
    if country == "DK":
        budget = 0.0
    elif country == "BE":
        budget = max(2500.0, month_peak) * rule.window_s / 3600.0
    else:
        others = sorted((v for d, v in days.items() if d != local.date()), reverse=True) + [0.0, 0.0, 0.0]
        budget = max(3 * step_w - others[0] - others[1], others[2], days.get(local.date(), 0.0))
    assert projected <= budget + 1e-6
