"""DSMR / IEC 62056-21 P1 text telegrams (NL, BE, LU, SE, AT, LT, HU...): format ``"p1"``.

Layers: :mod:`.crc` (CRC-16/ARC), :mod:`.telegram` (bytes <-> header, lines, CRC),
:mod:`.mapping` (lines -> Registers -> Reading, as tables), :mod:`.codec` (the codec object,
stream splitter and encoder). See docs/formats/p1.md.
"""
from __future__ import annotations

import re

from ..model import Reading
from .codec import CODEC, MAX_TELEGRAM, P1Stream, decode_telegrams, encode_reading, parse_telegrams
from .crc import crc16_arc
from .mapping import PROFILES, PowerFailure, to_reading
from .telegram import Telegram, build_telegram, parse_telegram

__all__ = [
    "CODEC",
    "MAX_TELEGRAM",
    "PROFILES",
    "P1Stream",
    "PowerFailure",
    "Telegram",
    "build_telegram",
    "crc16_arc",
    "decode_telegram",
    "decode_telegrams",
    "encode_reading",
    "is_telegram",
    "parse_telegram",
    "parse_telegrams",
    "to_reading",
]

_BANG_LINE = re.compile(rb"(?:^|\n)!")


def is_telegram(data: bytes) -> bool:
    """Cheap check: ``data`` starts with ``/`` and has a line starting with ``!``."""
    data = bytes(data)
    return data[:1] == b"/" and _BANG_LINE.search(data) is not None


def decode_telegram(text: bytes | str, *, profile: str | None = None, check_crc: bool = True,
                    require_end: bool = True) -> Reading:
    """Decode one P1 telegram into a Reading (the last one if ``text`` holds several).

    Args:
        text: the telegram bytes, or text (characters U+0000..U+00FF map to bytes 1:1, i.e.
            latin-1, so a CRC over the original bytes still verifies; other characters UTF-8).
        profile: the country whose clock the timestamps use (``"nl"``, ``"be"``, ``"lu"``,
            ``"at"``, ``"se"``, ``"lt"``, ``"hu"``, ``"ie"``...); ``None`` = from the FLAG id, else NL.
        check_crc: ``False`` decodes a telegram whose CRC is wrong (e.g. a spec example).
        require_end: ``False`` accepts a telegram whose ``!`` line is missing at the end.

    Raises:
        DecodeError: ``FramingError``/``IncompleteError``/``ChecksumError`` with layer ``"p1"``.
    """
    if isinstance(text, str):
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            data = text.encode("utf-8")
    else:
        data = bytes(text)
    return decode_telegrams(data, profile=profile, check_crc=check_crc, require_end=require_end)[-1]
