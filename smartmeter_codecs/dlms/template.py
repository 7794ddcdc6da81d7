"""Push templates: a data-notification's layout learned from one push, reused for the next.

A meter pushes the same list every few seconds: the same A-XDR tags, lengths, OBIS codes,
scaler-units and list ids, at the same byte offsets; only the numbers, the clock and the
invoke id change. After one push has been decoded the full way, a :class:`Template` records
which bytes of the APDU are structure (they must be equal in the next push) and where each
value lies and how it is encoded. A later APDU of the same length whose structure bytes are
all equal is then read with one :class:`struct.Struct` call instead of the A-XDR walk, and
interpreted with the interpretation the structure settles (:func:`.interpret.body_shape`:
the profile and the cached plan); everything that depends on the values still runs per
push exactly as in the full path (profile conventions, layout checks and plausibility, text
versus binary strings, date-times). The result is the Reading the full path gives
(tests/test_dlms_template.py compares them on every fixture push and on generated values).

Why this is sound: A-XDR is self-delimiting by its tags and lengths only, so two APDUs that
agree in every tag and length byte decode to trees of the same shape with every value at the
same offset. The template also fixes every byte that the interpretation reads as structure:
6-byte octet strings (candidate logical names) and scaler-unit structures. Strings are
values, but the profile is detected from the printable ones (list ids, meter names: see
``profiles.detect_profile``): an octet string that was binary in the learned push must stay
binary (a push in which it starts with a printable character is left to the full path), and
a printable string value not seen before must select the template's profile (checked once
per value and remembered: the meters of one model share one template and differ only in
their meter numbers).
Anything the template does not cover (date-time, bit-string or compact-array values, push
object lists, nested value-only lists) is simply not templated. Any DecodeError on the fast
path hands the APDU back to the full path, which reports it with its offsets.

The cache is a bounded memo owned by the codec (like ``functools.lru_cache``): a caller can
neither see nor change it, and results are the same with or without it.
"""
from __future__ import annotations

import functools
import operator
import struct
import threading
from typing import Any, Callable, NamedTuple

from ..errors import DecodeError
from ..model import Reading
from ..zones import Placer
from .apdu import parse_data_notification
from .axdr import Data, decode_length
from .builder import Builder, compile_builder, compile_layout_builder
from .cosem_time import datetime_of
from .interpret import (
    BodyShape,
    _fitting_layouts,
    _leaves,
    body_shape,
    detected_profile,
    interpret_shaped,
    reading_from,
)
from .profiles import PROFILES, Profile

__all__ = ["Template", "TemplateCache", "learn", "apply_unpacked"]


@functools.lru_cache(maxsize=1024)
def _unpacker(fmt: str) -> Callable[[bytes], tuple[Any, ...]]:
    # one Struct per layout, so that the templates of many meters of one model share it (and
    # compare equal in TemplateCache's grouping)
    return struct.Struct(fmt).unpack


@functools.lru_cache(maxsize=1024)
def _picker(indices: tuple[int, ...]) -> Callable[[tuple[Any, ...]], Any]:
    return operator.itemgetter(*indices)

_new = tuple.__new__

# A-XDR fixed-size value encodings as struct codes (big-endian; IEC 62056-6-2 4.1.5): the
# values axdr.decode_data gives for these tags (13 bcd and 17/22 are the raw byte, 3 a bool).
_CODES = {3: "?", 5: "i", 6: "I", 13: "B", 15: "b", 16: "h", 17: "B", 18: "H", 20: "q", 21: "Q", 22: "B",
          23: "f", 24: "d"}
_SIZES = {tag: struct.calcsize(">" + code) for tag, code in _CODES.items()}

# (prebuilt Data for a structure leaf, else None; unpacked field index; tag; start; end)
_LeafSpec = tuple["Data | None", int, int, int, int]


class Template(NamedTuple):
    """One learned push layout (see the module docstring)."""

    unpack: Callable[[bytes], tuple[Any, ...]]
    structure: Callable[[tuple[Any, ...]], Any]   # picks the structure fields of the unpacked tuple
    expected: Any                                 # ... which must equal this
    binary_strings: tuple[int, ...]               # fields of octet strings that must stay binary
    datetime_field: int | None                    # the notification's 12-byte date-time, if any
    leaves: tuple[_LeafSpec, ...]
    shape: BodyShape
    build: Builder | None                         # builder.py: the plan written out, if it can be
    texts: Callable[[tuple[Any, ...]], Any] | None   # picks the printable strings (None: none, or
                                                  # the profile was given: nothing to re-detect)
    system_title: bytes | None
    # the printable-string values already seen to select this template's profile (a bounded
    # memo: meters of one model differ in their meter number, and each is checked once)
    verified: dict[Any, None]
    decoded: tuple[tuple[int, str], ...]          # (field, encoding) of visible-/utf8-strings


