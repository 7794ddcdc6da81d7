"""Public-holiday calendars shared by the codecs and the charging rules (no format knowledge).

* Easter by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
* Italy: the national holidays of the ARERA 181/06 F3 calendar (docs/formats/chain2.md).
  4 October (Legge 151/2025, national holiday from 2026) is *not* included: no ARERA
  statement says the F3 calendar counts it; callers opt in.
"""
from __future__ import annotations

import datetime as dt

__all__ = ["easter_sunday", "IT_FIXED_HOLIDAYS", "italian_holidays"]

#: (month, day) Italian national holidays counted as F3 every year (ARERA 181/06 calendar).
IT_FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26),
)


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def italian_holidays(year: int) -> frozenset[dt.date]:
    """Italian national holidays of ``year`` that count as F3, Easter Monday included."""
    days = {dt.date(year, m, d) for m, d in IT_FIXED_HOLIDAYS}
    days.add(easter_sunday(year) + dt.timedelta(days=1))
    return frozenset(days)
