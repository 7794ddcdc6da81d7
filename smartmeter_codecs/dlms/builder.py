"""Straight-line register builders for push templates (issue 16).

A template's plan (:mod:`.interpret`) is a list of steps that ``_run_steps`` interprets for
every push: per register it unpacks a step, branches on its kind, scales, builds the
``extra`` dict. For a template whose layout is fixed, the same work can be written out once
as one Python function (the technique ``dataclasses`` and ``collections.namedtuple`` use for
``__init__``): values come straight from the unpacked APDU, scalers are literals, registers
of structure leaves are computed once, and the Reading is built in one call. The function
gives exactly the Reading ``reading_from(_run_plan(...))`` gives (tests/test_dlms_template.py
compares them on every fixture push and on generated values), or ``None`` where a
value-dependent step needs the general path (a profile convention that applies to this push).

Safety: the generated source contains only identifiers, integer literals the library
computes (field indices, powers of ten) and references to a constants tuple; no byte of a
frame is ever spelled into source code.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable

from ..model import Reading, Register
from ..plausibility import is_plausible, plain_bounds
from ..zones import Placer
from .axdr import Data
from .interpret import (
    _BY_PROFILE,
    _CONVENTION_FIELD,
    _IN_BAND,
    _PLAIN,
    _SIMPLE_NUMERIC,
    _conventions_for,
    _plain,
    _Plan,
    registers_fields_rest,
)
from .interpret import (
    _Candidate as Candidate,
)
from .profiles import Profile

__all__ = ["compile_builder", "compile_layout_builder"]

log = logging.getLogger(__name__)

# (unpacked APDU fields, the notification's date-time, authenticated, placer of naive
# timestamps or None) -> the Reading, or None
Builder = Callable[[tuple[Any, ...], Any, "bool | None", "Placer | None"], "Reading | None"]

# (prebuilt Data for a structure leaf, else None; unpacked field index; tag; start; end)
LeafSpec = tuple["Data | None", int, int, int, int]


def compile_builder(plan: _Plan, profile: Profile, leaves: tuple[LeafSpec, ...],
                    text_fields: frozenset[int] = frozenset()) -> Builder | None:
    """A function from the unpacked APDU fields to the Reading the plan gives
    (``reading_from(_run_plan(...))``) for an OBIS-keyed list or push object list, or None when
    the plan has a step this builder does not write out (the last-string rule)."""
    if plan.last_text is not None:
        return None
    code = _Source(text_fields)
    if not code.registers(plan, profile, leaves, None):
        return None
    code.reading(profile.name, None)
    return code.compile(profile)


def compile_layout_builder(shape_profile: Profile, candidates: tuple[Candidate, ...],
                           leaves: tuple[LeafSpec, ...], text_fields: frozenset[int] = frozenset()) -> Builder | None:
    """The same for a value-only list whose signature only one layout has: its registers, its
    checks and the plausibility test of what it names, per push; None from the function (the
    general path decides and words the note) when a check fails, a value is implausible or a
    convention applies. None here when several layouts or none have the signature."""
    if len(candidates) != 1:
        return None
    p, lay, plan = candidates[0]
    if plan is None or plan.last_text is not None:
        return None
    code = _Source(text_fields)
    fields_of = {i: leaves[i][1] for i in range(len(leaves))}
    for total, parts in lay.checks:
        ks = [fields_of[total], *(fields_of[i] for i in parts)]
        if min(ks) < 0:
            return None             # a check on a structure leaf: left to the general path
        ints = " and ".join(f"type(f[{k}]) is int" for k in ks)
        code.line(f"    if not ({ints} and f[{ks[0]}] == {' + '.join(f'f[{k}]' for k in ks[1:]) or '0'}):")
        code.line("        return None")
    if not code.registers(plan, p, leaves, lay.name):
        return None
    # _choose_layout's plausibility test of the Reading fields the layout would fill: the
    # fields filled from numeric registers inline (their plain range first), the others in a loop
    for field, local in code.direct_fields:
        bounds = plain_bounds(field)
        if bounds is None:
            code.line(f"    if not plausible({code.const(field)}, {local}):")
        else:
            code.line(f"    if not {code.const(bounds[0])} <= {local} <= {code.const(bounds[1])} and "
                      f"not plausible({code.const(field)}, {local}):")
        code.line("        return None")
    if code.rest_names:
        code.line(f"    for k in {code.const(code.rest_names)}:")
        code.line("        v = fields.get(k)")
        code.line("        if type(v) is float and not plausible(k, v):")
        code.line("            return None")
    note = (f"layout {lay.name} assumed: a value-only list without OBIS codes, named by its "
            f"A-XDR signature {lay.signature} ({lay.source})")
    code.reading(p.name, note)
    return code.compile(shape_profile)


_MEMO = 256      # text values remembered per register of a builder


def _remember(memo: dict[Any, Any], key: Any, value: Any) -> None:
    if len(memo) < _MEMO:
        memo[key] = value


class _Source:
    """The source of one builder and its constants."""

    def __init__(self, text_fields: frozenset[int]) -> None:
        self.text_fields = text_fields          # unpacked fields holding printable text
        self.consts: list[Any] = []
        self.lines = ["def build(f, ts, auth, placer):"]
        self.direct_fields: list[tuple[str, str]] = []   # (Reading field, local of its float value)
        self.rest_names: tuple[str, ...] = ()

    def const(self, value: Any) -> str:
        self.consts.append(value)
        return f"C[{len(self.consts) - 1}]"

    def line(self, text: str) -> None:
        self.lines.append(text)

    def registers(self, plan: _Plan, profile: Profile, leaves: tuple[LeafSpec, ...], layout: str | None) -> bool:
        """Lines that set ``regs`` and ``fields`` as _run_steps and registers_to_fields would
        (``layout``: the value-only layout's name, which _run_steps adds to ``extra``)."""
        const, line = self.const, self.line
        if plan.conv_leaves:
            # a profile convention may rescale a quantity (Kamstrup 0.01 V): decided per push on
            # the values; when one applies, the general path builds the registers
            by_q: dict[str, list[int]] = {}
            for q, leaf in plan.conv_leaves:
                by_q.setdefault(q, []).append(leaves[leaf][1])
            items = ", ".join(f"{const(q)}: [{', '.join(f'f[{k}]' for k in ks)}]" for q, ks in by_q.items())
            # the common case inline: every value plausible with the profile's own scaler (what
            # _conventions_for tests first), so no convention can apply
            tests: list[str] = []
            for q, ks in by_q.items():
                base = profile.scalers.get(q, 0)
                bounds = plain_bounds(_CONVENTION_FIELD[q])
                if bounds is None or base > 0:
                    tests = []
                    break
                low, high = const(bounds[0]), const(bounds[1])
                divisor = f" / {10 ** -base}" if base < 0 else ""
                tests += [f"type(f[{k}]) is int and {low} <= f[{k}]{divisor} <= {high}" for k in ks]
            if tests:
                line(f"    if not ({' and '.join(tests)}) and conventions({{{items}}}, {const(profile)}):")
            else:
                line(f"    if conventions({{{items}}}, {const(profile)}):")
            line("        return None")
        lay_src = f", 'layout': {const(layout)}" if layout is not None else ""
        regs: list[str] = []
        numeric_value: dict[int, str] = {}      # register index -> local holding its numeric value
        for n, (kind, leaf, key, unit, obis, desc, tname, pos, scaler, _q, tail) in enumerate(plan.steps):
            proto, k, tag, start, end = leaves[leaf]
            head = f"{const(key)}, "
            tail_src = "".join(f", {const(name)}: {const(value)}" for name, value in tail)
            if kind == _PLAIN:
                if proto is not None:
                    # a structure leaf: the same register every push (a fresh extra dict each time)
                    value = _plain(proto, obis)
                    extra: dict[str, Any] = {"type": tname, "position": pos}
                    if proto.tag == 9:
                        extra["raw"] = proto.value.hex()
                    if layout is not None:
                        extra["layout"] = layout
                    extra.update(tail)
                    line(f"    r{n} = new(Register, ({head}{const(value)}, None, {const(obis)}, "
                         f"{const(desc)}, dict({const(extra)})))")
                elif k in self.text_fields:
                    # printable text (meter numbers, list ids): the same few values push after
                    # push, so its register value (and hex) is remembered per value, bounded
                    memo = const({})
                    raw_hex = f", 'raw': m{n}[1]" if tag == 9 else ""
                    line(f"    m{n} = {memo}.get(f[{k}])")
                    line(f"    if m{n} is None:")
                    line(f"        m{n} = (plain(new(Data, ({tag}, f[{k}], {start}, {end})), {const(obis)}), "
                         f"{f'f[{k}].hex()' if tag == 9 else 'None'})")
                    line(f"        remember({memo}, f[{k}], m{n})")
                    line(f"    r{n} = new(Register, ({head}m{n}[0], None, {const(obis)}, {const(desc)}, "
                         f"{{'type': {const(tname)}, 'position': {pos}{raw_hex}{lay_src}{tail_src}}}))")
                else:
                    raw_hex = f", 'raw': f[{k}].hex()" if tag == 9 else ""
                    line(f"    r{n} = new(Register, ({head}plain(new(Data, ({tag}, f[{k}], {start}, {end})), "
                         f"{const(obis)}), None, {const(obis)}, {const(desc)}, "
                         f"{{'type': {const(tname)}, 'position': {pos}{raw_hex}{lay_src}{tail_src}}}))")
                regs.append(f"r{n}")
                continue
            if proto is not None or tag not in _SIMPLE_NUMERIC:
                return False        # never made by the planners: a numeric step reads a value leaf
            line(f"    x{n} = f[{k}]")
            if scaler < 0:
                line(f"    v{n} = x{n} / {10 ** -scaler}")
            elif scaler > 0:
                line(f"    v{n} = x{n} * {10 ** scaler}")
            else:
                line(f"    v{n} = x{n}")
            if kind == _IN_BAND:
                su = ", 'scaler_unit': 'in-band'"
            elif kind == _BY_PROFILE:
                su = f", 'scaler_unit': {const(f'profile {profile.name}')}" if scaler else ""
            else:
                return False
            line(f"    r{n} = new(Register, ({head}v{n}, {const(unit)}, {const(obis)}, {const(desc)}, "
                 f"{{'type': {const(tname)}, 'position': {pos}, 'raw': x{n}, 'scaler': {scaler}{su}"
                 f"{lay_src}{tail_src}}}))")
            regs.append(f"r{n}")
            numeric_value[n] = f"v{n}"
        line(f"    regs = ({', '.join(regs)}{',' if len(regs) == 1 else ''})")
        # Reading fields: a field whose first candidate register is numeric takes it (a number
        # always wins there); the others, and meter id/model, clock and tariff, as
        # registers_to_fields does
        by_field, specials = plan.recipe
        direct = []
        rest_fields = []
        for field, idx in by_field:
            if idx[0] in numeric_value:
                n = idx[0]
                line(f"    q{n} = float({numeric_value[n]})")
                direct.append(f"{const(field)}: q{n}")
                self.direct_fields.append((field, f"q{n}"))
            else:
                rest_fields.append((field, idx))
        if rest_fields or specials:
            # the dict rest() fills and the closing lines read (a list of only direct numeric
            # fields needs none: they go straight into the Reading)
            line(f"    fields = {{{', '.join(direct)}}}")
            line(f"    rest(regs, fields, {const((tuple(rest_fields), specials))})")
        # every field rest() may set (the quantity fields it fills, meter id, model, clock, tariff)
        self.rest_names = tuple(f for f, _ in rest_fields) + (
            ("meter_id", "meter_model", "clock", "tariff") if specials else ())
        return True

    def reading(self, profile_name: str, note: str | None) -> None:
        """The closing lines: the Reading interpret.reading_from would build (positional, in
        the dataclass's field order), with the clock register's time where the notification
        had none, placed by the placer."""
        if self.rest_names:
            self.line("    g = fields.get")
            if "clock" in self.rest_names:
                self.line("    if ts is None:")
                self.line("        ts = g('clock')")
        # a naive timestamp placed in its zone as api.finish would (zones.Placer), so the
        # Reading is not copied afterwards
        self.line(f"    q = {self.const(note) if note else 'None'}")
        self.line("    if placer is not None and ts is not None:")
        self.line(f"        ts, q = placer.place(ts, q, {self.const(profile_name)}, regs)")
        direct = dict(self.direct_fields)
        args = []
        for field in dataclasses.fields(Reading):
            name = field.name
            if name == "format":
                args.append("'dlms'")
            elif name == "profile":
                args.append(self.const(profile_name))
            elif name == "timestamp":
                args.append("ts")
            elif name == "quality":
                args.append("q")
            elif name == "authenticated":
                args.append("auth")
            elif name == "registers":
                args.append("regs")
            elif name in direct:
                args.append(direct[name])
            elif name in self.rest_names:
                args.append(f"g({self.const(name)})")
            else:
                args.append("None")
        self.line(f"    return Reading({', '.join(args)})")

    def compile(self, profile: Profile) -> Builder | None:
        source = "\n".join(self.lines)
        namespace: dict[str, Any] = {
            "C": tuple(self.consts), "new": tuple.__new__, "Register": Register, "Data": Data, "plain": _plain,
            "conventions": _conventions_for, "profile": profile, "Reading": Reading,
            "rest": registers_fields_rest, "plausible": is_plausible, "remember": _remember,
        }
        try:
            exec(compile(source, f"<dlms template builder {profile.name}>", "exec"), namespace)  # noqa: S102
        except (SyntaxError, ValueError, RecursionError):   # pragma: no cover - a planner bug, logged
            log.exception("could not compile a template builder; the general path is used")
            return None
        build: Builder = namespace["build"]
        build.__doc__ = source          # for whoever debugs it
        return build