def learn(apdu: bytes, profile: Profile | None, system_title: bytes | None) -> Template | None:
    """The template of a plaintext data-notification APDU, or None when it has none."""
    try:
        dn = parse_data_notification(apdu)
    except DecodeError:
        return None
    leaves = _leaves(dn.body)
    shape = body_shape(dn.body, leaves, profile, system_title)
    if shape is None:
        return None
    # variable byte ranges: (start, end, struct code, leaf index or -1 for the date-time)
    ranges: list[tuple[int, int, str, int]] = []
    if dn.datetime is not None:
        at = dn.datetime_start + (2 if dn.datetime_tagged else 1)
        ranges.append((at, at + 12, "12s", -1))
    specs: list[tuple[Data | None, int, int, int]] = []   # (prebuilt, range index, start, end)
    binary: list[int] = []
    text: list[int] = []
    decoded: list[tuple[int, str]] = []
    for n, d in enumerate(leaves):
        tag = d.tag
        code = _CODES.get(tag)
        if n < shape.structure_leaves:
            specs.append((d, -1, d.start, d.end))         # a push object list entry: structure
        elif code is not None:
            if d.end - d.start != 1 + _SIZES[tag]:
                return None
            specs.append((None, len(ranges), d.start, d.end))
            ranges.append((d.start + 1, d.end, code, len(specs) - 1))
        elif tag == 9:
            raw = d.value
            if len(raw) == 6 or not raw:
                specs.append((d, -1, d.start, d.end))     # structure: a logical name (or nothing)
            else:
                # printable text (list ids, meter numbers) may select the profile: it is
                # variable, and a value not seen before is checked to select the same profile
                (text if 0x20 <= raw[0] < 0x7F else binary).append(len(ranges))
                specs.append((None, len(ranges), d.start, d.end))
                ranges.append((d.end - len(raw), d.end, f"{len(raw)}s", len(specs) - 1))
        elif tag in (10, 12) and d.value:
            # visible-/utf8-strings (meter numbers): variable text, decoded per push as
            # axdr.decode_data decodes them
            size, content = decode_length(apdu, d.start + 1)
            text.append(len(ranges))
            decoded.append((len(ranges), "utf-8" if tag == 12 else "latin-1"))
            specs.append((None, len(ranges), d.start, d.end))
            ranges.append((content, content + size, f"{size}s", len(specs) - 1))
        elif tag in (0, 2, 10, 12, 255):      # null, scaler-unit structure, empty text
            specs.append((d, -1, d.start, d.end))
        else:
            return None                       # date-time, bit-string, compact-array values...
    # the tag byte is structure; the invoke id (bytes 1-4) is not part of the Reading and never
    # checked by the full path either, so it is skipped
    fmt = [">1s4x"]
    structure: list[int] = [0]
    expected: list[bytes] = [apdu[:1]]
    field_of_range: dict[int, int] = {}
    pos = 5
    nfields = 1
    for k, (start, end, code, _) in enumerate(ranges):
        if start < pos:
            return None
        if start > pos:
            fmt.append(f"{start - pos}s")
            structure.append(nfields)
            expected.append(apdu[pos:start])
            nfields += 1
        fmt.append(code)
        field_of_range[k] = nfields
        nfields += 1
        pos = end
    if pos < len(apdu):
        fmt.append(f"{len(apdu) - pos}s")
        structure.append(nfields)
        expected.append(apdu[pos:])
        nfields += 1
    st = struct.Struct("".join(fmt))
    if st.size != len(apdu):
        return None
    leaf_specs = tuple((proto, field_of_range[k] if k >= 0 else -1, d.tag, start, end)
                       for (proto, k, start, end), d in zip(specs, leaves))
    text_fields = frozenset(field_of_range[k] for k in text)
    try:
        if shape.plan is not None:
            build = compile_builder(shape.plan, shape.profile, leaf_specs, text_fields)
        else:
            tags = tuple([d.tag for d in leaves])
            build = compile_layout_builder(shape.profile, _fitting_layouts(shape.profile.name, tags), leaf_specs,
                                           text_fields)
    except DecodeError:             # a structure leaf the general path could not read either
        return None
    return Template(_unpacker(st.format), _picker(tuple(structure)),
                    tuple(expected) if len(structure) > 1 else expected[0],
                    tuple(field_of_range[k] for k in binary),
                    field_of_range[0] if dn.datetime is not None else None,
                    leaf_specs, shape, build,
                    _picker(tuple(field_of_range[k] for k in text)) if text and profile is None else None,
                    system_title, {}, tuple((field_of_range[k], enc) for k, enc in decoded))


def decoded(template: Template, fields: tuple[Any, ...]) -> tuple[Any, ...]:
    """The unpacked fields with visible-/utf8-strings as text (what the builder reads)."""
    if not template.decoded:
        return fields
    values = list(fields)
    for k, encoding in template.decoded:
        values[k] = values[k].decode(encoding, errors="replace")
    return tuple(values)


