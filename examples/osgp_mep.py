"""OSGP MEP port: decode the MEP Client Developer's Guide example conversation, then let the
sans-I/O MepClient poll a simulated meter (what a wallbox does over the serial port).

Run: python examples/osgp_mep.py
"""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import smartmeter_codecs as smc
from smartmeter_codecs.osgp import MepClient, SimulatedMeter, mep_key, meter_tables

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "osgp" / "corpus.json"
corpus = json.loads(FIX.read_text())

# 1. The guide's RC4-mode examples as one capture (default MAK 01 x 16): the 0x0C answer and its
#    recovery, an ET50 write, an ET52 transaction and the ET53 answers (BT20, BT21, ET11...).
capture = b"".join(bytes.fromhex(v[k]) for v in corpus["mep_rc4_mode"]
                   for k in ("request_frame_hex", "response_frame_hex"))
keys = smc.Keys(authentication_key="01" * 16)
print(smc.inspect(capture, format="osgp-mep", keys=keys))
for r in smc.decode_all(capture, format="osgp-mep", keys=keys):
    print(f"reading with {len(r.registers)} registers, authenticated={r.authenticated}, quality={r.quality}")
print()

# 2. A wallbox's client against a simulated meter: the key as a Danish grid company hands it out
key = mep_key("0123456789ABCDEFGHIJ")
now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
meter = SimulatedMeter(key, tables=meter_tables(smc.Reading(
    format="osgp-mep", timestamp=now, meter_id="57000012345", active_power_import=7360,
    current_l1=10.7, current_l2=10.6, current_l3=10.8, voltage_l1=230.4, voltage_l2=229.9,
    voltage_l3=231.0, frequency=50.0, active_energy_import=4_123_456)))
client = MepClient(key, encrypt=True)
client.start_poll()
while not client.idle:
    answer = meter.receive(client.data_to_send())      # a serial port would sit here
    for event in client.receive_data(answer):
        print(event if isinstance(event, smc.Reading) else f"error: {event}")
print(f"{client.requests_sent} requests (sequence sync, 5 dimension tables, 3 value reads)")
