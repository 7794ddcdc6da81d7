"""SML layers one by one: CRC, TL, transport, messages, mapping, codec (typed errors with offsets)."""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.sml import tl
from smartmeter_codecs.sml.codec import SmlStream, encode_reading, parse_files
from smartmeter_codecs.sml.crc import crc16_kermit, crc16_x25
from smartmeter_codecs.sml.mapping import build_server_id, parse_server_id
from smartmeter_codecs.sml.messages import (
    AttentionResponse,
    GetProcParameterResponse,
    ListEntry,
    SmlTime,
    Tree,
    build_message,
    encode_attention_response,
    encode_close_response,
    encode_entry,
    encode_get_list_response,
    encode_get_proc_parameter_response,
    encode_open_response,
    encode_time,
    encode_tree,
    parse_messages,
)
from smartmeter_codecs.sml.transport import MAX_FILE, START, FileSplitter, build_file, parse_file

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml" / "corpus.json").read_text())
ENTRIES = {e["id"]: bytes.fromhex(e["data"]) for e in FIX["entries"]}
EMH = ENTRIES["sml-smartmeter-obis-emh"]


def test_crc_check_values():
    # catalogue check values (reveng: CRC-16/IBM-SDLC alias X-25 0x906E, CRC-16/KERMIT 0x2189)
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_kermit(b"123456789") == 0x2189
    # vzlogger's EMH frame ends 1A 01 9D 37 and its X.25 is 0x379D (research/p1sml.md §3.1)
    assert EMH[-2:] == crc16_x25(EMH[:-2]).to_bytes(2, "little")


@pytest.mark.parametrize("hexdata, value", [
    # libsml test/src/sml_number_test.c vectors
    ("53EC78", -5000), ("55FFFFEC78", -5000), ("58FFFFFFFFFFEC78", -5000), ("59FFFFFFFFFFFFFFFF", -1),
    ("64010001", 65537), ("6201", 1), ("5201", 1), ("52FF", -1), ("69FFFFFFFFFFFFFFFF", (1 << 64) - 1),
    ("64917463", 0x917463),            # EFR SGM-C export: unsigned 24 bit, never sign-extended
])
def test_tl_integers_of_every_width(hexdata, value):
    node = tl.parse_node(bytes.fromhex(hexdata), 0)
    assert node.value == value and node.end == len(hexdata) // 2
    assert tl.parse_node((tl.encode_int if node.kind == tl.INT else tl.encode_uint)(value, node.width), 0).value == value


def test_tl_multi_byte_lengths_and_lists():
    # 81 02 = 0x12 = 18 bytes including both TL bytes (libsml "aaaaoaaaaaaaaaaa" test)
    raw = bytes.fromhex("8102") + b"aaaaoaaaaaaaaaaa"
    n = tl.parse_node(raw, 0)
    assert n.kind == tl.OCTETS and n.value == b"aaaaoaaaaaaaaaaa" and n.end == 18
    assert tl.encode_octets(b"aaaaoaaaaaaaaaaa") == raw
    # 83 02 = 0x32 = 50 bytes: a 48-byte public key
    assert tl.encode_octets(bytes(48))[:2] == bytes.fromhex("8302")
    # F1 04 = list of 0x14 = 20 elements (Holley)
    lst = tl.encode_list([tl.encode_uint(i) for i in range(20)])
    assert lst[:2] == bytes.fromhex("F104")
    node = tl.parse_node(lst, 0)
    assert node.kind == tl.LIST and [c.value for c in node.value] == list(range(20))
    assert tl.encode_octets(bytes(14))[:1] == b"\x0f" and tl.encode_octets(bytes(15))[:2] == b"\x81\x01"
    assert tl.parse_node(b"\x01", 0).kind == tl.ABSENT and tl.parse_node(b"\x00", 0).kind == tl.END


