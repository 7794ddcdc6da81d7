"""The static description of a site and a charger, and the dynamic inputs some rules need."""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..plausibility import RANGES
from ._checks import check_int, check_number, check_zone
from .inputs import PF_MIN
from .rules import CountryRules, rules_for

__all__ = ["CapacityState", "Charger", "Dimming", "Site"]

_NETWORKS = ("TN", "TT", "IT")
_NOMINAL = RANGES["voltage_l1"]  # a household supply's nominal voltage is a plausible voltage


def _positive(name: str, value: float | None, *, allow_none: bool = True, allow_zero: bool = False,
              allow_inf: bool = False) -> None:
    check_number(name, value, allow_none=allow_none, allow_zero=allow_zero, allow_inf=allow_inf)


@dataclass(frozen=True, slots=True)
class Site:
    """A grid connection: country, supply, fuse and contract.

    Attributes:
        country: ISO 3166 code selecting the rules in :data:`~smartmeter_codecs.charging.rules.RULES`
            ("" or an unknown code: no national rule).
        phases: 1 or 3 phases at the connection.
        nominal_voltage: line-to-neutral voltage on TN/TT, line-to-line on IT (3x230 V) networks.
            Used for every W <-> A conversion (OCPP practice); fuse checks use measured currents.
        network: ``"TN"``, ``"TT"`` or ``"IT"`` (3x230 V without neutral: a 1-phase charger sits
            between two lines, 3-phase power is sqrt(3)*V*I).
        main_fuse_a: per-phase rating of the main fuse / breaker (None: no fuse check).
        contracted_power_w: contracted power (IT potenza impegnata, ES P1 ...); the limit is this
            times the tolerance. None: use the reading's ``available_power`` / ``contracted_power``.
        flexible_contracted_power_w: the contracted-power equivalent inside the country's flexible
            window (IT ARERA 541/2020: 5500 W in band F3, giving 6050 W available). None: off.
        safety_margin_a: amps kept free below the fuse on every phase.
        safety_margin_pct: percent of the fuse kept free (10 -> a 25 A fuse is used as 22.5 A).
        contract_tolerance: overrides the country's tolerance (IT 1.10). 4/3 opts into the Italian
            3-hour band: the caller then owns the 3 h budget.
        contracted_power_periods_w: contracted power per period name (ES: {"P1": .., "P2": ..}).
        unbalance_limit_a: overrides the country's single-phase limit (``math.inf`` disables it).
        capacity_limit_w: capacity tariff target: NO the step to stay below (required there),
            BE an accepted monthly peak above the month's peak so far.
        failsafe_power_w: when data is stale, allow this total EV power (openWB: 7000 W) instead of 0 A.
        fallback_power_factor: used to turn a per-phase active power into a current when the meter
            gives neither the current nor a power factor (households: 0.8-0.95); 0.1..1.
        timezone: IANA zone for calendar rules and naive timestamps (default: the country's).
        holidays: extra holidays for the calendar rules (regional, new national days).
        flexible_window: replaces the country's window (e.g. the meter's own band signal).
        power_period: replaces the country's period function.
        rules: replaces the country's rules as a whole.
    """

    country: str = ""
    phases: int = 3
    nominal_voltage: float = 230.0
    network: Literal["TN", "TT", "IT"] = "TN"
    main_fuse_a: float | None = None
    contracted_power_w: float | None = None
    flexible_contracted_power_w: float | None = None
    safety_margin_a: float = 0.0
    safety_margin_pct: float = 0.0
    contract_tolerance: float | None = None
    contracted_power_periods_w: Mapping[str, float] | None = None
    unbalance_limit_a: float | None = None
    capacity_limit_w: float | None = None
    failsafe_power_w: float | None = None
    fallback_power_factor: float = 0.8
    timezone: str | None = None
    holidays: tuple[_dt.date, ...] = ()
    flexible_window: Callable[[_dt.datetime], bool] | None = None
    power_period: Callable[[_dt.datetime], str] | None = None
    rules: CountryRules | None = None

    def __post_init__(self) -> None:
        # Bad configuration raises here, never later in a control loop (issue 10).
        if not isinstance(self.country, str):
            raise ValueError(f"Site.country must be an ISO 3166 code string, got {self.country!r}")
        check_int("Site.phases", self.phases, (1, 3))
        if self.network not in _NETWORKS:
            raise ValueError(f"Site.network must be one of {_NETWORKS}, got {self.network!r}")
        _positive("Site.nominal_voltage", self.nominal_voltage, allow_none=False)
        if not _NOMINAL.low <= self.nominal_voltage <= _NOMINAL.high:
            raise ValueError(f"Site.nominal_voltage must be a mains voltage ({_NOMINAL.low:g}..{_NOMINAL.high:g} V), "
                             f"got {self.nominal_voltage!r}")
        _positive("Site.main_fuse_a", self.main_fuse_a)
        _positive("Site.contracted_power_w", self.contracted_power_w, allow_zero=True)
        _positive("Site.flexible_contracted_power_w", self.flexible_contracted_power_w, allow_zero=True)
        _positive("Site.safety_margin_a", self.safety_margin_a, allow_none=False, allow_zero=True)
        _positive("Site.safety_margin_pct", self.safety_margin_pct, allow_none=False, allow_zero=True)
        _positive("Site.contract_tolerance", self.contract_tolerance)
        # math.inf is documented: it disables the country's unbalance limit
        _positive("Site.unbalance_limit_a", self.unbalance_limit_a, allow_zero=True, allow_inf=True)
        _positive("Site.capacity_limit_w", self.capacity_limit_w, allow_zero=True)
        _positive("Site.failsafe_power_w", self.failsafe_power_w, allow_zero=True)
        if not 0.0 <= self.safety_margin_pct < 100.0:
            raise ValueError(f"Site.safety_margin_pct must be in [0, 100), got {self.safety_margin_pct!r}")
        _positive("Site.fallback_power_factor", self.fallback_power_factor, allow_none=False)
        if not PF_MIN <= self.fallback_power_factor <= 1.0:
            raise ValueError(f"Site.fallback_power_factor must be in [{PF_MIN:g}, 1], got {self.fallback_power_factor!r}")
        if self.main_fuse_a is not None and not self.fuse_limit_a > 0:  # type: ignore[operator]
            raise ValueError(f"Site safety margins leave no current below the {self.main_fuse_a:g} A fuse "
                             f"(safety_margin_a {self.safety_margin_a:g}, safety_margin_pct {self.safety_margin_pct:g})")
        if self.contracted_power_periods_w is not None:
            if not isinstance(self.contracted_power_periods_w, Mapping):
                raise ValueError("Site.contracted_power_periods_w must be a mapping of period name to W")
            for k, v in self.contracted_power_periods_w.items():
                _positive(f"Site.contracted_power_periods_w[{k!r}]", v, allow_none=False, allow_zero=True)
        if self.timezone is not None:
            check_zone("Site.timezone", self.timezone)
        if isinstance(self.holidays, (str, bytes)) or not all(
                isinstance(d, _dt.date) and not isinstance(d, _dt.datetime) for d in self.holidays):
            raise ValueError(f"Site.holidays must be dates, got {self.holidays!r}")
        for name in ("flexible_window", "power_period"):
            fn = getattr(self, name)
            if fn is not None and not callable(fn):
                raise ValueError(f"Site.{name} must be a callable or None, got {fn!r}")
        if self.rules is not None and not isinstance(self.rules, CountryRules):
            raise ValueError(f"Site.rules must be a CountryRules, got {type(self.rules).__name__}")

    @property
    def country_rules(self) -> CountryRules:
        """The rules in force: ``rules`` when given, else the country's."""
        return self.rules if self.rules is not None else rules_for(self.country)

    @property
    def fuse_limit_a(self) -> float | None:
        """The usable per-phase current: fuse minus the margins (None without a fuse)."""
        if self.main_fuse_a is None:
            return None
        return self.main_fuse_a * (1.0 - self.safety_margin_pct / 100.0) - self.safety_margin_a


