"""What standard electricity OBIS codes mean (IEC 62056-6-1 / OBIS, DLMS UA Blue Book 7.5).

Group C (quantity) and D (processing) decide the unit; group A=1 is electricity; group B is
the channel (Kamstrup sends B=1 where others send B=0, so B is ignored when mapping to the
Reading). E=0 is the total, E=1..n tariff registers.
"""
from __future__ import annotations

import functools

from ..obis import ObisCode

__all__ = ["unit_for", "reading_field", "describe", "METER_ID_CODES", "METER_MODEL_CODES", "CLOCK_CODES"]

# C groups (OBIS Blue Book table 17 "Value group C codes - electricity")
_ACTIVE = {1, 2, 15, 16, 21, 22, 35, 36, 41, 42, 55, 56, 61, 62, 75, 76}
_REACTIVE = {3, 4, 5, 6, 7, 8, 23, 24, 25, 26, 27, 28, 43, 44, 45, 46, 47, 48, 63, 64, 65, 66, 67, 68}
_APPARENT = {9, 10, 29, 30, 49, 50, 69, 70}
_CURRENT = {11, 31, 51, 71, 90, 91}
_VOLTAGE = {12, 32, 52, 72, 92}
_PF = {13, 33, 53, 73}
_FREQ = {14}
# D groups: 8 = time integral 1 (energy registers); 7 = instantaneous; 4/5 = averages; 6 = max
_ENERGY_D = {8, 9, 10, 17, 18, 19, 20, 29, 30}

_C_NAMES = {1: "Active power import (+P)", 2: "Active power export (-P)", 3: "Reactive power import (+Q)",
            4: "Reactive power export (-Q)", 5: "Reactive Q1", 6: "Reactive Q2", 7: "Reactive Q3",
            8: "Reactive Q4", 9: "Apparent power import", 10: "Apparent power export", 13: "Power factor",
            14: "Frequency", 21: "Active power import L1", 22: "Active power export L1",
            23: "Reactive power import L1", 24: "Reactive power export L1", 31: "Current L1",
            32: "Voltage L1", 33: "Power factor L1", 41: "Active power import L2",
            42: "Active power export L2", 43: "Reactive power import L2", 44: "Reactive power export L2",
            51: "Current L2", 52: "Voltage L2", 53: "Power factor L2", 61: "Active power import L3",
            62: "Active power export L3", 63: "Reactive power import L3", 64: "Reactive power export L3",
            71: "Current L3", 72: "Voltage L3", 73: "Power factor L3", 91: "Current neutral",
            90: "Current sum"}

_ABSTRACT = {
    (0, 1, 0, 0): "Clock", (0, 96, 1, 0): "Meter serial number", (0, 96, 1, 1): "Device ID 2",
    (0, 96, 1, 7): "Meter type", (0, 42, 0, 0): "COSEM logical device name", (0, 96, 14, 0): "Current tariff",
    (0, 0, 2, 129): "List version identifier", (0, 0, 0, 5): "Meter ID (GS1)", (0, 25, 9, 0): "Push setup",
    (0, 96, 3, 10): "Disconnect control / relay state", (0, 17, 0, 0): "Limiter",
}

METER_ID_CODES = ("0-0:96.1.0.255", "1-1:0.0.5.255", "1-0:0.0.5.255", "0-0:96.1.1.255", "0-0:42.0.0.255")
METER_MODEL_CODES = ("0-0:96.1.7.255", "1-1:96.1.1.255", "1-0:96.1.1.255")
CLOCK_CODES = ("0-0:1.0.0.255", "0-1:1.0.0.255", "1-0:1.0.0.255", "1-1:1.0.0.255")


@functools.lru_cache(maxsize=2048)
def unit_for(obis: ObisCode) -> str | None:
    """The SI unit an electricity register with this code is counted in (scaler aside)."""
    if obis.a != 1:
        return None
    c, d = obis.c, obis.d
    energy = d in _ENERGY_D
    if c in _ACTIVE:
        return "Wh" if energy else "W"
    if c in _REACTIVE:
        return "varh" if energy else "var"
    if c in _APPARENT:
        return "VAh" if energy else "VA"
    if c in _CURRENT:
        return "A"
    if c in _VOLTAGE:
        return "V"
    if c in _FREQ:
        return "Hz"
    return None


_POWER_FIELDS = {1: "active_power_import", 2: "active_power_export", 3: "reactive_power_import",
                 4: "reactive_power_export", 21: "active_power_import_l1", 41: "active_power_import_l2",
                 61: "active_power_import_l3", 22: "active_power_export_l1", 42: "active_power_export_l2",
                 62: "active_power_export_l3", 31: "current_l1", 51: "current_l2", 71: "current_l3",
                 32: "voltage_l1", 52: "voltage_l2", 72: "voltage_l3", 14: "frequency", 13: "power_factor"}
_ENERGY_FIELDS = {1: "active_energy_import", 2: "active_energy_export", 3: "reactive_energy_import",
                  4: "reactive_energy_export"}


@functools.lru_cache(maxsize=2048)
def reading_field(obis: ObisCode) -> str | None:
    """The Reading field an OBIS code fills (instantaneous values and total energies only)."""
    if obis.a != 1 or obis.e != 0:
        return None
    if obis.d == 7:
        return _POWER_FIELDS.get(obis.c)
    if obis.d == 8:
        return _ENERGY_FIELDS.get(obis.c)
    return None


@functools.lru_cache(maxsize=2048)
def describe(obis: ObisCode) -> str | None:
    """A short human description of a code."""
    if obis.a == 0 or (obis.a == 1 and obis.c == 0) or obis.c == 96:
        return _ABSTRACT.get((0, obis.c, obis.d, obis.e)) or _ABSTRACT.get((obis.a, obis.c, obis.d, obis.e))
    name = _C_NAMES.get(obis.c)
    if name is None:
        return None
    if obis.d in _ENERGY_D:
        name = name.replace("power", "energy")
        if obis.c in (1, 2, 3, 4):
            name = name.replace("(+P)", "(+A)").replace("(-P)", "(-A)").replace("(+Q)", "(+R)").replace(
                "(-Q)", "(-R)")
    if obis.e:
        name += f", tariff {obis.e}"
    if obis.d in (4, 5):
        name += " (average)"
    elif obis.d == 6:
        name += " (maximum)"
    return name
