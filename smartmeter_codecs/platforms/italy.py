"""Italian distributor and SII exports: e-distribuzione CSV and app load profile, Portale Consumi.

* ``edistribuzione-csv`` (area clienti export, docs/formats/platforms.md, a real sample):
  ``Giorno;00:00-00:15;...;23:45-00:00``, one row per day ``dd/mm/yyyy``, quoted cells, decimal
  comma, kWh per quarter hour, trailing ``;``. The columns are *local wall-clock* labels. How
  the portal writes DST days is not documented: on the spring day the four 02:xx columns name
  times that do not exist and must be empty (a value there raises CsvError, it cannot be
  placed); on the autumn day each 02:xx column is the first (summer-time) occurrence and the
  second occurrence has no column, so it comes out as "missing" Readings - unless the header
  repeats the 02:xx columns (100 columns), which are then taken in order.
* ``edistribuzione-app`` (reverse-engineered app API ``querydailyloadprofile``, research 4.3):
  ``initialSample`` is the absolute UTC start of sample 1, sample n starts
  ``(n-1)*sampleFrequency`` minutes later; ``val`` kWh per interval. A sample the body leaves
  out (the published example elides samples 2..95 with ``"..."``) is a "missing" Reading.
* ``portale-consumi-csv`` (Acquirente Unico, research 4.1): ``pod;data_lettura;...;ea1..ea96;
  er1..er96``; ``eaN`` = active energy of the N-th quarter hour of ``data_lettura`` in kWh,
  counted in elapsed time from local midnight (92/100 values on DST days) [the natural reading;
  unverified]; ``erN`` reactive energy (kvarh, a register). Band readings ``lettura_f1..f6``
  and ``lettura_monoraria`` are cumulative kWh: a Reading at local midnight of ``data_lettura``
  (the export gives no time of day; the register extra says so).
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
from ._labels import ordinal
from ._series import Part, assemble
from ._time import UTC, day_bounds, exists, is_ambiguous, local, parse_iso, resolve, zone

__all__ = [
    "APP_FORMAT",
    "EDIS_FORMAT",
    "PC_FORMAT",
    "decode_app",
    "decode_edistribuzione",
    "decode_portale",
    "encode_edistribuzione",
    "encode_portale",
    "sniff_app",
    "sniff_edistribuzione",
    "sniff_portale",
]

EDIS_FORMAT = "edistribuzione-csv"
APP_FORMAT = "edistribuzione-app"
PC_FORMAT = "portale-consumi-csv"
ZONE = "Europe/Rome"
_SLOT = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})\Z")
_DAY = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})\Z")
_Q = dt.timedelta(minutes=15)


def _day(t: CsvTable, row: Any, col: int) -> dt.date:
    text = t.cell(row, col)
    m = _DAY.match(text)
    if not m:
        raise t.error(row, col, f"expected a date dd/mm/yyyy, got {text!r}")
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as err:
        raise t.error(row, col, f"{text!r}: {err}") from None


# ---- e-distribuzione CSV ------------------------------------------------------------------------

def sniff_edistribuzione(data: bytes) -> int:
    cells = header_cells(data)
    return 95 if cells and cells[0] == "giorno" and len(cells) > 1 and _SLOT.match(cells[1]) else 0


def decode_edistribuzione(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    t = CsvTable(data, EDIS_FORMAT)
    if not t.header or normalise(t.header[0]) != "giorno":
        raise FramingError(EDIS_FORMAT, 0, "not an e-distribuzione export: the header starts with Giorno")
    slots = []
    for i, h in enumerate(t.header[1:], start=1):
        m = _SLOT.match(h)
        if not m:
            raise FramingError(EDIS_FORMAT, 0, f"header column {i + 1} {h!r} is not a HH:MM-HH:MM quarter hour")
        slots.append((i, int(m[1]) * 60 + int(m[2])))
    parts = []
    for row in t.rows:
        day = _day(t, row, 0)
        if len(row.cells) > len(t.header):
            raise t.error(row, len(t.header), f"{len(row.cells) - 1} values for {len(slots)} quarter-hour columns")
        seen: dict[int, int] = {}
        for col, minutes in slots:
            value = t.decimal(row, col) if col < len(row.cells) else None
            naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
            occ = seen.get(minutes, 0)
            seen[minutes] = occ + 1
            start = resolve(naive, tz, min(occ, 1)) if exists(naive, tz) else None
            if occ and start is not None and not is_ambiguous(naive, tz):
                if value is None:
                    continue   # a repeated DST column on an ordinary day: empty, nothing to place
                raise t.error(row, col, f"a second value for {naive:%d/%m/%Y %H:%M}, a time that occurs once "
                                        "that day")
            if start is None:
                if value is None:
                    continue   # a column for a time the spring change skips: empty, nothing to place
                raise t.error(row, col, f"a value for {naive:%d/%m/%Y %H:%M}, a time that does not exist in Italy "
                                        "(spring DST change): the export's DST layout is not known")
            regs = (Register(t.header[col], value, "kWh", None, f"Active energy {t.header[col]} (local time)",
                             {"line": row.line, "day": day.isoformat()}),)
            parts.append(Part(None, start, start + _Q, "import", None if value is None else value * 1000,
                              "missing" if value is None else "unknown", regs, f"line {row.line}", "ea"))
    return assemble(parts, format=EDIS_FORMAT, profile=None, tz=tz, layer=EDIS_FORMAT)


def normalise(text: str) -> str:
    return text.strip().lower()


def encode_edistribuzione(readings: list[Reading]) -> bytes:
    """An area-clienti CSV: one row per local day of quarter-hour Readings (non-DST days;
    a DST day raises ValueError, its layout is not known)."""
    tz = zone(ZONE)
    header = ["Giorno"] + [f"{m // 60:02d}:{m % 60:02d}-{(m + 15) // 60 % 24:02d}:{(m + 15) % 60:02d}"
                           for m in range(0, 1440, 15)]
    days: dict[dt.date, list[str]] = {}
    for r in readings:
        if r.timestamp is None:
            raise ValueError("a quarter-hour value needs a timestamp")
        start = (r.timestamp - _Q).astimezone(tz)
        a, b = day_bounds(start.date(), tz)
        if b - a != dt.timedelta(hours=24):
            raise ValueError(f"{start.date()} is a DST day: the export's layout for it is not known")
        idx = (start.hour * 60 + start.minute) // 15
        row = days.setdefault(start.date(), [""] * 96)
        v = r.active_energy_import_delta
        row[idx] = "" if v is None else format((Decimal(repr(v)) / 1000).normalize(), "f").replace(".", ",")
    lines = [";".join(header)]
    for day, vals in sorted(days.items()):
        lines.append(";".join([f'"{day:%d/%m/%Y}"'] + [f'"{v}"' for v in vals]) + ";")
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---- e-distribuzione app load profile -----------------------------------------------------------

def _app_doc(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("data"), list) and bool(doc["data"]) and \
        all(isinstance(d, dict) and "readings" in d and "initialSample" in d for d in doc["data"])


def sniff_app(data: bytes) -> int:
    return 95 if _app_doc(json_doc(data)) else 0


def decode_app(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    doc = load_json(bytes(data), APP_FORMAT)
    if not _app_doc(doc):
        raise FramingError(APP_FORMAT, None, "not a querydailyloadprofile body: expected data[] with readings and "
                                             "initialSample")
    parts = []
    for i, day in enumerate(doc["data"]):
        path = f"data[{i}]"
        freq = day.get("sampleFrequency")
        if not isinstance(freq, int) or isinstance(freq, bool) or freq not in (15, 30, 60):
            raise field_error(APP_FORMAT, f"{path}.sampleFrequency", f"expected 15, 30 or 60 minutes, got {freq!r}")
        step = dt.timedelta(minutes=freq)
        try:
            first = parse_iso(str(day["initialSample"]))
        except ValueError as err:
            raise field_error(APP_FORMAT, f"{path}.initialSample", str(err)) from None
        rd = day["readings"]
        if not isinstance(rd, dict) or not isinstance(rd.get("sampleValues"), list):
            raise field_error(APP_FORMAT, f"{path}.readings.sampleValues", "expected a list")
        etype = rd.get("energyType")
        direction = "import" if etype in ("A1", None) else None
        for j, s in enumerate(rd["sampleValues"]):
            spath = f"{path}.readings.sampleValues[{j}]"
            if s in ("...", "…"):
                continue      # an elision marker in the published example: those samples are absent
            if not isinstance(s, dict):
                raise field_error(APP_FORMAT, spath, f"expected {{id, val}}, got {s!r}")
            try:
                n = int(s.get("id"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise field_error(APP_FORMAT, f"{spath}.id", f"expected a sample number, got {s.get('id')!r}") from None
            if not 1 <= n <= 100:
                raise field_error(APP_FORMAT, f"{spath}.id", f"sample {n} outside 1..100")
            try:
                val = json_number(s.get("val")) if s.get("val") not in (None, "") else None
            except ValueError as err:
                raise field_error(APP_FORMAT, f"{spath}.val", str(err)) from None
            start = first + (n - 1) * step
            regs = (Register("val", val, "kWh", None, f"Sample {n} ({etype})",
                             {"id": n, "sampleDate": rd.get("sampleDate"), "energyType": etype}),)
            parts.append(Part(None, start, start + step, direction, None if val is None else val * 1000,
                              "missing" if val is None else "unknown", regs, spath, str(etype)))
    return assemble(parts, format=APP_FORMAT, profile=None, tz=tz, layer=APP_FORMAT)


# ---- Portale Consumi ----------------------------------------------------------------------------

def sniff_portale(data: bytes) -> int:
    cells = header_cells(data)
    return 95 if cells[:2] == ["pod", "data_lettura"] else 0


def decode_portale(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    t = CsvTable(data, PC_FORMAT)
    c_pod, c_day = t.index("pod"), t.index("data_lettura")
    if c_pod is None or c_day is None:
        raise FramingError(PC_FORMAT, 0, "not a Portale Consumi export: expected pod;data_lettura;...")
    # quarter-hour columns ea1..ea100 / er1..er100 (quarters count from 1; a day has 92..100)
    ea = sorted(((int(h[2:]), i) for i, h in enumerate(t.header)
                 if re.fullmatch(r"ea[0-9]{1,3}", h.lower()) and 1 <= int(h[2:]) <= 100))
    er = {int(h[2:]): i for i, h in enumerate(t.header)
          if re.fullmatch(r"er[0-9]{1,3}", h.lower()) and 1 <= int(h[2:]) <= 100}
    bands = [(h, i) for i, h in enumerate(t.header) if h.lower().startswith("lettura_")]
    meta = [i for i, h in enumerate(t.header) if h.lower() in ("data_ricezione", "motivazione", "tipo_flusso",
                                                              "annomese_riferimento")]
    parts = []
    registers: list[Reading] = []
    for row in t.rows:
        pod = t.cell(row, c_pod)
        day = _day(t, row, c_day)
        a, b = day_bounds(day, tz)
        count = (b - a) // _Q
        meta_regs = tuple(Register(t.header[i], t.cell(row, i), None, None, f"{t.header[i]} as written",
                                   {"line": row.line}) for i in meta if i < len(row.cells))
        values = [(n, col, t.decimal(row, col) if col < len(row.cells) else None) for n, col in ea]
        present = [n for n, _, v in values if v is not None]
        if present and max(present) > count:
            n = max(present)
            raise t.error(row, {k: c for k, c, _ in values}[n],
                          f"ea{n} on {day.isoformat()}, a day with {count} quarter hours")
        if present:
            for n, col, v in values:
                if n > count:
                    continue
                try:
                    start, end = ordinal(day, n, _Q, tz)
                except ValueError as err:
                    raise t.error(row, col, str(err)) from None
                regs = [Register(t.header[col], v, "kWh", None, f"Active energy, quarter {n} of the day",
                                 {"line": row.line})]
                if n in er:
                    rv = t.decimal(row, er[n]) if er[n] < len(row.cells) else None
                    regs.append(Register(t.header[er[n]], rv, "kvarh", None, f"Reactive energy, quarter {n}"))
                if n == 1:
                    regs.extend(meta_regs)
                parts.append(Part(pod, start, end, "import", None if v is None else v * 1000,
                                  "missing" if v is None else "measured", tuple(regs), f"line {row.line}", "ea"))
        band_vals = [(h, i, t.decimal(row, i) if i < len(row.cells) else None) for h, i in bands]
        if any(v is not None for _, _, v in band_vals):
            mono = next((v for h, _, v in band_vals if h.lower() == "lettura_monoraria"), None)
            regs2 = tuple(Register(h, v, "kWh", None, f"Cumulative reading {h[8:].upper()}",
                                   {"tariff": h[8:].upper(), "time": "not stated: local midnight of data_lettura assumed"})
                          for h, _, v in band_vals if v is not None) + meta_regs
            registers.append(Reading(format=PC_FORMAT, profile="letture", timestamp=local(a, tz), meter_id=pod,
                                     active_energy_import=float(mono * 1000) if mono is not None else None,
                                     quality="measured", registers=regs2))
    return registers + assemble(parts, format=PC_FORMAT, profile=None, tz=tz, layer=PC_FORMAT)


def encode_portale(readings: list[Reading]) -> bytes:
    """A Portale Consumi CSV: one row per POD and local day, ``ea1..eaN`` with N = 92/96/100
    (elapsed quarter hours of the day), empty band readings."""
    tz = zone(ZONE)
    header = ("pod;data_lettura;data_ricezione;motivazione;lettura_monoraria;lettura_f1;lettura_f2;lettura_f3;"
              "lettura_f4;lettura_f5;lettura_f6;tipo_flusso;annomese_riferimento;"
              + ";".join(f"ea{i}" for i in range(1, 101)) + ";" + ";".join(f"er{i}" for i in range(1, 101)))
    rows: dict[tuple[str, dt.date], list[str]] = {}
    for r in readings:
        if r.timestamp is None:
            raise ValueError("a quarter-hour value needs a timestamp")
        start_utc = (r.timestamp - _Q).astimezone(UTC)
        day = start_utc.astimezone(tz).date()
        a, _ = day_bounds(day, tz)
        n = int((start_utc - a) / _Q) + 1
        vals = rows.setdefault((r.meter_id or "", day), [""] * 100)
        v = r.active_energy_import_delta
        vals[n - 1] = "" if v is None else format((Decimal(repr(v)) / 1000).normalize(), "f").replace(".", ",")
    lines = [header]
    for (pod, day), vals in sorted(rows.items()):
        lines.append(f"{pod};{day:%d/%m/%Y};;;;;;;;;;;{day:%Y%m};" + ";".join(vals) + ";" + ";" * 99)
    return ("\n".join(lines) + "\n").encode("utf-8")


def encode_app(readings: list[Reading]) -> bytes:
    """A ``querydailyloadprofile`` body: one element per Italian local day, ``initialSample`` =
    the UTC instant of local midnight, samples numbered in elapsed quarter hours (92/100 on
    DST days), values in kWh as strings."""
    tz = zone(ZONE)
    days: dict[dt.date, list[dict[str, str]]] = {}
    for r in readings:
        if r.timestamp is None or r.interval != _Q:
            raise ValueError("a load-profile sample needs a timestamp and a 15-minute interval")
        start = (r.timestamp - _Q).astimezone(UTC)
        day = start.astimezone(tz).date()
        a, _ = day_bounds(day, tz)
        n = int((start - a) / _Q) + 1
        v = r.active_energy_import_delta
        if v is not None:
            days.setdefault(day, []).append({"id": str(n), "val": format((Decimal(repr(v)) / 1000).normalize(), "f")})
    data = []
    for day, samples in sorted(days.items()):
        a, _ = day_bounds(day, tz)
        data.append({"readings": {"energyType": "A1", "sampleDate": f"{day:%Y%m%d}", "sampleValues": samples},
                     "sampleFrequency": 15, "timeType": "CONS",
                     "initialSample": a.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")})
    return json.dumps({"data": data}).encode("utf-8")

