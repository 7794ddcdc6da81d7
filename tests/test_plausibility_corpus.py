"""No fixture or corpus frame yields an implausible SI value (issue 9 item 8).

Every real frame in ``fixtures/`` (which holds verbatim copies of every entry of the shared
corpus: dlms.json in fixtures/dlms and fixtures/dlms_encrypted, mbus.json in fixtures/mbus,
the P1 entries of p1sml.json in fixtures/p1 and its SML entries in fixtures/sml, chain2.json in
fixtures/chain2) is decoded with
its keys by the codec itself - ``get_codec(name).decode_all`` or the codec's stream, i.e.
*before* the plausibility screen that ``decode`` applies - and every SI field of every Reading
must be plausible (plausibility.implausible_fields). A future layout, profile or scaler that
puts a wrong quantity into a field cannot hide behind the screen.

The exceptions are frames whose sources really send out-of-range values; each is listed in
fixtures/plausibility/allowed.json with the field and the reason, and every listed exception
must still occur (no stale entries).
"""
from __future__ import annotations

import json
import pathlib
from typing import Any, Iterator, NamedTuple

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs import plausibility
from smartmeter_codecs._registry import get_codec
from smartmeter_codecs.api import text_encoding, to_bytes

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
ALLOWED: dict[str, dict[str, Any]] = json.loads((FIX / "plausibility" / "allowed.json").read_text())["entries"]


class Case(NamedTuple):
    key: str                # "<fixture file>:<entry id>"
    fmt: str
    data: bytes
    keys: smc.Keys | None
    stream: bool


def _load(rel: str) -> Any:
    return json.loads((FIX / rel).read_text())


def _keys(ek: str | None, ak: str | None = None) -> smc.Keys | None:
    return smc.Keys(encryption_key=ek, authentication_key=ak) if ek else None


def _dlms_cases() -> Iterator[Case]:
    seen: set[str] = set()
    for rel in ("dlms/corpus_plaintext.json", "dlms/corpus_encrypted.json", "dlms_encrypted/frames.json",
                "dlms/more_real_frames.json", "dlms/trailing_noise.json"):
        for e in _load(rel)["entries"]:
            if e.get("layer") == "gcm_vector" or e["id"] in seen:
                continue          # GCM test vectors carry no push; the same frame once is enough
            seen.add(e["id"])
            yield Case(f"{rel}:{e['id']}", "dlms", bytes.fromhex(e["hex"]),
                       _keys(e.get("encryption_key"), e.get("authentication_key")),
                       str(e.get("layer", "")).endswith("stream"))
    for e in _load("dlms/p1_in_dlms.json")["entries"]:
        k = e.get("keys") or {}
        yield Case(f"dlms/p1_in_dlms.json:{e['id']}", "dlms", to_bytes(e["data"]),
                   _keys(k.get("encryption_key"), k.get("authentication_key")), False)
    for path in sorted((FIX / "dlms").glob("*.hex")):       # '#' lines are provenance comments
        text = "".join(line for line in path.read_text().splitlines() if not line.startswith("#"))
        yield Case(f"dlms/{path.name}", "dlms", to_bytes(text), None, False)


def _mbus_cases() -> Iterator[Case]:
    for e in _load("mbus/corpus.json")["entries"]:
        cat = e.get("category", "")
        fmt = "dlms" if cat == "dlms-over-mbus" else "wmbus" if "wireless" in cat else "mbus"
        yield Case(f"mbus/corpus.json:{e['id']}", fmt, to_bytes(e["hex"]), None, False)
    for e in _load("mbus/link_frames.json")["entries"]:
        yield Case(f"mbus/link_frames.json:{e['id']}", "dlms", to_bytes(e["hex"]), None, False)
    for e in _load("mbus/oms_annex_n.json")["entries"]:
        yield Case(f"mbus/oms_annex_n.json:{e['id']}", e["format"], to_bytes(e["hex"]), _keys(e.get("key")), False)
    for e in _load("mbus/wmbus_encrypted.json")["entries"]:
        yield Case(f"mbus/wmbus_encrypted.json:{e['id']}", "wmbus", to_bytes(e["hex"]), _keys(e.get("key")), False)


    compact = _load("mbus/compact_frames.json")
    for e in compact["entries"]:
        yield Case(f"mbus/compact_frames.json:{e['id']}", "wmbus", to_bytes(e["hex"]), None, False)
    # as captured, one after the other: the compact frames after the full one use its format
    yield Case("mbus/compact_frames.json:(capture)", "wmbus",
               b"".join(to_bytes(e["hex"]) for e in compact["entries"]), None, False)
    unknown = compact["unknown_format"]
    yield Case(f"mbus/compact_frames.json:{unknown['id']}", "wmbus", to_bytes(unknown["hex"]), None, False)


