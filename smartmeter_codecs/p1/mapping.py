"""P1 values -> Registers -> Reading, driven by tables (DSMR 5.0.2 P1 CS §6.4-6.12, e-MUCS,
Luxembourg Smarty v1.1.3, Swedish branschrekommendation; docs/formats/p1.md).

Value rules (documented in docs/formats/p1.md):

* ``value*unit`` (or ``valueunit`` for a known unit: Fluvius omits the ``*``) is a number,
  converted to SI: kWh -> Wh, kW -> W, kvar(h) -> var(h), kVA -> VA (units compared without
  case; ``VAr``/``VArh`` are spelt ``var``/``varh``). Other units (``m3``, ``GJ``, ``s``) are
  kept as sent. The sent unit is kept in ``extra["unit_sent"]`` when it differs.
* A unit-less value with a decimal point is a float (power factor, unit-less Smarty values);
  a unit-less value without one stays the text as sent (tariff ``0002``, ids, device type
  ``003``), except the event counters listed in ``COUNTERS`` (ints).
* ``YYMMDDhhmmssX`` is a tz-aware datetime (see :func:`parse_tst`).
* Every register keeps the bracket text(s) as sent in ``extra["raw"]``.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from ..model import Reading, Register
from ..obis import READING_FIELDS, ObisCode
from .telegram import Line, Telegram

__all__ = [
    "FIELDS",
    "FLAG_PROFILES",
    "FORMAT",
    "PROFILES",
    "TOTALS",
    "UNITS",
    "PowerFailure",
    "Zone",
    "line_register",
    "parse_tst",
    "reading_fields",
    "register_of",
    "stamp_zone",
    "to_reading",
    "zone_for",
]

FORMAT = "p1"


class Zone(NamedTuple):
    """A country's clock: IANA name, UTC offsets (hours) when the flag says W and S."""

    name: str
    winter: int
    summer: int


# The S/W flag says whether DST is active (DSMR 5.0.2 §6.4 TST); with the country's zone that
# gives the offset. Sweden: meters keep normal time (UTC+1) all year and the flag "can be
# ignored" (hanporten docs/svenska/protokollet.md); corpus p1-se-ell5-210828 sends W in August.
PROFILES: dict[str, Zone] = {
    "nl": Zone("Europe/Amsterdam", 1, 2),
    "be": Zone("Europe/Brussels", 1, 2),
    "lu": Zone("Europe/Luxembourg", 1, 2),
    "at": Zone("Europe/Vienna", 1, 2),
    "de": Zone("Europe/Berlin", 1, 2),
    "dk": Zone("Europe/Copenhagen", 1, 2),
    "hu": Zone("Europe/Budapest", 1, 2),
    "se": Zone("Europe/Stockholm", 1, 1),
    "lt": Zone("Europe/Vilnius", 2, 3),
    "ie": Zone("Europe/Dublin", 0, 1),
}
DEFAULT_PROFILE = "nl"   # DSMR's home; every country above but LT/IE has the same offsets

# FLAG ids that are specific to one country's P1 variant (docs/formats/p1.md).
FLAG_PROFILES: dict[str, str] = {
    "ESO": "lt",   # ESO Lithuania data model
    "FLU": "be",   # Fluvius
    "LUX": "lu",   # Smarty (sent "Lux")
    "EST": "at",   # Energienetze Steiermark Sagemcom T210-D-r
    "ELL": "se",   # Landis+Gyr E360, Swedish HAN
    "ADN": "se",   # Aidon Swedish HAN
}

# unit (lower case) -> (SI unit, factor)
UNITS: dict[str, tuple[str, int]] = {
    "wh": ("Wh", 1), "kwh": ("Wh", 1000),
    "w": ("W", 1), "kw": ("W", 1000),
    "varh": ("varh", 1), "kvarh": ("varh", 1000),
    "var": ("var", 1), "kvar": ("var", 1000),
    "vah": ("VAh", 1), "kvah": ("VAh", 1000),
    "va": ("VA", 1), "kva": ("VA", 1000),
    "v": ("V", 1), "kv": ("V", 1000),
    "a": ("A", 1),
    "hz": ("Hz", 1), "s": ("s", 1), "min": ("min", 1), "h": ("h", 1),
    "m3": ("m3", 1), "m³": ("m3", 1), "gj": ("GJ", 1), "l": ("l", 1),
}
# Units are compared without case (lower-case "kwh" in a node-dsmr-parser vector), so only
# prefixes that cannot clash are listed: no "M"/"m" (mega/milli) variants.

