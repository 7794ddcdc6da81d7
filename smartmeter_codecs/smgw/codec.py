"""The codec objects the format table points at: ``CODEC`` ("smgw-han") and ``TRUDI_CODEC``
("trudi-xml").

``smgw-han`` takes one gateway JSON body, or a JSON array of bodies (e.g. a Theben
``usage-point-info`` followed by the ``readings`` it scales). The vendor is detected from the
document (Theben: ``method``/result keys; EMH: snake_case ``values``/``logical_name``), or forced
with ``profile="theben"`` / ``profile="emh"``. Bodies without values (``smgw-info``,
``user-info``, ``log``, id lists...) decode to no Reading; :func:`documents` gives their typed
content and ``inspect`` shows it.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..errors import DecodeError, UnsupportedError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from ..model import Reading
from . import emh, theben, trudi
from .mapping import reading_samples, to_readings
from .times import format_time
from .values import LAYER, Blob, Sample, load_json

__all__ = ["CODEC", "TRUDI_CODEC", "SmgwHanCodec", "TrudiXmlCodec", "documents", "VENDORS", "FORMAT"]

FORMAT = "smgw-han"
VENDORS = ("theben", "emh")
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
# Keys only these bodies have: a body cut short still goes to this codec (IncompleteError)
_TELLTALE = re.compile(rb'"method"\s*:\s*"(?:smgw-info|user-info|usage-point-info|readings|log|self-test)"'
                       rb'|"(?:logical_name|capture_time|sensor_domains|taf_type|usage-point-id|cosem-status)"\s*:')


def _vendor(doc: Any, profile: str | None, index: int) -> str:
    if profile is not None:
        return profile
    if theben.is_theben(doc):
        return "theben"
    if emh.is_emh(doc):
        return "emh"
    where = f" (document {index})" if index else ""
    raise UnsupportedError(LAYER, None, f"not a known SMGW HAN body{where}: expected a Theben IF_GW_CON "
                           "response (\"method\") or an EMH CASA body (\"values\"/\"logical_name\")",
                           {"keys": sorted(doc)[:10] if isinstance(doc, dict) else type(doc).__name__})


def _check_profile(profile: str | None) -> None:
    if profile is not None and profile not in VENDORS:
        raise ValueError(f"unknown smgw-han profile {profile!r}; known: {', '.join(VENDORS)} (or None to detect)")


def _bodies(data: bytes) -> list[Any]:
    doc = load_json(bytes(data))
    if isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc):
        return doc  # several bodies in one array
    return [doc]


def documents(data: bytes, *, profile: str | None = None) -> list[tuple[str, Any]]:
    """``(vendor, typed response)`` for every body in ``data`` (the layer below Readings)."""
    _check_profile(profile)
    out = []
    for i, doc in enumerate(_bodies(data)):
        vendor = _vendor(doc, profile, i)
        out.append((vendor, theben.parse_response(doc) if vendor == "theben" else emh.parse_response(doc)))
    return out


class _Infos:
    """Channel metadata of every ``usage-point-info`` body given (Theben readings carry none)."""

    def __init__(self, infos: list[theben.UsagePointInfo]) -> None:
        self.infos = infos

    def channel(self, obis: Any, database: str | None = None) -> theben.Channel | None:
        found = {(c.scaler, c.unit): c for i in self.infos for c in [i.channel(obis, database)] if c is not None}
        return next(iter(found.values())) if len(found) == 1 else None


def _samples(docs: list[tuple[str, Any]]) -> list[tuple[str, list[Sample]]]:
    infos = _Infos([r for _, r in docs if isinstance(r, theben.UsagePointInfo)])
    out = []
    for vendor, resp in docs:
        if isinstance(resp, theben.Readings):
            out.append((vendor, theben.samples(resp, infos if infos.infos else None)))  # type: ignore[arg-type]
        elif vendor == "emh":
            out.append((vendor, emh.samples(resp)))
    return out


class SmgwHanCodec:
    """German SMGW HAN JSON (Theben CONEXA IF_GW_CON, EMH CASA) <-> Reading."""

    name = FORMAT
    description = "German Smart Meter Gateway HAN JSON (Theben CONEXA IF_GW_CON, EMH CASA)"

    def sniff(self, data: bytes) -> int:
        """95 for a Theben response (or an array of them), 90 for an EMH values body, 60 for an
        array of meter ids; 0 for other JSON (Chain 2 and platform bodies are not claimed)."""
        if not _JSON_START.match(data[:64]):
            return 0
        try:
            bodies = _bodies(data)
        except DecodeError:
            return 80 if _TELLTALE.search(data[:4096]) else 0
        if all(theben.is_theben(b) for b in bodies):
            return 95
        if all(theben.is_theben(b) or (isinstance(b, dict) and emh.is_emh(b)) for b in bodies):
            return 90
        if len(bodies) == 1 and isinstance(bodies[0], list) and emh.is_emh(bodies[0]) \
                and emh.IdList(tuple(bodies[0])).all_meter_ids:
            return 60
        return 0

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """One Reading per time point of every body with values (none for info bodies)."""
        out: list[Reading] = []
        for vendor, samples in _samples(documents(data, profile=profile)):
            out.extend(to_readings(samples, format=FORMAT, profile=vendor))
        return out

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """The typed tree of every body (JSON has no byte offsets: ``start``/``end`` are None)."""
        data = bytes(data)
        root = Field(FORMAT)
        insp = Inspection(data, FORMAT, root)
        try:
            docs = documents(data, profile=profile)
            for vendor, resp in docs:
                _tree(root.add(f"{vendor}: {type(resp).__name__}", description=_doc(resp)), resp)
            for vendor, samples in _samples(docs):
                insp.readings.extend(to_readings(samples, format=FORMAT, profile=vendor))
        except DecodeError as err:
            insp.error = err
        except ValueError as err:
            insp.error = UnsupportedError(LAYER, None, str(err))
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A body that decodes back to ``reading``: Theben = ``[usage-point-info, readings]``,
        EMH = an ``extended`` body. Vendor: ``profile``, else the Reading's, else EMH."""
        _check_profile(profile)
        vendor = profile or (reading.profile if reading.profile in VENDORS else "emh")
        values = reading_samples(reading)
        when = reading.timestamp
        if vendor == "emh":
            body: Any = _emh_body(reading, values, when)
        else:
            body = _theben_body(reading, values, when)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> None:
        """None: HTTP bodies are complete documents, not a byte stream."""
        return None


