"""National calendars the charging rules need (pure functions of a local wall-clock time).

* Italy: band F3 as defined by ARERA delibera 181/06 (Mon-Sat 00-07 and 23-24, all day on Sundays
  and national holidays); it is the window of the ARERA 541/2020 extra night/holiday power.
  Implemented here on purpose (the charging package does not depend on the Chain 2 codec).
* Spain: the two power periods of the 2.0TD access tariff (CNMC Circular 3/2020): P1 on working
  days 08-24, P2 on working days 00-08 and all day on Saturdays, Sundays and national holidays.

Holiday tables are data; callers add regional or new holidays through ``Site.holidays``.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Collection

__all__ = ["easter_sunday", "es_holidays", "es_power_period", "is_it_f3", "it_holidays"]

# ARERA 181/06 national holidays counted as F3 (research/chain2.md §6.3). 4 October (Legge
# 151/2025, from 2026) is NOT included: no ARERA statement found; add it via Site.holidays.
_IT_FIXED: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26))
# CNMC Circular 3/2020: national holidays with a fixed date that cannot be moved, plus 6 January
# (Good Friday has no fixed date and is excluded) (research/calc.md §2.6).
_ES_FIXED: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25))


def easter_sunday(year: int) -> _dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


def it_holidays(year: int) -> frozenset[_dt.date]:
    """Italian national holidays that count as F3 (ARERA 181/06), including Easter Monday."""
    days = {_dt.date(year, m, d) for m, d in _IT_FIXED}
    days.add(easter_sunday(year) + _dt.timedelta(days=1))
    return frozenset(days)


def es_holidays(year: int) -> frozenset[_dt.date]:
    """Spanish national fixed-date holidays used by the 2.0TD periods (CNMC Circular 3/2020)."""
    return frozenset(_dt.date(year, m, d) for m, d in _ES_FIXED)


def is_it_f3(local: _dt.datetime, extra_holidays: Collection[_dt.date] = ()) -> bool:
    """True when ``local`` (Italian wall-clock time) is in band F3."""
    day = local.date()
    if local.weekday() == 6 or day in it_holidays(day.year) or day in extra_holidays:
        return True
    return local.hour < 7 or local.hour >= 23


def es_power_period(local: _dt.datetime, extra_holidays: Collection[_dt.date] = ()) -> str:
    """The 2.0TD power period (``"P1"`` or ``"P2"``) at ``local`` (Spanish wall-clock time)."""
    day = local.date()
    if local.weekday() >= 5 or day in es_holidays(day.year) or day in extra_holidays:
        return "P2"
    return "P2" if local.hour < 8 else "P1"
