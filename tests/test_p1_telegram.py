"""P1 layers on their own: CRC, framing errors with offsets, sniffing, stream splitting, inspect."""
from __future__ import annotations

import json
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.p1 import (
    CODEC,
    MAX_TELEGRAM,
    build_telegram,
    crc16_arc,
    decode_telegram,
    is_telegram,
    parse_telegram,
)

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "p1" / "corpus.json").read_text())
E = {e["id"]: e for e in FIX["entries"]}
V5 = E["p1-dsmr_parser-telegram_v5"]["data"].encode("latin-1")
AT = E["p1-dsmr_parser-telegram_sagemcom_t210_d_r"]["data"].encode("latin-1")
V5_BAD = E["p1-dsmr_parser-v5-checksum-invalid"]["data"].encode("latin-1")


def test_crc16_arc_check_value_and_corpus_crcs():
    assert crc16_arc(b"123456789") == 0xBB3D            # CRC-16/ARC catalogue check value
    # research/p1sml.md: dsmr-tools asserts 478B; hanporten computes 7945
    for eid, crc in (("p1-dsmrtools-testcrcvalidator-dsmr-telegram", 0x478B), ("p1-hanporten-se-ell5-example", 0x7945)):
        t = parse_telegram(E[eid]["data"].encode("latin-1"))
        assert t.crc_given == t.crc_computed == crc and t.crc_ok


def test_unpadded_and_lowercase_crc_and_no_crc():
    t = parse_telegram(E["p1-dsmr_parser-telegram_unpadded_crc"]["data"].encode("latin-1"))
    assert t.crc_text == "B9F" and t.crc_given == 0x0B9F and t.header.flag == "NWA"
    low = V5.replace(b"!6EEE", b"!6eee")
    assert parse_telegram(low).crc_ok
    t22 = parse_telegram(E["p1-dsmr_parser-telegram_v3"]["data"].encode("latin-1"))
    assert t22.crc_given is None and t22.crc_ok is None


def test_missing_slash():
    # leading bytes before a telegram that parses completely (CRC checked) are noted, not
    # fatal (issue 9 item 3); without any telegram header the first byte is the error
    r = decode_telegram(b"xx" + V5)
    assert r.quality == "leading bytes: 2 before offset 2"
    assert r == decode_telegram(V5).replace(quality=r.quality)
    with pytest.raises(smc.ChecksumError):             # a corrupt telegram after them still fails
        decode_telegram(b"xx" + V5.replace(b"1-0:1.8.1(", b"1-0:1.8.1(1"))
    with pytest.raises(smc.FramingError) as info:
        smc.decode_all(b"\r\n  1-0:1.8.0(1*kWh)\r\n!\r\n", format="p1")
    assert info.value.offset == 4


def test_missing_bang_is_incomplete_at_the_end_of_input():
    cut = V5[: V5.index(b"!")]
    with pytest.raises(smc.IncompleteError) as info:
        decode_telegram(cut)
    assert info.value.layer == "p1" and info.value.offset == len(cut)
    r = decode_telegram(cut, require_end=False)
    assert r.active_power_import == 244


def test_crc_mismatch_says_expected_and_actual():
    with pytest.raises(smc.ChecksumError) as info:
        decode_telegram(V5_BAD)
    err = info.value
    assert (err.expected, err.actual, err.layer) == (0x6EEE, 0xA309, "p1")
    assert V5_BAD[err.offset - 1:err.offset] == b"!"


@pytest.mark.parametrize("bad_line, col", [
    (b"1-0:1.8.1 000004.426*kWh)", 0),      # no bracket after the OBIS id
    (b"1-0:1.8.1(000004.426*kWh)x", 25),     # text after the last bracket
    (b"hello world", 0),
    (b"1-0:1.8.1(12(3)", 12),               # "(" inside a value
])
def test_malformed_line_is_a_framing_error_at_its_offset(bad_line, col):
    data = build_telegram("ISk5\\2MT382-1000", ["1-3:0.2.8(50)", bad_line.decode(), "1-0:1.7.0(00.244*kW)"])
    line_at = data.index(bad_line)
    with pytest.raises(smc.FramingError) as info:
        decode_telegram(data)
    assert not isinstance(info.value, smc.ChecksumError)
    assert info.value.offset == line_at + col


