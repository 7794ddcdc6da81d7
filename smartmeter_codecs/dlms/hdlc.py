"""HDLC frame format type 3 (IEC 62056-46 / ISO/IEC 13239) as HAN ports send it.

Frame:  7E | format(2) | dest addr (1,2,4) | src addr (1,2,4) | control | [HCS(2) | info] | FCS(2) | 7E

* format field: 4 bits frame type (0b1010 = type 3), 1 bit segmentation (S), 11 bits length of
  the frame without the two flags (IEC 62056-46 clause 6.4.1).
* addresses: each byte's LSB is 1 on the last byte of the address (clause 6.4.2). Type 3
  allows 1, 2 or 4 bytes; 3-byte addresses are rejected as a framing error.
* HCS covers format..control and is present only when an information field follows; in a
  header-only frame the one check sequence is the FCS (clause 6.4.4).
* CRC-16/X.25 (poly 0x1021 reflected, init 0xFFFF, xorout 0xFFFF), transmitted LSB first.
* No octet stuffing on HAN ports: 0x7E/0x7D occur raw inside frames (corpus: amshan
  `contains-0x7e`), so frames are delimited by the length field, not by scanning for flags.

The hand-written parser (not ``construct``) is deliberate: the address field is
self-delimiting and the benchmark (docs/benchmarks.md) needs the hot path cheap.
"""
from __future__ import annotations

import heapq
import logging
from typing import NamedTuple, NoReturn

from .._crc import crc16_x25, crc16_x25_parts, x25_checks_ok
from .._receivebuffer import ReceiveBuffer
from ..errors import ChecksumError, DecodeError, FramingError, IncompleteError

__all__ = ["HdlcFrame", "crc16_x25", "parse_frame", "split_frames", "build_frame", "HdlcSplitter",
           "FLAG", "MAX_FRAME"]

log = logging.getLogger(__name__)
_new = tuple.__new__

FLAG = 0x7E
LAYER = "hdlc"
MAX_FRAME = 2047 + 2  # 11-bit length + both flags

# CRC-16/X.25 (HCS and FCS, IEC 62056-46 / ISO 13239): binascii.crc_hqx on bit-reversed
# bytes, in smartmeter_codecs._crc with the other formats' CRCs.


class HdlcFrame(NamedTuple):
    """One HDLC frame. Offsets are absolute in the buffer it was parsed from."""

    segmented: bool
    length: int                 # frame length field (bytes between the flags)
    destination: int            # address value with the LSB markers removed
    source: int
    destination_size: int       # bytes used by the address (1, 2 or 4)
    source_size: int
    control: int
    information: bytes
    start: int                  # offset of the opening flag
    end: int                    # offset just after the closing flag
    info_start: int             # offset of the information field (== FCS offset when empty)

    @property
    def frame_kind(self) -> str:
        """'I' (information), 'UI', 'SNRM', 'UA', 'DISC', 'DM', 'FRMR', 'RR', 'RNR' or 'U?'."""
        c = self.control
        if c & 0x01 == 0:
            return "I"
        if c & 0x03 == 0x01:
            return {0x01: "RR", 0x05: "RNR"}.get(c & 0x0F, "S?")
        return _U_FRAMES.get(c & 0xEF, "U?")

    @property
    def carries_data(self) -> bool:
        """True for I and UI frames (the ones that carry APDUs)."""
        c = self.control
        return c & 0x01 == 0 or c & 0xEF == 0x03


_U_FRAMES = {0x03: "UI", 0x83: "SNRM", 0x63: "UA", 0x43: "DISC", 0x0F: "DM", 0x87: "FRMR"}


def _address(data: bytes | bytearray, pos: int, limit: int, which: str, frame_start: int) -> tuple[int, int]:
    """Read a self-delimiting HDLC address at pos; returns (value, size)."""
    value = 0
    for size in range(1, 5):
        if pos + size - 1 >= limit:
            raise FramingError(LAYER, pos, f"{which} address runs past the frame header")
        b = data[pos + size - 1]
        value = (value << 7) | (b >> 1)
        if b & 1:
            if size == 3:
                raise FramingError(LAYER, pos, f"{which} address of 3 bytes; type 3 allows 1, 2 or 4 "
                                               f"(IEC 62056-46 6.4.2)")
            return value, size
    raise FramingError(LAYER, pos, f"{which} address longer than 4 bytes (no byte with LSB 1)")


