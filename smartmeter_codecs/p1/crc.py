"""CRC-16/ARC of a DSMR P1 telegram (DSMR 4.2.2 / 5.0.2 P1 companion standard §6.2).

Polynomial x^16+x^15+x^2+1 (0x8005) processed LSB first (reflected 0xA001), initial value 0,
no final XOR; check value of ``b"123456789"`` is 0xBB3D. It covers every byte from ``/`` up
to and including ``!`` and is written as 4 hex digits, most significant first. Luxembourg
Smarty spec v1.1.3 §3.2.2 says the same ("IBM CRC16"). DSMR 2.2/3.0 telegrams carry no CRC.
"""
from __future__ import annotations

__all__ = ["crc16_arc"]


def _table() -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_TABLE = _table()


def crc16_arc(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC of ``data`` (pass a previous result as ``crc`` to continue a computation)."""
    table = _TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc
