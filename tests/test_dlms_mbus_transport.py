"""DLMS over wired M-Bus (smartmeter_codecs.dlms.mbus_transport): real Austrian/Polish
segment sequences, the Sagemcom 68 01 01 68 first segment, missing/out-of-order segments,
round trips and stream robustness. Frames: fixtures/dlms_encrypted/frames.json.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartmeter_codecs.dlms.mbus_transport import (
    DEFAULT_SEGMENT_SIZE,
    MbusApduAssembler,
    apdus_from_mbus,
    is_dlms_mbus,
    mbus_from_apdu,
    segment_from_frame,
)
from smartmeter_codecs.dlms.security import unwrap
from smartmeter_codecs.errors import (
    ChecksumError,
    DecodeError,
    FramingError,
    IncompleteError,
    UnsupportedError,
)
from smartmeter_codecs.keys import Keys
from smartmeter_codecs.mbus.link import build_long_frame, parse_frame

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dlms_encrypted" / "frames.json"
ENTRIES = {e["id"]: e for e in json.loads(FIXTURES.read_text())["entries"]}
MBUS_VALID = sorted(i for i, e in ENTRIES.items() if e["layer"] == "mbus_long" and e["valid"])


def _raw(entry_id: str) -> bytes:
    return bytes.fromhex(ENTRIES[entry_id]["hex"])


def _frames(raw: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(raw):
        f = parse_frame(raw, pos, allow_16bit_length=True)
        out.append(raw[f.start:f.end])
        pos = f.end
    return out


def _declared_size(apdu: bytes) -> int:
    """Size of a general-glo-ciphering APDU from its own header (tag, title, BER length)."""
    p = 2 + apdu[1]
    if apdu[p] < 0x80:
        return p + 1 + apdu[p]
    k = apdu[p] & 0x7F
    return p + 1 + k + int.from_bytes(apdu[p + 1:p + 1 + k], "big")


def _validate(plaintext: bytes) -> None:
    """Stand-in for the core's APDU parser: a data-notification (0x0F) with a date-time tag."""
    if len(plaintext) < 7 or plaintext[0] != 0x0F or plaintext[5] not in (0x00, 0x09, 0x0C):
        raise FramingError("test-apdu", 0, "not a data-notification")


def test_selection() -> None:
    assert len(MBUS_VALID) == 8, MBUS_VALID


@pytest.mark.parametrize("entry_id", MBUS_VALID)
def test_real_segment_sequences_reassemble(entry_id: str) -> None:
    e = ENTRIES[entry_id]
    raw = _raw(entry_id)
    assert is_dlms_mbus(raw)
    ((apdu, offset),) = apdus_from_mbus(raw)
    assert offset == 0
    assert apdu[0] == 0xDB and apdu[2:10].hex() == e["system_title"][:16]
    assert len(apdu) == _declared_size(apdu)  # every segment's bytes, nothing else
    frames = _frames(raw)
    assert len(frames) == e["link_frames"]
    assert len(apdu) == sum(len(f) - 11 for f in frames)  # 68 L L 68 C A CI STSAP DTSAP .. CS 16
    expected = e["expected"].get("apdu_hex_after_reassembly")
    if expected:
        assert apdu.hex() == expected
    # The stream side gives the same APDU, whatever the chunking.
    for size in (1, 7, 64, len(raw)):
        asm = MbusApduAssembler()
        items = [x for i in range(0, len(raw), size) for x in asm.feed(raw[i:i + size])]
        assert items == [(apdu, 0)]


def test_segment_fields() -> None:
    frames = _frames(_raw("netznoe-kaifa-ma309-mbus-2frames-encrypted"))
    segs = [segment_from_frame(parse_frame(f)) for f in frames]
    assert [(s.ci, s.sequence, s.last, s.stsap, s.dtsap, s.c, s.a) for s in segs] == [
        (0x00, 0, False, 0x01, 0x67, 0x53, 0xFF), (0x11, 1, True, 0x01, 0x67, 0x53, 0xFF)]


def test_sagemcom_16bit_first_segment() -> None:
    raw = _raw("sagemcom-t210d-at-mbus-16bit-length-segments-gh155-1")
    assert raw[:4] == bytes.fromhex("68010168")
    first = parse_frame(raw, allow_16bit_length=True)
    assert first.length == 257 and first.ci == 0x00
    ((apdu, _),) = apdus_from_mbus(raw)
    assert len(apdu) == 257 - 5 + 13 - 5 == _declared_size(apdu)


@pytest.mark.parametrize("entry_id", ["netznoe-kaifa-ma309-mbus-2frames-encrypted",
                                      "kaifa-ma309-pl-mbus-2frames-encrypted",
                                      "dlms-mbus:tinetz-example/segment1+segment2"])
