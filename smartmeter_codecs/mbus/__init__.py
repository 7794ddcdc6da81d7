"""M-Bus: EN 13757-2 wired link layer, EN 13757-3 application layer, EN 13757-4 wireless frames.

The codec objects (format names ``"mbus"`` and ``"wmbus"``) live in :mod:`.codec`; the layers
are :mod:`.link` (wired frames), :mod:`.records` (DIF/VIF data records), :mod:`.vif` (tables)
and :mod:`.wireless` (wM-Bus frames), :mod:`.compact` (compact frames, CI 0x79/0x7B/0x73).

:class:`WMBusDecoder` is the stateful (sans-I/O) wM-Bus decoder a receiver holds: it learns
compact-frame formats from full frames (:class:`FormatStore`).

The names below are imported when first used (PEP 562): the ``dlms`` format reads DLMS over
M-Bus with :mod:`.link` alone, and importing the codec with its tables would cost the first
DLMS decode tens of milliseconds (issue 16).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .codec import WMBusDecoder
    from .compact import KNOWN_FORMATS, FormatStore

__all__ = ["KNOWN_FORMATS", "FormatStore", "WMBusDecoder"]

_WHERE = {"WMBusDecoder": ".codec", "KNOWN_FORMATS": ".compact", "FormatStore": ".compact"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
