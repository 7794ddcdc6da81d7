"""Fuzzing seeds: the real frames of ``fixtures/`` (with their published test keys), per format.

Every seed is ``(keys, data)``: the Keys the fixture gives for that frame (or None) and the
bytes. Simulated frames from ``encode`` are added for formats without captured frames
(Chain 2 Alfa register blocks) and as well-formed starting points for every format.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import pathlib
from typing import Any, Iterator

import smartmeter_codecs as smc

__all__ = ["ROOT", "FIXTURES", "Seed", "seeds", "all_seeds", "keysets"]

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

Seed = tuple["smc.Keys | None", bytes]


def _keys(entry: dict[str, Any]) -> smc.Keys | None:
    k = entry.get("keys") if isinstance(entry.get("keys"), dict) else entry
    ek = k.get("encryption_key") or k.get("key")
    ak = k.get("authentication_key")
    title = k.get("system_title") if isinstance(k.get("system_title"), str) and ek else None
    if not ek and not ak:
        return None
    try:
        return smc.Keys(encryption_key=ek, authentication_key=ak, system_title=title)
    except (TypeError, ValueError):
        return None


def _bytes(entry: dict[str, Any]) -> bytes | None:
    if isinstance(entry.get("hex"), str):
        try:
            return bytes.fromhex(entry["hex"])
        except ValueError:
            return None
    data = entry.get("data")
    if isinstance(data, str):
        if entry.get("encoding") == "hex":
            try:
                return bytes.fromhex(data)
            except ValueError:
                return None
        return data.encode("latin-1", "replace")
    for key in ("raw", "body"):
        if isinstance(entry.get(key), (dict, list)):
            return json.dumps(entry[key]).encode()
        if isinstance(entry.get(key), str):
            return entry[key].encode()
    return None


def _entries(path: pathlib.Path) -> Iterator[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    items = doc if isinstance(doc, list) else next(
        (doc[k] for k in ("entries", "messages", "frames", "dumps") if isinstance(doc.get(k), list)), [])
    yield from (e for e in items if isinstance(e, dict))


# fixture file -> format (None: decided per entry by _format)
_FILES: dict[str, str | None] = {
    "dlms/corpus_plaintext.json": "dlms", "dlms/corpus_encrypted.json": "dlms",
    "dlms/more_real_frames.json": "dlms", "dlms/p1_in_dlms.json": "dlms",
    "dlms_encrypted/frames.json": "dlms", "mbus/link_frames.json": "dlms",
    "mbus/corpus.json": None, "mbus/oms_annex_n.json": None, "mbus/wmbus_encrypted.json": "wmbus",
    "mbus/compact_frames.json": "wmbus",
    "p1/corpus.json": "p1", "p1/more_real_telegrams.json": "p1",
    "chain2/messages.json": "chain2", "chain2/foreign_json.json": None, "smgw/responses.json": None,
    "sml/corpus.json": "sml", "sml/more_real_frames.json": "sml",
    "platforms/cloud.json": None, "platforms/more_real_exports.json": None,
}
_HEX_DATA = ("sml/",)   # files whose "data" is hex without an "encoding" field


def _format(rel: str, entry: dict[str, Any], data: bytes) -> str | None:
    if isinstance(entry.get("format"), str):
        return entry["format"]
    if rel == "mbus/corpus.json":
        cat = str(entry.get("category", ""))
        return "dlms" if cat == "dlms-over-mbus" else "wmbus" if "wireless" in cat else "mbus"
    if rel.startswith("platforms/"):   # platform bodies and exports: the codec that claims it
        from smartmeter_codecs.platforms import CODECS
        return max(CODECS, key=lambda c: c.sniff(data)).name
    # gateway bodies: TRuDI XML or SMGW JSON; other foreign JSON is a negative seed for Chain 2
    if rel == "smgw/responses.json" or entry.get("corpus") == "smgw.json":
        return "trudi-xml" if data.lstrip(b"\xef\xbb\xbf \r\n").startswith(b"<") else "smgw-han"
    return "chain2"


def _simulated() -> Iterator[tuple[str, Seed]]:
    full = smc.Reading(format="sim", meter_id="12345678", active_power_import=1500.0, active_energy_import=1.5e6,
                       voltage_l1=230.1, current_l1=6.5, tariff="T1")
    stamped = full.replace(timestamp=_dt.datetime(2024, 6, 12, 12, 0, tzinfo=_dt.timezone.utc))
    candidates = (full, stamped, full.replace(tariff=None), stamped.replace(tariff=None),
                  smc.Reading(format="sim", active_power_import=1500.0),
                  smc.Reading(format="sim", active_energy_import=1.5e6))
    for fmt in (f.name for f in smc.formats()):
        for r in candidates:   # the richest Reading the format can carry
            try:
                yield fmt, (None, smc.encode(r, format=fmt))
                break
            except ValueError:
                continue
    k = smc.Keys(encryption_key=bytes(range(16)), authentication_key=bytes(range(16, 32)))
    for sc in (0x30, 0x20, 0x10):
        yield "dlms", (k, smc.encode(full, format="dlms", keys=k, security_control=sc))


@functools.lru_cache(maxsize=1)
def seeds() -> dict[str, tuple[Seed, ...]]:
    """Seeds per format name (``formats()``), deduplicated, in a stable order."""
    out: dict[str, dict[bytes, Seed]] = {}

    def add(fmt: str, seed: Seed) -> None:
        k = seed[0]
        ident = seed[1] + b"|" + (bytes(k.encryption_key or b"") + b"|" + bytes(k.authentication_key or b"")
                                  if k is not None else b"")
        out.setdefault(fmt, {}).setdefault(ident, seed)

    for rel, fmt in _FILES.items():
        path = FIXTURES / rel
        if not path.exists():
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        extra = [doc[k] for k in ("unknown_format",) if isinstance(doc, dict) and isinstance(doc.get(k), dict)]
        for entry in [*_entries(path), *extra]:
            if rel.startswith(_HEX_DATA) and isinstance(entry.get("data"), str):
                entry = {**entry, "encoding": "hex"}
            data = _bytes(entry)
            f = fmt or (_format(rel, entry, data) if data else None)
            if data and f:
                add(f, (_keys(entry), data))
    for path in sorted((FIXTURES / "smgw").glob("*.xml")):
        add("trudi-xml", (None, path.read_bytes()))
    for path in sorted((FIXTURES / "dlms").glob("*.hex")):
        text = "".join(ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("#"))
        add("dlms", (None, bytes.fromhex(text)))
    for fmt, seed in _osgp():
        add(fmt, seed)
    for fmt, seed in _simulated():
        add(fmt, seed)
    return {fmt: tuple(v.values()) for fmt, v in out.items()}


def _osgp() -> Iterator[tuple[str, Seed]]:
    """OSGP captures (request and answer frames back to back) with the DG examples' key."""
    path = FIXTURES / "osgp" / "corpus.json"
    if not path.exists():
        return
    c = json.loads(path.read_text(encoding="utf-8"))
    rc4 = c["mep_rc4_mode"]
    k01 = smc.Keys(authentication_key=rc4[0]["key_hex"])
    yield "osgp-mep", (k01, b"".join(bytes.fromhex(v[x]) for v in rc4 for x in ("request_frame_hex", "response_frame_hex")))
    for v in rc4:
        yield "osgp-mep", (k01, bytes.fromhex(v["request_frame_hex"] + v["response_frame_hex"]))
    for e in _entries(FIXTURES / "osgp" / "dg_examples.json"):
        if isinstance(e.get("capture_hex"), str):
            yield "osgp-mep", (smc.Keys(authentication_key=e["key_hex"]) if e.get("key_hex") else None,
                               bytes.fromhex(e["capture_hex"]))
    yield "osgp-optical", (None, b"".join(bytes.fromhex(v["frame_without_crc_hex"] + v["crc_le_hex"]) + b"\x06"
                                          for v in c["c1218_optical_crc"]))


def all_seeds() -> tuple[Seed, ...]:
    return tuple(s for group in seeds().values() for s in group)


@functools.lru_cache(maxsize=1)
def keysets() -> tuple["smc.Keys | None", ...]:
    """Every distinct key set of the seeds, None first (the fuzz input's first byte picks one)."""
    found: dict[tuple[bytes | None, bytes | None, bytes | None], smc.Keys] = {}
    for k, _ in all_seeds():
        if k is not None:
            found.setdefault((k.encryption_key, k.authentication_key, k.system_title), k)
    return (None, *found.values())
