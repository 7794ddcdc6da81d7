"""SML type-length (TL) encoding: bytes <-> a tree of typed nodes (SML 1.04 §6.3).

Every SML element starts with one or more TL bytes::

    bit 7      another TL byte follows (the length grows by 4 bits per TL byte)
    bits 6..4  type: 000 octet string, 100 boolean, 101 signed integer, 110 unsigned integer,
               111 list; in the following TL bytes these bits are 000
    bits 3..0  length nibble

For scalars the length counts **every byte of the element, TL bytes included** (``62 05`` is a
2-byte Unsigned8 = 5; ``81 02`` + 16 bytes is an 18-byte octet string); for lists it counts the
**elements** (``F1 04`` = list of 0x14 = 20 elements). ``01`` is an optional element that is not
set, ``00`` the EndOfSmlMessage marker. Integers are big-endian, any width 1..8 bytes (meters
shrink the width with the magnitude: Iskra MT691 sends 16.7.0 as Integer8, EFR SGM-C its export
register as an Unsigned24); signed ones are two's complement of the width actually sent
(libsml ``test/src/sml_number_test.c``: ``53 EC 78`` = -5000, ``59 FF..FF`` = -1).

:func:`parse_node` reads one element into a :class:`Node` (offsets into the buffer, lists
recursive); the ``encode_*`` functions write the same grammar back.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FramingError, IncompleteError

__all__ = [
    "ABSENT",
    "BOOL",
    "END",
    "INT",
    "LAYER",
    "LIST",
    "MAX_DEPTH",
    "OCTETS",
    "TYPE_NAMES",
    "UINT",
    "Node",
    "encode_absent",
    "encode_bool",
    "encode_int",
    "encode_list",
    "encode_octets",
    "encode_tl",
    "encode_uint",
    "int_width",
    "parse_node",
    "read_tl",
    "uint_width",
]

LAYER = "sml-tl"

# type field (bits 6..4) of the first TL byte
OCTETS, BOOL, INT, UINT, LIST = 0, 4, 5, 6, 7
# kinds that have no type code of their own: "01" (optional, not set) and "00" (end of message)
ABSENT, END = -1, -2

TYPE_NAMES = {OCTETS: "octet string", BOOL: "boolean", INT: "integer", UINT: "unsigned",
              LIST: "list", ABSENT: "not set", END: "end of message"}

#: Nesting limit for lists. A real file nests about 8 deep (message, body, valList, entry,
#: SML_Time, localTimestamp); the limit keeps hostile input from exhausting the Python stack.
MAX_DEPTH = 24
# A length needs at most 4 TL bytes here (16 bits): an SML file is far smaller than 64 KiB
# (meters push 200..700 bytes; libsml's transport reader buffer is 8096 bytes).
_MAX_TL_BYTES = 4

Value = bytes | bool | int | tuple["Node", ...] | None


@dataclass(frozen=True, slots=True)
class Node:
    """One decoded SML element.

    Attributes:
        kind: OCTETS, BOOL, INT, UINT, LIST, ABSENT or END.
        value: bytes (octet string), bool, int, a tuple of Nodes (list), or None.
        start: offset of the first TL byte in the buffer parsed.
        end: offset just after the element (exclusive).
        width: bytes of the value (integers: their width on the wire; lists: element count).
    """

    kind: int
    value: Value
    start: int
    end: int
    width: int = 0

    @property
    def type_name(self) -> str:
        """``"int16"``, ``"uint32"``, ``"octets"``, ``"bool"``, ``"list"``, ``"absent"``..."""
        if self.kind == INT:
            return f"int{8 * self.width}"
        if self.kind == UINT:
            return f"uint{8 * self.width}"
        return {OCTETS: "octets", BOOL: "bool", LIST: "list", ABSENT: "absent", END: "end"}[self.kind]


def read_tl(data: bytes, pos: int, end: int | None = None) -> tuple[int, int, int]:
    """``(type, length, tl_bytes)`` of the TL field at ``pos``.

    ``length`` is as sent (scalars: including the TL bytes; lists: the element count). Raises
    IncompleteError at the end of the buffer, FramingError for a malformed TL.
    """
    stop = len(data) if end is None else end
    if pos >= stop:
        raise IncompleteError(LAYER, pos, "expected a TL byte, found the end of the data")
    first = data[pos]
    kind = (first >> 4) & 0x07
    length = first & 0x0F
    n = 1
    more = first & 0x80
    while more:
        if n >= _MAX_TL_BYTES:
            raise FramingError(LAYER, pos, f"TL field longer than {_MAX_TL_BYTES} bytes (length would exceed 16 bits)")
        if pos + n >= stop:
            raise IncompleteError(LAYER, pos + n, "TL field announces another TL byte, found the end of the data")
        b = data[pos + n]
        if b & 0x70:
            # SML 1.04 §6.3.1: the type bits of every following TL byte are 000
            raise FramingError(LAYER, pos + n, f"continuation TL byte 0x{b:02X} has type bits set (expected 0x0_ or 0x8_)")
        length = (length << 4) | (b & 0x0F)
        more = b & 0x80
        n += 1
    if kind not in (OCTETS, BOOL, INT, UINT, LIST):
        raise FramingError(LAYER, pos, f"TL byte 0x{first:02X} has the unknown type {kind:03b} "
                           "(expected octet string 000, boolean 100, integer 101, unsigned 110, list 111)")
    return kind, length, n


def parse_node(data: bytes, pos: int, end: int | None = None, depth: int = 0) -> Node:
    """The element starting at ``pos`` (lists with all their elements).

    Raises IncompleteError when the element runs past ``end`` (default: the buffer end),
    FramingError for an impossible length or type.
    """
    stop = len(data) if end is None else end
    if pos >= stop:
        raise IncompleteError(LAYER, pos, "expected an SML element, found the end of the data")
    first = data[pos]
    if first == 0x00:
        return Node(END, None, pos, pos + 1)
    if first == 0x01:
        return Node(ABSENT, None, pos, pos + 1)
    kind, length, n = read_tl(data, pos, stop)
    if kind == LIST:
        if depth >= MAX_DEPTH:
            raise FramingError(LAYER, pos, f"lists nested deeper than {MAX_DEPTH} levels")
        items = []
        cur = pos + n
        for _ in range(length):
            # an element may be 00: EndOfSmlMessage is the 6th element of SML_Message
            item = parse_node(data, cur, stop, depth + 1)
            items.append(item)
            cur = item.end
        return Node(LIST, tuple(items), pos, cur, length)
    size = length - n
    if size < 0:
        raise FramingError(LAYER, pos, f"TL length {length} is smaller than its own {n} TL byte(s)")
    vend = pos + n + size
    if vend > stop:
        raise IncompleteError(LAYER, pos, f"element announces {length} bytes, only {stop - pos} left")
    raw = bytes(data[pos + n:vend])
    if kind == OCTETS:
        return Node(OCTETS, raw, pos, vend, size)
    if size == 0:
        raise FramingError(LAYER, pos, f"{TYPE_NAMES[kind]} with no value bytes (TL 0x{first:02X})")
    if kind == BOOL:
        if size != 1:
            raise FramingError(LAYER, pos, f"boolean of {size} bytes (expected 1: TL 0x42)")
        return Node(BOOL, raw[0] != 0, pos, vend, 1)
    if size > 8:
        raise FramingError(LAYER, pos, f"{TYPE_NAMES[kind]} of {size} bytes (SML integers are 1..8 bytes)")
    return Node(kind, int.from_bytes(raw, "big", signed=(kind == INT)), pos, vend, size)


# --- encoding (the mirror image of the readers above) ---------------------------------------


def encode_tl(kind: int, length: int) -> bytes:
    """The TL bytes for ``kind``; ``length`` = element count (lists) or value bytes (scalars).

    For scalars the TL length includes the TL bytes themselves, so a value of 14 bytes still
    fits one TL byte (``0F``) and one of 15 needs two (length 17 = ``81 01``).
    """
    if length < 0:
        raise ValueError("length must be >= 0")
    if kind == LIST:
        total = length
        nibbles = _nibbles(total)
    else:
        # smallest number of TL bytes n with (value + n) expressible in 4n bits
        n = 1
        while length + n >= 1 << (4 * n):
            n += 1
        total = length + n
        nibbles = _nibbles(total, n)
    if len(nibbles) > _MAX_TL_BYTES:
        raise ValueError(f"length {length} needs more than {_MAX_TL_BYTES} TL bytes")
    out = bytearray()
    for i, nib in enumerate(nibbles):
        b = nib
        if i == 0:
            b |= kind << 4
        if i < len(nibbles) - 1:
            b |= 0x80
        out.append(b)
    return bytes(out)


def _nibbles(value: int, count: int | None = None) -> list[int]:
    out: list[int] = []
    while value or not out:
        out.append(value & 0x0F)
        value >>= 4
    if count is not None:
        out += [0] * (count - len(out))
    return out[::-1]


def encode_octets(value: bytes | None) -> bytes:
    """An octet string (``None`` = the optional-not-set marker ``01``)."""
    if value is None:
        return b"\x01"
    value = bytes(value)
    return encode_tl(OCTETS, len(value)) + value


def encode_absent() -> bytes:
    """``01``: an optional element that is not set."""
    return b"\x01"


def encode_bool(value: bool) -> bytes:
    return b"\x42" + (b"\x01" if value else b"\x00")


def int_width(value: int) -> int:
    """Smallest width (1..8 bytes) that holds ``value`` as a two's-complement integer."""
    for w in (1, 2, 3, 4, 5, 6, 7, 8):
        if -(1 << (8 * w - 1)) <= value < (1 << (8 * w - 1)):
            return w
    raise ValueError(f"{value} does not fit in a signed 64-bit SML integer")


