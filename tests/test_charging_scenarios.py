"""The 36 worked scenarios of research/calc.md §6, run from fixtures/charging/scenarios.json.

Stateless rows go through ``charge_limit`` / ``available_power``; stateful rows (4-11, 17, 25b,
33, 36) run a ``ChargeController`` or ``LpcWatchdog`` on a fake clock.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import pathlib

import pytest

from smartmeter_codecs import Reading
from smartmeter_codecs.charging import (
    CapacityState,
    ChargeController,
    Charger,
    Dimming,
    LpcWatchdog,
    Site,
    available_power,
    charge_limit,
    ocpp_amps_to_watts,
    ocpp_watts_to_amps,
)

FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "charging" / "scenarios.json"
DATA = json.loads(FIXTURE.read_text())
SCENARIOS = DATA["scenarios"]
DEFAULT_NOW = "2024-03-14T12:00:00"  # a Thursday; local time of the site


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, start: dt.datetime, t: float) -> None:
        self.now = start + dt.timedelta(seconds=t)


def _site(d: dict) -> Site:
    d = dict(d)
    if "main_fuse_a" in d:
        d["main_fuse_a"] = float(d["main_fuse_a"])
    return Site(**d)


def _charger(d: dict) -> Charger:
    d = dict(d)
    if isinstance(d.get("grid_phase"), list):
        d["grid_phase"] = tuple(d["grid_phase"])
    return Charger(**d)


def _zone(site: Site) -> dt.tzinfo:
    from zoneinfo import ZoneInfo
    return ZoneInfo(site.country_rules.timezone)


def _now(sc: dict, site: Site) -> dt.datetime:
    t = dt.datetime.fromisoformat(sc.get("now", DEFAULT_NOW))
    return t if t.tzinfo else t.replace(tzinfo=_zone(site))


def _reading(fields: dict, when: dt.datetime, age_s: float = 0.0) -> Reading:
    return Reading(format="test", timestamp=when - dt.timedelta(seconds=age_s),
                   **{k: float(v) for k, v in fields.items()})


def _args(sc: dict) -> dict:
    out = {}
    a = sc.get("args", {})
    if "dimming" in a:
        out["dimming"] = Dimming(**a["dimming"])
    if "capacity" in a:
        c = dict(a["capacity"])
        if "daily_peaks_wh" in c:
            c["daily_peaks_wh"] = {dt.date.fromisoformat(k): float(v) for k, v in c["daily_peaks_wh"].items()}
        out["capacity"] = CapacityState(**c)
    if "limit_w" in a:
        out["limit_w"] = float(a["limit_w"])
    return out


def _check(result, expect: dict, where: str) -> None:
    if "current_a" in expect:
        assert result.current_a == pytest.approx(expect["current_a"], abs=1e-9), where
    if "not_current_a" in expect:
        assert result.current_a != pytest.approx(expect["not_current_a"]), where
    if "phases" in expect:
        assert result.phases == expect["phases"], where
    if "power_w" in expect:
        assert result.power_w == pytest.approx(expect["power_w"], abs=1e-6), where
    if "grid_phases" in expect:
        assert list(result.grid_phases) == expect["grid_phases"], where
    if "reasons" in expect:
        assert [r.code.value for r in result.reasons] == expect["reasons"], (where, [r.text for r in result.reasons])
    for code in expect.get("reasons_include", ()):
        assert code in result.reasons, (where, code, [r.text for r in result.reasons])
    if "household_a" in expect:
        assert list(result.household_a) == pytest.approx(expect["household_a"]), where


def _ids(kind: str):
    return [s for s in SCENARIOS if s["kind"] == kind]


def test_every_scenario_is_covered():
    assert sorted({s["scenario"] for s in SCENARIOS}) == list(range(1, 37))
    for s in SCENARIOS:
        assert s["provenance"].startswith("calc.md #"), s["id"]


@pytest.mark.parametrize("sc", _ids("limit"), ids=lambda s: s["id"])
def test_limit_scenario(sc):
    site, charger = _site(sc["site"]), _charger(sc["charger"])
    now = _now(sc, site)
    reading = _reading(sc["reading"], now, sc.get("age_s", 0.0))
    ev = tuple(float(x) for x in sc.get("ev_currents_a", (0, 0, 0)))
    args = _args(sc)
    result = charge_limit(reading, site, charger, ev_currents_a=ev, now=now, **args)
    expect = sc["expect"]
    _check(result, expect, sc["id"])
    # invariants every result keeps
    assert result.current_a == 0 or result.current_a >= charger.min_current_a
    assert result.current_a <= charger.max_current_a
    assert result.reasons, sc["id"]
    assert result.valid_until is not None and result.valid_until >= now - dt.timedelta(seconds=1)
    if "headroom_a" in expect or "headroom_w" in expect:
        head = available_power(reading, site, ev_currents_a=ev, now=now, **args)
        if "headroom_a" in expect:
            assert list(head.current_a[: len(expect["headroom_a"])]) == pytest.approx(expect["headroom_a"])
        if "headroom_w" in expect:
            assert head.power_w == pytest.approx(expect["headroom_w"], abs=1e-6)


@pytest.mark.parametrize("sc", _ids("controller"), ids=lambda s: s["id"])
def test_controller_scenario(sc):
    site, charger = _site(sc["site"]), _charger(sc["charger"])
    start = _now(sc, site)
    clock = FakeClock(start)
    ctl = ChargeController(site, charger, clock=clock, **sc.get("controller", {}))
    for step in sc["steps"]:
        clock.set(start, step["t"])
        reading = _reading(step["reading"], clock.now)
        ev = tuple(float(x) for x in step.get("ev_currents_a", (0, 0, 0)))
        result = ctl.update(reading, ev)
        _check(result, step["expect"], f"{sc['id']} t={step['t']}")
        assert ctl.current_a == result.current_a and ctl.phases == result.phases


@pytest.mark.parametrize("sc", _ids("lpc"), ids=lambda s: s["id"])
def test_lpc_scenario(sc):
    site, charger = _site(sc["site"]), _charger(sc["charger"])
    start = _now(sc, site)
    clock = FakeClock(start)
    wd = LpcWatchdog(clock, **sc["watchdog"])
    for step in sc["steps"]:
        clock.set(start, step["t"])
        if step.get("action") == "heartbeat":
            wd.heartbeat()
        elif "limit_w" in step:
            wd.set_limit(step["limit_w"])
        assert wd.state.value == step["expect"]["state"], step
        result = charge_limit(_reading(sc["reading"], clock.now), site, charger, now=clock.now,
                              dimming=wd.dimming())
        _check(result, step["expect"], f"{sc['id']} t={step['t']}")


@pytest.mark.parametrize("sc", _ids("ocpp"), ids=lambda s: s["id"])
def test_ocpp_scenario(sc):
    fns = {"ocpp_watts_to_amps": ocpp_watts_to_amps, "ocpp_amps_to_watts": ocpp_amps_to_watts}
    for call in sc["calls"]:
        got = fns[call["fn"]](*call["args"], **call.get("kwargs", {}))
        assert got == pytest.approx(call["expect"], abs=1e-9), call
    for lim in sc.get("limits", ()):
        site = Site(country="DE")
        now = dt.datetime(2024, 3, 14, 12, tzinfo=dt.UTC)
        result = charge_limit(_reading({"active_power_import": 0}, now), site, _charger(lim["charger"]),
                              now=now, limit_w=float(lim["limit_w"]))
        _check(result, lim["expect"], sc["id"])
        assert not math.isnan(result.power_w)
