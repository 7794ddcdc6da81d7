"""Decode German Smart Meter Gateway HAN responses (Theben CONEXA, EMH CASA, TRuDI XML).

The bodies are the shipped corpus copies (fixtures/smgw/responses.json); on a real gateway
they come from smartmeter_codecs.io.smgw_http.SmgwClient (see docs/formats/smgw.md).
"""
import json
import pathlib

import smartmeter_codecs as smc
from smartmeter_codecs.smgw import theben

ROOT = pathlib.Path(__file__).resolve().parent.parent
bodies = {e["id"]: e["body"] for e in json.loads((ROOT / "fixtures/smgw/responses.json").read_text())["entries"]}

# Theben: readings carry no scaler/unit; send usage-point-info with them (a JSON array of both).
upi = bodies["theben-ifgwcon-usage-point-info-spec"]
values = bodies["theben-ifgwcon-readings-spec"]
r = smc.decode(json.dumps([upi, values]))
print(f"Theben spec example: {r.active_energy_import / 1000:.2f} kWh import at {r.timestamp.isoformat()}, "
      f"meter {r.meter_id}; exact register value {r.register('1-0:1.8.0').value} Wh")

# The request a client sends for it (sans-I/O: bytes only, no socket here).
print("request body:", theben.readings_request("01005e318021.taf1-1.sm", last_reading=True).decode())

# EMH: scaler and unit come inline.
emh = smc.decode(json.dumps(bodies["emh-casa-extended-anonymised-fixture"]))
print(f"EMH: import {emh.active_energy_import / 1000} kWh, export {emh.active_energy_export / 1000} kWh, "
      f"power {emh.active_power_import} W")

# TRuDI TAF7 export: a 15-minute series, one Reading per point with interval and delta.
for p in smc.decode_all((ROOT / "fixtures/smgw/trudi-taf7-example.xml").read_bytes()):
    delta = f"+{p.active_energy_import_delta} Wh in {p.interval}" if p.interval else "(first point)"
    print(f"TRuDI {p.timestamp.isoformat()}: {p.active_energy_import} Wh {delta}")
