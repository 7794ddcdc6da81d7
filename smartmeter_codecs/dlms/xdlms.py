"""xDLMS GET service with logical-name referencing (IEC 62056-5-3 / Green Book 9.3.7, 9.5):
requests and responses in both directions (client and simulated meter share these tables).

GET-Request      ``C0 01 <invoke> <class(2) instance(6) attribute(1)> <00 | 01 selector Data>``  normal
                 ``C0 02 <invoke> <block-number(4)>``                                           next block
                 ``C0 03 <invoke> <count> (<descriptor> <access-selection>)*``                   with list
GET-Response     ``C4 01 <invoke> <00 Data | 01 Data-Access-Result>``                           normal
                 ``C4 02 <invoke> <last(1)> <block-number(4)> <00 len raw-data | 01 result>``   with datablock
                 ``C4 03 <invoke> <count> (<00 Data | 01 result>)*``                            with list
Also ``D8`` exception-response (state-error, service-error) and ``0E`` confirmed-service-error,
which a meter sends instead of a GET-Response when it refuses the request as a whole.

A block transfer's raw data, once all blocks are joined, is exactly what the normal (or
with-list) response would have carried after its invoke id (Green Book 9.4.6.11), so the
joined bytes are decoded by the same functions.

Invoke-id-and-priority (one byte): bits 0-3 invoke id, bit 6 service class (1 confirmed),
bit 7 priority (1 high). Clients commonly send 0xC1.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

from ..errors import FramingError, IncompleteError, UnsupportedError
from ..obis import ObisCode
from .axdr import Data, decode_data, decode_length, encode_length
from .apdu import APDU_NAMES

__all__ = [
    "AttributeRef", "DataAccessResult", "GetResult", "GetRequest", "GetResponse", "ExceptionResponse",
    "build_get_request", "build_get_next", "build_get_with_list", "parse_get_request",
    "build_get_response_normal", "build_get_response_block", "build_get_response_list", "parse_get_response",
    "parse_get_results", "parse_single_result", "TAG_GET_REQUEST", "TAG_GET_RESPONSE", "TAG_EXCEPTION",
    "TAG_CONFIRMED_SERVICE_ERROR", "build_exception_response",
]

LAYER = "xdlms"
TAG_GET_REQUEST = 0xC0
TAG_GET_RESPONSE = 0xC4
TAG_EXCEPTION = 0xD8
TAG_CONFIRMED_SERVICE_ERROR = 0x0E


class DataAccessResult(enum.IntEnum):
    """Data-Access-Result (Green Book 9.5, xDLMS ASN.1)."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250

    @classmethod
    def name_of(cls, code: int) -> str:
        try:
            return cls(code).name.lower().replace("_", "-")
        except ValueError:
            return f"data-access-result {code}"


class AttributeRef(NamedTuple):
    """Cosem-Attribute-Descriptor: class id, logical name, attribute index (+ optional
    selective access: selector and its already A-XDR-encoded parameters)."""

    class_id: int
    obis: ObisCode
    attribute: int
    selector: int | None = None
    parameters: bytes = b""

    def encode(self) -> bytes:
        out = self.class_id.to_bytes(2, "big") + self.obis.to_bytes() + bytes((self.attribute & 0xFF,))
        if self.selector is None:
            return out + b"\x00"
        return out + bytes((0x01, self.selector)) + self.parameters

    def __str__(self) -> str:
        return f"{self.class_id}/{self.obis}/{self.attribute}"


class GetResult(NamedTuple):
    """One attribute's answer: ``data`` (decoded) or ``error`` (a Data-Access-Result code)."""

    data: Data | None
    error: int | None = None
    raw: bytes = b""        # the A-XDR bytes of ``data`` as sent

    @property
    def ok(self) -> bool:
        return self.error is None

    def describe_error(self) -> str:
        return DataAccessResult.name_of(self.error) if self.error is not None else "success"


@dataclass(frozen=True, slots=True)
class GetRequest:
    kind: int                       # 1 normal, 2 next, 3 with list
    invoke_id_and_priority: int
    attributes: tuple[AttributeRef, ...] = ()
    block_number: int | None = None


@dataclass(frozen=True, slots=True)
class GetResponse:
    """A parsed GET-Response. ``kind`` 1 normal, 2 with datablock, 3 with list."""

    kind: int
    invoke_id_and_priority: int
    results: tuple[GetResult, ...] = ()      # kinds 1 and 3
    last_block: bool = True                  # kind 2
    block_number: int | None = None          # kind 2
    raw_data: bytes = b""                    # kind 2: this block's bytes
    block_error: int | None = None           # kind 2: the data-access-result instead of raw data


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """exception-response [216] or confirmed-service-error [14]: the request was refused."""

    tag: int
    detail: tuple[int, ...]

    def describe(self) -> str:
        if self.tag == TAG_EXCEPTION:
            state = {1: "service-not-allowed", 2: "service-unknown"}.get(self.detail[0], str(self.detail[0]))
            service = {1: "operation-not-possible", 2: "service-not-supported", 3: "other-reason",
                       4: "pdu-too-long", 5: "deciphering-error", 6: "invocation-counter-error"}.get(
                self.detail[1], str(self.detail[1])) if len(self.detail) > 1 else "?"
            return f"exception-response: state-error {state}, service-error {service}"
        return f"confirmed-service-error: service {self.detail[0]}, class {self.detail[1]}, error {self.detail[2]}"


