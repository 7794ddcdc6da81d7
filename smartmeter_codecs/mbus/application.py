"""EN 13757-3 application layer: CI field dispatch, data headers, security mode 5, records.

CI fields handled (EN 13757-3:2018 Table 2, EN 13757-7:2018 for the headers):

* 0x72 long header (12 bytes: ident, manufacturer, version, device type, access number, status,
  configuration/signature), LSB first; 0x76 the same with every multi-byte field MSB first;
* 0x7A short header (4 bytes: access number, status, configuration); 0x78 no header;
* 0x70 application error (EN 13757-3:2018 Table 26) -> :class:`ApplicationError` with the code;
* 0x00-0x1F reserved for DLMS-based transport (EN 13757-3 Table 2): not M-Bus records;
  :class:`UnsupportedError` with ``recognised["dlms_transport"] = True`` (use format "dlms").
* compact frames (:mod:`.compact`): 0x79 no header, 0x7B short header, and 0x73 long header
  on wM-Bus (EN 13757-7:2018; on wired M-Bus 0x73 stays the fixed data structure); the format
  comes from the caller's :class:`~.compact.FormatStore` (``formats=``), which also learns the
  format of every full frame decoded here.

Security mode 5 (configuration field bits 12-8 = 5, EN 13757-7:2018 9.4.4 / OMS Vol. 2):
AES-128-CBC over the first N*16 bytes after the header (N = configuration bits 7-4), IV =
manufacturer (2) + address (ident 4, version, device type) + 8 x access number; the plaintext
must start with 2F 2F. Key = ``Keys.encryption_key``.

Authentication (the rule of :mod:`smartmeter_codecs.keys`): when the keys for a sender hold an
``authentication_key``, its telegrams must carry an AFL MAC that verifies (security mode 7 with
MAC, the only authenticated mode decoded here); a plaintext, mode 5, ELL-CTR or MAC-less
telegram raises :class:`DecryptionError`. The MAC key Kmac is derived from that
authentication key (OMS derives Kenc and Kmac from one meter key: pass it as both keys).
"""
from __future__ import annotations

import dataclasses
import hmac
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import ApplicationError, DecryptionError, FramingError, KeyRequiredError, UnsupportedError
from ..keys import Keys, authentication_required, resolve_keys
from . import vif as _vif
from .compact import COMPACT_CIS, FormatStore, expand
from .fixed import parse_fixed
from .records import DataRecord, parse_records

__all__ = [
    "DLMS_CIS",
    "LAYER",
    "Address",
    "Header",
    "Telegram",
    "decrypt_mode5",
    "is_dlms_ci",
    "manufacturer_code",
    "manufacturer_id",
    "parse_application",
    "pick_key",
    "pick_keys",
]

log = logging.getLogger(__name__)

LAYER = "mbus-app"

CI_ERROR = 0x70
CI_LONG = 0x72
CI_FIXED = 0x73
CI_LONG_MSB = 0x76
CI_NONE = 0x78
CI_SHORT = 0x7A
DLMS_CIS = range(0x20)
#: security modes that encrypt (EN 13757-7:2018 Table 19): 2/3 DES, 5 AES-CBC, 7 AES-CBC (KDF),
#: 8 AES-CTR, 9 AES-GCM, 10 AES-CCM. Manufacturer-specific/reserved values are not acted on;
#: 5 and 7 are decrypted.
ENCRYPTION_MODES = {2, 3, 5, 7, 8, 9, 10}  # EN 13757-3:2018 Table 2: reserved for DLMS-based applications


_UNPARSED = _vif.VifInfo("unparsed_tail", "Unencrypted bytes after the encrypted blocks that form no record",
                         None, 0, 1, "id")


def is_dlms_ci(ci: int | None) -> bool:
    """True for CI values reserved for DLMS transport (0x00..0x1F)."""
    return ci is not None and 0x00 <= ci <= 0x1F


def manufacturer_code(m: int) -> str:
    """The 3-letter FLAG code packed in 15 bits (EN 13757-7:2018 7.5.2)."""
    return "".join(chr(((m >> shift) & 0x1F) + 64) for shift in (10, 5, 0))