def test_unclosed_bracket_at_the_end_is_a_framing_error():
    data = build_telegram("ISk5\\2MT382-1000", ["1-0:1.7.0(00.244*kW"])
    with pytest.raises(smc.FramingError):
        decode_telegram(data)


def test_unknown_obis_is_kept_as_a_register():
    data = build_telegram("ABC5 test", ["7-9:99.98.97(hello)(1.5*furlong)", "1-0:1.7.0(01.000*kW)"])
    r = decode_telegram(data)
    reg = r.register("7-9:99.98.97")
    # one number among the groups is the value; the rest are qualifiers (like an M-Bus stamp)
    assert (reg.value, reg.unit, reg.extra["qualifiers"]) == (1.5, "furlong", ("hello",))
    two = decode_telegram(build_telegram("ABC5 x", ["1-1:31.4.0(100*A)(-063*A)"])).register("1-1:31.4.0")
    assert (two.value, two.unit, two.extra["channel"]) == ((100.0, -63.0), "A", 1)
    assert r.active_power_import == 1000


def test_header_text_and_profile_argument():
    r = decode_telegram(V5, profile="BE")
    assert r.profile == "be" and r.meter_model == "ISk5\\2MT382-1000"
    with pytest.raises(ValueError):
        decode_telegram(V5, profile="atlantis")


def test_unitless_values_do_not_fill_si_fields():
    # Smarty sends 1-0:3.7.0/4.7.0 without unit: kept as registers, not guessed into var
    r = decode_telegram(E["p1-openhab-smarty"]["data"])
    assert r.register("1-0:4.7.0").value == 0.007 and r.register("1-0:4.7.0").unit is None
    assert r.reactive_power_export is None
    assert r.reactive_energy_export == 2745 and r.profile == "lu" and r.meter_id == "SAG1030700114004"


def test_sniff_and_is_telegram():
    assert CODEC.sniff(V5) == 95 and is_telegram(V5)
    assert CODEC.sniff(b"\r\n" + V5) == 95
    assert CODEC.sniff(V5[:-10]) == 0 and not is_telegram(V5[:-10])
    assert CODEC.sniff(bytes.fromhex("7ea0")) == 0 and CODEC.sniff(b"") == 0
    assert not is_telegram(b"1-0:1.8.0(1)\r\n!\r\n")
    assert smc.decode(V5).format == "p1"       # autodetected


def test_concatenated_telegrams_decode_all():
    rs = smc.decode_all(V5 + b"\r\n" + AT, format="p1")
    assert [r.active_power_import for r in rs] == [244.0, 286.0]
    with pytest.raises(smc.FramingError):
        smc.decode_all(V5 + b"junk" + AT, format="p1")


def _feed_all(stream, data, size):
    out = []
    for i in range(0, len(data), size):
        out.extend(stream.feed(data[i:i + size]))
    return out


def test_stream_resyncs_reports_errors_and_keeps_valid_telegrams():
    bad = E["p1-dsmrtools-testdsmrparseronbadtelegram-testparsebadtestcase"]["data"].encode("latin-1")
    data = b"\x00\xffnoise/ (x)" + V5 + V5_BAD + bad + AT
    for size in (1, 7, 64, len(data)):
        out = _feed_all(CODEC.stream(keys=None, profile=None), data, size)
        kinds = [type(o).__name__ for o in out]
        assert kinds == ["Reading", "ChecksumError", "IncompleteError", "Reading", "Reading"], (size, kinds)
        assert out[1].offset == data.index(V5_BAD) + V5_BAD.index(b"!") + 1     # stream offset
        assert [o.active_power_import for o in out if isinstance(o, smc.Reading)] == [244.0, 0.0, 286.0]


