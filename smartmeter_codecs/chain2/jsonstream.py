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

from ..errors import DecodeError, FramingError

__all__ = ["EnvelopeSplitter", "MAX_MESSAGE"]

#: Largest envelope accepted (bytes). Real messages are < 1 KiB.
MAX_MESSAGE = 64 * 1024
_START = re.compile(rb'\{[ \t\r\n]*"Chain2(?:Data|Info|State)"')
_TOKENS = re.compile(rb'["{}\\]')
_IGNORABLE = re.compile(rb"[ \t\r\n\[\],]*")
_KEEP_TAIL = 64  # bytes kept when no start is found: a start may be split across chunks


def _match_braces(buf: bytes | bytearray, start: int) -> int | None:
    """End index (exclusive) of the JSON object starting at ``start``; None if incomplete."""
    depth = 0
    in_string = False
    pos = start
    while True:
        m = _TOKENS.search(buf, pos)
        if m is None:
            return None
        ch = buf[m.start()]
        pos = m.end()
        if in_string:
            if ch == 0x5C:      # backslash: skip the escaped byte
                pos += 1
            elif ch == 0x22:    # closing quote
                in_string = False
        elif ch == 0x22:
            in_string = True
        elif ch == 0x7B:
            depth += 1
        elif ch == 0x7D:
            depth -= 1
            if depth == 0:
                return pos


class EnvelopeSplitter:
    """``feed(bytes) -> list[bytes | DecodeError]``: complete envelope texts and skip reports."""

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self._buf = bytearray()
        self._skipped = 0
        self._offset = 0  # stream offset of self._buf[0]
        self._max = max_message

    def _skip(self, start: int, end: int) -> None:
        chunk = self._buf[start:end]
        if _IGNORABLE.fullmatch(chunk) is None:
            self._skipped += end - start

    def _flush_skipped(self, out: list[bytes | DecodeError], at: int) -> None:
        if self._skipped:
            out.append(FramingError("chain2-json", self._offset + at,
                                    f"skipped {self._skipped} bytes that are not a Chain2Gate JSON message"))
            self._skipped = 0

    def feed(self, data: bytes) -> list[bytes | DecodeError]:
        buf = self._buf
        buf += data
        out: list[bytes | DecodeError] = []
        pos = 0
        while True:
            m = _START.search(buf, pos)
            if m is None:
                keep_from = max(pos, len(buf) - _KEEP_TAIL)
                self._skip(pos, keep_from)
                pos = keep_from
                break
            start = m.start()
            self._skip(pos, start)
            self._flush_skipped(out, start)
            end = _match_braces(buf, start)
            nxt = _START.search(buf, start + 1)
            if nxt is not None and (end is None or end > nxt.start()):
                out.append(FramingError("chain2-json", self._offset + start,
                                        "JSON message cut off: the next message starts before it ends"))
                pos = nxt.start()
                continue
            if end is None:
                if len(buf) - start > self._max:
                    out.append(FramingError("chain2-json", self._offset + start,
                                            f"JSON message longer than {self._max} bytes: dropped"))
                    pos = start + 1
                    continue
                pos = start
                break
            out.append(bytes(buf[start:end]))
            pos = end
        del buf[:pos]
        self._offset += pos
        return out
