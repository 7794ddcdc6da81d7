"""A-XDR encoding of COSEM ``Data`` (IEC 62056-6-2 / Blue Book 4.1.5, A-XDR per IEC 61334-6).

Decoded values are :class:`Data` tuples ``(tag, value, start, end)`` - cheap to build (the
hot loop of every push) and they keep the wire type and byte range for ``inspect()``.

=====  ====================  =========================================
 tag    type                  Python value
=====  ====================  =========================================
 0      null-data             None
 1      array                 tuple[Data, ...]
 2      structure             tuple[Data, ...]
 3      boolean               bool
 4      bit-string            BitString
 5      double-long           int (int32)
 6      double-long-unsigned  int (uint32)
 9      octet-string          bytes
 10     visible-string        str (ASCII/latin-1)
 12     utf8-string           str
 13     bcd                   int (one byte, two BCD digits)
 15     integer               int (int8)
 16     long                  int (int16)
 17     unsigned              int (uint8)
 18     long-unsigned         int (uint16)
 19     compact-array         tuple[Data, ...] (elements rebuilt with their tags)
 20     long64                int
 21     long64-unsigned       int
 22     enum                  int
 23     float32               float
 24     float64               float
 25     date-time             CosemDateTime
 26     date                  CosemDate
 27     time                  CosemTime
 255    dont-care             None
=====  ====================  =========================================
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import FramingError, IncompleteError, UnsupportedError
from .cosem_time import CosemDate, CosemDateTime, CosemTime, build_datetime, parse_date, parse_datetime, parse_time

__all__ = ["Data", "BitString", "decode_data", "decode_length", "encode_length", "encode_data", "TYPE_NAMES",
           "MAX_DEPTH"]

LAYER = "axdr"
MAX_DEPTH = 24  # nesting deeper than any COSEM push; bounds recursion on hostile input


# tuple.__new__(Data, (...)) skips the NamedTuple's Python-level __new__: half the cost in the
# loop that builds one Data per value of every push.
_new = tuple.__new__


class Data(NamedTuple):
    tag: int
    value: Any
    start: int
    end: int

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.tag, f"tag {self.tag}")


@dataclass(frozen=True, slots=True)
class BitString:
    """A bit-string: ``bits`` significant bits, most significant bit of ``data[0]`` first."""

    data: bytes
    bits: int

    def __str__(self) -> str:
        return "".join("1" if self[i] else "0" for i in range(self.bits))

    def __getitem__(self, i: int) -> bool:
        return bool(self.data[i >> 3] & (0x80 >> (i & 7)))


TYPE_NAMES = {
    0: "null-data", 1: "array", 2: "structure", 3: "boolean", 4: "bit-string", 5: "double-long",
    6: "double-long-unsigned", 9: "octet-string", 10: "visible-string", 12: "utf8-string", 13: "bcd",
    15: "integer", 16: "long", 17: "unsigned", 18: "long-unsigned", 19: "compact-array", 20: "long64",
    21: "long64-unsigned", 22: "enum", 23: "float32", 24: "float64", 25: "date-time", 26: "date", 27: "time",
    255: "dont-care",
}

# fixed-size simple types: tag -> (size, struct format or None)
_FIXED: dict[int, tuple[int, str | None]] = {
    3: (1, None), 5: (4, ">i"), 6: (4, ">I"), 13: (1, None), 15: (1, ">b"), 16: (2, ">h"), 17: (1, None),
    18: (2, ">H"), 20: (8, ">q"), 21: (8, ">Q"), 22: (1, None), 23: (4, ">f"), 24: (8, ">d"),
    25: (12, None), 26: (5, None), 27: (4, None),
}
_STRUCTS = {tag: struct.Struct(fmt) for tag, (_, fmt) in _FIXED.items() if fmt}
# tag -> (size, unpack_from) for the integer/float types decoded inline in containers
_FAST = {tag: (_FIXED[tag][0], st.unpack_from) for tag, st in _STRUCTS.items()}
_FAST.update({tag: (1, struct.Struct(">B").unpack_from) for tag in (17, 22)})


def decode_length(buf: bytes, pos: int, end: int | None = None) -> tuple[int, int]:
    """A-XDR/BER length: one byte < 0x80, or 0x80|n followed by n big-endian bytes."""
    end = len(buf) if end is None else end
    if pos >= end:
        raise IncompleteError(LAYER, pos, "expected a length byte, input ended")
    first = buf[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    if n == 0 or n > 4:
        raise FramingError(LAYER, pos, f"length form {first:#04x}: expected 0x00-0x7F or 0x81-0x84")
    if pos + 1 + n > end:
        raise IncompleteError(LAYER, pos, f"{n}-byte length runs past the end of the input")
    return int.from_bytes(buf[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _simple(tag: int, buf: bytes, pos: int, end: int) -> tuple[Any, int]:
    """Value of a simple (non-container) type without its tag; returns (value, new pos)."""
    fixed = _FIXED.get(tag)
    if fixed is not None:
        size = fixed[0]
        if pos + size > end:
            raise IncompleteError(LAYER, pos, f"{TYPE_NAMES[tag]} needs {size} bytes, {end - pos} left")
        st = _STRUCTS.get(tag)
        if st is not None:
            return st.unpack_from(buf, pos)[0], pos + size
        if tag in (17, 22, 13):
            return buf[pos], pos + 1
        if tag == 3:
            return buf[pos] != 0, pos + 1
        raw = bytes(buf[pos:pos + size])
        if tag == 25:
            return parse_datetime(raw), pos + size
        if tag == 26:
            return parse_date(raw), pos + size
        return parse_time(raw), pos + size
    if tag in (9, 10, 12):
        n, p = decode_length(buf, pos, end)
        if p + n > end:
            raise IncompleteError(LAYER, pos, f"{TYPE_NAMES[tag]} of {n} bytes runs past the end "
                                              f"({end - p} left)")
        raw = bytes(buf[p:p + n])
        if tag == 9:
            return raw, p + n
        return raw.decode("utf-8" if tag == 12 else "latin-1", errors="replace"), p + n
    if tag == 4:
        bits, p = decode_length(buf, pos, end)
        nbytes = (bits + 7) // 8
        if p + nbytes > end:
            raise IncompleteError(LAYER, pos, f"bit-string of {bits} bits runs past the end")
        return BitString(bytes(buf[p:p + nbytes]), bits), p + nbytes
    if tag in (0, 255):
        return None, pos
    raise FramingError(LAYER, pos - 1, f"unknown A-XDR data tag {tag} ({tag:#04x}); expected one of "
                                       f"{sorted(TYPE_NAMES)}")


def decode_data(buf: bytes, pos: int = 0, end: int | None = None, _depth: int = 0) -> tuple[Data, int]:
    """Decode one tagged Data at ``buf[pos]``; returns (Data, position after it)."""
    end = len(buf) if end is None else end
    if pos >= end:
        raise IncompleteError(LAYER, pos, "expected a data tag, input ended")
    tag = buf[pos]
    if tag == 1 or tag == 2:
        if _depth >= MAX_DEPTH:
            raise UnsupportedError(LAYER, pos, f"data nested deeper than {MAX_DEPTH} levels")
        count, p = decode_length(buf, pos + 1, end)
        if count > end - p:  # every element needs at least one byte (its tag)
            raise IncompleteError(LAYER, pos, f"{TYPE_NAMES[tag]} of {count} elements cannot fit in the "
                                              f"{end - p} bytes left")
        items: list[Any] = []
        append = items.append
        fixed = _FAST
        for _ in range(count):
            t = buf[p] if p < end else -1
            fast = fixed.get(t)
            if fast is not None and p + 1 + fast[0] <= end:
                # hot path: fixed-size integers (most values of a push), no recursion
                size, unpack = fast
                append(_new(Data, (t, unpack(buf, p + 1)[0], p, p + 1 + size)))
                p += 1 + size
            elif t == 9 and p + 1 < end and buf[p + 1] < 0x80 and p + 2 + buf[p + 1] <= end:
                n = buf[p + 1]
                append(_new(Data, (9, bytes(buf[p + 2:p + 2 + n]), p, p + 2 + n)))
                p += 2 + n
            elif t == 2 and p + 6 <= end and buf[p + 1] == 2 and buf[p + 2] == 15 and buf[p + 4] == 22 \
                    and _depth + 1 < MAX_DEPTH:
                # a scaler-unit structure {integer scaler, enum unit} (Blue Book 4.3.2): one per
                # register in most pushes, decoded without the recursive call (issue 16)
                scaler = buf[p + 3]
                append(_new(Data, (2, (_new(Data, (15, scaler - 256 if scaler > 127 else scaler, p + 2, p + 4)),
                                       _new(Data, (22, buf[p + 5], p + 4, p + 6))), p, p + 6)))
                p += 6
            else:
                item, p = decode_data(buf, p, end, _depth + 1)
                append(item)
        return _new(Data, (tag, tuple(items), pos, p)), p
    if tag == 19:
        return _compact_array(buf, pos, end, _depth)
    value, p = _simple(tag, buf, pos + 1, end)
    return _new(Data, (tag, value, pos, p)), p


# --- compact-array (Blue Book 4.1.5: contents-description + array-contents) -----------------

class _TypeDesc(NamedTuple):
    tag: int
    count: int  # type: ignore[assignment]  # array: element count (shadows tuple.count, unused)
    children: tuple["_TypeDesc", ...]
    size: int                       # fewest content bytes one value of this type occupies
    nodes: int                      # Data values one value of this type expands to


# Work bound for compact arrays: the contents-description is a *type*, the contents carry no
# tags, so a null-data (0 bytes) or a deep description could make a few content bytes expand
# into millions of values (findings.json: array[65535] of array[65535] of null-data in 16
# bytes). Every type is therefore given its minimum byte size and its number of values; a
# type of zero size is rejected, and a type may not expand to more values per content byte
# than a maximally nested structure around a 1-byte value does. Work and memory then grow
# linearly with the bytes actually present.
_MAX_VALUES_PER_BYTE = MAX_DEPTH + 1
# Minimum content size of the simple types (no tag inside compact-array contents): fixed
# types their size; strings and bit-strings at least their length byte; null/dont-care none.
_MIN_SIZE = {tag: size for tag, (size, _) in _FIXED.items()}
_MIN_SIZE.update({9: 1, 10: 1, 12: 1, 4: 1, 0: 0, 255: 0})


def _type_description(buf: bytes, pos: int, end: int, depth: int) -> tuple[_TypeDesc, int]:
    if pos >= end:
        raise IncompleteError(LAYER, pos, "compact-array type description ended early")
    if depth >= MAX_DEPTH:
        raise UnsupportedError(LAYER, pos, f"compact-array description nested deeper than {MAX_DEPTH}")
    tag = buf[pos]
    if tag == 1:
        if pos + 3 > end:
            raise IncompleteError(LAYER, pos, "array type description needs a 2-byte element count")
        count = (buf[pos + 1] << 8) | buf[pos + 2]
        child, p = _type_description(buf, pos + 3, end, depth + 1)
        if child.size == 0:
            # rejected here, before any content is read: an array of zero-size elements would
            # materialise `count` values from no bytes at all
            raise FramingError(LAYER, pos + 3, f"compact-array element type has zero size (array of "
                                               f"{count} {TYPE_NAMES.get(child.tag, child.tag)} values "
                                               f"that occupy no content bytes)")
        return _TypeDesc(1, count, (child,), count * child.size, 1 + count * child.nodes), p
    if tag == 2:
        count, p = decode_length(buf, pos + 1, end)
        if count > end - p:
            raise IncompleteError(LAYER, pos, "structure type description longer than the input")
        kids = []
        for _ in range(count):
            k, p = _type_description(buf, p, end, depth + 1)
            kids.append(k)
        return _TypeDesc(2, count, tuple(kids), sum(k.size for k in kids), 1 + sum(k.nodes for k in kids)), p
    if tag not in TYPE_NAMES or tag == 19:
        raise FramingError(LAYER, pos, f"compact-array element type {tag} is not a data type")
    return _TypeDesc(tag, 0, (), _MIN_SIZE[tag], 1), pos + 1


def _untagged(desc: _TypeDesc, buf: bytes, pos: int, end: int) -> tuple[Data, int]:
    if desc.size > end - pos:
        # checked before building anything: count x element size against the bytes present
        raise IncompleteError(LAYER, pos, f"compact-array {TYPE_NAMES[desc.tag]} needs at least "
                                          f"{desc.size} content bytes, {end - pos} left")
    if desc.tag == 2:
        items = []
        p = pos
        for k in desc.children:
            item, p = _untagged(k, buf, p, end)
            items.append(item)
        return Data(2, tuple(items), pos, p), p
    if desc.tag == 1:
        items = []
        p = pos
        child = desc.children[0]
        for _ in range(desc.count):
            item, p = _untagged(child, buf, p, end)
            items.append(item)
        return Data(1, tuple(items), pos, p), p
    value, p = _simple(desc.tag, buf, pos, end)
    return Data(desc.tag, value, pos, p), p


def _compact_array(buf: bytes, pos: int, end: int, depth: int) -> tuple[Data, int]:
    desc, p = _type_description(buf, pos + 1, end, depth)
    if desc.size == 0:
        raise FramingError(LAYER, pos + 1, "compact-array element type has zero size")
    if desc.nodes > _MAX_VALUES_PER_BYTE * desc.size:
        raise UnsupportedError(LAYER, pos + 1,
                               f"compact-array element type expands to {desc.nodes} values from "
                               f"{desc.size} content bytes (at most {_MAX_VALUES_PER_BYTE} values per byte "
                               f"are accepted: a bound on work for hostile input)")
    n, p = decode_length(buf, p, end)
    stop = p + n
    if stop > end:
        raise IncompleteError(LAYER, p, f"compact-array contents of {n} bytes run past the end")
    items = []
    while p < stop:
        before = p
        item, p = _untagged(desc, buf, p, stop)
        if p == before:
            raise FramingError(LAYER, p, "compact-array element type has zero size")
        items.append(item)
    return Data(19, tuple(items), pos, stop), stop


# --- encoding ------------------------------------------------------------------------------

def encode_data(tag: int, value: Any = None) -> bytes:
    """Encode one tagged Data. Containers take a sequence of already-encoded element bytes or
    of ``(tag, value)`` pairs."""
    if tag in (1, 2):
        parts = [p if isinstance(p, (bytes, bytearray)) else encode_data(*p) for p in value]
        return bytes((tag,)) + encode_length(len(parts)) + b"".join(parts)
    if tag in (0, 255):
        return bytes((tag,))
    if tag in (9, 10, 12):
        raw = value if isinstance(value, (bytes, bytearray)) else str(value).encode(
            "utf-8" if tag == 12 else "latin-1")
        return bytes((tag,)) + encode_length(len(raw)) + bytes(raw)
    if tag == 4:
        bs = value if isinstance(value, BitString) else BitString(bytes(value), len(value) * 8)
        return bytes((4,)) + encode_length(bs.bits) + bs.data
    if tag == 3:
        return bytes((3, 1 if value else 0))
    if tag in (13, 17, 22):
        return bytes((tag, int(value) & 0xFF))
    if tag == 25:
        return bytes((25,)) + build_datetime(value)
    if tag in _STRUCTS:
        return bytes((tag,)) + _STRUCTS[tag].pack(value)
    raise ValueError(f"cannot encode A-XDR tag {tag}")


def is_obis(d: Data) -> bool:
    """An octet-string of 6 bytes: the shape of a logical name (OBIS code)."""
    return d.tag == 9 and len(d.value) == 6


__all__ += ["is_obis", "CosemDate", "CosemDateTime", "CosemTime"]
