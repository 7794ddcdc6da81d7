"""Many captures into columns: one row per Reading, the SI fields as columns (issue 16).

For a fleet's worth of pushes (a day of 10-second pushes from 1,000 meters is 8.64 M frames)
a list of :class:`~smartmeter_codecs.Reading` objects, each with its registers, does not fit in
memory. :func:`column_batches` decodes an iterable of captures and yields the results in
batches of plain columns (``dict`` of column name to ``list``), at most ``batch_rows`` rows
each, so memory stays bounded however many captures come in. Each Reading is reduced to
its row as soon as it is decoded; its registers are dropped unless ``registers=True``.

The columns (:data:`COLUMNS`): ``capture`` (the index of the capture in the input),
``format``, ``profile``, ``timestamp_utc`` (the Reading's timestamp converted to UTC where the
frame gave its UTC offset), ``timestamp_local`` (the wall-clock time where it did not: no time
zone is assumed), ``meter_id``, ``meter_model``, every SI field of the Reading (W, Wh, V, A,
Hz, var, varh; see :mod:`smartmeter_codecs.model`), ``tariff``, ``interval_s``, ``quality``,
``authenticated`` and ``error`` (``"ChecksumError: ..."`` for a capture that could not be
decoded, with ``errors="record"``). The plausibility screen and the authentication rule of
:func:`smartmeter_codecs.decode_all` apply to every row.

``processes=N`` decodes on N worker processes (:mod:`concurrent.futures`), keeping at most
``2 * N`` chunks in flight so that a generator of captures is never read ahead unboundedly;
rows come out in input order either way. :func:`arrow_batches` and :func:`pandas_frames`
convert the batches (``pip install 'smartmeter-codecs[parquet]'`` / ``[dataframe]``);
:func:`pandas_meta` is the empty frame Dask's ``map_partitions`` needs as ``meta``
(``examples/fleet_dask.py``).
"""
from __future__ import annotations

import datetime as _dt
import operator
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from .api import Data, decode_all
from .errors import DecodeError
from .keys import KeysArg

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

__all__ = ["COLUMNS", "SI_FIELDS", "arrow_batches", "arrow_schema", "column_batches", "decode_columns",
           "decode_partition", "pandas_frames", "pandas_meta"]

#: The Reading fields that carry an SI quantity (float columns).
SI_FIELDS: tuple[str, ...] = (
    "active_power_import", "active_power_export", "reactive_power_import", "reactive_power_export",
    "active_power_import_l1", "active_power_import_l2", "active_power_import_l3",
    "active_power_export_l1", "active_power_export_l2", "active_power_export_l3",
    "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3",
    "active_energy_import", "active_energy_export", "reactive_energy_import", "reactive_energy_export",
    "frequency", "power_factor", "contracted_power", "available_power",
    "active_energy_import_delta", "active_energy_export_delta",
)
_HEAD = ("capture", "format", "profile", "timestamp_utc", "timestamp_local", "meter_id", "meter_model")
_TAIL = ("tariff", "interval_s", "quality", "authenticated", "error")
#: Every column of a batch, in order (``registers`` is added only when asked for).
COLUMNS: tuple[str, ...] = _HEAD + SI_FIELDS + _TAIL

_si = operator.attrgetter(*SI_FIELDS)
_UTC = _dt.UTC
Errors = Literal["record", "skip", "raise"]


def _empty(registers: bool) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    if registers:
        cols["registers"] = []
    return cols


