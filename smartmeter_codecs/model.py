"""The one typed value every format decodes to.

Nothing here knows a wire format: codecs fill these fields, the charging calculator and users
read them. All quantities are SI (W, Wh, var, varh, V, A, Hz); ``None`` means the source did
not carry the quantity.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import functools
from dataclasses import dataclass
import types
from decimal import Decimal
from typing import Any, Callable, Mapping, NamedTuple

from .obis import ObisCode

__all__ = ["Reading", "Register", "FIELD_UNITS"]

_NO_EXTRA: Mapping[str, Any] = types.MappingProxyType({})

Value = int | float | Decimal | str | bytes | bool | _dt.datetime | _dt.date | _dt.time | None | tuple[Any, ...]


class Register(NamedTuple):
    """One value a frame carried, lossless (immutable).

    Attributes:
        key: the OBIS string (``"1-0:1.8.0.255"``) when there is one, else a stable
            format-specific key (e.g. ``"mbus:0:energy"``, ``"value[3]"``).
        value: the value scaled to ``unit`` (numbers; ``Decimal`` where a format keeps the exact
            decimal value), or text/bytes/datetime as sent.
        unit: the source's unit in SI spelling (``"Wh"``, ``"W"``, ``"V"``, ``"m3"``,
            ``"°C"``...), ``None`` for unit-less values.
        obis: the parsed OBIS code when there is one.
        description: a human-readable name (``"Active energy import (+A)"``).
        extra: qualifiers: DLMS scaler/raw value/type, M-Bus storage/tariff/function,
            C12.19 table/offset... Plain JSON-friendly values.

    A NamedTuple rather than a frozen dataclass: a push carries dozens of registers and
    tuple construction is several times cheaper (docs/benchmarks.md).
    """

    key: str
    value: Value
    unit: str | None = None
    obis: ObisCode | None = None
    description: str | None = None
    extra: Mapping[str, Any] = _NO_EXTRA

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": _jsonable(self.value),
            "unit": self.unit,
            "obis": str(self.obis) if self.obis is not None else None,
            "description": self.description,
            "extra": {k: _jsonable(v) for k, v in dict(self.extra).items()},
        }


@dataclass(frozen=True, slots=True)
class Reading:
    """A meter reading, the same for every country and wire format (see docs/model.md)."""

    format: str
    profile: str | None = None
    timestamp: _dt.datetime | None = None
    meter_id: str | None = None
    meter_model: str | None = None
    active_power_import: float | None = None
    active_power_export: float | None = None
    reactive_power_import: float | None = None
    reactive_power_export: float | None = None
    active_power_import_l1: float | None = None
    active_power_import_l2: float | None = None
    active_power_import_l3: float | None = None
    active_power_export_l1: float | None = None
    active_power_export_l2: float | None = None
    active_power_export_l3: float | None = None
    voltage_l1: float | None = None
    voltage_l2: float | None = None
    voltage_l3: float | None = None
    current_l1: float | None = None
    current_l2: float | None = None
    current_l3: float | None = None
    active_energy_import: float | None = None
    active_energy_export: float | None = None
    reactive_energy_import: float | None = None
    reactive_energy_export: float | None = None
    frequency: float | None = None
    power_factor: float | None = None
    tariff: str | None = None
    contracted_power: float | None = None
    available_power: float | None = None
    interval: _dt.timedelta | None = None
    active_energy_import_delta: float | None = None
    active_energy_export_delta: float | None = None
    quality: str | None = None
    authenticated: bool | None = None
    registers: tuple[Register, ...] = ()

    def register(self, key: str | ObisCode) -> Register | None:
        """Look a register up by OBIS code (any common notation) or by key; ``None`` if absent.

        A code with channel B = 0 also finds a register whose B differs when it is the only
        one (``"1-0:1.8.0"`` finds Kamstrup's ``1-1:1.8.0.255``); an exact match always wins.
        """
        wanted: ObisCode | None
        if isinstance(key, ObisCode):
            wanted = key
        else:
            for r in self.registers:
                if r.key == key:
                    return r
            try:
                wanted = ObisCode.parse(key)
            except ValueError:
                return None
        for r in self.registers:
            if r.obis == wanted:
                return r
        if wanted.b == 0:
            # B is the measurement channel and 0 means "no channel specified" (IEC 62056-61,
            # value group B); Kamstrup sends 1-1:1.8.0.255 where lists say 1-0:1.8.0.255. A query
            # with B = 0 finds the one register that differs only in B; two are ambiguous: None.
            found = [r for r in self.registers if r.obis is not None and r.obis.a == wanted.a
                     and r.obis[2:] == wanted[2:]]
            if len(found) == 1:
                return found[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: datetimes as ISO 8601, timedeltas as seconds, registers as dicts."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name == "registers":
                out[f.name] = [r.to_dict() for r in v]
            else:
                out[f.name] = _jsonable(v)
        return out

    def replace(self, **changes: Any) -> "Reading":
        """A copy with some fields changed (``dataclasses.replace``)."""
        if type(self) is not Reading:
            return dataclasses.replace(self, **changes)
        # the same result as dataclasses.replace without its per-call walk over the field
        # definitions (issue 16: the zone placement of most decoded Readings ran through it)
        if not changes.keys() <= _READING_NAME_SET:
            return dataclasses.replace(self, **changes)      # raises its TypeError
        return _replacer(tuple(changes))(self, changes)

    def _repr_html_(self) -> str:
        """A table of the fields that are set and of every register (Jupyter)."""
        import html as _html
        rows = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None or f.name == "registers":
                continue
            rows.append(f"<tr><th style='text-align:left'>{f.name}</th>"
                        f"<td>{_html.escape(_fmt(v))}{_UNITS.get(f.name, '')}</td></tr>")
        regs = "".join(
            f"<tr><td><code>{_html.escape(r.key)}</code></td><td>{_html.escape(_fmt(r.value))}</td>"
            f"<td>{_html.escape(r.unit or '')}</td><td>{_html.escape(r.description or '')}</td></tr>"
            for r in self.registers)
        return (f"<table>{''.join(rows)}</table>"
                + (f"<details><summary>{len(self.registers)} registers</summary><table>"
                   f"<tr><th>key</th><th>value</th><th>unit</th><th>description</th></tr>{regs}</table></details>"
                   if self.registers else ""))

    def __str__(self) -> str:
        lines = [f"Reading ({self.format}" + (f", profile {self.profile}" if self.profile else "") + ")"]
        for f in dataclasses.fields(self):
            if f.name in ("format", "profile", "registers"):
                continue
            v = getattr(self, f.name)
            if v is None:
                continue
            lines.append(f"  {f.name:<28} {_fmt(v)}{_UNITS.get(f.name, '')}")
        if self.registers:
            lines.append(f"  registers ({len(self.registers)}):")
            for r in self.registers:
                unit = f" {r.unit}" if r.unit else ""
                desc = f"  ({r.description})" if r.description else ""
                lines.append(f"    {r.key:<24} {_fmt(r.value)}{unit}{desc}")
        return "\n".join(lines)


_READING_NAMES = tuple(f.name for f in dataclasses.fields(Reading))
_READING_NAME_SET = frozenset(_READING_NAMES)


def _slot_init() -> Any:
    """Reading.__init__ with the dataclass's signature and effect, written with each slot's own
    setter: the generated frozen-dataclass __init__ sets every field through
    ``object.__setattr__`` looked up as a global per field, which made building a Reading
    (36 fields) about 4 us, a fifth of decoding a small push (issue 16); this one takes
    about 2 us. tests/test_model.py holds it to the dataclass's signature and behaviour."""
    fields = dataclasses.fields(Reading)
    params = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_d{i}"
                       for i, f in enumerate(fields))
    body = "\n".join(f"    _s{i}(self, {f.name})" for i, f in enumerate(fields))
    namespace: dict[str, Any] = {f"_s{i}": getattr(Reading, f.name).__set__ for i, f in enumerate(fields)}
    namespace.update({f"_d{i}": f.default for i, f in enumerate(fields)})
    exec(f"def __init__(self, {params}):\n{body}\n", namespace)  # noqa: S102 - names and defaults only
    init = namespace["__init__"]
    init.__qualname__ = "Reading.__init__"
    init.__module__ = __name__
    init.__annotations__ = dict(Reading.__init__.__annotations__)   # the dataclass's own
    return init