# Unit-less integer registers that are counts (DSMR 5.0.2 §6.5, §6.10-6.11).
COUNTERS: frozenset[ObisCode] = frozenset(ObisCode.parse(s) for s in (
    "0-0:96.7.21", "0-0:96.7.9",
    "1-0:32.32.0", "1-0:52.32.0", "1-0:72.32.0", "1-0:32.36.0", "1-0:52.36.0", "1-0:72.36.0",
))

# OBIS -> (Reading field, SI unit the register must have). Electricity, channel 0 only.
FIELDS = READING_FIELDS   # the shared OBIS table (obis.py)

# Field -> (C, D) of its tariff registers 1-0:C.D.1..9, summed when the total E=0 is absent.
TOTALS: dict[str, tuple[int, int]] = {
    "active_energy_import": (1, 8),
    "active_energy_export": (2, 8),
    "reactive_energy_import": (3, 8),
    "reactive_energy_export": (4, 8),
}

_TOTAL_CODES: dict[str, tuple[str | None, tuple[ObisCode, ...]]] = {
    field: (FIELDS[ObisCode(1, 0, c, d, 0)][1], tuple(ObisCode(1, 0, c, d, e) for e in range(1, 10)))
    for field, (c, d) in TOTALS.items()}

DESCRIPTIONS: dict[tuple[int, int, int, int], str] = {
    (1, 0, 2, 8): "P1 version", (0, 1, 0, 0): "Meter clock", (0, 96, 1, 1): "Equipment identifier",
    (0, 96, 1, 0): "Equipment identifier", (0, 96, 1, 4): "P1 version (e-MUCS)",
    (0, 42, 0, 0): "COSEM logical device name", (0, 96, 14, 0): "Tariff indicator",
    (0, 96, 3, 10): "Breaker state", (0, 17, 0, 0): "Limiter threshold",
    (0, 96, 7, 21): "Number of power failures", (0, 96, 7, 9): "Number of long power failures",
    (1, 99, 97, 0): "Power failure event log", (0, 96, 13, 0): "Text message",
    (0, 96, 13, 1): "Numeric message", (0, 24, 1, 0): "M-Bus device type",
    (0, 24, 2, 1): "M-Bus value", (0, 24, 2, 3): "M-Bus value (gas, e-MUCS)",
    (0, 24, 3, 0): "M-Bus profile value (DSMR 2.2/3.0)", (0, 24, 4, 0): "M-Bus valve state",
    (1, 1, 8, 0): "Active energy import (+A)", (1, 2, 8, 0): "Active energy export (-A)",
    (1, 1, 8, 1): "Active energy import tariff 1", (1, 1, 8, 2): "Active energy import tariff 2",
    (1, 2, 8, 1): "Active energy export tariff 1", (1, 2, 8, 2): "Active energy export tariff 2",
    (1, 3, 8, 0): "Reactive energy import (+R)", (1, 4, 8, 0): "Reactive energy export (-R)",
    (1, 1, 7, 0): "Active power import (+P)", (1, 2, 7, 0): "Active power export (-P)",
    (1, 3, 7, 0): "Reactive power import (+Q)", (1, 4, 7, 0): "Reactive power export (-Q)",
    (1, 21, 7, 0): "Active power import L1", (1, 41, 7, 0): "Active power import L2",
    (1, 61, 7, 0): "Active power import L3", (1, 22, 7, 0): "Active power export L1",
    (1, 42, 7, 0): "Active power export L2", (1, 62, 7, 0): "Active power export L3",
    (1, 32, 7, 0): "Voltage L1", (1, 52, 7, 0): "Voltage L2", (1, 72, 7, 0): "Voltage L3",
    (1, 31, 7, 0): "Current L1 (unsigned)", (1, 51, 7, 0): "Current L2 (unsigned)",
    (1, 71, 7, 0): "Current L3 (unsigned)", (1, 14, 7, 0): "Frequency", (1, 13, 7, 0): "Power factor",
    (1, 32, 32, 0): "Voltage sags L1", (1, 52, 32, 0): "Voltage sags L2", (1, 72, 32, 0): "Voltage sags L3",
    (1, 32, 36, 0): "Voltage swells L1", (1, 52, 36, 0): "Voltage swells L2", (1, 72, 36, 0): "Voltage swells L3",
    (1, 1, 6, 0): "Maximum demand this month (e-MUCS)", (1, 1, 4, 0): "Current average demand (e-MUCS)",
    (0, 98, 1, 0): "Maximum demand history (e-MUCS)", (1, 31, 4, 0): "Fuse supervision threshold",
}