def _extra_time(reg: Any, key: str) -> Any:
    return reg.extra.get(key) if reg is not None else None


def _emh_body(reading: Reading, values: list[Any], when: dt.datetime | None) -> dict[str, Any]:
    first = next((r for *_, r in values if r is not None), None)
    capture = format_time(when) if when else _extra_time(first, "capture_time")
    body: dict[str, Any] = {}
    if capture is not None:
        body["capture_time"] = capture
    status = _extra_time(first, "status")
    if status:
        body["status"] = status
    items = []
    for name, raw, scaler, unit, reg in values:
        if scaler is None or unit is None:
            raise ValueError(f"{name}: EMH values carry scaler and unit; this register has none")
        item: dict[str, Any] = {"value": str(raw), "scaler": scaler, "unit": unit}
        if name is not None:
            item = {"logical_name": name, **item}
        sig = reg.extra.get("signature") if reg is not None else None
        item["signature"] = sig.hex() if isinstance(sig, bytes) else "-"
        items.append(item)
    body["values"] = items
    return body


def _theben_body(reading: Reading, values: list[Any], when: dt.datetime | None) -> list[dict[str, Any]]:
    channels = []
    meta = []
    for name, raw, scaler, unit, reg in values:
        if name is None:
            raise ValueError("a Theben readings channel needs an OBIS code; this register has none")
        x = reg.extra if reg is not None else {}
        item: dict[str, Any] = {"value": str(raw)}
        for key, src in (("capture-time", "capture_time"), ("target-time", "target_time"),
                         ("owner-number", "owner_number"), ("smgw-status", "smgw_status"),
                         ("meter-status", "meter_status")):
            if x.get(src) is not None:
                item[key] = x[src]
        if "target-time" not in item and when is not None:
            item["target-time"] = format_time(when)
        if x.get("status"):
            item["cosem-status"] = x["status"]
        sig = x.get("signature")
        item["signature"] = sig.hex() if isinstance(sig, bytes) else None
        channels.append({"obis": name, "readings": [item]})
        if scaler is not None and unit is not None:
            meta.append({"obis": name.split(".")[0], "scaler": str(scaler), "unit": str(unit)})
    out: list[dict[str, Any]] = []
    if meta:
        out.append({"method": "usage-point-info", "version": "1.3.0",
                    "usage-point-info": {"databases": [{"database": "origin", "channels": meta}]}})
    out.append({"method": "readings", "version": "1.3.0",
                "readings": {"channels": channels, "records": str(len(channels))}})
    return out