def parse_frame(data: bytes | bytearray, offset: int = 0, shift: int = 0) -> HdlcFrame:
    """Parse one complete frame whose opening flag is at ``data[offset]``.

    ``shift`` is added to the frame's offsets (a stream's offset of ``data[0]``).
    Raises FramingError (flag, format type, addresses, length), ChecksumError (HCS/FCS),
    IncompleteError (the buffer ends before the frame does); their offsets are in ``data``.
    """
    n = len(data)
    if offset >= n or data[offset] != FLAG:
        raise FramingError(LAYER, offset, "expected the opening flag 0x7E")
    if n - offset < 3:
        raise IncompleteError(LAYER, offset, "need the 2-byte frame format field after the flag")
    f0 = data[offset + 1]
    if f0 & 0xF0 != 0xA0:
        raise FramingError(LAYER, offset + 1, f"frame format type {f0 >> 4:#x}, expected 0xA (type 3)")
    length = ((f0 & 0x07) << 8) | data[offset + 2]
    if length < 7:
        raise FramingError(LAYER, offset + 1, f"frame length {length} is below the minimum 7")
    end = offset + length + 2
    if end > n:
        raise IncompleteError(LAYER, n, f"frame at {offset} announces {length} bytes, only "
                                        f"{n - offset - 2} present")
    if data[end - 1] != FLAG:
        raise FramingError(LAYER, end - 1, f"expected the closing flag 0x7E after {length} bytes, "
                                            f"found {data[end - 1]:#04x}")
    body_end = end - 1          # exclusive end of format..FCS
    pos = offset + 3
    limit = body_end - 2
    b = data[pos] if pos < limit else 0
    if b & 1:                   # a one-byte address (the common HAN destination), inline
        dest, dsize = b >> 1, 1
    else:
        dest, dsize = _address(data, pos, limit, "destination", offset)
    pos += dsize
    b = data[pos] if pos + 1 < limit else 1
    if not b & 1 and data[pos + 1] & 1:     # a two-byte source address (most HAN meters), inline
        src, ssize = ((b >> 1) << 7) | (data[pos + 1] >> 1), 2
    else:
        src, ssize = _address(data, pos, limit, "source", offset)
    pos += ssize
    if pos >= body_end - 2:
        raise FramingError(LAYER, pos, "frame ends before the control field")
    control = data[pos]
    pos += 1
    fcs_pos = body_end - 2
    if pos == fcs_pos:  # header-only frame: the FCS is the only check sequence
        info_start = pos
        info = b""
        calc = crc16_x25(data, offset + 1, fcs_pos)
        if data[fcs_pos] | (data[fcs_pos + 1] << 8) != calc:
            _check_sequences_failed(data, offset, None, fcs_pos)
    else:
        if pos + 2 > fcs_pos:
            raise FramingError(LAYER, pos, "frame too short for HCS + FCS")
        info_start = pos + 2
        # HCS and FCS both right, by residue in one pass (the values only to word an error)
        if not x25_checks_ok(data, offset + 1, info_start, end - 1):
            _check_sequences_failed(data, offset, pos, fcs_pos)
        info = bytes(data[info_start:fcs_pos])
    return _new(HdlcFrame, (bool(f0 & 0x08), length, dest, src, dsize, ssize, control, info,
                            offset + shift, end + shift, info_start + shift))


def _check_sequences_failed(data: bytes | bytearray, offset: int, hcs_pos: int | None, fcs_pos: int) -> NoReturn:
    """Raise the ChecksumError of a frame whose HCS (at ``hcs_pos``; None: header-only frame)
    or FCS does not match, with the expected and the sent values."""
    if hcs_pos is None:
        calc = crc16_x25(data, offset + 1, fcs_pos)
    else:
        # both CRCs in one pass: the FCS's CRC continues the HCS's over the HCS bytes and the
        # information field
        hcs_calc, calc = crc16_x25_parts(data, offset + 1, hcs_pos, fcs_pos)
        hcs = data[hcs_pos] | (data[hcs_pos + 1] << 8)
        if hcs != hcs_calc:
            raise ChecksumError(LAYER, hcs_pos, f"HCS {hcs:#06x} does not match the header's CRC-16/X.25 "
                                                f"{hcs_calc:#06x}", expected=hcs_calc, actual=hcs)
    fcs = data[fcs_pos] | (data[fcs_pos + 1] << 8)
    raise ChecksumError(LAYER, fcs_pos, f"FCS {fcs:#06x} does not match the frame's CRC-16/X.25 "
                                        f"{calc:#06x}", expected=calc, actual=fcs)


