"""The fast path of the P1 decoder (issue 16): a plan per telegram *shape*, offsets never built.

A meter sends the same telegram every second with other digits: the same header, the same
ids in the same order, the same brackets, units, S/W flags and blanks; only digits move. So
the work that depends on the layout is done once per shape, and the per-telegram work is:
one C-level ``bytes.translate`` that turns every digit into ``0`` (the *mask*), a cache
lookup, the CRC, slicing the value texts out at the positions the plan knows, and the plan's
``build``: one generated straight-line function that converts the values and builds the
Registers and the Reading (no Line/Group objects, no offsets, no dispatch per line).

How a telegram is keyed, and why a plan is right for every telegram with that key:

* The key is ``(mask, skeleton, profile)``: the mask is the telegram from ``/`` to ``!`` with
  every ASCII digit replaced by ``0``; the *skeleton* is the text around the value brackets
  (header, ids, line ends, ``!``) with its real digits. Two telegrams with the same key
  differ only in the digits inside ``( )``.
* Every decision of the full path (:func:`.telegram.parse_telegram`, :func:`.mapping.register_of`,
  :func:`.mapping.reading_fields`) that looks at a value's text tests character classes in
  which a digit stays a digit (``\\d``, ``[0-9A-Fa-f]``, ``[A-Za-z0-9³]``, white space): the
  same for the mask and for the telegram. Where the outcome depends on *which* digits they
  are, the generated code applies the full path's rule to the value each time: a date that
  may not exist (:func:`_stamp` gives None like ``parse_tst``), hex text that may not be
  printable (:func:`_hex_str`), a unit with a digit in it such as ``m3`` (:func:`_num_unit`
  looks it up), the Decimal arithmetic (exact for at most 20 digit characters in a context
  of at least 28 digits, else declined; tariff sums in :func:`_total`). A line the plan has
  no rule for is decoded by :func:`.mapping.register_of` itself.
* The plan is built from the key alone (the mask with the skeleton's digits put back) by the
  full path's own parser, so a plan cannot depend on a value it did not see in the key.
* A shape gets its plan at its :data:`BUILD_AFTER`-th telegram while in the bounded cache
  (building one costs about 2 ms, mostly ``compile()``); until then, and for shapes that
  never come back, the full path decodes and the fast path cost only the key (a few µs).

Anything unusual (no ``!`` line, a bracket left open or nested, a bad CRC, leading garbage,
several telegrams, a telegram over :data:`MAX_TELEGRAM` bytes) makes the fast path decline
(``None``) and the full path decode, so errors, their offsets and ``inspect`` come from the
full path unchanged. tests/test_p1_fast_plan.py holds the two paths equal on every real
telegram and on generated and mutated ones.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import functools
import itertools
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
    PowerFailure,
    Zone,
    _dsmr22_profile,
    _hex_text,
    _is_int,
    _line_head,
    _Num,
    combine_parts,
    failure_start,
    reading_fields,
    register_of,
    stamp_zone,
    zone_for,
)
from .telegram import _CRC, parse_telegram

__all__ = ["BUILD_AFTER", "MAX_TELEGRAM", "Plan", "fast_parse", "fast_reading", "plan_for"]

# every ASCII digit -> "0" (bytes.translate: one C pass over the telegram)
_MASK = bytes.maketrans(b"123456789", b"000000000")
# a value bracket on one physical line, nothing nested
_VALUE = re.compile(r"\(([^()\r\n]*)\)")
_DIGIT = re.compile(r"[0-9]")
# digit characters a number may have and still convert without rounding in Decimal's
# default 28-digit context (the product with 1000 adds three digits)
_MAX_DIGITS = 20
# integers below this are exact in a float, in repr() and in a sum of a few in Decimal
_EXACT = 2.0 ** 53

_new = tuple.__new__

# how a group's value is read (register_of's rules, decided per shape)
_S_NUM, _S_NUMU, _S_TEXT, _S_STAMP, _S_INT = range(5)


class Layout(NamedTuple):
    """Where the value texts are in a telegram of one mask (cached per mask)."""

    spans: tuple[tuple[int, int], ...]         # value texts (inside the brackets)
    # text -> its pieces: the parts around the values (even indices) and the values (odd)
    pieces: Callable[[str], tuple[str, ...]]


class Plan(NamedTuple):
    """A telegram key's decoder: ``build(values, quality) -> Reading``."""

    build: Callable[[tuple[str, ...], str | None], Reading]
    decimal: bool      # the full path computes a value in the thread's Decimal context
    source: str        # the generated source of build (for tests and debugging)


