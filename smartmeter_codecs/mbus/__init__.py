"""M-Bus: EN 13757-2 wired link layer, EN 13757-3 application layer, EN 13757-4 wireless frames.

The codec objects (format names ``"mbus"`` and ``"wmbus"``) live in :mod:`.codec`; the layers
are :mod:`.link` (wired frames), :mod:`.records` (DIF/VIF data records), :mod:`.vif` (tables)
and :mod:`.wireless` (wM-Bus frames), :mod:`.compact` (compact frames, CI 0x79/0x7B/0x73).

:class:`WMBusDecoder` is the stateful (sans-I/O) wM-Bus decoder a receiver holds: it learns
compact-frame formats from full frames (:class:`FormatStore`).
"""
from __future__ import annotations

from .codec import WMBusDecoder
from .compact import KNOWN_FORMATS, FormatStore

__all__ = ["KNOWN_FORMATS", "FormatStore", "WMBusDecoder"]
