"""From a notification body (A-XDR Data) to Registers and Reading fields.

Three shapes cover every push seen (docs/formats/dlms.md):

1. **OBIS-keyed**: anywhere in the body, an OBIS octet-string followed by its value and
   optionally a scaler-unit structure ``{integer scaler, enum unit}`` (Aidon, Kaifa SE/AT,
   Kamstrup, Iskra, Sagemcom; nested in structures or flat).
2. **Push object list**: the first element is the push setup's object list
   ``array of {class-id, logical name, attribute index, data index}`` and element *i* of the
   body is the value of object *i* (Landis+Gyr CH / VSE 2026, Energomera).
3. **Value-only**: no OBIS at all; a profile :class:`~.profiles.Layout` names each position
   (Kaifa KFM_001, Iskra SI/HR, L&G Burgenland/SI). A layout is chosen by the list's full
   signature (count and A-XDR type of every position), its consistency checks (a total equals
   the sum of its tariffs) and the physical plausibility of what it would name; where several
   fit or none does, the values stay unnamed ``value[i]`` registers and ``quality`` says why.

Scaling: an in-band scaler-unit always wins; otherwise the profile's scaler for the quantity
(``profiles.py``); otherwise 0. Where that scaler makes a value of a quantity implausible and a
documented convention of the profile (e.g. Kamstrup voltages in 0.01 V) makes every value of
that quantity in the frame plausible, the convention is applied and named in ``extra``.
Units come from the scaler-unit, else from the OBIS code.

Octet strings are text when they are printable ASCII after their NUL/space padding is
stripped (tariff ``RATE2`` padded with NULs is ``"RATE2"``), else bytes.
"""
from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from .. import plausibility
from ..model import Reading, Register
from ..obis import ObisCode, parse_cached
from ..zones import Placer
from .axdr import TYPE_NAMES, BitString, Data
from .cosem_time import CosemDate, CosemDateTime, parse_datetime
from .obis_map import CLOCK_CODES, METER_ID_CODES, METER_MODEL_CODES, describe, reading_field, unit_for
from .profiles import GENERIC, PROFILES, SIGNATURE_TOKENS, Convention, Layout, Profile, detect_profile
from .units import UNITS

__all__ = ["Interpretation", "interpret_body", "registers_to_fields", "BodyShape", "body_shape", "interpret_shaped",
           "reading_from", "detected_profile"]

_SIMPLE_NUMERIC = {5, 6, 13, 15, 16, 17, 18, 20, 21, 22, 23, 24}
_PLAN_CACHE_SIZE = 1024      # bounded memo caches of interpretation plans (issue 16)
_new = tuple.__new__   # NamedTuple construction without the Python-level __new__ (hot loop)


class _Item(NamedTuple):
    obis: ObisCode | None
    value: Data
    scaler: int | None
    unit_code: int | None
    attribute: int | None = None
    class_id: int | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Interpretation:
    profile: Profile
    shape: str                    # "obis", "push-object-list", "positional", "raw"
    registers: tuple[Register, ...]
    notes: tuple[str, ...] = ()   # what was assumed or could not be settled (the Reading's quality)
    recipe: _Recipe | None = None  # which registers fill which Reading field, when a plan knows it
    fields: dict[str, Any] | None = None   # the registers' Reading fields, when already computed
                                           # (read-only: registers_to_fields(registers))


def _plausible_obis(d: Data) -> bool:
    # A logical name: 6 bytes, group A a known medium (0 abstract, 1 electricity, 4-9 heat/
    # gas/water, 15 other) and a channel B below 65 (IEC 62056-6-1 7.2). Rules out 6-character
    # ASCII values such as a meter number "160456".
    if d.tag != 9 or len(d.value) != 6:
        return False
    a, b = d.value[0], d.value[1]
    return bool(a <= 15 and b <= 64)


def _is_scaler_unit(d: Data) -> bool:
    v = d.value
    return d.tag == 2 and len(v) == 2 and v[0].tag == 15 and v[1].tag == 22


def _leaves(d: Data, out: list[Data] | None = None) -> list[Data]:
    """Leaf values in order; scaler-unit structures count as one leaf."""
    if out is None:
        out = []
    if d.tag in (1, 2, 19) and not _is_scaler_unit(d):
        for c in d.value:
            if c.tag in (1, 2, 19):
                _leaves(c, out)
            else:
                out.append(c)
    else:
        out.append(d)
    return out


def _push_object_list(body: Data) -> list[tuple[int, ObisCode, int]] | None:
    """(class, OBIS, attribute) per element when the body starts with a push object list."""
    if body.tag != 2 or not body.value:
        return None
    head = body.value[0]
    if head.tag != 1 or len(head.value) != len(body.value):
        return None
    out = []
    for entry in head.value:
        v = entry.value
        if entry.tag != 2 or len(v) != 4 or v[0].tag != 18 or v[1].tag != 9 or len(v[1].value) != 6 \
                or v[2].tag != 15:
            return None
        out.append((v[0].value, ObisCode.from_bytes(v[1].value), v[2].value))
    return out


def _printable(raw: bytes) -> bool:
    """Non-empty printable ASCII (C-level checks: this runs for every string of every push)."""
    return bool(raw) and raw.isascii() and raw.decode("ascii").isprintable()


def _text_of(raw: bytes) -> str | None:
    """An octet string as text, or ``None`` when it is binary.

    Meters pad fixed-size text fields: an L&G E450 sends the tariff ``RATE2`` followed by NULs,
    ids come space-padded. Trailing NUL/space padding and leading spaces are stripped; what
    remains must be non-empty printable ASCII. Leading NULs are not stripped: a big-endian
    binary number (``00 00 00 31``) is not the text ``"1"``.
    """
    core = raw.rstrip(b"\x00 ").lstrip(b" ")
    if core and _printable(core):
        return core.decode("ascii")
    return None


