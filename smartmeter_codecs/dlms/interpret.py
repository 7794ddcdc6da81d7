"""From a notification body (A-XDR Data) to Registers and Reading fields.

Three shapes cover every push seen (research/dlms.md §4):

1. **OBIS-keyed**: anywhere in the body, an OBIS octet-string followed by its value and
   optionally a scaler-unit structure ``{integer scaler, enum unit}`` (Aidon, Kaifa SE/AT,
   Kamstrup, Iskra, Sagemcom; nested in structures or flat).
2. **Push object list**: the first element is the push setup's object list
   ``array of {class-id, logical name, attribute index, data index}`` and element *i* of the
   body is the value of object *i* (Landis+Gyr CH / VSE 2026, Energomera).
3. **Value-only**: no OBIS at all; the profile's layout names each position (Kaifa KFM_001,
   Iskra SI, L&G Burgenland). Without a layout, values are kept as ``value[i]`` registers.

Scaling: an in-band scaler-unit always wins; otherwise the profile's scaler for the quantity
(``profiles.py``); otherwise 0. Units come from the scaler-unit, else from the OBIS code.
"""
from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..model import Register
from ..obis import ObisCode, parse_cached
from .axdr import TYPE_NAMES, BitString, Data
from .cosem_time import CosemDate, CosemDateTime, parse_datetime
from .obis_map import CLOCK_CODES, METER_ID_CODES, METER_MODEL_CODES, describe, reading_field, unit_for
from .profiles import GENERIC, PROFILES, Profile, detect_profile
from .units import UNITS

__all__ = ["Interpretation", "interpret_body", "registers_to_fields"]

_SIMPLE_NUMERIC = {5, 6, 13, 15, 16, 17, 18, 20, 21, 22, 23, 24}
_new = tuple.__new__   # NamedTuple construction without the Python-level __new__ (hot loop)


class _Item(NamedTuple):
    obis: ObisCode | None
    value: Data
    scaler: int | None
    unit_code: int | None
    attribute: int | None = None
    class_id: int | None = None
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Interpretation:
    profile: Profile
    shape: str                    # "obis", "push-object-list", "positional", "raw"
    registers: tuple[Register, ...]


def _plausible_obis(d: Data) -> bool:
    # A logical name: 6 bytes, group A a known medium (0 abstract, 1 electricity, 4-9 heat/
    # gas/water, 15 other) and a channel B below 65 (IEC 62056-6-1 7.2). Rules out 6-character
    # ASCII values such as a meter number "160456".
    if d.tag != 9 or len(d.value) != 6:
        return False
    a, b = d.value[0], d.value[1]
    return a <= 15 and b <= 64


def _is_scaler_unit(d: Data) -> bool:
    v = d.value
    return d.tag == 2 and len(v) == 2 and v[0].tag == 15 and v[1].tag == 22


def _leaves(d: Data, out: list[Data] | None = None) -> list[Data]:
    """Leaf values in order; scaler-unit structures count as one leaf."""
    if out is None:
        out = []
    if d.tag in (1, 2, 19) and not _is_scaler_unit(d):
        for c in d.value:
            if c.tag in (1, 2, 19):
                _leaves(c, out)
            else:
                out.append(c)
    else:
        out.append(d)
    return out


def _push_object_list(body: Data) -> list[tuple[int, ObisCode, int]] | None:
    """(class, OBIS, attribute) per element when the body starts with a push object list."""
    if body.tag != 2 or not body.value:
        return None
    head = body.value[0]
    if head.tag != 1 or len(head.value) != len(body.value):
        return None
    out = []
    for entry in head.value:
        v = entry.value
        if entry.tag != 2 or len(v) != 4 or v[0].tag != 18 or v[1].tag != 9 or len(v[1].value) != 6 \
                or v[2].tag != 15:
            return None
        out.append((v[0].value, ObisCode.from_bytes(v[1].value), v[2].value))
    return out


def _printable(raw: bytes) -> bool:
    """Non-empty printable ASCII (C-level checks: this runs for every string of every push)."""
    return bool(raw) and raw.isascii() and raw.decode("ascii").isprintable()


def _strings(leaves: list[Data], limit: int = 6) -> list[str]:
    out = []
    for leaf in leaves:
        tag = leaf.tag
        if tag == 9 or tag == 10 or tag == 12:
            raw = leaf.value
            if not raw:
                continue
            if isinstance(raw, str):
                raw = raw.encode("latin-1")
            elif not 0x20 <= raw[0] < 0x7F:   # OBIS codes and binary values: cheap reject
                continue
            if _printable(raw):
                out.append(raw.decode("ascii"))
        if len(out) >= limit:
            break
    return out


