"""Every platform corpus entry (fixtures/platforms/cloud.json = shared/corpus/cloud.json)
decodes through the public API with the values its body and its 'meaning' state."""
from __future__ import annotations

import datetime as dt
import json
import pathlib
from decimal import Decimal

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.platforms import PlatformError, datadis, eloverblik

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "platforms" / "cloud.json"
ENTRIES = {e["id"]: e for e in json.loads(FIX.read_text())["entries"]}
UTC = dt.UTC


def body(eid: str) -> str:
    return ENTRIES[eid]["body"]


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def ends(readings):
    return [r.timestamp.astimezone(UTC) for r in readings]


def real(readings):
    return [r for r in readings if r.quality != "missing"]


def test_every_entry_is_copied_verbatim():
    shared = pathlib.Path("/work/shared/corpus/cloud.json")
    assert len(ENTRIES) == 27
    if shared.exists():      # the fixture copy must not drift from the shared corpus
        assert [e["id"] for e in json.loads(shared.read_text())] == list(ENTRIES)


# ---- what each entry must give ------------------------------------------------------------------

FORMATS = {
    "es-datadis-consumption-v1": "datadis", "es-datadis-consumption-dst-ide": "datadis",
    "es-datadis-supplies-v1": "datadis", "es-datadis-supplies-eddie": "datadis", "es-datadis-contract-v1": "datadis",
    "es-datadis-contract-eddie": "datadis", "es-datadis-maxpower-v1": "datadis",
    "es-datadis-v2-consumption-edgecases": "datadis", "es-csv-cnmc-hourly": "es-csv",
    "es-csv-datadis-web-new": "es-csv", "es-csv-ide-portal": "es-csv", "dk-eloverblik-timeseries-real": "eloverblik",
    "dk-eloverblik-meterreadings": "eloverblik", "dk-eloverblik-csv-export": "eloverblik-csv",
    "dk-eloverblik-details": "eloverblik", "no-elhub-minside-csv": "elhub-csv",
    "it-edistribuzione-csv": "edistribuzione-csv", "it-portaleconsumi-luce-header": "portale-consumi-csv",
    "it-edistribuzione-app-loadprofile": "edistribuzione-app", "be-fluvius-csv-en-dst": "fluvius-csv",
    "be-fluvius-csv-nl": "fluvius-csv", "be-fluvius-api-json": "fluvius-api", "nl-mijnaansluiting-json": "mijnaansluiting",
}
ERRORS = {  # entry -> (platform code, text the platform sent)
    "es-datadis-v2-distributor-error": (50, "Error interno distribuidora"),
    "es-datadis-401": (401, "No message available"),
    "dk-eloverblik-error-30002": (30002, "Period not allowed, ToDate is equal to FromDate."),
    "dk-eloverblik-error-20013": (20013, "No meteringpoints in request conforms to valid meteringpoint format."),
}


def test_the_table_covers_every_entry():
    assert set(FORMATS) | set(ERRORS) == set(ENTRIES)


@pytest.mark.parametrize("eid", sorted(FORMATS))
def test_autodetected_from_text_and_bytes(eid):
    for data in (body(eid), body(eid).encode("utf-8"), "\ufeff" + body(eid)):
        readings = smc.decode_all(data)
        assert {r.format for r in readings} <= {FORMATS[eid]}
        assert smc.decode_all(data, format=FORMATS[eid]) == readings
    if eid != "it-portaleconsumi-luce-header":
        assert readings


@pytest.mark.parametrize("eid", sorted(ERRORS))
def test_error_bodies_raise_platform_errors(eid):
    with pytest.raises(PlatformError) as info:
        smc.decode_all(body(eid))
    code, text = ERRORS[eid]
    assert info.value.code == code and info.value.text == text
    assert isinstance(info.value, smc.ApplicationError)


@pytest.mark.parametrize("eid", sorted(FORMATS))
def test_no_two_readings_for_one_interval_and_no_gap(eid):
    readings = smc.decode_all(body(eid))
    series: dict = {}
    for r in readings:
        if r.interval is not None:
            series.setdefault(r.meter_id, []).append(r)
    for rs in series.values():
        spans = sorted((r.timestamp - r.interval, r.timestamp) for r in rs)
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            assert b0 == a1, (eid, a1, b0)        # contiguous: holes are "missing" Readings
        for r in rs:
            assert r.timestamp.tzinfo is not None and r.timestamp.utcoffset() is not None


