"""Real SML dumps that are not in the shared corpus (fixtures/sml/more_real_frames.json): whole
libsml-testing captures of 5 consecutive frames, decoded in one piece and as a stream."""
from __future__ import annotations

import json
import pathlib

import pytest

import smartmeter_codecs as smc

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml" / "more_real_frames.json").read_text())
DUMPS = {d["id"]: d for d in FIX["dumps"]}
CORPUS = {e["id"]: e for e in json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml"
                                          / "corpus.json").read_text())["entries"]}


@pytest.mark.parametrize("did", sorted(DUMPS))
def test_every_frame_of_the_dump_decodes(did):
    d = DUMPS[did]
    data = bytes.fromhex(d["data"])
    readings = smc.decode_all(data)
    assert len(readings) == d["frames"]
    assert {r.meter_id for r in readings} == {d["stated"]["meter_id"]}
    for obis, (_how, value) in d["stated"]["first"].items():
        assert readings[0].register(obis).value == pytest.approx(value)
    stream = smc.StreamDecoder()
    items = [i for k in range(0, len(data), 29) for i in stream.feed(data[k:k + 29])]
    assert [r.register("1-0:1.8.0").value for r in items] == [r.register("1-0:1.8.0").value for r in readings]


def test_iskra_with_pin_values_frame_by_frame():
    d = DUMPS["libsml-testing-iskra-mt631-h01-with-pin"]
    rs = smc.decode_all(bytes.fromhex(d["data"]))
    assert [r.active_energy_import for r in rs] == pytest.approx(d["stated"]["active_energy_import_Wh"])
    assert [r.active_power_import for r in rs] == d["stated"]["active_power_import_W"]
    assert all(r.active_power_export == 0.0 and r.quality is None for r in rs)


def test_pinless_dump_is_the_same_meter_in_whole_kwh():
    pin = smc.decode(bytes.fromhex(DUMPS["libsml-testing-iskra-mt631-h01-with-pin"]["data"]))
    nopin = smc.decode(bytes.fromhex(DUMPS["libsml-testing-iskra-mt631-h01-without-pin"]["data"]))
    assert nopin.meter_id == pin.meter_id
    assert nopin.active_energy_import == (pin.active_energy_import // 1000) * 1000
    assert nopin.active_power_import is None and nopin.quality.startswith("no-pin")


def test_itron_with_pin_and_the_corpus_pinless_frame_agree():
    pin = smc.decode_all(bytes.fromhex(DUMPS["libsml-testing-itron-openway3hz-with-pin"]["data"]))
    nopin = smc.decode(CORPUS["sml-libsml-testing-itron-openway3hz-nopin"]["data"])
    assert nopin.meter_id == pin[0].meter_id == "1ITR0055046208"
    assert nopin.active_energy_import <= pin[0].active_energy_import
    assert [r.active_power_import for r in pin] == [542.0] * 5
    # the energy register only grows from frame to frame
    energies = [r.active_energy_import for r in pin]
    assert energies == sorted(energies)


def test_dzg_per_phase_sign_bug_outside_the_known_ranges_is_not_silent():
    # vzlogger #544: 36.7.0 = -148.36 W as sent, the reporter sees about +500 W on the meter
    data = bytes.fromhex(DUMPS["vzlogger-issue544-dzg-36.7.0"]["data"])
    r = smc.decode(data)
    assert r.active_power_import_l1 is None and r.active_power_export_l1 is None
    assert "dzg-sign" in r.quality and "+507 W" in r.quality and "no report settles the sign" in r.quality
    fixed = smc.decode(data, profile="dzg-dvs74")
    assert fixed.active_power_import_l1 == pytest.approx(507.0) and fixed.active_power_export_l1 == 0.0
    assert smc.decode(data, profile="dzg-signed").active_power_export_l1 == pytest.approx(148.36)


def test_a_hex_dump_as_posted_in_an_issue_decodes():
    # the issue shows the bytes as "1b 1b 1b 1b 01 ..." lines: text input is hex with blanks
    raw = bytes.fromhex(DUMPS["vzlogger-issue544-dzg-36.7.0"]["data"])
    text = "\n".join(" ".join(f"{b:02x}" for b in raw[i:i + 16]) for i in range(0, len(raw), 16))
    assert smc.decode(text).register("1-0:36.7.0").value == pytest.approx(-148.36)
