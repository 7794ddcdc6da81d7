"""Italian legal time (Europe/Rome) for meter-local dates and the tariff calendar.

The Open Meter keeps local time: its day/month closures land on Europe/Rome midnight (the real
CF5/CF10 samples carry ``MeasurePosixTimestamp`` values that are exactly 00:00 or 23:59:59
Europe/Rome), and ARERA 181/06 bands are defined in local clock hours.

``ROME`` is ``zoneinfo.ZoneInfo("Europe/Rome")`` when the system has a tz database; otherwise a
fixed-rule zone that applies the EU summer-time rule (Directive 2000/84/EC: CEST from the last
Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, CET = UTC+1 otherwise), which
is what Italy has applied since 1996. The fallback exists so that decoding never depends on the
optional ``tzdata`` package (Windows has no system tz database).
"""
from __future__ import annotations

import datetime as dt

__all__ = ["ROME", "EuRomeTime", "to_local", "local_to_utc"]

_CET = dt.timedelta(hours=1)
_CEST = dt.timedelta(hours=2)
_HOUR = dt.timedelta(hours=1)


def _last_sunday(year: int, month: int) -> dt.date:
    # the last day of the month, stepped back to a Sunday (weekday() == 6)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _dst_window_utc(year: int) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (UTC, naive) of summer time in ``year`` (EU rule: 01:00 UTC both ends)."""
    start = dt.datetime.combine(_last_sunday(year, 3), dt.time(1))
    end = dt.datetime.combine(_last_sunday(year, 10), dt.time(1))
    return start, end


class EuRomeTime(dt.tzinfo):
    """CET/CEST by the EU rule, with PEP 495 ``fold`` support (fallback for ``ROME``)."""

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        if when is None:
            return _CET
        naive = when.replace(tzinfo=None)
        start, end = _dst_window_utc(naive.year)
        # local wall-clock boundaries: the spring gap is [02:00, 03:00), the autumn
        # repetition is [02:00, 03:00) where fold=0 is the first (summer) pass.
        start_local = start + _CET          # 02:00 local standard time
        end_local = end + _CEST             # 03:00 local summer time
        if start_local <= naive < start_local + _HOUR:
            # non-existent hour: PEP 495 maps fold=0 with the offset before the transition
            return _CET if when.fold == 0 else _CEST
        if end_local - _HOUR <= naive < end_local:
            return _CEST if when.fold == 0 else _CET
        return _CEST if start_local + _HOUR <= naive < end_local - _HOUR else _CET

    def dst(self, when: dt.datetime | None) -> dt.timedelta:
        return self.utcoffset(when) - _CET

    def tzname(self, when: dt.datetime | None) -> str:
        return "CEST" if self.dst(when) else "CET"

    def fromutc(self, when: dt.datetime) -> dt.datetime:
        if when.tzinfo is not self:
            raise ValueError("fromutc: dt.tzinfo is not self")
        naive = when.replace(tzinfo=None)
        start, end = _dst_window_utc(naive.year)
        if start <= naive < end:
            local = naive + _CEST
            fold = 0
        else:
            local = naive + _CET
            # the repeated autumn hour, second pass (standard time) gets fold=1
            fold = 1 if end <= naive < end + _HOUR else 0
        return local.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return "EuRomeTime()"


def _rome() -> dt.tzinfo:
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    except ImportError:  # pragma: no cover - zoneinfo is stdlib since 3.9
        return EuRomeTime()
    try:
        return ZoneInfo("Europe/Rome")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return EuRomeTime()


ROME: dt.tzinfo = _rome()


def to_local(when: dt.datetime) -> dt.datetime:
    """``when`` as Italian wall-clock time (aware). Naive input is taken to be Italian local time."""
    if when.tzinfo is None or when.utcoffset() is None:
        return when.replace(tzinfo=ROME)
    return when.astimezone(ROME)


def local_to_utc(naive_local: dt.datetime) -> dt.datetime:
    """An Italian wall-clock time (naive) as an aware UTC datetime."""
    return naive_local.replace(tzinfo=ROME).astimezone(dt.timezone.utc)
