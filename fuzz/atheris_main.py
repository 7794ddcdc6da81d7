"""libFuzzer entry point for one harness (run by ``python -m fuzz.run --engine atheris``).

    python -m fuzz.atheris_main HARNESS [libFuzzer flags and corpus directories]

The fuzz input's first byte picks the key set (:func:`fuzz.harnesses.split_input`); the rest
is the frame. Every loaded module is instrumented for coverage after the library (and each
codec, which the registry imports lazily) has been imported.
"""
from __future__ import annotations

import sys

import atheris

import smartmeter_codecs as smc
from smartmeter_codecs._registry import available_codecs

from .harnesses import HARNESSES, split_input
from .seeds import keysets


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in HARNESSES:
        sys.exit(f"usage: python -m fuzz.atheris_main HARNESS [libFuzzer args]; harnesses: {', '.join(HARNESSES)}")
    harness = HARNESSES[sys.argv[1]]
    ks = keysets()
    # import every codec and its lazily imported parts (inspection, streams) before instrumenting
    for codec in available_codecs():
        for call in (lambda: codec.inspect(b"\x00", keys=None, profile=None), lambda: codec.stream(keys=None, profile=None)):
            try:
                call()
            except Exception:  # only the import matters here
                pass
    smc.inspect(b"\x7e")
    atheris.instrument_all()

    def one_input(raw: bytes) -> None:
        keys, data = split_input(raw, ks)
        harness(data, keys)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
