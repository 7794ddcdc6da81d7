"""Tariff periods on platform series (Spanish 2.0TD P1/P2/P3, Italian F1/F2/F3)."""
from __future__ import annotations

import datetime as dt
import json
import pathlib
from zoneinfo import ZoneInfo

import smartmeter_codecs as smc
from smartmeter_codecs.platforms.periods import es_energy_period, it_band, totals_by_period

MAD = ZoneInfo("Europe/Madrid")
FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "platforms" / "cloud.json"


def test_es_energy_periods_circular_3_2020():
    wed = dt.date(2025, 10, 22)
    at = {h: es_energy_period(dt.datetime.combine(wed, dt.time(h), MAD)) for h in range(24)}
    assert [h for h, p in at.items() if p == "P1"] == [10, 11, 12, 13, 18, 19, 20, 21]
    assert [h for h, p in at.items() if p == "P2"] == [8, 9, 14, 15, 16, 17, 22, 23]
    assert [h for h, p in at.items() if p == "P3"] == list(range(8))
    assert es_energy_period(dt.datetime(2025, 10, 25, 12, tzinfo=MAD)) == "P3"       # Saturday
    assert es_energy_period(dt.datetime(2025, 10, 13, 12)) == "P1"                  # naive = Spanish wall clock
    assert es_energy_period(dt.datetime(2025, 10, 12, 12, tzinfo=MAD)) == "P3"      # Sunday, national day
    assert es_energy_period(dt.datetime(2025, 12, 8, 11, tzinfo=MAD)) == "P3"       # Inmaculada (Monday)
    # an aware UTC time is converted first: 09:30Z in summer is 11:30 in Madrid
    assert es_energy_period(dt.datetime(2025, 7, 1, 9, 30, tzinfo=dt.UTC)) == "P1"


def test_totals_by_period_on_real_series():
    bodies = {e["id"]: e["body"] for e in json.loads(FIX.read_text())["entries"]}
    edis = smc.decode_all(bodies["it-edistribuzione-csv"])       # Sunday 01/09/2024: all F3
    assert totals_by_period(edis, it_band) == {"F3": 11613.0}
    dk = smc.decode_all(bodies["es-datadis-v2-consumption-edgecases"])
    t = totals_by_period(dk, es_energy_period)
    assert t == {"P3": 323.0 + 301.0 + 1500.0, "missing": 23}     # 1 January is a holiday; 23 hours without value
    assert it_band(dt.datetime(2024, 9, 2, 9, tzinfo=ZoneInfo("Europe/Rome"))) == "F1"
