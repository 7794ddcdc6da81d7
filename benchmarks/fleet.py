"""Fleet-scale decoding: DLMS frames per second through smartmeter_codecs.fleet (issue 16).

Decodes N real DLMS pushes (benchmarks/frames.json, cycled) into column batches with 1 and
with 2 worker processes, and extrapolates to a day of 10-second pushes from 1,000 meters
(8.64 M frames). Wall-clock time on a shared machine: the extrapolation is only as good as the
load during the run, which it prints (os.getloadavg). Nothing here asserts a timing.

    PYTHONPATH=. python benchmarks/fleet.py            # 20,000 frames per setting
    PYTHONPATH=. python benchmarks/fleet.py -n 5000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from smartmeter_codecs import fleet

HERE = Path(__file__).resolve().parent
DAY = 8_640_000


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the pool's workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20_000, help="frames per setting (default 20000)")
    ap.add_argument("--processes", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--batch-rows", type=int, default=65536)
    args = ap.parse_args(argv)
    frames = [bytes.fromhex(e["hex"]) for e in json.loads((HERE / "frames.json").read_text())["frames"]]

    def captures():
        for i in range(args.n):
            yield frames[i % len(frames)]

    print(f"{args.n} frames ({len(frames)} real pushes cycled, {sum(map(len, frames)) / len(frames):.0f} bytes "
          f"on average), {os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.1f}")
    print("| processes | wall frames/s | a day at that rate | CPU µs per frame | a day on 2 idle cores "
          "(CPU time / 2) | rows | peak RSS (parent) |")
    print("|---|---|---|---|---|---|---|")
    for p in args.processes:
        cpu0 = _cpu()
        t0 = time.perf_counter()
        rows = 0
        for batch in fleet.column_batches(captures(), processes=p, batch_rows=args.batch_rows):
            rows += len(batch["capture"])
        dt = time.perf_counter() - t0
        cpu = _cpu() - cpu0          # this process plus the finished workers
        rate = args.n / dt
        us = cpu / args.n * 1e6
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {p} | {rate:,.0f} | {DAY / rate / 60:.1f} min | {us:.0f} | {DAY * us / 1e6 / 2 / 60:.1f} min "
              f"| {rows:,} | {rss:.0f} MB |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
