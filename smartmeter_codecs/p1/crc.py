"""CRC-16/ARC of a DSMR P1 telegram (DSMR 4.2.2 / 5.0.2 P1 companion standard §6.2).

Polynomial x^16+x^15+x^2+1 (0x8005) processed LSB first (reflected 0xA001), initial value 0,
no final XOR; check value of ``b"123456789"`` is 0xBB3D. It covers every byte from ``/`` up
to and including ``!`` and is written as 4 hex digits, most significant first. Luxembourg
Smarty spec v1.1.3 §3.2.2 says the same ("IBM CRC16"). DSMR 2.2/3.0 telegrams carry no CRC.
"""
from __future__ import annotations

from .._crc import crc16_arc  # single-sourced with the other CRCs (issue 16)

__all__ = ["crc16_arc"]
