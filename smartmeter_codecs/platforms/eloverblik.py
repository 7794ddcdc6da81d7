"""Eloverblik / DataHub (Denmark) API bodies: time series, meter readings, metering-point
details, error bodies; and the ``timeseries/export`` CSV (format ``eloverblik-csv``).

Facts (docs/formats/platforms.md; Energinet OpenAPI files, real responses):

* time series: ``result[].MyEnergyData_MarketDocument.TimeSeries[].Period[]`` with
  ``resolution`` (``PT15M``, ``PT1H``, ``PT1D``/``P1D``, ``P1M``, ``PT1Y``/``P1Y``), a UTC
  ``timeInterval`` and ``Point`` s with a 1-based ``position``: point n covers
  ``[start + (n-1)*resolution, start + n*resolution)`` (days, months and years stepped in Danish
  local time); quantities are strings in KWH. ``businessType`` A04/A64 consumption -> import,
  A01 production -> export. ``out_Quantity.quality`` A04 measured, A03 estimated,
  A01 calculated ("adjusted"), A02 missing (no quantity), A05 incomplete.
* ``success: false`` with ``errorCode`` != 10000 is a per-metering-point failure inside HTTP
  200; HTTP error bodies are JSON strings ``"#30002: ..."`` or ``{"StatusCode":..,"Message":..}``:
  all raise :class:`PlatformError` carrying the code and text.
* CSV: ``Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;Kvalitet;Type``, ``dd-MM-yyyy HH:mm:ss``
  Danish local start/end, decimal comma; rows are not guaranteed to be sorted.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import FramingError
from ..model import Reading, Register
from ._common import CsvTable, PlatformError, field_error, header_cells, json_doc, json_number, load_json
from ._labels import LabelError, map_start_end
from ._series import Part, assemble
from ._time import UTC, local, parse_iso, zone

__all__ = [
    "CSV_FORMAT",
    "ERROR_CODES",
    "FORMAT",
    "LAYER",
    "QUALITY",
    "MeteringPointDetails",
    "decode",
    "decode_csv",
    "details",
    "encode_csv",
    "encode_timeseries",
    "parse_error",
    "sniff",
    "sniff_csv",
]

FORMAT = "eloverblik"
CSV_FORMAT = "eloverblik-csv"
LAYER = "eloverblik"
ZONE = "Europe/Copenhagen"
QUALITY = {"A01": "calculated", "A02": "missing", "A03": "estimated", "A04": "measured", "A05": "incomplete"}
_QUALITY_CSV = {"målt": "measured", "estimeret": "estimated", "beregnet": "calculated", "manglende": "missing"}
_DIRECTION = {"A04": "import", "A64": "import", "A01": "export"}
#: error codes of the Eloverblik API (customer and third-party OpenAPI descriptions)
ERROR_CODES = {
    10000: "NoError", 10001: "WrongNumberOfArguments", 10007: "NoCprConsent",
    20000: "WrongMeteringPointIdOrWebAccessCode", 20001: "MeteringPointBlocked",
    20002: "MeteringPointRelationAlreadyExist", 20003: "MeteringPointIdNot18CharsLong",
    20005: "MeteringPointAliasTooLong", 20006: "WebAccessCodeNot8CharsLong", 20007: "WebAccessCodeContainsIllegalChars",
    20008: "MeteringPointNotFound", 20009: "MeteringPointIsChild", 20010: "RelationNotFound", 20011: "UnknownError",
    20012: "Unauthorized", 20013: "NoValidMeteringPointsInList",
    30000: "FromDateIsGreaterThanToday", 30001: "FromDateIsGreaterThanToDate", 30002: "ToDateCanNotBeEqualToFromDate",
    30003: "ToDateIsGreaterThanToday", 30004: "InvalidDateFormat", 30008: "RequestedAggregationUnavailable",
    30011: "InternalServerError", 60000: "ThirdPartyNotFound",
}
_FIXED = {"PT15M": dt.timedelta(minutes=15), "PT1H": dt.timedelta(hours=1)}
_CALENDAR = {"PT1D": "day", "P1D": "day", "P1M": "month", "PT1Y": "year", "P1Y": "year"}
_ERROR_TEXT = re.compile(r"#([0-9]{4,6}):\s*(.*)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class MeteringPointDetails:
    """A ``getdetails`` result (the fields a charging app uses; every field in ``raw``)."""

    metering_point_id: str
    type_of_mp: str
    settlement_method: str
    meter_reading_occurrence: str
    meter_number: str
    grid_operator: str
    balance_supplier: str
    power_limit_kw: Decimal | None
    power_limit_a: Decimal | None
    raw: Mapping[str, Any]


def parse_error(doc: Any, http_status: int | None = None) -> PlatformError | None:
    """The PlatformError an error body stands for (``"#20013: ..."``, ProblemDetails,
    ``{"StatusCode":500,"Message":...}``), or None when the body is not an error."""
    if isinstance(doc, str):
        m = _ERROR_TEXT.match(doc.strip())
        code = int(m[1]) if m else None
        text = m[2] if m else doc
        name = ERROR_CODES.get(code or -1, "")
        return PlatformError(LAYER, None, f"Eloverblik error {code or ''}{f' {name}' if name else ''}: {text}".replace(
            "error : ", "error: "), code, platform="eloverblik", text=text, http_status=http_status)
    if isinstance(doc, dict) and "result" not in doc:
        if "StatusCode" in doc and "Message" in doc:
            code = doc["StatusCode"] if isinstance(doc["StatusCode"], int) else None
            return PlatformError(LAYER, None, f"Eloverblik HTTP {code}: {doc['Message']}", code, platform="eloverblik",
                                 text=str(doc["Message"]), http_status=code)
        if "status" in doc and "title" in doc:     # RFC 7807 ProblemDetails
            code = doc["status"] if isinstance(doc["status"], int) else None
            text = str(doc.get("detail") or doc["title"])
            return PlatformError(LAYER, None, f"Eloverblik HTTP {code}: {text}", code, platform="eloverblik",
                                 text=text, http_status=code)
    return None


def _kind(doc: Any) -> str | None:
    if isinstance(doc, str):
        return "error" if _ERROR_TEXT.match(doc.strip()) else None
    if not isinstance(doc, dict):
        return None
    if parse_error(doc) is not None:
        return "error"
    res = doc.get("result")
    if isinstance(res, str) and len(doc) == 1:
        return "token"
    if not isinstance(res, list) or not res or not isinstance(res[0], dict):
        return None
    first = res[0]
    if "MyEnergyData_MarketDocument" in first:
        return "timeseries"
    inner = first.get("result")
    if isinstance(inner, dict):
        if "readings" in inner:
            return "meterreadings"
        if "typeOfMP" in inner or "meteringPointId" in inner:
            return "details"
    if "success" in first and "errorCode" in first:
        return "failed"
    return None


def sniff(data: bytes) -> int:
    doc = json_doc(data)
    if doc is None:
        return 0
    kind = _kind(doc)
    if kind is None:
        return 0
    return 60 if kind == "error" else 95


def _elements(doc: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], list[PlatformError]]:
    ok, failed = [], []
    for i, el in enumerate(doc["result"]):
        path = f"result[{i}]"
        if not isinstance(el, dict):
            raise field_error(LAYER, path, "expected an object")
        success = el.get("success", True)
        code = el.get("errorCode", 10000)
        if isinstance(code, str) and code.isascii() and code.isdigit():
            code = int(code)
        if success is False or (isinstance(code, int) and code != 10000):
            text = str(el.get("errorText") or "")
            name = ERROR_CODES.get(code if isinstance(code, int) else -1, "")
            failed.append(PlatformError(LAYER, None, f"{path} (metering point {el.get('id')}): Eloverblik error "
                                                     f"{code}{f' {name}' if name else ''}: {text}",
                                        code if isinstance(code, int) else None, platform="eloverblik", text=text))
        else:
            ok.append((path, el))
    return ok, failed


def _step(start_local: dt.datetime, unit: str, n: int) -> dt.datetime:
    if unit == "day":
        return start_local + dt.timedelta(days=n)
    months = start_local.month - 1 + (n if unit == "month" else 12 * n)
    return start_local.replace(year=start_local.year + months // 12, month=months % 12 + 1)


def _timeseries(ok: list[tuple[str, dict[str, Any]]]) -> list[Part]:
    tz = zone(ZONE)
    parts = []
    for path, el in ok:
        docu = el.get("MyEnergyData_MarketDocument")
        if not isinstance(docu, dict):
            raise field_error(LAYER, f"{path}.MyEnergyData_MarketDocument", "expected an object")
        series = docu.get("TimeSeries") or []
        if not isinstance(series, list):
            raise field_error(LAYER, f"{path}.TimeSeries", "expected a list")
        for si, ts in enumerate(series):
            spath = f"{path}.TimeSeries[{si}]"
            if not isinstance(ts, dict):
                raise field_error(LAYER, spath, "expected an object")
            mp = ts.get("mRID")
            if not isinstance(mp, str):
                raise field_error(LAYER, f"{spath}.mRID", f"expected the metering point id, got {mp!r}")
            btype = ts.get("businessType")
            direction = _DIRECTION.get(btype) if isinstance(btype, str) else None
            unit = ts.get("measurement_Unit.name", "KWH")
            if not isinstance(unit, str) or unit.upper() not in ("KWH", "MWH"):
                raise field_error(LAYER, f"{spath}.measurement_Unit.name", f"expected KWH, got {unit!r}")
            scale = Decimal(1000) if unit.upper() == "KWH" else Decimal(1_000_000)
            periods = ts.get("Period") or []
            if not isinstance(periods, list):
                raise field_error(LAYER, f"{spath}.Period", "expected a list")
            for pi, per in enumerate(periods):
                ppath = f"{spath}.Period[{pi}]"
                parts.extend(_period(per, ppath, mp, direction, btype, unit, scale, tz))
    return parts


def _period(per: Any, ppath: str, mp: str, direction: Any, btype: Any, unit: str, scale: Decimal, tz: Any) -> list[Part]:
    if not isinstance(per, dict):
        raise field_error(LAYER, ppath, "expected an object")
    res = per.get("resolution")
    ti = per.get("timeInterval")
    if not isinstance(ti, dict):
        raise field_error(LAYER, f"{ppath}.timeInterval", "expected {start, end}")
    try:
        p_start, p_end = parse_iso(str(ti.get("start"))), parse_iso(str(ti.get("end")))
    except ValueError as err:
        raise field_error(LAYER, f"{ppath}.timeInterval", str(err)) from None
    if p_end <= p_start:
        raise field_error(LAYER, f"{ppath}.timeInterval", "end is not after start")
    points = per.get("Point") or []
    if not isinstance(points, list):
        raise field_error(LAYER, f"{ppath}.Point", "expected a list")
    out = []
    for qi, pt in enumerate(points):
        qpath = f"{ppath}.Point[{qi}]"
        if not isinstance(pt, dict):
            raise field_error(LAYER, qpath, "expected an object")
        pos = pt.get("position")
        try:
            n = int(pos) if isinstance(pos, (str, int)) and not isinstance(pos, bool) else 0
        except ValueError:
            n = 0
        if n < 1 or n > 100_000:
            raise field_error(LAYER, f"{qpath}.position", f"expected a position 1.., got {pos!r}")
        if res in _FIXED:
            start = p_start + (n - 1) * _FIXED[res]
            end = start + _FIXED[res]
        elif res in _CALENDAR:
            if len(points) == 1 and n == 1:
                start, end = p_start, p_end       # a single point: the stated (maybe partial) interval
            else:
                base = p_start.astimezone(tz).replace(tzinfo=None)
                start = _wall(_step(base, _CALENDAR[res], n - 1), tz)
                end = _wall(_step(base, _CALENDAR[res], n), tz)
        else:
            raise field_error(LAYER, f"{ppath}.resolution", f"unknown resolution {res!r} (expected PT15M, PT1H, "
                                                            "PT1D/P1D, P1M, PT1Y/P1Y)")
        if end > p_end:
            raise field_error(LAYER, f"{qpath}.position", f"position {n} ends after the period "
                                                          f"({end.isoformat()} > {p_end.isoformat()})")
        q = pt.get("out_Quantity.quality")
        quality = QUALITY.get(q, "unknown") if isinstance(q, str) else "unknown"
        raw_q = pt.get("out_Quantity.quantity")
        try:
            value = json_number(raw_q) if raw_q not in (None, "") else None
        except ValueError as err:
            raise field_error(LAYER, f"{qpath}.out_Quantity.quantity", str(err)) from None
        if value is None:
            quality = "missing"
        regs = (Register("out_Quantity.quantity", value, unit.replace("KWH", "kWh"), None,
                         f"Quantity of position {n} ({btype})",
                         {"position": n, "quality": q, "resolution": res, "businessType": btype}),)
        out.append(Part(mp, start, end, direction, None if value is None else value * scale, quality, regs,
                        qpath, str(btype)))
    return out


def _wall(naive: dt.datetime, tz: Any) -> dt.datetime:
    return naive.replace(tzinfo=tz).astimezone(UTC)


def _meterreadings(ok: list[tuple[str, dict[str, Any]]]) -> list[Reading]:
    tz = zone(ZONE)
    out = []
    for path, el in ok:
        inner = el.get("result")
        if not isinstance(inner, dict):
            raise field_error(LAYER, f"{path}.result", "expected the meter readings object")
        mp = inner.get("meteringPointId")
        readings = inner.get("readings") or []
        if not isinstance(readings, list):
            raise field_error(LAYER, f"{path}.result.readings", "expected a list")
        for i, r in enumerate(readings):
            rpath = f"{path}.result.readings[{i}]"
            if not isinstance(r, dict):
                raise field_error(LAYER, rpath, "expected an object")
            try:
                when = parse_iso(str(r.get("readingDate")))
                value = json_number(r.get("meterReading"))
            except ValueError as err:
                raise field_error(LAYER, rpath, str(err)) from None
            unit = str(r.get("measurementUnit", "KWH"))
            if unit.upper() != "KWH":
                raise field_error(LAYER, f"{rpath}.measurementUnit", f"expected KWH, got {unit!r}")
            regs = tuple(Register(k, v if k != "meterReading" else value, "kWh" if k == "meterReading" else None, None,
                                  f"getmeterreadings {k}") for k, v in r.items())
            out.append(Reading(format=FORMAT, profile="meter-readings", timestamp=local(when, tz),
                               meter_id=str(mp) if mp is not None else None,
                               active_energy_import=None if value is None else float(value * 1000),
                               quality="missing" if value is None else "measured", registers=regs))
    return out


def details(data: bytes) -> list[MeteringPointDetails]:
    """The metering points of a ``getdetails`` body (failed elements raise PlatformError)."""
    doc = load_json(bytes(data), LAYER)
    err = parse_error(doc)
    if err is not None:
        raise err
    if _kind(doc) not in ("details", "failed"):
        raise FramingError(LAYER, None, "not an Eloverblik getdetails body")
    ok, failed = _elements(doc)
    if failed:
        raise failed[0]
    return _details(ok)


def _details(ok: list[tuple[str, dict[str, Any]]]) -> list[MeteringPointDetails]:
    out = []
    for path, el in ok:
        d = el.get("result") if isinstance(el, dict) else None
        if not isinstance(d, dict):
            raise field_error(LAYER, f"{path}.result", "expected the metering point's details object")

        def num(key: str, d: dict[str, Any] = d, path: str = path) -> Decimal | None:
            try:
                return json_number(d.get(key)) if d.get(key) not in (None, "") else None
            except ValueError as e:
                raise field_error(LAYER, f"{path}.result.{key}", str(e)) from None

        out.append(MeteringPointDetails(str(d.get("meteringPointId", "")), str(d.get("typeOfMP", "")),
                                        str(d.get("settlementMethod", "")), str(d.get("meterReadingOccurrence", "")),
                                        str(d.get("meterNumber", "")), str(d.get("gridOperatorName", "")),
                                        str(d.get("balanceSupplierName", "")), num("powerLimitKW"), num("powerLimitA"),
                                        dict(d)))
    return out


def _details_reading(d: MeteringPointDetails) -> Reading:
    regs = tuple(Register(k, v if isinstance(v, (str, int)) or v is None else json.dumps(v, ensure_ascii=False), None,
                          None, f"getdetails {k}") for k, v in d.raw.items())
    return Reading(format=FORMAT, profile="details", meter_id=d.metering_point_id,
                   contracted_power=float(d.power_limit_kw * 1000) if d.power_limit_kw is not None else None,
                   registers=regs)


def decode(data: bytes, *, profile: str | None = None) -> list[Reading]:
    """Readings of an Eloverblik JSON body: one per interval (time series, gaps filled with
    "missing"), per register reading (``getmeterreadings``), per metering point (``getdetails``)."""
    doc = load_json(bytes(data), LAYER)
    err = parse_error(doc)
    if err is not None:
        raise err
    kind = _kind(doc)
    if kind is None or kind == "token":
        raise FramingError(LAYER, None, "not an Eloverblik time series, meter readings or details body")
    ok, failed = _elements(doc)
    tz = zone(ZONE)
    if kind == "timeseries" or (kind == "failed" and not ok):
        out = assemble(_timeseries(ok), format=FORMAT, profile="timeseries", tz=tz, layer=LAYER)
    elif kind == "meterreadings":
        out = _meterreadings(ok)
    else:
        # the parsed elements directly: re-serialising them failed on the Decimal numbers the
        # parser keeps exact (TypeError found by fuzzing)
        out = [_details_reading(d) for d in _details(ok)]
    if failed:
        e = failed[0]
        e.readings = out
        raise e
    return out


def encode_timeseries(readings: list[Reading], *, resolution: str = "PT1H") -> bytes:
    """A gettimeseries body (one Period per Danish local day) for a series of Readings of one
    metering point; missing values get quality A02 and no quantity."""
    tz = zone(ZONE)
    step = _FIXED[resolution]
    by_day: dict[dt.date, list[Reading]] = {}
    for r in readings:
        if r.timestamp is None:
            raise ValueError("a time-series point needs a timestamp")
        start = (r.timestamp - step).astimezone(tz)
        by_day.setdefault(start.date(), []).append(r)
    periods: list[dict[str, Any]] = []
    for day, rs in sorted(by_day.items()):
        d0 = dt.datetime.combine(day, dt.time()).replace(tzinfo=tz).astimezone(UTC)
        d1 = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).replace(tzinfo=tz).astimezone(UTC)
        points = []
        for r in rs:
            assert r.timestamp is not None
            pos = int(((r.timestamp - step).astimezone(UTC) - d0) / step) + 1
            pt: dict[str, Any] = {"position": str(pos)}
            if r.active_energy_import_delta is not None and r.quality != "missing":
                pt["out_Quantity.quantity"] = _kwh_str(r.active_energy_import_delta)
            inv = {v: k for k, v in QUALITY.items()}
            pt["out_Quantity.quality"] = inv.get(r.quality or "", "A04") if "out_Quantity.quantity" in pt else "A02"
            points.append(pt)
        periods.append({"resolution": resolution, "timeInterval": {"start": _z(d0), "end": _z(d1)}, "Point": points})
    mp = readings[0].meter_id if readings else ""
    first = periods[0]["timeInterval"]["start"] if periods else None
    last = periods[-1]["timeInterval"]["end"] if periods else None
    body = {"result": [{"MyEnergyData_MarketDocument": {
        "mRID": "simulated", "createdDateTime": first, "sender_MarketParticipant.name": "",
        "sender_MarketParticipant.mRID": {"codingScheme": None, "name": None},
        "period.timeInterval": {"start": first, "end": last},
        "TimeSeries": [{"mRID": mp, "businessType": "A04", "curveType": "A01", "measurement_Unit.name": "KWH",
                        "MarketEvaluationPoint": {"mRID": {"codingScheme": "A10", "name": mp}}, "Period": periods}]},
        "success": True, "errorCode": 10000, "errorText": "NoError", "id": mp, "stackTrace": None}]}
    return json.dumps(body).encode("utf-8")


def _z(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kwh_str(wh: float) -> str:
    return format((Decimal(repr(wh)) / 1000).normalize(), "f")


# ---- CSV export ---------------------------------------------------------------------------------

_CSV_TIME = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4}) ([0-9]{2})[:.]([0-9]{2})(?:[:.]([0-9]{2}))?\Z")
_CSV_TIME_OLD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2})[:.]([0-9]{2})\Z")


def sniff_csv(data: bytes) -> int:
    cells = header_cells(data)
    return 95 if cells[:3] == ["malepunkt id", "fra dato", "til dato"] else 0


def _csv_time(t: CsvTable, row: Any, col: int) -> dt.datetime:
    text = t.cell(row, col)
    m = _CSV_TIME.match(text)
    try:
        if m:
            return dt.datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4]), int(m[5]), int(m[6] or 0))
        m = _CSV_TIME_OLD.match(text)
        if m:
            return dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]))
    except ValueError as err:
        raise t.error(row, col, f"{text!r}: {err}") from None
    raise t.error(row, col, f"expected dd-MM-yyyy HH:mm:ss, got {text!r}")


def decode_csv(data: bytes, *, profile: str | None = None) -> list[Reading]:
    """Readings of a ``timeseries/export`` CSV (Danish local start/end; sorted per metering point)."""
    tz = zone(ZONE)
    t = CsvTable(data, CSV_FORMAT)
    cols = [t.index("målepunkt id"), t.index("fra dato"), t.index("til dato"), t.index("mængde"),
            t.index("måleenhed"), t.index("kvalitet")]
    if any(c is None for c in cols[:4]):
        raise FramingError(CSV_FORMAT, 0, "not an Eloverblik CSV: expected Målepunkt id;Fra dato;Til dato;Mængde")
    c_mp, c_from, c_to, c_qty, c_unit, c_q = cols
    pairs = []
    for row in t.rows:
        pairs.append((t.cell(row, c_mp), _csv_time(t, row, c_from), _csv_time(t, row, c_to)))  # type: ignore[arg-type]
    lengths: dict[str, dict[dt.timedelta, int]] = {}
    for mp, a, b in pairs:
        if b > a:
            d = lengths.setdefault(mp, {})
            d[b - a] = d.get(b - a, 0) + 1
    try:
        mapped = map_start_end(pairs, tz, lambda s: max(lengths[s], key=lengths[s].__getitem__) if lengths.get(s) else None)
    except LabelError as err:
        raise t.error(t.rows[err.index], c_from, err.message) from None
    parts = []
    for row, (mp, _, _), m in zip(t.rows, pairs, mapped):
        value = t.decimal(row, c_qty)  # type: ignore[arg-type]
        unit = t.cell(row, c_unit) if c_unit is not None else "KWH"
        if unit.upper() != "KWH":
            raise t.error(row, c_unit, f"expected KWH, got {unit!r}")
        qtext = t.cell(row, c_q).lower() if c_q is not None else ""
        quality = "missing" if value is None else _QUALITY_CSV.get(qtext, "unknown")
        regs = tuple(Register(t.header[i], t.cell(row, i), None, None, f"{t.header[i]} as written", {"line": row.line})
                     for i in range(len(t.header)) if i != c_mp and i < len(row.cells))
        parts.append(Part(mp, m.start, m.end, "import", None if value is None else value * 1000, quality, regs,
                          f"line {row.line}", "Mængde"))
    return assemble(parts, format=CSV_FORMAT, profile=None, tz=tz, layer=CSV_FORMAT)


def encode_csv(readings: list[Reading]) -> bytes:
    """An Eloverblik CSV export of a series (Danish local start/end, decimal comma)."""
    tz = zone(ZONE)
    lines = ["Målepunkt id;Fra dato;Til dato;Mængde;Måleenhed;Kvalitet;Type"]
    words = {"measured": "Målt", "estimated": "Estimeret", "calculated": "Beregnet"}
    for r in readings:
        if r.timestamp is None or r.interval is None:
            raise ValueError("a CSV row needs timestamp and interval")
        a = (r.timestamp - r.interval).astimezone(tz)
        b = r.timestamp.astimezone(tz)
        qty = "" if r.active_energy_import_delta is None else _kwh_str(r.active_energy_import_delta).replace(".", ",")
        lines.append(f"{r.meter_id or ''};{a:%d-%m-%Y %H:%M:%S};{b:%d-%m-%Y %H:%M:%S};{qty};KWH;"
                     f"{words.get(r.quality or '', '')};Tidsserie")
    return ("\n".join(lines) + "\n").encode("utf-8")
