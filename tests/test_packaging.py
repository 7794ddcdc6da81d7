"""Packaging (issue 11 item 6): `python -m build` makes an sdist and a wheel from a copy of the
checkout; the wheel installs into a fresh virtual environment and its CLI decodes a fixture;
the sdist holds what a user expects (tests, fixtures, docs, examples, LICENSE, CHANGELOG).

Kept to seconds: the build runs without isolation (setuptools and wheel come from the test
extra), the venv reuses the installed dependencies (--system-site-packages, --no-deps), and
the suite is not run a second time from the wheel (that would double CI time).
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile

import smartmeter_codecs

ROOT = pathlib.Path(__file__).resolve().parent.parent
FRAME = "fixtures/dlms/kamstrup-no-list3-hdlc-em001-1.hex"
_SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
                               ".benchmarks", "site", ".venv")


def _run(args: list[str], cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # only what is installed
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"{args}: {run.stdout}\n{run.stderr}"
    return run


def test_build_install_and_run_from_the_wheel(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_SKIP)      # the build writes build/ and egg-info: not here
    out = tmp_path / "dist"
    # sdist first, then the wheel built from the unpacked sdist (proves the sdist is complete)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)], tmp_path)
    version = smartmeter_codecs.__version__           # one place: smartmeter_codecs/_version.py
    sdist = out / f"smartmeter_codecs-{version}.tar.gz"
    wheel = out / f"smartmeter_codecs-{version}-py3-none-any.whl"
    assert sdist.is_file() and wheel.is_file(), sorted(p.name for p in out.iterdir())

    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for expected in ("LICENSE", "CHANGELOG.md", "README.md", "mkdocs.yml", "pyproject.toml", "MANIFEST.in",
                     "smartmeter_codecs/py.typed", "tests/test_packaging.py", FRAME, "fixtures/NOTICE.md",
                     "docs/index.md", "docs/live.md", "examples/dlms_decode.py", "fuzz/harnesses.py", "benchmarks/run.py"):
        assert expected in names, f"{expected} missing from the sdist"
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)

    with zipfile.ZipFile(wheel) as whl:
        files = set(whl.namelist())
    assert "smartmeter_codecs/py.typed" in files and "smartmeter_codecs/zones.py" in files
    assert f"smartmeter_codecs-{version}.dist-info/licenses/LICENSE" in files or any(
        f.endswith("/LICENSE") and ".dist-info/" in f for f in files)
    assert not any(f.startswith(("tests/", "fixtures/", "docs/")) for f in files)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)   # dependencies already present
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--quiet", str(wheel)], tmp_path)
    where = _run([str(python), "-c", "import smartmeter_codecs as s; print(s.__file__); print(s.__version__)"],
                 tmp_path).stdout.split()
    assert pathlib.Path(where[0]).is_relative_to(env_dir) and where[1] == version   # the wheel, not the checkout
    shutil.copy(ROOT / FRAME, tmp_path / "frame.hex")
    decoded = _run([str(bindir / "smartmeter-codecs"), "decode", "frame.hex", "--json"], tmp_path)
    reading = json.loads(decoded.stdout.splitlines()[0])
    assert reading["format"] == "dlms" and reading["meter_id"] == "5706567202753025"
    assert reading["timestamp"] == "2021-11-25T23:00:55+01:00"
