"""M-Bus telegrams <-> :class:`~smartmeter_codecs.model.Reading`.

Every data record becomes a :class:`Register` (key ``"mbus:<quantity>[:qualifiers]"``, value
scaled to the base unit, ``extra`` = storage/tariff/subunit/function plus the raw DIB/VIB).
Electricity meters (device type 0x02) also fill the typed Reading fields from records that
are current values (storage 0, instantaneous function, no manufacturer-specific VIFE):

| record | field |
|---|---|
| energy (VIF 00-07, FB 00-01), tariff 0 | ``active_energy_import`` (``_export`` with VIFE 3C) |
| the same, only tariffs 1..n present | sum of the tariff registers |
| power (VIF 28-2F, FB 28-29) | ``active_power_import``/``_export``; per phase with VIFE FC 01-03 |
| voltage FD 40-4F / current FD 50-5F with FC 01-03 | ``voltage_l1..3``, ``current_l1..3`` |
| the same with a known manufacturer phase VIFE (``manufacturers.PHASE_CONVENTIONS``) | same fields |
| reactive energy FB 02-03, reactive power FB 14-17 | ``reactive_energy_import``/``reactive_power_import`` (3C: export) |
| frequency FB 2C-2F | ``frequency`` |

``timestamp`` comes from the first current date-time record (VIF 6D, type F/I) of any meter.
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
import re
import struct
from collections.abc import Iterable
from typing import Any

from ..errors import DecodeError
from ..model import Reading, Register
from ..obis import ObisCode
from . import link as _link
from . import vif as _vif
from .application import Telegram, manufacturer_id
from .fixed import FIXED_UNITS
from .manufacturers import PHASE_CONVENTIONS
from .records import (
    DataRecord,
    build_dib,
    encode_bcd,
    encode_date,
    encode_int,
    parse_records,
)

__all__ = ["build_frame", "build_payload", "record_register", "telegrams_to_reading"]

_PHASE_FIELDS = {1: "l1", 2: "l2", 3: "l3"}
_NEUTRAL_COMBINABLES = {"correction_factor", "correction_offset", "forward_flow", "backward_flow"}


def _jsonable(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (_dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@functools.lru_cache(maxsize=1024)
def _header_plan(head: tuple[Any, ...]) -> tuple[str, dict[str, Any], tuple[str, ...] | None, str | None, str]:
    """What a record's register takes from its DIB/VIB alone: the key, the leading static
    ``extra`` items, the combinable keys, the manufacturer VIFEs (hex) and the description.

    ``head`` holds every header field :func:`record_register` reads (never the data, the
    value or the unit), so a meter that resends the same records every telegram pays this
    once (issue 16: a plan per DIF/VIF chain, like the DLMS list plan). Bounded and
    thread-safe (``functools.lru_cache``).
    """
    (dif, difes, vif, vifes, plain_text, data_type, function, storage, tariff, subunit, info,
     combinables, mvifes, table) = head
    rec = DataRecord(start=0, end=0, vif_end=0, dif=dif, difes=difes, vif=vif, vifes=vifes,
                     plain_text=plain_text, data=b"", data_type=data_type, function=function,
                     storage=storage, tariff=tariff, subunit=subunit, info=info,
                     combinables=combinables, manufacturer_vifes=mvifes, extension_table=table)
    special = rec.special
    parts = [f"mbus:{rec.quantity}" if special is None else f"mbus:{special}"]
    if storage:
        parts.append(f"storage{storage}")
    if tariff:
        parts.append(f"tariff{tariff}")
    if subunit:
        parts.append(f"subunit{subunit}")
    if function != "instantaneous":
        parts.append(function)
    mfr = bytes(mvifes).hex() if mvifes else None
    if mfr:
        parts.append("mfr" + mfr)
    static = {"storage": storage, "tariff": tariff, "subunit": subunit, "function": function,
              "dib": rec.dib.hex(), "vib": rec.vib.hex(), "data_type": data_type}
    description = rec.description if special is None else info.description
    return (":".join(parts), static, tuple(c.key for c in combinables) if combinables else None,
            mfr, description)


def record_register(rec: DataRecord, telegram: int = 0) -> Register:
    """The Register of one data record."""
    key, static, combinable, mfr, description = _header_plan((
        rec.dif, rec.difes, rec.vif, rec.vifes, rec.plain_text, rec.data_type, rec.function,
        rec.storage, rec.tariff, rec.subunit, rec.info, rec.combinables, rec.manufacturer_vifes,
        rec.extension_table))
    # the cached dict is copied, never handed out: a Register's extra is the caller's to keep
    extra: dict[str, Any] = {**static, "data": rec.data.hex(), "telegram": telegram}
    if rec.raw_value is not None and rec.raw_value is not rec.value:
        extra["raw"] = _jsonable(rec.raw_value)
    if combinable is not None:
        extra["combinable"] = list(combinable)
    if mfr:
        extra["manufacturer_vifes"] = mfr
    if rec.invalid:
        extra["invalid"] = True
    if rec.data_type == "more_records_follow":
        extra["more_records_follow"] = True
    if rec.extension_table:
        extra["table"] = rec.extension_table
    return Register(key, rec.value, rec.unit, None, description, extra)


_UNUSABLE = (False, None)


def _current_phase(rec: DataRecord, manufacturer: str | None) -> tuple[bool, int | None]:
    """(is a current value usable for typed fields, its phase or None).

    Current values: storage 0, subunit 0, instantaneous, valid number, only neutral or phase
    combinable VIFEs; a manufacturer VIFE only when :data:`PHASE_CONVENTIONS` knows it.
    """
    if rec.invalid or not isinstance(rec.value, (int, float)) or isinstance(rec.value, bool):
        return _UNUSABLE
    return static_phase(rec, manufacturer)


def static_phase(rec: DataRecord, manufacturer: str | None) -> tuple[bool, int | None]:
    """_current_phase without its per-frame part (a valid number): what the record's header
    settles (templates compute it once per layout)."""
    if not (rec.storage == 0 and rec.subunit == 0 and rec.function == "instantaneous" and rec.special is None
            and all(c.key in _NEUTRAL_COMBINABLES or c.phase is not None for c in rec.combinables)):
        return _UNUSABLE
    if not rec.manufacturer_vifes:
        return True, rec.phase
    conv = PHASE_CONVENTIONS.get(manufacturer or "")
    mv = rec.manufacturer_vifes
    if (conv is None or rec.info.key not in conv.quantities or rec.phase is not None or len(mv) != 2
            or mv[0] & 0x7F != 0x7F or mv[1] & 0x80 or mv[1] not in conv.phases):
        return _UNUSABLE
    return True, conv.phases[mv[1]]


def _is_current(rec: DataRecord) -> bool:
    return _current_phase(rec, None)[0]


def _electricity_fields(records: Iterable[DataRecord], manufacturer: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    tariff_sums: dict[str, float] = {}

    def put(name: str, value: float) -> None:
        fields.setdefault(name, value)

    for rec in records:
        usable, phase = _current_phase(rec, manufacturer)
        if not usable:
            continue
        key = rec.info.key
        direction = "export" if rec.direction == "export" else "import"
        if key in ("energy", "reactive_energy") and phase is None:
            name = f"{'active' if key == 'energy' else 'reactive'}_energy_{direction}"
            if rec.tariff == 0:
                put(name, rec.value)
            else:
                tariff_sums[name] = tariff_sums.get(name, 0) + rec.value
        elif rec.tariff != 0:
            continue
        elif key == "power":
            if phase is None:
                put(f"active_power_{direction}", rec.value)
            elif phase in _PHASE_FIELDS:
                put(f"active_power_{direction}_{_PHASE_FIELDS[phase]}", rec.value)
        elif key == "reactive_power" and phase is None:
            put(f"reactive_power_{direction}", rec.value)
        elif key in ("voltage", "current") and phase in _PHASE_FIELDS:
            put(f"{key}_{_PHASE_FIELDS[phase]}", rec.value)
        elif key == "frequency" and phase is None:
            put("frequency", rec.value)
    for name, total in tariff_sums.items():
        fields.setdefault(name, total)
    return fields


def _timestamp(records: Iterable[DataRecord]) -> _dt.datetime | None:
    for rec in records:
        if (rec.info.key == "datetime" and rec.storage == 0 and rec.function == "instantaneous"
                and not rec.combinables and isinstance(rec.value, _dt.datetime)):
            return rec.value
    return None


# (VIF quantity, direction, phase) -> OBIS C, D (IEC 62056-61 electricity codes), for the
# current-value records of electricity meters; the tariff becomes E (0 = total).
_OBIS_CD: dict[tuple[str, str, int | None], tuple[int, int]] = {
    ("energy", "import", None): (1, 8), ("energy", "export", None): (2, 8),
    ("reactive_energy", "import", None): (3, 8), ("reactive_energy", "export", None): (4, 8),
    ("power", "import", None): (1, 7), ("power", "export", None): (2, 7),
    ("power", "import", 1): (21, 7), ("power", "import", 2): (41, 7), ("power", "import", 3): (61, 7),
    ("power", "export", 1): (22, 7), ("power", "export", 2): (42, 7), ("power", "export", 3): (62, 7),
    ("reactive_power", "import", None): (3, 7), ("reactive_power", "export", None): (4, 7),
    ("voltage", "import", 1): (32, 7), ("voltage", "import", 2): (52, 7), ("voltage", "import", 3): (72, 7),
    ("current", "import", 1): (31, 7), ("current", "import", 2): (51, 7), ("current", "import", 3): (71, 7),
    ("current", "import", 4): (91, 7), ("frequency", "import", None): (14, 7),
}


def _obis_for(rec: DataRecord, manufacturer: str | None) -> ObisCode | None:
    """The OBIS code an electricity meter's current-value record corresponds to, if any."""
    usable, phase = _current_phase(rec, manufacturer)
    if not usable:
        return None
    cd = _OBIS_CD.get((rec.info.key, "export" if rec.direction == "export" else "import", phase))
    if cd is None or (rec.tariff and cd[1] != 8) or rec.tariff > 63:
        return None
    return ObisCode(1, 0, cd[0], cd[1], rec.tariff, 255)