def _no_build(values: tuple[str, ...], quality: str | None) -> Reading:
    raise AssertionError("the plan of a shape the full path decodes is never applied")


_NO_PLAN = Plan(_no_build, False, "")   # a shape the full path decodes (e.g. it raises)


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
    cuts = [0]
    for a, b in spans:
        cuts += (a, b)
    cuts.append(len(text))
    return Layout(spans, operator.itemgetter(*(slice(a, b) for a, b in itertools.pairwise(cuts))))


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
    # the full path multiplies Decimal(digits) by 1 or 1000 and sums tariff registers in the
    # thread's context; with at least 28 digits of precision and room for the exponent those
    # results are exact, and the fast path computes the same exact values without Decimal
    c = decimal.getcontext()
    return c.prec >= 28 and c.Emax >= 999 and c.Emin <= -999


def fast_parse(data: bytes, start: int, profile: str | None) -> tuple[Plan, tuple[str, ...], int] | None:
    """The plan and the value texts of the telegram at ``data[start]`` (a ``/``) and the
    offset after its ``!`` line, CRC checked; None when the full path must decode it
    (anything unusual, any error). ``plan.build(values, quality)`` makes the Reading."""
    if type(data) is not bytes:
        return None                 # a bytearray: not hashable as a cache key
    nl = data.find(b"\n", start)
    if nl < 0:
        return None
    bang = data.find(b"\n!", nl, start + MAX_TELEGRAM)
    if bang < 0:
        return None                 # no end, or longer than any telegram (the key is cached)
    bang += 1
    cm = _CRC.match(data, bang)
    if cm is None:
        return None
    tele = data[start:bang + 1]
    masked = tele.translate(_MASK)
    layout = _layout(masked)
    if layout is None:
        return None
    pieces = layout.pieces(tele.decode("latin-1"))
    shape = _shape(masked, "".join(pieces[::2]), profile)
    plan = shape.plan
    if plan is None:
        # a shape gets its plan when it comes back (BUILD_AFTER telegrams while cached):
        # building one (about 2 ms, mostly compile()) for a shape seen once would make
        # telegrams of ever new shapes (many meters interleaved, more than the cache holds)
        # far slower than the full path; those only pay for the key (a few us)
        shape.uses += 1
        if shape.uses < BUILD_AFTER:
            return None
        plan = shape.plan = plan_for(*shape.key) or _NO_PLAN
    if plan is _NO_PLAN:
        return None
    crc_text = cm.group(1)
    if crc_text and int(crc_text, 16) != crc16_arc(tele):
        return None
    if plan.decimal and not _context_ok():
        return None
    return plan, pieces[1::2], cm.end()


def fast_reading(data: bytes, start: int, profile: str | None) -> tuple[Reading, int] | None:
    """:func:`fast_parse` and the Reading: ``(Reading, end)`` or None."""
    got = fast_parse(data, start, profile)
    if got is None:
        return None
    plan, values, end = got
    return plan.build(values, None), end


#: the longest telegram the fast path takes (codec.MAX_TELEGRAM, the stream's bound): the
#: caches keep each shape's telegram text, so at most 128 times this
MAX_TELEGRAM = 8192

#: telegrams of one shape (while it stays in the cache) before its plan is built
BUILD_AFTER = 3


class _Shape:
    """A telegram shape seen lately: how often, and its plan once it has come back. Lives
    only in the bounded cache of :func:`_shape`; what it holds changes the speed, never a
    result (a race between threads at worst builds a plan twice)."""

    __slots__ = ("key", "plan", "uses")

    def __init__(self, key: tuple[bytes, str, str | None]) -> None:
        self.key = key
        self.uses = 0
        self.plan: Plan | None = None


@functools.lru_cache(maxsize=128)
def _shape(masked: bytes, skeleton: str, profile: str | None) -> _Shape:
    return _Shape((masked, skeleton, profile))


