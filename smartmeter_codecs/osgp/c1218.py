"""ANSI C12.18 services as NES meters speak them: requests, responses, response codes.

The same services travel over the MEP port (inside the MEP length/sequence/digest envelope,
:mod:`.mep`) and the optical port (inside C12.18 link packets with a CRC, :mod:`.optical`).
Two differences, both from the guides:

* MEP full read carries a 2-byte length after the table id (MEP DG Table 2.6 "Table #,
  Length"); the optical full read is only ``30 <table>`` (Optical Port Programmer's Guide,
  "Full Read Service").
* On the optical port table data in read responses and write requests is followed by a 1-byte
  checksum, the two's complement of the byte sum (ANSI C12.18 <cksum>; termineter
  lib/c1218/utilities.py ``data_checksum``); MEP messages carry none (every DG example).

Command fields (table id, offset, count, length) are MSB first; table data is LSB first
(DG Table 2.7).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ..errors import ApplicationError, ChecksumError, FramingError, IncompleteError, UnsupportedError

__all__ = [
    "LAYER",
    "READ_CODES",
    "REQUEST_CODES",
    "RESPONSE_CODES",
    "TABLE_CODES",
    "WRITE_CODES",
    "Code",
    "Request",
    "Response",
    "ServiceRequest",
    "TableRequest",
    "data_checksum",
    "parse_request",
    "parse_response",
    "response_error",
]

LAYER = "c12.18"


class Code(IntEnum):
    """C12.18 request codes (ANSI C12.18 / MEP DG Tables 2.1 and 2.6)."""

    IDENT = 0x20
    TERMINATE = 0x21
    READ_FULL = 0x30
    READ_PARTIAL = 0x3F
    WRITE_FULL = 0x40
    WRITE_PARTIAL = 0x4F
    LOGON = 0x50
    SECURITY = 0x51
    LOGOFF = 0x52
    TLS_TERMINATE = 0x57        # MEP TLS mode (DG Table 2.1)
    TLS_HANDSHAKE = 0x58
    TLS_HANDSHAKE_CONT = 0x59
    NEGOTIATE = 0x61            # 0x60 + number of baud rates offered; NES clients send one (0x61)
    WAIT = 0x70
    TLS_TABLE = 0x80


READ_CODES = frozenset({Code.READ_FULL, Code.READ_PARTIAL})
WRITE_CODES = frozenset({Code.WRITE_FULL, Code.WRITE_PARTIAL})
TABLE_CODES = READ_CODES | WRITE_CODES
REQUEST_CODES = frozenset(int(c) for c in Code) | frozenset(range(0x60, 0x6C))

# Response codes: ANSI C12.18 names (termineter lib/c1218/data.py) and the MEP meanings
# (DG Table 2.5). 0x0B and 0x0C exist on the MEP port only.
RESPONSE_CODES: dict[int, str] = {
    0x00: "ok",
    0x01: "err: unrecognized request",
    0x02: "sns: unsupported request",
    0x03: "isc: no permission for the request (insufficient security clearance)",
    0x04: "onp: requested operation not possible",
    0x05: "iar: table operation not possible (inappropriate action requested)",
    0x06: "bsy: device busy",
    0x07: "dnr: data not ready",
    0x08: "dlk: data locked",
    0x09: "rno: renegotiate request",
    0x0A: "isss: invalid service sequence state (TLS session not established)",
    0x0B: "authentication failure (the digest matched neither MEP key)",
    0x0C: "invalid sequence number (the correct one follows)",
}


def data_checksum(data: bytes) -> int:
    """C12.18 table-data checksum: two's complement of the byte sum, modulo 256."""
    return (-sum(data)) & 0xFF