@pytest.mark.parametrize("hexdata, error, offset", [
    ("", smc.IncompleteError, 0),
    ("63 01", smc.IncompleteError, 0),                # announces 2 value bytes, 1 left
    ("72 62 01", smc.IncompleteError, 3),             # list of 2, only one element
    ("81", smc.IncompleteError, 1),                   # another TL byte announced
    ("81 92 00", smc.FramingError, 1),                # continuation TL byte with type bits
    ("11 00", smc.FramingError, 0),                   # unknown type 001
    ("60", smc.FramingError, 0),                      # unsigned with no value bytes
    ("43 01 02", smc.FramingError, 0),                # boolean of 2 bytes
    ("6A 00 00 00 00 00 00 00 00 00", smc.FramingError, 0),   # 9-byte integer
    ("80 01", smc.FramingError, 0),                   # length 1 < its 2 TL bytes
    ("81 81 81 81 01", smc.FramingError, 0),          # more than 4 TL bytes
])
def test_tl_errors_are_typed_with_offsets(hexdata, error, offset):
    with pytest.raises(error) as info:
        tl.parse_node(bytes.fromhex(hexdata), 0)
    assert info.value.layer == "sml-tl" and info.value.offset == offset


def test_tl_nesting_is_bounded():
    deep = b"\x71" * 200 + b"\x01"
    with pytest.raises(smc.FramingError) as info:
        tl.parse_node(deep, 0)
    assert info.value.offset == tl.MAX_DEPTH


def test_transport_escapes_padding_and_both_crcs():
    # an aligned 1B1B1B1B (escaped on the wire) and an off-grid 1B1B1B1B 1A (plain data)
    payload = b"\x1b" * 4 + b"data" + b"\x76" + b"\x1b\x1b\x1b\x1b\x1a\x00" + b"tail"
    for crc in ("x25", "kermit"):
        frame = build_file(payload, crc=crc)
        assert frame[:8] == START and len(frame) % 4 == 0
        tf = parse_file(frame, crc="auto")
        assert tf.payload == payload and tf.crc_kind == crc and tf.escapes
        # every payload byte maps back to the same byte of the frame
        for i in range(len(payload)):
            assert frame[tf.offset_of(i)] == payload[i]
    kermit = build_file(payload, crc="kermit")
    with pytest.raises(smc.ChecksumError) as info:
        parse_file(kermit, crc="x25")
    assert info.value.layer == "sml-transport" and info.value.offset == len(kermit) - 2
    with pytest.raises(smc.ChecksumError):
        parse_file(build_file(payload), crc="kermit")


@pytest.mark.parametrize("mutate, error, offset", [
    (lambda f: f[:-1], smc.IncompleteError, None),
    (lambda f: b"\x1b\x1b\x1b\x1b\x02" + f[5:], smc.FramingError, 0),
    (lambda f: f[:8] + b"\x1b\x1b\x1b\x1b\x05\x05\x05\x05" + f[8:], smc.FramingError, 12),
    (lambda f: f[:8] + f[8:40] + START + f[40:], smc.FramingError, 40),   # a start before the end: cut frame
    (lambda f: f[:-3] + bytes([f[-3] ^ 0x01]) + f[-2:], smc.ChecksumError, len(EMH) - 2),
])
def test_transport_errors_are_typed_with_offsets(mutate, error, offset):
    bad = mutate(EMH)
    with pytest.raises(error) as info:
        parse_file(bad)
    assert info.value.layer == "sml-transport"
    if offset is not None:
        assert info.value.offset == offset


def test_nonzero_padding_is_an_error():
    frame = bytearray(build_file(b"\x76\x01\x02"))
    pad_at = len(frame) - 3
    assert frame[pad_at] == 1
    frame[pad_at - 6] = 0x55        # the fill byte
    frame[-2:] = crc16_x25(bytes(frame[:-2])).to_bytes(2, "little")
    with pytest.raises(smc.FramingError) as info:
        parse_file(bytes(frame))
    assert "padding" in info.value.message


