"""Available power and charge limit: how much current may the wallbox draw right now.

>>> from smartmeter_codecs import Reading
>>> from smartmeter_codecs.charging import Site, Charger, charge_limit
>>> site = Site(country="IT", phases=1, contracted_power_w=3000.0)
>>> r = Reading(format="demo", active_power_import=1200.0)
>>> limit = charge_limit(r, site, Charger(phases=1))
>>> limit.current_a, limit.reasons[0].code.value
(9.0, 'contract')

See docs/charging.md for the rules, their sources and what is not covered.
"""
from __future__ import annotations

from .controller import ChargeController, Mode
from .household import Household, measure
from .limit import ChargeLimit, Headroom, amps_to_watts, available_power, charge_limit, watts_to_amps
from .lpc import LpcState, LpcWatchdog
from .ocpp import ocpp_amps_to_watts, ocpp_watts_to_amps
from .reasons import Reason, ReasonCode
from .rules import GENERIC, RULES, CapacityRule, CountryRules, rules_for
from .site import CapacityState, Charger, Dimming, Site

__all__ = [
    "GENERIC",
    "RULES",
    "CapacityRule",
    "CapacityState",
    "ChargeController",
    "ChargeLimit",
    "Charger",
    "CountryRules",
    "Dimming",
    "Headroom",
    "Household",
    "LpcState",
    "LpcWatchdog",
    "Mode",
    "Reason",
    "ReasonCode",
    "Site",
    "amps_to_watts",
    "available_power",
    "charge_limit",
    "measure",
    "ocpp_amps_to_watts",
    "ocpp_watts_to_amps",
    "rules_for",
    "watts_to_amps",
]
