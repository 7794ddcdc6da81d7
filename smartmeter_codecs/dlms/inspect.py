"""inspect() for DLMS: the layer tree with byte offsets (filled in below)."""
from __future__ import annotations
