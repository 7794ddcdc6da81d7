"""ACSE APDUs of a DLMS association: AARQ/AARE and RLRQ/RLRE (IEC 62056-5-3 / Green Book 9.3,
ISO/IEC 8650 BER), with the xDLMS InitiateRequest/InitiateResponse they carry (A-XDR).

Only what a read-only client with no or low-level security (LLS, mechanism 1) needs, in
both directions (the simulated meter parses AARQs and builds AAREs with the same tables):

AARQ  ``60 L``  ``A1 09 06 07 60 85 74 05 08 01 01``   application-context-name (LN, no ciphering)
                ``8A 02 07 80``                          sender-acse-requirements: authentication
                ``8B 07 60 85 74 05 08 02 01``           mechanism-name (LLS)
                ``AC L 80 L <password>``                 calling-authentication-value (charstring)
                ``BE L 04 L <InitiateRequest>``          user-information
AARE  ``61 L``  ``A1 ..`` context, ``A2 03 02 01 <result>``, ``A3 05 A1|A2 03 02 01 <diagnostic>``,
                ``BE L 04 L <InitiateResponse | ConfirmedServiceError>``
RLRQ  ``62 03 80 01 00`` (reason normal), RLRE ``63 03 80 01 00``.

Public vectors of exactly these shapes (used as test fixtures): the LLS AARQ with password
``00000001`` and its authentication-failure AARE (result 1, diagnostic 13) from a Go DLMS
client's tests; the no-security AARQ/AARE pair of dlms-cosem (corpus dlmscosem-hdlc-i-frame-aarq/-aare).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ..errors import DecodeError, FramingError, IncompleteError, UnsupportedError

__all__ = [
    "Conformance", "READ_ONLY_CONFORMANCE", "AssociationResult", "UserDiagnostic", "ProviderDiagnostic",
    "Aarq", "Aare", "InitiateRequest", "InitiateResponse", "ConfirmedServiceError",
    "build_aarq", "parse_aarq", "build_aare", "parse_aare", "build_rlrq", "parse_rlrq", "build_rlre",
    "parse_rlre", "LN_NO_CIPHERING", "MECHANISM_LOWEST", "MECHANISM_LLS", "TAG_AARQ", "TAG_AARE", "TAG_RLRQ",
    "TAG_RLRE",
]

LAYER = "acse"
TAG_AARQ, TAG_AARE, TAG_RLRQ, TAG_RLRE = 0x60, 0x61, 0x62, 0x63

# Object identifiers {joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5)
# DLMS-UA(8) ...}: application context 1.x, authentication mechanism 2.x (Green Book 9.4.2.2).
LN_NO_CIPHERING = 1
MECHANISM_LOWEST = 0
MECHANISM_LLS = 1
_CONTEXT_NAMES = {1: "LN no ciphering", 2: "SN no ciphering", 3: "LN with ciphering", 4: "SN with ciphering"}


class Conformance(enum.IntFlag):
    """xDLMS conformance block bits (Green Book 9.4.6.1). Bit 0 is the most significant bit of
    the 24-bit string, so ``get`` (bit 19) is ``1 << (23 - 19)``."""

    GENERAL_PROTECTION = 1 << 22
    GENERAL_BLOCK_TRANSFER = 1 << 21
    READ = 1 << 20
    WRITE = 1 << 19
    UNCONFIRMED_WRITE = 1 << 18
    ATTRIBUTE0_SET = 1 << 15
    PRIORITY_MGMT = 1 << 14
    ATTRIBUTE0_GET = 1 << 13
    BLOCK_TRANSFER_GET = 1 << 12
    BLOCK_TRANSFER_SET = 1 << 11
    BLOCK_TRANSFER_ACTION = 1 << 10
    MULTIPLE_REFERENCES = 1 << 9
    INFORMATION_REPORT = 1 << 8
    DATA_NOTIFICATION = 1 << 7
    ACCESS = 1 << 6
    PARAMETERIZED_ACCESS = 1 << 5
    GET = 1 << 4
    SET = 1 << 3
    SELECTIVE_ACCESS = 1 << 2
    EVENT_NOTIFICATION = 1 << 1
    ACTION = 1 << 0


# What a read-only client proposes: GET, its block transfer, GET with list (multiple
# references) and selective access. No SET/ACTION bit: the server may not even offer them.
READ_ONLY_CONFORMANCE = (Conformance.GET | Conformance.BLOCK_TRANSFER_GET | Conformance.MULTIPLE_REFERENCES
                         | Conformance.SELECTIVE_ACCESS)


class AssociationResult(enum.IntEnum):
    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


class UserDiagnostic(enum.IntEnum):
    """result-source-diagnostic, acse-service-user (ISO/IEC 8650, Green Book table "AARE")."""

    NULL = 0
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AP_TITLE_NOT_RECOGNIZED = 3
    CALLING_AP_INVOCATION_ID_NOT_RECOGNIZED = 4
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = 5
    CALLING_AE_INVOCATION_ID_NOT_RECOGNIZED = 6
    CALLED_AP_TITLE_NOT_RECOGNIZED = 7
    CALLED_AP_INVOCATION_ID_NOT_RECOGNIZED = 8
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = 9
    CALLED_AE_INVOCATION_ID_NOT_RECOGNIZED = 10
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = 11
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = 12
    AUTHENTICATION_FAILURE = 13
    AUTHENTICATION_REQUIRED = 14


class ProviderDiagnostic(enum.IntEnum):
    NULL = 0
    NO_REASON_GIVEN = 1
    NO_COMMON_ACSE_VERSION = 2


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    """xDLMS-Initiate.request (A-XDR, Green Book 9.5): what the client proposes."""

    conformance: int = int(READ_ONLY_CONFORMANCE)
    max_receive_pdu_size: int = 0xFFFF
    dlms_version: int = 6


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    """xDLMS-Initiate.response: what the server granted."""

    conformance: int
    max_receive_pdu_size: int
    dlms_version: int = 6
    vaa_name: int = 0x0007   # 0x0007 for LN referencing


@dataclass(frozen=True, slots=True)
class ConfirmedServiceError:
    """confirmed-service-error [14]: which service failed (1 initiate-error, ...), the error
    class (``ServiceError`` CHOICE index, 6 = initiate) and its value."""

    service: int
    error_class: int
    error: int

    def describe(self) -> str:
        cls = _ERROR_CLASSES.get(self.error_class, f"class {self.error_class}")
        what = _INITIATE_ERRORS.get(self.error) if self.error_class == 6 else None
        return f"{cls} error {self.error}" + (f" ({what})" if what else "")


_ERROR_CLASSES = {0: "application-reference", 1: "hardware-resource", 2: "vde-state-error", 3: "service",
                  4: "definition", 5: "access", 6: "initiate", 7: "load-data-set", 8: "change-scope", 9: "task",
                  10: "other"}
_INITIATE_ERRORS = {0: "other", 1: "dlms-version-too-low", 2: "incompatible-conformance",
                    3: "pdu-size-too-short", 4: "refused-by-the-VDE-handler"}


@dataclass(frozen=True, slots=True)
class Aarq:
    application_context: int = LN_NO_CIPHERING
    mechanism: int | None = None           # None: no mechanism-name (lowest level security)
    password: bytes | None = None
    initiate: InitiateRequest = InitiateRequest()


@dataclass(frozen=True, slots=True)
class Aare:
    application_context: int
    result: int
    diagnostic: int
    diagnostic_source: str                 # "acse-service-user" or "acse-service-provider"
    initiate: InitiateResponse | None
    service_error: ConfirmedServiceError | None

    @property
    def accepted(self) -> bool:
        return self.result == AssociationResult.ACCEPTED

    def describe(self) -> str:
        try:
            result = AssociationResult(self.result).name.lower().replace("_", "-")
        except ValueError:
            result = f"result {self.result}"
        table = UserDiagnostic if self.diagnostic_source == "acse-service-user" else ProviderDiagnostic
        try:
            diag = table(self.diagnostic).name.lower().replace("_", "-")
        except ValueError:
            diag = str(self.diagnostic)
        text = f"{result}, {self.diagnostic_source} diagnostic {self.diagnostic} ({diag})"
        if self.service_error is not None:
            text += f", {self.service_error.describe()}"
        return text


# --- BER helpers ---------------------------------------------------------------------------

def _ber_len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + _ber_len(len(value)) + value


def _read_tlv(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int, int]:
    """(tag, value start, value end) of the BER element at pos."""
    if pos + 2 > end:
        raise IncompleteError(LAYER, pos, f"{what}: need a tag and a length")
    tag = buf[pos]
    first = buf[pos + 1]
    p = pos + 2
    if first < 0x80:
        n = first
    else:
        k = first & 0x7F
        if k == 0 or k > 2:
            raise FramingError(LAYER, pos + 1, f"{what}: BER length form {first:#04x}; expected 0x00-0x7F, "
                                               f"0x81 or 0x82")
        if p + k > end:
            raise IncompleteError(LAYER, pos + 1, f"{what}: length runs past the end")
        n = int.from_bytes(buf[p:p + k], "big")
        p += k
    if p + n > end:
        raise IncompleteError(LAYER, p, f"{what}: element {tag:#04x} of {n} bytes, {end - p} left")
    return tag, p, p + n


def _oid(kind: int, value: int) -> bytes:
    return bytes.fromhex("6085740508") + bytes((kind, value))


def _parse_oid(buf: bytes, start: int, end: int, kind: int, what: str) -> int:
    raw = buf[start:end]
    if len(raw) != 7 or raw[:5] != bytes.fromhex("6085740508") or raw[5] != kind:
        raise UnsupportedError(LAYER, start, f"{what} {raw.hex()} is not a DLMS UA object identifier "
                                             f"2.16.756.5.8.{kind}.x", {"oid": raw.hex()})
    return raw[6]


def _small_int(buf: bytes, start: int, end: int, what: str) -> int:
    """An EXPLICIT [n] { INTEGER } as used for result and diagnostics."""
    tag, s, e = _read_tlv(buf, start, end, what)
    if tag != 0x02 or e - s < 1 or e - s > 2:
        raise FramingError(LAYER, start, f"{what}: expected INTEGER 02 01 xx, found tag {tag:#04x}")
    return int.from_bytes(buf[s:e], "big")


# --- conformance block ([APPLICATION 31] IMPLICIT BIT STRING (SIZE(24))) ----------------------

def _conformance(bits: int) -> bytes:
    return bytes((0x5F, 0x1F, 0x04, 0x00)) + bits.to_bytes(3, "big")


def _parse_conformance(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos + 7 > end:
        raise IncompleteError(LAYER, pos, "conformance block needs 7 bytes (5F 1F 04 00 + 3)")
    if buf[pos] != 0x5F or buf[pos + 1] != 0x1F or buf[pos + 2] != 0x04:
        raise FramingError(LAYER, pos, f"conformance block starts {bytes(buf[pos:pos + 3]).hex()}, expected 5f1f04")
    return int.from_bytes(buf[pos + 4:pos + 7], "big"), pos + 7


# --- InitiateRequest / InitiateResponse -------------------------------------------------------

def build_initiate_request(req: InitiateRequest) -> bytes:
    # 01 tag, dedicated-key absent (00), response-allowed default (00), quality-of-service
    # absent (00), dlms version, conformance, client-max-receive-pdu-size
    return (bytes((0x01, 0x00, 0x00, 0x00, req.dlms_version)) + _conformance(req.conformance)
            + req.max_receive_pdu_size.to_bytes(2, "big"))


def parse_initiate_request(buf: bytes, pos: int, end: int) -> InitiateRequest:
    if pos >= end or buf[pos] != 0x01:
        raise FramingError(LAYER, pos, "expected xDLMS InitiateRequest tag 0x01")
    p = pos + 1
    for name in ("dedicated-key", "response-allowed", "proposed-quality-of-service"):
        if p >= end:
            raise IncompleteError(LAYER, p, f"InitiateRequest ends before {name}")
        if buf[p]:
            if name == "dedicated-key":
                raise UnsupportedError(LAYER, p, "InitiateRequest with a dedicated key (ciphering) is not "
                                                 "supported by this no-security server")
            p += 2   # present: flag + one byte (BOOLEAN / Integer8)
        else:
            p += 1
    if p >= end:
        raise IncompleteError(LAYER, p, "InitiateRequest ends before the DLMS version")
    version = buf[p]
    conf, p = _parse_conformance(buf, p + 1, end)
    if p + 2 > end:
        raise IncompleteError(LAYER, p, "InitiateRequest ends before client-max-receive-pdu-size")
    return InitiateRequest(conf, int.from_bytes(buf[p:p + 2], "big"), version)


def build_initiate_response(resp: InitiateResponse) -> bytes:
    return (bytes((0x08, 0x00, resp.dlms_version)) + _conformance(resp.conformance)
            + resp.max_receive_pdu_size.to_bytes(2, "big") + resp.vaa_name.to_bytes(2, "big"))


def _parse_user_information(buf: bytes, start: int, end: int) -> InitiateResponse | ConfirmedServiceError:
    tag, s, e = _read_tlv(buf, start, end, "user-information")
    if tag != 0x04:
        raise FramingError(LAYER, start, f"user-information holds tag {tag:#04x}, expected OCTET STRING 0x04")
    if s >= e:
        raise IncompleteError(LAYER, s, "user-information is empty")
    if buf[s] == 0x0E:
        if s + 4 > e:
            raise IncompleteError(LAYER, s, "confirmed-service-error needs 4 bytes")
        return ConfirmedServiceError(buf[s + 1], buf[s + 2], buf[s + 3])
    if buf[s] != 0x08:
        raise UnsupportedError(LAYER, s, f"user-information APDU {buf[s]:#04x}; expected InitiateResponse 0x08 "
                                         f"or confirmed-service-error 0x0E (ciphered responses need keys)",
                               {"apdu_tag": buf[s]})
    p = s + 1
    if p >= e:
        raise IncompleteError(LAYER, p, "InitiateResponse ends before its quality of service")
    p += 2 if buf[p] else 1
    if p >= e:
        raise IncompleteError(LAYER, p, "InitiateResponse ends before the DLMS version")
    version = buf[p]
    conf, p = _parse_conformance(buf, p + 1, e)
    if p + 4 > e:
        raise IncompleteError(LAYER, p, "InitiateResponse ends before server-max-receive-pdu-size and vaa-name")
    return InitiateResponse(conf, int.from_bytes(buf[p:p + 2], "big"), version, int.from_bytes(buf[p + 2:p + 4], "big"))


# --- AARQ ------------------------------------------------------------------------------------

def build_aarq(aarq: Aarq) -> bytes:
    """Encode an AARQ (fields in the order of the ASN.1 sequence)."""
    body = _tlv(0xA1, _tlv(0x06, _oid(1, aarq.application_context)))
    if aarq.mechanism is not None and aarq.mechanism != MECHANISM_LOWEST:
        if aarq.password is None:
            raise ValueError("a low-level-security association needs a password")
        body += bytes((0x8A, 0x02, 0x07, 0x80))     # acse-requirements: bit 0 (authentication)
        body += _tlv(0x8B, _oid(2, aarq.mechanism))
        body += _tlv(0xAC, _tlv(0x80, aarq.password))
    body += _tlv(0xBE, _tlv(0x04, build_initiate_request(aarq.initiate)))
    return _tlv(TAG_AARQ, body)


def parse_aarq(buf: bytes, pos: int = 0) -> Aarq:
    """Decode an AARQ (the simulated meter's side)."""
    tag, s, e = _read_tlv(buf, pos, len(buf), "AARQ")
    if tag != TAG_AARQ:
        raise FramingError(LAYER, pos, f"expected AARQ tag 0x60, found {tag:#04x}")
    context = None
    mechanism = None
    password = None
    initiate = None
    p = s
    while p < e:
        t, vs, ve = _read_tlv(buf, p, e, "AARQ field")
        if t == 0xA1:
            t2, os_, oe = _read_tlv(buf, vs, ve, "application-context-name")
            context = _parse_oid(buf, os_, oe, 1, "application-context-name")
        elif t == 0x8B:
            mechanism = _parse_oid(buf, vs, ve, 2, "mechanism-name")
        elif t == 0xAC:
            t2, ps, pe = _read_tlv(buf, vs, ve, "calling-authentication-value")
            password = bytes(buf[ps:pe])
        elif t == 0xBE:
            t2, us, ue = _read_tlv(buf, vs, ve, "user-information")
            initiate = parse_initiate_request(buf, us, ue)
        p = ve
    if context is None:
        raise FramingError(LAYER, s, "AARQ without application-context-name")
    if initiate is None:
        raise FramingError(LAYER, s, "AARQ without user-information (xDLMS InitiateRequest)")
    return Aarq(context, mechanism, password, initiate)


# --- AARE ------------------------------------------------------------------------------------

def build_aare(result: int, diagnostic: int, *, initiate: InitiateResponse | None = None,
               service_error: ConfirmedServiceError | None = None, application_context: int = LN_NO_CIPHERING,
               provider_diagnostic: bool = False) -> bytes:
    """Encode an AARE (the simulated meter's answer)."""
    body = _tlv(0xA1, _tlv(0x06, _oid(1, application_context)))
    body += _tlv(0xA2, _tlv(0x02, bytes((result,))))
    body += _tlv(0xA3, _tlv(0xA2 if provider_diagnostic else 0xA1, _tlv(0x02, bytes((diagnostic,)))))
    if service_error is not None:
        ui = bytes((0x0E, service_error.service, service_error.error_class, service_error.error))
        body += _tlv(0xBE, _tlv(0x04, ui))
    elif initiate is not None:
        body += _tlv(0xBE, _tlv(0x04, build_initiate_response(initiate)))
    return _tlv(TAG_AARE, body)


def parse_aare(buf: bytes, pos: int = 0) -> Aare:
    """Decode an AARE; fields this client does not use (AP titles, HLS challenge) are skipped."""
    tag, s, e = _read_tlv(buf, pos, len(buf), "AARE")
    if tag != TAG_AARE:
        raise FramingError(LAYER, pos, f"expected AARE tag 0x61, found {tag:#04x}")
    context = result = diagnostic = None
    source = "acse-service-user"
    user: InitiateResponse | ConfirmedServiceError | None = None
    user_at: tuple[int, int] | None = None
    p = s
    while p < e:
        t, vs, ve = _read_tlv(buf, p, e, "AARE field")
        if t == 0xA1:
            _, os_, oe = _read_tlv(buf, vs, ve, "application-context-name")
            context = _parse_oid(buf, os_, oe, 1, "application-context-name")
        elif t == 0xA2:
            result = _small_int(buf, vs, ve, "association result")
        elif t == 0xA3:
            t2, ds, de = _read_tlv(buf, vs, ve, "result-source-diagnostic")
            if t2 not in (0xA1, 0xA2):
                raise FramingError(LAYER, vs, f"result-source-diagnostic choice {t2:#04x}; expected A1 (user) "
                                              f"or A2 (provider)")
            source = "acse-service-user" if t2 == 0xA1 else "acse-service-provider"
            diagnostic = _small_int(buf, ds, de, "diagnostic")
        elif t == 0xBE:
            user_at = (vs, ve)
        p = ve
    if context is None or result is None or diagnostic is None:
        missing = [n for n, v in (("application-context-name", context), ("result", result),
                                  ("result-source-diagnostic", diagnostic)) if v is None]
        raise FramingError(LAYER, s, f"AARE without {', '.join(missing)} (mandatory, Green Book 9.3)")
    if user_at is not None:
        try:
            user = _parse_user_information(buf, *user_at)
        except DecodeError:
            # A rejection is what it says whatever its user-information holds (a public AARE
            # with SN referencing carries a malformed conformance block, see the tests); an
            # accepted association needs the InitiateResponse.
            if result == AssociationResult.ACCEPTED:
                raise
    return Aare(context, result, diagnostic, source,
                user if isinstance(user, InitiateResponse) else None,
                user if isinstance(user, ConfirmedServiceError) else None)


# --- RLRQ / RLRE -----------------------------------------------------------------------------

def build_rlrq(reason: int = 0) -> bytes:
    """RLRQ with reason (0 normal)."""
    return _tlv(TAG_RLRQ, _tlv(0x80, bytes((reason,))))


def build_rlre(reason: int = 0) -> bytes:
    return _tlv(TAG_RLRE, _tlv(0x80, bytes((reason,))))


def _parse_release(buf: bytes, pos: int, want: int, name: str) -> int | None:
    tag, s, e = _read_tlv(buf, pos, len(buf), name)
    if tag != want:
        raise FramingError(LAYER, pos, f"expected {name} tag {want:#04x}, found {tag:#04x}")
    p = s
    reason = None
    while p < e:
        t, vs, ve = _read_tlv(buf, p, e, f"{name} field")
        if t == 0x80 and ve > vs:
            reason = buf[vs]
        p = ve
    return reason


def parse_rlrq(buf: bytes, pos: int = 0) -> int | None:
    """The reason of an RLRQ (None when absent)."""
    return _parse_release(buf, pos, TAG_RLRQ, "RLRQ")


def parse_rlre(buf: bytes, pos: int = 0) -> int | None:
    """The reason of an RLRE (None when absent; many meters answer ``63 00``)."""
    return _parse_release(buf, pos, TAG_RLRE, "RLRE")


def context_name(n: int) -> str:
    return _CONTEXT_NAMES.get(n, f"context {n}")


__all__ += ["context_name", "build_initiate_request", "parse_initiate_request", "build_initiate_response"]
