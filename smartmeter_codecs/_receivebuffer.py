"""One receive buffer for every stream splitter (docs/design.md, after h11's ``_receivebuffer.py``).

The four stream splitters (HDLC, M-Bus, P1, Chain 2 JSON) each used to append chunks, drop
consumed bytes, re-base error offsets and bound their buffer on their own. This module owns
those jobs once:

* **Stream offsets.** Splitters keep every position (scan cursors, candidate starts) as an
  absolute *stream offset* (bytes since the stream began). Dropping consumed bytes never
  moves such a position, so no splitter has to re-base its state, and error offsets come out
  in stream bytes without arithmetic at each call site.
* **Bounding.** :meth:`ReceiveBuffer.release` drops everything before a stream offset; the
  buffer never holds more than ``limit`` bytes after a release (the oldest bytes go first,
  and the call says how many were forced out so the splitter can report them).
* **O(n) scanning.** :meth:`ReceiveBuffer.find` searches from a stream offset, so a splitter
  that remembers how far it has looked (a cursor) never rescans bytes it has already ruled
  out. Dropping bytes from the front of a ``bytearray`` is amortised O(1) in CPython (the
  start pointer moves; the memory is compacted only now and then), so feeding a stream byte
  by byte costs time linear in its length.
"""
from __future__ import annotations

__all__ = ["ReceiveBuffer"]


class ReceiveBuffer:
    """The bytes a stream splitter has received and not yet released.

    ``data`` holds the bytes from stream offset ``start`` (inclusive) to ``end`` (exclusive).
    Index it with stream offsets through :meth:`at` and :meth:`slice`, or convert with
    :meth:`index` when handing ``data`` to a parser that takes a buffer and a position.
    """

    __slots__ = ("data", "limit", "start")

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        self.data = bytearray()
        self.start = 0          # stream offset of data[0]
        self.limit = limit      # most bytes kept after release()

    @property
    def end(self) -> int:
        """Stream offset just after the last byte received."""
        return self.start + len(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"<ReceiveBuffer {self.start}..{self.end} ({len(self.data)} bytes, limit {self.limit})>"

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append received bytes."""
        self.data += chunk

    def skip(self, count: int) -> None:
        """Let ``count`` received bytes pass without keeping them (only when the buffer is
        empty: a splitter that sees nothing to wait for in a chunk need not copy it)."""
        if self.data:
            raise ValueError("skip() needs an empty buffer; release() the bytes first")
        self.start += count

    def index(self, offset: int) -> int:
        """Index into ``data`` of a stream offset."""
        return offset - self.start

    def at(self, offset: int) -> int:
        """The byte at a stream offset (``IndexError`` outside ``start..end``)."""
        i = offset - self.start
        if i < 0:
            raise IndexError(f"stream offset {offset} was released (buffer starts at {self.start})")
        return self.data[i]

    def slice(self, begin: int, stop: int) -> bytes:
        """A copy of the bytes from stream offset ``begin`` to ``stop`` (clipped to the buffer)."""
        s = self.start
        return bytes(self.data[max(begin - s, 0):max(stop - s, 0)])

    def find(self, needle: bytes | int, begin: int, stop: int | None = None) -> int:
        """Stream offset of the first ``needle`` at or after ``begin`` (and ending by ``stop``),
        or -1. ``begin`` before the buffer start searches from the buffer start."""
        s = self.start
        i = self.data.find(needle, max(begin - s, 0), len(self.data) if stop is None else max(stop - s, 0))
        return -1 if i < 0 else i + s

    def release(self, offset: int) -> int:
        """Drop the bytes before stream offset ``offset`` (they are consumed or ruled out),
        then enforce the limit.

        Returns the stream offset the buffer really starts at afterwards: larger than
        ``offset`` when the limit forced more bytes out (the caller reports what it lost).
        """
        offset = min(max(offset, self.end - self.limit), self.end)
        drop = offset - self.start
        if drop > 0:
            del self.data[:drop]
            self.start = offset
        return self.start