def _decode_into(cols: dict[str, list[Any]], start: int, captures: Iterable[Data], format: str | None,
                 keys: KeysArg, profile: str | None, errors: Errors, registers: bool) -> int:
    """Append the rows of ``captures`` (numbered from ``start``) to ``cols``; the row count."""
    si_cols = [cols[name] for name in SI_FIELDS]
    c_capture, c_format, c_profile = cols["capture"], cols["format"], cols["profile"]
    c_utc, c_local, c_id, c_model = cols["timestamp_utc"], cols["timestamp_local"], cols["meter_id"], cols["meter_model"]
    c_tariff, c_interval, c_quality = cols["tariff"], cols["interval_s"], cols["quality"]
    c_auth, c_error = cols["authenticated"], cols["error"]
    c_regs = cols.get("registers")
    rows = 0
    for index, data in enumerate(captures, start):
        try:
            readings = decode_all(data, format=format, keys=keys, profile=profile)
        except DecodeError as err:
            if errors == "raise":
                raise
            if errors == "skip":
                continue
            c_capture.append(index)
            for c in (c_format, c_profile, c_utc, c_local, c_id, c_model, c_tariff, c_interval, c_quality, c_auth):
                c.append(None)
            for c in si_cols:
                c.append(None)
            c_error.append(f"{type(err).__name__}: {err}")
            if c_regs is not None:
                c_regs.append(None)
            rows += 1
            continue
        for r in readings:
            c_capture.append(index)
            c_format.append(r.format)
            c_profile.append(r.profile)
            ts = r.timestamp
            if ts is None:
                c_utc.append(None)
                c_local.append(None)
            elif ts.tzinfo is not None and ts.utcoffset() is not None:
                c_utc.append(ts.astimezone(_UTC))
                c_local.append(None)
            else:
                c_utc.append(None)
                c_local.append(ts)
            c_id.append(r.meter_id)
            c_model.append(r.meter_model)
            for c, v in zip(si_cols, _si(r)):
                c.append(v)
            c_tariff.append(r.tariff)
            c_interval.append(r.interval.total_seconds() if r.interval is not None else None)
            c_quality.append(r.quality)
            c_auth.append(r.authenticated)
            c_error.append(None)
            if c_regs is not None:
                c_regs.append(r.registers)
            rows += 1
    return rows


def _chunk_worker(args: tuple[int, list[Data], str | None, KeysArg, str | None, Errors, bool]) -> dict[str, list[Any]]:
    start, chunk, format, keys, profile, errors, registers = args
    cols = _empty(registers)
    _decode_into(cols, start, chunk, format, keys, profile, errors, registers)
    return cols


def _chunks(captures: Iterable[Data], size: int) -> Iterator[tuple[int, list[Data]]]:
    start, chunk = 0, []
    for data in captures:
        chunk.append(data)
        if len(chunk) >= size:
            yield start, chunk
            start += len(chunk)
            chunk = []
    if chunk:
        yield start, chunk


def _split(cols: dict[str, list[Any]], n: int) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    return {k: v[:n] for k, v in cols.items()}, {k: v[n:] for k, v in cols.items()}


def column_batches(captures: Iterable[Data], *, format: str | None = None, keys: KeysArg = None,
                   profile: str | None = None, batch_rows: int = 65536, errors: Errors = "record",
                   registers: bool = False, processes: int = 1, chunk_size: int = 2048,
                   ) -> Iterator[dict[str, list[Any]]]:
    """Decode ``captures`` into batches of columns, one row per Reading, in input order.

    Args:
        captures: an iterable of captures, each what :func:`~smartmeter_codecs.decode_all`
            accepts (bytes, hex text...). It is read lazily.
        format, keys, profile: as for :func:`~smartmeter_codecs.decode_all`, for every capture.
        batch_rows: the most rows a batch holds (the last one may hold fewer).
        errors: ``"record"`` (a row with only ``capture`` and ``error`` set), ``"skip"`` (no
            row) or ``"raise"`` (the :class:`~smartmeter_codecs.DecodeError` propagates).
        registers: also a ``registers`` column holding each Reading's registers (Python
            objects: only when asked, they cost memory).
        processes: worker processes (1: decode in this process). ``keys`` must be picklable.
        chunk_size: captures per task when ``processes > 1``.

    Yields:
        ``dict`` of column name (:data:`COLUMNS`) to a ``list`` of equal length.

    Raises:
        ValueError: for a bad argument. With ``errors="raise"``, the first DecodeError.
    """
    if batch_rows < 1 or processes < 1 or chunk_size < 1:
        raise ValueError("batch_rows, processes and chunk_size must be at least 1")
    if errors not in ("record", "skip", "raise"):
        raise ValueError(f"errors must be 'record', 'skip' or 'raise', not {errors!r}")
    pending = _empty(registers)
    if processes == 1:
        for start, chunk in _chunks(captures, min(chunk_size, batch_rows)):
            _decode_into(pending, start, chunk, format, keys, profile, errors, registers)
            while len(pending["capture"]) >= batch_rows:
                out, pending = _split(pending, batch_rows)
                yield out
    else:
        from concurrent.futures import Future, ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=processes) as pool:
            inflight: deque[Future[dict[str, list[Any]]]] = deque()
            tasks = _chunks(captures, chunk_size)

            def submit_next() -> bool:
                for start, chunk in tasks:
                    inflight.append(pool.submit(_chunk_worker, (start, chunk, format, keys, profile, errors,
                                                                registers)))
                    return True
                return False

            for _ in range(2 * processes):       # bounded read-ahead: memory stays bounded
                if not submit_next():
                    break
            while inflight:
                part = inflight.popleft().result()
                submit_next()
                for k, v in part.items():
                    pending[k].extend(v)
                while len(pending["capture"]) >= batch_rows:
                    out, pending = _split(pending, batch_rows)
                    yield out
    if pending["capture"]:
        yield pending


