"""The real DLMS pushes of fixtures/dlms (plain, encrypted with their published keys, with line
noise around them) as (id, frame bytes, Keys or None), for tests that run every one."""
from __future__ import annotations

import json
import pathlib

import smartmeter_codecs as smc

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms"


def dlms_entries() -> list[tuple[str, bytes, smc.Keys | None]]:
    out = []
    for name in ("corpus_plaintext.json", "more_real_frames.json", "corpus_encrypted.json", "trailing_noise.json"):
        data = json.loads((ROOT / name).read_text())
        for e in data["entries"] if isinstance(data, dict) else data:
            if e.get("hex"):
                keys = None
                if e.get("encryption_key"):
                    keys = smc.Keys(e["encryption_key"], e.get("authentication_key") or None)
                out.append((e["id"], bytes.fromhex(e["hex"]), keys))
    return out
