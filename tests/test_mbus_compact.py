"""Compact wM-Bus frames (CI 0x79/0x7B/0x73; issue 9 item 7): formats learned from full frames
by the decoder that holds them, documented formats, signature/CRC checks, typed errors."""
from __future__ import annotations

import json
import pathlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings, strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.mbus import KNOWN_FORMATS, FormatStore, WMBusDecoder
from smartmeter_codecs.mbus.compact import (
    KNOWN_FORMAT_SOURCES, expand, format_signature, split_format,
)
from smartmeter_codecs.mbus.crc import crc16_en13757
from smartmeter_codecs.mbus.wireless import build_wireless

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIX = json.loads((ROOT / "fixtures/mbus/compact_frames.json").read_text())
KAM = {e["id"]: bytes.fromhex(e["hex"]) for e in FIX["entries"]}
CORPUS = {e["id"]: e for e in json.loads((ROOT / "fixtures/mbus/corpus.json").read_text())["entries"]}
OMNI_COMPACT = bytes.fromhex(CORPUS["wmbusmeters:omnipower/myomnipower#1"]["hex"])
OMNI_FULL = bytes.fromhex(CORPUS["wmbusmeters:omnipower/myomnipower#2"]["hex"])


def _omni_values(r: smc.Reading) -> tuple:
    return (r.active_energy_import, r.active_energy_export, r.active_power_import, r.active_power_export)


def test_omnipower_compact_frame_gives_what_wmbusmeters_states():
    want = FIX["omnipower"]["expected_json"]
    expected = (want["total_energy_consumption_kwh"] * 1000, want["total_energy_production_kwh"] * 1000,
                want["current_power_consumption_kw"] * 1000, want["current_power_production_kw"] * 1000)
    compact = smc.decode(OMNI_COMPACT, format="wmbus")            # documented format 8C13
    full = smc.decode(OMNI_FULL, format="wmbus")
    assert _omni_values(compact) == pytest.approx(expected) and _omni_values(full) == pytest.approx(expected)
    assert compact.meter_id == full.meter_id == "32666857"


def test_format_is_learned_from_a_full_frame_by_the_decoder_that_saw_it():
    dec = WMBusDecoder(formats=FormatStore(known={}))            # no documented formats
    with pytest.raises(smc.UnsupportedError) as info:
        dec.decode(OMNI_COMPACT)
    assert info.value.recognised["format_signature"] == 0x8C13 and "8C13" in str(info.value)
    full = dec.decode(OMNI_FULL)
    assert len(dec.formats) == 1
    assert _omni_values(dec.decode(OMNI_COMPACT)) == _omni_values(full)
    # another decoder has its own state: nothing learned there
    with pytest.raises(smc.UnsupportedError):
        WMBusDecoder(formats=FormatStore(known={})).decode(OMNI_COMPACT)


def test_kamstrup_multical_sequence_from_wmbusmeters_issue_809():
    dec = WMBusDecoder(formats=FormatStore(known={}))
    with pytest.raises(smc.UnsupportedError) as info:
        dec.decode(KAM["kamheat-809-compact-1"])                  # before any full frame
    assert info.value.recognised["format_signature_hex"] == "29C7"
    full = dec.decode(KAM["kamheat-809-full-1"])
    after = dec.decode(KAM["kamheat-809-compact-3"])
    # the compact frame after the full one carries the same values, record for record
    assert [(r.key, r.value, r.unit) for r in after.registers] == [(r.key, r.value, r.unit) for r in full.registers]
    assert full.register("mbus:energy").value == 2997700 and full.register("mbus:energy").unit == "Wh"
    before = dec.decode(KAM["kamheat-809-compact-1"])            # now known: one step lower
    assert before.register("mbus:energy").value == 2997600
    other = dec.decode(KAM["kamheat-809-compact-2"])             # another meter, same format
    assert other.meter_id == "68030410" and other.register("mbus:energy").value == 35954300


def test_decode_all_over_one_capture_uses_its_full_frames():
    data = KAM["kamheat-809-compact-1"] + KAM["kamheat-809-full-1"] + KAM["kamheat-809-compact-3"]
    readings = smc.decode_all(data, format="wmbus")
    assert [r.register("mbus:energy").value for r in readings] == [2997600, 2997700, 2997700]