def _clean_str(text: str) -> str:
    """A visible-/utf8-string without the NUL/space padding of fixed-size fields (as octet strings)."""
    if text[-1:] in ("\x00", " ") or text[:1] == " ":
        return text.rstrip("\x00 ").lstrip(" ")
    return text


def _strings(leaves: list[Data], limit: int = 6) -> list[str]:
    """Printable ASCII strings of a body, for profile detection (list ids, FLAG prefixes)."""
    out = []
    text: str | None
    for leaf in leaves:
        tag = leaf.tag
        if tag == 9 or tag == 10 or tag == 12:
            raw = leaf.value
            if not raw:
                continue
            if isinstance(raw, str):
                # visible-/utf8-strings are already text; one with non-ASCII characters (a
                # utf8 "€") identifies no maker and must not be re-encoded (issue 10 finding)
                text = _clean_str(raw)
                if text and text.isascii() and text.isprintable():
                    out.append(text)
            elif 0x20 <= raw[0] < 0x7F:   # OBIS codes and binary values: cheap reject
                text = _text_of(raw)
                if text is not None:
                    out.append(text)
        if len(out) >= limit:
            break
    return out


def detected_profile(leaves: list[Data], system_title: bytes | None, object_list: bool) -> Profile:
    """The profile a body names (list ids, name prefixes, the system title); ``object_list``:
    the body starts with a push object list."""
    profile = detect_profile(_strings(leaves), system_title)
    if object_list and profile is GENERIC:
        # Push-object-list pushes whose registers come without their scaler-unit are
        # Landis+Gyr's (CH, VSE 2026); no other maker in the corpus sends them unscaled.
        return PROFILES["landisgyr"]
    return profile


def interpret_body(body: Data, *, profile: Profile | None = None, system_title: bytes | None = None) -> Interpretation:
    """Registers of a notification body, with the profile that was applied.

    OBIS-keyed lists (the common push) go through a cached interpretation plan (see
    :func:`_keyed_plan`); every other shape, and any list the plan does not cover, through
    the full interpretation. Both give identical registers (tests/test_dlms_plan_cache.py).
    """
    pol = _push_object_list(body)
    leaves = _leaves(body)
    if profile is None:
        profile = detected_profile(leaves, system_title, pol is not None)
    if pol is None and PROFILES.get(profile.name) is profile:
        planned = _interpret_planned(body, leaves, profile)
        if planned is not None:
            return planned
    return _interpret_full(body, pol, leaves, profile)


def _interpret_full(body: Data, pol: list[tuple[int, ObisCode, int]] | None, leaves: list[Data],
                    profile: Profile) -> Interpretation:
    """The interpretation without the plan cache (every shape)."""
    items: list[_Item] = []
    notes: list[str] = []
    chosen: _Choice | None = None
    shape: str
    if pol is not None:
        shape = "push-object-list"
        su_by_obis: dict[ObisCode, tuple[int, int]] = {}
        for (cls, obis, attr), value in zip(pol, body.value):
            if attr == 3 and cls in (3, 4, 5) and _is_scaler_unit(value):
                su_by_obis[obis] = (value.value[0].value, value.value[1].value)
        for i, ((cls, obis, attr), value) in enumerate(zip(pol, body.value)):
            if cls == 40 or (attr == 3 and obis in su_by_obis):
                continue        # the push setup itself; scaler-units are applied below
            su = su_by_obis.get(obis) if attr == 2 else None
            items.append(_new(_Item, (obis, value, su[0] if su else None, su[1] if su else None, attr, cls, i)))
    else:
        push_head = bool(leaves) and _plausible_obis(leaves[0]) and leaves[0].value[2:4] == b"\x19\x09"
        keyed = any(_plausible_obis(x) for x in leaves[1 if push_head else 0:-1])
        layout_key = f"push-setup:{len(body.value)}" if push_head and body.tag == 2 else None
        push_layout = (profile.layouts.get(layout_key) or GENERIC.layouts.get(layout_key)) if layout_key else None
        if push_head and not keyed and push_layout is not None and body.tag == 2:
            chosen, note = _choose_layout(list(body.value), profile, [(profile, push_layout)])
            if note:
                notes.append(note)
        if chosen is not None:
            # A push-setup name followed by bare values (the Austrian push of Iskra and Sagemcom)
            shape = "positional"
        elif push_head and not keyed and push_layout is not None:
            shape = "raw"           # the push layout did not fit (its note says why)
            items = _positional_items(list(body.value), None)
        elif keyed:
            shape = "obis"
            i, n = 0, len(leaves)
            while i < n:
                it = leaves[i]
                if i + 1 < n and _plausible_obis(it) and not _is_scaler_unit(leaves[i + 1]):
                    value = leaves[i + 1]
                    i += 2
                    scaler = unit = None
                    if i < n and _is_scaler_unit(leaves[i]):
                        scaler, unit = leaves[i].value[0].value, leaves[i].value[1].value
                        i += 1
                    items.append(_new(_Item, (ObisCode.from_bytes(it.value), value, scaler, unit, 2, None, len(items))))
                else:
                    if it.tag != 0:          # null-data placeholders (single-phase Kamstrup) carry nothing
                        items.append(_new(_Item, (None, it, None, None, None, None, i)))
                    i += 1
            last = items[-1] if items else None
            if last is not None and last.obis is None and last.value.tag == 9 \
                    and _text_of(last.value.value) is not None and last.position == n - 1:
                # A bare printable string closing a keyed list is the meter number (Austrian
                # EVN/Netz NOe lists on Kaifa and Sagemcom; esphome-libs/dlms_parser maps it the same way).
                items[-1] = _Item(ObisCode(0, 0, 96, 1, 0, 255), last.value, None, None, None, None, last.position)
        else:
            return _interpret_values(list(body.value) if body.tag in (1, 2) else [body], profile)
    if chosen is not None:      # registers were built (and checked) while choosing the layout
        profile, _, regs, overrides, _ = chosen
    else:
        overrides = _conventions(items, profile)
        regs = tuple([_register(it, profile, overrides) for it in items])
    for quantity, (conv, _) in overrides.items():
        notes.append(f"convention: {quantity} read with scaler {conv.scaler} ({conv.source})")
    return Interpretation(profile, shape, regs, tuple(notes))