def split_frames(data: bytes, offset: int = 0) -> list[HdlcFrame]:
    """All frames of a buffer that holds only HDLC frames (flags may be shared or repeated).

    Strict: anything that is not a valid frame raises.
    """
    frames: list[HdlcFrame] = []
    n = len(data)
    pos = offset
    while pos < n:
        if data[pos] != FLAG:
            raise FramingError(LAYER, pos, f"expected a flag 0x7E between frames, found {data[pos]:#04x}")
        # A closing flag may double as the next opening flag; extra flags are fill.
        while pos + 1 < n and data[pos + 1] == FLAG:
            pos += 1
        if pos + 1 == n:
            if not frames:
                raise IncompleteError(LAYER, pos, "a lone flag: no frame follows")
            break
        frame = parse_frame(data, pos)
        frames.append(frame)
        pos = frame.end - 1 if frame.end < n and data[frame.end] != FLAG else frame.end
        if pos == frame.end - 1:
            # shared flag: the closing flag opens the next frame
            continue
    return frames


def _encode_address(value: int, size: int) -> bytes:
    out = bytearray()
    for i in range(size - 1, -1, -1):
        out.append(((value >> (7 * i)) & 0x7F) << 1)
    out[-1] |= 1
    return bytes(out)


def build_frame(information: bytes, *, destination: int = 0x01, source: int = 0x01, control: int = 0x13,
                destination_size: int = 1, source_size: int = 1, segmented: bool = False) -> bytes:
    """Build one frame (with HCS when there is information, and FCS)."""
    header = _encode_address(destination, destination_size) + _encode_address(source, source_size) + bytes(
        (control,))
    length = 2 + len(header) + (2 + len(information) if information else 0) + 2
    if length > 2047:
        raise ValueError(f"information too long for one frame ({length} > 2047); segment it")
    fmt = bytes((0xA0 | (0x08 if segmented else 0) | (length >> 8), length & 0xFF))
    body = bytearray(fmt + header)
    if information:
        hcs = crc16_x25(bytes(body))
        body += bytes((hcs & 0xFF, hcs >> 8)) + information
    fcs = crc16_x25(bytes(body))
    body += bytes((fcs & 0xFF, fcs >> 8))
    return bytes((FLAG,)) + bytes(body) + bytes((FLAG,))


