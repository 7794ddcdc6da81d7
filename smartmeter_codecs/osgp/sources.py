"""NES source ids (DG p.204-206) with the unit and scale BT23/BT28 report them in (DG p.207-220).

A source id names what a BT23 summation/demand or a BT28 present value measures; BT22/BT27
list them per entry. ``ratio`` says whether the value is on the secondary side of a current or
voltage transformer: BT28 values "do not incorporate the CT and VT ratios ... unless otherwise
specified" (DG p.215), the "Post CT/VT Ratio" sources do; BT23 values always include them
(DG p.207).
"""
from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

__all__ = ["SOURCES", "Source", "source"]


class Source(NamedTuple):
    description: str
    unit: str | None
    scale: Decimal              # SI value = raw * scale
    field: str | None = None    # the Reading field it fills
    ratio: str | None = None    # "ct", "vt", "ctvt": raw value excludes that transformer ratio


_ONE = Decimal(1)
_MILLI = Decimal("0.001")
_CENTI = Decimal("0.01")

SOURCES: dict[int, Source] = {
    0: Source("Fwd active energy L1L2L3", "Wh", _ONE, "active_energy_import"),
    1: Source("Rev active energy L1L2L3", "Wh", _ONE, "active_energy_export"),
    2: Source("Import reactive energy L1L2L3", "varh", _ONE, "reactive_energy_import"),
    3: Source("Export reactive energy L1L2L3", "varh", _ONE, "reactive_energy_export"),
    4: Source("Power off seconds", "s", _ONE),
    5: Source("Power outage quantity", None, _ONE),
    6: Source("Fwd+Rev active energy L1L2L3", "Wh", _ONE),
    7: Source("Fwd-Rev active energy L1L2L3 (clamped at 0)", "Wh", _ONE),
    8: Source("Fwd active power L1L2L3", "W", _ONE, "active_power_import", "ctvt"),
    9: Source("Rev active power L1L2L3", "W", _ONE, "active_power_export", "ctvt"),
    10: Source("Import reactive power L1L2L3", "var", _ONE, "reactive_power_import", "ctvt"),
    11: Source("Export reactive power L1L2L3", "var", _ONE, "reactive_power_export", "ctvt"),
    12: Source("RMS current L1", "A", _MILLI, "current_l1", "ct"),
    13: Source("RMS current L2", "A", _MILLI, "current_l2", "ct"),
    14: Source("RMS current L3", "A", _MILLI, "current_l3", "ct"),
    15: Source("RMS voltage L1", "V", _MILLI, "voltage_l1", "vt"),
    16: Source("RMS voltage L2", "V", _MILLI, "voltage_l2", "vt"),
    17: Source("RMS voltage L3", "V", _MILLI, "voltage_l3", "vt"),
    18: Source("Power factor L1", None, _MILLI),        # per phase only: Reading.power_factor is total
    19: Source("Frequency", "Hz", _MILLI, "frequency"),
    20: Source("Apparent power L1L2L3", "VA", _ONE, None, "ctvt"),
    21: Source("Power factor L2", None, _MILLI),
    22: Source("Power factor L3", None, _MILLI),
    23: Source("Sin(phase angle) L1", None, _MILLI),
    24: Source("Sin(phase angle) L2", None, _MILLI),
    25: Source("Sin(phase angle) L3", None, _MILLI),
    26: Source("Channel 0 pulse input", None, _ONE),
    27: Source("Channel 1 pulse input", None, _ONE),
    28: Source("Error counter", None, _ONE),
    81: Source("Fwd active power L1L2L3 post CT/VT ratio", "W", _ONE, "active_power_import"),
    82: Source("Rev active power L1L2L3 post CT/VT ratio", "W", _ONE, "active_power_export"),
    83: Source("Import reactive power L1L2L3 post CT/VT ratio", "var", _ONE, "reactive_power_import"),
    84: Source("Export reactive power L1L2L3 post CT/VT ratio", "var", _ONE, "reactive_power_export"),
    104: Source("Q1 reactive power L1L2L3", "var", _ONE, None, "ctvt"),
    105: Source("Q2 reactive power L1L2L3", "var", _ONE, None, "ctvt"),
    106: Source("Q3 reactive power L1L2L3", "var", _ONE, None, "ctvt"),
    107: Source("Q4 reactive power L1L2L3", "var", _ONE, None, "ctvt"),
    108: Source("Q1 reactive energy L1L2L3", "varh", _ONE),
    109: Source("Q2 reactive energy L1L2L3", "varh", _ONE),
    110: Source("Q3 reactive energy L1L2L3", "varh", _ONE),
    111: Source("Q4 reactive energy L1L2L3", "varh", _ONE),
    185: Source("Fwd active power L1", "W", _ONE, "active_power_import_l1", "ctvt"),
    186: Source("Fwd active power L2", "W", _ONE, "active_power_import_l2", "ctvt"),
    187: Source("Fwd active power L3", "W", _ONE, "active_power_import_l3", "ctvt"),
    188: Source("Rev active power L1", "W", _ONE, "active_power_export_l1", "ctvt"),
    189: Source("Rev active power L2", "W", _ONE, "active_power_export_l2", "ctvt"),
    190: Source("Rev active power L3", "W", _ONE, "active_power_export_l3", "ctvt"),
    191: Source("Fwd active power L1 post CT/VT ratio", "W", _ONE, "active_power_import_l1"),
    192: Source("Fwd active power L2 post CT/VT ratio", "W", _ONE, "active_power_import_l2"),
    193: Source("Fwd active power L3 post CT/VT ratio", "W", _ONE, "active_power_import_l3"),
    194: Source("Rev active power L1 post CT/VT ratio", "W", _ONE, "active_power_export_l1"),
    195: Source("Rev active power L2 post CT/VT ratio", "W", _ONE, "active_power_export_l2"),
    196: Source("Rev active power L3 post CT/VT ratio", "W", _ONE, "active_power_export_l3"),
    197: Source("RMS current L1 post CT ratio", "A", _MILLI, "current_l1"),
    198: Source("RMS current L2 post CT ratio", "A", _MILLI, "current_l2"),
    199: Source("RMS current L3 post CT ratio", "A", _MILLI, "current_l3"),
    202: Source("Continuous RMS voltage L1", "V", _MILLI, None, "vt"),
    203: Source("Continuous RMS voltage L2", "V", _MILLI, None, "vt"),
    204: Source("Continuous RMS voltage L3", "V", _MILLI, None, "vt"),
    205: Source("Average RMS voltage L1", "V", _MILLI, None, "vt"),
    206: Source("Average RMS voltage L2", "V", _MILLI, None, "vt"),
    207: Source("Average RMS voltage L3", "V", _MILLI, None, "vt"),
    208: Source("Average fwd active power L1L2L3", "W", _ONE, None, "ctvt"),
    209: Source("Average rev active power L1L2L3", "W", _ONE, None, "ctvt"),
    210: Source("Average fwd active power L1", "W", _ONE, None, "ctvt"),
    211: Source("Average fwd active power L2", "W", _ONE, None, "ctvt"),
    212: Source("Average fwd active power L3", "W", _ONE, None, "ctvt"),
    213: Source("Average rev active power L1", "W", _ONE, None, "ctvt"),
    214: Source("Average rev active power L2", "W", _ONE, None, "ctvt"),
    215: Source("Average rev active power L3", "W", _ONE, None, "ctvt"),
    232: Source("Neutral current", "A", _MILLI, None, "ct"),
    233: Source("Average RMS current L1", "A", _MILLI, None, "ct"),
    234: Source("Average RMS current L2", "A", _MILLI, None, "ct"),
    235: Source("Average RMS current L3", "A", _MILLI, None, "ct"),
    236: Source("Voltage angle A to B", "°", _CENTI),
    237: Source("Voltage angle B to C", "°", _CENTI),
    238: Source("Voltage angle C to A", "°", _CENTI),
    239: Source("Import reactive power L1", "var", _ONE, None, "ctvt"),
    240: Source("Import reactive power L2", "var", _ONE, None, "ctvt"),
    241: Source("Import reactive power L3", "var", _ONE, None, "ctvt"),
    242: Source("Export reactive power L1", "var", _ONE, None, "ctvt"),
    243: Source("Export reactive power L2", "var", _ONE, None, "ctvt"),
    244: Source("Export reactive power L3", "var", _ONE, None, "ctvt"),
    # BT23 summations 15-18 (DG p.210) have no source id in the DG list: pseudo ids
    -1: Source("Apparent energy Q1", "VAh", _ONE),
    -2: Source("Apparent energy Q2", "VAh", _ONE),
    -3: Source("Apparent energy Q3", "VAh", _ONE),
    -4: Source("Apparent energy Q4", "VAh", _ONE),
}
for _q, _sid in enumerate(range(216, 232)):
    _phase = ("L1L2L3", "L1", "L2", "L3")[_q // 4]
    SOURCES[_sid] = Source(f"Apparent power Q{_q % 4 + 1} {_phase}", "VA", _ONE, None, "ctvt")
for _t in range(4):   # T0..T3 tier sources 29..72 (DG p.204-205): 11 per tier
    for _k, (_d, _u) in enumerate((("Fwd active energy", "Wh"), ("Rev active energy", "Wh"),
                                   ("Import reactive energy", "varh"), ("Export reactive energy", "varh"),
                                   ("Power off minutes", "min"), ("Power outage quantity", None),
                                   ("Fwd+Rev active energy", "Wh"), ("Fwd-Rev active energy", "Wh"),
                                   ("Channel 0 pulse input", None), ("Channel 1 pulse input", None),
                                   ("Error counter", None))):
        SOURCES[29 + 11 * _t + _k] = Source(f"T{_t} {_d}", _u, _ONE)


def source(sid: int | None) -> Source | None:
    return None if sid is None else SOURCES.get(sid)