def _interpret_values(values: list[Data], profile: Profile) -> Interpretation:
    """A value-only list (no OBIS codes, no push-setup head): the one layout that fits names
    it, else its values stay ``value[i]`` registers (_interpret_full's last branch)."""
    chosen, note = _choose_layout(values, profile)
    notes = [note] if note else []
    fields = None
    if chosen is not None:
        shape = "positional"
        profile, _, regs, overrides, fields = chosen
    else:
        shape = "raw"
        items = _positional_items(values, None)
        overrides = _conventions(items, profile)
        regs = tuple([_register(it, profile, overrides) for it in items])
    for quantity, (conv, _) in overrides.items():
        notes.append(f"convention: {quantity} read with scaler {conv.scaler} ({conv.source})")
    return Interpretation(profile, shape, regs, tuple(notes), None, fields)


class BodyShape(NamedTuple):
    """What a notification body's structure alone settles about its interpretation (issue 16:
    the push templates of :mod:`.template`): the profile and, for an OBIS-keyed list or a push
    object list, its plan. Two bodies with the same tags, lengths, 6-byte strings,
    scaler-units, printable strings (and push object list) have the same BodyShape; only
    their values differ."""

    profile: Profile
    plan: _Plan | None            # None: a flat value-only list
    structure_leaves: int = 0     # leading leaves that are structure (a push object list's entries)


def body_shape(body: Data, leaves: list[Data], profile: Profile | None,
               system_title: bytes | None) -> BodyShape | None:
    """The shape of ``body`` when :func:`interpret_shaped` gives what :func:`interpret_body`
    gives for every body of that structure; None for the shapes it does not cover (push-setup
    heads, nested value-only lists, push object lists with nested values, a caller's own
    Profile object)."""
    pol = _push_object_list(body)
    if profile is None:
        profile = detected_profile(leaves, system_title, pol is not None)
    if PROFILES.get(profile.name) is not profile:
        return None
    if pol is not None:
        n0 = len(_leaves(body.value[0]))
        sig: list[tuple[int, tuple[int, int] | None]] = []
        for value in body.value[1:]:
            if _is_scaler_unit(value):
                sig.append((2, (value.value[0].value, value.value[1].value)))
            elif value.tag in (1, 2, 19):
                return None         # a nested value: not one leaf
            else:
                sig.append((value.tag, None))
        plan = _pol_plan(profile.name, tuple(pol), tuple(sig), n0)
        return BodyShape(profile, plan, n0) if plan is not None else None
    plan = _keyed_plan(profile.name, _shape_key(body, leaves))
    if plan is not None:
        return BodyShape(profile, plan)
    values = list(body.value) if body.tag in (1, 2) else [body]
    if len(values) != len(leaves) or any(a is not b for a, b in zip(values, leaves)):
        return None                 # nested: _interpret_full's other branches decide
    if leaves and _plausible_obis(leaves[0]) and leaves[0].value[2:4] == b"\x19\x09":
        return None                 # a push-setup head (Austrian positional pushes)
    if any(_plausible_obis(x) for x in leaves[:-1]):
        return None                 # keyed but not planned
    return BodyShape(profile, None)


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _pol_plan(profile_name: str, pol: tuple[tuple[int, ObisCode, int], ...],
              sig: tuple[tuple[int, tuple[int, int] | None], ...], n0: int) -> _Plan | None:
    """The plan of a push-object-list body (Landis+Gyr CH/VSE): _interpret_full's
    push-object-list branch replayed on the structure. ``sig``: (tag, scaler-unit) of the values
    after the object list; ``n0``: the object list's leaf count (the values' leaves follow)."""
    profile = PROFILES[profile_name]
    if not pol or pol[0][0] != 40:
        return None                 # the first value would be an item: not one leaf
    tags = ((1, None),) + sig       # element 0 is the object list (an array)
    su_by_obis: dict[ObisCode, tuple[int, int]] = {}
    for (cls, obis, attr), (tag, su) in zip(pol, tags):
        if attr == 3 and cls in (3, 4, 5) and su is not None:
            su_by_obis[obis] = su
    steps: list[_Step] = []
    conv_leaves: list[tuple[str, int]] = []
    for i, ((cls, obis, attr), (tag, su)) in enumerate(zip(pol, tags)):
        if cls == 40 or (attr == 3 and obis in su_by_obis):
            continue
        if i == 0:
            return None
        leaf = n0 + i - 1
        found = su_by_obis.get(obis) if attr == 2 else None
        scaler, unit = found if found else (None, None)
        steps.append(_plan_step((obis, leaf, scaler, unit, attr, i), tag, profile, cls))
        if profile.conventions and scaler is None and tag in _SIMPLE_NUMERIC and tag != 22:
            quantity = _obis_info(obis)[2]
            if quantity in _CONVENTION_FIELD and _has_convention(profile, quantity):
                conv_leaves.append((quantity, leaf))
    return _Plan("push-object-list", tuple(steps), tuple(conv_leaves), None, _recipe_of(steps), None)


def interpret_shaped(shape: BodyShape, leaves: list[Data]) -> Interpretation:
    """:func:`interpret_body` for a body whose shape :func:`body_shape` gave: the same
    registers, profile and notes (tests/test_dlms_template.py), without re-deriving the shape."""
    if shape.plan is not None:
        return _run_plan(shape.plan, leaves, shape.profile)
    return _interpret_values(leaves, shape.profile)