def test_message_crc_error_offset_is_an_input_offset():
    with pytest.raises(smc.ChecksumError) as info:
        smc.decode_all(ENTRIES["sml-smllib-ebz-issue8-ok"], format="sml")
    err = info.value
    assert err.layer == "sml-message"
    data = ENTRIES["sml-smllib-ebz-issue8-ok"]
    assert data[err.offset] == 0x63        # the TL of the first message's CRC field, in the input


def _file(bodies, crc="x25"):
    msgs = [build_message(bytes([i + 1]), tag, body, crc=crc) for i, (tag, body) in enumerate(bodies)]
    return build_file(b"".join(msgs), crc=crc)


def test_attention_response_is_an_application_error():
    att = encode_attention_response(server_id=b"srv", attention_no=bytes.fromhex("8181C7C7FE03"), message="no such server")
    data = _file([(0x0101, encode_open_response(req_file_id=b"1", server_id=b"srv")), (0xFF01, att),
                  (0x0201, encode_close_response())])
    with pytest.raises(smc.ApplicationError) as info:
        smc.decode_all(data, format="sml")
    assert info.value.code == 0x8181C7C7FE03 and "serverId" in info.value.message
    assert data[info.value.offset] == 0x76          # the Attention.Res message, as an input offset
    (f,) = parse_files(data)
    body = f.messages[1].body
    assert isinstance(body, AttentionResponse) and body.is_error and body.message == "no such server"
    # an acknowledgement (FD 00) is no error: the file simply carries no reading
    ok = encode_attention_response(server_id=None, attention_no=bytes.fromhex("8181C7C7FD00"))
    assert smc.decode_all(_file([(0xFF01, ok)]), format="sml") == []


def _period(obis, unit, scaler, raw, vtype):
    e = ListEntry(bytes.fromhex(obis), None, None, unit, scaler, raw, vtype, None, 0, 0, 0, 0)
    return Tree(bytes.fromhex(obis), "period", raw, e, (), 0, 0)


def test_get_proc_parameter_response_round_trips_and_becomes_a_reading():
    tree = Tree(bytes.fromhex("8181C78201FF"), None, None, None, (
        _period("0100010800FF", 30, -1, 123456, "uint32"),
        Tree(bytes.fromhex("8181C78203FF"), "value", b"EMH", None, (), 0, 0, "octets"),
        Tree(bytes.fromhex("0100000009FF"), "time", SmlTime("timestamp", 1700000000), None, (), 0, 0, "time"),
    ), 0, 0)
    body = encode_get_proc_parameter_response(server_id=build_server_id("1EMH0012345678"),
                                              tree_path=(bytes.fromhex("8181C78201FF"),), tree=tree)
    data = _file([(0x0501, body)])
    (f,) = parse_files(data)
    res = f.messages[0].body
    assert isinstance(res, GetProcParameterResponse) and res.tree_path == (bytes.fromhex("8181C78201FF"),)
    assert [c.name.hex() for c in res.tree.children] == ["0100010800ff", "8181c78203ff", "0100000009ff"]
    assert res.tree.children[0].entry.value == 123456 and res.tree.children[1].value_type == "octets"
    assert encode_tree(res.tree) == encode_tree(tree)     # the writer mirrors the reader
    r = smc.decode(data, format="sml")
    assert r.active_energy_import == pytest.approx(12345.6) and r.meter_id == "1EMH0012345678"
    assert r.register("129-129:199.130.3").value == "EMH"
    assert r.register("129-129:199.130.3").extra["type"] == "octets"
    assert r.register("1-0:0.0.9").value == dt.datetime.fromtimestamp(1700000000, dt.UTC)


def test_server_ids():
    sid = parse_server_id(bytes.fromhex("0A01445A4700039E2053"))
    assert (sid.meter_id, sid.manufacturer, sid.serial, sid.kind) == ("1DZG0060694611", "DZG", 60694611, "din43863-5")
    assert build_server_id("1DZG0060694611") == bytes.fromhex("0A01445A4700039E2053")
    assert parse_server_id(b"02280816").meter_id == "02280816"
    old = parse_server_id(bytes.fromhex("06454D4801027156CD45"))
    assert old.kind == "hex" and old.manufacturer == "EMH"
    with pytest.raises(ValueError):
        build_server_id("bad id with spaces")


