"""Unit tests of the charging package beyond the calc.md scenarios."""
from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

from smartmeter_codecs import Reading
from smartmeter_codecs.charging import (
    RULES,
    CapacityState,
    ChargeController,
    Charger,
    Dimming,
    LpcWatchdog,
    Reason,
    ReasonCode,
    Site,
    available_power,
    charge_limit,
    ocpp_amps_to_watts,
    ocpp_watts_to_amps,
    rules_for,
)
from smartmeter_codecs.charging.calendars import easter_sunday, es_power_period, is_it_f3

UTC = dt.UTC
NOW = dt.datetime(2024, 3, 14, 12, 0, tzinfo=UTC)


def reading(**kw) -> Reading:
    kw.setdefault("timestamp", NOW)
    return Reading(format="test", **{k: (float(v) if isinstance(v, int) else v) for k, v in kw.items()})


class Clock:
    def __init__(self, t=NOW):
        self.now = t

    def __call__(self):
        return self.now

    def tick(self, s):
        self.now += dt.timedelta(seconds=s)


# -- reasons ---------------------------------------------------------------------------------
def test_reason_compares_with_strings_and_codes():
    r = Reason(ReasonCode.STALE, "old", 0.0)
    assert r == "stale" and r == "STALE:grid" and "stale" == r
    assert r != "fuse" and r != 3
    assert r in ("fuse", "stale") and hash(r) == hash("stale")
    assert str(r) == "stale" and r.text == "stale: old" and json.dumps([r]) == '["stale"]'
    assert r == Reason(ReasonCode.STALE, "old", 0.0) and r != Reason(ReasonCode.STALE, "other", 0.0)
    assert pickle.loads(pickle.dumps(r)) == r and repr(r) == "Reason('stale', 'old', limit_a=0.0)"
    with pytest.raises(AttributeError):
        r.message = "new"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Reason("no-such-code")


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(phases=2), dict(network="XX"), dict(main_fuse_a=-1.0),
                                dict(safety_margin_pct=100.0), dict(nominal_voltage=0.0),
                                dict(fallback_power_factor=1.5), dict(contracted_power_periods_w={"P1": -1.0})])
def test_site_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        Site(**kw)


@pytest.mark.parametrize("kw", [dict(phases=4), dict(min_current_a=10.0, max_current_a=6.0), dict(step_a=0.0),
                                dict(grid_phase=4), dict(grid_phase=(1, 1)), dict(grid_phase=(1, 2, 3))])
def test_charger_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        Charger(**kw)


def test_bad_arguments():
    with pytest.raises(TypeError):
        charge_limit({"current_l1": 1}, Site(), Charger())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        charge_limit(reading(), Site(), Charger(), ev_currents_a=(1.0, 2.0))
    with pytest.raises(ValueError):
        charge_limit(reading(), Site(), Charger(), max_age_s=0)
    with pytest.raises(ValueError, match="capacity rule"):
        charge_limit(reading(active_power_import=0), Site(country="DE"), Charger(), now=NOW,
                     capacity=CapacityState())
    with pytest.raises(ValueError, match="capacity_limit_w"):
        charge_limit(reading(active_power_import=0), Site(country="NO"), Charger(), now=NOW,
                     capacity=CapacityState())
    with pytest.raises(ValueError):
        Dimming(mode="relay")  # type: ignore[arg-type]


# -- time ----------------------------------------------------------------------------------------
def test_reading_without_timestamp_is_taken_as_current_with_a_warning():
    r = charge_limit(Reading(format="t", current_l1=1.0, current_l2=1.0, current_l3=1.0),
                     Site(main_fuse_a=25.0), Charger(), now=NOW)
    assert r.current_a == 16 and any("no timestamp" in w for w in r.warnings)
    assert r.valid_until == NOW + dt.timedelta(seconds=60)


def test_future_timestamp_is_stale():
    r = charge_limit(reading(timestamp=NOW + dt.timedelta(minutes=5), active_power_import=0),
                     Site(), Charger(), now=NOW)
    assert r.current_a == 0 and r.reasons[0] == "stale" and "future" in r.reasons[0].message


