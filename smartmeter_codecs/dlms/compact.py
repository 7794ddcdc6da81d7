"""The "compact" push body of Sagemcom XT211 (CZ) / EG.D: not plain A-XDR.

Observed grammar (corpus ``sagemcom-xt211-raw-apdu-compact``; esphome-libs/dlms_parser's
pattern for it)::

    body    = 02 02  <enum>  01 <count>  element*count
    element = 02 02  class-id(2, untagged) logical-name(6, untagged) attribute(1, untagged)  <Data>

The untagged descriptor is turned into a tagged OBIS octet-string so the rest of the library
sees an ordinary ``{OBIS, value}`` list; class-id and attribute are checked, not kept (every
element seen is attribute 2, the value).
"""
from __future__ import annotations

from ..errors import FramingError, IncompleteError
from .apdu import DataNotification, parse_data_notification
from .axdr import Data, decode_data, decode_length

__all__ = ["decode_compact_body"]

LAYER = "axdr-compact"


def decode_compact_body(apdu: bytes) -> DataNotification:
    """Parse a data-notification whose body uses the compact descriptor grammar."""
    # Reuse the standard header parser on a copy whose body is a null-data, then parse the body.
    if len(apdu) < 7 or apdu[0] != 0x0F:
        raise FramingError(LAYER, 0, "expected a data-notification")
    pos = 5
    if apdu[pos] == 0x09:
        pos += 1
    if apdu[pos] == 0x0C:
        pos += 13
    elif apdu[pos] == 0x00:
        pos += 1
    else:
        raise FramingError(LAYER, pos, "unexpected date-time field")
    header = parse_data_notification(apdu[:pos] + b"\x00")
    body, end = _body(apdu, pos)
    if end != len(apdu):
        raise FramingError(LAYER, end, f"{len(apdu) - end} bytes after the compact body")
    return DataNotification(header.invoke_id_and_priority, header.datetime, header.datetime_tagged, body,
                            0, end, header.datetime_start)


def _body(buf: bytes, pos: int) -> tuple[Data, int]:
    start = pos
    if buf[pos:pos + 2] != b"\x02\x02":
        raise FramingError(LAYER, pos, "compact body starts with structure(2)")
    head, p = decode_data(buf, pos + 2)
    if p >= len(buf) or buf[p] != 0x01:
        raise FramingError(LAYER, p, "expected the element array (tag 01)")
    arr_start = p
    count, p = decode_length(buf, p + 1)
    elements = []
    for _ in range(count):
        el_start = p
        if buf[p:p + 2] != b"\x02\x02":
            raise FramingError(LAYER, p, "compact element starts with structure(2)")
        if p + 11 > len(buf):
            raise IncompleteError(LAYER, p, "compact element descriptor needs 9 bytes")
        obis = bytes(buf[p + 4:p + 10])
        value, p2 = decode_data(buf, p + 11)
        name = Data(9, obis, p + 4, p + 10)
        elements.append(Data(2, (name, value), el_start, p2))
        p = p2
    return Data(2, (head, Data(1, tuple(elements), arr_start, p)), start, p), p
