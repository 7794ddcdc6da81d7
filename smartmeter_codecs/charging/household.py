"""Household (non-EV) load per phase from a Reading, signed and conservatively bounded.

Rules (research/calc.md §3.2, §3.4, §5 step 2):

* A measured phase current wins over power / voltage: household power factors of 0.8-0.95 make
  ``P / V`` underestimate the current (scenario 32).
* Currents are made signed from the per-phase powers when the meter reports magnitudes (evcc
  ``SignFromPower``): a phase that exports more than it imports carries a negative current.
* Without a current, a per-phase active power is turned into a current with the reading's power
  factor (or the one derived from total P and Q, or ``Site.fallback_power_factor``) and the
  measured voltage (nominal when absent or implausible). Exported power uses PF 1, which gives the
  smallest export current: the conservative side.
* IT (3x230 V) three-wire meters do not report L2: Kirchhoff bounds ``|I2| <= |I1| + |I3|``; the
  upper bound is used. Line currents on IT networks are magnitudes (no export credit: a 3-wire
  meter's per-element powers do not sign a line). A phase that cannot be bounded is ``None``:
  nothing may be drawn on it.
* A single-phase site may fall back to the total power.
* Household = grid - the charger's own currents (``ev_currents_a``, per grid phase L1..L3).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Reading
from .site import Site

__all__ = ["Household", "measure"]

_SQRT3 = math.sqrt(3.0)


@dataclass(frozen=True, slots=True)
class Household:
    """The measured state of a site with the EV taken out.

    Attributes:
        currents_a: household current per grid phase (signed, import positive); ``None`` when
            the phase is neither measured nor bounded. Phases the site lacks are ``0.0``.
        sources: how each phase was obtained: ``"current"``, ``"power"``, ``"total"``,
            ``"kirchhoff"`` (upper bound), ``"absent"`` (no such phase) or ``"unknown"``.
        grid_power_w: net active power at the meter (import positive), ``None`` if unknown.
        ev_power_w: the charger's own power as subtracted.
        power_w: household net active power (grid - EV), ``None`` if unknown.
        power_l_w: household active power per phase where known (for per-phase contracts).
    """

    currents_a: tuple[float | None, float | None, float | None]
    sources: tuple[str, str, str]
    grid_power_w: float | None
    ev_power_w: float
    power_w: float | None
    power_l_w: tuple[float | None, float | None, float | None]


def _f(x: object) -> float | None:
    """A finite float, or None: NaN, infinities and non-numbers count as not measured."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _pf(reading: Reading, site: Site) -> float:
    pf = _f(reading.power_factor)
    if pf is not None and 0.0 < abs(pf) <= 1.0:
        return abs(pf)
    p = _f(reading.active_power_import)
    qi, qe = _f(reading.reactive_power_import), _f(reading.reactive_power_export)
    if p is not None and p > 0 and (qi is not None or qe is not None):
        return p / math.hypot(p, max(abs(qi or 0.0), abs(qe or 0.0)))
    return site.fallback_power_factor


def _voltage(measured: float | None, site: Site) -> float:
    # A phase voltage far below nominal is a measurement artefact (openWB filters < 200 V because
    # a Zoe shows 140 V on an idle phase); a lower voltage only makes P/V larger, so it is kept
    # down to half the nominal value.
    if measured is not None and measured > 0.5 * site.nominal_voltage:
        return float(measured)
    return site.nominal_voltage


def _net(imp: float | None, exp: float | None) -> float | None:
    if imp is None and exp is None:
        return None
    return (imp or 0.0) - (exp or 0.0)


def _to_current(p: float, v: float, pf: float) -> float:
    return p / (v * pf) if p > 0 else p / v


