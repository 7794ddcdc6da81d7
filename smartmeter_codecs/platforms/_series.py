"""Interval parts -> one Reading per interval, without duplicates and without silent gaps.

A platform row carries one quantity of one interval (Fluvius: one register per row; Datadis:
import and surplus in one row). Decoders turn rows into :class:`Part` values with absolute
UTC bounds; :func:`assemble` merges the parts of one interval into one Reading, refuses
overlapping intervals, and fills every hole between intervals of the same metering point with
a Reading whose quality is ``"missing"`` (docs/formats/platforms.md: a missing value is not
zero, a missing label is not a gap).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ..errors import FramingError
from ..model import Reading, Register
from ._time import local

__all__ = ["MAX_FILL", "QUALITY_RANK", "Part", "assemble", "worst"]

#: Normalised qualities, best first; an interval built from several parts gets the worst.
QUALITY_RANK = {"no consumption": 0, "measured": 1, "calculated": 2, "estimated": 3, "not validated": 4,
                "unknown": 5, "incomplete": 6, "missing": 7}
#: Most "missing" Readings one document may produce (a gap of ~3 years of quarter hours);
#: more means the labels are corrupt, not that data is missing.
MAX_FILL = 100_000
_STEP_FILL = dt.timedelta(days=1)   # longer holes: one "missing" Reading spanning the hole


def worst(qualities: Iterable[str]) -> str:
    qs = list(qualities)
    if not qs:
        return "unknown"
    return max(qs, key=lambda q: QUALITY_RANK.get(q, 5))


@dataclass(frozen=True, slots=True)
class Part:
    """One quantity of one interval as a platform row or point gave it.

    ``direction`` says which Reading field the energy adds to (``None``: a register only, e.g. a
    generation or reactive value whose meaning the export does not settle). ``wh`` is None when
    the source has no value (null, empty cell, quality "not available").
    """

    meter: str | None
    start: dt.datetime
    end: dt.datetime
    direction: str | None              # "import", "export" or None (a register only)
    wh: Decimal | None
    quality: str
    registers: tuple[Register, ...] = ()
    where: str = ""
    series: str = ""
    tariff: str | None = None


@dataclass(slots=True)
class _Slot:
    start: dt.datetime
    end: dt.datetime
    parts: list[Part] = field(default_factory=list)


def _sum(parts: list[Part], direction: str) -> tuple[float | None, bool]:
    chosen = [p for p in parts if p.direction == direction]
    if not chosen:
        return None, False
    if any(p.wh is None for p in chosen):
        return None, True
    return float(sum((p.wh for p in chosen if p.wh is not None), Decimal(0))), False


def assemble(parts: Iterable[Part], *, format: str, profile: str | None, tz: ZoneInfo, layer: str,
             fill_gaps: bool = True) -> list[Reading]:
    """One Reading per interval and metering point, in time order per metering point.

    Raises FramingError naming both sources when two different intervals overlap, or when
    the same quantity of one interval comes twice with different values.
    """
    by_meter: dict[str | None, dict[tuple[dt.datetime, dt.datetime], _Slot]] = {}
    for p in parts:
        if p.end <= p.start:
            raise FramingError(layer, None, f"{p.where}: interval ends ({p.end.isoformat()}) "
                                            f"before it starts ({p.start.isoformat()})")
        slots = by_meter.setdefault(p.meter, {})
        slot = slots.setdefault((p.start, p.end), _Slot(p.start, p.end))
        for q in slot.parts:
            if q.series == p.series:
                if q.wh == p.wh and q.quality == p.quality:
                    break          # the same row twice (exports repeat rows): one interval
                raise FramingError(layer, None, f"{p.where}: a second value for the interval "
                                                f"{p.start.isoformat()}..{p.end.isoformat()} (first at {q.where}); "
                                                "duplicate labels must differ in time")
        else:
            slot.parts.append(p)
    out: list[Reading] = []
    fills = 0      # over the whole document: many metering points must not multiply the bound
    for meter, slots in by_meter.items():
        ordered = sorted(slots.values(), key=lambda s: (s.start, s.end))
        base = Counter(s.end - s.start for s in ordered).most_common(1)[0][0] if ordered else None
        prev: _Slot | None = None
        for slot in ordered:
            if prev is not None:
                if slot.start < prev.end:
                    raise FramingError(layer, None, f"{slot.parts[0].where}: interval {slot.start.isoformat()}.."
                                                    f"{slot.end.isoformat()} overlaps {prev.start.isoformat()}.."
                                                    f"{prev.end.isoformat()} ({prev.parts[0].where})")
                if slot.start > prev.end and fill_gaps:
                    missing = _missing(prev.end, slot.start, base, meter, format, profile, tz)
                    fills += len(missing)
                    if fills > MAX_FILL:
                        raise FramingError(layer, None, f"{slot.parts[0].where}: more than {MAX_FILL} missing "
                                                        "intervals before this one: the time labels are corrupt")
                    out.extend(missing)
            out.append(_reading(slot, meter, format, profile, tz))
            prev = slot
    return out


def _missing(start: dt.datetime, end: dt.datetime, base: dt.timedelta | None, meter: str | None, format: str,
             profile: str | None, tz: ZoneInfo) -> list[Reading]:
    """Readings with quality "missing" covering [start, end): steps of the series' usual
    interval when it is at most one hour (fixed in UTC) and the hole at most a day long, else
    one Reading for the whole hole (so a few bytes of far-apart labels cannot make millions of
    Readings: found by fuzzing, 463 bytes of Fluvius CSV made 71,600)."""
    out: list[Reading] = []
    if (base is not None and base <= dt.timedelta(hours=1) and (end - start) % base == dt.timedelta(0)
            and end - start <= _STEP_FILL):
        t = start
        while t < end:
            if len(out) > MAX_FILL:
                break
            out.append(Reading(format=format, profile=profile, timestamp=local(t + base, tz), meter_id=meter,
                               interval=base, quality="missing"))
            t += base
        return out
    return [Reading(format=format, profile=profile, timestamp=local(end, tz), meter_id=meter,
                    interval=end - start, quality="missing")]


def _reading(slot: _Slot, meter: str | None, format: str, profile: str | None, tz: ZoneInfo) -> Reading:
    parts = slot.parts
    imp, imp_missing = _sum(parts, "import")
    exp, exp_missing = _sum(parts, "export")
    quality = worst(p.quality for p in parts)
    if quality == "no consumption" and any(p.quality != "no consumption" for p in parts):
        quality = worst(p.quality for p in parts if p.quality != "no consumption")
    if (imp_missing or exp_missing) and quality not in ("missing",):
        # some quantity of the interval has no value while another has one
        quality = "missing" if (imp is None and exp is None) else "incomplete"
    tariffs = {p.tariff for p in parts if p.tariff}
    regs: list[Register] = []
    for p in parts:
        regs.extend(p.registers)
    return Reading(format=format, profile=profile, timestamp=local(slot.end, tz), meter_id=meter,
                   interval=slot.end - slot.start, active_energy_import_delta=imp, active_energy_export_delta=exp,
                   quality=quality, tariff=tariffs.pop() if len(tariffs) == 1 else None, registers=tuple(regs))
