"""CI 0x73 fixed data structure (EN 13757-3:2018 Annex G, from EN 1434-3).

16 bytes: identification number (4, BCD), access number, status, medium/unit (2), counter 1
(4), counter 2 (4). Status bit 7: counters are binary (1) or BCD (0); bit 6: stored (1) or
actual (0) values. Medium = bits 7-6 of both medium/unit bytes, the units are bits 5-0.
"""
from __future__ import annotations

from ..errors import FramingError
from .records import DataRecord, _bcd
from .vif import VifInfo

__all__ = ["FIXED_MEDIUM", "FIXED_UNITS", "parse_fixed"]

LAYER = "mbus-app"


def _u(key: str, desc: str, unit: str | None, exponent: int = 0, kind: str = "number") -> VifInfo:
    return VifInfo(key, desc, unit, exponent, 1, kind)


# unit codes (6 bits), EN 1434-3 / EN 13757-3 Annex G table; values scaled to base units
FIXED_UNITS: dict[int, VifInfo] = {
    0x00: _u("time", "Time (h:m:s)", None, 0, "id"), 0x01: _u("date", "Date (D.M.Y)", None, 0, "id"),
    0x02: _u("energy", "Energy", "Wh", 0), 0x03: _u("energy", "Energy", "Wh", 1),
    0x04: _u("energy", "Energy", "Wh", 2), 0x05: _u("energy", "Energy", "Wh", 3),
    0x06: _u("energy", "Energy", "Wh", 4), 0x07: _u("energy", "Energy", "Wh", 5),
    0x08: _u("energy", "Energy", "Wh", 6), 0x09: _u("energy", "Energy", "Wh", 7),
    0x0A: _u("energy", "Energy", "Wh", 8), 0x0B: _u("energy_j", "Energy", "J", 3),
    0x0C: _u("energy_j", "Energy", "J", 4), 0x0D: _u("energy_j", "Energy", "J", 5),
    0x0E: _u("energy_j", "Energy", "J", 6), 0x0F: _u("energy_j", "Energy", "J", 7),
    0x10: _u("energy_j", "Energy", "J", 8), 0x11: _u("energy_j", "Energy", "J", 9),
    0x12: _u("energy_j", "Energy", "J", 10), 0x13: _u("energy_j", "Energy", "J", 11),
    0x14: _u("power", "Power", "W", 0), 0x15: _u("power", "Power", "W", 1),
    0x16: _u("power", "Power", "W", 2), 0x17: _u("power", "Power", "W", 3),
    0x18: _u("power", "Power", "W", 4), 0x19: _u("power", "Power", "W", 5),
    0x1A: _u("power", "Power", "W", 6), 0x1B: _u("power", "Power", "W", 7),
    0x1C: _u("power", "Power", "W", 8), 0x1D: _u("power_j", "Power", "J/h", 3),
    0x1E: _u("power_j", "Power", "J/h", 4), 0x1F: _u("power_j", "Power", "J/h", 5),
    0x20: _u("power_j", "Power", "J/h", 6), 0x21: _u("power_j", "Power", "J/h", 7),
    0x22: _u("power_j", "Power", "J/h", 8), 0x23: _u("power_j", "Power", "J/h", 9),
    0x24: _u("power_j", "Power", "J/h", 10), 0x25: _u("power_j", "Power", "J/h", 11),
    0x26: _u("volume", "Volume", "m3", -6), 0x27: _u("volume", "Volume", "m3", -5),
    0x28: _u("volume", "Volume", "m3", -4), 0x29: _u("volume", "Volume", "m3", -3),
    0x2A: _u("volume", "Volume", "m3", -2), 0x2B: _u("volume", "Volume", "m3", -1),
    0x2C: _u("volume", "Volume", "m3", 0), 0x2D: _u("volume", "Volume", "m3", 1),
    0x2E: _u("volume", "Volume", "m3", 2), 0x2F: _u("volume_flow", "Volume flow", "m3/h", -6),
    0x30: _u("volume_flow", "Volume flow", "m3/h", -5), 0x31: _u("volume_flow", "Volume flow", "m3/h", -4),
    0x32: _u("volume_flow", "Volume flow", "m3/h", -3), 0x33: _u("volume_flow", "Volume flow", "m3/h", -2),
    0x34: _u("volume_flow", "Volume flow", "m3/h", -1), 0x35: _u("volume_flow", "Volume flow", "m3/h", 0),
    0x36: _u("volume_flow", "Volume flow", "m3/h", 1), 0x37: _u("volume_flow", "Volume flow", "m3/h", 2),
    0x38: _u("temperature", "Temperature", "°C", -3), 0x39: _u("hca_units", "Units for HCA", "HCA", 0),
    0x3E: _u("historic", "Same unit as counter 1, historic value", None, 0),
    0x3F: _u("no_unit", "Without unit", None, 0),
}

FIXED_MEDIUM = {0x0: 0x00, 0x1: 0x01, 0x2: 0x02, 0x3: 0x03, 0x4: 0x04, 0x5: 0x05, 0x6: 0x06, 0x7: 0x07,
                0x8: 0x08, 0x9: 0x09, 0xA: 0x0A, 0xB: 0x0B, 0xC: 0x0C, 0xD: 0x0D, 0xE: 0x0E, 0xF: 0x0F}


def parse_fixed(data: bytes, base: int) -> tuple[bytes, int, int, int, list[DataRecord]]:
    """(ident bytes, access number, status, medium, two counter records) of a CI 0x73 payload."""
    if len(data) != 16:
        raise FramingError(LAYER, base + len(data),
                           f"CI 0x73 fixed data structure must be exactly 16 bytes, got {len(data)}")
    ident, access, status, mu = data[0:4], data[4], data[5], data[6:8]
    medium = ((mu[0] & 0xC0) >> 6) | ((mu[1] & 0xC0) >> 4)
    binary = bool(status & 0x80)
    function = "instantaneous"
    records = []
    for i, (unit_code, counter) in enumerate(((mu[0] & 0x3F, data[8:12]), (mu[1] & 0x3F, data[12:16]))):
        info = FIXED_UNITS.get(unit_code, _u("reserved", f"Reserved unit {unit_code:02X}", None, 0, "reserved"))
        if info.key == "historic":
            info = FIXED_UNITS.get(mu[0] & 0x3F, info)
        invalid = False
        raw: int | str
        if binary:
            raw = int.from_bytes(counter, "little", signed=False)
        else:
            raw, ok = _bcd(counter)
            invalid = not ok
        value: int | float | str = raw
        if isinstance(raw, int) and info.kind == "number":
            value = raw * 10 ** info.exponent if info.exponent >= 0 else raw / 10 ** (-info.exponent)
        start = base + 8 + 4 * i
        storage = 1 if (i == 1 and (mu[1] & 0x3F) == 0x3E) or status & 0x40 else 0
        records.append(DataRecord(start, start + 4, start, 0x0C if not binary else 0x04, (), None, (), None,
                                  bytes(counter), "bcd" if not binary else "int", function, storage, 0, 0, info,
                                  raw_value=raw, value=value, unit=info.unit if not invalid else None,
                                  invalid=invalid, extension_table="fixed"))
    return bytes(ident), access, status, FIXED_MEDIUM.get(medium, medium), records