def plan_for(masked: bytes, skeleton: str, profile: str | None) -> Plan | None:
    """The plan of a telegram key, built by the full path's parser from the key alone
    (None: the full path decides, e.g. it raises)."""
    layout = _layout(masked)
    if layout is None:
        return None
    mtext = masked.decode("latin-1")
    # the telegram as the key knows it: the skeleton with its digits, the values masked
    parts = []
    at = 0
    for (a, b), (sa, sb) in zip(layout.spans, _outside(layout.spans, len(mtext))):
        parts.append(skeleton[at:at + sb - sa])
        at += sb - sa
        parts.append(mtext[a:b])
    parts.append(skeleton[at:])
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
    em = _Emitter(zone, [b - a for a, b in layout.spans])
    vi = 0
    for i, line in enumerate(t.lines):
        sent = tuple(g.text for g in line.groups)
        em.line(i, line.obis_text, line.obis, sent, vi)
        vi += len(sent)
    return em.finish([line.obis for line in t.lines], name, t.header.text[1:])


class _Emitter:
    """Writes a plan's ``build`` function, line by line (the way ``dataclasses`` and
    ``namedtuple`` write their methods): straight-line code, no loop, no dispatch per line.

    Nothing from the telegram is written into the source: every key, description, OBIS
    code, unit, zone and static ``extra`` is a name bound in the function's namespace; the
    source holds only generated names, integer offsets, the exponent literal ``"e3"`` and
    the fixed ``extra`` keys of :data:`_EXTRA_KEYS`."""

    def __init__(self, zone: Zone, lengths: list[int]) -> None:
        self.zone = zone
        self.lengths = lengths
        self.ns: dict[str, Any] = {
            "new": _new, "Register": Register, "Reading": Reading, "zone": zone, "stamp": _stamp,
            "hexstr": _hex_str, "register_of": register_of, "multi": _multi, "dsmr22": _dsmr22,
            "num_unit_register": _num_unit_register, "reading_fields": reading_fields, "failures": _failures,
            "datetime": _dt.datetime, "tariff_of": _tariff_of, "meter_id_of": _meter_id_of,
            "total": _total, "FORMAT": FORMAT,
        }
        self.src = ["def build(v, quality):"]
        self.values: list[str] = []                          # each register's value expression
        self.types: list[tuple[bool, str | None] | None] = []  # (float?, unit); None: value tells
        self.kinds: list[str] = []
        self.decimal = False

    def const(self, value: Any) -> str:
        name = f"c{len(self.ns)}"
        self.ns[name] = value
        return name

    def line(self, i: int, obis_text: str, o: ObisCode | None, sent: tuple[str, ...], vi: int) -> None:
        """Code for one object line from its masked value texts (see register_of)."""
        key, desc, obis_sent, channel = _line_head(obis_text, o)
        static: dict[str, Any] = {}
        if obis_sent is not None:
            static["obis_sent"] = obis_sent
        if channel is not None:
            static["channel"] = channel
        head = (self.const(key), self.const(o), self.const(desc))
        sig = (o.a, o.c, o.d, o.e) if o is not None else None
        n = len(sent)
        group = f"v[{vi}:{vi + n}]"

        def generic() -> None:
            self.src.append(f"    r{i} = register_of({self.const(obis_text)}, {head[1]}, {group}, zone)")
            self._register(i, f"r{i}[1]", None, "generic")
            self.decimal = True

        if n != 1:
            if sig == (1, 99, 97, 0):       # the power failure log
                failures = self._failures(sent)
                if failures is None:
                    return generic()
                self.src.append(f"    r{i} = failures({group}, {self.const(failures)}, {head[0]}, {head[1]}, "
                                f"{head[2]}, {self.const(static)})")
                self._register(i, f"r{i}[1]", (False, None), "failures")
                return None
            if sig == (0, 24, 3, 0) and n >= 7:     # the DSMR 2.2/3.0 gas profile
                self.src.append(f"    r{i} = dsmr22({group}, {self.const(self._dsmr22(sent))}, {head[0]}, "
                                f"{head[1]}, {head[2]}, {self.const(static)}, zone)")
                self._register(i, f"r{i}[1]", None, "dsmr22")
                self.decimal = True
                return None
            subs = []
            for raw in sent:
                sub = self._group(raw)
                if sub is None:
                    return generic()
                subs.append(sub)
            if n == 2 and subs[0][0] == _S_STAMP and _is_int(sent[1].strip()):
                subs[1] = (_S_INT, *subs[1][1:3])   # register_of's "(TST)(00000000)" rule
            self.src.append(f"    r{i} = multi({group}, {self.const(tuple(subs))}, {self.const(static)}, "
                            f"{head[0]}, {head[1]}, {head[2]}, zone)")
            # combine_parts: one number among stamps and texts is the value, several a tuple
            nums = [sub for sub in subs if sub[0] in (_S_NUM, _S_NUMU, _S_INT)]
            mtype = (False, None) if len(nums) != 1 else (
                (True, nums[0][4]) if nums[0][0] == _S_NUM else (True, None) if nums[0][0] == _S_INT else None)
            self._register(i, f"r{i}[1]", mtype, "multi")
            self.decimal = True
            return None
        raw = sent[0]
        t = raw.strip()
        a = len(raw) - len(raw.lstrip())
        cut = f"t{i}" if (a, len(t)) == (0, self.lengths[vi]) else f"t{i}[{a}:{a + len(t)}]"
        unit: str | None = None
        vtype: tuple[bool, str | None] | None = (False, None)
        if sig == (0, 1, 0, 0):
            if not _TST.fullmatch(t):
                return generic()            # a COSEM date-time in hex, or no date at all
            expr, kind = f"stamp({cut}, {self.const(stamp_zone(t[12:], self.zone))})", "clock"
        elif sig is not None and sig[0] == 0 and ((sig[1], sig[2]) == (96, 1) or sig[1:] == (42, 0, 0)
                                                  or (sig[1], sig[2]) == (96, 13)):
            expr, kind = (f"hexstr({cut})", "hex") if _HEX_PAIRS.fullmatch(t) else (cut, _text_kind(t))
        elif sig == (1, 99, 97, 0):
            return generic()
        elif o is not None and o in COUNTERS and _is_int(t):
            expr, kind = f"int({cut})", "int"
        else:
            sub = self._group(raw)
            if sub is None:
                return generic()
            if sub[0] == _S_STAMP:
                expr, kind = f"(stamp({cut}, {self.const(sub[3])}) or {cut})", "stamp"
            elif sub[0] == _S_TEXT:
                expr, kind = cut, _text_kind(t)
            elif sub[0] == _S_NUMU:
                _, da, db, ua, ub = sub
                self.src.append(f"    r{i} = num_unit_register(v[{vi}], {da}, {db}, {ua}, {ub}, {head[0]}, "
                                f"{head[1]}, {head[2]}, {self.const(static)})")
                self._register(i, f"r{i}[1]", None, "num")
                self.decimal = True
                return None
            else:
                _, da, db, exp, unit, unit_sent = sub
                digits = f"t{i}" if (da, db) == (0, self.lengths[vi]) else f"t{i}[{da}:{db}]"
                expr, kind = (f"float({digits} + 'e3')" if exp else f"float({digits})"), "num"
                vtype = (True, unit)
                if unit_sent is not None:
                    static["unit_sent"] = unit_sent
                self.decimal = self.decimal or unit is not None
        assert all(k in _EXTRA_KEYS for k in static)
        extra = "".join(f", {k!r}: {self.const(val)}" for k, val in static.items())
        self.src.append(f"    t{i} = v[{vi}]")
        self.src.append(f"    x{i} = {expr}")
        self.src.append(f"    r{i} = new(Register, ({head[0]}, x{i}, {self.const(unit)}, {head[1]}, {head[2]}, "
                        f"{{'raw': t{i}{extra}}}))")
        self._register(i, f"x{i}", vtype, kind)
        return None

    def _register(self, i: int, value: str, vtype: tuple[bool, str | None] | None, kind: str) -> None:
        assert len(self.values) == i
        self.values.append(value)
        self.types.append(vtype)
        self.kinds.append(kind)

    def _group(self, raw: str) -> tuple[Any, ...] | None:
        """How register_of's general rule reads one (masked) group: ``(_S_STAMP, a, b, tz)``,
        ``(_S_TEXT, a, b)``, ``(_S_NUM, a, b, exponent, SI unit, unit as sent)`` with the
        digits at ``a:b``, ``(_S_NUMU, a, b, ua, ub)`` for a unit at ``ua:ub`` with a digit in
        it (``m3``: the digit decides the unit, so it is looked up per telegram); None when
        only register_of can tell (a bare unit with a digit, a number that could round)."""
        t = raw.strip()
        a = len(raw) - len(raw.lstrip())
        if _TST.fullmatch(t):
            return (_S_STAMP, a, a + len(t), stamp_zone(t[12:], self.zone))
        return _number_plan(t, a)

    def _failures(self, sent: tuple[str, ...]) -> tuple[Any, ...] | None:
        """``(count is an int, ((stamp tzinfo or False, duration plan), ...))`` of a power
        failure log of several groups (see _failure_log) from its masked texts; None:
        decoded by _failure_log itself."""
        texts = [t.strip() for t in sent]
        rest = texts[2:]
        pairs = []
        for k in range(0, len(rest) - 1, 2):
            duration = _number_plan(rest[k + 1], 0)
            if duration is None:
                return None
            if duration[0] == _S_TEXT:      # not a number: a unit-less count of seconds or None
                duration = (_S_INT,) if _is_int(rest[k + 1]) else (_S_TEXT,)
            tz = stamp_zone(rest[k][12:], self.zone) if _TST.fullmatch(rest[k]) else False
            pairs.append((tz, duration))
        return bool(_is_int(texts[0])), tuple(pairs)

    def _dsmr22(self, sent: tuple[str, ...]) -> tuple[Any, ...] | None:
        """``(stamp tzinfo or False, period is an int, unit group given, value plan)`` of a
        gas profile line (see _dsmr22_profile) from its masked texts; None: decoded by
        _dsmr22_profile itself."""
        texts = [t.strip() for t in sent]
        try:
            int(texts[2])
            period = True
        except ValueError:
            period = False
        composite = f"{texts[-1]}*{texts[5]}" if texts[5] else texts[-1]
        value = _number_plan(composite.strip(), len(composite) - len(composite.lstrip()))
        if value is None:
            return None
        tz = stamp_zone(texts[0][12:], self.zone) if _TST.fullmatch(texts[0]) else False
        return (tz, period, bool(texts[5]), value)

    def finish(self, obis: list[ObisCode | None], profile: str, meter_model: str) -> Plan:
        n = len(self.values)
        self.src.append(f"    regs = ({''.join(f'r{i}, ' for i in range(n))})")
        head = (f"    return Reading(format=FORMAT, profile={self.const(profile)}, "
                f"meter_model={self.const(meter_model)}, registers=regs, quality=quality")
        fields, totals, clock, tariff, meter_ids = _field_plan(obis, self.types)
        if fields is None:
            self.src.append(head + ", **reading_fields(regs))")
        else:
            val = self.values
            kw: dict[str, str] = {field: val[i] for field, i in fields}
            for field, idx in totals:
                kw[field] = f"total({', '.join(val[i] for i in idx)})"
                self.decimal = True
            if clock is not None:
                kw["timestamp"] = val[clock] if self.kinds[clock] == "clock" else (
                    f"({val[clock]} if isinstance({val[clock]}, datetime) else None)")
            if tariff is not None:
                kw["tariff"] = (f"'T' + str(int({val[tariff]}))" if self.kinds[tariff] == "int-text" else
                                "None" if self.kinds[tariff] == "text" else f"tariff_of({val[tariff]})")
            if meter_ids and all(self.kinds[i] in ("text", "int-text", "hex") for i in meter_ids):
                # str values: the first that is not blank, stripped (as reading_fields)
                kw["meter_id"] = f"({' or '.join(f'{val[i]}.strip()' for i in meter_ids)} or None)"
            elif meter_ids:
                kw["meter_id"] = f"meter_id_of(({''.join(f'{val[i]}, ' for i in meter_ids)}))"
            assert all(k in _READING_FIELDS for k in kw)
            self.src.append(head + "".join(f", {k}={e}" for k, e in kw.items()) + ")")
        source = "\n".join(self.src)
        exec(compile(source, "<p1 telegram plan>", "exec"), self.ns)  # noqa: S102 - see the class docstring
        return Plan(self.ns["build"], self.decimal, source)


