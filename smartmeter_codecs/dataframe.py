"""Readings as pandas DataFrames for notebooks (``pip install smartmeter-codecs[dataframe]``).

pandas is imported only when these functions are called; the decoders never need it.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Iterable

from .model import Reading

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["readings_frame", "registers_frame"]


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as err:  # a clear message instead of a bare ModuleNotFoundError
        raise ImportError("DataFrames need pandas: pip install 'smartmeter-codecs[dataframe]'") from err
    return pd


def readings_frame(readings: Iterable[Reading]) -> "pd.DataFrame":
    """One row per Reading, one column per model field (registers left out).

    ``timestamp`` is a pandas datetime column: in UTC when every timestamp carries an offset
    (a series crossing a DST change has two offsets, which pandas cannot hold in one
    zone-aware column otherwise), as the naive clocks when none does; a mix of aware and naive
    timestamps (a clock without offset and no ``tz=``) stays an object column of datetimes.
    """
    pd = _pandas()
    names = [f.name for f in dataclasses.fields(Reading) if f.name != "registers"]
    rows = [{n: getattr(r, n) for n in names} for r in readings]
    frame = pd.DataFrame(rows, columns=names)
    stamps = [r["timestamp"] for r in rows if r["timestamp"] is not None]
    if stamps and all(t.tzinfo is not None for t in stamps):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    elif stamps and all(t.tzinfo is None for t in stamps):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def registers_frame(readings: Iterable[Reading]) -> "pd.DataFrame":
    """One row per register of every Reading: reading index, key, value, unit, OBIS, description,
    and the format-specific qualifiers (``extra``) as columns prefixed ``extra.``."""
    pd = _pandas()
    rows = []
    for i, r in enumerate(readings):
        for reg in r.registers:
            row: dict[str, Any] = {"reading": i, "timestamp": r.timestamp, "key": reg.key, "value": reg.value,
                                   "unit": reg.unit, "obis": str(reg.obis) if reg.obis else None,
                                   "description": reg.description}
            row.update({f"extra.{k}": v for k, v in dict(reg.extra).items()})
            rows.append(row)
    return pd.DataFrame(rows)
