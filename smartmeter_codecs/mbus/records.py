"""EN 13757-3 variable data records: DIF/DIFE, VIF/VIFE, data field -> typed values.

A data record is ``DIF [DIFE...] VIF [VIFE...] data`` (EN 13757-3:2018 clause 6). This module
turns the record bytes of an application payload into :class:`DataRecord` values and back
(:func:`build_record`). Conventions settled here (see docs/formats/mbus.md):

* Plain-text VIF (7C/FC): the length byte and the ASCII unit follow the VIF immediately,
  before any VIFE (what every captured frame and every peer decoder does); the text is sent
  last character first and is reversed.
* LVAR (data field 0xD): 00-BF text of that many bytes; C0-C9 / D0-D9 positive / negative
  BCD of (LVAR - C0/D0) * 2 **digits**, i.e. LVAR - C0 bytes (EN 13757-3:2018 Table 7; libmbus
  and pyMeterBus read twice as many bytes, which the standard does not say); E0-EF binary of
  LVAR - E0 bytes; F0-F4 binary of 4 * (LVAR - EC) bytes; F5 48 bytes; F6 64 bytes; F7-FF
  reserved (error).
* BCD: a most significant nibble F means negative (EN 13757-3:2018 Annex A type A); any
  other nibble A-F makes the value invalid: it is kept as hex text with ``invalid=True``.
* Integers (type B) are signed two's complement; identifiers and bit fields are unsigned.
* Dates by length: 2 bytes type G, 3 bytes type J (time), 4 bytes type F, 6 bytes type I;
  invalid dates (IV bit, month 0/13-15, day 0, year > 99 of type G) give ``None`` with
  ``invalid=True``.
* DIF 0F / 1F: the rest of the payload is manufacturer data, kept as bytes in received order;
  1F also means "more records follow in the next telegram". DIF 2F is a filler byte.
* Limits: at most 10 DIFEs and 10 VIFEs per record (EN 13757-3:2018 6.3.1 / 6.4.1).
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
import struct
from dataclasses import dataclass, field
from typing import Any

from ..errors import FramingError
from . import vif as _vif
from .vif import Combinable, VifInfo

__all__ = [
    "LAYER",
    "MAX_DIFE",
    "MAX_VIFE",
    "DataRecord",
    "build_record",
    "decode_date",
    "parse_records",
]

LAYER = "mbus-records"
MAX_DIFE = 10
MAX_VIFE = 10
MAX_PLAIN_TEXT = 0xBF  # same bound as an LVAR text (EN 13757-3:2018 Table 7)

# DIF data field (bits 3-0) -> (length in bytes, type); EN 13757-3:2018 Table 4
DATA_FIELDS: dict[int, tuple[int, str]] = {
    0x0: (0, "none"), 0x1: (1, "int"), 0x2: (2, "int"), 0x3: (3, "int"), 0x4: (4, "int"),
    0x5: (4, "real"), 0x6: (6, "int"), 0x7: (8, "int"), 0x8: (0, "selection"),
    0x9: (1, "bcd"), 0xA: (2, "bcd"), 0xB: (3, "bcd"), 0xC: (4, "bcd"), 0xD: (-1, "lvar"),
    0xE: (6, "bcd"),
}
# special functions (data field F), EN 13757-3:2018 Table 6
SPECIAL = {0x0F: "manufacturer_data", 0x1F: "more_records_follow", 0x2F: "filler",
           0x7F: "global_readout"}

_DATE_COMBINABLES = {"start_date", "lower_limit_first_begin", "lower_limit_first_end",
                     "lower_limit_last_begin", "lower_limit_last_end", "upper_limit_first_begin",
                     "upper_limit_first_end", "upper_limit_last_begin", "upper_limit_last_end",
                     "first_begin", "first_end", "last_begin", "last_end"}

_MFR_INFO = VifInfo("manufacturer_data", "Manufacturer specific data", None, 0, 1, "id")
_NONE_INFO = VifInfo("none", "No VIF", None, 0, 1, "id")


@dataclass(frozen=True, slots=True)
class DataRecord:
    """One EN 13757-3 data record.

    Offsets are absolute (relative to the ``base`` given to :func:`parse_records`).

    Attributes:
        start, end: record bytes (end exclusive); ``vif_end``: end of the VIB, start of data.
        dif, difes, vif, vifes: the raw information bytes (``vif`` is None for special DIFs).
        plain_text: the plain-text unit of VIF 7C/FC, else None.
        data: the data field as received.
        data_type: ``"int"``, ``"bcd"``, ``"real"``, ``"lvar"``, ``"none"``, ``"selection"``
            or the special function (``"manufacturer_data"``, ``"more_records_follow"``...).
        function: ``"instantaneous"``, ``"maximum"``, ``"minimum"`` or ``"error"``.
        storage, tariff, subunit: from DIF bit 6 and the DIFEs.
        info: the VIF meaning (quantity key, description, base unit).
        combinables: the interpreted combinable VIFEs.
        manufacturer_vifes: VIFEs after a manufacturer-specific VIFE 7F/FF (uninterpreted).
        raw_value: the decoded but unscaled value (int, float, str, bytes, date...).
        value: the value scaled to ``unit``.
        unit: base unit of ``value`` (``None`` for identifiers, dates, text).
        invalid: True when the data field holds an invalid value (BCD digit A-E, invalid date).
    """

    start: int
    end: int
    vif_end: int
    dif: int
    difes: tuple[int, ...]
    vif: int | None
    vifes: tuple[int, ...]
    plain_text: str | None
    data: bytes
    data_type: str
    function: str
    storage: int
    tariff: int
    subunit: int
    info: VifInfo
    combinables: tuple[Combinable, ...] = ()
    manufacturer_vifes: tuple[int, ...] = ()
    raw_value: Any = None
    value: Any = None
    unit: str | None = None
    invalid: bool = False
    extension_table: str | None = None

    @property
    def special(self) -> str | None:
        """The special function of DIF xF records (``"manufacturer_data"``...), else None."""
        if self.data_type in SPECIAL.values() or self.data_type in ("reserved", "unparsed"):
            return self.data_type
        return None

    @property
    def phase(self) -> int | None:
        for c in self.combinables:
            if c.phase is not None:
                return c.phase
        return None

    @property
    def direction(self) -> str | None:
        """``"export"`` for backward-flow / negative contributions (VIFE 3C), ``"import"`` for 3B."""
        for c in self.combinables:
            if c.effect in ("import", "export"):
                return c.effect
        return None

    @property
    def manufacturer_specific(self) -> bool:
        return bool(self.manufacturer_vifes) or self.info.key in ("manufacturer_specific", "manufacturer_data")

    @property
    def dib(self) -> bytes:
        return bytes((self.dif, *self.difes))

    @property
    def vib(self) -> bytes:
        if self.vif is None:
            return b""
        text = b""
        if self.plain_text is not None:
            text = bytes((len(self.plain_text),)) + self.plain_text.encode("latin-1")[::-1]
        return bytes((self.vif,)) + text + bytes(self.vifes)

    @property
    def quantity(self) -> str:
        """Stable name: the VIF key plus qualifying combinable VIFEs (``"power.phase_l1"``)."""
        parts = [self.info.key]
        parts += [c.key for c in self.combinables if c.effect not in ("multiply", "add")]
        return ".".join(parts)

    @property
    def description(self) -> str:
        desc = self.plain_text if self.plain_text is not None else self.info.description
        extra = [c.description for c in self.combinables if c.effect not in ("multiply", "add")]
        return desc + (f" ({', '.join(extra)})" if extra else "")


# --------------------------------------------------------------------------------------------
# value decoding


def _bcd(data: bytes) -> tuple[int | str, bool]:
    """Little-endian packed BCD -> (int, valid); negative when the top nibble is F."""
    digits = data[::-1].hex().upper()
    negative = False
    if digits and digits[0] == "F":
        negative = True
        digits = "0" + digits[1:]
    if not digits.isdigit():    # hex() gives 0-9A-F only: isdigit() is "all of 0-9" (False for "")
        return data[::-1].hex().upper(), False
    v = int(digits)
    return (-v if negative else v), True


def _int(data: bytes, signed: bool) -> int:
    return int.from_bytes(data, "little", signed=signed)


def _year2(y: int) -> int:
    # EN 13757-3:2018 Annex A: two-digit years 0..80 -> 2000..2080, 81..99 -> 1981..1999
    return 2000 + y if y <= 80 else 1900 + y


def decode_date(data: bytes) -> tuple[Any, bool, dict[str, Any]]:
    """Decode a type G (2 bytes), J (3), F (4) or I (6) date/time.

    Returns ``(value, valid, flags)``: value is a ``date``, ``time`` or naive ``datetime`` (M-Bus
    times carry no UTC offset) or ``None`` when invalid; flags holds summer-time etc.
    """
    flags: dict[str, Any] = {}
    try:
        if len(data) == 2:  # type G, CP16 date
            day = data[0] & 0x1F
            month = data[1] & 0x0F
            y = ((data[0] & 0xE0) >> 5) | ((data[1] & 0xF0) >> 1)
            if y > 99 or month == 0 or month > 12 or day == 0:
                return None, False, flags
            return _dt.date(_year2(y), month, day), True, flags
        if len(data) == 3:  # type J, CP24 time
            s, m, h = data[0] & 0x3F, data[1] & 0x3F, data[2] & 0x1F
            return _dt.time(h, m, s), True, flags
        if len(data) == 4:  # type F, CP32 date and time
            if data[0] & 0x80:
                flags["iv"] = True
                return None, False, flags
            minute = data[0] & 0x3F
            hour = data[1] & 0x1F
            hundred = (data[1] >> 5) & 0x03
            day = data[2] & 0x1F
            month = data[3] & 0x0F
            y = ((data[2] & 0xE0) >> 5) | ((data[3] & 0xF0) >> 1)
            if data[1] & 0x80:
                flags["summer_time"] = True
            if month == 0 or month > 12 or day == 0 or y > 99:
                return None, False, flags
            year = _year2(y) if hundred == 0 else 1900 + 100 * hundred + y
            return _dt.datetime(year, month, day, hour, minute), True, flags
        if len(data) == 6:  # type I, CP48 date and time with seconds
            if data[1] & 0x80:
                flags["iv"] = True
                return None, False, flags
            second = data[0] & 0x3F
            minute = data[1] & 0x3F
            hour = data[2] & 0x1F
            day = data[3] & 0x1F
            month = data[4] & 0x0F
            y = ((data[3] & 0xE0) >> 5) | ((data[4] & 0xF0) >> 1)
            if data[5] & 0x40:
                flags["summer_time"] = True
            if month == 0 or month > 12 or day == 0 or y > 99:
                return None, False, flags
            return _dt.datetime(_year2(y), month, day, hour, minute, second), True, flags
    except ValueError:  # e.g. 31 February, hour 25
        return None, False, flags
    return None, False, flags


def scale_plan(info: VifInfo, combinables: tuple[Combinable, ...]) -> tuple[Any, ...]:
    """What :func:`_scale` derives from the VIF and its combinable VIFEs alone, so a record
    plan (:mod:`.template`) computes it once per header: ``(0, factor)`` for a duration,
    ``(1,)`` for a count, else ``(2, factor, exp, 10**exp, 10**-exp, 10.0**exp, 10.0**-exp,
    additive constants)``. The powers are the very operands the expressions below use."""
    for c in combinables:
        if c.effect == "duration":  # the value is a duration, not the VIF's quantity
            return (0, c.factor)
        if c.effect == "count":
            return (1,)
    exp = info.exponent
    factor = info.factor
    add = 0
    for c in combinables:
        if c.effect == "multiply":
            exp += c.exponent
        elif c.effect == "add":
            add = c.exponent
    # additive constant 10^(nn-3) in the VIF's unit, once per additive VIFE
    adds = tuple(factor * 10.0 ** (info.exponent + add) for c in combinables if c.effect == "add")
    if exp >= 0:
        return (2, factor, exp, 10 ** exp, None, 10.0 ** exp, None, adds)
    return (2, factor, exp, None, 10 ** (-exp), None, 10.0 ** (-exp), adds)


def apply_scale(plan: tuple[Any, ...], raw: Any) -> Any:
    """``raw`` scaled by a :func:`scale_plan` (the arithmetic of EN 13757-3 Table 10/15)."""
    mode = plan[0]
    if mode == 0:
        return raw * plan[1]
    if mode == 1:
        return raw
    _, factor, exp, p_int, q_int, p_float, q_float, adds = plan
    value: int | float
    if isinstance(raw, int) and exp >= 0:
        value = raw * factor * p_int
    elif isinstance(raw, int):
        value = raw * factor / q_int
    elif exp < 0:
        value = raw * factor / q_float
    else:
        value = raw * factor * p_float
    for a in adds:
        value = value + a
    return value


def _scale(raw: float, info: VifInfo, combinables: tuple[Combinable, ...]) -> int | float:
    value: int | float = apply_scale(scale_plan(info, combinables), raw)
    return value


# --------------------------------------------------------------------------------------------
# parsing


@dataclass(slots=True)
class _VibResult:
    vif: int
    vifes: list[int] = field(default_factory=list)
    plain_text: str | None = None
    info: VifInfo = _NONE_INFO
    combinables: list[Combinable] = field(default_factory=list)
    manufacturer_vifes: list[int] = field(default_factory=list)
    table: str | None = None


def _err(offset: int, message: str) -> FramingError:
    return FramingError(LAYER, offset, message)


def _parse_vib(buf: bytes, pos: int, base: int, msb_first: bool) -> tuple[_VibResult, int]:
    if pos >= len(buf):
        raise _err(base + pos, "premature end of record at VIF: expected a VIF byte")
    vif = buf[pos]
    pos += 1
    res = _VibResult(vif)
    code = vif & 0x7F
    if code == 0x7C:  # plain-text VIF: length + ASCII right after the VIF
        if pos >= len(buf):
            raise _err(base + pos, "premature end of record at plain-text VIF: expected its length byte")
        n = buf[pos]
        if n > MAX_PLAIN_TEXT:
            raise _err(base + pos, f"plain-text VIF length {n} is too long (at most {MAX_PLAIN_TEXT})")
        if pos + 1 + n > len(buf):
            raise _err(base + pos, f"premature end of record at plain-text VIF: {n} characters announced, "
                                   f"{len(buf) - pos - 1} bytes left")
        text = buf[pos + 1:pos + 1 + n]
        res.plain_text = (text if msb_first else text[::-1]).decode("latin-1")
        pos += 1 + n
        res.info = VifInfo("plain_text", res.plain_text, res.plain_text or None, 0, 1, "number")
    else:
        res.info = _vif.lookup_primary(code)
    ext = bool(vif & 0x80)
    first_vife = True
    in_combinable_ext = False
    mfr = False
    while ext:
        if pos >= len(buf):
            raise _err(base + pos, "premature end of record at VIF: expected a VIFE byte")
        if len(res.vifes) >= MAX_VIFE:
            raise _err(base + pos, f"too many VIFEs: more than {MAX_VIFE} (EN 13757-3 6.4.1)")
        vife = buf[pos]
        pos += 1
        res.vifes.append(vife)
        ext = bool(vife & 0x80)
        c = vife & 0x7F
        if first_vife and code in (0x7B, 0x7D, 0x6F) and res.plain_text is None:
            first_vife = False
            if code == 0x7B:
                res.info, res.table = _vif.lookup_fb(c), "FB"
            elif code == 0x7D:
                res.info, res.table = _vif.lookup_fd(c), "FD"
            else:  # EF: third extension table, reserved in EN 13757-3:2018
                res.info, res.table = VifInfo("reserved", f"Reserved VIF EF {c:02X}", None, 0, 1, "reserved"), "EF"
            continue
        first_vife = False
        if mfr or (code == 0x7F and res.plain_text is None):
            res.manufacturer_vifes.append(vife)
            continue
        if in_combinable_ext:
            res.combinables.append(_vif.lookup_combinable_ext(c))
            in_combinable_ext = False
            continue
        if c == 0x7C:  # extension of combinable VIFE codes: next VIFE from Table 16
            in_combinable_ext = True
            continue
        if c == 0x7F:  # the following VIFEs and the data are manufacturer specific
            mfr = True
            res.manufacturer_vifes.append(vife)
            continue
        res.combinables.append(_vif.lookup_combinable(c))
    if code in (0x7B, 0x7D) and not (vif & 0x80):
        res.info = _vif.lookup_primary(code)  # reserved without the extension bit (sen_pollutherm)
    return res, pos


def _lvar_length(lvar: int, offset: int) -> tuple[int, str]:
    if lvar <= 0xBF:
        return lvar, "text"
    if 0xC0 <= lvar <= 0xC9:
        return lvar - 0xC0, "bcd+"
    if 0xD0 <= lvar <= 0xD9:
        return lvar - 0xD0, "bcd-"
    if 0xE0 <= lvar <= 0xEF:
        return lvar - 0xE0, "binary"
    if 0xF0 <= lvar <= 0xF4:
        return 4 * (lvar - 0xEC), "binary"
    if lvar == 0xF5:
        return 48, "binary"
    if lvar == 0xF6:
        return 64, "binary"
    raise _err(offset, f"LVAR {lvar:02X} is reserved (EN 13757-3 Table 7: 00-BF, C0-C9, D0-D9, E0-EF, F0-F6)")


def parse_records(payload: bytes, base: int = 0, *, msb_first: bool = False) -> tuple[list[DataRecord], bool]:
    """Parse every data record of an application payload.

    Args:
        payload: the record bytes (after the CI field and any header).
        base: offset of ``payload[0]`` in the caller's input (for error offsets and records).
        msb_first: CI 0x76 style payloads (multi-byte fields most significant byte first).

    Returns:
        ``(records, more_records_follow)``; filler bytes 0x2F are skipped and not returned.

    Raises:
        FramingError: premature end of a record, too many DIFEs/VIFEs, reserved LVAR...
            (layer ``"mbus-records"``, absolute offset).
    """
    buf = bytes(payload)
    records: list[DataRecord] = []
    more = False
    pos = 0
    while pos < len(buf):
        start = pos
        dif = buf[pos]
        pos += 1
        if dif & 0x0F == 0x0F:  # special functions
            kind = SPECIAL.get(dif & 0x7F, "reserved")
            if kind == "filler":
                continue
            if kind == "global_readout":
                records.append(DataRecord(start + base, pos + base, pos + base, dif, (), None, (), None, b"",
                                          kind, "instantaneous", 0, 0, 0, _NONE_INFO))
                continue
            rest = buf[pos:]
            more = more or kind == "more_records_follow"
            records.append(DataRecord(start + base, len(buf) + base, pos + base, dif, (), None, (), None, rest,
                                      kind, "instantaneous", 0, 0, 0, _MFR_INFO, raw_value=rest, value=rest))
            break
        difes: list[int] = []
        ext = bool(dif & 0x80)
        storage = (dif >> 6) & 0x01
        tariff = subunit = 0
        while ext:
            if pos >= len(buf):
                raise _err(base + pos, "premature end of record at DIF: expected a DIFE byte")
            if len(difes) >= MAX_DIFE:
                raise _err(base + pos, f"too many DIFEs: more than {MAX_DIFE} (EN 13757-3 6.3.1)")
            d = buf[pos]
            pos += 1
            n = len(difes)
            storage |= (d & 0x0F) << (1 + 4 * n)
            tariff |= ((d >> 4) & 0x03) << (2 * n)
            subunit |= ((d >> 6) & 0x01) << n
            difes.append(d)
            ext = bool(d & 0x80)
        vib, pos = _parse_vib(buf, pos, base, msb_first)
        vif_end = pos
        length, dtype = DATA_FIELDS[dif & 0x0F]
        lvar_kind = None
        if dtype == "lvar":
            if pos >= len(buf):
                raise _err(base + pos, "premature end of record at data: expected the LVAR byte")
            length, lvar_kind = _lvar_length(buf[pos], base + pos)
            pos += 1
        if pos + length > len(buf):
            raise _err(base + pos, f"premature end of record at data: {length} data bytes expected, "
                                   f"{len(buf) - pos} left")
        data = buf[pos:pos + length]
        pos += length
        rec = _decode_value(start + base, pos + base, vif_end + base, dif, tuple(difes), vib, data, dtype,
                            lvar_kind, storage, tariff, subunit, msb_first)
        records.append(rec)
    return records, more


def _decode_value(start: int, end: int, vif_end: int, dif: int, difes: tuple[int, ...], vib: _VibResult,
                  data: bytes, dtype: str, lvar_kind: str | None, storage: int, tariff: int, subunit: int,
                  msb_first: bool) -> DataRecord:
    info = vib.info
    combinables = tuple(vib.combinables)
    function = _vif.FUNCTIONS[(dif >> 4) & 0x03]
    raw, value, unit, invalid = decode_data(value_plan(info, combinables, dtype, lvar_kind, msb_first), data)
    return DataRecord(start, end, vif_end, dif, difes, vib.vif, tuple(vib.vifes), vib.plain_text, bytes(data),
                      dtype, function, storage, tariff, subunit, info, combinables,
                      tuple(vib.manufacturer_vifes), raw, value, unit, invalid, vib.table)


# value kinds of a value plan (what decode_data does with the data field)
_K_NONE, _K_LVAR, _K_REAL, _K_BCD, _K_INT = range(5)


@functools.lru_cache(maxsize=1024)
def value_plan(info: VifInfo, combinables: tuple[Combinable, ...], dtype: str, lvar_kind: str | None,
               msb_first: bool) -> tuple[Any, ...]:
    """Everything the value of a record takes from its header (DIB/VIB, LVAR kind), so that
    :func:`decode_data` only touches the data bytes. The full path asks per record; a frame
    template (:mod:`.template`) keeps it, and both run the same :func:`decode_data`.

    A bounded memo (issue 16): the plan is an immutable tuple, and equal arguments give the
    same plan (every VifInfo and Combinable comes from the tables of :mod:`.vif`, whose factors
    and exponents are ints, or from a plain-text unit)."""
    is_date = info.kind == "date" or any(c.key in _DATE_COMBINABLES for c in combinables)
    # manufacturer-specific VIFEs qualify the quantity; the VIF's scaling still applies
    # (what libmbus' normalised output does, e.g. FIN Finder current FD DB FF 01)
    numeric = info.kind == "number"
    if dtype in ("none", "selection"):
        kind = _K_NONE
    elif dtype == "lvar":
        kind = _K_LVAR
    elif dtype == "real":
        kind = _K_REAL
    elif dtype == "bcd":
        kind = _K_BCD
    else:
        kind = _K_INT
    unit_cleared = info.kind in ("id", "bits", "reserved") or info.key == "manufacturer_specific"

    def final(unit: str | None) -> str | None:
        for c in combinables:
            if c.effect == "duration" and unit is not None:
                unit = "s"
            elif c.effect == "count":
                unit = None
        return unit

    unit_kept = final(None if unit_cleared else info.unit)   # the unit when the value has one
    unit_none = final(None)                                  # when the data made it None
    signed = info.kind == "number" or info.key == "manufacturer_specific"
    scale = scale_plan(info, combinables) if numeric else None
    return (kind, msb_first, numeric, scale, unit_kept, unit_none, signed, lvar_kind, is_date)


def decode_data(plan: tuple[Any, ...], data: bytes) -> tuple[Any, Any, str | None, bool]:
    """``(raw, value, unit, invalid)`` of a record's data field under a :func:`value_plan`."""
    kind, msb_first, numeric, scale, unit_kept, unit_none, signed, lvar_kind, is_date = plan
    ordered = data[::-1] if msb_first else data  # little-endian view of the field
    raw: Any
    if kind == _K_INT:
        if is_date and len(data) in (2, 3, 4, 6):   # types G, J, F, I (Annex A)
            raw, ok, _flags = decode_date(ordered)
            return raw, raw, unit_none, not ok
        raw = int.from_bytes(ordered, "little", signed=signed)
        return raw, (apply_scale(scale, raw) if numeric else raw), unit_kept, False
    if kind == _K_BCD:
        raw, ok = _bcd(ordered)
        if not ok:
            return raw, raw, unit_none, True
        return raw, (apply_scale(scale, raw) if numeric else raw), unit_kept, False
    if kind == _K_NONE:
        return None, None, unit_none, False
    if kind == _K_REAL:
        raw = struct.unpack("<f", ordered)[0]
        if math.isnan(raw) or math.isinf(raw):
            return raw, None, unit_kept, True
        return raw, (apply_scale(scale, raw) if numeric else raw), unit_kept, False
    # LVAR
    if lvar_kind == "text":
        raw = ordered[::-1].decode("latin-1")
        return raw, raw, unit_none, False
    if lvar_kind in ("bcd+", "bcd-"):
        raw, ok = _bcd(ordered) if ordered else (0, True)
        if ok and lvar_kind == "bcd-":
            raw = -abs(raw)
        return raw, (apply_scale(scale, raw) if ok and numeric else raw), unit_kept, not ok
    # binary number
    raw = _int(ordered, False) if len(ordered) <= 8 else bytes(data)
    if isinstance(raw, bytes):
        return raw, raw, unit_none, False
    return raw, (apply_scale(scale, raw) if numeric else raw), unit_kept, False


