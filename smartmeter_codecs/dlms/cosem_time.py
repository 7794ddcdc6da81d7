"""COSEM date-time, date and time (Blue Book, IEC 62056-6-2 4.1.6.1).

date-time (12 bytes): year(2) month day day-of-week hour minute second hundredths
deviation(2, signed) clock-status. Every field has a "not specified" value (0xFF, year 0xFFFF,
deviation 0x8000).

Deviation: "the deviation of local time to UTC in minutes", defined so that
UTC = local time + deviation (Blue Book 4.1.6.1). Central European Time is sent as -60, CEST as
-120 (corpus: amshan asserts UTC+1 for -60). So the UTC offset of the local time is
``-deviation`` minutes. Peers got this wrong (docs/formats/dlms.md, amsreader#809).

Clock status bits (Blue Book 4.1.6.1): 0 invalid value, 1 doubtful value, 2 different clock
base, 3 invalid clock status, 7 daylight saving active; 0xFF = not specified.
"""
from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["CosemDateTime", "CosemDate", "CosemTime", "parse_datetime", "datetime_of", "build_datetime"]

NOT_SPECIFIED_DEVIATION = -0x8000


class CosemDateTime(NamedTuple):
    """The raw fields of a COSEM date-time, kept lossless; ``to_datetime()`` interprets them."""

    year: int | None
    month: int | None          # 1..12; 0xFD/0xFE (DST end/begin) kept as 253/254
    day: int | None            # 1..31; 0xFD/0xFE (2nd last/last day) kept as 253/254
    day_of_week: int | None    # 1 = Monday .. 7 = Sunday
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation: int | None      # minutes, UTC = local + deviation; None = not specified
    clock_status: int | None   # None = not specified (0xFF)

    @property
    def daylight_saving(self) -> bool | None:
        return None if self.clock_status is None else bool(self.clock_status & 0x80)

    @property
    def invalid(self) -> bool:
        """Clock status says the value is invalid (bit 0) or the status itself invalid (bit 3)."""
        return self.clock_status is not None and bool(self.clock_status & 0x09)

    def to_datetime(self) -> _dt.datetime | None:
        """A datetime, tz-aware when the deviation is specified; ``None`` when the date or
        time is incomplete (wildcards) or impossible."""
        if None in (self.year, self.month, self.day, self.hour, self.minute):
            return None
        if not (1 <= self.month <= 12 and 1 <= self.day <= 31):  # type: ignore[operator]
            return None
        tz = None
        if self.deviation is not None:
            # UTC offsets run from -12:00 to +14:00 (Kiribati), so deviation = -offset runs
            # from -840 to +720 minutes (the Blue Book's -720..+720 predates UTC+13/+14 zones).
            if not -840 <= self.deviation <= 720:
                return None
            tz = _zone(-self.deviation)
        try:
            return _dt.datetime(self.year, self.month, self.day, self.hour, self.minute,  # type: ignore[arg-type]
                                self.second or 0,
                                (self.hundredths or 0) * 10000 if (self.hundredths or 0) < 100 else 0,
                                tzinfo=tz)
        except ValueError:
            return None

    def __str__(self) -> str:
        dt = self.to_datetime()
        return dt.isoformat() if dt is not None else repr(self)


@dataclass(frozen=True, slots=True)
class CosemDate:
    year: int | None
    month: int | None
    day: int | None
    day_of_week: int | None

    def to_date(self) -> _dt.date | None:
        try:
            return _dt.date(self.year, self.month, self.day)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class CosemTime:
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None

    def to_time(self) -> _dt.time | None:
        try:
            return _dt.time(self.hour, self.minute, self.second or 0)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None


@functools.lru_cache(maxsize=128)
def _zone(minutes: int) -> _dt.timezone:
    """The fixed-offset zone of a deviation (a handful of values in practice; cached)."""
    return _dt.timezone(_dt.timedelta(minutes=minutes))


_new = tuple.__new__


def _ns(v: int, ns: int = 0xFF) -> int | None:
    return None if v == ns else v


def parse_date(b: bytes) -> CosemDate:
    year = (b[0] << 8) | b[1]
    return CosemDate(None if year == 0xFFFF else year, _ns(b[2]), _ns(b[3]), _ns(b[4]))


def parse_time(b: bytes) -> CosemTime:
    return CosemTime(_ns(b[0]), _ns(b[1]), _ns(b[2]), _ns(b[3]))


def parse_datetime(b: bytes) -> CosemDateTime:
    """Parse exactly 12 bytes (caller checks the length)."""
    year = (b[0] << 8) | b[1]
    dev = (b[9] << 8) | b[10]
    if dev >= 0x8000:
        dev -= 0x10000
    # every push carries one or two date-times: the fields inline rather than through _ns
    _, _, mo, d, wd, h, mi, s, hs, _, _, cs = b
    return _new(CosemDateTime, (
        None if year == 0xFFFF else year, None if mo == 0xFF else mo, None if d == 0xFF else d,
        None if wd == 0xFF else wd, None if h == 0xFF else h, None if mi == 0xFF else mi,
        None if s == 0xFF else s, None if hs == 0xFF else hs, None if dev == NOT_SPECIFIED_DEVIATION else dev,
        None if cs == 0xFF else cs))


def datetime_of(b: bytes) -> _dt.datetime | None:
    """``parse_datetime(b).to_datetime()`` without the CosemDateTime in between (a learned
    push template reads one date-time per push; issue 16): exactly 12 bytes."""
    y0, y1, mo, d, _, h, mi, s, hs, d0, d1, _ = b
    if (y0 == 0xFF and y1 == 0xFF) or h == 0xFF or mi == 0xFF or not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    dev = (d0 << 8) | d1
    try:
        if dev == 0x8000:               # deviation not specified: local time (no tzinfo keyword,
            return _dt.datetime((y0 << 8) | y1, mo, d, h, mi, 0 if s == 0xFF else s,   # 0.1 us less)
                                hs * 10000 if hs < 100 else 0)
        if dev >= 0x8000:
            dev -= 0x10000
        if not -840 <= dev <= 720:      # as CosemDateTime.to_datetime
            return None
        return _dt.datetime((y0 << 8) | y1, mo, d, h, mi, 0 if s == 0xFF else s,
                            hs * 10000 if hs < 100 else 0, tzinfo=_zone(-dev))
    except ValueError:
        return None


def build_datetime(value: _dt.datetime | CosemDateTime, *, clock_status: int | None = None) -> bytes:
    """12-byte COSEM date-time. A tz-aware datetime gets its deviation; naive -> 0x8000."""
    if isinstance(value, CosemDateTime):
        c = value
    else:
        dev = None
        if value.tzinfo is not None and value.utcoffset() is not None:
            dev = -int(value.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        c = CosemDateTime(value.year, value.month, value.day, value.isoweekday(), value.hour, value.minute,
                          value.second, value.microsecond // 10000, dev, clock_status)

    def v(x: int | None) -> int:
        return 0xFF if x is None else x

    year = 0xFFFF if c.year is None else c.year
    dev = 0x8000 if c.deviation is None else c.deviation & 0xFFFF
    return bytes((year >> 8, year & 0xFF, v(c.month), v(c.day), v(c.day_of_week), v(c.hour), v(c.minute),
                  v(c.second), v(c.hundredths), dev >> 8, dev & 0xFF, v(c.clock_status)))
