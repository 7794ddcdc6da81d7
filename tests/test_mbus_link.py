"""EN 13757-2 link layer: frame parsing, strict splitting, stream splitting, 16-bit length quirk."""
from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartmeter_codecs.errors import ChecksumError, DecodeError, FramingError, IncompleteError
from smartmeter_codecs.mbus.link import (
    LinkFrame,
    LinkFrameSplitter,
    build_control_frame,
    build_long_frame,
    build_short_frame,
    parse_frame,
    split_frames,
)

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mbus"


def _link_entries() -> list[dict]:
    return json.loads((FIXTURES / "link_frames.json").read_text())["entries"]


def test_ack_short_control_long() -> None:
    assert parse_frame(b"\xe5") == LinkFrame("ack", None, None, None, b"", 0, 1, 0)
    f = parse_frame(bytes.fromhex("10080B1316"))
    assert (f.kind, f.c, f.a, f.end, f.length) == ("short", 0x08, 0x0B, 5, 2)
    f = parse_frame(bytes.fromhex("68030368080B728516"))
    assert (f.kind, f.c, f.a, f.ci, f.data) == ("control", 0x08, 0x0B, 0x72, b"")
    frame = build_long_frame(0x08, 0x01, 0x72, bytes(range(20)))
    f = parse_frame(frame)
    assert (f.kind, f.c, f.a, f.ci, f.data, f.length, f.end) == ("long", 8, 1, 0x72, bytes(range(20)), 23, 29)


@pytest.mark.parametrize("hexframe, error, offset", [
    ("10080BFF16", ChecksumError, 3),          # pyMeterBus test_short_frame_crc_error
    ("68030368080BFF16", IncompleteError, 8),  # pyMeterBus test_tg_header (truncated control frame)
    ("680000680816", FramingError, 1),         # libmbus unsupported-frames/invalid_length (L=0)
    ("0D04046853FE5010B116", FramingError, 0),  # libmbus manual_frame1 (bad start)
    ("68040568080170088116", FramingError, 2),  # L bytes differ
    ("68040469080170088116", FramingError, 3),  # second start byte
    ("68040468080170088117", FramingError, 9),  # stop byte
    ("68040468080170088016", ChecksumError, 8),  # checksum
    ("00000000000000000000000000", FramingError, 0),
])
def test_typed_errors(hexframe: str, error: type, offset: int) -> None:
    with pytest.raises(error) as info:
        parse_frame(bytes.fromhex(hexframe))
    assert info.value.layer == "mbus-link"
    assert info.value.offset == offset


def test_checksum_error_carries_values() -> None:
    with pytest.raises(ChecksumError) as info:
        parse_frame(bytes.fromhex("68040468080170088016"))
    assert (info.value.expected, info.value.actual) == (0x81, 0x80)


def test_absolute_offsets() -> None:
    data = build_short_frame(0x5B, 1) + bytes.fromhex("68040468080170088016")
    with pytest.raises(ChecksumError) as info:
        parse_frame(data, 5)
    assert info.value.offset == 5 + 8


def test_builders_round_trip() -> None:
    assert build_short_frame(0x5B, 0xFE) == bytes.fromhex("105BFE5916")
    assert build_control_frame(0x53, 0xFE, 0x51) == bytes.fromhex("6803036853FE51A216")
    with pytest.raises(ValueError):
        build_long_frame(0x08, 1, 0x72, bytes(253))


