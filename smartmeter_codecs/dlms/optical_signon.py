"""IEC 62056-21 sign-on that switches an optical port to HDLC (mode E), sans-I/O.

Sequence (IEC 62056-21 6.3 and Annex E):

1. at 300 baud, 7 data bits, even parity, 1 stop bit the client sends the request
   ``/ ? [address] ! CR LF``;
2. the meter answers its identification ``/ XXX Z [\\W] ident CR LF``: XXX the manufacturer's
   flag, Z the highest baud rate it offers ('0' 300 ... '6' 19200), and in mode E an
   enhanced-capability escape ``\\2`` announcing the HDLC protocol;
3. the client sends the acknowledgement/option select ``ACK 2 Z 2 CR LF`` (``06 32 Z 32 0D 0A``:
   protocol control '2' = HDLC procedure, mode control '2' = binary mode);
4. both switch to baud rate Z with 8 data bits, no parity, and the HDLC session starts with
   SNRM.

Research (docs/formats/dlms-client.md): the ZIV 5CTM answers HDLC directly at 9600 8N1
(no sign-on) in the one working public implementation; a Spanish field app and another
public tool sign on first. Both start-ups are offered; neither is assumed.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FramingError, IncompleteError

__all__ = ["BAUD_RATES", "Identification", "build_request", "parse_identification", "build_mode_e_ack",
           "SIGNON_BAUD", "with_even_parity"]

LAYER = "iec62056-21"
SIGNON_BAUD = 300
# Baud rate characters of protocol mode C/E (IEC 62056-21 6.3.14)
BAUD_RATES = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
MAX_IDENT = 32 + 8   # "/" + 3 + Z + up to 16 identification characters (+ escapes) + CR LF, with slack


@dataclass(frozen=True, slots=True)
class Identification:
    manufacturer: str
    baud_char: str
    baud: int
    mode_e: bool            # the "\2" enhanced capability (HDLC) was announced
    ident: str


def with_even_parity(data: bytes) -> bytes:
    """7-bit characters with their even-parity bit in bit 7. Sent at 8N1 these are exactly the
    bits of 7E1 on the wire (start, 7 data bits, parity, stop), so the sign-on needs no 7-bit
    UART mode (USB heads and pseudo-terminals that refuse CS7/PARENB still work)."""
    return bytes(b | 0x80 if bin(b & 0x7F).count("1") & 1 else b & 0x7F for b in data)


def build_request(address: str = "") -> bytes:
    """The sign-on request ``/?<address>!\\r\\n`` (device address optional, up to 32 chars)."""
    if len(address) > 32 or not all(c.isalnum() for c in address):
        raise ValueError("the device address has up to 32 letters and digits")
    return b"/?" + address.encode("ascii") + b"!\r\n"


def parse_identification(data: bytes) -> Identification:
    """Parse the identification line (the bytes up to and including CR LF). The parity bit is
    masked off, since a port opened at 8 bits delivers it."""
    text = bytes(b & 0x7F for b in data)
    start = text.find(b"/")
    if start < 0:
        if len(text) > MAX_IDENT:
            raise FramingError(LAYER, 0, "no '/' starting an identification message")
        raise IncompleteError(LAYER, len(data), "waiting for the identification message '/XXXZ...'")
    end = text.find(b"\r\n", start)
    if end < 0:
        if len(text) - start > MAX_IDENT:
            raise FramingError(LAYER, start, "identification message without CR LF")
        raise IncompleteError(LAYER, len(data), "identification message not complete (no CR LF yet)")
    line = text[start + 1:end].decode("ascii", errors="replace")
    if len(line) < 5:
        raise FramingError(LAYER, start, f"identification {line!r} shorter than XXXZ + identification")
    manufacturer, z = line[:3], line[3]
    if z not in BAUD_RATES:
        raise FramingError(LAYER, start + 4, f"baud rate character {z!r}; expected '0'..'6' (mode C/E)")
    rest = line[4:]
    mode_e = False
    if rest.startswith("\\") and len(rest) >= 2:
        mode_e = rest[1] == "2"
        rest = rest[2:]
    return Identification(manufacturer, z, BAUD_RATES[z], mode_e, rest)


def build_mode_e_ack(baud_char: str) -> bytes:
    """``ACK 2 Z 2 CR LF``: switch to HDLC (mode E) at the baud rate of ``baud_char``."""
    if baud_char not in BAUD_RATES:
        raise ValueError(f"baud rate character {baud_char!r}; expected '0'..'6'")
    return b"\x062" + baud_char.encode("ascii") + b"2\r\n"
