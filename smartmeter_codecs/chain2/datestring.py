"""DLMS-style date strings as Chain2Gate prints them: ``"16/01/2022 12:00:00 [7]"``.

Layout: ``DD/MM/YYYY[ hh:mm:ss] [d]``. The numbers are the fields of the DLMS/COSEM ``date`` and
``date-time`` types (IEC 62056-6-2, 4.1.6.1), printed in decimal, so their "not specified"
values appear literally: day ``255``, month ``255``, year ``65535``, hour/minute/second ``255``,
day of week ``255``. ``d`` is the DLMS day of week, 1 = Monday ... 7 = Sunday. DLMS also defines
day ``253``/``254`` (second last / last day of the month) and month ``253``/``254`` (end / begin
of daylight saving time); they are accepted and kept.

Real examples (rcremasco/rochouse ``chain2/websock.py`` @cf2d41e):
``"255/255/65535 [255]"`` (StartContract: not provided), ``"01/255/65535 [255]"`` (FreezingDay:
day 1 of every month), ``"16/01/2022 12:00:00 [7]"`` (16 Jan 2022 was a Sunday).

The meter clock is Italian local time (see :mod:`.localtime`), so a fully specified value
converts to an aware Europe/Rome datetime.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import FramingError
from .localtime import ROME

__all__ = ["DlmsDateTime", "NOT_SPECIFIED"]

#: DLMS "not specified" values per field (IEC 62056-6-2 date/time types).
NOT_SPECIFIED = {"day": 0xFF, "month": 0xFF, "year": 0xFFFF, "hour": 0xFF, "minute": 0xFF,
                 "second": 0xFF, "day_of_week": 0xFF}

# Allowed special values besides the ranges (DLMS: 0xFD/0xFE day = 2nd last/last day of month,
# 0xFD/0xFE month = DST end/begin).
_SPECIAL = {"day": {0xFD, 0xFE, 0xFF}, "month": {0xFD, 0xFE, 0xFF}, "year": {0xFFFF},
            "hour": {0xFF}, "minute": {0xFF}, "second": {0xFF}, "day_of_week": {0xFF}}
_RANGE = {"day": (1, 31), "month": (1, 12), "year": (0, 0xFFFE), "hour": (0, 23),
          "minute": (0, 59), "second": (0, 59), "day_of_week": (1, 7)}

_PATTERN = re.compile(
    r"\s*(?P<day>\d{1,3})/(?P<month>\d{1,3})/(?P<year>\d{1,5})"
    r"(?:\s+(?P<hour>\d{1,3}):(?P<minute>\d{1,3}):(?P<second>\d{1,3}))?"
    r"(?:\s*\[(?P<day_of_week>\d{1,3})\])?\s*", re.ASCII)


@dataclass(frozen=True, slots=True)
class DlmsDateTime:
    """One parsed date string. Fields hold the numbers as sent (255/65535 = not specified).

    ``hour``/``minute``/``second`` are ``None`` when the string has no time part;
    ``day_of_week`` is ``None`` when it has no ``[d]`` part.
    """

    day: int
    month: int
    year: int
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    day_of_week: int | None = None

    @classmethod
    def parse(cls, text: str, *, field: str = "date") -> "DlmsDateTime":
        """Parse ``text``; raises :class:`FramingError` naming ``field`` when it is malformed."""
        m = _PATTERN.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise FramingError("chain2-payload", None,
                               f"{field}: expected a DLMS date string 'DD/MM/YYYY[ hh:mm:ss] [d]', "
                               f"got {text!r}")
        values = {k: (int(v) if v is not None else None) for k, v in m.groupdict().items()}
        for name, value in values.items():
            if value is None:
                continue
            lo, hi = _RANGE[name]
            if not (lo <= value <= hi or value in _SPECIAL[name]):
                raise FramingError("chain2-payload", None,
                                   f"{field}: {name} {value} out of range {lo}..{hi} "
                                   f"(or a DLMS special value) in {text!r}")
        return cls(**values)  # type: ignore[arg-type]

    def __str__(self) -> str:
        """The canonical Chain2Gate spelling (zero-padded, as in the real samples)."""
        out = f"{self.day:02d}/{self.month:02d}/{self.year:04d}"
        if self.hour is not None:
            out += f" {self.hour:02d}:{self.minute or 0:02d}:{self.second or 0:02d}"
        if self.day_of_week is not None:
            out += f" [{self.day_of_week}]"
        return out

    @property
    def wildcards(self) -> tuple[str, ...]:
        """Names of the fields that are "not specified" (or DLMS special values)."""
        out = []
        for name in ("day", "month", "year", "hour", "minute", "second", "day_of_week"):
            value = getattr(self, name)
            if value is not None and value in _SPECIAL[name]:
                out.append(name)
        return tuple(out)

    @property
    def is_complete(self) -> bool:
        """True when day, month and year (and the time, if present) are all specified."""
        return not (set(self.wildcards) - {"day_of_week"})

    def to_datetime(self) -> dt.datetime | None:
        """An aware Europe/Rome datetime (midnight when there is no time part), or ``None``
        when a date/time field is not specified or the date does not exist."""
        if not self.is_complete:
            return None
        try:
            return dt.datetime(self.year, self.month, self.day, self.hour or 0, self.minute or 0,
                               self.second or 0, tzinfo=ROME)
        except ValueError:  # e.g. 31/02: a valid DLMS pattern but no calendar date
            return None

    @property
    def day_of_week_consistent(self) -> bool | None:
        """Whether ``[d]`` agrees with the calendar (``None`` when it cannot be checked)."""
        when = self.to_datetime()
        if when is None or self.day_of_week in (None, 0xFF):
            return None
        return when.isoweekday() == self.day_of_week

    def to_json(self) -> dict[str, int | str | None]:
        """JSON-friendly components (``None`` = not specified) for Register.extra."""
        out: dict[str, int | str | None] = {"text": str(self)}
        for name in ("year", "month", "day", "hour", "minute", "second", "day_of_week"):
            value = getattr(self, name)
            out[name] = None if value is None or value == NOT_SPECIFIED[name] else value
        return out

    @classmethod
    def from_datetime(cls, when: dt.datetime, *, with_time: bool = True) -> "DlmsDateTime":
        """The date string of ``when`` as Italian local time (naive = already local)."""
        local = when.astimezone(ROME) if when.tzinfo is not None else when
        if with_time:
            return cls(local.day, local.month, local.year, local.hour, local.minute, local.second,
                       local.isoweekday())
        return cls(local.day, local.month, local.year, day_of_week=local.isoweekday())
