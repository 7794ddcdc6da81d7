"""Platform decoders: typed errors naming line/column or JSON path; any input -> Readings or a
DecodeError; encode -> decode round trips over DST days of random years."""
from __future__ import annotations

import datetime as dt
import json
import pickle
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs._registry import get_codec
from smartmeter_codecs.model import Reading
from smartmeter_codecs.platforms import CODECS, CsvError, JsonPathError, PlatformError

UTC = dt.UTC
NAMES = [c.name for c in CODECS]


# ---- typed errors ---------------------------------------------------------------------------------

def test_csv_errors_name_line_column_and_offset():
    text = "CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\nES1;06/09/2015;1;0,267;R\nES1;06/09/2015;2;0,1x3;R\n"
    with pytest.raises(CsvError) as info:
        smc.decode_all(text)
    err = info.value
    assert (err.line, err.column, err.column_name) == (3, 4, "Consumo_kWh")
    assert text.encode()[err.offset:err.offset + 5] == b"0,1x3"
    assert "line 3, column 4 (Consumo_kWh)" in str(err) and "decimal" in str(err)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), back.line, back.column, str(back)) == (CsvError, 3, 4, str(err))


@pytest.mark.parametrize("text,line,col", [
    ("CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\nES1;31/02/2015;1;0,2;R\n", 2, 2),      # no such date
    ("CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\nES1;06/09/2015;x;0,2;R\n", 2, 3),
    ("Fra;Til;Målenavn;Volum;Enhet;Kvalitet\n2026-04-01T00:00:00;2026-04-01T01:00:00+02:00;KWH 60 Forbruk;1;kWh;Målt\n",
     2, 1),                                                                                 # no offset
    ("Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;Kvalitet;Type\n5713;01-05-2024 01:00:00;01-05-2024 02:00:00;"
     "0,1;MWH;Målt;Tidsserie\n", 2, 5),
    ("Van datum;Van tijdstip;Tot datum;Tot tijdstip;EAN;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus\n"
     "13-10-2021;6h45;13-10-2021;07:00:00;=\"1\";M;D;Afname Dag;0,1;kWh;Gevalideerd\n", 2, 2),
    ("Giorno;00:00-00:15\n\"01/09/2024\";\"0,1\";\"0,2\";\n", 2, 3),      # a value beyond the header
])
def test_malformed_rows_name_line_and_column(text, line, col):
    with pytest.raises(CsvError) as info:
        smc.decode_all(text)
    assert info.value.line == line and info.value.column == col
    assert info.value.offset is not None and 0 <= info.value.offset < len(text.encode())


def test_json_errors_name_the_path():
    body = json.dumps([{"cups": "ES1", "date": "2024/01/01", "time": "01:00", "consumptionKWh": "lots",
                        "obtainMethod": "Real"}])
    with pytest.raises(JsonPathError) as info:
        smc.decode_all(body)
    assert info.value.path == "[0].consumptionKWh"
    with pytest.raises(JsonPathError) as info:
        smc.decode_all(body.replace('"01:00"', '"25:00"').replace('"lots"', "1"))
    assert info.value.path == "[0].time"
    with pytest.raises(smc.IncompleteError) as info2:
        smc.decode_all(body[:40], format="datadis")
    assert info2.value.offset is not None and 30 <= info2.value.offset <= 40   # where the cut string starts


def test_platform_errors_pickle():
    err = PlatformError("eloverblik", None, "x", 30002, platform="eloverblik", text="t", http_status=400, retry_after=60)
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.text, back.http_status, back.retry_after, back.platform) == (30002, "t", 400, 60, "eloverblik")


def test_eloverblik_partial_failure_keeps_the_others():
    ok = json.loads(open_fixture("dk-eloverblik-timeseries-real"))
    ok["result"].append({"result": None, "success": False, "errorCode": 20008, "errorText": "MeteringPointNotFound",
                         "id": "571313174001765606", "stackTrace": None})
    with pytest.raises(PlatformError) as info:
        smc.decode_all(json.dumps(ok))
    assert info.value.code == 20008 and len(info.value.readings) == 24


def open_fixture(eid):
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "platforms" / "cloud.json"
    return next(e["body"] for e in json.loads(path.read_text())["entries"] if e["id"] == eid)


def test_datadis_blank_contract_row():
    body = json.dumps([{"cups": "", "distributor": "", "contractedPowerkW": [], "codeFare": ""}])
    with pytest.raises(PlatformError):
        smc.decode_all(body)


def test_unknown_profile_is_a_value_error():
    with pytest.raises(ValueError):
        smc.decode_all("[]", format="datadis", profile="nope")


# ---- any input ------------------------------------------------------------------------------------

def _decode_or_error(data, fmt):
    try:
        out = smc.decode_all(data, format=fmt)
    except smc.DecodeError:
        return
    assert isinstance(out, list) and all(isinstance(r, Reading) for r in out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.text(max_size=300))
def test_any_text_gives_readings_or_a_decode_error(fmt, text):
    _decode_or_error(text, fmt)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.binary(max_size=300))