# --- requests -------------------------------------------------------------------------------

def build_get_request(attr: AttributeRef, invoke_id_and_priority: int = 0xC1) -> bytes:
    return bytes((TAG_GET_REQUEST, 0x01, invoke_id_and_priority)) + attr.encode()


def build_get_next(block_number: int, invoke_id_and_priority: int = 0xC1) -> bytes:
    return bytes((TAG_GET_REQUEST, 0x02, invoke_id_and_priority)) + block_number.to_bytes(4, "big")


def build_get_with_list(attrs: tuple[AttributeRef, ...] | list[AttributeRef],
                        invoke_id_and_priority: int = 0xC1) -> bytes:
    if not attrs:
        raise ValueError("GET with list needs at least one attribute")
    return (bytes((TAG_GET_REQUEST, 0x03, invoke_id_and_priority)) + encode_length(len(attrs))
            + b"".join(a.encode() for a in attrs))


def _parse_descriptor(buf: bytes, pos: int, end: int) -> tuple[AttributeRef, int]:
    if pos + 10 > end:
        raise IncompleteError(LAYER, pos, "attribute descriptor needs 10 bytes (class, logical name, attribute, "
                                          "access flag)")
    cls = int.from_bytes(buf[pos:pos + 2], "big")
    obis = ObisCode.from_bytes(bytes(buf[pos + 2:pos + 8]))
    attr = buf[pos + 8]
    flag = buf[pos + 9]
    p = pos + 10
    if flag == 0:
        return AttributeRef(cls, obis, attr), p
    if flag != 1:
        raise FramingError(LAYER, pos + 9, f"access-selection flag {flag:#04x}; expected 00 or 01")
    if p >= end:
        raise IncompleteError(LAYER, p, "access selector missing")
    selector = buf[p]
    data, q = decode_data(buf, p + 1, end)
    return AttributeRef(cls, obis, attr, selector, bytes(buf[p + 1:q])), q


def parse_get_request(buf: bytes, pos: int = 0) -> GetRequest:
    """Decode a GET-Request (the simulated meter's side)."""
    end = len(buf)
    if pos + 3 > end or buf[pos] != TAG_GET_REQUEST:
        raise FramingError(LAYER, pos, "expected a GET-Request (C0 kind invoke)")
    kind, invoke = buf[pos + 1], buf[pos + 2]
    p = pos + 3
    if kind == 1:
        attr, p = _parse_descriptor(buf, p, end)
        return GetRequest(1, invoke, (attr,))
    if kind == 2:
        if p + 4 > end:
            raise IncompleteError(LAYER, p, "GET-Request-Next needs a 4-byte block number")
        return GetRequest(2, invoke, (), int.from_bytes(buf[p:p + 4], "big"))
    if kind == 3:
        count, p = decode_length(buf, p, end)
        attrs = []
        for _ in range(count):
            a, p = _parse_descriptor(buf, p, end)
            attrs.append(a)
        return GetRequest(3, invoke, tuple(attrs))
    raise UnsupportedError(LAYER, pos + 1, f"GET-Request kind {kind}; expected 1 normal, 2 next, 3 with list",
                           {"get_request_kind": kind})


# --- responses ------------------------------------------------------------------------------

def _result_bytes(r: GetResult) -> bytes:
    if r.error is not None:
        return bytes((0x01, r.error))
    return b"\x00" + r.raw


def build_get_response_normal(result: GetResult, invoke_id_and_priority: int = 0xC1) -> bytes:
    return bytes((TAG_GET_RESPONSE, 0x01, invoke_id_and_priority)) + _result_bytes(result)


def build_get_response_list(results: list[GetResult] | tuple[GetResult, ...],
                            invoke_id_and_priority: int = 0xC1) -> bytes:
    return (bytes((TAG_GET_RESPONSE, 0x03, invoke_id_and_priority)) + encode_length(len(results))
            + b"".join(_result_bytes(r) for r in results))


def build_get_response_block(block_number: int, last: bool, raw_data: bytes | None, *,
                             error: int | None = None, invoke_id_and_priority: int = 0xC1) -> bytes:
    head = bytes((TAG_GET_RESPONSE, 0x02, invoke_id_and_priority, 1 if last else 0)) + block_number.to_bytes(4, "big")
    if error is not None:
        return head + bytes((0x01, error))
    data = raw_data or b""
    return head + b"\x00" + encode_length(len(data)) + data


