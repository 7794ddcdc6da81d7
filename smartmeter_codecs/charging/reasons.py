"""Typed reasons: why a limit is what it is.

A :class:`Reason` is a ``str`` (its code) carrying a :class:`ReasonCode` and a human message, so
``"fuse" in limit.reasons`` and ``json.dumps(limit.reasons)`` work; the part before a colon is
compared too, so ``reason == "STALE:grid"`` matches a ``stale`` reason.
"""
from __future__ import annotations

import enum
from typing import Self

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


class Reason(str):
    """One limiting factor, most limiting first in a result's ``reasons``.

    A ``Reason`` *is* its code as a string (``str(reason) == "fuse"``, JSON-ready), and carries:

    Attributes:
        code: the machine code (:class:`ReasonCode`).
        message: a human explanation with the numbers that produced it.
        limit_a: the per-phase current this factor allows (before rounding), when it is a limit.
        phase: the grid phase (1..3) it refers to, when it is a per-phase factor.

    Equality with a string compares the code, case-insensitively, ignoring a ``":detail"``
    suffix and accepting the names used in docs/charging.md (``"STALE:grid"``,
    ``"L2_UNKNOWN_CONSERVATIVE"``). Two reasons are equal when code, message, limit and phase are.
    Instances are immutable.
    """

    code: ReasonCode
    message: str
    limit_a: float | None
    phase: int | None

    def __new__(cls, code: ReasonCode | str, message: str = "", limit_a: float | None = None,
                phase: int | None = None) -> Self:
        c = ReasonCode(code)
        self = super().__new__(cls, c.value)
        object.__setattr__(self, "code", c)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "limit_a", limit_a)
        object.__setattr__(self, "phase", phase)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Reason is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Reason is immutable (cannot delete {name!r})")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Reason):
            return (self.code, self.message, self.limit_a, self.phase) == (
                other.code, other.message, other.limit_a, other.phase)
        if isinstance(other, str):
            key = str.split(other, ":", 1)[0].strip().lower()
            return key == self.code.value or _ALIASES.get(key) is self.code
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return str.__hash__(self)

    def __repr__(self) -> str:
        extra = "" if self.limit_a is None else f", limit_a={self.limit_a!r}"
        extra += "" if self.phase is None else f", phase={self.phase!r}"
        return f"Reason({self.code.value!r}, {self.message!r}{extra})"

    def __reduce__(self) -> tuple[object, ...]:
        return (Reason, (self.code.value, self.message, self.limit_a, self.phase))

    @property
    def text(self) -> str:
        """``"code: message"`` for logs and displays."""
        return f"{self.code.value}: {self.message}" if self.message else self.code.value


#: other spellings that compare equal (docs/charging.md names and common synonyms)
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
