"""The short fuzz run of CI: every harness of ``fuzz/`` on every fixture seed of its formats,
then on seeds with fuzzer-style mutations (40 derandomized hypothesis examples each), and every
crash fixture in ``fuzz/crashes/`` replayed. The long run is ``python -m fuzz.run`` (see
fuzz/README.md); what it finds lands in fuzz/crashes/ and is replayed here.
"""
from __future__ import annotations

import pathlib
import sys

import pytest
from hypothesis import HealthCheck, given, settings

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fuzz/ harnesses live next to the package, not inside it
    sys.path.insert(0, str(ROOT))

import smartmeter_codecs as smc
from fuzz.crashes import load
from fuzz.harnesses import FORMATS, HARNESSES, STREAM_FORMATS, formats_of
from fuzz.seeds import keysets, seeds
from fuzz.strategies import inputs, mutate

CRASHES = load()


def test_every_format_and_entry_point_has_a_seeded_harness() -> None:
    names = {f.name for f in smc.formats()}
    assert names == set(FORMATS) and {"dlms", "mbus", "wmbus", "p1", "chain2", "chain2-alfa"} <= names
    for fmt in names:
        assert seeds().get(fmt), f"no fixture seed for {fmt}"
        assert f"decode-{fmt}" in HARNESSES and f"inspect-{fmt}" in HARNESSES
    assert {"dlms", "mbus", "p1", "chain2"} <= set(STREAM_FORMATS)
    assert {f"stream-{f}" for f in STREAM_FORMATS} | {"decode-auto", "inspect-auto", "stream-auto"} <= set(HARNESSES)
    assert any(k is not None and k.authentication_key for k in keysets())


@pytest.mark.parametrize("name", list(HARNESSES))
def test_harness_holds_on_every_fixture_seed(name: str) -> None:
    harness = HARNESSES[name]
    pool = [s for fmt in formats_of(name) for s in seeds().get(fmt, ())]
    if name in ("inspect-auto", "stream-auto"):
        pool = pool[::3]   # the per-format harnesses see every seed; this keeps CI fast
    for keys, data in pool:
        harness(data, keys)
    assert pool


# derandomized: CI explores the same mutations on every run (reproducible, never flaky); the
# long run (python -m fuzz.run) explores new ones
_SHORT = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", list(HARNESSES))
def test_harness_holds_on_mutated_seeds(name: str) -> None:
    harness = HARNESSES[name]

    @_SHORT
    @given(inputs(name))
    def run(kd: tuple[smc.Keys | None, bytes]) -> None:
        keys, data = kd
        harness(data, keys)
    run()


@pytest.mark.parametrize("name, doc, keys, data", CRASHES, ids=[c[0] for c in CRASHES])
def test_crash_fixture_replays_clean(name: str, doc: dict, keys: smc.Keys | None, data: bytes) -> None:
    assert doc["harness"] in HARNESSES, f"{name}: unknown harness {doc['harness']}"
    HARNESSES[doc["harness"]](data, keys)


def test_crash_fixtures_exist_for_the_entry_points_of_the_critical_finding() -> None:
    harnesses = {doc["harness"] for _, doc, _, _ in CRASHES}
    assert {"decode-dlms", "decode-chain2", "inspect-auto", "stream-dlms"} <= harnesses


def test_mutations_change_inputs_and_stay_bytes() -> None:
    seed = bytes(range(32))
    assert mutate(seed, [("flip", 3, 1, 1)]) == seed[:3] + bytes([seed[3] ^ 2]) + seed[4:]
    assert mutate(seed, [("cut", 10, 0, 1)]) == seed[:10]
    assert mutate(seed, [("splice", 5, 0, 1)], b"\xff" * 20)[:5] == seed[:5]
    assert mutate(b"", [("delete", 0, 0, 4), ("set", 0, 1, 1)]) == b""
