"""M-Bus, wM-Bus, P1 and stream speed against their Python peers (issue 16), same method as
run.py: each library decodes the same real frames in the same process, samples interleaved,
ratios peer / ours. Run through ``python benchmarks/run.py`` (all formats) or alone:

    PYTHONPATH=. python benchmarks/formats.py [--quick] [--suite mbus wmbus p1 streams]

What each column calls:

* ``ours``: ``smartmeter_codecs.decode(frame)`` (autodetection, every check, typed Reading
  with registers, plausibility screen); wM-Bus with ``keys=Keys(aes_key)``.
* ``pymeterbus``: ``meterbus.load(frame).interpreted`` (pyMeterBus: parses the long frame and
  its records and returns a dict of interpreted values, what its README shows).
* ``pymeterbus-w``: ``meterbus.load(frame)`` on the wM-Bus frame: its header parse only; it
  cannot decrypt, so it is no peer for the AES goal (reported for scale).
* ``floor-aes``: AES-128-CBC of the encrypted part with ``cryptography`` (what any Python
  decoder must pay) plus the DLL CRC checks: the cost below which no pure-Python wM-Bus
  decode can go.
* ``dsmr-parser``: ``TelegramParser(spec, apply_checksum_validation=crc).parse(text)``
  (dsmr_parser, with the telegram's own specification: V5/V4/Fluvius/E.ON for telegrams with
  a CRC, V2_2/V3/Q3D for those without) -> dict of CosemObjects.
* streams: ``StreamDecoder(format).feed(chunk)`` over concatenated real frames in 4 KiB
  chunks; MB/s of input per CPU second (``time.process_time``), best of 3.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run  # the harness: Frame, measure, table

FIX = ROOT / "fixtures"

MBUS_IDS = ("libmbus:test-frames/EMU_EMU-Professional-375-M-Bus", "libmbus:test-frames/kamstrup_multical_601",
            "libmbus:test-frames/SBC_Saia-Burgess-ALE3", "libmbus:test-frames/Elster-F2",
            "libmbus:test-frames/engelmann_sensostar2c", "libmbus:test-frames/emh_diz")
P1_SPECS = {   # telegram id -> (dsmr_parser specification, has a CRC)
    "p1-dsmr_parser-telegram_v5": ("V5", True),
    "p1-dsmr_parser-telegram_v4_2": ("V4", True),
    "p1-dsmr_parser-telegram_fluvius_v171": ("BELGIUM_FLUVIUS", True),
    "p1-dsmr_parser-telegram_v5_eon_hu": ("EON_HUNGARY", True),
    "p1-dsmr_parser-telegram_v3": ("V3", False),
    "p1-dsmrtools-testdsmrparseronrealdsmr2-testdsmr22telegram1": ("V2_2", False),
    "p1-openhab-landis_gyr_e350": ("V3", False),
    "p1-dsmr_parser-telegram_esy5q3db1024_v304": ("Q3D", False),
}


def _entries(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["entries"]


def mbus_frames() -> list[run.Frame]:
    by_id = {e["id"]: e for e in _entries(FIX / "mbus" / "corpus.json")}
    return [run.Frame(i.split("/")[-1], i, bytes.fromhex(by_id[i]["hex"]), (), None) for i in MBUS_IDS]


def wmbus_frames() -> list[run.Frame]:
    out = []
    for e in _entries(FIX / "mbus" / "wmbus_encrypted.json"):
        f = run.Frame(e["id"].split("/")[-1], e["id"], bytes.fromhex(e["hex"]), (), None)
        object.__setattr__(f, "label", e["key"])      # the AES key travels in the label
        out.append(f)
    return out


def p1_frames() -> list[run.Frame]:
    by_id = {e["id"]: e for e in _entries(FIX / "p1" / "corpus.json")}
    out = []
    for i, (spec, crc) in P1_SPECS.items():
        label = f"{spec} {'with' if crc else 'without'} CRC"
        out.append(run.Frame(i.removeprefix("p1-"), label, by_id[i]["data"].encode("latin-1"), (), None))
    return out


# --- the libraries ----------------------------------------------------------------------

def ours(frame: run.Frame) -> run.Setup:
    import smartmeter_codecs as smc

    data = frame.data

    def call() -> Any:
        return smc.decode(data)

    r = call()
    return call, f"{len(r.registers)} registers ({r.format}, profile {r.profile})"


def ours_wmbus(frame: run.Frame) -> run.Setup:
    import smartmeter_codecs as smc

    data, keys = frame.data, smc.Keys(frame.label)

    def call() -> Any:
        return smc.decode(data, keys=keys)

    try:
        r = call()
    except smc.DecodeError as err:
        raise run.Unsupported(str(err)[:100]) from None
    return call, f"{len(r.registers)} registers (decrypted)"


def pymeterbus(frame: run.Frame) -> run.Setup:
    import meterbus

    data = frame.data

    def call() -> Any:
        return meterbus.load(data).interpreted

    try:
        out = call()
    except Exception as err:  # noqa: BLE001 - reported in the table
        raise run.Unsupported(f"{type(err).__name__}: {str(err)[:80]}") from None
    body = out.get("body", {}) if isinstance(out, dict) else {}
    return call, f"dict with {len(body.get('records', []))} records"


def pymeterbus_w(frame: run.Frame) -> run.Setup:
    import meterbus

    data = frame.data

    def call() -> Any:
        return meterbus.load(data)

    try:
        out = call()
    except Exception as err:  # noqa: BLE001
        raise run.Unsupported(f"{type(err).__name__}: {str(err)[:80]}") from None
    return call, f"{type(out).__name__} (header parse, no decryption)"


def pymbusparser(frame: run.Frame) -> run.Setup:
    """The one wM-Bus peer that decrypts: Python bindings of the Rust m-bus-parser (compiled,
    so not a pure-Python peer; its dicts are what a Python caller gets)."""
    import pymbusparser as mp

    data, key = frame.data, bytes.fromhex(frame.label)

    def call() -> Any:
        return mp.parse(data, key=key)

    try:
        out = call()
    except Exception as err:  # noqa: BLE001 - reported in the table
        raise run.Unsupported(f"{type(err).__name__}: {str(err)[:80]}") from None
    return call, f"dict with {len(out.get('records') or [])} records (decrypted)"


def floor_aes(frame: run.Frame) -> run.Setup:
    """AES-CBC of the payload after the 15-byte header and the CRC checks of a format-A frame."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from smartmeter_codecs.mbus.crc import crc16_en13757

    data, key = frame.data, bytes.fromhex(frame.label)
    iv = data[2:10] + bytes([data[11]]) * 8     # shape of the OMS mode-5 IV (M, A, then ACC x8)

    def call() -> Any:
        blocks = [data[0:10]] + [data[i:i + 16] for i in range(12, len(data) - 2, 18)]
        ok = crc16_en13757(blocks[0]) >= 0 and all(crc16_en13757(b) >= 0 for b in blocks[1:])
        payload = b"".join(blocks[1:])
        n = len(payload) // 16 * 16
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        return ok, dec.update(payload[:n]) + dec.finalize()

    call()
    return call, "AES-CBC of the payload + DLL CRCs (no parse)"