def interpret_body(body: Data, *, profile: Profile | None = None, system_title: bytes | None = None) -> Interpretation:
    """Registers of a notification body, with the profile that was applied."""
    pol = _push_object_list(body)
    leaves = _leaves(body)
    if profile is None:
        profile = detect_profile(_strings(leaves), system_title)
        if pol is not None and profile is GENERIC:
            # Push-object-list pushes whose registers come without their scaler-unit are
            # Landis+Gyr's (CH, VSE 2026); no other maker in the corpus sends them unscaled.
            profile = PROFILES["landisgyr"]
    items: list[_Item] = []
    shape: str
    if pol is not None:
        shape = "push-object-list"
        su_by_obis: dict[ObisCode, tuple[int, int]] = {}
        for (cls, obis, attr), value in zip(pol, body.value):
            if attr == 3 and cls in (3, 4, 5) and _is_scaler_unit(value):
                su_by_obis[obis] = (value.value[0].value, value.value[1].value)
        for i, ((cls, obis, attr), value) in enumerate(zip(pol, body.value)):
            if cls == 40 or (attr == 3 and obis in su_by_obis):
                continue        # the push setup itself; scaler-units are applied below
            su = su_by_obis.get(obis) if attr == 2 else None
            items.append(_new(_Item, (obis, value, su[0] if su else None, su[1] if su else None, attr, cls, i)))
    else:
        push_head = bool(leaves) and _plausible_obis(leaves[0]) and leaves[0].value[2:4] == b"\x19\x09"
        keyed = any(_plausible_obis(x) for x in leaves[1 if push_head else 0:-1])
        layout_key = f"push-setup:{len(body.value)}" if push_head and body.tag == 2 else None
        push_layout = (profile.layouts.get(layout_key) or GENERIC.layouts.get(layout_key)) if layout_key else None
        if push_head and not keyed and push_layout is not None:
            # A push-setup name followed by bare values (the Austrian push of Iskra and Sagemcom)
            shape = "positional"
            codes = _parsed(push_layout)
            for i, value in enumerate(body.value):
                items.append(_new(_Item, (codes[i] if i < len(codes) else None, value, None, None, None, None, i)))
        elif keyed:
            shape = "obis"
            i, n = 0, len(leaves)
            while i < n:
                it = leaves[i]
                if i + 1 < n and _plausible_obis(it) and not _is_scaler_unit(leaves[i + 1]):
                    value = leaves[i + 1]
                    i += 2
                    scaler = unit = None
                    if i < n and _is_scaler_unit(leaves[i]):
                        scaler, unit = leaves[i].value[0].value, leaves[i].value[1].value
                        i += 1
                    items.append(_new(_Item, (ObisCode.from_bytes(it.value), value, scaler, unit, 2, None, len(items))))
                else:
                    if it.tag != 0:          # null-data placeholders (single-phase Kamstrup) carry nothing
                        items.append(_new(_Item, (None, it, None, None, None, None, i)))
                    i += 1
            last = items[-1] if items else None
            if last is not None and last.obis is None and last.value.tag == 9 \
                    and _printable(last.value.value) and last.position == n - 1:
                # A bare printable string closing a keyed list is the meter number (Austrian
                # EVN/Netz NOe lists on Kaifa and Sagemcom; esphome-libs/dlms_parser maps it the same way).
                items[-1] = _Item(ObisCode(0, 0, 96, 1, 0, 255), last.value, None, None, None, None, last.position)
        else:
            values = list(body.value) if body.tag in (1, 2) else [body]
            layout = profile.layouts.get(len(values)) or GENERIC.layouts.get(len(values))
            if layout is not None and len(values) == 1 and not _is_numeric(values[0]):
                layout = None
            shape = "positional" if layout else "raw"
            codes = _parsed(layout) if layout else ()
            for i, value in enumerate(values):
                obis = codes[i] if layout else None
                if _is_scaler_unit(value):
                    items.append(_new(_Item, (obis, value, value.value[0].value, value.value[1].value, None, None, i)))
                else:
                    items.append(_new(_Item, (obis, value, None, None, None, None, i)))
    regs = tuple([_register(it, profile) for it in items])
    return Interpretation(profile, shape, regs)


@functools.lru_cache(maxsize=256)
def _parsed(layout: tuple[str | None, ...]) -> tuple[ObisCode | None, ...]:
    """A profile layout's codes, parsed once."""
    return tuple(parse_cached(c) if c else None for c in layout)


def _is_numeric(d: Data) -> bool:
    return d.tag in _SIMPLE_NUMERIC


def _scale(raw: int | float, scaler: int) -> int | float:
    if scaler == 0:
        return raw
    if scaler > 0:
        return raw * 10 ** scaler
    # Dividing by an exact power of ten is correctly rounded (IEEE 754), so 12056 mA gives the
    # double nearest to 12.056, as round(raw * 10.0**scaler, -scaler) would, but faster.
    return raw / 10 ** -scaler


