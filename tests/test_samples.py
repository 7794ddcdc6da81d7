"""fixtures/samples: one real frame per format, decoded through the CLI as a new user would."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

SAMPLES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "samples"
FORMATS = {
    "dlms-kamstrup-no-list3.hex": "dlms", "mbus-itron-cyble.hex": "mbus", "wmbus-amiplus.hex": "wmbus",
    "p1-dsmr3-iskra.txt": "p1", "sml-emh.hex": "sml", "chain2-cf20.json": "chain2",
    "smgw-emh-extended.json": "smgw-han", "trudi-taf7.xml": "trudi-xml", "es-cnmc-hourly.csv": "es-csv",
    "dk-eloverblik-timeseries.json": "eloverblik",
}


def test_every_sample_is_listed_and_documented():
    files = {p.name for p in SAMPLES.iterdir() if p.name != "README.md"}
    assert files == set(FORMATS)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_cli_decodes_the_sample_with_its_format_autodetected(name):
    proc = subprocess.run([sys.executable, "-m", "smartmeter_codecs", "decode", str(SAMPLES / name), "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout.splitlines()[0])
    assert first["format"] == FORMATS[name]
    assert first["registers"], "a sample carries values"
