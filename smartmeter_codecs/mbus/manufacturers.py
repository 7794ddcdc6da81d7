"""Manufacturer conventions the standard leaves open, as data.

Some electricity meters mark the phase of a value with a manufacturer-specific VIFE (``FF n``
after the VIF) instead of the EN 13757-3:2018 combinable extension ``FC 01..03``. The values
stay registers either way; this table only lets the typed Reading fields (per-phase power,
voltage, current) use them. Each row names where the convention was verified.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["PHASE_CONVENTIONS", "PhaseConvention"]


@dataclass(frozen=True, slots=True)
class PhaseConvention:
    """``FF n`` manufacturer VIFE -> phase (1..3) or ``None`` for the total of all phases."""

    quantities: frozenset[str]
    phases: Mapping[int, int | None] = field(default_factory=dict)
    source: str = ""


_SAIA_FAMILY = PhaseConvention(
    frozenset({"power", "voltage", "current"}), {0x00: None, 0x01: 1, 0x02: 2, 0x03: 3},
    "Saia-Burgess ALE3 / Eltako DSZ15D family: libmbus test frame SBC_Saia-Burgess-ALE3; wmbusmeters "
    "eltako driver test (FD C8 FF 0n voltage Ln-N, FD DA FF 0n current Ln, A9 FF 0n power Ln, "
    "A9 FF 00 total power)")

PHASE_CONVENTIONS: dict[str, PhaseConvention] = {
    "SBC": _SAIA_FAMILY,
    "ELT": _SAIA_FAMILY,
    "SEC": PhaseConvention(
        frozenset({"power", "voltage", "current"}), {0x01: 1, 0x02: 2, 0x03: 3},
        "Schneider Electric iEM3000: wmbusmeters iem3000 driver tests (FD DC FF 0n current Ln, FD C9 FF 0n "
        "voltage Ln-N, AE FF 0n power Ln; FF 00 / FF 04 averages, FF 05-07 line-to-line are not phases)"),
}