@dataclass(frozen=True, slots=True)
class Charger:
    """A wallbox and the EV behind it.

    Attributes:
        phases: phases the charger (and EV) can use: 1, 2 or 3.
        min_current_a: minimum current per phase (IEC 61851-1: 6 A).
        max_current_a: maximum current per phase: min(charger, cable, EV).
        step_a: the current step the charger accepts (1 A; 0.1 A for OCPP); results are floored.
        phase_switching: the charger can switch between 1 phase and ``phases``.
        grid_phase: the grid phase of the charger's L1 (1..3; openWB ``phase_1``). A 1-phase
            charger draws on this phase; multi-phase chargers follow the rotation L1->g, L2->g+1...
            On IT networks a 1-phase charger sits between two lines: an int g means Lg and the next
            line (1: L1-L2, 2: L2-L3, 3: L3-L1); a pair (1, 3) names the lines explicitly.
    """

    phases: int = 3
    min_current_a: float = 6.0
    max_current_a: float = 16.0
    step_a: float = 1.0
    phase_switching: bool = False
    grid_phase: int | tuple[int, int] = 1

    def __post_init__(self) -> None:
        # Bad configuration raises here (issue 10: step_a=inf gave a NaN current, max_current_a=inf
        # an OverflowError in the calculation).
        check_int("Charger.phases", self.phases, (1, 2, 3))
        _positive("Charger.min_current_a", self.min_current_a, allow_none=False, allow_zero=True)
        _positive("Charger.max_current_a", self.max_current_a, allow_none=False)
        _positive("Charger.step_a", self.step_a, allow_none=False)
        if self.max_current_a < self.min_current_a:
            raise ValueError(f"Charger.max_current_a ({self.max_current_a}) < min_current_a ({self.min_current_a})")
        if self.step_a > self.max_current_a:
            raise ValueError(f"Charger.step_a ({self.step_a}) > max_current_a ({self.max_current_a}): "
                             "no current could ever be set")
        if not isinstance(self.phase_switching, bool):
            raise ValueError(f"Charger.phase_switching must be a bool, got {self.phase_switching!r}")
        lines = self.grid_phase if isinstance(self.grid_phase, tuple) else (self.grid_phase,)
        if (not 1 <= len(lines) <= 2 or any(isinstance(p, bool) or p not in (1, 2, 3) for p in lines)
                or len(set(lines)) != len(lines)):
            raise ValueError(f"Charger.grid_phase must be 1..3 or a pair of distinct lines, got {self.grid_phase!r}")