# --------------------------------------------------------------------------------------------
# building


def build_dib(data_field: int, *, storage: int = 0, tariff: int = 0, subunit: int = 0,
              function: str = "instantaneous") -> bytes:
    """DIF plus the DIFEs needed for storage/tariff/subunit (EN 13757-3:2018 6.3)."""
    if not 0 <= data_field <= 0x0E:
        raise ValueError(f"data field must be 0..14, got {data_field}")
    if storage < 0 or tariff < 0 or subunit < 0:
        raise ValueError("storage, tariff and subunit must not be negative")
    dif = data_field | (_vif.FUNCTIONS.index(function) << 4) | ((storage & 1) << 6)
    storage >>= 1
    difes = []
    while storage or tariff or subunit:
        difes.append((storage & 0x0F) | ((tariff & 0x03) << 4) | ((subunit & 0x01) << 6))
        storage >>= 4
        tariff >>= 2
        subunit >>= 1
        if len(difes) > MAX_DIFE:
            raise ValueError("storage/tariff/subunit need more than 10 DIFEs")
    out = [dif | (0x80 if difes else 0)]
    for i, d in enumerate(difes):
        out.append(d | (0x80 if i < len(difes) - 1 else 0))
    return bytes(out)


def build_record(dib: bytes, vib: bytes, data: bytes) -> bytes:
    """Concatenate a record; the data must match the DIF's data field length."""
    return bytes(dib) + bytes(vib) + bytes(data)


