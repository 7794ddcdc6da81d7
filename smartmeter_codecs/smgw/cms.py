"""The signed content inside a CMS/PKCS#7 SignedData container (RFC 5652), BER or DER.

PPC's ``*.sm_data.xml.cms`` exports and Theben's ``taf-profile`` (usage-point-info, A-2.4)
wrap a DKE XML document in SignedData. Other parsers cut ``<?xml`` ... out of the bytes; this
walks the structure instead (RFC 5652 section 3 ContentInfo, 5.1 SignedData, 5.2
EncapsulatedContentInfo), so the content is exactly what was signed. The signature itself is
not verified here: that needs the gateway's certificates from ``smgw-info``.
"""
from __future__ import annotations

from ..errors import FramingError, IncompleteError, UnsupportedError

__all__ = ["signed_content", "looks_like_cms", "SIGNED_DATA_OID"]

LAYER = "cms"
#: 1.2.840.113549.1.7.2 id-signedData, DER-encoded OID content
SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")
_MAX_DEPTH = 32


def looks_like_cms(data: bytes) -> bool:
    return data[:1] == b"\x30" and SIGNED_DATA_OID in data[:24]


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int | None]:
    """(tag byte, content start, content length or None for indefinite) of the TLV at pos."""
    if pos + 2 > end:
        raise IncompleteError(LAYER, pos, "a BER header needs 2 bytes")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise UnsupportedError(LAYER, pos, "high-tag-number BER tags do not occur in CMS")
    first = data[pos + 1]
    if first < 0x80:
        return tag, pos + 2, first
    if first == 0x80:
        if not tag & 0x20:
            raise FramingError(LAYER, pos, "indefinite length on a primitive BER value")
        return tag, pos + 2, None
    n = first & 0x7F
    if n > 4 or pos + 2 + n > end:
        raise FramingError(LAYER, pos + 1, f"BER length of {n} bytes does not fit")
    return tag, pos + 2 + n, int.from_bytes(data[pos + 2:pos + 2 + n], "big")


def _end(data: bytes, pos: int, end: int, depth: int = 0) -> tuple[int, int, int]:
    """(tag, content start, end of the content) - walks indefinite-length values to their
    00 00; the TLV itself ends 2 bytes later for those (see :func:`_items`)."""
    if depth > _MAX_DEPTH:
        raise FramingError(LAYER, pos, "BER nested too deeply")
    tag, start, length = _header(data, pos, end)
    if length is not None:
        if start + length > end:
            raise IncompleteError(LAYER, pos, f"BER value of {length} bytes runs past the end")
        return tag, start, start + length
    p = start
    while True:
        if p + 2 > end:
            raise IncompleteError(LAYER, p, "indefinite-length BER value without end-of-contents")
        if data[p] == 0 and data[p + 1] == 0:
            return tag, start, p
        p = _next(data, p, end, depth + 1)


def _next(data: bytes, pos: int, end: int, depth: int = 0) -> int:
    """Offset after the TLV at ``pos`` (past the 00 00 of an indefinite-length value)."""
    _, _, e = _end(data, pos, end, depth)
    return e + 2 if data[pos + 1] == 0x80 else e


def _items(data: bytes, start: int, stop: int) -> list[tuple[int, int, int, int]]:
    """(tag, tlv start, content start, end) of every TLV in [start, stop), stopping at 00 00."""
    out = []
    p = start
    while p < stop:
        if data[p] == 0 and p + 1 < stop and data[p + 1] == 0:
            break
        tag, cstart, e = _end(data, p, stop)
        out.append((tag, p, cstart, e))
        p = e + 2 if data[p + 1] == 0x80 else e
    return out


def _octets(data: bytes, tag: int, cstart: int, e: int, depth: int = 0) -> tuple[bytes, int]:
    """An OCTET STRING's bytes (constructed BER strings are joined) and its first content offset."""
    if tag == 0x04:
        return data[cstart:e], cstart
    if tag == 0x24 and depth < _MAX_DEPTH:
        parts = []
        first = cstart
        for i, (t, _, cs, ce) in enumerate(_items(data, cstart, e)):
            chunk, off = _octets(data, t, cs, ce, depth + 1)
            if i == 0:
                first = off
            parts.append(chunk)
        return b"".join(parts), first
    raise FramingError(LAYER, cstart, f"expected an OCTET STRING (04/24), found tag {tag:02x}")


def signed_content(data: bytes) -> tuple[bytes, int]:
    """The encapsulated content of a SignedData ContentInfo and its offset in ``data``.

    Raises FramingError/IncompleteError (with offsets) for a structure that is not SignedData,
    UnsupportedError when the content is detached (not inside the container).
    """
    data = bytes(data)
    tag, cs, e = _end(data, 0, len(data))
    if tag != 0x30:
        raise FramingError(LAYER, 0, "a CMS ContentInfo starts with a SEQUENCE (30)")
    ci = _items(data, cs, e)
    if len(ci) < 2 or ci[0][0] != 0x06 or data[ci[0][2]:ci[0][3]] != SIGNED_DATA_OID:
        raise FramingError(LAYER, cs, "ContentInfo is not id-signedData (1.2.840.113549.1.7.2)")
    t, _, ccs, ce = ci[1]
    if t != 0xA0:
        raise FramingError(LAYER, ci[1][1], "expected [0] EXPLICIT content (a0)")
    inner = _items(data, ccs, ce)
    if not inner or inner[0][0] != 0x30:
        raise FramingError(LAYER, ccs, "SignedData is a SEQUENCE (30)")
    _st, _, scs, se = inner[0]
    sd = _items(data, scs, se)
    # version INTEGER, digestAlgorithms SET, encapContentInfo SEQUENCE, ...
    if len(sd) < 3 or sd[0][0] != 0x02 or sd[1][0] != 0x31 or sd[2][0] != 0x30:
        raise FramingError(LAYER, scs, "SignedData must start with version, digestAlgorithms, encapContentInfo")
    _et, _, ecs, ee = sd[2]
    eci = _items(data, ecs, ee)
    if len(eci) < 2:
        raise UnsupportedError(LAYER, ecs, "the signed content is detached (not in the container)")
    t, _, ocs, oe = eci[1]
    if t != 0xA0:
        raise FramingError(LAYER, eci[1][1], "expected eContent [0] EXPLICIT (a0)")
    octs = _items(data, ocs, oe)
    if not octs:
        raise FramingError(LAYER, ocs, "eContent is empty")
    ot, _, os_, oe2 = octs[0]
    return _octets(data, ot, os_, oe2)
