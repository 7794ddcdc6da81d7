"""How much may the wallbox draw right now? A Reading, a Site, a Charger -> a limit with reasons.

Run: python examples/charging_limit.py
"""
from __future__ import annotations

import datetime as dt

from smartmeter_codecs import Reading
from smartmeter_codecs.charging import Charger, Dimming, Site, available_power, charge_limit

now = dt.datetime(2024, 4, 23, 23, 30)  # a Tuesday night, local time of the site

# An Italian single-phase home: 3 kW contract (3.3 kW available), enrolled in ARERA 541/2020
# (F3 nights, Sundays and holidays: the power of a 5.5 kW contract). 800 W of household load.
italy = Site(country="IT", phases=1, nominal_voltage=230.0, network="TN",
             contracted_power_w=3000.0, flexible_contracted_power_w=5500.0)
reading = Reading(format="chain2", timestamp=now, active_power_import=800.0)
wallbox = Charger(phases=1, min_current_a=6.0, max_current_a=32.0, step_a=1.0)

for when in (now, now.replace(hour=7)):
    limit = charge_limit(reading.replace(timestamp=when), italy, wallbox, now=when)
    print(f"IT {when:%a %H:%M}: {limit.current_a:g} A on {limit.phases} phase(s) = {limit.power_w:.0f} W")
    for reason in limit.reasons:
        print(f"    {reason.text}")

# A German three-phase home with a 25 A main fuse, measured phase currents and a §14a signal.
germany = Site(country="DE", phases=3, main_fuse_a=25.0, safety_margin_a=1.0)
grid = Reading(format="dlms", timestamp=now, current_l1=14.0, current_l2=6.0, current_l3=3.0,
               active_power_import=5290.0)
box = Charger(phases=3, max_current_a=16.0, phase_switching=True, grid_phase=1)
limit = charge_limit(grid, germany, box, now=now)
print(f"DE: {limit.current_a:g} A on {limit.phases} phase(s) "
      f"(grid {'+'.join(f'L{p}' for p in limit.grid_phases)}); "
      f"limited by {', '.join(limit.limited_by)}")
dimmed = charge_limit(grid, germany, box, now=now, dimming=Dimming(mode="direct"))
print(f"DE dimmed (§14a direct): {dimmed.current_a:g} A on {dimmed.phases} phase(s) = {dimmed.power_w:.0f} W")
head = available_power(grid, germany, now=now)
print("DE headroom per phase:", ", ".join(f"L{i + 1} {a:.1f} A" for i, a in enumerate(head.current_a)),
      f"({head.power_w:.0f} W)")