def apply_unpacked(template: Template, fields: tuple[Any, ...], authenticated: bool | None = None,
                   placer: Placer | None = None) -> Reading | None:
    """The Reading of an APDU through ``template``, the APDU unpacked and found to have the
    template's structure; None where the fast path meets anything the full path must report
    (a binary string turned text, a text naming another profile, a DecodeError)."""
    # one unpacking instead of an attribute lookup per field (each is a descriptor call on a
    # NamedTuple; this runs for every templated push)
    _, _, _, binary_strings, datetime_field, _, _, build, texts_of, _, verified, text_encodings = template
    if text_encodings:
        fields = decoded(template, fields)
    for k in binary_strings:
        v = fields[k]
        if 0x20 <= v[0] < 0x7F:
            return None
    if texts_of is not None:
        texts = texts_of(fields)
        if texts not in verified:
            if not _selects_profile(template, fields):
                return None
            if len(verified) < _MAX_VERIFIED:
                verified[texts] = None
    try:
        ts = None if datetime_field is None else datetime_of(fields[datetime_field])
        if build is not None:
            reading = build(fields, ts, authenticated, placer)
            if reading is not None:
                return reading
        return reading_from(interpret_shaped(template.shape, _leaf_values(template, fields)), ts, authenticated,
                            placer)
    except DecodeError:
        return None


def _leaf_values(template: Template, fields: tuple[Any, ...]) -> list[Data]:
    """The body's leaves as the A-XDR walk gives them: the structure leaves as learned, the
    others built from this APDU's fields."""
    return [proto if proto is not None else _new(Data, (tag, fields[k], start, end))
            for proto, k, tag, start, end in template.leaves]


_MAX_VERIFIED = 4096


def _selects_profile(template: Template, fields: tuple[Any, ...]) -> bool:
    """Whether this push's strings select the template's profile, as interpret_body would
    detect it (list ids, name prefixes; a push object list without either is Landis+Gyr's)."""
    shape = template.shape
    object_list = shape.plan is not None and shape.plan.kind == "push-object-list"
    return detected_profile(_leaf_values(template, fields), template.system_title, object_list) is shape.profile


class _Group(NamedTuple):
    """The templates of one layout (same struct format, same structure fields): pushes of
    meters of one model and list differ only in their structure values (meter ids, list ids),
    so one unpack and one dict lookup find the right template among any number of meters."""

    unpack: Callable[[bytes], tuple[Any, ...]]
    structure: Callable[[tuple[Any, ...]], Any]
    by_structure: dict[Any, Template]


class TemplateCache:
    """Templates by (profile asked for, system title, APDU length) and layout: a bounded,
    thread-safe memo. At most ``max_templates`` templates (all are dropped when that is
    exceeded: a fleet of that many distinct layouts relearns them, a wallbox has one)."""

    def __init__(self, max_templates: int = 4096) -> None:
        self._groups: dict[tuple[Any, ...], tuple[_Group, ...]] = {}
        self._declined: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()
        self._max = max_templates
        self._count = 0

    def interpret(self, apdu: bytes, profile: Profile | None, system_title: bytes | None,
                  authenticated: bool | None = None, placer: Placer | None = None) -> Reading | None:
        """The Reading of a data-notification APDU by a learned template, or None (the caller
        decodes it the full way); an APDU without a matching template teaches one."""
        if apdu[:1] != b"\x0f" or len(apdu) < 6:
            return None
        if profile is not None and PROFILES.get(profile.name) is not profile:
            return None             # a caller's own Profile object: keyed by name, so never cached
        key = (profile.name if profile is not None else None, system_title, len(apdu))
        for unpack, structure, by_structure in self._groups.get(key, ()):
            fields = unpack(apdu)
            tpl = by_structure.get(structure(fields))
            if tpl is not None:
                return apply_unpacked(tpl, fields, authenticated, placer)
        if key in self._declined:
            return None             # this length has shown a layout without a template
        learned = learn(apdu, profile, system_title)
        with self._lock:
            if self._count >= self._max or len(self._declined) >= self._max:
                self._groups.clear()
                self._declined.clear()
                self._count = 0
            if learned is None:
                # not learnt again for this key: learning costs a full parse, and a meter
                # whose pushes have no template (push object lists) would pay it every time
                self._declined.add(key)
                return None
            groups = self._groups.get(key, ())
            for group in groups:
                if group.unpack == learned.unpack and group.structure == learned.structure:
                    break
            else:
                group = _Group(learned.unpack, learned.structure, {})
                self._groups[key] = (*groups, group)
            if learned.expected not in group.by_structure:
                group.by_structure[learned.expected] = learned
                self._count += 1
        return None
