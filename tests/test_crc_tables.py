"""The table-driven CRCs (issue 16) equal their bit/byte-loop definitions on any input."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smartmeter_codecs.mbus.crc import crc16_en13757
from smartmeter_codecs.p1.crc import crc16_arc


def _arc_bitwise(data: bytes, crc: int = 0) -> int:
    for b in data:                       # CRC-16/ARC: reflected 0x8005 (0xA001), init 0
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _en13757_bitwise(data: bytes) -> int:
    crc = 0                              # CRC-16/EN-13757: 0x3D65, MSB first, xorout 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x3D65) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc ^ 0xFFFF


def test_check_values():
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_en13757(b"123456789") == 0xC2B7


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_crc16_arc_equals_the_bitwise_definition(data, start):
    assert crc16_arc(data, start) == _arc_bitwise(data, start)
    assert crc16_arc(bytearray(data)) == crc16_arc(memoryview(data)) == _arc_bitwise(data)
    cut = len(data) // 3                 # continuing a computation gives the whole one
    assert crc16_arc(data[cut:], crc16_arc(data[:cut])) == _arc_bitwise(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_crc16_en13757_equals_the_bitwise_definition(data):
    assert crc16_en13757(data) == _en13757_bitwise(data)
    # the two-byte table path (16 bytes on) reads bytes-likes as the byte loop does
    assert crc16_en13757(bytearray(data)) == crc16_en13757(memoryview(data)) == _en13757_bitwise(data)
