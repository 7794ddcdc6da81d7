"""Country rules as data, keyed by ``Site.country`` (ISO 3166 alpha-2).

Every value cites where it comes from (its public sources). A site can
override any single value (``Site.contract_tolerance``, ``Site.unbalance_limit_a`` ...) or pass a
whole :class:`CountryRules` as ``Site.rules`` (e.g. a Swedish DSO's peak tariff).
"""
from __future__ import annotations

import datetime as _dt
import types
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from ._checks import check_int, check_number, check_zone
from .calendars import es_power_period, is_it_f3

__all__ = ["GENERIC", "RULES", "CapacityRule", "CountryRules", "rules_for"]

WindowFn = Callable[[_dt.datetime, Collection[_dt.date]], bool]
PeriodFn = Callable[[_dt.datetime, Collection[_dt.date]], str]


@dataclass(frozen=True, slots=True)
class CapacityRule:
    """An energy budget per settlement window.

    kind:
        ``"daily_top_n"``: the bill uses the mean of the ``top_n`` highest window energies, each
        from a different day of the month (Norway's kapasitetsledd, hourly, top 3).
        ``"monthly_peak"``: the bill uses the month's highest window average power, never below
        ``floor_w`` (Flanders' capacity tariff, 15 min, 2.5 kW floor).
        ``"netting"``: import and export inside one window net out; keep the window's net import
        at or below ``target_wh`` (Denmark's hourly net settlement, target 0 Wh).
    """

    kind: Literal["daily_top_n", "monthly_peak", "netting"]
    window_s: float
    top_n: int = 1
    floor_w: float = 0.0
    target_wh: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("daily_top_n", "monthly_peak", "netting"):
            raise ValueError(f"CapacityRule.kind must be daily_top_n, monthly_peak or netting, got {self.kind!r}")
        check_number("CapacityRule.window_s", self.window_s, allow_none=False)
        check_int("CapacityRule.top_n", self.top_n, minimum=1)
        check_number("CapacityRule.floor_w", self.floor_w, allow_none=False, allow_zero=True)
        check_number("CapacityRule.target_wh", self.target_wh, allow_none=False, allow_negative=True)


@dataclass(frozen=True, slots=True)
class CountryRules:
    """The national rules that change a charge limit (see docs/charging.md for the table)."""

    country: str
    timezone: str = "UTC"
    #: potenza disponibile = contracted power x tolerance (IT 1.10; ES ICP tolerance 0 -> 1.0)
    contract_tolerance: float = 1.0
    #: three-phase contracts limited per phase at 1/3 of the available power (IT)
    contract_per_phase: bool = False
    #: maximum current of a single-phase (or two-phase) load (DE 20 A, AT/CH 16 A); None: none
    unbalance_limit_a: float | None = None
    #: window in which ``Site.flexible_contracted_power_w`` applies (IT: band F3)
    flexible_window: WindowFn | None = None
    #: period name at a local time, for ``Site.contracted_power_periods_w`` (ES 2.0TD P1/P2)
    power_period: PeriodFn | None = None
    #: minimum power per controllable device under dimming (DE EnWG §14a: 4200 W)
    dimming_pmin_w: float | None = None
    #: capacity tariff or netting budget (NO, BE, DK)
    capacity: CapacityRule | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.country, str):
            raise ValueError(f"CountryRules.country must be a string, got {self.country!r}")
        check_zone("CountryRules.timezone", self.timezone)
        check_number("CountryRules.contract_tolerance", self.contract_tolerance, allow_none=False)
        # math.inf: no unbalance limit
        check_number("CountryRules.unbalance_limit_a", self.unbalance_limit_a, allow_zero=True, allow_inf=True)
        check_number("CountryRules.dimming_pmin_w", self.dimming_pmin_w)
        if self.capacity is not None and not isinstance(self.capacity, CapacityRule):
            raise ValueError(f"CountryRules.capacity must be a CapacityRule, got {type(self.capacity).__name__}")
        for name in ("flexible_window", "power_period"):
            fn = getattr(self, name)
            if fn is not None and not callable(fn):
                raise ValueError(f"CountryRules.{name} must be a callable or None, got {fn!r}")