def dsmr_parser(frame: run.Frame) -> run.Setup:
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    logging.getLogger("dsmr_parser").setLevel(logging.CRITICAL)
    spec_name, has_crc = frame.label.split()[0], "with CRC" in frame.label
    parser = TelegramParser(getattr(telegram_specifications, spec_name), apply_checksum_validation=has_crc)
    text = frame.data.decode("latin-1")

    def call() -> Any:
        return parser.parse(text)

    try:
        out = call()
    except Exception as err:  # noqa: BLE001
        raise run.Unsupported(f"{type(err).__name__}: {str(err)[:80]}") from None
    return call, f"{len(out)} objects ({spec_name}, checksum validation {'on' if has_crc else 'off'})"


SUITES = {
    "mbus": (mbus_frames, {"ours": ours, "pymeterbus": pymeterbus}, [("pymeterbus", "ours")], 5.0),
    "wmbus": (wmbus_frames, {"ours": ours_wmbus, "pymbusparser": pymbusparser, "pymeterbus-w": pymeterbus_w,
                             "floor-aes": floor_aes},
              [("pymbusparser", "ours"), ("pymeterbus-w", "ours"), ("floor-aes", "ours")], 3.0),
    "p1": (p1_frames, {"ours": ours, "dsmr-parser": dsmr_parser}, [("dsmr-parser", "ours")], 3.0),
}


