"""DLMS/COSEM over wired M-Bus: the transport layer on EN 13757-2 long frames.

Austrian customer interfaces (Netz NÖ/EVN, TINETZ, Salzburg, Vorarlberg...) and the Polish
Kaifa MA309 push DLMS APDUs in M-Bus long frames (docs/formats/dlms.md, docs/formats/mbus.md)::

    68 L L 68 | C A | CI | STSAP DTSAP | APDU segment ... | CS 16

* ``CI`` 0x00-0x1F is reserved for DLMS-based applications (EN 13757-3 CI table). Within it,
  bit 4 (0x10) is the FIN flag (last segment) and bits 0-3 the segment sequence number, 0
  for the first segment and +1 (mod 16) for each following one (the DLMS/COSEM wired M-Bus
  transport as we read it; it is what every captured frame in the corpus shows: a
  single-segment APDU is ``CI 0x10``, two segments are ``0x00`` then ``0x11`` - Kaifa,
  Sagemcom and the "ELSep" meter alike).
* ``STSAP``/``DTSAP`` (source/destination transport SAP, ``01 67`` in the captures) open
  every segment.
* The APDU is the concatenation of the segments after their DTSAP, in sequence order.
* The Sagemcom T210-D first segment ``68 01 01 68`` carries 257 bytes: the link layer reads
  it with ``allow_16bit_length=True`` (``smartmeter_codecs.mbus.link``).

A missing, repeated or out-of-order segment is an :class:`IncompleteError`; link-layer
problems (:class:`FramingError`, :class:`ChecksumError`) come from ``mbus.link``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import DecodeError, FramingError, IncompleteError, UnsupportedError
from ..mbus.link import LinkFrame, LinkFrameSplitter, build_long_frame, split_frames

__all__ = [
    "LAYER",
    "DLMS_CI_MAX",
    "CI_FIN",
    "MAX_APDU_SIZE",
    "DEFAULT_SEGMENT_SIZE",
    "DlmsSegment",
    "is_dlms_mbus",
    "segment_from_frame",
    "apdus_from_mbus",
    "mbus_from_apdu",
    "MbusApduAssembler",
]

log = logging.getLogger(__name__)

LAYER = "dlms-mbus"

#: CI values 0x00..0x1F are reserved for DLMS-based applications (EN 13757-3).
DLMS_CI_MAX = 0x1F
#: CI bit 4: this is the last (or only) segment of the APDU.
CI_FIN = 0x10
_CI_SEQUENCE = 0x0F

#: Largest reassembled APDU accepted (bounds memory in streams); DLMS APDU sizes are 16-bit.
MAX_APDU_SIZE = 0xFFFF
#: APDU bytes per segment when encoding: L = 0xFA like the Kaifa/Sagemcom meters
#: (250 = C + A + CI + STSAP + DTSAP + 245).
DEFAULT_SEGMENT_SIZE = 245

_LINK_OVERHEAD = 9  # 68 L L 68 C A CI STSAP DTSAP


@dataclass(frozen=True, slots=True)
class DlmsSegment:
    """One DLMS transport segment carried by one M-Bus long frame.

    Attributes:
        c, a: the M-Bus C and A fields (``53 FF`` = SND_UD broadcast in the captures).
        ci: the CI field; ``sequence`` (bits 0-3) and ``last`` (bit 4) split from it.
        stsap, dtsap: transport source/destination SAP.
        payload: the APDU bytes in this segment.
        start, end: offsets of the M-Bus frame in the input (end exclusive).
    """

    c: int
    a: int
    ci: int
    sequence: int
    last: bool
    stsap: int
    dtsap: int
    payload: bytes
    start: int
    end: int


def is_dlms_mbus(data: bytes) -> bool:
    """Quick sniff: ``68 L L 68`` (or the Sagemcom ``68 01 01 68``) long frame with a DLMS CI.

    Looks only at the first 7 bytes (no checksum check).
    """
    if len(data) < 9 or data[0] != 0x68 or data[3] != 0x68:
        return False
    l1, l2 = data[1], data[2]
    plain = l1 == l2 and l1 >= 5  # C A CI STSAP DTSAP at least
    wide = 256 <= ((l1 << 8) | l2) <= 0x03FF  # the 16-bit length quirk (mbus.link)
    return (plain or wide) and data[6] <= DLMS_CI_MAX


def segment_from_frame(frame: LinkFrame) -> DlmsSegment:
    """The DLMS transport segment in one link frame.

    Raises:
        UnsupportedError: not a long frame, or a CI outside 0x00-0x1F (not DLMS).
        FramingError: the frame is too short for STSAP and DTSAP.
    """
    if frame.kind not in ("long", "control") or frame.ci is None or frame.c is None or frame.a is None:
        raise UnsupportedError(LAYER, frame.start,
                               f"M-Bus {frame.kind} frame carries no DLMS segment (expected a long frame)",
                               recognised={"kind": frame.kind})
    if frame.ci > DLMS_CI_MAX:
        raise UnsupportedError(LAYER, frame.start + 6,
                               f"M-Bus CI 0x{frame.ci:02X} is not a DLMS transport CI (expected 0x00-0x1F)",
                               recognised={"kind": frame.kind, "ci": frame.ci})
    if len(frame.data) < 2:
        raise FramingError(LAYER, frame.start + 7,
                           f"DLMS M-Bus segment (CI 0x{frame.ci:02X}) needs STSAP and DTSAP, "
                           f"got {len(frame.data)} byte(s) after the CI")
    return DlmsSegment(
        c=frame.c, a=frame.a, ci=frame.ci, sequence=frame.ci & _CI_SEQUENCE, last=bool(frame.ci & CI_FIN),
        stsap=frame.data[0], dtsap=frame.data[1], payload=bytes(frame.data[2:]),
        start=frame.start, end=frame.end)


class _Reassembly:
    """Segments of the APDU in progress; strict order (sequence 0, 1, 2 ... mod 16)."""

    __slots__ = ("parts", "size", "start", "expected", "active")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.start = 0
        self.expected = 0  # sequence number the next segment must carry
        self.active = False  # an APDU is in progress

    def reset(self) -> None:
        self.parts = []
        self.size = 0
        self.expected = 0
        self.active = False

    def add(self, seg: DlmsSegment) -> tuple[bytes, int] | None:
        """Add a segment; the complete APDU with its first segment's offset, or None.

        Raises IncompleteError when the segment does not continue the APDU in progress (the
        APDU in progress is dropped, the state is reset: a first segment may then be added
        again to start a new APDU).
        """
        if seg.sequence != self.expected:
            if self.active:
                lost = f"the APDU started at byte {self.start} expected segment {self.expected}"
            else:
                lost = "no APDU is in progress (its first segment, sequence 0, is missing)"
            self.reset()
            raise IncompleteError(
                LAYER, seg.start,
                f"DLMS M-Bus segment with sequence number {seg.sequence} (CI 0x{seg.ci:02X}) out of "
                f"order: {lost}; a segment is missing or repeated")
        if not self.active:
            self.start = seg.start
            self.active = True
        if self.size + len(seg.payload) > MAX_APDU_SIZE:
            start = self.start
            self.reset()
            raise FramingError(LAYER, seg.start,
                               f"DLMS APDU started at byte {start} exceeds {MAX_APDU_SIZE} bytes "
                               "without a last segment (CI bit 0x10)")
        self.parts.append(seg.payload)
        self.size += len(seg.payload)
        self.expected = (self.expected + 1) & _CI_SEQUENCE
        if not seg.last:
            return None
        apdu = b"".join(self.parts)
        start = self.start
        self.reset()
        return apdu, start


def apdus_from_mbus(data: bytes, *, strict: bool = True) -> list[tuple[bytes, int]]:
    """Every DLMS APDU carried by ``data``: consecutive M-Bus long frames and nothing else.

    Returns ``(apdu, offset)`` pairs in order, ``offset`` being where the APDU's first segment
    starts in ``data``.

    With ``strict=False`` segments that belong to no complete APDU (a capture that starts
    with the tail of a telegram, a lost segment, an unfinished last APDU) are skipped and
    only complete APDUs are returned; link-layer errors and non-DLMS frames still raise.

    Raises:
        IncompleteError: (strict) a missing or out-of-order segment, or the input ends before
            the last segment (CI bit 0x10) of an APDU; a truncated frame (from the link layer).
        FramingError, ChecksumError: from the M-Bus link layer.
        UnsupportedError: a frame that is not a DLMS transport segment.
    """
    data = bytes(data)
    frames = split_frames(data, allow_16bit_length=True)
    out: list[tuple[bytes, int]] = []
    state = _Reassembly()
    for frame in frames:
        seg = segment_from_frame(frame)
        try:
            done = state.add(seg)
        except IncompleteError:
            if strict:
                raise
            done = state.add(seg) if seg.sequence == 0 else None  # a first segment starts anew
        if done is not None:
            out.append(done)
    if state.active and strict:
        raise IncompleteError(LAYER, len(data),
                              f"the DLMS APDU started at byte {state.start} has no last segment "
                              "(CI with bit 0x10): the input ends after an intermediate segment")
    return out


def mbus_from_apdu(apdu: bytes, *, c: int = 0x53, a: int = 0xFF, stsap: int = 0x01, dtsap: int = 0x67,
                   segment_size: int = DEFAULT_SEGMENT_SIZE) -> bytes:
    """Encode an APDU as DLMS M-Bus long frames (the inverse of :func:`apdus_from_mbus`).

    Defaults are those of the Austrian push meters: ``C=0x53`` (SND_UD), ``A=0xFF``, SAPs
    ``01 67``, 245 APDU bytes per segment (L = 0xFA).
    """
    if not 1 <= segment_size <= 250:
        raise ValueError(f"segment_size must be 1..250 (L <= 255), got {segment_size}")
    if len(apdu) > MAX_APDU_SIZE:
        raise ValueError(f"APDU of {len(apdu)} bytes exceeds {MAX_APDU_SIZE}")
    chunks = [apdu[i:i + segment_size] for i in range(0, len(apdu), segment_size)] or [b""]
    out = bytearray()
    for k, chunk in enumerate(chunks):
        ci = (k & _CI_SEQUENCE) | (CI_FIN if k == len(chunks) - 1 else 0)
        out += build_long_frame(c, a, ci, bytes((stsap, dtsap)) + chunk)
    return bytes(out)


class MbusApduAssembler:
    """Stream side: feed M-Bus bytes, get complete DLMS APDUs (sans-I/O).

    ``feed(chunk)`` returns ``(apdu, offset)`` for every APDU completed (``offset`` counts
    bytes since the assembler was created) and a :class:`DecodeError` for each problem: link
    errors (garbage runs, checksum errors), non-DLMS frames, and out-of-order or orphan
    segments (``IncompleteError``). After an out-of-order segment the APDU in progress is
    dropped and a new first segment (sequence 0) starts a new APDU, so no valid APDU after
    garbage is lost. Memory is bounded by one link frame plus :data:`MAX_APDU_SIZE`.
    """

    def __init__(self) -> None:
        # DLMS segments travel in long frames only; E5/short frames and skipped bytes are not
        # this layer's business (and in the dlms stream every HDLC frame is M-Bus garbage)
        self._splitter = LinkFrameSplitter(allow_16bit_length=True, control_frames=False, report_garbage=False)
        self._state = _Reassembly()

    def feed(self, chunk: bytes) -> list[tuple[bytes, int] | DecodeError]:
        """Add bytes; return the APDUs and errors they completed."""
        return [item for _, item in self.feed_ready(chunk)]

    def feed_ready(self, chunk: bytes) -> list[tuple[int, tuple[bytes, int] | DecodeError]]:
        """As :meth:`feed`, each item with the stream offset by which it was decided.

        Single-character (E5) and short frames are link-layer control, not segments: they are
        skipped silently (an E5 byte in other traffic is a valid M-Bus frame on its own).
        """
        items = self._splitter.feed_ready(chunk)
        if not items:
            return []
        out: list[tuple[int, tuple[bytes, int] | DecodeError]] = []
        for ready, item in items:
            if isinstance(item, DecodeError):
                out.append((ready, item))
                continue
            if item.kind in ("ack", "short"):
                continue
            try:
                seg = segment_from_frame(item)
            except DecodeError as err:
                out.append((ready, err))
                continue
            try:
                done = self._state.add(seg)
            except IncompleteError as err:
                out.append((ready, err))
                if seg.sequence != 0:
                    continue
                try:
                    done = self._state.add(seg)  # a first segment starts a new APDU
                except DecodeError as err2:  # only MAX_APDU_SIZE, unreachable for one segment
                    out.append((ready, err2))
                    continue
            except DecodeError as err:
                out.append((ready, err))
                continue
            if done is not None:
                out.append((ready, done))
        return out
