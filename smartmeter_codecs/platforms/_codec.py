"""One codec object per platform format, built from the platform module's functions."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import DecodeError, UnsupportedError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from ..model import Reading

__all__ = ["PlatformCodec"]

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class PlatformCodec:
    """A platform export or API body <-> Readings (documents: no stream decoder)."""

    def __init__(self, name: str, description: str, sniff: Callable[[bytes], int],
                 decode: Callable[..., list[Reading]], encode: Callable[..., bytes] | None = None,
                 profiles: tuple[str, ...] = ()) -> None:
        self.name = name
        self.description = description
        self._sniff = sniff
        self._decode = decode
        self._encode = encode
        self.profiles = profiles

    def __repr__(self) -> str:
        return f"<PlatformCodec {self.name}>"

    def sniff(self, data: bytes) -> int:
        """Confidence that ``data`` is this platform's body (header row or JSON keys)."""
        if _CONTROL.search(data, 0, 256) is not None:
            # a binary frame (DLMS, M-Bus, wM-Bus: autodetection asks every sniffer in turn,
            # issue 16): a platform body is CSV or JSON text, which has no C0 control byte but
            # tab, CR and LF (RFC 8259 section 7 escapes them in JSON strings; the CSV reader
            # refuses NUL)
            return 0
        try:
            return self._sniff(bytes(data))
        except Exception:  # noqa: BLE001 - a sniffer only answers "is it mine"
            return 0

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """One Reading per interval (and per master-data record); DecodeError subclasses only."""
        try:
            return self._decode(bytes(data), profile=profile)
        except DecodeError:
            raise
        except (RecursionError, MemoryError, OverflowError) as err:  # hostile input, not a bug to hide
            # a date at the edge of the calendar (9999-12-31 24:00), a body nested too deep
            raise UnsupportedError(self.name, None, f"input outside what can be decoded ({type(err).__name__}: "
                                                    f"a date beyond year 9999, or too large or deep)") from None

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """The Readings with their source rows/paths; ``error`` set when decoding stopped."""
        data = bytes(data)
        root = Field(self.name, 0, len(data))
        insp = Inspection(data, self.name, root)
        try:
            readings = self.decode_all(data, profile=profile)
            insp.readings.extend(readings)
            for i, r in enumerate(readings):
                node = root.add(f"reading[{i}]", value=r.timestamp.isoformat() if r.timestamp else r.meter_id,
                                description=r.quality)
                for reg in r.registers:
                    node.add(reg.key, value=reg.value, description=reg.description)
        except DecodeError as err:
            insp.error = err
        except ValueError as err:
            insp.error = UnsupportedError(self.name, None, str(err))
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None, **options: Any) -> bytes:
        """This platform's body for one Reading (the module's ``encode_*`` takes a series)."""
        if self._encode is None:
            raise ValueError(f"{self.name}: no encoder (the platform only sends this body)")
        return self._encode([reading], **options)

    def encode_series(self, readings: list[Reading], **options: Any) -> bytes:
        """This platform's body for a series of Readings (round trips, simulators)."""
        if self._encode is None:
            raise ValueError(f"{self.name}: no encoder (the platform only sends this body)")
        return self._encode(list(readings), **options)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> None:
        """None: platform bodies and exports are complete documents, not byte streams."""
        return
