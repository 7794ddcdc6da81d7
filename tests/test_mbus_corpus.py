"""Every entry of the M-Bus corpus (fixtures/mbus/corpus.json, copied from shared/corpus/mbus.json).

Valid frames decode to the values their source asserts (libmbus normalized records,
pyMeterBus assertions, wmbusmeters driver JSON, wmbusmeters dvparser vectors); invalid ones
give a typed DecodeError. Deliberate differences are listed in fixtures/mbus/disagreements.json
and asserted here as what the standard says.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.errors import (
    ApplicationError,
    ChecksumError,
    DecodeError,
    FramingError,
    IncompleteError,
    UnsupportedError,
)
from smartmeter_codecs.mbus.codec import CODEC, WMBUS_CODEC
from smartmeter_codecs.mbus.records import parse_records

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mbus"
ENTRIES = json.loads((FIXTURES / "corpus.json").read_text())["entries"]
DISAGREE = {d["id"]: d for d in json.loads((FIXTURES / "disagreements.json").read_text())["entries"]}


def _by(category: str, valid: bool | None = None) -> list[dict]:
    return [e for e in ENTRIES if e.get("category") == category and (valid is None or e["valid"] is valid)]


def _fmt(entry: dict) -> str:
    return "wmbus" if "wireless" in entry.get("category", "") else "mbus"


def _records(reading: smc.Reading) -> list[smc.Register]:
    return [r for r in reading.registers if not r.key.startswith("mbus:header.")]


def test_every_entry_is_covered() -> None:
    categories = {e.get("category") for e in ENTRIES}
    covered = {"test-frames", "error-frames", "unsupported-frames", "pymeterbus-tests", "pymeterbus-blobs",
               "wmbusmeters-wired", "wmbusmeters-wireless-electricity", "wmbusmeters-dvparser-unit",
               "dlms-over-mbus", "issue-reported"}
    assert categories <= covered


# --- libmbus test-frames: record by record against the normalized XML ----------------------

_UNITS = {"Wh": "Wh", "m^3": "m3", "J": "J", "W": "W", "s": "s", "°C": "°C", "K": "K", "V": "V", "A": "A",
          "m^3/h": "m3/h"}
_FUNCTION = {"Instantaneous value": "instantaneous", "Maximum value": "maximum", "Minimum value": "minimum",
             "Value during error state": "error"}


@pytest.mark.parametrize("entry", _by("test-frames"), ids=lambda e: e["id"])
def test_libmbus_test_frames(entry: dict) -> None:
    readings = smc.decode_all(entry["hex"], format="mbus")
    assert len(readings) == 1
    reading = readings[0]
    info = entry["expected"]["slave_information"]
    assert reading.meter_id.lstrip("0") == info["Id"].lstrip("0")
    if "Manufacturer" in info:
        assert reading.register("mbus:header.manufacturer").value == info["Manufacturer"]
    regs = _records(reading)
    expected = entry["expected"]["records"]
    assert len(regs) == len(expected)
    skip = DISAGREE.get(entry["id"], {}).get("record", [])
    for want, reg in zip(expected, regs):
        if want["id"] in (skip if isinstance(skip, list) else []):
            continue
        if "value_num" in want and not reg.extra.get("invalid"):
            assert isinstance(reg.value, (int, float)), (want, reg)
            assert math.isclose(reg.value, want["value_num"], rel_tol=1e-6, abs_tol=1.5e-6), (want, reg)
            if want.get("unit") in _UNITS:
                assert reg.unit == _UNITS[want["unit"]], (want, reg)
        if want.get("function") in _FUNCTION:
            assert reg.extra["function"] == _FUNCTION[want["function"]]
        if "storage_number" in want:
            assert reg.extra["storage"] == want["storage_number"], (want, reg)
        if "tariff" in want:
            assert reg.extra["tariff"] == want["tariff"], (want, reg)
        if "device" in want:
            assert reg.extra["subunit"] == want["device"], (want, reg)
        if want.get("function") in ("More records follow", "Manufacturer specific"):
            assert isinstance(reg.value, bytes)


def test_libmbus_disagreements_are_what_the_standard_says() -> None:
    def regs(entry_id: str) -> list[smc.Register]:
        e = next(x for x in ENTRIES if x["id"] == entry_id)
        return _records(smc.decode_all(e["hex"], format="mbus")[0])

    pollustat = regs("libmbus:test-frames/SEN_Pollustat")
    assert (pollustat[12].value, pollustat[12].unit) == (11582321, "s")  # VIFE 50: duration, seconds
    assert (pollustat[13].value, pollustat[13].unit) == (756, "s")
    abb = regs("libmbus:test-frames/abb_f95")
    assert abb[2].value == "DDEBB4DD" and abb[2].extra["invalid"] and abb[2].unit is None
    assert abb[3].value == "EBB4DD" and abb[3].extra["function"] == "error"
    fixed = regs("libmbus:test-frames/manual_frame2")
    assert [(r.value, r.unit, r.extra["storage"]) for r in fixed] == [(0.001, "m3", 0), (0.135, "m3", 1)]
    pollusonic = regs("libmbus:test-frames/sen_pollusonic_2")
    assert [(r.value, r.unit) for r in pollusonic] == [(6531000, "Wh"), (0.069, "m3")]
    assert regs("libmbus:test-frames/els_tmpa_telegramm1")[5].value == b"\x00"


def test_negative_bcd_and_dates() -> None:
    e = next(x for x in ENTRIES if x["id"] == "libmbus:test-frames/SLB_CF-Compact-Integral-MK-MaXX")
    regs = _records(smc.decode_all(e["hex"], format="mbus")[0])
    assert regs[6].value == pytest.approx(-0.18) and regs[6].unit == "K"  # BCD with top nibble F
    assert any(isinstance(r.value, dt.date) for r in regs)


# --- error frames ----------------------------------------------------------------------------

_ERROR_CLASS = {
    "premature_end_of_data": (FramingError, "premature end of record at data"),
    "premature_end_of_dif": (FramingError, "premature end of record at DIF"),
    "premature_end_of_vif": (FramingError, "premature end of record at VIF"),
    "premature_end_of_plaintext_vif": (FramingError, "plain-text VIF"),
    "plaintext_vif_too_long": (FramingError, "too long"),
    "too_many_dife": (FramingError, "too many DIFEs"),
    "too_many_vife": (FramingError, "too many VIFEs"),
    "header_too_short": (FramingError, "header needs 12 bytes"),
    "invalid_length": (FramingError, "L=0"),
    "fixed_data_wrong_length": (FramingError, "exactly 16 bytes"),
    "master_to_slave": (UnsupportedError, "master->slave"),
    "invalid_start": (FramingError, "frame start"),
    "checksum_error": (ChecksumError, "checksum"),
    "truncated_frame": (IncompleteError, "more needed"),
    "length_field_mismatch": (FramingError, "stop byte"),
}


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e["valid"]], ids=lambda e: e["id"])
def test_invalid_entries_raise_typed_errors(entry: dict) -> None:
    cls, fragment = _ERROR_CLASS[entry["expected_error"]["class"]]
    with pytest.raises(cls) as info:
        CODEC.decode_all(bytes.fromhex(entry["hex"]))
    assert fragment.lower() in info.value.message.lower(), info.value
    assert info.value.offset is not None
    # inspect never raises and reports the same error
    insp = smc.inspect(entry["hex"], format="mbus")
    assert isinstance(insp.error, cls)


@pytest.mark.parametrize("entry", [e for e in _by("error-frames", True)], ids=lambda e: e["id"])
def test_application_errors_carry_the_code(entry: dict) -> None:
    want = entry["expected"]["application_error"]
    with pytest.raises(ApplicationError) as info:
        CODEC.decode_all(bytes.fromhex(entry["hex"]))
    assert info.value.code == want["code"]
    assert want["text"].split(",")[0].lower()[:10] in info.value.message.lower()


# --- pyMeterBus --------------------------------------------------------------------------------

_PYMB_UNITS = {"Wh": "Wh", "J": "J", "m^3": "m3", "W": "W", "C": "°C", "K": "K", "seconds": "s", "m^3/h": "m3/h",
               "V": "V", "A": "A", "%": "%", "%RH": "%RH"}


@pytest.mark.parametrize("entry", _by("pymeterbus-tests", True), ids=lambda e: e["id"])
def test_pymeterbus_assertions(entry: dict) -> None:
    readings = smc.decode_all(entry["hex"], format="mbus")
    exp = entry["expected"]
    checked = exp.get("records") or exp.get("records_checked") or []
    if not checked:  # ACK / short / control frames carry no reading
        assert readings == []
        return
    regs = _records(readings[0])
    if "record_count" in exp:
        assert len(regs) == exp["record_count"]
    skip = DISAGREE.get(entry["id"], {}).get("record", [])
    for want in checked:
        reg = regs[want["index"]]
        if want["index"] in skip:
            continue
        v = want["value"]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            assert math.isclose(reg.value, v, rel_tol=1e-6, abs_tol=1e-9), (want, reg)
            if want.get("unit") in _PYMB_UNITS:
                assert reg.unit == _PYMB_UNITS[want["unit"]], (want, reg)
        elif want.get("unit") == "date":
            assert reg.value == dt.date.fromisoformat(v)
        elif isinstance(v, str):
            assert reg.value == v
        elif v is None:
            assert reg.extra.get("more_records_follow")


def test_pymeterbus_disagreements() -> None:
    hyd = next(x for x in ENTRIES if x["id"] == "pymeterbus:test_hyd")
    regs = _records(smc.decode_all(hyd["hex"], format="mbus")[0])
    assert regs[7].extra["invalid"] and regs[8].extra["invalid"]
    wep = next(x for x in ENTRIES if x["id"] == "pymeterbus:test_weptech")
    rssi = _records(smc.decode_all(wep["hex"], format="mbus")[0])[2]
    assert (rssi.value, rssi.unit) == (30, None)


def test_msb_first_ci76() -> None:
    e = next(x for x in ENTRIES if x["id"] == "pymeterbus:test_unknown_pl")
    r = smc.decode_all(e["hex"], format="mbus")[0]
    assert r.meter_id == "15531111"  # ident sent most significant byte first: natural digit order
    assert r.register("mbus:header.manufacturer").value == "@@@"  # manufacturer 00 00


# --- wmbusmeters -------------------------------------------------------------------------------

_SCALE = (("_kwh", (1000, 3.6e6)), ("_kvarh", (1000,)), ("_kw", (1000,)), ("_kvar", (1000,)),
          ("_mwh", (1e6,)), ("_h", (3600,)))


def _wanted(key: str, value: float) -> tuple[float, ...]:
    for suffix, factors in _SCALE:
        if key.endswith(suffix):
            return tuple(value * f for f in factors)
    return (value,)


@pytest.mark.parametrize("entry", _by("wmbusmeters-wired") + _by("wmbusmeters-wireless-electricity"),
                         ids=lambda e: e["id"])
def test_wmbusmeters_json_values(entry: dict) -> None:
    fmt = _fmt(entry)
    dis = DISAGREE.get(entry["id"], {})
    if dis.get("record") == "all":
        with pytest.raises(UnsupportedError):
            smc.decode_all(entry["hex"], format=fmt)
        return
    readings = smc.decode_all(entry["hex"], format=fmt)
    assert readings
    assert readings[0].meter_id == entry["expected"]["json"]["id"]
    nums = [r.value for rd in readings for r in rd.registers
            if isinstance(r.value, (int, float)) and not isinstance(r.value, bool)]
    skipped = dis.get("record", [])
    for key, value in entry["expected"]["json"].items():
        if key == "id" or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if key in skipped or isinstance(skipped, str):
            continue
        wanted = _wanted(key, value)
        # wmbusmeters prints 6 decimals in the unit of the key
        ok = any(math.isclose(n, w, rel_tol=1e-9, abs_tol=abs(w / value if value else 1) * 5.1e-7 + 1e-9)
                 for n in nums for w in wanted)
        assert ok, f"{key}={value} not among {nums}"


def test_wmbus_electricity_fields() -> None:
    e = next(x for x in ENTRIES if x["id"] == "wmbusmeters:amiplus/MyElectricity6#1")
    r = smc.decode(e["hex"], format="wmbus")
    assert r.active_power_import == pytest.approx(713)
    assert r.voltage_l1 == 242 and r.voltage_l2 == 240 and r.voltage_l3 == 238
    assert r.active_energy_import == pytest.approx(35007 + 67953)  # sum of tariffs 1..3 (no total register)
    assert r.timestamp == dt.datetime(2025, 2, 2, 14, 9, 55)  # type I (6 bytes); wmbusmeters prints minutes
    assert r.meter_id == "00086426"


def test_em24_correction_vife_applied() -> None:
    e = next(x for x in ENTRIES if x["id"] == "wmbusmeters:em24/Elen#3")
    r = smc.decode(e["hex"], format="wmbus")
    assert r.reactive_energy_import == pytest.approx(6300)
    assert r.active_energy_import == 229000


def test_wired_electricity_fields() -> None:
    e = next(x for x in ENTRIES if x["id"] == "libmbus:test-frames/FIN-Finder-7E.23.8.230.0020")
    r = smc.decode(e["hex"], format="mbus")
    # power and voltage carry manufacturer VIFEs (FF 01): no typed field from them
    assert r.active_power_import is None and r.voltage_l1 is None
    # tariff-1 register only (no total): summed; storage 2 is not a current value
    assert r.active_energy_import == 1728680


# --- dvparser record vectors --------------------------------------------------------------------


@pytest.mark.parametrize("entry", _by("wmbusmeters-dvparser-unit"), ids=lambda e: e["id"])
def test_dvparser_vectors(entry: dict) -> None:
    records, _ = parse_records(bytes.fromhex(entry["hex"]))
    by_key = {}
    for rec in records:
        by_key.setdefault((rec.dib + rec.vib).hex().upper(), rec)
    for key, want in entry["expected"]["entries_by_difvif_key"].items():
        if not isinstance(want, dict) or want.get("wmbusmeters_specific") or key not in by_key:
            if key == "0F":
                assert any(r.data_type == "manufacturer_data" for r in records)
            continue
        rec = by_key[key]
        if "double" in want:
            assert math.isclose(rec.value, want["double"], rel_tol=1e-9), (key, rec.value)
        if "date" in want:
            text = want["date"]
            if isinstance(rec.value, dt.datetime):
                assert rec.value.isoformat(sep=" ").startswith(text[:16]), (key, rec.value, text)
            else:
                assert rec.value.isoformat() == text[:10], (key, rec.value, text)
        if "hex_string" in want:
            assert rec.data.hex().upper() == want["hex_string"].upper()


def test_invalid_type_g_date() -> None:
    records, _ = parse_records(bytes.fromhex("426CE1F1"))  # year 127: invalid (wmbusmeters prints 2127)
    assert records[0].value is None and records[0].invalid
    records, _ = parse_records(bytes.fromhex("426CFFFF"))  # libmbus#123: FFFF = invalid
    assert records[0].value is None and records[0].invalid


# --- DLMS over M-Bus and issues -----------------------------------------------------------------


@pytest.mark.parametrize("entry", _by("dlms-over-mbus"), ids=lambda e: e["id"])
def test_dlms_transport_frames_are_left_to_dlms(entry: dict) -> None:
    data = bytes.fromhex(entry["hex"])
    assert CODEC.sniff(data) == 0
    with pytest.raises(UnsupportedError) as info:
        CODEC.decode_all(data)
    assert info.value.recognised["dlms_transport"] is True
    assert CODEC.stream().feed(data) == []  # skipped silently


@pytest.mark.parametrize("entry", _by("issue-reported"), ids=lambda e: e["id"])
def test_issue_frames(entry: dict) -> None:
    if DISAGREE.get(entry["id"], {}).get("record") == "all":
        with pytest.raises(UnsupportedError) as info:
            smc.decode_all(entry["hex"], format="mbus")
        assert info.value.recognised["ci"] == 0xB7
        return
    reading = smc.decode(entry["hex"], format="mbus")
    walk = (entry.get("frame") or {}).get("record_walk") or {}
    if walk.get("records") is not None:
        assert len(_records(reading)) == walk["records"]


def test_issue_facts() -> None:
    def reg_list(entry_id: str) -> list[smc.Register]:
        e = next(x for x in ENTRIES if x["id"] == entry_id)
        return _records(smc.decode(e["hex"], format="mbus"))

    sensostar = reg_list("issue:libmbus#77")  # FB 01: energy in 1 MWh steps
    energy = next(r for r in sensostar if r.extra["vib"] == "fb01")
    assert (energy.value, energy.unit) == (310e6, "Wh")
    # DIFE 20 / 30: bits 5-4 = tariff 2 / 3 (the entry's hand-written facts say 1 / 2; see disagreements)
    assert {r.extra["tariff"] for r in sensostar if r.extra["vib"] == "fb01"} == {0, 2, 3}
    assert any(r.value == dt.date(2013, 12, 31) and r.extra["storage"] == 1 for r in sensostar)
    ime = reg_list("issue:wmbusmeters#1118-a")
    assert any(r.extra["dib"] == "849010" and r.extra["tariff"] == 5 for r in ime)


def test_multi_telegram_sequence_joined() -> None:
    a = next(x for x in ENTRIES if x["id"] == "issue:wmbusmeters#1118-a")
    b = next(x for x in ENTRIES if x["id"] == "issue:wmbusmeters#1118-b")
    data = bytes.fromhex(a["hex"] + b["hex"])
    one_a = len(_records(CODEC.decode_all(bytes.fromhex(a["hex"]))[0]))
    one_b = CODEC.decode_all(bytes.fromhex(b["hex"]))
    joined = CODEC.decode_all(data)
    more_b = any(r.extra.get("more_records_follow") for r in one_b[0].registers)
    if more_b:  # both announce more records: one reading with both telegrams
        assert len(joined) == 1
        assert len(_records(joined[0])) == one_a + len(_records(one_b[0]))
        assert {r.extra["telegram"] for r in _records(joined[0])} == {0, 1}
    stream = CODEC.stream()
    items = [i for k in range(0, len(data), 13) for i in stream.feed(data[k:k + 13])]
    assert all(isinstance(i, smc.Reading) for i in items)
    assert len(items) == (0 if more_b else 1)  # held until the sequence ends


def test_wmbus_sniff_low_and_mbus_sniff_high() -> None:
    e = next(x for x in ENTRIES if x["id"] == "libmbus:test-frames/kamstrup_382_005")
    assert CODEC.sniff(bytes.fromhex(e["hex"])) >= 80
    w = next(x for x in ENTRIES if x["id"] == "wmbusmeters:amiplus/MyElectricity6#1")
    assert 0 < WMBUS_CODEC.sniff(bytes.fromhex(w["hex"])) < 50
    assert WMBUS_CODEC.sniff(bytes.fromhex(e["hex"])) == 0


def test_typed_errors_only() -> None:
    for e in ENTRIES:
        try:
            smc.decode_all(e["hex"], format=_fmt(e))
        except DecodeError:
            pass


def test_electricity_registers_carry_obis() -> None:
    e = next(x for x in ENTRIES if x["id"] == "wmbusmeters:amiplus/MyElectricity6#1")
    r = smc.decode(e["hex"], format="wmbus")
    assert r.register("1-0:1.8.1").value == 35007          # energy, tariff 1
    assert r.register("1-0:2.7.0").value == 0              # power with VIFE 3C (export)
    assert r.register("1-0:32.7.0").value == 242           # voltage at phase L1
    assert r.register("1-0:1.8.1").key == "mbus:energy:tariff1"
    heat = next(x for x in ENTRIES if x["id"] == "libmbus:test-frames/kamstrup_multical_601")
    assert all(reg.obis is None for reg in smc.decode(heat["hex"], format="mbus").registers)


@pytest.mark.parametrize("entry_id, fields", [
    ("wmbusmeters:eltako/Eltako#1", {"current_l1_a": "current_l1", "current_l2_a": "current_l2",
                                    "current_l3_a": "current_l3", "voltage_l1_n_v": "voltage_l1",
                                    "voltage_l2_n_v": "voltage_l2", "voltage_l3_n_v": "voltage_l3",
                                    "power_l1_kw": "active_power_import_l1", "power_l3_kw": "active_power_import_l3",
                                    "active_power_overall_kw": "active_power_import", "total_kwh": "active_energy_import"}),
    ("wmbusmeters:iem3000/S2_1#9", {"current_l1_a": "current_l1", "current_l3_a": "current_l3",
                                   "voltage_l2_n_v": "voltage_l2", "active_consumption_l2_kw": "active_power_import_l2",
                                   "active_consumption_kw": "active_power_import",
                                   "total_energy_consumption_kwh": "active_energy_import"}),
])
def test_manufacturer_phase_conventions(entry_id: str, fields: dict[str, str]) -> None:
    """Phases marked with manufacturer VIFEs (FF 0n) fill the typed fields (manufacturers.py)."""
    e = next(x for x in ENTRIES if x["id"] == entry_id)
    r = smc.decode(e["hex"], format="mbus")
    for json_key, field in fields.items():
        want = e["expected"]["json"][json_key] * (1000 if json_key.endswith(("_kw", "_kwh")) else 1)
        assert math.isclose(getattr(r, field), want, rel_tol=1e-5, abs_tol=1e-3), (field, getattr(r, field), want)