def uint_width(value: int) -> int:
    """Smallest width (1..8 bytes) that holds the non-negative ``value``."""
    if value < 0:
        raise ValueError(f"unsigned value {value} is negative")
    for w in (1, 2, 3, 4, 5, 6, 7, 8):
        if value < 1 << (8 * w):
            return w
    raise ValueError(f"{value} does not fit in an unsigned 64-bit SML integer")


def encode_int(value: int, width: int | None = None) -> bytes:
    """A signed integer of ``width`` bytes (default: the smallest that holds it)."""
    w = int_width(value) if width is None else width
    if not 1 <= w <= 8:
        raise ValueError(f"integer width {w} outside 1..8")
    return encode_tl(INT, w) + value.to_bytes(w, "big", signed=True)


def encode_uint(value: int, width: int | None = None) -> bytes:
    """An unsigned integer of ``width`` bytes (default: the smallest that holds it)."""
    w = uint_width(value) if width is None else width
    if not 1 <= w <= 8:
        raise ValueError(f"integer width {w} outside 1..8")
    return encode_tl(UINT, w) + value.to_bytes(w, "big")


def encode_list(items: list[bytes] | tuple[bytes, ...]) -> bytes:
    """A list of already encoded elements."""
    return encode_tl(LIST, len(items)) + b"".join(items)
