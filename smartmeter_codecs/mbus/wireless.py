"""EN 13757-4 wireless M-Bus data link layer: frame format A/B, with or without DLL CRCs.

Frame (after the receiver removed preamble/sync): ``L C M(2) A(6) CI ...``. ``L`` counts the
bytes after itself, without CRCs in format A, with CRCs in format B (EN 13757-4:2019 annex B).

* Format A: block 1 = L..A (10 bytes) + CRC; then blocks of 16 bytes + CRC; the last block
  holds the rest + CRC.
* Format B: block 1 = L..A (10 bytes, no CRC); block 2 = up to 116 bytes + CRC over blocks 1
  and 2; block 3 = the rest + CRC (only when L > 127).
* Receivers often deliver frames with the CRCs already removed (L + 1 bytes, format A
  counting). :func:`strip_dll` accepts all three and says which it found.

CRC: CRC-16 polynomial 0x3D65, initial value 0, no reflection, result inverted (EN 13757-4
clause 11.5.4 / the EN 60870-5-1 FT3 CRC).

Extended link layer (EN 13757-4 13.2): CI 0x8C (ELL I: CC, ACC) and 0x8D (ELL II: CC, ACC,
SN, payload CRC) are skipped, ELL AES-128-CTR (ENC=1) is decrypted with ``Keys.encryption_key``;
AFL (CI 0x90) headers of unfragmented messages are skipped; the next CI is then decoded by
:mod:`.application`.
"""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import (
    ChecksumError,
    DecryptionError,
    FramingError,
    IncompleteError,
    KeyRequiredError,
    UnsupportedError,
)
from .application import Address, _address
from .crc import crc16_en13757

__all__ = [
    "LAYER",
    "AflHeader",
    "WirelessFrame",
    "build_wireless",
    "crc16_en13757",
    "parse_afl",
    "parse_wireless",
    "skip_ell",
    "strip_dll",
]

LAYER = "wmbus-link"


@dataclass(frozen=True, slots=True)
class AflHeader:
    """Authentication and fragmentation layer fields (EN 13757-7:2018 7.4, OMS Vol. 2 6.3).

    ``mcl``/``mcr``/``ml`` are the raw fields used for the MAC input, ``mac`` the received MAC.
    """

    fcl: int
    mcl: bytes = b""
    ki: bytes = b""
    mcr: bytes = b""
    mac: bytes = b""
    ml: bytes = b""

    @property
    def message_counter(self) -> int | None:
        return int.from_bytes(self.mcr, "little") if self.mcr else None


# AFL.MCL authentication type (bits 3-0) -> MAC length in bytes (EN 13757-7:2018 Table 11)
_AFL_MAC_LENGTH = {0: 0, 3: 2, 4: 4, 5: 8, 6: 12, 7: 16, 8: 12}


def parse_afl(body: bytes, pos: int) -> AflHeader:
    """The AFL fields after ``CI 0x90 AFL.L`` at ``body[pos]`` (the CI)."""
    end = pos + 2 + body[pos + 1]
    fcl = int.from_bytes(body[pos + 2:pos + 4], "little")
    at = pos + 4
    fields: dict[str, bytes] = {}
    mcl = b""
    if fcl & 0x2000:  # MCLP: message control present
        mcl = body[at:at + 1]
        at += 1
    if fcl & 0x0200:  # KIP: key information present
        fields["ki"] = body[at:at + 2]
        at += 2
    if fcl & 0x0800:  # MCRP: message counter present
        fields["mcr"] = body[at:at + 4]
        at += 4
    if fcl & 0x0400:  # MACP: MAC present, length from the authentication type in MCL
        n = _AFL_MAC_LENGTH.get(mcl[0] & 0x0F, 0) if mcl else 0
        fields["mac"] = body[at:at + n]
        at += n
    if fcl & 0x1000:  # MLP: message length present
        fields["ml"] = body[at:at + 2]
        at += 2
    if at > end:
        raise FramingError(LAYER, pos, f"AFL fields need {at - pos - 2} bytes, AFL.L says {end - pos - 2}")
    return AflHeader(fcl, mcl, **fields)


@dataclass(frozen=True, slots=True)
class WirelessFrame:
    """A wM-Bus link-layer frame with CRCs removed.

    ``body`` is ``L C M A CI ...`` without CRCs; ``dll_format`` is ``"A"``, ``"B"`` or
    ``"none"`` (CRCs already removed); ``positions`` maps each body byte to its offset in the
    input (for inspection).
    """

    l_field: int
    c: int
    address: Address
    ci: int
    body: bytes
    dll_format: str
    positions: tuple[int, ...]

    @property
    def data(self) -> bytes:
        """The bytes after the CI field."""
        return self.body[11:]


