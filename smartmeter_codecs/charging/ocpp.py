"""OCPP 1.6 / 2.0.1 charging-rate unit conversions (docs/charging.md).

``chargingRateUnit`` ``A`` is per phase, ``W`` is the total; "Current per phase = Power / (Line
Voltage x Number of Phases)" with the nominal line-to-neutral voltage, and ``numberPhases`` absent
means 3. Limits carry at most one decimal (1.6 schema ``multipleOf 0.1``): values are truncated,
never rounded up (evcc ``charger/ocpp.go`` does the same).
"""
from __future__ import annotations

import math

from ._checks import check_number

__all__ = ["OCPP_DEFAULT_PHASES", "ocpp_amps_to_watts", "ocpp_watts_to_amps"]

OCPP_DEFAULT_PHASES = 3  # "If absent, 3 SHALL be assumed"


def _check(limit: float, voltage: float, what: str) -> None:
    # a limit from a CSMS or a configured voltage that is not a finite number is rejected, not
    # converted into NaN amps or an OverflowError
    check_number(what, limit, allow_none=False, allow_negative=True)
    check_number("voltage", voltage, allow_none=False)


def _phases(number_phases: int | None) -> int:
    n = OCPP_DEFAULT_PHASES if number_phases is None else number_phases
    if n not in (1, 2, 3):
        raise ValueError(f"numberPhases must be 1, 2 or 3, got {number_phases!r}")
    return n


def ocpp_watts_to_amps(limit_w: float, number_phases: int | None = None, *, voltage: float = 230.0,
                       decimals: int = 1) -> float:
    """Per-phase amps for an OCPP ``W`` limit, truncated to ``decimals`` (11000 W, 3p -> 15.9 A)."""
    _check(limit_w, voltage, "limit_w")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ValueError(f"decimals must be an int in 0..6, got {decimals!r}")
    a = limit_w / (voltage * _phases(number_phases))
    scale = 10 ** decimals
    return math.floor(a * scale + 1e-9) / scale if a > 0 else 0.0


def ocpp_amps_to_watts(limit_a: float, number_phases: int | None = None, *, voltage: float = 230.0) -> float:
    """Total whole watts for an OCPP ``A`` limit (16 A, 1p -> 3680 W; phases absent -> 3)."""
    _check(limit_a, voltage, "limit_a")
    w = limit_a * voltage * _phases(number_phases)
    return float(math.floor(w + 1e-9)) if w > 0 else 0.0
