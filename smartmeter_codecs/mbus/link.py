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
mod-256 checksum and ``16`` (docs/formats/dlms.md; amsreader-firmware#155). With the flag,
the two length bytes are also read as a big-endian 16-bit value ``L1 << 8 | L2`` - but only

* when the standard 8-bit reading does not give a valid frame (``L < 3``, a wrong stop byte
  or checksum at the 8-bit position, or ``L1 != L2``), and
* when that 16-bit value lies in 256..:data:`MAX_16BIT_LENGTH` (so a corrupted ordinary
  header never makes a stream wait for tens of kilobytes), and
* when the stop byte and the checksum at the 16-bit position are both right.

Ordinary frames therefore always decode exactly as EN 13757-2 says, flag or not.
"""
from __future__ import annotations

import heapq
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
    :class:`DecodeError` for each problem: a run of bytes that is part of no frame (one
    ``FramingError`` per run, reported before the next frame or error), or a structurally
    complete frame whose checksum is wrong (``ChecksumError``).

    The rule (issue 10, "stream framing never locks in"): every start byte (E5, 10, 68 with a
    ``68 L L 68`` header) is a candidate, at every position, and candidates are decided in the
    order in which they *end*. The first long frame that ends and checks out (stop byte and
    checksum) wins; candidates that began before it are cut short and dropped, so neither a
    cut-off frame whose claimed stop byte lands on a 0x16 of the next frame (it fails its
    checksum and the search goes on inside it, never L+6 bytes later) nor a long bogus header
    (``68 FF FF 68`` in line noise) can hide or delay a valid frame. A single-character or
    short frame (E5, ``10 C A CS 16``) is only a frame when no undecided long candidate began
    before it: such bytes are common inside long frames. The items do not depend on how the
    stream is cut into chunks (a candidate is decided by its own bytes, at its last byte);
    each byte is scanned once and each candidate parsed once. Error offsets count bytes since
    the splitter was created.
    """

    _STD, _WIDE, _WEAK = 0, 1, 2     # candidate kinds: 8-bit length, 16-bit length, E5/short
    # skip the bytes of a valid frame that nothing can cut short (see _register); False scans
    # every byte as before (the tests compare both)
    _skip_inside = True

    def __init__(self, *, allow_16bit_length: bool = False, control_frames: bool = True,
                 report_garbage: bool = True) -> None:
        """``control_frames=False`` looks for long frames only (E5 and short frames are not
        candidates: a transport that only uses long frames, like DLMS over M-Bus, skips them
        anyway); ``report_garbage=False`` leaves out the skipped-bytes reports (a stream that
        runs several framings on the same bytes, where every other frame is M-Bus garbage)."""
        self._allow16 = allow_16bit_length
        self._starts = _START_BYTES if control_frames else _LONG_START
        self._report_garbage = report_garbage
        self._rx = ReceiveBuffer(_MAX_CANDIDATE)
        self._scan = 0          # stream offset: start bytes before it are registered
        self._pending: list[tuple[int, int, int]] = []   # heap of (end, start, kind), undecided
        self._deferred: list[tuple[int, int]] = []   # E5/short candidates held (start, end)
        self._covered = 0       # stream offset: bytes before it are in an item or reported
        self._unsure: list[int] = []    # 68s in the last 3 bytes: header not complete yet
        self._checked = -1      # start of the frame _alone_frame_end found valid (stop byte, sum)

    @property
    def buffered(self) -> int:
        """Bytes held back for undecided candidates (never more than one maximal frame)."""
        return len(self._rx)

    def feed(self, chunk: bytes) -> list[LinkFrame | DecodeError]:
        """Add bytes; return the frames and errors they completed."""
        return [item for _, item in self.feed_ready(chunk)]

    def feed_ready(self, chunk: bytes) -> list[tuple[int, LinkFrame | DecodeError]]:
        """As :meth:`feed`, each item with the stream offset at which it was decided, so a
        stream that runs several splitters on the same bytes can merge them in order."""
        rx = self._rx
        data = rx.data
        pending = self._pending
        if not data and not pending and not self._unsure and self._starts.search(chunk) is None:
            # nothing is pending and nothing here can start a frame (the common case for other
            # traffic, e.g. HDLC in the dlms stream): the bytes pass without being kept
            rx.skip(len(chunk))
            self._scan = rx.start
            return []
        data += chunk
        n = rx.start + len(data)
        out: list[tuple[int, LinkFrame | DecodeError]] = []
        while True:
            self._register(n)
            # decide the candidate that ends first, once every candidate that could end
            # before it is registered: all start bytes before the scan point are, and a 68
            # whose header is not complete yet cannot end before 9 bytes after it (L >= 3)
            horizon = min(self._scan, *(j + 9 for j in self._unsure)) if self._unsure else self._scan
            if not pending or pending[0][0] > horizon:
                break
            end, start, kind = heapq.heappop(pending)
            self._decide(start, end, kind, out)
        # a 68 whose header turned out not to be one (resolved in _register) no longer holds
        # back the E5/short frames after it
        self._flush_deferred(n, out)
        # every undecided candidate starts after n - _MAX_CANDIDATE (its end is past n)
        keep = self._scan
        if self._unsure:
            keep = min(keep, *self._unsure)
        if pending:
            keep = min(keep, n - _MAX_CANDIDATE)
        if keep > rx.start:
            rx.release(keep)
        return out

    def _register(self, n: int) -> None:
        rx = self._rx
        data = rx.data
        base = rx.start             # constant within one feed: bytes are released at its end
        pending = self._pending
        push = heapq.heappush
        search = self._starts.search
        weak = self._WEAK
        if self._unsure:
            unsure, self._unsure = self._unsure, []
            for j in unsure:
                self._register_long(j, n)
        scan = self._scan
        while scan < n:
            limit = pending[0][0] if pending else n
            if scan >= limit:
                break
            stop = limit if limit < n else n
            m = search(data, scan - base, stop - base)
            if m is None:
                scan = stop
                continue
            k = m.start()
            j = k + base
            b = data[k]
            if b == ACK:
                push(pending, (j + 1, j, weak))
            elif b == SHORT_START:
                push(pending, (j + 5, j, weak))
            else:
                alone = not pending and not self._deferred and not self._unsure and self._skip_inside
                self._register_long(j, n)
                if alone:
                    end = _alone_frame_end(data, k, n - base)
                    if end:
                        self._checked = j           # _decide need not sum it again
                        # nothing else is undecided and this long frame is complete and valid,
                        # with no long frame inside it that could end first: it is the next
                        # item, and every candidate starting inside it would be dropped when
                        # it is (issue 16: the start bytes inside frames were most of the scan)
                        scan = end + base
                        continue
            scan = j + 1
        self._scan = scan

    def _register_long(self, j: int, n: int) -> None:
        """A 68 at stream offset ``j``: its 8-bit and 16-bit readings become candidates."""
        rx = self._rx
        if n - j < 4:
            self._unsure.append(j)          # the 68 L L 68 header is not here yet
            return
        data, k = rx.data, j - rx.start     # j is in the buffer: registered before any release
        l1, l2 = data[k + 1], data[k + 2]
        if data[k + 3] != LONG_START:
            return
        if l1 == l2 and l1 >= 3:
            heapq.heappush(self._pending, (j + l1 + 6, j, self._STD))
        wide = _sixteen_bit_candidate(l1, l2) if self._allow16 else None
        if wide is not None:
            heapq.heappush(self._pending, (j + wide + 6, j, self._WIDE))

    def _decide(self, start: int, end: int, kind: int, out: list[tuple[int, LinkFrame | DecodeError]]) -> None:
        rx = self._rx
        item: LinkFrame | DecodeError | None
        if kind == self._WEAK:
            if any(k != self._WEAK and s < start for _, s, k in self._pending) or \
                    any(j < start for j in self._unsure):
                self._deferred.append((start, end))     # maybe inside a long frame: wait
                return
            item = self._parse(start, end)
            if item is not None:
                self._emit([(start, end, item)], end, out)
            return
        if kind == self._STD:
            k = rx.index(start)
            data = rx.data
            length = data[k + 1]
            body_end = k + 4 + length
            if start == self._checked or (data[body_end + 1] == STOP
                                          and sum(data[k + 4:body_end]) & 0xFF == data[body_end]):
                # valid as EN 13757-2 says (what parse_frame would return, without copying)
                item = LinkFrame("control" if length == 3 else "long", data[k + 4], data[k + 5], data[k + 6],
                                 bytes(data[k + 7:body_end]), start, end, length)
            elif self._allow16 and _sixteen_bit_candidate(length, data[k + 2]):
                return          # not valid as 8-bit: the 16-bit reading, decided later, says why
            else:
                item = self._parse(start, end)
        else:
            item = self._parse(start, end)
        if isinstance(item, LinkFrame):
            # a frame: what began before it is cut short, what lies inside it is its own
            # (the lists are mostly empty here: each step only when there is something to do)
            if self._pending:
                self._pending[:] = [c for c in self._pending if c[1] >= item.end]
                heapq.heapify(self._pending)
            if self._unsure:
                self._unsure = [j for j in self._unsure if j >= item.end]
            if self._deferred:
                before = [d for d in self._deferred if d[0] < start]
                self._deferred = [d for d in self._deferred if d[0] >= item.end]
                self._emit([*self._parsed(before), (start, end, item)], end, out)
            else:
                self._emit([(start, end, item)], end, out)
            return
        if item is not None:
            self._emit([(start, end, item)], end, out)
        self._flush_deferred(end, out)          # a failed candidate may unblock E5/short frames

    def _parse(self, start: int, end: int) -> LinkFrame | DecodeError | None:
        """The frame at ``start..end``, a ChecksumError (start, length and stop byte were
        right), or None (not a frame: garbage)."""
        try:
            frame = parse_frame(self._rx.slice(start, end), 0, allow_16bit_length=self._allow16)
        except ChecksumError as err:
            return ChecksumError(LAYER, start + (err.offset or 0), err.message,
                                 expected=err.expected, actual=err.actual)
        except DecodeError:
            return None
        return _shift(frame, start)

    def _parsed(self, held: list[tuple[int, int]]) -> list[tuple[int, int, LinkFrame | DecodeError]]:
        out = []
        for start, end in held:
            item = self._parse(start, end)
            if item is not None:
                out.append((start, end, item))
        return out

    def _flush_deferred(self, ready: int, out: list[tuple[int, LinkFrame | DecodeError]]) -> None:
        """Emit the held E5/short frames that no undecided long candidate can contain any more."""
        if not self._deferred:
            return
        first_long = min([*(s for _, s, k in self._pending if k != self._WEAK), *self._unsure], default=None)
        free = [d for d in self._deferred if first_long is None or d[0] < first_long]
        if free:
            self._deferred = [d for d in self._deferred if first_long is not None and d[0] >= first_long]
            self._emit(self._parsed(free), ready, out)

    def _emit(self, items: list[tuple[int, int, LinkFrame | DecodeError]], ready: int,
              out: list[tuple[int, LinkFrame | DecodeError]]) -> None:
        """Emit items in stream order, each after a report of the bytes before it that no item
        covers (garbage)."""
        for start, end, item in (items if len(items) == 1 else sorted(items, key=lambda d: d[0])):
            if start > self._covered and self._report_garbage:
                out.append((ready, FramingError(
                    LAYER, self._covered,
                    f"skipped {start - self._covered} byte(s) that start no valid M-Bus frame "
                    "(expected E5, 10 or 68 with a consistent header)")))
            self._covered = max(self._covered, end)
            out.append((ready, item))


def _alone_frame_end(data: bytearray, k: int, n: int) -> int:
    """End index (in ``data``, of which ``n`` bytes are here) of the valid EN 13757-2 long
    frame starting at ``data[k]`` when no 68 L L 68 header inside it could end before it
    (an 8-bit one: a 16-bit length of at least 256 always ends after a frame of at most 261
    bytes), else 0."""
    if k + 4 > n:
        return 0
    length = data[k + 1]
    end = k + length + 6
    if length < 3 or data[k + 2] != length or data[k + 3] != LONG_START or end > n or data[end - 1] != STOP \
            or sum(data[k + 4:end - 2]) & 0xFF != data[end - 2]:
        return 0
    i = data.find(LONG_START, k + 1, end - 9)
    while i >= 0:
        inner = data[i + 1]
        if data[i + 3] == LONG_START and data[i + 2] == inner and i + inner + 6 < end:
            return 0
        i = data.find(LONG_START, i + 1, end - 9)
    return end


_START_BYTES = re.compile(rb"[\x10\x68\xe5]")   # E5, 10, 68: the EN 13757-2 start characters
_LONG_START = re.compile(rb"\x68")
_MAX_CANDIDATE = MAX_16BIT_LENGTH + 6               # the most bytes one candidate can need


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

