"""Sinapsi Alfa: the Chain 2 data it re-publishes as Modbus-TCP holding registers.

Register map (docs/formats/chain2.md; alexdelprete/ha-sinapsi-alfa ``const.py``/``api.py``
@43fcc19 and Supergiovane/node-red-contrib-alfasinapsi-ultimate ``alfasinapsi-map.js``, which
agree): port 502, unit id 1, function 3, protocol addresses (0-based) below, plain unsigned
integers in W / Wh / s (the HA integration divides by 1000 only to *display* kW/kWh).

Input layout accepted by :func:`decode_block` (format ``"chain2-alfa"``):

* the holding registers **0 .. 925** (926 registers, 1852 bytes) as read, register *n* at byte
  offset ``2 * n``; each register big-endian (Modbus byte order);
* 32-bit values span two registers, **high word first** (``(reg[n] << 16) | reg[n + 1]``, as
  both integrations read them);
* longer blocks are accepted (registers after 925 are ignored); registers the map does not
  list are ignored, so a block assembled from the five reads in :data:`READS` with zeros in
  between (:func:`block_from_reads`) decodes the same as a full read.

The block carries no time stamp: ``Reading.timestamp`` is ``None`` (the caller knows when it
polled). Register 780 + 782 is the Alfa form of Chain 2 CF22: the epoch of the overload event
and the seconds left before the limiter opens the supply (65535 / 0xFFFFFFFF = none).
"""
from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ..errors import FramingError, IncompleteError
from ..inspection import Field
from ..model import Reading, Register, Value

__all__ = ["AlfaRegister", "ALFA_MAP", "READS", "BLOCK_REGISTERS", "BLOCK_BYTES", "FORMAT",
           "decode_block", "encode_block", "block_from_reads", "inspect_block"]

FORMAT = "chain2-alfa"
NO_EVENT = 0xFFFFFFFF      # register 780: values > 4294967294 = no overload warning
NO_COUNTDOWN = 0xFFFF      # register 782: 65535 = invalid / no countdown
_BANDS = ("F1", "F2", "F3", "F4", "F5", "F6")  # register 203 values 1..6


@dataclass(frozen=True, slots=True)
class AlfaRegister:
    """One entry of the map: address, width in registers (1 = u16, 2 = u32), meaning."""

    address: int
    words: int
    key: str
    unit: str | None
    description: str
    reading_field: str | None = None


def _daily(base: int, key: str, what: str) -> tuple[AlfaRegister, ...]:
    return tuple(AlfaRegister(base + 2 * (n - 1), 2, f"{key}F{n}", "Wh", f"{what}, yesterday, band F{n}")
                 for n in range(1, 7))


# Keys: the Chain2Gate JSON name ("chain2:...") where the quantity is the same, so code that
# reads one carrier reads the other; "alfa:..." where the JSON has no equivalent.
ALFA_MAP: tuple[AlfaRegister, ...] = (
    AlfaRegister(2, 1, "chain2:InstantPower", "W", "instantaneous active power imported (potenza prelevata)",
                 "active_power_import"),
    AlfaRegister(5, 2, "chain2:TotalActEnergy", "Wh", "total active energy imported (energia prelevata)",
                 "active_energy_import"),
    AlfaRegister(9, 1, "chain2:QuartAveragePower", "W", "quarter-hour average power imported"),
    AlfaRegister(12, 1, "alfa:InstantExportPower", "W",
                 "instantaneous active power exported (potenza immessa)",
                 "active_power_export"),
    AlfaRegister(15, 2, "alfa:TotalExportActEnergy", "Wh", "total active energy exported (energia immessa)",
                 "active_energy_export"),
    AlfaRegister(19, 1, "alfa:QuartAverageExportPower", "W", "quarter-hour average power exported"),
    *_daily(30, "chain2:DailyTotalActEnergy", "active energy imported"),
    *_daily(54, "alfa:DailyTotalExportActEnergy", "active energy exported"),
    AlfaRegister(203, 1, "chain2:TariffCode", None, "current tariff band n = Fn (1..6)", "tariff"),
    AlfaRegister(780, 2, "alfa:OverloadEventTime", None,
                 "overload event time (Data evento, epoch s); 0xFFFFFFFF = no warning"),
    AlfaRegister(782, 1, "chain2:SwitchOffCountdownSeconds", "s",
                 "seconds left before the limiter opens (Tempo residuo distacco); 65535 = none"),
    AlfaRegister(921, 1, "alfa:ProductionInstantPower", "W",
                 "instantaneous produced power (production meter M2)"),
    AlfaRegister(924, 2, "alfa:ProductionTotalActEnergy", "Wh",
                 "total produced energy (production meter M2)"),
)

#: The reads that cover the map: (start address, count), as the HA integration does them.
READS: tuple[tuple[int, int], ...] = ((2, 18), (30, 36), (203, 1), (780, 3), (921, 5))
BLOCK_REGISTERS = 926
BLOCK_BYTES = 2 * BLOCK_REGISTERS
_LAYER = "chain2-alfa"


def _raw(data: bytes, reg: AlfaRegister) -> int:
    off = 2 * reg.address
    return int.from_bytes(data[off: off + 2 * reg.words], "big")