# value, then "*unit", or a known unit without "*" (Fluvius), white space tolerated around both
_NUM = re.compile(r"([+-]?\d+(?:\.\d*)?)\s*(?:\*(.*)|([A-Za-z][A-Za-z0-9³]*))?")
# YYMMDDhhmmss + DST flag. DSMR 5.0.2 §6.4 writes "S"/"W"; a DSMR 4.0 Landis+Gyr E350 sends a
# lower-case "s" in its gas stamp (dsmr-reader test_landisgyr350_dsmr40, CRC-valid), so both
# cases are one flag; without this the stamp would read as the number 150701190000 "s".
_TST = re.compile(r"(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SWsw]?)")
_COSEM_DT = re.compile(r"[0-9A-Fa-f]{24}")
_ID = ObisCode.parse
# ASCII digits only: str.isdigit() is also true for "²", which int() rejects
_is_int = re.compile(r"[0-9]+").fullmatch
_CLOCK = _ID("0-0:1.0.0")
_TARIFF = _ID("0-0:96.14.0")
# meter id: DSMR equipment id, M-Bus-style id, Smarty logical device name, D0 device address
_METER_IDS = tuple(_ID(c) for c in ("0-0:96.1.1", "0-0:96.1.0", "0-0:42.0.0", "1-0:0.0.0", "1-0:96.1.0"))


class PowerFailure(NamedTuple):
    """One entry of the power-failure log 1-0:99.97.0 (DSMR 5.0.2 §6.11): the timestamp is
    the END of the failure, the start is end - duration."""

    end: _dt.datetime | None
    duration: int | None     # seconds
    start: _dt.datetime | None
    end_raw: str


class _Num(NamedTuple):
    value: float
    unit: str | None
    unit_sent: str | None


def zone_for(flag: str | None, profile: str | None) -> tuple[str, Zone]:
    """The profile name and zone: ``profile`` if given, else from the FLAG id, else NL (CET)."""
    if profile is not None:
        key = profile.lower()
        if key not in PROFILES:
            raise ValueError(f"unknown p1 profile {profile!r}; known: {', '.join(PROFILES)}")
        return key, PROFILES[key]
    key = FLAG_PROFILES.get((flag or "").upper(), DEFAULT_PROFILE)
    return key, PROFILES[key]


@functools.lru_cache(maxsize=64)
def _fixed(hours: int) -> _dt.timezone:
    # memoised (a handful of offsets): building a timezone per stamp was a tenth of parse_tst
    return _dt.timezone(_dt.timedelta(hours=hours))


