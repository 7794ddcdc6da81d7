"""Decode real Chain2Gate messages (Italian Open Meter, Chain 2) and print what a wallbox needs."""
import json
import pathlib

import smartmeter_codecs as smc
from smartmeter_codecs.chain2 import SWITCH_OFF_COUNTDOWN_KEY, tariff_band

ROOT = pathlib.Path(__file__).resolve().parent.parent
fixtures = json.loads((ROOT / "fixtures" / "chain2" / "messages.json").read_text())["messages"]
by_id = {e["id"]: e for e in fixtures}

# A real CF20 (contract/identity) captured from a Chain2Gate, as its WebSocket sends it.
cf20 = json.dumps(by_id["rochouse-cf20-2022-02-01"]["raw"])
contract = smc.decode(cf20)                                      # autodetected as "chain2"
print(contract)
print(f"\nmeter {contract.meter_id}, POD {contract.register('chain2:POD').value}: "
      f"contracted {contract.contracted_power:.0f} W, available {contract.available_power:.0f} W")

# A real CF10 monthly closure: energy per tariff band.
cf10 = smc.decode(json.dumps(by_id["rochouse-cf10-2022-02-01"]["raw"]))
bands = {f"F{n}": cf10.register(f"chain2:MonthlyTotalActEnergyF{n}").value / 1000 for n in (1, 2, 3)}
print("January 2022 by band (kWh):", bands)

# An overload warning (CF22, built from the documented structure): shed load now.
warning = smc.decode(json.dumps(by_id["built-cf22"]["raw"]))
countdown = warning.register(SWITCH_OFF_COUNTDOWN_KEY)
print(f"CF22: {warning.active_power_import:.0f} W > {warning.available_power:.0f} W available, "
      f"switch-off in {countdown.value} s")
print("band at that moment:", tariff_band(warning.timestamp))
