"""A fleet's captures on Dask: Parquet files of raw frames in, one row per Reading out.

The same decoding code as on one machine (smartmeter_codecs.fleet); only the scheduler
changes. Here a local Dask cluster (threads in this process, so it starts in well under a
second); point ``Client`` at your scheduler's address to run the same lines on a cluster.
Needs ``pip install 'smartmeter-codecs[dask]'`` (dask[dataframe,distributed] and pyarrow).
"""
from __future__ import annotations

import json
import pathlib
import tempfile

import dask.dataframe as dd
import pandas as pd
from dask.distributed import Client, LocalCluster

from smartmeter_codecs import fleet

ROOT = pathlib.Path(__file__).resolve().parent.parent


def real_frames() -> list[bytes]:
    """Real DLMS pushes from fixtures/ (provenance in the JSON files)."""
    entries = json.loads((ROOT / "fixtures" / "dlms" / "corpus_plaintext.json").read_text())["entries"]
    return [bytes.fromhex(e["hex"]) for e in entries if "hex" in e]


def write_captures(directory: pathlib.Path, frames: list[bytes], files: int) -> list[pathlib.Path]:
    """Parquet files with one capture per row (``meter``, ``frame``): what a collector stores."""
    paths = []
    for i in range(files):
        part = pd.DataFrame({"meter": [f"m{i}-{j}" for j in range(len(frames))], "frame": frames})
        path = directory / f"captures-{i:03d}.parquet"
        part.to_parquet(path, index=False)
        paths.append(path)
    return paths


def decode_on_dask(paths: list[pathlib.Path], client: Client) -> pd.DataFrame:
    """One row per Reading of every capture in ``paths``, decoded on ``client``'s workers."""
    captures = dd.read_parquet([str(p) for p in paths], columns=["frame"])
    readings = captures.map_partitions(fleet.decode_partition, meta=fleet.pandas_meta())
    return client.compute(readings).result()


def main() -> None:
    frames = real_frames()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_captures(pathlib.Path(tmp), frames, files=3)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            rows = decode_on_dask(paths, client)
    decoded = rows[rows["error"].isna()]
    print(f"{len(paths)} Parquet files, {len(frames) * len(paths)} captures -> {len(rows)} rows, "
          f"{len(decoded)} decoded")
    print(decoded.groupby("profile")["active_power_import"].agg(["count", "mean"]).to_string())


if __name__ == "__main__":
    main()
