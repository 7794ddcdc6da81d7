"""EN 13757-2 wired M-Bus link layer: single character, short, control and long frames.

Frame formats (EN 13757-2:2018 clause 5, "FT1.2" of IEC 60870-5-1/-2)::

    single character   E5
    short frame        10 C A CS 16
    control frame      68 03 03 68 C A CI CS 16            (L = 3)
    long frame         68 L  L  68 C A CI data... CS 16    (L = 3 + len(data), 3 < L <= 255)

``CS`` is the arithmetic sum (mod 256) of the bytes from C up to the last data byte, ``L``
counts the same bytes. Everything here is pure (bytes in, typed frozen values out) and
sans-I/O; :class:`LinkFrameSplitter` cuts a continuous byte stream into frames.

16-bit length quirk (``allow_16bit_length``): the Sagemcom T210-D meters of Austrian DSOs
send the first DLMS segment as ``68 01 01 68`` followed by **257** bytes (C..data), a valid
mod-256 checksum and ``16`` (research/dlms.md §4.9; amsreader-firmware#155). With the flag,
the two length bytes are also read as a big-endian 16-bit value ``L1 << 8 | L2`` - but only

* when the standard 8-bit reading does not give a valid frame (``L < 3``, a wrong stop byte
  or checksum at the 8-bit position, or ``L1 != L2``), and
* when that 16-bit value lies in 256..:data:`MAX_16BIT_LENGTH` (so a corrupted ordinary
  header never makes a stream wait for tens of kilobytes), and
* when the stop byte and the checksum at the 16-bit position are both right.

Ordinary frames therefore always decode exactly as EN 13757-2 says, flag or not.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from .._receivebuffer import ReceiveBuffer
from ..errors import ChecksumError, DecodeError, FramingError, IncompleteError

__all__ = [
    "ACK",
    "LAYER",
    "MAX_16BIT_LENGTH",
    "LinkFrame",
    "LinkFrameSplitter",
    "build_control_frame",
    "build_long_frame",
    "build_short_frame",
    "checksum",
    "parse_frame",
    "split_frames",
]

log = logging.getLogger(__name__)

LAYER = "mbus-link"

ACK = 0xE5          # single character acknowledgement (EN 13757-2 5.3)
SHORT_START = 0x10  # short frame start
LONG_START = 0x68   # control/long frame start
STOP = 0x16

#: Largest C..data byte count accepted by the 16-bit length reading (0x03FF = 1023).
MAX_16BIT_LENGTH = 0x03FF

_GARBAGE_REPORT = 256  # report a garbage run at the latest after this many bytes


@dataclass(frozen=True, slots=True)
class LinkFrame:
    """One EN 13757-2 frame.

    Attributes:
        kind: ``"ack"`` (E5), ``"short"`` (10 C A CS 16), ``"control"`` (L = 3) or ``"long"``.
        c: the C (control) field; ``None`` for ``ack``.
        a: the A (primary address) field; ``None`` for ``ack``.
        ci: the CI field (control and long frames), else ``None``.
        data: user data after the CI field (long frames), ``b""`` otherwise.
        start: offset of the first frame byte in the input.
        end: offset just after the stop byte (end exclusive).
        length: the L value used: number of bytes from C to the last data byte (2 for a
            short frame, 0 for ``ack``); above 255 only for the 16-bit length quirk.
    """

    kind: str
    c: int | None
    a: int | None
    ci: int | None
    data: bytes
    start: int
    end: int
    length: int

    @property
    def from_master(self) -> bool | None:
        """True for master->slave frames (SND_NKE, SND_UD, REQ_UDx: C bit 6 set, EN 13757-2 5.5)."""
        return None if self.c is None else bool(self.c & 0x40)

    @property
    def sixteen_bit_length(self) -> bool:
        """True when the frame was only valid with the 16-bit length reading."""
        return self.length > 255


def checksum(data: bytes | bytearray | memoryview) -> int:
    """EN 13757-2 checksum: arithmetic sum of the bytes modulo 256."""
    return sum(data) & 0xFF


def _need(data: bytes, offset: int, count: int, what: str) -> None:
    if len(data) - offset < count:
        raise IncompleteError(
            LAYER, len(data),
            f"{what} needs {count} bytes from byte {offset}, got {len(data) - offset} "
            f"({count - (len(data) - offset)} more needed)")


def _check_tail(data: bytes, offset: int, length: int) -> tuple[bool, bool]:
    """(stop byte ok, checksum ok) for a 68-frame with C..data ``length`` bytes (data complete)."""
    body_end = offset + 4 + length
    stop_ok = data[body_end + 1] == STOP
    cs_ok = checksum(data[offset + 4:body_end]) == data[body_end]
    return stop_ok, cs_ok


def _long(data: bytes, offset: int, length: int) -> LinkFrame:
    body = offset + 4
    c, a = data[body], data[body + 1]
    ci = data[body + 2]
    end = body + length + 2
    kind = "control" if length == 3 else "long"
    return LinkFrame(kind, c, a, ci, bytes(data[body + 3:body + length]), offset, end, length)


def _sixteen_bit_candidate(l1: int, l2: int) -> int | None:
    value = (l1 << 8) | l2
    return value if 256 <= value <= MAX_16BIT_LENGTH else None


def parse_frame(data: bytes, offset: int = 0, *, allow_16bit_length: bool = False) -> LinkFrame:
    """Parse the one frame starting at ``data[offset]`` (bytes after it are ignored).

    Raises:
        IncompleteError: the input ends before the frame does (``offset`` = end of input).
        FramingError: no valid start byte, mismatched length bytes, L < 3, missing second
            start byte or stop byte.
        ChecksumError: the checksum does not match (``expected``/``actual`` set).
    All errors carry layer ``"mbus-link"`` and absolute byte offsets into ``data``.
    """
    data = bytes(data)
    if offset >= len(data):
        raise IncompleteError(LAYER, offset, "no bytes: expected an M-Bus frame start (E5, 10 or 68)")
    first = data[offset]
    if first == ACK:
        return LinkFrame("ack", None, None, None, b"", offset, offset + 1, 0)
    if first == SHORT_START:
        _need(data, offset, 5, "short frame 10 C A CS 16")
        c, a, cs, stop = data[offset + 1:offset + 5]
        if stop != STOP:
            raise FramingError(LAYER, offset + 4, f"short frame: expected stop byte 16, got {stop:02X}")
        if (c + a) & 0xFF != cs:
            raise ChecksumError(LAYER, offset + 3,
                                f"short frame checksum: expected {(c + a) & 0xFF:02X}, got {cs:02X}",
                                expected=(c + a) & 0xFF, actual=cs)
        return LinkFrame("short", c, a, None, b"", offset, offset + 5, 2)
    if first != LONG_START:
        raise FramingError(LAYER, offset,
                           f"expected an M-Bus frame start (E5, 10 or 68), got {first:02X}")
    _need(data, offset, 4, "long frame header 68 L L 68")
    l1, l2, start2 = data[offset + 1], data[offset + 2], data[offset + 3]
    if start2 != LONG_START:
        raise FramingError(LAYER, offset + 3, f"long frame: expected second start byte 68, got {start2:02X}")
    wide = _sixteen_bit_candidate(l1, l2) if allow_16bit_length else None

    if l1 == l2 and l1 >= 3:
        # The standard reading (EN 13757-2): L+6 bytes.
        _need(data, offset, l1 + 6, f"long frame with L={l1}")
        stop_ok, cs_ok = _check_tail(data, offset, l1)
        if stop_ok and cs_ok:
            return _long(data, offset, l1)
        if wide is not None:
            frame = _try_wide(data, offset, wide)
            if frame is not None:
                return frame
        body_end = offset + 4 + l1
        if not stop_ok:
            raise FramingError(LAYER, body_end + 1,
                               f"long frame with L={l1}: expected stop byte 16, got {data[body_end + 1]:02X}")
        expected = checksum(data[offset + 4:body_end])
        raise ChecksumError(LAYER, body_end,
                            f"long frame checksum: expected {expected:02X}, got {data[body_end]:02X}",
                            expected=expected, actual=data[body_end])
    if wide is not None:
        frame = _try_wide(data, offset, wide)
        if frame is not None:
            return frame
        raise FramingError(LAYER, offset + 1,
                           f"long frame header 68 {l1:02X} {l2:02X} 68: neither an EN 13757-2 length "
                           f"(L bytes equal, L >= 3) nor a valid 16-bit length {wide}")
    if l1 != l2:
        raise FramingError(LAYER, offset + 2,
                           f"long frame: the two length bytes differ ({l1:02X} != {l2:02X})")
    raise FramingError(LAYER, offset + 1, f"long frame: L={l1} is below the minimum 3 (C, A, CI)")


def _try_wide(data: bytes, offset: int, wide: int) -> LinkFrame | None:
    """The 16-bit length reading; IncompleteError while the bytes for it are missing."""
    _need(data, offset, wide + 6, f"long frame with 16-bit length {wide}")
    stop_ok, cs_ok = _check_tail(data, offset, wide)
    if stop_ok and cs_ok:
        log.debug("M-Bus frame at byte %d accepted with 16-bit length %d", offset, wide)
        return _long(data, offset, wide)
    return None


def split_frames(data: bytes, *, allow_16bit_length: bool = False) -> list[LinkFrame]:
    """Every frame of ``data``, which must be consecutive frames and nothing else.

    Raises the first error met (``FramingError`` for bytes between frames that do not start
    a frame, ``IncompleteError`` for a truncated last frame...).
    """
    data = bytes(data)
    frames: list[LinkFrame] = []
    pos = 0
    if not data:
        raise IncompleteError(LAYER, 0, "no bytes: expected an M-Bus frame")
    while pos < len(data):
        frame = parse_frame(data, pos, allow_16bit_length=allow_16bit_length)
        frames.append(frame)
        pos = frame.end
    return frames


class LinkFrameSplitter:
    """Cut a continuous byte stream into M-Bus frames (sans-I/O, bounded buffer).

    ``feed(chunk)`` returns, in order, every complete :class:`LinkFrame` and a
    :class:`DecodeError` for each problem: a run of bytes that start no frame (one
    ``FramingError`` per run, reported when the run ends or every 256 bytes), or a
    structurally complete long frame whose checksum is wrong (``ChecksumError``).

    Every position that holds a start byte (E5, 10, 68) is tried, in stream order. After a bad
    candidate - a wrong header, stop byte *or checksum* - the search goes on at the next byte,
    never at the end the broken frame claimed: a cut-off frame followed by a valid one can
    pass the start, length and stop-byte checks (its claimed stop byte lands on a 0x16 inside
    the valid frame) and only fail the checksum, and skipping L+6 bytes would hide the valid
    frame (issue 10). The bytes inside a frame that failed its checksum are not reported again
    as garbage. Error offsets count bytes since the splitter was created; the items do not
    depend on how the stream is cut into chunks, and each byte is examined a bounded number
    of times (a candidate is parsed once, when all the bytes it needs are there).
    """

    def __init__(self, *, allow_16bit_length: bool = False) -> None:
        self._allow16 = allow_16bit_length
        self._rx = ReceiveBuffer(MAX_16BIT_LENGTH + 6)
        self._pos = 0           # stream offset of the next byte to examine
        self._ready = 0         # stream offset by which the last item was decided
        self._quiet_until = 0   # bytes before this belong to a frame that failed its checksum
        self._garbage_start: int | None = None  # stream offset of the current garbage run
        self._garbage_len = 0

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame (never more than one frame)."""
        return len(self._rx)

    def feed(self, chunk: bytes) -> list[LinkFrame | DecodeError]:
        """Add bytes; return the frames and errors they completed."""
        return [item for _, item in self.feed_ready(chunk)]

    def feed_ready(self, chunk: bytes) -> list[tuple[int, LinkFrame | DecodeError]]:
        """As :meth:`feed`, each item with the stream offset by which it was decided, so a
        stream that runs several splitters on the same bytes can merge them in order."""
        rx = self._rx
        rx.feed(chunk)
        n = rx.end
        out: list[tuple[int, LinkFrame | DecodeError]] = []
        while self._pos < n:
            pos = self._pos
            m = _START_BYTES.search(rx.data, rx.index(pos))
            nxt = n if m is None else m.start() + rx.start
            if nxt > pos:                               # a run of bytes that start nothing
                self._skip_run(out, pos, nxt)
                self._pos = nxt
                continue
            need = self._needed(pos, n)
            if need is None or pos + need > n:
                break                                   # wait for the bytes that decide it
            self._ready = max(self._ready, pos + need)
            try:
                frame = parse_frame(rx.slice(pos, pos + need), 0, allow_16bit_length=self._allow16)
            except ChecksumError as err:
                self._flush_garbage(out)
                out.append((self._ready, ChecksumError(LAYER, pos + (err.offset or 0), err.message,
                                                       expected=err.expected, actual=err.actual)))
                self._quiet_until = max(self._quiet_until, pos + need)
                self._pos = pos + 1
                continue
            except DecodeError:
                self._skip_run(out, pos, pos + 1)
                self._pos = pos + 1
                continue
            self._flush_garbage(out)
            out.append((self._ready, _shift(frame, pos)))
            self._pos = frame.end + pos
        rx.release(self._pos)
        return out

    def _needed(self, pos: int, n: int) -> int | None:
        """Bytes from ``pos`` that decide the candidate there (as :func:`parse_frame` reads
        them), or None while even that is unknown (the 68 L L 68 header is incomplete)."""
        rx = self._rx
        first = rx.at(pos)
        if first == ACK:
            return 1
        if first == SHORT_START:
            return 5
        if n - pos < 4:
            return None
        l1, l2, start2 = rx.at(pos + 1), rx.at(pos + 2), rx.at(pos + 3)
        if start2 != LONG_START:
            return 4
        wide = _sixteen_bit_candidate(l1, l2) if self._allow16 else None
        if l1 == l2 and l1 >= 3:
            std = l1 + 6
            if wide is None or n - pos < std:
                return std
            body_end = pos + 4 + l1
            if rx.at(body_end + 1) == STOP and checksum(rx.slice(pos + 4, body_end)) == rx.at(body_end):
                return std                              # the standard reading is valid
            return max(std, wide + 6)
        return wide + 6 if wide is not None else 4

    def _skip_run(self, out: list[tuple[int, LinkFrame | DecodeError]], begin: int, stop: int) -> None:
        """Count bytes ``begin..stop`` that start no frame; a run is reported when it ends or
        reaches 256 bytes. Bytes of a frame that failed its checksum are not counted."""
        begin = max(begin, min(self._quiet_until, stop))
        while begin < stop:
            if self._garbage_start is None:
                self._garbage_start = begin
            take = min(stop - begin, _GARBAGE_REPORT - self._garbage_len)
            self._garbage_len += take
            begin += take
            if self._garbage_len >= _GARBAGE_REPORT:
                self._ready = max(self._ready, begin)
                self._flush_garbage(out)

    def _flush_garbage(self, out: list[tuple[int, LinkFrame | DecodeError]]) -> None:
        if self._garbage_start is not None:
            out.append((self._ready, FramingError(
                LAYER, self._garbage_start,
                f"skipped {self._garbage_len} byte(s) that start no valid M-Bus frame "
                "(expected E5, 10 or 68 with a consistent header)")))
            self._garbage_start, self._garbage_len = None, 0


