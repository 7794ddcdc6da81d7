"""Key material for encrypted frames (DLMS AES-128-GCM, wM-Bus AES-CBC...).

Keys never appear in ``repr()``, ``str()`` or log messages: a wallbox logs its decoder errors,
and a leaked HAN key lets anyone read (and in some setups spoof) a household's meter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

__all__ = ["Keys", "KeysArg", "resolve_keys"]


def _as_bytes(name: str, value: bytes | bytearray | str | None, sizes: tuple[int, ...]) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace(":", "")
        if text.lower().startswith("0x"):
            text = text[2:]
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"{name} must be bytes or a hex string") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
    else:
        raise TypeError(f"{name} must be bytes or a hex string, not {type(value).__name__}")
    if sizes and len(raw) not in sizes:
        raise ValueError(f"{name} must be {' or '.join(map(str, sizes))} bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True, slots=True)
class Keys:
    """Keys for one meter.

    Args:
        encryption_key: the block cipher key (DLMS "GUEK"/EK, wM-Bus AES key), 16 bytes,
            as bytes or hex text.
        authentication_key: the DLMS authentication key (AK), 16 bytes; optional. When it is
            missing, authenticated frames are decrypted but their tag cannot be checked and the
            Reading says ``authenticated=False``.
        system_title: optional 8-byte system title overriding the one in the frame (for
            frames that do not carry it).
    """

    encryption_key: bytes | None = field(default=None, repr=False)
    authentication_key: bytes | None = field(default=None, repr=False)
    system_title: bytes | None = None

    def __init__(self, encryption_key: bytes | str | None = None,
                 authentication_key: bytes | str | None = None,
                 system_title: bytes | str | None = None) -> None:
        object.__setattr__(self, "encryption_key", _as_bytes("encryption_key", encryption_key, (16, 24, 32)))
        object.__setattr__(self, "authentication_key",
                           _as_bytes("authentication_key", authentication_key, (16, 24, 32)))
        st: bytes | None
        if isinstance(system_title, str) and len(system_title) == 8 and not _is_hex(system_title):
            st = system_title.encode("ascii")  # "ABCDEFGH"-style literal titles
        else:
            st = _as_bytes("system_title", system_title, ())
        object.__setattr__(self, "system_title", st)

    def __repr__(self) -> str:
        parts = []
        parts.append("encryption_key=<set>" if self.encryption_key else "encryption_key=None")
        parts.append("authentication_key=<set>" if self.authentication_key else "authentication_key=None")
        if self.system_title is not None:
            parts.append(f"system_title={self.system_title.hex()}")
        return f"Keys({', '.join(parts)})"

    __str__ = __repr__


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
        return True
    except ValueError:
        return False


KeysArg = Union[Keys, Mapping[Union[bytes, str], Keys], None]


def resolve_keys(keys: KeysArg, system_title: bytes | None) -> Keys | None:
    """Pick the keys for a sender.

    ``keys`` may be one :class:`Keys` (used for every sender) or a mapping from system title
    (bytes, hex text, or 8-character ASCII like ``"KFM\\x00..."``) to Keys.
    """
    if keys is None:
        return None
    if isinstance(keys, Keys):
        return keys
    if system_title is None:
        return None
    for title, k in keys.items():
        if isinstance(title, str):
            cand = [title.encode("latin-1")] if len(title) == 8 else []
            try:
                cand.append(bytes.fromhex(title))
            except ValueError:
                pass
        else:
            cand = [bytes(title)]
        if system_title in cand:
            return k
    return None
