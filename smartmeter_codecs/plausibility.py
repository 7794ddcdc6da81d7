"""Physical plausibility of the Reading's SI fields: the safety net behind every decoder.

A decoder that picks the wrong layout or scaler produces a number with a unit and a wrong
meaning (a voltage read as Wh, mA read as A). Such a value must never reach a wallbox
silently. :func:`screen` is applied to every Reading that :func:`smartmeter_codecs.decode`,
``decode_all`` and ``StreamDecoder`` return: a field outside its range is set to ``None``, the
register that carried it keeps the raw value, and ``quality`` names the field, the value and
the range (``"implausible: voltage_l1=2300 V (plausible 0 or 50..500 V)"``).

The ranges are wide on purpose: they catch wrong quantities (a 10x/1000x scaler, an energy
counter in a power field), not bad power quality. They are derived from a household
connection, see docs/robustness.md:

* voltage: 0 V (a dead or absent phase, which meters do report) or 50..500 V (IEC 60038 low
  voltage, 230/400 V systems with generous margins; 50 V is the issue-9 lower bound);
* current: |I| <= 500 A (the largest direct or CT-connected household supply is 3x250 A);
* active/reactive power per phase: 0..250 kW (500 V x 500 A); totals 0..750 kW (three phases);
  import and export fields are magnitudes, so negative values are implausible;
* energy registers: 0..1e13 Wh (a 10-digit kWh register);
* frequency: 40..70 Hz (50 and 60 Hz grids with wide margins);
* power factor: -1..1;
* contracted/available power: 0..750 kW;
* interval energy deltas: 0..750 kW over the interval (1e10 Wh when no interval is given).

NaN and infinities are never plausible. The module knows no wire format (model rule).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .model import Reading

__all__ = ["Range", "RANGES", "is_plausible", "implausible_fields", "screen", "QUALITY_PREFIX"]

QUALITY_PREFIX = "implausible"


@dataclass(frozen=True, slots=True)
class Range:
    """A closed plausible interval ``low..high`` in ``unit``; ``zero_ok`` also admits exactly 0."""

    low: float
    high: float
    unit: str
    zero_ok: bool = False

    def contains(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.zero_ok and value == 0:
            return True
        return self.low <= value <= self.high

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        zero = "0 or " if self.zero_ok else ""
        return f"{zero}{_num(self.low)}..{_num(self.high)}{unit}"


_V_MAX = 500.0
_I_MAX = 500.0
_P_PHASE = _V_MAX * _I_MAX          # 250 kW
_P_TOTAL = 3 * _P_PHASE             # 750 kW
_E_MAX = 1e13                       # Wh: a 10-digit kWh register

_VOLTAGE = Range(50.0, _V_MAX, "V", zero_ok=True)
_CURRENT = Range(-_I_MAX, _I_MAX, "A")
_P_L = Range(0.0, _P_PHASE, "W")
_P = Range(0.0, _P_TOTAL, "W")
_Q_L = Range(0.0, _P_PHASE, "var")
_Q = Range(0.0, _P_TOTAL, "var")
_E = Range(0.0, _E_MAX, "Wh")
_EQ = Range(0.0, _E_MAX, "varh")

#: Reading field name -> plausible range (documented in docs/robustness.md).
RANGES: Mapping[str, Range] = {
    "active_power_import": _P,
    "active_power_export": _P,
    "reactive_power_import": _Q,
    "reactive_power_export": _Q,
    "active_power_import_l1": _P_L,
    "active_power_import_l2": _P_L,
    "active_power_import_l3": _P_L,
    "active_power_export_l1": _P_L,
    "active_power_export_l2": _P_L,
    "active_power_export_l3": _P_L,
    "voltage_l1": _VOLTAGE,
    "voltage_l2": _VOLTAGE,
    "voltage_l3": _VOLTAGE,
    "current_l1": _CURRENT,
    "current_l2": _CURRENT,
    "current_l3": _CURRENT,
    "active_energy_import": _E,
    "active_energy_export": _E,
    "reactive_energy_import": _EQ,
    "reactive_energy_export": _EQ,
    "frequency": Range(40.0, 70.0, "Hz"),
    "power_factor": Range(-1.0, 1.0, ""),
    "contracted_power": _P,
    "available_power": _P,
    "active_energy_import_delta": Range(0.0, 1e10, "Wh"),
    "active_energy_export_delta": Range(0.0, 1e10, "Wh"),
}

_DELTAS = ("active_energy_import_delta", "active_energy_export_delta")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _range_for(reading: Reading, name: str) -> Range:
    rng = RANGES[name]
    if name in _DELTAS and reading.interval is not None:
        hours = reading.interval.total_seconds() / 3600.0
        if hours > 0:
            # the most a household connection can draw within the interval
            rng = Range(0.0, _P_TOTAL * hours, "Wh")
    return rng


def _inside(value: object, rng: Range) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return rng.contains(float(value))
    except OverflowError:   # an int beyond the float range is no physical quantity
        return False


def is_plausible(field: str, value: object) -> bool:
    """Whether ``value`` is plausible for the Reading field ``field`` (unknown fields: True).

    ``None`` is plausible (not measured); a non-number in a numeric field is not.
    """
    if value is None:
        return True
    bounds = _BOUNDS.get(field)
    if bounds is not None and type(value) in _NUMBER and bounds[0] <= value <= bounds[1]:  # type: ignore[operator]
        return True         # the common case: one comparison (see _FAST below)
    rng = RANGES.get(field)
    if rng is None:
        return True
    return _inside(value, rng)


# (field, low, high) for the fields whose range never depends on the Reading: a finite int or
# float inside [low, high] is plausible without the full check (every Reading of every decode
# passes here, so the common case is one comparison per set field; issue 16). Anything else
# (NaN, infinities, bools, zero_ok ranges, interval-dependent deltas) takes the full path.
_FAST = tuple((name, rng.low, rng.high) for name, rng in RANGES.items() if name not in _DELTAS)
_SLOW = tuple(name for name in RANGES if name in _DELTAS)
_FAST_VALUES = operator.attrgetter(*(name for name, _, _ in _FAST))
_BOUNDS = {name: (low, high) for name, low, high in _FAST}
_NUMBER = (int, float)


def plain_bounds(field: str) -> tuple[float, float] | None:
    """``(low, high)``: a finite number inside is plausible for ``field``; outside it, ask
    :func:`is_plausible`. None for a field whose range depends on the Reading (or has none)."""
    return _BOUNDS.get(field)


def _plain_check() -> Callable[[Reading], bool]:
    """``check(reading)``: True when every SI field is None or a number inside its plain range
    and no interval-dependent field is set, i.e. when implausible_fields has nothing to say.
    Written out once as straight-line code (every Reading of every decode passes here; the
    loop over the fields cost twice as much; issue 16). Only field names and the bounds (bound
    as names, not spelled) go into the source."""
    lines = ["def check(r):"]
    namespace: dict[str, Any] = {"NUMBER": _NUMBER}
    for i, (name, low, high) in enumerate(_FAST):
        namespace[f"L{i}"], namespace[f"H{i}"] = low, high
        lines.append(f"    v = r.{name}")
        # a zero_ok range (voltage: a dead or absent phase reads 0 V) admits 0 here too, so
        # a Reading with an unused phase still takes the one-pass path
        inside = f"(L{i} <= v <= H{i} or v == 0)" if RANGES[name].zero_ok else f"L{i} <= v <= H{i}"
        lines.append(f"    if v is not None and not (type(v) in NUMBER and {inside}):")
        lines.append("        return False")
    lines.append("    return " + " and ".join(f"r.{name} is None" for name in _SLOW))
    exec("\n".join(lines), namespace)  # noqa: S102 - field names; bounds bound as names
    check: Callable[[Reading], bool] = namespace["check"]
    return check


_all_plain = _plain_check()


def implausible_fields(reading: Reading) -> list[tuple[str, object, Range]]:
    """``(field, value, range)`` for every SI field of ``reading`` outside its range."""
    if _all_plain(reading):
        return []
    out = []
    for value, (name, low, high) in zip(_FAST_VALUES(reading), _FAST):
        if value is None or (type(value) in _NUMBER and low <= value <= high):
            continue        # NaN fails both comparisons, +-inf is outside any finite range
        rng = RANGES[name]
        if not _inside(value, rng):
            out.append((name, value, rng))
    for name in _SLOW:
        value = getattr(reading, name)
        if value is None:
            continue
        rng = _range_for(reading, name)
        if not _inside(value, rng):
            out.append((name, value, rng))
    return out


def screen(reading: Reading) -> Reading:
    """``reading`` with every implausible SI field set to ``None`` and named in ``quality``.

    Returns the same object when everything is plausible (the common case costs one pass).
    Registers are left as they are: they keep what the frame carried.
    """
    if _all_plain(reading):
        return reading      # the common case, without the call to implausible_fields
    bad = implausible_fields(reading)
    if not bad:
        return reading
    notes = "; ".join(
        f"{QUALITY_PREFIX}: {name}={_fmt(value)}{(' ' + rng.unit) if rng.unit else ''} "
        f"(plausible {rng.describe()})"
        for name, value, rng in bad)
    quality = f"{reading.quality}; {notes}" if reading.quality else notes
    return reading.replace(quality=quality, **{name: None for name, _, _ in bad})


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return _num(v) if math.isfinite(v) else str(v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
        digits = str(abs(v)) if abs(v) < 10**4000 else ""   # str() of a huger int is refused
        sign = "-" if v < 0 else ""
        return f"{sign}{digits[:7]}...({len(digits)} digits)" if digits else f"{sign}(int of {v.bit_length()} bits)"
    return repr(v)