def reading_from(interp: Interpretation, ts: _dt.datetime | None, authenticated: bool | None,
                 placer: Placer | None = None) -> Reading:
    """The Reading of a push: its interpretation's registers and fields, the notification's
    date-time (else the clock register's), the security layer's verdict; with a ``placer``, a
    naive timestamp placed in its zone (zones.Placer: what api.finish would do after)."""
    fields = dict(interp.fields) if interp.fields is not None else \
        registers_to_fields(interp.registers, interp.recipe)
    clock = fields.pop("clock", None)
    if ts is None:
        ts = clock
    quality = "; ".join(interp.notes) or None
    if placer is not None and ts is not None:
        ts, quality = placer.place(ts, quality, interp.profile.name, interp.registers)
    return Reading(format="dlms", profile=interp.profile.name, timestamp=ts, authenticated=authenticated,
                   registers=interp.registers, quality=quality, **fields)


# --- the interpretation plan of an OBIS-keyed list (issue 16) ------------------------------
#
# Meters resend the same list every push: the same OBIS codes, scaler-units and A-XDR types in
# the same order, only the values change. Everything _interpret_full derives from that shape
# (which leaves pair up as code/value/scaler-unit, each register's key, unit, description,
# scaler and the static part of its ``extra``) is computed once per (profile, shape) and kept
# in a bounded LRU cache (functools.lru_cache: thread-safe, at most _PLAN_CACHE_SIZE plans of
# a few KB each, no state a caller can see or change). What depends on the values is still
# done per frame exactly as _interpret_full does it: the profile conventions (a plausibility
# test of the values), text versus binary octet strings, date-times, scaling.
#
# A shape key is the tuple of every leaf's A-XDR tag, with the 6-byte octet strings (the
# candidate logical names) and the scaler-unit pairs spelled out: two lists with equal keys
# pair up identically in _interpret_full's loop, whose decisions depend on nothing else.

_IN_BAND, _BY_PROFILE, _PLAIN = 0, 1, 2

# (kind, leaf index, key, unit, obis, description, type name, position, scaler, quantity)
# (..., static extra entries _register adds last: a push object list's class_id and attribute)
_Step = tuple[int, int, str, "str | None", "ObisCode | None", "str | None", Any, int, int, "str | None",
              "tuple[tuple[str, int], ...]"]


class _Plan(NamedTuple):
    kind: str                                  # Interpretation.shape: "obis" or "push-object-list"
    steps: tuple[_Step, ...]
    conv_leaves: tuple[tuple[str, int], ...]   # (quantity, leaf) a profile convention may rescale
    last_text: _Step | None                    # the last step, if a printable value makes it the meter id
    recipe: _Recipe                            # the registers' Reading fields (_fields_recipe)
    recipe_last: _Recipe | None                # ... when last_text replaced the last step


def _shape_key(body: Data, leaves: list[Data]) -> tuple[Any, ...]:
    key: list[Any] = [body.tag, len(body.value) if body.tag in (1, 2) else -1]
    append = key.append
    for d in leaves:
        tag = d.tag
        append(tag)
        if tag == 9:
            if len(d.value) == 6:
                append(d.value)
        elif tag == 2:      # a leaf structure is a scaler-unit (see _leaves)
            v = d.value
            append(v[0].value)
            append(v[1].value)
    return tuple(key)


def _interpret_planned(body: Data, leaves: list[Data], profile: Profile) -> Interpretation | None:
    """The registers of an OBIS-keyed list through its cached plan; None for other shapes."""
    plan = _keyed_plan(profile.name, _shape_key(body, leaves))
    if plan is None:
        return None
    return _run_plan(plan, leaves, profile)


def _run_plan(plan: _Plan, leaves: list[Data], profile: Profile) -> Interpretation:
    """An OBIS-keyed list's registers from its plan: the value-dependent steps on these leaves."""
    overrides: dict[str, tuple[Convention, int]] = {}
    if plan.conv_leaves:
        by_q: dict[str, list[int | float]] = {}
        for q, i in plan.conv_leaves:
            by_q.setdefault(q, []).append(leaves[i].value)
        overrides = _conventions_for(by_q, profile)
    steps = plan.steps
    recipe = plan.recipe
    if plan.last_text is not None and _text_of(leaves[plan.last_text[1]].value) is not None:
        steps = steps[:-1] + (plan.last_text,)
        recipe = plan.recipe_last     # type: ignore[assignment]  # set whenever last_text is
    regs = _run_steps(steps, leaves, overrides, profile)
    notes = tuple(f"convention: {q} read with scaler {conv.scaler} ({conv.source})"
                  for q, (conv, _) in overrides.items())
    return Interpretation(profile, plan.kind, regs, notes, recipe)


