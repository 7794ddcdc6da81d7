"""The fast path of the P1 decoder (issue 16): a plan per telegram *shape*, offsets never built.

A meter sends the same telegram every second with other digits: the same header, the same
ids in the same order, the same brackets, units, S/W flags and blanks; only digits move. So
the work that depends on the layout is done once per shape and cached, and the per-telegram
work is: one C-level ``bytes.translate`` that turns every digit into ``0`` (the *mask*),
the CRC, slicing the value texts out at the positions the plan knows, converting them and
building the Registers and the Reading.

How a telegram is keyed, and why a plan is valid for every telegram with that key:

* The key is ``(mask, skeleton, profile)``: the mask is the telegram from ``/`` to ``!`` with
  every ASCII digit replaced by ``0``; the *skeleton* is the text outside the value brackets
  (header, ids, line ends, ``!``) with its real digits. Two telegrams with the same key
  differ only in the digits inside ``( )``.
* Every decision of the full path (:func:`.telegram.parse_telegram`, :func:`.mapping.register_of`,
  :func:`.mapping.reading_fields`) that looks at a value's text tests a character class in
  which a digit stays a digit (``\\d``, ``[0-9A-Fa-f]``, ``[A-Za-z0-9]``, ``.``): the same for
  the mask and for the telegram. Where the outcome depends on which digits they are (a date
  that may not exist, hex text that may not be printable, a unit with a digit in it such as
  ``m3``), the plan calls the full path's function on the value every time, or the line is
  decoded by :func:`.mapping.register_of` itself ("generic" lines).
* The plan is built from the key alone (the mask with the skeleton's digits put back) by the
  full path's own parser, so a plan cannot depend on a value it did not see in the key.

Anything unusual (no ``!`` line, a bracket left open or nested, a bad CRC, leading garbage,
several telegrams, a decimal context that could round) makes the fast path decline
(``None``) and the full path decode, so errors, their offsets and :func:`inspect` come from
the full path unchanged. tests/test_p1_fast_plan.py holds the two paths equal on every real
telegram and on generated and mutated ones.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import functools
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from ..errors import DecodeError
from ..model import Reading, Register
from ..obis import ObisCode
from .crc import crc16_arc
from .mapping import (
    _CLOCK,
    _HEX_PAIRS,
    _METER_IDS,
    _NUM,
    _TARIFF,
    _TOTAL_CODES,
    _TST,
    COUNTERS,
    FIELDS,
    FORMAT,
    UNITS,
    Zone,
    _hex_text,
    _is_int,
    _line_head,
    parse_tst,
    reading_fields,
    register_of,
    zone_for,
)
from .telegram import _CRC, parse_telegram

__all__ = ["fast_reading", "plan_for"]

# every ASCII digit -> "0" (bytes.translate: one C pass over the telegram)
_MASK = bytes.maketrans(b"123456789", b"000000000")
# a value bracket on one physical line, nothing nested
_VALUE = re.compile(r"\(([^()\r\n]*)\)")
_DIGIT = re.compile(r"[0-9]")
# digit characters a number may have and still convert without rounding in Decimal's
# default 28-digit context (the product with 1000 adds three digits)
_MAX_DIGITS = 20

_new = tuple.__new__

# line kinds
K_NUM, K_TEXT, K_COUNTER, K_HEX, K_STAMP, K_CLOCK, K_GENERIC = range(7)


class Layout(NamedTuple):
    """Where the value texts are in a telegram of one mask (cached per mask)."""

    spans: tuple[tuple[int, int], ...]       # value texts (inside the brackets)
    values: Callable[[str], tuple[str, ...]]  # text -> the value texts, in order
    skeleton: Callable[[str], tuple[str, ...]]  # text -> the parts outside the values


class Plan(NamedTuple):
    """What to do with the values of a telegram of one key (cached per key)."""

    ops: tuple[tuple[Any, ...], ...]
    profile: str
    zone: Zone
    meter_model: str
    decimal: bool                  # a number is multiplied in Decimal by the full path
    fields: tuple[tuple[str, int], ...] | None   # None: reading_fields() on the registers
    totals: tuple[tuple[str, tuple[int, ...]], ...]
    clock: int | None
    tariff: int | None
    meter_ids: tuple[int, ...]


@functools.lru_cache(maxsize=128)
def _layout(masked: bytes) -> Layout | None:
    text = masked.decode("latin-1")
    body = text.find("\n")
    if body < 0:
        return None
    spans = tuple(m.span(1) for m in _VALUE.finditer(text, body + 1))
    # every bracket must be one of those pairs (none in the header line, none left open)
    if len(spans) < 2 or text.count("(") != len(spans) or text.count(")") != len(spans):
        return None
    return Layout(spans, operator.itemgetter(*(slice(a, b) for a, b in spans)),
                  operator.itemgetter(*(slice(a, b) for a, b in _outside(spans, len(text)))))


def _outside(spans: tuple[tuple[int, int], ...], n: int) -> list[tuple[int, int]]:
    """The stretches around the value texts (they keep the brackets)."""
    out = []
    pos = 0
    for a, b in spans:
        out.append((pos, a))
        pos = b
    out.append((pos, n))
    return out


def _context_ok() -> bool:
    # the full path multiplies Decimal(digits) by 1 or 1000 in the thread's context; with at
    # least 28 digits of precision and room for the exponent that product is exact, and
    # float() of it is float() of the digit string scaled, which the fast path computes
    c = decimal.getcontext()
    return c.prec >= 28 and c.Emax >= 999 and c.Emin <= -999


def fast_reading(data: bytes, start: int, profile: str | None) -> tuple[Reading, int] | None:
    """The Reading of the telegram at ``data[start]`` (a ``/``) and the offset after its
    ``!`` line, or None when the full path must decode it (anything unusual, any error)."""
    nl = data.find(b"\n", start)
    if nl < 0:
        return None
    bang = data.find(b"\n!", nl)
    if bang < 0:
        return None
    bang += 1
    cm = _CRC.match(data, bang)
    if cm is None:
        return None
    tele = data[start:bang + 1]
    masked = tele.translate(_MASK)
    layout = _layout(masked)
    if layout is None:
        return None
    text = tele.decode("latin-1")
    plan = plan_for(masked, "".join(layout.skeleton(text)), profile)
    if plan is None:
        return None
    crc_text = cm.group(1)
    if crc_text and int(crc_text, 16) != crc16_arc(tele):
        return None
    if plan.decimal and not _context_ok():
        return None
    return _apply(plan, layout.values(text)), cm.end()


@functools.lru_cache(maxsize=128)
def plan_for(masked: bytes, skeleton: str, profile: str | None) -> Plan | None:
    """The plan of a telegram key, built by the full path's parser from the key alone."""
    layout = _layout(masked)
    if layout is None:
        return None
    mtext = masked.decode("latin-1")
    # the telegram as the key knows it: the skeleton with its digits, values masked
    parts = []
    skel_pos = 0
    for (a, b), (sa, sb) in zip(layout.spans, _outside(layout.spans, len(mtext))):
        parts.append(skeleton[skel_pos:skel_pos + sb - sa])
        skel_pos += sb - sa
        parts.append(mtext[a:b])
    parts.append(skeleton[skel_pos:])
    text = "".join(parts)
    if len(text) != len(mtext):
        return None
    try:
        t = parse_telegram(text.encode("latin-1"), 0, check_crc=False)
        name, zone = zone_for(t.header.flag, profile)
    except (DecodeError, ValueError):
        return None
    if t.crc_given is not None or t.end != len(text):
        return None
    groups = [g for line in t.lines for g in line.groups]
    if [(g.start + 1, g.end - 1) for g in groups] != list(layout.spans) or any(
            g.text != text[g.start + 1:g.end - 1] for g in groups):
        return None                 # a wrapped bracket or anything the layout saw otherwise
    ops = []
    kinds = []
    units: list[str | None] = []
    needs_decimal = False
    vi = 0
    for line in t.lines:
        n = len(line.groups)
        op = _line_op(line.obis_text, line.obis, tuple(g.text for g in line.groups), vi)
        vi += n
        ops.append(op)
        kinds.append(op[0])
        units.append(op[6] if op[0] == K_NUM else None)
        needs_decimal = needs_decimal or (op[0] == K_NUM and op[6] is not None)
    obis = [line.obis for line in t.lines]
    return Plan(tuple(ops), name, zone, t.header.text[1:], needs_decimal,
                *_field_plan(obis, kinds, units))


