"""smartmeter_codecs._crc held to the bitwise definitions of the CRC catalogue (reveng,
"Catalogue of parametrised CRC algorithms", width 16) and its check values, and the
per-format names held to the shared functions."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smartmeter_codecs import _crc
from smartmeter_codecs.dlms import hdlc
from smartmeter_codecs.mbus import crc as mbus_crc
from smartmeter_codecs.osgp import optical
from smartmeter_codecs.p1 import crc as p1_crc
from smartmeter_codecs.sml import crc as sml_crc


def _reflect(v: int, width: int) -> int:
    return int(f"{v:0{width}b}"[::-1], 2)


def bitwise(data: bytes, poly: int, init: int, refin: bool, refout: bool, xorout: int) -> int:
    """The catalogue's definition, one bit at a time, MSB first (Rocksoft model)."""
    crc = init
    for byte in data:
        if refin:
            byte = _reflect(byte, 8)
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    if refout:
        crc = _reflect(crc, 16)
    return crc ^ xorout


PARAMS = {   # name: (function, poly, init, refin, refout, xorout, check)
    "X-25": (_crc.crc16_x25, 0x1021, 0xFFFF, True, True, 0xFFFF, 0x906E),
    "KERMIT": (_crc.crc16_kermit, 0x1021, 0x0000, True, True, 0x0000, 0x2189),
    "ARC": (_crc.crc16_arc, 0x8005, 0x0000, True, True, 0x0000, 0xBB3D),
    "EN-13757": (_crc.crc16_en13757, 0x3D65, 0x0000, False, False, 0xFFFF, 0xC2B7),
}


def test_check_values_of_the_catalogue() -> None:
    for name, (fn, poly, init, refin, refout, xorout, check) in PARAMS.items():
        assert fn(b"123456789") == check, name
        assert bitwise(b"123456789", poly, init, refin, refout, xorout) == check, name


# sizes on both sides of crc16_arc's switch to two bytes a step (128), odd and even
@given(st.binary(max_size=300))
def test_every_crc_matches_its_bitwise_definition(data: bytes) -> None:
    for name, (fn, poly, init, refin, refout, xorout, _) in PARAMS.items():
        assert fn(data) == bitwise(data, poly, init, refin, refout, xorout), name


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_arc_continues_a_computation(a: bytes, b: bytes) -> None:
    assert _crc.crc16_arc(b, _crc.crc16_arc(a)) == _crc.crc16_arc(a + b)


@given(st.binary(max_size=200), st.integers(0, 200), st.integers(0, 200))
def test_x25_of_a_slice(data: bytes, start: int, end: int) -> None:
    assert _crc.crc16_x25(data, start, end) == _crc.crc16_x25(data[start:end])
    assert _crc.crc16_x25(bytearray(data)) == _crc.crc16_x25(memoryview(data)) == _crc.crc16_x25(data)


@given(st.binary(min_size=1, max_size=300), st.data())
def test_x25_parts_are_two_x25s(data: bytes, draw: st.DataObject) -> None:
    start = draw.draw(st.integers(0, len(data) - 1))
    middle = draw.draw(st.integers(start, len(data)))
    end = draw.draw(st.integers(middle, len(data)))
    for buf in (data, bytearray(data)):
        assert _crc.crc16_x25_parts(buf, start, middle, end) == (
            _crc.crc16_x25(data[start:middle]), _crc.crc16_x25(data[start:end]))


@given(st.binary(max_size=40), st.binary(max_size=200), st.sampled_from(["good", "hcs", "fcs", "both"]),
       st.integers(0, 0xFFFF))
def test_x25_checks_ok_is_both_check_sequences_right(head: bytes, info: bytes, damage: str, noise: int) -> None:
    """The HDLC fast check (residue, no CRC value computed) says True exactly when the HCS after
    ``head`` and the FCS after ``head + HCS + info`` are each what crc16_x25 gives."""
    hcs = _crc.crc16_x25(head)
    if damage in ("hcs", "both"):
        hcs ^= noise
    body = head + hcs.to_bytes(2, "little") + info
    fcs = _crc.crc16_x25(body)
    if damage in ("fcs", "both"):
        fcs ^= noise
    frame = b"\x7e" + body + fcs.to_bytes(2, "little") + b"\x7e"
    want = hcs == _crc.crc16_x25(head) and fcs == _crc.crc16_x25(body)
    for buf in (frame, bytearray(frame)):
        assert _crc.x25_checks_ok(buf, 1, 1 + len(head) + 2, len(frame) - 1) is want


def test_every_format_uses_the_shared_functions() -> None:
    assert p1_crc.crc16_arc is _crc.crc16_arc
    assert mbus_crc.crc16_en13757 is _crc.crc16_en13757
    assert sml_crc.crc16_x25 is _crc.crc16_x25 and sml_crc.crc16_kermit is _crc.crc16_kermit
    assert hdlc.crc16_x25 is _crc.crc16_x25
    assert optical.crc16(b"123456789") == 0x906E
