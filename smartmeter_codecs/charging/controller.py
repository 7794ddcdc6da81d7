"""The stateful part: PV modes, enable/disable delays, 1p/3p switching, slew limit.

:class:`ChargeController` follows evcc's loadpoint logic (docs/charging.md, evcc
``core/loadpoint.go`` ``pvMaxCurrent`` / ``pvScalePhases``) with evcc's defaults (enable 0 W /
60 s, disable 0 W / 180 s, immediate phase switch when not charging, +2 A for EVs that draw less
than offered), adds EVerest's switch budget and power hysteresis and openWB's slew limit and
minimum time between switches, and never exceeds :func:`~.limit.charge_limit` (fuse, contract,
national rules): that hard cap is applied to every result.

Time comes from an injected clock (a callable returning an aware ``datetime``), so tests and
simulations run on a fake clock. The controller does no I/O: feed it readings, send its result
to the charger.
"""
from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable, Sequence

from ..model import Reading
from . import inputs
from ._checks import check_int, check_number
from .household import measure
from .limit import ChargeLimit, _floor, amps_to_watts, charge_limit, watts_to_amps
from .reasons import Reason, ReasonCode
from .site import CapacityState, Charger, Dimming, Site

__all__ = ["ChargeController", "Mode"]

R = ReasonCode
_EPS = 1e-9
Clock = Callable[[], "_dt.datetime | float"]


class Mode(enum.StrEnum):
    """Charge modes (evcc names)."""

    OFF = "off"      # never charge
    NOW = "now"      # as fast as the limits allow
    MINPV = "minpv"  # at least the minimum current, more with PV surplus
    PV = "pv"        # only with PV surplus (enable / disable thresholds and delays)


def _as_datetime(t: _dt.datetime | float) -> _dt.datetime:
    """Clock values: aware datetimes as they are, numbers as POSIX seconds."""
    if isinstance(t, _dt.datetime):
        return t
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        try:
            return _dt.datetime.fromtimestamp(t, _dt.UTC)
        except (OverflowError, ValueError, OSError) as exc:
            raise ValueError(f"clock value {t!r} is not a usable POSIX time: {exc}") from None
    raise TypeError(f"a clock must return a datetime or POSIX seconds, got {type(t).__name__}")


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


