"""Typed reasons: why a limit is what it is.

A :class:`Reason` carries a machine code (:class:`ReasonCode`, a ``str`` enum) and a human message.
It compares equal to its code as a plain string, so ``"fuse" in limit.reasons`` works; the part
before a colon is compared too, so ``reason == "STALE:grid"`` matches a ``stale`` reason.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Reason", "ReasonCode"]


class ReasonCode(enum.StrEnum):
    """Machine-readable code of a limiting factor or a controller decision."""

    STALE = "stale"                      # reading older than max_age_s: fail-safe
    FAILSAFE = "failsafe"                # the site's failsafe power applies (stale data)
    MISSING_DATA = "missing_data"        # a rule needs a value the reading does not carry
    FUSE = "fuse"                        # main fuse minus household current on a used phase
    PHASE_UNKNOWN = "phase_unknown"      # a used phase's current is not measured (bounded or 0)
    CONTRACT = "contract"                # contracted power (x tolerance; IT F3, ES P1/P2)
    UNBALANCE = "unbalance"              # single-phase unbalance limit (DE 20 A, AT/CH 16 A)
    DIMMING = "dimming"                  # DE EnWG §14a dimming (direct or via EMS)
    CAPACITY = "capacity"                # capacity tariff budget (NO top-3 hours, BE 15-min peak)
    NETTING = "netting"                  # DK hourly net settlement budget
    EXTERNAL = "external"                # caller-supplied total power limit (OCPP, EMS, EEBus)
    CHARGER_MAX = "charger_max"          # charger / EV / cable maximum current
    PHASES = "phases"                    # another phase count was chosen because this one gave less
    BELOW_MIN = "below_min"              # rounded result below the EV minimum: 0 A
    PV_SURPLUS = "pv_surplus"            # PV modes: the current follows the surplus
    MIN_PV = "min_pv"                    # PV modes: held at the minimum current
    ENABLE_DELAY = "enable_delay"        # PV start waits for the enable delay
    DISABLE_DELAY = "disable_delay"      # PV stop waits for the disable delay
    PHASE_SWITCH = "phase_switch"        # the controller switched the phase count this update
    PHASE_SWITCH_PENDING = "phase_switch_pending"  # a phase switch waits for its timer
    SWITCH_LIMIT = "switch_limit"        # the phase-switch budget is used up
    SLEW = "slew"                        # change per update limited (slew limit)
    MODE_OFF = "mode_off"                # controller mode "off"


@dataclass(frozen=True, slots=True, eq=False)
class Reason:
    """One limiting factor, most limiting first in a result's ``reasons``.

    Attributes:
        code: the machine code.
        message: a human explanation with the numbers that produced it.
        limit_a: the per-phase current this factor allows (before rounding), when it is a limit.
        phase: the grid phase (1..3) it refers to, when it is a per-phase factor.
    """

    code: ReasonCode
    message: str
    limit_a: float | None = None
    phase: int | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Reason):
            return (self.code, self.message, self.limit_a, self.phase) == (
                other.code, other.message, other.limit_a, other.phase)
        if isinstance(other, str):
            key = other.split(":", 1)[0].strip().lower()
            return key == self.code.value or _ALIASES.get(key) is self.code
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.code.value)

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"


#: other spellings that compare equal (research/calc.md names and common synonyms)
_ALIASES: dict[str, ReasonCode] = {
    "l1_unknown_conservative": ReasonCode.PHASE_UNKNOWN,
    "l2_unknown_conservative": ReasonCode.PHASE_UNKNOWN,
    "l3_unknown_conservative": ReasonCode.PHASE_UNKNOWN,
    "main_fuse": ReasonCode.FUSE,
    "ev_max": ReasonCode.CHARGER_MAX,
    "min_current": ReasonCode.BELOW_MIN,
    "unbalanced_load": ReasonCode.UNBALANCE,
    "schieflast": ReasonCode.UNBALANCE,
    "14a": ReasonCode.DIMMING,
    "capacity_tariff": ReasonCode.CAPACITY,
    "net_settlement": ReasonCode.NETTING,
}
