"""PV surplus charging with 1p/3p switching, on a simulated clock (no real time passes).

Run: python examples/charging_pv_controller.py
"""
from __future__ import annotations

import datetime as dt

from smartmeter_codecs import Reading
from smartmeter_codecs.charging import ChargeController, Charger, Site

start = dt.datetime(2024, 6, 1, 11, 0, tzinfo=dt.UTC)
now = [start]
site = Site(country="DE", main_fuse_a=35.0)
charger = Charger(phases=3, phase_switching=True)
ctl = ChargeController(site, charger, clock=lambda: now[0], mode="pv")

# PV production ramps up and down; the household uses 400 W; every 30 s one reading.
pv_w = [3000, 3500, 4000, 4500, 5500, 6500, 7000, 7000, 6500, 5000, 4000, 3000, 2000, 1500, 1000, 500,
        500, 500, 500, 500, 500, 500, 500, 500]
ev = (0.0, 0.0, 0.0)
for i, pv in enumerate(pv_w):
    now[0] = start + dt.timedelta(seconds=30 * i)
    # per-phase net power: household on L1, a symmetric 3-phase inverter, the EV on its phases
    net = [(400.0 if p == 0 else 0.0) - pv / 3.0 + 230.0 * ev[p] for p in range(3)]
    fields = {}
    for p, w in enumerate(net, start=1):
        fields[f"current_l{p}"] = abs(w) / 230.0          # meters report magnitudes...
        fields[f"active_power_import_l{p}"] = max(w, 0.0)   # ...and signed powers per phase
        fields[f"active_power_export_l{p}"] = max(-w, 0.0)
    grid_w = sum(net)
    reading = Reading(format="sim", timestamp=now[0], active_power_import=max(grid_w, 0.0),
                      active_power_export=max(-grid_w, 0.0), **fields)
    out = ctl.update(reading, ev)
    print(f"t={30 * i:4d} s  PV {pv:5d} W  grid {grid_w:7.0f} W -> {out.current_a:4.1f} A x {out.phases}p  "
          f"[{', '.join(out.limited_by)}]")
    # the simulated EV follows the setpoint on the phases the charger uses
    ev = tuple(out.current_a if (p + 1) in out.grid_phases else 0.0 for p in range(3))