def test_documented_signatures_are_the_crc_of_their_format():
    assert len(KNOWN_FORMATS) == len(KNOWN_FORMAT_SOURCES) >= 10
    for sig, fmt in KNOWN_FORMATS.items():
        stated, source = KNOWN_FORMAT_SOURCES[sig]
        assert format_signature(fmt) == sig == stated, source
    # the Omnipower full frame's own DIF/VIF sequence gives the compact frame's signature
    fmt, _ = split_format(OMNI_FULL[20:])            # after L..A (10), ELL II (9) and CI 78
    assert format_signature(fmt) == 0x8C13 == int.from_bytes(OMNI_COMPACT[20:22], "little")


def _with_ell_crc(frame: bytearray) -> bytes:
    # ELL II (CI 8D at 10): its payload CRC (bytes 17-18, LSB first) covers everything after it
    frame[17:19] = crc16_en13757(bytes(frame[19:])).to_bytes(2, "little")
    return bytes(frame)


def test_a_wrong_format_is_a_checksum_error_not_wrong_values():
    bad = bytearray(OMNI_COMPACT)
    bad[25] ^= 0x01                                   # one data bit: the full-frame CRC disagrees
    with pytest.raises(smc.ChecksumError) as info:
        smc.decode(_with_ell_crc(bad), format="wmbus")
    assert info.value.layer == "mbus-compact"
    unknown = bytearray(OMNI_COMPACT)
    unknown[20] ^= 0xFF                               # another signature
    with pytest.raises(smc.UnsupportedError) as info:
        smc.decode(_with_ell_crc(unknown), format="wmbus")
    assert "format signature" in str(info.value)


def test_store_is_bounded_and_learns_only_full_frames():
    store = FormatStore(known={}, max_formats=2)
    for fmt in (b"\x04\x04", b"\x04\x2b", b"\x02\x5b"):
        store.learn(fmt + b"\x00" * (4 if fmt[0] == 4 else 2))
    assert len(store) == 2 and store.lookup(format_signature(b"\x04\x04")) is None
    assert store.lookup(format_signature(b"\x02\x5b"))[1] == "learned"
    assert store.learn(b"") is None and store.learn(b"\x04") is None


