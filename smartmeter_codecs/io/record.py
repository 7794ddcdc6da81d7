"""Record a session of Readings to JSON lines, CSV or Parquet (``--out FILE``).

Every row is written (and, for JSON lines and CSV, flushed) as the Reading arrives, so a
session cut short by Ctrl-C or a power loss keeps what was read. Parquet needs pyarrow
(``pip install 'smartmeter-codecs[parquet]'``) and is written in row groups.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import pathlib
from typing import Any, Protocol, TextIO

from ..model import FIELD_UNITS, Reading
from ._extras import require

__all__ = ["Recorder", "open_recorder", "FIELDS", "UNITS", "reading_json"]

FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Reading) if f.name != "registers")
"""The columns of CSV and Parquet records (every Reading field but the registers), then
``registers`` as JSON text."""


UNITS: dict[str, str] = {n: FIELD_UNITS[n] for n in FIELDS if n in FIELD_UNITS}
"""The SI unit of every quantity field of a Reading (docs/api.md)."""


def reading_json(reading: Reading) -> dict[str, Any]:
    """``reading.to_dict()`` plus ``units``: the unit of every quantity field it sets."""
    d = reading.to_dict()
    d["units"] = {n: u for n, u in UNITS.items() if d.get(n) is not None}
    return d


def _row(reading: Reading) -> dict[str, Any]:
    d = reading.to_dict()
    row = {n: d[n] for n in FIELDS}
    row["registers"] = json.dumps(d["registers"], ensure_ascii=False)
    return row


class Recorder(Protocol):
    """Where a session goes; :func:`open_recorder` picks one by file suffix."""

    path: pathlib.Path

    def write(self, reading: Reading) -> None: ...

    def close(self) -> None: ...


class _Jsonl:
    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._f: TextIO = open(path, "w", encoding="utf-8")

    def write(self, reading: Reading) -> None:
        self._f.write(json.dumps(reading_json(reading), ensure_ascii=False) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._f.close()


class _Csv:
    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._f: TextIO = open(path, "w", encoding="utf-8", newline="")
        self._w = csv.DictWriter(self._f, fieldnames=[*FIELDS, "registers"])
        self._w.writeheader()

    def write(self, reading: Reading) -> None:
        self._w.writerow(_row(reading))
        self._f.flush()

    def close(self) -> None:
        self._f.close()


class _Parquet:
    _BATCH = 1000   # rows per row group: a long session is not held in memory

    def __init__(self, path: pathlib.Path) -> None:
        pa = require("pyarrow", "parquet", "writing Parquet")
        self._pa = pa
        self._pq = require("pyarrow.parquet", "parquet", "writing Parquet")
        self.path = path
        types: dict[str, Any] = {}
        for f in dataclasses.fields(Reading):
            if f.name == "registers":
                continue
            if f.name == "timestamp":
                types[f.name] = pa.timestamp("us", tz="UTC")
            elif f.name == "authenticated":
                types[f.name] = pa.bool_()
            elif f.name in UNITS:
                types[f.name] = pa.float64()
            else:
                types[f.name] = pa.string()
        # the meter's clock as sent: a frame without a UTC offset has no place on the UTC axis
        # (putting its wall-clock time there would shift it by the zone), so it stays text here
        types["timestamp_text"] = pa.string()
        types["registers"] = pa.string()
        self._schema = pa.schema([(n, t) for n, t in types.items()])
        self._rows: list[dict[str, Any]] = []
        self._writer = self._pq.ParquetWriter(str(path), self._schema)

    def write(self, reading: Reading) -> None:
        row: dict[str, Any] = {}
        for n in FIELDS:
            v = getattr(reading, n)
            if n == "timestamp" and v is not None:
                row["timestamp_text"] = v.isoformat()
                v = v if v.tzinfo is not None and v.utcoffset() is not None else None
            elif n == "interval" and v is not None:
                v = v.total_seconds()
            elif n in UNITS and v is not None:
                v = float(v)
            elif n != "authenticated" and v is not None:
                v = str(v)
            row[n] = v
        row.setdefault("timestamp_text", None)
        row["registers"] = json.dumps([r.to_dict() for r in reading.registers], ensure_ascii=False)
        self._rows.append(row)
        if len(self._rows) >= self._BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_recorder(path: str | pathlib.Path) -> Recorder:
    """A recorder for ``path`` by its suffix: ``.jsonl``/``.ndjson``, ``.csv`` or ``.parquet``.

    Raises:
        ValueError: another suffix.
        MissingExtraError: ``.parquet`` without pyarrow (checked before the file is created).
        OSError: the file cannot be created.
    """
    p = pathlib.Path(path)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return _Jsonl(p)
    if suffix == ".csv":
        return _Csv(p)
    if suffix == ".parquet":
        return _Parquet(p)
    raise ValueError(f"cannot record to {p.name!r}: use a .jsonl, .csv or .parquet file name")
