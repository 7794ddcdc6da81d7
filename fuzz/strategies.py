"""Hypothesis strategies for the harnesses: fixture seeds, seeds with mutations, raw bytes.

The mutations are the ones coverage-guided fuzzers apply (bit flips, byte sets, inserts,
deletes, truncation, duplication, splicing with another seed), plus a swap of the key set, so
the authentication rule is exercised on every frame.
"""
from __future__ import annotations

from hypothesis import strategies as st

import smartmeter_codecs as smc

from .harnesses import formats_of
from .seeds import Seed, keysets, seeds

__all__ = ["inputs", "mutate"]

_EDIT = st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "cut", "dup", "splice"]),
                  st.integers(0, 1 << 16), st.integers(0, 255), st.integers(1, 64))


def mutate(data: bytes, edits: list[tuple[str, int, int, int]], other: bytes = b"") -> bytes:
    """Apply fuzzer-style edits; positions wrap around the current length."""
    buf = bytearray(data)
    for kind, pos, value, length in edits:
        n = len(buf)
        p = pos % (n + 1)
        if kind == "flip" and n:
            buf[p % n] ^= 1 << (value & 7)
        elif kind == "set" and n:
            buf[p % n] = value
        elif kind == "insert":
            buf[p:p] = bytes([value]) * min(length, 8)
        elif kind == "delete":
            del buf[p:p + length]
        elif kind == "cut":
            del buf[p:]
        elif kind == "dup":
            buf[p:p] = buf[p:p + length]
        elif kind == "splice" and other:
            q = pos % len(other)
            buf[p:] = other[q:q + length * 8] + buf[p:]
    return bytes(buf)


def inputs(harness: str, max_size: int = 400) -> st.SearchStrategy[tuple["smc.Keys | None", bytes]]:
    """(keys, data) for a harness: a seed of its formats, mutated or not, or random bytes."""
    pool: list[Seed] = [s for f in formats_of(harness) for s in seeds().get(f, ())]
    ks = list(keysets())
    seed = st.sampled_from(pool)
    keys_for = st.one_of(st.none(), st.sampled_from(ks))   # None: the seed's own keys

    @st.composite
    def mutated(draw: st.DrawFn) -> tuple["smc.Keys | None", bytes]:
        keys, data = draw(seed)
        swap = draw(keys_for) if draw(st.integers(0, 3)) == 0 else None
        other = draw(seed)[1]
        out = mutate(data, draw(st.lists(_EDIT, min_size=1, max_size=4)), other)
        return (swap if swap is not None else keys), out

    raw = st.tuples(st.sampled_from(ks), st.binary(max_size=max_size))
    return st.one_of(seed, mutated(), raw)
