"""ARERA 181/06 bands F1/F2/F3 with the national holiday calendar (Easter Monday computed)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from smartmeter_codecs.chain2 import SAN_FRANCESCO, easter_sunday, holidays, is_holiday, tariff_band
from smartmeter_codecs.chain2.localtime import ROME, EuRomeTime

UTC = dt.timezone.utc


# Easter Monday from published calendars (not from the algorithm under test)
@pytest.mark.parametrize("year,monday", [
    (2011, dt.date(2011, 4, 25)),   # coincides with Liberation Day
    (2016, dt.date(2016, 3, 28)),
    (2019, dt.date(2019, 4, 22)),
    (2022, dt.date(2022, 4, 18)),
    (2024, dt.date(2024, 4, 1)),
    (2025, dt.date(2025, 4, 21)),
    (2026, dt.date(2026, 4, 6)),
    (2027, dt.date(2027, 3, 29)),
    (2038, dt.date(2038, 4, 26)),   # latest possible Easter (25 Apr)
])
def test_easter_monday_is_f3(year, monday):
    assert easter_sunday(year) + dt.timedelta(days=1) == monday
    assert is_holiday(monday)
    assert tariff_band(dt.datetime.combine(monday, dt.time(10, 0))) == "F3"
    # the Tuesday after is an ordinary weekday
    tuesday = monday + dt.timedelta(days=1)
    assert tariff_band(dt.datetime.combine(tuesday, dt.time(10, 0))) == "F1"


@pytest.mark.parametrize("month,day", [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8),
                                       (12, 25), (12, 26)])
def test_fixed_national_holidays_are_f3_all_day(month, day):
    for year in (2023, 2024, 2025):
        d = dt.date(year, month, day)
        for hour in (0, 7, 8, 12, 18, 19, 22, 23):
            assert tariff_band(dt.datetime.combine(d, dt.time(hour, 30))) == "F3", (d, hour)


def test_weekday_boundaries():
    tue = dt.date(2024, 3, 12)
    cases = [((6, 59, 59), "F3"), ((7, 0), "F2"), ((7, 59, 59), "F2"), ((8, 0), "F1"), ((18, 59, 59), "F1"),
             ((19, 0), "F2"), ((22, 59, 59), "F2"), ((23, 0), "F3"), ((0, 0), "F3"), ((23, 59, 59), "F3")]
    for hms, band in cases:
        assert tariff_band(dt.datetime.combine(tue, dt.time(*hms))) == band, hms


def test_saturday_and_sunday():
    sat, sun = dt.date(2024, 3, 16), dt.date(2024, 3, 17)
    assert [tariff_band(dt.datetime.combine(sat, dt.time(h))) for h in (0, 6, 7, 8, 12, 19, 22, 23)] == \
        ["F3", "F3", "F2", "F2", "F2", "F2", "F2", "F3"]
    assert {tariff_band(dt.datetime.combine(sun, dt.time(h))) for h in range(24)} == {"F3"}


def test_counts_per_week_match_the_definition():
    # a holiday-free week: F1 = 5 x 11 h, F2 = 5 x 5 h + 16 h, F3 = the rest of 168 h
    monday = dt.datetime(2024, 3, 11)
    bands = [tariff_band(monday + dt.timedelta(hours=h)) for h in range(168)]
    assert bands.count("F1") == 55 and bands.count("F2") == 41 and bands.count("F3") == 72


def test_aware_datetimes_are_converted_to_italian_time():
    # 07:30 UTC on a winter Tuesday is 08:30 in Rome -> F1; in summer 07:30 UTC = 09:30 CEST
    assert tariff_band(dt.datetime(2024, 1, 9, 6, 30, tzinfo=UTC)) == "F2"   # 07:30 CET
    assert tariff_band(dt.datetime(2024, 1, 9, 7, 30, tzinfo=UTC)) == "F1"   # 08:30 CET
    assert tariff_band(dt.datetime(2024, 7, 9, 5, 30, tzinfo=UTC)) == "F2"   # 07:30 CEST
    assert tariff_band(dt.datetime(2024, 7, 9, 17, 30, tzinfo=UTC)) == "F2"  # 19:30 CEST
    # 23:30 UTC on Saturday 24 Feb is already Sunday 00:30 in Rome
    assert tariff_band(dt.datetime(2024, 2, 24, 21, 30, tzinfo=UTC)) == "F2"
    assert tariff_band(dt.datetime(2024, 2, 24, 23, 30, tzinfo=UTC)) == "F3"
    # New Year's Eve 23:30 UTC is 1 January in Rome (holiday)
    assert tariff_band(dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC)) == "F3"


def test_dst_switch_days():
    # last Sunday of March/October are Sundays anyway; the following Monday is normal
    assert tariff_band(dt.datetime(2024, 4, 1, 10)) == "F3"   # Easter Monday 2024
    assert tariff_band(dt.datetime(2024, 10, 28, 8, 0, tzinfo=ROME)) == "F1"


def test_a_date_means_its_midnight():
    assert tariff_band(dt.date(2024, 3, 12)) == "F3"
    with pytest.raises(TypeError):
        tariff_band("2024-03-12 10:00")  # type: ignore[arg-type]


def test_one_off_holiday_of_2011_was_not_f3():
    # 17 March 2011 (150 years of unity) was a holiday but meters did not treat it as F3
    assert tariff_band(dt.datetime(2011, 3, 17, 10)) == "F1"


def test_san_francesco_is_opt_in():
    oct4 = dt.datetime(2027, 10, 4, 10)  # a Monday
    assert tariff_band(oct4) == "F1"
    assert tariff_band(oct4, extra_holidays=[SAN_FRANCESCO]) == "F3"
    assert tariff_band(dt.datetime(2026, 10, 5, 10), extra_holidays=[SAN_FRANCESCO]) == "F1"
    # one-off dates count only in their year
    assert tariff_band(oct4, extra_holidays=[dt.date(2026, 10, 4)]) == "F1"
    assert dt.date(2027, 10, 4) in holidays(2027, [SAN_FRANCESCO])
    assert holidays(2023, [(2, 29)]) == holidays(2023)  # no 29 Feb in 2023: ignored


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1997, 1, 1), max_value=dt.datetime(2090, 12, 31)))
def test_band_rule_for_any_local_time(when):
    band = tariff_band(when)
    dow, hour = when.isoweekday(), when.hour
    if dow == 7 or is_holiday(when.date()):
        assert band == "F3"
    elif dow == 6:
        assert band == ("F2" if 7 <= hour < 23 else "F3")
    else:
        assert band == ("F1" if 8 <= hour < 19 else "F2" if 7 <= hour < 23 else "F3")


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1997, 1, 1), max_value=dt.datetime(2090, 12, 31)),
       st.sampled_from([0, 1]))
def test_fallback_zone_agrees_with_zoneinfo(when, fold):
    from zoneinfo import ZoneInfo
    zi, eu = ZoneInfo("Europe/Rome"), EuRomeTime()
    assert when.replace(tzinfo=eu, fold=fold).utcoffset() == when.replace(tzinfo=zi, fold=fold).utcoffset()
    u = when.replace(tzinfo=UTC)
    a, b = u.astimezone(zi), u.astimezone(eu)
    assert (a.replace(tzinfo=None), a.fold) == (b.replace(tzinfo=None), b.fold)