def manufacturer_id(code: str) -> int:
    """Inverse of :func:`manufacturer_code`."""
    if len(code) != 3 or not all("@" <= ch <= "_" for ch in code.upper()):
        raise ValueError(f"manufacturer code must be 3 letters, got {code!r}")
    c = code.upper()
    return ((ord(c[0]) - 64) << 10) | ((ord(c[1]) - 64) << 5) | (ord(c[2]) - 64)


@dataclass(frozen=True, slots=True)
class Address:
    """Identification of the sender: from a long header or the wM-Bus link layer."""

    ident: str               # 8 BCD digits as text (hex digits kept when not BCD)
    manufacturer: str        # FLAG code, e.g. "KAM"
    manufacturer_id: int
    version: int
    medium: int
    raw: bytes               # M(2) + ident(4) + version + medium, LSB first (for the IV)


@dataclass(frozen=True, slots=True)
class Header:
    """The data header after the CI field (``kind`` ``"long"``, ``"short"`` or ``"none"``)."""

    kind: str
    start: int
    end: int
    address: Address | None = None
    access_no: int | None = None
    status: int | None = None
    config: int | None = None

    @property
    def security_mode(self) -> int:
        return 0 if self.config is None else (self.config >> 8) & 0x1F

    @property
    def encrypted_blocks(self) -> int:
        return 0 if self.config is None else (self.config >> 4) & 0x0F


@dataclass(frozen=True, slots=True)
class Telegram:
    """One decoded application-layer message."""

    ci: int
    header: Header
    records: tuple[DataRecord, ...]
    more_records_follow: bool
    address: Address | None
    encrypted: bool = False
    decrypted_by_receiver: bool = False
    payload_start: int = 0
    decrypted: bool = False  # decrypted here with the caller's key
    authenticated: bool | None = None  # True: AFL MAC verified (mode 7); None: nothing verified


def _address(raw: bytes) -> Address:
    m = int.from_bytes(raw[0:2], "little")
    ident = raw[2:6][::-1].hex().upper()
    return Address(ident, manufacturer_code(m), m, raw[6], raw[7], bytes(raw))


