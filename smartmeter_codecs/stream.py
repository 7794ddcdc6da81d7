"""StreamDecoder: bytes in arbitrary chunks in, Readings and DecodeErrors out (sans-I/O).

With a format given, the format's own FrameStream does the work. With ``format=None`` every
stream-capable format listens until one of them decodes a Reading; from then on the stream
belongs to that format. Locking to a *format* never locks a *framing*: the ``dlms`` stream
keeps trying HDLC and M-Bus framing on every byte, so a later frame in the other framing the
format supports is still decoded.

Before the lock, errors that prove a frame of that format was there are reported at once,
together with that format's errors held so far (in stream order): a checksum error (the
frame's start, length and end were right), a missing key or a failed decryption (the frame
passed its link checksum). Other errors are held back and reported when that format wins,
so foreign bytes do not flood the caller with errors from formats that do not apply. At most ``_HELD_ERRORS`` are held per format; nothing is dropped
silently: errors of the winning format that did not fit are counted in a warning, those of
the other formats are logged at debug level when the stream locks.
"""
from __future__ import annotations

import logging
from typing import Iterator

from ._registry import FrameStream, get_codec
from .api import Data, _tz, candidate_codecs, finish, text_encoding, to_bytes
from .errors import ChecksumError, DecodeError, DecryptionError, KeyRequiredError
from .keys import KeysArg
from .model import Reading
from .zones import TzArg

__all__ = ["StreamDecoder"]

log = logging.getLogger("smartmeter_codecs.stream")

_HELD_ERRORS = 8
# errors that prove a frame of the format was there: reported before the format is known
_STRONG = (ChecksumError, KeyRequiredError, DecryptionError)


class StreamDecoder:
    """Decode a continuous byte stream (HAN port, PLC modem, capture file).

    >>> dec = StreamDecoder(format="dlms")
    >>> for item in dec.feed(chunk):                      # doctest: +SKIP
    ...     if isinstance(item, smc.Reading): ...
    ...     else: log.warning("broken frame: %s", item)   # a DecodeError, never raised

    Args:
        format: a format name, or ``None`` to detect it from the stream.
        keys: as for :func:`smartmeter_codecs.decode`.
        profile: as for :func:`smartmeter_codecs.decode` (with ``format=None`` only the formats
            that have this profile listen).
        tz: as for :func:`smartmeter_codecs.decode`.
    """

    def __init__(self, format: str | None = None, keys: KeysArg = None, profile: str | None = None,
                 tz: TzArg = None) -> None:
        self.format = format
        self._tz = _tz(tz)
        self._keys = keys
        self._profile = profile
        self._locked: FrameStream | None = None
        self._encoding = "utf-8"     # how str chunks become bytes (latin-1 for P1: api.text_encoding)
        self._candidates: list[tuple[str, FrameStream, list[DecodeError]]] = []
        self._dropped: dict[str, int] = {}   # held errors that did not fit, per format
        if format is not None:
            try:
                codec = get_codec(format)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
            stream = codec.stream(keys=keys, profile=profile)
            if stream is None:
                raise ValueError(f"format {format!r} is a document format, not a byte stream: decode it whole "
                                 "(decode_all(), or 'smartmeter-codecs decode')")
            self._locked = stream
            self._encoding = text_encoding(codec)
        else:
            for codec in candidate_codecs(profile):
                if keys is None and getattr(codec, "stream_needs_key_to_detect", False):
                    # a framing without start marker or checksum (OSGP MEP) proves a message only
                    # by its keyed digest: without a key it would "detect" itself in any bytes
                    continue
                stream = codec.stream(keys=keys, profile=profile)
                if stream is not None:
                    self._candidates.append((codec.name, stream, []))

    def feed(self, chunk: Data) -> Iterator[Reading | DecodeError]:
        """Feed a chunk; returns the Readings and DecodeErrors it completed, in order."""
        data = to_bytes(chunk, encoding=self._encoding) if not isinstance(chunk, bytes) else chunk
        return iter(self._feed(data))

    def _checked(self, items: list[Reading | DecodeError]) -> list[Reading | DecodeError]:
        # The post-decode steps of decode_all (api.finish), before anything else looks at a
        # Reading: with an authentication key an unauthenticated frame is an error item
        # (keys.py); a naive timestamp gets tz= or its profile's zone (zones.py); no implausible
        # value reaches an SI field silently (plausibility.py).
        out: list[Reading | DecodeError] = []
        for i in items:
            if isinstance(i, Reading):
                try:
                    i = finish(i, self._keys, self._tz)
                except DecodeError as err:
                    i = err
            out.append(i)
        return out

    def _feed(self, data: bytes) -> list[Reading | DecodeError]:
        if self._locked is not None:
            return self._checked(self._locked.feed(data))
        out: list[Reading | DecodeError] = []
        # checksum/key/decryption errors already out in this call: ``mbus`` and ``dlms`` share
        # the M-Bus link layer, so both report a broken M-Bus frame; one report is enough
        seen: set[tuple[object, ...]] = set()
        for name, stream, held in self._candidates:
            # checked first: a Reading the authentication rule rejects proves nothing, so it never
            # locks the stream (a plaintext P1 telegram must not make a later DLMS frame be lost)
            items = self._checked(stream.feed(data))
            if any(isinstance(i, Reading) for i in items):
                self._lock(name, stream)
                return [*out, *held, *(i for i in items if _key(i) not in seen)]
            mine: set[tuple[object, ...]] = set()
            for i in items:
                if isinstance(i, _STRONG):
                    # proof that this format is on the line: its held errors come out with it,
                    # in stream order
                    out.extend(held)
                    held.clear()
                    if _key(i) not in seen:
                        out.append(i)
                    mine.add(_key(i))
                elif isinstance(i, DecodeError):
                    held.append(i)
            seen |= mine
            if len(held) > _HELD_ERRORS:
                log.debug("format %s (not detected yet): %d held error(s) dropped, e.g. %s", name,
                          len(held) - _HELD_ERRORS, held[0])
                self._dropped[name] = self._dropped.get(name, 0) + len(held) - _HELD_ERRORS
                del held[:-_HELD_ERRORS]
        return out

    def _lock(self, name: str, stream: FrameStream) -> None:
        log.debug("stream locked to format %s", name)
        dropped = self._dropped.get(name, 0)
        if dropped:
            log.warning("format %s detected; %d of its earlier errors were not kept (only the last %d "
                        "are reported)", name, dropped, _HELD_ERRORS)
        for other, _, held in self._candidates:
            if other != name and (held or self._dropped.get(other)):
                log.debug("format %s: %d held error(s) discarded (the stream is %s)", other,
                          len(held) + self._dropped.get(other, 0), name)
        self.format = name
        self._locked = stream
        self._candidates = []


def _key(item: Reading | DecodeError) -> tuple[object, ...]:
    if isinstance(item, _STRONG):
        return (type(item), item.layer, item.offset, item.message)
    return (id(item),)
