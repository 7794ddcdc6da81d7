"""Crash fixtures: an input that broke a harness, kept as JSON and replayed by the test suite.

``fuzz/crashes/<harness>-<sha1 prefix>.json``::

    {"harness": "decode-dlms", "kind": "crash" | "timeout" | "oom",
     "keys": null | {"encryption_key": hex, "authentication_key": hex, "system_title": hex},
     "data": hex, "found_by": "atheris" | "hypothesis" | "findings.json", "note": text}
"""
from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

import smartmeter_codecs as smc

__all__ = ["CRASHES", "load", "save", "keys_to_json"]

CRASHES = pathlib.Path(__file__).resolve().parent / "crashes"


def keys_to_json(keys: smc.Keys | None) -> dict[str, str | None] | None:
    if keys is None:
        return None
    return {name: (getattr(keys, name).hex() if getattr(keys, name) is not None else None)
            for name in ("encryption_key", "authentication_key", "system_title")}


def _keys(doc: dict[str, Any] | None) -> smc.Keys | None:
    return None if doc is None else smc.Keys(**doc)


def load() -> list[tuple[str, dict[str, Any], smc.Keys | None, bytes]]:
    """(file name, document, keys, data) of every crash fixture, sorted by name."""
    out = []
    for path in sorted(CRASHES.glob("*.json")):
        doc = json.loads(path.read_text())
        out.append((path.name, doc, _keys(doc.get("keys")), bytes.fromhex(doc["data"])))
    return out


def save(harness: str, keys: smc.Keys | None, data: bytes, *, kind: str, found_by: str, note: str = "") -> pathlib.Path:
    """Write a crash fixture (idempotent: the name is derived from the input)."""
    CRASHES.mkdir(exist_ok=True)
    digest = hashlib.sha1(repr((harness, keys_to_json(keys), data)).encode()).hexdigest()[:12]
    path = CRASHES / f"{harness}-{digest}.json"
    doc = {"harness": harness, "kind": kind, "keys": keys_to_json(keys), "data": data.hex(),
           "found_by": found_by, "note": note}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path
