"""Every DSMR P1 entry of the shared corpus (fixtures/p1/corpus.json, copied verbatim).

Valid entries: every object the corpus lists is a register with the same value: numbers
converted to SI (kWh -> Wh ...; the corpus keeps the meter's unit), text compared with the
bracket text as sent (``extra["raw"]``), timestamps as sent and as a datetime. Invalid entries
raise the typed error their ``expected_error`` names. Encrypted entries: their ``plaintext``.
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
from decimal import Decimal

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.plausibility import screen
from smartmeter_codecs.p1 import decode_telegram
from smartmeter_codecs.p1.mapping import UNITS

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "p1" / "corpus.json").read_text())
ENTRIES = {e["id"]: e for e in FIX["entries"]}
DISAGREE = {d["id"] for d in FIX["disagreements"]}
_OBIS = re.compile(r"(\d+)-(\d+):(\d+)[.:](\d+)[.:](\d+)")


def _no_trailer(quality):
    return re.sub(r"(; )?trailing bytes: \d+ after offset \d+", "", quality or "") or None


def _text(e):
    return e["data"] if e["encoding"] == "text" else e["plaintext"]


def _norm(key):
    m = _OBIS.match(key)
    return "{}-{}:{}.{}.{}".format(*m.groups()) if m else key


def _si(value, unit):
    if unit is None:
        return float(value), None
    si, factor = UNITS.get(unit.lower(), (unit, 1))
    return float(Decimal(repr(value)) * factor), si


def _tst_ok(reg_value, ts, profile):
    if not isinstance(reg_value, dt.datetime):
        return False
    if reg_value.strftime("%y%m%d%H%M%S") != ts[:12]:
        return False
    if len(ts) == 13:
        # the zone the reading says it used (from the FLAG id; the IE telegram's "ISk" -> nl)
        offsets = {"lt": (2, 3), "se": (1, 1), "ie": (0, 1)}.get(profile, (1, 2))
        want = offsets[1] if ts[12] == "S" else offsets[0]
        return reg_value.utcoffset() == dt.timedelta(hours=want)
    return True


def _check(reg, obj, country):
    raw = reg.extra["raw"]
    kind = obj.get("type")
    if kind == "power_failure_log":
        assert reg.extra["count"] == obj["count"]
        if obj.get("buffer_obis"):
            assert reg.extra["buffer_obis"] == obj["buffer_obis"]
        assert len(reg.value) == len(obj["events"])
        for got, want in zip(reg.value, obj["events"]):
            assert got.end_raw == want["end_timestamp"] and got.duration == want["duration"]
        return
    if kind == "mbus_profile_dsmr22":
        assert reg.extra["timestamp_raw"] == obj["timestamp"]
        assert reg.extra["capture_obis"] == obj["capture_obis"]
        assert raw == tuple(obj["groups"][:-1]) + (obj["groups"][-1],)
    if kind == "mbus_value":
        assert reg.extra["timestamp_raw"] == obj["timestamp"]
        stamp = reg.extra.get("timestamp")
        assert stamp is None or _tst_ok(stamp, obj["timestamp"], country)
    if "groups" in obj and kind is None:
        assert raw == (tuple(obj["groups"]) if len(obj["groups"]) != 1 else obj["groups"][0])
        return
    if "timestamp" in obj and kind is None:
        assert raw == obj["timestamp"]
        if re.fullmatch(r"\d{12}[SW]", obj["timestamp"]):
            assert _tst_ok(reg.value, obj["timestamp"], country) or reg.value is None
        return
    v = obj.get("value")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        want, unit = _si(v, obj.get("unit"))
        assert reg.value == pytest.approx(want, rel=1e-12, abs=1e-9), (reg, obj)
        assert reg.unit == unit, (reg, obj)
    elif isinstance(v, str):
        assert raw == v, (reg, obj)


VALID = [i for i, e in ENTRIES.items() if e["valid"]]
INVALID = [i for i, e in ENTRIES.items() if not e["valid"]]


@pytest.mark.parametrize("eid", VALID)
def test_valid_entry_every_object_matches(eid):
    e = ENTRIES[eid]
    if eid in DISAGREE:
        with pytest.raises(smc.IncompleteError) as info:
            smc.decode_all(_text(e), format="p1")
        assert info.value.layer == "p1"
        reading = decode_telegram(_text(e), require_end=False)
    elif e["encoding"] == "text":
        readings = smc.decode_all(e["data"], format="p1")
        assert len(readings) == 1
        reading = readings[0]
        assert reading.format == "p1"
        # the public API adds the plausibility screen, and names bytes after the '!' line
        # (EasyMeter COM-1 0xFF runs) in quality (issue 9 item 3)
        # (the byte count differs while str input is read as UTF-8 by the public API, issue 9 item 5)
        expected = screen(decode_telegram(e["data"]))
        assert ("trailing bytes" in (reading.quality or "")) == ("trailing bytes" in (expected.quality or ""))
        assert reading.replace(quality=_no_trailer(reading.quality)) == expected.replace(
            quality=_no_trailer(expected.quality))
    else:
        reading = decode_telegram(e["plaintext"])
    objs = e["expected"]["objects"]
    assert reading.meter_model == e["expected"]["header"][1:]
    regs: dict[str, list] = {}
    for r in reading.registers:
        regs.setdefault(_norm(r.extra.get("obis_sent", r.key)), []).append(r)
    n_objects = 0
    for key, obj in objs.items():
        wanted = obj if isinstance(obj, list) else [obj]
        got = regs.get(_norm(key), [])
        assert len(got) == len(wanted), (key, got)
        for reg, o in zip(got, wanted):
            _check(reg, o, reading.profile)
        n_objects += len(wanted)
    # every data line became exactly one register
    assert len(reading.registers) == n_objects


def _expected_type(e):
    text = (e["expected_error"] or "").lower()
    if "truncated" in text or "incomplete" in text or 'no "!"' in text:
        return smc.IncompleteError
    assert "crc" in text or "checksum" in text
    return smc.ChecksumError


@pytest.mark.parametrize("eid", INVALID)
def test_invalid_entry_raises_the_typed_error(eid):
    e = ENTRIES[eid]
    want = _expected_type(e)
    with pytest.raises(want) as info:
        if e["encoding"] == "text":
            smc.decode_all(e["data"], format="p1")
        else:
            decode_telegram(e["plaintext"])
    err = info.value
    assert err.layer == "p1" and err.offset is not None
    crc = e["expected"].get("crc") or {}
    if want is smc.ChecksumError and crc.get("status") == "mismatch":
        assert err.expected == int(crc["given"], 16) and err.actual == int(crc["computed"], 16)
        text = _text(e).encode("latin-1")
        assert text[err.offset - 1:err.offset] == b"!"


@pytest.mark.parametrize("eid", [i for i in INVALID if ENTRIES[i]["expected"].get("crc", {}).get("status") == "mismatch"
                                 and "truncated" not in ENTRIES[i]["expected_error"]])
def test_crc_mismatch_entries_still_parse_without_the_crc_check(eid):
    # their content is well-formed: only the CRC is wrong (spec examples, anonymised copies)
    r = decode_telegram(_text(ENTRIES[eid]), check_crc=False)
    assert r.registers


def test_dsmr5_reading_fields_and_source_asserts():
    e = ENTRIES["p1-dsmr_parser-telegram_v5"]
    r = smc.decode(e["data"], format="p1")
    # dsmr_parser asserts 2017-01-02T18:20:02Z for 170102192002W
    assert r.timestamp == dt.datetime(2017, 1, 2, 18, 20, 2, tzinfo=dt.UTC)
    assert r.timestamp.utcoffset() == dt.timedelta(hours=1) and r.profile == "nl"
    assert r.active_energy_import == 4426 + 2399       # no 1.8.0: the sum of 1.8.1 + 1.8.2
    assert r.active_energy_export == 2444
    assert r.active_power_import == 244 and r.active_power_export == 0
    assert (r.voltage_l1, r.voltage_l2, r.voltage_l3) == (230.0, 230.0, 229.0)
    assert (r.current_l1, r.current_l2, r.current_l3) == (0.48, 0.44, 0.86)
    assert (r.active_power_import_l1, r.active_power_import_l2, r.active_power_import_l3) == (70, 32, 142)
    assert r.tariff == "T2"
    assert r.meter_id == "K8EG004046395507"
    assert r.register("0-0:96.1.1").extra["raw"] == "4B384547303034303436333935353037"
    gas = r.register("0-1:24.2.1")
    assert (gas.value, gas.unit, gas.extra["channel"]) == (0.107, "m3", 1)
    assert gas.extra["timestamp"] == dt.datetime(2017, 1, 2, 16, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert r.register("0-0:96.7.21").value == 13
    assert r.register("1-0:99.97.0").value == ()


def test_total_register_wins_over_the_tariff_sum():
    r = decode_telegram(ENTRIES["p1-dsmr_parser-telegram_sagemcom_t210_d_r"]["data"])
    assert r.active_energy_import == 6545766 and r.active_energy_export == 58
    assert r.reactive_energy_import == 747 and r.reactive_energy_export == 3897726
    assert r.reactive_power_export == 166 and r.profile == "at"


def test_power_failure_events_match_dsmr_tools():
    r = decode_telegram(ENTRIES["p1-dsmrtools-testdsmrparseronpowerfailure-testparsebadtestcase"]["data"])
    ev = r.register("1-0:99.97.0").value
    cest = dt.timezone(dt.timedelta(hours=2))
    assert ev[0].start == dt.datetime(2018, 4, 17, 20, 11, 2, tzinfo=cest)
    assert ev[0].end == dt.datetime(2018, 4, 17, 20, 14, 58, tzinfo=cest)
    assert ev[1].start == dt.datetime(2022, 5, 25, 8, 54, 50, tzinfo=cest)
    assert ev[1].end - ev[1].start == dt.timedelta(minutes=48, seconds=56)


def test_swedish_meters_keep_normal_time_and_lithuania_is_eet():
    se = decode_telegram(ENTRIES["p1-se-ell5-210828"]["data"])
    assert se.profile == "se" and se.timestamp.utcoffset() == dt.timedelta(hours=1)
    lt = decode_telegram(ENTRIES["p1-eso-lt-maximum"]["data"])
    assert lt.profile == "lt" and lt.timestamp.utcoffset() == dt.timedelta(hours=2)
    assert lt.register("1-0:16.24.0").value == -24.0           # signed values are kept
    assert lt.register("1-0:13.7.0").value == -1.0 and lt.power_factor == -1.0
    assert lt.frequency == 50.0
    # an explicit profile overrides the FLAG guess
    ie = decode_telegram(ENTRIES["p1-dsmr_parser-telegram_iskra_ie"]["data"], profile="ie")
    assert ie.profile == "ie" and ie.timestamp.utcoffset() == dt.timedelta(hours=1)


def test_fluvius_units_without_asterisk_and_gas_on_24_2_3():
    r = decode_telegram(ENTRIES["p1-openhab-flu5"]["data"])
    assert r.profile == "be"
    assert r.register("1-0:1.8.1").value == 123456.0 and r.register("1-0:1.8.1").extra["unit_sent"] == "kWh"
    assert r.voltage_l1 == 234.5 and r.current_l1 == 5.0
    gas = r.register("0-1:24.2.3")
    assert gas.value == 99.999 and gas.unit == "m3" and gas.extra["channel"] == 1
    # M-Bus values never leak into the electricity fields
    assert r.active_energy_import == 123456 + 234567


def test_cosem_datetime_clock_and_empty_mbus_channels():
    r = decode_telegram(ENTRIES["p1-dsmr_parser-issue160-cosem-datetime"]["data"])
    assert r.timestamp == dt.datetime(2024, 6, 28, 8, 43, 43, tzinfo=dt.UTC)
    assert r.register("0-1:24.2.1").value == "0"
    ev = r.register("1-0:99.97.0").value
    assert ev[0].duration == 5358478


def test_dsmr22_gas_profile_value_from_the_continuation_line():
    r = decode_telegram(ENTRIES["p1-dsmr_parser-telegram_v3"]["data"])
    gas = r.register("0-1:24.3.0")
    assert gas.value == 1.001 and gas.unit == "m3" and gas.extra["capture_obis"] == "0-1:24.2.1"
    assert gas.extra["timestamp"].replace(tzinfo=None) == dt.datetime(2009, 2, 12, 16, 0)
    assert r.timestamp is None      # DSMR 3.0: no clock line


def test_wrapped_text_message_is_joined():
    r = decode_telegram(ENTRIES["p1-openhab-dsmr_42"]["data"])
    msg = r.register("0-0:96.13.0")
    assert msg.value == "0123456789:;<=>?" * 5
    assert r.register("1-0:31.7.0").extra["obis_sent"] == "1-0:31.7.0.255"


def test_trailer_after_the_telegram_is_ignored_and_shown_by_inspect():
    e = ENTRIES["p1-dsmr_parser-telegram_esy5q3db1024_v304"]
    r = decode_telegram(e["data"])
    assert r.active_energy_import == pytest.approx(52185782.5309)
    insp = smc.inspect(e["data"].encode("latin-1"), format="p1")
    assert insp.error is None and insp.root.find("trailer") is not None