def decrypt_mode5(key: bytes, iv: bytes, data: bytes, offset: int) -> bytes:
    """AES-128-CBC decrypt (no padding) with the `cryptography` package."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    if len(data) % 16:
        raise DecryptionError(LAYER, offset, f"encrypted part is {len(data)} bytes, not a multiple of 16")
    try:
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        return dec.update(data) + dec.finalize()
    except ValueError as err:  # wrong key size
        raise DecryptionError(LAYER, offset, f"AES-CBC failed: {err}") from None


def _cmac(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.cmac import CMAC

    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def _decrypt_mode7(key: bytes, address: Address, afl: Any, tpl: bytes, cipher: bytes,
                   offset: int, mac_key: bytes | None = None) -> tuple[bytes, bool | None]:
    """Security mode 7 (OMS Vol. 2 9.2.4, EN 13757-7:2018 9.4.5): AES-128-CBC with IV 0 and the key
    derived by AES-CMAC: Kenc = CMAC(K, 00 || MCR || ID || 07 x 7), Kmac the same with 01.

    MCR is the AFL message counter, ID the meter's 4-byte identification (LSB first). When the
    AFL carries a MAC it is verified: CMAC(Kmac, MCL || MCR || [ML] || TPL from its CI) must
    start with it. ``mac_key`` (the caller's authentication key) replaces K for Kmac when given.
    Returns (plaintext, authenticated).
    """
    if afl is None or not afl.mcr:
        raise DecryptionError(LAYER, offset, "security mode 7 needs the AFL message counter (CI 0x90 with MCR)")
    ident = address.raw[2:6]
    try:
        kenc = _cmac(key, b"\x00" + afl.mcr + ident + b"\x07" * 7)
        plain = decrypt_mode5(kenc, bytes(16), cipher, offset)
        authenticated: bool | None = None
        if afl.mac:
            kmac = _cmac(mac_key or key, b"\x01" + afl.mcr + ident + b"\x07" * 7)
            want = _cmac(kmac, afl.mcl + afl.mcr + afl.ml + tpl)[:len(afl.mac)]
            if not hmac.compare_digest(want, afl.mac):  # constant time: no MAC oracle by timing
                raise DecryptionError(LAYER, offset, "AFL MAC does not match: wrong key or altered message")
            authenticated = True
    except ValueError as err:  # key size
        raise DecryptionError(LAYER, offset, f"AES failed: {err}") from None
    return plain, authenticated


def pick_keys(keys: Any, address: Address | None) -> Keys | None:
    """The Keys for a sender.

    ``keys`` is one Keys, or a mapping keyed by the 8-byte wM-Bus address M+A (the OMS analogue
    of a DLMS system title: bytes or hex text, as :func:`~smartmeter_codecs.keys.resolve_keys`)
    or by the meter ident as printed (``"12345678"``); a mapping value may also be a bare key.
    """
    if keys is None:
        return None
    if isinstance(keys, Keys):
        return keys
    if address is None or not hasattr(keys, "get"):
        return None
    found = resolve_keys(keys, address.raw) if address.raw else None
    if found is None:
        found = keys.get(address.ident) or keys.get(address.ident.lower())
    if found is None:
        return None
    return found if isinstance(found, Keys) else Keys(encryption_key=found)


def pick_key(keys: Any, address: Address | None) -> bytes | None:
    """The AES key for a sender (see :func:`pick_keys`)."""
    found = pick_keys(keys, address)
    return found.encryption_key if found is not None else None


def _require_authentication(tg: Telegram, keys: Any, at: int) -> Telegram:
    """The authentication rule (keys.py): with an authentication key for this sender, only a
    telegram whose AFL MAC was verified is returned."""
    if tg.authenticated is True or keys is None:
        return tg
    if not authentication_required(keys, pick_keys(keys, tg.address)):
        return tg
    mode = tg.header.security_mode
    why = ("it carries no AFL MAC" if mode == 7 else
           f"security mode {mode} has no MAC" if mode else "it is not protected (security mode 0)")
    raise DecryptionError(LAYER, at, f"telegram not authenticated ({why}) while an authentication key was "
                                     "given for this meter: every telegram must carry a verified AFL MAC "
                                     "(security mode 7)")


def parse_application(ci: int, data: bytes, base: int = 0, *, link_address: Address | None = None,
                      keys: Any = None, afl: Any = None, formats: FormatStore | None = None) -> Telegram:
    """Decode the application data after a CI field.

    Args:
        ci: the CI field.
        data: the bytes after the CI field.
        base: offset of ``data[0]`` in the caller's input.
        link_address: the sender address from the wM-Bus link layer (short/no header).
        keys: a Keys (or mapping ident -> Keys) for encrypted payloads.
        afl: the wM-Bus AFL header (:class:`~smartmeter_codecs.mbus.wireless.AflHeader`) when
            one precedes the CI: security mode 7 needs its message counter and MAC.
        formats: the decoder's compact-frame formats: learns each full frame's format and
            resolves compact frames (None: only :data:`~.compact.KNOWN_FORMATS`).

    Raises:
        ApplicationError: CI 0x70. UnsupportedError: CI not handled (DLMS CIs flagged).
        FramingError: header too short, broken records. KeyRequiredError/DecryptionError.
    """
    pre = prepare_application(ci, data, base, link_address=link_address, keys=keys, afl=afl)
    if isinstance(pre, Telegram):
        return pre
    return _records_part(pre, base, keys, formats)


class Prepared(NamedTuple):
    """The application data up to its records: header, sender and the (decrypted) payload.

    What :func:`parse_application` knows before it parses records; a frame template
    (:mod:`.template`) continues from here with the same bytes."""

    ci: int
    data: bytes
    header: Header
    address: Address | None
    payload_at: int
    payload: bytes
    msb_first: bool
    compact: bool
    encrypted: bool
    decrypted_by_receiver: bool
    decrypted: bool
    authenticated: bool | None


def prepare_application(ci: int, data: bytes, base: int = 0, *, link_address: Address | None = None,
                        keys: Any = None, afl: Any = None) -> Prepared | Telegram:
    """The first half of :func:`parse_application` (same arguments, same errors): CI dispatch,
    data header, decryption. Returns the whole Telegram for a wired fixed data structure."""
    data = bytes(data)
    if ci == CI_ERROR:
        code = data[0] if data else 0
        text = _vif.APPLICATION_ERRORS.get(code, f"unknown error code 0x{code:02X}")
        raise ApplicationError(LAYER, base - 1, f"the device answered CI 0x70 application error {code}: {text}",
                               code=code)
    if is_dlms_ci(ci):
        raise UnsupportedError(LAYER, base - 1,
                               f"CI 0x{ci:02X} carries a DLMS transport segment (EN 13757-3 Table 2), not "
                               "M-Bus records: decode it with format='dlms'",
                               {"ci": ci, "dlms_transport": True})
    if ci == CI_FIXED and link_address is None:   # wired: fixed data; wM-Bus: compact, long header
        ident, access, status, medium, recs = parse_fixed(data, base)
        fixed_address = Address(ident[::-1].hex().upper(), "", 0, 0, medium, b"")
        header = Header("fixed", base, base + 8, fixed_address, access, status, None)
        return _require_authentication(Telegram(ci, header, tuple(recs), False, fixed_address,
                                                payload_start=base + 8), keys, base - 1)
    msb_first = ci == CI_LONG_MSB
    compact = ci in COMPACT_CIS
    address: Address | None
    if ci in (CI_LONG, CI_LONG_MSB) or COMPACT_CIS.get(ci) == "long":
        if len(data) < 12:
            raise FramingError(LAYER, base + len(data),
                               f"CI 0x{ci:02X} long header needs 12 bytes, got {len(data)} (variable header too short)")
        h = data[:12]
        if msb_first:  # every multi-byte field most significant byte first
            raw = h[4:6][::-1] + h[0:4][::-1] + h[6:8]
            cfg = int.from_bytes(h[10:12], "big")
        else:
            raw = h[4:6] + h[0:4] + h[6:8]
            cfg = int.from_bytes(h[10:12], "little")
        address = _address(raw)
        header = Header("long", base, base + 12, address, h[8], h[9], cfg)
        payload_at = 12
    elif ci == CI_SHORT or COMPACT_CIS.get(ci) == "short":
        if len(data) < 4:
            raise FramingError(LAYER, base + len(data), f"CI 0x{ci:02X} short header needs 4 bytes, got {len(data)}")
        address = link_address
        header = Header("short", base, base + 4, address, data[0], data[1], int.from_bytes(data[2:4], "little"))
        payload_at = 4
    elif ci == CI_NONE or COMPACT_CIS.get(ci) == "none":
        address = link_address
        header = Header("none", base, base)
        payload_at = 0
    else:
        raise UnsupportedError(LAYER, base - 1,
                               f"CI 0x{ci:02X} is not an M-Bus data response this decoder handles "
                               "(expected 0x70, 0x72, 0x73, 0x76, 0x78, 0x79, 0x7A or 0x7B)", {"ci": ci})
    if header.security_mode == 7 and header.kind != "none":
        payload_at += 1  # mode 7 adds a configuration field extension byte (EN 13757-7:2018 7.6.2)
    payload = data[payload_at:]
    encrypted = decrypted_by_receiver = decrypted = False
    mode = header.security_mode
    authenticated: bool | None = None
    if mode not in ENCRYPTION_MODES:
        if mode:
            # EN 13757-3:2004 called these two bytes "signature" (normally 00 00); meters of that
            # era put other values there. Only defined encryption modes are acted on.
            log.debug("configuration field %04X: mode %d is no encryption mode; payload read as plain",
                      header.config or 0, mode)
    elif mode != 0:
        encrypted = True
        sender = pick_keys(keys, address) if mode in (5, 7) else None
        key = sender.encryption_key if sender is not None else None
        if mode not in (5, 7) and payload[:2] == b"\x2f\x2f":
            decrypted_by_receiver = True
        elif mode not in (5, 7):
            raise UnsupportedError(LAYER, header.end - 2,
                                   f"security mode {mode} is not supported (modes 0, 5 and 7 are)",
                                   {"ci": ci, "security_mode": mode})
        elif key is None:
            if payload[:2] == b"\x2f\x2f":
                # already decrypted upstream (e.g. by a receiver dongle); the configuration
                # field still announces the mode
                decrypted_by_receiver = True
            else:
                raise KeyRequiredError(LAYER, header.start,
                                       f"payload is encrypted (security mode {mode}, AES-CBC): pass keys="
                                       "Keys(encryption_key=...)",
                                       system_title=address.raw[2:6] if address else None)
        else:
            if address is None or not address.raw:
                raise DecryptionError(LAYER, header.start, f"mode {mode} needs the sender address")
            n = header.encrypted_blocks * 16 or (len(payload) // 16) * 16
            if n > len(payload):
                raise DecryptionError(LAYER, base + payload_at,
                                      f"configuration announces {n} encrypted bytes, only {len(payload)} present")
            if mode == 5:
                iv = address.raw + bytes((header.access_no or 0,)) * 8
                plain = decrypt_mode5(key, iv, payload[:n], base + payload_at)
            else:
                plain, authenticated = _decrypt_mode7(key, address, afl, bytes((ci,)) + data, payload[:n],
                                                      base + payload_at,
                                                      sender.authentication_key if sender else None)
            if plain[:2] == b"\x2f\x2f":
                payload = plain + payload[n:]
                decrypted = True
            elif payload[:2] == b"\x2f\x2f":
                decrypted_by_receiver = True  # plaintext already; the key was not needed
                authenticated = None
            else:
                raise DecryptionError(LAYER, base + payload_at,
                                      "decrypted payload does not start with 2F 2F: wrong key or IV")
    return Prepared(ci, data, header, address, payload_at, payload, msb_first, compact, encrypted,
                    decrypted_by_receiver, decrypted, authenticated)


def _records_part(pre: Prepared, base: int, keys: Any, formats: FormatStore | None) -> Telegram:
    """The second half of :func:`parse_application`: the records of a prepared payload."""
    (ci, _data, header, address, payload_at, payload, msb_first, compact, encrypted, decrypted_by_receiver,
     decrypted, authenticated) = pre
    n_enc = header.encrypted_blocks * 16 if encrypted else 0
    if compact:   # values without DIB/VIB: rebuilt from the format (checked by the full-frame CRC)
        exp = expand(payload, formats, base + payload_at, check_bytes=encrypted)
        records, more = parse_records(exp.records, base + payload_at)
        # the DIB/VIB are not in the input: each record points at its data bytes there
        records = [dataclasses.replace(r, start=base + payload_at + a, vif_end=base + payload_at + a,
                                       end=base + payload_at + b)
                   for r, (a, b) in zip(records, exp.spans)]
    elif n_enc and len(payload) > n_enc:
        # OMS Vol. 2 9.2.4: bytes after the encrypted blocks are unencrypted records. Receivers
        # sometimes leave link-layer bytes there (wmbusmeters amiplus#5: "DE 47"); an
        # unparseable tail is kept as raw bytes instead of discarding the whole telegram.
        records, more = parse_records(payload[:n_enc], base + payload_at, msb_first=msb_first)
        try:
            tail, more_tail = parse_records(payload[n_enc:], base + payload_at + n_enc, msb_first=msb_first)
        except FramingError as err:
            log.debug("unencrypted tail after the encrypted blocks does not parse: %s", err)
            at = base + payload_at + n_enc
            rest = payload[n_enc:]
            tail = [DataRecord(at, at + len(rest), at, 0, (), None, (), None, rest, "unparsed", "instantaneous",
                               0, 0, 0, _UNPARSED, raw_value=rest, value=rest)]
            more_tail = False
        records = records + tail
        more = more or more_tail
    else:
        records, more = parse_records(payload, base + payload_at, msb_first=msb_first)
    # authenticated first: an unauthenticated frame must not teach the format store either
    tg = _require_authentication(Telegram(ci, header, tuple(records), more, address, encrypted,
                                          decrypted_by_receiver, base + payload_at, decrypted, authenticated),
                                 keys, base - 1)
    if formats is not None and not compact and not msb_first:
        formats.learn(payload, base + payload_at)   # a later compact frame may use this format
    return tg