def _line_op(obis_text: str, o: ObisCode | None, sent: tuple[str, ...], vi: int) -> tuple[Any, ...]:
    """``(kind, value index, a, b, x, key, unit, obis, description, static extra)`` of a line,
    from its masked value texts; a, b cut the value out of its text (without the blanks the
    full path strips), x is the kind's parameter."""
    key, desc, obis_sent, channel = _line_head(obis_text, o)
    static: dict[str, Any] = {}
    if obis_sent is not None:
        static["obis_sent"] = obis_sent
    if channel is not None:
        static["channel"] = channel

    def op(kind: int, a: int = 0, b: int = 0, x: Any = None, unit: str | None = None,
           extra: dict[str, Any] | None = None) -> tuple[Any, ...]:
        return (kind, vi, a, b, x, key, unit, o, desc, extra if extra is not None else static)

    generic = (K_GENERIC, slice(vi, vi + len(sent)), 0, 0, obis_text, key, None, o, desc, static)
    if len(sent) != 1:
        return generic
    raw = sent[0]
    t = raw.strip()
    a = len(raw) - len(raw.lstrip())
    b = a + len(t)
    sig = (o.a, o.c, o.d, o.e) if o is not None else None
    if sig == (0, 1, 0, 0):
        return op(K_CLOCK, a, b) if _TST.fullmatch(t) else generic
    if sig is not None and sig[0] == 0 and ((sig[1], sig[2]) == (96, 1) or sig[1:] == (42, 0, 0)
                                            or (sig[1], sig[2]) == (96, 13)):
        return op(K_HEX, a, b) if _HEX_PAIRS.fullmatch(t) else op(K_TEXT, a, b)
    if sig == (1, 99, 97, 0):
        return generic
    if o is not None and o in COUNTERS and _is_int(t):
        return op(K_COUNTER, a, b)
    if _TST.fullmatch(t):
        return op(K_STAMP, a, b)
    m = _NUM.fullmatch(t)
    if m is None:
        return op(K_TEXT, a, b)
    digits, star_unit, bare_unit = m.groups()
    unit = star_unit if star_unit is not None else bare_unit
    if unit is not None and _DIGIT.search(unit):
        return generic              # m3 and the like: which digit it is decides the unit
    if bare_unit is not None and bare_unit.lower() not in UNITS:
        return op(K_TEXT, a, b)
    if len(digits) > _MAX_DIGITS:
        return generic
    da, db = a + m.start(1), a + m.end(1)
    unit = unit.strip() if unit is not None else None
    if not unit:
        if "." not in digits:
            return op(K_TEXT, a, b)
        return op(K_NUM, da, db, "", None)
    si, factor = UNITS.get(unit.lower(), (unit, 1))
    if factor not in (1, 1000):
        return generic
    extra = dict(static)
    if unit != si:
        extra["unit_sent"] = unit
    return op(K_NUM, da, db, "e3" if factor == 1000 else "", si, extra)


