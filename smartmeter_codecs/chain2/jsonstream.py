"""Split a byte stream into Chain2Gate JSON envelopes (sans-I/O, bounded, resynchronising).

Chain2Gate sends one JSON object per WebSocket message; captures store them one per line
(NDJSON) or back to back. :class:`EnvelopeSplitter` finds each object that starts like an
envelope (``{"Chain2Data"``, ``{"Chain2Info"``, ``{"Chain2State"``), matches its braces (outside
strings) and hands out the complete object's bytes. Bytes between envelopes are skipped and
reported once per run; an envelope that is cut off by the start of the next one is reported
and dropped, so a valid message after garbage is never lost. The buffer is bounded.
"""
from __future__ import annotations

import re

from .._receivebuffer import ReceiveBuffer
from ..errors import DecodeError, FramingError

__all__ = ["EnvelopeSplitter", "MAX_MESSAGE"]

#: Largest envelope accepted (bytes). Real messages are < 1 KiB.
MAX_MESSAGE = 64 * 1024
#: White space accepted between an envelope's ``{`` and its first key. Bounded so that a
#: start split across chunks is recognised by looking back a fixed number of bytes.
_MAX_START_SPACE = 64
_START = re.compile(rb'\{[ \t\r\n]{0,%d}"Chain2(?:Data|Info|State)"' % _MAX_START_SPACE)
_START_KEYS = (b'"Chain2Data"', b'"Chain2Info"', b'"Chain2State"')
_START_MAX = 1 + _MAX_START_SPACE + max(len(k) for k in _START_KEYS)
_TOKENS = re.compile(rb'["{}\\]')
_IGNORABLE = b" \t\r\n[],"   # separators of NDJSON lines and JSON arrays of envelopes


def _could_start(buf: bytes | bytearray, i: int) -> bool:
    """True while ``buf[i:]`` (starting with ``{``) is still a prefix of an envelope start."""
    rest = bytes(buf[i + 1:i + _START_MAX])
    key = rest.lstrip(b" \t\r\n")
    if len(rest) - len(key) > _MAX_START_SPACE:
        return False
    return any(k.startswith(key) for k in _START_KEYS)


class EnvelopeSplitter:
    """``feed(bytes) -> list[bytes | DecodeError]``: complete envelope texts and skip reports.

    The brace matcher keeps its state (depth, inside a string, escape) between calls and
    resumes where it stopped, so an envelope fed byte by byte costs time linear in its
    length (issue 10: it used to re-match from the envelope start on every feed). Every
    ``{`` is checked for the start of a new envelope, inside strings too: a message cut off
    mid-string is reported and the next one decodes. The items do not depend on how the
    stream is cut into chunks (a skip report counts the bytes that are not JSON separators).
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._rx = ReceiveBuffer(max_message + 2 * _START_MAX)
        self._max = max_message
        self._skipped = 0
        self._done = 0                  # stream offset: bytes before it are accounted for
        self._start: int | None = None  # stream offset of the pending envelope's '{'
        self._cursor = 0                # stream offset where matching resumes
        self._depth = 0
        self._in_string = False

    @property
    def buffered(self) -> int:
        """Bytes held back for an envelope not complete yet."""
        return len(self._rx)

    def _account(self, stop: int) -> None:
        """Bytes from the accounted point to ``stop`` lie between envelopes."""
        if stop > self._done:
            chunk = self._rx.slice(self._done, stop)
            self._skipped += len(chunk.translate(None, _IGNORABLE))
            self._done = stop

    def _flush_skipped(self, out: list[bytes | DecodeError], at: int) -> None:
        if self._skipped:
            out.append(FramingError("chain2-json", at,
                                    f"skipped {self._skipped} bytes that are not a Chain2Gate JSON message"))
            self._skipped = 0

    def _open(self, at: int) -> None:
        self._start, self._cursor, self._depth, self._in_string = at, at + 1, 1, False
        self._done = at

    def feed(self, data: bytes) -> list[bytes | DecodeError]:
        rx = self._rx
        rx.feed(data)
        buf = rx.data
        n = rx.end
        out: list[bytes | DecodeError] = []
        while True:
            start = self._start
            if start is None:
                m = _START.search(buf, rx.index(self._cursor))
                if m is None:
                    # a start may be split across chunks: look back one start's length next time
                    self._cursor = max(self._cursor, n - _START_MAX)
                    self._account(self._cursor)
                    break
                at = m.start() + rx.start
                self._account(at)
                self._flush_skipped(out, at)
                self._open(at)
                continue
            limit = start + self._max
            done = False
            while True:
                m = _TOKENS.search(buf, rx.index(self._cursor), rx.index(min(n, limit)))
                if m is None:
                    break
                i = m.start()
                ch = buf[i]
                at = i + rx.start
                if ch == 0x7B:
                    if _START.match(buf, i):
                        out.append(FramingError("chain2-json", start, "JSON message cut off: the next "
                                                                      "message starts before it ends"))
                        self._open(at)
                        start, limit = at, at + self._max
                        continue
                    if n - at < _START_MAX and _could_start(buf, i):
                        break                       # wait: this may still be a new envelope
                    self._cursor = at + 1
                    if not self._in_string:
                        self._depth += 1
                    continue
                self._cursor = at + 1
                if self._in_string:
                    if ch == 0x5C:                  # backslash: skip the escaped byte
                        self._cursor += 1
                    elif ch == 0x22:
                        self._in_string = False
                elif ch == 0x22:
                    self._in_string = True
                elif ch == 0x7D:
                    self._depth -= 1
                    if self._depth == 0:
                        out.append(rx.slice(start, at + 1))
                        self._start, self._done = None, at + 1
                        done = True
                        break
            if done:
                continue
            if m is None and n >= limit:            # no closing brace within the limit
                out.append(FramingError("chain2-json", start, f"JSON message longer than {self._max} bytes: "
                                                              "dropped"))
                self._start, self._cursor, self._done = None, start + 1, start + 1
                continue
            if m is None:
                self._cursor = max(self._cursor, n)     # no token up to n
            break
        rx.release(self._start if self._start is not None else min(self._done, self._cursor))
        return out
