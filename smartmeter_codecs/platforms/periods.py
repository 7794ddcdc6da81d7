"""Tariff periods of interval series: Spanish 2.0TD energy periods P1/P2/P3 and the Italian
ARERA bands F1/F2/F3, and energy totals per period.

An interval belongs to the period in force at its *start* in local time (the hourly and
quarter-hourly intervals of the platforms never straddle a period boundary, which fall on
full hours; the one exception, a 2-hour row for the merged autumn DST hour, lies at night
in P3 / F3 anyway).

* Spain, 2.0TD (CNMC Circular 3/2020, art. 7 and annex): Monday-Friday P1 (punta) 10-14 and
  18-22, P2 (llano) 08-10, 14-18 and 22-24, P3 (valle) 00-08; Saturdays, Sundays and national
  fixed-date holidays P3 all day (:func:`smartmeter_codecs.charging.calendars.es_holidays`).
  Peninsula and Balearic times; Canary Islands use their own local time (same hours).
* Italy: ARERA 181/06 bands, :func:`smartmeter_codecs.chain2.tariff.tariff_band`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable

from ..model import Reading
from ._time import zone

__all__ = ["es_energy_period", "it_band", "totals_by_period"]


def es_energy_period(local: dt.datetime, extra_holidays: Collection[dt.date] = ()) -> str:
    """The 2.0TD energy period (``"P1"``, ``"P2"`` or ``"P3"``) at Spanish wall-clock ``local``
    (an aware datetime is converted to Europe/Madrid first)."""
    from ..charging.calendars import es_holidays
    if local.tzinfo is not None:
        local = local.astimezone(zone("Europe/Madrid"))
    day = local.date()
    if local.weekday() >= 5 or day in es_holidays(day.year) or day in extra_holidays:
        return "P3"
    h = local.hour
    if h < 8:
        return "P3"
    if 10 <= h < 14 or 18 <= h < 22:
        return "P1"
    return "P2"


def it_band(local: dt.datetime) -> str:
    """The ARERA band (``"F1"``, ``"F2"``, ``"F3"``) at ``local`` (aware: converted to Rome time)."""
    from ..chain2.tariff import tariff_band
    return str(tariff_band(local))


def totals_by_period(readings: Iterable[Reading], period: Callable[[dt.datetime], str],
                     field: str = "active_energy_import_delta") -> dict[str, float]:
    """Energy (Wh) per period name, each interval counted in the period of its start;
    Readings without the value (quality "missing") are left out and counted under
    ``"missing"`` (number of intervals), so a total is never silently short."""
    out: dict[str, float] = {}
    for r in readings:
        value = getattr(r, field)
        if r.timestamp is None or r.interval is None:
            continue
        if value is None:
            out["missing"] = out.get("missing", 0) + 1
            continue
        name = period(r.timestamp - r.interval)
        out[name] = out.get(name, 0.0) + value
    return out