# ---- Datadis -------------------------------------------------------------------------------------

def test_datadis_consumption_v1():
    rs = smc.decode_all(body("es-datadis-consumption-v1"))
    assert ends(rs) == [utc("2023-12-01T00:00"), utc("2023-12-01T01:00"), utc("2023-12-01T02:00")]
    assert [r.active_energy_import_delta for r in rs] == [979.0, 939.0, 982.0]
    assert {r.meter_id for r in rs} == {"ES00210000XXXXXXXXXX"}
    assert {r.quality for r in rs} == {"unknown"}            # obtainMethod "" from i-DE
    assert {r.interval for r in rs} == {dt.timedelta(hours=1)}
    assert all(r.active_energy_export_delta is None for r in rs)   # surplusEnergyKWh null
    assert rs[0].register("consumptionKWh").value == Decimal("0.979")
    assert rs[0].register("consumptionKWh").extra["time"] == "01:00"


def test_datadis_ide_dst_days():
    rs = smc.decode_all(body("es-datadis-consumption-dst-ide"))
    by_end = {r.timestamp.astimezone(UTC): r for r in real(rs)}
    # autumn 2023-10-29 (Madrid: CEST until 01:00 UTC): 01:00 = 22:00-23:00Z; the single 02:00 row
    # carries the two hours of the repeated 02:00 label (2.566 kWh, double the neighbours)
    a = by_end[utc("2023-10-28T23:00")]
    assert a.active_energy_import_delta == 1274.0 and a.interval == dt.timedelta(hours=1)
    merged = by_end[utc("2023-10-29T01:00")]
    assert merged.active_energy_import_delta == 2566.0 and merged.interval == dt.timedelta(hours=2)
    assert merged.register("consumptionKWh").extra["merged"]
    assert by_end[utc("2023-10-29T02:00")].active_energy_import_delta == 1296.0   # 03:00 CET
    assert by_end[utc("2023-10-29T03:00")].active_energy_import_delta == 1266.0
    # spring 2024-03-31: 23 rows, label 02:00 absent; 03:00 CEST ends 01:00 UTC
    assert by_end[utc("2024-03-31T00:00")].active_energy_import_delta == 845.0
    assert by_end[utc("2024-03-31T01:00")].active_energy_import_delta == 836.0
    assert by_end[utc("2024-03-31T02:00")].active_energy_import_delta == 899.0
    autumn = sum(r.active_energy_import_delta for r in real(rs) if r.timestamp.date() == dt.date(2023, 10, 29))
    spring = sum(r.active_energy_import_delta for r in real(rs) if r.timestamp.date() == dt.date(2024, 3, 31))
    assert (autumn, spring) == (1274 + 2566 + 1296 + 1266, 845 + 836 + 899)
    assert len(real(rs)) == 7      # the rows the capture holds; everything between is "missing"
    assert all(r.active_energy_import_delta is None for r in rs if r.quality == "missing")


def test_datadis_v2_edge_cases():
    rs = smc.decode_all(body("es-datadis-v2-consumption-edgecases"))
    assert len(rs) == 26      # 2026-01-01 01:00 .. 2026-01-02 02:00: 26 hours, none twice
    by_end = {r.timestamp.astimezone(UTC): r for r in rs}
    first = by_end[utc("2026-01-01T00:00")]
    assert first.active_energy_import_delta == 323.0 and first.active_energy_export_delta == 0.0
    assert first.quality == "measured"
    h24 = by_end[utc("2026-01-01T23:00")]        # "24:00" of 01/01 ends at local midnight of 02/01
    assert h24.active_energy_import_delta == 1500.0 and h24.quality == "estimated"
    assert h24.timestamp.isoformat() == "2026-01-02T00:00:00+01:00"
    for hour in (utc("2026-01-02T00:00"), utc("2026-01-02T01:00")):   # null and absent consumptionKWh
        assert by_end[hour].quality == "missing" and by_end[hour].active_energy_import_delta is None
    gaps = [r for r in rs if r.timestamp.date() == dt.date(2026, 1, 1) and r.quality == "missing"]
    assert len(gaps) == 21     # 03:00 .. 23:00 are not in the body


