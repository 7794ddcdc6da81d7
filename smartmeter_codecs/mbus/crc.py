"""CRC-16/EN-13757 (EN 13757-4:2019 11.5.4 / the EN 60870-5-1 FT3 CRC): the wM-Bus DLL CRC,
also the compact-frame format signature and full-frame CRC (EN 13757-3:2018 Annex G)."""
from __future__ import annotations

from .._crc import crc16_en13757  # single-sourced with the other CRCs (issue 16)

__all__ = ["crc16_en13757"]
