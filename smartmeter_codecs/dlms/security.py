"""DLMS/COSEM application-layer security: ciphered APDUs (AES-GCM), both ways.

Green Book (DLMS UA 1000-2) clause 9.2, "information security in DLMS/COSEM" (security
header, AES-GCM use): a ciphered APDU carries

* the security control byte (``SC``: suite id, authentication, encryption, key set,
  compression, :class:`SecurityControl`),
* a 4-byte invocation counter (``IC``, the last 4 bytes of the GCM initialisation vector),
* the ciphertext (or, for authentication only, the plaintext APDU),
* a 12-byte truncated GCM tag when ``SC`` has the authentication bit.

The initialisation vector is ``system title (8 bytes) || IC`` (96 bits). With

* **authentication and encryption** (``SC & 0x30 == 0x30``): ``AAD = SC || AK``, ``P = APDU``;
* **authentication only** (``0x10``): GMAC, ``AAD = SC || AK || APDU``, ``P`` empty; the APDU
  travels in clear;
* **encryption only** (``0x20``): no AAD, no tag. GCM encryption is CTR mode whose first
  keystream block is ``E(K, IV || 00000002)`` (NIST SP 800-38D, 7.1: ``J0 = IV || 0^31 1``,
  the plaintext starts at ``inc32(J0)``), so it is decrypted with ``cryptography``'s AES-CTR
  started at that counter block. Many Austrian, Polish and Swiss meters send this.

Nothing is hand-rolled: AES-GCM and AES-CTR come from ``cryptography``. Keys are never logged
or put in error messages.

Wire layouts handled by :func:`unwrap` (the xDLMS APDU ASN.1 of the Green Book):

* ``general-glo-ciphering`` [219] = 0xDB and ``general-ded-ciphering`` [220] = 0xDC:
  ``tag, system-title OCTET STRING, ciphered-content OCTET STRING``;
* ``general-ciphering`` [221] = 0xDD: ``tag, transaction-id, originator-system-title,
  recipient-system-title, date-time, other-information (OCTET STRINGs), key-info OPTIONAL,
  ciphered-content``; key-info absent or ``identified-key`` is supported, ``wrapped-key`` and
  ``agreed-key`` raise :class:`UnsupportedError`;
* the service-specific glo-/ded- APDUs (``glo-get-request`` [200] = 0xC8 ...): ``tag,
  ciphered-content`` with no system title in the APDU; the system title then comes from
  :class:`~smartmeter_codecs.keys.Keys` (it was exchanged in the AARQ/AARE).

``ciphered-content`` is ``SC || IC || ciphertext [|| tag]``. Lengths are A-XDR/BER lengths:
short form (``0x00``-``0x7F``) or long form ``0x81 n``, ``0x82 nn``, ``0x83 nnn``, ``0x84 nnnn``.
"""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Callable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import (
    DecodeError,
    DecryptionError,
    FramingError,
    IncompleteError,
    KeyRequiredError,
    UnsupportedError,
)
from ..keys import Keys, KeysArg, authentication_required, resolve_keys

__all__ = [
    "SecurityControl",
    "Unwrapped",
    "CIPHERED_TAGS",
    "GLOBAL_SERVICE_TAGS",
    "DEDICATED_SERVICE_TAGS",
    "GENERAL_GLO_CIPHERING",
    "GENERAL_DED_CIPHERING",
    "GENERAL_CIPHERING",
    "TAG_LENGTH",
    "is_ciphered",
    "unwrap",
    "wrap",
    "encrypt",
    "decrypt",
    "gmac",
    "make_iv",
]

log = logging.getLogger(__name__)

LAYER = "dlms-security"

#: Length of the truncated GCM authentication tag (Green Book: 96 bits for the DLMS suites).
TAG_LENGTH = 12
_IC_LENGTH = 4
_SYSTEM_TITLE_LENGTH = 8

# xDLMS APDU tags (Green Book ASN.1, "XDLMS-APDU ::= CHOICE", context tag numbers in brackets).
GENERAL_GLO_CIPHERING = 0xDB  # [219]
GENERAL_DED_CIPHERING = 0xDC  # [220]
GENERAL_CIPHERING = 0xDD  # [221]