def _number_plan(t: str, a: int) -> tuple[Any, ...] | None:
    """How ``_number`` reads a (stripped, masked) text found at offset ``a``: ``(_S_TEXT, a, b)``
    (not a number: the text stays), ``(_S_NUM, da, db, exponent, SI unit, unit as sent)``
    with the digits at ``da:db``, ``(_S_NUMU, da, db, ua, ub)`` for a unit at ``ua:ub`` with
    a digit in it (``m3``: the digit decides the unit, so it is looked up per telegram);
    None when only the full path can tell (a bare unit with a digit, a number that could
    round)."""
    b = a + len(t)
    m = _NUM.fullmatch(t)
    if m is None:
        return (_S_TEXT, a, b)
    digits, star_unit, bare_unit = m.groups()
    if bare_unit is not None:
        if _DIGIT.search(bare_unit):
            return None         # "4m3" or "4B38": text or number as the digit decides
        if bare_unit.lower() not in UNITS:
            return (_S_TEXT, a, b)
    if len(digits) > _MAX_DIGITS:
        return None
    da, db = a + m.start(1), a + m.end(1)
    unit = star_unit if star_unit is not None else bare_unit
    if unit is not None and unit.strip():
        if _DIGIT.search(unit):     # a star unit here: a bare one with a digit returned above
            ua = a + m.start(2) + len(unit) - len(unit.lstrip())
            return (_S_NUMU, da, db, ua, ua + len(unit.strip()))
        unit = unit.strip()
        si, factor = UNITS.get(unit.lower(), (unit, 1))
        if factor not in (1, 1000):
            return None
        return (_S_NUM, da, db, "e3" if factor == 1000 else "", si, unit if unit != si else None)
    if "." not in digits:
        return (_S_TEXT, a, b)
    return (_S_NUM, da, db, "", None, None)


