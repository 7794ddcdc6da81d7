"""The 8-byte FNN status: a 4-byte SMGW status word followed by a 4-byte meter ("BZ") word.

Theben sends it as ``cosem-status`` (16 hex digits) next to ``smgw-status`` and
``meter-status`` (8 each); EMH as ``status``; TRuDI XML as ``statusFNN`` (docs/formats/smgw.md
2.1, 2.2, 2.7).

Named bits come from TRuDI's ``StatusFNN.cs`` (OpenChargingCloud/trudi-public, FNN status
word): the flag values and the two masks of bits that must be 0 or 1 in a valid word
(SMGW ``00000000000000000xxx00xx000001x1``, BZ ``00000000000xxxxxxxxxxxxx00000100``, most
significant bit first; ``x`` = a flag, ``1`` = always set).

Bit order is **not** settled by any public source. The masks decide it per word: TRuDI's own
example ``0000010500100504`` fits them as written (least significant bit = bit 0), while every
Theben and EMH gateway word seen (``a0000000``, ``e0020000``, ``208c3800``) fits them only
bit-reversed (bit 0 = the most significant bit of the hex text). A word that fits neither way
(``00000000``, EMH's meter word ``10229100``) keeps its raw value and gets no names: the
flags are never guessed. Whichever way, the raw hex is always kept.

The flags are reported, never acted on: TRuDI's own example would read "fatal error" under its
own table while its ``statusPTB`` says "no error", so no value is dropped because of a flag.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from .values import field_error

__all__ = ["FnnStatus", "StatusWord", "parse_status", "parse_word", "SMGW_FLAGS", "METER_FLAGS",
           "PTB_STATUS"]

# TRuDI StatusFNN.cs, enum SmgwStatusWord (bit value -> name)
SMGW_FLAGS: dict[int, str] = {
    0x2: "transparency", 0x100: "fatal_error", 0x200: "system_time_invalid", 0x1000: "ptb_warning",
    0x2000: "ptb_temporary_error_signed_invalid", 0x4000: "ptb_temporary_error_invalid",
}
# TRuDI StatusFNN.cs, enum BzStatusWord
METER_FLAGS: dict[int, str] = {
    0x100: "start_up", 0x200: "magnetically_influenced", 0x400: "manipulation",
    0x800: "energy_direction_sum_negative", 0x1000: "energy_direction_l1_negative",
    0x2000: "energy_direction_l2_negative", 0x4000: "energy_direction_l3_negative",
    0x8000: "phase_sequence_not_l1_l2_l3", 0x10000: "backstop_active", 0x20000: "fatal_error",
    0x40000: "voltage_l1_present", 0x80000: "voltage_l2_present", 0x100000: "voltage_l3_present",
}
_SMGW_MASK = "00000000000000000xxx00xx000001x1"
_METER_MASK = "00000000000xxxxxxxxxxxxx00000100"
#: TRuDI StatusPTB.cs (PTB 50.8): the legal-metrology verdict derived from the words.
PTB_STATUS = {0: "no_error", 1: "warning", 2: "temporary_error_signed_invalid",
              3: "temporary_error_invalid", 4: "fatal_error"}


_HEX = frozenset("0123456789abcdefABCDEF")


def _fits(word: int, mask: str) -> bool:
    bits = format(word, "032b")
    return all(m == "x" or m == b for m, b in zip(mask, bits))


def _reverse(word: int) -> int:
    return int(format(word, "032b")[::-1], 2)


@dataclass(frozen=True, slots=True)
class StatusWord:
    """One 4-byte status word.

    Attributes:
        raw: the 8 hex digits as sent.
        value: the word as an integer (as written, most significant digit first).
        bit_order: ``"lsb0"`` (TRuDI's numbering), ``"msb0"`` (bit-reversed, as Theben/EMH
            words fit the FNN mask) or ``None`` when the word fits neither: no names then.
        flags: names of the set flags (empty when ``bit_order`` is None).
    """

    raw: str
    value: int
    bit_order: str | None
    flags: tuple[str, ...]


def parse_word(text: Any, field: str, *, meter: bool) -> StatusWord:
    """One 8-hex-digit word; FramingError naming ``field`` otherwise."""
    word = _word(text, meter) if isinstance(text, str) else None
    if word is None:
        raise field_error(field, f"expected 8 hex digits (a 4-byte status word), got {text!r}")
    return word


@functools.lru_cache(maxsize=1024)  # a series repeats the same few words thousands of times
def _word(text: str, meter: bool) -> StatusWord | None:
    text = text.strip()
    if len(text) != 8 or any(c not in _HEX for c in text):
        return None
    value = int(text, 16)
    mask, names = (_METER_MASK, METER_FLAGS) if meter else (_SMGW_MASK, SMGW_FLAGS)
    order: str | None = None
    canonical = value
    if _fits(value, mask):
        order = "lsb0"
    elif _fits(_reverse(value), mask):
        order, canonical = "msb0", _reverse(value)
    flags = tuple(name for bit, name in names.items() if order and canonical & bit)
    return StatusWord(text, value, order, flags)


@dataclass(frozen=True, slots=True)
class FnnStatus:
    """The combined status: ``raw`` as sent, and the two words when it has 16 hex digits."""

    raw: str
    smgw: StatusWord | None
    meter: StatusWord | None

    @property
    def flags(self) -> tuple[str, ...]:
        """``smgw:<name>`` and ``meter:<name>`` for every named flag that is set."""
        out = [f"smgw:{f}" for f in (self.smgw.flags if self.smgw else ())]
        out += [f"meter:{f}" for f in (self.meter.flags if self.meter else ())]
        return tuple(out)


def parse_status(text: Any, field: str) -> FnnStatus:
    """16 hex digits -> both words; other lengths of hex are kept raw (no split is guessed)."""
    if not isinstance(text, str):
        raise field_error(field, f"expected a hex status string, got {type(text).__name__}")
    raw = text.strip()
    if raw and any(c not in _HEX for c in raw):
        raise field_error(field, f"expected hex digits, got {text!r}")
    if len(raw) == 16:
        return FnnStatus(raw, parse_word(raw[:8], field, meter=False), parse_word(raw[8:], field, meter=True))
    return FnnStatus(raw, None, None)
