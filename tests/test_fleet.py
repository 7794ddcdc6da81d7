"""smartmeter_codecs.fleet: many captures into columns (issue 16), and the Dask example."""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs import fleet
from smartmeter_codecs.model import Reading

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _frames() -> list[bytes]:
    entries = json.loads((ROOT / "fixtures" / "dlms" / "corpus_plaintext.json").read_text())["entries"]
    return [bytes.fromhex(e["hex"]) for e in entries if "hex" in e]


FRAMES = _frames()
GARBAGE = b"\x7e\xa0\x10garbage-not-a-frame"


def _expected_rows(captures: list[bytes]) -> list[dict]:
    rows = []
    for i, data in enumerate(captures):
        try:
            readings = smc.decode_all(data)
        except smc.DecodeError as err:
            rows.append({"capture": i, "error": f"{type(err).__name__}: {err}"})
            continue
        for r in readings:
            rows.append({"capture": i, "reading": r})
    return rows


def test_si_fields_are_the_float_fields_of_reading():
    floats = [f.name for f in dataclasses.fields(Reading) if f.type == "float | None"]
    assert list(fleet.SI_FIELDS) == floats
    assert set(fleet.COLUMNS) >= set(floats) | {"capture", "error", "quality"}


def test_rows_equal_decode_all_on_real_frames():
    captures = FRAMES + [GARBAGE]
    cols = fleet.decode_columns(captures)
    expected = _expected_rows(captures)
    assert len(expected) > len(FRAMES) // 2
    assert {k: len(v) for k, v in cols.items()} == {k: len(expected) for k in fleet.COLUMNS}
    for n, want in enumerate(expected):
        assert cols["capture"][n] == want["capture"]
        if "error" in want:
            assert cols["error"][n] == want["error"]
            assert all(cols[name][n] is None for name in fleet.SI_FIELDS)
            continue
        r = want["reading"]
        assert cols["error"][n] is None
        for name in fleet.SI_FIELDS + ("format", "profile", "meter_id", "tariff", "quality", "authenticated"):
            assert cols[name][n] == getattr(r, name), name
        ts = r.timestamp
        if ts is None:
            assert cols["timestamp_utc"][n] is None and cols["timestamp_local"][n] is None
        elif ts.utcoffset() is not None:
            assert cols["timestamp_utc"][n] == ts and cols["timestamp_utc"][n].tzinfo == dt.UTC
            assert cols["timestamp_local"][n] is None
        else:           # no offset in the frame: wall-clock time, no zone assumed
            assert cols["timestamp_local"][n] == ts and cols["timestamp_utc"][n] is None
    assert "registers" not in cols


def test_batches_are_bounded_and_lazy():
    consumed = []

    def captures():
        for i in range(60):
            consumed.append(i)
            yield FRAMES[i % len(FRAMES)]

    gen = fleet.column_batches(captures(), batch_rows=7, chunk_size=3)
    first = next(gen)
    assert len(first["capture"]) == 7
    assert len(consumed) < 60                       # read lazily, not all at once
    rest = list(gen)
    assert all(len(b["capture"]) <= 7 for b in rest)
    whole = fleet.decode_columns(FRAMES[i % len(FRAMES)] for i in range(60))
    joined = {k: first[k] + [x for b in rest for x in b[k]] for k in first}
    assert joined == whole


def test_error_modes_and_registers():
    captures = [FRAMES[0], GARBAGE, FRAMES[1]]
    skipped = fleet.decode_columns(captures, errors="skip")
    assert GARBAGE not in captures[:1] and 1 not in skipped["capture"]
    with pytest.raises(smc.DecodeError):
        fleet.decode_columns(captures, errors="raise")
    with pytest.raises(ValueError):
        fleet.decode_columns(captures, errors="ignore")
    with pytest.raises(ValueError):
        list(fleet.column_batches(captures, batch_rows=0))
    with_regs = fleet.decode_columns(captures, registers=True)
    assert with_regs["registers"][0] == smc.decode_all(FRAMES[0])[0].registers
    assert with_regs["registers"][with_regs["capture"].index(1)] is None


def test_two_processes_give_the_same_rows_in_order():
    captures = [FRAMES[i % len(FRAMES)] for i in range(90)] + [GARBAGE]
    one = fleet.decode_columns(captures)
    two = fleet.decode_columns(captures, processes=2, chunk_size=16, batch_rows=50)
    assert two == one


def test_arrow_and_pandas_batches():
    import pyarrow as pa
    captures = FRAMES[:20] + [GARBAGE]
    cols = fleet.decode_columns(captures)
    batches = list(fleet.arrow_batches(captures, batch_rows=10))
    assert all(b.schema == fleet.arrow_schema() and b.num_rows <= 10 for b in batches)
    table = pa.Table.from_batches(batches)
    assert table.column("active_power_import").to_pylist() == cols["active_power_import"]
    assert table.column("capture").to_pylist() == cols["capture"]
    frames = list(fleet.pandas_frames(captures, batch_rows=10))
    meta = fleet.pandas_meta()
    assert all(list(f.dtypes.items()) == list(meta.dtypes.items()) for f in frames)
    with pytest.raises(ValueError):
        list(fleet.arrow_batches(captures, registers=True))


def test_dask_example_on_a_local_cluster(tmp_path):
    """The examples/fleet_dask.py code on a local Dask cluster gives the rows of one process."""
    import pandas as pd
    from dask.distributed import Client, LocalCluster

    spec = importlib.util.spec_from_file_location("fleet_dask", ROOT / "examples" / "fleet_dask.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    frames = FRAMES[:30]
    paths = example.write_captures(tmp_path, frames, files=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        rows = example.decode_on_dask(paths, client)
    local = fleet.decode_columns(frames * 2)
    assert len(rows) == len(local["capture"])
    assert rows["active_power_import"].tolist() == pytest.approx(
        [v if v is not None else float("nan") for v in local["active_power_import"]], nan_ok=True)
    assert [None if pd.isna(x) else x for x in rows["meter_id"]] == local["meter_id"]
    assert [None if pd.isna(x) else x for x in rows["error"]] == local["error"]
    assert list(rows.columns) == list(fleet.COLUMNS)