def _text_kind(t: str) -> str:
    # a text value's kind; "int-text" when it is ASCII digits (a tariff "0002": the digits
    # never change that, so the Reading's tariff is "T" + the number without a test)
    return "int-text" if _is_int(t) else "text"


_EXTRA_KEYS = ("obis_sent", "channel", "unit_sent")
_READING_FIELDS = frozenset(Reading.__dataclass_fields__)


def _field_plan(obis: list[ObisCode | None], types: list[tuple[bool, str | None] | None]
                ) -> tuple[Any, ...]:
    """(fields, totals, clock, tariff, meter ids) as reading_fields() finds them; fields None
    when a register a field depends on has a type only its value tells."""
    first: dict[ObisCode, int] = {}
    for i, o in enumerate(obis):
        if o is not None:
            first.setdefault(o, i)
    dynamic: tuple[Any, ...] = (None, (), None, None, ())
    fields: list[tuple[str, int]] = []
    taken: set[str] = set()
    for code, (field, si) in FIELDS.items():
        at = first.get(code)
        if at is None:
            continue
        ty = types[at]
        if ty is None:
            return dynamic
        if ty == (True, si):
            fields.append((field, at))
            taken.add(field)
    totals: list[tuple[str, tuple[int, ...]]] = []
    for field, (si, codes) in _TOTAL_CODES.items():
        if field in taken:
            continue
        idx = tuple(first[c] for c in codes if c in first)
        if any(types[i] is None for i in idx):
            return dynamic
        if idx and all(types[i] == (True, si) for i in idx):
            totals.append((field, idx))
    return (tuple(fields), tuple(totals), first.get(_CLOCK), first.get(_TARIFF),
            tuple(first[c] for c in _METER_IDS if c in first))