#: Service-specific APDUs ciphered with the global key: tag -> name of the inner service.
GLOBAL_SERVICE_TAGS: Mapping[int, str] = {
    0x21: "glo-initiate-request",  # [33]
    0x28: "glo-initiate-response",  # [40]
    0x2E: "glo-confirmed-service-error",  # [46]
    0xC8: "glo-get-request",  # [200]
    0xC9: "glo-set-request",  # [201]
    0xCA: "glo-event-notification-request",  # [202]
    0xCB: "glo-action-request",  # [203]
    0xCC: "glo-get-response",  # [204]
    0xCD: "glo-set-response",  # [205]
    0xCF: "glo-action-response",  # [207]
}
#: Service-specific APDUs ciphered with the dedicated key.
DEDICATED_SERVICE_TAGS: Mapping[int, str] = {
    0x41: "ded-initiate-request",  # [65]
    0x48: "ded-initiate-response",  # [72]
    0x4E: "ded-confirmed-service-error",  # [78]
    0xD0: "ded-get-request",  # [208]
    0xD1: "ded-set-request",  # [209]
    0xD2: "ded-event-notification-request",  # [210]
    0xD3: "ded-action-request",  # [211]
    0xD4: "ded-get-response",  # [212]
    0xD5: "ded-set-response",  # [213]
    0xD7: "ded-action-response",  # [215]
}
_GENERAL_TAGS: Mapping[int, str] = {
    GENERAL_GLO_CIPHERING: "general-glo-ciphering",
    GENERAL_DED_CIPHERING: "general-ded-ciphering",
    GENERAL_CIPHERING: "general-ciphering",
}
_TAG_NAMES: Mapping[int, str] = {**GLOBAL_SERVICE_TAGS, **DEDICATED_SERVICE_TAGS, **_GENERAL_TAGS}

#: Every APDU tag :func:`unwrap` understands.
CIPHERED_TAGS: frozenset[int] = frozenset(_TAG_NAMES)

# Security suites (Green Book 9.2.3, "security suites"): 0 AES-GCM-128; 1 ECDH-ECDSA-AES-GCM-128-SHA-256;
# 2 ECDH-ECDSA-AES-GCM-256-SHA-384. All three cipher APDUs with AES-GCM; the key length picks
# AES-128 or AES-256. (The Kaifa MA309 of Stoen, PL, sends SC 0x21 = suite 1 with a 16-byte key.)
_KNOWN_SUITES = frozenset({0, 1, 2})

# Key-Info CHOICE of general-ciphering (Green Book ASN.1): 0 identified-key, 1 wrapped-key,
# 2 agreed-key. Identified-Key key-id: 0 global unicast, 1 global broadcast encryption key.
_KEY_INFO_NAMES = {0: "identified-key", 1: "wrapped-key", 2: "agreed-key"}

_MAX_LENGTH_OCTETS = 4


@dataclass(frozen=True, slots=True)
class SecurityControl:
    """The security control byte (Green Book 9.2.7.2.4, security header).

    Bits 0-3 security suite id, bit 4 authentication, bit 5 encryption, bit 6 key set
    (0 unicast, 1 broadcast), bit 7 compression.
    """

    suite: int
    authentication: bool
    encryption: bool
    broadcast_key: bool
    compression: bool

    @classmethod
    def from_byte(cls, b: int) -> "SecurityControl":
        """Split a security control byte into its fields."""
        if not 0 <= b <= 0xFF:
            raise ValueError(f"security control must be one byte, got {b}")
        return cls(
            suite=b & 0x0F,
            authentication=bool(b & 0x10),
            encryption=bool(b & 0x20),
            broadcast_key=bool(b & 0x40),
            compression=bool(b & 0x80),
        )

    def to_byte(self) -> int:
        """The byte as sent on the wire."""
        if not 0 <= self.suite <= 0x0F:
            raise ValueError(f"security suite must be 0..15, got {self.suite}")
        return (self.suite | (0x10 if self.authentication else 0) | (0x20 if self.encryption else 0)
                | (0x40 if self.broadcast_key else 0) | (0x80 if self.compression else 0))

    def __str__(self) -> str:
        mode = {(True, True): "authenticated+encrypted", (False, True): "encrypted",
                (True, False): "authenticated", (False, False): "no protection"}[
            (self.authentication, self.encryption)]
        extra = ", broadcast key" if self.broadcast_key else ""
        extra += ", compressed" if self.compression else ""
        return f"0x{self.to_byte():02X} (suite {self.suite}, {mode}{extra})"


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """A deciphered APDU and what its security header said.

    Attributes:
        plaintext: the inner APDU (e.g. a data-notification starting 0x0F).
        authenticated: ``True`` when the GCM tag was verified; ``False`` when the APDU was
            deciphered without a tag check (no authentication key given, or the sender sent no
            tag: encryption-only); ``None`` is never produced here (it means "plaintext frame"
            in :class:`~smartmeter_codecs.model.Reading`).
        system_title: the sender's system title used for the IV (from the APDU, or from the
            keys for service-specific APDUs), ``None`` when neither has one.
        security_control: the decoded security control byte.
        invocation_counter: the 32-bit invocation (frame) counter.
        consumed: bytes of the input APDU used (trailing bytes are not part of it).
        fields: ``(name, start, end, value)`` for inspection, offsets absolute like errors
            (``offset`` argument + position), end exclusive.
    """

    plaintext: bytes
    authenticated: bool | None
    system_title: bytes | None
    security_control: SecurityControl
    invocation_counter: int
    consumed: int
    fields: tuple[tuple[str, int, int, object], ...]