def measure(reading: Reading, site: Site, ev_currents_a: Sequence[float] = (0.0, 0.0, 0.0),
            ev_power_w: float | None = None) -> Household:
    """Split a reading into household currents and power (see the module docstring)."""
    if len(ev_currents_a) != 3:
        raise ValueError(f"ev_currents_a needs 3 values (grid L1, L2, L3), got {len(ev_currents_a)}")
    ev = tuple(abs(float(x)) for x in ev_currents_a)
    if not all(math.isfinite(x) for x in ev):
        raise ValueError(f"ev_currents_a must be finite numbers, got {tuple(ev_currents_a)!r}")
    if ev_power_w is not None and not math.isfinite(ev_power_w):
        raise ValueError(f"ev_power_w must be a finite number, got {ev_power_w!r}")
    pf = _pf(reading, site)
    it = site.network == "IT"
    r = reading
    currents = (_f(r.current_l1), _f(r.current_l2), _f(r.current_l3))
    volts = (_f(r.voltage_l1), _f(r.voltage_l2), _f(r.voltage_l3))
    p_imp = (_f(r.active_power_import_l1), _f(r.active_power_import_l2), _f(r.active_power_import_l3))
    p_exp = (_f(r.active_power_export_l1), _f(r.active_power_export_l2), _f(r.active_power_export_l3))
    p_phase = tuple(_net(i, e) for i, e in zip(p_imp, p_exp))
    total = _net(_f(r.active_power_import), _f(r.active_power_export))

    grid: list[float | None] = [None, None, None]
    src = ["unknown", "unknown", "unknown"]
    for i in range(3):
        if i >= site.phases:
            grid[i], src[i] = 0.0, "absent"
            continue
        cur, p = currents[i], p_phase[i]
        if p is None and site.phases == 1:
            p = total  # a single-phase site: the total power signs L1
        if cur is not None:
            mag = float(cur)
            if it:
                # 3-wire (Aron) meters: per-element powers do not sign a line current, and the
                # Kirchhoff bound works on magnitudes: no export credit on IT networks
                grid[i] = abs(mag)
            else:
                # meter-signed negative currents stay; magnitudes take the sign of the phase power
                grid[i] = mag if mag < 0 or p is None or p >= 0 else -mag
            src[i] = "current"
        elif p is not None and not it:
            grid[i], src[i] = _to_current(p, _voltage(volts[i], site), pf), "power"
        elif site.phases == 1 and total is not None and not it:
            grid[i], src[i] = _to_current(total, _voltage(volts[i], site), pf), "total"
        elif site.phases == 1 and it and total is not None:
            grid[i], src[i] = _to_current(total, site.nominal_voltage, pf), "total"
    if it and site.phases == 3:
        missing = [i for i in range(3) if grid[i] is None]
        if len(missing) == 1:
            a, b = (j for j in range(3) if j != missing[0])
            grid[missing[0]] = abs(grid[a]) + abs(grid[b])  # type: ignore[arg-type]
            src[missing[0]] = "kirchhoff"

    # grid net power: total registers, else per-phase powers, else V*I
    grid_power: float | None = total
    if grid_power is None and any(x is not None for x in p_phase[: site.phases]):
        grid_power = sum(x for x in p_phase[: site.phases] if x is not None)
        if any(x is None for x in p_phase[: site.phases]):
            grid_power = None
    if grid_power is None and all(g is not None for g in grid):
        if it and site.phases == 3:
            # |P| <= V_ll * (|I1|+|I2|+|I3|) / sqrt(3) (equal for a balanced load)
            grid_power = site.nominal_voltage * sum(g for g in grid) / _SQRT3  # type: ignore[misc]
        else:
            grid_power = sum(_voltage(volts[i], site) * g for i, g in enumerate(grid))  # type: ignore[misc]

    if ev_power_w is None:
        if it:
            # a 1-phase charger between two lines shows I on both: P = V_ll*I = V_ll*sum/2; for
            # 3 phases this underestimates (1.5 vs 1.73), which overestimates the household.
            ev_power_w = site.nominal_voltage * sum(ev) / 2.0
        else:
            ev_power_w = site.nominal_voltage * sum(ev[: site.phases])
    house = tuple(None if g is None else (g - ev[i] if src[i] != "absent" else 0.0)
                  for i, g in enumerate(grid))
    house_p = None if grid_power is None else grid_power - ev_power_w
    v_nom = site.nominal_voltage
    power_l = tuple(
        None if i >= site.phases else
        (p_phase[i] - v_nom * ev[i] if p_phase[i] is not None else
         (v_nom * house[i] if house[i] is not None else None))
        for i in range(3))
    return Household(currents_a=house, sources=tuple(src),  # type: ignore[arg-type]
                     grid_power_w=grid_power, ev_power_w=float(ev_power_w), power_w=house_p,
                     power_l_w=power_l)  # type: ignore[arg-type]
