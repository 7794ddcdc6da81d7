"""National calendars the charging rules need (pure functions of a local wall-clock time).

* Italy: band F3 as defined by ARERA delibera 181/06 (Mon-Sat 00-07 and 23-24, all day on Sundays
  and national holidays); it is the window of the ARERA 541/2020 extra night/holiday power.
  The holiday table is shared with the Chain 2 tariff bands (smartmeter_codecs.holidays).
* Spain: the two power periods of the 2.0TD access tariff (CNMC Circular 3/2020): P1 on working
  days 08-24, P2 on working days 00-08 and all day on Saturdays, Sundays and national holidays.

Holiday tables are data; callers add regional or new holidays through ``Site.holidays``.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Collection

from ..holidays import easter_sunday, italian_holidays

__all__ = ["easter_sunday", "es_holidays", "es_power_period", "is_it_f3", "it_holidays"]

# CNMC Circular 3/2020: national holidays with a fixed date that cannot be moved, plus 6 January
# (Good Friday has no fixed date and is excluded) (docs/charging.md).
_ES_FIXED: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25))


def it_holidays(year: int) -> frozenset[_dt.date]:
    """Italian national holidays that count as F3 (ARERA 181/06), including Easter Monday.

    The table lives in :mod:`smartmeter_codecs.holidays`, shared with the Chain 2 tariff bands;
    4 October is not included (add it through ``Site.holidays``)."""
    return italian_holidays(year)


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