def test_naive_times_are_site_local():
    site = Site(country="IT", phases=1, contracted_power_w=3000.0)
    local = dt.datetime(2024, 3, 14, 12, 0)  # naive: Europe/Rome, = 11:00 UTC
    r = charge_limit(reading(timestamp=local, active_power_import=0), site, Charger(phases=1),
                     now=dt.datetime(2024, 3, 14, 11, 0, 30, tzinfo=UTC))
    assert r.current_a == 14 and "stale" not in r.reasons


def test_valid_until_stops_at_the_f3_boundary():
    site = Site(country="IT", phases=1, contracted_power_w=3000.0, flexible_contracted_power_w=5500.0)
    now = dt.datetime(2024, 4, 23, 22, 59, 30)  # Tuesday, Rome
    r = charge_limit(reading(timestamp=now, active_power_import=800), site, Charger(phases=1, max_current_a=32.0),
                     now=now)
    assert r.current_a == 10
    assert r.valid_until.astimezone(UTC) == dt.datetime(2024, 4, 23, 21, 0, tzinfo=UTC)


def test_valid_until_stops_at_the_capacity_window_end():
    site = Site(country="BE")
    now = dt.datetime(2024, 3, 14, 10, 14, 30, tzinfo=UTC)
    r = charge_limit(reading(timestamp=now, active_power_import=0), site, Charger(), now=now,
                     capacity=CapacityState(month_peak_w=4000.0))
    assert r.valid_until == dt.datetime(2024, 3, 14, 10, 15, tzinfo=UTC)


# -- measurement -------------------------------------------------------------------------------
def test_missing_phase_on_tn_with_a_fuse_blocks_that_phase_only():
    site = Site(country="DE", main_fuse_a=25.0)
    rd = reading(current_l1=5, current_l3=5)
    three = charge_limit(rd, site, Charger(phases=3), now=NOW)
    assert three.current_a == 0 and three.reasons[0] == "phase_unknown"
    one = charge_limit(rd, site, Charger(phases=1, grid_phase=3), now=NOW)
    assert one.current_a == 16


def test_ev_current_is_removed_from_the_grid_current():
    site = Site(country="DE", main_fuse_a=25.0)
    r = charge_limit(reading(current_l1=24, current_l2=24, current_l3=24), site, Charger(),
                     ev_currents_a=(16.0, 16.0, 16.0), now=NOW)
    assert r.household_a == pytest.approx((8.0, 8.0, 8.0)) and r.current_a == 16


def test_meter_signed_currents_are_kept():
    site = Site(country="DE", main_fuse_a=25.0)
    r = charge_limit(reading(current_l1=-10, current_l2=5, current_l3=5), site, Charger(phases=1, max_current_a=32.0),
                     now=NOW)
    assert r.household_a[0] == -10 and r.current_a == 20  # unbalance, not the 35 A fuse headroom


def test_power_factor_from_reactive_power():
    site = Site(country="DE", main_fuse_a=25.0, phases=1)
    # P 3000 W, Q 2250 var -> S 3750 VA -> 16.3 A at 230 V
    r = charge_limit(reading(active_power_import=3000, reactive_power_import=2250), site, Charger(phases=1), now=NOW)
    assert r.current_a == 8


def test_italian_reading_available_power_is_used_without_a_site_contract():
    site = Site(country="IT", phases=1)
    r = charge_limit(reading(active_power_import=1200, available_power=3300, contracted_power=3000), site,
                     Charger(phases=1), now=NOW)
    assert r.current_a == 9 and r.reasons[0] == "contract"


def test_italian_three_phase_contract_is_per_phase():
    site = Site(country="IT", phases=3, contracted_power_w=10000.0)
    rd = reading(active_power_import=500, active_power_import_l1=500, active_power_import_l2=0,
                 active_power_import_l3=0)
    r = charge_limit(rd, site, Charger(phases=1, grid_phase=1), now=NOW)
    # 11000 W / 3 = 3666.7 W per phase, minus 500 W on L1 -> 13.77 A
    assert r.current_a == 13 and r.reasons[0] == "contract" and r.reasons[0].phase == 1


