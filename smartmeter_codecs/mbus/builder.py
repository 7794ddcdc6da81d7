"""Straight-line Reading builders for M-Bus frame templates (issue 16).

:meth:`.template.Template.interpret` walks a template's record list for every telegram: per
record it unpacks a tuple, branches on how the value is read, on the ``extra`` additions, on
the typed field and OBIS code it may feed. For a fixed layout that walk can be written out
once as one Python function (what :mod:`smartmeter_codecs.dlms.builder` does for DLMS push
templates, and ``dataclasses`` for ``__init__``): slices at literal offsets, the scaling of
each integer record as one expression, only the value-dependent checks left (an invalid BCD
or date, a NaN real, which record is the first to claim an OBIS code or a field).

The function gives exactly what ``interpret`` gives (tests/test_mbus_template.py compares
them on every fixture layout and on generated data); a template keeps it only after it
reproduced the full path's Reading of the frame it was learned from.

Safety: the generated source contains only identifiers, integer literals the library
computes (offsets, indices) and references to a constants tuple; no byte of a frame (a
plain-text unit, a key...) is ever spelled into source code.
"""
from __future__ import annotations

import datetime as _dt
import logging
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..model import Reading, Register
from .reading import _jsonable
from .records import decode_data

if TYPE_CHECKING:
    from .template import Template

__all__ = ["compile_builder"]

log = logging.getLogger(__name__)

# (application data, zones.Placer or None) -> the Reading
Builder = Callable[..., Reading]


