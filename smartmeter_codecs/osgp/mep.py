"""MEP (Multipurpose Expansion Port) messages: length prefix, sequence number, digest, RC4, TLS codes.

OSGP MEP Client Developer's Guide (DG) ch. 2, Tables 2.1-2.7 and Appendices A/B:

* RC4-mode request:  ``<length u16 MSB> <C12.18 request> <sequence no. u32 MSB> <digest 8>``
* RC4-mode response: ``<length u16 MSB> <response code> <response data> <digest 8>``
* the length counts the bytes after itself; a message is at most 476 bytes (DG "MEP Protocol
  Overview"); the meter's alert is the zero length ``00 00`` sent once a second.
* request digest = ``Digest(key, request message || sequence no.)``; response digest =
  ``Digest(key, request message || sequence no. || response message)`` (DG Appendix A; the
  DG examples verify exactly so).
* RC4 (optional, the meter mirrors the client): the span from the code through the sequence
  number (request) or the end of the data (response) is encrypted with the per-packet key
  (:mod:`.rc4`); digests are over the plaintext; 0x0B answers are never encrypted (DG App. B).
* TLS mode (DG Tables 2.1-2.3): ``<length> <TLS code 0x57/0x58/0x59/0x80> <TLS records>`` and
  ``<length> <00 ok | 01 TLS error | 03 invalid identity or key> <TLS records>``: no sequence
  number or digest; the C12.18 message travels inside TLS 1.2 application data
  (TLS_PSK_WITH_AES_256_GCM_SHA384). TLS belongs to the transport: this module frames the
  records, and :func:`parse_request`/``parse_response`` decode the C12.18 plaintext a TLS
  stack hands back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DecryptionError, FramingError, IncompleteError, KeyRequiredError
from ..keys import Keys, KeysArg, resolve_keys
from . import c1218
from .c1218 import Request, Response, parse_request, parse_response
from .digest import DIGEST_SIZE, oma_digest
from .rc4 import Rc4, mep_packet_key

__all__ = [
    "ALERT",
    "LAYER",
    "MAX_MESSAGE",
    "MEP_REQUEST_CODES",
    "SEQ_WINDOW",
    "TLS_CODES",
    "TLS_RESPONSE_CODES",
    "Exchange",
    "Frame",
    "TlsMessage",
    "TlsRecord",
    "build_tls",
    "classify",
    "key_candidates",
    "next_frame",
    "open_request",
    "open_response",
    "parse_tls",
    "seal_request",
    "seal_response",
]

LAYER = "osgp-mep"
MAX_MESSAGE = 476                  # DG "MEP Protocol Overview": excluding the length field
ALERT = b"\x00\x00"                # DG "Alert Sequence"
SEQ_WINDOW = 8                     # DG "RC4 Authentication": accepted up to 8 increments ahead
SEQ_SIZE = 4

MEP_REQUEST_CODES = frozenset({0x30, 0x3F, 0x40, 0x4F})
TLS_CODES = {0x57: "TLS_TERMINATE", 0x58: "TLS_HANDSHAKE", 0x59: "TLS_HANDSHAKE_CONT", 0x80: "TLS_TABLE"}
TLS_RESPONSE_CODES = {0x00: "success", 0x01: "TLS error", 0x03: "invalid identity or key"}
_TLS_CONTENT = {0x14: "change_cipher_spec", 0x15: "alert", 0x16: "handshake", 0x17: "application_data"}


@dataclass(frozen=True, slots=True)
class Frame:
    """One length-prefixed MEP message at ``start`` (the length field) .. ``end`` in the input."""

    start: int
    end: int
    body: bytes

    @property
    def is_alert(self) -> bool:
        return not self.body


def next_frame(data: bytes, pos: int = 0) -> Frame:
    """The frame starting at ``pos``: IncompleteError if it is not all there, FramingError if
    the length exceeds the 476-byte MEP maximum."""
    if len(data) - pos < 2:
        raise IncompleteError(LAYER, len(data), "MEP length field: expected 2 bytes")
    n = int.from_bytes(data[pos:pos + 2], "big")
    if n > MAX_MESSAGE:
        raise FramingError(LAYER, pos, f"MEP length {n} exceeds the 476-byte maximum message")
    if len(data) - pos - 2 < n:
        raise IncompleteError(LAYER, len(data), f"MEP message announces {n} bytes, "
                              f"{len(data) - pos - 2} present")
    return Frame(pos, pos + 2 + n, bytes(data[pos + 2:pos + 2 + n]))


def _looks_tls_record(b: bytes) -> bool:
    return len(b) >= 5 and b[0] in _TLS_CONTENT and b[1] == 3 and b[2] <= 4


def classify(body: bytes) -> str:
    """``"alert"``, ``"request"``, ``"response"``, ``"tls-request"``, ``"tls-response"`` or
    ``"unknown"`` (e.g. an RC4-encrypted request) from the first bytes of a message body.

    A TLS answer ``00 16 03 03 ..`` cannot be an RC4 read answer: its count would be 0x1603,
    far beyond the 476-byte message maximum.
    """
    if not body:
        return "alert"
    c = body[0]
    if c in TLS_CODES and (c == 0x57 or _looks_tls_record(body[1:])):
        return "tls-request"      # TLS_TERMINATE carries any data (DG Table 2.1)
    if c in MEP_REQUEST_CODES:
        return "request"
    if c in TLS_RESPONSE_CODES and _looks_tls_record(body[1:]):
        return "tls-response"
    if c <= 0x0C:
        return "response"
    return "unknown"


def key_candidates(keys: KeysArg) -> list[bytes]:
    """The MEP keys to try, in order: ``authentication_key`` then ``encryption_key`` of the
    :class:`~smartmeter_codecs.Keys` (first 16 bytes each, DG "Access Levels"). A meter tries
    its MAK then its MBK the same way; put the one you use first."""
    k = resolve_keys(keys, None)
    if not isinstance(k, Keys):
        return []
    out = []
    for raw in (k.authentication_key, k.encryption_key):
        if raw is not None and raw[:16] not in out:
            out.append(raw[:16])
    return out


@dataclass(slots=True)
class Exchange:
    """One request as both sides need it to check or build the answer.

    Attributes:
        request: the C12.18 request.
        seq: its sequence number.
        signed: request message || sequence number (plaintext): the start of the response digest.
        digest: the request digest as sent.
        key: the MEP key that verified (or built) it; ``None`` when unchecked (no key given).
        cipher_key: the RC4 per-packet key when the request was encrypted, else ``None``; the
            answer is decrypted with that key stream continued after the request's bytes
            (:meth:`response_cipher` rebuilds it, so a failed attempt does not consume it).
        offset: where the request frame starts in the caller's input.
    """

    request: Request
    seq: int
    signed: bytes
    digest: bytes
    key: bytes | None
    cipher_key: bytes | None = None
    offset: int = 0
    digest_offset: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def encrypted(self) -> bool:
        return self.cipher_key is not None

    def response_cipher(self) -> Rc4 | None:
        """The RC4 stream positioned after the request span (DG App. B: the meter answers with
        the key stream continued from the request)."""
        if self.cipher_key is None:
            return None
        c = Rc4(self.cipher_key)
        c.apply(bytes(len(self.signed)))
        return c


def seal_request(request: Request, seq: int, key: bytes, *, encrypt: bool = False) -> tuple[bytes, Exchange]:
    """The MEP frame for ``request`` and the :class:`Exchange` that checks its answer."""
    if not 0 <= seq <= 0xFFFFFFFF:
        raise ValueError("a MEP sequence number is 0..0xFFFFFFFF")
    signed = request.to_bytes(mep=True) + seq.to_bytes(4, "big")
    digest = oma_digest(key, signed)
    span, ckey = signed, None
    if encrypt:
        ckey = mep_packet_key(key, digest)
        span = Rc4(ckey).apply(signed)
    body = span + digest
    if len(body) > MAX_MESSAGE:
        raise ValueError(f"MEP request of {len(body)} bytes exceeds the 476-byte maximum")
    return len(body).to_bytes(2, "big") + body, Exchange(request, seq, signed, digest, key, ckey)


def open_request(frame: Frame, keys: list[bytes]) -> Exchange:
    """Check and decode a request frame (digest, RC4) with the candidate keys.

    Raises DecryptionError when keys are given and none verifies the digest, plainly or after
    RC4; KeyRequiredError for a message that is not a plaintext request and no key to try.
    """
    body = frame.body
    base = frame.start + 2
    if len(body) < 1 + SEQ_SIZE + DIGEST_SIZE:
        raise IncompleteError(LAYER, frame.end, f"MEP request of {len(body)} bytes: expected a message, "
                              "a 4-byte sequence number and an 8-byte digest")
    span, digest = body[:-DIGEST_SIZE], body[-DIGEST_SIZE:]
    dpos = frame.end - DIGEST_SIZE
    key: bytes | None = None
    ckey: bytes | None = None
    plain = span
    for k in keys:
        if oma_digest(k, span) == digest:
            key = k
            break
        pk = mep_packet_key(k, digest)
        p = Rc4(pk).apply(span)
        if oma_digest(k, p) == digest:
            key, ckey, plain = k, pk, p
            break
    if keys and key is None:
        raise DecryptionError(LAYER, dpos, f"request digest {digest.hex()} does not match the digest of the "
                              f"{len(span)}-byte message + sequence number (bytes {base}..{dpos}) under "
                              f"{len(keys)} given key(s), neither as plaintext nor RC4-decrypted: wrong key "
                              "or a damaged message")
    if key is None and span[0] not in MEP_REQUEST_CODES:
        raise KeyRequiredError(LAYER, base, f"0x{span[0]:02X} is not a C12.18 request code: an RC4-encrypted "
                               "MEP request? give the MEP key (Keys(authentication_key=...))")
    req = parse_request(plain[:-SEQ_SIZE], mep=True, base=base)
    seq = int.from_bytes(plain[-SEQ_SIZE:], "big")
    return Exchange(req, seq, plain, digest, key, ckey, frame.start, dpos)


def seal_response(response: Response, exchange: Exchange) -> bytes:
    """The meter's answer frame (simulator): digest over request || answer, RC4 when the
    request came encrypted (continued key stream), never for 0x0B (DG App. B)."""
    msg = response.to_bytes(mep=True)
    key = exchange.key
    if key is None:
        raise ValueError("sealing an answer needs the exchange's key")
    digest = oma_digest(key, exchange.signed + msg)
    span = msg
    cipher = exchange.response_cipher()
    if cipher is not None and response.code != 0x0B:
        span = cipher.apply(msg)
    body = span + digest
    return len(body).to_bytes(2, "big") + body


def open_response(frame: Frame, exchange: Exchange | None) -> tuple[Response, bool | None]:
    """Check and decode an answer frame; returns the response and whether its digest was
    verified (``None``: not checked, no key or no request to check it against).

    Raises DecryptionError naming both spans when the digest does not match.
    """
    body = frame.body
    base = frame.start + 2
    if len(body) < 1 + DIGEST_SIZE:
        raise IncompleteError(LAYER, frame.end, f"MEP answer of {len(body)} bytes: expected a response "
                              "code and an 8-byte digest")
    span, digest = body[:-DIGEST_SIZE], body[-DIGEST_SIZE:]
    dpos = frame.end - DIGEST_SIZE
    plain = span
    cipher = exchange.response_cipher() if exchange is not None else None
    if cipher is not None:
        decrypted = cipher.apply(span)
        # 0x0B answers are sent in clear (DG App. B), but a one-byte encrypted answer can also
        # arrive as 0B (code 03 under key stream byte 08): the digest, which a clear 0x0B lacks
        # a key for, says which it is
        if span != b"\x0b" or (exchange is not None and exchange.key is not None
                                and oma_digest(exchange.key, exchange.signed + decrypted) == digest):
            plain = decrypted
    req = exchange.request if exchange is not None else None
    resp = parse_response(plain, request=req, mep=True, base=base)
    if exchange is None or exchange.key is None:
        return resp, None
    if resp.code == 0x0B:
        # the meter matched neither of its keys, so it has none to digest with: nothing to check
        return resp, None
    want = oma_digest(exchange.key, exchange.signed + plain)
    if want != digest:
        raise DecryptionError(
            LAYER, dpos,
            f"response digest {digest.hex()} does not match {want.hex()}, the digest of the request "
            f"message + sequence number (frame at byte {exchange.offset}, {len(exchange.signed)} bytes) "
            f"followed by the {len(plain)}-byte response message (bytes {base}..{dpos}) under the key that "
            "verified the request: the answer is damaged or not from this meter")
    return resp, True


# --- TLS mode framing -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TlsRecord:
    content_type: int
    version: int
    fragment: bytes
    offset: int

    @property
    def content_name(self) -> str:
        return _TLS_CONTENT.get(self.content_type, f"0x{self.content_type:02X}")


@dataclass(frozen=True, slots=True)
class TlsMessage:
    """A TLS-mode MEP message: the code (request TLS code or response status) and its records."""

    direction: str
    code: int
    records: tuple[TlsRecord, ...]

    @property
    def code_name(self) -> str:
        table = TLS_CODES if self.direction == "request" else TLS_RESPONSE_CODES
        return table.get(self.code, f"0x{self.code:02X}")


def parse_tls(frame: Frame, direction: str) -> TlsMessage:
    """Split a TLS-mode message into its TLS records (RFC 5246 §6.2.1 record headers)."""
    body = frame.body
    base = frame.start + 2
    if not body:
        raise IncompleteError(LAYER, base, "TLS-mode message: expected a code")
    if direction == "request" and body[0] == 0x57:
        return TlsMessage(direction, 0x57, ())       # TLS_TERMINATE: "it does not matter what the data is"
    if direction == "response" and len(body) == 1:
        return TlsMessage(direction, body[0], ())    # a bare status (e.g. the answer to TLS_TERMINATE)
    pos = 1
    recs = []
    while pos < len(body):
        if len(body) - pos < 5:
            raise IncompleteError(LAYER, base + len(body), "TLS record header: expected 5 bytes")
        ct, ver, n = body[pos], int.from_bytes(body[pos + 1:pos + 3], "big"), int.from_bytes(body[pos + 3:pos + 5], "big")
        if ct not in _TLS_CONTENT:
            raise FramingError(LAYER, base + pos, f"0x{ct:02X} is not a TLS record content type")
        if pos + 5 + n > len(body):
            raise IncompleteError(LAYER, base + len(body), f"TLS record announces {n} bytes, "
                                  f"{len(body) - pos - 5} present")
        recs.append(TlsRecord(ct, ver, body[pos + 5:pos + 5 + n], base + pos))
        pos += 5 + n
    return TlsMessage(direction, body[0], tuple(recs))


def build_tls(code: int, records: bytes) -> bytes:
    """A TLS-mode MEP frame around TLS record bytes produced by a TLS stack."""
    body = bytes([code]) + records
    if len(body) > MAX_MESSAGE:
        raise ValueError("TLS-mode MEP message exceeds 476 bytes")
    return len(body).to_bytes(2, "big") + body


c1218_LAYER = c1218.LAYER