def _mode5(key: bytes, iv: bytes, plain: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(plain) + enc.finalize()


def test_ci_73_on_wmbus_is_a_long_header_compact_frame_with_encryption():
    # Built here (no real CI 0x73 frame with its key is public): the MULTICAL 403 records of
    # issue 809 sent compact with a long header, security mode 5 (EN 13757-7:2018 9.4.4)
    full = KAM["kamheat-809-full-1"]
    records = full[20:]                                        # after ... 8D(9) + CI 78
    fmt, data = split_format(records)
    compact = (format_signature(fmt).to_bytes(2, "little") + crc16_en13757(records).to_bytes(2, "little")
               + data)
    plain = b"\x2f\x2f" + compact
    plain += b"\x2f" * (-len(plain) % 16)
    key = bytes(range(16))
    ident, man, version, medium, access = bytes.fromhex("15040368"), bytes.fromhex("2D2C"), 0x30, 0x04, 0x42
    config = ((len(plain) // 16) << 4) | (5 << 8)
    header = ident + man + bytes((version, medium, access, 0x00)) + config.to_bytes(2, "little")
    iv = man + ident + bytes((version, medium)) + bytes((access,)) * 8
    frame = build_wireless(0x44, man + ident + bytes((version, medium)), 0x73, header + _mode5(key, iv, plain))
    with pytest.raises(smc.KeyRequiredError):
        smc.decode(frame, format="wmbus")
    r = smc.decode(frame, format="wmbus", keys=smc.Keys(encryption_key=key))
    want = smc.decode(full, format="wmbus")
    assert [(x.key, x.value) for x in r.registers if x.key.startswith("mbus:energy")] == \
        [(x.key, x.value) for x in want.registers if x.key.startswith("mbus:energy")]
    # records point at their data bytes inside the input (no DIB/VIB there)
    def ends(f):
        yield f.end
        for c in f.children:
            yield from ends(c)
    insp = smc.inspect(OMNI_COMPACT, format="wmbus")
    assert insp.error is None and max(e for e in ends(insp.root) if e is not None) <= len(OMNI_COMPACT)
    # the same CI on wired M-Bus is still the fixed data structure (EN 13757-3:2004 annex)
    with pytest.raises(smc.FramingError):
        from smartmeter_codecs.mbus.application import parse_application
        parse_application(0x73, header + b"\x00" * 3)


def test_a_signature_byte_0x2f_is_not_a_filler():
    # an unencrypted compact frame whose signature starts with byte 2F: it is the signature
    fmt = next(f for v1 in range(0x80) for v2 in range(0x80)
               for f in [bytes((0x04, v1, 0x02, v2))] if format_signature(f) & 0xFF == 0x2F)
    full = fmt[:2] + b"\x01\x02\x03\x04" + fmt[2:] + b"\x05\x06"
    store = FormatStore(known={})
    assert store.learn(full) == format_signature(fmt)
    compact = (format_signature(fmt).to_bytes(2, "little") + crc16_en13757(full).to_bytes(2, "little")
               + b"\x01\x02\x03\x04\x05\x06")
    assert compact[0] == 0x2F and expand(compact, store).records == full
    # after decryption the 2F 2F check bytes come first and are skipped
    assert expand(b"\x2f\x2f" + compact, store, check_bytes=True).records == full


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=40), known=st.booleans(), check=st.booleans())
def test_any_compact_payload_gives_records_or_a_typed_error(payload, known, check):
    store = FormatStore() if known else FormatStore(known={})
    store.learn(OMNI_FULL[20:])
    try:
        records, sig, origin, spans = expand(payload, store, check_bytes=check)
    except smc.DecodeError:
        return
    at = 2 if check and payload[:2] == b"\x2f\x2f" else 0
    assert origin in ("learned", "known") and crc16_en13757(records) == int.from_bytes(
        payload[at + 2:at + 4], "little")
    assert all(0 <= a <= b <= len(payload) for a, b in spans)


def test_a_real_compact_frame_of_an_unpublished_format_names_its_signature():
    e = FIX["unknown_format"]
    with pytest.raises(smc.UnsupportedError) as info:
        smc.decode(e["hex"], format="wmbus")
    assert info.value.recognised["format_signature_hex"] == e["format_signature"]
    assert info.value.layer == "mbus-compact"


def test_wired_decode_all_learns_formats_only_when_the_input_has_a_compact_frame():
    # issue 16: decode_all over wired frames keeps a format store only when a compact CI is
    # among the input's frames. A wired full frame (CI 72) followed by a compact one (CI 79)
    # built from its records (EN 13757-3:2018 Annex G: signature, full-frame CRC, data only)
    # still expands; the same compact frame alone names its unknown signature.
    from smartmeter_codecs.mbus.link import build_long_frame
    header = bytes.fromhex("78563412") + bytes.fromhex("2D2C") + bytes((1, 2, 0x10, 0x00, 0x00, 0x00))
    records = bytes.fromhex("0406") + (2997700).to_bytes(4, "little") + bytes.fromhex("022B") + (1234).to_bytes(2, "little")
    fmt, data = split_format(records)
    compact = format_signature(fmt).to_bytes(2, "little") + crc16_en13757(records).to_bytes(2, "little") + data
    full_frame = build_long_frame(0x08, 1, 0x72, header + records)
    compact_frame = build_long_frame(0x08, 1, 0x79, compact)
    readings = smc.decode_all(full_frame + compact_frame, format="mbus")
    assert [[(r.key, r.value) for r in x.registers if not r.key.startswith("mbus:header")] for x in readings] == \
        [[("mbus:energy", 2997700000), ("mbus:power", 1234)]] * 2     # VIF 06: kWh; 2B: W
    with pytest.raises(smc.UnsupportedError) as err:
        smc.decode_all(compact_frame, format="mbus")
    assert err.value.recognised["format_signature"] == format_signature(fmt)
    assert smc.decode_all(full_frame, format="mbus") == readings[:1]
