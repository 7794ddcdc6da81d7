"""M-Bus: EN 13757-2 wired link layer, EN 13757-3 application layer, EN 13757-4 wireless frames.

The codec objects (format names ``"mbus"`` and ``"wmbus"``) live in :mod:`.codec`; the layers
are :mod:`.link` (wired frames), :mod:`.records` (DIF/VIF data records), :mod:`.vif` (tables)
and :mod:`.wireless` (wM-Bus frames).
"""