def parse_tst(text: str, zone: Zone) -> _dt.datetime | None:
    """``YYMMDDhhmmssX`` -> tz-aware datetime; ``None`` for placeholders/invalid dates.

    X = ``S`` gives the zone's summer offset, ``W`` its winter offset (either case) (fixed-offset tzinfo, so
    the repeated autumn hour is unambiguous). Without X (DSMR 2.2/3.0 gas) the zone's rules
    decide (``zoneinfo``; naive if the tz database is missing). Years are 2000 + YY.
    """
    m = _TST.fullmatch(text.strip())
    if m is None:
        return None
    yy, mo, dd, hh, mi, ss, flag = m.groups()
    try:
        return _dt.datetime(2000 + int(yy), int(mo), int(dd), int(hh), int(mi), int(ss), 0, stamp_zone(flag, zone))
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def stamp_zone(flag: str, zone: Zone) -> _dt.tzinfo | None:
    """The tzinfo of a stamp with DST flag ``flag`` (``""``: none) in ``zone`` (see
    :func:`parse_tst`); None: no tz database, the time stays naive. Memoised: a handful of
    values, and ``ZoneInfo`` itself caches its zones."""
    if flag:
        return _fixed(zone.summer if flag in "Ss" else zone.winter)
    if zone.summer == zone.winter:
        return _fixed(zone.winter)
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(zone.name)
    except Exception:  # noqa: BLE001 - no tz database: keep the local time naive
        return None


def _cosem_datetime(text: str) -> _dt.datetime | None:
    # A whole COSEM date-time as a hex octet string (dsmr_parser issue #160).
    from ..dlms.cosem_time import parse_datetime
    try:
        return parse_datetime(bytes.fromhex(text)).to_datetime()
    except (ValueError, OverflowError):
        return None


def _number(text: str) -> _Num | None:
    m = _NUM.fullmatch(text.strip())
    if m is None:
        return None
    digits, star_unit, bare_unit = m.groups()
    unit = star_unit if star_unit is not None else bare_unit
    if bare_unit is not None and bare_unit.lower() not in UNITS:
        return None          # "4B38..." is hex text, not 4 "B38..."
    if unit is not None:
        unit = unit.strip()
    try:
        dec = Decimal(digits)
    except InvalidOperation:
        return None
    if not unit:
        if "." not in digits:
            return None
        return _Num(float(dec), None, None)
    si, factor = UNITS.get(unit.lower(), (unit, 1))
    value = float(dec * factor)
    return _Num(value, si, unit if unit != si else None)


_HEX_PAIRS = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def _hex_text(raw: str) -> str | None:
    """Hex-encoded ASCII (DSMR Sn octet strings) decoded when every byte is printable."""
    # one regex and C-level checks instead of a per-character generator (issue 16: the
    # generator was a tenth of a DSMR 3 decode); for ASCII, str.isprintable() is 0x20..0x7E
    if not _HEX_PAIRS.fullmatch(raw):
        return None
    b = bytes.fromhex(raw)
    if b.isascii():
        text = b.decode("ascii")
        if text.isprintable():
            return text
    return None


def _group_value(text: str, zone: Zone) -> Any:
    if _TST.fullmatch(text):      # before numbers: "161129200000W" is not 161129200000 W
        return parse_tst(text, zone) or text
    n = _number(text)
    return text if n is None else n


def _key(line: Line) -> str:
    return _key_of(line.obis_text, line.obis)


def _key_of(obis_text: str, o: ObisCode | None) -> str:
    if o is None:
        return obis_text
    key = f"{o.a}-{o.b}:{o.c}.{o.d}.{o.e}"
    return key if o.f == 255 else f"{key}.{o.f}"


def _description(o: ObisCode | None) -> str | None:
    if o is None:
        return None
    return DESCRIPTIONS.get((o.a, o.c, o.d, o.e))


def line_register(line: Line, zone: Zone) -> Register:
    """One Register for one object line (value in SI, raw text in ``extra``)."""
    return register_of(line.obis_text, line.obis, tuple(g.text for g in line.groups), zone)


