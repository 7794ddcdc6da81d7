"""The docs build strictly and every example runs (issue 2: both are part of CI)."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_mkdocs_build_strict(tmp_path):
    mkdocs = shutil.which("mkdocs")
    assert mkdocs, "mkdocs is part of the test extra: pip install -e '.[test]'"
    proc = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the API reference is generated from the docstrings: every public name has its entry
    import importlib
    page = (tmp_path / "site" / "reference" / "index.html").read_text()
    for module in ("smartmeter_codecs", "smartmeter_codecs.io", "smartmeter_codecs.charging",
                   "smartmeter_codecs.dataframe", "smartmeter_codecs.fleet"):
        for name in importlib.import_module(module).__all__:
            if name != "__version__":
                assert f'id="{module}.{name}"' in page, f"{module}.{name} missing from docs/reference.md"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example):
    proc = subprocess.run([sys.executable, str(example)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip(), f"{example.name} printed nothing"


def test_cli_help():
    proc = subprocess.run([sys.executable, "-m", "smartmeter_codecs", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "decode" in proc.stdout
