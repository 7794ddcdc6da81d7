"""Key material for encrypted frames (DLMS AES-128-GCM, wM-Bus AES-CBC...).

Keys never appear in ``repr()``, ``str()`` or log messages: a wallbox logs its decoder errors,
and a leaked HAN key lets anyone read (and in some setups spoof) a household's meter.

**Authentication rule.** An authentication key is a promise that the sender authenticates its
frames, so when the caller gives one, every frame must be authenticated or rejected:

* one :class:`Keys` with ``authentication_key``: every frame must carry a tag (DLMS GCM/GMAC
  tag, wM-Bus AFL MAC) that verifies; a plaintext frame, an encryption-only frame (DLMS
  security control 0x20, e.g. a 0x30 frame downgraded with its tag stripped), a frame whose
  tag cannot be checked (DLMS authentication-only 0x10 without the encryption key the GMAC
  needs) or a format without authentication raises :class:`~smartmeter_codecs.DecryptionError`
  (:class:`~smartmeter_codecs.KeyRequiredError` when the missing piece is a key);
* a mapping (system title / meter address -> Keys) that holds an authentication key anywhere:
  frames of a sender whose entry has an authentication key follow the rule above; a sender whose
  entry has none may send encrypted frames without a tag (``authenticated=False``); frames that
  name no sender of the mapping, and plaintext frames, are rejected.

``authenticated=False`` therefore only ever appears when the caller gave no authentication key
for that sender. :func:`authentication_required` is the one place that rule is written down.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Union

from .errors import DecryptionError

if TYPE_CHECKING:
    from .model import Reading

__all__ = ["Keys", "KeysArg", "resolve_keys", "has_authentication_key", "authentication_required",
           "check_authenticated"]


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
        authentication_key: the DLMS authentication key (AK), 16 bytes; for wM-Bus the key the
            AFL MAC key is derived from (OMS derives it from the meter key: pass that key
            here too). Optional. When it is given, every frame must be authenticated or it is
            rejected (see the module's authentication rule); when it is missing, authenticated
            frames are decrypted without a tag check and the Reading says
            ``authenticated=False``.
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


def _entries(keys: KeysArg) -> list[Keys]:
    if keys is None:
        return []
    if isinstance(keys, Keys):
        return [keys]
    return [k for k in keys.values() if isinstance(k, Keys)]


def has_authentication_key(keys: KeysArg) -> bool:
    """True when ``keys`` (one Keys or a mapping) holds an authentication key anywhere."""
    return any(k.authentication_key is not None for k in _entries(keys))


def authentication_required(keys: KeysArg, sender_keys: Keys | None) -> bool:
    """Whether a frame must carry a verified tag (the module's authentication rule).

    ``sender_keys`` is the entry the frame's sender resolved to (``None`` when the frame names
    no sender, or one the mapping does not hold). With one :class:`Keys` that is ``keys``.
    """
    if isinstance(keys, Keys):
        return keys.authentication_key is not None
    if sender_keys is not None:
        return sender_keys.authentication_key is not None
    return has_authentication_key(keys)


def check_authenticated(reading: "Reading", keys: KeysArg) -> "Reading":
    """The model-level net behind the format layers: ``reading`` or DecryptionError.

    Applied by ``decode``, ``decode_all``, ``StreamDecoder`` and ``inspect`` to every Reading,
    so a format without any authentication (P1, Chain 2 JSON, wired M-Bus...) cannot yield a
    Reading when the caller asked for authenticated frames. ``authenticated=False`` with a
    mapping is left to the format layers, which know the sender (a sender whose entry has no
    authentication key may send encrypted frames without a tag).
    """
    if reading.authenticated is True or not has_authentication_key(keys):
        return reading
    if isinstance(keys, Keys) or reading.authenticated is None:
        what = "a plaintext frame" if reading.authenticated is None else "a frame whose tag was not verified"
        raise DecryptionError("authentication", None,
                              f"{what} ({reading.format}) while an authentication key was given: every "
                              "frame must carry a tag that verifies (a downgraded or forged frame is "
                              "rejected, not returned)")
    return reading
