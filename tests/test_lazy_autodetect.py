"""Autodetection imports codecs as it reaches them (issue 16: the first decode() of a frame
imported all the formats, about 200 ms): same codecs, same order, fewer imports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smartmeter_codecs._registry import available_codecs, iter_codecs

ROOT = Path(__file__).resolve().parent.parent


def test_iter_codecs_is_available_codecs_in_order() -> None:
    assert [c.name for c in iter_codecs()] == [c.name for c in available_codecs()]
    assert all(a is b for a, b in zip(iter_codecs(), available_codecs()))


def test_first_autodetected_decode_imports_only_what_it_reaches() -> None:
    frame = json.loads((ROOT / "fixtures" / "mbus" / "corpus.json").read_text())["entries"][5]["hex"]
    code = (
        "import sys, smartmeter_codecs as sc\n"
        f"r = sc.decode(bytes.fromhex({frame!r}))\n"
        "print(r.format)\n"
        "print(sorted(m for m in sys.modules if m.startswith('smartmeter_codecs.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=ROOT).stdout.splitlines()
    assert out[0] == "mbus"
    loaded = out[1]
    # an M-Bus frame is settled by the second sniffer (dlms, then mbus): the platform and
    # gateway formats further down the registry are never imported
    for later in ("smartmeter_codecs.platforms", "smartmeter_codecs.smgw", "smartmeter_codecs.chain2",
                  "smartmeter_codecs.osgp"):
        assert f"'{later}'" not in loaded, later
