"""Decode shipped German SML fixtures: an EMH frame, its layer tree, the DZG sign-bug profile, a
PIN-less reading, an IR-head byte stream with a corrupted frame in it, and a frame built by the
encoder (meter simulator).

Run: python examples/sml_decode.py
"""
from __future__ import annotations

import json
import pathlib

import smartmeter_codecs as smc

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml" / "corpus.json"
ENTRIES = {e["id"]: e for e in json.loads(FIXTURES.read_text())["entries"]}


def frame(entry_id: str) -> bytes:
    return bytes.fromhex(ENTRIES[entry_id]["data"])


# An EMH eHZ push (Apollon77/smartmeter-obis test data), autodetected by its start sequence.
emh = frame("sml-smartmeter-obis-emh")
reading = smc.decode(emh)
print(f"sml-smartmeter-obis-emh  (source: {ENTRIES['sml-smartmeter-obis-emh']['source']})")
print(reading)
print(f"status word of 1.8.0: 0x{reading.register('1-0:1.8.0').extra['status']:X}")
print()
print("Layer tree:")
print(smc.inspect(emh))
print()

# DZG DVS74 with the known sign bug: by default the power is withheld and quality says why.
dzg = frame("sml-libsml-testing-dzg-dvs74-wrong-sign")
print("DZG default:  ", smc.decode(dzg).active_power_import, "|", smc.decode(dzg).quality)
fixed = smc.decode(dzg, profile="dzg-dvs74")
print("DZG corrected:", fixed.active_power_import, "W")
print()

# Without the customer PIN the meter sends whole kWh and no power: power is unknown, not 0 W.
nopin = smc.decode(frame("sml-libsml-testing-holley-dtz541-bdba-nopin"))
print("Holley no PIN:", nopin.active_energy_import, "Wh, power", nopin.active_power_import, "|", nopin.quality)
print()

# The IR head's bytes (9600 8N1): noise, a frame that lost bytes on the optical link, good frames.
stream = b"\x00\x17noise" + frame("sml-libsml-testing-dzg-dwsb20-corrupted") + frame("sml-libsml-testing-dzg-dwsb20-neg-2byte") + emh
decoder = smc.StreamDecoder(format="sml")
for i in range(0, len(stream), 64):
    for item in decoder.feed(stream[i:i + 64]):
        if isinstance(item, smc.Reading):
            print(f"stream: meter {item.meter_id}: import {item.active_power_import} W, export {item.active_power_export} W")
        else:
            print(f"stream: {type(item).__name__}: {item}")
print()

# The encoder writes a file a pushing meter would send, with correct CRCs.
sim = smc.Reading(format="sml", meter_id="1EMH0012345678", active_energy_import=1234567.8,
                  active_power_import=0.0, active_power_export=2300.0, voltage_l1=231.2)
data = smc.encode(sim, format="sml")
print(data.hex(" ").upper())
print(smc.decode(data))