def _field_plan(obis: list[ObisCode | None], kinds: list[int], units: list[str | None]
                ) -> tuple[Any, ...]:
    """(fields, totals, clock, tariff, meter ids) as reading_fields() finds them; fields None
    when a register a field depends on is decoded generically (its type is known only then)."""
    first: dict[ObisCode, int] = {}
    for i, o in enumerate(obis):
        if o is not None:
            first.setdefault(o, i)
    fields: list[tuple[str, int]] = []
    taken: set[str] = set()
    for code, (field, si) in FIELDS.items():
        at = first.get(code)
        if at is None:
            continue
        if kinds[at] == K_GENERIC:
            return None, (), None, None, ()
        if kinds[at] == K_NUM and units[at] == si:
            fields.append((field, at))
            taken.add(field)
    totals: list[tuple[str, tuple[int, ...]]] = []
    for field, (si, codes) in _TOTAL_CODES.items():
        if field in taken:
            continue
        idx = tuple(first[c] for c in codes if c in first)
        if any(kinds[i] == K_GENERIC for i in idx):
            return None, (), None, None, ()
        if idx and all(kinds[i] == K_NUM and units[i] == si for i in idx):
            totals.append((field, idx))
    return (tuple(fields), tuple(totals), first.get(_CLOCK), first.get(_TARIFF),
            tuple(first[c] for c in _METER_IDS if c in first))


def _apply(plan: Plan, values: tuple[str, ...]) -> Reading:
    zone = plan.zone
    regs: list[Register] = []
    append = regs.append
    for kind, vi, a, b, x, key, unit, o, desc, static in plan.ops:
        if kind == K_NUM:
            t = values[vi]
            append(_new(Register, (key, float(t[a:b] + x), unit, o, desc, {"raw": t, **static})))
            continue
        if kind == K_GENERIC:
            append(register_of(x, o, values[vi], zone))
            continue
        t = values[vi]
        s = t[a:b]
        value: Any
        if kind == K_TEXT:
            value = s
        elif kind == K_COUNTER:
            value = int(s)
        elif kind == K_HEX:
            decoded = _hex_text(s)
            value = decoded if decoded is not None else s
        elif kind == K_STAMP:
            value = parse_tst(s, zone) or s
        else:  # K_CLOCK
            value = parse_tst(s, zone)
        append(_new(Register, (key, value, None, o, desc, {"raw": t, **static})))
    registers = tuple(regs)
    if plan.fields is None:
        fields = reading_fields(registers)
    else:
        fields = {field: registers[i][1] for field, i in plan.fields}
        for field, idx in plan.totals:
            fields[field] = float(sum(Decimal(repr(registers[i][1])) for i in idx))
        if plan.clock is not None:
            v = registers[plan.clock][1]
            if isinstance(v, _dt.datetime):
                fields["timestamp"] = v
        if plan.tariff is not None:
            v = registers[plan.tariff][1]
            if isinstance(v, str) and _is_int(v):
                fields["tariff"] = f"T{int(v)}"
        for i in plan.meter_ids:
            v = registers[i][1]
            if isinstance(v, str) and v.strip():
                fields["meter_id"] = v.strip()
                break
    return Reading(format=FORMAT, profile=plan.profile, meter_model=plan.meter_model,
                   registers=registers, **fields)