def decode_columns(captures: Iterable[Data], **kwargs: Any) -> dict[str, list[Any]]:
    """All rows of :func:`column_batches` in one batch (for small inputs; same arguments)."""
    out: dict[str, list[Any]] | None = None
    for batch in column_batches(captures, **kwargs):
        if out is None:
            out = batch
        else:
            for k, v in batch.items():
                out[k].extend(v)
    return out if out is not None else _empty(bool(kwargs.get("registers")))


def _pyarrow() -> Any:
    try:
        import pyarrow as pa
    except ImportError as err:
        raise ImportError("Arrow batches need pyarrow: pip install 'smartmeter-codecs[parquet]'") from err
    return pa


def arrow_schema() -> pa.Schema:
    """The Arrow schema of :func:`arrow_batches` (without a ``registers`` column)."""
    pa = _pyarrow()
    types: dict[str, Any] = {"capture": pa.int64(), "timestamp_utc": pa.timestamp("us", tz="UTC"),
                             "timestamp_local": pa.timestamp("us"), "interval_s": pa.float64(),
                             "authenticated": pa.bool_()}
    for name in SI_FIELDS:
        types[name] = pa.float64()
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


def arrow_batches(captures: Iterable[Data], **kwargs: Any) -> Iterator[pa.RecordBatch]:
    """:func:`column_batches` as ``pyarrow.RecordBatch`` objects with :func:`arrow_schema`
    (same arguments except ``registers``, which Arrow cannot hold)."""
    pa = _pyarrow()
    if kwargs.get("registers"):
        raise ValueError("registers=True needs column_batches: Arrow cannot hold Register objects")
    schema = arrow_schema()
    for batch in column_batches(captures, **kwargs):
        yield pa.RecordBatch.from_pydict(batch, schema=schema)


def pandas_frames(captures: Iterable[Data], **kwargs: Any) -> Iterator[pd.DataFrame]:
    """:func:`column_batches` as pandas DataFrames with the dtypes of :func:`pandas_meta`."""
    meta = pandas_meta()
    pd = _pandas()
    for batch in column_batches(captures, **kwargs):
        frame = pd.DataFrame(batch)
        yield frame.astype({k: v for k, v in meta.dtypes.items() if k in frame.columns})


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as err:
        raise ImportError("DataFrames need pandas: pip install 'smartmeter-codecs[dataframe]'") from err
    return pd


def pandas_meta() -> pd.DataFrame:
    """An empty DataFrame with the columns and dtypes of :func:`pandas_frames` (Dask ``meta``)."""
    pd = _pandas()
    dtypes: dict[str, Any] = {"capture": "int64", "timestamp_utc": "datetime64[us, UTC]",
                              "timestamp_local": "datetime64[us]", "interval_s": "float64",
                              "authenticated": "boolean"}
    for name in SI_FIELDS:
        dtypes[name] = "float64"
    return pd.DataFrame({name: pd.Series([], dtype=dtypes.get(name, "object")) for name in COLUMNS})


def decode_partition(frame: pd.DataFrame, column: str = "frame", **kwargs: Any) -> pd.DataFrame:
    """The rows of the captures in ``frame[column]`` as one DataFrame with :func:`pandas_meta`'s
    columns: the function a Dask ``map_partitions`` calls on each partition of a table of
    captures (``examples/fleet_dask.py``). ``capture`` numbers the captures within the
    partition; the other arguments are those of :func:`column_batches`.
    """
    pd = _pandas()
    frames = list(pandas_frames(frame[column].tolist(), **kwargs))
    if not frames:
        return pandas_meta()
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
