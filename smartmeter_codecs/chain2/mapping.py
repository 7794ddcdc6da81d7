"""Chain 2 messages to the common :class:`~smartmeter_codecs.Reading`, and back (simulators).

The rules (issue 5; docs/formats/chain2.md), as tables:

* ``InstantPower`` -> ``active_power_import`` (W), ``TotalActEnergy`` -> ``active_energy_import``
  (Wh), ``ContractPower`` -> ``contracted_power`` (W), ``AvailablePower`` -> ``available_power``
  (W): the gateway already sends W and Wh, so the scale is 1.
* ``TariffCode`` n (1..6) -> ``tariff`` ``"Fn"``; other codes (0 = not valid yet) leave it None.
* ``DataPlate`` (the meter's nameplate serial) -> ``meter_id``; the POD stays a register.
* ``timestamp`` = the measurement time: ``MeasurePosixTimestamp``, else ``EventPosixTimestamp``,
  else ``MessagePosixTimestamp``, else the envelope ``Ts``; always aware UTC.
* Every envelope and payload field becomes a :class:`~smartmeter_codecs.Register` with key
  ``"chain2:<JSON key>"`` (e.g. ``"chain2:POD"``, ``"chain2:SwitchOffCountdownSeconds"``).

Production-direction fields of the extended CF1 (``InstantProdPower``, ``TotalProdActEnergy``)
are kept as registers only: no source says whether, on the M1 meter, they are the exported
energy, so they are not put into ``active_*_export``.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import fields as dc_fields
from typing import Any, Mapping

from ..errors import FramingError
from ..model import Reading, Register
from .datestring import DlmsDateTime
from .gateway_json import Chain2Data, format_ts
from .messages import (
    DATE, POSIX, TEXT, FIELD_INDEX, TIMESTAMP_KEYS, FieldSpec, GenericMessage, format_value,
    catalogue_class, message_from_payload, parse_value, type_problem,
)

__all__ = ["FORMAT", "KEY_PREFIX", "READING_FIELDS", "TIMESTAMP_KEYS", "METER_ROLES", "register_key",
           "to_reading", "from_reading"]

FORMAT = "chain2"
KEY_PREFIX = "chain2:"

#: JSON payload key -> Reading field (values are already W / Wh: scale 1).
READING_FIELDS: dict[str, str] = {
    "InstantPower": "active_power_import",
    "TotalActEnergy": "active_energy_import",
    "ContractPower": "contracted_power",
    "AvailablePower": "available_power",
}
#: ``Meter`` values (MAC's PodMType): M1 = exchange meter at the grid connection.
METER_ROLES = {"M1": "exchange meter (withdrawal/injection at the grid connection)",
               "M2": "production meter", "M2_2": "production meter 2", "M2_3": "production meter 3",
               "M2_4": "production meter 4"}
#: Text values the gateway uses for "not available".
NOT_AVAILABLE = ("Non Disponibile",)
_ENVELOPE = ("Id", "Ts", "Meter", "Type")
# envelope fields kept in Chain2Data.extra because they were not what the gateway sends
_ENVELOPE_PROBLEM = {"Id": "Chain2Data.Id: expected a string",
                     "Meter": "Chain2Data.Meter: expected a string",
                     "Ts": "Chain2Data.Ts: expected 'YYYY/MM/DD hh:mm:ss' (UTC); the payload's own time is used"}
_TARIFF_CODES = range(1, 7)


def register_key(json_key: str) -> str:
    """The Register key of a JSON field: ``"chain2:" + key``."""
    return KEY_PREFIX + json_key


# ---- message -> Reading --------------------------------------------------------------------------

def _register(key: str, spec: FieldSpec | None, raw: Any, parsed: Any, type_code: str) -> Register:
    extra: dict[str, Any] = {"message": type_code}
    unit = spec.unit if spec else None
    desc = spec.description if spec else "field not in the Chain 2 catalogue (kept as sent)"
    value: Any = parsed
    if spec is None:
        # a catalogue field whose value has an unexpected JSON type (issue 9 item 6): kept as
        # sent, and the register says what was expected
        problem = type_problem(key, raw) if type_code != "envelope" else _ENVELOPE_PROBLEM.get(key)
        if problem is not None:
            extra["unexpected_type"] = problem
            known = FIELD_INDEX.get(key)
            desc = (f"{known.description} - " if known else "") + \
                "value of an unexpected JSON type, kept as sent (not interpreted)"
        if isinstance(raw, (dict, list)):
            value = json.dumps(raw, separators=(",", ":"))
            extra["json"] = raw
    elif spec.kind == POSIX:
        extra["json"] = raw
    elif spec.kind == DATE and isinstance(parsed, DlmsDateTime):
        extra.update({"json": raw, **parsed.to_json()})
        value = parsed.to_datetime() or str(parsed)
    elif spec.kind == TEXT:
        value = parsed.strip()
        if value in NOT_AVAILABLE:
            value = None
            extra["not_available"] = True
        if value != raw:
            extra["json"] = raw
    return Register(register_key(key), value, unit, None, desc, extra)


def _tariff(code: Any) -> str | None:
    if isinstance(code, (int, float)) and not isinstance(code, bool) and code == int(code) \
            and int(code) in _TARIFF_CODES:
        return f"F{int(code)}"
    return None


def to_reading(doc: Chain2Data) -> Reading:
    """The Reading of one ``Chain2Data`` envelope (every field also kept as a register)."""
    msg = doc.message
    type_code = doc.type
    regs: list[Register] = []
    if doc.id is not None:
        regs.append(Register(register_key("Id"), doc.id, None, None, "gateway id", {}))
    if doc.ts is not None:
        regs.append(Register(register_key("Ts"), doc.ts, None, None, "gateway clock when it published (UTC)",
                             {"json": format_ts(doc.ts)}))
    if doc.meter is not None:
        regs.append(Register(register_key("Meter"), doc.meter, None, None,
                             f"meter role: {METER_ROLES.get(doc.meter, 'unknown role')}", {}))
    cls = catalogue_class(type_code)
    regs.append(Register(register_key("Type"), type_code, None, None,
                         cls.DESCRIPTION if cls else GenericMessage.DESCRIPTION, {}))
    for key, value in doc.extra:
        regs.append(_register(key, None, value, value, "envelope"))

    fields: dict[str, Any] = {}
    times: dict[str, dt.datetime] = {}
    for key, spec, raw, parsed in msg.items():
        regs.append(_register(key, spec, raw, parsed, type_code))
        if spec is None:
            continue
        target = READING_FIELDS.get(key)
        if target is not None and spec.kind not in (POSIX, DATE, TEXT):
            fields[target] = float(parsed)
        elif key == "TariffCode":
            fields["tariff"] = _tariff(parsed)
        elif key == "DataPlate" and isinstance(parsed, str) and parsed.strip():
            fields["meter_id"] = parsed.strip()
        elif spec.kind == POSIX:
            times[key] = parsed
    timestamp = next((times[k] for k in TIMESTAMP_KEYS if k in times), doc.ts)
    return Reading(format=FORMAT, timestamp=timestamp, registers=tuple(regs), **fields)


# ---- Reading -> message (simulators) ------------------------------------------------------------

# What a hand-built Reading (one without a "chain2:Type" register) becomes: the first type
# that can carry every field set on it.
_CARRIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("CF1", frozenset({"active_power_import", "active_energy_import", "tariff"})),
    ("CF20", frozenset({"contracted_power", "available_power", "meter_id"})),
    ("CF22", frozenset({"active_power_import", "available_power"})),
)
_FIELD_KEYS = {v: k for k, v in READING_FIELDS.items()} | {"tariff": "TariffCode", "meter_id": "DataPlate"}
# quality is what the decoder concluded (e.g. an implausible value), not something a message carries
_IGNORED = {"format", "profile", "timestamp", "registers", "quality"}
DEFAULT_GATEWAY_ID = "c2g-000000000"


def _number(value: float) -> int | float:
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be sent: Chain 2 values are finite numbers")
    return int(value) if float(value).is_integer() else float(value)


def _raw_of(reg: Register) -> Any:
    return reg.extra["json"] if "json" in reg.extra else reg.value


def from_reading(reading: Reading) -> Chain2Data:
    """The ``Chain2Data`` envelope that decodes back to ``reading``.

    A Reading decoded from Chain2Gate JSON (it has a ``chain2:Type`` register) is rebuilt from
    its registers, with the Reading's own fields taking precedence (so ``reading.replace(
    active_power_import=...)`` is reflected). A hand-built Reading becomes a CF1, CF20 or CF22,
    whichever carries all of its fields. Raises ValueError for fields no such message carries.
    """
    regs = {r.key: r for r in reading.registers if r.key.startswith(KEY_PREFIX)}
    set_fields = {f.name for f in dc_fields(reading)
                  if f.name not in _IGNORED and getattr(reading, f.name) is not None}
    type_reg = regs.get(register_key("Type"))
    rebuilt = type_reg is not None and isinstance(type_reg.value, str) and bool(type_reg.value)
    if type_reg is not None and isinstance(type_reg.value, str) and type_reg.value:   # = rebuilt
        type_code = type_reg.value
    else:
        candidates = list(_CARRIES)
        countdown = regs.get(register_key("SwitchOffCountdownSeconds"))
        if countdown is not None and countdown.value is not None:
            candidates.sort(key=lambda c: c[0] != "CF22")  # a countdown is a CF22
        type_code = next((t for t, carried in candidates if set_fields <= carried), "")
        if not type_code:
            raise ValueError(f"no Chain 2 message carries all of {sorted(set_fields)}")
    cls = catalogue_class(type_code)
    known = {s.key for s in cls.FIELDS} if cls else set()

    payload: dict[str, Any] = {}
    for key, reg in regs.items():
        name = key[len(KEY_PREFIX):]
        if name in _ENVELOPE or reg.extra.get("message") == "envelope":
            continue
        # a hand-built Reading contributes only the registers its message type has
        if rebuilt or (name in known and reg.value is not None):
            payload[name] = _raw_of(reg)
    envelope_extra = [(key[len(KEY_PREFIX):], _raw_of(reg)) for key, reg in regs.items()
                      if reg.extra.get("message") == "envelope"]

    cannot = sorted(f for f in set_fields
                    if _FIELD_KEYS.get(f) is None
                    or (_FIELD_KEYS[f] not in known and _FIELD_KEYS[f] not in payload))
    if cannot:
        raise ValueError(f"a Chain 2 {type_code} message cannot carry {cannot}")
    for field in set_fields:
        key = _FIELD_KEYS[field]
        value = getattr(reading, field)
        if field == "tariff":
            ok = isinstance(value, str) and value[:1] == "F" and value[1:].isdigit()
            code = int(value[1:]) if ok else 0
            if code not in _TARIFF_CODES:
                raise ValueError(f"tariff {value!r}: Chain 2 tariff bands are 'F1'..'F6'")
            if _tariff(payload.get(key)) != value:
                payload[key] = code
        elif field == "meter_id":
            current = payload.get(key)
            if not (isinstance(current, str) and current.strip() == value):
                payload[key] = value
        else:
            current = payload.get(key)
            if not (isinstance(current, (int, float)) and not isinstance(current, bool) and current == value):
                payload[key] = _number(value)

    ts = regs.get(register_key("Ts"))
    gateway_ts = ts.value if ts is not None and isinstance(ts.value, dt.datetime) else None
    if reading.timestamp is not None:
        when = reading.timestamp
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("Reading.timestamp must be timezone-aware to encode Chain 2 epoch times")
        if when.microsecond:
            raise ValueError("Chain 2 times have a resolution of 1 s: Reading.timestamp has microseconds")
        time_key = next((k for k in TIMESTAMP_KEYS if k in payload), None)
        if time_key is None and gateway_ts != when:
            # the key the decoder reads first: measure time for closures, event time for events
            time_key = next((k for k in TIMESTAMP_KEYS if k in known), None)
        if time_key is not None:
            spec = FIELD_INDEX[time_key]
            try:
                current = parse_value(spec, payload.get(time_key), time_key)
            except FramingError:
                current = None
            if current != when:
                payload[time_key] = format_value(spec, when)
            if not rebuilt and "MessagePosixTimestamp" in known and "MessagePosixTimestamp" not in payload:
                payload["MessagePosixTimestamp"] = format_value(FIELD_INDEX["MessagePosixTimestamp"], when)
        elif gateway_ts != when:
            gateway_ts = when.astimezone(dt.timezone.utc)
    if gateway_ts is None and reading.timestamp is not None:
        gateway_ts = reading.timestamp.astimezone(dt.timezone.utc)

    gid = regs.get(register_key("Id"))
    meter = regs.get(register_key("Meter"))
    return Chain2Data(
        type=type_code, message=message_from_payload(type_code, payload),
        id=gid.value if gid is not None and isinstance(gid.value, str) else DEFAULT_GATEWAY_ID,
        ts=gateway_ts,
        meter=meter.value if meter is not None and isinstance(meter.value, str) else "M1",
        extra=tuple(envelope_extra))


def payload_of(reading: Reading) -> Mapping[str, Any]:
    """The JSON payload :func:`from_reading` would send (convenience for tests and docs)."""
    return from_reading(reading).message.to_payload()
