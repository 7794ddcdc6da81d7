"""Typed errors raised (or, in streams, yielded) for input that cannot be decoded.

Every error says *which layer* failed, *at which byte offset* of the input it was given, and
*what was expected*. Bad input never raises anything but a :class:`DecodeError` subclass, so a
caller can write ``except smc.DecodeError`` and be sure to catch every decoding problem.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "DecodeError",
    "FramingError",
    "ChecksumError",
    "IncompleteError",
    "DecryptionError",
    "KeyRequiredError",
    "UnsupportedError",
    "ApplicationError",
]


class DecodeError(ValueError):
    """Base class of every decoding failure.

    Attributes:
        layer: the layer that failed, e.g. ``"hdlc"``, ``"axdr"``, ``"mbus-link"``.
        offset: byte offset in the data handed to that decoder call where the problem was
            found (``None`` when it does not apply, e.g. a JSON document).
        message: what was found and what was expected.
    """

    def __init__(self, layer: str, offset: int | None, message: str) -> None:
        self.layer = layer
        self.offset = offset
        self.message = message
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"[{layer}{where}] {message}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep errors picklable (multiprocessing users)
        return (self.__class__, (self.layer, self.offset, self.message))

    def shifted(self, base: int, note: str | None = None) -> "DecodeError":
        """Re-express the offset relative to an enclosing buffer that starts ``base`` bytes
        earlier (used when a layer decoded a slice of the caller's input). Returns self."""
        if self.offset is not None:
            self.offset += base
        if note:
            self.message = f"{self.message} ({note})"
        where = f" at byte {self.offset}" if self.offset is not None else ""
        self.args = (f"[{self.layer}{where}] {self.message}",)
        return self


class FramingError(DecodeError):
    """The bytes do not form a valid frame/structure (bad flag, length, tag, stop byte...)."""


class ChecksumError(FramingError):
    """A checksum or CRC (HDLC HCS/FCS, M-Bus checksum, wM-Bus CRC) does not match."""

    def __init__(self, layer: str, offset: int | None, message: str,
                 expected: int | None = None, actual: int | None = None) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(layer, offset, message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.layer, self.offset, self.message, self.expected, self.actual))


class IncompleteError(DecodeError):
    """The input ends too early, or a segment/block of a multi-part message is missing."""


class DecryptionError(DecodeError):
    """Decryption failed: wrong key, tag mismatch, or a plaintext that does not parse."""


class KeyRequiredError(DecodeError):
    """The frame is encrypted and no key was given for its sender (system title/address)."""

    def __init__(self, layer: str, offset: int | None, message: str,
                 system_title: bytes | None = None) -> None:
        self.system_title = system_title
        super().__init__(layer, offset, message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.layer, self.offset, self.message, self.system_title))


class UnsupportedError(DecodeError):
    """Valid input that this library does not understand (yet).

    ``recognised`` carries what was understood before giving up (e.g. the APDU tag, the CI
    field), so a caller can log something useful.
    """

    def __init__(self, layer: str, offset: int | None, message: str,
                 recognised: dict[str, Any] | None = None) -> None:
        self.recognised = dict(recognised or {})
        super().__init__(layer, offset, message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.layer, self.offset, self.message, self.recognised))


class ApplicationError(DecodeError):
    """The device answered with an application-level error (e.g. M-Bus CI 0x70).

    ``code`` is the device's error code as sent on the wire.
    """

    def __init__(self, layer: str, offset: int | None, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(layer, offset, message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.layer, self.offset, self.message, self.code))
