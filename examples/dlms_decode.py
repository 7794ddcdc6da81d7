"""Decode a real Norwegian Kamstrup HAN frame and print what a wallbox needs from it."""
import pathlib

import smartmeter_codecs as smc

ROOT = pathlib.Path(__file__).resolve().parent.parent
text = (ROOT / "fixtures" / "dlms" / "kamstrup-no-list3-hdlc-em001-1.hex").read_text()
frame = bytes.fromhex("".join(line for line in text.splitlines() if not line.startswith("#")))

reading = smc.decode(frame)                       # autodetects HDLC + DLMS, profile "kamstrup"
print(f"meter {reading.meter_id} ({reading.profile}) at {reading.timestamp}")
print(f"import {reading.active_power_import} W, energy {reading.active_energy_import / 1000:.2f} kWh")
for phase in (1, 2, 3):
    print(f"  L{phase}: {getattr(reading, f'voltage_l{phase}')} V, {getattr(reading, f'current_l{phase}')} A")
print(reading.register("1-1:1.8.0.255"))           # the raw register, with scaler and source type

# The same frame from a Swedish meter counts energy in Wh, not 10 Wh: the frame cannot say so.
swedish = smc.decode(frame, profile="kamstrup-se")
print(f"as a Swedish meter: {swedish.active_energy_import / 1000:.3f} kWh")
