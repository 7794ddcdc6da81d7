"""Decode shipped M-Bus fixtures: a wired electricity meter and a wireless (wM-Bus) one.

Run: python examples/mbus_decode.py
"""
from __future__ import annotations

import json
import pathlib

import smartmeter_codecs as smc

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mbus" / "corpus.json"
ENTRIES = {e["id"]: e for e in json.loads(FIXTURES.read_text())["entries"]}

# A wired M-Bus RSP_UD long frame from an NZR electricity meter (libmbus test frame).
wired = ENTRIES["libmbus:test-frames/nzr_dhz_5_63"]
reading = smc.decode(wired["hex"], format="mbus")
print(f"{wired['id']}  (source: {wired['source']['repo']})")
print(reading)
print()
print("Layer tree of the same frame:")
print(smc.inspect(wired["hex"], format="mbus"))
print()

# A wireless M-Bus telegram (format A, CRCs removed) from an Apator amiplus meter.
wireless = ENTRIES["wmbusmeters:amiplus/MyElectricity6#1"]
reading = smc.decode(wireless["hex"], format="wmbus")
print(f"{wireless['id']}  (source: {wireless['source']['repo']})")
print(f"  import energy {reading.active_energy_import} Wh, power {reading.active_power_import} W, "
      f"voltages {reading.voltage_l1}/{reading.voltage_l2}/{reading.voltage_l3} V at {reading.timestamp}")