def register_of(obis_text: str, o: ObisCode | None, sent: tuple[str, ...], zone: Zone) -> Register:
    """The Register of an object line given as its id (as sent, and parsed) and the texts
    of its ``( )`` groups: the whole value logic, shared by :func:`line_register` and the
    fast path (:mod:`.fast`), which uses it for every line it has no shortcut for."""
    extra: dict[str, Any] = {"raw": sent[0] if len(sent) == 1 else sent}
    # values are read without surrounding white space ("( 230.1*V)", "(0001 )"): seen nowhere
    # in a meter yet, but a space must never turn a number or stamp into text
    texts = tuple(t.strip() for t in sent)
    key, desc, obis_sent, channel = _line_head(obis_text, o)
    if obis_sent is not None:
        extra["obis_sent"] = obis_sent
    if channel is not None:
        extra["channel"] = channel
    value: Any
    unit: str | None = None
    sig = (o.a, o.c, o.d, o.e) if o is not None else None
    if sig == (0, 1, 0, 0) and len(texts) == 1:
        value = parse_tst(texts[0], zone) if _TST.fullmatch(texts[0]) else (
            _cosem_datetime(texts[0]) if _COSEM_DT.fullmatch(texts[0]) else None)
    elif sig is not None and sig[0] == 0 and ((sig[1], sig[2]) == (96, 1) or sig[1:] == (42, 0, 0)
                                              or (sig[1], sig[2]) == (96, 13)) and len(texts) == 1:
        decoded = _hex_text(texts[0])
        value = decoded if decoded is not None else texts[0]
    elif sig == (1, 99, 97, 0):
        value = _failure_log(texts, zone, extra)
    elif sig == (0, 24, 3, 0) and len(texts) >= 7:
        value, unit = _dsmr22_profile(texts, zone, extra)
    elif o is not None and o in COUNTERS and len(texts) == 1 and _is_int(texts[0]):
        value = int(texts[0])
    else:
        parts = [_group_value(t, zone) for t in texts]
        if len(parts) == 2 and _TST.fullmatch(texts[0]) and _is_int(texts[1]):
            # "(TST)(00000000)": an M-Bus value without unit (empty channel placeholder)
            parts[1] = _Num(float(int(texts[1])), None, None)
        value, unit = combine_parts(parts, texts, extra)
    return Register(key, value, unit, o, desc, extra)


def combine_parts(parts: list[Any], texts: tuple[str, ...], extra: dict[str, Any]) -> tuple[Any, str | None]:
    """(value, unit) of a line read by the general rule from its groups' values (``parts``:
    a ``_Num``, a datetime or the text) and stripped texts; fills ``extra``. Shared by
    :func:`register_of` and the fast path (:mod:`.fast`)."""
    value: Any
    unit: str | None = None
    nums = [p for p in parts if isinstance(p, _Num)]
    if len(parts) == 1:
        p = parts[0]
        value, unit = (p.value, p.unit) if isinstance(p, _Num) else (p, None)
        if isinstance(p, _Num) and p.unit_sent:
            extra["unit_sent"] = p.unit_sent
    elif len(nums) == 1:
        n = nums[0]
        value, unit = n.value, n.unit
        if n.unit_sent:
            extra["unit_sent"] = n.unit_sent
        stamps = [p for p in parts if isinstance(p, _dt.datetime)]
        if stamps:
            extra["timestamp"] = stamps[0]
        others = tuple(p for p in parts if p is not n and not isinstance(p, _dt.datetime))
        if others:
            extra["qualifiers"] = others
        raw_ts = [t for t in texts if _TST.fullmatch(t)]
        if raw_ts:
            extra["timestamp_raw"] = raw_ts[0]
    else:
        value = tuple(p.value if isinstance(p, _Num) else p for p in parts)
        units = {p.unit for p in nums}
        unit = units.pop() if len(units) == 1 and len(nums) == len(parts) else None
        if any(isinstance(p, _Num) for p in parts):
            extra["units"] = tuple(p.unit if isinstance(p, _Num) else None for p in parts)
    return value, unit


@functools.lru_cache(maxsize=1024)
def _line_head(obis_text: str, o: ObisCode | None) -> tuple[str, str | None, str | None, int | None]:
    """(key, description, the id as sent when it differs from the key, channel) of an object
    line: a meter sends the same ids every telegram, so this is worked out once per id
    (issue 16: a plan per line pattern). Bounded, thread-safe (functools.lru_cache)."""
    key = _key_of(obis_text, o)
    return (key, _description(o), obis_text if obis_text != key else None,
            o.b if o is not None and o.b != 0 else None)