def _check(data: bytes) -> None:
    if len(data) % 2:
        raise FramingError(_LAYER, len(data) - 1,
                           f"odd length {len(data)}: a Modbus register block is a whole number "
                           "of 2-byte registers")
    if len(data) < BLOCK_BYTES:
        raise IncompleteError(_LAYER, len(data),
                              f"expected holding registers 0..{BLOCK_REGISTERS - 1} ({BLOCK_BYTES} bytes, "
                              f"big-endian), got {len(data) // 2} registers; build a block from partial "
                              "reads with block_from_reads()")


def decode_block(data: bytes) -> Reading:
    """The Reading of one Alfa register block (layout in the module docstring)."""
    _check(data)
    raws = {reg.address: _raw(data, reg) for reg in ALFA_MAP}
    event_raw = raws[780]
    event_valid = 0 < event_raw < NO_EVENT
    regs: list[Register] = []
    fields: dict[str, object] = {}
    for reg in ALFA_MAP:
        raw = raws[reg.address]
        value: Value = raw
        extra = {"address": reg.address, "type": "u32" if reg.words == 2 else "u16", "raw": raw}
        if reg.address == 780:
            value = dt.datetime.fromtimestamp(raw, dt.timezone.utc) if event_valid else None
        elif reg.address == 782:
            # a countdown only means something while an overload event is pending
            value = raw if raw != NO_COUNTDOWN and event_valid else None
        elif reg.address == 203:
            value = raw
            fields["tariff"] = f"F{raw}" if 1 <= raw <= 6 else None
        if reg.reading_field is not None and reg.reading_field != "tariff":
            fields[reg.reading_field] = float(raw)
        regs.append(Register(reg.key, value, reg.unit, None, reg.description, extra))
    if not any(raws.values()):
        # after a restart the Alfa serves zeros until the Chain 2 link delivers data
        # (integrator note, docs/formats/chain2.md): nothing here is a measurement
        fields["quality"] = "missing"
    return Reading(format=FORMAT, registers=tuple(regs), **fields)  # type: ignore[arg-type]


def _word(value: object, bits: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
        raise ValueError(f"{what}: {value!r} is not a whole number")
    n = int(value)
    if not 0 <= n < (1 << bits):
        raise ValueError(f"{what}: {n} does not fit an unsigned {bits}-bit register")
    return n


def encode_block(reading: Reading) -> bytes:
    """A 926-register block that decodes to ``reading`` (a Modbus server simulator's image).

    Reading fields win over registers with the same meaning; registers the Reading does not
    have are 0, except 780/782 which default to "no warning" (0xFFFFFFFF / 65535).
    """
    regs = {r.key: r for r in reading.registers}
    words = [0] * BLOCK_REGISTERS
    for reg in ALFA_MAP:
        bits = 16 * reg.words
        raw: object = {780: NO_EVENT, 782: NO_COUNTDOWN}.get(reg.address, 0)
        source = regs.get(reg.key)
        if source is not None:
            if "raw" in source.extra:
                raw = source.extra["raw"]
            elif reg.address == 780 and isinstance(source.value, dt.datetime):
                raw = int(source.value.timestamp())
            elif source.value is not None:
                raw = source.value
        if reg.reading_field == "tariff":
            tariff = reading.tariff
            if tariff is not None:
                if not (isinstance(tariff, str) and tariff in _BANDS):
                    raise ValueError(f"tariff {tariff!r}: the Alfa register 203 holds bands 'F1'..'F6'")
                raw = int(tariff[1:])
        elif reg.reading_field is not None and getattr(reading, reg.reading_field) is not None:
            raw = getattr(reading, reg.reading_field)
        n = _word(raw, bits, f"register {reg.address} ({reg.key})")
        if reg.words == 2:
            words[reg.address], words[reg.address + 1] = n >> 16, n & 0xFFFF
        else:
            words[reg.address] = n
    return struct.pack(f">{BLOCK_REGISTERS}H", *words)


def block_from_reads(reads: Mapping[int, Sequence[int]] | Iterable[tuple[int, Sequence[int]]]) -> bytes:
    """Assemble the decoder's block from partial reads ``{start_address: [register values]}``.

    Unread registers are 0. Raises ValueError when a register of the map is not covered or a
    value is not a 16-bit unsigned integer.
    """
    items = reads.items() if isinstance(reads, Mapping) else reads
    words = [0] * BLOCK_REGISTERS
    covered: set[int] = set()
    for start, values in items:
        for i, v in enumerate(values):
            addr = start + i
            if not 0 <= addr < BLOCK_REGISTERS:
                continue
            words[addr] = _word(v, 16, f"register {addr}")
            covered.add(addr)
    missing = [r.address for r in ALFA_MAP
               if not all(a in covered for a in range(r.address, r.address + r.words))]
    if missing:
        raise ValueError(f"the reads do not cover registers {missing}; read {list(READS)}")
    return struct.pack(f">{BLOCK_REGISTERS}H", *words)


def inspect_block(data: bytes, root: Field) -> None:
    """Add the register tree (byte offsets into ``data``) under ``root``; raises like decode."""
    layer = root.add("modbus holding registers", 0, len(data), None,
                     f"{len(data) // 2} registers from address 0, big-endian, u32 high word first")
    _check(data)
    for reg in ALFA_MAP:
        off = 2 * reg.address
        layer.add(f"{reg.address} {reg.key}", off, off + 2 * reg.words, _raw(data, reg),
                  f"{reg.description}" + (f" [{reg.unit}]" if reg.unit else ""))