def test_missing_power_for_a_contract_is_conservative():
    r = charge_limit(reading(current_l1=1), Site(country="IT", phases=3, contracted_power_w=3000.0),
                     Charger(phases=1), now=NOW)
    assert r.current_a == 0 and "missing_data" in r.reasons


def test_available_power_per_phase_and_total():
    site = Site(country="DE", main_fuse_a=25.0, contracted_power_w=11000.0)
    rd = reading(current_l1=10, current_l2=5, current_l3=0, active_power_import=3450)
    h = available_power(rd, site, now=NOW)
    assert h.current_a == pytest.approx((15.0, 20.0, 25.0))
    assert h.power_w == pytest.approx(11000 - 3450)
    free = available_power(reading(active_power_import=0), Site(), now=NOW)
    assert free.power_w == float("inf") and free.current_a == (float("inf"),) * 3


def test_single_phase_site_uses_l1_only():
    site = Site(country="FR", phases=1, main_fuse_a=32.0)
    r = charge_limit(reading(current_l1=10), site, Charger(phases=3, max_current_a=32.0), now=NOW)
    assert r.phases == 1 and r.grid_phases == (1,) and r.current_a == 22


# -- calendars ----------------------------------------------------------------------------------
def test_calendars():
    assert easter_sunday(2024) == dt.date(2024, 3, 31) and easter_sunday(2025) == dt.date(2025, 4, 20)
    assert is_it_f3(dt.datetime(2024, 4, 1, 12))       # Easter Monday
    assert not is_it_f3(dt.datetime(2024, 4, 27, 12))  # Saturday daytime
    assert is_it_f3(dt.datetime(2024, 4, 22, 23, 0)) and is_it_f3(dt.datetime(2024, 4, 22, 6, 59))
    assert not is_it_f3(dt.datetime(2024, 4, 22, 7, 0))
    assert es_power_period(dt.datetime(2024, 3, 29, 12)) == "P1"   # Good Friday: no fixed date
    assert es_power_period(dt.datetime(2025, 1, 6, 12)) == "P2"    # 6 January
    assert es_power_period(dt.datetime(2023, 10, 12, 12)) == "P2"  # Fiesta Nacional
    assert es_power_period(dt.datetime(2024, 3, 19, 12), (dt.date(2024, 3, 19),)) == "P2"


def test_injected_flexible_window_and_extra_holidays():
    site = Site(country="IT", phases=1, contracted_power_w=3000.0, flexible_contracted_power_w=5500.0,
                flexible_window=lambda t: True)
    r = charge_limit(reading(active_power_import=800), site, Charger(phases=1, max_current_a=32.0), now=NOW)
    assert r.current_a == 22
    es = Site(country="ES", phases=1, contracted_power_periods_w={"P1": 4600.0, "P2": 6900.0},
              holidays=(dt.date(2024, 3, 19),))
    t = dt.datetime(2024, 3, 19, 12)
    assert charge_limit(reading(timestamp=t, active_power_import=1500), es, Charger(phases=1, max_current_a=32.0),
                        now=t).current_a == 23


def test_rules_are_data():
    assert rules_for("it").contract_tolerance == pytest.approx(1.10)
    assert RULES["DE"].unbalance_limit_a == 20 and RULES["AT"].unbalance_limit_a == 16
    assert rules_for("XX").country == ""
    with pytest.raises(TypeError):
        RULES["XX"] = RULES["DE"]  # type: ignore[index]
    assert Site(country="DE", unbalance_limit_a=float("inf")).unbalance_limit_a == float("inf")
    r = charge_limit(reading(current_l1=0, current_l2=0, current_l3=0), Site(country="DE", main_fuse_a=35.0,
                     unbalance_limit_a=float("inf")), Charger(phases=1, max_current_a=32.0), now=NOW)
    assert r.current_a == 32


def test_ocpp_number_phases_validation():
    with pytest.raises(ValueError):
        ocpp_watts_to_amps(1000, 4)
    assert ocpp_watts_to_amps(-5) == 0.0 and ocpp_amps_to_watts(0) == 0.0