def _failure_log(texts: tuple[str, ...], zone: Zone, extra: dict[str, Any]) -> tuple[PowerFailure, ...]:
    # (count)(0-0:96.7.19)(end TST)(duration*s)... ; also "()" (empty log, dsmr_parser #67)
    extra["count"] = int(texts[0]) if texts and _is_int(texts[0]) else 0
    if len(texts) > 1:
        extra["buffer_obis"] = texts[1]
    events = []
    rest = texts[2:]
    for i in range(0, len(rest) - 1, 2):
        end = parse_tst(rest[i], zone)
        dur_num = _number(rest[i + 1])
        if dur_num is not None:
            duration: int | None = int(dur_num.value)
        elif _is_int(rest[i + 1]):
            duration = int(rest[i + 1])       # unit-less entry (dsmr_parser issue #160)
        else:
            duration = None
        events.append(PowerFailure(end, duration, failure_start(end, duration), rest[i]))
    return tuple(events)


def failure_start(end: _dt.datetime | None, duration: int | None) -> _dt.datetime | None:
    """When a power failure began: its end minus its duration, None when either is unknown or
    the difference leaves the datetime range."""
    if end is None or duration is None:
        return None
    try:
        return end - _dt.timedelta(seconds=duration)
    except OverflowError:
        return None


def _dsmr22_profile(texts: tuple[str, ...], zone: Zone, extra: dict[str, Any]) -> tuple[Any, str | None]:
    # 0-n:24.3.0(TST)(status)(period min)(count)(capture OBIS)(unit) + "(value)" on the next
    # line (DSMR 3.0 P1 CS §6.7; docs/formats/p1.md)
    extra["timestamp"] = parse_tst(texts[0], zone)
    extra["timestamp_raw"] = texts[0]
    extra["capture_obis"] = texts[4]
    try:
        extra["period_minutes"] = int(texts[2])
    except ValueError:
        pass
    n = _number(f"{texts[-1]}*{texts[5]}") if texts[5] else _number(texts[-1])
    if n is None:
        return texts[-1], None
    if n.unit_sent:
        extra["unit_sent"] = n.unit_sent
    return n.value, n.unit


def to_reading(telegram: Telegram, *, profile: str | None = None) -> Reading:
    """The Reading for a parsed telegram (registers in telegram order)."""
    name, zone = zone_for(telegram.header.flag, profile)
    regs = tuple(line_register(line, zone) for line in telegram.lines)
    return Reading(format=FORMAT, profile=name, meter_model=telegram.header.text[1:],
                   registers=regs, **reading_fields(regs))


def reading_fields(regs: tuple[Register, ...]) -> dict[str, Any]:
    """The Reading fields the registers fill (the first register of each OBIS code counts)."""
    fields: dict[str, Any] = {}
    by_obis: dict[ObisCode, Register] = {}
    r: Register | None
    for r in regs:
        if r.obis is not None:
            by_obis.setdefault(r.obis, r)
    for obis, (field, si) in FIELDS.items():
        r = by_obis.get(obis)
        if r is not None and isinstance(r.value, float) and r.unit == si:
            fields[field] = r.value
    for field, (si, codes) in _TOTAL_CODES.items():
        if field in fields:
            continue
        parts = [r for r in (by_obis.get(code) for code in codes) if r is not None]
        if parts and all(isinstance(r.value, float) and r.unit == si for r in parts):
            fields[field] = float(sum(Decimal(repr(r.value)) for r in parts))
    clock = by_obis.get(_CLOCK)
    if clock is not None and isinstance(clock.value, _dt.datetime):
        fields["timestamp"] = clock.value
    tariff = by_obis.get(_TARIFF)
    if tariff is not None and isinstance(tariff.value, str) and _is_int(tariff.value):
        fields["tariff"] = f"T{int(tariff.value)}"
    for code in _METER_IDS:
        r = by_obis.get(code)
        if r is not None and isinstance(r.value, str) and r.value.strip():
            fields["meter_id"] = r.value.strip()
            break
    return fields
