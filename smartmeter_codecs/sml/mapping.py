"""SML list entries -> Registers -> Reading, and back (tables; docs/formats/sml.md).

Every list entry becomes a :class:`~smartmeter_codecs.model.Register`: key = OBIS string, value =
``raw * 10**scaler`` in the DLMS unit of the entry (``dlms/units.py``), ``extra`` = status word,
scaler, raw value, wire type, unit code, valTime, signature. The Reading's SI fields come from
:data:`FIELDS` and only from an entry whose unit code is the field's unit, so a value is never
guessed into a quantity. Meter quirks are data (:data:`PROFILES`, :data:`DZG_SIGN`,
:data:`DIRECTION_IN_STATUS`); each one that changed or withheld a value says so in ``quality``.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from ..dlms.units import UNITS
from ..model import Reading, Register
from ..obis import READING_FIELDS, ObisCode
from .messages import ListEntry, SmlTime, Tree, encode_entry
from .tl import int_width, uint_width

__all__ = [
    "DIRECTION_IN_STATUS",
    "DZG_SIGN",
    "FIELDS",
    "FORMAT",
    "PROFILES",
    "SIGNED_POWER",
    "DirectionRule",
    "DzgSerials",
    "Profile",
    "ServerId",
    "build_server_id",
    "entry_register",
    "parse_server_id",
    "profile_for",
    "reading_entries",
    "time_from_datetime",
    "to_reading",
    "tree_entries",
]

FORMAT = "sml"


@dataclass(frozen=True, slots=True)
class Profile:
    """Decoder options selected by ``profile=`` (a table, not code paths).

    ``crc``: ``"auto"`` (X.25; Holley's KERMIT accepted when X.25 fails), ``"x25"`` or
    ``"kermit"`` (only that one). ``dzg_sign``: how a negative 1-2 byte power value of a DZG
    meter is read: ``None`` = by :data:`DZG_SIGN` (withheld where the serial does not settle
    it), ``"unsigned"`` = as unsigned (the user's meter has the bug; libsml's workaround),
    ``"signed"`` = as sent (the user's meter has fixed firmware).
    """

    name: str
    crc: str
    dzg_sign: str | None
    description: str


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("default", "auto", None, "X.25 CRCs (Holley's KERMIT variant detected); a DZG power value whose sign "
            "the serial does not settle is withheld and reported"),
    Profile("x25", "x25", None, "only CRC-16/X.25 accepted (strict)"),
    Profile("holley-kermit", "kermit", None, "only CRC-16/KERMIT (Holley DTZ541 RS485 terminal, SmlLib #22)"),
    Profile("dzg-dvs74", "auto", "unsigned", "as default, and negative 1-2 byte power values of DZG meters re-read "
            "as unsigned (the DVS74 sign bug; libsml PR #66)"),
    Profile("dzg-signed", "auto", "signed", "as default, and negative 1-2 byte power values of DZG meters taken as "
            "sent (firmware without the sign bug)"),
)}


def profile_for(name: str | None) -> Profile:
    """The profile for ``profile=`` (``None`` = ``"default"``); ValueError for unknown names."""
    key = "default" if name is None else name.lower()
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unknown sml profile {name!r}; known: {', '.join(PROFILES)}") from None


_O = ObisCode.parse

# OBIS -> (Reading field, unit the entry must carry). Unsigned quantities: a negative value
# contradicts the code's meaning (OBIS C=1 is +P) and is kept out of the field.
FIELDS = READING_FIELDS   # the shared OBIS table (obis.py); old EMH eHZ send +P at 1.7.0
_SIGNED_FIELDS = {"voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3",
                  "frequency", "power_factor"}

# Signed active power (OBIS C=16 "sum over all phases of |+P| - |-P|", 36/56/76 per phase):
# + is import, - is export (FNN Lastenheft EDL; research §3.3) -> (import field, export field)
SIGNED_POWER: dict[ObisCode, tuple[str, str]] = {
    _O("1-0:16.7.0"): ("active_power_import", "active_power_export"),
    _O("1-0:36.7.0"): ("active_power_import_l1", "active_power_export_l1"),
    _O("1-0:56.7.0"): ("active_power_import_l2", "active_power_export_l2"),
    _O("1-0:76.7.0"): ("active_power_import_l3", "active_power_export_l3"),
}
_ABS_POWER = _O("1-0:15.7.0")      # |P| without a sign (EMH ED300L, eHZ-H, Dr. Neuhaus SMGW)
_TOTAL_POWER = _O("1-0:16.7.0")
_ENERGY_IMPORT = _O("1-0:1.8.0")

# Field -> (C, D) of its tariff registers 1-0:C.D.1..9, summed when the total E=0 is absent
# (old EMH eHZ send only 1.8.1 and 1.8.2).
_TOTALS: dict[str, tuple[str | None, tuple[ObisCode, ...]]] = {
    field: (FIELDS[ObisCode(1, 0, c, d, 0)][1], tuple(ObisCode(1, 0, c, d, e) for e in range(1, 10)))
    for field, (c, d) in {"active_energy_import": (1, 8), "active_energy_export": (2, 8),
                          "reactive_energy_import": (3, 8), "reactive_energy_export": (4, 8)}.items()}

class DzgSerials(NamedTuple):
    """A DZG serial range and how its power values are signed: ``"unsigned"`` (the sign bug)
    or ``"signed"`` (genuine negatives), with the report that shows it."""

    low: int
    high: int
    sign: str
    source: str


#: Some DZG meters send a positive power of 327.68..655.35 W (scaler -2) as a *signed* 1-2 byte
#: integer, so +356.24 W arrives as -299.12 W (libsml #59); others send genuine negatives the
#: same way (-105.50 W, libsml #105). A negative 1-2 byte value of 16.7.0 or 36/56/76.7.0 is
#: therefore read by the serial (DIN 43863-5 serial of the server id); a serial in no range
#: leaves the sign unsettled. Per-phase values are affected too (vzlogger #544: serial 50071463,
#: 36.7.0 = -148.36 W at about +500 W; libsml #125: WS74121 36.7.0 jumping between +-320 W).
DZG_SIGN: tuple[DzgSerials, ...] = (
    DzgSerials(42_000_000, 48_999_999, "unsigned", "DVS74, libsml #59 / PR #66"),
    DzgSerials(55_000_000, 58_999_999, "unsigned", "DVS74, libsml #59 / PR #66"),
    DzgSerials(60_000_000, 99_999_999, "signed", "DVS74 >= 60000000 fixed, libsml #105, libsml-testing PR #15"),
    DzgSerials(40_000_000, 40_999_999, "signed", "DWSB20.2TH 40051478 (libsml-testing, vzlogger #533) and "
               "DVBS12.2H 40221297 (libsml #162) send genuine negatives"),
)
# libsml sml_list.c applies the re-typing when the value's TL length nibble is 1..3, i.e. the
# integer has at most 2 bytes; 3-byte values are unambiguous (vzlogger #533)
_DZG_MAX_WIDTH = 2

class DirectionRule(NamedTuple):
    """Where a maker's |P|-only meters put the energy direction: ``bit`` of the 1-0:1.8.0
    status word (set = delivering, -A), trusted only for status words up to ``status_max``
    (the layout the rule was documented for)."""

    bit: int
    status_max: int
    source: str


#: Meters that send only |P| (1-0:15.7.0) and the direction in the 1-0:1.8.0 status word.
#: EMH: bit 5 of the FNN Lastenheft EDL 1.0 (2010) status word, as used by vzlogger PR
#: #476/#688 and the openHAB SmlReader binding; corpus: EMH ED300L status 0x182 while consuming,
#: 0x1B0 while delivering (libsml-testing EMH-ED300L_*.bin), eHZ-H 0x182. Newer 24-bit status
#: words (0x1C0104...) have another layout and are not read this way.
DIRECTION_IN_STATUS: dict[str, DirectionRule] = {
    "EMH": DirectionRule(0x20, 0xFFFF, "FNN Lastenheft EDL 1.0 status word"),
}

# manufacturer id entries: older eHZ 129-129:199.130.3, newer mME 1-0:96.50.1*1
_MANUFACTURER = (_O("129-129:199.130.3.255"), _O("1-0:96.50.1.1"))
_DEVICE_ID = (_O("1-0:96.1.0.255"), _O("1-0:0.0.9.255"), _O("1-0:0.0.0.255"), _O("0-0:96.1.255.255"))

_DESCRIPTIONS: dict[ObisCode, str] = {_O(k): v for k, v in {
    "129-129:199.130.3.255": "Manufacturer (FLAG id)", "1-0:96.50.1.1": "Manufacturer (FLAG id)",
    "1-0:96.1.0.255": "Server id (DIN 43863-5)", "1-0:0.0.9.255": "Server id (DIN 43863-5)",
    "1-0:0.0.0.255": "Property number", "0-0:96.1.255.255": "Meter number",
    "129-129:199.130.5.255": "Public key", "1-0:96.5.0.255": "Operating status word",
    "1-0:0.2.0.0": "Firmware version", "1-0:96.90.2.1": "Firmware checksum",
    "1-0:1.8.0.255": "Active energy import (+A)", "1-0:2.8.0.255": "Active energy export (-A)",
    "1-0:1.8.1.255": "Active energy import tariff 1", "1-0:1.8.2.255": "Active energy import tariff 2",
    "1-0:2.8.1.255": "Active energy export tariff 1", "1-0:2.8.2.255": "Active energy export tariff 2",
    "1-0:3.8.0.255": "Reactive energy import (+R)", "1-0:4.8.0.255": "Reactive energy export (-R)",
    "1-0:16.7.0.255": "Active power (+ import, - export)", "1-0:15.7.0.255": "Active power, absolute |P|",
    "1-0:1.7.0.255": "Active power import (+P)", "1-0:2.7.0.255": "Active power export (-P)",
    "1-0:36.7.0.255": "Active power L1 (+ import, - export)", "1-0:56.7.0.255": "Active power L2 (+ import, - export)",
    "1-0:76.7.0.255": "Active power L3 (+ import, - export)",
    "1-0:32.7.0.255": "Voltage L1", "1-0:52.7.0.255": "Voltage L2", "1-0:72.7.0.255": "Voltage L3",
    "1-0:31.7.0.255": "Current L1", "1-0:51.7.0.255": "Current L2", "1-0:71.7.0.255": "Current L3",
    "1-0:14.7.0.255": "Frequency", "1-0:13.7.0.255": "Power factor",
    "1-0:81.7.1.255": "Phase angle U-L2 to U-L1", "1-0:81.7.2.255": "Phase angle U-L3 to U-L1",
    "1-0:81.7.4.255": "Phase angle I-L1 to U-L1", "1-0:81.7.15.255": "Phase angle I-L2 to U-L2",
    "1-0:81.7.26.255": "Phase angle I-L3 to U-L3",
}.items()}


# --- server id (DIN 43863-5) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerId:
    """A decoded SML server id.

    ``meter_id`` is the DIN 43863-5 meter id when the server id is one (10 bytes
    ``<type 09|0A> <medium> <FLAG 3 ASCII> <fabrication block> <serial 4 bytes BE>`` ->
    ``"1DZG0042083934"``: medium digit, FLAG, block as 2 digits, serial as 8 digits), the text
    of an ASCII server id (old EMH ``"02280816"``), else the hex string.
    """

    raw: bytes
    meter_id: str
    kind: str                   # "din43863-5", "ascii", "hex"
    manufacturer: str | None = None
    serial: int | None = None


def parse_server_id(raw: bytes) -> ServerId:
    if (len(raw) == 10 and raw[0] in (0x09, 0x0A) and raw[1] <= 9 and all(0x41 <= c <= 0x5A for c in raw[2:5])
            and raw[5] <= 99):
        serial = int.from_bytes(raw[6:10], "big")
        if serial <= 99_999_999:
            flag: str | None = raw[2:5].decode("ascii")
            return ServerId(raw, f"{raw[1]}{flag}{raw[5]:02d}{serial:08d}", "din43863-5", flag, serial)
    if raw and all(0x20 < c < 0x7F for c in raw):
        return ServerId(raw, raw.decode("ascii"), "ascii")
    flag = None
    if len(raw) == 10 and raw[0] == 0x06 and all(0x41 <= c <= 0x5A for c in raw[1:4]):
        flag = raw[1:4].decode("ascii")      # older 06 <FLAG> ... form (EMH ED300L, Iskra MT175)
    return ServerId(raw, raw.hex(), "hex", flag)


_DIN_ID = re.compile(r"([0-9])([A-Z]{3})([0-9]{2})([0-9]{8})")


def build_server_id(meter_id: str) -> bytes:
    """The server id for a meter id: DIN 43863-5 ids as 10 bytes (type 0A), else its ASCII."""
    m = _DIN_ID.fullmatch(meter_id)
    if m:
        return (bytes((0x0A, int(m.group(1)))) + m.group(2).encode("ascii") + bytes((int(m.group(3)),))
                + int(m.group(4)).to_bytes(4, "big"))
    if meter_id and all(0x20 < ord(c) < 0x7F for c in meter_id) and len(meter_id) <= 64:
        return meter_id.encode("ascii")
    raise ValueError(f"meter_id {meter_id!r} is neither a DIN 43863-5 id (e.g. '1EMH0012345678') nor at most "
                     "64 printable ASCII characters without spaces")


# --- entries -> registers -------------------------------------------------------------------


def _scaled(raw: int, scaler: int | None) -> int | float:
    if not scaler:
        return raw
    if scaler > 0:
        return int(raw * 10 ** scaler)
    return float(Decimal(raw).scaleb(scaler))


def _text(raw: bytes) -> str | None:
    return raw.decode("ascii") if raw and all(0x20 <= c < 0x7F for c in raw) else None


def _key(entry: ListEntry) -> str:
    o = entry.obis
    return str(o) if o is not None else f"sml:{entry.obj_name.hex()}"


def entry_register(entry: ListEntry) -> Register:
    """The Register of one list entry (value as sent, scaled; nothing reinterpreted)."""
    o = entry.obis
    extra: dict[str, Any] = {"type": entry.value_type}
    if o is None:
        extra["obj_name"] = entry.obj_name.hex()
    if entry.status is not None:
        extra["status"] = entry.status
    if entry.unit is not None:
        extra["unit_code"] = entry.unit
    if entry.scaler is not None:
        extra["scaler"] = entry.scaler
    if entry.val_time is not None:
        extra["val_time"] = entry.val_time.to_json()
    if entry.value_signature is not None:
        extra["signature"] = entry.value_signature.hex()
    v = entry.value
    unit = UNITS.get(entry.unit) if entry.unit is not None else None
    value: Any
    if isinstance(v, bool) or v is None:
        value = v
    elif isinstance(v, int):
        extra["raw"] = v
        value = _scaled(v, entry.scaler)
    elif isinstance(v, bytes):
        extra["raw"] = v.hex()
        text = _text(v)
        value = text if text is not None else v
    elif isinstance(v, SmlTime):
        dt = v.to_datetime()
        extra["time"] = v.to_json()
        value, unit = (dt, None) if dt is not None else (v.seconds, "s")
    else:
        value = v
    return Register(_key(entry), value, unit, o, _DESCRIPTIONS.get(o) if o is not None else None, extra)


def tree_entries(tree: Tree | None) -> list[ListEntry]:
    """The value-carrying nodes of a GetProcParameter tree, depth first, as list entries."""
    out: list[ListEntry] = []

    def walk(t: Tree) -> None:
        if t.entry is not None:
            out.append(t.entry if t.entry.obj_name else ListEntry(t.name, *_rest(t.entry)))
        elif t.kind in ("value", "time") and t.name:
            out.append(ListEntry(t.name, None, None, None, None, t.value, t.value_type or "absent", None, t.start,
                                 t.end, t.start, t.end))
        for c in t.children:
            walk(c)

    if tree is not None:
        walk(tree)
    return out


def _rest(e: ListEntry) -> tuple[Any, ...]:
    return (e.status, e.val_time, e.unit, e.scaler, e.value, e.value_type, e.value_signature, e.start, e.end,
            e.value_start, e.value_end, e.status_width)


# --- registers -> Reading -------------------------------------------------------------------


def _num(r: Register | None, unit: str | None) -> float | None:
    if r is None or isinstance(r.value, bool) or not isinstance(r.value, (int, float)) or r.unit != unit:
        return None
    return float(r.value)


def _split(fields: dict[str, Any], imp: str, exp: str, value: float) -> None:
    fields[imp] = value if value > 0 else 0.0
    fields[exp] = -value if value < 0 else 0.0


def _fmt(v: float) -> str:
    return f"{v:.10g}"


def to_reading(entries: Iterable[ListEntry], *, server_id: bytes | None, profile: Profile,
               act_time: Iterable[SmlTime | None] = (), notes: Iterable[str] = ()) -> Reading:
    """The Reading for one GetList (or GetProcParameter) response.

    ``server_id``: the response's (else the PublicOpen's) server id; ``act_time``: the
    response's actSensorTime and actGatewayTime; ``notes``: transport-level notes (e.g. the
    KERMIT CRC) for ``quality``.
    """
    entries = list(entries)
    regs = [entry_register(e) for e in entries]
    quality = list(notes)
    by_obis: dict[ObisCode, tuple[Register, ListEntry]] = {}
    r: Register | None
    for r, e in zip(regs, entries):
        if r.obis is not None:
            by_obis.setdefault(r.obis, (r, e))

    def reg(code: ObisCode) -> Register | None:
        hit = by_obis.get(code)
        return hit[0] if hit else None

    sid = parse_server_id(server_id) if server_id else None
    manufacturer = sid.manufacturer if sid else None
    if manufacturer is None:
        for code in _MANUFACTURER:
            r = reg(code)
            if r is not None and isinstance(r.value, str):
                manufacturer = r.value.strip()
                break
    meter_id = sid.meter_id if sid else None
    if meter_id is None:
        for code in _DEVICE_ID:
            r = reg(code)
            if r is not None and r.value is not None:
                raw = bytes.fromhex(r.extra["raw"]) if isinstance(r.extra.get("raw"), str) else None
                meter_id = parse_server_id(raw).meter_id if raw else str(r.value)
                break

    fields: dict[str, Any] = {}
    for code, (field, unit) in FIELDS.items():
        v = _num(reg(code), unit)
        if v is None:
            continue
        if v < 0 and field not in _SIGNED_FIELDS:
            quality.append(f"{code} = {_fmt(v)} {unit}: negative, contradicts the code's direction; not mapped")
            continue
        fields[field] = v
    for field, (unit, codes) in _TOTALS.items():
        if field in fields:
            continue
        present = [p for p in (reg(code) for code in codes) if p is not None]
        vals = [_num(p, unit) for p in present]
        if present and all(v is not None and v >= 0 for v in vals):
            fields[field] = float(sum(Decimal(repr(v)) for v in vals if v is not None))

    # signed power: 16.7.0 and per phase 36/56/76.7.0 (these win over 1.7.0/2.7.0)
    dzg = _dzg_sign(sid)
    for code, (imp, exp) in SIGNED_POWER.items():
        hit = by_obis.get(code)
        if hit is None:
            continue
        r, e = hit
        v = _num(r, "W")
        if v is None:
            continue
        if dzg is not None and isinstance(e.value, int) and e.value < 0 and e.value_type.startswith("int") \
                and int(e.value_type[3:]) // 8 <= _DZG_MAX_WIDTH:
            width = int(e.value_type[3:]) // 8
            unsigned = float(_scaled(e.value + (1 << (8 * width)), e.scaler))
            sign, source = dzg
            how = profile.dzg_sign or sign
            sent = f"{code} = {_fmt(v)} W (int{8 * width}) from DZG serial {sid.serial if sid else '?'}"
            if how == "unsigned" and profile.dzg_sign:
                v = unsigned
                quality.append(f"dzg-sign: {sent} read as +{_fmt(unsigned)} W (profile {profile.name}: the sign bug, "
                               "libsml PR #66)")
            elif how == "signed":
                if profile.dzg_sign:
                    quality.append(f"dzg-sign: {sent} taken as sent (profile {profile.name})")
            else:
                why = (f"in a serial range with the known sign bug ({source})" if how == "unsigned"
                       else "no report settles the sign for this serial")
                quality.append(f"dzg-sign: {sent}, {why}: may be +{_fmt(unsigned)} W; power fields left unset "
                               "(profile 'dzg-dvs74' reads it as unsigned, 'dzg-signed' as sent)")
                for f in (imp, exp):
                    fields.pop(f, None)
                continue
        _split(fields, imp, exp, v)

    # |P| only (15.7.0): a sign needs the status word (EMH) or is unknown
    if _TOTAL_POWER not in by_obis and _ABS_POWER in by_obis:
        p = _num(reg(_ABS_POWER), "W")
        if p is not None and "active_power_import" not in fields and "active_power_export" not in fields:
            rule = DIRECTION_IN_STATUS.get((manufacturer or "").upper())
            energy = by_obis.get(_ENERGY_IMPORT)
            status = energy[1].status if energy else None
            if p == 0:
                _split(fields, "active_power_import", "active_power_export", 0.0)
            elif rule is not None and status is not None and 0 <= status <= rule.status_max:
                delivering = bool(status & rule.bit)
                _split(fields, "active_power_import", "active_power_export", -abs(p) if delivering else abs(p))
                quality.append(f"direction-from-status: {_ABS_POWER} is |P| = {_fmt(abs(p))} W; direction "
                               f"{'delivering (export)' if delivering else 'consuming (import)'} taken from bit "
                               f"{rule.bit.bit_length() - 1} of the {_ENERGY_IMPORT} status word 0x{status:X} "
                               f"({rule.source}, {manufacturer})")
            else:
                shown = f"0x{status:X}" if status is not None else "absent"
                quality.append(f"{_ABS_POWER} is |P| = {_fmt(abs(p))} W without a direction (no documented status "
                               f"word rule for manufacturer {manufacturer or 'unknown'} and status {shown}); power "
                               "fields left unset")

    # PIN-less reduced data set: energies in whole kWh (scaler >= 3) and no power
    energy_entries = [e for r, e in zip(regs, entries) if r.obis is not None and r.obis.a == 1 and r.obis.b == 0
                      and r.obis.c in (1, 2) and r.obis.d == 8 and r.obis.f == 255 and r.unit == "Wh"
                      and isinstance(e.value, int)]
    power_codes = (set(SIGNED_POWER) | {_ABS_POWER, _O("1-0:1.7.0"), _O("1-0:2.7.0")})
    has_power = any(c in by_obis for c in power_codes)
    if energy_entries and all((e.scaler or 0) >= 3 for e in energy_entries):
        if not has_power:
            quality.append("no-pin: reduced data set (meter PIN not entered): energies in whole kWh, no power "
                           "sent; power is unknown, not 0 W")
        elif all(fields.get(f) in (None, 0.0) for f in ("active_power_import", "active_power_export")):
            for f in ("active_power_import", "active_power_export"):
                fields.pop(f, None)
            quality.append("no-pin: reduced data set (energies in whole kWh) with power 0 W: not taken as a "
                           "measured 0 W; power fields left unset")

    ts = None
    for t in list(act_time) + [e.val_time for e in entries]:
        if t is not None:
            ts = t.to_datetime()
            if ts is not None:
                break
    if ts is not None:
        fields["timestamp"] = ts

    return Reading(format=FORMAT, profile=profile.name, meter_id=meter_id, meter_model=manufacturer,
                   quality="; ".join(quality) or None, registers=tuple(regs), **fields)


def _dzg_sign(sid: ServerId | None) -> tuple[str, str] | None:
    """(sign, source) for a DZG meter by its serial (``"unknown"`` outside :data:`DZG_SIGN`);
    None for other makers."""
    if sid is None or sid.manufacturer != "DZG":
        return None
    for rng in DZG_SIGN:
        if sid.serial is not None and rng.low <= sid.serial <= rng.high:
            return rng.sign, rng.source
    return "unknown", ""


# --- Reading -> entries (encode) --------------------------------------------------------------

_UNIT_CODES = {"W": 27, "var": 29, "Wh": 30, "varh": 32, "A": 33, "V": 35, "Hz": 44}


def _raw_scaler(value: float) -> tuple[int, int]:
    """(raw, scaler) with raw * 10**scaler == value exactly (shortest decimal of the float)."""
    if not math.isfinite(value):
        raise ValueError(f"{value} cannot be sent as an SML integer")
    d = Decimal(repr(float(value))).normalize()
    sign, digits, exp = d.as_tuple()
    assert isinstance(exp, int)
    raw = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if raw == 0:
        return 0, 0
    if not -128 <= exp <= 127 or not -(1 << 63) <= raw < (1 << 63):
        raise ValueError(f"{value} cannot be sent as an SML integer with an 8-bit scaler")
    return raw, exp


def _entry(code: ObisCode, value: float, unit: str | None, signed: bool) -> bytes:
    raw, scaler = _raw_scaler(value)
    if unit in ("Wh", "varh") and scaler > 0:
        # Energies in whole kWh (scaler >= 3) are the PIN-less reduced data set's signature, which
        # the decoder reads as "power unknown"; a meter with its PIN entered sends Wh with scaler
        # 0 or -1, and so does the simulator (5000 Wh -> raw 5000, scaler 0, not raw 5, scaler 3).
        raw, scaler = raw * 10 ** scaler, 0
    if raw < 0 and not signed:
        raise ValueError(f"{code}: negative value {value} for an unsigned register")
    vtype = "int" if signed or raw < 0 else "uint"
    width = int_width(raw) if vtype == "int" else uint_width(raw)
    return encode_entry(code.to_bytes(), raw, f"{vtype}{8 * width}",
                        unit=_UNIT_CODES[unit] if unit else 255, scaler=scaler)


def time_from_datetime(ts: _dt.datetime) -> SmlTime:
    """An SML_Time for a tz-aware datetime: timestamp (UTC) or localTimestamp (other offsets).

    Raises ValueError for naive datetimes, microseconds, offsets that are not whole minutes
    and instants outside the Unsigned32 range (1970..2106).
    """
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware to be sent as an SML_Time")
    if ts.microsecond:
        raise ValueError("SML_Time has whole seconds; the timestamp has microseconds")
    offset = ts.utcoffset()
    assert offset is not None
    if offset.total_seconds() % 60:
        raise ValueError("the timestamp's UTC offset is not whole minutes")
    seconds = int(ts.timestamp())
    if not 0 <= seconds < 1 << 32:
        raise ValueError(f"timestamp {ts} is outside the SML_Time range (1970..2106)")
    minutes = int(offset.total_seconds() // 60)
    return SmlTime("local_timestamp", seconds, minutes, 0) if minutes else SmlTime("timestamp", seconds)


def reading_entries(reading: Reading) -> list[bytes]:
    """Encoded list entries for the Reading's fields, then (for Readings decoded from SML) its
    other registers as sent. A field always wins over a register with the same OBIS code.

    Power: when import and export are both set and one of them is 0, one signed 16.7.0
    (36/56/76.7.0 per phase), as meters send it; otherwise 1.7.0/2.7.0 (21/22, 41/42, 61/62).
    """
    out: list[bytes] = []
    written: set[ObisCode] = set()

    def put(code: ObisCode, value: float, unit: str | None, signed: bool) -> None:
        out.append(_entry(code, value, unit, signed))
        written.add(code)

    signed_fields: set[str] = set()
    for code, (imp, exp) in SIGNED_POWER.items():
        i, x = getattr(reading, imp), getattr(reading, exp)
        if i is not None and x is not None and (i == 0 or x == 0) and i >= 0 and x >= 0:
            put(code, float(Decimal(repr(float(i))) - Decimal(repr(float(x)))), "W", True)
            signed_fields.update((imp, exp))
    for code, (field, unit) in FIELDS.items():
        v = getattr(reading, field)
        if v is None or field in signed_fields:
            continue
        put(code, v, unit, field in _SIGNED_FIELDS)
    if reading.format == FORMAT:
        for r in reading.registers:
            if r.obis is None or r.obis in written or "type" not in r.extra:
                continue     # a code written from a field: the field wins
            vtype = r.extra["type"]
            raw: Any = r.extra.get("raw")
            if vtype == "octets":
                raw = bytes.fromhex(raw) if isinstance(raw, str) else None
            elif vtype in ("bool", "absent"):
                raw = r.value
            elif vtype == "time":
                t = r.extra.get("time")
                raw = SmlTime(t["kind"], t["seconds"]) if isinstance(t, dict) else (
                    time_from_datetime(r.value) if isinstance(r.value, _dt.datetime) else None)
            elif vtype == "list":
                continue
            if raw is None and vtype not in ("absent",):
                continue
            out.append(encode_entry(r.obis.to_bytes(), raw, vtype, status=r.extra.get("status"),
                                    unit=r.extra.get("unit_code"), scaler=r.extra.get("scaler"),
                                    signature=bytes.fromhex(r.extra["signature"]) if "signature" in r.extra else None))
    return out
