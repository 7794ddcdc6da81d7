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


def test_init_has_the_dataclass_signature_and_sets_every_field() -> None:
    """Reading.__init__ is written with the slots' own setters (model._slot_init, issue 16):
    the dataclass's parameters, defaults and annotations, every field set, frozen after."""
    import inspect

    fields = dataclasses.fields(Reading)
    params = list(inspect.signature(Reading).parameters.values())
    assert [(p.name, p.default) for p in params] == [
        (f.name, inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default) for f in fields]
    assert set(Reading.__init__.__annotations__) == {f.name for f in fields} | {"return"}
    for i, f in enumerate(fields):
        marker = object()
        r = Reading("dlms", **{f.name: marker}) if f.name != "format" else Reading(marker)  # type: ignore[arg-type]
        assert getattr(r, f.name) is marker
        assert all(getattr(r, g.name) == g.default for g in fields if g.name not in (f.name, "format"))
    positional = Reading(*[f"v{i}" for i in range(len(fields))])       # type: ignore[arg-type]
    assert [getattr(positional, f.name) for f in fields] == [f"v{i}" for i in range(len(fields))]
    with pytest.raises(TypeError):
        Reading()                                                        # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Reading("p1", no_such_field=1)                                   # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Reading("p1").quality = "x"                                      # type: ignore[misc]