class ChargeController:
    """Turns a stream of readings into charger setpoints.

    Args:
        site, charger: as for :func:`charge_limit`.
        clock: returns the current time (aware datetime, or POSIX seconds); inject a fake clock in
            tests.
        mode: ``"pv"``, ``"minpv"``, ``"now"`` or ``"off"`` (settable later via ``.mode``).
        max_age_s: staleness limit passed to :func:`charge_limit`.
        enable_threshold_w: PV start: 0 means "when the surplus carries the minimum current";
            a negative value means "when at least this much is exported" (evcc).
        enable_delay_s: PV start delay and the delay of a 1p -> 3p switch while charging.
        disable_threshold_w: PV stop: stop after the delay when the grid import (with the EV at
            minimum) is at or above this value (+2000: tolerate 2 kW import).
        disable_delay_s: PV stop delay and the delay of a 3p -> 1p switch while charging.
        residual_power_w: shifts the operating point (positive keeps some export).
        under_draw_a: an EV drawing less than offered is credited this much above its measured
            current (evcc +2 A, for cars such as the Zoe).
        slew_a: maximum change of the setpoint per update while charging (openWB 5 A); None: off.
            Never applied against a hard limit.
        phase_hysteresis_w: extra surplus required above the 3-phase minimum power before
            switching 1p -> 3p (EVerest 200 W; evcc 0).
        max_phase_switches: switch budget per session (0: unlimited; EVerest).
        sticky_phases: when the budget is used up, the phase count a last switch may still go
            to (EVerest ``stickyness``); None: stay where it is (``DontChange``).
        min_switch_interval_s: minimum time between two switches (openWB 7 min buffer; default 0).
        charging_threshold_a: the EV counts as charging above this measured current (evcc 1 A).
        enabled, phases, current_a, phase_switches: the initial state (an EV already charging).
    """

    def __init__(self, site: Site, charger: Charger, *, clock: Clock = _utcnow, mode: Mode | str = Mode.PV,
                 max_age_s: float = 60.0, enable_threshold_w: float = 0.0, enable_delay_s: float = 60.0,
                 disable_threshold_w: float = 0.0, disable_delay_s: float = 180.0,
                 residual_power_w: float = 0.0, under_draw_a: float = 2.0, slew_a: float | None = None,
                 phase_hysteresis_w: float = 0.0, max_phase_switches: int = 0, sticky_phases: int | None = None,
                 min_switch_interval_s: float = 0.0, charging_threshold_a: float = 1.0,
                 enabled: bool = False, phases: int | None = None, current_a: float = 0.0,
                 phase_switches: int = 0) -> None:
        if not isinstance(site, Site) or not isinstance(charger, Charger):
            raise TypeError("ChargeController needs a Site and a Charger")
        if not callable(clock):
            raise TypeError("clock must be a callable returning a datetime or POSIX seconds")
        # bad configuration raises here, not in a control cycle (issue 10)
        check_number("max_age_s", max_age_s, allow_none=False, allow_inf=True)
        for name, value in (("enable_threshold_w", enable_threshold_w), ("disable_threshold_w", disable_threshold_w),
                            ("residual_power_w", residual_power_w)):
            check_number(name, value, allow_none=False, allow_negative=True)
        for name, value in (("enable_delay_s", enable_delay_s), ("disable_delay_s", disable_delay_s),
                            ("under_draw_a", under_draw_a), ("phase_hysteresis_w", phase_hysteresis_w),
                            ("min_switch_interval_s", min_switch_interval_s),
                            ("charging_threshold_a", charging_threshold_a), ("current_a", current_a)):
            check_number(name, value, allow_none=False, allow_zero=True)
        check_number("slew_a", slew_a)
        check_int("max_phase_switches", max_phase_switches, minimum=0)
        check_int("phase_switches", phase_switches, minimum=0)
        if sticky_phases is not None:
            check_int("sticky_phases", sticky_phases, (1, 2, 3))
        self.site = site
        self.charger = charger
        self._clock = clock
        self._mode = Mode(mode)
        self.max_age_s = max_age_s
        self.enable_threshold_w = enable_threshold_w
        self.enable_delay_s = enable_delay_s
        self.disable_threshold_w = disable_threshold_w
        self.disable_delay_s = disable_delay_s
        self.residual_power_w = residual_power_w
        self.under_draw_a = under_draw_a
        self.slew_a = slew_a
        self.phase_hysteresis_w = phase_hysteresis_w
        self.max_phase_switches = max_phase_switches
        self.sticky_phases = sticky_phases
        self.min_switch_interval_s = min_switch_interval_s
        self.charging_threshold_a = charging_threshold_a
        self._top = min(charger.phases, site.phases)
        if site.network == "IT" and self._top == 2:
            self._top = 1
        if phases is None:
            phases = self._top  # unknown phases on a switchable charger: assume the most (evcc)
        if phases not in (1, 2, 3) or phases > self._top:
            raise ValueError(f"phases must be 1..{self._top}, got {phases!r}")
        self._phases = phases
        self._enabled = enabled
        self._current = float(current_a)
        self._switches = phase_switches
        self._last_switch: _dt.datetime | None = None
        self._enable_timer: _dt.datetime | None = None
        self._disable_timer: _dt.datetime | None = None
        self._phase_timer: tuple[str, _dt.datetime] | None = None

    @property
    def mode(self) -> Mode:
        """The charge mode; assign a :class:`Mode` or its name to change it."""
        return self._mode

    @mode.setter
    def mode(self, value: Mode | str) -> None:
        new = Mode(value)
        if new is not self._mode:
            self._reset_timers()
        self._mode = new

    # -- state, read-only ------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def phases(self) -> int:
        return self._phases

    @property
    def current_a(self) -> float:
        return self._current

    @property
    def phase_switches(self) -> int:
        return self._switches

    def new_session(self) -> None:
        """A new EV plugged in: reset the switch budget and the timers."""
        self._switches = 0
        self._last_switch = None
        self._reset_timers()

    def _reset_timers(self) -> None:
        self._enable_timer = self._disable_timer = None
        self._phase_timer = None

    # -- the update ----------------------------------------------------------------------------
    def update(self, reading: Reading, ev_currents_a: Sequence[float] = (0.0, 0.0, 0.0), *,
               dimming: Dimming | None = None, capacity: CapacityState | None = None,
               limit_w: float | None = None, ev_power_w: float | None = None,
               now: _dt.datetime | float | None = None) -> ChargeLimit:
        """One control cycle: returns the setpoint (current, phases) with its reasons.

        ``now`` overrides the clock for this call (a datetime, or POSIX seconds).
        """
        now = _as_datetime(self._clock() if now is None else now)
        site, charger = self.site, self.charger
        raw_ev = tuple(ev_currents_a)
        ev, _ = inputs.ev_currents(raw_ev)  # implausible EV currents count as 0 A (charge_limit warns)
        kw = {"now": now, "max_age_s": self.max_age_s, "dimming": dimming, "capacity": capacity,
              "limit_w": limit_w, "ev_power_w": ev_power_w}
        switchable = charger.phase_switching and self._top > 1
        counts = sorted({self._top, 1, self._phases} if switchable else {self._phases}, reverse=True)
        caps = {n: charge_limit(reading, site, charger, raw_ev, phases=n, **kw) for n in counts}  # type: ignore[arg-type]
        cap = caps[self._phases]
        if R.STALE in cap.reasons or self.mode is Mode.OFF:
            self._reset_timers()
            if self.mode is Mode.OFF:
                cap = self._result(cap, 0.0, [Reason(R.MODE_OFF, "mode off")], include_cap=False)
            elif self.mode is not Mode.NOW and cap.current_a > 0:
                # stale data and a site failsafe power: PV modes do not charge from the grid on it
                # (pv: 0 A; minpv: the minimum)
                keep = charger.min_current_a if self.mode is Mode.MINPV else 0.0
                cap = self._result(cap, min(keep, cap.current_a), [], include_cap=True)
            self._enabled = cap.current_a > 0
            self._current = cap.current_a
            return cap
        reasons: list[Reason] = []
        charging = max(ev) > self.charging_threshold_a
        minimum = charger.min_current_a
        if self.mode is Mode.NOW:
            if switchable:
                best = max(counts, key=lambda n: (caps[n].power_w, n))
                if best != self._phases and caps[best].power_w > caps[self._phases].power_w + _EPS:
                    self._request(best, "up" if best > self._phases else "down", now, False, 0.0, reasons)
            cap = caps[self._phases]
            self._reset_timers()
            final = cap.current_a
            result = self._result(cap, final, reasons, include_cap=True)
            self._enabled, self._current = final > 0, final
            return result

        hh = measure(reading, site, ev, ev_power_w)
        if hh.grid_power_w is None:
            desired = minimum if self.mode is Mode.MINPV else 0.0
            reasons.append(Reason(R.MISSING_DATA, "PV modes need the grid power, which the reading lacks"))
        else:
            site_power = hh.grid_power_w + self.residual_power_w
            charge_power = hh.ev_power_w
            switched = False
            if switchable:
                switched = self._scale_phases(now, site_power, charge_power, charging, caps, reasons)
            n = self._phases
            if switched:
                target = max(watts_to_amps(charge_power - site_power, n, site), 0.0)
            else:
                offered = self._current if self._current > 0 else max(ev)  # unknown: what it draws
                effective = min(max(ev) + self.under_draw_a, offered) if charging else 0.0
                target = max(effective + watts_to_amps(-site_power, n, site), 0.0)
            desired = self._pv_current(now, target, site_power, n, reasons)
        cap = caps[self._phases]
        if desired <= 0:
            final = 0.0
        else:
            final = min(_floor(desired, charger.step_a), cap.current_a)
            if self.slew_a is not None and charging and self._current > 0 and final > 0:
                hi = self._current + self.slew_a
                lo = self._current - self.slew_a
                if final > hi + _EPS:
                    final = _floor(hi, charger.step_a)
                    reasons.append(Reason(R.SLEW, f"slew limit +{self.slew_a:g} A per update", final))
                elif final < lo - _EPS and lo <= cap.current_a:
                    final = _floor(lo, charger.step_a)
                    reasons.append(Reason(R.SLEW, f"slew limit -{self.slew_a:g} A per update", final))
            if final < minimum - _EPS:
                final = 0.0
        include_cap = desired > cap.current_a + _EPS or (final == 0 and desired > 0)
        if final > 0 and not include_cap and not any(
                r.code in (R.MIN_PV, R.DISABLE_DELAY, R.SLEW, R.PV_SURPLUS) for r in reasons):
            reasons.append(Reason(R.PV_SURPLUS, f"following the PV surplus: {desired:.2f} A", desired))
        result = self._result(cap, final, reasons, include_cap=include_cap)
        self._current = final
        self._enabled = final > 0
        return result

    def _result(self, cap: ChargeLimit, final: float, reasons: list[Reason], *, include_cap: bool) -> ChargeLimit:
        n = self._phases
        all_reasons = (list(cap.reasons) if include_cap else []) + reasons
        if final == 0 and not all_reasons:
            all_reasons = [Reason(R.PV_SURPLUS, "not enough PV surplus")]
        return ChargeLimit(current_a=final, phases=n, power_w=round(amps_to_watts(final, n, self.site), 6),
                           reasons=tuple(all_reasons), valid_until=cap.valid_until, grid_phases=cap.grid_phases,
                           household_a=cap.household_a, household_w=cap.household_w, warnings=cap.warnings)

    # -- evcc pvMaxCurrent ---------------------------------------------------------------------
    def _elapsed(self, since: _dt.datetime, now: _dt.datetime) -> float:
        return (now - since).total_seconds()

    def _pv_current(self, now: _dt.datetime, target: float, site_power: float, n: int,
                    reasons: list[Reason]) -> float:
        minimum = self.charger.min_current_a
        if self._enabled:
            self._enable_timer = None
        if self.mode is Mode.MINPV and target < minimum - _EPS:
            self._disable_timer = None
            reasons.append(Reason(R.MIN_PV, f"minpv: surplus gives {target:.2f} A, held at {minimum:g} A", minimum))
            return minimum
        if self._enabled and target < minimum - _EPS:
            projected = site_power
            if self._phase_timer is not None and self._phase_timer[0] == "down":
                # after the pending 3p -> 1p switch the EV draws (n-1) phases less
                projected -= self.site.nominal_voltage * minimum * (n - 1)
            if projected >= self.disable_threshold_w:
                if self._disable_timer is None:
                    self._disable_timer = now
                elapsed = self._elapsed(self._disable_timer, now)
                if elapsed >= self.disable_delay_s:
                    self._disable_timer = None
                    reasons.append(Reason(R.PV_SURPLUS, f"PV surplus gives {target:.2f} A < {minimum:g} A for "
                                          f"{elapsed:.0f} s: charging stopped", target))
                    return 0.0
                reasons.append(Reason(R.DISABLE_DELAY, f"PV surplus gives {target:.2f} A < {minimum:g} A: "
                                      f"stop in {self.disable_delay_s - elapsed:.0f} s", minimum))
                return minimum
            self._disable_timer = None
            if projected != site_power:
                msg = f"held at {minimum:g} A while the switch to 1 phase is pending"
            else:
                msg = (f"import {site_power:.0f} W below the disable threshold {self.disable_threshold_w:g} W: "
                       f"held at {minimum:g} A")
            reasons.append(Reason(R.MIN_PV, msg, minimum))
            return minimum
        if not self._enabled:
            if self.enable_threshold_w == 0:
                ok = target >= minimum - _EPS
            else:
                ok = site_power <= self.enable_threshold_w
            if ok:
                if self._enable_timer is None:
                    self._enable_timer = now
                elapsed = self._elapsed(self._enable_timer, now)
                if elapsed >= self.enable_delay_s:
                    self._enable_timer = None
                    reasons.append(Reason(R.PV_SURPLUS, f"PV surplus for {elapsed:.0f} s: start at the minimum",
                                          minimum))
                    return minimum
                reasons.append(Reason(R.ENABLE_DELAY, f"PV surplus gives {target:.2f} A: start in "
                                      f"{self.enable_delay_s - elapsed:.0f} s", 0.0))
                return 0.0
            self._enable_timer = None
            if self.enable_threshold_w == 0:
                msg = f"PV surplus gives {target:.2f} A < {minimum:g} A"
            else:
                msg = f"grid {site_power:.0f} W above the enable threshold {self.enable_threshold_w:g} W"
            reasons.append(Reason(R.PV_SURPLUS, msg, target))
            return 0.0
        self._disable_timer = None
        return target

    # -- evcc pvScalePhases + EVerest budget ----------------------------------------------------
    def _scale_phases(self, now: _dt.datetime, site_power: float, charge_power: float, charging: bool,
                      caps: dict[int, ChargeLimit], reasons: list[Reason]) -> bool:
        site, charger = self.site, self.charger
        available = charge_power - site_power
        n = self._phases
        minimum, maximum = charger.min_current_a, charger.max_current_a
        if n > 1:
            per = watts_to_amps(available, n, site)
            cannot_carry = caps[n].current_a < minimum - _EPS <= caps[1].current_a
            if ((site_power > 0 or not self._enabled) and per < minimum) or cannot_carry:
                return self._request(1, "down", now, charging, self.disable_delay_s, reasons)
        elif self._top > 1:
            per1 = watts_to_amps(available, 1, site)
            per_top = watts_to_amps(available - self.phase_hysteresis_w, self._top, site)
            if per1 > maximum and per_top >= minimum and caps[self._top].current_a >= minimum - _EPS:
                return self._request(self._top, "up", now, charging, self.enable_delay_s, reasons)
        self._phase_timer = None
        return False

    def _request(self, target: int, direction: str, now: _dt.datetime, charging: bool, delay: float,
                 reasons: list[Reason]) -> bool:
        budget_used = bool(self.max_phase_switches) and self._switches >= self.max_phase_switches
        # with the budget used, only a last switch to the sticky phase count is allowed (EVerest)
        if budget_used and (self.sticky_phases is None or self.sticky_phases != target):
            self._phase_timer = None
            reasons.append(Reason(R.SWITCH_LIMIT, f"switch limit reached ({self._switches} of "
                                  f"{self.max_phase_switches}): staying on {self._phases} phase(s)"))
            return False
        if self.min_switch_interval_s and self._last_switch is not None:
            since = self._elapsed(self._last_switch, now)
            if since < self.min_switch_interval_s:
                reasons.append(Reason(R.PHASE_SWITCH_PENDING, f"{direction} to {target} phase(s) waits "
                                      f"{self.min_switch_interval_s - since:.0f} s (minimum interval)"))
                return False
        if charging:
            if self._phase_timer is None or self._phase_timer[0] != direction:
                self._phase_timer = (direction, now)
            elapsed = self._elapsed(self._phase_timer[1], now)
            if elapsed < delay:
                reasons.append(Reason(R.PHASE_SWITCH_PENDING, f"switch {direction} to {target} phase(s) in "
                                      f"{delay - elapsed:.0f} s"))
                return False
        reasons.append(Reason(R.PHASE_SWITCH, f"switched from {self._phases} to {target} phase(s)"))
        self._phases = target
        self._switches += 1
        self._last_switch = now
        self._phase_timer = None
        self._disable_timer = None
        return True