def _run_steps(steps: tuple[_Step, ...], leaves: list[Data], overrides: dict[str, tuple[Convention, int]],
               profile: Profile, layout_name: str | None = None) -> tuple[Register, ...]:
    """The registers of a plan's steps over this frame's values: what _register does, with the
    static part read from the step (``extra`` keys in _register's order)."""
    regs: list[Register] = []
    append = regs.append
    for kind, i, key, unit, obis, desc, tname, pos, scaler, quantity, tail in steps:
        d = leaves[i]
        if kind == _PLAIN:
            extra: dict[str, Any] = {"type": tname, "position": pos}
            if d.tag == 9:
                extra["raw"] = d.value.hex()
            if layout_name is not None:
                extra["layout"] = layout_name
            if tail:
                extra.update(tail)
            append(_new(Register, (key, _plain(d, obis), None, obis, desc, extra)))
            continue
        raw = d.value
        if kind == _IN_BAND:
            extra = {"type": tname, "position": pos, "raw": raw, "scaler": scaler, "scaler_unit": "in-band"}
        else:
            conv = overrides.get(quantity) if overrides and quantity else None
            if conv is not None:
                scaler = conv[1]
            extra = {"type": tname, "position": pos, "raw": raw, "scaler": scaler}
            if conv is not None:
                extra["scaler_unit"] = f"convention of profile {profile.name}"
                extra["convention"] = conv[0].source
            elif scaler:
                extra["scaler_unit"] = f"profile {profile.name}"
        if layout_name is not None:
            extra["layout"] = layout_name
        if tail:
            extra.update(tail)
        if scaler:
            # _scale inline (the hot loop of every push): the same int power of ten
            raw = raw / _POW10[-scaler] if scaler < 0 else raw * _POW10[scaler]
        append(_new(Register, (key, raw, unit, obis, desc, extra)))
    return tuple(regs)


_POW10 = {k: 10 ** k for k in range(0, 129)}      # A-XDR scalers are int8


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _keyed_plan(profile_name: str, shape: tuple[Any, ...]) -> _Plan | None:
    """The plan of an OBIS-keyed list of this shape, or None when the list is not OBIS-keyed
    (those shapes go through _interpret_full, which the plan does not replicate).

    Built by replaying _interpret_full's OBIS-keyed branch on placeholder leaves that carry
    only what the shape key fixes: the decisions below must stay those of that branch.
    """
    profile = PROFILES[profile_name]
    tags: list[int] = []
    fixed: dict[int, Any] = {}          # leaf index -> its 6-byte string or (scaler, unit)
    j = 2
    while j < len(shape):
        tag = shape[j]
        j += 1
        if tag == 9 and j < len(shape) and isinstance(shape[j], bytes):
            fixed[len(tags)] = shape[j]
            j += 1
        elif tag == 2:
            fixed[len(tags)] = (shape[j], shape[j + 1])
            j += 2
        tags.append(tag)
    n = len(tags)

    def plausible_obis(i: int) -> bool:
        v = fixed.get(i)
        return tags[i] == 9 and isinstance(v, bytes) and v[0] <= 15 and v[1] <= 64

    def scaler_unit(i: int) -> bool:
        return tags[i] == 2

    push_head = n > 0 and plausible_obis(0) and fixed[0][2:4] == b"\x19\x09"
    keyed = any(plausible_obis(i) for i in range(1 if push_head else 0, n - 1))
    if not keyed:
        return None
    # (obis, leaf, scaler, unit code, attribute, position) as _interpret_full's loop makes them
    items: list[tuple[ObisCode | None, int, int | None, int | None, int | None, int]] = []
    i = 0
    while i < n:
        if i + 1 < n and plausible_obis(i) and not scaler_unit(i + 1):
            value = i + 1
            code: ObisCode | None = ObisCode.from_bytes(fixed[i])
            i += 2
            scaler = unit = None
            if i < n and scaler_unit(i):
                scaler, unit = fixed[i]
                i += 1
            items.append((code, value, scaler, unit, 2, len(items)))
        else:
            if tags[i] != 0:
                items.append((None, i, None, None, None, i))
            i += 1
    steps = [_plan_step(it, tags[it[1]], profile) for it in items]
    last_text = None
    if items:
        obis, leaf, _, _, _, pos = items[-1]
        if obis is None and tags[leaf] == 9 and pos == n - 1:
            last_text = _plan_step((ObisCode(0, 0, 96, 1, 0, 255), leaf, None, None, None, pos), 9, profile)
    conv_leaves: list[tuple[str, int]] = []
    if profile.conventions:
        for obis, leaf, scaler, _, _, _ in items:
            tag = tags[leaf]
            if obis is None or scaler is not None or tag not in _SIMPLE_NUMERIC or tag == 22:
                continue
            quantity = _obis_info(obis)[2]
            if quantity in _CONVENTION_FIELD and _has_convention(profile, quantity):
                conv_leaves.append((quantity, leaf))
    return _Plan("obis", tuple(steps), tuple(conv_leaves), last_text, _recipe_of(steps),
                 _recipe_of(steps[:-1] + [last_text]) if last_text is not None else None)


def _recipe_of(steps: list[_Step]) -> _Recipe:
    return _fields_recipe(tuple([step[4] for step in steps]))


def _plan_step(it: tuple[ObisCode | None, int, int | None, int | None, int | None, int], tag: int,
               profile: Profile, class_id: int | None = None) -> _Step:
    """The static part of what _register does for one item."""
    obis, leaf, scaler, code, attr, pos = it
    tail: tuple[tuple[str, int], ...] = ()
    if class_id is not None:
        tail += (("class_id", class_id),)
    if attr is not None and attr != 2:
        tail += (("attribute", attr),)
    quantity: str | None
    if obis is not None:
        key, obis_unit, quantity, _, desc = _obis_info(obis)
        if attr is not None and attr != 2:
            key = f"{key}#{attr}"
    else:
        key = f"value[{pos}]"
        obis_unit = quantity = desc = None
    tname = TYPE_NAMES.get(tag, tag)
    if tag in _SIMPLE_NUMERIC and (tag != 22 or scaler is not None):
        if scaler is not None:
            unit = UNITS.get(code) if code is not None else None
            if unit is None and (code is None or code == 255):
                unit = obis_unit
            return (_IN_BAND, leaf, key, unit, obis, desc, tname, pos, scaler, quantity, tail)
        base = profile.scalers.get(quantity, 0) if quantity else 0
        return (_BY_PROFILE, leaf, key, obis_unit, obis, desc, tname, pos, base, quantity, tail)
    return (_PLAIN, leaf, key, None, obis, desc, tname, pos, 0, quantity, tail)