def test_datadis_supplies():
    for eid, cups, code, pt in (("es-datadis-supplies-v1", "ES0000000000000000AA0A", "2", 5),
                                ("es-datadis-supplies-eddie", "ES00XXXXXXXXXXXXXXXX", "8", 4)):
        (s,) = datadis.supplies(body(eid).encode())
        assert (s.cups, s.distributor_code, s.point_type) == (cups, code, pt)
        (r,) = smc.decode_all(body(eid))
        assert r.meter_id == cups and r.profile == "supplies" and r.register("distributorCode").value == code
    (s,) = datadis.supplies(body("es-datadis-supplies-v1").encode())
    assert s.valid_from == dt.date(2024, 2, 1) and s.valid_to is None
    (e,) = datadis.supplies(body("es-datadis-supplies-eddie").encode())
    assert e.distributor == "I-DE REDES ELÉCTRICAS INTELIGENTES, S.A.U." and e.valid_from is None


def test_datadis_contract_and_site():
    (c,) = datadis.contracts(body("es-datadis-contract-v1").encode())
    assert c.contracted_power_kw == (Decimal("3.45"), Decimal("3.45"))
    assert c.contracted_power_w == {"P1": 3450.0, "P2": 3450.0}
    assert c.max_power_install_kw == Decimal("5.5") and c.start == dt.date(2024, 2, 1) and c.end is None
    site = c.to_site(main_fuse_a=25)
    assert site.country == "ES" and dict(site.contracted_power_periods_w) == {"P1": 3450.0, "P2": 3450.0}
    (r,) = smc.decode_all(body("es-datadis-contract-v1"))
    assert r.contracted_power == 3450.0 and r.register("contractedPowerkW[1]").extra["period"] == "P2"
    (e,) = datadis.contracts(body("es-datadis-contract-eddie").encode())
    assert (e.code_fare, e.mode_power_control, e.access_fare) == ("3T", "Maxímetro", "BAJA TENSION Y POTENCIA  > 15 kW")
    assert smc.decode(body("es-datadis-contract-eddie")).contracted_power == 20000.0


def test_datadis_max_power_is_kw():
    rs = smc.decode_all(body("es-datadis-maxpower-v1"))
    assert [r.register("maxPower").value for r in rs] == [Decimal("3516.000"), Decimal("2500.0"), Decimal("2976.000")]
    assert [r.tariff for r in rs] == ["P1", "P2", "P3"]
    assert rs[0].timestamp.isoformat() == "2026-07-16T11:15:00+02:00"
    assert all(r.active_power_import is None for r in rs)     # a 15-min maximum, not a live power
    mp = datadis.max_power(body("es-datadis-maxpower-v1").encode())
    assert mp[0].power_kw == Decimal("3.516") and mp[0].period == "1"


def test_datadis_errors():
    with pytest.raises(PlatformError) as info:
        smc.decode_all(body("es-datadis-401"))
    assert info.value.http_status == 401 and info.value.platform == "datadis"
    with pytest.raises(PlatformError) as info:
        smc.decode_all(body("es-datadis-v2-distributor-error"))
    assert info.value.readings == [] and "EDISTRIBUCIÓN" in str(info.value)


# ---- Spanish CSV ---------------------------------------------------------------------------------

def test_es_csv_cnmc_ordinal_hours():
    rs = smc.decode_all(body("es-csv-cnmc-hourly"))
    assert ends(rs) == [utc("2015-09-05T23:00"), utc("2015-09-06T00:00"), utc("2015-09-06T01:00")]
    assert [r.active_energy_import_delta for r in rs] == [267.0, 143.0, 118.0]
    assert {r.quality for r in rs} == {"measured"} and rs[0].meter_id == "ES00XXXXXXXXXXXXXXDB"


def test_es_csv_datadis_web_layout():
    rs = smc.decode_all(body("es-csv-datadis-web-new"))
    assert [(r.active_energy_import_delta, r.active_energy_export_delta) for r in rs] == [(1000.0, 0.0), (0.0, 400.0)]
    assert ends(rs) == [utc("2024-01-01T00:00"), utc("2024-01-01T01:00")]
    assert rs[1].register("energiaGenerada_kWh").value == Decimal("0.0")   # kept, not an SI field


