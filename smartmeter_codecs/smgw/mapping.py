"""SMGW values to the common :class:`~smartmeter_codecs.Reading`, and back (simulators).

Rules (issue 13 item 4; OBIS meanings from :mod:`..dlms.obis_map`, IEC 62056-6-1):

* ``1-0:1.8.0`` / ``2.8.0`` -> ``active_energy_import`` / ``_export`` (Wh), ``3.8.0``/``4.8.0``
  reactive energies; ``1.7.0`` / ``2.7.0`` -> active power import/export (W); ``21/41/61.7.0``
  and ``22/42/62.7.0`` per phase; ``31/51/71.7.0`` currents, ``32/52/72.7.0`` voltages,
  ``14.7.0`` frequency, ``13.7.0`` power factor.
* ``16.7.0`` (sum of active power, signed: import minus export) fills import (>= 0) or export
  (< 0) when ``1.7.0``/``2.7.0`` are absent; ``36/56/76.7.0`` likewise per phase.
* A value fills a field only when its unit is the field's unit (a 1.8.0 channel in W is not an
  energy) and its scaler is known; otherwise it stays a register and ``quality`` says why.
* A series (several time points) gives one Reading per time point, oldest first; from the
  second on, ``interval`` is the time since the previous point and
  ``active_energy_*_delta`` the exact register difference (Wh) within it.
* Every value is a :class:`~smartmeter_codecs.Register`: key = OBIS text, ``value`` exact
  (int or Decimal) in the DLMS unit, ``extra`` = raw digits, scaler, unit code, logical name,
  status (raw hex and named flags), signature bytes, capture/target times.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import fields as dc_fields
from decimal import Decimal
from typing import Any

from ..dlms.obis_map import describe, reading_field, unit_for
from ..model import Reading, Register
from ..obis import ObisCode
from .status import PTB_STATUS, FnnStatus
from .times import format_time
from .values import Sample

__all__ = ["to_readings", "reading_samples", "FIELD_CODES", "SIGNED_POWER"]

#: Reading field -> (OBIS, DLMS unit code) used when encoding a hand-built Reading.
FIELD_CODES: dict[str, tuple[ObisCode, int]] = {
    "active_energy_import": (ObisCode(1, 0, 1, 8, 0), 30), "active_energy_export": (ObisCode(1, 0, 2, 8, 0), 30),
    "reactive_energy_import": (ObisCode(1, 0, 3, 8, 0), 32), "reactive_energy_export": (ObisCode(1, 0, 4, 8, 0), 32),
    "active_power_import": (ObisCode(1, 0, 1, 7, 0), 27), "active_power_export": (ObisCode(1, 0, 2, 7, 0), 27),
    "reactive_power_import": (ObisCode(1, 0, 3, 7, 0), 29), "reactive_power_export": (ObisCode(1, 0, 4, 7, 0), 29),
    "active_power_import_l1": (ObisCode(1, 0, 21, 7, 0), 27), "active_power_import_l2": (ObisCode(1, 0, 41, 7, 0), 27),
    "active_power_import_l3": (ObisCode(1, 0, 61, 7, 0), 27), "active_power_export_l1": (ObisCode(1, 0, 22, 7, 0), 27),
    "active_power_export_l2": (ObisCode(1, 0, 42, 7, 0), 27), "active_power_export_l3": (ObisCode(1, 0, 62, 7, 0), 27),
    "current_l1": (ObisCode(1, 0, 31, 7, 0), 33), "current_l2": (ObisCode(1, 0, 51, 7, 0), 33),
    "current_l3": (ObisCode(1, 0, 71, 7, 0), 33), "voltage_l1": (ObisCode(1, 0, 32, 7, 0), 35),
    "voltage_l2": (ObisCode(1, 0, 52, 7, 0), 35), "voltage_l3": (ObisCode(1, 0, 72, 7, 0), 35),
    "frequency": (ObisCode(1, 0, 14, 7, 0), 44), "power_factor": (ObisCode(1, 0, 13, 7, 0), 255),
}
#: Signed active power (IEC 62056-6-1 C=16/36/56/76: |QI+QIV| - |QII+QIII|) -> (import, export).
SIGNED_POWER: dict[int, tuple[str, str]] = {
    16: ("active_power_import", "active_power_export"), 36: ("active_power_import_l1", "active_power_export_l1"),
    56: ("active_power_import_l2", "active_power_export_l2"), 76: ("active_power_import_l3", "active_power_export_l3"),
}
_ALERT_FLAGS = ("fatal_error", "system_time_invalid", "ptb_temporary_error", "manipulation", "magnetically")


@functools.lru_cache(maxsize=256)
def _alerts(status: FnnStatus) -> tuple[str, ...]:
    return tuple(f for f in status.flags if any(a in f for a in _ALERT_FLAGS))


def _expected_unit(obis: ObisCode, field: str) -> str | None:
    return None if field == "power_factor" else unit_for(obis)


def _json_time(v: Any) -> Any:
    return format_time(v) if isinstance(v, (dt.datetime, dt.date, dt.time)) else v


def _register(s: Sample, key: str) -> Register:
    extra: dict[str, Any] = {"raw": s.raw_text}
    if s.scaler is not None:
        extra["scaler"] = s.scaler
    if s.unit_code is not None:
        extra["unit_code"] = s.unit_code
    if s.name is not None:
        extra["logical_name"] = s.name.text
    if s.meter_id is not None:
        extra["meter_id"] = s.meter_id
    if isinstance(s.status, FnnStatus):
        extra["status"] = s.status.raw
        if s.status.flags:
            extra["status_flags"] = list(s.status.flags)
            orders = {w.bit_order for w in (s.status.smgw, s.status.meter) if w is not None and w.bit_order}
            extra["status_bit_order"] = "/".join(sorted(orders))
    if s.signature is not None:
        extra["signature"] = s.signature
    for k, v in (s.extra or {}).items():
        if v is not None:
            extra[k] = _json_time(v)
    obis = s.name.obis if s.name is not None else None
    if s.value is None:
        extra["scaled"] = False
        desc = (describe(obis) or "value") if obis else "value"
        return Register(key, s.raw, None, obis, f"{desc} (raw count: scaler and unit not in this document)",
                        extra)
    return Register(key, s.value, s.unit, obis, describe(obis) if obis else None, extra)


def _fields(samples: Sequence[tuple[Sample, Register]], notes: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    signed: dict[str, float] = {}
    for s, reg in samples:
        if s.name is None:
            notes.append(f"{reg.key}: no logical name, so its quantity is unknown (kept as a register)")
            continue
        obis = s.name.obis
        if s.invalid_reason:
            notes.append(f"{reg.key}: {s.invalid_reason} per the document (kept as a register)")
            continue
        if s.value is None:
            notes.append(f"unscaled: {obis} has no scaler/unit in this document (join readings with usage-point-info)")
            continue
        field = reading_field(obis)
        if field is not None:
            want = _expected_unit(obis, field)
            if s.unit != want:
                notes.append(f"unit mismatch: {obis} is in {s.unit or 'no unit'}, {field} needs {want or 'no unit'}"
                             " (kept as a register)")
                continue
            out.setdefault(field, float(s.value))
            continue
        if obis.a == 1 and obis.d == 7 and obis.e == 0 and obis.c in SIGNED_POWER:
            if s.unit != "W":
                notes.append(f"unit mismatch: {obis} is in {s.unit or 'no unit'}, signed active power needs W")
                continue
            imp, exp = SIGNED_POWER[obis.c]
            v = float(s.value)
            signed.setdefault(imp, max(v, 0.0))
            signed.setdefault(exp, max(-v, 0.0))
    pairs = {imp: exp for imp, exp in SIGNED_POWER.values()}
    for imp, exp in pairs.items():
        if imp in signed and imp not in out and exp not in out:
            out[imp] = signed[imp]
            out[exp] = signed[exp]
    return out


def _comparable(a: Any, b: Any) -> bool:
    return (isinstance(a, dt.datetime) and isinstance(b, dt.datetime)
            and (a.utcoffset() is None) == (b.utcoffset() is None))


def _exact(reg: Register | None) -> Decimal | None:
    if reg is None or reg.value is None or isinstance(reg.value, bool):
        return None
    return Decimal(reg.value) if isinstance(reg.value, (int, Decimal)) else None


def to_readings(samples: Iterable[Sample], *, format: str, profile: str | None = None,
                notes: Sequence[str] = ()) -> list[Reading]:
    """One Reading per time point (oldest first when the times are comparable)."""
    groups: dict[Any, list[Sample]] = {}
    for s in samples:
        groups.setdefault(s.time, []).append(s)
    keys = list(groups)
    if len(keys) > 1 and all(isinstance(k, dt.datetime) for k in keys) \
            and len({k.utcoffset() is None for k in keys}) == 1:
        keys.sort()
    readings: list[Reading] = []
    prev: tuple[Any, dict[str, Register]] | None = None
    for t in keys:
        group = groups[t]
        used: dict[str, int] = {}
        pairs: list[tuple[Sample, Register]] = []
        for i, s in enumerate(group):
            key = str(s.name.obis) if s.name is not None else f"value[{i}]"
            if key in used:  # the same OBIS from a second meter or database
                key = f"{key}@{s.name.owner if s.name is not None and s.name.owner else used[key]}"
            used[key] = used.get(key, 0) + 1
            pairs.append((s, _register(s, key)))
        local_notes = list(notes)
        fields: dict[str, Any] = _fields(pairs, local_notes)
        timestamp = t if isinstance(t, dt.datetime) else None
        if timestamp is not None and timestamp.utcoffset() is None:
            local_notes.append("timestamp without zone: the gateway's local clock, no zone assumed")
        # a PTB verdict given by the document (TRuDI statusPTB) wins over flags read from the words
        ptb = sorted({PTB_STATUS.get(p, f"status {p}") for s, _ in pairs
                      for p in [(s.extra or {}).get("status_ptb")] if p not in (None, 0)})
        if ptb:
            local_notes.append("PTB status: " + ", ".join(ptb))
        flags = sorted({f for s, _ in pairs if isinstance(s.status, FnnStatus) and (s.extra or {}).get("status_ptb") is None
                        for f in _alerts(s.status)})
        if flags:
            local_notes.append("status flags: " + ", ".join(flags) + " (bit order inferred from the FNN mask; "
                               "values kept)")
        by_field: dict[str, Register] = {}
        for s, reg in pairs:
            if s.name is not None and s.value is not None:
                f = reading_field(s.name.obis)
                if f in ("active_energy_import", "active_energy_export") and f in fields:
                    by_field.setdefault(f, reg)
        if prev is not None and _comparable(prev[0], timestamp) and timestamp > prev[0]:
            deltas = {}
            for f, delta_field in (("active_energy_import", "active_energy_import_delta"),
                                   ("active_energy_export", "active_energy_export_delta")):
                now, before = _exact(by_field.get(f)), _exact(prev[1].get(f))
                if now is None or before is None:
                    continue
                if now < before:
                    local_notes.append(f"{f} went backwards ({before} -> {now}): no delta")
                    continue
                deltas[delta_field] = float(now - before)
            if deltas:
                fields.update(deltas)
                fields["interval"] = timestamp - prev[0]
        meter_id = next((s.meter_id for s in group if s.meter_id), None)
        seen: list[str] = []
        for n in local_notes:
            if n not in seen:
                seen.append(n)
        readings.append(Reading(format=format, profile=profile, timestamp=timestamp, meter_id=meter_id,
                                quality="; ".join(seen) or None, registers=tuple(r for _, r in pairs), **fields))
        prev = (timestamp, by_field)
    return readings


# ---- Reading -> values (encode) --------------------------------------------------------------

def _digits(value: float) -> tuple[int, int]:
    """An exact (raw, scaler) for a float (its shortest repr), e.g. 1234.5 -> (12345, -1)."""
    d = Decimal(repr(float(value))).normalize()
    sign, digits, exp = d.as_tuple()
    raw = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if not isinstance(exp, int):
        raise ValueError(f"{value} cannot be encoded: SMGW values are finite numbers")
    if exp > 0:  # keep scaler 0 for integers: 1200 W -> (1200, 0)
        return raw * 10 ** exp, 0
    return raw, exp


_SKIP = {"format", "profile", "timestamp", "registers", "quality", "meter_id", "meter_model", "interval",
         "active_energy_import_delta", "active_energy_export_delta", "authenticated", "tariff",
         "contracted_power", "available_power"}


def reading_samples(reading: Reading) -> list[tuple[str | None, int, int | None, int | None, Register | None]]:
    """(logical-name text, raw, scaler, unit code, source register) for every value to send.

    Registers decoded from an SMGW document are sent as they came (raw digits, scaler, unit),
    unless the Reading's field was changed (``reading.replace(...)``): then the field's value
    is sent. A hand-built Reading's fields are sent with :data:`FIELD_CODES`.
    """
    out: list[tuple[str | None, int, int | None, int | None, Register | None]] = []
    covered: set[str] = set()
    for reg in reading.registers:
        x = reg.extra
        if "raw" not in x:
            continue
        if reg.obis is None:  # a value without logical name (EMH fragment): sent as it came
            out.append((None, int(x["raw"]), x.get("scaler"), x.get("unit_code"), reg))
            continue
        name = x.get("logical_name") or reg.obis.to_bytes().hex()
        field = reading_field(reg.obis)
        current = getattr(reading, field) if field else None
        if field and current is not None and reg.value is not None and x.get("scaled", True) \
                and float(reg.value) != current and field not in covered:  # type: ignore[arg-type]
            raw, scaler = _digits(current)
            out.append((name, raw, scaler, x.get("unit_code"), reg))
        else:
            out.append((name, int(x["raw"]), x.get("scaler"), x.get("unit_code"), reg))
        if field:
            covered.add(field)
        elif reg.obis.a == 1 and reg.obis.d == 7 and reg.obis.e == 0 and reg.obis.c in SIGNED_POWER:
            covered.update(SIGNED_POWER[reg.obis.c])  # the signed sum already carries both directions
    for f in dc_fields(reading):
        if f.name in _SKIP or f.name in covered or f.name not in FIELD_CODES:
            continue
        value = getattr(reading, f.name)
        if value is None:
            continue
        obis, unit = FIELD_CODES[f.name]
        raw, scaler = _digits(value)
        owner = f".{reading.meter_id}.sm" if reading.meter_id else ""
        out.append((obis.to_bytes().hex() + owner, raw, scaler, unit, None))
    if not out:
        raise ValueError("the Reading has no value an SMGW document can carry (no registers from an SMGW "
                         "document and no energy/power/voltage/current/frequency field set)")
    return out