def _positional_items(values: list[Data], codes: tuple[ObisCode | None, ...] | None) -> list[_Item]:
    items = []
    for i, value in enumerate(values):
        obis = codes[i] if codes is not None else None
        if _is_scaler_unit(value):
            items.append(_new(_Item, (obis, value, value.value[0].value, value.value[1].value, None, None, i)))
        else:
            items.append(_new(_Item, (obis, value, None, None, None, None, i)))
    return items


def _signature(values: list[Data]) -> str:
    """A readable signature of a value list for messages (the tokens of profiles.py)."""
    out = []
    for v in values:
        for token in "SUuDdbWEB":
            if v.tag in SIGNATURE_TOKENS[token]:
                out.append(token)
                break
        else:
            out.append("N" if v.tag in _SIMPLE_NUMERIC else "*")
    return "".join(out)


_Candidate = tuple[Profile, Layout, "_Plan | None"]


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _fitting_layouts(profile_name: str, tags: tuple[int, ...]) -> tuple[_Candidate, ...]:
    """The layouts of a library profile's pool whose signature the A-XDR tags match, each with
    its plan (issue 16: static per list shape; the checks and plausibility run per frame)."""
    return tuple(_candidate(p, lay, tags) for p, lay in _layout_pool(PROFILES[profile_name])
                 if _signature_fits(lay, tags))


def _candidate(p: Profile, lay: Layout, tags: tuple[int, ...]) -> _Candidate:
    # the plan cache is keyed by profile name: only the library's own profile objects use it
    return p, lay, _layout_plan(p.name, lay, tags) if PROFILES.get(p.name) is p else None


def _signature_fits(lay: Layout, tags: tuple[int, ...]) -> bool:
    return len(lay.signature) == len(tags) and all(t in SIGNATURE_TOKENS[tok] for t, tok in zip(tags, lay.signature))


def _layout_pool(profile: Profile) -> list[tuple[Profile, Layout]]:
    """Layouts a value-only list may take: the profile's own (and the generic ones, read with
    the profile's scalers); for an unidentified frame, every profile's, each with its profile,
    except those of profiles whose lists carry a list id (Kaifa's KFM_001): a list without
    its id is not theirs."""
    if profile is not GENERIC:
        return [(profile, lay) for lay in profile.lists] + [(profile, lay) for lay in GENERIC.lists]
    pool: list[tuple[Profile, Layout]] = []
    seen: set[str] = set()
    for p in PROFILES.values():
        if p.list_ids and p is not GENERIC:
            continue
        for lay in p.lists:
            if lay.name not in seen:
                seen.add(lay.name)
                pool.append((p, lay))
    return pool


def _checks_hold(values: list[Data], layout: Layout) -> bool:
    for total, parts in layout.checks:
        t = values[total].value
        ps = [values[i].value for i in parts]
        if not all(type(x) is int for x in (t, *ps)) or t != sum(ps):
            return False
    return True


# (profile, layout, registers, conventions applied, the registers' Reading fields)
_Choice = tuple[Profile, Layout, tuple[Register, ...], dict[str, tuple[Convention, int]], dict[str, Any]]


def _choose_layout(values: list[Data], profile: Profile, pool: list[tuple[Profile, Layout]] | None = None,
                   ) -> tuple[_Choice | None, str | None]:
    """The one layout that fits a value-only list, and a note for ``quality``.

    A layout fits when every position's A-XDR type matches its signature, its consistency
    checks hold and nothing it would put into a Reading field is physically implausible
    (plausibility.py): a candidate whose voltages would be 2300 V, or that would put an
    energy counter into a power field, loses. Several fitting layouts are no better than none.
    """
    n = len(values)
    tag_key = tuple([v.tag for v in values])
    fits: list[_Choice] = []
    rejected: list[str] = []
    if pool is None and PROFILES.get(profile.name) is profile:
        candidates: tuple[_Candidate, ...] | list[_Candidate] = _fitting_layouts(profile.name, tag_key)
    else:
        candidates = [_candidate(p, lay, tag_key) for p, lay in (pool if pool is not None else _layout_pool(profile))
                      if _signature_fits(lay, tag_key)]
    for p, lay, plan in candidates:
        if lay.checks and not _checks_hold(values, lay):
            rejected.append(f"{lay.name} (its totals are not the sums of its tariffs)")
            continue
        if plan is not None:
            # the layout's static part (keys, units, descriptions, scalers) from its plan; the
            # checks above and the conventions and plausibility below still run on these values
            overrides = {}
            if plan.conv_leaves:
                by_q: dict[str, list[int | float]] = {}
                for q, i in plan.conv_leaves:
                    by_q.setdefault(q, []).append(values[i].value)
                overrides = _conventions_for(by_q, p)
            regs = _run_steps(plan.steps, values, overrides, p, lay.name)
            recipe: _Recipe | None = plan.recipe
        else:           # a caller's own Profile object: no plan (the cache is keyed by name)
            items = _positional_items(values, _parsed(lay.codes))
            overrides = _conventions(items, p)
            regs = tuple([_register(it, p, overrides, lay.name) for it in items])
            recipe = None
        fields = registers_to_fields(regs, recipe)
        bad = [f"{k}={v:g}" for k, v in fields.items()
               if isinstance(v, float) and not plausibility.is_plausible(k, v)]
        if bad:
            rejected.append(f"{lay.name} (implausible {', '.join(bad)})")
            continue
        fits.append((p, lay, regs, overrides, fields))
    if len(fits) == 1:
        lay = fits[0][1]
        return fits[0], (f"layout {lay.name} assumed: a value-only list without OBIS codes, named by its "
                         f"A-XDR signature {lay.signature} ({lay.source})")
    if n == 1 and not fits and not rejected:
        return None, None          # a lone non-numeric value (an opaque octet string): nothing to name
    sig = _signature(values)
    if fits:
        why = "ambiguous: " + ", ".join(f[1].name for f in fits) + " all fit"
    elif rejected:
        why = "rejected " + "; ".join(rejected)
    else:
        why = f"no layout of profile {profile.name} has this signature"
    return None, (f"layout unknown: value-only list of {n} values (signature {sig}), {why}; "
                  f"values kept as value[0..{n - 1}]")


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _layout_plan(profile_name: str, layout: Layout, tags: tuple[int, ...]) -> _Plan:
    """The plan of a value-only list read with ``layout`` (issue 16): the steps _register takes
    for each position, as _positional_items and _register make them. Keyed by the values'
    A-XDR tags; whether the layout fits (its checks, plausibility) is decided per frame."""
    profile = PROFILES[profile_name]
    codes = _parsed(layout.codes)
    steps = tuple(_plan_step((codes[i], i, None, None, None, i), tag, profile) for i, tag in enumerate(tags))
    conv_leaves: list[tuple[str, int]] = []
    if profile.conventions:
        for i, tag in enumerate(tags):
            obis = codes[i]
            if obis is None or tag not in _SIMPLE_NUMERIC or tag == 22:
                continue
            quantity = _obis_info(obis)[2]
            if quantity in _CONVENTION_FIELD and _has_convention(profile, quantity):
                conv_leaves.append((quantity, i))
    return _Plan("positional", steps, tuple(conv_leaves), None, _recipe_of(list(steps)), None)


