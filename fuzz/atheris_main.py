"""libFuzzer entry point for one harness (run by ``python -m fuzz.run --engine atheris``).

    python -m fuzz.atheris_main HARNESS [libFuzzer flags and corpus directories]

The fuzz input's first byte picks the key set (:func:`fuzz.harnesses.split_input`); the rest
is the frame. Only the library's modules are instrumented for coverage.
"""
from __future__ import annotations

import sys

import atheris

# Instrument only the library, and every module of it: the registry imports codecs (and
# codecs their inspection and stream modules) lazily, so they are imported inside the block.
# Not instrumented: modules whose instrumented bytecode crashes the interpreter under atheris
# 2.3.0 on CPython 3.11 (segfaults in the `while True` loops of chain2.jsonstream._match_braces
# and p1.codec.parse_telegrams; the same inputs pass uninstrumented; atheris' 3.11 loop
# instrumentation has known defects, google/atheris#57 and #90): a tooling defect, not one of
# the library. fuzz/run.py also drops any crash that does not reproduce without atheris.
_NOT_INSTRUMENTED = ["smartmeter_codecs.chain2.jsonstream", "smartmeter_codecs.p1.codec"]
with atheris.instrument_imports(include=["smartmeter_codecs"], exclude=_NOT_INSTRUMENTED):
    import smartmeter_codecs as smc
    from smartmeter_codecs._registry import available_codecs

    for _codec in available_codecs():
        try:
            _codec.inspect(b"\x00", keys=None, profile=None)
            _codec.stream(keys=None, profile=None)
        except Exception:  # noqa: BLE001,S110 - only the imports matter here
            pass
    from .seeds import all_seeds, keysets
    for _keys, _data in all_seeds():   # reach the modules imported on first use (encoders, P1 in DLMS...)
        for _fmt in (None, *[c.name for c in available_codecs()]):
            try:
                smc.inspect(_data, format=_fmt, keys=_keys)
            except Exception:  # noqa: BLE001,S110 - a broken seed is the fuzzer's job, later
                pass

from .harnesses import HARNESSES, split_input


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in HARNESSES:
        sys.exit(f"usage: python -m fuzz.atheris_main HARNESS [libFuzzer args]; harnesses: {', '.join(HARNESSES)}")
    harness = HARNESSES[sys.argv[1]]
    ks = keysets()

    def one_input(raw: bytes) -> None:
        keys, data = split_input(raw, ks)
        harness(data, keys)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
