"""RC4 as the MEP port uses it (DG Appendix B) and the OSGP PLC key derivation of the public exercise.

RC4 itself comes from ``cryptography`` (``hazmat.decrepit.ciphers.algorithms.ARC4``; older
releases keep it in ``hazmat.primitives.ciphers.algorithms``): no hand-written cipher.

MEP (DG Appendix B, p.256-257):

* ``mep_EncryptKey = RC4(key = first 16 bytes of the MEP key).encrypt(ConstKey)``;
* per packet: ``k = mep_EncryptKey; k[0:8] ^= digest of the request``; RC4 with ``k``
  encrypts the request from the request code through the sequence number; the meter encrypts
  its response with the *continued* key stream (the state after the request). The length field
  and the digests are never encrypted; digests are computed over the plaintext.
"""
from __future__ import annotations

from typing import Any

from .digest import digest_from

__all__ = ["Rc4", "mep_encrypt_key", "mep_packet_key", "plc_rc4_base_key", "plc_rc4_packet_key"]

try:  # cryptography >= 43
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4 as _ARC4
except ImportError:  # pragma: no cover - cryptography 41/42
    from cryptography.hazmat.primitives.ciphers.algorithms import ARC4 as _ARC4  # type: ignore[attr-defined,no-redef,unused-ignore]
from cryptography.hazmat.primitives.ciphers import Cipher

# DG Appendix B: UCHAR ConstKey[16]
MEP_CONST_KEY = bytes([0x38, 0x8B, 0x8F, 0xBC, 0x36, 0xA8, 0x55, 0x85,
                       0x87, 0xAF, 0xC9, 0x0F, 0xB2, 0x3A, 0x3B, 0x99])


class Rc4:
    """An RC4 key stream that keeps its state across calls (request, then response)."""

    def __init__(self, key: bytes) -> None:
        self._ctx: Any = Cipher(_ARC4(bytes(key)), mode=None).encryptor()

    def apply(self, data: bytes) -> bytes:
        """XOR ``data`` with the next bytes of the key stream (encrypts and decrypts)."""
        return bytes(self._ctx.update(bytes(data)))


def mep_encrypt_key(mep_key16: bytes) -> bytes:
    """``mep_EncryptKey``: the MEP key's RC4 stream over ConstKey (DG Appendix B)."""
    if len(mep_key16) != 16:
        raise ValueError("the MEP RC4 key derivation takes the first 16 bytes of the MEP key")
    return Rc4(mep_key16).apply(MEP_CONST_KEY)


def mep_packet_key(mep_key16: bytes, request_digest: bytes) -> bytes:
    """The RC4 key for one exchange: ``mep_EncryptKey`` with its first 8 bytes XORed with the
    request digest. Its stream encrypts the request span, then (continued) the response."""
    base = bytearray(mep_encrypt_key(mep_key16))
    for i in range(8):
        base[i] ^= request_digest[i]
    return bytes(base)


# OSGP over PLC, as formulated in the public exercise f5aaff/practice
# courses/r0/material/osgp/osgp.py (Jovanovic & Neves, ia.cr/2015/428): K_E = T(C1, K) || T(C2, K)
# where T is one pass of the ISO/IEC 14908 transform with the first 6 key bytes over 48 zero
# bytes starting from the constant. Self-consistent with the exercise only; the ETSI text
# (TS 104 001) could not be checked, so nothing else in this package uses it.
_PLC_C1 = bytes.fromhex("813f529a7be389ba")
_PLC_C2 = bytes.fromhex("72b0918d4405aa57")


def plc_rc4_base_key(oma_key: bytes) -> bytes:
    """The exercise's 16-byte RC4 base key for a 12-byte OMA key (unverified against ETSI)."""
    if len(oma_key) != 12:
        raise ValueError("the OSGP PLC key is 12 bytes")
    k6 = bytes(oma_key[:6])
    return digest_from(_PLC_C1, k6, bytes(48)) + digest_from(_PLC_C2, k6, bytes(48))


def plc_rc4_packet_key(oma_key: bytes, tag: bytes) -> bytes:
    """Base key with its first 8 bytes XORed with the message's OMA digest (exercise)."""
    base = bytearray(plc_rc4_base_key(oma_key))
    for i in range(8):
        base[i] ^= tag[i]
    return bytes(base)