def build_exception_response(state_error: int = 1, service_error: int = 2) -> bytes:
    return bytes((TAG_EXCEPTION, state_error, service_error))


def parse_single_result(buf: bytes, pos: int, end: int) -> tuple[GetResult, int]:
    """Get-Data-Result: ``00`` + Data or ``01`` + Data-Access-Result."""
    if pos >= end:
        raise IncompleteError(LAYER, pos, "expected a Get-Data-Result choice (00 data / 01 result)")
    choice = buf[pos]
    if choice == 0x00:
        data, p = decode_data(buf, pos + 1, end)
        return GetResult(data, None, bytes(buf[pos + 1:p])), p
    if choice == 0x01:
        if pos + 2 > end:
            raise IncompleteError(LAYER, pos + 1, "data-access-result byte missing")
        return GetResult(None, buf[pos + 1]), pos + 2
    raise FramingError(LAYER, pos, f"Get-Data-Result choice {choice:#04x}; expected 00 (data) or 01 (result)")


def parse_get_results(buf: bytes, kind: int, pos: int = 0) -> tuple[GetResult, ...]:
    """The results of a normal (kind 1) or with-list (kind 3) response body starting at pos,
    which must end exactly at the end of ``buf`` (also used on joined block-transfer data,
    which for a normal GET is the Data alone)."""
    end = len(buf)
    if kind == 1:
        data, p = decode_data(buf, pos, end)
        results: tuple[GetResult, ...] = (GetResult(data, None, bytes(buf[pos:p])),)
    else:
        count, p = decode_length(buf, pos, end)
        if count > end - p:
            raise IncompleteError(LAYER, pos, f"{count} results cannot fit in {end - p} bytes")
        out = []
        for _ in range(count):
            r, p = parse_single_result(buf, p, end)
            out.append(r)
        results = tuple(out)
    if p != end:
        raise FramingError(LAYER, p, f"{end - p} bytes after the last result; expected the response to end")
    return results


def parse_get_response(buf: bytes, pos: int = 0) -> GetResponse | ExceptionResponse:
    """Decode a GET-Response, exception-response or confirmed-service-error."""
    end = len(buf)
    if pos >= end:
        raise IncompleteError(LAYER, pos, "empty APDU")
    tag = buf[pos]
    if tag == TAG_EXCEPTION:
        if pos + 3 > end:
            raise IncompleteError(LAYER, pos, "exception-response needs state-error and service-error")
        return ExceptionResponse(tag, (buf[pos + 1], buf[pos + 2]))
    if tag == TAG_CONFIRMED_SERVICE_ERROR:
        if pos + 4 > end:
            raise IncompleteError(LAYER, pos, "confirmed-service-error needs 3 bytes after its tag")
        return ExceptionResponse(tag, (buf[pos + 1], buf[pos + 2], buf[pos + 3]))
    if tag != TAG_GET_RESPONSE:
        raise UnsupportedError(LAYER, pos, f"APDU {tag:#04x} ({APDU_NAMES.get(tag, 'unknown')}); expected a "
                                           f"GET-Response 0xC4", {"apdu_tag": tag})
    if pos + 3 > end:
        raise IncompleteError(LAYER, pos, "GET-Response needs kind and invoke id")
    kind, invoke = buf[pos + 1], buf[pos + 2]
    p = pos + 3
    if kind == 1:
        r, q = parse_single_result(buf, p, end)
        if q != end:
            raise FramingError(LAYER, q, f"{end - q} bytes after the result; expected the response to end")
        return GetResponse(1, invoke, (r,))
    if kind == 3:
        return GetResponse(3, invoke, parse_get_results(buf, 3, p))
    if kind == 2:
        if p + 6 > end:
            raise IncompleteError(LAYER, p, "DataBlock-G needs last-block, block-number and a result choice")
        last = buf[p] != 0
        block = int.from_bytes(buf[p + 1:p + 5], "big")
        choice = buf[p + 5]
        q = p + 6
        if choice == 0x01:
            if q >= end:
                raise IncompleteError(LAYER, q, "data-access-result byte missing")
            return GetResponse(2, invoke, (), last, block, b"", buf[q])
        if choice != 0x00:
            raise FramingError(LAYER, p + 5, f"DataBlock-G result choice {choice:#04x}; expected 00 raw-data or "
                                             f"01 data-access-result")
        n, q = decode_length(buf, q, end)
        if q + n != end:
            raise FramingError(LAYER, q, f"raw-data of {n} bytes but {end - q} follow; expected them to match")
        return GetResponse(2, invoke, (), last, block, bytes(buf[q:q + n]))
    raise UnsupportedError(LAYER, pos + 1, f"GET-Response kind {kind}; expected 1, 2 or 3",
                           {"get_response_kind": kind})
