"""EMH metering CASA 1.1 HAN REST/JSON, sans-I/O.

No public specification exists (EMH gives it "on request"); the shapes come from field
captures (ha-ppc-smgw issue #101, 2026), the anonymised fixture of ha-ppc-smgw and the evcc
``emh-casa`` meter (docs/formats/smgw.md). Every call is ``GET`` with HTTP Digest:

* ``/json/metering/origin/`` -> array of meter ids (``["1emh1234567890", ...]``);
* ``/json/metering/origin/<meter>/extended`` -> ``{"capture_time", "status", "timestamp",
  "values": [{"logical_name", "value", "scaler", "unit", "signature"}]}``;
* ``/json/metering/derived`` -> array of contract ids;
* ``/json/metering/derived/<id>`` -> ``{"taf_type": "TAF-1", "sensor_domains": [...]}``
  (``values`` in the extended shape are read too when present).

Unlike Theben, ``scaler`` and ``unit`` are inline JSON integers (strings are accepted too),
keys are snake_case, times carry offsets, and a missing signature is ``"-"``.
"""
from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .status import FnnStatus, parse_status
from .times import parse_time
from .values import LogicalName, Sample, field_error, get, hex_bytes, make_sample, opt_str, parse_logical_name

__all__ = ["ORIGIN_PATH", "DERIVED_PATH", "extended_path", "derived_path", "IdList", "Value", "Extended",
           "DerivedContract", "Response", "parse_response", "is_emh", "samples", "METER_ID"]

ORIGIN_PATH = "/json/metering/origin/"
DERIVED_PATH = "/json/metering/derived"
#: A DIN 43863-5 / FLAG meter id as EMH lists it: digit, 3-letter manufacturer, 10 characters.
METER_ID = re.compile(r"\d[a-zA-Z]{3}[0-9a-zA-Z]{10}\Z")


def _seg(value: str, what: str) -> str:
    if not value or "/" in value:
        raise ValueError(f"not a valid {what}: {value!r}")
    return urllib.parse.quote(value, safe=".-_~")


def extended_path(meter_id: str) -> str:
    """``/json/metering/origin/<meter>/extended``: current values of one meter."""
    return f"{ORIGIN_PATH}{_seg(meter_id, 'meter id')}/extended"


def derived_path(contract_id: str | None = None) -> str:
    """``/json/metering/derived`` (the list) or ``/json/metering/derived/<id>`` (one contract)."""
    return DERIVED_PATH if contract_id is None else f"{DERIVED_PATH}/{_seg(contract_id, 'contract id')}"


@dataclass(frozen=True, slots=True)
class IdList:
    """``origin/`` (meter ids) or ``derived`` (contract ids): the body does not say which."""

    ids: tuple[str, ...]

    @property
    def all_meter_ids(self) -> bool:
        return bool(self.ids) and all(METER_ID.match(i) for i in self.ids)


@dataclass(frozen=True, slots=True)
class Value:
    """One element of ``values``: inline scaler and DLMS unit code."""

    name: LogicalName | None
    sample: Sample
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class Extended:
    capture_time: Any
    timestamp: Any
    status: FnnStatus | None
    values: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class DerivedContract:
    taf_type: str | None
    sensor_domains: tuple[str, ...]
    values: tuple[Value, ...]


Response = IdList | Extended | DerivedContract | Value


def is_emh(doc: Any) -> bool:
    """An EMH body: an extended/derived object, a value element, or an array of id strings."""
    if isinstance(doc, list):
        return bool(doc) and all(isinstance(i, str) for i in doc)
    if not isinstance(doc, dict):
        return False
    if "logical_name" in doc or "taf_type" in doc or "sensor_domains" in doc:
        return True
    values = doc.get("values")
    if isinstance(values, list) and ("capture_time" in doc or "status" in doc or (
            values and all(isinstance(v, dict) and {"value", "scaler", "unit"} <= set(v) for v in values))):
        return True
    return {"value", "scaler", "unit"} <= set(doc) and "obis" not in doc


def _time(obj: Mapping[str, Any], key: str, field: str) -> Any:
    v = obj.get(key)
    return None if v in (None, "") else parse_time(v, f"{field}.{key}")


def _value(obj: Any, field: str, time: Any, status: FnnStatus | None, capture: Any) -> Value:
    if not isinstance(obj, dict):
        raise field_error(field, f"expected an object, got {type(obj).__name__}")
    name = None
    if "logical_name" in obj:
        name = parse_logical_name(obj["logical_name"], f"{field}.logical_name")
    sig_text = obj.get("signature")
    signature = hex_bytes(sig_text, f"{field}.signature")
    own_time = _time(obj, "capture_time", field)
    own_status = obj.get("status")
    st = parse_status(own_status, f"{field}.status") if own_status not in (None, "") else status
    extra: dict[str, Any] = {"capture_time": own_time or capture}
    sample = make_sample(name, get(obj, "value", field), get(obj, "scaler", field), get(obj, "unit", field), field,
                         time=own_time or time, status=st, signature=signature,
                         meter_id=name.owner if name else None, extra=extra)
    return Value(name, sample, signature)


def _values(doc: Mapping[str, Any], field: str, time: Any, status: FnnStatus | None, capture: Any) -> tuple[Value, ...]:
    raw = doc.get("values", [])
    if not isinstance(raw, list):
        raise field_error(f"{field}values", f"expected an array, got {type(raw).__name__}")
    return tuple(_value(v, f"{field}values[{i}]", time, status, capture) for i, v in enumerate(raw))


def parse_response(doc: Any) -> Response:
    """A parsed EMH JSON body -> its typed value (FramingError naming a bad field)."""
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if not isinstance(item, str):
                raise field_error(f"[{i}]", f"expected an id string, got {type(item).__name__}")
        return IdList(tuple(doc))
    if not isinstance(doc, dict):
        raise field_error("", f"an EMH response is a JSON object or array, got {type(doc).__name__}")
    if "taf_type" in doc or "sensor_domains" in doc:
        domains = doc.get("sensor_domains", [])
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise field_error("sensor_domains", "expected an array of meter ids")
        return DerivedContract(opt_str(doc, "taf_type", ""), tuple(domains),
                               _values(doc, "", None, None, None))
    if "values" in doc or "capture_time" in doc or "status" in doc:
        capture = _time(doc, "capture_time", "")
        stamp = _time(doc, "timestamp", "")
        status = doc.get("status")
        st = parse_status(status, "status") if status not in (None, "") else None
        return Extended(capture, stamp, st, _values(doc, "", capture if capture is not None else stamp, st, capture))
    return _value(doc, "", None, None, None)


def samples(resp: Response) -> list[Sample]:
    """The values of a response as vendor-neutral :class:`Sample` values (ids lists: none)."""
    if isinstance(resp, Value):
        return [resp.sample]
    if isinstance(resp, (Extended, DerivedContract)):
        return [v.sample for v in resp.values]
    return []