def telegrams_to_reading(telegrams: list[Telegram], fmt: str) -> Reading:
    """One Reading from the telegrams of a (multi-telegram) sequence.

    For electricity meters, registers of current values also carry the matching OBIS code
    (``reading.register("1-0:1.8.0")`` works as for DLMS meters); their key stays ``mbus:...``.
    """
    first = telegrams[0]
    registers: list[Register] = []
    records: list[DataRecord] = []
    address = next((t.address for t in telegrams if t.address is not None), None)
    header = first.header
    if address is not None and address.manufacturer:
        registers.append(Register("mbus:header.manufacturer", address.manufacturer, None, None, "Manufacturer"))
        registers.append(Register("mbus:header.version", address.version, None, None, "Version"))
    if address is not None:
        registers.append(Register("mbus:header.medium", _vif.MEDIUM.get(address.medium, f"0x{address.medium:02X}"),
                                  None, None, "Device type (medium)", {"code": address.medium}))
    if header.access_no is not None:
        registers.append(Register("mbus:header.access_no", header.access_no, None, None, "Access number"))
        registers.append(Register("mbus:header.status", header.status, None, None, "Status byte",
                                  _status_flags(header.status or 0)))
    electricity = address is not None and address.medium == 0x02
    manufacturer = address.manufacturer if address is not None else None
    seen: dict[str, int] = {}
    used_obis: set[ObisCode] = set()
    for i, tg in enumerate(telegrams):
        for rec in tg.records:
            reg = record_register(rec, i)
            obis = _obis_for(rec, manufacturer) if electricity else None
            if obis is not None and obis not in used_obis:
                used_obis.add(obis)
                reg = Register(reg.key, reg.value, reg.unit, obis, reg.description, reg.extra)
            n = seen.get(reg.key, 0) + 1
            seen[reg.key] = n
            if n > 1:
                reg = Register(f"{reg.key}#{n}", reg.value, reg.unit, reg.obis, reg.description, reg.extra)
            registers.append(reg)
            records.append(rec)
    fields: dict[str, Any] = {}
    if electricity:
        fields = _electricity_fields(records, manufacturer)
    model = None
    if address is not None and address.manufacturer and address.manufacturer_id:
        # manufacturer 0 ("@@@") is no FLAG code (letters start at 1 = "A"): no model to name
        model = f"{address.manufacturer} v{address.version} ({_vif.MEDIUM.get(address.medium, 'unknown medium')})"
    # mode 5 and ELL CTR have no authentication tag: decrypted data are not authenticated unless
    # an AFL MAC was verified (mode 7) for every decrypted telegram
    decrypted = [t for t in telegrams if t.decrypted]
    authenticated = None
    if decrypted:
        authenticated = all(t.authenticated for t in decrypted)
    return Reading(format=fmt, timestamp=_timestamp(records), meter_id=address.ident if address else None,
                   meter_model=model, authenticated=authenticated, registers=tuple(registers), **fields)


