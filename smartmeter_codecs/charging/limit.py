"""How much current may the charger draw right now: the stateless calculator.

Calculation order (docs/charging.md):

1. staleness: a reading older than ``max_age_s`` gives 0 A (or ``Site.failsafe_power_w``);
2. household load per phase (:mod:`.household`): signed, measured currents first, bounded;
3. every constraint in its own domain -- fuse per phase (A), contract / §14a / capacity tariff /
   netting / external limit as EV power (W) converted with the nominal voltage, unbalance and
   charger maximum (A);
4. per candidate phase count: minimum over the constraints, floored to ``step_a``, 0 below
   ``min_current_a``;
5. the candidate giving the most power wins (ties: more phases);
6. ``reasons`` lists every factor below the charger maximum, most limiting first.
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..model import Reading
from . import inputs
from .household import Household, measure
from .reasons import Reason, ReasonCode
from .rules import RULES, CountryRules
from .site import CapacityState, Charger, Dimming, Site

__all__ = ["ChargeLimit", "Headroom", "amps_to_watts", "available_power", "charge_limit", "watts_to_amps"]

_SQRT3 = math.sqrt(3.0)
_EPS = 1e-9
R = ReasonCode


@dataclass(frozen=True, slots=True)
class ChargeLimit:
    """The result of :func:`charge_limit` (and of :meth:`ChargeController.update`).

    Attributes:
        current_a: current per phase the charger may draw (floored to the step; 0 = pause).
        phases: phase count the current applies to.
        power_w: the EV power at that current (nominal voltage; sqrt(3)*V*I on IT 3-phase).
        reasons: every limiting factor, most limiting first (typed, compare equal to code strings).
        valid_until: when to recompute at the latest (data ageing out, a tariff window or period
            boundary); ``None`` never happens for fresh data.
        grid_phases: the grid phases (1..3) the charger draws on.
        household_a: household current per grid phase used in the calculation (None: unknown).
        household_w: household net power (import positive), None if unknown.
        warnings: things the caller should know that did not limit the result.
    """

    current_a: float
    phases: int
    power_w: float
    reasons: tuple[Reason, ...]
    valid_until: _dt.datetime | None
    grid_phases: tuple[int, ...] = ()
    household_a: tuple[float | None, ...] = ()
    household_w: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def limited_by(self) -> tuple[str, ...]:
        """The reason codes as plain strings."""
        return tuple(r.code.value for r in self.reasons)


@dataclass(frozen=True, slots=True)
class Headroom:
    """The result of :func:`available_power`: what the site could still take.

    Attributes:
        current_a: per grid phase, the current that may still be added (fuse, per-phase contract);
            ``math.inf`` without a per-phase limit, negative when the phase is already over it.
        power_w: total active power that may still be added (contract, §14a, capacity tariff,
            netting, external limit, and what the fuses allow); ``math.inf`` without any limit.
        household_a, household_w: the household load used.
        reasons: the constraints that define the headroom, tightest power first.
        valid_until: as for :class:`ChargeLimit`.
        stale: the reading was too old: everything is 0.
    """

    current_a: tuple[float, float, float]
    power_w: float
    household_a: tuple[float | None, ...]
    household_w: float | None
    reasons: tuple[Reason, ...]
    valid_until: _dt.datetime | None
    stale: bool = False


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> _dt.tzinfo:
    if name.upper() == "UTC":
        return _dt.UTC
    return ZoneInfo(name)


def _aware(t: _dt.datetime, tz: _dt.tzinfo) -> _dt.datetime:
    return t.replace(tzinfo=tz) if t.tzinfo is None else t


def watts_to_amps(power_w: float, phases: int, site: Site) -> float:
    """Per-phase current for a total EV power (nominal voltage; IT: V*I for 1p, sqrt(3)*V*I for 3p)."""
    v = site.nominal_voltage
    if site.network == "IT":
        if phases == 1:
            return power_w / v
        if phases == 3:
            return power_w / (_SQRT3 * v)
        raise ValueError("2-phase charging is not defined on an IT (3x230 V) network")
    return power_w / (phases * v)


def amps_to_watts(current_a: float, phases: int, site: Site) -> float:
    """Total EV power for a per-phase current (inverse of :func:`watts_to_amps`)."""
    v = site.nominal_voltage
    if site.network == "IT":
        if phases == 1:
            return current_a * v
        if phases == 3:
            return current_a * _SQRT3 * v
        raise ValueError("2-phase charging is not defined on an IT (3x230 V) network")
    return current_a * phases * v


def _floor(x: float, step: float) -> float:
    """``x`` floored to a whole number of ``step`` (0 for NaN and x <= 0; never above x)."""
    if not x > 0:
        return 0.0
    q = x / step
    if not math.isfinite(q):
        return 0.0 if math.isnan(q) else x  # inf: x is finite by the charger maximum; keep it
    k = math.floor(q + _EPS)
    return round(k * step, 9)


def _shift(t: _dt.datetime, seconds: float) -> _dt.datetime:
    """``t + seconds``, saturated at the ends of the datetime range (a time there never raises)."""
    try:
        return t + _dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        edge = _dt.datetime.max if seconds > 0 else _dt.datetime.min
        return edge.replace(tzinfo=t.tzinfo)


@dataclass(slots=True)
class _PowerCap:
    watts: float
    code: ReasonCode
    message: str


@dataclass(slots=True)
class _Ctx:
    site: Site
    rules: CountryRules
    now: _dt.datetime
    local: _dt.datetime
    house: Household
    stale: Reason | None
    valid_until: _dt.datetime
    power_caps: list[_PowerCap] = field(default_factory=list)
    phase_contract_w: float | None = None   # IT three-phase: available power per phase
    warnings: list[str] = field(default_factory=list)


def _plausible(reading: Reading, name: str) -> float | None:
    value = getattr(reading, name)
    return inputs.finite(value) if inputs.plausible(name, value) else None


def _holidays(site: Site) -> tuple[_dt.date, ...]:
    return site.holidays


def _contract(ctx: _Ctx, reading: Reading) -> tuple[float, str] | None:
    site, rules, local = ctx.site, ctx.rules, ctx.local
    tol = site.contract_tolerance if site.contract_tolerance is not None else rules.contract_tolerance
    tol_txt = f" x {tol:g}" if tol != 1.0 else ""
    if site.contracted_power_periods_w:
        if site.power_period is not None:
            period = site.power_period(local)
        elif rules.power_period is not None:
            period = rules.power_period(local, _holidays(site))
        else:
            raise ValueError(f"country {site.country!r} has no power periods: pass Site.power_period")
        if period not in site.contracted_power_periods_w:
            raise ValueError(f"no contracted power for period {period!r} in Site.contracted_power_periods_w")
        base = site.contracted_power_periods_w[period]
        _next_hour(ctx)
        return base * tol, f"contracted power of period {period} {base:g} W{tol_txt}"
    if site.contracted_power_w is not None:
        base, label = site.contracted_power_w, f"contracted power {site.contracted_power_w:g} W{tol_txt}"
        if site.flexible_contracted_power_w is not None:
            if site.flexible_window is not None:
                inside = site.flexible_window(local)
            elif rules.flexible_window is not None:
                inside = rules.flexible_window(local, _holidays(site))
            else:
                raise ValueError(f"country {site.country!r} has no flexible window: pass Site.flexible_window")
            _next_hour(ctx)
            if inside:
                base = site.flexible_contracted_power_w
                label = f"flexible-window contracted power {base:g} W{tol_txt} (IT F3, ARERA 541/2020)"
            else:
                label += " (outside the flexible window)"
        return base * tol, label
    # The meter's own limiter: available power first, then contracted power. One the meter sent
    # with an implausible value (or that a decoder screened) is a limiter of unknown value: it is
    # taken as 0 W of net import, the smallest a limiter can be (PV surplus may still be used).
    for name, factor, what in (("available_power", 1.0, "available power"),
                               ("contracted_power", tol, "contracted power")):
        value = _plausible(reading, name)
        if value is not None:
            return value * factor, f"meter {what} {value:g} W{tol_txt if factor != 1.0 else ''}"
        if name in ctx.house.suspect:
            ctx.warnings.append(f"meter {what} is implausible: its limit is taken as 0 W")
            return 0.0, f"meter {what} implausible (limit unknown, taken as 0 W)"
    return None


def _next_hour(ctx: _Ctx) -> None:
    # calendar rules change at whole local hours: recompute then at the latest
    try:
        nxt = (ctx.local.replace(minute=0, second=0, microsecond=0) + _dt.timedelta(hours=1)
               ).astimezone(ctx.now.tzinfo)
    except (OverflowError, ValueError):
        return  # the last hour of the datetime range: nothing follows
    ctx.valid_until = min(ctx.valid_until, nxt)


def _need_house(ctx: _Ctx, what: str) -> float | None:
    if ctx.house.power_w is None:
        ctx.power_caps.append(_PowerCap(0.0, R.MISSING_DATA, f"{what} needs the grid power, which the reading lacks"))
    return ctx.house.power_w


def _capacity(ctx: _Ctx, state: CapacityState) -> None:
    rule = ctx.rules.capacity
    site = ctx.site
    if rule is None:
        raise ValueError(f"country {site.country!r} has no capacity rule: pass Site.rules with a CapacityRule")
    local = ctx.local
    secs = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    into = secs % rule.window_s
    left_s = rule.window_s - into
    ctx.valid_until = min(ctx.valid_until, _shift(ctx.now, left_s))
    left_h = max(left_s, 1.0) / 3600.0
    window_h = rule.window_s / 3600.0
    used = state.window_energy_wh
    if rule.kind == "daily_top_n":
        if site.capacity_limit_w is None:
            raise ValueError("the daily top-N capacity rule needs Site.capacity_limit_w (the step to stay below)")
        today = local.date()
        others = sorted((v for d, v in state.daily_peaks_wh.items() if d != today), reverse=True)
        today_v = state.daily_peaks_wh.get(today, 0.0)
        n = rule.top_n
        step_wh = site.capacity_limit_w * window_h
        top = others[: n - 1] + [0.0] * max(0, n - 1 - len(others))
        nth = others[n - 1] if len(others) >= n else 0.0
        # this window only counts through today's maximum (distinct days): it may reach the value
        # that keeps the mean of the top n at the step, and never matters below today's own max
        # or the n-th other day.
        budget_wh = max(n * step_wh - sum(top), nth, today_v)
        code, what = R.CAPACITY, (f"capacity tariff: top {n} windows on distinct days below "
                                  f"{site.capacity_limit_w:g} W -> {budget_wh:.0f} Wh this window")
    elif rule.kind == "monthly_peak":
        target = max(rule.floor_w, state.month_peak_w, site.capacity_limit_w or 0.0)
        budget_wh = target * window_h
        code, what = R.CAPACITY, (f"capacity tariff: month peak {state.month_peak_w:g} W, floor "
                                  f"{rule.floor_w:g} W -> {target:g} W, {budget_wh:.0f} Wh per window")
    else:
        budget_wh = rule.target_wh
        code, what = R.NETTING, f"net settlement: window net import <= {budget_wh:g} Wh"
    house = state.household_forecast_w
    if house is None:
        house = _need_house(ctx, "the capacity budget")
        if house is None:
            return
    rate = (budget_wh - used) / left_h
    ctx.power_caps.append(_PowerCap(
        rate - house, code,
        f"{what}; {used:.0f} Wh used, {left_s:.0f} s left -> {rate:.0f} W, household {house:.0f} W"))


def _clock(now: _dt.datetime | float | None, tz: _dt.tzinfo) -> tuple[_dt.datetime | None, _dt.datetime, _dt.datetime]:
    """(the caller's ``now`` as given, ``now`` aware, ``now`` in the site's zone).

    ``now`` is the caller's clock, not a measurement: one that cannot be placed in the site's zone
    (the first or last hours of the datetime range) raises ``ValueError``.
    """
    try:
        if isinstance(now, (int, float)) and not isinstance(now, bool):
            now = _dt.datetime.fromtimestamp(now, _dt.UTC)  # POSIX seconds
        if now is not None and not isinstance(now, _dt.datetime):
            raise TypeError(f"now must be a datetime, POSIX seconds or None, got {type(now).__name__}")
        given = now
        aware = _aware(now if now is not None else _dt.datetime.now(_dt.UTC), tz)
        return given, aware, aware.astimezone(tz)
    except (OverflowError, ValueError, OSError) as exc:
        raise ValueError(f"now {now!r} cannot be used: {exc}") from None


def _age(stamp: object, given: _dt.datetime | None, now: _dt.datetime,
         local: _dt.datetime) -> tuple[float | None, str]:
    """Age of the reading in seconds (negative: from the future), or (None, why) when unusable.

    A bad meter clock never raises: anything that cannot be compared is unusable, hence stale.
    """
    if not isinstance(stamp, _dt.datetime):
        return None, f"{stamp!r} is not a datetime"
    try:
        if stamp.utcoffset() is None:
            # a naive meter clock is compared with a naive clock: the given naive ``now`` (site
            # time), else, without ``now``, the system's local clock (Python's naive convention)
            ref = (given if given is not None and given.tzinfo is None
                   else _dt.datetime.now() if given is None else local.replace(tzinfo=None))
            age = (ref - stamp.replace(tzinfo=None)).total_seconds()
        else:
            age = (now - stamp).total_seconds()
    except (ArithmeticError, ValueError, TypeError) as exc:
        return None, f"{stamp!r} ({exc})"
    return age, ""


def _context(reading: Reading, site: Site, ev_currents_a: Sequence[float], now: _dt.datetime | None,
             max_age_s: float, ev_power_w: float | None, dimming: Dimming | None,
             capacity: CapacityState | None, limit_w: float | None) -> _Ctx:
    if not isinstance(reading, Reading):
        raise TypeError(f"reading must be a smartmeter_codecs.Reading, got {type(reading).__name__}")
    if not isinstance(site, Site):
        raise TypeError(f"site must be a Site, got {type(site).__name__}")
    if isinstance(max_age_s, bool) or not isinstance(max_age_s, (int, float)) or not max_age_s > 0:
        raise ValueError(f"max_age_s must be > 0, got {max_age_s!r}")
    if limit_w is not None and (isinstance(limit_w, bool) or not isinstance(limit_w, (int, float))
                                or math.isnan(limit_w)):
        raise ValueError(f"limit_w must be a number, got {limit_w!r}")
    if dimming is not None and not isinstance(dimming, Dimming):
        raise TypeError(f"dimming must be a Dimming, got {type(dimming).__name__}")
    if capacity is not None and not isinstance(capacity, CapacityState):
        raise TypeError(f"capacity must be a CapacityState, got {type(capacity).__name__}")
    rules = site.country_rules
    tz = _zone(site.timezone or rules.timezone)
    given, now, local = _clock(now, tz)
    house = measure(reading, site, ev_currents_a, ev_power_w)
    warnings: list[str] = list(house.notes)
    stale: Reason | None = None
    ts = now
    if reading.timestamp is None:
        # Documented choice: a reading without a meter clock is taken as just received.
        warnings.append("reading has no timestamp: treated as current (age 0 s)")
    else:
        age, why = _age(reading.timestamp, given, now, local)
        if age is None:
            stale = Reason(R.STALE, f"grid reading timestamp unusable: {why}", 0.0)
        elif age > max_age_s:
            stale = Reason(R.STALE, f"grid reading is {age:.0f} s old (max_age_s {max_age_s:g})", 0.0)
        elif age < -max_age_s:
            stale = Reason(R.STALE, f"grid reading is {-age:.0f} s in the future (meter clock?)", 0.0)
        else:
            ts = _shift(now, -age)
    ctx = _Ctx(site=site, rules=rules, now=now, local=local, house=house, stale=stale,
               valid_until=(now if stale else _shift(ts, max_age_s)), warnings=warnings)
    for i, s in enumerate(house.sources):
        if s == "power":
            warnings.append(f"L{i + 1} current estimated from power / voltage / power factor")
    if stale is not None:
        if site.failsafe_power_w is not None:
            ctx.power_caps.append(_PowerCap(site.failsafe_power_w, R.FAILSAFE,
                                            f"failsafe total power {site.failsafe_power_w:g} W"))
        if limit_w is not None:
            ctx.power_caps.append(_PowerCap(limit_w, R.EXTERNAL, f"external limit {limit_w:g} W"))
        return ctx
    contract = _contract(ctx, reading)
    if contract is not None:
        limit, label = contract
        hp = _need_house(ctx, "the contract limit")
        if hp is not None:
            ctx.power_caps.append(_PowerCap(limit - hp, R.CONTRACT, f"{label} = {limit:.0f} W, household {hp:.0f} W"))
        if rules.contract_per_phase and site.phases == 3:
            if ctx.house.per_phase_data:
                # a phase whose power is unknown gets no headroom from the per-phase limiter
                ctx.phase_contract_w = limit / 3.0
            else:
                # the per-phase limiter can only be checked with per-phase data; the total still holds
                warnings.append("per-phase contract limit not checked: the reading has no per-phase data")
    if dimming is not None:
        pmin = dimming.pmin_w or rules.dimming_pmin_w or RULES["DE"].dimming_pmin_w or 4200.0
        if dimming.mode == "direct":
            w = dimming.limit_w if dimming.limit_w is not None else pmin
            ctx.power_caps.append(_PowerCap(w, R.DIMMING, f"§14a direct control: charger limited to {w:g} W"))
        else:
            total = (dimming.limit_w if dimming.limit_w is not None
                     else dimming.devices * pmin * dimming.simultaneity_factor)
            hp = _need_house(ctx, "§14a EMS dimming")
            if hp is not None:
                ctx.power_caps.append(_PowerCap(
                    total - hp, R.DIMMING,
                    f"§14a EMS: grid import <= {total:g} W ({dimming.devices} x {pmin:g} W x "
                    f"{dimming.simultaneity_factor:g}), household {hp:.0f} W"))
    if capacity is not None:
        _capacity(ctx, capacity)
    if limit_w is not None:
        ctx.power_caps.append(_PowerCap(limit_w, R.EXTERNAL, f"external limit {limit_w:g} W"))
    return ctx


def _lines(site: Site, charger: Charger, n: int) -> tuple[int, ...]:
    """0-based grid lines a charger using ``n`` phases draws on."""
    if site.phases == 1:
        return (0,)
    g = charger.grid_phase
    if site.network == "IT":
        if n == 3:
            return (0, 1, 2)
        if isinstance(g, tuple):
            if len(g) == 2:
                return tuple(sorted(p - 1 for p in g))
            g = g[0]
        return tuple(sorted((g - 1, g % 3)))
    first = g[0] if isinstance(g, tuple) else g
    return tuple((first - 1 + k) % 3 for k in range(n))


@dataclass(slots=True)
class _Candidate:
    phases: int
    lines: tuple[int, ...]
    raw_a: float
    current_a: float
    power_w: float
    reasons: list[Reason]


def _evaluate(ctx: _Ctx, charger: Charger, n: int) -> _Candidate:
    site = ctx.site
    lines = _lines(site, charger, n)
    caps: list[Reason] = [Reason(R.CHARGER_MAX, f"charger / EV maximum {charger.max_current_a:g} A",
                                 charger.max_current_a)]
    fuse = site.fuse_limit_a
    if ctx.stale is not None:
        if site.failsafe_power_w is None:
            return _Candidate(n, lines, 0.0, 0.0, 0.0, [ctx.stale])
        if fuse is not None:
            caps.append(Reason(R.FUSE, f"fuse {fuse:g} A (household unknown)", fuse))
    else:
        for i in lines:
            h, src = ctx.house.currents_a[i], ctx.house.sources[i]
            if fuse is not None:
                if h is None:
                    caps.append(Reason(R.PHASE_UNKNOWN, f"L{i + 1} current not measured and not bounded: "
                                       "nothing may be added on it", 0.0, i + 1))
                elif src == "kirchhoff":
                    caps.append(Reason(R.PHASE_UNKNOWN, f"L{i + 1} not measured: Kirchhoff upper bound "
                                       f"{h:.1f} A, fuse {fuse:g} A", fuse - h, i + 1))
                else:
                    caps.append(Reason(R.FUSE, f"fuse {fuse:g} A on L{i + 1}, household {h:.1f} A",
                                       fuse - h, i + 1))
            if ctx.phase_contract_w is not None:
                p = ctx.house.power_l_w[i]
                if p is None:
                    caps.append(Reason(R.CONTRACT, f"per-phase contract limit {ctx.phase_contract_w:.0f} W on "
                                       f"L{i + 1}, household power unknown: nothing may be added", 0.0, i + 1))
                else:
                    caps.append(Reason(R.CONTRACT, f"per-phase contract limit {ctx.phase_contract_w:.0f} W on "
                                       f"L{i + 1}, household {p:.0f} W",
                                       (ctx.phase_contract_w - p) / site.nominal_voltage, i + 1))
        if n < 3 and site.phases == 3 and site.network != "IT":
            u = site.unbalance_limit_a if site.unbalance_limit_a is not None else ctx.rules.unbalance_limit_a
            if u is not None and math.isfinite(u):
                caps.append(Reason(R.UNBALANCE, f"unbalance limit {u:g} A for {n}-phase loads "
                                   f"({site.country or 'site'})", u))
    for pc in ctx.power_caps:
        a = watts_to_amps(pc.watts, n, site)
        caps.append(Reason(pc.code, f"{pc.message} -> {a:.2f} A on {n} phase(s)", a))
    # a NaN limit cannot happen with validated inputs; if it did, it would allow nothing
    raw = min(r.limit_a if not math.isnan(r.limit_a) else 0.0 for r in caps if r.limit_a is not None)
    limiting = [r for r in caps if r.code is not R.CHARGER_MAX and r.limit_a is not None
                and r.limit_a < charger.max_current_a - _EPS]
    limiting.sort(key=lambda r: r.limit_a or 0.0)  # stable (limit_a is never None here): ties keep the calculation order
    if not limiting:
        limiting.append(caps[0])
    if ctx.stale is not None:
        limiting.insert(0, ctx.stale)
    current = _floor(raw, charger.step_a)
    if current < charger.min_current_a - _EPS:
        if current > 0 or raw > 0:
            limiting.append(Reason(R.BELOW_MIN, f"{raw:.2f} A floors to {current:g} A, below the minimum "
                                   f"{charger.min_current_a:g} A", raw))
        else:
            limiting.append(Reason(R.BELOW_MIN, f"no headroom ({raw:.2f} A)", raw))
        current = 0.0
    return _Candidate(n, lines, raw, current, amps_to_watts(current, n, site), limiting)


def _candidates(site: Site, charger: Charger, phases: int | None) -> list[int]:
    top = min(charger.phases, site.phases)
    if site.network == "IT" and top == 2:
        top = 1  # two phases between three lines is not a defined load on IT: a line pair, as 1p
    if phases is not None:
        if phases not in (1, 2, 3):
            raise ValueError(f"phases must be 1, 2 or 3, got {phases!r}")
        n = min(phases, top)
        return [1 if site.network == "IT" and n == 2 else n]
    if charger.phase_switching and top > 1:
        return [top, 1]
    return [top]


def charge_limit(reading: Reading, site: Site, charger: Charger,
                 ev_currents_a: Sequence[float] = (0.0, 0.0, 0.0), now: _dt.datetime | None = None,
                 max_age_s: float = 60.0, *, phases: int | None = None, dimming: Dimming | None = None,
                 capacity: CapacityState | None = None, limit_w: float | None = None,
                 ev_power_w: float | None = None) -> ChargeLimit:
    """The current the charger may draw now, with every limiting factor.

    Args:
        reading: the grid meter reading (household plus charger).
        site, charger: the static description.
        ev_currents_a: the charger's own measured currents on grid phases L1, L2, L3 (subtracted).
        now: the evaluation time (default: now, UTC); naive datetimes are the site's local time;
            a number is POSIX seconds.
        max_age_s: older readings give 0 A with a ``stale`` reason (or ``Site.failsafe_power_w``).
            A reading without timestamp is taken as current (a warning says so).
        phases: evaluate only this phase count (default: the charger's; with phase switching the
            better of 1 and 3).
        dimming: an active EnWG §14a signal (:class:`Dimming`).
        capacity: the state a capacity tariff / netting rule needs (:class:`CapacityState`).
        limit_w: an external total power limit for the charger (OCPP composite schedule, EMS).
        ev_power_w: the charger's own power when measured (default: from ``ev_currents_a``).

    Raises:
        ValueError: inconsistent configuration (e.g. a capacity state for a country without a
            capacity rule). Bad measurements never raise: they limit conservatively.
    """
    ctx = _context(reading, site, ev_currents_a, now, max_age_s, ev_power_w, dimming, capacity, limit_w)
    cands = [_evaluate(ctx, charger, n) for n in _candidates(site, charger, phases)]
    best = cands[0]
    for c in cands[1:]:
        if c.power_w > best.power_w + _EPS:
            best = c
    reasons = list(best.reasons)
    for c in cands:
        if c is not best and c.current_a < best.current_a and best.current_a > 0:
            reasons.append(Reason(R.PHASES, f"{c.phases} phase(s) would allow {c.raw_a:.2f} A "
                                  f"({c.current_a:g} A after rounding and minimum)", c.raw_a))
    return ChargeLimit(
        current_a=best.current_a, phases=best.phases, power_w=round(best.power_w, 6),
        reasons=tuple(reasons), valid_until=ctx.valid_until,
        grid_phases=tuple(i + 1 for i in best.lines), household_a=ctx.house.currents_a,
        household_w=ctx.house.power_w, warnings=tuple(ctx.warnings))


def available_power(reading: Reading, site: Site, *, ev_currents_a: Sequence[float] = (0.0, 0.0, 0.0),
                    now: _dt.datetime | None = None, max_age_s: float = 60.0, dimming: Dimming | None = None,
                    capacity: CapacityState | None = None, limit_w: float | None = None,
                    ev_power_w: float | None = None) -> Headroom:
    """The headroom of the site in W (total) and A (per phase), before any charger is chosen.

    Same inputs as :func:`charge_limit` without the charger. Per-phase values come from the fuse
    (and Italy's per-phase contract on three-phase supplies); the total from every power rule and
    from what the fuses allow.
    """
    ctx = _context(reading, site, ev_currents_a, now, max_age_s, ev_power_w, dimming, capacity, limit_w)
    house_a = ctx.house.currents_a
    if ctx.stale is not None:
        return Headroom((0.0, 0.0, 0.0), 0.0, house_a, ctx.house.power_w, (ctx.stale,), ctx.valid_until, True)
    fuse = site.fuse_limit_a
    v = site.nominal_voltage
    per: list[float] = []
    reasons: list[Reason] = []
    for i in range(3):
        if i >= site.phases:
            per.append(0.0)
            continue
        a = math.inf
        h = house_a[i]
        if fuse is not None:
            a = 0.0 if h is None else fuse - h
            code = R.FUSE if ctx.house.sources[i] in ("current", "power", "total") else R.PHASE_UNKNOWN
            reasons.append(Reason(code, f"fuse {fuse:g} A on L{i + 1}, household "
                                  f"{'unknown' if h is None else f'{h:.1f} A'}", a, i + 1))
        if ctx.phase_contract_w is not None:
            p = ctx.house.power_l_w[i]
            pa = 0.0 if p is None else (ctx.phase_contract_w - p) / v
            if pa < a:
                a = pa
                reasons.append(Reason(R.CONTRACT, f"per-phase contract {ctx.phase_contract_w:.0f} W on L{i + 1}",
                                      pa, i + 1))
        per.append(a)
    power = math.inf
    caps = sorted(ctx.power_caps, key=lambda pc: pc.watts)
    for pc in caps:
        power = min(power, pc.watts)
    reasons = [Reason(pc.code, pc.message) for pc in caps] + reasons
    if any(math.isfinite(a) for a in per):
        pos = [max(a, 0.0) for a in per[: site.phases]]
        if site.network == "IT" and site.phases == 3:
            pair = max(min(pos[i], pos[j]) for i, j in ((0, 1), (1, 2), (0, 2)))
            fuse_w = max(_SQRT3 * v * min(pos), v * pair)
        else:
            fuse_w = v * sum(pos)
        power = min(power, fuse_w)
    return Headroom(tuple(per), power, house_a, ctx.house.power_w, tuple(reasons),  # type: ignore[arg-type]
                    ctx.valid_until, False)
