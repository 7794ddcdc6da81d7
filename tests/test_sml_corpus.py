"""Every SML entry of the shared corpus (fixtures/sml/corpus.json, copied verbatim), table-driven.

Valid entries: every list entry the corpus lists is a register with the same value, unit,
scaler, status word, wire type, raw value and valTime; the transport CRC algorithm, padding and
message types/transaction ids are as recorded; the values the sources state (``checks``) hold.
Invalid entries raise the typed error ``errors`` names, at the layer named.
"""
from __future__ import annotations

import json
import math
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.sml import parse_files
from smartmeter_codecs.sml.messages import SmlTime

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml" / "corpus.json").read_text())
ENTRIES = {e["id"]: e for e in FIX["entries"]}
VALID = [i for i, e in ENTRIES.items() if e["valid"]]
INVALID = [i for i, e in ENTRIES.items() if not e["valid"]]
_UNITS = {"deg": "°"}
_TYPES = {"OpenResponse": "PublicOpen.Res", "GetListResponse": "GetList.Res", "CloseResponse": "PublicClose.Res"}


def _data(i):
    return bytes.fromhex(ENTRIES[i]["data"])


def _time(v):
    if isinstance(v, int):
        return SmlTime("bare", v).to_json()
    kind, val = v
    if kind == "secIndex":
        return SmlTime("sec_index", val).to_json()
    if kind == "timestamp":
        return SmlTime("timestamp", val).to_json()
    return SmlTime("local_timestamp", *val).to_json()


def test_every_sml_entry_is_covered():
    assert len(ENTRIES) == 47
    assert set(INVALID) == set(FIX["errors"])


@pytest.mark.parametrize("eid", VALID)
def test_valid_entry_registers_match_the_corpus(eid):
    e = ENTRIES[eid]
    readings = smc.decode_all(_data(eid), format="sml")
    exp = e["expected"]
    if not exp.get("entries"):
        assert readings == []       # a lone PublicOpen.Res (libsml message test)
        return
    (r,) = readings
    for obis, want in exp["entries"].items():
        reg = r.register(obis.replace("*", "."))
        assert reg is not None, obis
        x = reg.extra
        if "status" in want:
            assert x["status"] == want["status"], obis
        if "scaler" in want:
            assert x["scaler"] == want["scaler"], obis
        if "unit_code" in want:
            assert x["unit_code"] == want["unit_code"], obis
        if "unit" in want:
            assert reg.unit == _UNITS.get(want["unit"], want["unit"]), obis
        if "value_type" in want:
            assert x["type"] == want["value_type"], obis
        if "val_time" in want:
            assert x["val_time"] == _time(want["val_time"]), obis
        raw = want.get("raw_value")
        if isinstance(raw, str):
            assert x["raw"] == raw, obis
            if "text" in want:
                assert reg.value == want["text"], obis
        elif isinstance(raw, list):        # SML_ListType choice 1 = SML_Time (EMH 129-0:96.8.0*1)
            assert x["time"] == _time(["secIndex", raw[1][1]]) and reg.value == raw[1][1] and reg.unit == "s"
        elif raw is not None:
            assert x["raw"] == raw, obis
            assert math.isclose(reg.value, want["value"], rel_tol=1e-12, abs_tol=1e-12), obis
        else:
            assert reg.value is None, obis      # an entry without a value (EMH 96.50.2*6)
    sid = exp.get("server_id")
    if sid:
        got = [m.body.server_id for f in parse_files(_data(eid)) for m in f.messages
               if getattr(m.body, "server_id", None) is not None]
        assert got and got[-1].hex() == sid


