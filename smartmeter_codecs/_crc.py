"""The 16-bit CRCs of the wire formats, in one place (issue 16: they were five copies).

Each is named as in the CRC catalogue (reveng "Catalogue of parametrised CRC algorithms",
width 16) with its parameters and check value (the CRC of ``b"123456789"``):

| function | used by | poly | init | reflected | xorout | check |
|---|---|---|---|---|---|---|
| :func:`crc16_x25` | HDLC HCS/FCS (IEC 62056-46 / ISO 13239), SML, ANSI C12.18 optical | 0x1021 | 0xFFFF | yes | 0xFFFF | 0x906E |
| :func:`crc16_kermit` | SML on Holley's RS485 terminal | 0x1021 | 0x0000 | yes | 0x0000 | 0x2189 |
| :func:`crc16_arc` | DSMR P1 telegrams (P1 companion standard 5.0.2 §6.2) | 0x8005 | 0x0000 | yes | 0x0000 | 0xBB3D |
| :func:`crc16_en13757` | wM-Bus DLL, compact-frame signatures (EN 13757-4 11.5.4, -3 Annex G) | 0x3D65 | 0x0000 | no | 0xFFFF | 0xC2B7 |

X.25 and KERMIT run in C: :func:`binascii.crc_hqx` is the *unreflected* CCITT CRC (poly
0x1021, the XMODEM/CCITT-FALSE form), and a reflected CRC of some bytes equals the
unreflected CRC of the bit-reversed bytes, bit-reversed (init 0xFFFF and 0 are their own
reversal). ARC and EN 13757 have other polynomials, which binascii does not offer: they are
table-driven. tests/test_crc.py holds each to the bitwise catalogue definition.
"""
from __future__ import annotations

import binascii
import functools
import sys
from array import array

__all__ = ["crc16_arc", "crc16_en13757", "crc16_kermit", "crc16_x25", "crc16_x25_parts", "x25_checks_ok"]

_REVERSE_BITS = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _reflected_ccitt(chunk: bytes | bytearray, init: int) -> int:
    return _unreflect(binascii.crc_hqx(chunk.translate(_REVERSE_BITS), init))


def _unreflect(c: int) -> int:
    """The reflected CRC from crc_hqx's register over bit-reversed bytes (its 16 bits reversed)."""
    return (_REVERSE_BITS[c & 0xFF] << 8) | _REVERSE_BITS[c >> 8]


