"""Household (non-EV) load per phase from a Reading, signed and conservatively bounded.

Rules (docs/charging.md, household measurement):

* A measured phase current wins over power / voltage: household power factors of 0.8-0.95 make
  ``P / V`` underestimate the current (scenario 32).
* Currents are made signed from the per-phase powers when the meter reports magnitudes (evcc
  ``SignFromPower``): a phase that exports more than it imports carries a negative current.
* Without a current, a per-phase active power is turned into a current with the reading's power
  factor (or the one derived from total P and Q, or ``Site.fallback_power_factor``), never below
  :data:`~.inputs.PF_MIN`. The voltage is the one that gives the **larger** household current:
  for import the lower of measured and nominal, for export the higher (an export current is a
  credit). A measured voltage that is implausible or at most half the nominal one is ignored.
  Exported power uses PF 1, which gives the smallest export current: the conservative side.
* A measured import current is never taken below ``P / V`` of the same phase (``|P| <= V * I``
  always holds; a current that contradicts it is a scaler error, and the larger value wins).
* Quantities outside their plausible range count as not measured, or as unknown where "not
  measured" would free headroom (:mod:`.inputs`).
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
from . import inputs
from .inputs import PF_MIN
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
        suspect: reading fields that were sent with an implausible value (:mod:`.inputs`).
        notes: what was ignored and why (implausible values), for the result's warnings.
        per_phase_data: the meter sent some per-phase current or power for the site's phases
            (plausible or not): per-phase limits then apply, and a phase without a usable value
            gets no headroom from them.
    """

    currents_a: tuple[float | None, float | None, float | None]
    sources: tuple[str, str, str]
    grid_power_w: float | None
    ev_power_w: float
    power_w: float | None
    power_l_w: tuple[float | None, float | None, float | None]
    suspect: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    per_phase_data: bool = False


_f = inputs.finite


def _pf(reading: Reading, site: Site) -> float:
    """The power factor for P -> I: measured, else from total P and Q, else the site's fallback.

    A measured value outside (0, 1] in magnitude (NaN, 4.556, 0: meters send 0 without load)
    is not used; a tiny one, or a derived one that underflows, is raised to ``PF_MIN``: the
    smaller factor gives the larger current, and ``PF_MIN`` keeps it finite.
    """
    pf = _f(reading.power_factor)
    if pf is not None and 0.0 < abs(pf) <= 1.0:
        return max(abs(pf), PF_MIN)
    p = _f(reading.active_power_import)
    qi, qe = _f(reading.reactive_power_import), _f(reading.reactive_power_export)
    if p is not None and p > 0 and (qi is not None or qe is not None):
        q = max(abs(qi or 0.0), abs(qe or 0.0))
        # 1 / hypot(1, q/p) == p / hypot(p, q), without underflow to 0 for tiny p
        return max(1.0 / math.hypot(1.0, q / p), PF_MIN)
    return site.fallback_power_factor


def _voltage(measured: float | None, site: Site, high: bool) -> float:
    """The voltage for a P <-> I conversion: nominal, or the measured one where it is more conservative.

    ``high=False`` (import P -> I) takes the lower of measured and nominal (a larger current),
    ``high=True`` (export P -> I, and V * I for an import power) the higher. A phase voltage at
    or below half the nominal value is a measurement artefact (openWB filters < 200 V because a
    Zoe shows 140 V on an idle phase) and is ignored, as are implausible ones (screened before).
    """
    nominal = site.nominal_voltage
    if measured is None or not measured > 0.5 * nominal:
        return nominal
    return max(measured, nominal) if high else min(measured, nominal)


def _net(imp: float | None, exp: float | None, unknown: bool = False) -> float | None:
    if unknown or (imp is None and exp is None):
        return None
    return (imp or 0.0) - (exp or 0.0)


def _to_current(p: float, v_measured: float | None, site: Site, pf: float) -> float:
    if p > 0:
        return p / (_voltage(v_measured, site, high=False) * pf)
    return p / _voltage(v_measured, site, high=True)