def _plain(d: Data, obis: ObisCode | None) -> Any:
    v = d.value
    if d.tag == 9:
        if obis is not None and (obis.c, obis.d) == (1, 0) and len(v) == 12:
            return _dt_value(parse_datetime(v))
        if len(v) == 12 and obis is None and v[0] in (0x07, 0x08) and 1 <= v[2] <= 12 and 1 <= v[3] <= 31:
            return _dt_value(parse_datetime(v))   # an unlabelled date-time (Sagemcom T210-D, Kaifa AT)
        if _printable(v):
            return v.decode("ascii")
        return v
    if d.tag == 25:
        return _dt_value(v)
    if d.tag in (26, 27):
        return (v.to_date() if isinstance(v, CosemDate) else v.to_time()) or str(v)
    if d.tag in (1, 2, 19):
        return tuple(_plain(c, None) for c in v)
    if isinstance(v, BitString):
        return str(v)
    return v


def _dt_value(c: CosemDateTime) -> Any:
    dt = c.to_datetime()
    return dt if dt is not None else str(c)


_POWER_UNITS = {"W": "power", "var": "power", "VA": "power", "Wh": "energy", "varh": "energy", "VAh": "energy",
                "A": "current", "V": "voltage", "Hz": "frequency"}


@functools.lru_cache(maxsize=4096)
def _obis_info(obis: ObisCode) -> tuple[str, str | None, str | None, str | None, str | None]:
    """(key, unit, quantity, Reading field, description) of a code: one lookup per value."""
    unit = unit_for(obis)
    quantity = _POWER_UNITS.get(unit) if unit else None
    if quantity is None and obis.a == 1 and obis.c in (13, 33, 53, 73):
        quantity = "power_factor"
    return str(obis), unit, quantity, reading_field(obis), describe(obis)


def _register(it: _Item, profile: Profile) -> Register:
    d = it.value
    tag = d.tag
    obis = it.obis
    attr = it.attribute
    if obis is not None:
        key, obis_unit, quantity, _, desc = _obis_info(obis)
        if attr is not None and attr != 2:
            key = f"{key}#{attr}"
    else:
        key = f"value[{it.position}]"
        obis_unit = quantity = desc = None
    extra: dict[str, Any]
    if tag in _SIMPLE_NUMERIC and (tag != 22 or it.scaler is not None):
        raw = d.value
        scaler = it.scaler
        if scaler is not None:
            code = it.unit_code
            unit = UNITS.get(code) if code is not None else None
            if unit is None and (code is None or code == 255):
                unit = obis_unit
            extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position, "raw": raw, "scaler": scaler,
                     "scaler_unit": "in-band"}
        else:
            scaler = profile.scalers.get(quantity, 0) if quantity else 0
            unit = obis_unit
            extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position, "raw": raw, "scaler": scaler}
            if scaler:
                extra["scaler_unit"] = f"profile {profile.name}"
        value: Any = _scale(raw, scaler) if scaler else raw
    else:
        unit = None
        value = _plain(d, obis)
        extra = {"type": TYPE_NAMES.get(tag, tag), "position": it.position}
        if tag == 9:
            extra["raw"] = d.value.hex()
    if it.class_id is not None:
        extra["class_id"] = it.class_id
    if attr is not None and attr != 2:
        extra["attribute"] = attr
    return _new(Register, (key, value, unit, obis, desc, extra))


_METER_ID = tuple(parse_cached(c) for c in METER_ID_CODES)
_METER_MODEL = tuple(parse_cached(c) for c in METER_MODEL_CODES)
_CLOCK = tuple(parse_cached(c) for c in CLOCK_CODES)
_TARIFF = ObisCode(0, 0, 96, 14, 0, 255)


_SPECIAL = frozenset(_METER_ID + _METER_MODEL + _CLOCK + (_TARIFF,))


def registers_to_fields(regs: tuple[Register, ...]) -> dict[str, Any]:
    """Reading fields from registers (the first register of a code wins)."""
    fields: dict[str, Any] = {}
    special: dict[ObisCode, Register] = {}
    for r in regs:
        obis = r.obis
        if obis is None:
            continue
        f = _obis_info(obis)[3]
        if f is not None:
            if f not in fields:
                v = r.value
                if type(v) is int or type(v) is float:
                    fields[f] = float(v)
        elif obis in _SPECIAL and obis not in special:
            special[obis] = r
    if special:
        for code in _METER_ID:
            r = special.get(code)
            if r is not None and r.value not in (None, ""):
                fields["meter_id"] = _text(r.value)
                break
        for code in _METER_MODEL:
            r = special.get(code)
            if r is not None and r.value not in (None, ""):
                fields["meter_model"] = _text(r.value)
                break
        for code in _CLOCK:
            r = special.get(code)
            if r is not None and isinstance(r.value, _dt.datetime):
                fields["clock"] = r.value
                break
        tariff = special.get(_TARIFF)
        if tariff is not None and tariff.value is not None:
            t = _text(tariff.value)
            fields["tariff"] = t if not t.isdigit() else f"T{int(t)}"
    return fields


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.hex()
    return str(v)