def compile_builder(t: Template, kinds: Sequence[int], no_extra: Any, status_flags: Any) -> Builder | None:
    """The straight-line builder of template ``t``; ``kinds`` are the template module's value
    readers (_INT_SCALED, _INT_RAW, _SPECIAL_DATA, _SPECIAL_NONE, _PLAN, _NO_DATA)."""
    int_scaled, int_raw, special_data, special_none, plan_kind, no_data = kinds
    consts: list[Any] = []

    def const(value: Any) -> str:
        consts.append(value)
        return f"c{len(consts) - 1}"

    lines = ["    def build(body, placer=None):"]
    if t.records:
        lines.append("    hx = body.hex()")
    out: list[str] = []
    ident_at, static_regs, medium, model, access_at = t.header
    meter_id = "None"
    if ident_at is not None:
        lines.append(f"    meter_id = body[{int(ident_at)}:{int(ident_at) + 4}][::-1].hex().upper()")
        meter_id = "meter_id"
    if medium is not None:
        out += [const(r) for r in static_regs]      # immutable: shared, as interpret does
        lines.append(f"    rm = new(Register, ({const('mbus:header.medium')}, {const(medium[0])}, None, None, "
                     f"{const('Device type (medium)')}, {{{const('code')}: {const(medium[1])}}}))")
        out.append("rm")
    if access_at is not None:
        a = int(access_at)
        lines.append(f"    st = body[{a + 1}]")
        lines.append(f"    ra = new(Register, ({const('mbus:header.access_no')}, body[{a}], None, None, "
                     f"{const('Access number')}, NO_EXTRA))")
        lines.append(f"    rs = new(Register, ({const('mbus:header.status')}, st, None, None, "
                     f"{const('Status byte')}, FLAGS[st].copy()))")
        out += ["ra", "rs"]
    electricity = any(r[8] for r in t.records)
    sums = any(r[8] and r[10] is not None and r[10][1] for r in t.records)
    stamps = any(r[11] for r in t.records)
    if electricity:
        lines.append("    fields = {}")
        lines.append("    used = set()")
    if sums:
        lines.append("    sums = {}")
    if stamps:
        lines.append("    ts = None")
    for n, (ds, de, fast, arg, key, static, description, tail, usable, obis, action, stamp) in \
            enumerate(t.records):
        d, v, e = f"d{n}", f"v{n}", f"e{n}"
        ds, de = int(ds), int(de)
        lines.append(f"    {e} = {const(static)}.copy()")
        lines.append(f"    {e}['data'] = hx[{2 * ds}:{2 * de}]")        # == body[ds:de].hex()
        lines.append(f"    {e}['telegram'] = 0")
        invalid: str | None = None          # a local holding the invalid flag, when it can be set
        numeric = False                     # the value is an int or a float, never invalid
        if fast in (int_scaled, int_raw):
            # type B integer: struct for 1, 2, 4 and 8 bytes (the same int as int.from_bytes)
            signed = bool(arg[0])
            read = _UNPACK.get((de - ds, signed))
            if read is not None:
                lines.append(f"    x{n} = {read}(body, {ds})[0]")
            else:
                lines.append(f"    x{n} = from_bytes(body[{ds}:{de}], 'little', signed={signed})")
        else:
            lines.append(f"    {d} = body[{ds}:{de}]")
        if fast == int_scaled:
            signed, factor, p_int, q_int, unit = arg
            if q_int is None:
                lines.append(f"    {v} = x{n} * {const(factor)} * {const(p_int)}")
            else:
                lines.append(f"    {v} = x{n} * {const(factor)} / {const(q_int)}")
            lines.append(f"    if x{n} is not {v}:")
            lines.append(f"        {e}['raw'] = x{n}")
            u = const(unit)
            numeric = True
        elif fast == int_raw:
            signed, unit = arg
            lines.append(f"    {v} = x{n}")
            u = const(unit)
            numeric = True
        elif fast == special_data:
            lines.append(f"    {v} = {d}")
            u = "None"
        elif fast == special_none or fast == no_data:
            lines.append(f"    {v} = None")
            u = "None" if fast == special_none else const(arg)
        elif fast == plan_kind:
            lines.append(f"    x{n}, {v}, u{n}, i{n} = decode_data({const(arg)}, {d})")
            lines.append(f"    if x{n} is not None and x{n} is not {v}:")
            lines.append(f"        {e}['raw'] = jsonable(x{n})")
            u = f"u{n}"
            invalid = f"i{n}"
        else:       # pragma: no cover - a reader this compiler does not know: interpret instead
            return None
        combinable, mfr, more, table = tail if tail is not None else (None, None, False, None)
        if combinable is not None:
            lines.append(f"    {e}['combinable'] = list({const(combinable)})")
        if mfr:
            lines.append(f"    {e}['manufacturer_vifes'] = {const(mfr)}")
        if invalid is not None:
            lines.append(f"    if {invalid}:")
            lines.append(f"        {e}['invalid'] = True")
        if more:
            lines.append(f"    {e}['more_records_follow'] = True")
        if table:
            lines.append(f"    {e}['table'] = {const(table)}")
        code = "None"
        if usable and (numeric or invalid is not None) and (obis is not None or action is not None):
            indent = "    "
            if not numeric:
                lines.append(f"    o{n} = None")
                lines.append(f"    if not {invalid} and isinstance({v}, (int, float)) and not isinstance({v}, bool):")
                indent = "        "
            if obis is not None:
                o = const(obis)
                code = f"o{n}"
                if numeric:
                    lines.append(f"    o{n} = None")
                lines.append(f"{indent}if {o} not in used:")
                lines.append(f"{indent}    used.add({o})")
                lines.append(f"{indent}    o{n} = {o}")
            if action is not None:
                name, tariff_sum = action
                f_ = const(name)
                if tariff_sum:
                    lines.append(f"{indent}sums[{f_}] = sums.get({f_}, 0) + {v}")
                else:
                    lines.append(f"{indent}fields.setdefault({f_}, {v})")
        if stamp:
            lines.append(f"    if ts is None and isinstance({v}, datetime):")
            lines.append(f"        ts = {v}")
        lines.append(f"    r{n} = new(Register, ({const(key)}, {v}, {u}, {code}, {const(description)}, {e}))")
        out.append(f"r{n}")
    if sums:
        lines.append("    for name, total in sums.items():")
        lines.append("        fields.setdefault(name, total)")
    lines.append(f"    regs = ({', '.join(out)}{',' if len(out) == 1 else ''})")
    tail_fields = ", **fields" if electricity else ""
    quality = "None"
    if stamps:
        # a type F/I date-time is local time without an offset: placed as api.finish would
        # (zones.Placer; Template.interpret does the same)
        lines.append("    q = None")
        lines.append("    if placer is not None and ts is not None:")
        lines.append("        ts, q = placer.place(ts, None, None, regs)")
        quality = "q"
    lines.append(f"    return Reading(format={const(t.fmt)}, timestamp={'ts' if stamps else 'None'}, "
                 f"meter_id={meter_id}, meter_model={const(model)}, authenticated={const(t.authenticated)}, "
                 f"quality={quality}, registers=regs{tail_fields})")
    # the constants and helpers become closure variables of build (faster than globals)
    names = [f"c{i}" for i in range(len(consts))] + list(_HELPERS)
    source = "\n".join(["def make(C, H):", f"    {', '.join(names)}, = C + H", lines[0],
                        *("    " + line for line in lines[1:]), "    return build"])
    namespace: dict[str, Any] = {}
    helpers = tuple(_HELPERS.values())[:-2] + (no_extra, status_flags)
    try:
        # the source holds identifiers and library-computed integers only (module docstring)
        compiled = compile(source, f"<mbus template builder CI {t.ci:02X}, {t.size} bytes>", "exec")
        exec(compiled, namespace)  # noqa: S102
    except (SyntaxError, ValueError, RecursionError, MemoryError):   # pragma: no cover - logged
        log.exception("could not compile an M-Bus template builder; the template is interpreted")
        return None
    build: Builder = namespace["make"](tuple(consts), helpers)
    build.__doc__ = source          # for whoever debugs it
    return build


_UNPACK = {(size, signed): f"u{'s' if signed else 'u'}{size}" for size in (1, 2, 4, 8) for signed in (False, True)}
_STRUCTS = {f"u{'s' if signed else 'u'}{size}": struct.Struct("<" + ("bhiq" if signed else "BHIQ")["1248".index(str(size))]).unpack_from
            for size in (1, 2, 4, 8) for signed in (False, True)}
# closure names of build -> what they hold (the last two are given per template call)
_HELPERS: dict[str, Any] = {
    "new": tuple.__new__, "Register": Register, "Reading": Reading, "from_bytes": int.from_bytes,
    "decode_data": decode_data, "jsonable": _jsonable, "datetime": _dt.datetime, **_STRUCTS,
    "NO_EXTRA": None, "FLAGS": None,
}
