"""CRC-16 of SML files and messages: X.25 (the standard) and KERMIT (Holley's RS485 terminal).

SML 1.04 (BSI TR-03109-1 Anlage IIIa / FNN) protects the transport frame and every message
with CRC-16/X.25: polynomial 0x1021 processed bit-reflected, init 0xFFFF, final XOR 0xFFFF
(check value 0x906E for "123456789"). Holley DTZ541 meters read on their RS485 terminal use
CRC-16/KERMIT instead: the same reflected polynomial with init 0 and no final XOR (check
0x2189); SmlLib issue #22, libsml ``sml_message.c`` fallback (docs/formats/sml.md).

Both are computed with :func:`binascii.crc_hqx` (the unreflected CCITT CRC, in C) on
bit-reversed bytes, then the 16-bit result is reversed back: the same trick as
``dlms/hdlc.py`` and ~30x faster than a Python table loop.
"""
from __future__ import annotations

import binascii

__all__ = ["CRC_FUNCTIONS", "crc16_kermit", "crc16_x25"]

_REVERSE_BITS = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _reflected(data: bytes, init: int) -> int:
    c = binascii.crc_hqx(bytes(data).translate(_REVERSE_BITS), init)
    return (_REVERSE_BITS[c & 0xFF] << 8) | _REVERSE_BITS[c >> 8]


def crc16_x25(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/X.25 (init 0xFFFF, reflected, XOR out 0xFFFF); check value 0x906E."""
    return _reflected(bytes(data), 0xFFFF) ^ 0xFFFF


def crc16_kermit(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/KERMIT (init 0, reflected, no XOR out); check value 0x2189."""
    return _reflected(bytes(data), 0x0000)


#: name -> function, the names used by ``crc=`` options and in ``extra["crc"]``
CRC_FUNCTIONS = {"x25": crc16_x25, "kermit": crc16_kermit}