# --------------------------------------------------------------------------- primitives


def make_iv(system_title: bytes, invocation_counter: int) -> bytes:
    """The 96-bit GCM IV: system title (8 bytes) || invocation counter (4 bytes, big endian)."""
    if len(system_title) != _SYSTEM_TITLE_LENGTH:
        raise ValueError(f"system title must be 8 bytes, got {len(system_title)}")
    if not 0 <= invocation_counter <= 0xFFFFFFFF:
        raise ValueError(f"invocation counter must fit in 32 bits, got {invocation_counter}")
    return bytes(system_title) + invocation_counter.to_bytes(4, "big")


def _ctr_keystream_cipher(key: bytes, iv: bytes) -> Cipher[modes.CTR]:
    # GCM's first plaintext block uses counter block IV || 00000002 (SP 800-38D 7.1). CTR from
    # `cryptography` increments the whole 128-bit block while GCM's inc32 wraps the low 32 bits:
    # they differ only after 2^32 - 2 blocks (64 GiB), far beyond any APDU.
    return Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02"))


def encrypt(plaintext: bytes, *, security_control: int, system_title: bytes, invocation_counter: int,
            encryption_key: bytes, authentication_key: bytes | None = None, aad_extra: bytes = b"") -> bytes:
    """Protect ``plaintext`` as ``SC`` says; returns what follows ``SC || IC`` on the wire.

    ``0x30``: ciphertext || tag; ``0x20``: ciphertext; ``0x10``: plaintext || tag (GMAC);
    neither bit: the plaintext unchanged. ``aad_extra`` is appended to ``SC || AK`` (used by
    general-ciphering with suites 1 and 2).
    """
    sc = SecurityControl.from_byte(security_control)
    iv = make_iv(system_title, invocation_counter)
    if sc.authentication:
        if authentication_key is None:
            raise ValueError("an authentication key is needed to authenticate")
        aad = bytes([security_control]) + authentication_key + aad_extra
        if sc.encryption:
            out = AESGCM(encryption_key).encrypt(iv, plaintext, aad)
            return out[: len(plaintext) + TAG_LENGTH]
        tag = AESGCM(encryption_key).encrypt(iv, b"", aad + plaintext)[:TAG_LENGTH]
        return plaintext + tag
    if sc.encryption:
        enc = _ctr_keystream_cipher(encryption_key, iv).encryptor()
        return enc.update(plaintext) + enc.finalize()
    return bytes(plaintext)


def gmac(*, security_control: int, system_title: bytes, invocation_counter: int, encryption_key: bytes,
         authentication_key: bytes, data: bytes) -> bytes:
    """The 12-byte GMAC tag over ``SC || AK || data`` (authentication only, e.g. HLS-5 f(StoC))."""
    aad = bytes([security_control]) + authentication_key + data
    iv = make_iv(system_title, invocation_counter)
    return AESGCM(encryption_key).encrypt(iv, b"", aad)[:TAG_LENGTH]