def test_any_bytes_gives_readings_or_a_decode_error(fmt, data):
    _decode_or_error(data, fmt)


HEADERS = ["CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion", "Fra;Til;Målenavn;Volum;Enhet;Kvalitet",
           "Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;Kvalitet;Type",
           "Van datum;Van tijdstip;Tot datum;Tot tijdstip;EAN;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus",
           "Giorno;00:00-00:15;00:15-00:30", "pod;data_lettura;lettura_f1;ea1;ea2", "CUPS;FECHA-HORA;CONSUMO Wh"]
CELL = st.one_of(st.text(alphabet="0123456789,.:/- T+Z", max_size=25), st.sampled_from(
    ["01/01/2024", "24:00", "25", "0,5", "2024-10-27T02:00:00+02:00", "27-10-2024 02:00:00", "R", "Målt", ""]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADERS), st.lists(st.lists(CELL, min_size=1, max_size=12), max_size=6))
def test_csv_shaped_garbage_gives_readings_or_a_decode_error(header, rows):
    text = header + "\n" + "\n".join(";".join(r) for r in rows)
    _decode_or_error(text, None)


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=12),
                                 st.sampled_from(["2024/01/01", "24:00", "PT1H", "2024-02-17T23:00:00Z", "A04"])),
                       lambda ch: st.one_of(st.lists(ch, max_size=4), st.dictionaries(st.sampled_from(
                           ["cups", "date", "time", "consumptionKWh", "timeCurve", "result", "Period", "Point",
                            "position", "resolution", "timeInterval", "start", "end", "data", "headpoint", "ean",
                            "MarketEvaluationPoint", "readings", "initialSample", "sampleValues", "maxPower",
                            "contractedPowerkW", "success", "errorCode"]), ch, max_size=5)), max_leaves=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["datadis", "eloverblik", "fluvius-api", "mijnaansluiting", "edistribuzione-app"]), JSONISH)
def test_json_shaped_garbage_gives_readings_or_a_decode_error(fmt, doc):
    _decode_or_error(json.dumps(doc), fmt)


# ---- round trips over DST days of random years ----------------------------------------------------

def _last_sunday(year, month):
    d = dt.date(year, month, 31)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def _series(zone, day, step, values, meter, quality="measured"):
    tz = ZoneInfo(zone)
    a = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz).astimezone(UTC)
    b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=tz).astimezone(UTC)
    n = (b - a) // step
    out = []
    for i in range(n):
        end = (a + (i + 1) * step).astimezone(tz)
        off = end.utcoffset()
        out.append(Reading(format="x", timestamp=end.replace(tzinfo=dt.timezone(off)), meter_id=meter, interval=step,
                           active_energy_import_delta=float(values[i % len(values)]), quality=quality))
    return out


def _same(got, want):
    assert [(r.timestamp, r.interval, r.active_energy_import_delta, r.meter_id) for r in got] == \
        [(r.timestamp, r.interval, r.active_energy_import_delta, r.meter_id) for r in want]


WH = st.lists(st.integers(0, 5000).map(float), min_size=1, max_size=30)
YEAR = st.integers(1997, 2037)
MONTH = st.sampled_from([3, 10])

CASES = [  # format, zone, step, meter, encoder options
    ("datadis", "Europe/Madrid", dt.timedelta(hours=1), "ES0021000000000000XX", {"convention": "hour-ending"}),
    ("datadis", "Europe/Madrid", dt.timedelta(hours=1), "ES0021000000000000XX", {"convention": "wall-clock-end"}),
    ("datadis", "Europe/Madrid", dt.timedelta(minutes=15), "ES0021000000000000XX", {"envelope": True}),
    ("es-csv", "Europe/Madrid", dt.timedelta(hours=1), "ES00XXXXXXXXXXXXXXDB", {"layout": "cnmc"}),
    ("es-csv", "Europe/Madrid", dt.timedelta(hours=1), "ES00XXXXXXXXXXXXXXDB", {"layout": "datadis"}),
    ("eloverblik", "Europe/Copenhagen", dt.timedelta(hours=1), "571313174001765605", {}),
    ("eloverblik", "Europe/Copenhagen", dt.timedelta(minutes=15), "571313174001765605", {"resolution": "PT15M"}),
    ("eloverblik-csv", "Europe/Copenhagen", dt.timedelta(hours=1), "571313174001764929", {}),
    ("elhub-csv", "Europe/Oslo", dt.timedelta(hours=1), None, {}),
    ("portale-consumi-csv", "Europe/Rome", dt.timedelta(minutes=15), "IT001E00000000", {}),
    ("fluvius-csv", "Europe/Brussels", dt.timedelta(minutes=15), "541448000000000001", {}),
    ("fluvius-csv", "Europe/Brussels", dt.timedelta(minutes=15), "541448000000000001", {"language": "en"}),
    ("fluvius-api", "Europe/Brussels", dt.timedelta(minutes=15), "541440010000000001", {}),
]