_init_slots = _slot_init()
setattr(Reading, "__init__", _init_slots)


@functools.lru_cache(maxsize=64)
def _replacer(changed: tuple[str, ...]) -> Callable[[Reading, dict[str, Any]], Reading]:
    """``copy(reading, changes)`` for one set of changed fields (Reading.replace): every slot
    set once from the reading or from ``changes``, written out per set of names (a Reading
    whose clock gets its zone or note is copied this way on every decode: 3.4 -> about 2 us).
    Only field names go into the source; Reading.replace has checked them."""
    lines = ["def copy(self, c):", "    new = alloc(Reading)"]
    namespace: dict[str, Any] = {"alloc": object.__new__, "Reading": Reading}
    for i, f in enumerate(dataclasses.fields(Reading)):
        if f.name not in _READING_NAME_SET:     # pragma: no cover - fields() is the set
            raise ValueError(f.name)
        namespace[f"_s{i}"] = getattr(Reading, f.name).__set__
        source = f"c[{f.name!r}]" if f.name in changed else f"self.{f.name}"
        lines.append(f"    _s{i}(new, {source})")
    lines.append("    return new")
    exec("\n".join(lines), namespace)  # noqa: S102 - field names only
    copy: Callable[[Reading, dict[str, Any]], Reading] = namespace["copy"]
    return copy


def _unit_of(name: str) -> str | None:
    if name.startswith("active_power") or name in ("contracted_power", "available_power"):
        return "W"
    if name.startswith("reactive_power"):
        return "var"
    if name.startswith("active_energy"):
        return "Wh"
    if name.startswith("reactive_energy"):
        return "varh"
    if name.startswith("voltage"):
        return "V"
    if name.startswith("current"):
        return "A"
    if name == "frequency":
        return "Hz"
    if name == "interval":
        return "s"
    if name == "power_factor":
        return "1"
    return None


#: The SI unit of every quantity field of a Reading (``interval`` in seconds as ``to_dict`` gives it).
FIELD_UNITS: Mapping[str, str] = types.MappingProxyType(
    {f.name: u for f in dataclasses.fields(Reading) if (u := _unit_of(f.name)) is not None})
# the suffix str() and the HTML view print after a value (interval and power factor print none)
_UNITS = {n: f" {u}" for n, u in FIELD_UNITS.items() if n not in ("interval", "power_factor")}


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.10g}"
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    return str(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Decimal):  # exact register values (SMGW): a JSON number when lossless
        if v == v.to_integral_value():
            return int(v)
        return float(v) if Decimal(repr(float(v))) == v else str(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, _dt.timedelta):
        return v.total_seconds()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, ObisCode):
        return str(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v