def decrypt(protected: bytes, *, security_control: int, system_title: bytes, invocation_counter: int,
            encryption_key: bytes | None, authentication_key: bytes | None = None,
            aad_extra: bytes = b"") -> tuple[bytes, bool]:
    """Undo :func:`encrypt`: returns ``(plaintext, tag_verified)``.

    When ``SC`` has the authentication bit and ``authentication_key`` is given, the tag is
    verified (``cryptography.exceptions.InvalidTag`` when it does not match); without the
    authentication key the last 12 bytes are dropped unchecked and ``tag_verified`` is False.
    ``protected`` must already be long enough to hold the tag (the caller checks).
    """
    sc = SecurityControl.from_byte(security_control)
    iv = make_iv(system_title, invocation_counter)
    if sc.authentication:
        body, tag = protected[:-TAG_LENGTH], protected[-TAG_LENGTH:]
        if sc.encryption:
            if encryption_key is None:
                raise ValueError("an encryption key is needed to decrypt")
            if authentication_key is None:
                dec = _ctr_keystream_cipher(encryption_key, iv).decryptor()
                return dec.update(body) + dec.finalize(), False
            aad = bytes([security_control]) + authentication_key + aad_extra
            gcm = modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
            d = Cipher(algorithms.AES(encryption_key), gcm).decryptor()
            d.authenticate_additional_data(aad)
            plain = d.update(body)
            plain += d.finalize()  # raises InvalidTag
            return plain, True
        if encryption_key is None or authentication_key is None:
            return bytes(body), False
        expect = gmac(security_control=security_control, system_title=system_title,
                      invocation_counter=invocation_counter, encryption_key=encryption_key,
                      authentication_key=authentication_key, data=aad_extra + body)
        if not hmac.compare_digest(expect, tag):
            raise InvalidTag()
        return bytes(body), True
    if sc.encryption:
        if encryption_key is None:
            raise ValueError("an encryption key is needed to decrypt")
        dec = _ctr_keystream_cipher(encryption_key, iv).decryptor()
        return dec.update(protected) + dec.finalize(), False
    return bytes(protected), False


# --------------------------------------------------------------------------- wire format


def is_ciphered(apdu: bytes) -> bool:
    """True when ``apdu`` starts with a ciphered xDLMS APDU tag (:data:`CIPHERED_TAGS`)."""
    return len(apdu) > 0 and apdu[0] in CIPHERED_TAGS


class _Reader:
    """Cursor over the APDU that raises typed errors with absolute offsets."""

    __slots__ = ("data", "pos", "base", "fields")

    def __init__(self, data: bytes, base: int) -> None:
        self.data = data
        self.pos = 0
        self.base = base
        self.fields: list[tuple[str, int, int, object]] = []

    def need(self, n: int, what: str) -> None:
        if self.pos + n > len(self.data):
            raise IncompleteError(
                LAYER, self.base + self.pos,
                f"{what}: need {n} byte(s), only {len(self.data) - self.pos} left")

    def byte(self, what: str) -> int:
        self.need(1, what)
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int, what: str) -> bytes:
        self.need(n, what)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return bytes(out)

    def length(self, what: str) -> int:
        """A-XDR length (BER definite form, X.690 8.1.3): 0x00-0x7F or 0x8n + n octets."""
        start = self.pos
        first = self.byte(f"length of {what}")
        if first < 0x80:
            value = first
        else:
            n = first & 0x7F
            if n == 0 or n > _MAX_LENGTH_OCTETS:
                raise FramingError(
                    LAYER, self.base + start,
                    f"length of {what}: 0x{first:02X} is not a definite BER length "
                    f"(expected 0x00-0x7F or 0x81-0x84)")
            value = int.from_bytes(self.take(n, f"long-form length of {what}"), "big")
        self.fields.append((f"{what}_length", self.base + start, self.base + self.pos, value))
        return value

    def octet_string(self, name: str) -> bytes:
        n = self.length(name)
        start = self.pos
        value = self.take(n, name)
        self.fields.append((name, self.base + start, self.base + self.pos, value))
        return value


@dataclass(frozen=True, slots=True)
class _Header:
    tag: int
    system_title: bytes | None  # from the APDU (None for service-specific APDUs)
    content_start: int  # position of SC in the APDU
    content_end: int  # end of ciphered-content (== consumed)
    aad_extra: bytes  # general-ciphering, suites 1/2
    broadcast_key_id: bool  # general-ciphering identified-key says "broadcast"


