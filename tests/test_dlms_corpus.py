"""Every plaintext entry of the real-frame corpus (fixtures/dlms/corpus_plaintext.json).

Default rule: a valid entry decodes to at least one Reading whose registers equal every
OBIS value the source asserts and whose fields equal the source's golden master; an invalid
entry raises (or, for streams, yields) a DecodeError. fixtures/dlms/expectations.json lists
each entry where we deliberately do otherwise, with the reason.
"""
from __future__ import annotations

import json
import math
import pathlib

import pytest

import smartmeter_codecs as smc

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms"
ENTRIES = json.loads((FIX / "corpus_plaintext.json").read_text())["entries"]
EXPECT = json.loads((FIX / "expectations.json").read_text())["entries"]

GOLDEN = {"active_import_W": ("active_power_import", 1), "active_export_W": ("active_power_export", 1),
          "voltage_l1_V": ("voltage_l1", 1), "voltage_l2_V": ("voltage_l2", 1), "voltage_l3_V": ("voltage_l3", 1),
          "current_l1_A": ("current_l1", 1), "current_l2_A": ("current_l2", 1), "current_l3_A": ("current_l3", 1),
          "active_import_counter_kWh": ("active_energy_import", 1000), "meter_id": ("meter_id", None)}


def _same(got, want, rel_tol: float = 1e-9) -> bool:
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=rel_tol, abs_tol=1e-9)
    return got == want


def _stream(data: bytes, fmt: str | None = "dlms") -> tuple[list, list]:
    items = list(smc.StreamDecoder(format=fmt).feed(data))
    for item in items:
        assert isinstance(item, (smc.Reading, smc.DecodeError)), item
    return ([i for i in items if isinstance(i, smc.Reading)], [i for i in items if isinstance(i, smc.DecodeError)])


def test_every_corpus_entry_is_covered():
    ids = {e["id"] for e in ENTRIES}
    assert set(EXPECT) <= ids, set(EXPECT) - ids
    assert len(ENTRIES) >= 80


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_corpus_entry(entry):
    exp = EXPECT.get(entry["id"], {})
    data = bytes.fromhex(entry["hex"])
    profile = exp.get("profile")
    fmt = exp.get("format")
    outcome = exp.get("outcome") or ("stream" if entry["layer"].endswith("stream") else None)
    outcome = outcome or ("readings" if entry["valid"] else "error")

    if outcome == "error":
        err_cls = getattr(smc, exp.get("error", "DecodeError"))
        with pytest.raises(err_cls):
            smc.decode_all(data, format=fmt, profile=profile)
        # a stream never raises: it yields the error (or nothing for pure garbage) and no reading
        readings, _errors = _stream(data, fmt or "dlms")
        assert readings == [] or entry["valid"]
        return
    if outcome == "stream-error":
        readings, errors = _stream(data)
        assert readings == [] and errors
        assert isinstance(errors[-1], getattr(smc, exp["error"]))
        return
    if outcome == "no-readings":
        assert smc.decode_all(data, format=fmt, profile=profile) == []
        with pytest.raises(smc.UnsupportedError):
            smc.decode(data)
        return

    if outcome == "stream":
        readings, errors = _stream(data)
        if not entry["valid"]:
            assert readings == [] and errors
            return
        if "readings" in exp:
            assert len(readings) == exp["readings"]
        if "errors" in exp:
            assert [type(e).__name__ for e in errors] == exp["errors"]
        else:
            assert errors == []
    else:
        readings = smc.decode_all(data, format=fmt, profile=profile)
    assert readings, "a valid entry must give a reading"
    last = readings[-1]
    assert last.format == "dlms"

    checked = 0
    for v in (entry.get("expected") or {}).get("values") or []:
        want, obis = v.get("value"), v.get("obis")
        if not isinstance(want, (int, float)) or isinstance(want, bool) or not obis:
            continue
        reg = last.register(obis)
        assert reg is not None, f"register {obis} missing"
        assert _same(reg.value, want), f"{obis}: got {reg.value!r}, source asserts {want!r}"
        checked += 1
    gm = (entry.get("expected") or {}).get("golden_master") or {}
    if gm.get("decoded"):
        for key, (field, scale) in GOLDEN.items():
            want = gm.get(key)
            if want in (None, "", 0, 0.0) or field in exp.get("skip_golden", ()):
                continue
            got = getattr(last, field)
            want = want if scale is None else want * scale
            # amsreader keeps values as float32: ~7 significant digits
            assert _same(got, want, rel_tol=1e-6), f"{field}: got {got!r}, golden master {want!r}"
            checked += 1
    for field, want in (exp.get("fields") or {}).items():
        got = getattr(last, field)
        if field == "timestamp":
            got = got.isoformat() if got is not None else None
        assert _same(got, want), f"{field}: got {got!r}, expected {want!r}"
        checked += 1
    for key, want in (exp.get("registers") or {}).items():
        reg = last.register(key)
        assert reg is not None and _same(reg.value, want), (key, reg)
        checked += 1
    if checked == 0:
        # nothing numeric asserted by the source: at least every register must be typed and keyed
        assert last.registers and all(r.key for r in last.registers)


def test_kamstrup_norway_default_vs_sweden_profile():
    """The frame cannot tell 10 Wh (NO/DK/CH) from Wh (SE): profile= decides, NO is the default."""
    entry = next(e for e in ENTRIES if e["id"] == "kamstrup-se-list3-hdlc-gh239-2-wh-scaling")
    data = bytes.fromhex(entry["hex"])
    no = smc.decode(data)
    se = smc.decode(data, profile="kamstrup-se")
    assert no.profile == "kamstrup" and se.profile == "kamstrup-se"
    assert no.active_energy_import == 10 * se.active_energy_import
    assert no.current_l1 == se.current_l1  # only energy differs


def test_unknown_profile_is_a_value_error():
    entry = ENTRIES[0]
    with pytest.raises(ValueError):
        smc.decode(entry["hex"], profile="no-such-profile")