@dataclass(frozen=True, slots=True)
class TableRequest:
    """A table read or write.

    Attributes:
        code: ``0x30`` full read, ``0x3F`` partial read, ``0x40`` full write, ``0x4F`` partial write.
        table: table id (BTnn = nn, ETnn = 0x0800 + nn).
        offset: byte offset (partial services), else ``None``.
        count: bytes to read (partial read), the MEP full-read length field (``None`` on the
            optical port), or the number of bytes written.
        data: table data written (LSB first as the table defines it).
    """

    code: int
    table: int
    offset: int | None = None
    count: int | None = None
    data: bytes = b""

    @property
    def is_read(self) -> bool:
        return self.code in READ_CODES

    @property
    def is_write(self) -> bool:
        return self.code in WRITE_CODES

    def to_bytes(self, *, mep: bool = True) -> bytes:
        """The C12.18 message (MEP flavour by default; ``mep=False`` for the optical port)."""
        if not 0 <= self.table <= 0xFFFF:
            raise ValueError(f"table id {self.table} does not fit 2 bytes")
        out = bytearray([self.code]) + self.table.to_bytes(2, "big")
        if self.code in (Code.READ_PARTIAL, Code.WRITE_PARTIAL):
            if self.offset is None or not 0 <= self.offset <= 0xFFFFFF:
                raise ValueError("a partial service needs an offset of 0..0xFFFFFF")
            out += self.offset.to_bytes(3, "big")
        if self.code == Code.READ_FULL:
            if mep:
                out += (self.count if self.count is not None else 0x200).to_bytes(2, "big")
        elif self.code == Code.READ_PARTIAL:
            out += _u16(self.count, "count")
        elif self.code in WRITE_CODES:
            count = len(self.data) if self.count is None else self.count
            out += _u16(count, "count") + self.data
            if not mep:
                out.append(data_checksum(self.data))
        else:
            raise ValueError(f"0x{self.code:02X} is not a table service")
        return bytes(out)


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """Any other C12.18 request (ident, logon, security, negotiate, logoff, terminate, wait,
    TLS codes): the code and its raw body."""

    code: int
    body: bytes = b""

    def to_bytes(self, *, mep: bool = True) -> bytes:
        return bytes([self.code]) + self.body

    # builders for the optical session (Optical Port Programmer's Guide "Security and Keys";
    # openHAB smartmeterosgp handler, whose frames are in the corpus)
    @classmethod
    def ident(cls) -> ServiceRequest:
        return cls(Code.IDENT)

    @classmethod
    def negotiate(cls, packet_size: int = 64, packets: int = 2, baud_code: int = 6) -> ServiceRequest:
        """0x61: packet size (2, MSB), number of packets, one baud-rate code (6 = 9600)."""
        return cls(Code.NEGOTIATE, packet_size.to_bytes(2, "big") + bytes([packets, baud_code]))

    @classmethod
    def logon(cls, user_id: int = 1, user: str = "0000") -> ServiceRequest:
        """0x50: user id (2, MSB) and a 10-character user name, space padded (not checked by NES meters)."""
        name = user.encode("ascii")[:10].ljust(10, b" ")
        return cls(Code.LOGON, user_id.to_bytes(2, "big") + name)

    @classmethod
    def security(cls, password: bytes | str) -> ServiceRequest:
        """0x51: the 20-byte password (MK, PK or the read-only key RK), zero padded."""
        pw = password.encode("ascii") if isinstance(password, str) else bytes(password)
        if len(pw) > 20:
            raise ValueError("a C12.18 password is at most 20 bytes")
        return cls(Code.SECURITY, pw.ljust(20, b"\x00"))

    @classmethod
    def logoff(cls) -> ServiceRequest:
        return cls(Code.LOGOFF)

    @classmethod
    def terminate(cls) -> ServiceRequest:
        return cls(Code.TERMINATE)


Request = TableRequest | ServiceRequest


@dataclass(frozen=True, slots=True)
class Response:
    """A C12.18 response.

    Attributes:
        code: the response code (:data:`RESPONSE_CODES`).
        data: table data of a read (without the optical checksum byte), or the raw body of an
            ident/negotiate answer; ``b""`` otherwise.
        count: the count field of a read response (``None`` when there is none).
        seq: the correct sequence number of a MEP 0x0C answer.
    """

    code: int
    data: bytes = b""
    count: int | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def meaning(self) -> str:
        return RESPONSE_CODES.get(self.code, f"unknown response code 0x{self.code:02X}")

    def to_bytes(self, *, mep: bool = True) -> bytes:
        out = bytearray([self.code])
        if self.code == 0x0C and self.seq is not None:
            out += self.seq.to_bytes(4, "big")
        elif self.count is not None:
            out += self.count.to_bytes(2, "big") + self.data
            if not mep:
                out.append(data_checksum(self.data))
        else:
            out += self.data
        return bytes(out)


def _u16(v: int | None, name: str) -> bytes:
    if v is None or not 0 <= v <= 0xFFFF:
        raise ValueError(f"{name} must be 0..65535")
    return v.to_bytes(2, "big")


def _need(data: bytes, n: int, what: str, base: int) -> None:
    if len(data) < n:
        raise IncompleteError(LAYER, base + len(data), f"{what}: expected {n} bytes, got {len(data)}")


