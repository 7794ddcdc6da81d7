"""The seam where a raw Chain 2 frame decoder plugs in.

What is known about the raw frames (docs/formats/chain2.md): Chain 2 runs over PLC in the
CENELEC C band (CEI TS 13-84) with a data model and application layer in CEI TS 13-83. Those
texts are paywalled; no public source gives the frame format, the CRC, the OBIS list or the
security suite, and no raw capture was found. The gateway JSON strongly suggests DLMS/COSEM
semantics (DLMS date-time wildcards), and MAC's cloud stores ``k1``, ``k2`` and a
``system_title`` per gateway, which fits DLMS AES-GCM security, but that is unverified.

So this module does **not** guess a PLC framing. It accepts one thing: a frame that already is
a DLMS/COSEM APDU (a data-notification or a ciphered APDU, IEC 62056-5-3 tags below), which it
routes through the library's ``dlms`` codec, so that whoever extracts APDUs from a Chain 2
modem gets Readings (with generic IEC 62056-6-1 OBIS meanings, unconfirmed for Chain 2).
Everything else raises :class:`~smartmeter_codecs.UnsupportedError` saying why.

A future raw decoder (someone with CEI TS 13-83/84 and the keys) replaces
:func:`decode_raw_frame`: it takes bytes and returns Readings with ``format="chain2"``.
"""
from __future__ import annotations

import logging
from typing import Callable

from .._registry import Codec, get_codec
from ..errors import UnsupportedError
from ..keys import KeysArg
from ..model import Reading

__all__ = ["DLMS_APDU_TAGS", "decode_raw_frame", "is_dlms_apdu"]

log = logging.getLogger(__name__)

#: First byte of the DLMS/COSEM APDUs a meter pushes (DLMS Green Book / IEC 62056-5-3 tags,
#: as in :mod:`smartmeter_codecs.dlms.apdu`): [15] data-notification, [219] general-glo-ciphering,
#: [220] general-ded-ciphering, [221] general-ciphering, [224] general-block-transfer.
DLMS_APDU_TAGS: dict[int, str] = {
    0x0F: "data-notification",
    0xDB: "general-glo-ciphering",
    0xDC: "general-ded-ciphering",
    0xDD: "general-ciphering",
    0xE0: "general-block-transfer",
}


def is_dlms_apdu(data: bytes) -> bool:
    """True when ``data`` starts with a DLMS push APDU tag (a cheap test, not a validation)."""
    return bool(data) and data[0] in DLMS_APDU_TAGS


def decode_raw_frame(data: bytes, *, keys: KeysArg, profile: str | None,
                     codec_lookup: Callable[[str], Codec] | None = None) -> list[Reading]:
    """Readings from a raw (non-JSON) Chain 2 frame, or UnsupportedError.

    ``codec_lookup`` defaults to the format registry (a parameter so tests can substitute it).
    """
    lookup = codec_lookup if codec_lookup is not None else get_codec
    if not data:
        raise UnsupportedError("chain2-raw", 0, "empty input: no Chain 2 message")
    tag = data[0]
    if tag not in DLMS_APDU_TAGS:
        raise UnsupportedError(
            "chain2-raw", 0,
            f"not Chain2Gate JSON and not a DLMS APDU (first byte 0x{tag:02x}): raw Chain 2 PLC "
            "frames (CEI TS 13-83/13-84) are not publicly documented and are not decoded; "
            "pass gateway JSON (format 'chain2') or a Sinapsi Alfa register block ('chain2-alfa')",
            {"first_byte": tag})
    try:
        dlms = lookup("dlms")
    except KeyError:
        raise UnsupportedError(
            "chain2-raw", 0,
            f"frame looks like a DLMS {DLMS_APDU_TAGS[tag]} APDU, but the 'dlms' codec is not "
            "available in this build", {"apdu": DLMS_APDU_TAGS[tag]}) from None
    log.debug("routing a raw Chain 2 frame (%s) through the dlms codec", DLMS_APDU_TAGS[tag])
    return [r.replace(format="chain2") for r in dlms.decode_all(data, keys=keys, profile=profile)]
