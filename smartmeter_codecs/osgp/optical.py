"""The optical port's ANSI C12.18 link layer: packets with CRC-16, ACK/NAK, toggle bit.

Packet (ANSI C12.18 layer 2, as NES meters use it; Optical Port Programmer's Guide
"Security and Keys"/"Sharing the Optical Port"; openHAB smartmeterosgp and
hendrikb/esphome-osgp-meter):

``EE <identity 00> <control> <sequence> <length u16 MSB> <data> <CRC-16 low byte first>``

* control bit 5 (0x20) is the toggle bit, flipped for each new packet so a repeated packet can
  be recognised; bit 7 = multi-packet transmission, bit 6 = first packet of it; bits 0-1 =
  data format (0 = C12.18).
* sequence = number of packets still to come in a multi-packet transmission (0 = last).
* CRC = CRC-16/X-25 (reflected polynomial 0x8408, init 0xFFFF, final XOR 0xFFFF) over
  ``EE`` .. the last data byte (checked against 7 frames of the openHAB tests, corpus).
* single bytes ``06`` (ACK) and ``15`` (NAK) acknowledge each packet.
"""
from __future__ import annotations

from dataclasses import dataclass

from .._crc import crc16_x25
from ..errors import ChecksumError, FramingError, IncompleteError

__all__ = [
    "ACK",
    "FIRST",
    "LAYER",
    "MAX_DATA",
    "MULTI",
    "NAK",
    "STP",
    "TOGGLE",
    "Packet",
    "build_packet",
    "crc16",
    "parse_packet",
]

LAYER = "c12.18-optical"
STP = 0xEE
ACK = 0x06
NAK = 0x15
TOGGLE = 0x20
MULTI = 0x80
FIRST = 0x40
MAX_DATA = 8183      # C12.18: packet size negotiable up to 8192 bytes incl. 8 header/CRC bytes
HEADER = 6


def crc16(data: bytes) -> int:
    """CRC-16/X-25 as C12.18 uses it (send low byte first)."""
    return crc16_x25(data)


@dataclass(frozen=True, slots=True)
class Packet:
    """One C12.18 packet; ``start``/``end`` are its position in the input parsed."""

    control: int
    seq: int
    data: bytes
    identity: int = 0
    start: int = 0
    end: int = 0

    @property
    def toggle(self) -> bool:
        return bool(self.control & TOGGLE)

    @property
    def multi(self) -> bool:
        return bool(self.control & MULTI)

    @property
    def first(self) -> bool:
        return bool(self.control & FIRST)


def build_packet(data: bytes, *, toggle: bool = False, seq: int = 0, control: int = 0, identity: int = 0) -> bytes:
    """A packet around ``data`` (CRC appended low byte first)."""
    if len(data) > MAX_DATA:
        raise ValueError(f"C12.18 packet data is at most {MAX_DATA} bytes")
    ctl = (control & ~TOGGLE) | (TOGGLE if toggle else 0)
    head = bytes([STP, identity, ctl, seq]) + len(data).to_bytes(2, "big") + bytes(data)
    return head + crc16(head).to_bytes(2, "little")


def parse_packet(buf: bytes, pos: int = 0) -> Packet:
    """The packet starting at ``buf[pos]`` (which must be 0xEE)."""
    if pos >= len(buf):
        raise IncompleteError(LAYER, len(buf), "C12.18 packet: expected 0xEE")
    if buf[pos] != STP:
        raise FramingError(LAYER, pos, f"C12.18 packet starts with 0xEE, found 0x{buf[pos]:02X}")
    if len(buf) - pos < HEADER:
        raise IncompleteError(LAYER, len(buf), "C12.18 packet header: expected 6 bytes")
    n = int.from_bytes(buf[pos + 4:pos + 6], "big")
    if n > MAX_DATA:
        raise FramingError(LAYER, pos + 4, f"C12.18 packet length {n} exceeds {MAX_DATA}")
    end = pos + HEADER + n + 2
    if len(buf) < end:
        raise IncompleteError(LAYER, len(buf), f"C12.18 packet announces {n} data bytes + CRC, "
                              f"{len(buf) - pos - HEADER} bytes present")
    got = int.from_bytes(buf[end - 2:end], "little")
    want = crc16(buf[pos:end - 2])
    if got != want:
        raise ChecksumError(LAYER, end - 2, f"C12.18 CRC-16 0x{got:04X} (low byte first), computed 0x{want:04X} "
                            f"over bytes {pos}..{end - 2}", want, got)
    return Packet(buf[pos + 2], buf[pos + 3], bytes(buf[pos + HEADER:end - 2]), buf[pos + 1], pos, end)