def parse_request(data: bytes, *, mep: bool = True, base: int = 0) -> Request:
    """A C12.18 request message. ``base`` is added to error offsets (position in the caller's input)."""
    data = bytes(data)
    _need(data, 1, "request code", base)
    code = data[0]
    if code in (Code.READ_FULL, Code.READ_PARTIAL, Code.WRITE_FULL, Code.WRITE_PARTIAL):
        _need(data, 3, f"0x{code:02X} request: code + table id", base)
        table = int.from_bytes(data[1:3], "big")
        pos = 3
        offset = None
        if code in (Code.READ_PARTIAL, Code.WRITE_PARTIAL):
            _need(data, 6, "partial service offset (3 bytes)", base)
            offset = int.from_bytes(data[3:6], "big")
            pos = 6
        if code == Code.READ_FULL and not mep:
            end = 3
            req = TableRequest(code, table)
        elif code in READ_CODES:
            _need(data, pos + 2, "read count/length (2 bytes)", base)
            req = TableRequest(code, table, offset, int.from_bytes(data[pos:pos + 2], "big"))
            end = pos + 2
        else:
            _need(data, pos + 2, "write count (2 bytes)", base)
            count = int.from_bytes(data[pos:pos + 2], "big")
            pos += 2
            _need(data, pos + count + (0 if mep else 1), f"write of {count} data bytes", base)
            payload = data[pos:pos + count]
            end = pos + count
            if not mep:
                ck = data[end]
                if ck != data_checksum(payload):
                    raise ChecksumError(LAYER, base + end, f"table data checksum 0x{ck:02X}, computed "
                                        f"0x{data_checksum(payload):02X}", data_checksum(payload), ck)
                end += 1
            req = TableRequest(code, table, offset, count, payload)
        if end != len(data):
            raise FramingError(LAYER, base + end, f"{len(data) - end} bytes after the 0x{code:02X} request "
                               f"(expected {end} bytes in all)")
        return req
    if code in REQUEST_CODES:
        return ServiceRequest(code, data[1:])
    raise UnsupportedError(LAYER, base, f"0x{code:02X} is not a C12.18 request code", {"code": code})


def parse_response(data: bytes, *, request: Request | None = None, mep: bool = True,
                   base: int = 0) -> Response:
    """A C12.18 response message.

    With ``request`` the read/write shape is known; without it a successful answer of 3 or
    more bytes whose count field matches is taken as a read answer and a 1-byte answer as a
    write acknowledgement (the only shapes the guides define).
    """
    data = bytes(data)
    _need(data, 1, "response code", base)
    code = data[0]
    if code == 0x0C and mep:
        _need(data, 5, "invalid-sequence-number answer: code + 4-byte sequence number", base)
        if len(data) != 5:
            raise FramingError(LAYER, base + 5, f"0x0C answer has {len(data)} bytes, expected 5")
        return Response(code, seq=int.from_bytes(data[1:5], "big"))
    if code != 0:
        if code not in RESPONSE_CODES:
            raise UnsupportedError(LAYER, base, f"0x{code:02X} is not a C12.18 response code", {"code": code})
        if len(data) != 1:
            raise FramingError(LAYER, base + 1, f"error answer 0x{code:02X} carries {len(data) - 1} "
                               "unexpected bytes (expected the code alone)")
        return Response(code)
    if isinstance(request, ServiceRequest):
        return Response(0, data[1:])
    is_read = request.is_read if isinstance(request, TableRequest) else len(data) >= 3
    if not is_read:
        if len(data) != 1:
            raise FramingError(LAYER, base + 1, f"write acknowledgement carries {len(data) - 1} "
                               "unexpected bytes (expected 0x00 alone)")
        return Response(0)
    _need(data, 3, "read answer: code + count (2 bytes)", base)
    count = int.from_bytes(data[1:3], "big")
    want = 3 + count + (0 if mep else 1)
    if len(data) < want:
        raise IncompleteError(LAYER, base + len(data), f"read answer announces {count} data bytes, "
                              f"{len(data) - 3 - (0 if mep else 1)} present")
    if len(data) > want:
        raise FramingError(LAYER, base + want, f"{len(data) - want} bytes after the {count} data bytes "
                           "the read answer announces")
    payload = data[3:3 + count]
    if not mep:
        ck = data[3 + count]
        if ck != data_checksum(payload):
            raise ChecksumError(LAYER, base + 3 + count, f"table data checksum 0x{ck:02X}, computed "
                                f"0x{data_checksum(payload):02X}", data_checksum(payload), ck)
    return Response(0, payload, count)


def response_error(resp: Response, offset: int | None, what: str) -> ApplicationError:
    """The ApplicationError for a non-ok answer (carries the wire code)."""
    extra = f"; correct sequence number 0x{resp.seq:08X}" if resp.seq is not None else ""
    return ApplicationError(LAYER, offset, f"{what}: meter answered 0x{resp.code:02X} ({resp.meaning}){extra}",
                            resp.code)
