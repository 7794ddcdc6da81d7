"""HDLC link procedures a DLMS client needs on top of the frame codec (IEC 62056-46).

:mod:`.hdlc` builds and parses single frames; this module adds what a *connection* needs:

* control fields (IEC 62056-46 6.4.3 / ISO/IEC 13239): I frames ``RRR P SSS 0`` (N(R), poll/
  final bit, N(S)), RR ``RRR P 0001``, RNR ``RRR P 0101`` and the unnumbered commands and
  responses SNRM ``100P 0011`` (0x93 with P), UA 0x73, DISC 0x53, DM 0x1F, FRMR 0x97, UI 0x13.
* the HDLC parameter negotiation carried in SNRM/UA (IEC 62056-46 6.4.4.4.3.2): format
  identifier 0x81, group identifier 0x80, group length, then parameters 0x05 maximum
  information field length transmit, 0x06 ... receive (1 or 2 bytes), 0x07 window size
  transmit, 0x08 ... receive (4 bytes; some meters send 1). Absent parameters take the
  defaults 128 bytes and window 1. "Transmit" is always seen from the sender of the frame:
  the client's SNRM proposes what *it* transmits, the server's UA answers what *it* transmits.
  Example (corpus dlmscosem-hdlc-ua-negotiation): ``81 80 12 05 01 9a 06 01 9a 07 04 00 00 00
  01 08 04 00 00 00 01``.
* addresses (IEC 62056-46 6.4.2): the client address is one byte (SAP); the server address
  is 1 byte (upper HDLC address = logical device only), 2 bytes (7-bit logical, 7-bit
  physical) or 4 bytes (14-bit logical, 14-bit physical). Logical 1 / physical 16 in two
  bytes is ``02 21`` on the wire.
* the LLC header in front of every APDU (IEC 62056-46 8.1): ``E6 E6 00`` client to server,
  ``E6 E7 00`` server to client.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..errors import FramingError, IncompleteError

__all__ = [
    "SNRM", "UA", "DISC", "DM", "FRMR", "UI", "LLC_REQUEST", "LLC_RESPONSE",
    "Control", "parse_control", "i_control", "rr_control", "rnr_control",
    "HdlcParameters", "DEFAULT_PARAMETERS", "build_parameters", "parse_parameters",
    "ServerAddress", "client_address",
]

LAYER = "hdlc-link"

# Unnumbered frames with the poll/final bit (0x10) set, as a DLMS client and server send them.
SNRM = 0x93
UA = 0x73
DISC = 0x53
DM = 0x1F
FRMR = 0x97
UI = 0x13

LLC_REQUEST = b"\xe6\xe6\x00"    # destination LSAP E6, source LSAP E6 (command), quality 00
LLC_RESPONSE = b"\xe6\xe7\x00"   # source LSAP E7 marks a response


class Control(NamedTuple):
    """A decoded control field."""

    kind: str              # "I", "RR", "RNR", "SNRM", "UA", "DISC", "DM", "FRMR", "UI" or "?"
    ns: int | None         # N(S) of an I frame
    nr: int | None         # N(R) of an I or S frame
    poll_final: bool


_U = {0x83: "SNRM", 0x63: "UA", 0x43: "DISC", 0x0F: "DM", 0x87: "FRMR", 0x03: "UI"}


def parse_control(c: int) -> Control:
    """Decode a control byte (ISO/IEC 13239 5.4.3: modulo-8 basic format)."""
    pf = bool(c & 0x10)
    if c & 0x01 == 0:
        return Control("I", (c >> 1) & 0x07, c >> 5, pf)
    if c & 0x03 == 0x01:
        kind = {0x01: "RR", 0x05: "RNR"}.get(c & 0x0F, "?")
        return Control(kind, None, c >> 5, pf)
    return Control(_U.get(c & 0xEF, "?"), None, None, pf)


def i_control(ns: int, nr: int, final: bool = True) -> int:
    """Control byte of an I frame: ``RRR P SSS 0``."""
    return ((nr & 7) << 5) | (0x10 if final else 0) | ((ns & 7) << 1)


def rr_control(nr: int, final: bool = True) -> int:
    """Control byte of a Receive Ready: ``RRR P 0001``."""
    return ((nr & 7) << 5) | (0x10 if final else 0) | 0x01


def rnr_control(nr: int, final: bool = True) -> int:
    """Control byte of a Receive Not Ready: ``RRR P 0101``."""
    return ((nr & 7) << 5) | (0x10 if final else 0) | 0x05


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """Negotiable HDLC parameters, seen from the station that sends them."""

    max_info_transmit: int = 128
    max_info_receive: int = 128
    window_transmit: int = 1
    window_receive: int = 1


DEFAULT_PARAMETERS = HdlcParameters()

_MAX_INFO = 0x05, 0x06
_WINDOW = 0x07, 0x08


def _param(pid: int, value: int, size: int) -> bytes:
    return bytes((pid, size)) + value.to_bytes(size, "big")


def build_parameters(p: HdlcParameters) -> bytes:
    """The SNRM/UA information field: ``81 80 len`` + the four parameters."""
    def info_size(v: int) -> int:
        return 1 if v < 0x100 else 2

    for v in (p.max_info_transmit, p.max_info_receive):
        if not 32 <= v <= 0xFFFF:
            raise ValueError(f"maximum information field length {v} outside 32..65535")
    for v in (p.window_transmit, p.window_receive):
        if not 1 <= v <= 7:
            raise ValueError(f"window size {v} outside 1..7")
    body = (_param(0x05, p.max_info_transmit, info_size(p.max_info_transmit))
            + _param(0x06, p.max_info_receive, info_size(p.max_info_receive))
            + _param(0x07, p.window_transmit, 4) + _param(0x08, p.window_receive, 4))
    return bytes((0x81, 0x80, len(body))) + body


def parse_parameters(info: bytes, offset: int = 0) -> HdlcParameters:
    """Parse an SNRM/UA information field; empty means every default. Unknown parameter ids
    are skipped (the group is length-delimited); a value of 0 or beyond the field is an error."""
    if not info:
        return DEFAULT_PARAMETERS
    if len(info) < 3:
        raise IncompleteError(LAYER, offset, "HDLC parameter field needs 81 80 <length>")
    if info[0] != 0x81 or info[1] != 0x80:
        raise FramingError(LAYER, offset, f"HDLC parameter field starts {info[:2].hex()}, expected 8180 "
                                          f"(format and group identifier, IEC 62056-46 6.4.4.4.3.2)")
    end = 3 + info[2]
    if end > len(info):
        raise IncompleteError(LAYER, offset + 2, f"parameter group of {info[2]} bytes, {len(info) - 3} present")
    values = {}
    pos = 3
    while pos < end:
        if pos + 2 > end:
            raise IncompleteError(LAYER, offset + pos, "parameter id without a length")
        pid, n = info[pos], info[pos + 1]
        if n == 0 or n > 4 or pos + 2 + n > end:
            raise FramingError(LAYER, offset + pos + 1, f"parameter {pid:#04x} has length {n}; expected 1..4 "
                                                        f"bytes inside the group")
        v = int.from_bytes(info[pos + 2:pos + 2 + n], "big")
        if pid in _MAX_INFO + _WINDOW:
            if v == 0:
                raise FramingError(LAYER, offset + pos + 2, f"parameter {pid:#04x} is 0; expected a size >= 1")
            values[pid] = v
        pos += 2 + n
    return HdlcParameters(values.get(0x05, 128), values.get(0x06, 128), values.get(0x07, 1), values.get(0x08, 1))


class ServerAddress(NamedTuple):
    """A server (meter) HDLC address: logical device and physical device.

    ``size`` is the number of address bytes: 1 (logical only), 2 (7 + 7 bits) or 4 (14 + 14
    bits). ``value`` is what :func:`.hdlc.build_frame` and :class:`.hdlc.HdlcFrame` use (the
    7-bit groups concatenated).
    """

    logical: int = 1
    physical: int | None = 16
    size: int = 2

    @classmethod
    def make(cls, logical: int = 1, physical: int | None = 16, size: int | None = None) -> "ServerAddress":
        if size is None:
            size = 1 if physical is None else (2 if logical < 0x80 and physical < 0x80 else 4)
        if size not in (1, 2, 4):
            raise ValueError(f"server address size {size}: expected 1, 2 or 4 bytes (IEC 62056-46 6.4.2)")
        bits = {1: 7, 2: 7, 4: 14}[size]
        if not 0 <= logical < (1 << bits):
            raise ValueError(f"logical address {logical} does not fit {bits} bits of a {size}-byte address")
        if size == 1:
            physical = None
        else:
            if physical is None or not 0 <= physical < (1 << bits):
                raise ValueError(f"physical address {physical} does not fit {bits} bits of a {size}-byte address")
        return cls(logical, physical, size)

    @property
    def value(self) -> int:
        if self.size == 1:
            return self.logical
        shift = 7 if self.size == 2 else 14
        return (self.logical << shift) | (self.physical or 0)

    @classmethod
    def from_value(cls, value: int, size: int) -> "ServerAddress":
        if size == 1:
            return cls(value, None, 1)
        shift = 7 if size == 2 else 14
        return cls(value >> shift, value & ((1 << shift) - 1), size)


def client_address(sap: int) -> int:
    """Validate a client SAP (one address byte: 7 bits)."""
    if not 0 <= sap < 0x80:
        raise ValueError(f"client SAP {sap} outside 0..127 (one HDLC address byte)")
    return sap
