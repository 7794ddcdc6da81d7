"""TRuDI XML (VDE-AR-E 2418-6, ``IF_Adapter_TRuDI``) and the DKE/K461 profile XML, sans-I/O.

**TRuDI** (namespace ``http://vde.de/AR_2418-6.xsd`` plus NAESB ESPI): the vendor-neutral
export every TRuDI HAN adapter produces (schema ``AR_2418-6.xsd`` v1.2; the TAF7 example
``doc/Lastenheft/IF_Adapter_TRuDI_DatenTAF7.xml`` of PTB's TRuDI, docs/formats/smgw.md):
``UsagePoints/UsagePoint{usagePointId, Customer, InvoicingParty, SMGW, Certificate, tariffName,
LogEntry*, MeterReading{Meter/meterId, meterReadingId, ReadingType{espi:powerOfTenMultiplier,
espi:uom, scaler, obisCode, qualifiedLogicalName}, IntervalBlock{interval, IntervalReading{
espi:value, timePeriod{duration, start}, statusFNN, statusPTB}}}}``.
A value is ``espi:value x 10**(scaler + powerOfTenMultiplier)`` in the ESPI unit of measure
(TRuDI ``Uom.cs``: 72 = Wh, 38 = W, 29 = V, 5 = A, 33 = Hz...). Applying both exponents is our
reading of the schema (scaler shifts the integer, the multiplier is the unit prefix); the
example has multiplier 0, so it does not test it.

**DKE profile** (namespace ``urn:k461-dke-de:profile_generic-1``): a COSEM profile generic
(class 7) as PPC ``exportMeterValues`` and Theben ``taf-profile`` carry it inside CMS
(docs/formats/smgw.md): ``capture_objects`` name the columns (logical names), each
``buffer/simple_data/column`` holds ``entry_gateway_signed{value/<type>, scaler, unit (DLMS),
status/unsigned, capture_time}``. Status 0 = valid, 3 = not present, 4 = invalid (TRON4R
``cms_parser.py``, second-hand): values with another status than 0 stay registers only.

Input may be the XML, or a CMS SignedData container holding it (:mod:`.cms`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from ..dlms.units import UNITS
from ..errors import FramingError, UnsupportedError
from ..model import Reading
from . import cms, xmlsafe
from .status import FnnStatus, parse_status
from .times import format_time, parse_datetime, parse_time
from .values import (
    Blob,
    LogicalName,
    Sample,
    field_error,
    hex_bytes,
    parse_int,
    parse_logical_name,
    parse_scaler,
    parse_unit,
    scaled,
)

__all__ = ["FORMAT", "TRUDI_NS", "DKE_NS", "ESPI_UOM", "IntervalValue", "MeterReading", "LogEntry",
           "UsagePoint", "TrudiDocument", "DkeEntry", "DkeColumn", "DkeProfile", "parse", "sniff",
           "samples", "encode"]

FORMAT = "trudi-xml"
TRUDI_NS = "http://vde.de/AR_2418-6.xsd"
ESPI_NS = "http://naesb.org/espi"
DKE_NS = "urn:k461-dke-de:profile_generic-1"
#: ESPI unit of measure (TRuDI Uom.cs, "ESPI REQ.21") -> SI symbol; 0 and 65 have no unit.
ESPI_UOM: dict[int, str | None] = {0: None, 5: "A", 29: "V", 31: "J", 33: "Hz", 38: "W", 42: "m3", 61: "VA",
                                   63: "var", 65: None, 67: "V2", 69: "A2", 71: "VAh", 72: "Wh", 73: "varh",
                                   106: "Ah", 119: "ft3", 122: "ft3/h", 125: "m3/h", 128: "US gal",
                                   129: "US gal/h"}
_UOM_OF_SYMBOL = {v: k for k, v in ESPI_UOM.items() if v is not None}
_XML_START = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[\s\x00]*<")


# ---- TRuDI ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IntervalValue:
    value: int
    value_text: str
    start: dt.datetime
    duration: int | None          # seconds (0 = a register reading at ``start``)
    status: FnnStatus | None      # statusFNN: SMGW word || meter word
    status_ptb: int | None        # PTB 50.8 verdict 0..4 (status.PTB_STATUS)
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class MeterReading:
    meter_id: str | None
    meter_reading_id: str | None
    obis: LogicalName
    qualified_logical_name: str | None
    scaler: int
    power_of_ten: int
    uom: int
    interval_start: dt.datetime | None
    interval_duration: int | None
    values: tuple[IntervalValue, ...]


@dataclass(frozen=True, slots=True)
class LogEntry:
    record_number: int | None
    level: int | None
    text: str | None
    outcome: int | None
    timestamp: Any


@dataclass(frozen=True, slots=True)
class UsagePoint:
    usage_point_id: str | None
    customer_id: str | None
    invoicing_party_id: str | None
    smgw_id: str | None
    certificates: tuple[tuple[int | None, int | None, Blob | None], ...]  # (certId, certType, content)
    tariff_name: str | None
    log: tuple[LogEntry, ...]
    meter_readings: tuple[MeterReading, ...]


@dataclass(frozen=True, slots=True)
class TrudiDocument:
    kind: str                       # "trudi"
    usage_points: tuple[UsagePoint, ...]
    xml_offset: int                 # where the XML starts in the input (after a CMS header)
    xml_length: int


def _t(el: Element | None, name: str) -> str | None:
    return xmlsafe.text(xmlsafe.child(el, name)) if el is not None else None


def _int(el: Element | None, name: str, field: str) -> int | None:
    v = _t(el, name)
    return None if v in (None, "") else parse_int(v, f"{field}/{name}")


def _need(el: Element | None, name: str, field: str) -> Element:
    c = xmlsafe.child(el, name) if el is not None else None
    if c is None:
        raise field_error(f"{field}/{name}", "missing")
    return c


def _meter_reading(mr: Element, field: str) -> MeterReading:
    rt = _need(mr, "ReadingType", field)
    f = f"{field}/ReadingType"
    obis_text = _t(rt, "obisCode")
    if not obis_text:
        raise field_error(f"{f}/obisCode", "missing")
    obis = parse_logical_name(obis_text, f"{f}/obisCode")
    qln = _t(rt, "qualifiedLogicalName")
    if qln:
        obis = LogicalName(qln, obis.obis, parse_logical_name(qln, f"{f}/qualifiedLogicalName").owner)
    uom = _int(rt, "uom", f)
    if uom is None:
        raise field_error(f"{f}/uom", "missing")
    if uom not in ESPI_UOM:
        raise UnsupportedError("trudi", None, f"{f}/uom: unknown ESPI unit of measure {uom}", {"uom": uom})
    scaler = _t(rt, "scaler")
    pot = _t(rt, "powerOfTenMultiplier")
    values = []
    interval_start = interval_duration = None
    for bi, block in enumerate(xmlsafe.children(mr, "IntervalBlock")):
        g = f"{field}/IntervalBlock[{bi}]"
        iv = xmlsafe.child(block, "interval")
        if iv is not None and interval_start is None:
            s = _t(iv, "start")
            interval_start = parse_datetime(s, f"{g}/interval/start") if s else None
            interval_duration = _int(iv, "duration", f"{g}/interval")
        for ri, r in enumerate(xmlsafe.children(block, "IntervalReading")):
            h = f"{g}/IntervalReading[{ri}]"
            raw = _t(r, "value")
            if raw is None:
                raise field_error(f"{h}/value", "missing")
            tp = _need(r, "timePeriod", h)
            start = _t(tp, "start")
            if not start:
                raise field_error(f"{h}/timePeriod/start", "missing")
            st = _t(r, "statusFNN")
            values.append(IntervalValue(
                parse_int(raw, f"{h}/value"), raw, parse_datetime(start, f"{h}/timePeriod/start"),
                _int(tp, "duration", f"{h}/timePeriod"), parse_status(st, f"{h}/statusFNN") if st else None,
                _int(r, "statusPTB", h), hex_bytes(_t(r, "signature"), f"{h}/signature")))
    return MeterReading(_t(xmlsafe.child(mr, "Meter"), "meterId"), _t(mr, "meterReadingId"), obis, qln,
                        parse_scaler(scaler, f"{f}/scaler") if scaler else 0,
                        parse_scaler(pot, f"{f}/powerOfTenMultiplier") if pot else 0, uom,
                        interval_start, interval_duration, tuple(values))


def _trudi(root: Element, offset: int, length: int) -> TrudiDocument:
    points = []
    for ui, up in enumerate(xmlsafe.children(root, "UsagePoint")):
        f = f"UsagePoint[{ui}]"
        certs = []
        for c in xmlsafe.children(up, "Certificate"):
            certs.append((_int(c, "certId", f"{f}/Certificate"), _int(c, "certType", f"{f}/Certificate"),
                          Blob.of(_t(c, "certContent"), f"{f}/Certificate/certContent")))
        log = []
        for li, le in enumerate(xmlsafe.children(up, "LogEntry")):
            g = f"{f}/LogEntry[{li}]"
            ev = xmlsafe.child(le, "LogEvent")
            ts = _t(ev, "timestamp")
            log.append(LogEntry(_int(le, "recordNumber", g), _int(ev, "level", f"{g}/LogEvent"), _t(ev, "text"),
                                _int(ev, "outcome", f"{g}/LogEvent"),
                                parse_time(ts, f"{g}/LogEvent/timestamp") if ts else None))
        readings = tuple(_meter_reading(mr, f"{f}/MeterReading[{mi}]")
                         for mi, mr in enumerate(xmlsafe.children(up, "MeterReading")))
        points.append(UsagePoint(_t(up, "usagePointId"), _t(xmlsafe.child(up, "Customer"), "customerId"),
                                 _t(xmlsafe.child(up, "InvoicingParty"), "invoicingPartyId"),
                                 _t(xmlsafe.child(up, "SMGW"), "smgwId"), tuple(certs), _t(up, "tariffName"),
                                 tuple(log), readings))
    return TrudiDocument("trudi", tuple(points), offset, length)


# ---- DKE profile generic ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DkeEntry:
    value: int
    value_text: str
    value_type: str               # the element name under <value>, e.g. "long64"
    scaler: int
    unit: int                     # DLMS unit code
    status: int | None            # 0 valid, 3 not present, 4 invalid
    capture_time: dt.datetime | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class DkeColumn:
    name: LogicalName
    class_id: int | None
    entries: tuple[DkeEntry, ...]


@dataclass(frozen=True, slots=True)
class DkeProfile:
    kind: str                     # "dke"
    logical_name: str | None
    columns: tuple[DkeColumn, ...]
    xml_offset: int
    xml_length: int


def _desc(el: Element, name: str) -> Element | None:
    return next((e for e in el.iter() if xmlsafe.local(e.tag) == name), None)


def _dke(root: Element, offset: int, length: int) -> DkeProfile:
    attrs = _need(root, "attributes", "object")
    names: dict[str, tuple[LogicalName, int | None]] = {}
    cap = _need(attrs, "capture_objects", "object/attributes")
    for i, co in enumerate(xmlsafe.children(cap, "capture_object")):
        f = f"capture_objects/capture_object[{i}]"
        ln = _t(co, "logical_name")
        if not ln:
            raise field_error(f"{f}/logical_name", "missing")
        names[co.get("id", str(i + 1))] = (parse_logical_name(ln, f"{f}/logical_name"), _int(co, "class_id", f))
    buffer = _need(attrs, "buffer", "object/attributes")
    columns = []
    for ci, col in enumerate(c for c in buffer.iter() if xmlsafe.local(c.tag) == "column"):
        f = f"buffer/column[{ci}]"
        cid = col.get("id", str(ci + 1))
        if cid not in names:
            raise field_error(f"{f}@id", f"column {cid} has no capture_object")
        entries = []
        for ei, en in enumerate(list(col)):
            g = f"{f}/{xmlsafe.local(en.tag)}[{ei}]"
            val = _need(en, "value", g)
            typed = next(iter(val), None)
            raw = xmlsafe.text(typed) if typed is not None else xmlsafe.text(val)
            if not raw:
                raise field_error(f"{g}/value", "missing")
            sc, un = _t(en, "scaler"), _t(en, "unit")
            if sc is None or un is None:
                raise field_error(f"{g}/{'scaler' if sc is None else 'unit'}", "missing")
            st_el = xmlsafe.child(en, "status")
            st = None
            if st_el is not None:
                st_text = xmlsafe.text(next(iter(st_el), None)) if len(st_el) else xmlsafe.text(st_el)
                st = parse_int(st_text, f"{g}/status") if st_text else None
            ct = _t(en, "capture_time")
            entries.append(DkeEntry(parse_int(raw, f"{g}/value"), raw,
                                    xmlsafe.local(typed.tag) if typed is not None else "",
                                    parse_scaler(sc, f"{g}/scaler"), parse_unit(un, f"{g}/unit"), st,
                                    parse_datetime(ct, f"{g}/capture_time") if ct else None,
                                    hex_bytes(_t(en, "signature"), f"{g}/signature")))
        name, class_id = names[cid]
        columns.append(DkeColumn(name, class_id, tuple(entries)))
    return DkeProfile("dke", _t(attrs, "logical_name") or root.get("id"), tuple(columns), offset, length)


# ---- entry points -----------------------------------------------------------------------------

def sniff(data: bytes) -> int:
    head = data[:4096]
    if _XML_START.match(head):
        if TRUDI_NS.encode() in head or DKE_NS.encode() in head:
            return 95
        if b"<UsagePoints" in head:
            return 80
        return 0
    if cms.looks_like_cms(data) and (b"<?xml" in data or b"k461-dke-de" in data or b"AR_2418-6" in data):
        return 90
    return 0


def parse(data: bytes) -> TrudiDocument | DkeProfile:
    """TRuDI or DKE XML (or a CMS container of it) -> typed document; DecodeError otherwise."""
    data = bytes(data)
    offset = 0
    if not _XML_START.match(data[:64]) and cms.looks_like_cms(data):
        content, offset = cms.signed_content(data)
        xml = content
    else:
        xml = data
    if not _XML_START.match(xml[:64]):
        raise FramingError("trudi", offset, "expected an XML document (or a CMS SignedData holding one)")
    lead = len(xml) - len(xml.lstrip(b" \t\r\n"))
    if lead:  # white space before "<?xml" is not well-formed XML, but harmless: skip it
        xml, offset = xml[lead:], offset + lead
    root = xmlsafe.parse(xml, offset)
    ns, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if name == "UsagePoints" and ns in (TRUDI_NS, ""):
        return _trudi(root, offset, len(xml))
    if name == "object" and ns == DKE_NS:
        return _dke(root, offset, len(xml))
    raise UnsupportedError("trudi", offset, f"root element {root.tag!r}: expected TRuDI <UsagePoints> "
                           f"({TRUDI_NS}) or a DKE profile <object> ({DKE_NS})", {"root": root.tag})


def samples(doc: TrudiDocument | DkeProfile) -> list[Sample]:
    """Vendor-neutral values, one per interval reading / profile entry."""
    out: list[Sample] = []
    if isinstance(doc, DkeProfile):
        for col in doc.columns:
            for en in col.entries:
                extra: dict[str, Any] = {"dke_status": en.status, "value_type": en.value_type or None}
                reason = None
                if en.status not in (None, 0):
                    reason = {3: "not present", 4: "invalid"}.get(en.status, f"status {en.status}")
                out.append(Sample(col.name, en.value, en.value_text, en.scaler, en.unit, scaled(en.value, en.scaler),
                                  en.capture_time, None, en.signature, col.name.owner, extra, None, reason))
        return out
    for up in doc.usage_points:
        for mr in up.meter_readings:
            exp = mr.scaler + mr.power_of_ten
            for v in mr.values:
                extra = {"espi_uom": mr.uom, "power_of_ten": mr.power_of_ten or None,
                         "usage_point_id": up.usage_point_id, "meter_reading_id": mr.meter_reading_id,
                         "status_ptb": v.status_ptb, "duration": v.duration}
                out.append(Sample(mr.obis, v.value, v.value_text, exp, None, scaled(v.value, exp), v.start,
                                  v.status, v.signature, mr.meter_id, extra, ESPI_UOM[mr.uom] or "", None))
    return out


def encode(reading: Reading) -> bytes:
    """A TRuDI ``UsagePoints`` document with one MeterReading per register (one value each at
    ``reading.timestamp``), or per Reading field for a hand-built Reading."""
    from .mapping import reading_samples  # local: mapping imports nothing from here
    if reading.timestamp is None:
        raise ValueError("a TRuDI IntervalReading needs a time: Reading.timestamp is None")
    when = format_time(reading.timestamp)
    up_id = next((r.extra.get("usage_point_id") for r in reading.registers if r.extra.get("usage_point_id")), None)
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<UsagePoints xmlns="{TRUDI_NS}" xmlns:espi="{ESPI_NS}">',
             "<UsagePoint>"]
    if up_id:
        parts.append(f"<usagePointId>{escape(up_id)}</usagePointId>")
    for name, raw, scaler, unit_code, reg in reading_samples(reading):
        if name is None:
            raise ValueError("a TRuDI MeterReading needs an OBIS code; this register has none")
        x = reg.extra if reg is not None else {}
        uom = x.get("espi_uom")
        if uom is None:
            symbol = UNITS.get(unit_code) if unit_code is not None else None
            uom = _UOM_OF_SYMBOL.get(symbol) if symbol else (0 if unit_code == 255 else None)
        if uom is None or scaler is None:
            raise ValueError(f"{name}: no ESPI unit of measure for this register")
        pot = x.get("power_of_ten") or 0
        meter = x.get("meter_id") or reading.meter_id
        obis_hex = name.split(".")[0]
        parts.append("<MeterReading>")
        if meter:
            parts.append(f"<Meter><meterId>{escape(meter)}</meterId></Meter>")
        if x.get("meter_reading_id"):
            parts.append(f"<meterReadingId>{escape(x['meter_reading_id'])}</meterReadingId>")
        parts.append(f"<ReadingType><espi:powerOfTenMultiplier>{pot}</espi:powerOfTenMultiplier>"
                     f"<espi:uom>{uom}</espi:uom><scaler>{scaler - pot}</scaler><obisCode>{obis_hex}</obisCode>")
        if name != obis_hex:
            parts.append(f"<qualifiedLogicalName>{escape(name)}</qualifiedLogicalName>")
        parts.append("</ReadingType><IntervalBlock><IntervalReading>"
                     f"<espi:value>{raw}</espi:value><timePeriod>")
        if x.get("duration") is not None:
            parts.append(f"<duration>{x['duration']}</duration>")
        parts.append(f"<start>{when}</start></timePeriod>")
        if x.get("status"):
            parts.append(f"<statusFNN>{escape(x['status'])}</statusFNN>")
        if x.get("status_ptb") is not None:
            parts.append(f"<statusPTB>{x['status_ptb']}</statusPTB>")
        sig = x.get("signature")
        if isinstance(sig, bytes):
            parts.append(f"<signature>{sig.hex()}</signature>")
        parts.append("</IntervalReading></IntervalBlock></MeterReading>")
    parts.append("</UsagePoint></UsagePoints>\n")
    return "".join(parts).encode("utf-8")