def _text(data: str, fmt: str) -> bytes:
    return to_bytes(data, encoding=text_encoding(get_codec(fmt)))


def _p1_cases() -> Iterator[Case]:
    for e in _load("p1/corpus.json")["entries"]:
        k = e.get("keys") or {}
        data = _text(e["data"], "p1") if e["encoding"] == "text" else to_bytes(e["data"])
        yield Case(f"p1/corpus.json:{e['id']}", "p1", data, _keys(k.get("encryption_key"), k.get("authentication_key")),
                   False)
    for e in _load("p1/more_real_telegrams.json")["entries"]:
        yield Case(f"p1/more_real_telegrams.json:{e['id']}", "p1", _text(e["data"], "p1"), None, False)


def _json_text(body: Any) -> str:
    return body if isinstance(body, str) else json.dumps(body)


def _smgw_format(body: Any) -> str:
    return "trudi-xml" if isinstance(body, str) and body.lstrip("\ufeff \r\n").startswith("<") else "smgw-han"


def _json_cases() -> Iterator[Case]:
    for e in _load("chain2/messages.json")["messages"]:
        yield Case(f"chain2/messages.json:{e['id']}", "chain2", _text(_json_text(e["raw"]), "chain2"), None, False)
    for e in _load("smgw/responses.json")["entries"]:
        fmt = _smgw_format(e["body"])
        yield Case(f"smgw/responses.json:{e['id']}", fmt, _text(_json_text(e["body"]), fmt), None, False)
    yield Case("smgw/trudi-taf7-example.xml", "trudi-xml", (FIX / "smgw" / "trudi-taf7-example.xml").read_bytes(),
               None, False)
    for e in _load("chain2/foreign_json.json")["entries"]:
        if e["corpus"] == "smgw.json":        # cloud.json bodies: no codec reads them (yet)
            fmt = _smgw_format(e["body"])
            yield Case(f"chain2/foreign_json.json:{e['id']}", fmt, _text(_json_text(e["body"]), fmt), None, False)


def _sml_cases() -> Iterator[Case]:
    for e in _load("sml/corpus.json")["entries"]:
        yield Case(f"sml/corpus.json:{e['id']}", "sml", bytes.fromhex(e["data"]), None, False)
    for d in _load("sml/more_real_frames.json")["dumps"]:
        yield Case(f"sml/more_real_frames.json:{d['id']}", "sml", bytes.fromhex(d["data"]), None, True)


def _osgp_cases() -> Iterator[Case]:
    corpus = _load("osgp/corpus.json")
    capture = b"".join(bytes.fromhex(v[k]) for v in corpus["mep_rc4_mode"] for k in ("request_frame_hex", "response_frame_hex"))
    yield Case("osgp/corpus.json:mep_rc4_mode(capture)", "osgp-mep", capture,
               smc.Keys(authentication_key=corpus["mep_rc4_mode"][0]["key_hex"]), False)
    for e in _load("osgp/dg_examples.json")["entries"]:
        if "capture_hex" in e:
            yield Case(f"osgp/dg_examples.json:{e['id']}", "osgp-mep", bytes.fromhex(e["capture_hex"]),
                       smc.Keys(authentication_key=e["key_hex"]) if e["key_hex"] else None, False)


def _platform_cases() -> Iterator[Case]:
    from smartmeter_codecs.platforms import CODECS as PLATFORM_CODECS
    for e in _load("platforms/cloud.json")["entries"]:
        data = e["body"].encode("utf-8")
        fmt = max(PLATFORM_CODECS, key=lambda c: c.sniff(data)).name   # the one that claims it
        yield Case(f"platforms/cloud.json:{e['id']}", fmt, data, None, False)
    for e in _load("platforms/more_real_exports.json")["entries"]:
        yield Case(f"platforms/more_real_exports.json:{e['id']}", e["format"], e["body"].encode("utf-8"), None, False)


def _sample_cases() -> Iterator[Case]:
    # fixtures/samples: one real frame per format (tests/test_samples.py has the formats)
    from test_samples import FORMATS as SAMPLE_FORMATS
    for name, fmt in SAMPLE_FORMATS.items():
        raw = (FIX / "samples" / name).read_bytes()
        data = raw if fmt == "p1" else to_bytes(raw.decode("utf-8"))
        yield Case(f"samples/{name}", fmt, data, None, False)


