"""The data model every SMGW vendor shares: hex logical names, DLMS units, exact scaled values.

Facts (docs/formats/smgw.md, Theben IF_GW_CON v1.4 A-2.4/A-2.6, EMH CASA captures):

* A value is identified by a COSEM *logical name* ``<12 hex digits OBIS>.<owner>.sm``, e.g.
  ``0100010800ff.1lgz0067558611.sm`` (owner = a meter id) or ``01005e318021.taf1-1.sm``
  (owner = a tariff use case). Theben field firmware (JSON 1.3.0) sends the bare 12 hex digits.
* ``value`` is an integer register count sent as a *decimal string*; ``scaler`` is a power of
  ten and ``unit`` a DLMS unit code (IEC 62056-62, the table in :mod:`..dlms.units`):
  physical = int(value) x 10**scaler [unit]. Theben sends scaler/unit as strings, EMH as JSON
  integers; both forms are accepted.
* Values are kept exact: an ``int`` for scaler >= 0, a :class:`~decimal.Decimal` otherwise,
  built from the digit string (no float ever touches a register; a 10-digit Wh counter with
  scaler -1 must not lose its last digit).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .._json import load_json as _load_json
from ..dlms.units import UNITS
from ..errors import FramingError, UnsupportedError
from ..obis import ObisCode

__all__ = ["LAYER", "Blob", "Sample", "make_sample", "LogicalName", "parse_logical_name", "parse_int", "parse_scaler", "parse_unit",
           "scaled", "unit_symbol", "parse_bool", "hex_bytes", "load_json", "get", "get_str",
           "opt_str", "field_error", "DLMS_NO_UNIT"]

LAYER = "smgw"
#: DLMS unit codes that mean "no unit" (253 reserved, 254 other unit, 255 count).
DLMS_NO_UNIT = (253, 254, 255)
_DIGITS = re.compile(r"[+-]?[0-9]{1,40}\Z")
_HEX_OBIS = re.compile(r"[0-9a-fA-F]{12}\Z")
#: Scaler range a real register uses (DLMS: integer, -128..127); larger exponents are a
#: corrupted document, not a value (and would make Decimal arithmetic explode).
_SCALER_RANGE = range(-30, 31)


def field_error(field: str, message: str) -> FramingError:
    """A FramingError naming the JSON/XML field (documents have no byte offsets)."""
    return FramingError(LAYER, None, f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class LogicalName:
    """A COSEM logical name as the gateways print it.

    Attributes:
        text: as sent (``"0100010800ff.0551010038180402.sm"`` or ``"0100010800ff"``).
        obis: the OBIS code of the first dot-separated part.
        owner: the middle part (meter id, ``taf1-1``, ``consumer1``), ``None`` when absent.
    """

    text: str
    obis: ObisCode
    owner: str | None = None

    def __str__(self) -> str:
        return self.text


def parse_logical_name(text: Any, field: str) -> LogicalName:
    """``<hex OBIS>[.<owner>][.sm]`` -> :class:`LogicalName` (FramingError naming ``field``)."""
    if not isinstance(text, str):
        raise field_error(field, f"expected a logical name string, got {type(text).__name__}")
    parts = text.strip().split(".")
    head = parts[0]
    if not _HEX_OBIS.match(head):
        raise field_error(field, f"expected 12 hex digits of an OBIS code, got {text!r}")
    if parts[-1] == "sm":
        parts = parts[:-1]
    owner = ".".join(parts[1:]) or None
    return LogicalName(text, ObisCode.from_bytes(bytes.fromhex(head)), owner)


def parse_int(value: Any, field: str) -> int:
    """A decimal integer sent as a JSON string (``"171165808"``) or JSON integer.

    Floats and booleans are refused: a register count is an integer, and a JSON float would
    already have lost digits.
    """
    if isinstance(value, bool):
        raise field_error(field, f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value.strip())
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise field_error(field, f"expected an integer (decimal digits), got {value!r}")


def parse_scaler(value: Any, field: str) -> int:
    scaler = parse_int(value, field)
    if scaler not in _SCALER_RANGE:
        raise field_error(field, f"scaler {scaler} outside -30..30: not a register scaler")
    return scaler


def parse_unit(value: Any, field: str) -> int:
    """A DLMS unit code; an unknown code is an error (the quantity would be unknown)."""
    code = parse_int(value, field)
    if code not in UNITS:
        raise UnsupportedError(LAYER, None, f"{field}: unknown DLMS unit code {code} "
                               "(IEC 62056-62 unit table)", {"unit": code})
    return code


def unit_symbol(code: int | None) -> str | None:
    return None if code is None else UNITS.get(code)


def scaled(raw: int, scaler: int) -> int | Decimal:
    """``raw * 10**scaler``, exact: an int for scaler >= 0, a Decimal otherwise."""
    if scaler >= 0:
        return int(raw * 10 ** scaler)
    return Decimal(raw).scaleb(scaler)


def parse_bool(value: Any, field: str) -> bool:
    """``"true"``/``"false"`` (Theben sends booleans as strings) or a JSON boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise field_error(field, f"expected true or false, got {value!r}")