def _status_flags(status: int) -> dict[str, Any]:
    # EN 13757-3:2018 Table 9 (status field)
    app = ("no error", "application busy", "any application error", "abnormal condition")[status & 0x03]
    return {"application": app, "power_low": bool(status & 0x04), "permanent_error": bool(status & 0x08),
            "temporary_error": bool(status & 0x10), "manufacturer_bits": (status >> 5) & 0x07}


# --------------------------------------------------------------------------------------------
# encoding

_DATA_FIELD_FOR_LEN = {1: 0x1, 2: 0x2, 3: 0x3, 4: 0x4, 6: 0x6, 8: 0x7}


def _reencode_register(reg: Register) -> bytes | None:
    """Bytes of a register decoded from M-Bus (DIB/VIB kept in ``extra``), or None.

    The data field is rebuilt from ``value`` (so an edited value is encoded); when the value
    cannot be represented that way (invalid BCD, invalid dates, binary LVARs...) or does not
    decode back to itself, the received data bytes kept in ``extra["data"]`` are used.
    """
    extra = reg.extra or {}
    dib_hex, vib_hex = extra.get("dib"), extra.get("vib")
    if dib_hex is None or vib_hex is None or extra.get("table") == "fixed" or extra.get("data_type") == "unparsed":
        return None
    dib, vib = bytes.fromhex(dib_hex), bytes.fromhex(vib_hex)
    if dib[0] & 0x0F == 0x0F:
        value = reg.value if isinstance(reg.value, (bytes, bytearray)) else bytes.fromhex(extra.get("data", ""))
        return dib[:1] + bytes(value)
    candidate = None
    try:
        candidate = _encode_value(reg, dib, vib)
    except (ValueError, TypeError, OverflowError, struct.error):
        candidate = None
    if candidate is not None:
        try:
            recs, _ = parse_records(candidate)
            if len(recs) == 1 and _same(recs[0].value, reg.value):
                return candidate
        except DecodeError:
            pass
    if "data" in extra:
        data = bytes.fromhex(extra["data"])
        if dib[0] & 0x0F == 0x0D:  # LVAR: the length byte is not part of the kept data
            lvar = _lvar_for(extra.get("raw"), data, reg)
            return dib + vib + bytes((lvar,)) + data
        return dib + vib + data
    return candidate


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-12)
    return a == b and type(a) is type(b)


