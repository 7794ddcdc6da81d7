"""What the calculator takes from a Reading: plausible measurements only (issue 9 item 2, issue 10).

The calculator must not depend on the decoders' :func:`smartmeter_codecs.plausibility.screen`
(a Reading can be built by hand), so it applies the same ranges
(:data:`smartmeter_codecs.plausibility.RANGES`) to every field it reads. The rule is: **a
quantity outside its plausible range never makes the result less conservative than if the
meter had not sent it.** Concretely:

* an implausible value (NaN, infinity, a non-number, a negative magnitude, a value beyond what
  a household connection carries) is treated as **not measured**;
* where "not measured" has a default that frees headroom, a value the meter did send but that is
  implausible is treated as **unknown** instead: an implausible import power makes the net power
  unknown (and not ``0 - export``), an implausible ``available_power`` / ``contracted_power`` means
  the meter has a limiter whose value is unknown (no headroom, ``missing_data``);
* fields that a decoder already screened (set to ``None`` and named in ``quality`` as
  ``implausible: <field>=...``) are treated the same way, so both paths agree.

The per-quantity rules (which voltage, which power factor) live in :mod:`.household`; this
module only decides what is usable.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Reading
from ..plausibility import QUALITY_PREFIX, RANGES, is_plausible

__all__ = ["PF_MIN", "USED_FIELDS", "Inputs", "ev_currents", "ev_power", "finite", "plausible", "screen"]

#: The smallest power factor used to turn active power into current. A smaller (or underflowed)
#: value is raised to this: P / (V * 0.1) is already 10x the active current, and a household
#: aggregate below 0.1 only occurs at loads so small that the current hardly matters.
PF_MIN = 0.1

#: Reading fields the calculator reads (frequency, energies and deltas are not used).
USED_FIELDS: tuple[str, ...] = (
    "active_power_import", "active_power_export", "reactive_power_import", "reactive_power_export",
    "active_power_import_l1", "active_power_import_l2", "active_power_import_l3",
    "active_power_export_l1", "active_power_export_l2", "active_power_export_l3",
    "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3",
    "power_factor", "contracted_power", "available_power",
)

#: Fields whose absence has a default that frees headroom (import 0, no contract limit): when the
#: meter sent them but they are implausible, they are unknown, not absent.
UNKNOWN_IF_SUSPECT: frozenset[str] = frozenset({
    "active_power_import", "active_power_import_l1", "active_power_import_l2", "active_power_import_l3",
    "contracted_power", "available_power",
})

_SCREENED = re.compile(re.escape(QUALITY_PREFIX) + r": (\w+)=")
_I_MAX = RANGES["current_l1"].high           # 500 A: the plausible current range
_P_MAX = RANGES["active_power_import"].high  # 750 kW


@dataclass(frozen=True, slots=True)
class Inputs:
    """A reading reduced to what the calculator may use.

    Attributes:
        reading: the reading with every implausible used field set to ``None``.
        suspect: fields the meter sent with an implausible value (here or in a decoder's screen).
        notes: one warning per suspect field, for ``ChargeLimit.warnings``.
    """

    reading: Reading
    suspect: frozenset[str]
    notes: tuple[str, ...]


def plausible(name: str, value: object) -> bool:
    """:func:`~smartmeter_codecs.plausibility.is_plausible`, False for ints beyond the float range."""
    try:
        return is_plausible(name, value)
    except OverflowError:  # an int beyond the float range (plausibility.is_plausible converts)
        return False


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)[:40]


def screen(reading: Reading) -> Inputs:
    """Set implausible fields to ``None`` and say which (see the module docstring)."""
    bad: dict[str, object] = {}
    for name in USED_FIELDS:
        value = getattr(reading, name)
        if value is not None and not plausible(name, value):
            bad[name] = value
    notes = [f"ignored implausible {name}={_fmt(v)}{' ' + RANGES[name].unit if RANGES[name].unit else ''} "
             f"(plausible {RANGES[name].describe()})" for name, v in bad.items()]
    suspect = set(bad)
    quality = reading.quality
    if isinstance(quality, str) and QUALITY_PREFIX in quality:
        for name in _SCREENED.findall(quality):
            if name in USED_FIELDS and name not in suspect and getattr(reading, name) is None:
                suspect.add(name)
                notes.append(f"{name} was screened as implausible by the decoder")
    clean = reading.replace(**{name: None for name in bad}) if bad else reading
    return Inputs(clean, frozenset(suspect), tuple(notes))


def ev_currents(values: Sequence[object]) -> tuple[tuple[float, float, float], tuple[str, ...]]:
    """The charger's own currents as magnitudes; a non-finite or implausible one counts as 0 A.

    0 A is the conservative side: the EV current is subtracted from the grid current, so an
    unknown EV current leaves it in the household load. A wrong number of values is a
    programming error (``ValueError``).
    """
    if isinstance(values, (str, bytes)) or len(values) != 3:
        raise ValueError(f"ev_currents_a needs 3 values (grid L1, L2, L3), got {values!r}")
    out: list[float] = []
    notes: list[str] = []
    for i, x in enumerate(values):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise ValueError(f"ev_currents_a must be numbers, got {values!r}")
        try:
            v = abs(float(x))
        except OverflowError:  # an int beyond the float range
            v = math.inf
        if not v <= _I_MAX:  # NaN, inf and beyond the plausible range
            notes.append(f"ignored implausible EV current on L{i + 1} ({_fmt(x)} A): counted as 0 A")
            v = 0.0
        out.append(v)
    return (out[0], out[1], out[2]), tuple(notes)


def ev_power(value: object) -> tuple[float | None, tuple[str, ...]]:
    """The charger's measured power, or ``None`` (derived from the currents) when implausible."""
    if value is None:
        return None, ()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"ev_power_w must be a number, got {value!r}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond the float range
        v = math.inf
    if not 0.0 <= v <= _P_MAX:
        return None, (f"ignored implausible ev_power_w={_fmt(value)} W: derived from the EV currents",)
    return v, ()


def finite(x: object) -> float | None:
    """A finite float, or None (non-numbers, bools, NaN and infinities are not measured)."""
    if x is None or isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    try:
        v = float(x)
    except OverflowError:  # an int beyond the float range
        return None
    return v if math.isfinite(v) else None