class HdlcSplitter:
    """Sans-I/O stream splitter: feed chunks, get complete valid frames and errors for broken ones.

    The rule (issue 10, "stream framing never locks in"): every 0x7E followed by a type-3
    format field is a candidate frame, at every position, and candidates are decided in the
    order in which they *end* (the length field says where). The first candidate that ends
    and checks out (closing flag, HCS, FCS) is a frame; candidates that started before it and
    end after it are reported as cut short (when their header and HCS were valid, i.e. a frame
    really began there) and dropped; candidates inside it are part of its bytes. So:

    * garbage between frames is skipped (logged at debug level);
    * a complete candidate whose header checks out but whose FCS, closing flag or length is
      wrong is a DecodeError item, and every candidate after its opening flag is still tried,
      so a valid frame that follows is never lost;
    * a long bogus candidate (``7E A7 FF`` in line noise) never delays or hides a shorter
      valid frame inside its announced length;
    * the items do not depend on how the stream is cut into chunks: a candidate is decided by
      its own bytes, at its last byte;
    * each byte is scanned once and each candidate parsed once (linear time), and the buffer
      never holds more than one maximal frame (:data:`MAX_FRAME`) beyond the chunk fed.
    """

    def __init__(self) -> None:
        self._rx = ReceiveBuffer(MAX_FRAME)
        self._pos = 0       # stream offset: no frame starts before it (after the last frame)
        self._scan = 0      # stream offset: flags before it are registered as candidates
        self._pending: list[tuple[int, int]] = []   # heap of (end, start) of undecided candidates

    @property
    def buffered(self) -> int:
        """Bytes held back for candidates not decided yet (at most :data:`MAX_FRAME`)."""
        return len(self._rx)

    def feed(self, chunk: bytes) -> list[HdlcFrame | DecodeError]:
        """Add bytes; return the frames and errors they completed (offsets in stream bytes)."""
        return [item for _, item in self.feed_ready(chunk)]

    def feed_ready(self, chunk: bytes) -> list[tuple[int, HdlcFrame | DecodeError]]:
        """As :meth:`feed`, each item with the stream offset at which it was decided (the end
        of the candidate), so streams that run several splitters can merge them in order."""
        rx = self._rx
        data = rx.data
        data += chunk
        base = rx.start             # constant during this call: bytes are released at the end
        n = base + len(data)
        out: list[tuple[int, HdlcFrame | DecodeError]] = []
        pending = self._pending
        scan = self._scan
        while True:
            if not pending and scan + 3 <= n:
                # The common case, decided without the candidate heap: the next flag opens a
                # complete frame and no candidate inside it ends before it does (those would
                # be decided first). The general loop below gives the same items then.
                k = data.find(FLAG, scan - base)
                while 0 <= k < n - base - 1 and data[k + 1] == FLAG:
                    k += 1              # a closing flag or fill: no candidate opens there
                end = self._whole_frame(data, k, n - base)
                if end >= 0:
                    try:
                        frame = parse_frame(data, k, base)
                    except DecodeError:
                        pass            # the general loop decides it and words the error
                    else:
                        out.append((end + base, frame))
                        self._pos = scan = end + base - 1     # the closing flag may open the next
                        continue
            # Register every candidate that could end before the next one to decide.
            limit = pending[0][0] if pending else n
            stop = limit if limit < n else n
            while scan + 3 <= n and scan < limit:
                k = data.find(FLAG, scan - base, stop - base)
                if k < 0:
                    scan = stop
                    break
                j = k + base
                if j + 3 > n:
                    scan = j                # the format field is not here yet
                    break
                scan = j + 1
                b1 = data[k + 1]
                if b1 & 0xF0 == 0xA0:
                    length = ((b1 & 0x07) << 8) | data[k + 2]
                    if length >= 7:
                        heapq.heappush(pending, (j + length + 2, j))
                        limit = pending[0][0]
                        stop = limit if limit < n else n
            self._scan = scan
            if not pending or pending[0][0] > n:
                break
            end, i = heapq.heappop(pending)
            self._decide(i, end, out)
            scan = self._scan
        # Bytes before the next possible frame start are done with; every undecided candidate
        # starts after n - MAX_FRAME (its end is past n), so this bound never drops one.
        keep = (self._pos if self._pos > n - MAX_FRAME else n - MAX_FRAME) if pending else scan
        if keep > base:
            rx.release(keep)
        return out

    @staticmethod
    def _whole_frame(data: bytearray, k: int, n: int) -> int:
        """The end (buffer index) of the candidate opened by the flag at ``data[k]`` when it is
        complete in the buffer and no candidate starting inside it ends before it; else -1."""
        if k < 0 or k + 3 > n or data[k + 1] & 0xF0 != 0xA0:
            return -1
        length = ((data[k + 1] & 0x07) << 8) | data[k + 2]
        end = k + length + 2
        if length < 7 or end > n:
            return -1
        j = data.find(FLAG, k + 1, end - 1)
        while j >= 0:
            if j + 3 <= n and data[j + 1] & 0xF0 == 0xA0:
                inner = ((data[j + 1] & 0x07) << 8) | data[j + 2]
                if inner >= 7 and j + inner + 2 < end:
                    return -1       # an inner candidate would be decided first
            j = data.find(FLAG, j + 1, end - 1)
        return end

    def _decide(self, i: int, end: int, out: list[tuple[int, HdlcFrame | DecodeError]]) -> None:
        rx = self._rx
        data = rx.data
        k = rx.index(i)
        try:
            frame = parse_frame(data, k, rx.start)
        except DecodeError as err:
            if self._header_ok(data, k, len(data)) or (isinstance(err, ChecksumError)
                                                       and data[rx.index(end) - 1] == FLAG):
                out.append((end, err.shifted(rx.start)))         # offsets in stream bytes
            else:
                log.debug("skipping garbage at stream offset %d", i)
            return
        # A frame. Candidates that began before it are cut short by it; those inside it are
        # its own bytes; its closing flag may open the next frame.
        cut: list[int] = []
        if self._pending:           # usually empty: the frame was the only candidate
            keep: list[tuple[int, int]] = []
            for cand in self._pending:
                if cand[1] >= end - 1:
                    keep.append(cand)
                elif cand[1] < i:
                    cut.append(cand[1])
            heapq.heapify(keep)
            self._pending[:] = keep     # in place: feed_ready holds the list
        for c in sorted(cut):
            if self._header_ok(data, rx.index(c), len(data)):
                out.append((end, IncompleteError(LAYER, c, f"frame announcing "
                                                  f"{((data[rx.index(c) + 1] & 7) << 8) | data[rx.index(c) + 2]} "
                                                  f"bytes was cut short by a new frame at stream offset {i}")))
        self._pos = end - 1
        self._scan = max(self._scan, self._pos)
        out.append((end, frame))

    @staticmethod
    def _header_ok(buf: bytearray, i: int, n: int) -> bool:
        """Type-3 format field, parseable addresses and a matching HCS: this really was a frame."""
        pos = i + 3
        for _ in range(2):
            size = 0
            while True:
                if pos + size >= n or size >= 4:
                    return False
                b = buf[pos + size]
                size += 1
                if b & 1:
                    break
            pos += size
        pos += 1  # control
        if pos + 2 > n:
            return False
        hcs = buf[pos] | (buf[pos + 1] << 8)
        return hcs == crc16_x25(buf, i + 1, pos)