def test_holley_bare_valtime_and_local_timestamp():
    (f,) = parse_files(ENTRIES["sml-libsml-testing-holley-dtz541-zdba"])
    e = next(e for e in f.messages[1].body.entries if e.obj_name == bytes.fromhex("0100010802FF"))
    assert e.val_time.kind == "bare" and e.val_time.seconds == 1347075 and e.val_time.to_datetime() is None
    assert tl.parse_node(encode_time(e.val_time), 0).kind == tl.UINT


def test_unknown_profile_is_a_value_error():
    with pytest.raises(ValueError):
        smc.decode_all(EMH, format="sml", profile="nope")
    with pytest.raises(ValueError):
        smc.StreamDecoder(format="sml", profile="nope")


def test_encode_builds_what_meters_send():
    r = smc.Reading(format="sml", meter_id="1EMH0012345678", active_energy_import=1234567.8, active_energy_export=5.0,
                    active_power_import=0.0, active_power_export=1557.0, voltage_l1=230.1, current_l1=-2.19,
                    frequency=49.9, timestamp=dt.datetime(2024, 10, 25, 11, 21, 38, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    data = smc.encode(r, format="sml")
    assert data[:8] == START
    back = smc.decode(data)
    for f in ("meter_id", "active_energy_import", "active_energy_export", "active_power_import", "active_power_export",
              "voltage_l1", "current_l1", "frequency", "timestamp"):
        assert getattr(back, f) == getattr(r, f), f
    assert back.timestamp.utcoffset() == dt.timedelta(hours=2)
    # one signed 16.7.0, as a meter sends it
    assert back.register("1-0:16.7.0").value == -1557
    kermit = smc.encode(r, format="sml", profile="holley-kermit")
    assert parse_file(kermit, crc="kermit").crc_kind == "kermit"
    with pytest.raises(ValueError):
        smc.encode(r.replace(active_energy_import=-1.0), format="sml")
    with pytest.raises(ValueError):
        smc.encode(r.replace(timestamp=dt.datetime(2024, 1, 1)), format="sml")


def test_encode_of_every_decoded_corpus_frame_round_trips():
    for eid, data in ENTRIES.items():
        try:
            readings = smc.decode_all(data, format="sml")
        except smc.DecodeError:
            continue
        for r in readings:
            again = smc.decode(encode_reading(r), format="sml")
            for f in ("meter_id", "active_energy_import", "active_energy_export", "active_power_import",
                      "active_power_export", "active_power_import_l1", "active_power_export_l3", "voltage_l1",
                      "current_l3", "frequency", "timestamp"):
                assert getattr(again, f) == getattr(r, f), (eid, f)
            assert {reg.key for reg in r.registers if reg.obis and isinstance(reg.value, (int, float, str))} <= \
                {reg.key for reg in again.registers} | {"1-0:15.7.0.255"}, eid


def test_splitter_buffer_is_bounded_and_recovers():
    sp = FileSplitter()
    out = sp.feed(START + b"\x76" * (MAX_FILE + 100))
    assert len(out) == 1 and isinstance(out[0], smc.FramingError) and sp.buffered <= 8
    assert sp.feed(EMH)[0].end == len(START) + MAX_FILE + 100 + len(EMH)
    # endless garbage never grows the buffer
    for _ in range(50):
        assert sp.feed(b"\x1b\x1b\x1b\x1b\x01\x01\x01" + bytes(range(256))) == [] and sp.buffered < 8
    st = SmlStream()
    items = st.feed(bytes(100) + EMH + EMH[:100])
    assert [type(i).__name__ for i in items] == ["Reading"] and st.buffered == 100
    assert [type(i).__name__ for i in st.feed(EMH[100:])] == ["Reading"] and st.buffered == 0


def test_unaligned_frames_with_a_valid_crc_are_accepted_and_noted():
    # a meter that does not pad: the end escape sits off the 4-byte grid, the CRC still verifies
    msgs = parse_files(EMH)[0].transport.payload
    body = START + msgs + b"\x1b\x1b\x1b\x1b\x1a\x00"
    if (len(START) + len(msgs)) % 4 == 0:
        body = START + msgs + b"\x00" + b"\x1b\x1b\x1b\x1b\x1a\x01"
    frame = body + crc16_x25(body).to_bytes(2, "little")
    r = smc.decode(frame, format="sml")
    assert r.active_power_import == 563.5 and "4-byte grid" in r.quality


def test_inspect_tree_has_offsets_and_verdicts():
    insp = smc.inspect(EMH)
    text = str(insp)
    assert insp.format == "sml" and insp.error is None and len(insp.readings) == 1
    assert "GetList.Res" in text and "CRC-16/X.25 ok" in text and "1-0:16.7.0.255 = 563.5 W" in text
    node = insp.root.find("1-0:16.7.0.255")
    assert EMH[node.start] == 0x77     # the list entry's TL: list of 7
    assert insp._repr_html_().startswith("<div")
    assert parse_messages(parse_file(EMH).payload)[0].name == "PublicOpen.Res"
    # unused helpers of the message writer are importable and consistent
    assert tl.parse_node(encode_entry(bytes(6), 5, "uint8"), 0).width == 7
    assert tl.parse_node(encode_get_list_response(server_id=None, entries=[]), 0).width == 7


def test_cli_decodes_sml_and_rejects_an_unknown_profile_in_one_line(tmp_path):
    import subprocess
    import sys
    f = tmp_path / "frame.hex"
    f.write_text(EMH.hex())
    ok = subprocess.run([sys.executable, "-m", "smartmeter_codecs", "decode", str(f)], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "1EMH0004321349" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "smartmeter_codecs", "decode", str(f), "--profile", "nope"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown sml profile" in bad.stderr


def test_escaped_1b_runs_inside_a_real_message_decode():
    # an octet string value holding 1B bytes: the aligned 1B1B1B1B in it is sent doubled
    entry = encode_entry(bytes.fromhex("8181C78205FF"), b"\x1b" * 12 + b"key", "octets")
    body = encode_get_list_response(server_id=b"02280816", entries=[entry])
    frame = _file([(0x0701, body)])
    tf = parse_file(frame)
    assert tf.escapes and len(frame) > len(tf.payload) + 16
    r = smc.decode(frame, format="sml")
    assert r.register("129-129:199.130.5").extra["raw"] == (b"\x1b" * 12 + b"key").hex()
    assert r.meter_id == "02280816"
    # and byte by byte through the stream, behind a run of 1B garbage
    st = SmlStream()
    got = [i for b in (b"\x1b" * 11 + frame) for i in st.feed(bytes([b]))]
    assert [type(i).__name__ for i in got] == ["Reading"] and got[0].meter_id == "02280816"


def test_emh_direction_rule_needs_the_documented_status_layout():
    from smartmeter_codecs.sml.mapping import PROFILES, to_reading
    (f,) = parse_files(ENTRIES["sml-libsml-testing-emh-ed300l-delivery"])
    entries = list(f.messages[1].body.entries)
    i = next(k for k, e in enumerate(entries) if e.obj_name == bytes.fromhex("0100010800FF"))
    sid = f.messages[1].body.server_id
    r = to_reading(entries, server_id=sid, profile=PROFILES["default"])
    assert r.active_power_export == pytest.approx(126.6) and "bit 5" in r.quality and "0x1B0" in r.quality
    # a 24-bit status word (newer layout, e.g. 0x1C0124) is not read with the EDL 1.0 rule
    import dataclasses
    entries[i] = dataclasses.replace(entries[i], status=0x1C0124)
    r = to_reading(entries, server_id=sid, profile=PROFILES["default"])
    assert r.active_power_import is None and r.active_power_export is None and "without a direction" in r.quality