def _lvar_for(raw: Any, data: bytes, reg: Register) -> int:
    dtype_text = isinstance(reg.value, str) and not (reg.extra or {}).get("invalid")
    if dtype_text:
        return len(data)
    return 0xE0 + len(data) if len(data) <= 15 else {16: 0xF0, 20: 0xF1, 24: 0xF2, 28: 0xF3, 32: 0xF4,
                                                      48: 0xF5, 64: 0xF6}.get(len(data), 0xE0)


_FIELD_LENGTHS = {0x0: (0, "none"), 0x1: (1, "int"), 0x2: (2, "int"), 0x3: (3, "int"), 0x4: (4, "int"),
                  0x5: (4, "real"), 0x6: (6, "int"), 0x7: (8, "int"), 0x8: (0, "none"), 0x9: (1, "bcd"),
                  0xA: (2, "bcd"), 0xB: (3, "bcd"), 0xC: (4, "bcd"), 0xD: (-1, "lvar"), 0xE: (6, "bcd")}


def _encode_value(reg: Register, dib: bytes, vib: bytes) -> bytes | None:
    """Data field from the register's value, inverting the VIF scaling; None if not possible."""
    extra = reg.extra or {}
    length, dtype = _FIELD_LENGTHS[dib[0] & 0x0F]
    value = reg.value
    if dtype == "none":
        return dib + vib
    if extra.get("invalid") or value is None:
        return None
    if dtype == "lvar":
        if isinstance(value, str):
            text = value.encode("latin-1")[::-1]
            return dib + vib + bytes((len(text),)) + text if len(text) <= 0xBF else None
        return None
    if isinstance(value, (_dt.date, _dt.time)):
        data = encode_date(value, length)
        return dib + vib + data
    raw = extra.get("raw", value)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(value, (int, float)) and raw is not value and "raw" in extra:
        # invert the scaling from the (possibly edited) value: factor = value / raw as decoded
        probe = parse_records(dib + vib + _probe_bytes(dtype, length))[0][0]
        scale = probe.value if isinstance(probe.value, (int, float)) else 1
        if scale:
            raw = value / scale
    if dtype == "real":
        return dib + vib + struct.pack("<f", float(raw))
    raw_int = round(raw)
    data = encode_bcd(raw_int, length) if dtype == "bcd" else encode_int(raw_int, length)
    return dib + vib + data


