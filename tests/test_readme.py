"""The README's Python examples do what their comments say (issue 11 item 5): the charge-limit
example runs on the shipped frame, and its last line's value equals the value in its comment."""
from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def _charge_block() -> str:
    found = [b for b in BLOCKS if "charge_limit(" in b]
    assert len(found) == 1, "the README has one charge-limit example"
    return found[0]


def test_readme_charge_limit_example_gives_its_comment(monkeypatch):
    lines = _charge_block().rstrip("\n").split("\n")
    *body, last = lines
    expr, _, comment = last.partition("#")
    expected = ast.literal_eval(comment.strip())
    monkeypatch.chdir(ROOT)           # the example names the fixture relative to the checkout
    namespace: dict[str, object] = {}
    exec(compile("\n".join(body), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    got = eval(compile(expr.strip(), "README.md", "eval"), namespace)
    assert got == expected


def test_readme_python_blocks_compile():
    # the snippets that need a meter or a frame of the reader's own cannot run, but they must
    # at least be valid Python with names that exist in the package
    assert BLOCKS
    for block in BLOCKS:
        compile(block, "README.md", "exec")
    import smartmeter_codecs as smc
    for name in re.findall(r"\bsmc\.(\w+)", README):
        assert hasattr(smc, name), f"README uses smc.{name}, which the package does not have"


def test_no_references_to_files_outside_the_repository():
    # issue 11 item 5: the docs, README, docstrings and examples name public sources or files
    # in this repository, never the development machine's shared notes
    outside = re.compile(r"\.\./shared|/work/|shared/(?:corpus|research|specs|DESIGN)|research/[\w-]+\.md|"
                         r"\bDESIGN\.md")
    files = [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *ROOT.glob("examples/**/*.py"),
             *ROOT.glob("smartmeter_codecs/**/*.py"), *ROOT.glob("fixtures/*/README.md"), ROOT / "fixtures/NOTICE.md"]
    hits = [f"{f.relative_to(ROOT)}:{n}: {line.strip()}" for f in files
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert hits == []