def _parse_header(r: _Reader) -> _Header:
    tag = r.byte("APDU tag")
    name = _TAG_NAMES.get(tag)
    if name is None:
        raise UnsupportedError(LAYER, r.base, f"APDU tag 0x{tag:02X} is not a ciphered APDU "
                               f"(expected one of {', '.join(f'0x{t:02X}' for t in sorted(CIPHERED_TAGS))})",
                               recognised={"tag": tag})
    r.fields.append(("tag", r.base, r.base + 1, f"0x{tag:02X} {name}"))
    system_title: bytes | None = None
    aad_extra = b""
    broadcast = False
    if tag in (GENERAL_GLO_CIPHERING, GENERAL_DED_CIPHERING):
        system_title = r.octet_string("system_title")
    elif tag == GENERAL_CIPHERING:
        transaction_id = r.octet_string("transaction_id")
        system_title = r.octet_string("originator_system_title")
        recipient = r.octet_string("recipient_system_title")
        date_time = r.octet_string("date_time")
        other = r.octet_string("other_information")
        start = r.pos
        present = r.byte("key-info presence flag")
        if present not in (0, 1):
            raise FramingError(LAYER, r.base + start,
                               f"key-info OPTIONAL flag must be 0x00 or 0x01, got 0x{present:02X}")
        if present:
            choice = r.byte("key-info choice")
            if choice != 0:
                raise UnsupportedError(
                    LAYER, r.base + start + 1,
                    f"general-ciphering key-info {_KEY_INFO_NAMES.get(choice, f'choice {choice}')} "
                    "is not supported (only identified-key)",
                    recognised={"tag": tag, "key_info": choice})
            key_id = r.byte("identified-key key-id")
            if key_id not in (0, 1):
                raise FramingError(LAYER, r.base + r.pos - 1,
                                   "identified-key key-id must be 0 (unicast) or 1 (broadcast), "
                                   f"got {key_id}")
            broadcast = key_id == 1
            r.fields.append(("key_info", r.base + start, r.base + r.pos,
                             "identified-key: global " + ("broadcast" if broadcast else "unicast")))
        else:
            r.fields.append(("key_info", r.base + start, r.base + r.pos, "absent"))
        # For suites 1 and 2 the AAD of general-ciphering also covers these fields, each as
        # length + value (as Gurux builds it; no corpus frame exercises this - a wrong guess
        # can only make the tag check fail with DecryptionError, never pass wrong data).
        for item in (transaction_id, system_title, recipient, date_time, other):
            aad_extra += _encode_length(len(item)) + item
    n = r.length("ciphered_content")
    start = r.pos
    r.need(n, "ciphered-content")
    return _Header(tag, system_title, start, start + n, aad_extra, broadcast)


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    if size > _MAX_LENGTH_OCTETS:
        raise ValueError(f"length {n} too large")
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def unwrap(apdu: bytes, keys: KeysArg, *, validate: Callable[[bytes], None], offset: int = 0) -> Unwrapped:
    """Decipher one ciphered APDU (:data:`CIPHERED_TAGS`) starting at ``apdu[0]``.

    Args:
        apdu: bytes starting with the ciphered APDU's tag; trailing bytes are ignored
            (see :attr:`Unwrapped.consumed`).
        keys: one :class:`~smartmeter_codecs.keys.Keys`, a mapping system title -> Keys, or
            None. The encryption key is used as the global or dedicated key, unicast or
            broadcast, whichever the APDU names. ``Keys.system_title`` supplies the IV for
            service-specific APDUs that carry none.
        validate: called with the plaintext whenever no tag was verified; it must raise
            :class:`DecodeError` unless the plaintext is exactly one complete APDU.
        offset: absolute position of ``apdu[0]`` in the caller's input, added to every error
            offset and field position.

    Raises:
        KeyRequiredError: the APDU is encrypted and no encryption key is known for its system
            title (named in the message); or its tag must be checked (an authentication key was
            given) and the encryption or authentication key for it is missing.
        DecryptionError: the tag does not verify (wrong key); the APDU carries no tag while an
            authentication key was given (the authentication rule of
            :mod:`smartmeter_codecs.keys`: no downgrade to 0x20/0x00); or no tag was checked
            and the plaintext does not parse (wrong encryption key, most likely).
        UnsupportedError: compression, an unknown security suite, or general-ciphering with
            wrapped/agreed keys.
        IncompleteError, FramingError: a truncated or malformed security header.
    """
    data = bytes(apdu)
    r = _Reader(data, offset)
    hdr = _parse_header(r)
    sc_pos = r.pos
    content_len = hdr.content_end - hdr.content_start
    if content_len < 1 + _IC_LENGTH:
        raise FramingError(LAYER, offset + sc_pos,
                           f"ciphered-content of {content_len} byte(s) is too short: expected at least "
                           "a security control byte and a 4-byte invocation counter")
    sc_byte = data[sc_pos]
    sc = SecurityControl.from_byte(sc_byte)
    r.pos += 1
    r.fields.append(("security_control", offset + sc_pos, offset + sc_pos + 1, sc))
    ic = int.from_bytes(data[r.pos:r.pos + _IC_LENGTH], "big")
    r.fields.append(("invocation_counter", offset + r.pos, offset + r.pos + _IC_LENGTH, ic))
    r.pos += _IC_LENGTH
    recognised: dict[str, int | str] = {"tag": hdr.tag, "security_control": sc_byte, "invocation_counter": ic}
    if hdr.system_title is not None:
        recognised["system_title"] = hdr.system_title.hex()
    if sc.compression:
        raise UnsupportedError(LAYER, offset + sc_pos,
                               f"security control {sc}: compressed APDUs are not supported", recognised)
    if sc.suite not in _KNOWN_SUITES:
        raise UnsupportedError(LAYER, offset + sc_pos,
                               f"security control {sc}: unknown security suite {sc.suite} "
                               "(expected 0, 1 or 2)", recognised)
    body = data[r.pos:hdr.content_end]
    body_pos = r.pos
    if sc.authentication and len(body) < TAG_LENGTH:
        raise FramingError(LAYER, offset + body_pos,
                           f"security control {sc} announces a {TAG_LENGTH}-byte tag but only "
                           f"{len(body)} byte(s) follow the invocation counter")
    text_end = hdr.content_end - (TAG_LENGTH if sc.authentication else 0)
    r.fields.append(("ciphertext" if sc.encryption else "plaintext", offset + body_pos, offset + text_end,
                     data[body_pos:text_end]))
    if sc.authentication:
        r.fields.append(("auth_tag", offset + text_end, offset + hdr.content_end,
                         data[text_end:hdr.content_end]))

    title = hdr.system_title if hdr.system_title else None
    chosen: Keys | None = resolve_keys(keys, title) if title is not None else (
        keys if isinstance(keys, Keys) else None)
    if title is None and chosen is not None and chosen.system_title:
        title = chosen.system_title
    title_text = title.hex() if title else "unknown"

    aad_extra = hdr.aad_extra if (hdr.tag == GENERAL_CIPHERING and sc.suite != 0) else b""
    # The authentication rule (keys.py): with an authentication key for this sender, a frame
    # yields its APDU only with a verified tag. Encryption-only (0x20) and unprotected (0x00)
    # frames carry no tag, and GCM's CTR part is malleable: a 0x30 frame downgraded to 0x20
    # with its tag stripped decrypts to attacker-chosen values (findings.json).
    need_tag = authentication_required(keys, chosen)
    if need_tag and not sc.authentication:
        raise DecryptionError(
            LAYER, offset + sc_pos,
            f"security control {sc} carries no authentication tag, but an authentication key was "
            f"given for system title {title_text}: every frame must be authenticated "
            "(a frame downgraded from 0x30/0x10 is rejected)")
    if need_tag and (chosen is None or chosen.encryption_key is None or chosen.authentication_key is None):
        missing = "keys" if chosen is None else (
            "encryption key" if chosen.encryption_key is None else "authentication key")
        raise KeyRequiredError(
            LAYER, offset,
            f"{_TAG_NAMES[hdr.tag]} with security control {sc} from system title {title_text}: its tag "
            f"must be verified (an authentication key was given) and that needs both the encryption "
            f"key (the GCM/GMAC key) and the authentication key; no {missing} for this system title",
            system_title=title)
    tag_checked = False
    if not sc.encryption and not sc.authentication:
        # Security control without protection: the content is the APDU itself.
        plaintext = bytes(body)
    else:
        ek = chosen.encryption_key if chosen is not None else None
        ak = chosen.authentication_key if chosen is not None else None
        if ek is None and sc.encryption:
            raise KeyRequiredError(
                LAYER, offset,
                f"{_TAG_NAMES[hdr.tag]} with security control {sc} from system title {title_text}: "
                "no encryption key given for this system title", system_title=title)
        if not sc.encryption and (ek is None or ak is None):
            # Authentication only without both keys: the APDU is in clear, the tag unchecked.
            plaintext = bytes(body[:-TAG_LENGTH])
        else:
            if title is None or len(title) != _SYSTEM_TITLE_LENGTH:
                got = "none" if title is None else f"{len(title)} bytes ({title.hex()})"
                raise FramingError(LAYER, offset,
                                   f"the GCM IV needs an 8-byte system title, got {got}; for "
                                   "service-specific APDUs pass it as Keys(system_title=...)")
            try:
                plaintext, tag_checked = decrypt(
                    body, security_control=sc_byte, system_title=title, invocation_counter=ic,
                    encryption_key=ek, authentication_key=ak, aad_extra=aad_extra)
            except InvalidTag:
                raise DecryptionError(
                    LAYER, offset + text_end,
                    f"GCM tag mismatch for system title {title_text}, invocation counter {ic}: "
                    "wrong encryption or authentication key, or corrupted data") from None
            except ValueError as exc:  # e.g. a key length AES does not accept
                raise DecryptionError(LAYER, offset,
                                      f"cannot decipher for system title {title_text}: {exc}") from None
    if need_tag and not tag_checked:  # unreachable by the checks above; kept as the last word
        raise DecryptionError(LAYER, offset + text_end, f"tag of system title {title_text} not verified")
    if not tag_checked:
        try:
            validate(plaintext)
        except DecodeError as exc:
            if sc.encryption:
                raise DecryptionError(
                    LAYER, offset + body_pos,
                    f"deciphered content for system title {title_text} (security control {sc}, "
                    f"no tag verified) is not a valid APDU: {exc.message}; "
                    "the encryption key is probably wrong") from None
            raise
    r.fields.append(("apdu", offset + body_pos, offset + text_end, plaintext))
    log.debug("unwrapped %s from %s: SC %s, IC %d, %d-byte APDU, tag %s",
              _TAG_NAMES[hdr.tag], title_text, sc, ic, len(plaintext),
              "verified" if tag_checked else "not checked")
    return Unwrapped(
        plaintext=plaintext,
        authenticated=tag_checked,
        system_title=title,
        security_control=sc,
        invocation_counter=ic,
        consumed=hdr.content_end,
        fields=tuple(r.fields),
    )


