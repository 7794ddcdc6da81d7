"""Local wall-clock labels -> absolute instants, with DST done right.

All arithmetic is in UTC: ``zoneinfo`` datetimes compare and subtract by *wall* time within
one zone (a 25-hour day would look 24 hours long), so an instant is made aware, converted to
UTC at once, and only turned back into local time for display (:func:`local`, a fixed UTC
offset so the value compares and hashes unambiguously).
"""
from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import UnsupportedError

__all__ = ["UTC", "day_bounds", "day_hours", "exists", "is_ambiguous", "local", "resolve", "zone"]

UTC = dt.UTC


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone; a typed error (not ZoneInfoNotFoundError) when the machine has no tz
    database and the ``tzdata`` package is missing (install ``tzdata``, a dependency)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnsupportedError("time", None, f"time zone {name} is not available: install the 'tzdata' "
                               "package (the system has no IANA tz database)", {"zone": name}) from None


def _utc(naive: dt.datetime, tz: ZoneInfo, fold: int) -> dt.datetime:
    return naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)


def exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """False for a wall time skipped by the spring change (02:30 on the last Sunday of March)."""
    back = _utc(naive, tz, 0).astimezone(tz).replace(tzinfo=None)
    return back == naive


def is_ambiguous(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """True for a wall time that occurs twice (the repeated autumn hour)."""
    return _utc(naive, tz, 0) != _utc(naive, tz, 1) and exists(naive, tz)


def gap_start(naive: dt.datetime, tz: ZoneInfo) -> bool:
    """True when ``naive`` is exactly where the spring gap begins (02:00 in CET countries): a
    label some exports use for the instant of the change ("until 02:00")."""
    if exists(naive, tz):
        return False
    before = naive - dt.timedelta(seconds=1)
    return exists(before, tz)


def resolve(naive: dt.datetime, tz: ZoneInfo, fold: int = 0) -> dt.datetime | None:
    """The UTC instant of a wall time; ``fold`` picks the occurrence of a repeated time
    (0 = first = summer offset). None for a time inside the spring gap, except its first
    instant, which names the moment of the change (the pre-change offset reading)."""
    if not exists(naive, tz):
        return _utc(naive, tz, 0) if gap_start(naive, tz) else None
    return _utc(naive, tz, fold if is_ambiguous(naive, tz) else 0)


def local(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``instant`` in local time with a fixed UTC offset (e.g. +02:00), never ambiguous."""
    loc = instant.astimezone(tz)
    off = loc.utcoffset()
    assert off is not None
    return loc.replace(tzinfo=dt.timezone(off))


def day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants of local midnight at the start and end of ``day`` (23, 24 or 25 h apart)."""
    start = _utc(dt.datetime.combine(day, dt.time()), tz, 0)
    end = _utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz, 0)
    return start, end


def day_hours(day: dt.date, tz: ZoneInfo) -> float:
    a, b = day_bounds(day, tz)
    return (b - a).total_seconds() / 3600


def parse_iso(text: str) -> dt.datetime:
    """An ISO 8601 instant with ``Z`` or an offset (``2024-02-17T23:00:00Z``,
    ``2023-05-01T00:00:00.000+02:00``, ``+0200``); ValueError for a naive or bad one."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    if len(t) > 5 and t[-5] in "+-" and t[-4:].isdigit() and t[-3] != ":":
        t = t[:-2] + ":" + t[-2:]
    value = dt.datetime.fromisoformat(t)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)