def _crc_ok(block: bytes, crc: bytes) -> bool:
    return crc16_en13757(block) == int.from_bytes(crc, "big")


def crc_ok(data: bytes, start: int, end: int) -> bool:
    """Whether ``data[start:end]`` is followed by its CRC-16/EN-13757 (big-endian, EN 13757-4)."""
    return end + 2 <= len(data) and crc16_en13757(data[start:end]) == int.from_bytes(data[end:end + 2], "big")


def _strip_a(data: bytes) -> tuple[bytes, list[int]] | None:
    L = data[0]
    if L < 10:
        return None
    n_rest = L - 9
    nblocks = 1 + (n_rest + 15) // 16
    if len(data) != 1 + L + 2 * nblocks:
        return None
    out = bytearray()
    pos_map: list[int] = []
    pos = 0
    sizes = [10] + [16] * (n_rest // 16) + ([n_rest % 16] if n_rest % 16 else [])
    for size in sizes:
        block = data[pos:pos + size]
        if not _crc_ok(block, data[pos + size:pos + size + 2]):
            return None
        out += block
        pos_map += range(pos, pos + size)
        pos += size + 2
    return bytes(out), pos_map


def strip_b(data: bytes) -> tuple[bytes, list[int]] | None:
    L = data[0]
    if len(data) != L + 1 or L < 12:
        return None
    if L + 1 <= 128:
        if not _crc_ok(data[:-2], data[-2:]):
            return None
        return bytes(data[:-2]), list(range(L - 1))
    if not _crc_ok(data[:126], data[126:128]) or not _crc_ok(data[128:-2], data[-2:]):
        return None
    body = data[:126] + data[128:-2]
    return bytes(body), list(range(126)) + list(range(128, len(data) - 2))


def strip_dll(data: bytes) -> tuple[bytes, str, list[int]]:
    """Remove DLL CRCs: returns (body without CRCs, format, input offset of each body byte).

    Raises FramingError / ChecksumError / IncompleteError (layer ``"wmbus-link"``).
    """
    if len(data) < 12:
        raise IncompleteError(LAYER, len(data), f"wM-Bus frame needs at least 12 bytes (L C M A CI), got {len(data)}")
    L = data[0]
    a = _strip_a(data)
    if a is not None:
        return a[0], "A", a[1]
    if len(data) == L + 1:
        b = strip_b(data)
        if b is not None:  # a CRC match by chance on a CRC-less frame is a 1 in 65536 event
            return b[0], "B", b[1]
        return bytes(data), "none", list(range(len(data)))
    if len(data) < L + 1:
        raise IncompleteError(LAYER, len(data), f"L={L} announces {L + 1} bytes, got {len(data)}")
    # longer than L+1: maybe format A with CRCs of which the first block fails
    n_rest = L - 9
    nblocks = 1 + (n_rest + 15) // 16 if L >= 10 else 0
    if nblocks and len(data) == 1 + L + 2 * nblocks:
        raise ChecksumError(LAYER, 10, "wM-Bus format A block CRC mismatch")
    raise FramingError(LAYER, 0, f"L={L} does not match the frame length {len(data)} (format A/B, with or "
                                 "without CRCs)")


def skip_ell(body: bytes, pos: int, key: bytes | None = None,
             afl_out: list[AflHeader] | None = None) -> tuple[int, int, bytes, bool]:
    """Skip the extended link layer / AFL whose CI is ``body[pos]``, decrypting ELL if needed.

    Returns ``(next CI, offset after that CI, body, decrypted)``; ``body`` is the input with an
    ELL-encrypted part replaced by its plaintext. For other CIs ``(CI, pos + 1, body, False)``.

    * 0x8C ELL I: CI CC ACC; 0x8E ELL III: CI CC ACC M2 A2; 0x8F ELL IV: ELL III + SN + CRC
      (unencrypted only).
    * 0x8D ELL II: CI CC ACC SN(4) PayloadCRC(2). When the SN's ENC field is 1, PayloadCRC and
      payload are AES-128-CTR encrypted (EN 13757-4:2019 13.2.10): counter block = M(2) A(6)
      CC SN(4) FN(2)=0 BC(1)=0; the decrypted payload CRC must match. A frame whose payload
      CRC already matches is taken as decrypted by the receiver.
    * 0x90 AFL (EN 13757-7:2018 7.4): CI AFL.L + AFL.L bytes; only unfragmented messages. Its
      fields are appended to ``afl_out`` (message counter and MAC for security mode 7).
    """
    decrypted = False
    while True:
        ci = body[pos]
        if ci == 0x8C:
            size = 3
        elif ci == 0x8E:  # ELL III: CI CC ACC M2(2) A2(6) (address of the radio adapter's partner)
            size = 11
        elif ci == 0x8F:  # ELL IV: CI CC ACC M2 A2 SN(4) PayloadCRC(2)
            size = 17
            encrypted_ell = pos + size <= len(body) and (int.from_bytes(body[pos + 11:pos + 15], "little") >> 29) & 7
            if encrypted_ell and crc16_en13757(body[pos + 17:]) != int.from_bytes(body[pos + 15:pos + 17], "little"):
                raise UnsupportedError(LAYER, pos, "ELL IV encryption is not supported",
                                       {"ci": ci, "ell_encryption": True})
        elif ci == 0x8D:
            size = 9
            if pos + size <= len(body):
                sn = body[pos + 3:pos + 7]
                enc = (int.from_bytes(sn, "little") >> 29) & 0x07  # ENC field of the session number
                crc_ok = crc16_en13757(body[pos + 9:]) == int.from_bytes(body[pos + 7:pos + 9], "little")
                if enc and not crc_ok:
                    if enc != 1:
                        raise UnsupportedError(LAYER, pos, f"ELL encryption mode ENC={enc} is not supported",
                                               {"ci": ci, "ell_encryption": enc})
                    if key is None:
                        raise KeyRequiredError(LAYER, pos, "ELL II payload is AES-CTR encrypted: pass keys="
                                                           "Keys(encryption_key=...)", system_title=body[2:10])
                    counter = body[2:10] + body[pos + 1:pos + 2] + sn + b"\x00\x00\x00"
                    try:
                        dec = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
                        plain = dec.update(body[pos + 7:]) + dec.finalize()
                    except ValueError as err:
                        raise DecryptionError(LAYER, pos, f"AES-CTR failed: {err}") from None
                    if crc16_en13757(plain[2:]) != int.from_bytes(plain[:2], "little"):
                        raise DecryptionError(LAYER, pos + 7, "ELL payload CRC does not match after AES-CTR "
                                                              "decryption: wrong key")
                    body = body[:pos + 7] + plain
                    decrypted = True
        elif ci == 0x90:
            if pos + 3 >= len(body):
                raise FramingError(LAYER, pos, "AFL header truncated")
            size = 2 + body[pos + 1]
            fcl = int.from_bytes(body[pos + 2:pos + 4], "little")
            if fcl & 0x4000:  # MF bit: more fragments follow
                raise UnsupportedError(LAYER, pos, "fragmented AFL messages are not supported",
                                       {"ci": ci, "fcl": fcl})
            if afl_out is not None:
                afl_out.append(parse_afl(body, pos))
        else:
            return ci, pos + 1, body, decrypted
        if pos + size >= len(body):
            raise FramingError(LAYER, pos, f"CI 0x{ci:02X} header needs {size} bytes and a CI after it")
        pos += size


def parse_wireless(data: bytes) -> WirelessFrame:
    """Parse a wM-Bus frame (starting at L) into its link-layer fields."""
    body, fmt, positions = strip_dll(bytes(data))
    if body[0] != len(body) - 1 and fmt != "B":
        raise FramingError(LAYER, 0, f"L={body[0]} does not match {len(body) - 1} bytes after it")
    address = _address(body[2:10])
    return WirelessFrame(body[0], body[1], address, body[10], body, fmt, tuple(positions))


def build_wireless(c: int, address_raw: bytes, ci: int, data: bytes, *, crc: str = "none") -> bytes:
    """Build a wM-Bus frame (``crc`` = ``"none"`` or ``"A"``) from C, M+A (8 bytes), CI and data."""
    if len(address_raw) != 8:
        raise ValueError("address_raw must be M(2) + A(6) = 8 bytes")
    body_wo_l = bytes((c,)) + bytes(address_raw) + bytes((ci,)) + bytes(data)
    L = len(body_wo_l)
    if L > 255:
        raise ValueError("wM-Bus frame too long")
    body = bytes((L,)) + body_wo_l
    if crc == "none":
        return body
    if crc != "A":
        raise UnsupportedError(LAYER, None, f"unknown CRC layout {crc!r}")
    out = bytearray()
    blocks = [body[:10]] + [body[i:i + 16] for i in range(10, len(body), 16)]
    for block in blocks:
        out += block + crc16_en13757(block).to_bytes(2, "big")
    return bytes(out)