def test_es_csv_ide_portal_wh():
    rs = smc.decode_all(body("es-csv-ide-portal"))
    assert [r.active_energy_import_delta for r in rs] == [500.0, 100.0]     # Wh, not kWh
    assert ends(rs) == [utc("2024-01-01T00:00"), utc("2024-01-01T01:00")]   # FECHA-HORA = start
    assert [r.tariff for r in rs] == ["P3", "P3"]
    assert rs[0].register("GENERACION Wh").value == Decimal(200)
    assert rs[0].active_energy_export_delta is None


# ---- Denmark -------------------------------------------------------------------------------------

def test_eloverblik_timeseries_real():
    rs = smc.decode_all(body("dk-eloverblik-timeseries-real"))
    doc = json.loads(body("dk-eloverblik-timeseries-real"))
    points = doc["result"][0]["MyEnergyData_MarketDocument"]["TimeSeries"][0]["Period"][0]["Point"]
    assert len(rs) == 24
    assert ends(rs) == [utc("2024-02-18T00:00") + dt.timedelta(hours=h) for h in range(24)]
    assert [r.active_energy_import_delta for r in rs] == [float(Decimal(p["out_Quantity.quantity"]) * 1000) for p in points]
    assert round(sum(r.active_energy_import_delta for r in rs)) == 63272
    assert {r.quality for r in rs} == {"measured"} and {r.meter_id for r in rs} == {"571313174001765605"}
    assert rs[0].timestamp.isoformat() == "2024-02-18T01:00:00+01:00"


def test_eloverblik_meter_readings():
    rs = smc.decode_all(body("dk-eloverblik-meterreadings"))
    assert [(r.timestamp.astimezone(UTC), r.active_energy_import) for r in rs] == [
        (utc("2023-12-31T23:00"), 26_700_000.0), (utc("2024-01-31T23:00"), 28_312_000.0)]
    assert rs[0].meter_id == "571313153398131804"


def test_eloverblik_details():
    (d,) = eloverblik.details(body("dk-eloverblik-details").encode())
    assert (d.metering_point_id, d.type_of_mp, d.settlement_method, d.meter_reading_occurrence) == (
        "5713131XXXXXXXXXXX", "E17", "D01", "PT1H")
    assert d.grid_operator == "Radius Elnet A/S" and d.power_limit_kw is None
    (r,) = smc.decode_all(body("dk-eloverblik-details"))
    assert r.meter_id == "5713131XXXXXXXXXXX" and r.register("meterNumber").value == "21012379"


def test_eloverblik_csv_unsorted_rows():
    rs = smc.decode_all(body("dk-eloverblik-csv-export"))
    first = [r for r in rs if r.meter_id == "571313174001764929"]
    assert ends(real(first)) == [utc("2024-04-30T23:00"), utc("2024-05-01T00:00"), utc("2024-05-01T01:00"),
                                 utc("2024-05-01T02:00"), utc("2024-05-01T22:00")]
    assert [r.active_energy_import_delta for r in real(first)] == [53.0, 0.0, 0.0, 0.0, 65.0]
    assert len(first) == 24     # 01-05 00:00 .. 02-05 00:00 local, the hours not in the file "missing"
    (other,) = [r for r in rs if r.meter_id == "571313174200537942"]
    assert other.timestamp.astimezone(UTC) == utc("2024-05-02T21:00") and other.active_energy_import_delta == 95.0


# ---- Norway, Italy, Belgium, Netherlands ---------------------------------------------------------

def test_elhub_csv():
    rs = smc.decode_all(body("no-elhub-minside-csv"))
    assert ends(rs) == [utc("2026-03-31T23:00"), utc("2026-04-01T00:00"), utc("2026-04-01T01:00"),
                        utc("2026-04-01T02:00")]
    assert [r.active_energy_import_delta for r in rs] == [2949.0, 1200.0, 1028.0, 1218.0]
    assert {r.quality for r in rs} == {"measured"}
    assert rs[0].register("Målenavn").value == "KWH 60 Forbruk"


def test_edistribuzione_csv():
    text = body("it-edistribuzione-csv")
    rs = smc.decode_all(text)
    values = [Decimal(v.strip('"').replace(",", ".")) for v in text.splitlines()[1].split(";")[1:] if v]
    assert len(rs) == 96 == len(values)
    assert [r.active_energy_import_delta for r in rs] == [float(v * 1000) for v in values]
    assert sum(values) == Decimal("11.613")
    assert ends(rs)[0] == utc("2024-08-31T22:15") and ends(rs)[-1] == utc("2024-09-01T22:00")
    assert rs[-1].timestamp.isoformat() == "2024-09-02T00:00:00+02:00"   # "23:45-00:00" ends at midnight


