"""C12.19 table data -> Registers -> Reading (NES meters).

Rules (DG ch. 4; docs/formats/osgp.md):

* BT28 present values and BT23 total summations fill Reading fields, by the source id their
  selection table gives (BT27/BT22) or, when that was not read, by the DG's documented NES
  order (BT27's VCI is F, fixed; BT23's summation fields are listed in order in the DG).
  Without BT21 the layout itself is unknown: the bytes stay one undecoded register and the
  Reading says so in ``quality``.
* BT28 values exclude the CT/VT ratios unless the source says "post CT/VT ratio" (DG p.215):
  post-ratio sources win; a pre-ratio value fills a field only when BT15 shows no transformer
  (ratios 0/1), or, when BT15 was not read, with the assumption named in ``quality`` and the
  register's ``extra``. BT23 values include the ratios (DG p.207) but CT meters may count
  energy in units of 10 or 100 (ET55 "Energy Register Unit"): the unit is applied when known
  (``MeterConfig.energy_register_unit``), taken as 1 for a meter BT15 shows direct-connected,
  assumed 1 (and said) when BT15 was not read, and not guessed for a CT meter.
* Per-phase power factors stay registers (``Reading.power_factor`` is the total, NES has none).
* Every decoded value is a Register with its table, offset, raw value and source id in ``extra``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ..model import Reading, Register
from .sources import source
from .tables import (
    BT00,
    BT01,
    BT08,
    BT15,
    BT20,
    BT21,
    BT22,
    BT23,
    BT27,
    BT28,
    BT52,
    ET03,
    ET11,
    ET59,
    ET85,
    MeterConfig,
    parse_bt00,
    parse_bt01,
    parse_bt15,
    parse_bt22,
    parse_bt27,
    parse_bt52,
    parse_dimensions,
    parse_et03,
    parse_et11,
    parse_procedure_response,
    read_field,
    table_fields,
    table_name,
)

__all__ = ["FORMAT_MEP", "FORMAT_OPTICAL", "build_reading", "table_registers"]

FORMAT_MEP = "osgp-mep"
FORMAT_OPTICAL = "osgp-optical"

_ENERGY_UNITS = ("Wh", "varh", "VAh")


def _num(raw: float, scale: Decimal) -> int | float:
    if scale == 1:
        return raw
    if isinstance(raw, int):
        return float(Decimal(raw) * scale)
    return raw * float(scale)


def _struct_registers(name: str, obj: Any, table: int) -> list[Register]:
    out = []
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, bytes):
            v = v.hex()
        out.append(Register(f"{name}.{f.name}", v, None, None, None, {"table": name, "table_id": table}))
    return out


def table_registers(table: int, offset: int, data: bytes, config: MeterConfig) -> tuple[list[Register], list[str]]:
    """The registers of one table read (``data`` = the bytes read at ``offset``) and notes on
    what could not be decoded. Raises DecodeError only for a dimension table whose bytes do not
    fit its definition."""
    name = table_name(table)
    notes: list[str] = []
    if table in (BT23, BT28):
        end = offset + len(data)
        fields = table_fields(table, config, until=end)
        if fields is None:
            return [_raw(name, table, offset, data, "BT21 not read: layout unknown")], notes
        regs = []
        for f in fields:
            if f.offset < offset or f.offset + f.size > end:
                continue
            raw = read_field(f, data, f.offset - offset, config)
            regs.append(_value_register(f, raw, config, name, notes))
        if not regs:
            return [_raw(name, table, offset, data, "no complete field in the bytes read")], notes
        return regs, notes
    if offset == 0:
        if table == BT00:
            return _struct_registers(name, parse_bt00(data), table), notes
        if table == BT01:
            return _struct_registers(name, parse_bt01(data), table), notes
        if table == BT15:
            return _struct_registers(name, parse_bt15(data, config.ni1), table), notes
        if table in (BT20, BT21):
            return _struct_registers(name, parse_dimensions(data, name), table), notes
        if table == BT22 and config.dimensions is not None:
            return _struct_registers(name, parse_bt22(data, config.dimensions), table), notes
        if table == BT27 and config.dimensions is not None:
            return _struct_registers(name, parse_bt27(data, config.dimensions), table), notes
        if table == BT52:
            clk = parse_bt52(data)
            return [Register("BT52.clock", clk.time, None, None, "Meter clock (UTC)",
                             {"table": name, "table_id": table, "raw": data[:6].hex()}),
                    *([Register("BT52.weekday", clk.weekday, None, None, "0 = Sunday", {"table": name}),
                       Register("BT52.dst", clk.dst, None, None, "DST in effect", {"table": name})]
                      if clk.weekday is not None else [])], notes
        if table in (BT08, ET59, ET85):
            pr = parse_procedure_response(data)
            return [*_struct_registers(name, pr, table),
                    Register(f"{name}.result_meaning", pr.result_meaning, None, None, None, {"table": name})], notes
        if table == ET11:
            return [Register(f"ET11.{k}", v, "B" if k.endswith(("size", "length")) and k != "ondemand_queue_size"
                             else None, None, None, {"table": name, "table_id": table})
                    for k, v in parse_et11(data).items()], notes
        if table == ET03:
            return [Register("ET03.serial_number", parse_et03(data), None, None, "Utility serial number",
                             {"table": name, "table_id": table})], notes
    return [_raw(name, table, offset, data, "table not decoded by this library")], notes


def _raw(name: str, table: int, offset: int, data: bytes, why: str) -> Register:
    return Register(f"{name}@{offset}", bytes(data), None, None, f"{name} bytes {offset}..{offset + len(data)}",
                    {"table": name, "table_id": table, "offset": offset, "count": len(data), "undecoded": why})


def _value_register(f: Any, raw: Any, config: MeterConfig, name: str, notes: list[str]) -> Register:
    extra: dict[str, Any] = {"table": name, "offset": f.offset, "raw": raw, **f.extra}
    if f.source is not None:
        extra["source_id"] = f.source
        extra["source_from"] = f.origin
    src = source(f.source)
    if src is None or not isinstance(raw, (int, float)):
        desc = None if f.source is None else f"source {f.source} (not in the DG source list)"
        return Register(f.key, raw, None, None, desc, extra)
    value = _num(raw, src.scale)
    if src.scale != 1:
        extra["scale"] = str(src.scale)
    if src.ratio:
        extra["transformer_ratio"] = f"excluded ({src.ratio.upper()}); DG p.215"
    if name == "BT23" and src.unit in _ENERGY_UNITS:
        unit, how = _energy_unit(config)
        extra["energy_register_unit"] = how
        if unit is None:
            return Register(f.key, raw, None, None, f"{src.description} (count; energy register unit unknown)", extra)
        value = raw * unit
    return Register(f.key, value, src.unit, None, src.description, extra)


def _energy_unit(config: MeterConfig) -> tuple[int | None, str]:
    if config.energy_register_unit is not None:
        return config.energy_register_unit, f"{config.energy_register_unit} (given)"
    c = config.constants
    if c is None:
        return 1, "1 assumed (BT15 not read; only CT meters use 10/100, DG p.207)"
    if c.direct_connected is False:
        return None, "unknown: BT15 shows a CT/VT meter, whose ET55 energy register unit may be 10 or 100"
    return 1, "1 (direct-connected meter per BT15)"


def build_reading(registers: Iterable[Register], config: MeterConfig, *, format: str = FORMAT_MEP,
                  authenticated: bool | None = None, notes: Iterable[str] = (),
                  timestamp: Any = None) -> Reading:
    """A Reading from the registers of one or more table reads (see the module rules)."""
    regs = tuple(registers)
    notes = list(notes)
    values: dict[str, tuple[int, float]] = {}      # field -> (priority, value); 2 = post ratio
    clock = timestamp
    for r in regs:
        if r.key == "BT52.clock":
            clock = r.value
        sid = r.extra.get("source_id")
        if sid is None or not (r.key.startswith("BT28.present_value[") or r.key.startswith("BT23.summation[")):
            continue
        src = source(sid)
        if src is None or src.field is None or r.unit is None or not isinstance(r.value, (int, float)):
            continue
        prio = 2
        if src.ratio and r.key.startswith("BT28"):
            c = config.constants
            if c is None:
                prio = 1
                note = "BT15 not read: secondary-side values (e.g. current, voltage) taken as primary (CT/VT ratio 1 assumed)"
                if note not in notes:
                    notes.append(note)
            elif c.direct_connected is False:
                note = (f"{r.key} ({src.description}) excludes the CT/VT ratio of this transformer meter "
                        "(BT15): not mapped")
                notes.append(note)
                continue
        if src.unit in _ENERGY_UNITS:
            how = str(r.extra.get("energy_register_unit", ""))
            if "assumed" in how:
                note = "BT15 not read: energy register unit 1 Wh assumed (CT meters may count in 10/100)"
                if note not in notes:
                    notes.append(note)
        if src.field not in values or prio > values[src.field][0]:
            values[src.field] = (prio, float(r.value))
    for r in regs:
        why = r.extra.get("undecoded")
        if why and r.key.startswith(("BT23@", "BT28@")):
            msg = f"{r.key}: {why}"
            if msg not in notes:
                notes.append(msg)
    fields: dict[str, Any] = {k: v for k, (_, v) in values.items()}
    return Reading(format=format, timestamp=clock, meter_id=config.serial_number,
                   meter_model=config.model, authenticated=authenticated,
                   quality="; ".join(notes) if notes else None, registers=regs, **fields)