def test_mbus_to_plaintext(entry_id: str) -> None:
    e = ENTRIES[entry_id]
    ((apdu, _),) = apdus_from_mbus(_raw(entry_id))
    u = unwrap(apdu, Keys(e["encryption_key"]), validate=_validate)
    assert u.plaintext[0] == 0x0F and u.authenticated is False
    if e["expected"].get("documented_plaintext_apdu_hex"):
        assert u.plaintext.hex() == e["expected"]["documented_plaintext_apdu_hex"]


def test_stream_starting_with_a_tail_segment() -> None:
    """amshan Sagemcom T210-D capture: starts with the last segment of a telegram, then nine
    68 01 01 68 + 68 0D 0D 68 pairs. Batch: the orphan makes the input incomplete; stream:
    one IncompleteError, then the nine APDUs."""
    raw = _raw("amshan-sagemcom-t210d-mbus-stream-encrypted-nokey")
    with pytest.raises(IncompleteError) as info:
        apdus_from_mbus(raw)
    assert info.value.offset == 0 and "sequence number 1" in info.value.message
    frames = _frames(raw)
    assert len(frames) == ENTRIES["amshan-sagemcom-t210d-mbus-stream-encrypted-nokey"]["link_frames"] == 19
    asm = MbusApduAssembler()
    items = [x for i in range(0, len(raw), 100) for x in asm.feed(raw[i:i + 100])]
    assert isinstance(items[0], IncompleteError) and items[0].offset == 0
    apdus = items[1:]
    assert len(apdus) == 9
    starts = [sum(len(f) for f in frames[:k]) for k in range(1, 19, 2)]
    assert [o for _, o in apdus] == starts
    for apdu, _ in apdus:
        assert apdu[:10] == bytes.fromhex("db085341475905e6d9fd") and len(apdu) == _declared_size(apdu)
    # Batch decoding works from the first complete telegram on, or leniently on everything.
    assert apdus_from_mbus(raw[len(frames[0]):]) == [(a, o - len(frames[0])) for a, o in apdus]
    assert apdus_from_mbus(raw, strict=False) == apdus


def test_missing_and_out_of_order_segments() -> None:
    f1, f2 = _frames(_raw("kaifa-ma309-pl-mbus-2frames-encrypted"))
    with pytest.raises(IncompleteError) as info:
        apdus_from_mbus(f2)  # first segment missing
    assert info.value.layer == "dlms-mbus" and info.value.offset == 0
    with pytest.raises(IncompleteError) as info:
        apdus_from_mbus(f1)  # last segment missing
    assert info.value.offset == len(f1)
    with pytest.raises(IncompleteError):
        apdus_from_mbus(f2 + f1)  # swapped
    with pytest.raises(IncompleteError) as info:
        apdus_from_mbus(f1 + f1 + f2)  # repeated
    assert info.value.offset == len(f1)
    # Lenient batch: only complete APDUs.
    whole = apdus_from_mbus(f1 + f2)[0][0]
    assert apdus_from_mbus(f2 + f1 + f1 + f2 + f1, strict=False) == [(whole, len(f2) + len(f1))]
    assert apdus_from_mbus(f1, strict=False) == []
    # Stream: the broken APDU is reported, the next complete one still arrives.
    asm = MbusApduAssembler()
    items = asm.feed(f1 + f1 + f2)
    assert isinstance(items[0], IncompleteError)
    assert items[1:] == [(apdus_from_mbus(f1 + f2)[0][0], len(f1))]


def test_link_errors_pass_through() -> None:
    raw = bytearray(_raw("netznoe-kaifa-ma309-mbus-2frames-encrypted"))
    raw[100] ^= 0xFF
    with pytest.raises(ChecksumError):
        apdus_from_mbus(bytes(raw))
    with pytest.raises(IncompleteError):
        apdus_from_mbus(_raw("netznoe-kaifa-ma309-mbus-2frames-encrypted")[:-3])
    with pytest.raises(DecodeError):
        apdus_from_mbus(b"")
    # amsreader's firmware-made "68 00 00 68" pseudo frame is not M-Bus.
    bad = _raw("kaifa-at-mbus-reassembled-plaintext-gh247")
    assert not is_dlms_mbus(bad)
    with pytest.raises(FramingError):
        apdus_from_mbus(bad)


def test_non_dlms_frames() -> None:
    rsp = build_long_frame(0x08, 0x01, 0x72, bytes(12))  # EN 13757-3 variable data response
    assert not is_dlms_mbus(rsp)
    with pytest.raises(UnsupportedError) as info:
        apdus_from_mbus(rsp)
    assert info.value.recognised["ci"] == 0x72
    with pytest.raises(FramingError, match="STSAP"):
        apdus_from_mbus(build_long_frame(0x53, 0xFF, 0x10, b"\x01"))
    with pytest.raises(UnsupportedError):
        apdus_from_mbus(b"\xe5")
    assert not is_dlms_mbus(bytes.fromhex("7ea0"))
    assert not is_dlms_mbus(b"\x68\xfa\xfa\x68")


