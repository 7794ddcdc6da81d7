"""Reading.replace (issue 16: without dataclasses.replace's per-call field walk) gives what
dataclasses.replace gives, on real Readings of every sample format."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.model import Reading

SAMPLES = sorted(p for p in (Path(__file__).resolve().parent.parent / "fixtures" / "samples").iterdir()
                 if p.is_file() and not p.name.lower().startswith("readme") and p.suffix != ".md")


def _readings() -> list[Reading]:
    out = []
    for p in SAMPLES:
        try:
            out += smc.decode_all(p.read_bytes())
        except (smc.DecodeError, ValueError):
            continue
    return out


def test_replace_is_dataclasses_replace() -> None:
    readings = _readings()
    assert len(readings) >= 5
    changes = [{}, {"quality": "x"}, {"timestamp": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "meter_id": "1"},
               {"registers": ()}, {"active_power_import": 1.5, "profile": None}]
    for r in readings:
        for ch in changes:
            got, want = r.replace(**ch), dataclasses.replace(r, **ch)
            assert got == want and type(got) is Reading
            assert all(getattr(got, f.name) is getattr(want, f.name) for f in dataclasses.fields(Reading))


def test_unknown_field_is_a_type_error_as_before() -> None:
    r = Reading("p1")
    with pytest.raises(TypeError):
        r.replace(no_such_field=1)
    with pytest.raises(TypeError):
        dataclasses.replace(r, no_such_field=1)
