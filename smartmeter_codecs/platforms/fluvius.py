"""Fluvius (Belgium): "Mijn Fluvius" consumption-history CSV and the ESCO API v3 body.

* ``fluvius-csv`` (docs/formats/platforms.md, real samples in two languages): ``Van datum;Van
  tijdstip;Tot datum;Tot tijdstip;EAN;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus``
  (English ``From (date);From (time);Until (date);Until (time);EAN code;...;Validation status;
  Description``); UTF-8 BOM, decimal comma, EAN as ``="541448..."``; dates ``dd-mm-yyyy`` (NL)
  or ``dd/mm/yyyy`` (EN); local wall clock without offset (Europe/Brussels). One row per
  register: ``Afname``/``Offtake`` (Dag/Nacht, Day/Night) -> import, ``Injectie``/``Injection``
  -> export; the registers of one interval form one Reading, the day/night split stays in the
  registers. On the autumn day the 02:00-03:00 quarter hours come twice (in order: summer time
  first) and one row reads ``02:45 -> 02:00`` (the until time already in winter time).
  ``Gevalideerd``/``Read``/``Validated`` -> measured, ``Geschat``/``Estimated`` -> estimated,
  ``Geen verbruik``/``No consumption`` with an empty Volume -> 0 Wh with quality
  "no consumption". A gas export (``Calorische Bovenwaarde`` column; kWh and m³ rows per hour)
  gives Readings with the gas quantities as registers only: its kWh are gas energy.
* ``fluvius-api`` (ESCO API v3 ``GET /v3/api/Mandate/energy``, research 5.2): time slices
  ``dailyEnergy|hourlyEnergy|quarterHourlyEnergy`` ``[{start, end (UTC), measurements: [{offtake|
  injection|production|auxiliary: {total|day|night|reactive|...: {value, unit, validationState}}}]}]``
  under ``data.headpoint`` or its ``physicalMeters[]``; ``READ``/``VAL`` -> measured, ``EST`` ->
  estimated, ``NVAL`` -> not validated. Offtake kWh -> import, injection kWh -> export;
  production, auxiliary, reactive, kW and m3 values stay registers.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from ..errors import FramingError
from ..model import Reading, Register
from ._common import CsvTable, field_error, header_cells, json_doc, json_number, load_json
from ._labels import LabelError, map_start_end
from ._series import Part, assemble
from ._time import UTC, parse_iso, zone

__all__ = [
    "API_FORMAT",
    "CSV_FORMAT",
    "decode_api",
    "decode_csv",
    "encode_api",
    "encode_csv",
    "sniff_api",
    "sniff_csv",
]

CSV_FORMAT = "fluvius-csv"
API_FORMAT = "fluvius-api"
ZONE = "Europe/Brussels"
_QUALITY = {"gevalideerd": "measured", "read": "measured", "validated": "measured", "gemeten": "measured",
            "geschat": "estimated", "estimated": "estimated", "geen verbruik": "no consumption",
            "no consumption": "no consumption"}
_API_QUALITY = {"READ": "measured", "VAL": "measured", "EST": "estimated", "NVAL": "not validated"}
_DATE = re.compile(r"([0-9]{2})[-/]([0-9]{2})[-/]([0-9]{4})\Z")
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?\Z")


def _direction(register: str) -> str | None:
    low = register.lower()
    if low.startswith(("afname", "offtake")):
        return "import"
    if low.startswith(("injectie", "injection")):
        return "export"
    return None


def sniff_csv(data: bytes) -> int:
    cells = header_cells(data)
    return 95 if cells[:2] in (["van datum", "van tijdstip"], ["from (date)", "from (time)"]) else 0


def _when(t: CsvTable, row: Any, cd: int, ct: int) -> dt.datetime:
    d, tm = t.cell(row, cd), t.cell(row, ct)
    md, mt = _DATE.match(d), _TIME.match(tm)
    if not md:
        raise t.error(row, cd, f"expected a date dd-mm-yyyy or dd/mm/yyyy, got {d!r}")
    if not mt:
        raise t.error(row, ct, f"expected a time HH:MM:SS, got {tm!r}")
    try:
        return dt.datetime(int(md[3]), int(md[2]), int(md[1]), int(mt[1]), int(mt[2]), int(mt[3] or 0))
    except ValueError as err:
        raise t.error(row, ct, f"{d} {tm}: {err}") from None


def decode_csv(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    t = CsvTable(data, CSV_FORMAT)
    idx = {k: t.index(*names) for k, names in {
        "fd": ("van datum", "from (date)"), "ft": ("van tijdstip", "from (time)"),
        "td": ("tot datum", "until (date)"), "tt": ("tot tijdstip", "until (time)"),
        "ean": ("ean", "ean code", "ean-code"), "reg": ("register",), "vol": ("volume",), "unit": ("eenheid", "unit"),
        "q": ("validatiestatus", "validation status")}.items()}
    # a gas export (hourly kWh and m³ rows, "Calorische Bovenwaarde"): its kWh are gas energy,
    # never the electricity fields of the Reading - they stay registers
    gas = t.index("calorische bovenwaarde", "caloric upper value", "calorific value") is not None
    missing = [k for k in ("fd", "ft", "td", "tt", "ean", "vol") if idx[k] is None]
    if missing:
        raise FramingError(CSV_FORMAT, 0, f"not a Fluvius export: header lacks {missing}")
    rows, pairs = [], []
    for row in t.rows:
        unit = t.cell(row, idx["unit"]) if idx["unit"] is not None else "kWh"
        reg = t.cell(row, idx["reg"]) if idx["reg"] is not None else ""
        series = f"{t.cell(row, idx['ean'])}|{reg}|{unit}"  # type: ignore[arg-type]
        pairs.append((series, _when(t, row, idx["fd"], idx["ft"]), _when(t, row, idx["td"], idx["tt"])))  # type: ignore[arg-type]
        rows.append((row, unit, reg))
    nominal: dict[str, dict[dt.timedelta, int]] = {}
    for s, a, b in pairs:
        if b > a:
            nominal.setdefault(s, {}).setdefault(b - a, 0)
            nominal[s][b - a] += 1
    try:
        mapped = map_start_end(pairs, tz, lambda s: max(nominal[s], key=nominal[s].__getitem__) if nominal.get(s) else None)
    except LabelError as err:
        raise t.error(t.rows[err.index], idx["ft"], err.message) from None
    parts = []
    for (row, unit, reg), (series, _, _), m in zip(rows, pairs, mapped):
        value = t.decimal(row, idx["vol"])  # type: ignore[arg-type]
        qtext = t.cell(row, idx["q"]).lower() if idx["q"] is not None else ""
        quality = _QUALITY.get(qtext, "unknown")
        direction = _direction(reg) if unit.lower() in ("kwh", "wh") and not gas else None
        if value is None:
            if quality == "no consumption":
                value = Decimal(0)
            else:
                quality = "missing"
        wh = None if value is None else (value * 1000 if unit.lower() == "kwh" else value)
        regs = (Register(reg or "Volume", value, unit.replace("m³", "m3"), None,
                         f"{reg} ({unit}{', gas' if gas else ''})",
                         {"line": row.line, "status": t.cell(row, idx["q"]) if idx["q"] is not None else None,
                          **{t.header[i]: t.cell(row, i) for i in range(len(t.header))
                             if i < len(row.cells) and i not in (idx["vol"], idx["reg"])}}),)
        parts.append(Part(t.cell(row, idx["ean"]), m.start, m.end, direction, wh, quality, regs,  # type: ignore[arg-type]
                          f"line {row.line}", series))
    return assemble(parts, format=CSV_FORMAT, profile=None, tz=tz, layer=CSV_FORMAT)


def encode_csv(readings: list[Reading], *, language: str = "nl") -> bytes:
    """A Mijn Fluvius quarter-hour export (one Afname Dag and one Injectie Dag row per interval;
    the autumn DST quarter hours twice, in order, as the portal writes them)."""
    tz = zone(ZONE)
    if language == "nl":
        head = "Van datum;Van tijdstip;Tot datum;Tot tijdstip;EAN;Meter;Metertype;Register;Volume;Eenheid;Validatiestatus"
        fmt, regs_names, words = "%d-%m-%Y", ("Afname Dag", "Injectie Dag"), {"measured": "Gevalideerd",
                                                                            "estimated": "Geschat"}
    else:
        head = ("From (date);From (time);Until (date);Until (time);EAN code;Meter;Meter type;Register;Volume;Unit;"
                "Validation status;Description")
        fmt, regs_names, words = "%d/%m/%Y", ("Offtake Day", "Injection Day"), {"measured": "Read",
                                                                              "estimated": "Estimated"}
    lines = [head]
    for r in readings:
        if r.timestamp is None or r.interval is None:
            raise ValueError("a Fluvius row needs timestamp and interval")
        a = (r.timestamp - r.interval).astimezone(tz)
        b = r.timestamp.astimezone(tz)
        for value, name in zip((r.active_energy_import_delta, r.active_energy_export_delta), regs_names):
            if value is None and name == regs_names[1]:
                continue
            vol = "" if value is None else format((Decimal(repr(value)) / 1000).quantize(Decimal("0.001")), "f")
            line = (f"{a.strftime(fmt)};{a:%H:%M:%S};{b.strftime(fmt)};{b:%H:%M:%S};=\"{r.meter_id or ''}\";1SAG0000000000;"
                    f"Digitale Meter;{name};{vol.replace('.', ',')};kWh;{words.get(r.quality or '', '')}")
            lines.append(line + (";" if language != "nl" else ""))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


# ---- ESCO API v3 --------------------------------------------------------------------------------

_SLICES = ("quarterHourlyEnergy", "hourlyEnergy", "dailyEnergy", "halfHourlyEnergy")


def _headpoint(doc: Any) -> dict[str, Any] | None:
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and isinstance(doc["data"].get("headpoint"), dict):
        return doc["data"]["headpoint"]  # type: ignore[no-any-return]
    return None


def sniff_api(data: bytes) -> int:
    hp = _headpoint(json_doc(data))
    return 95 if hp is not None and ("ean" in hp or "$type" in hp) else 0


def decode_api(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    doc = load_json(bytes(data), API_FORMAT)
    hp = _headpoint(doc)
    if hp is None:
        raise FramingError(API_FORMAT, None, "not a Fluvius energy body: expected data.headpoint")
    ean = hp.get("ean")
    if not isinstance(ean, str):
        raise field_error(API_FORMAT, "data.headpoint.ean", f"expected the EAN, got {ean!r}")
    holders: list[tuple[str, dict[str, Any]]] = [("data.headpoint", hp)]
    meters = hp.get("physicalMeters") or []
    if not isinstance(meters, list):
        raise field_error(API_FORMAT, "data.headpoint.physicalMeters", "expected a list")
    for i, pm in enumerate(meters):
        if not isinstance(pm, dict):
            raise field_error(API_FORMAT, f"data.headpoint.physicalMeters[{i}]", "expected an object")
        holders.append((f"data.headpoint.physicalMeters[{i}]", pm))
    parts = []
    for hpath, holder in holders:
        meter_no = holder.get("meterID")
        for key in _SLICES:
            slices = holder.get(key)
            if slices is None:
                continue
            if not isinstance(slices, list):
                raise field_error(API_FORMAT, f"{hpath}.{key}", "expected a list")
            for j, sl in enumerate(slices):
                spath = f"{hpath}.{key}[{j}]"
                if not isinstance(sl, dict):
                    raise field_error(API_FORMAT, spath, "expected an object")
                try:
                    start, end = parse_iso(str(sl.get("start"))), parse_iso(str(sl.get("end")))
                except ValueError as err:
                    raise field_error(API_FORMAT, spath, str(err)) from None
                ms = sl.get("measurements") or []
                if not isinstance(ms, list):
                    raise field_error(API_FORMAT, f"{spath}.measurements", "expected a list")
                for k, meas in enumerate(ms):
                    if not isinstance(meas, dict):
                        raise field_error(API_FORMAT, f"{spath}.measurements[{k}]", "expected an object")
                    for flow, regs in meas.items():
                        if not isinstance(regs, dict):
                            raise field_error(API_FORMAT, f"{spath}.measurements[{k}].{flow}", "expected an object")
                        for regname, v in regs.items():
                            vpath = f"{spath}.measurements[{k}].{flow}.{regname}"
                            if not isinstance(v, dict):
                                raise field_error(API_FORMAT, vpath, "expected {value, unit, validationState}")
                            try:
                                value = json_number(v.get("value"))
                            except ValueError as err:
                                raise field_error(API_FORMAT, f"{vpath}.value", str(err)) from None
                            unit = str(v.get("unit", ""))
                            state = v.get("validationState")
                            quality = _API_QUALITY.get(state, "unknown") if isinstance(state, str) else "unknown"
                            energy = unit in ("kWh", "Wh") and regname in ("total", "day", "night")
                            direction = {"offtake": "import", "injection": "export"}.get(flow) if energy else None
                            wh = None if value is None else (value * 1000 if unit == "kWh" else value)
                            if value is None:
                                quality = "missing"
                            reg = Register(f"{flow}.{regname}", value, unit.replace("kVArh", "kvarh"), None,
                                           f"{flow} {regname} ({key})", {"validationState": state, "meterID": meter_no,
                                                                         "slice": key})
                            parts.append(Part(ean, start, end, direction, wh if direction else None, quality, (reg,),
                                              vpath, f"{meter_no}|{key}|{flow}.{regname}"))
    return assemble(parts, format=API_FORMAT, profile=None, tz=tz, layer=API_FORMAT)


def encode_api(readings: list[Reading]) -> bytes:
    """A ``Mandate/energy`` body (metering-on-meter, quarterHourlyEnergy, offtake/injection total)."""
    inv = {"measured": "READ", "estimated": "EST", "not validated": "NVAL"}
    slices = []
    for r in readings:
        if r.timestamp is None or r.interval is None:
            raise ValueError("a time slice needs timestamp and interval")
        meas: dict[str, Any] = {}
        for value, flow in ((r.active_energy_import_delta, "offtake"), (r.active_energy_export_delta, "injection")):
            if value is not None:
                meas[flow] = {"total": {"value": float(Decimal(repr(value)) / 1000), "unit": "kWh",
                                        "validationState": inv.get(r.quality or "", "READ")}}
        z = "%Y-%m-%dT%H:%M:%SZ"
        slices.append({"start": (r.timestamp - r.interval).astimezone(UTC).strftime(z),
                       "end": r.timestamp.astimezone(UTC).strftime(z), "measurements": [meas] if meas else []})
    ean = readings[0].meter_id if readings else ""
    body = {"data": {"headpoint": {"$type": "metering-on-meter", "ean": ean, "energyType": "E",
                                   "physicalMeters": [{"seqNumber": "1", "meterID": "1SAG0000000000",
                                                       "quarterHourlyEnergy": slices}]}},
            "_meta": {"fetchTime": dt.datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}}
    return json.dumps(body).encode("utf-8")
