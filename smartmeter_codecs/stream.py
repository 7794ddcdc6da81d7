"""StreamDecoder: bytes in arbitrary chunks in, Readings and DecodeErrors out (sans-I/O).

With a format given, the format's own FrameStream does the work. With ``format=None`` every
stream-capable format listens until one of them decodes a Reading; from then on the stream
belongs to that format (the one whose Reading came first in the stream, however the chunks
were cut: see ``_feed``). Locking to a *format* never locks a *framing*: the ``dlms`` stream
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

from ._registry import Codec, FrameStream, get_codec
from .api import Data, _tz, candidate_codecs, finish, placer, text_encoding, to_bytes
from .errors import ChecksumError, DecodeError, DecryptionError, KeyRequiredError
from .keys import KeysArg
from .model import Reading
from .zones import TzArg

__all__ = ["StreamDecoder"]

log = logging.getLogger("smartmeter_codecs.stream")

_HELD_ERRORS = 8
# bytes kept while no format is known, to replay when one chunk completes Readings of two
# formats (mixed or garbled input only; a meter's line has one format)
_HISTORY = 1 << 16
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
        self._placing: set[FrameStream] = set()   # streams that place timestamps themselves
        if format is not None:
            try:
                codec = get_codec(format)
            except KeyError as err:
                raise ValueError(str(err.args[0])) from None
            stream = self._open(codec)
            if stream is None:
                raise ValueError(f"format {format!r} is a document format, not a byte stream: decode it whole "
                                 "(decode_all(), or 'smartmeter-codecs decode')")
            self._locked = stream
            self._encoding = text_encoding(codec)
        else:
            self._candidates = self._listeners()
        # the bytes fed while no format is known (bounded): to find, when one chunk completes
        # Readings of two formats, which of them came first in the stream (see _feed)
        self._history: bytearray | None = bytearray() if format is None else None

    def _listeners(self) -> list[tuple[str, FrameStream, list[DecodeError]]]:
        out: list[tuple[str, FrameStream, list[DecodeError]]] = []
        for codec in candidate_codecs(self._profile):
            if self._keys is None and getattr(codec, "stream_needs_key_to_detect", False):
                # a framing without start marker or checksum (OSGP MEP) proves a message only
                # by its keyed digest: without a key it would "detect" itself in any bytes
                continue
            stream = self._open(codec)
            if stream is not None:
                out.append((codec.name, stream, []))
        return out

    def _open(self, codec: Codec) -> FrameStream | None:
        place = placer(codec, self._tz)
        if place is None:
            return codec.stream(keys=self._keys, profile=self._profile)
        stream: FrameStream | None = codec.stream(keys=self._keys, profile=self._profile,  # type: ignore[call-arg]
                                                  placer=place)
        if stream is not None:
            self._placing.add(stream)
        return stream

    def feed(self, chunk: Data) -> Iterator[Reading | DecodeError]:
        """Feed a chunk; returns the Readings and DecodeErrors it completed, in order."""
        data = to_bytes(chunk, encoding=self._encoding) if not isinstance(chunk, bytes) else chunk
        return iter(self._feed(data))

    def _checked(self, items: list[Reading | DecodeError], stream: FrameStream) -> list[Reading | DecodeError]:
        # The post-decode steps of decode_all (api.finish), before anything else looks at a
        # Reading: with an authentication key an unauthenticated frame is an error item
        # (keys.py); a naive timestamp gets tz= or its profile's zone (zones.py); no implausible
        # value reaches an SI field silently (plausibility.py).
        out: list[Reading | DecodeError] = []
        placed = stream in self._placing
        for i in items:
            if isinstance(i, Reading):
                try:
                    i = finish(i, self._keys, self._tz, placed)
                except DecodeError as err:
                    i = err
            out.append(i)
        return out

    def _feed(self, data: bytes) -> list[Reading | DecodeError]:
        if self._locked is not None:
            return self._checked(self._locked.feed(data), self._locked)
        history = self._history
        if history is not None:
            if len(history) + len(data) > _HISTORY:
                history = self._history = None      # too long undetected: candidate order decides
            else:
                history += data
        items = self._listen(data, resolve=history is not None)
        if items is None:
            # Readings of two formats completed in this chunk: the stream belongs to the one
            # whose Reading came first in the stream, wherever the chunks were cut (fuzzing
            # found a whole feed lock onto a later M-Bus frame and lose four SML Readings before
            # it). Fresh listeners hear the earlier bytes again, then this chunk byte by byte.
            assert history is not None
            before = bytes(history[:len(history) - len(data)])
            self._placing.clear()
            self._candidates = self._listeners()
            self._dropped = {}
            self._listen(before, resolve=False)     # no Reading there: no listener had one
            items = []
            for k in range(len(data)):
                if self._locked is not None:
                    items += self._checked(self._locked.feed(data[k:]), self._locked)
                    break
                items += self._listen(data[k:k + 1], resolve=False) or []
        if self._locked is not None:
            self._history = None
        return items

    def _listen(self, data: bytes, resolve: bool) -> list[Reading | DecodeError] | None:
        """Feed every listener; lock to the first (in the order of formats()) with a Reading.
        With ``resolve``, None when another listener also had a Reading in ``data``: the
        caller then finds out which came first."""
        out: list[Reading | DecodeError] = []
        # checksum/key/decryption errors already out in this call: ``mbus`` and ``dlms`` share
        # the M-Bus link layer, so both report a broken M-Bus frame; one report is enough
        seen: set[tuple[object, ...]] = set()
        for name, stream, held in self._candidates:
            # checked first: a Reading the authentication rule rejects proves nothing, so it never
            # locks the stream (a plaintext P1 telegram must not make a later DLMS frame be lost)
            items = self._checked(stream.feed(data), stream)
            if any(isinstance(i, Reading) for i in items):
                if resolve and self._others_read(name, data):
                    return None
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

    def _others_read(self, name: str, data: bytes) -> bool:
        """Whether a listener after ``name`` also completes a Reading in ``data`` (they are fed
        it here; when none does, the caller locks and they are dropped anyway)."""
        after = False
        for other, stream, _ in self._candidates:
            if other == name:
                after = True
            elif after and any(isinstance(i, Reading) for i in self._checked(stream.feed(data), stream)):
                return True
        return False

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
        self._placing &= {stream}
        self._candidates = []


def _key(item: Reading | DecodeError) -> tuple[object, ...]:
    if isinstance(item, _STRONG):
        return (type(item), item.layer, item.offset, item.message)
    return (id(item),)