def hex_bytes(value: Any, field: str) -> bytes | None:
    """Hex text -> bytes; ``None``/``""``/``"-"`` (EMH: no signature) -> None.

    Text that is not hex (the spec examples abbreviate long hex with ``...``) is an error here;
    callers that must tolerate abbreviations keep the text instead.
    """
    if value is None or value in ("", "-"):
        return None
    if not isinstance(value, str):
        raise field_error(field, f"expected hex text, got {type(value).__name__}")
    try:
        return bytes.fromhex(value.strip())
    except ValueError:
        raise field_error(field, f"expected hex digits, got {value[:40]!r}") from None


def load_json(data: bytes) -> Any:
    """Parse a JSON document strictly (the shared loader, smartmeter_codecs._json)."""
    return _load_json(data, LAYER, "document")


def get(obj: Mapping[str, Any], key: str, field: str, *alternatives: str) -> Any:
    """``obj[key]`` (or the first alternative spelling present); FramingError naming the field."""
    for k in (key, *alternatives):
        if k in obj:
            return obj[k]
    raise field_error(f"{field}.{key}" if field else key, "missing")


def get_str(obj: Mapping[str, Any], key: str, field: str) -> str:
    value = get(obj, key, field)
    if not isinstance(value, str):
        raise field_error(f"{field}.{key}", f"expected a string, got {type(value).__name__}")
    return value


def opt_str(obj: Mapping[str, Any], key: str, field: str, *alternatives: str) -> str | None:
    for k in (key, *alternatives):
        if k in obj:
            value = obj[k]
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
                raise field_error(f"{field}.{k}", f"expected a string, got {type(value).__name__}")
            return str(value)
    return None


@dataclass(frozen=True, slots=True)
class Blob:
    """Hex text from a document (certificate, CMS container, hash): ``data`` is the bytes, or
    ``None`` when the text is not complete hex (the spec examples abbreviate with ``...``)."""

    text: str
    data: bytes | None

    @classmethod
    def of(cls, value: Any, field: str) -> Blob | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise field_error(field, f"expected hex text, got {type(value).__name__}")
        try:
            return cls(value, bytes.fromhex(value.strip()))
        except ValueError:
            return cls(value, None)


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one channel at one time, vendor-neutral (what :mod:`.mapping` turns into
    Readings).

    Attributes:
        name: the logical name (``None`` for an EMH value element without ``logical_name``).
        raw: the integer register count; ``raw_text`` the digits as sent.
        scaler, unit_code: power of ten and DLMS unit code; ``None`` when the document does not
            carry them (Theben ``readings`` without ``usage-point-info``).
        unit: the unit symbol (``"Wh"``), ``None`` for no unit or unknown.
        value: ``raw * 10**scaler`` exact (int or Decimal); ``None`` when the scaler is unknown.
        time: the time point the value belongs to (Theben ``target-time``, EMH
            ``capture_time``, TRuDI interval start, DKE ``capture_time``).
        status: the FNN status, ``None`` when not sent.
        signature: the value's signature bytes, ``None`` when not sent.
        meter_id: the meter that formed the value, when the document says.
        extra: further per-value facts (capture time, owner, database...), JSON-friendly.
        unit_override: the unit when it comes from another table than DLMS (TRuDI's ESPI uom).
        invalid_reason: set when the document itself marks the value unusable.
    """

    name: LogicalName | None
    raw: int
    raw_text: str
    scaler: int | None
    unit_code: int | None
    value: int | Decimal | None
    time: Any = None
    status: Any = None
    signature: bytes | None = None
    meter_id: str | None = None
    extra: Mapping[str, Any] | None = None
    unit_override: str | None = None   # a unit from another table (TRuDI's ESPI uom); "" = none
    invalid_reason: str | None = None  # the document marks the value unusable (DKE status 3/4)

    @property
    def unit(self) -> str | None:
        if self.unit_override is not None:
            return self.unit_override or None
        return unit_symbol(self.unit_code)


def make_sample(name: LogicalName | None, raw_value: Any, scaler: Any, unit: Any, field: str,
                **kw: Any) -> Sample:
    """A Sample from document fields (``scaler``/``unit`` may be None = not carried)."""
    raw = parse_int(raw_value, f"{field}.value")
    sc = None if scaler is None else parse_scaler(scaler, f"{field}.scaler")
    uc = None if unit is None else parse_unit(unit, f"{field}.unit")
    text = raw_value.strip() if isinstance(raw_value, str) else str(raw_value)
    return Sample(name, raw, text, sc, uc, None if sc is None else scaled(raw, sc), **kw)
