"""DST days for every platform convention (research/cloud.md): repeated labels, omitted labels,
merged hours, ordinal hours 23/25, 24:00, local start/end pairs, UTC positions, 92/100
quarter hours. Each day must come out as exactly the day's intervals, none twice, none lost."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.platforms import CsvError, JsonPathError

UTC = dt.UTC
H = dt.timedelta(hours=1)
Q = dt.timedelta(minutes=15)
# (spring, autumn) change days of the years used
DAYS = {2023: (dt.date(2023, 3, 26), dt.date(2023, 10, 29)), 2024: (dt.date(2024, 3, 31), dt.date(2024, 10, 27)),
        2025: (dt.date(2025, 3, 30), dt.date(2025, 10, 26))}


def bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(zone)
    a = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz).astimezone(UTC)
    b = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=tz).astimezone(UTC)
    return a, b


def assert_day(readings, day, zone, step, values=None):
    """The readings tile the local day exactly with ``step`` intervals, values in time order."""
    a, b = bounds(day, zone)
    n = (b - a) // step
    assert len(readings) == n, (len(readings), n)
    spans = [((r.timestamp - r.interval).astimezone(UTC), r.timestamp.astimezone(UTC)) for r in readings]
    assert spans == [(a + i * step, a + (i + 1) * step) for i in range(n)]
    if values is not None:
        assert [r.active_energy_import_delta for r in readings] == [float(Decimal(str(v)) * 1000) for v in values]


def datadis_body(day, labels, values, cups="ES0021000000000000XX"):
    return json.dumps([{"cups": cups, "date": f"{day:%Y/%m/%d}", "time": lab, "consumptionKWh": v,
                        "obtainMethod": "Real", "surplusEnergyKWh": 0.0} for lab, v in zip(labels, values)])


def hours(*labels):
    return [f"{h:02d}:00" for h in labels]


# ---- Datadis end labels --------------------------------------------------------------------------

@pytest.mark.parametrize("year", sorted(DAYS))
def test_datadis_hour_ending_autumn_repeats_0300(year):
    day = DAYS[year][1]
    labels = hours(1, 2, 3, 3, *range(4, 25))                # lenorix capture: 25 rows, 03:00 twice
    values = [round(0.1 + i / 100, 3) for i in range(25)]
    rs = smc.decode_all(datadis_body(day, labels, values))
    assert_day(rs, day, "Europe/Madrid", H, values)
    assert {r.register("consumptionKWh").extra["convention"] for r in rs} == {"hour-ending"}
    # the first 03:00 ends at 03:00 CEST (01:00Z = 02:00 CET), the second at 03:00 CET
    assert [r.timestamp.isoformat() for r in rs[2:4]] == [f"{day}T02:00:00+01:00", f"{day}T03:00:00+01:00"]


@pytest.mark.parametrize("year", sorted(DAYS))
def test_datadis_hour_ending_spring_omits_0300(year):
    day = DAYS[year][0]
    labels = hours(1, 2, *range(4, 25))
    values = [round(0.2 + i / 100, 3) for i in range(23)]
    assert_day(smc.decode_all(datadis_body(day, labels, values)), day, "Europe/Madrid", H, values)


@pytest.mark.parametrize("year", sorted(DAYS))
def test_datadis_wall_clock_end_both_days(year):
    spring, autumn = DAYS[year]
    v25 = [round(0.3 + i / 100, 3) for i in range(25)]
    rs = smc.decode_all(datadis_body(autumn, hours(1, 2, 2, *range(3, 25)), v25))
    assert_day(rs, autumn, "Europe/Madrid", H, v25)
    assert {r.register("consumptionKWh").extra["convention"] for r in rs} == {"wall-clock-end"}
    v23 = v25[:23]
    assert_day(smc.decode_all(datadis_body(spring, hours(1, *range(3, 25)), v23)), spring, "Europe/Madrid", H, v23)


def test_datadis_merged_autumn_hour():
    day = DAYS[2025][1]
    values = [1.0] * 24
    values[1] = 2.0
    rs = smc.decode_all(datadis_body(day, hours(*range(1, 25)), values))
    assert len(rs) == 24 and sum((r.interval for r in rs), dt.timedelta()) == dt.timedelta(hours=25)
    merged = [r for r in rs if r.interval == 2 * H]
    assert len(merged) == 1 and merged[0].active_energy_import_delta == 2000.0
    a, b = bounds(day, "Europe/Madrid")
    assert rs[0].timestamp - rs[0].interval == a and rs[-1].timestamp == b


def test_datadis_forced_convention():
    day = DAYS[2024][0]
    body = datadis_body(day, hours(1, *range(3, 25)), [0.5] * 23)   # i-DE spring day (no 02:00)
    with pytest.raises(JsonPathError) as info:
        smc.decode_all(body, format="datadis", profile="hour-ending")
    assert info.value.path == "[1].time" and "skipped by the DST change" in str(info.value)
    assert len(smc.decode_all(body, format="datadis", profile="wall-clock-end")) == 23


def test_datadis_same_interval_twice_is_an_error():
    day = DAYS[2024][0]
    body = datadis_body(day, hours(1, 2, 3, *range(4, 25)), [0.1 * (i + 1) for i in range(24)])
    with pytest.raises(smc.FramingError) as info:   # 02:00 and 03:00 both on a 23-hour day
        smc.decode_all(body)
    assert "second value for the interval" in str(info.value)


def test_datadis_label_three_times_names_the_row():
    day = DAYS[2025][1]
    with pytest.raises(JsonPathError) as info:
        smc.decode_all(datadis_body(day, hours(1, 2, 3, 3, 3, *range(4, 25)), [0.1] * 26))
    assert info.value.path == "[4].time"


def test_datadis_quarter_hours_autumn():
    day = DAYS[2025][1]
    tz = ZoneInfo("Europe/Madrid")
    a, b = bounds(day, "Europe/Madrid")
    labels = []
    for i in range((b - a) // Q):   # hour-ending: the start wall time + 15 min; 02:15..03:00 twice
        wall = (a + i * Q).astimezone(tz).replace(tzinfo=None) + Q
        m = 1440 if wall.date() > day else wall.hour * 60 + wall.minute
        labels.append(f"{m // 60:02d}:{m % 60:02d}")
    values = [round(0.01 * (i % 7 + 1), 3) for i in range(100)]
    assert len(labels) == 100 and labels.count("03:00") == 2 and labels[-1] == "24:00"
    assert_day(smc.decode_all(datadis_body(day, labels, values)), day, "Europe/Madrid", Q, values)


def test_datadis_canarias_profile():
    day = DAYS[2025][1]                        # Atlantic/Canary changes at 01:00 UTC too, one hour behind
    values = [0.1] * 25
    rs = smc.decode_all(datadis_body(day, hours(1, 2, 2, *range(3, 25)), values), format="datadis", profile="canarias")
    assert_day(rs, day, "Atlantic/Canary", H, values)


# ---- Spanish CSV ---------------------------------------------------------------------------------

def cnmc(day, n, values):
    rows = [f"ES00XXXXXXXXXXXXXXDB;{day:%d/%m/%Y};{i + 1};{str(v).replace('.', ',')};R" for i, v in zip(range(n), values)]
    return "CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("year", sorted(DAYS))
def test_cnmc_ordinal_23_and_25(year):
    spring, autumn = DAYS[year]
    v = [round(0.1 + i / 50, 3) for i in range(25)]
    assert_day(smc.decode_all(cnmc(autumn, 25, v)), autumn, "Europe/Madrid", H, v)
    assert_day(smc.decode_all(cnmc(spring, 23, v)), spring, "Europe/Madrid", H, v[:23])


def test_cnmc_hour_that_the_day_lacks():
    with pytest.raises(CsvError) as info:
        smc.decode_all(cnmc(dt.date(2025, 1, 15), 25, [0.1] * 25))
    assert (info.value.line, info.value.column, info.value.column_name) == (26, 3, "Hora")
    assert "has 24 intervals" in str(info.value)
    with pytest.raises(CsvError) as info:
        smc.decode_all(cnmc(DAYS[2025][0], 24, [0.1] * 24))
    assert info.value.line == 25 and "has 23 intervals" in str(info.value)


def test_datadis_web_csv_autumn():
    day = DAYS[2024][1]
    labels = hours(1, 2, 3, 3, *range(4, 25))
    rows = [f"ES1;{day:%d/%m/%Y};{lab};0,{i + 10};REAL;0,0;0,0;0,0" for i, lab in enumerate(labels)]
    text = ("CUPS;Fecha;Hora;consumo_kWh;metodoObtencion;energiaVertida_kWh;energiaGenerada_kWh;"
            "energiaAutoconsumida_kWh\n" + "\n".join(rows))
    assert_day(smc.decode_all(text), day, "Europe/Madrid", H, [float(f"0.{i + 10}") for i in range(25)])


# ---- Eloverblik ----------------------------------------------------------------------------------

def eloverblik_body(start, end, resolution, quantities):
    points = [{"position": str(i + 1), "out_Quantity.quantity": q, "out_Quantity.quality": "A04"}
              for i, q in enumerate(quantities)]
    ti = {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return json.dumps({"result": [{"MyEnergyData_MarketDocument": {"mRID": "x", "period.timeInterval": ti,
        "TimeSeries": [{"mRID": "571313174001765605", "businessType": "A04", "curveType": "A01",
                        "measurement_Unit.name": "KWH", "Period": [{"resolution": resolution, "timeInterval": ti,
                                                                    "Point": points}]}]},
        "success": True, "errorCode": 10000, "errorText": "NoError", "id": "571313174001765605", "stackTrace": None}]})


@pytest.mark.parametrize("year", sorted(DAYS))
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("step,res", [(H, "PT1H"), (Q, "PT15M")])
def test_eloverblik_utc_positions(year, which, step, res):
    day = DAYS[year][which]
    a, b = bounds(day, "Europe/Copenhagen")
    n = (b - a) // step
    qs = [f"{0.001 * (i + 1):.3f}" for i in range(n)]
    rs = smc.decode_all(eloverblik_body(a, b, res, qs))
    assert_day(rs, day, "Europe/Copenhagen", step, [float(q) for q in qs])


def test_eloverblik_position_beyond_period():
    day = DAYS[2025][0]
    a, b = bounds(day, "Europe/Copenhagen")
    with pytest.raises(JsonPathError) as info:
        smc.decode_all(eloverblik_body(a, b, "PT1H", ["0.1"] * 24))     # 24 points on a 23-hour day
    assert info.value.path.endswith("Point[23].position")


def test_eloverblik_missing_point_quality_a02():
    day = dt.date(2024, 2, 18)
    a, b = bounds(day, "Europe/Copenhagen")
    body = json.loads(eloverblik_body(a, b, "PT1H", ["0.5"] * 24))
    pts = body["result"][0]["MyEnergyData_MarketDocument"]["TimeSeries"][0]["Period"][0]["Point"]
    pts[5] = {"position": "6", "out_Quantity.quality": "A02"}
    del pts[7]                                           # position 8 absent altogether
    rs = smc.decode_all(json.dumps(body))
    assert len(rs) == 24 and [r.quality for r in rs].count("missing") == 2
    assert rs[5].active_energy_import_delta is None and rs[7].active_energy_import_delta is None


def test_eloverblik_day_resolution_steps_local_days():
    a, _ = bounds(dt.date(2025, 10, 25), "Europe/Copenhagen")
    _, b = bounds(dt.date(2025, 10, 27), "Europe/Copenhagen")
    rs = smc.decode_all(eloverblik_body(a, b, "P1D", ["10", "11", "12"]))
    assert [r.interval for r in rs] == [24 * H, 25 * H, 24 * H]
    assert [r.timestamp.isoformat() for r in rs] == ["2025-10-26T00:00:00+02:00", "2025-10-27T00:00:00+01:00",
                                                     "2025-10-28T00:00:00+01:00"]


def test_eloverblik_csv_autumn_repeated_rows():
    day = DAYS[2025][1]
    rows = []
    t = dt.datetime.combine(day, dt.time())
    walls = [t + i * H for i in range(24)]
    walls.insert(3, t + 2 * H)                            # 02:00-03:00 twice (summer, then winter time)
    for i, w in enumerate(walls):
        e = w + H
        rows.append(f"571313174001764929;{w:%d-%m-%Y %H:%M:%S};{e:%d-%m-%Y %H:%M:%S};0,{i + 100};KWH;Målt;Tidsserie")
    text = "Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;Kvalitet;Type\n" + "\n".join(rows) + "\n"
    assert_day(smc.decode_all(text), day, "Europe/Copenhagen", H, [float(f"0.{i + 100}") for i in range(25)])


# ---- Elhub ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", [0, 1])
def test_elhub_offsets(which):
    day = DAYS[2025][which]
    a, b = bounds(day, "Europe/Oslo")
    tz = ZoneInfo("Europe/Oslo")
    n = (b - a) // H
    lines = ["Fra;Til;Målenavn;Volum;Enhet;Kvalitet;Registreringstidspunkt"]
    for i in range(n):
        s, e = (a + i * H).astimezone(tz), (a + (i + 1) * H).astimezone(tz)
        lines.append(f"{s.isoformat()};{e.isoformat()};KWH 60 Forbruk;1,{i:03d};kWh;Målt;{e.isoformat()}")
    assert_day(smc.decode_all("\ufeff" + "\n".join(lines)), day, "Europe/Oslo", H, [1 + i / 1000 for i in range(n)])


def test_elhub_old_local_format_autumn():
    day = DAYS[2024][1]
    t = dt.datetime.combine(day, dt.time())
    walls = [t + i * H for i in range(24)]
    walls.insert(3, t + 2 * H)
    lines = ["Fra;Til;Målenavn;Volum;Enhet;Kvalitet"]
    for i, w in enumerate(walls):
        lines.append(f"{w:%d.%m.%Y %H:%M};{w + H:%d.%m.%Y %H:%M};KWH 60 Forbruk;0,{i + 10};kWh;Målt")
    assert_day(smc.decode_all("\n".join(lines), format="elhub-csv"), day, "Europe/Oslo", H,
               [float(f"0.{i + 10}") for i in range(25)])


# ---- Italy ---------------------------------------------------------------------------------------

EDIS_HEADER = "Giorno;" + ";".join(f"{m // 60:02d}:{m % 60:02d}-{(m + 15) // 60 % 24:02d}:{(m + 15) % 60:02d}"
                                   for m in range(0, 1440, 15))


def edis_row(day, cells):
    return f'"{day:%d/%m/%Y}";' + ";".join(f'"{c}"' for c in cells) + ";"


def test_edistribuzione_spring_day_empty_gap_columns():
    day = DAYS[2025][0]
    cells = ["0,1"] * 96
    for i in range(8, 12):          # 02:00 .. 03:00 does not exist
        cells[i] = ""
    rs = smc.decode_all(EDIS_HEADER + "\n" + edis_row(day, cells))
    assert_day(rs, day, "Europe/Rome", Q, [0.1] * 92)


def test_edistribuzione_spring_value_in_skipped_time_is_an_error():
    day = DAYS[2025][0]
    cells = ["0,1"] * 96
    with pytest.raises(CsvError) as info:
        smc.decode_all(EDIS_HEADER + "\n" + edis_row(day, cells))
    assert (info.value.line, info.value.column, info.value.column_name) == (2, 10, "02:00-02:15")


def test_edistribuzione_autumn_second_hour_is_missing():
    day = DAYS[2025][1]
    rs = smc.decode_all(EDIS_HEADER + "\n" + edis_row(day, ["0,2"] * 96))
    a, b = bounds(day, "Europe/Rome")
    assert len(rs) == 100 and rs[0].timestamp - rs[0].interval == a and rs[-1].timestamp == b
    missing = [r for r in rs if r.quality == "missing"]
    assert len(missing) == 4 and [r.timestamp.isoformat() for r in missing][0] == f"{day}T02:15:00+01:00"


def portale(day, n, values):
    header = "pod;data_lettura;data_ricezione;motivazione;lettura_monoraria;lettura_f1;lettura_f2;lettura_f3;" \
             "tipo_flusso;annomese_riferimento;" + ";".join(f"ea{i}" for i in range(1, 101))
    cells = [str(v).replace(".", ",") for v in values[:n]] + [""] * (100 - n)
    return header + f"\nIT001E00000000;{day:%d/%m/%Y};;;;;;;;{day:%Y%m};" + ";".join(cells) + "\n"


@pytest.mark.parametrize("year", sorted(DAYS))
def test_portale_consumi_92_and_100_quarters(year):
    spring, autumn = DAYS[year]
    v = [round(0.01 * (i % 9 + 1), 3) for i in range(100)]
    assert_day(smc.decode_all(portale(autumn, 100, v)), autumn, "Europe/Rome", Q, v)
    assert_day(smc.decode_all(portale(spring, 92, v)), spring, "Europe/Rome", Q, v[:92])
    with pytest.raises(CsvError) as info:
        smc.decode_all(portale(spring, 93, v))
    assert info.value.column_name == "ea93"


# ---- Belgium -------------------------------------------------------------------------------------

def fluvius_rows(day, quirk=True):
    """The portal's layout of a day: wall-clock quarter hours; autumn repeats 02:00-03:00 and writes
    the end of the summer-time 02:45 quarter as 02:00 (the sample's quirk)."""
    tz = ZoneInfo("Europe/Brussels")
    a, b = bounds(day, "Europe/Brussels")
    rows = []
    t = a
    while t < b:
        s, e = t.astimezone(tz), (t + Q).astimezone(tz)
        until = e.strftime("%H:%M:%S")
        if not quirk and s.fold == 0 and e.hour == 2 and e.minute == 0 and s.hour == 2:
            until = "03:00:00"
        rows.append((s, e, until))
        t += Q
    rows.sort(key=lambda r: (r[0].replace(tzinfo=None), r[0].utcoffset() and -r[0].utcoffset().total_seconds()))
    return rows


@pytest.mark.parametrize("which", [0, 1])
def test_fluvius_csv_dst_days(which):
    day = DAYS[2023][which]
    lines = ["Van datum;Van tijdstip;Tot datum;Tot tijdstip;EAN;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus"]
    order = sorted(fluvius_rows(day), key=lambda r: r[0].astimezone(UTC))
    for i, (s, e, until) in enumerate(order):
        lines.append(f'{s:%d-%m-%Y};{s:%H:%M:%S};{e:%d-%m-%Y};{until};="541448000000000001";1SAG1;Digitale Meter;'
                     f'Afname Dag;0,{i + 100:03d};kWh;Gevalideerd')
        lines.append(f'{s:%d-%m-%Y};{s:%H:%M:%S};{e:%d-%m-%Y};{until};="541448000000000001";1SAG1;Digitale Meter;'
                     f'Injectie Dag;;kWh;Geen verbruik')
    rs = smc.decode_all("\ufeff" + "\r\n".join(lines) + "\r\n")
    assert_day(rs, day, "Europe/Brussels", Q, [float(f"0.{i + 100:03d}") for i in range(len(order))])
    assert {r.active_energy_export_delta for r in rs} == {0.0}


# ---- Fluvius API ---------------------------------------------------------------------------------

def test_fluvius_api_autumn_utc_slices():
    day = DAYS[2024][1]
    a, b = bounds(day, "Europe/Brussels")
    n = (b - a) // Q
    z = "%Y-%m-%dT%H:%M:%SZ"
    slices = [{"start": (a + i * Q).strftime(z), "end": (a + (i + 1) * Q).strftime(z),
               "measurements": [{"offtake": {"total": {"value": 0.01, "unit": "kWh", "validationState": "READ"}}}]}
              for i in range(n)]
    body = {"data": {"headpoint": {"$type": "metering-on-meter", "ean": "541440010000000001", "energyType": "E",
                                   "physicalMeters": [{"seqNumber": "1", "meterID": "M", "quarterHourlyEnergy": slices}]}}}
    assert_day(smc.decode_all(json.dumps(body)), day, "Europe/Brussels", Q, [0.01] * n)


def test_edistribuzione_header_repeating_the_dst_hour():
    # a 100-column header (02:xx twice) read in order; on ordinary days the repeats stay empty
    cols = [f"{m // 60:02d}:{m % 60:02d}-{(m + 15) // 60 % 24:02d}:{(m + 15) % 60:02d}" for m in range(0, 1440, 15)]
    header = "Giorno;" + ";".join(cols[:12] + cols[8:12] + cols[12:])
    autumn = DAYS[2024][1]
    values = [f"0,{i + 100}" for i in range(100)]
    ordinary = ["0,1"] * 12 + [""] * 4 + ["0,1"] * 84
    rs = smc.decode_all(header + "\n" + edis_row(autumn, values) + "\n" + edis_row(autumn + dt.timedelta(days=1), ordinary))
    day = [r for r in rs if r.timestamp.astimezone(UTC) <= bounds(autumn, "Europe/Rome")[1]]
    assert_day(day, autumn, "Europe/Rome", Q, [float(f"0.{i + 100}") for i in range(100)])
    assert len(rs) == 196 and all(r.quality != "missing" for r in rs)
    ordinary[13] = "0,2"
    with pytest.raises(CsvError) as info:
        smc.decode_all(header + "\n" + edis_row(autumn + dt.timedelta(days=1), ordinary))
    assert info.value.column == 15 and "occurs once" in str(info.value)


def test_datadis_two_supplies_in_one_body_each_with_its_dst_labels():
    day = DAYS[2025][1]
    a = json.loads(datadis_body(day, hours(1, 2, 3, 3, *range(4, 25)), [0.1] * 25, cups="ES0021000000000000AA"))
    b = json.loads(datadis_body(day, hours(1, 2, 2, *range(3, 25)), [0.2] * 25, cups="ES0021000000000000BB"))
    rs = smc.decode_all(json.dumps(a + b))
    for cups, v in (("ES0021000000000000AA", 0.1), ("ES0021000000000000BB", 0.2)):
        mine = [r for r in rs if r.meter_id == cups]
        assert_day(mine, day, "Europe/Madrid", H, [v] * 25)