@pytest.mark.parametrize("eid", VALID)
def test_valid_entry_transport_and_messages_match_the_corpus(eid):
    e = ENTRIES[eid]
    exp = e["expected"]
    (f,) = parse_files(_data(eid))
    t = exp.get("transport")
    if t is None:
        assert f.transport is None
    else:
        assert f.transport.padding == t["padding_bytes"]
        assert f.transport.end == t["frame_length"] == len(_data(eid))
        assert f.transport.crc_kind == ("x25" if t["crc_x25_ok"] else "kermit")
    assert [m.name for m in f.messages] == [_TYPES[m["type"]] for m in exp["messages"]]
    assert [m.transaction_id.hex() for m in f.messages] == [m["transaction_id"] for m in exp["messages"]]
    assert all(m.crc_kind in ("x25", "kermit") for m in f.messages)


@pytest.mark.parametrize("eid", INVALID)
def test_invalid_entry_raises_the_typed_error(eid):
    kind, layer = FIX["errors"][eid]
    with pytest.raises(smc.DecodeError) as info:
        smc.decode_all(_data(eid), format="sml")
    assert type(info.value).__name__ == kind
    assert info.value.layer == layer
    assert info.value.offset is not None and 0 <= info.value.offset <= len(_data(eid))
    # inspection shows what it understood and carries the same verdict
    insp = smc.inspect(_data(eid), format="sml")
    assert type(insp.error).__name__ == kind


@pytest.mark.parametrize("eid", sorted(FIX["checks"]))
def test_values_the_sources_state(eid):
    c = FIX["checks"][eid]
    r = smc.decode(_data(eid), format="sml")
    for key, want in c.get("registers", {}).items():
        assert r.register(key).value == pytest.approx(want) if isinstance(want, float) else r.register(key).value == want
    for field, want in c.get("fields", {}).items():
        got = getattr(r, field)
        assert got == (pytest.approx(want) if isinstance(want, float) else want), field
    for field, kwh in c.get("kwh_3dp", {}).items():   # tibberlink states kWh with 3 decimals
        assert abs(getattr(r, field) / 1000 - kwh) <= 0.0005 + 1e-9, field
    if "register_count" in c:
        assert len(r.registers) == c["register_count"]
    if "quality" in c:
        assert c["quality"] in r.quality
    if "meter_id" in c:
        assert r.meter_id == c["meter_id"]
    for prof, want_fields in c.get("profiles_fields", {}).items():
        other = smc.decode(_data(eid), format="sml", profile=prof)
        for field, want in want_fields.items():
            assert getattr(other, field) == pytest.approx(want), (prof, field)
    for prof, outcome in c.get("profiles", {}).items():
        if outcome == "ok":
            assert smc.decode(_data(eid), format="sml", profile=prof).registers
        else:
            with pytest.raises(smc.DecodeError) as info:
                smc.decode(_data(eid), format="sml", profile=prof)
            assert type(info.value).__name__ == outcome


def test_dzg_sign_bug_is_never_silent():
    # a serial in libsml's buggy DVS74 ranges: the ambiguous power is withheld and quality says
    # why; the register keeps the value as sent; a profile settles it either way, and says so
    data = _data("sml-libsml-testing-dzg-dvs74-wrong-sign")
    r = smc.decode(data)
    assert r.active_power_import is None and r.active_power_export is None
    assert "+356.24 W" in r.quality and "libsml #59" in r.quality and "known sign bug" in r.quality
    assert r.register("1-0:16.7.0").value == pytest.approx(-299.12)
    fixed = smc.decode(data, profile="dzg-dvs74")
    assert fixed.active_power_import == pytest.approx(356.24) and "read as +356.24 W" in fixed.quality
    assert fixed.profile == "dzg-dvs74"
    # a fixed DVS74 (serial 60694611) sends genuine negatives: taken as sent, no note
    neg = smc.decode(_data("sml-libsml-testing-dzg-dvs74-true-negative"))
    assert neg.active_power_export == pytest.approx(105.5) and neg.quality is None
    # the profile is the user's statement about their meter: it applies to every DZG serial
    # (libsml-testing PR #15: the workaround turns this genuine -105.50 W into +549.86 W)
    assert smc.decode(_data("sml-libsml-testing-dzg-dvs74-true-negative"),
                      profile="dzg-dvs74").active_power_import == pytest.approx(549.86)