GENERIC = CountryRules(country="", timezone="UTC")

RULES: Mapping[str, CountryRules] = types.MappingProxyType({
    "IT": CountryRules(
        "IT", "Europe/Rome", contract_tolerance=1.10, contract_per_phase=True,
        flexible_window=is_it_f3,
        sources=(
            "potenza disponibile = impegnata + 10 % up to 30 kW (servizioelettriconazionale.it; calc.md §2.3)",
            "three-phase limiter acts per phase at +10 % (nt24.it 2018; chain2.md §6.1) [secondary]",
            "ARERA 541/2020: in F3, the power of a 5.5 kW contract (6.05 kW) (nt24.it/?p=21352)",
            "F3 = Mon-Sat 00-07, 23-24, Sundays and national holidays (ARERA 181/06; chain2.md §6.3)",
        )),
    "DE": CountryRules(
        "DE", "Europe/Berlin", unbalance_limit_a=20.0, dimming_pmin_w=4200.0,
        sources=(
            "VDE-AR-N 4100 unbalance 4.6 kVA = 20 A at 230 V (e-handbuch.de; calc.md §2.2)",
            "EnWG §14a: at least 4.2 kW per controllable device when dimmed (BNetzA BK6-22-300)",
            "EMS total = n x 4.2 kW x simultaneity factor (evcc docs; factor is a parameter)",
        )),
    "AT": CountryRules(
        "AT", "Europe/Vienna", unbalance_limit_a=16.0,
        sources=("unbalance 3.7 kVA = 16 A (e-handbuch.de; calc.md §2.8)",)),
    "CH": CountryRules(
        "CH", "Europe/Zurich", unbalance_limit_a=16.0,
        sources=("unbalance 3.7 kVA = 16 A (e-handbuch.de; calc.md §2.2)",)),
    "NO": CountryRules(
        "NO", "Europe/Oslo",
        capacity=CapacityRule(
            "daily_top_n", window_s=3600.0, top_n=3,
            source="kapasitetsledd: mean of the 3 highest hourly kWh, each on a different day "
                   "(telemark-nett.no, hlk.no; calc.md §2.4)"),
        sources=("kapasitetsledd top-3 hours on distinct days; step boundaries are DSO data",)),
    "BE": CountryRules(
        "BE", "Europe/Brussels",
        capacity=CapacityRule(
            "monthly_peak", window_s=900.0, floor_w=2500.0,
            source="Flanders capacity tariff: monthly highest 15-min average, floor 2.5 kW "
                   "(wasewind.be, VREG; calc.md §2.7)"),
        sources=("capacity tariff since 2023 (Flanders)",)),
    "DK": CountryRules(
        "DK", "Europe/Copenhagen",
        capacity=CapacityRule(
            "netting", window_s=3600.0, target_wh=0.0,
            source="hourly net settlement: surplus 'kan lagres i op til en klokketime' "
                   "(gev.dk, energitjenesten.dk; calc.md §2.5)"),
        sources=("window length is a parameter: a 15-min settlement may replace the hour",)),
    "ES": CountryRules(
        "ES", "Europe/Madrid", contract_tolerance=1.0, power_period=es_power_period,
        sources=(
            "2.0TD power periods P1 weekdays 08-24, P2 otherwise (CNMC Circular 3/2020; calc.md §2.6)",
            "ICP tolerance unverified: the contracted power is a hard limit (tolerance 1.0)",
        )),
    "FR": CountryRules("FR", "Europe/Paris"),
    "NL": CountryRules("NL", "Europe/Amsterdam"),
    "SE": CountryRules("SE", "Europe/Stockholm",
                       sources=("effektavgift is DSO-specific: pass Site.rules",)),
    "FI": CountryRules("FI", "Europe/Helsinki"),
    "LU": CountryRules("LU", "Europe/Luxembourg"),
    "PL": CountryRules("PL", "Europe/Warsaw"),
    "GB": CountryRules("GB", "Europe/London"),
})


def rules_for(country: str) -> CountryRules:
    """The rules for an ISO country code (case-insensitive); :data:`GENERIC` when unknown."""
    return RULES.get(country.upper(), GENERIC)