@pytest.mark.parametrize("entry", _link_entries(), ids=lambda e: e["id"])
def test_real_dlms_transport_frames(entry: dict) -> None:
    """Real DLMS-over-M-Bus captures (copied from corpus/dlms.json, layer mbus_long/mbus_stream)."""
    data = bytes.fromhex(entry["hex"])
    want = [tuple(x) for x in entry["frames"]]
    if entry["needs_16bit"]:
        with pytest.raises(FramingError):
            split_frames(data)
    frames = split_frames(data, allow_16bit_length=True)
    assert [(f.ci, f.length) for f in frames] == want
    assert frames[-1].end == len(data)
    # the stream splitter finds the same frames whatever the chunking, with garbage around
    for size in (1, 7, 300):
        sp = LinkFrameSplitter(allow_16bit_length=True)
        noisy = b"\x01\x02\x68\x30" + data + b"\xff\x00"
        items = [i for k in range(0, len(noisy), size) for i in sp.feed(noisy[k:k + size])]
        got = [(i.ci, i.length) for i in items if isinstance(i, LinkFrame)]
        assert got == want
        assert all(isinstance(i, FramingError) for i in items if not isinstance(i, LinkFrame))


def test_16bit_reading_never_changes_normal_frames() -> None:
    # a frame whose header is 68 03 03 68 with a bad checksum stays a checksum error
    bad = bytes.fromhex("68030368080B72FF16") + bytes(800)
    with pytest.raises(ChecksumError):
        parse_frame(bad, allow_16bit_length=True)
    good = build_long_frame(0x08, 1, 0x72, bytes(range(250)))
    assert parse_frame(good, allow_16bit_length=True) == parse_frame(good)


def test_sixteen_bit_frame_built_by_hand() -> None:
    body = bytes((0x53, 0xFF, 0x00)) + bytes(range(254))  # 257 bytes C..data
    frame = b"\x68\x01\x01\x68" + body + bytes((sum(body) & 0xFF, 0x16))
    f = parse_frame(frame, allow_16bit_length=True)
    assert (f.length, f.ci, len(f.data), f.sixteen_bit_length) == (257, 0, 254, True)
    with pytest.raises(FramingError):
        parse_frame(frame)


def test_splitter_checksum_error_then_frame() -> None:
    good = build_long_frame(0x08, 1, 0x72, b"\x01\x02\x03")
    bad = bytearray(good)
    bad[-2] ^= 0xFF
    sp = LinkFrameSplitter()
    items = sp.feed(bytes(bad) + good)
    assert isinstance(items[0], ChecksumError) and items[0].offset == len(good) - 2
    assert isinstance(items[1], LinkFrame) and items[1].start == len(good)
    assert sp.buffered == 0


def test_splitter_reports_garbage_once_per_run() -> None:
    sp = LinkFrameSplitter()
    items = []
    for _ in range(10):
        items += sp.feed(b"\x01\x02\x03")
    items += sp.feed(b"\xe5")
    assert [type(i).__name__ for i in items] == ["FramingError", "LinkFrame"]
    assert items[0].offset == 0 and "30 byte" in items[0].message


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_parse_any_bytes_typed_error(data: bytes) -> None:
    try:
        frame = parse_frame(data, allow_16bit_length=True)
    except DecodeError:
        return
    assert frame.end <= len(data)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=12), st.binary(max_size=40)), max_size=5),
       st.integers(min_value=1, max_value=64))
def test_splitter_never_loses_frames_after_garbage(parts: list[tuple[bytes, bytes]], chunk: int) -> None:
    # garbage without start bytes, then a valid frame: every frame must come out, in order
    stream = b""
    want = []
    for garbage, payload in parts:
        garbage = bytes(b for b in garbage if b not in (0xE5, 0x10, 0x68))
        frame = build_long_frame(0x08, 0x05, 0x72, payload)
        stream += garbage + frame
        want.append(payload)
    sp = LinkFrameSplitter()
    items = [i for k in range(0, len(stream), chunk) for i in sp.feed(stream[k:k + chunk])]
    assert [i.data for i in items if isinstance(i, LinkFrame)] == want
    assert sp.buffered == 0


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=1, max_value=50))
def test_splitter_any_bytes_bounded(data: bytes, chunk: int) -> None:
    sp = LinkFrameSplitter(allow_16bit_length=True)
    for k in range(0, len(data), chunk):
        for item in sp.feed(data[k:k + chunk]):
            assert isinstance(item, (LinkFrame, DecodeError))
        assert sp.buffered <= 1023 + 6