def measure(reading: Reading, site: Site, ev_currents_a: Sequence[float] = (0.0, 0.0, 0.0),
            ev_power_w: float | None = None) -> Household:
    """Split a reading into household currents and power (see the module docstring).

    Implausible values in the reading or in the EV measurements never raise (:mod:`.inputs`);
    a wrong number of ``ev_currents_a`` or a non-number does (``ValueError``).
    """
    ev, ev_notes = inputs.ev_currents(ev_currents_a)
    ev_power_w, p_notes = inputs.ev_power(ev_power_w)
    screened = inputs.screen(reading)
    r = screened.reading
    suspect = screened.suspect
    pf = _pf(r, site)
    it = site.network == "IT"
    currents = (_f(r.current_l1), _f(r.current_l2), _f(r.current_l3))
    volts = (_f(r.voltage_l1), _f(r.voltage_l2), _f(r.voltage_l3))
    p_imp = (_f(r.active_power_import_l1), _f(r.active_power_import_l2), _f(r.active_power_import_l3))
    p_exp = (_f(r.active_power_export_l1), _f(r.active_power_export_l2), _f(r.active_power_export_l3))
    p_phase = tuple(_net(i, e, f"active_power_import_l{n}" in suspect)
                    for n, (i, e) in enumerate(zip(p_imp, p_exp), start=1))
    total = _net(_f(r.active_power_import), _f(r.active_power_export), "active_power_import" in suspect)

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
            elif mag < 0 or p is None or p >= 0:
                # meter-signed negative currents stay; magnitudes take the sign of the phase power
                grid[i] = mag
                if p is not None and p > 0:
                    # |P| <= V * I: a current below P / V contradicts the power (a scaler error).
                    # The lower voltage gives the larger bound (a measured 318 V frees nothing).
                    grid[i] = max(mag, p / _voltage(volts[i], site, high=False))
            else:
                grid[i] = -mag
            src[i] = "current"
        elif p is not None and not it:
            grid[i], src[i] = _to_current(p, volts[i], site, pf), "power"
        elif site.phases == 1 and total is not None and not it:
            grid[i], src[i] = _to_current(total, volts[i], site, pf), "total"
        elif site.phases == 1 and it and total is not None:
            grid[i], src[i] = _to_current(total, None, site, pf), "total"
    if it and site.phases == 3:
        missing = [i for i in range(3) if grid[i] is None]
        if len(missing) == 1:
            a, b = (j for j in range(3) if j != missing[0])
            grid[missing[0]] = abs(grid[a]) + abs(grid[b])  # type: ignore[arg-type]
            src[missing[0]] = "kirchhoff"

    # per-phase grid power: measured, else estimated from the current. An import current gives
    # V * I with the higher voltage (the larger power); a negative current without a measured
    # power gives no export credit in W (|P| <= V * |I| only bounds it).
    est: list[float | None] = []
    for i in range(site.phases):
        g = grid[i]
        if p_phase[i] is not None:
            est.append(p_phase[i])
        elif g is None:
            est.append(None)
        elif it:
            est.append(site.nominal_voltage * abs(g))
        else:
            est.append(_voltage(volts[i], site, high=True) * g if g > 0 else 0.0)
    # grid net power: total registers, else the per-phase values. An implausible total import
    # makes it unknown: without it, "0 - export" would be an export credit nobody measured.
    grid_power: float | None = None
    if "active_power_import" in suspect:
        pass
    elif total is not None:
        grid_power = total
    elif all(p is not None for p in p_phase[: site.phases]):
        grid_power = sum(p_phase[: site.phases])  # type: ignore[arg-type]
    elif it and site.phases == 3 and all(g is not None for g in grid):
        # |P| <= V_ll * (|I1|+|I2|+|I3|) / sqrt(3) (equal for a balanced load)
        grid_power = site.nominal_voltage * sum(abs(g) for g in grid) / _SQRT3  # type: ignore[arg-type,misc]
    elif all(e is not None for e in est):
        grid_power = sum(est)  # type: ignore[arg-type]

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
        None if i >= site.phases or est[i] is None else est[i] - v_nom * ev[i]  # type: ignore[operator]
        for i in range(3))
    per_phase = any(
        getattr(reading, f"{q}_l{n}") is not None or f"{q}_l{n}" in suspect
        for n in range(1, site.phases + 1) for q in ("current", "active_power_import", "active_power_export"))
    return Household(currents_a=house, sources=tuple(src),  # type: ignore[arg-type]
                     grid_power_w=grid_power, ev_power_w=float(ev_power_w), power_w=house_p,
                     power_l_w=power_l, suspect=suspect,  # type: ignore[arg-type]
                     notes=screened.notes + ev_notes + p_notes, per_phase_data=per_phase)