def encode_int(value: int, length: int) -> bytes:
    """Type B little-endian signed integer of ``length`` bytes (ValueError if it does not fit)."""
    try:
        return int(value).to_bytes(length, "little", signed=True)
    except OverflowError:
        raise ValueError(f"{value} does not fit in {length * 8} bits") from None


def encode_bcd(value: int, length: int) -> bytes:
    """Type A little-endian BCD (negative values with top nibble F)."""
    digits = length * 2
    neg = value < 0
    text = str(abs(int(value)))
    if len(text) > digits - (1 if neg else 0):
        raise ValueError(f"{value} does not fit in {digits} BCD digits")
    text = text.rjust(digits, "0")
    if neg:
        text = "F" + text[1:]
    return bytes.fromhex(text)[::-1]


def encode_date(value: _dt.date | _dt.time, length: int | None = None) -> bytes:
    """Date/time bytes: type G (date, 2), J (time, 3), F (datetime, 4) or I (datetime, 6).

    ``length`` picks the type for datetimes (4 = F, default; 6 = I) and dates (2 = G).
    """
    if isinstance(value, _dt.datetime):
        y = value.year % 100
        if length == 6:
            return bytes((value.second & 0x3F, value.minute & 0x3F, value.hour & 0x1F,
                          (value.day & 0x1F) | ((y & 0x07) << 5), (value.month & 0x0F) | ((y & 0x78) << 1), 0))
        if 1981 <= value.year <= 2080:
            hundred = 0
        elif 2081 <= value.year <= 2299:
            hundred = (value.year - 1900) // 100
        else:
            raise ValueError(f"year {value.year} cannot be coded in type F")
        return bytes((value.minute & 0x3F, (value.hour & 0x1F) | (hundred << 5),
                      (value.day & 0x1F) | ((y & 0x07) << 5), (value.month & 0x0F) | ((y & 0x78) << 1)))
    if isinstance(value, _dt.time):
        return bytes((value.second & 0x3F, value.minute & 0x3F, value.hour & 0x1F))
    y = value.year % 100
    return bytes(((value.day & 0x1F) | ((y & 0x07) << 5), (value.month & 0x0F) | ((y & 0x78) << 1)))
