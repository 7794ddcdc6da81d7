"""Elhub "Min side" (Norway) metering-value CSV export (format ``elhub-csv``).

Facts (docs/formats/platforms.md; a real export in fredrik-lindseth/Stromkalkulator):
``Fra;Til;Målenavn;Volum;Enhet;Kvalitet;Registreringstidspunkt``, UTF-8 with BOM, ``;``,
decimal comma; ``Fra``/``Til`` ISO 8601 with the local offset (unambiguous on DST days);
``Målenavn`` ``KWH 60 Forbruk`` (consumption -> import) or ``... Produksjon`` (production ->
export), both interleaved in one file; ``Kvalitet`` ``Målt`` measured, ``Estimert`` estimated,
``Beregnet`` calculated. The older export with ``dd.MM.yyyy HH:mm`` local times (no offset) is
read in Europe/Oslo, repeated times in order of appearance. Elhub has no per-metering-point
API for end users (the Energy Data API is aggregated statistics), so there is no JSON decoder.
The export does not carry the metering point id (it is in the file name): ``meter_id`` is None.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ..errors import FramingError
from ..model import Reading, Register
from ._common import CsvTable, header_cells
from ._labels import LabelError, map_start_end
from ._series import Part, assemble
from ._time import UTC, parse_iso, zone

__all__ = ["FORMAT", "LAYER", "decode", "encode_csv", "sniff"]

FORMAT = "elhub-csv"
LAYER = "elhub-csv"
ZONE = "Europe/Oslo"
_QUALITY = {"målt": "measured", "estimert": "estimated", "beregnet": "calculated", "manglende": "missing"}
_OLD = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4}) ([0-9]{2}):([0-9]{2})\Z")


def sniff(data: bytes) -> int:
    cells = header_cells(data)
    return 95 if cells[:3] == ["fra", "til", "malenavn"] or cells[:2] == ["fra", "til"] and "volum" in cells else 0


def _direction(name: str) -> str | None:
    low = name.lower()
    if "forbruk" in low:
        return "import"
    if "produksjon" in low:
        return "export"
    return None


def decode(data: bytes, *, profile: str | None = None) -> list[Reading]:
    tz = zone(ZONE)
    t = CsvTable(data, LAYER)
    c_from, c_to, c_name, c_vol = t.index("fra"), t.index("til"), t.index("målenavn"), t.index("volum")
    c_unit, c_q = t.index("enhet"), t.index("kvalitet")
    if c_from is None or c_to is None or c_vol is None:
        raise FramingError(LAYER, 0, "not an Elhub export: expected Fra;Til;...;Volum")
    bounds: list[tuple[dt.datetime, dt.datetime]] = []
    old_rows = []
    for row in t.rows:
        a, b = t.cell(row, c_from), t.cell(row, c_to)
        if _OLD.match(a) and _OLD.match(b):
            old_rows.append(row)
            bounds.append((dt.datetime.min, dt.datetime.min))
            continue
        try:
            start = parse_iso(a)
        except ValueError as err:
            raise t.error(row, c_from, f"expected an ISO 8601 time with offset, got {a!r} ({err})") from None
        try:
            end = parse_iso(b)
        except ValueError as err:
            raise t.error(row, c_to, f"expected an ISO 8601 time with offset, got {b!r} ({err})") from None
        bounds.append((start, end))
    if old_rows:
        pairs = []
        for row in old_rows:
            pairs.append((t.cell(row, c_name) if c_name is not None else "", _old(t, row, c_from), _old(t, row, c_to)))
        try:
            mapped = map_start_end(pairs, tz, lambda s: dt.timedelta(hours=1))
        except LabelError as err:
            raise t.error(old_rows[err.index], c_from, err.message) from None
        it = iter(mapped)
        placed: list[tuple[dt.datetime, dt.datetime]] = []
        for pair in bounds:
            if pair[0] == dt.datetime.min:        # an old-format row: take the next mapped pair
                m = next(it)
                pair = (m.start, m.end)
            placed.append(pair)
        bounds = placed
    parts = []
    for row, (start, end) in zip(t.rows, bounds):
        name = t.cell(row, c_name) if c_name is not None else ""
        value = t.decimal(row, c_vol)
        unit = t.cell(row, c_unit) if c_unit is not None else "kWh"
        if unit.lower() not in ("kwh", "wh"):
            raise t.error(row, c_unit, f"expected kWh, got {unit!r}")
        if end <= start:
            raise t.error(row, c_to, "Til is not after Fra")
        wh = None if value is None else (value * 1000 if unit.lower() == "kwh" else value)
        qtext = t.cell(row, c_q).lower() if c_q is not None else ""
        quality = "missing" if value is None else _QUALITY.get(qtext, "unknown")
        regs = tuple(Register(t.header[i], t.cell(row, i) if i != c_vol else value, unit if i == c_vol else None, None,
                              f"{t.header[i]} as written", {"line": row.line})
                     for i in range(len(t.header)) if i < len(row.cells))
        parts.append(Part(None, start.astimezone(UTC), end.astimezone(UTC), _direction(name), wh, quality, regs,
                          f"line {row.line}", name))
    return assemble(parts, format=FORMAT, profile=None, tz=tz, layer=LAYER)


def _old(t: CsvTable, row: Any, col: int | None) -> dt.datetime:
    assert col is not None
    m = _OLD.match(t.cell(row, col))
    assert m
    try:
        return dt.datetime(int(m[3]), int(m[2]), int(m[1]), int(m[4]), int(m[5]))
    except ValueError as err:
        raise t.error(row, col, str(err)) from None


def encode_csv(readings: list[Reading], *, registered: dt.datetime | None = None) -> bytes:
    """An Elhub export of a series (Forbruk rows for import, Produksjon rows for export)."""
    tz = zone(ZONE)
    lines = ["Fra;Til;Målenavn;Volum;Enhet;Kvalitet;Registreringstidspunkt"]
    words = {"measured": "Målt", "estimated": "Estimert", "calculated": "Beregnet"}
    for r in readings:
        if r.timestamp is None or r.interval is None:
            raise ValueError("an Elhub row needs timestamp and interval")
        a = (r.timestamp - r.interval).astimezone(tz).isoformat()
        b = r.timestamp.astimezone(tz).isoformat()
        minutes = int(r.interval.total_seconds() // 60)
        reg = (registered or r.timestamp).astimezone(tz).replace(microsecond=0).isoformat()
        for value, kind in ((r.active_energy_import_delta, "Forbruk"), (r.active_energy_export_delta, "Produksjon")):
            if value is None and kind == "Produksjon":
                continue
            vol = "" if value is None else format((Decimal(repr(value)) / 1000).normalize(), "f").replace(".", ",")
            lines.append(f"{a};{b};KWH {minutes} {kind};{vol};kWh;{words.get(r.quality or '', '')};{reg}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")
