"""StreamDecoder: bytes in arbitrary chunks in, Readings and DecodeErrors out (sans-I/O).

With a format given, the format's own FrameStream does the work. With ``format=None`` every
stream-capable format listens until one of them decodes a Reading; from then on the stream is
locked to that format. Before the lock, errors that prove a frame was there (checksum errors)
are reported at once and other errors are held back and reported only if that format wins,
so foreign bytes never produce a flood of errors from the formats that do not apply.
"""
from __future__ import annotations

import logging
from typing import Iterator

from ._registry import FrameStream, available_codecs, get_codec
from .api import Data, text_encoding, to_bytes
from .errors import ChecksumError, DecodeError
from .keys import KeysArg, check_authenticated
from .model import Reading
from .plausibility import screen

__all__ = ["StreamDecoder"]

log = logging.getLogger("smartmeter_codecs.stream")

_HELD_ERRORS = 8


class StreamDecoder:
    """Decode a continuous byte stream (HAN port, PLC modem, capture file).

    >>> dec = StreamDecoder(format="dlms")
    >>> for item in dec.feed(chunk):                      # doctest: +SKIP
    ...     if isinstance(item, smc.Reading): ...
    ...     else: log.warning("broken frame: %s", item)   # a DecodeError, never raised

    Args:
        format: a format name, or ``None`` to detect it from the stream.
        keys: as for :func:`smartmeter_codecs.decode`.
        profile: as for :func:`smartmeter_codecs.decode`.
    """

    def __init__(self, format: str | None = None, keys: KeysArg = None, profile: str | None = None) -> None:
        self.format = format
        self._keys = keys
        self._profile = profile
        self._locked: FrameStream | None = None
        self._encoding = "utf-8"     # how str chunks become bytes (latin-1 for P1: api.text_encoding)
        self._candidates: list[tuple[str, FrameStream, list[DecodeError]]] = []
        if format is not None:
            try:
                codec = get_codec(format)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
            stream = codec.stream(keys=keys, profile=profile)
            if stream is None:
                raise ValueError(f"format {format!r} is not a byte stream; use decode_all()")
            self._locked = stream
            self._encoding = text_encoding(codec)
        else:
            for codec in available_codecs():
                stream = codec.stream(keys=keys, profile=profile)
                if stream is not None:
                    self._candidates.append((codec.name, stream, []))

    def feed(self, chunk: Data) -> Iterator[Reading | DecodeError]:
        """Feed a chunk; returns the Readings and DecodeErrors it completed, in order."""
        data = to_bytes(chunk, encoding=self._encoding) if not isinstance(chunk, bytes) else chunk
        # the safety net: no implausible value reaches an SI field silently (plausibility.py)
        return iter([self._checked(i) if isinstance(i, Reading) else i for i in self._feed(data)])

    def _checked(self, reading: Reading) -> Reading | DecodeError:
        # with an authentication key, an unauthenticated frame is an error item (keys.py)
        try:
            return screen(check_authenticated(reading, self._keys))
        except DecodeError as err:
            return err

    def _feed(self, data: bytes) -> list[Reading | DecodeError]:
        if self._locked is not None:
            return self._locked.feed(data)
        for name, stream, held in self._candidates:
            items = stream.feed(data)
            if any(isinstance(i, Reading) for i in items):
                log.debug("stream locked to format %s", name)
                self.format = name
                self._locked = stream
                self._candidates = []
                return [*held, *items]
            for i in items:
                if isinstance(i, DecodeError):
                    held.append(i)
            del held[:-_HELD_ERRORS]
        out: list[Reading | DecodeError] = []
        for _name, _stream, held in self._candidates:
            strong = [e for e in held if isinstance(e, ChecksumError)]
            out.extend(strong)
            held[:] = [e for e in held if not isinstance(e, ChecksumError)]
        return out
