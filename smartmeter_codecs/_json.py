"""Strict JSON for the document formats (SMGW, platform exports): one loader, typed errors.

UTF-8 with an optional BOM; numbers with a fraction as ``Decimal`` (exact register values);
duplicate keys refused (which value would be meant?); ``NaN``/``Infinity`` refused. A document
that ends early raises IncompleteError, any other syntax problem FramingError, both with the
byte offset.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .errors import FramingError, IncompleteError

__all__ = ["load_json"]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def load_json(data: bytes, layer: str, what: str = "body") -> Any:
    """Parse ``data`` strictly; errors name ``layer`` and call the input "the JSON ``what``"."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise FramingError(layer, err.start, f"the {what} is not UTF-8 text") from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        offset = len(text[:err.pos].encode("utf-8")) + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        if err.pos >= len(text.rstrip()) or err.msg.startswith("Unterminated string"):
            raise IncompleteError(layer, offset, f"the JSON {what} ends early ({err.msg})") from None
        raise FramingError(layer, offset, f"not valid JSON: {err.msg}") from None
    except ValueError as err:
        raise FramingError(layer, None, f"not valid JSON: {err}") from None
    except RecursionError:
        raise FramingError(layer, None, "JSON nested too deeply") from None