def _has_convention(profile: Profile, quantity: str) -> bool:
    """Whether a convention of ``profile`` can rescale ``quantity``: a plan watches only those
    values (_conventions_for never applies another quantity's)."""
    return any(c.quantity == quantity for c in profile.conventions)


_CONVENTION_FIELD = {"voltage": "voltage_l1", "current": "current_l1", "power_factor": "power_factor",
                     "frequency": "frequency"}


def _conventions(items: list[_Item], profile: Profile) -> dict[str, tuple[Convention, int]]:
    """Quantity -> (convention, scaler) for the quantities of this frame that a convention of
    the profile explains: the profile's scaler makes one of their values implausible and the
    convention's makes every one plausible."""
    if not profile.conventions:
        return {}
    by_q: dict[str, list[int | float]] = {}
    for it in items:
        if it.obis is None or it.scaler is not None or it.value.tag not in _SIMPLE_NUMERIC or it.value.tag == 22:
            continue
        quantity = _obis_info(it.obis)[2]
        if quantity in _CONVENTION_FIELD:
            by_q.setdefault(quantity, []).append(it.value.value)
    return _conventions_for(by_q, profile)


def _conventions_for(by_q: dict[str, list[int | float]], profile: Profile) -> dict[str, tuple[Convention, int]]:
    out: dict[str, tuple[Convention, int]] = {}
    for quantity, raws in by_q.items():
        field = _CONVENTION_FIELD[quantity]
        base = profile.scalers.get(quantity, 0)
        # the common case first: every value inside the field's plain range with the
        # profile's own scaler (plausibility.is_plausible's first test, without the calls)
        bounds = plausibility.plain_bounds(field)
        if bounds is not None:
            low, high = bounds
            if base == 0:
                if all(type(r) is int and low <= r <= high for r in raws):
                    continue
            elif base < 0:
                div = 10 ** -base
                if all(type(r) is int and low <= r / div <= high for r in raws):
                    continue
        if all(plausibility.is_plausible(field, _scale(r, base)) for r in raws):
            continue
        for conv in profile.conventions:
            if conv.quantity == quantity and all(plausibility.is_plausible(field, _scale(r, conv.scaler))
                                                 for r in raws):
                out[quantity] = (conv, conv.scaler)
                break
    return out



@functools.lru_cache(maxsize=256)
def _parsed(layout: tuple[str | None, ...]) -> tuple[ObisCode | None, ...]:
    """A profile layout's codes, parsed once."""
    return tuple(parse_cached(c) if c else None for c in layout)


def _is_numeric(d: Data) -> bool:
    return d.tag in _SIMPLE_NUMERIC


def _scale(raw: int | float, scaler: int) -> int | float:
    if scaler == 0:
        return raw
    if scaler > 0:
        # int ** int with a variable exponent is Any to mypy (a negative one gives a float)
        return raw * 10 ** scaler  # type: ignore[no-any-return]
    # Dividing by an exact power of ten is correctly rounded (IEEE 754), so 12056 mA gives the
    # double nearest to 12.056, as round(raw * 10.0**scaler, -scaler) would, but faster.
    return raw / 10 ** -scaler  # type: ignore[no-any-return]


def _plain(d: Data, obis: ObisCode | None) -> Any:
    v = d.value
    if d.tag == 9:
        if obis is not None and (obis.c, obis.d) == (1, 0) and len(v) == 12:
            return _dt_value(parse_datetime(v))
        if len(v) == 12 and obis is None and v[0] in (0x07, 0x08) and 1 <= v[2] <= 12 and 1 <= v[3] <= 31:
            return _dt_value(parse_datetime(v))   # an unlabelled date-time (Sagemcom T210-D, Kaifa AT)
        text = _text_of(v)
        return text if text is not None else v
    if d.tag == 10 or d.tag == 12:
        return _clean_str(v)
    if d.tag == 25:
        return _dt_value(v)
    if d.tag in (26, 27):
        return (v.to_date() if isinstance(v, CosemDate) else v.to_time()) or str(v)
    if d.tag in (1, 2, 19):
        return tuple(_plain(c, None) for c in v)
    if isinstance(v, BitString):
        return str(v)
    return v


def _dt_value(c: CosemDateTime) -> Any:
    dt = c.to_datetime()
    return dt if dt is not None else str(c)


