"""What a wallbox reads through a DLMS client, as a sans-I/O plan: which attributes to GET, in
which order, and how the answers become one :class:`~smartmeter_codecs.model.Reading`.

A :class:`Readout` is a generator of GET batches::

    steps = readout.steps()
    batch = next(steps)                       # list[AttributeRef]
    while True:
        results = <GET every attribute of batch>   # list[GetResult], same order
        try:
            batch = steps.send(results)
        except StopIteration as done:
            reading = done.value
            break

(:func:`run_readout` does exactly this with any ``get_many`` callable; the serial transport
in :mod:`smartmeter_codecs.io.dlms_optical` supplies one.)

Scaling is never hard-coded: every numeric value is scaled by the scaler_unit (attribute 3
of Register/Extended register, attribute 4 of Demand register) read from the meter itself;
the profile's columns come from its capture_objects (attribute 3). A value whose scaler or
column meaning could not be read stays an unnamed raw register and ``quality`` says why
(docs/formats/dlms-client.md: scalers differ by make, e.g. the Circutor row fits both
(1 W, 0.01 A) and (10 W, 0.1 A)).

The scalers and capture objects are cached between polls (they do not change while the
meter runs); :meth:`Readout.forget` drops the cache.
"""
from __future__ import annotations

import datetime as _dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any, Callable, Generator

from .. import plausibility
from ..model import Reading, Register
from ..obis import ObisCode
from .axdr import TYPE_NAMES, Data
from .interpret import _plain, registers_to_fields
from .obis_map import describe
from .units import UNITS
from .xdlms import AttributeRef, DataAccessResult, GetResult

__all__ = ["ReadoutPlan", "Readout", "run_readout", "ES_PRIME", "GENERIC_INSTANT", "PLANS"]

_NUMERIC = {5, 6, 15, 16, 17, 18, 20, 21, 22, 23, 24}
_SCALED_CLASSES = {3: 3, 4: 3, 5: 4}    # class id -> attribute holding scaler_unit


@dataclass(frozen=True, slots=True)
class ReadoutPlan:
    """A table of what to read (data, not code paths).

    Attributes:
        name: the Reading's ``profile``.
        profile: logical name of the instantaneous-values profile (class 7), or None.
        registers: (class id, logical name) of registers read besides the profile.
        contracted: contracted-power registers (class 3), read when the client may.
        identity: Data objects (class 1) holding the meter's id.
        timezone: the zone of a meter clock sent without deviation.
        descriptions: names of codes the generic OBIS table does not know.
    """

    name: str
    profile: str | None
    registers: tuple[tuple[int, str], ...] = ()
    contracted: tuple[str, ...] = ()
    identity: tuple[str, ...] = ("0.0.96.1.0.255", "0.0.42.0.0.255")
    timezone: str | None = None
    descriptions: tuple[tuple[str, str], ...] = ()


# Spanish PRIME companion (docs/formats/dlms-client.md): the instantaneous-values profile
# (gisce/primestg dlms_templates GET_INSTANT), the four registers the ESPHome ZIV component
# reads (viric/esphome-ziv), contracted powers P1..P6 0.1.94.34.11..16.255 (primestg).
ES_PRIME = ReadoutPlan(
    name="es-prime",
    profile="0.0.21.0.5.255",
    registers=((3, "1.0.1.8.0.255"), (3, "1.0.2.8.0.255"), (3, "1.0.1.7.0.255"), (3, "1.0.2.7.0.255")),
    contracted=tuple(f"0.1.94.34.{e}.255" for e in range(11, 17)),
    timezone="Europe/Madrid",
    descriptions=tuple((f"0.1.94.34.{e}.255", f"Contracted power P{e - 10}") for e in range(11, 17))
    + (("0.0.21.0.5.255", "Instantaneous values profile"),),
)

# Any DLMS meter: the standard instantaneous registers (IEC 62056-6-1 / OBIS) one by one.
GENERIC_INSTANT = ReadoutPlan(
    name="dlms-instant",
    profile=None,
    registers=tuple((3, c) for c in ("1.0.1.7.0.255", "1.0.2.7.0.255", "1.0.32.7.0.255", "1.0.52.7.0.255",
                                     "1.0.72.7.0.255", "1.0.31.7.0.255", "1.0.51.7.0.255", "1.0.71.7.0.255",
                                     "1.0.1.8.0.255", "1.0.2.8.0.255")),
)

PLANS = {p.name: p for p in (ES_PRIME, GENERIC_INSTANT)}

_CLOCK_CLASS = 8


@dataclass
class _Column:
    class_id: int
    obis: ObisCode
    attribute: int


