"""Stream throughput and linearity of ``StreamDecoder`` (issue 10: "time is linear in input
size for 1-byte chunks"). Run on demand, not part of the test suite; nothing here asserts.

    PYTHONPATH=. python benchmarks/streams.py            # about 30 s
    PYTHONPATH=. python benchmarks/streams.py --quick    # smaller inputs (a smoke run)

Two tables:

* **throughput**: real fixture frames of each stream format, with random garbage and cut-off
  frames between them, fed whole, in 64-byte and in 1-byte chunks (KB/s of input, the best of three runs).
* **linearity**: the worst cases the fuzzing campaign found (a long pending HDLC candidate
  full of complete-looking bad frames, a Chain 2 envelope that is not closed yet, a P1
  telegram without its ``!`` line, an M-Bus stream of unfinished long frames), fed byte by
  byte at sizes N, 2N and 4N. Linear time shows as a constant microseconds-per-byte column;
  the ratio column is time(4N) / time(N) (4.0 = linear, 16 = quadratic).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import smartmeter_codecs as smc

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "fixtures"


def _real_frames() -> dict[str, list[bytes]]:
    """Real frames from the fixtures (copied from the shared corpus with provenance)."""
    dlms = json.loads((FIX / "dlms" / "corpus_plaintext.json").read_text())["entries"]
    hdlc = [bytes.fromhex(e["hex"]) for e in dlms if e["id"] in (
        "kamstrup-no-list3-hdlc-em001-1", "aidon-se-27item-hdlc", "kaifa-no-list2-hdlc-gh180-2")]
    mbus = json.loads((FIX / "mbus" / "corpus.json").read_text())["entries"]
    wired = []
    for e in mbus:
        if len(wired) >= 4:
            break
        data = bytes.fromhex(e["hex"])
        try:
            smc.decode(data, format="mbus")
        except smc.DecodeError:
            continue
        wired.append(data)
    p1 = json.loads((FIX / "p1" / "corpus.json").read_text())["entries"]
    tels = []
    for e in p1:
        if e.get("encoding") != "text" or len(tels) >= 3:
            continue
        data = e["data"].encode("latin-1")
        try:
            smc.decode(data, format="p1")
        except smc.DecodeError:
            continue
        tels.append(data)
    c2 = json.loads((FIX / "chain2" / "messages.json").read_text())["messages"]
    envs = [json.dumps(m["raw"]).encode() for m in c2 if "Chain2Data" in m.get("raw", {})][:3]
    out = {"dlms": hdlc, "mbus": wired, "p1": tels, "chain2": envs}
    if (FIX / "sml" / "corpus.json").exists():
        files = []
        for e in json.loads((FIX / "sml" / "corpus.json").read_text())["entries"]:
            if e.get("encoding") == "hex" and e.get("valid") and len(files) < 3:
                try:
                    smc.decode(bytes.fromhex(e["data"]), format="sml")
                except smc.DecodeError:
                    continue
                files.append(bytes.fromhex(e["data"]))
        out["sml"] = files
    return out


def _stream(frames: list[bytes], size: int, rng: random.Random) -> bytes:
    out = bytearray()
    while len(out) < size:
        f = rng.choice(frames)
        r = rng.random()
        if r < 0.2:
            out += rng.randbytes(rng.randrange(1, 40))          # line noise
        elif r < 0.3:
            out += f[:rng.randrange(1, len(f))]                 # a cut-off frame
        out += f
    return bytes(out)


def _feed(fmt: str | None, data: bytes, chunk: int, repeat: int = 3) -> tuple[float, int]:
    """Best of ``repeat`` runs, in process CPU time: decoding is single-threaded, so on an idle
    machine this is the wall-clock time, and on a shared one (CI, 2 cores for many jobs) it
    is not inflated by other processes."""
    best = float("inf")
    n = 0
    for _ in range(repeat):
        dec = smc.StreamDecoder(format=fmt)
        t0 = time.process_time()
        n = 0
        for i in range(0, len(data), chunk):
            for item in dec.feed(data[i:i + chunk]):
                n += isinstance(item, smc.Reading)
        best = min(best, time.process_time() - t0)
    return best, n


def throughput(size: int) -> str:
    rng = random.Random(1)
    frames = _real_frames()
    lines = ["| format | input | readings | whole KB/s | 64-byte chunks KB/s | 1-byte chunks KB/s |",
             "|---|---|---|---|---|---|"]
    cases = [(fmt, fmt, fs) for fmt, fs in frames.items()]
    cases.append(("None (dlms frames)", None, frames["dlms"]))
    for label, fmt, fs in cases:
        data = _stream(fs, size, rng)
        cells = []
        readings = None
        for chunk in (len(data), 64, 1):
            dt, n = _feed(fmt, data, chunk)
            readings = n if readings is None else readings
            cells.append(f"{len(data) / dt / 1e3:,.0f}")
        lines.append(f"| {label} | {len(data) / 1e3:.0f} KB | {readings} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _worst_cases(n: int) -> dict[str, tuple[str, bytes]]:
    hdlc_unit = bytes.fromhex("7ea7ff") + bytes.fromhex("7ea00703031300007e") * 227
    c2 = b'{"Chain2Data":{"Id":"x","Payload":{"a":' + b'["x","y",{}]' * (n // 12)
    p1 = b"/ISK5\\2M550T-1012\r\n" + b"1-0:1.8.0(000123.456*kWh)\r\n" * (n // 27)
    mbus_unit = bytes.fromhex("68ffff68") + bytes(range(256))       # never a valid frame
    return {
        "dlms: pending HDLC candidate + bad frames": ("dlms", (hdlc_unit * (n // len(hdlc_unit) + 1))[:n]),
        "chain2: unclosed envelope": ("chain2", c2[:n]),
        "p1: telegram without '!'": ("p1", p1[:n]),
        "mbus: unfinished long frames": ("mbus", (mbus_unit * (n // len(mbus_unit) + 1))[:n]),
        "sml: unfinished file": ("sml", (bytes.fromhex("1b1b1b1b01010101") + b"\x77\x07" * n)[:n]),
        "None: random bytes": (None, random.Random(2).randbytes(n)),
    }


def linearity(n: int) -> str:
    lines = ["| case (1-byte chunks) | µs/byte at N | at 2N | at 4N | time(4N)/time(N) |", "|---|---|---|---|---|"]
    for label in _worst_cases(n):
        times = []
        for k in (1, 2, 4):
            fmt, data = _worst_cases(n * k)[label]
            dt, _ = _feed(fmt, data, 1, repeat=2)
            times.append(dt)
        per_byte = [f"{t / (n * k) * 1e6:.1f}" for t, k in zip(times, (1, 2, 4))]
        lines.append(f"| {label} | " + " | ".join(per_byte) + f" | {times[2] / times[0]:.1f} |")
    return f"N = {n} bytes\n\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller inputs")
    ap.add_argument("--size", type=int, help="throughput input size in bytes (default 200000, quick 40000)")
    ap.add_argument("--n", type=int, help="linearity base size N in bytes (default 8192, quick 2048)")
    args = ap.parse_args(argv)
    size = args.size or (40_000 if args.quick else 200_000)
    n = args.n or (2048 if args.quick else 8192)
    print(f"python {sys.version.split()[0]}, smartmeter-codecs {smc.__version__}\n")
    print(throughput(size))
    print()
    print(linearity(n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