# --- what the generated code calls (each the full path's rule for a value of known shape) ---

def _stamp(s: str, tz: _dt.tzinfo | None) -> _dt.datetime | None:
    """parse_tst of a text the plan knows is ``YYMMDDhhmmss[X]``, with the flag's tzinfo."""
    n = int(s[:12])
    try:
        return _dt.datetime(2000 + n // 10000000000, n // 100000000 % 100, n // 1000000 % 100,
                            n // 10000 % 100, n // 100 % 100, n % 100, 0, tz)
    except ValueError:
        return None


def _hex_str(s: str) -> str:
    """_hex_text of a text the plan knows is hex pairs, or the text itself."""
    text = _hex_text(s)
    return s if text is None else text


def _num_unit(digits: str, unit: str) -> _Num:
    """_number of ``digits*unit`` when the unit has a digit in it (looked up each time)."""
    si, factor = UNITS.get(unit.lower(), (unit, 1))
    value = float(digits + "e3") if factor == 1000 else float(digits) if factor == 1 else float(
        Decimal(digits) * factor)
    return _new(_Num, (value, si, unit if unit != si else None))


def _num_unit_register(t: str, da: int, db: int, ua: int, ub: int, key: str, o: ObisCode | None,
                       desc: str | None, static: dict[str, Any]) -> Register:
    num = _num_unit(t[da:db], t[ua:ub])
    extra = {"raw": t, **static}
    if num.unit_sent:
        extra["unit_sent"] = num.unit_sent
    return _new(Register, (key, num.value, num.unit, o, desc, extra))


def _multi(sent: tuple[str, ...], subs: tuple[tuple[Any, ...], ...], static: dict[str, Any], key: str,
           o: ObisCode | None, desc: str | None, zone: Zone) -> Register:
    """A line of several groups by register_of's general rule, each group read as planned."""
    parts: list[Any] = []
    for sub, t in zip(subs, sent):
        kind = sub[0]
        s = t[sub[1]:sub[2]]
        if kind == _S_NUM:
            parts.append(_new(_Num, (float(s + sub[3]) if sub[3] else float(s), sub[4], sub[5])))
        elif kind == _S_STAMP:
            parts.append(_stamp(s, sub[3]) or s)
        elif kind == _S_NUMU:
            parts.append(_num_unit(s, t[sub[3]:sub[4]]))
        elif kind == _S_INT:
            parts.append(_new(_Num, (float(int(s)), None, None)))
        else:
            parts.append(s)
    extra = {"raw": sent, **static}
    value, unit = combine_parts(parts, tuple(t.strip() for t in sent), extra)
    return _new(Register, (key, value, unit, o, desc, extra))


def _dsmr22(sent: tuple[str, ...], plan: tuple[Any, ...] | None, key: str, o: ObisCode | None,
            desc: str | None, static: dict[str, Any], zone: Zone) -> Register:
    """register_of's DSMR 2.2/3.0 gas profile line (_dsmr22_profile) as planned."""
    extra = {"raw": sent, **static}
    texts = tuple(t.strip() for t in sent)
    unit: str | None
    if plan is None:
        value, unit = _dsmr22_profile(texts, zone, extra)
        return _new(Register, (key, value, unit, o, desc, extra))
    tz, period, unit_group, number = plan
    extra["timestamp"] = None if tz is False else _stamp(texts[0], tz)
    extra["timestamp_raw"] = texts[0]
    extra["capture_obis"] = texts[4]
    if period:
        extra["period_minutes"] = int(texts[2])
    composite = f"{texts[-1]}*{texts[5]}" if unit_group else texts[-1]
    kind = number[0]
    if kind == _S_TEXT:
        return _new(Register, (key, texts[-1], None, o, desc, extra))
    if kind == _S_NUM:
        digits = composite[number[1]:number[2]]
        value, unit, unit_sent = float(digits + number[3]) if number[3] else float(digits), number[4], number[5]
    else:
        value, unit, unit_sent = _num_unit(composite[number[1]:number[2]], composite[number[3]:number[4]])
    if unit_sent:
        extra["unit_sent"] = unit_sent
    return _new(Register, (key, value, unit, o, desc, extra))


def _failures(sent: tuple[str, ...], plan: tuple[Any, ...], key: str, o: ObisCode | None, desc: str | None,
              static: dict[str, Any]) -> Register:
    """register_of's power failure log of several groups (_failure_log) as planned."""
    count_is_int, pairs = plan
    texts = tuple(t.strip() for t in sent)
    extra = {"raw": sent, **static, "count": int(texts[0]) if count_is_int else 0, "buffer_obis": texts[1]}
    events = []
    at = 2
    for tz, number in pairs:
        end = None if tz is False else _stamp(texts[at], tz)
        text = texts[at + 1]
        kind = number[0]
        duration: int | None
        if kind == _S_NUM:
            digits = text[number[1]:number[2]]
            duration = int(float(digits + number[3]) if number[3] else float(digits))
        elif kind == _S_NUMU:
            duration = int(_num_unit(text[number[1]:number[2]], text[number[3]:number[4]]).value)
        elif kind == _S_INT:
            duration = int(text)
        else:
            duration = None
        events.append(_new(PowerFailure, (end, duration, failure_start(end, duration), texts[at])))
        at += 2
    return _new(Register, (key, tuple(events), None, o, desc, extra))


def _tariff_of(v: Any) -> str | None:
    return f"T{int(v)}" if isinstance(v, str) and _is_int(v) else None


def _meter_id_of(values: tuple[Any, ...]) -> str | None:
    for v in values:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _total(*values: float) -> float:
    """reading_fields' sum of tariff registers, ``float(sum(Decimal(repr(v))))``: for whole
    numbers below 2**53 (every kWh value with at most 3 decimals) the Decimals are those
    integers and their sum is exact, so the sum of the ints gives the same float."""
    for v in values:
        if not (v.is_integer() and -_EXACT < v < _EXACT):
            return float(sum(Decimal(repr(v)) for v in values))
    return float(sum(map(int, values)))