@dataclass(frozen=True, slots=True)
class Dimming:
    """An active EnWG §14a dimming signal (pass ``None`` when not dimmed).

    Attributes:
        mode: ``"direct"``: the charger itself is limited to ``limit_w`` or Pmin (openWB direct
            control, no PV netting); ``"ems"``: the grid import at the connection point is limited to
            ``limit_w`` or ``devices * Pmin * simultaneity_factor`` and own PV is netted.
        devices: number of controllable devices (SteuVE) behind the EMS.
        simultaneity_factor: the device-count factor (GZF). A parameter: the BNetzA table and the
            evcc docs disagree (docs/charging.md).
        limit_w: an explicit limit from the control signal (EEBus LPC value or failsafe).
        pmin_w: per-device minimum power (default: the country's, DE 4200 W).
    """

    mode: Literal["direct", "ems"] = "direct"
    devices: int = 1
    simultaneity_factor: float = 1.0
    limit_w: float | None = None
    pmin_w: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("direct", "ems"):
            raise ValueError(f"Dimming.mode must be 'direct' or 'ems', got {self.mode!r}")
        check_int("Dimming.devices", self.devices, minimum=1)
        _positive("Dimming.simultaneity_factor", self.simultaneity_factor, allow_none=False)
        _positive("Dimming.limit_w", self.limit_w, allow_zero=True)
        _positive("Dimming.pmin_w", self.pmin_w)


@dataclass(frozen=True, slots=True)
class CapacityState:
    """What the capacity / netting rules need to know about the current month and window.

    Attributes:
        window_energy_wh: net import energy so far in the current settlement window (NO hour, BE
            quarter hour, DK hour). Negative means net export (DK).
        daily_peaks_wh: NO: each day's highest window energy this month, today's included (so far).
        month_peak_w: BE: the highest 15-min average power this month so far.
        household_forecast_w: household power expected for the rest of the window (default: the
            household power measured now).
    """

    window_energy_wh: float = 0.0
    daily_peaks_wh: Mapping[_dt.date, float] = field(default_factory=dict)
    month_peak_w: float = 0.0
    household_forecast_w: float | None = None

    def __post_init__(self) -> None:
        # the caller's bookkeeping: a NaN here would make a budget NaN, so it raises when built
        check_number("CapacityState.window_energy_wh", self.window_energy_wh, allow_none=False,
                     allow_negative=True)
        check_number("CapacityState.month_peak_w", self.month_peak_w, allow_none=False, allow_zero=True)
        check_number("CapacityState.household_forecast_w", self.household_forecast_w, allow_negative=True)
        if not isinstance(self.daily_peaks_wh, Mapping):
            raise ValueError("CapacityState.daily_peaks_wh must be a mapping of date to Wh")
        for d, v in self.daily_peaks_wh.items():
            if not isinstance(d, _dt.date):
                raise ValueError(f"CapacityState.daily_peaks_wh keys must be dates, got {d!r}")
            check_number(f"CapacityState.daily_peaks_wh[{d}]", v, allow_none=False, allow_zero=True)