def _probe_bytes(dtype: str, length: int) -> bytes:
    """Data field holding the number 1 (to read a VIF's scale)."""
    if dtype == "real":
        return struct.pack("<f", 1.0)
    return encode_bcd(1, length) if dtype == "bcd" else encode_int(1, length)


def _field_records(reading: Reading) -> bytes:
    """Records for the typed fields of a Reading that has no M-Bus registers."""
    out = bytearray()

    def number(value: float, vib_base: bytes, exponent: int, *, storage: int = 0, tariff: int = 0,
               vifes: bytes = b"") -> None:
        raw = round(value * 10 ** -exponent) if exponent < 0 else round(value / 10 ** exponent)
        vif = vib_base[:-1] + bytes((vib_base[-1] | (0x80 if vifes else 0),))
        out.extend(build_dib(0x7, storage=storage, tariff=tariff) + vif + vifes + encode_int(raw, 8))

    if reading.timestamp is not None:
        out += bytes((0x04, 0x6D)) + encode_date(reading.timestamp)
    r = reading
    if r.active_energy_import is not None:
        number(r.active_energy_import, b"\x00", -3)                  # mWh
    if r.active_energy_export is not None:
        number(r.active_energy_export, b"\x00", -3, vifes=b"\x3c")
    if r.active_power_import is not None:
        number(r.active_power_import, b"\x28", -3)                   # mW
    if r.active_power_export is not None:
        number(r.active_power_export, b"\x28", -3, vifes=b"\x3c")
    for phase, suffix in _PHASE_FIELDS.items():
        for name, vib, exp, export in (("active_power_import", b"\x28", -3, False),
                                       ("active_power_export", b"\x28", -3, True),
                                       ("voltage", b"\xfd\x46", -3, False),
                                       ("current", b"\xfd\x59", -3, False)):
            v = getattr(r, f"{name}_{suffix}")
            if v is not None:
                vifes = (b"\xbc" if export else b"") + bytes((0xFC, phase))
                number(v, vib, exp, vifes=vifes)
    if r.reactive_energy_import is not None:
        number(r.reactive_energy_import, b"\xfb\x02", 3)
    if r.reactive_energy_export is not None:
        number(r.reactive_energy_export, b"\xfb\x02", 3, vifes=b"\x3c")
    if r.reactive_power_import is not None:
        number(r.reactive_power_import, b"\xfb\x14", -3)
    if r.reactive_power_export is not None:
        number(r.reactive_power_export, b"\xfb\x14", -3, vifes=b"\x3c")
    if r.frequency is not None:
        number(r.frequency, b"\xfb\x2c", -3)
    return bytes(out)


