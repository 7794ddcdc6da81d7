"""The OSGP/MEP authentication digest ("OMA digest") and MEP key handling.

One algorithm for three key sizes (OSGP MEP Client Developer's Guide, Appendix A "Digest
Function Reference Implementation"; the same code in ttaubert/osgp-oma-digest and the
Jovanovic-Neves exercise): 6-byte ISO/IEC 14908 keys iterate the key once, 12-byte OMA keys
(OSGP over PLC) and 16-byte MEP keys iterate it 1.5 times. The message is consumed in address
order in blocks of ``8 * iterations`` bytes, zero padded to a whole block (at least one block,
so an empty message still runs one pass); the 8-byte state starts at zero and is the digest.

The digest is an integrity check, not strong cryptography (Jovanovic & Neves, FSE 2015,
ia.cr/2015/428: forgery by appending zeros inside the padding, key recovery with ~13 chosen
messages). Decoders still verify it: it is also the only check that a MEP message arrived
without transmission errors (DG ch. 2 "RC4 Authentication").
"""
from __future__ import annotations

__all__ = ["DIGEST_SIZE", "KEY_SIZES", "digest_from", "mep_key", "oma_digest"]

DIGEST_SIZE = 8
KEY_SIZES = (6, 12, 16)


def _iterations(key_len: int) -> int:
    # DG Appendix A: DIGEBT_KEY_ITERATIONS(len) (len==6 ? len : (len + len/2))
    return key_len if key_len == 6 else key_len + key_len // 2


def oma_digest(key: bytes | str, data: bytes) -> bytes:
    """The 8-byte OSGP digest of ``data`` under ``key`` (6, 12 or 16 bytes).

    A 20-byte MEP key is used by its first 16 bytes (DG "Access Levels": "The access key
    provided may actually be up to 20 bytes in length. In that case, only the first 16 bytes
    should be used"); a key given as text goes through :func:`mep_key` (20 ASCII characters as
    Danish grid companies hand them out, or 32/40 hex digits).

    >>> oma_digest(bytes.fromhex("df" * 12), bytes.fromhex(
    ...     "0202003000037f30ea6d0000000d0020980031c30008000000000011")).hex()
    'dbe5cde507b1cb3d'
    """
    key = mep_key(key) if isinstance(key, str) else bytes(key)
    if len(key) == 20:
        key = key[:16]
    if len(key) not in KEY_SIZES:
        raise ValueError(f"OSGP digest key must be 6, 12, 16 or 20 (MEP) bytes, got {len(key)}")
    return digest_from(bytes(8), key, bytes(data))


def digest_from(state: bytes, key: bytes, data: bytes) -> bytes:
    """The digest round function started from an 8-byte ``state`` instead of zeros.

    ``oma_digest`` is ``digest_from(bytes(8), key, data)``; the PLC RC4 key derivation of the
    public OSGP exercise starts from constants (see :mod:`.rc4`).
    """
    iters = _iterations(len(key))
    block = 8 * iters
    nblocks = max(1, -(-len(data) // block))
    data = data + bytes(nblocks * block - len(data))
    s = list(state)
    klen = len(key)
    pos = 0
    for _ in range(nblocks):
        for i in range(iters):
            kb = key[i % klen]
            last = s[0]                   # C code: last = digestValueOut[(8-j) & 7] with j = 0
            for v in range(7, -1, -1):    # state byte 7 down to 0, key bits LSB first
                m = data[pos]
                pos += 1
                n = ~(s[v] + v) & 0xFF
                if kb & 1:
                    step = ((n << 1) | (n >> 7)) & 0xFF          # rotate left
                else:
                    step = -(((n >> 1) | (n << 7)) & 0xFF)       # minus rotate right
                last = s[v] = (last + m + step) & 0xFF
                kb >>= 1
    return bytes(s)


def mep_key(key: bytes | bytearray | str) -> bytes:
    """The 16-byte key the MEP digest and RC4 use, from the forms keys are handed out in.

    * 16 bytes: as is; 20 bytes: the first 16 (DG "Access Levels": "The access key provided
      may actually be up to 20 bytes in length. In that case, only the first 16 bytes should be
      used").
    * text of exactly 20 characters: the ASCII bytes, first 16. Danish DSOs hand out the MBK as
      a 20-character string that looks like hex but is used as ASCII (dabbler.dk Sommerhack 2021
      slides p.10-11; docs/formats/osgp.md).
    * text of 32 or 40 hex digits (spaces/colons allowed): those bytes, first 16.
    """
    if isinstance(key, str):
        text = key.strip()
        if len(text) == 20:
            try:
                raw = text.encode("ascii")
            except UnicodeEncodeError:
                raise ValueError("a 20-character MEP key must be ASCII") from None
        else:
            compact = text.replace(" ", "").replace(":", "")
            if compact.lower().startswith("0x"):
                compact = compact[2:]
            try:
                raw = bytes.fromhex(compact)
            except ValueError:
                raise ValueError("a MEP key is 16/20 bytes, 20 ASCII characters or 32/40 hex digits") from None
            if len(raw) not in (16, 20):
                raise ValueError(f"a hex MEP key must be 16 or 20 bytes, got {len(raw)}")
    elif isinstance(key, (bytes, bytearray, memoryview)):
        raw = bytes(key)
        if len(raw) not in (16, 20):
            raise ValueError(f"a MEP key must be 16 or 20 bytes, got {len(raw)}")
    else:
        raise TypeError(f"a MEP key must be bytes or str, not {type(key).__name__}")
    return raw[:16]
