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
    ap.add_argument("--meters", type=int, default=1000,
                    help="meters simulated: each single-frame push that carries a meter number as "
                         "text is sent with that many different numbers (default 1000)")
    args = ap.parse_args(argv)
    frames = [bytes.fromhex(e["hex"]) for e in json.loads((HERE / "frames.json").read_text())["frames"]]
    fleet_frames = [_meter_variants(f, args.meters) for f in frames]

    def captures():
        # a fleet: push i comes from meter i % meters (its own meter number where the push
        # carries one as text), cycling through the real pushes' layouts
        for i in range(args.n):
            variants = fleet_frames[i % len(frames)]
            yield variants[(i // len(frames)) % len(variants)]

    distinct = sum(len(v) for v in fleet_frames)
    print(f"{args.n} frames ({len(frames)} real pushes, as {distinct} distinct frames of up to {args.meters} "
          f"meters, {sum(map(len, frames)) / len(frames):.0f} bytes on average), {os.cpu_count()} CPUs, "
          f"load average before: {os.getloadavg()[0]:.1f}")
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


def _meter_variants(frame: bytes, meters: int) -> list[bytes]:
    """``frame`` as sent by ``meters`` meters: the last digits of the meter number it carries
    as text replaced by the meter's index, HCS and FCS recomputed (a one-frame push with a
    run of at least 8 ASCII digits; other pushes are returned as they are)."""
    import re

    from smartmeter_codecs.dlms.hdlc import build_frame, split_frames

    try:
        parts = split_frames(frame)
    except Exception:
        return [frame]
    m = re.search(rb"[0-9]{8,}", parts[0].information) if len(parts) == 1 else None
    if m is None:
        return [frame]
    f = parts[0]
    out = []
    for k in range(meters):
        digits = str(k).zfill(4).encode()
        info = f.information[:m.end() - len(digits)] + digits + f.information[m.end():]
        out.append(build_frame(info, destination=f.destination, source=f.source, control=f.control,
                               destination_size=f.destination_size, source_size=f.source_size))
    return out


if __name__ == "__main__":
    sys.exit(main())