def test_edistribuzione_app_elided_samples_are_missing():
    rs = smc.decode_all(body("it-edistribuzione-app-loadprofile"))
    assert len(rs) == 96
    assert rs[0].timestamp.astimezone(UTC) == utc("2026-07-31T22:15") and rs[0].active_energy_import_delta == 359.0
    assert rs[-1].timestamp.astimezone(UTC) == utc("2026-08-01T22:00") and rs[-1].active_energy_import_delta == 20.0
    assert [r.quality for r in rs[1:-1]] == ["missing"] * 94


def test_portale_consumi_header_only():
    assert smc.decode_all(body("it-portaleconsumi-luce-header")) == []
    header = body("it-portaleconsumi-luce-header").strip().split(";")
    assert header[:2] == ["pod", "data_lettura"] and "ea96" in header and "er96" in header


def test_fluvius_csv_autumn_dst():
    rs = smc.decode_all(body("be-fluvius-csv-en-dst"))
    got = {r.timestamp.astimezone(UTC): r.active_energy_import_delta for r in real(rs)}
    # 02:30-02:45 twice: CEST (00:30Z) then CET (01:30Z); "02:45 -> 02:00" is the CEST 02:45
    # quarter, whose end is already written in CET; "02:45 -> 03:00" the CET one
    assert got == {utc("2023-10-29T00:45"): 269.0, utc("2023-10-29T01:45"): 273.0, utc("2023-10-29T01:00"): 295.0,
                   utc("2023-10-29T02:00"): 286.0, utc("2023-10-29T02:15"): 283.0}
    assert {r.meter_id for r in rs} == {"123456879123456789"}
    assert {r.quality for r in real(rs)} == {"measured"}
    assert [r.quality for r in rs if r.quality == "missing"] == ["missing"] * 2    # 01:00-01:30Z not in the excerpt


def test_fluvius_csv_dutch_registers_merge():
    rs = smc.decode_all(body("be-fluvius-csv-nl"))
    assert [(r.active_energy_import_delta, r.active_energy_export_delta, r.quality) for r in rs] == [
        (0.0, 0.0, "no consumption"), (5.0, 0.0, "estimated"), (98.0, 0.0, "measured")]
    assert ends(rs) == [utc("2021-10-13T05:00"), utc("2021-10-13T05:15"), utc("2021-10-13T05:30")]
    assert [reg.key for reg in rs[1].registers] == ["Afname Dag", "Injectie Dag"]


def test_fluvius_api():
    rs = smc.decode_all(body("be-fluvius-api-json"))
    assert [(r.timestamp.astimezone(UTC), r.active_energy_import_delta, r.quality) for r in rs] == [
        (utc("2024-12-01T00:15"), 9.0, "estimated"), (utc("2024-12-01T00:30"), 10.0, "estimated")]
    assert rs[0].meter_id == "541440010000000001" and rs[0].register("offtake.total").extra["meterID"] == "1SAG1234567890"


def test_mijnaansluiting():
    rs = smc.decode_all(body("nl-mijnaansluiting-json"))
    assert [r.register("1-0:1.8.1").value for r in rs] == [Decimal(9738650), Decimal(9838650), Decimal(9948650)]
    assert [r.timestamp.isoformat() for r in rs] == ["2023-05-01T00:00:00+02:00", "2023-05-02T00:00:00+02:00",
                                                     "2023-05-03T00:00:00+02:00"]
    assert {r.meter_id for r in rs} == {"871690930000909597"}
    assert all(r.active_energy_import is None for r in rs)      # 1.8.1 alone is not the total


def test_formats_listed():
    names = {f.name for f in smc.formats()}
    assert set(FORMATS.values()) <= names


def test_inspect_shows_readings():
    insp = smc.inspect(body("es-csv-cnmc-hourly"))
    assert insp.format == "es-csv" and len(insp.readings) == 3 and insp.error is None
    assert "Consumo_kWh" in str(insp)
    bad = smc.inspect(body("es-datadis-401"))
    assert isinstance(bad.error, PlatformError)


