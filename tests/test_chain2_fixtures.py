"""Every Chain 2 fixture decodes with the values it carries (fixtures/chain2/messages.json).

'captured' entries are real Chain2Gate messages (the corpus plus the CF5 sample from the same
source); 'built-from-docs' entries are composed from the documented field lists to cover every
message type. Expected values below are written out by hand from the messages, not computed by
the decoder.
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

import smartmeter_codecs as smc

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = json.loads((ROOT / "fixtures" / "chain2" / "messages.json").read_text())["messages"]
BY_ID = {e["id"]: e for e in FIXTURES}
UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def text(entry_id: str) -> str:
    return json.dumps(BY_ID[entry_id]["raw"])


# id -> (Reading fields, {register key: value})
EXPECTED: dict[str, tuple[dict, dict]] = {
    "rochouse-cf10-2022-02-01": (
        {"timestamp": utc(2022, 1, 31, 23, 0, 0), "meter_id": None, "active_power_import": None},
        {"chain2:Type": "CF10", "chain2:Meter": "M1", "chain2:Id": "c2g-8E70E3154",
         "chain2:Ts": utc(2022, 2, 1, 3, 52, 52),
         "chain2:MessagePosixTimestamp": utc(2022, 2, 1, 3, 53, 14),
         "chain2:MonthlyTotalActEnergyF1": 202102, "chain2:MonthlyTotalActEnergyF2": 138236,
         "chain2:MonthlyTotalActEnergyF3": 251823, "chain2:MonthlyTotalActEnergyF4": 0,
         "chain2:MonthlyMaxQuartAveragePower": 2660,
         # 16/01/2022 12:00:00 meter local time (CET) = 11:00 UTC
         "chain2:MonthlyMaxQuartAveragePowerDateTime": utc(2022, 1, 16, 11, 0, 0),
         "chain2:ClosingCode": 0}),
    "rochouse-cf20-2022-02-01": (
        {"timestamp": utc(2022, 1, 31, 23, 0, 0), "meter_id": "21E4E5KA101249263",
         "contracted_power": 3000.0, "available_power": 3300.0},
        {"chain2:POD": "IT001E01524052", "chain2:Gap": 300, "chain2:EventsCounter": 9, "chain2:EventType": 1,
         "chain2:PESSE": 0, "chain2:K": 0, "chain2:CustomerCode": None, "chain2:Vendor": None,
         "chain2:Phone": None, "chain2:StartContract": "255/255/65535 [255]",
         "chain2:FreezingDay": "01/255/65535 [255]", "chain2:DataPlate": "21E4E5KA101249263",
         "chain2:MessagePosixTimestamp": utc(2022, 2, 1, 3, 53, 35)}),
    "rochouse-cf5-2022-01-30": (
        # 1643583599 = 2022-01-30 22:59:59 UTC = 23:59:59 Europe/Rome (end of the day)
        {"timestamp": utc(2022, 1, 30, 22, 59, 59)},
        {"chain2:DailyTotalActEnergyF1": 1, "chain2:DailyTotalActEnergyF2": 0,
         "chain2:DailyTotalActEnergyF3": 12604, "chain2:DailyMaxInstantPower": 3134,
         "chain2:DailyMaxInstantPowerDateTime": utc(2022, 1, 30, 8, 35, 44),
         "chain2:PrepaidCredit": 0, "chain2:DayType": 0}),
    "built-cf1": (
        {"timestamp": utc(2023, 3, 14, 10, 15), "active_power_import": 742.0,
         "active_energy_import": 8123456.0, "tariff": "F1"},
        {"chain2:CurrQuartActEnergy": 12, "chain2:PrevQuartActEnergy": 187, "chain2:QuartAveragePower": 748,
         "chain2:TariffCode": 1}),
    "built-cf1-extended": (
        {"timestamp": utc(2023, 6, 10, 11, 30), "active_power_import": 0.0, "active_energy_import": 5012345.0,
         "tariff": "F2", "active_power_export": None, "active_energy_export": None},
        {"chain2:InstantProdPower": 2480, "chain2:TotalProdActEnergy": 3456789,
         "chain2:TotalInductiveReactEnergy": 987654, "chain2:PrevQuartCapacitiveReactEnergy": 4}),
    "built-cf5": (
        {"timestamp": utc(2023, 3, 14, 22, 59, 59)},
        {"chain2:DailyTotalActEnergyF1": 4210, "chain2:DailyTotalActEnergyF3": 5133,
         "chain2:DailyMaxInstantPowerDateTime": utc(2023, 3, 14, 18, 42, 10)}),
    "built-cf9": (
        {"timestamp": utc(2023, 3, 19, 23, 0), "voltage_l1": None},
        {"chain2:WeeklyVeffMin": 219, "chain2:WeeklyVeffMax": 243, "chain2:CounterVeffBetween10Percent": 1008,
         "chain2:WeeklyVeffMaxDateTime": utc(2023, 3, 19, 12, 30)}),
    "built-cf10": (
        {"timestamp": utc(2023, 2, 28, 23, 0)},
        {"chain2:MonthlyTotalActEnergyF3": 123456, "chain2:MonthlyMaxQuartAveragePower": 4120}),
    "built-cf20": (
        {"timestamp": utc(2023, 2, 28, 23, 0), "meter_id": "22E4E5KA100123456", "contracted_power": 4500.0,
         "available_power": 4950.0},
        {"chain2:POD": "IT001E98765432", "chain2:StartContract": utc(2019, 6, 14, 22, 0)}),
    "built-cf21": (
        {"timestamp": utc(2023, 3, 14, 17, 3, 12), "active_power_import": 1812.0},
        {"chain2:EventsCounter": 3021}),
    "built-cf21-cloud": (
        {"timestamp": utc(2024, 7, 2, 9, 41, 7), "active_power_import": 300.0, "active_power_export": None},
        {"chain2:ProdInstantPower": 2700, "chain2:Gap": 300}),
    "built-cf22": (
        {"timestamp": utc(2023, 12, 5, 18, 20, 4), "active_power_import": 4210.0, "available_power": 3300.0},
        {"chain2:SwitchOffCountdownSeconds": 120}),
    "built-cf22-rochouse": (
        {"timestamp": utc(2023, 12, 5, 18, 20, 9), "active_power_import": 4210.0},
        {"chain2:OutageDuration": 0, "chain2:EventsCounter": 2}),
    "built-cf23": (
        {"timestamp": utc(2023, 11, 3, 6, 12, 40), "active_power_import": None},
        {"chain2:OutageDuration": 1260, "chain2:EventType": 1}),
    "built-cf51": (
        {"timestamp": utc(2025, 4, 22, 7, 5, 33), "active_power_import": 2400.0},
        {"chain2:Gap": 300, "chain2:EventsCounter": 112}),
    "built-cf1-m2": (
        {"timestamp": utc(2023, 6, 10, 11, 30), "active_power_import": 2560.0,
         "active_energy_import": 4567890.0},
        {"chain2:Meter": "M2"}),
    "built-bare-cf21": (
        {"timestamp": utc(2024, 7, 2, 9, 41, 7), "active_power_import": 600.0},
        {"chain2:Type": "CF21", "chain2:EventsCounter": 78}),
}
NO_READING = {"built-info", "built-state"}


def test_every_fixture_is_covered_and_labelled():
    assert set(BY_ID) == set(EXPECTED) | NO_READING
    for e in FIXTURES:
        assert e["provenance"] in ("captured", "built-from-docs")
        assert e["source"], e["id"]
    captured = [e["id"] for e in FIXTURES if e["provenance"] == "captured"]
    assert len(captured) == 3


@pytest.mark.parametrize("entry_id", sorted(EXPECTED))
def test_fixture_decodes_with_its_values(entry_id):
    fields, registers = EXPECTED[entry_id]
    reading = smc.decode(text(entry_id))          # autodetected
    assert reading.format == "chain2"
    for name, want in fields.items():
        assert getattr(reading, name) == want, name
    for key, want in registers.items():
        reg = reading.register(key)
        assert reg is not None, key
        assert reg.value == want, key
    # lossless: every payload key is a register
    raw = BY_ID[entry_id]["raw"]
    body = raw.get("Chain2Data", raw)
    for key in body["Payload"]:
        assert reading.register(f"chain2:{key}") is not None, key


@pytest.mark.parametrize("entry_id", sorted(EXPECTED))
def test_fixture_reencodes_to_the_same_json(entry_id):
    reading = smc.decode(text(entry_id), format="chain2")
    again = json.loads(smc.encode(reading, format="chain2"))
    raw = BY_ID[entry_id]["raw"]
    if "Chain2Data" not in raw:
        raw = {"Chain2Data": raw}
    assert again == raw


@pytest.mark.parametrize("entry_id", sorted(NO_READING))
def test_gateway_objects_carry_no_reading(entry_id):
    assert smc.decode_all(text(entry_id)) == []
    with pytest.raises(smc.UnsupportedError):
        smc.decode(text(entry_id))


def test_units_are_si_not_kilo():
    # CF20 real sample: 3 kW contract, 3.3 kW available (the +10 % rule): W, not kW
    r = smc.decode(text("rochouse-cf20-2022-02-01"))
    assert r.contracted_power == 3000.0 and r.available_power == 3300.0
    assert r.register("chain2:ContractPower").unit == "W"
    assert r.register("chain2:Gap").unit == "W"
    r = smc.decode(text("rochouse-cf10-2022-02-01"))
    assert r.register("chain2:MonthlyTotalActEnergyF1").unit == "Wh"
    # the three band totals of January 2022 sum to 592161 Wh = 592 kWh for a 3 kW household
    total = sum(r.register(f"chain2:MonthlyTotalActEnergyF{n}").value for n in range(1, 7))
    assert total == 592161


def test_real_dates_agree_with_the_calendar_and_local_midnight():
    r = smc.decode(text("rochouse-cf10-2022-02-01"))
    reg = r.register("chain2:MonthlyMaxQuartAveragePowerDateTime")
    assert reg.extra["day_of_week"] == 7 and reg.value.isoweekday() == 7  # Sunday 16 Jan 2022
    from smartmeter_codecs.chain2.localtime import ROME
    assert r.timestamp.astimezone(ROME).strftime("%Y-%m-%d %H:%M") == "2022-02-01 00:00"
    r = smc.decode(text("rochouse-cf20-2022-02-01"))
    freeze = r.register("chain2:FreezingDay")
    assert freeze.extra["day"] == 1 and freeze.extra["month"] is None and freeze.extra["year"] is None
    assert r.register("chain2:POD").extra["json"] == "IT001E01524052  "


def test_corpus_messages_as_one_ndjson_capture():
    lines = "\n".join(json.dumps(e["raw"]) for e in FIXTURES if e["provenance"] == "captured")
    readings = smc.decode_all(lines)
    assert [r.register("chain2:Type").value for r in readings] == ["CF10", "CF20", "CF5"]
    assert smc.decode(lines).register("chain2:DailyTotalActEnergyF3").value == 12604


def test_cf1_tariff_codes_agree_with_the_181_06_calendar():
    from smartmeter_codecs.chain2 import tariff_band
    for entry_id in ("built-cf1", "built-cf1-extended", "built-cf1-m2"):
        r = smc.decode(text(entry_id))
        assert tariff_band(r.timestamp) == r.tariff, entry_id
