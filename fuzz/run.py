"""The long fuzz run: every harness (or the ones named) for a time budget.

    python -m fuzz.run --minutes 30                     # atheris when installed, else hypothesis
    python -m fuzz.run --minutes 5 --harness decode-dlms --harness stream-auto
    python -m fuzz.run --engine hypothesis --minutes 2
    python -m fuzz.run --list

The budget is split evenly over the harnesses. Each input that breaks a guarantee (an exception
other than DecodeError, a failed check, a hang of more than --timeout seconds, memory beyond
--rss-mb) is written to ``fuzz/crashes/<harness>-<hash>.json``; ``tests/test_fuzz_short.py``
replays every file there, so a crash becomes a regression test once it is fixed. Exit status 1
when new crash files were written. atheris keeps its growing corpus in ``fuzz/out/`` (ignored by
git) so a later run continues where the last stopped.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import resource
import signal
import subprocess
import sys
import time
from typing import Any

from .crashes import CRASHES, save
from .harnesses import HARNESSES, formats_of, split_input
from .seeds import ROOT, keysets, seeds

OUT = pathlib.Path(__file__).resolve().parent / "out"


def _have_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def _seed_corpus(name: str) -> pathlib.Path:
    corpus = OUT / "corpus" / name
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        ks = keysets()
        for i, (keys, data) in enumerate(s for f in formats_of(name) for s in seeds().get(f, ())):
            (corpus / f"seed-{i:04d}").write_bytes(bytes([ks.index(keys)]) + data)
    return corpus


def run_atheris(name: str, seconds: float, args: argparse.Namespace) -> list[pathlib.Path]:
    corpus = _seed_corpus(name)
    prefix = OUT / "artifacts" / f"{name}-"
    prefix.parent.mkdir(parents=True, exist_ok=True)
    found: list[pathlib.Path] = []
    deadline = time.monotonic() + seconds
    ks = keysets()
    while time.monotonic() < deadline - 1 and len(found) < args.max_crashes:
        left = int(deadline - time.monotonic())
        cmd = [sys.executable, "-m", "fuzz.atheris_main", name, str(corpus), f"-max_total_time={max(left, 1)}",
               f"-timeout={args.timeout}", f"-rss_limit_mb={args.rss_mb}", f"-max_len={args.max_len}",
               f"-artifact_prefix={prefix}", "-print_final_stats=1"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        tail = [ln for ln in proc.stderr.splitlines() if ln.startswith(("stat::number_of_executed_units",
                                                                          "==", "#"))][-3:]
        print(f"  atheris {name}: exit {proc.returncode}; " + " | ".join(tail), flush=True)
        artifacts = sorted(prefix.parent.glob(f"{name}-*"))
        if proc.returncode == 0 and not artifacts:
            break
        if not artifacts:   # a failure libFuzzer did not save: show it and stop
            print(proc.stderr[-3000:], file=sys.stderr)
            break
        for art in artifacts:
            kind = art.name[len(name) + 1:].split("-", 1)[0]
            keys, data = split_input(art.read_bytes(), ks)
            note = f"libFuzzer {kind}"
            if kind == "crash":   # replay in this process for the exception text
                try:
                    HARNESSES[name](data, keys)
                except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                    note = f"{type(exc).__name__}: {exc}"
                else:   # e.g. "deadly signal" from outside (a killed process): not a defect of the input
                    print(f"  {art.name} does not reproduce; not kept", flush=True)
                    art.unlink()
                    continue
            found.append(save(name, keys, data, kind=kind, found_by="atheris", note=note[:300]))
            art.unlink()
    return found


class _Timeout(Exception):
    pass


def run_hypothesis(name: str, seconds: float, args: argparse.Namespace) -> list[pathlib.Path]:
    from hypothesis import HealthCheck, Phase, given, settings

    from .strategies import inputs

    harness = HARNESSES[name]
    strategy = inputs(name, max_size=args.max_len)
    found: list[pathlib.Path] = []
    deadline = time.monotonic() + seconds
    last: list[Any] = [None]

    def on_alarm(signum: int, frame: Any) -> None:
        raise _Timeout(f"one input ran longer than {args.timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    runs = 0
    while time.monotonic() < deadline and len(found) < args.max_crashes:
        @settings(max_examples=200, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
        @given(strategy)
        def check(kd: Any) -> None:
            keys, data = kd
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                harness(data, keys)
            except BaseException:
                last[0] = kd
                raise
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            check()
            runs += 200
        except Exception as exc:  # noqa: BLE001 - the minimal failing example was replayed last
            keys, data = last[0]
            kind = "timeout" if isinstance(exc, _Timeout) else "oom" if isinstance(exc, MemoryError) else "crash"
            found.append(save(name, keys, data, kind=kind, found_by="hypothesis",
                              note=f"{type(exc).__name__}: {exc}"[:300]))
            print(f"  hypothesis {name}: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
    print(f"  hypothesis {name}: {runs} examples", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fuzz.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="total budget, split over the harnesses")
    ap.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    ap.add_argument("--harness", action="append", choices=sorted(HARNESSES), help="repeatable; default: all")
    ap.add_argument("--timeout", type=int, default=10, help="seconds one input may take")
    ap.add_argument("--rss-mb", type=int, default=2048, help="memory one run may use")
    ap.add_argument("--max-len", type=int, default=4096, help="longest input")
    ap.add_argument("--max-crashes", type=int, default=3, help="per harness")
    ap.add_argument("--list", action="store_true", help="list the harnesses and their seed counts")
    args = ap.parse_args(argv)
    names = args.harness or list(HARNESSES)
    if args.list:
        for n in HARNESSES:
            print(f"{n}: {sum(len(seeds().get(f, ())) for f in formats_of(n))} seeds")
        return 0
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if _have_atheris() else "hypothesis"
    if engine == "hypothesis":
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = args.rss_mb * 2 ** 20 * 2     # address space, not RSS: leave room for the interpreter
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    per = args.minutes * 60 / len(names)
    print(f"fuzzing {len(names)} harness(es) with {engine}, {per:.0f} s each", flush=True)
    before = set(CRASHES.glob("*.json"))
    found: list[pathlib.Path] = []
    for name in names:
        found += (run_atheris if engine == "atheris" else run_hypothesis)(name, per, args)
    new = [p for p in found if p not in before]
    for p in new:
        print(f"new crash fixture: {p.relative_to(ROOT)}")
    print(f"done: {len(new)} new crash fixture(s)")
    return 1 if new else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