def test_stream_buffer_is_bounded_and_recovers():
    s = CODEC.stream(keys=None, profile=None)
    out = s.feed(b"/ABC5 never ends\r\n" + b"1-0:1.8.0(1*kWh)\r\n" * 600)
    assert s.buffered <= MAX_TELEGRAM
    out += s.feed(b"x" * 20000)
    assert s.buffered <= MAX_TELEGRAM
    assert any(isinstance(o, smc.FramingError) for o in out)
    assert [type(o).__name__ for o in s.feed(V5)] == ["Reading"]


def test_stream_decoder_autodetects_p1():
    dec = smc.StreamDecoder()
    items = list(dec.feed(V5 + AT))
    assert dec.format == "p1" and [type(i).__name__ for i in items] == ["Reading", "Reading"]


def test_inspect_gives_a_field_per_line_with_offsets():
    insp = smc.inspect(V5, format="p1")
    assert insp.error is None and len(insp.readings) == 1
    tel = insp.root.children[0]
    assert tel.name == "telegram" and (tel.start, tel.end) == (0, len(V5))
    lines = [c for c in tel.children if c.name not in ("header", "crc")]
    assert len(lines) == len(insp.readings[0].registers)
    for f in lines:
        assert V5[f.start:f.end].decode().startswith(f.name.split(".255")[0].split(":")[0])
        assert V5[f.end:f.end + 2] == b"\r\n"
    crc = tel.find("crc")
    assert V5[crc.start:crc.end] == b"!6EEE\r\n"
    bad = smc.inspect(V5_BAD, format="p1")
    assert isinstance(bad.error, smc.ChecksumError) and bad.root.find("crc") is not None
    assert "MISMATCH" in bad.root.find("crc").description
    assert isinstance(smc.inspect(b"nonsense", format="p1").error, smc.FramingError)


def test_latin1_digits_that_are_not_ascii_digits():
    # "²" is str.isdigit() but not a number: kept as text, never an exception
    data = build_telegram("ABC5 x", ["0-0:96.7.21(\u00b2)", "1-0:99.97.0(\u00b9)(0-0:96.7.19)(\u00b3)(\u00b2)",
                                     "0-0:96.14.0(\u00b2)"])
    r = decode_telegram(data)
    assert r.register("0-0:96.7.21").value == "\u00b2" and r.tariff is None
    assert r.register("1-0:99.97.0").value[0].duration is None


def test_reading_to_dict_is_json_ready():
    r = decode_telegram(E["p1-dsmrtools-testdsmrparseronpowerfailure-testparsebadtestcase"]["data"])
    doc = json.loads(json.dumps(r.to_dict()))
    log = next(x for x in doc["registers"] if x["key"] == "1-0:99.97.0")
    assert log["value"][0][:2] == ["2018-04-17T20:14:58+02:00", 236]


def test_dlms_ciphered_p1_frame_is_handed_to_the_dlms_format():
    e = E["p1-esphome-ggc-encrypted-packet"]
    keys = smc.Keys(encryption_key=e["keys"]["encryption_key"], authentication_key=e["keys"]["authentication_key"])
    r = smc.decode(e["data"], format="p1", keys=keys)
    assert (r.format, r.authenticated) == ("dlms", True)
    assert r.active_energy_import == 6545766 and r.reactive_power_export == 166
    assert r == smc.decode(e["data"], keys=keys)
    with pytest.raises(smc.KeyRequiredError):
        smc.decode(e["data"], format="p1")
    assert CODEC.sniff(bytes.fromhex(e["data"])) == 0       # autodetection is the dlms format's job
    assert smc.inspect(e["data"], format="p1", keys=keys).error is None
