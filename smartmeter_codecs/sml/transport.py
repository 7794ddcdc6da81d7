"""SML transport protocol version 1 (SML 1.04 §8; libsml ``sml_transport.c``): the file frame.

::

    1B 1B 1B 1B 01 01 01 01   <messages, 1B1B1B1B doubled>   00 x pp   1B 1B 1B 1B 1A pp C1 C2

* The frame is a multiple of 4 bytes: ``pp`` zero bytes (0..3; DZG sends 4) pad the messages
  so that the end escape starts on a 4-byte boundary; escape sequences are recognised only on
  those boundaries (libsml's reader reads in 4-byte steps).
* A ``1B1B1B1B`` inside the data is sent twice (``1B1B1B1B 1B1B1B1B``; SmlLib ``reader.py``).
* The CRC covers every byte from the first ``1B`` through ``pp``. Standard: CRC-16/X.25, sent
  **low byte first** (libsml writes the byte-swapped value high byte first, the same bytes).
  Holley DTZ541 on its RS485 terminal: CRC-16/KERMIT sent **high byte first** (SmlLib issue
  #22, corpus ``sml-smllib-holley-kermit-rs485``).

:func:`parse_file` reads one complete frame; :class:`FileSplitter` finds frames in a serial
byte stream (bounded buffer, linear scanning, resynchronisation after garbage or a broken
frame). :func:`build_file` writes a frame.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import ChecksumError, DecodeError, FramingError, IncompleteError
from .crc import crc16_kermit, crc16_x25

__all__ = [
    "CRC_MODES",
    "ESCAPE",
    "LAYER",
    "MAX_FILE",
    "START",
    "FileSplitter",
    "TransportFile",
    "build_file",
    "find_end",
    "parse_file",
]

log = logging.getLogger(__name__)

LAYER = "sml-transport"
ESCAPE = b"\x1b\x1b\x1b\x1b"
START = ESCAPE + b"\x01\x01\x01\x01"
_VERSION1 = b"\x01\x01\x01\x01"
_END_MARK = 0x1A

#: Largest frame a stream keeps waiting for. A meter's push is 200..700 bytes (the longest
#: corpus frame, Holley's 30-entry list, is 684); libsml's reader buffer is 8096 bytes.
MAX_FILE = 8192

#: ``crc=`` choices: ``"auto"`` accepts X.25 and, when X.25 fails, Holley's KERMIT variant.
CRC_MODES = ("auto", "x25", "kermit")


@dataclass(frozen=True, slots=True)
class TransportFile:
    """One transport frame, escapes undone.

    Attributes:
        payload: the messages (escaped ``1B1B1B1B`` restored, padding removed).
        start, end: offsets of the frame in the buffer it was parsed from (end exclusive).
        padding: the ``pp`` byte (zero bytes before the end escape).
        crc: the CRC as sent (as an integer in the byte order of ``crc_kind``).
        crc_kind: ``"x25"`` or ``"kermit"``: the algorithm that matched (None: not verified).
        escapes: payload offsets where an escaped ``1B1B1B1B`` starts (4 bytes dropped there).
        aligned: False when the end escape was not on a 4-byte boundary (a meter without
            padding; accepted only because the CRC verified).
    """

    payload: bytes
    start: int
    end: int
    padding: int
    crc: int
    crc_kind: str | None
    escapes: tuple[int, ...] = ()
    aligned: bool = True

    @property
    def payload_start(self) -> int:
        """Offset of the first payload byte in the buffer (just after the start sequence)."""
        return self.start + 8

    def offset_of(self, payload_offset: int) -> int:
        """Buffer offset of payload byte ``payload_offset`` (accounts for dropped escapes)."""
        shift = 4 * sum(1 for e in self.escapes if e <= payload_offset)
        return self.start + 8 + payload_offset + shift


def _aligned(start: int, pos: int) -> bool:
    return (pos - start) % 4 == 0


def find_end(buf: bytes | bytearray, start: int, resume: int | None = None, crc: str = "auto") -> tuple[int | None, int]:
    """Scan the frame that starts at ``start`` for its end escape sequence.

    Returns ``(end_escape_offset, resume)``: the offset of ``1B1B1B1B 1A`` when it was found
    (``resume`` is then unused), or ``(None, resume)`` when the buffer ends first; pass
    ``resume`` back after more bytes arrived, so every byte is scanned once (linear time).

    An end sequence off the frame's 4-byte grid ends the frame only when the CRC after it
    verifies (a meter without padding); otherwise it is data (readers work on aligned 4-byte
    blocks, so writers escape nothing else). A start sequence, aligned or not, before the end
    means the frame was cut (byte loss; libsml warns "unaligned (likely) start esc sequence
    found in data, stream desynced?"): resynchronising there never loses the next frame.

    Raises FramingError for that cut (its offset is the new start) or for an aligned escape
    followed by anything but ``1B1B1B1B``, ``1A`` or ``01010101``.
    """
    i = start + 8 if resume is None else resume
    n = len(buf)
    while True:
        q = buf.find(ESCAPE, i)
        if q < 0:
            # keep the last 3 bytes: an escape may be split across chunks
            return None, max(start + 8, n - 3)
        if q + 8 > n:
            return None, q
        nxt = buf[q + 4:q + 8]
        if nxt == _VERSION1:
            raise FramingError(LAYER, q, "a new start sequence before the end sequence of the frame being read: "
                               "that frame is truncated (bytes lost)")
        if buf[q + 4] == _END_MARK:
            if _aligned(start, q) or _crc_kind(buf, start, q, crc) is not None:
                return q, q
            i = q + 1
            continue
        if _aligned(start, q):
            if nxt == ESCAPE:
                i = q + 8          # an escaped 1B1B1B1B in the data
                continue
            raise FramingError(LAYER, q + 4, f"unknown escape sequence 1B1B1B1B {nxt.hex().upper()} (expected "
                               "1B1B1B1B (escaped data), 1A (end) or 01010101 (start))")
        # 1B1B1B1B off the 4-byte grid, not followed by 1A/01010101: data bytes (libsml's reader
        # only looks at aligned blocks). Look again one byte later: a longer 1B run may hold
        # an aligned escape.
        i = q + 1


def parse_file(data: bytes, pos: int = 0, *, crc: str = "auto", verify: bool = True) -> TransportFile:
    """The transport frame starting at ``data[pos]``.

    Raises FramingError (no start sequence, unknown escape, nonzero padding, truncated frame),
    IncompleteError (the data end before the end escape) or ChecksumError (CRC mismatch: the
    error's ``expected`` is the CRC sent, ``actual`` the X.25 (or KERMIT) CRC computed).
    ``verify=False`` returns a frame whose CRC matches neither (``crc_kind=None``; inspection).
    """
    if crc not in CRC_MODES:
        raise ValueError(f"crc must be one of {', '.join(CRC_MODES)}, got {crc!r}")
    if data[pos:pos + 8] != START:
        if START.startswith(bytes(data[pos:pos + 8])):
            raise IncompleteError(LAYER, len(data), "the data end inside the start escape sequence")
        raise FramingError(LAYER, pos, f"expected the start sequence 1B1B1B1B 01010101, found {bytes(data[pos:pos + 8]).hex().upper()}")
    q, _ = find_end(data, pos, crc=crc)
    if q is None:
        # an end sequence off the grid whose CRC failed: report that CRC (bytes were lost)
        cand = data.find(ESCAPE + bytes((_END_MARK,)), pos + 8)
        if cand >= 0 and cand + 8 <= len(data):
            return _frame(data, pos, cand, crc, verify)
        raise IncompleteError(LAYER, len(data), f"no end escape sequence (1B1B1B1B 1A) after the start at byte {pos}")
    return _frame(data, pos, q, crc, verify)


def _crc_kind(data: bytes | bytearray, start: int, q: int, crc: str) -> str | None:
    """Which CRC (allowed by ``crc``) the frame data[start:q+8] carries, if any."""
    covered = data[start:q + 6]
    if crc in ("auto", "x25") and crc16_x25(covered) == data[q + 6] | (data[q + 7] << 8):
        return "x25"
    if crc in ("auto", "kermit") and crc16_kermit(covered) == (data[q + 6] << 8) | data[q + 7]:
        return "kermit"
    return None


def _frame(data: bytes | bytearray, start: int, q: int, crc: str, verify: bool = True) -> TransportFile:
    """Build the TransportFile of the frame data[start:q+8] whose end escape is at ``q``."""
    end = q + 8
    if end > len(data):
        raise IncompleteError(LAYER, len(data), "the data end inside the end escape sequence")
    aligned = _aligned(start, q)
    given_lo_first = data[q + 6] | (data[q + 7] << 8)
    given_hi_first = (data[q + 6] << 8) | data[q + 7]
    covered = data[start:q + 6]
    x25 = crc16_x25(covered)
    kind: str | None = None
    if crc in ("auto", "x25") and x25 == given_lo_first:
        kind = "x25"
    elif crc in ("auto", "kermit") and crc16_kermit(covered) == given_hi_first:
        kind = "kermit"
    if kind is None and verify:
        if crc == "kermit":
            given, actual = given_hi_first, crc16_kermit(covered)
            wire, what = actual.to_bytes(2, "big"), "CRC-16/KERMIT (sent high byte first)"
        else:
            given, actual = given_lo_first, x25
            wire = actual.to_bytes(2, "little")
            what = "CRC-16/X.25 (sent low byte first)" + (", nor Holley's CRC-16/KERMIT" if crc == "auto" else "")
        hint = "" if aligned else "; the end escape is not on the frame's 4-byte grid: bytes were lost or added"
        raise ChecksumError(LAYER, q + 6, f"transport CRC bytes {bytes(data[q + 6:q + 8]).hex().upper()} do not "
                            f"match the frame's {what}: {wire.hex().upper()}{hint}", expected=given, actual=actual)
    pad = data[q + 5]
    # payload: the data between the sequences with every escaped 1B1B1B1B halved
    pieces: list[bytes] = []
    escapes: list[int] = []
    size = 0
    i = start + 8
    while True:
        e = data.find(ESCAPE + ESCAPE, i, q)
        while e >= 0 and not _aligned(start, e):
            e = data.find(ESCAPE + ESCAPE, e + 1, q)
        if e < 0:
            pieces.append(bytes(data[i:q]))
            size += q - i
            break
        pieces.append(bytes(data[i:e + 4]))
        size += e - i
        escapes.append(size)
        size += 4
        i = e + 8
    payload = b"".join(pieces)
    if pad > len(payload) or any(payload[len(payload) - pad:]):
        raise FramingError(LAYER, q + 5, f"padding byte says {pad} fill bytes, but the {min(pad, len(payload))} "
                           "byte(s) before the end escape are not all 00")
    return TransportFile(payload[:len(payload) - pad], start, end, pad,
                         given_hi_first if kind == "kermit" else given_lo_first, kind, tuple(escapes), aligned)


def build_file(payload: bytes, *, crc: str = "x25") -> bytes:
    """A transport frame around ``payload`` (SML messages): escapes, padding and CRC.

    ``crc="kermit"`` writes Holley's RS485 variant (CRC-16/KERMIT, high byte first).
    """
    if crc not in ("x25", "kermit"):
        raise ValueError(f"crc must be 'x25' or 'kermit', got {crc!r}")
    body = bytearray(START)
    # escape every 1B1B1B1B that would sit on the 4-byte grid (the reader looks nowhere else);
    # runs of 1B are walked 4 bytes at a time, as a reader does
    i = 0
    while i < len(payload):
        if payload[i:i + 4] == ESCAPE and (len(body) % 4 == 0):
            body += ESCAPE + ESCAPE
            i += 4
        else:
            body.append(payload[i])
            i += 1
    pad = (-len(body)) % 4
    body += bytes(pad)
    body += ESCAPE + bytes((_END_MARK, pad))
    if crc == "x25":
        body += crc16_x25(body).to_bytes(2, "little")
    else:
        body += crc16_kermit(body).to_bytes(2, "big")
    frame = bytes(body)
    # data holding a start sequence off the grid (or an off-grid end whose CRC happens to
    # verify) would be read as a cut frame: refuse instead of writing an unreadable frame
    try:
        back = parse_file(frame, crc=crc).payload
    except DecodeError:
        back = None
    if back != bytes(payload):
        raise ValueError("the payload contains a 1B1B1B1B 01010101 (or 1B1B1B1B 1A) sequence off the 4-byte grid "
                         "that a reader would take for a frame boundary")
    return frame


class FileSplitter:
    """Find transport frames in a serial byte stream (sans-I/O).

    ``feed(chunk)`` returns, in order, every complete :class:`TransportFile` and a DecodeError
    for every broken frame (CRC mismatch, a frame cut short by the next start sequence, an
    unknown escape, a frame longer than :data:`MAX_FILE`). Bytes outside frames are dropped
    (debug log): a capture or an IR head usually starts in the middle of a frame.

    Guarantees: every byte is scanned a bounded number of times (the scan resumes where the
    previous chunk ended); the buffer never holds more than :data:`MAX_FILE` bytes between
    calls; a valid frame is never lost because garbage or a broken frame came before it (after
    an error the search restarts at the next start sequence, which is never skipped). Offsets
    (``start``/``end`` and error offsets) count bytes since the splitter was created.
    """

    def __init__(self, *, crc: str = "auto", max_file: int = MAX_FILE) -> None:
        if crc not in CRC_MODES:
            raise ValueError(f"crc must be one of {', '.join(CRC_MODES)}, got {crc!r}")
        self._crc = crc
        self._max = max_file
        self._buf = bytearray()
        self._base = 0                 # stream offset of _buf[0]
        self._start: int | None = None  # buffer offset of the frame being collected
        self._resume: int | None = None  # where find_end goes on
        self._search = 0               # where the next start search goes on

    @property
    def buffered(self) -> int:
        """Bytes held back (the frame being collected, or a possible partial start sequence)."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[TransportFile | DecodeError]:
        self._buf += chunk
        buf = self._buf          # scanned in place: no copy of the held bytes per chunk
        out: list[TransportFile | DecodeError] = []
        keep = self._scan(buf, out)
        # drop everything before `keep`: the buffer holds at most one unfinished frame
        if keep:
            del self._buf[:keep]
            self._base += keep
            if self._start is not None:
                self._start -= keep
                if self._resume is not None:
                    self._resume -= keep
            self._search = max(0, self._search - keep)
        return out

    def _scan(self, buf: bytearray, out: list[TransportFile | DecodeError]) -> int:
        while True:
            if self._start is None:
                s = buf.find(START, self._search)
                if s < 0:
                    # a start sequence may be split across chunks: keep its possible head
                    keep = max(self._search, len(buf) - 7)
                    if keep > 0:
                        log.debug("dropped %d byte(s) outside SML frames", keep)
                    self._search = keep
                    return keep
                self._start, self._resume = s, None
            s = self._start
            try:
                q, resume = find_end(buf, s, self._resume, self._crc)
            except FramingError as err:
                out.append(err.shifted(self._base))
                # search again from just after this start: the next start sequence (the one
                # that cut this frame, or one hidden in a run of 1B) is found by the C-level
                # find in one pass, so no valid frame is skipped and no byte is parsed twice
                self._start, self._search = None, s + 1
                continue
            if q is None or q + 8 > len(buf):
                if len(buf) - s > self._max:
                    out.append(FramingError(LAYER, self._base + s, f"no end escape sequence within {self._max} bytes "
                                            "of the frame start: dropped"))
                    self._start, self._search = None, s + 1
                    continue
                self._resume = resume
                return s
            try:
                out.append(_shift(_frame(buf, s, q, self._crc), self._base))
            except DecodeError as err:
                out.append(err.shifted(self._base))
                # a frame that fails its CRC may have swallowed the start of a valid one (a
                # cut-off frame ending in 1B 1B 1B 1B reads the next start sequence as an
                # escaped 1B run): search again inside it, as after a framing error (issue 10)
                self._start, self._search = None, s + 1
                continue
            self._start, self._search = None, q + 8


def _shift(f: TransportFile, base: int) -> TransportFile:
    if base == 0:
        return f
    return TransportFile(f.payload, f.start + base, f.end + base, f.padding, f.crc, f.crc_kind,
                         f.escapes, f.aligned)