def goal_line(name: str, frames: list[run.Frame], results: dict, peer: str, goal: float) -> str:
    ratios = [r for r in (run._ratio(results[f.id], peer, "ours") for f in frames) if r is not None]
    if not ratios:
        return f"* {name}: {peer} decodes none of the frames"
    hits = sum(r >= goal for r in ratios)
    verdict = "met on every frame" if hits == len(ratios) else f"met on {hits} of {len(ratios)} frames"
    return f"* {name}, {goal:g}x {peer} / ours: {verdict} (min {min(ratios):.2f}x, max {max(ratios):.2f}x)"


def run_suite(name: str, repeat: int, sample_ms: float, warmup: int) -> str:
    make, registry, ratios, goal = SUITES[name]
    frames = make()
    libs = list(registry)
    results = run.measure(frames, libs, repeat, sample_ms, warmup, registry=registry)
    out = [f"### {name}", "", run.table(frames, results, libs, ratios), ""]
    out.append(goal_line(name, frames, results, ratios[0][0], goal))
    if name == "p1":
        for crc in (True, False):
            sub = [f for f in frames if ("with CRC" in f.label) == crc]
            out.append(goal_line(f"p1 {'with' if crc else 'without'} CRC", sub, results, "dsmr-parser", goal))
    out += ["", "What each library returned:", "", run.notes(frames, results), ""]
    return "\n".join(out)


# --- streams ----------------------------------------------------------------------------

def stream_inputs() -> dict[str, bytes]:
    dlms = [run.Frame(f.id, "", f.data, (), None) for f in run.load_frames()]
    mbus = [f.data for f in mbus_frames()]
    p1 = [f.data for f in p1_frames() if b"!" in f.data]
    target = 256 * 1024
    out = {}
    for name, frames in (("dlms", [f.data for f in dlms]), ("mbus", mbus), ("p1", p1)):
        one = b"".join(frames)
        out[name] = one * (target // len(one) + 1)
    return out


def run_streams(rounds: int = 3) -> str:
    import smartmeter_codecs as smc

    lines = ["### streams (4 KiB chunks)", "",
             f"| format | input | readings | MB/s (CPU time, best of {rounds}) | goal |", "|---|---|---|---|---|"]
    goals = {"dlms": 10.0, "mbus": 5.0, "p1": 10.0}
    for name, data in stream_inputs().items():
        chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
        best, count = None, 0
        for _ in range(rounds):
            dec = smc.StreamDecoder(format=name)
            t0 = time.process_time()
            count = 0
            for c in chunks:
                count += sum(1 for _ in dec.feed(c))
            dt = time.process_time() - t0
            best = dt if best is None else min(best, dt)
        mbs = len(data) / best / 1e6
        verdict = "met" if mbs >= goals[name] else "not met"
        lines.append(f"| {name} | {len(data) // 1024} KiB | {count} | {mbs:.2f} | >= {goals[name]:g} MB/s: {verdict} |")
    return "\n".join(lines)


def peer_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in ("pyMeterBus", "dsmr-parser", "pymbusparser", "cryptography"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", nargs="*", default=[*SUITES, "streams"], choices=[*SUITES, "streams"])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--sample-ms", type=float, default=20.0)
    ap.add_argument("--quick", action="store_true", help="3 samples of 5 ms")
    args = ap.parse_args(argv)
    logging.getLogger("smartmeter_codecs").setLevel(logging.WARNING)   # trailing-bytes notes of P1 fixtures
    if args.quick:
        args.repeat, args.sample_ms = 3, 5.0
    print(f"peers: {peer_versions()}\n")
    for name in args.suite:
        if name == "streams":
            print(run_streams(), flush=True)
        else:
            print(run_suite(name, args.repeat, args.sample_ms, 10), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
