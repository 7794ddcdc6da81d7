"""xDLMS APDUs that HAN ports push (Green Book, IEC 62056-5-3).

* data-notification [15] (0x0F): long-invoke-id-and-priority (4 bytes), date-time, body (Data).
  The date-time is an OCTET STRING: ``00`` (empty) or ``0C`` + 12 bytes per the Green Book.
  Kaifa/Aidon/L&G send it A-XDR *tagged* (``09 0C`` + 12 bytes); Kamstrup sends the
  untagged form (roarfred/AmsToMqttBridge issue #29). Both are accepted.
* general-block-transfer [224] (0xE0): see :mod:`.gbt`.
* ciphered APDUs (0xDB general-glo-ciphering, 0xDC general-ded-ciphering, ...): see
  :mod:`.security`.
Anything else is recognised by name and reported as UnsupportedError (it is not a push).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FramingError, IncompleteError, UnsupportedError
from .axdr import Data, decode_data
from .cosem_time import CosemDateTime, parse_datetime

__all__ = ["DataNotification", "parse_data_notification", "APDU_NAMES", "TAG_DATA_NOTIFICATION", "TAG_GBT",
           "validate_apdu"]

LAYER = "apdu"
TAG_DATA_NOTIFICATION = 0x0F
TAG_GBT = 0xE0

APDU_NAMES = {
    0x01: "initiate-request", 0x08: "initiate-response", 0x0E: "confirmed-service-error",
    0x0F: "data-notification", 0x60: "AARQ", 0x61: "AARE", 0x62: "RLRQ", 0x63: "RLRE",
    0xC0: "get-request", 0xC1: "set-request", 0xC2: "event-notification-request", 0xC3: "action-request",
    0xC4: "get-response", 0xC5: "set-response", 0xC7: "action-response", 0xC8: "glo-get-request",
    0xCC: "glo-get-response", 0xD8: "exception-response", 0xD9: "access-request", 0xDA: "access-response",
    0xDB: "general-glo-ciphering", 0xDC: "general-ded-ciphering", 0xDD: "general-ciphering",
    0xDF: "general-signing", 0xE0: "general-block-transfer",
}


@dataclass(frozen=True, slots=True)
class DataNotification:
    """A parsed data-notification. Offsets are absolute in the buffer it was parsed from."""

    invoke_id_and_priority: int
    datetime: CosemDateTime | None
    datetime_tagged: bool          # True when sent as ``09 0C`` (A-XDR tagged)
    body: Data
    start: int
    end: int
    datetime_start: int            # offset of the date-time field (its first byte)

    @property
    def invoke_id(self) -> int:
        return self.invoke_id_and_priority & 0x00FFFFFF


def parse_data_notification(buf: bytes, pos: int = 0, end: int | None = None) -> DataNotification:
    """Parse a data-notification at ``buf[pos]`` that must end exactly at ``end``."""
    end = len(buf) if end is None else end
    start = pos
    if pos >= end or buf[pos] != TAG_DATA_NOTIFICATION:
        raise FramingError(LAYER, pos, "expected data-notification tag 0x0F")
    if pos + 6 > end:
        raise IncompleteError(LAYER, pos, "data-notification header needs 6 bytes")
    invoke = int.from_bytes(buf[pos + 1:pos + 5], "big")
    pos += 5
    dt_start = pos
    b = buf[pos]
    tagged = False
    dt: CosemDateTime | None = None
    if b == 0x09:          # A-XDR tagged octet-string
        tagged = True
        pos += 1
        if pos >= end:
            raise IncompleteError(LAYER, pos, "date-time length missing")
        b = buf[pos]
    if b == 0x00:
        pos += 1
    elif b == 0x0C:
        if pos + 13 > end:
            raise IncompleteError(LAYER, pos, "12-byte date-time runs past the end")
        dt = parse_datetime(bytes(buf[pos + 1:pos + 13]))
        pos += 13
    else:
        raise FramingError(LAYER, pos, f"date-time length {b:#04x}: expected 0x00 (absent) or 0x0C (12 bytes)")
    body, pos = decode_data(buf, pos, end)
    if pos != end:
        raise FramingError(LAYER, pos, f"{end - pos} bytes left after the notification body; expected the "
                                       f"APDU to end here")
    return DataNotification(invoke, dt, tagged, body, start, end, dt_start)


def validate_apdu(plaintext: bytes) -> None:
    """Raise a DecodeError unless ``plaintext`` is exactly one APDU this library can read
    (used to judge a decryption that had no tag to check)."""
    if not plaintext:
        raise IncompleteError(LAYER, 0, "empty APDU")
    tag = plaintext[0]
    if tag == TAG_DATA_NOTIFICATION:
        parse_data_notification(plaintext)
        return
    if tag == TAG_GBT:
        from .gbt import parse_block
        block = parse_block(plaintext)
        if block.end != len(plaintext):
            raise FramingError(LAYER, block.end, "bytes left after the general-block-transfer block")
        return
    raise UnsupportedError(LAYER, 0, f"APDU tag {tag:#04x} ({APDU_NAMES.get(tag, 'unknown')}) is not a push",
                           {"apdu_tag": tag, "apdu": APDU_NAMES.get(tag)})