def test_pinless_reading_reports_no_power_rather_than_zero():
    for eid in ("sml-libsml-testing-holley-dtz541-bdba-nopin", "sml-libsml-testing-iskra-mt631-nopin",
                "sml-libsml-testing-ebz-dd3-2r06", "sml-smllib-dzg-frame1"):
        r = smc.decode(_data(eid))
        assert r.active_power_import is None and r.active_power_export is None, eid
        assert r.quality.startswith("no-pin") and "not 0 W" in r.quality, eid
    # the same Holley meter after PIN entry: full resolution and power, no note
    pin = smc.decode(_data("sml-libsml-testing-holley-dtz541-bdba-pin"))
    assert pin.active_power_import == 376.0 and pin.quality is None


def test_absolute_power_without_a_direction_rule_stays_unset():
    # EMH eHZ-I sends 16.7.0 (signed): no status rule needed; Dr. Neuhaus SMGW |P| = 0 is 0 either way
    assert smc.decode(_data("sml-libsml-testing-drneuhaus-smgw")).active_power_import == 0.0
    # an |P| != 0 from a maker without a documented status bit is not given a sign
    import dataclasses

    from smartmeter_codecs.sml.mapping import PROFILES, to_reading
    (f,) = parse_files(_data("sml-libsml-testing-emh-ed300l-delivery"))
    gl = f.messages[1].body
    r = to_reading(gl.entries, server_id=bytes.fromhex("0A01444E540100002030"), profile=PROFILES["default"])
    assert r.active_power_import is None and r.active_power_export is None
    assert "without a direction" in r.quality
    assert dataclasses.replace(r).register("1-0:15.7.0").value == pytest.approx(126.6)


def test_meter_ids_and_timestamps():
    assert smc.decode(_data("sml-tibberlink-efr-issue704")).meter_id == "1EFR3347153263"
    assert smc.decode(_data("sml-smartmeter-obis-emh")).meter_id == "1EMH0004321349"
    assert smc.decode(_data("sml-libsml-testing-hager-ehz361")).meter_id == "1001185"   # ASCII server id
    r = smc.decode(_data("sml-smllib-emh-issue26-sml-time-value"))
    # localTimestamp [1729848098, 60, 60]: Unix time with local offset 60 + season 60 minutes
    assert r.timestamp.isoformat() == "2024-10-25T11:21:38+02:00"
    assert smc.decode(_data("sml-smartmeter-obis-emh")).timestamp is None     # secIndex is not a clock


def test_autodetect_and_sniff():
    for eid in VALID:
        data = _data(eid)
        if data[:1] == b"\x1b":
            assert smc.decode_all(data) == smc.decode_all(data, format="sml")
            assert smc.decode(data).format == "sml"
    assert "sml" in [f.name for f in smc.formats()]


def test_stream_of_all_frames_with_garbage_and_broken_frames():
    frames = [_data(i) for i in VALID if _data(i)[:1] == b"\x1b"]
    broken = [_data(i) for i in INVALID if _data(i)[:1] == b"\x1b"]
    stream = b"\x00\xff junk \x1b\x1b"
    for i, fr in enumerate(frames):
        stream += fr + (broken[i % len(broken)] if i % 3 == 0 else b"") + bytes([i]) * (i % 5)
    dec = smc.StreamDecoder(format="sml")
    items = []
    for i in range(0, len(stream), 37):
        items += dec.feed(stream[i:i + 37])
    readings = [x for x in items if isinstance(x, smc.Reading)]
    errors = [x for x in items if isinstance(x, smc.DecodeError)]
    assert len(readings) == len(frames)
    assert [r.meter_id for r in readings] == [smc.decode(f).meter_id for f in frames]
    assert len(errors) >= len([i for i in range(len(frames)) if i % 3 == 0])
    # autodetecting stream decoder locks onto sml
    auto = smc.StreamDecoder()
    got = [x for x in auto.feed(stream) if isinstance(x, smc.Reading)]
    assert len(got) == len(frames) and auto.format == "sml"