def wrap(plaintext: bytes, *, keys: Keys, system_title: bytes, invocation_counter: int,
         security_control: int = 0x30, tag: int = GENERAL_GLO_CIPHERING) -> bytes:
    """Build a ciphered APDU around ``plaintext`` (the inverse of :func:`unwrap`).

    ``tag`` 0xDB/0xDC put the system title in the APDU; 0xDD (general-ciphering) puts it as the
    originator system title with an 8-byte transaction id (the invocation counter), empty
    recipient, date-time and other-information, and no key-info; service-specific tags
    (:data:`GLOBAL_SERVICE_TAGS`, :data:`DEDICATED_SERVICE_TAGS`) carry no system title (the
    receiver must know it). Security control 0x30, 0x20, 0x10 (and 0x00) with suites 0-2.
    """
    if tag not in CIPHERED_TAGS:
        raise ValueError(f"0x{tag:02X} is not a ciphered APDU tag")
    sc = SecurityControl.from_byte(security_control)
    if sc.compression or sc.suite not in _KNOWN_SUITES:
        raise ValueError(f"cannot produce security control {sc}")
    if (sc.encryption or sc.authentication) and keys.encryption_key is None:
        raise ValueError("an encryption key is needed")
    title = bytes(system_title)
    head = bytes([tag])
    aad_extra = b""
    if tag in (GENERAL_GLO_CIPHERING, GENERAL_DED_CIPHERING):
        head += _encode_length(len(title)) + title
    elif tag == GENERAL_CIPHERING:
        fields = (invocation_counter.to_bytes(8, "big"), title, b"", b"", b"")
        for item in fields:
            head += _encode_length(len(item)) + item
            aad_extra += _encode_length(len(item)) + item
        head += b"\x00"  # key-info absent
        if sc.suite == 0:
            aad_extra = b""
    body = encrypt(plaintext, security_control=security_control, system_title=title,
                   invocation_counter=invocation_counter,
                   encryption_key=keys.encryption_key or b"\x00" * 16,
                   authentication_key=keys.authentication_key, aad_extra=aad_extra)
    content = bytes([security_control]) + invocation_counter.to_bytes(4, "big") + body
    return head + _encode_length(len(content)) + content