def build_payload(reading: Reading) -> tuple[bytes, bytes]:
    """(12-byte long header, records) for a Reading."""
    regs = [reg for reg in reading.registers if not reg.key.startswith("mbus:header.")]
    recs = bytearray()
    encoded_any = False
    for reg in regs:
        b = _reencode_register(reg)
        if b is not None:
            recs += b
            encoded_any = True
    if not encoded_any:
        recs = bytearray(_field_records(reading))
    ident = (reading.meter_id or "0").strip()
    if len(ident) > 8 or any(ch not in "0123456789abcdefABCDEF" for ch in ident):
        raise ValueError(f"meter_id must be at most 8 (BCD) digits for an M-Bus header, got {reading.meter_id!r}")
    # No invented identity: without a manufacturer register or a meter_model naming one, the
    # header says manufacturer 0 (no FLAG code), which decodes back to meter_model None.
    manufacturer, version, medium = 0, 0, 0x02
    model = _MODEL.match(reading.meter_model or "")
    if model is not None:
        manufacturer, version = manufacturer_id(model["flag"]), int(model["version"])
        medium = next((code for code, name in _vif.MEDIUM.items() if name == model["medium"]), medium)
    for reg in reading.registers:
        if reg.key == "mbus:header.manufacturer" and isinstance(reg.value, str):
            manufacturer = manufacturer_id(reg.value)
        elif reg.key == "mbus:header.version" and isinstance(reg.value, int):
            version = reg.value
        elif reg.key == "mbus:header.medium":
            medium = int((reg.extra or {}).get("code", medium))
    header = (bytes.fromhex(ident.rjust(8, "0"))[::-1] + manufacturer.to_bytes(2, "little")
              + bytes((version & 0xFF, medium & 0xFF, 0, 0)) + b"\x00\x00")
    return header, bytes(recs)


# meter_model as telegrams_to_reading writes it: "KAM v1 (electricity)"
_MODEL = re.compile(r"^(?P<flag>[@-_]{3}) v(?P<version>\d{1,3}) \((?P<medium>[^)]*)\)$")


def _header_int(reading: Reading, key: str) -> int | None:
    reg = reading.register(key)
    return reg.value if reg is not None and isinstance(reg.value, int) else None


def build_frame(reading: Reading, *, address: int = 0x01, long_header: bool = False) -> bytes:
    """RSP_UD long frame (C=08) for a Reading; ValueError when it does not fit.

    The CI follows what the Reading carries, so that ``decode(encode(r))`` keeps its fields:
    CI 0x73 (fixed data structure) for the two counters of a fixed-structure frame; CI 0x72
    (long header) when there is a ``meter_id``; else CI 0x7A (short header) when access number
    and status are known, CI 0x78 (no header) otherwise. ``long_header`` forces CI 0x72 (wM-Bus).
    """
    if not long_header:
        fixed = _fixed_payload(reading)
        if fixed is not None:
            return _link.build_long_frame(0x08, address, 0x73, fixed)
    header, recs = build_payload(reading)
    # sanity: what we built must parse
    parse_records(recs)
    if long_header or reading.meter_id is not None:
        return _link.build_long_frame(0x08, address, 0x72, header + recs)
    access, status = _header_int(reading, "mbus:header.access_no"), _header_int(reading, "mbus:header.status")
    if access is not None:
        return _link.build_long_frame(0x08, address, 0x7A, bytes((access & 0xFF, (status or 0) & 0xFF, 0, 0)) + recs)
    return _link.build_long_frame(0x08, address, 0x78, recs)


