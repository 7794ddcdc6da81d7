"""Italian time-of-use bands F1/F2/F3 (ARERA delibera 181/06), for any instant.

The rule (docs/formats/chain2.md; ARERA 181/06 as quoted by acea.it, grupacq.energy,
emmeaservizinnovativi.it and the Hera 2012 document), in Italian local clock hours:

* **F1** (peak): Monday-Friday 08:00-19:00, except national holidays;
* **F2** (mid): Monday-Friday 07:00-08:00 and 19:00-23:00; Saturday 07:00-23:00; except holidays;
* **F3** (off-peak): Monday-Saturday 00:00-07:00 and 23:00-24:00; all of Sunday and of every
  national holiday.

National holidays: 1 Jan, 6 Jan, Easter Monday, 25 Apr, 1 May, 2 Jun, 15 Aug, 1 Nov, 8 Dec,
25 Dec, 26 Dec. Easter Monday is computed (Gregorian computus). One-off holidays are not
included: the 17 March 2011 holiday was *not* treated as F3 by meters (staffettaonline.com).

**4 October (San Francesco)**: Legge 8 ottobre 2025 n. 151 makes it a national holiday from
2026. No ARERA statement says whether the F3 calendar includes it, so it is **not** included
by default; pass ``extra_holidays=[SAN_FRANCESCO]`` (every year) or ``[date(2026, 10, 4)]``
(one year) to count it. Prefer the meter's own ``TariffCode`` (CF1) when you have it: sellers
may configure custom bands on 2G meters.
"""
from __future__ import annotations

import datetime as dt
from typing import Collection, Literal

from ..holidays import IT_FIXED_HOLIDAYS, easter_sunday, italian_holidays
from .localtime import to_local

__all__ = ["tariff_band", "holidays", "is_holiday", "easter_sunday", "FIXED_HOLIDAYS", "SAN_FRANCESCO",
           "Band"]

Band = Literal["F1", "F2", "F3"]

#: (month, day) national holidays counted as F3 every year (ARERA 181/06 calendar).
FIXED_HOLIDAYS = IT_FIXED_HOLIDAYS
#: 4 October, national holiday from 2026 (L. 151/2025); F3 status unconfirmed: opt in.
SAN_FRANCESCO: tuple[int, int] = (10, 4)

# Band of each clock hour (index 0 = 00:00-01:00) by kind of day: the 181/06 table as data.
_WEEKDAY: tuple[Band, ...] = ("F3",) * 7 + ("F2",) + ("F1",) * 11 + ("F2",) * 4 + ("F3",)
_SATURDAY: tuple[Band, ...] = ("F3",) * 7 + ("F2",) * 16 + ("F3",)
_SUNDAY_OR_HOLIDAY: tuple[Band, ...] = ("F3",) * 24


def holidays(year: int, extra_holidays: Collection[dt.date | tuple[int, int]] = ()) -> frozenset[dt.date]:
    """The F3 holidays of ``year``: the fixed ones, Easter Monday, and ``extra_holidays``
    (``(month, day)`` = every year, a ``date`` = that day only)."""
    days = set(italian_holidays(year))
    for h in extra_holidays:
        if isinstance(h, dt.date):
            date = h.date() if isinstance(h, dt.datetime) else h
            if date.year == year:
                days.add(date)
        else:
            month, day = h
            try:
                days.add(dt.date(year, month, day))
            except ValueError:  # 29 Feb in a common year
                pass
    return frozenset(days)


def is_holiday(day: dt.date, extra_holidays: Collection[dt.date | tuple[int, int]] = ()) -> bool:
    """True when ``day`` is an F3 national holiday (see :func:`holidays`)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day in holidays(day.year, extra_holidays)


def tariff_band(when: dt.datetime | dt.date,
                extra_holidays: Collection[dt.date | tuple[int, int]] = ()) -> Band:
    """The ARERA 181/06 band (``"F1"``, ``"F2"`` or ``"F3"``) in force at ``when``.

    ``when`` is converted to Italian local time when it is timezone-aware; a naive datetime is
    taken to be Italian local time already. A bare ``date`` means its 00:00 (always F3).
    """
    if not isinstance(when, dt.datetime):
        if not isinstance(when, dt.date):
            raise TypeError(f"tariff_band needs a datetime or date, not {type(when).__name__}")
        when = dt.datetime.combine(when, dt.time())
    local = to_local(when)
    day = local.date()
    if local.isoweekday() == 7 or is_holiday(day, extra_holidays):
        table = _SUNDAY_OR_HOLIDAY
    elif local.isoweekday() == 6:
        table = _SATURDAY
    else:
        table = _WEEKDAY
    return table[local.hour]