_START_BYTES = re.compile(rb"[\x10\x68\xe5]")   # E5, 10, 68: the EN 13757-2 start characters


def _shift(frame: LinkFrame, base: int) -> LinkFrame:
    if base == 0:
        return frame
    return LinkFrame(frame.kind, frame.c, frame.a, frame.ci, frame.data,
                     frame.start + base, frame.end + base, frame.length)


def build_long_frame(c: int, a: int, ci: int, data: bytes) -> bytes:
    """A long frame ``68 L L 68 C A CI data CS 16`` (a control frame when ``data`` is empty).

    Raises ValueError when a field is out of range or the data exceed 252 bytes.
    """
    for name, v in (("c", c), ("a", a), ("ci", ci)):
        if not 0 <= v <= 0xFF:
            raise ValueError(f"{name} must be a byte, got {v}")
    data = bytes(data)
    length = 3 + len(data)
    if length > 255:
        raise ValueError(f"M-Bus long frame user data is limited to 252 bytes, got {len(data)}")
    body = bytes((c, a, ci)) + data
    return bytes((LONG_START, length, length, LONG_START)) + body + bytes((checksum(body), STOP))


def build_control_frame(c: int, a: int, ci: int) -> bytes:
    """A control frame ``68 03 03 68 C A CI CS 16``."""
    return build_long_frame(c, a, ci, b"")


def build_short_frame(c: int, a: int) -> bytes:
    """A short frame ``10 C A CS 16`` (e.g. REQ_UD2 = ``build_short_frame(0x5B, address)``)."""
    for name, v in (("c", c), ("a", a)):
        if not 0 <= v <= 0xFF:
            raise ValueError(f"{name} must be a byte, got {v}")
    return bytes((SHORT_START, c, a, (c + a) & 0xFF, STOP))

