"""The three ways platforms label an interval in local wall time, turned into UTC bounds.

* **end labels** (Datadis ``time``, Datadis web CSV ``Hora`` ``HH:MM``): ``01:00`` ... ``24:00``
  name the *end* of the hour. Two conventions exist on DST days (docs/formats/platforms.md):

  - ``"hour-ending"`` (lenorix captures, 2025/2026): the label is the start wall hour + 1;
    autumn repeats ``03:00``, spring omits ``03:00``;
  - ``"wall-clock-end"`` (the i-DE capture in EDDIE): the label is the wall clock at the end;
    spring omits ``02:00``, autumn repeats ``02:00`` or sends it once for both hours (merged).

  :func:`map_end_labels` tries both: the one under which no label names a skipped time or
  repeats an unambiguous time wins; on ordinary days they agree. When both fit (no DST day,
  or an autumn day with one row for the repeated hour), ``wall-clock-end`` is used: it is what
  the only real capture of a 24-row autumn day shows. A label that names the repeated time
  once, with its second occurrence absent, is read as one row covering both hours (interval
  2 h for hourly data), as that capture's doubled value shows.
* **ordinal hours** (CNMC/distributor CSV ``Hora`` 1..23/24/25; Portale Consumi ``ea1..ea100``):
  count intervals from local midnight in elapsed time: see :func:`ordinal`.
* **local start/end pairs** (Fluvius CSV, Eloverblik CSV): :func:`map_start_end`; repeated pairs
  are taken in order of appearance (first = summer offset), an until-time that lies before
  the from-time (Fluvius ``02:45 -> 02:00`` at the autumn change) is the other occurrence, and
  a summer-time repeated hour written ``02:00 -> 03:00`` (nominal wall labels) lasts the
  series' usual interval.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ._time import day_bounds, exists, gap_start, is_ambiguous, resolve

__all__ = ["CONVENTIONS", "EndLabel", "LabelError", "Mapped", "map_end_labels", "map_end_labels_by", "map_start_end", "ordinal"]

CONVENTIONS = ("hour-ending", "wall-clock-end")


class LabelError(Exception):
    """A label that cannot be placed (carries the index of the row and why)."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class EndLabel:
    """A date and an end label in minutes after its local midnight (``24:00`` = 1440)."""

    day: dt.date
    minutes: int


@dataclass(frozen=True, slots=True)
class Mapped:
    start: dt.datetime
    end: dt.datetime
    merged: bool = False


def _naive(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)


def _map(labels: Sequence[EndLabel], tz: ZoneInfo, length: dt.timedelta, convention: str) -> list[Mapped]:
    seen: Counter[dt.datetime] = Counter()
    out: list[Mapped] = []
    anchors = []
    for i, lab in enumerate(labels):
        wall = _naive(lab.day, lab.minutes)
        anchor = wall - length if convention == "hour-ending" else wall
        if not exists(anchor, tz) and not (convention == "wall-clock-end" and gap_start(anchor, tz)):
            raise LabelError(i, f"label names {anchor:%Y-%m-%d %H:%M}, a time skipped by the DST change "
                                f"(convention {convention})")
        occ = seen[anchor]
        seen[anchor] += 1
        amb = is_ambiguous(anchor, tz)
        if occ >= (2 if amb else 1):
            raise LabelError(i, f"label repeats {anchor:%Y-%m-%d %H:%M} (convention {convention}), which "
                                f"occurs {'twice' if amb else 'once'} that day")
        instant = resolve(anchor, tz, occ)
        assert instant is not None
        if convention == "hour-ending":
            out.append(Mapped(instant, instant + length))
        else:
            out.append(Mapped(instant - length, instant))
        anchors.append((anchor, amb))
    # one row for a repeated time whose second occurrence is absent: it covers both
    starts = {m.start for m in out}
    for i, (anchor, amb) in enumerate(anchors):
        if amb and seen[anchor] == 1:
            second = resolve(anchor, tz, 1)
            assert second is not None
            other = Mapped(second, second + length) if convention == "hour-ending" else Mapped(second - length, second)
            if other.start not in starts:
                m = out[i]
                out[i] = Mapped(min(m.start, other.start), max(m.end, other.end), merged=True)
    return out


