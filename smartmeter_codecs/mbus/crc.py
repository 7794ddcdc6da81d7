"""CRC-16/EN-13757 (EN 13757-4:2019 11.5.4 / the EN 60870-5-1 FT3 CRC): the wM-Bus DLL CRC,
also the compact-frame format signature and full-frame CRC (EN 13757-3:2018 Annex G)."""
from __future__ import annotations

__all__ = ["crc16_en13757"]


def crc16_en13757(data: bytes) -> int:
    """CRC-16/EN-13757: poly 0x3D65, init 0, not reflected, xorout 0xFFFF."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x3D65) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc ^ 0xFFFF