CASES = [*_dlms_cases(), *_mbus_cases(), *_p1_cases(), *_json_cases(), *_sml_cases(), *_osgp_cases(),
         *_platform_cases(), *_sample_cases()]

# Fixture files that hold no frame a codec decodes (and why); every other file must be walked.
NOT_FRAMES = {
    "charging/scenarios.json": "charge-limit scenarios (Readings written out, no wire data)",
    "charging/reliability_findings.json": "calculator reproducers from the reliability findings (Readings written out, no wire data)",
    "dlms/expectations.json": "per-entry expectations for corpus_plaintext.json",
    "dlms_client/public_frames.json": "DLMS client-session frames (SNRM/UA/AARQ/AARE/GET requests): no meter readings",
    "mbus/disagreements.json": "notes on corpus records where the standard and a source differ",
    "plausibility/allowed.json": "this test's allow-list",
    "streams/findings.json": "stream reproducers of the reliability findings (Python snippets, frames built by encode)",
}


def _readings(case: Case) -> list[smc.Reading]:
    codec = get_codec(case.fmt)
    if case.stream:
        return [i for i in codec.stream(keys=case.keys, profile=None).feed(case.data)
                if isinstance(i, smc.Reading)]
    try:
        return codec.decode_all(case.data, keys=case.keys, profile=None)
    except smc.DecodeError:
        return []             # invalid entries: their typed errors are tested per format


def _implausible(case: Case) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in _readings(case):
        for field, value, _rng in plausibility.implausible_fields(r):
            out.setdefault(field, []).append(value)
    return out


def test_every_fixture_file_is_walked_or_holds_no_frames():
    walked = {c.key.split(":", 1)[0] for c in CASES}
    files = {str(p.relative_to(FIX)) for p in FIX.rglob("*") if p.suffix in (".json", ".hex", ".xml")}
    assert files - walked - set(NOT_FRAMES) == set(), "new fixture file: walk it here or say why it holds no frames"
    assert set(NOT_FRAMES) <= files


def test_every_corpus_entry_has_a_fixture_copy():
    ids = {c.key.split(":", 1)[-1] for c in CASES}
    # shared corpus sizes when the copies were made: dlms.json 101 (minus 2 GCM vectors),
    # mbus.json 176, the P1 part of p1sml.json 75, chain2.json 2
    assert sum(1 for c in CASES if c.key.startswith(("dlms/corpus", "dlms_encrypted/"))) >= 99
    assert sum(1 for c in CASES if c.key.startswith("mbus/corpus.json")) >= 176
    assert sum(1 for c in CASES if c.key.startswith("p1/corpus.json")) >= 75
    assert sum(1 for c in CASES if c.key.startswith("sml/corpus.json")) >= 47     # the SML part of p1sml.json
    assert set(ALLOWED) <= {c.key for c in CASES}, set(ALLOWED) - {c.key for c in CASES}
    assert len(ids) > 400


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_no_si_field_is_implausible(case: Case):
    bad = _implausible(case)
    allowed = ALLOWED.get(case.key, {})
    unexpected = {f: v for f, v in bad.items() if f not in allowed.get("fields", ())}
    assert not unexpected, f"{case.key}: implausible {unexpected} (raw codec output, before the screen)"
    stale = set(allowed.get("fields", ())) - set(bad)
    assert not stale, f"{case.key}: allowed.json lists {stale}, which no longer occur"


def test_allowed_entries_have_reasons():
    for key, entry in ALLOWED.items():
        assert entry["fields"] and len(entry["reason"]) > 40, key
        assert all(f in plausibility.RANGES for f in entry["fields"]), key


def test_the_screen_removes_exactly_the_allowed_fields():
    # the public API never returns them: decode_all screens what the codec sends
    for case in CASES:
        if case.key not in ALLOWED or case.stream:
            continue
        for r in smc.decode_all(case.data, format=case.fmt, keys=case.keys):
            assert plausibility.implausible_fields(r) == []
            for field in ALLOWED[case.key]["fields"]:
                assert getattr(r, field) is None


def test_the_walk_really_decodes():
    # a walker that silently decoded nothing would pass the per-case test: the fixtures give
    # about 900 Readings (the 559-frame Kaifa stream among them)
    assert sum(len(_readings(c)) for c in CASES) > 800