@pytest.mark.parametrize("fmt,zone,step,meter,opts", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(year=YEAR, month=MONTH, values=WH)
def test_round_trip_over_dst_days(fmt, zone, step, meter, opts, year, month, values):
    day = _last_sunday(year, month)
    readings = _series(zone, day, step, values, meter)
    codec = get_codec(fmt)
    data = codec.encode_series(readings, **opts)
    got = smc.decode_all(data)
    assert {r.format for r in got} == {fmt}
    _same(got, readings)


@settings(max_examples=20, deadline=None)
@given(year=YEAR, month=st.sampled_from([1, 6, 11]), values=WH)
def test_edistribuzione_round_trip_ordinary_days(year, month, values):
    day = dt.date(year, month, 10)
    readings = _series("Europe/Rome", day, dt.timedelta(minutes=15), values, None)
    got = smc.decode_all(get_codec("edistribuzione-csv").encode_series(readings))
    _same(got, readings)


@settings(max_examples=20, deadline=None)
@given(year=YEAR, month=MONTH, values=WH)
def test_edistribuzione_app_round_trip_over_dst_days(year, month, values):
    day = _last_sunday(year, month)
    readings = _series("Europe/Rome", day, dt.timedelta(minutes=15), values, None)
    got = smc.decode_all(get_codec("edistribuzione-app").encode_series(readings))
    _same(got, readings)
    assert len(got) in (92, 100)


def test_datadis_reactive_and_distributor_bodies_are_unsupported():
    for body in ('{"reactiveEnergy": {"cups": "ES1", "energy": []}, "distributorError": []}',
                 '{"distExistenceUser": {"distributorCodes": ["2"]}, "distributorError": []}'):
        with pytest.raises(smc.UnsupportedError):
            smc.decode_all(body, format="datadis")


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.integers(0, 10**9), min_size=1, max_size=5))
def test_mijnaansluiting_round_trip(values):
    from smartmeter_codecs.model import Register
    from smartmeter_codecs.obis import ObisCode
    readings = [Reading(format="x", timestamp=dt.datetime(2023, 5, 1 + i, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                        meter_id="871690930000909597",
                        registers=(Register("1-0:1.8.1.255", Decimal(v), "Wh", ObisCode.parse("1-0:1.8.1.255")),
                                   Register("1-0:1.8.2.255", Decimal(v + 5), "Wh", ObisCode.parse("1-0:1.8.2.255"))))
                for i, v in enumerate(values)]
    got = smc.decode_all(get_codec("mijnaansluiting").encode_series(readings))
    assert [r.active_energy_import for r in got] == [float(2 * v + 5) for v in values]
    assert [r.timestamp for r in got] == [r.timestamp for r in readings]


def test_single_reading_encode_through_the_public_api():
    r = _series("Europe/Madrid", dt.date(2025, 10, 26), dt.timedelta(hours=1), [100.0], "ES1")[3]
    data = smc.encode(r, format="datadis")
    (back,) = smc.decode_all(data)
    assert back.timestamp == r.timestamp and back.active_energy_import_delta == 100.0
    with pytest.raises(ValueError):
        smc.encode(r, format="mijnaansluiting")     # a register body: no interval value to write


def test_dates_at_the_edge_of_the_calendar_are_typed_errors():
    body = '[{"cups":"E","date":"9999/12/31","time":"24:00","consumptionKWh":1,"obtainMethod":""}]'
    with pytest.raises(smc.UnsupportedError):
        smc.decode_all(body)
    assert isinstance(smc.inspect(body).error, smc.UnsupportedError)
    with pytest.raises(smc.DecodeError):
        smc.decode_all(body.replace("consumptionKWh", "maxPower").replace('"obtainMethod":""', '"period":"1"'))
    csv = "CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\nES1;31/12/9999;24;0,1;R\n"
    with pytest.raises(smc.DecodeError):
        smc.decode_all(csv)


def test_a_long_hole_is_one_missing_reading_not_thousands():
    # found by fuzzing: two rows two years apart expanded into ~71,600 quarter-hour Readings
    csv = ("From (date);From (time);Until (date);Until (time);EAN code;Meter;Meter type;Register;Volume;Unit;"
           "Validation status\n"
           "13/10/2021;06:45:00;13/10/2021;07:00:00;=\"541448800000000000\";1SAG1;Digital meter;Offtake Day;0,273;kWh;Read\n"
           "13/10/2021;07:15:00;13/10/2021;07:30:00;=\"541448800000000000\";1SAG1;Digital meter;Offtake Day;0,100;kWh;Read\n"
           "29/10/2023;02:30:00;29/10/2023;02:45:00;=\"541448800000000000\";1SAG1;Digital meter;Offtake Day;0,200;kWh;Read\n")
    rs = smc.decode_all(csv.encode(), format="fluvius-csv")
    missing = [r for r in rs if r.quality == "missing"]
    assert len(rs) == 5 and len(missing) == 2
    assert missing[0].interval == dt.timedelta(minutes=15)           # a short hole: the usual step
    assert missing[1].interval > dt.timedelta(days=700)              # a long hole: one Reading
    assert missing[1].active_energy_import_delta is None