_POWER_UNITS = {"W": "power", "var": "power", "VA": "power", "Wh": "energy", "varh": "energy", "VAh": "energy",
                "A": "current", "V": "voltage", "Hz": "frequency"}


@functools.lru_cache(maxsize=4096)
def _obis_info(obis: ObisCode) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(key, unit, quantity, Reading field, description) of a code: one lookup per value."""
    unit = unit_for(obis)
    quantity = _POWER_UNITS.get(unit) if unit else None
    if quantity is None and obis.a == 1 and obis.c in (13, 33, 53, 73):
        quantity = "power_factor"
    return str(obis), unit, quantity, reading_field(obis), describe(obis)


def _register(it: _Item, profile: Profile, overrides: dict[str, tuple[Convention, int]] | None = None,
              layout_name: str | None = None) -> Register:
    d = it.value
    tag = d.tag
    obis = it.obis
    attr = it.attribute
    if obis is not None:
        key, obis_unit, quantity, _, desc = _obis_info(obis)
        if attr is not None and attr != 2:
            key = f"{key}#{attr}"
    else:
        key = f"value[{it.position}]"
        obis_unit = quantity = desc = None
    extra: dict[str, Any]
    if tag in _SIMPLE_NUMERIC and (tag != 22 or it.scaler is not None):
        raw = d.value
        scaler = it.scaler
        if scaler is not None:
            code = it.unit_code
            unit = UNITS.get(code) if code is not None else None
            if unit is None and (code is None or code == 255):
                unit = obis_unit
            extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position, "raw": raw, "scaler": scaler,
                     "scaler_unit": "in-band"}
        else:
            conv = overrides.get(quantity) if overrides and quantity else None
            if conv is not None:
                scaler = conv[1]
            else:
                scaler = profile.scalers.get(quantity, 0) if quantity else 0
            unit = obis_unit
            extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position, "raw": raw, "scaler": scaler}
            if conv is not None:
                extra["scaler_unit"] = f"convention of profile {profile.name}"
                extra["convention"] = conv[0].source
            elif scaler:
                extra["scaler_unit"] = f"profile {profile.name}"
        value: Any = _scale(raw, scaler) if scaler else raw
    else:
        unit = None
        value = _plain(d, obis)
        extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position}
        if tag == 9:
            extra["raw"] = d.value.hex()
    if layout_name is not None:
        extra["layout"] = layout_name
    if it.class_id is not None:
        extra["class_id"] = it.class_id
    if attr is not None and attr != 2:
        extra["attribute"] = attr
    return _new(Register, (key, value, unit, obis, desc, extra))


_METER_ID = tuple(parse_cached(c) for c in METER_ID_CODES)
_METER_MODEL = tuple(parse_cached(c) for c in METER_MODEL_CODES)
_CLOCK = tuple(parse_cached(c) for c in CLOCK_CODES)
_TARIFF = ObisCode(0, 0, 96, 14, 0, 255)


_SPECIAL = frozenset(_METER_ID + _METER_MODEL + _CLOCK + (_TARIFF,))


# (Reading field, indices of the registers that may fill it, first first), (special code, index)
_Recipe = tuple[tuple[tuple[str, tuple[int, ...]], ...], tuple[tuple[ObisCode, int], ...]]


@functools.lru_cache(maxsize=_PLAN_CACHE_SIZE)
def _fields_recipe(codes: tuple[ObisCode | None, ...]) -> _Recipe:
    """Which registers of a list with these codes may fill which Reading field: static per
    list shape, so a plan computes it once (issue 16); the values decide per frame."""
    by_field: dict[str, list[int]] = {}
    special: dict[ObisCode, int] = {}
    for i, obis in enumerate(codes):
        if obis is None:
            continue
        f = _obis_info(obis)[3]
        if f is not None:
            by_field.setdefault(f, []).append(i)
        elif obis in _SPECIAL and obis not in special:
            special[obis] = i
    return tuple((f, tuple(ix)) for f, ix in by_field.items()), tuple(special.items())


def registers_to_fields(regs: tuple[Register, ...], recipe: _Recipe | None = None) -> dict[str, Any]:
    """Reading fields from registers (the first register of a code wins; a quantity field takes
    the first of its registers whose value is a number). ``recipe``: the registers' codes'
    :func:`_fields_recipe`, when the caller has it."""
    if recipe is None:
        recipe = _fields_recipe(tuple([r.obis for r in regs]))
    fields: dict[str, Any] = {}
    registers_fields_rest(regs, fields, recipe)
    return fields


def registers_fields_rest(regs: tuple[Register, ...], fields: dict[str, Any], recipe: _Recipe) -> None:
    """Add to ``fields`` what ``recipe`` (or a part of one) says (registers_to_fields's rules)."""
    by_field, specials = recipe
    for f, idx in by_field:
        for i in idx:
            v = regs[i].value
            if type(v) is int or type(v) is float:
                fields[f] = float(v)
                break
    if specials:
        special = {code: regs[i] for code, i in specials}
        r: Register | None
        for code in _METER_ID:
            r = special.get(code)
            if r is not None and r.value not in (None, ""):
                fields["meter_id"] = _text(r.value)
                break
        for code in _METER_MODEL:
            r = special.get(code)
            if r is not None and r.value not in (None, ""):
                fields["meter_model"] = _text(r.value)
                break
        for code in _CLOCK:
            r = special.get(code)
            if r is not None and isinstance(r.value, _dt.datetime):
                fields["clock"] = r.value
                break
        tariff = special.get(_TARIFF)
        if tariff is not None and tariff.value is not None:
            t = _text(tariff.value)
            fields["tariff"] = t if not (t.isascii() and t.isdigit()) else f"T{int(t)}"


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.hex()
    return str(v)