def map_end_labels(labels: Sequence[EndLabel], tz: ZoneInfo, length: dt.timedelta,
                   convention: str | None = None) -> tuple[list[Mapped], str]:
    """UTC bounds for end labels and the convention used (see the module doc).

    Raises LabelError (index of the row) when no convention places every label."""
    if convention is not None:
        return _map(labels, tz, length, convention), convention
    errors = []
    for conv in ("wall-clock-end", "hour-ending"):
        try:
            return _map(labels, tz, length, conv), conv
        except LabelError as err:
            errors.append(err)
    raise max(errors, key=lambda e: e.index)


def map_end_labels_by(keys: Sequence[object], labels: Sequence[EndLabel], tz: ZoneInfo, length: dt.timedelta,
                      convention: str | None = None) -> list[tuple[Mapped, str]]:
    """:func:`map_end_labels` per series (``keys[i]``: the supply of label i; a body may hold
    several CUPS, each with its own repeated labels). LabelError carries the global index."""
    groups: dict[object, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out: list[tuple[Mapped, str] | None] = [None] * len(labels)
    for idx in groups.values():
        try:
            mapped, conv = map_end_labels([labels[i] for i in idx], tz, length, convention)
        except LabelError as err:
            raise LabelError(idx[err.index], err.message) from None
        for i, m in zip(idx, mapped):
            out[i] = (m, conv)
    return [x for x in out if x is not None]


def ordinal(day: dt.date, n: int, length: dt.timedelta, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Bounds of the ``n``-th interval (1-based) of a local day, counted in elapsed time from
    local midnight: hour 3 of 26/10/2025 is 02:00-03:00 CEST, hour 4 is 02:00-03:00 CET.
    ValueError when the day has fewer intervals (hour 25 on an ordinary day)."""
    start, end = day_bounds(day, tz)
    count = (end - start) // length
    if not 1 <= n <= count:
        raise ValueError(f"interval {n} does not exist on {day.isoformat()}: that day has {count} "
                         f"intervals of {int(length.total_seconds() // 60)} min")
    return start + (n - 1) * length, start + n * length


def map_start_end(pairs: Sequence[tuple[str, dt.datetime, dt.datetime]], tz: ZoneInfo,
                  nominal: Callable[[str], dt.timedelta | None]) -> list[Mapped]:
    """UTC bounds for local (series, from, until) wall-time pairs in source order.

    A repeated from-time takes the summer offset at its first appearance in its series and
    the winter offset at the second; an ambiguous until-time takes the occurrence that makes
    the interval last ``nominal(series)`` (else the shortest positive length).
    """
    seen: Counter[tuple[str, dt.datetime]] = Counter()
    out = []
    for i, (series, a, b) in enumerate(pairs):
        if not exists(a, tz) and not gap_start(a, tz):
            raise LabelError(i, f"from-time {a:%Y-%m-%d %H:%M} does not exist (skipped by the DST change)")
        occ = seen[(series, a)]
        seen[(series, a)] += 1
        amb = is_ambiguous(a, tz)
        if occ >= (2 if amb else 1):
            raise LabelError(i, f"from-time {a:%Y-%m-%d %H:%M} appears {occ + 1} times for {series}")
        start = resolve(a, tz, occ)
        assert start is not None
        if not exists(b, tz) and not gap_start(b, tz):
            raise LabelError(i, f"until-time {b:%Y-%m-%d %H:%M} does not exist (skipped by the DST change)")
        cands = [e for e in {resolve(b, tz, 0), resolve(b, tz, 1)} if e is not None and e > start]
        if not cands:
            raise LabelError(i, f"until-time {b:%Y-%m-%d %H:%M} is not after the from-time {a:%Y-%m-%d %H:%M}")
        want = nominal(series)
        exact = [e for e in cands if want is not None and e - start == want]
        if exact:
            end = exact[0]
        elif want is not None and want <= dt.timedelta(hours=1) and (amb or is_ambiguous(b, tz)):
            # the repeated hour written with nominal wall labels (summer 02:00 -> "03:00"):
            # the until label cannot be placed, the series' interval length can
            end = start + want
        else:
            end = min(cands)
        out.append(Mapped(start, end))
    return out