# ---- further real exports (fixtures/platforms/more_real_exports.json) -----------------------------

MORE = {e["id"]: e for e in json.loads((FIX.parent / "more_real_exports.json").read_text())["entries"]}


def _day_readings(rs, day, zone):
    from zoneinfo import ZoneInfo
    tz = ZoneInfo(zone)
    a = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz).astimezone(UTC)
    b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=tz).astimezone(UTC)
    return [r for r in rs if a < r.timestamp.astimezone(UTC) <= b], a, b


def test_more_real_exports_autodetected():
    for eid, e in MORE.items():
        rs = smc.decode_all(e["body"])
        assert rs and {r.format for r in rs} == {e["format"]}, eid
        assert "missing" not in {r.quality for r in rs}, eid      # complete runs of lines: no hole


def test_elhub_real_spring_day():
    rs = smc.decode_all(MORE["no-elhub-minside-csv-2026-03-dst"]["body"])
    day, a, b = _day_readings(rs, dt.date(2026, 3, 29), "Europe/Oslo")
    assert len(day) == 23 and day[0].timestamp - day[0].interval == a and day[-1].timestamp == b
    assert {r.interval for r in rs} == {dt.timedelta(hours=1)}
    change = [r for r in day if r.timestamp.astimezone(UTC) == utc("2026-03-29T01:00")]
    assert change[0].active_energy_import_delta == 1575.0 and change[0].timestamp.isoformat() == "2026-03-29T03:00:00+02:00"
    lines = [ln.split(";") for ln in MORE["no-elhub-minside-csv-2026-03-dst"]["body"].splitlines()[1:]]
    want = sum(Decimal(c[3].replace(",", ".")) for c in lines if c[0].startswith("2026-03-29"))
    assert sum(r.active_energy_import_delta for r in day) == pytest.approx(float(want * 1000))
    assert len(rs) == 27


def test_edistribucion_real_dst_days():
    spring = smc.decode_all(MORE["es-csv-edistribucion-2025-03-30"]["body"])
    day, a, b = _day_readings(spring, dt.date(2025, 3, 30), "Europe/Madrid")
    assert len(day) == 23 and day[0].timestamp - day[0].interval == a and day[-1].timestamp == b
    sums = _column_sums(MORE["es-csv-edistribucion-2025-03-30"]["body"], "30/03/2025")
    assert sum(r.active_energy_import_delta for r in day) == pytest.approx(sums[0])     # AE_kWh
    assert sum(r.active_energy_export_delta for r in day) == pytest.approx(sums[1])     # AS_KWh
    # hour 2 (01:00-02:00 CET) ends at the instant of the change, written in summer time
    assert [r.timestamp.isoformat() for r in day[1:3]] == ["2025-03-30T03:00:00+02:00", "2025-03-30T04:00:00+02:00"]
    autumn = smc.decode_all(MORE["es-csv-edistribucion-2025-10-26"]["body"])
    day, a, b = _day_readings(autumn, dt.date(2025, 10, 26), "Europe/Madrid")
    assert len(day) == 25 and day[0].timestamp - day[0].interval == a and day[-1].timestamp == b
    # Hora 3 and 4 are 02:00-03:00 CEST and 02:00-03:00 CET: same wall hour, different instants
    assert [r.timestamp.isoformat() for r in day[2:4]] == ["2025-10-26T02:00:00+01:00", "2025-10-26T03:00:00+01:00"]
    assert [r.active_energy_import_delta for r in day[2:4]] == [222.0, 245.0]
    assert day[-1].timestamp.isoformat() == "2025-10-27T00:00:00+01:00" and day[-1].active_energy_import_delta == 262.0
    sums = _column_sums(MORE["es-csv-edistribucion-2025-10-26"]["body"], "26/10/2025")
    assert sum(r.active_energy_import_delta for r in day) == pytest.approx(sums[0])
    assert sum(r.active_energy_export_delta for r in day) == pytest.approx(sums[1])


def _column_sums(text, date):
    """AE and AS sums of one date in Wh, straight from the lines (independent of the decoder)."""
    rows = [ln.split(";") for ln in text.splitlines()[1:] if ln.split(";")[1] == date]
    return tuple(float(sum(Decimal(r[i].replace(",", ".")) for r in rows) * 1000) for i in (3, 4))


