"""The M-Bus record header plan (issue 16): ``record_register`` takes the key, description and
static ``extra`` of a record from a cache keyed by its DIF/VIF chain. These tests hold it to
the plain construction (the reference below, the code before the cache) on every record of
every real wired frame in fixtures/mbus/corpus.json, fed twice so the second pass reads the
cache, and check that no cached object is shared between registers."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs.mbus import link as _link
from smartmeter_codecs.mbus.application import parse_application
from smartmeter_codecs.mbus.reading import _header_plan, _jsonable, record_register
from smartmeter_codecs.mbus.records import DataRecord
from smartmeter_codecs.model import Register

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "mbus" / "corpus.json"


def reference_register(rec: DataRecord, telegram: int = 0) -> Register:
    """Every part built from the record itself, nothing cached."""
    parts = [f"mbus:{rec.quantity}" if rec.special is None else f"mbus:{rec.special}"]
    if rec.storage:
        parts.append(f"storage{rec.storage}")
    if rec.tariff:
        parts.append(f"tariff{rec.tariff}")
    if rec.subunit:
        parts.append(f"subunit{rec.subunit}")
    if rec.function != "instantaneous":
        parts.append(rec.function)
    if rec.manufacturer_vifes:
        parts.append("mfr" + bytes(rec.manufacturer_vifes).hex())
    extra: dict[str, Any] = {"storage": rec.storage, "tariff": rec.tariff, "subunit": rec.subunit,
                             "function": rec.function, "dib": rec.dib.hex(), "vib": rec.vib.hex(),
                             "data_type": rec.data_type, "data": rec.data.hex(), "telegram": telegram}
    if rec.raw_value is not None and rec.raw_value is not rec.value:
        extra["raw"] = _jsonable(rec.raw_value)
    if rec.combinables:
        extra["combinable"] = [c.key for c in rec.combinables]
    if rec.manufacturer_vifes:
        extra["manufacturer_vifes"] = bytes(rec.manufacturer_vifes).hex()
    if rec.invalid:
        extra["invalid"] = True
    if rec.data_type == "more_records_follow":
        extra["more_records_follow"] = True
    if rec.extension_table:
        extra["table"] = rec.extension_table
    description = rec.description if rec.special is None else rec.info.description
    return Register(":".join(parts), rec.value, rec.unit, None, description, extra)


def _corpus_records() -> list[DataRecord]:
    out: list[DataRecord] = []
    for entry in json.loads(CORPUS.read_text())["entries"]:
        data = bytes.fromhex(entry["hex"])
        try:
            frames = _link.split_frames(data)
        except DecodeError:
            continue
        for f in frames:
            if f.kind != "long" or f.ci is None:
                continue
            try:
                tg = parse_application(f.ci, f.data, f.start + 7)
            except DecodeError:
                continue
            out += tg.records
    return out


RECORDS = _corpus_records()


def test_the_corpus_gives_many_distinct_headers() -> None:
    # the comparison below is only worth something over many different DIF/VIF chains
    assert len(RECORDS) > 1000
    assert len({(r.dib, r.vib) for r in RECORDS}) > 200


@pytest.mark.parametrize("telegram", [0, 2])
def test_same_register_as_the_plain_construction_cold_and_cached(telegram: int) -> None:
    _header_plan.cache_clear()
    for _ in range(2):            # first pass fills the cache, second reads it
        for rec in RECORDS:
            got = record_register(rec, telegram)
            want = reference_register(rec, telegram)
            assert got == want
            assert list(got.extra) == list(want.extra)      # same key order (JSON output)
    assert _header_plan.cache_info().hits > 0


def test_registers_never_share_a_cached_object() -> None:
    rec = next(r for r in RECORDS if r.combinables)
    a, b = record_register(rec), record_register(rec)
    assert a.extra is not b.extra
    assert a.extra["combinable"] is not b.extra["combinable"]
    a.extra["storage"] = "changed by a caller"
    a.extra["combinable"].append("x")
    assert record_register(rec) == reference_register(rec)


def test_the_plan_is_bounded() -> None:
    assert _header_plan.cache_parameters()["maxsize"] == 1024
