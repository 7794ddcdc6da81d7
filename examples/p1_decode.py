"""Decode shipped DSMR P1 fixtures: a Dutch DSMR 5 telegram, its layer tree, a byte stream with
a broken telegram in it, and a telegram built by the encoder (meter simulator).

Run: python examples/p1_decode.py
"""
from __future__ import annotations

import json
import pathlib

import smartmeter_codecs as smc

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "p1" / "corpus.json"
ENTRIES = {e["id"]: e for e in json.loads(FIXTURES.read_text())["entries"]}

# A DSMR 5.0 Iskra telegram (ndokter/dsmr_parser TELEGRAM_V5): text with CR LF line ends.
v5 = ENTRIES["p1-dsmr_parser-telegram_v5"]
telegram = v5["data"].encode("latin-1")
reading = smc.decode(telegram)            # autodetected as "p1"
print(f"{v5['id']}  (source: {v5['source']})")
print(reading)
gas = reading.register("0-1:24.2.1")
print(f"gas (M-Bus channel {gas.extra['channel']}): {gas.value} {gas.unit} at {gas.extra['timestamp']}")
print()
print("Layer tree:")
print(smc.inspect(telegram, format="p1"))
print()

# A serial stream: noise, a telegram with a wrong CRC, then the good one, in 64-byte chunks.
bad = ENTRIES["p1-dsmr_parser-v5-checksum-invalid"]["data"].encode("latin-1")
stream = b"\x00\xff noise " + bad + telegram
decoder = smc.StreamDecoder(format="p1")
for i in range(0, len(stream), 64):
    for item in decoder.feed(stream[i:i + 64]):
        if isinstance(item, smc.Reading):
            print(f"stream: reading at {item.timestamp}, import {item.active_power_import} W")
        else:
            print(f"stream: {type(item).__name__}: {item}")
print()

# The encoder writes a DSMR 5 telegram with a correct CRC.
sim = smc.Reading(format="p1", meter_id="SIM0001", tariff="T1", active_energy_import=1234567.0,
                  active_power_import=2300.0, voltage_l1=231.2, current_l1=10.0)
print(smc.encode(sim, format="p1").decode("ascii"))