# -- controller ----------------------------------------------------------------------------------
def test_controller_never_exceeds_the_fuse():
    clock = Clock()
    ctl = ChargeController(Site(country="DE", main_fuse_a=25.0), Charger(), clock=clock, mode="pv",
                           enabled=True, phases=3, current_a=16.0)
    rd = reading(timestamp=clock.now, current_l1=30, current_l2=30, current_l3=30, active_power_export=10000)
    r = ctl.update(rd, (16.0, 16.0, 16.0))
    assert r.current_a == 11 and r.reasons[0] == "fuse"


def test_controller_now_mode_prefers_three_phases_and_falls_back_to_one():
    clock = Clock()
    site = Site(country="DE", main_fuse_a=25.0)
    ctl = ChargeController(site, Charger(phase_switching=True), clock=clock, mode="now", phases=1)
    r = ctl.update(reading(current_l1=0, current_l2=0, current_l3=0))
    assert (r.current_a, r.phases) == (16, 3) and "phase_switch" in r.reasons
    r = ctl.update(reading(current_l1=0, current_l2=0, current_l3=21))
    assert (r.current_a, r.phases) == (16, 1)


def test_controller_off_and_stale():
    clock = Clock()
    ctl = ChargeController(Site(country="DE"), Charger(), clock=clock, mode="off")
    assert ctl.update(reading(active_power_export=10000)).reasons[0] == "mode_off"
    ctl.mode = "now"
    assert ctl.update(reading(active_power_export=10000)).current_a == 16
    clock.tick(120)
    r = ctl.update(reading(active_power_export=10000))
    assert r.current_a == 0 and r.reasons[0] == "stale" and not ctl.enabled


def test_controller_slew_limit():
    clock = Clock()
    ctl = ChargeController(Site(country="DE"), Charger(max_current_a=32.0), clock=clock, mode="pv",
                           enabled=True, phases=3, current_a=6.0, slew_a=5.0)
    r = ctl.update(reading(active_power_export=20000), (6.0, 6.0, 6.0))
    assert r.current_a == 11 and "slew" in r.reasons


def test_controller_minimum_switch_interval_and_sticky_phases():
    clock = Clock()
    site, charger = Site(country="DE"), Charger(phase_switching=True)
    ctl = ChargeController(site, charger, clock=clock, mode="pv", min_switch_interval_s=420.0)
    ctl.update(reading(timestamp=clock.now, active_power_export=3000))
    assert ctl.phases == 1
    clock.tick(10)
    r = ctl.update(reading(timestamp=clock.now, active_power_export=8000))
    assert ctl.phases == 1 and "phase_switch_pending" in r.reasons
    clock.tick(420)
    ctl.update(reading(timestamp=clock.now, active_power_export=8000))
    assert ctl.phases == 3
    sticky = ChargeController(site, charger, clock=clock, mode="pv", phases=1, max_phase_switches=1,
                              phase_switches=1, sticky_phases=3)
    sticky.update(reading(timestamp=clock.now, active_power_export=8000))
    assert sticky.phases == 3
    sticky.new_session()
    assert sticky.phase_switches == 0


def test_controller_phase_hysteresis():
    clock = Clock()
    ctl = ChargeController(Site(country="DE"), Charger(phase_switching=True), clock=clock, mode="pv", phases=1,
                           phase_hysteresis_w=200.0)
    ctl.update(reading(active_power_export=4200))  # 1p: 18.3 A > 16, but 4200 - 200 < 4140
    assert ctl.phases == 1
    ctl.update(reading(active_power_export=4400))
    assert ctl.phases == 3