def crc16_x25(data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> int:
    """CRC-16/X.25 (CRC-16/IBM-SDLC) of ``data[start:end]``; check value 0x906E."""
    chunk = data[start:end] if (start or end is not None) else data
    if type(chunk) is memoryview:     # bytes and bytearray translate themselves; a view cannot
        chunk = bytes(chunk)
    return _reflected_ccitt(chunk, 0xFFFF) ^ 0xFFFF


def crc16_x25_parts(data: bytes | bytearray, start: int, middle: int, end: int) -> tuple[int, int]:
    """``(crc16_x25(data[start:middle]), crc16_x25(data[start:end]))`` in one pass (an HDLC
    frame's HCS and FCS: the FCS covers the header the HCS covers, and more)."""
    rev = data[start:end].translate(_REVERSE_BITS)
    head = binascii.crc_hqx(memoryview(rev)[:middle - start], 0xFFFF)
    whole = binascii.crc_hqx(memoryview(rev)[middle - start:], head)
    return _unreflect(head) ^ 0xFFFF, _unreflect(whole) ^ 0xFFFF


# CRC-16/X.25 over a message followed by its own CRC (low byte first) leaves this register in
# crc_hqx over the bit-reversed bytes: the reversed "good residue" 0xF0B8 of the reflected CRC
# (Williams, "A painless guide to CRC error detection algorithms", section 17; RFC 1662 C.2)
_X25_RESIDUE = 0x1D0F


def x25_checks_ok(data: bytes | bytearray, start: int, middle: int, end: int) -> bool:
    """Whether ``data[start:middle]`` ends with its CRC-16/X.25 and ``data[start:end]`` too
    (an HDLC frame's HCS and FCS, each followed by its check sequence) in one pass, by residue:
    no CRC value is computed, so a caller computes them (crc16_x25_parts) only to word an error."""
    rev = data[start:end].translate(_REVERSE_BITS)
    head = binascii.crc_hqx(rev[:middle - start], 0xFFFF)
    return head == _X25_RESIDUE and binascii.crc_hqx(rev[middle - start:], head) == _X25_RESIDUE


def crc16_kermit(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/KERMIT (init 0, reflected, no XOR out); check value 0x2189."""
    return _reflected_ccitt(bytes(data), 0x0000)


def _reflected_table(poly_reflected: int) -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly_reflected if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_ARC = _reflected_table(0xA001)      # 0x8005 reflected


@functools.cache
def _arc16() -> tuple[int, ...]:
    """The ARC register after two bytes, indexed by (crc ^ the two bytes, little-endian): a
    reflected 16-bit CRC shifts its whole register out in 16 bits, so two table steps fold
    into one. 65,536 entries, built on first use (not at import: ~10 ms); functools.cache
    makes it a computed constant (a second thread racing the first build gets an equal table)."""
    t = _ARC
    return tuple((t[v & 0xFF] >> 8) ^ t[((v >> 8) ^ t[v & 0xFF]) & 0xFF] for v in range(65536))


_LITTLE = sys.byteorder == "little"


def crc16_arc(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data`` (pass a previous result as ``crc`` to continue a computation);
    check value 0xBB3D.

    Two bytes per step over a 16-bit table for telegram-sized input (a byte loop cost about
    3x as much on a 900-byte telegram); short input goes byte by byte.
    """
    table = _ARC
    n = len(data)
    if n < 128:
        for b in data:
            crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
        return crc
    t16 = _arc16()
    words = array("H")
    words.frombytes(bytes(data[:n & ~1]))
    if not _LITTLE:
        words.byteswap()
    for w in words:
        crc = t16[crc ^ w]
    if n & 1:
        crc = (crc >> 8) ^ table[(crc ^ data[n - 1]) & 0xFF]
    return crc


def _msb_table(poly: int) -> tuple[int, ...]:
    # One entry per value of the top byte: the register after shifting those 8 bits through
    # the polynomial (the byte-wise form of an MSB-first CRC; a bit loop cost 31 us for a
    # wM-Bus frame, the table a third of that).
    out = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
        out.append(crc)
    return tuple(out)


_EN13757 = _msb_table(0x3D65)


@functools.cache
def _en13757_16() -> tuple[int, ...]:
    """The EN 13757 register after two bytes, indexed by (crc ^ the two bytes, big-endian): an
    MSB-first 16-bit CRC shifts its whole register out in 16 bits, so two table steps fold into
    one. Row ``hi`` is the byte table permuted by the high byte of ``t[hi]`` (4-5 ms to build,
    on first use; functools.cache as for _arc16)."""
    t = _EN13757
    out: list[int] = []
    for hi in range(256):
        first = t[hi]
        low, carry = (first & 0xFF) << 8, first >> 8
        out += [low ^ t[lo ^ carry] for lo in range(256)]
    return tuple(out)


def crc16_en13757(data: bytes) -> int:
    """CRC-16/EN-13757: poly 0x3D65, init 0, not reflected, xorout 0xFFFF (check 0xC2B7).

    Two bytes per step over a 16-bit table from 16 bytes on (a wM-Bus data block or frame:
    3.5x faster on a 173-byte frame, 2x on a block); shorter input byte by byte, so a sniffer's
    10-byte check never builds the table."""
    table = _EN13757
    crc = 0
    n = len(data)
    if n < 16:
        for b in data:
            crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ b]
        return crc ^ 0xFFFF
    t16 = _en13757_16()
    words = array("H")
    words.frombytes(bytes(data[:n & ~1]))
    if _LITTLE:
        words.byteswap()            # big-endian pairs: the first byte is the high one
    for w in words:
        crc = t16[crc ^ w]
    if n & 1:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ data[n - 1]]
    return crc ^ 0xFFFF