# ---- layout fixtures of almax-es/luzfija.es tests/fixtures (synthetic values, real layouts) ------

def test_spanish_csv_with_a_title_preamble():
    # cabecera_no_primera_linea.csv (commit 1042d062): two title lines before the header
    text = ("Exportación generada por la distribuidora\nLíneas de información extra\n"
            "CUPS;Fecha;Hora;AE_kWh;AS_kWh\nES123;01/01/2024;1;1,0;0,0\n")
    (r,) = smc.decode_all(text)
    assert (r.format, r.meter_id, r.active_energy_import_delta, r.active_energy_export_delta) == ("es-csv", "ES123", 1000.0, 0.0)
    assert r.timestamp.astimezone(UTC) == utc("2024-01-01T00:00")


def test_spanish_csv_ide_raw_layout_and_empty_cups():
    # ide_bruto.csv (commit 98e42b79): FechaHora start times, energies in Wh
    rs = smc.decode_all("CUPS;FechaHora;CONSUMO Wh;GENERACION Wh\nES123;01/01/2024 00:00;500;200\n"
                        "ES123;01/01/2024 01:00;100;400\n")
    assert [r.active_energy_import_delta for r in rs] == [500.0, 100.0]
    # e-distribucion.csv (commit daa788ea): empty CUPS, and "Hora 25" on 1 January, a 24-hour day
    text = ("CUPS;Fecha;Hora;AE_kWh;AS_kWh;AE_AUTOCONS_kWh;REAL/ESTIMADO\n;01/01/2024;1;1,0;0,0;0,0;R\n"
            ";01/01/2024;25;0,2;0,5;0,0;R\n")
    with pytest.raises(smc.FramingError) as info:
        smc.decode_all(text)
    assert info.value.line == 3 and info.value.column_name == "Hora"
    (r,) = smc.decode_all(text.rsplit("\n", 2)[0] + "\n")
    assert r.meter_id is None and r.quality == "measured" and r.active_energy_import_delta == 1000.0


def test_fluvius_gas_export_is_not_electricity():
    rs = smc.decode_all(MORE["be-fluvius-csv-nl-gas-hourly"]["body"])
    assert [r.timestamp.astimezone(UTC) for r in rs] == [utc("2022-01-10T06:00"), utc("2022-01-10T07:00"),
                                                         utc("2022-01-10T08:00")]
    assert all(r.active_energy_import_delta is None and r.active_energy_export_delta is None for r in rs)
    assert [(reg.value, reg.unit) for reg in rs[1].registers] == [(Decimal("5.445"), "kWh"), (Decimal("0.495"), "m3")]
    assert [r.quality for r in rs] == ["no consumption", "measured", "measured"]
    assert rs[1].registers[0].extra["Calorische Bovenwaarde"] == "Voorlopig"


@pytest.mark.parametrize("eid,day,hours", [("es-datadis-ide-2023-10-29-full-day", dt.date(2023, 10, 29), 25),
                                            ("es-datadis-ide-2024-03-31-full-day", dt.date(2024, 3, 31), 23)])
def test_datadis_real_full_dst_days(eid, day, hours):
    body = MORE[eid]["body"]
    rs = smc.decode_all(body)
    assert "missing" not in {r.quality for r in rs} and len(rs) == len(json.loads(body))
    mine, a, b = _day_readings(rs, day, "Europe/Madrid")
    assert mine[0].timestamp - mine[0].interval == a and mine[-1].timestamp == b
    assert sum((r.interval for r in mine), dt.timedelta()) == dt.timedelta(hours=hours)
    want = sum(Decimal(str(x["consumptionKWh"])) for x in json.loads(body) if x["date"] == day.strftime("%Y/%m/%d"))
    assert sum(r.active_energy_import_delta for r in mine) == pytest.approx(float(want * 1000))
    spans = [(r.timestamp - r.interval, r.timestamp) for r in rs]
    assert all(x[1] == y[0] for x, y in zip(spans, spans[1:]))          # contiguous, nothing twice
    if hours == 25:
        (merged,) = [r for r in mine if r.interval == dt.timedelta(hours=2)]
        assert merged.active_energy_import_delta == 2566.0
        assert merged.timestamp.astimezone(UTC) == utc("2023-10-29T01:00")
