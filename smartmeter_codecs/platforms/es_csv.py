"""Spanish load-curve CSV files: CNMC/distributor ordinal hours, Datadis web downloads, i-DE.

Layouts (docs/formats/platforms.md; the column roles are taken from the header):

* ``CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion`` (CNMC, i-DE, e-distribución variants with
  ``AE_kWh;AS_KWh;AE_AUTOCONS_kWh;REAL/ESTIMADO``, Catalan ``Data``; UFD ``EHCR (kWh)``):
  ``Hora`` is an **ordinal** 1..23/24/25 counted in elapsed hours from local midnight (a real
  e-distribución file numbers 26/10/2025 1..25); 1..92/96/100 for quarter-hour files.
* Datadis web download: ``Hora`` ``HH:MM`` = end label, the Datadis DST conventions
  (:mod:`._labels`).
* i-DE customer area: ``FECHA-HORA`` ``dd/mm/yyyy HH:MM`` and energies in **Wh**; the time is
  the interval *start* (the fixtures start at 00:00) [unverified]; a repeated start time is the
  second (winter) occurrence.

``R``/``REAL``/``Real`` -> measured, ``E``/``ESTIMADO``/``Estimada`` -> estimated. Import columns
(``Consumo``, ``AE``, ``EHCR``) -> import; ``AS``, ``energiaVertida`` (energy poured into the
grid) -> export; generation, self-consumption, ``EHEX`` and i-DE ``GENERACION`` stay registers
(the files do not say they equal the exported energy).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ..errors import FramingError
from ..model import Reading, Register
from ._common import CsvTable, header_cells, normalise_header
from ._labels import CONVENTIONS, EndLabel, LabelError, map_end_labels_by, ordinal
from ._series import Part, assemble
from ._time import day_bounds, resolve, zone

__all__ = ["FORMAT", "LAYER", "decode", "encode_csv", "sniff"]

FORMAT = "es-csv"
LAYER = "es-csv"
_ZONES = {None: "Europe/Madrid", "canarias": "Atlantic/Canary"}
_QUALITY = {"r": "measured", "real": "measured", "e": "estimated", "estimado": "estimated", "estimada": "estimated",
            "": "unknown"}
# normalised header -> (role, unit)
_COLUMNS: dict[str, tuple[str, str]] = {
    "consumo_kwh": ("import", "kWh"), "consumo (kwh)": ("import", "kWh"), "ae_kwh": ("import", "kWh"),
    "ehcr (kwh)": ("import", "kWh"), "consumo wh": ("import", "Wh"), "consumo_wh": ("import", "Wh"),
    "as_kwh": ("export", "kWh"), "energiavertida_kwh": ("export", "kWh"),
    "ae_autocons_kwh": ("register", "kWh"), "energiagenerada_kwh": ("register", "kWh"),
    "energiaautoconsumida_kwh": ("register", "kWh"), "ehex (kwh)": ("register", "kWh"),
    "generacion wh": ("register", "Wh"), "generacion_wh": ("register", "Wh"),
}
_QUALITY_COLS = ("metodo_obtencion", "metodoobtencion", "real/estimado", "lectura real/estimada", "metodo obtencion")
_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\Z")
_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})\Z")
_DATETIME = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2})(?::00)?\Z")


def sniff(data: bytes) -> int:
    cells = header_cells(data)
    if not cells or cells[0] != "cups":
        return 0
    if ("fecha" in cells or "data" in cells) and "hora" in cells:
        return 95
    if "fecha-hora" in cells or "fechahora" in cells:
        return 95
    return 40


def _date(table: CsvTable, row: Any, col: int) -> dt.date:
    text = table.cell(row, col)
    m = _DATE.match(text)
    if not m:
        raise table.error(row, col, f"expected a date dd/mm/yyyy, got {text!r}")
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as err:
        raise table.error(row, col, f"{text!r}: {err}") from None


def decode(data: bytes, *, profile: str | None = None) -> list[Reading]:
    if profile is not None and profile not in _ZONES and profile not in CONVENTIONS:
        raise ValueError(f"unknown es-csv profile {profile!r}; known: canarias, {', '.join(CONVENTIONS)}")
    tz = zone(_ZONES.get(profile if profile in _ZONES else None, _ZONES[None]))
    t = CsvTable(data, LAYER)
    cups = t.index("cups")
    if cups is None:
        raise FramingError(LAYER, 0, "not a Spanish load-curve CSV: the header has no CUPS column")
    c_date, c_hour = t.index("fecha", "data"), t.index("hora")
    c_dt = t.index("fecha-hora", "fechahora")
    c_q = t.index(*_QUALITY_COLS)
    c_flag = t.index("inv / ver")
    c_period = t.index("periodo tarifario")
    qty = [(i, *_COLUMNS[normalise_header(h)]) for i, h in enumerate(t.header) if normalise_header(h) in _COLUMNS]
    if not qty:
        raise FramingError(LAYER, 0, f"no energy column in the header {';'.join(t.header)!r} (expected e.g. "
                                     "Consumo_kWh, AE_kWh, CONSUMO Wh)")
    rows = t.rows
    # the interval of every row
    bounds: list[tuple[dt.datetime, dt.datetime, str, bool]] = []
    if c_dt is not None:
        seen: dict[dt.datetime, int] = {}
        for row in rows:
            text = t.cell(row, c_dt)
            m = _DATETIME.match(text)
            if not m:
                raise t.error(row, c_dt, f"expected dd/mm/yyyy HH:MM, got {text!r}")
            try:
                naive = dt.datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4]), int(m[5]))
            except ValueError as err:
                raise t.error(row, c_dt, f"{text!r}: {err}") from None
            key = (t.cell(row, cups), naive)
            occ = seen.get(key, 0)  # type: ignore[call-overload]
            seen[key] = occ + 1  # type: ignore[index]
            start = resolve(naive, tz, min(occ, 1))
            if start is None:
                raise t.error(row, c_dt, f"{text} does not exist in Spain (skipped by the DST change)")
            bounds.append((start, start + dt.timedelta(hours=1), "interval start", False))
    elif c_date is not None and c_hour is not None:
        hours = [t.cell(row, c_hour) for row in rows]
        if any(_HHMM.match(h) for h in hours):
            labels = []
            for row, h in zip(rows, hours):
                m = _HHMM.match(h)
                if not m or int(m[2]) >= 60 or int(m[1]) * 60 + int(m[2]) > 1440:
                    raise t.error(row, c_hour, f"expected HH:MM (01:00 .. 24:00) like the other rows, got {h!r}")
                labels.append(EndLabel(_date(t, row, c_date), int(m[1]) * 60 + int(m[2])))
            length = dt.timedelta(minutes=15 if any(lab.minutes % 60 for lab in labels) else 60)
            try:
                mapped = map_end_labels_by([t.cell(row, cups) for row in rows], labels, tz, length,
                                           profile if profile in CONVENTIONS else None)
            except LabelError as err:
                raise t.error(rows[err.index], c_hour, err.message) from None
            bounds = [(m.start, m.end, f"end label ({conv})", m.merged) for m, conv in mapped]
        else:
            nums = []
            for row, h in zip(rows, hours):
                if not (h.isascii() and h.isdigit()) or not 1 <= int(h) <= 100:
                    raise t.error(row, c_hour, f"expected an hour number 1..25 (or quarter 1..100), got {h!r}")
                nums.append(int(h))
            length = dt.timedelta(minutes=15 if nums and max(nums) > 25 else 60)
            for row, n in zip(rows, nums):
                day = _date(t, row, c_date)
                try:
                    start, end = ordinal(day, n, length, tz)
                except ValueError as err:
                    raise t.error(row, c_hour, str(err)) from None
                bounds.append((start, end, "ordinal", False))
    else:
        raise FramingError(LAYER, 0, "the header has neither Fecha+Hora nor FECHA-HORA columns")
    parts = []
    for row, (start, end, how, merged) in zip(rows, bounds):
        meter = t.cell(row, cups) or None     # some e-distribución files leave CUPS empty
        qtext = t.cell(row, c_q) if c_q is not None else ""
        quality = _QUALITY.get(qtext.lower(), "unknown")
        regs = [Register(t.header[i], t.cell(row, i), None, None, f"{t.header[i]} as written",
                         {"line": row.line, "time_label": how, **({"merged": True} if merged else {})})
                for i in (c_date, c_hour, c_dt, c_q, c_flag, c_period) if i is not None]
        values = []
        for col, role, unit in qty:
            value = t.decimal(row, col)
            regs.append(Register(t.header[col], value, unit, None, f"{t.header[col]} ({role})"))
            values.append((col, role, None if value is None else (value * 1000 if unit == "kWh" else value)))
        first = True
        for col, role, wh in values:
            if role == "register":
                continue
            q = "missing" if wh is None else quality
            parts.append(Part(meter, start, end, role, wh, q, tuple(regs) if first else (), f"line {row.line}",
                              t.header[col], _period(t, row, c_period)))
            first = False
        if first:
            parts.append(Part(meter, start, end, None, None, quality, tuple(regs), f"line {row.line}", "row"))
    return assemble(parts, format=FORMAT, profile=None, tz=tz, layer=LAYER)


def _period(t: CsvTable, row: Any, col: int | None) -> str | None:
    return (t.cell(row, col) or None) if col is not None else None


def encode_csv(readings: list[Reading], *, layout: str = "cnmc", profile: str | None = None) -> bytes:
    """A CNMC-style CSV (``layout="cnmc"``: ordinal ``Hora``, 1..25 on the autumn day) or a
    Datadis web CSV (``layout="datadis"``: ``HH:MM`` end labels, hour-ending convention)."""
    tz = zone(_ZONES.get(profile, _ZONES[None]))
    out = []
    if layout == "cnmc":
        out.append("CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion")
    elif layout == "datadis":
        out.append("CUPS;Fecha;Hora;consumo_kWh;metodoObtencion;energiaVertida_kWh;energiaGenerada_kWh;"
                   "energiaAutoconsumida_kWh")
    else:
        raise ValueError("layout must be 'cnmc' or 'datadis'")
    for r in readings:
        if r.timestamp is None or r.interval is None:
            raise ValueError("a load-curve row needs timestamp and interval")
        start = r.timestamp - r.interval
        local_start = start.astimezone(tz)
        q = {"measured": "R", "estimated": "E"}.get(r.quality or "", "")
        imp = "" if r.active_energy_import_delta is None else _comma(r.active_energy_import_delta)
        if layout == "cnmc":
            day = local_start.date()
            midnight, _ = day_bounds(day, tz)
            n = int((start - midnight) / r.interval) + 1
            out.append(f"{r.meter_id or ''};{day:%d/%m/%Y};{n};{imp};{q}")
        else:
            label = local_start.replace(tzinfo=None) + r.interval
            day, mins = label.date(), label.hour * 60 + label.minute
            if mins == 0:
                day, mins = day - dt.timedelta(days=1), 1440
            exp = "" if r.active_energy_export_delta is None else _comma(r.active_energy_export_delta)
            out.append(f"{r.meter_id or ''};{day:%d/%m/%Y};{mins // 60:02d}:{mins % 60:02d};{imp};"
                       f"{'REAL' if q == 'R' else 'ESTIMADO' if q == 'E' else ''};{exp};;")
    return ("\n".join(out) + "\n").encode("utf-8")


def _comma(wh: float) -> str:
    kwh = Decimal(repr(wh)) / 1000
    return format(kwh.normalize(), "f").replace(".", ",")
