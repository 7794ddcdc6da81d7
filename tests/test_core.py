"""Format-independent pieces: OBIS parsing, the Reading model, Keys, input normalisation."""
from __future__ import annotations

import datetime as dt
import json
import pickle

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.api import to_bytes


@pytest.mark.parametrize("text", ["1-0:1.8.0.255", "1-0:1.8.0*255", "1-0:1.8.0", "1.0.1.8.0.255",
                                  "0100010800ff", "0100010800FF", " 1-0:1.8.0.255 "])
def test_obis_notations_agree(text):
    assert smc.ObisCode.parse(text) == smc.ObisCode(1, 0, 1, 8, 0, 255)
    assert str(smc.ObisCode.parse(text)) == "1-0:1.8.0.255"


def test_obis_bytes_round_trip():
    code = smc.ObisCode.parse("0-0:96.1.0.255")
    assert smc.ObisCode.from_bytes(code.to_bytes()) == code
    assert code.dotted == "0.0.96.1.0.255"


@pytest.mark.parametrize("bad", ["", "1-0:1.8", "1.2.3", "1-0:1.8.0.256", "zz", "0100010800f"])
def test_obis_rejects_garbage(bad):
    with pytest.raises(ValueError):
        smc.ObisCode.parse(bad)


def test_reading_register_lookup_any_notation():
    reg = smc.Register("1-0:1.8.0.255", 1234.0, "Wh", smc.ObisCode.parse("1-0:1.8.0.255"))
    other = smc.Register("value[3]", 7, None)
    r = smc.Reading(format="test", registers=(reg, other))
    assert r.register("1.0.1.8.0.255") is reg
    assert r.register("0100010800ff") is reg
    assert r.register("value[3]") is other
    assert r.register("1-0:2.8.0.255") is None
    assert r.register("not a key") is None


def test_reading_is_frozen_and_json_ready():
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    r = smc.Reading(format="test", timestamp=ts, active_power_import=1.5, interval=dt.timedelta(minutes=15),
                    registers=(smc.Register("x", b"\x01\x02", None, extra={"raw": 3}),))
    with pytest.raises(AttributeError):
        r.active_power_import = 2.0  # type: ignore[misc]
    d = json.loads(json.dumps(r.to_dict()))
    assert d["timestamp"] == "2024-01-02T03:04:05+00:00"
    assert d["interval"] == 900.0
    assert d["registers"][0]["value"] == "0102"
    assert "active_power_import" in str(r) and "1.5 W" in str(r)


def test_keys_never_show_key_material():
    k = smc.Keys(encryption_key="000102030405060708090a0b0c0d0e0f", authentication_key=bytes(range(16)))
    assert "0001" not in repr(k) and "0001" not in str(k)
    assert k.encryption_key == bytes(range(16))
    with pytest.raises(ValueError):
        smc.Keys(encryption_key="0011")


def test_to_bytes_accepts_hex_variants():
    assert to_bytes("7E A0 0a") == b"\x7e\xa0\x0a"
    assert to_bytes("0x7e:0xa0") == b"\x7e\xa0"
    assert to_bytes(bytearray(b"\x01")) == b"\x01"
    assert to_bytes('{"a": 1}') == b'{"a": 1}'
    with pytest.raises(TypeError):
        to_bytes(123)  # type: ignore[arg-type]


def test_errors_carry_layer_offset_and_pickle():
    err = smc.ChecksumError("hdlc", 12, "FCS mismatch", expected=1, actual=2)
    assert isinstance(err, smc.FramingError) and isinstance(err, smc.DecodeError)
    assert "hdlc" in str(err) and "12" in str(err)
    back = pickle.loads(pickle.dumps(err))
    assert (back.layer, back.offset, back.expected, back.actual) == ("hdlc", 12, 1, 2)


def test_unknown_input_is_a_typed_error():
    with pytest.raises(smc.UnsupportedError):
        smc.decode(b"\x00\x00\x00\x00\x00")
    with pytest.raises(smc.DecodeError):
        smc.decode(b"")


def test_unknown_format_name_is_a_value_error():
    with pytest.raises(ValueError):
        smc.decode(b"\x7e", format="no-such-format")


def test_dataframes_from_real_readings():
    import json
    import pathlib

    from smartmeter_codecs.dataframe import readings_frame, registers_frame
    fix = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms" / "corpus_plaintext.json"
    entry = next(e for e in json.loads(fix.read_text())["entries"] if e["id"] == "kaifa-no-stream-559-frames")
    readings = [i for i in smc.StreamDecoder(format="dlms").feed(bytes.fromhex(entry["hex"]))
                if isinstance(i, smc.Reading)]
    df = readings_frame(readings)
    assert len(df) == 559 and df["active_power_import"].notna().all()
    regs = registers_frame(readings[:3])
    assert set(regs["reading"]) == {0, 1, 2}
    assert "extra.raw" in regs.columns and regs["key"].str.contains("1-0:1.7.0.255").any()


def test_reading_html_view():
    r = smc.Reading(format="test", active_power_import=5.0,
                    registers=(smc.Register("1-0:1.7.0.255", 5.0, "W", description="P+"),))
    page = r._repr_html_()
    assert "active_power_import" in page and "1-0:1.7.0.255" in page and "5 W" in page