# -- LPC -------------------------------------------------------------------------------------------
def test_lpc_new_limit_ends_failsafe_and_duration_expires():
    clock = Clock()
    wd = LpcWatchdog(clock)
    wd.set_limit(6000.0)
    assert wd.state == "limited" and wd.limit_w() == 6000.0
    clock.tick(200)
    assert wd.state == "failsafe" and wd.dimming() == Dimming(mode="direct", limit_w=4200.0)
    clock.tick(30)
    wd.heartbeat()
    wd.set_limit(5000.0)
    assert wd.state == "limited" and wd.limit_w() == 5000.0
    clock.tick(200)
    assert wd.state == "failsafe"
    clock.tick(7200)
    assert wd.state == "autonomous" and wd.dimming() is None
    clock.tick(10)
    wd.heartbeat()
    assert wd.state == "autonomous"
    wd.set_limit(None)
    assert wd.state == "unlimited"
    with pytest.raises(ValueError):
        wd.set_limit(-1.0)


def test_calc_md_reason_names_and_numeric_now():
    site = Site(country="NO", network="IT", main_fuse_a=40.0)
    r = charge_limit(reading(current_l1=25, current_l3=10), site, Charger(phases=1, max_current_a=32.0,
                     grid_phase=(1, 2)), now=NOW.timestamp())
    assert r.current_a == 0 and r.reasons[0] == "L2_UNKNOWN_CONSERVATIVE" and r.reasons[0].phase == 2
    assert r.household_a[1] == pytest.approx(35.0)


def test_italian_three_phase_without_per_phase_data_uses_the_total():
    site = Site(country="IT", phases=3, contracted_power_w=6000.0)
    r = charge_limit(reading(active_power_import=1000), site, Charger(phases=3), now=NOW)
    assert r.current_a == 8 and r.reasons[0] == "contract"   # (6600 - 1000) / 690 = 8.1
    assert any("per-phase contract" in w for w in r.warnings)


def test_naive_timestamp_without_now_uses_the_system_clock():
    # Python's convention: a naive datetime is the system's local time
    r = charge_limit(Reading(format="t", timestamp=dt.datetime.now(), active_power_import=0.0),
                     Site(country="IT", phases=1, contracted_power_w=3000.0), Charger(phases=1))
    assert "stale" not in r.reasons and r.current_a == 14
    old = Reading(format="t", timestamp=dt.datetime.now() - dt.timedelta(seconds=90), active_power_import=0.0)
    assert charge_limit(old, Site(country="IT", phases=1, contracted_power_w=3000.0), Charger(phases=1)
                        ).reasons[0] == "stale"
    aware = Reading(format="t", timestamp=dt.datetime.now(UTC), active_power_import=0.0)
    assert charge_limit(aware, Site(country="NO"), Charger()).current_a == 16


def test_numeric_clocks():
    t = [NOW.timestamp()]
    ctl = ChargeController(Site(country="DE"), Charger(phases=1), clock=lambda: t[0], mode="pv")
    assert ctl.update(reading(active_power_export=3000)).reasons[0] == "enable_delay"
    t[0] += 60
    assert ctl.update(reading(timestamp=NOW + dt.timedelta(seconds=60), active_power_export=3000)).current_a == 6
    assert ctl.update(reading(active_power_export=3000), now=NOW).current_a > 0
    wd = LpcWatchdog(lambda: t[0])
    t[0] += 121
    assert wd.state == "failsafe"
    with pytest.raises(TypeError):
        ChargeController(Site(), Charger(), clock=lambda: "noon").update(reading())  # type: ignore[arg-type,return-value]


def test_controller_stale_with_failsafe_power_does_not_grid_charge_in_pv_modes():
    clock = Clock()
    site = Site(country="DE", failsafe_power_w=7000.0)
    old = reading(timestamp=NOW - dt.timedelta(seconds=120), active_power_export=5000)
    for mode, expected in (("pv", 0.0), ("minpv", 6.0), ("now", 10.0)):
        ctl = ChargeController(site, Charger(), clock=clock, mode=mode, enabled=True, current_a=10.0)
        r = ctl.update(old, (10.0, 10.0, 10.0))
        assert r.current_a == expected and r.reasons[0] == "stale", mode


def test_controller_without_a_known_offer_uses_the_measured_current():
    clock = Clock()
    ctl = ChargeController(Site(country="DE"), Charger(), clock=clock, mode="pv", enabled=True)
    r = ctl.update(reading(active_power_export=690), (10.0, 10.0, 10.0))
    assert r.current_a == 11  # min(10 + 2, 10) + 1