@settings(max_examples=60, deadline=None)
@given(apdu=st.binary(min_size=0, max_size=5000), size=st.integers(1, 250))
def test_encode_decode_round_trip(apdu: bytes, size: int) -> None:
    raw = mbus_from_apdu(apdu, segment_size=size)
    assert apdus_from_mbus(raw) == [(apdu, 0)]
    assert is_dlms_mbus(raw)
    asm = MbusApduAssembler()
    assert [x for i in range(0, len(raw), 97) for x in asm.feed(raw[i:i + 97])] == [(apdu, 0)]


def test_default_segmentation_matches_the_meters() -> None:
    ((apdu, _),) = apdus_from_mbus(_raw("netznoe-kaifa-ma309-mbus-2frames-encrypted"))
    assert DEFAULT_SEGMENT_SIZE == 245
    assert mbus_from_apdu(apdu) == _raw("netznoe-kaifa-ma309-mbus-2frames-encrypted")
    # More than 16 segments: the 4-bit sequence number wraps.
    big = bytes(range(256)) * 20
    raw = mbus_from_apdu(big, segment_size=100)
    cis = [parse_frame(f).ci for f in _frames(raw)]
    assert cis[15:18] == [0x0F, 0x00, 0x01] and cis[-1] & 0x10
    assert apdus_from_mbus(raw) == [(big, 0)]


_JUNK = st.binary(max_size=40).map(lambda b: bytes(x if x not in (0x68, 0x10, 0xE5) else 0x00 for x in b))


@settings(max_examples=80, deadline=None)
@given(junk=st.lists(_JUNK, min_size=3, max_size=3), chunk=st.integers(1, 300))
def test_stream_keeps_valid_apdus_after_garbage(junk: list[bytes], chunk: int) -> None:
    """Garbage (here: bytes that start no frame) between telegrams costs errors, never APDUs."""
    a = _raw("kaifa-ma309-pl-mbus-2frames-encrypted")
    b = _raw("netznoe-kaifa-ma309-mbus-2frames-encrypted")
    stream = junk[0] + a + junk[1] + b + junk[2] + a
    asm = MbusApduAssembler()
    items = [x for i in range(0, len(stream), chunk) for x in asm.feed(stream[i:i + chunk])]
    ((pa, _),), ((pb, _),) = apdus_from_mbus(a), apdus_from_mbus(b)
    assert [x for x in items if isinstance(x, tuple)] == [
        (pa, len(junk[0])), (pb, len(junk[0] + a + junk[1])), (pa, len(junk[0] + a + junk[1] + b + junk[2]))]
    assert all(isinstance(x, FramingError) for x in items if not isinstance(x, tuple))


def test_stream_after_debug_text_with_frame_start_bytes() -> None:
    # Firmware debug prints between telegrams (amsreader gh155/gh247) may contain 0x68 ('h').
    a = _raw("sagemcom-t210d-at-mbus-16bit-length-segments-gh155-1")
    text = b"\r\nhello: 68 h h\x68\x10\xe5 done\r\n"
    asm = MbusApduAssembler()
    items = asm.feed(text + a) + asm.feed(text + a) + asm.feed(b"\x00" * 300)
    apdus = [x[0] for x in items if isinstance(x, tuple)]
    assert apdus == [apdus_from_mbus(a)[0][0]] * 2


def test_stream_memory_is_bounded() -> None:
    import random
    rnd = random.Random(7)
    asm = MbusApduAssembler()
    for _ in range(200):
        chunk = bytes(rnd.choice((0x68, 0x01, 0x00, 0xFA, 0x53, 0x16)) for _ in range(500))
        assert all(isinstance(x, (tuple, DecodeError)) for x in asm.feed(chunk))
        assert asm._splitter.buffered <= 0x03FF + 6  # one (16-bit length) frame at most
        assert asm._state.size <= 0xFFFF


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=600), chunk=st.integers(1, 64))
def test_any_bytes_never_raise(data: bytes, chunk: int) -> None:
    try:
        out = apdus_from_mbus(data)
        assert all(isinstance(a, bytes) and isinstance(o, int) for a, o in out)
    except DecodeError:
        pass
    asm = MbusApduAssembler()
    for i in range(0, len(data), chunk):
        for item in asm.feed(data[i:i + chunk]):
            assert isinstance(item, (tuple, DecodeError))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_mutated_real_frames(data) -> None:
    raw = bytearray(_raw(data.draw(st.sampled_from(MBUS_VALID))))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        apdus_from_mbus(bytes(raw))
    except DecodeError:
        pass
    assert all(isinstance(x, (tuple, DecodeError)) for x in MbusApduAssembler().feed(bytes(raw)))