def _fixed_payload(reading: Reading) -> bytes | None:
    """The 16 bytes of a CI 0x73 fixed data structure (EN 13757-3:2018 Annex G) for a Reading
    decoded from one, or None when the Reading has no fixed-structure counters.

    Raises ValueError when the counters cannot be represented (another record kind mixed in,
    a value no unit code of the fixed structure expresses).
    """
    counters = [reg for reg in reading.registers if (reg.extra or {}).get("table") == "fixed"]
    if not counters:
        return None
    others = [reg for reg in reading.registers if reg not in counters and not reg.key.startswith("mbus:header.")]
    if len(counters) != 2 or others:
        raise ValueError("a CI 0x73 fixed data structure holds exactly two counters and no other records; "
                         f"got {len(counters)} counters and {len(others)} other registers")
    ident = (reading.meter_id or "0").strip()
    if len(ident) > 8 or any(ch not in "0123456789abcdefABCDEF" for ch in ident):
        raise ValueError(f"meter_id must be at most 8 (BCD) digits for an M-Bus header, got {reading.meter_id!r}")
    access = _header_int(reading, "mbus:header.access_no") or 0
    status = _header_int(reading, "mbus:header.status") or 0
    medium_reg = reading.register("mbus:header.medium")
    medium = int((medium_reg.extra or {}).get("code", 0)) if medium_reg is not None else 0
    binary = all((reg.extra or {}).get("data_type") == "int" for reg in counters)
    status = (status & 0x7F) | (0x80 if binary else 0)
    stored = bool(status & 0x40)
    # counter 2 with storage 1 (and no "stored values" status bit) is unit code 0x3E: "same unit
    # as counter 1, historic value" (EN 13757-3:2018 Table G.2); both then share one unit code
    historic = not stored and (counters[1].extra or {}).get("storage") == 1
    c1, raw1 = _fixed_unit(counters[0], binary, counters[1] if historic else None)
    c2, raw2 = (0x3E, _fixed_raw(counters[1], c1)) if historic else _fixed_unit(counters[1], binary)
    codes = [c1, c2]
    data = b"".join(raw.to_bytes(4, "little") if binary else encode_bcd(raw, 4) for raw in (raw1, raw2))
    mu = bytes((codes[0] | ((medium & 0x03) << 6), codes[1] | (((medium >> 2) & 0x03) << 6)))
    return bytes.fromhex(ident.rjust(8, "0"))[::-1] + bytes((access & 0xFF, status)) + mu + data


def _fixed_raw(reg: Register, code: int) -> Any:
    info = FIXED_UNITS[code]
    value = reg.value
    if info.kind != "number":
        return value
    raw = value / 10 ** info.exponent if info.exponent >= 0 else value * 10 ** -info.exponent
    return round(raw)


def _fixed_unit(reg: Register, binary: bool, same_unit: Register | None = None) -> tuple[int, int]:
    """(unit code, raw counter) expressing ``reg.value`` (and ``same_unit.value``, which must
    share the code) in the fixed structure's units."""
    limit = 0xFFFFFFFF if binary else 99_999_999
    quantity = reg.key.split(":")[1].split("#")[0]

    def fits(r: Register, code: int) -> bool:
        info, value = FIXED_UNITS[code], r.value
        if info.kind != "number":
            return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        raw = value / 10 ** info.exponent if info.exponent >= 0 else value * 10 ** -info.exponent
        return math.isclose(raw, round(raw), rel_tol=0, abs_tol=1e-6) and 0 <= round(raw) <= limit

    for code, info in sorted(FIXED_UNITS.items(), key=lambda kv: -kv[1].exponent):
        if info.key == quantity and code != 0x3E and fits(reg, code) and (same_unit is None or fits(same_unit, code)):
            return code, _fixed_raw(reg, code)
    value = reg.value
    raise ValueError(f"register {reg.key} = {value!r} {reg.unit or ''} has no unit code in the CI 0x73 "
                     "fixed data structure")
