"""`mypy --strict` accepts the package as users' type checkers see it (issue 11 item 5): the
package ships py.typed, and the configuration is in pyproject.toml ([tool.mypy], strict)."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_py_typed_is_shipped():
    assert (ROOT / "smartmeter_codecs/py.typed").is_file()


def test_mypy_strict_finds_no_errors(tmp_path):
    # a fresh cache: the result does not depend on an earlier run (a few seconds)
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("Success: no issues found")
