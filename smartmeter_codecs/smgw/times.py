"""Date and time strings of the SMGW HAN interfaces (Theben IF_GW_CON v1.4 chapter A-1.1).

The forms are XSD-like: ``YYYY-MM-DD``, ``hh:mm:ss`` and ``YYYY-MM-DDThh:mm:ss``, each
optionally followed by ``Z`` (UTC) or an offset ``+hh:mm``/``-hh:mm``; the spec's own examples
write the offset hour with one digit (``2019-01-07+1:00``), so one or two digits are accepted.
EMH CASA and TRuDI send the same datetime form with offsets. Fractional seconds are tolerated.

A value **without** ``Z`` or an offset is the gateway's local clock (the Theben example
``smgw-time`` ``2019-05-03T10:55:44``): it stays a *naive* datetime. No zone is guessed: the
gateway does not say which one it runs in.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .values import field_error

__all__ = ["parse_time", "parse_datetime", "format_time"]

_ZONE = r"(?P<zone>Z|[+-]\d{1,2}:\d{2})?"
_DATE = r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
_TIME = r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?"
_DATETIME_RE = re.compile(rf"{_DATE}[T ]{_TIME}{_ZONE}\Z")
_DATE_RE = re.compile(rf"{_DATE}{_ZONE}\Z")
_TIME_RE = re.compile(rf"{_TIME}{_ZONE}\Z")


def _zone(text: str | None, field: str) -> dt.tzinfo | None:
    if text is None:
        return None
    if text == "Z":
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    hours, minutes = (int(p) for p in text[1:].split(":"))
    if hours > 14 or minutes > 59:
        raise field_error(field, f"UTC offset {text} out of range (at most +-14:00)")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _clock(m: re.Match[str]) -> tuple[int, int, int, int]:
    frac = m.group("frac")
    micro = int((frac + "000000")[:6]) if frac else 0
    return int(m.group("h")), int(m.group("mi")), int(m.group("s")), micro


def parse_time(value: Any, field: str) -> dt.datetime | dt.date | dt.time:
    """Any A-1.1 form -> datetime, date or time; aware only when the text carries a zone.

    A date with a zone (``2019-01-07Z``) becomes an aware datetime at 00:00 of that zone, the
    only Python type that can hold both.
    """
    if not isinstance(value, str):
        raise field_error(field, f"expected a date/time string, got {type(value).__name__}")
    text = value.strip()
    try:
        m = _DATETIME_RE.match(text)
        if m:
            return dt.datetime(int(m.group("y")), int(m.group("mo")), int(m.group("d")), *_clock(m),
                               tzinfo=_zone(m.group("zone"), field))
        m = _DATE_RE.match(text)
        if m:
            day = dt.date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
            zone = _zone(m.group("zone"), field)
            return day if zone is None else dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        m = _TIME_RE.match(text)
        if m:
            return dt.time(*_clock(m), tzinfo=_zone(m.group("zone"), field))
    except ValueError as err:  # month 13, hour 25...
        raise field_error(field, f"invalid date/time {value!r}: {err}") from None
    raise field_error(field, f"expected YYYY-MM-DD, hh:mm:ss or YYYY-MM-DDThh:mm:ss "
                             f"(optionally Z or +hh:mm), got {value!r}")


def parse_datetime(value: Any, field: str) -> dt.datetime:
    """Like :func:`parse_time` but only the date-time form is accepted."""
    got = parse_time(value, field)
    if not isinstance(got, dt.datetime):
        raise field_error(field, f"expected a date and time (YYYY-MM-DDThh:mm:ss), got {value!r}")
    return got


def format_time(value: dt.datetime | dt.date | dt.time) -> str:
    """The A-1.1 text of a value: ``Z`` for UTC, ``+hh:mm`` for other offsets, nothing when naive."""
    if isinstance(value, dt.datetime) or isinstance(value, dt.time):
        text = value.replace(tzinfo=None).isoformat(timespec="seconds" if not value.microsecond else "microseconds")
        off = value.utcoffset()
    else:
        return value.isoformat()
    if off is None:
        return text
    if off == dt.timedelta(0):
        return text + "Z"
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