def _doc(obj: Any) -> str | None:
    doc = (type(obj).__doc__ or "").strip().split("\n")[0]
    return None if not doc or doc.startswith(type(obj).__name__ + "(") else doc


def _show(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return format_time(v)
    if isinstance(v, Blob):
        return f"{len(v.data)} bytes" if v.data is not None else f"{v.text} (not complete hex)"
    if isinstance(v, bytes):
        return v.hex()
    return v


def _tree(node: Field, obj: Any) -> None:
    """Dataclass fields as children (tuples of dataclasses as numbered children)."""
    slots = getattr(type(obj), "__slots__", ())
    if not slots or isinstance(obj, Blob):
        return
    for name in slots:
        v = getattr(obj, name)
        if v is None:
            continue
        if isinstance(v, tuple) and v and hasattr(type(v[0]), "__dataclass_fields__"):
            parent = node.add(name, value=f"{len(v)} items")
            for i, item in enumerate(v):
                _tree(parent.add(f"{name}[{i}]"), item)
        elif hasattr(type(v), "__dataclass_fields__") and not isinstance(v, Blob):
            child = node.add(name, value=str(v) if hasattr(v, "obis") else None)
            if not hasattr(v, "obis"):
                _tree(child, v)
        else:
            node.add(name, value=_show(v) if not isinstance(v, tuple) else ", ".join(map(str, v)))


class TrudiXmlCodec:
    """TRuDI XML (VDE-AR-E 2418-6) and DKE profile XML (also inside a CMS container) <-> Reading."""

    name = trudi.FORMAT
    description = "German TRuDI XML (VDE-AR-E 2418-6, TAF7 series) and DKE profile XML (PPC/Theben CMS exports)"

    def sniff(self, data: bytes) -> int:
        """95 for XML in the AR_2418-6 or k461-dke namespace, 90 for a CMS SignedData holding it."""
        return trudi.sniff(data)

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """One Reading per time point of the series (oldest first)."""
        doc = trudi.parse(bytes(data))
        return to_readings(trudi.samples(doc), format=trudi.FORMAT, profile=doc.kind)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        data = bytes(data)
        root = Field(trudi.FORMAT)
        insp = Inspection(data, trudi.FORMAT, root)
        try:
            doc = trudi.parse(data)
            if doc.xml_offset:
                root.add("cms", 0, doc.xml_offset, description="CMS SignedData wrapper (signature not verified)")
            _tree(root.add(type(doc).__name__, doc.xml_offset, doc.xml_offset + doc.xml_length,
                           description=_doc(doc)), doc)
            insp.readings = to_readings(trudi.samples(doc), format=trudi.FORMAT, profile=doc.kind)
        except DecodeError as err:
            insp.error = err
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A TRuDI ``UsagePoints`` XML with one IntervalReading per value (see :func:`.trudi.encode`)."""
        return trudi.encode(reading)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> None:
        """None: XML exports are complete documents."""
        return None


CODEC = SmgwHanCodec()
TRUDI_CODEC = TrudiXmlCodec()