@dataclass
class Readout:
    """One plan plus what has been learnt from the meter (capture objects, scalers)."""

    plan: ReadoutPlan = ES_PRIME
    read_contracted: bool = True
    columns: list[_Column] | None = None
    scalers: dict[ObisCode, tuple[int, int] | None] = field(default_factory=dict)
    _notes: list[str] = field(default_factory=list)

    def forget(self) -> None:
        self.columns = None
        self.scalers.clear()

    # --- the plan ---------------------------------------------------------------------
    def steps(self) -> Generator[list[AttributeRef], list[GetResult], Reading]:
        plan = self.plan
        notes: list[str] = []
        profile = ObisCode.parse(plan.profile) if plan.profile else None
        regs = [(cls, ObisCode.parse(c)) for cls, c in plan.registers]
        contracted = [ObisCode.parse(c) for c in plan.contracted] if self.read_contracted else []
        # 1. what the columns are, and the scalers of the separate registers
        first: list[AttributeRef] = []
        if profile is not None and self.columns is None:
            first.append(AttributeRef(7, profile, 3))
        scaled = [(cls, o) for cls, o in regs + [(3, o) for o in contracted] if o not in self.scalers]
        first += [AttributeRef(cls, o, _SCALED_CLASSES[cls]) for cls, o in scaled]
        if first:
            results = _checked(first, (yield first))
            it = iter(zip(first, results))
            if profile is not None and self.columns is None:
                ref, res = next(it)
                self.columns = self._capture_objects(res, notes)
            for ref, res in it:
                self.scalers[ref.obis] = self._scaler_unit(ref, res, notes)
        # 2. the scalers of the profile's columns
        cols = self.columns or []
        missing = [c for c in cols if c.class_id in _SCALED_CLASSES and c.attribute == 2
                   and c.obis not in self.scalers]
        if missing:
            refs = [AttributeRef(c.class_id, c.obis, _SCALED_CLASSES[c.class_id]) for c in missing]
            results = _checked(refs, (yield refs))
            for ref, res in zip(refs, results):
                self.scalers[ref.obis] = self._scaler_unit(ref, res, notes)
        # 3. the values
        values: list[AttributeRef] = []
        if profile is not None:
            values.append(AttributeRef(7, profile, 2))
        values += [AttributeRef(cls, o, 2) for cls, o in regs]
        values += [AttributeRef(3, o, 2) for o in contracted]
        values += [AttributeRef(1, ObisCode.parse(c), 2) for c in plan.identity]
        results = _checked(values, (yield values))
        return self._reading(values, results, notes)

    # --- answers to registers -----------------------------------------------------------
    @staticmethod
    def _capture_objects(res: GetResult, notes: list[str]) -> list[_Column] | None:
        if not res.ok or res.data is None or res.data.tag != 1:
            notes.append(f"capture_objects not readable ({res.describe_error() if not res.ok else 'not an array'}): "
                         f"profile columns kept as raw values")
            return None
        cols = []
        for entry in res.data.value:
            v = entry.value
            if entry.tag != 2 or len(v) < 3 or v[0].tag != 18 or v[1].tag != 9 or len(v[1].value) != 6 \
                    or v[2].tag not in (15, 17):     # attribute_index: integer (unsigned tolerated)
                notes.append("capture_objects entry not {class, logical name, attribute, data index}: profile "
                             "columns kept as raw values")
                return None
            cols.append(_Column(v[0].value, ObisCode.from_bytes(v[1].value), int(v[2].value)))
        return cols

    @staticmethod
    def _scaler_unit(ref: AttributeRef, res: GetResult, notes: list[str]) -> tuple[int, int] | None:
        d = res.data
        if res.ok and d is not None and d.tag == 2 and len(d.value) == 2 and d.value[0].tag == 15 \
                and d.value[1].tag == 22:
            return int(d.value[0].value), int(d.value[1].value)
        why = res.describe_error() if not res.ok else f"not a scaler_unit structure ({d.type_name if d else '?'})"
        notes.append(f"scaler_unit of {ref.obis} not readable ({why}): its value kept raw")
        return None

    def _register(self, obis: ObisCode, class_id: int, data: Data, source: str) -> Register:
        extra: dict[str, Any] = {"class_id": class_id, "type": TYPE_NAMES.get(data.tag, data.tag), "source": source}
        desc = dict(self.plan.descriptions).get(obis.dotted) or describe(obis)
        if data.tag in _NUMERIC and class_id in _SCALED_CLASSES:
            su = self.scalers.get(obis)
            raw = data.value
            if su is None:
                extra.update(raw=raw, obis=str(obis), scaler=None)
                return Register(f"{obis}#raw", raw, None, None, desc, extra)
            scaler, unit_code = su
            value = raw if scaler == 0 else (raw * 10 ** scaler if scaler > 0 else raw / 10 ** -scaler)
            extra.update(raw=raw, scaler=scaler, unit_code=unit_code, scaler_unit="read from the meter")
            return Register(str(obis), value, UNITS.get(unit_code), obis, desc, extra)
        return Register(str(obis), _plain(data, obis), None, obis, desc, extra)

    def _reading(self, refs: list[AttributeRef], results: list[GetResult], notes: list[str]) -> Reading:
        registers: list[Register] = []
        errors: list[str] = []
        for ref, res in zip(refs, results):
            if not res.ok or res.data is None:
                errors.append(f"{ref.obis}: {res.describe_error()}")
                continue
            if ref.class_id == 7:
                registers += self._profile_registers(ref.obis, res.data, notes)
            else:
                registers.append(self._register(ref.obis, ref.class_id, res.data, "register"))
        if errors:
            notes.append("not read: " + "; ".join(errors))
        fields = registers_to_fields(tuple(registers))
        clock = fields.pop("clock", None)
        if isinstance(clock, _dt.datetime) and clock.tzinfo is None and self.plan.timezone:
            clock = clock.replace(tzinfo=zoneinfo.ZoneInfo(self.plan.timezone))
            notes.append(f"timezone assumed: {self.plan.timezone} (the meter clock has no deviation)")
        contracted = self._contracted(registers, notes)
        if contracted is not None:
            fields["contracted_power"] = contracted
        reading = Reading(format="dlms-client", profile=self.plan.name, timestamp=clock,
                          quality="; ".join(dict.fromkeys(notes)) or "measured",
                          registers=tuple(registers), **fields)
        return plausibility.screen(reading)

    def _profile_registers(self, obis: ObisCode, buffer: Data, notes: list[str]) -> list[Register]:
        if buffer.tag != 1 or not buffer.value:
            notes.append(f"profile {obis} buffer is empty" if buffer.tag == 1 else
                         f"profile {obis} buffer is not an array")
            return []
        row = buffer.value[-1]          # the newest entry (an instantaneous profile holds one)
        if row.tag != 2:
            notes.append(f"profile {obis} entry is not a structure")
            return []
        cols = self.columns
        out = []
        if cols is None or len(cols) != len(row.value):
            if cols is not None:
                notes.append(f"profile {obis}: {len(row.value)} values but {len(cols)} capture objects; values "
                             f"kept as value[i]")
            for i, cell in enumerate(row.value):
                out.append(Register(f"value[{i}]", _plain(cell, None), None, None, None,
                                    {"type": TYPE_NAMES.get(cell.tag, cell.tag), "source": f"profile {obis}",
                                     "position": i}))
            return out
        for i, (col, cell) in enumerate(zip(cols, row.value)):
            if col.class_id == _CLOCK_CLASS and cell.tag == 9 and len(cell.value) == 12:
                from .cosem_time import parse_datetime
                dt = parse_datetime(cell.value).to_datetime()
                out.append(Register(str(col.obis), dt if dt is not None else cell.value.hex(), None, col.obis,
                                    describe(col.obis), {"class_id": 8, "source": f"profile {obis} column {i}"}))
                continue
            if col.attribute != 2:
                # another attribute than the value (e.g. a status or capture time): kept as
                # sent, under its own key, never scaled with the value's scaler
                out.append(Register(f"{col.obis}#{col.attribute}", _plain(cell, None), None, None,
                                    describe(col.obis), {"class_id": col.class_id, "attribute": col.attribute,
                                                         "type": TYPE_NAMES.get(cell.tag, cell.tag),
                                                         "source": f"profile {obis} column {i}"}))
                continue
            out.append(self._register(col.obis, col.class_id, cell, f"profile {obis} column {i}"))
        return out

    def _contracted(self, registers: list[Register], notes: list[str]) -> float | None:
        codes = {ObisCode.parse(c) for c in self.plan.contracted}
        values = {r.obis: r.value for r in registers if r.obis in codes and r.unit == "W"
                  and isinstance(r.value, (int, float))}
        nonzero = sorted({float(v) for v in values.values() if v})
        if len(nonzero) == 1:
            return nonzero[0]
        if len(nonzero) > 1:
            notes.append("contracted powers differ by period (" + ", ".join(
                f"{describe(o) or dict(self.plan.descriptions).get(o.dotted)}={v:g} W" for o, v in sorted(values.items()))
                + "): contracted_power left unset, see the registers")
        return None


def _checked(batch: list[AttributeRef], results: list[GetResult]) -> list[GetResult]:
    if len(results) != len(batch):
        raise ValueError(f"{len(results)} results for a batch of {len(batch)} attributes")
    return results


def run_readout(readout: Readout, get_many: Callable[[list[AttributeRef]], list[GetResult]]) -> Reading:
    """Drive :meth:`Readout.steps` with a function that GETs a batch of attributes."""
    steps = readout.steps()
    batch = next(steps)
    while True:
        results = get_many(batch)
        try:
            batch = steps.send(results)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the generator's return value (a Reading)


__all__ += ["DataAccessResult"]
