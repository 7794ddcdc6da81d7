"""The ``dlms`` format: complete messages or streams in, Readings out (and back).

Input is autodetected by its first bytes:

* ``7E A?``: HDLC frames (one or more; segmented frames and GBT blocks are reassembled),
* ``68 L L 68`` with a DLMS CI: wired M-Bus segments (EN 13757-2 + DLMS transport),
* ``E6 E7 00`` / ``E6 E6 00``: an LLC PDU (HDLC already stripped),
* an APDU tag (``0F`` data-notification, ``E0`` block transfer, ``DB``/``DC``/``DD`` ciphered).
"""
from __future__ import annotations

import itertools
import logging
from typing import Any, Callable

from .._extra_bytes import note_extra_bytes
from ..errors import ChecksumError, DecodeError, DecryptionError, FramingError, IncompleteError, UnsupportedError
from .._registry import get_codec
from ..inspection import Inspection
from ..keys import KeysArg, authentication_required
from ..mbus.link import LinkFrame, LinkFrameSplitter
from ..model import Reading
from ..zones import Placer
from . import security
from .apdu import APDU_NAMES, TAG_DATA_NOTIFICATION, TAG_GBT, DataNotification, parse_data_notification, validate_apdu
from .compact import decode_compact_body
from .gbt import GbtAssembler, parse_block
from .hdlc import FLAG, HdlcFrame, HdlcSplitter, parse_frame, split_frames
from .interpret import interpret_body, reading_from
from .template import TemplateCache
from .mbus_transport import MbusApduAssembler, apdus_from_mbus, is_dlms_mbus
from .profiles import Profile, get_profile

__all__ = ["DlmsCodec", "CODEC", "LLC_HEADERS"]

log = logging.getLogger(__name__)

LLC_HEADERS = (b"\xe6\xe7\x00", b"\xe6\xe6\x00")  # response / command LLC (IEC 62056-46 8.2)
_APDU_TAGS = {TAG_DATA_NOTIFICATION, TAG_GBT} | set(security.CIPHERED_TAGS)
_MAX_SEGMENTS_BYTES = 65536


class _Context:
    """What a reading was decoded with: set by the security layer, read by the Reading."""

    __slots__ = ("authenticated", "system_title")

    def __init__(self) -> None:
        self.authenticated: bool | None = None
        self.system_title: bytes | None = None


class _Pipeline:
    """Link payloads in, Readings/errors out: HDLC segments -> LLC -> GBT -> security -> APDU.

    Shared by ``decode_all`` (errors raised) and the stream (errors yielded).
    """

    def __init__(self, keys: KeysArg, profile: Profile | None, trace: Callable[..., None] | None = None,
                 templates: TemplateCache | None = None, placer: Placer | None = None) -> None:
        self.keys = keys
        self.profile = profile
        self.placer = placer          # places naive timestamps as the Readings are built
        self._templates = templates if trace is None else None   # inspect shows the full path
        self._segments: list[bytes] = []
        self._segment_bytes = 0
        self._segment_start: int | None = None
        self._segment_frame = 0       # where the first frame of the pending segments started
        self._gbt: GbtAssembler | None = None     # made at the first block (most pushes have none)
        self._trace = trace

    # -- link layers ---------------------------------------------------------------------
    def hdlc_frame(self, frame: HdlcFrame) -> list[Reading | DecodeError]:
        """Readings completed by one frame; an IncompleteError item first when the frame shows
        that a pending segmented message lost its last segment (the caller raises or yields it)."""
        templates = self._templates
        if templates is not None and self.keys is None and not self._segments:
            # the common push, one plaintext data-notification in one frame: straight to its
            # learned template (the path below would reach the same call with the same
            # arguments: no key, no sender, no pending segments); a miss goes that path
            apdu = _plain_push(frame)
            if apdu is not None:
                learned = templates.interpret(apdu, self.profile, None, None, self.placer)
                if learned is not None:
                    return [learned]
                return list(self.link_payload(frame.information, frame.info_start, True, learnt=True))
        if not frame.carries_data:
            return []
        out: list[Reading | DecodeError] = []
        if self._segments and frame.information[:3] in LLC_HEADERS:
            # Every LLC PDU opens with the LLC header (IEC 62056-46 8.2) and only the first
            # segment of a segmented PDU carries it; continuation segments are raw APDU bytes.
            # A frame that opens with it while segments are pending starts a new message, so
            # the pending one is an orphan: report it and decode the new frame on its own
            # instead of appending it to the orphan (issue 10: the orphan swallowed it).
            out.append(IncompleteError("hdlc", self._segment_frame, f"segmented message of {len(self._segments)} "
                                       f"frame(s) lost its final segment: a new message starts at byte "
                                       f"{frame.start}"))
            self._reset_segments()
        if frame.segmented:
            if self._segment_start is None:
                self._segment_start = frame.info_start
                self._segment_frame = frame.start
            self._segments.append(frame.information)
            self._segment_bytes += len(frame.information)
            if self._segment_bytes > _MAX_SEGMENTS_BYTES:
                self._reset_segments()
                raise FramingError("hdlc", frame.start, f"segmented message exceeds {_MAX_SEGMENTS_BYTES} bytes")
            return out
        if self._segments:
            info = b"".join(self._segments) + frame.information
            base = self._segment_start
            self._reset_segments()
            contiguous = False
        else:
            info = frame.information
            base = frame.info_start
            contiguous = True
        if not out:
            return list(self.link_payload(info, base if base is not None else 0, contiguous))
        try:
            out.extend(self.link_payload(info, base if base is not None else 0, contiguous))
        except DecodeError as err:
            out.append(err)
        return out

    def _reset_segments(self) -> None:
        self._segments = []
        self._segment_bytes = 0
        self._segment_start = None

    def link_payload(self, info: bytes, base: int, contiguous: bool = True, learnt: bool = False) -> list[Reading]:
        """``learnt``: the push was just offered to the templates (hdlc_frame): not again."""
        if info[:3] in LLC_HEADERS:
            if self._trace:
                self._trace("llc", info[:3], base if contiguous else None)
            info = info[3:]
            base += 3
        if not info:
            return []
        return self.apdu(info, base, contiguous, learnt=learnt)

    # -- application ------------------------------------------------------------------------
    def apdu(self, apdu: bytes, base: int, contiguous: bool = True, ctx: _Context | None = None,
             learnt: bool = False) -> list[Reading]:
        ctx = ctx or _Context()
        try:
            return self._apdu(apdu, base, contiguous, ctx, learnt)
        except DecodeError as err:
            if getattr(err, "_located", False):     # already placed by a nested APDU
                raise
            err._located = True  # type: ignore[attr-defined]
            if contiguous:
                raise err.shifted(base)
            raise err.shifted(0, "offset within the reassembled APDU")

    def _nested(self, inner: bytes, what: str, ctx: _Context) -> list[Reading]:
        """An APDU that exists only after reassembly or deciphering: offsets are its own."""
        try:
            return self._apdu(inner, 0, False, ctx)
        except DecodeError as err:
            if not getattr(err, "_located", False):
                err._located = True  # type: ignore[attr-defined]
                err.shifted(0, f"offset within the {what}")
            raise

    def _apdu(self, apdu: bytes, base: int, contiguous: bool, ctx: _Context, learnt: bool = False) -> list[Reading]:
        if not apdu:
            raise IncompleteError("apdu", 0, "empty APDU (a block transfer or ciphered APDU carried no data)")
        tag = apdu[0]
        if tag == TAG_GBT:
            block = parse_block(apdu)
            if block.end != len(apdu):
                raise FramingError("gbt", block.end, f"{len(apdu) - block.end} bytes after the block data")
            if self._gbt is None:
                self._gbt = GbtAssembler()
            whole = self._gbt.push(block, base)
            if self._trace:
                self._trace("gbt", block, base if contiguous else None)
            if whole is None:
                return []
            return self._nested(whole, "APDU reassembled from block transfer", ctx)
        if tag in security.CIPHERED_TAGS:
            p1_text = None
            try:
                un = security.unwrap(apdu, self.keys, validate=_validate, offset=0)
            except _P1Telegram as p1:
                p1_text = p1.text
            if p1_text is not None:
                # only reached when no tag was checked (validate runs only then)
                ctx.authenticated = False
                return self._p1(p1_text, ctx)
            if un.consumed != len(apdu):
                raise FramingError("dlms-security", un.consumed,
                                   f"{len(apdu) - un.consumed} bytes after the ciphered APDU")
            ctx.authenticated = un.authenticated
            ctx.system_title = un.system_title
            if self._trace:
                self._trace("security", un, base if contiguous else None)
            return self._nested(un.plaintext, "deciphered APDU", ctx)
        if tag == TAG_DATA_NOTIFICATION:
            if ctx.authenticated is None and authentication_required(self.keys, None):
                # a plaintext push names no sender and carries no tag (authentication rule, keys.py)
                raise DecryptionError("dlms-security", 0, "plaintext data-notification (no ciphering, no tag) "
                                                          "while an authentication key was given: every "
                                                          "frame must be authenticated")
            if self._templates is not None and not learnt:
                learned = self._templates.interpret(apdu, self.profile, ctx.system_title, ctx.authenticated,
                                                    self.placer)
                if learned is not None:
                    return [learned]
            dn = _parse_notification(apdu)
            if self._trace:
                self._trace("apdu", dn, base if contiguous else None)
            return [self.reading(dn, ctx)]
        if _is_p1_telegram(apdu):
            return self._p1(apdu, ctx)
        name = APDU_NAMES.get(tag)
        raise UnsupportedError("apdu", 0, f"APDU tag {tag:#04x} ({name or 'unknown'}) is not a data push; "
                                          f"expected a data-notification (0x0F), block transfer (0xE0) or "
                                          f"ciphered APDU", {"apdu_tag": tag, "apdu": name})

    def _p1(self, text: bytes, ctx: _Context) -> list[Reading]:
        """A DSMR P1 telegram inside DLMS ciphering (Luxembourg Smarty, Austrian Sagemcom
        T210-D-r): decoded by the ``p1`` format; the Reading keeps format "dlms", profile
        "p1-<country>" (the P1 convention used) and the security layer's verdict."""
        if ctx.authenticated is None:      # plaintext P1 handed in as an APDU: not a DLMS message
            raise _p1_error(text, "decode it with format='p1'")
        try:
            p1 = get_codec("p1")
        except KeyError:
            raise _p1_error(text, "the key is right, but this build has no p1 format") from None
        out = [r.replace(format="dlms", profile=f"p1-{r.profile}" if r.profile else "p1",
                         authenticated=ctx.authenticated)
               for r in p1.decode_all(text, keys=None, profile=None)]
        return out if self.placer is None else [self.placer.localise(r) for r in out]

    def reading(self, dn: DataNotification, ctx: _Context) -> Reading:
        interp = interpret_body(dn.body, profile=self.profile, system_title=ctx.system_title)
        if self._trace:
            self._trace("interpretation", interp, None)
        return reading_from(interp, dn.datetime.to_datetime() if dn.datetime is not None else None,
                            ctx.authenticated, self.placer)


class _P1Telegram(Exception):
    """Raised through the security layer's validation: the plaintext is a DSMR P1 text telegram."""

    def __init__(self, text: bytes) -> None:
        super().__init__("DSMR P1 telegram")
        self.text = text


def _is_p1_telegram(data: bytes) -> bool:
    # DSMR 5 / IEC 62056-21: "/XXX5..." header line, data lines, "!" + CRC closing line. Austrian
    # (Energie Steiermark, Salzburg) and Luxembourg meters encrypt such text in DLMS ciphering.
    return data[:1] == b"/" and b"\r\n!" in data[-64:]


def _validate(plaintext: bytes) -> None:
    if _is_p1_telegram(plaintext):
        raise _P1Telegram(plaintext)
    validate_apdu(plaintext)


def _p1_error(text: bytes, hint: str) -> UnsupportedError:
    first = text.split(b"\r\n", 1)[0].decode("ascii", "replace")
    return UnsupportedError("apdu", 0, f"the content is a DSMR P1 text telegram ({first!r}), not a DLMS APDU: "
                                       f"{hint}", {"p1_telegram": text.decode("ascii", "replace")})


def _parse_notification(apdu: bytes) -> DataNotification:
    try:
        return parse_data_notification(apdu)
    except FramingError as err:
        # Sagemcom XT211 / EG.D "compact" bodies are not plain A-XDR (untagged descriptors):
        # try that grammar before giving up, and report the standard error if it fails too.
        try:
            return decode_compact_body(apdu)
        except DecodeError:
            raise err from None


def _layer_of(data: bytes) -> str:
    if not data:
        raise UnsupportedError("dlms", 0, "empty input")
    b0 = data[0]
    if b0 == FLAG:
        return "hdlc"
    if data[:3] in LLC_HEADERS:
        return "llc"
    if b0 == 0x68 and is_dlms_mbus(data):
        return "mbus"
    if b0 in _APDU_TAGS:
        return "apdu"
    raise UnsupportedError("dlms", 0, f"first byte {b0:#04x} starts no DLMS framing: expected 0x7E (HDLC), "
                                      f"E6 E7 00 (LLC), 68 (M-Bus) or an APDU tag (0F, E0, DB, DC, DD)",
                           {"first_byte": b0})


def _hdlc_frames(data: bytes) -> list[HdlcFrame] | None:
    """The HDLC frames of a complete message with noise before the first frame or after the
    last one (issue 9 item 3), or None when the input is not that (the strict split decides:
    a truncated or corrupt frame on its own, garbage between frames).

    The stream splitter finds the frames; any error it reports (a complete frame with a
    valid header but a bad FCS...) is a corrupt frame, not noise. Frames must follow each
    other with nothing but flags between them.
    """
    items = HdlcSplitter().feed(data)
    if not items or any(isinstance(i, DecodeError) for i in items):
        return None
    frames: list[HdlcFrame] = items  # type: ignore[assignment]
    for a, b in itertools.pairwise(frames):
        if data[a.end:b.start].strip(b"\x7e"):
            return None
    return frames


def _plain_push(frame: HdlcFrame) -> bytes | None:
    """The APDU of a frame that carries a whole plaintext data-notification (an I or UI frame,
    not segmented, LLC header then tag 0x0F), or None: what a learned template may read."""
    segmented, _, _, _, _, _, control, info, _, _, _ = frame      # one unpacking: every push
    if segmented or not (control & 0x01 == 0 or control & 0xEF == 0x03):   # HdlcFrame.carries_data
        return None
    return info[3:] if info[3:4] == b"\x0f" and info[:3] in LLC_HEADERS else None


def _strict_frames(data: bytes) -> list[HdlcFrame] | None:
    """The frames of an input that holds nothing but HDLC frames (and flags), or None.

    Equal to what _hdlc_frames gives whenever this succeeds: the stream splitter finds the
    same frames in such an input, or reports a frame cut by a frame inside it (then
    _hdlc_frames gives None and the strict split decided anyway).
    """
    try:
        if data[-1] == FLAG and (((data[1] & 0x07) << 8) | data[2]) + 2 == len(data):
            return [parse_frame(data, 0)]   # one frame, the whole input (the common push)
        return split_frames(data)
    except (DecodeError, IndexError):
        return None


def _mbus_span(data: bytes) -> tuple[int, int] | None:
    """``(start, end)`` of the run of M-Bus frames (DLMS transport, 16-bit length quirk
    allowed) in a message with noise before or after it, or None (the strict split decides).

    The run goes from the first long frame to the last; frames inside it must follow each
    other exactly. A checksum error anywhere is a corrupt frame, not noise.
    """
    return _link_span(LinkFrameSplitter(allow_16bit_length=True).feed(data))


def _link_span(items: list[LinkFrame | DecodeError]) -> tuple[int, int] | None:
    if any(isinstance(i, ChecksumError) for i in items):
        return None
    frames = [i for i in items if isinstance(i, LinkFrame)]
    longs = [k for k, f in enumerate(frames) if f.kind in ("long", "control")]
    if not longs:
        return None
    run = frames[longs[0]:longs[-1] + 1]
    if any(b.start != a.end for a, b in itertools.pairwise(run)):
        return None
    return run[0].start, run[-1].end


class DlmsStream:
    """FrameStream for the ``dlms`` format: HDLC and DLMS-over-M-Bus framing.

    Stream framing never locks in (issue 10): both splitters read every byte, whatever came
    before, and their items are merged in the order in which the stream decided them (the
    stream offset of the byte that completed each), so a meter or capture may switch between
    framings, and the items do not depend on how the stream is cut into chunks. Only M-Bus
    garbage reports are left out (every HDLC frame is M-Bus garbage; HDLC does not report
    garbage either): errors that prove a frame was there (an HDLC header with a valid HCS, an
    M-Bus checksum, a segment out of order, a security or APDU error) are all yielded.
    """

    def __init__(self, keys: KeysArg, profile: Profile | None, templates: TemplateCache | None = None,
                 placer: Placer | None = None) -> None:
        self._hdlc = HdlcSplitter()
        self._mbus = MbusApduAssembler()
        self._pipe = _Pipeline(keys, profile, None, templates, placer)

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        hdlc = self._hdlc.feed_ready(data)
        mbus = self._mbus.feed_ready(data)
        if not hdlc and not mbus:
            return []
        if not mbus:                # HDLC alone (the common HAN port): nothing to merge
            out_hdlc: list[Reading | DecodeError] = []
            for _, item in hdlc:
                if isinstance(item, DecodeError):
                    out_hdlc.append(item)
                else:
                    out_hdlc.extend(self._run(self._pipe.hdlc_frame, item))
            return out_hdlc
        merged: list[tuple[int, int, int, Any]] = [(ready, 0, k, item) for k, (ready, item) in enumerate(hdlc)]
        merged += [(ready, 1, k, item) for k, (ready, item) in enumerate(mbus)]
        merged.sort(key=lambda t: t[:3])
        out: list[Reading | DecodeError] = []
        for _, which, _, item in merged:
            if isinstance(item, DecodeError):
                if which == 1 and item.layer == "mbus-link" and not isinstance(item, ChecksumError):
                    log.debug("not M-Bus framing: %s", item)
                    continue
                out.append(item)
            elif which == 0:
                out.extend(self._run(self._pipe.hdlc_frame, item))
            else:
                apdu, offset = item
                out.extend(self._run(self._pipe.apdu, apdu, offset, False))
        return out

    @staticmethod
    def _run(fn: Callable[..., list[Any]], *args: Any) -> list[Reading | DecodeError]:
        """Stream side: a broken message becomes an error item, never an exception."""
        try:
            return list(fn(*args))
        except DecodeError as err:
            return [err]


class DlmsCodec:
    """The ``dlms`` codec (see module docstring)."""

    name = "dlms"
    description = "DLMS/COSEM push (HDLC, LLC, M-Bus or raw APDU; AES-GCM) - Nordic/Alpine HAN ports"
    # decode_all/stream take placer=: Readings are built with their timestamps placed (most
    # Nordic pushes send local time without an offset; copying each Reading afterwards cost
    # 2 us of a 15 us decode; issue 16)
    places_timestamps = True

    def __init__(self) -> None:
        # push layouts learned from decoded pushes (template.py): a bounded memo, invisible
        # in results, shared by decode_all and the streams of this codec
        self._templates = TemplateCache()

    def sniff(self, data: bytes) -> int:
        if len(data) >= 3 and data[0] == FLAG and data[1] & 0xF0 == 0xA0:
            return 90
        if data[:3] in LLC_HEADERS:
            return 85
        if data[:1] == b"\x68" and is_dlms_mbus(data):
            return 85
        if data[:1] and data[0] in _APDU_TAGS and len(data) >= 6:
            return 40
        return 0

    @staticmethod
    def _profile(profile: str | None) -> Profile | None:
        return get_profile(profile) if profile else None

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None,
                   placer: Placer | None = None) -> list[Reading]:
        known = get_profile(profile) if profile else None
        if keys is None and data[:1] == b"\x7e" and self._templates is not None:
            # the common input, one plaintext push in one HDLC frame, read by its learned
            # template without the layers below (_decode would reach the same call: one frame,
            # nothing but flags around it, no segments, no block transfer); anything else, and
            # a push without a template, takes them
            frames = _strict_frames(data)
            if frames is not None and len(frames) == 1:
                apdu = _plain_push(frames[0])
                if apdu is not None:
                    learned = self._templates.interpret(apdu, known, None, None, placer)
                    if learned is not None:
                        return [learned]
            return self._decode(data, keys, known, None, placer, frames)
        return self._decode(data, keys, known, None, placer)

    def _decode(self, data: bytes, keys: KeysArg, profile: Profile | None,
                trace: Callable[..., None] | None, placer: Placer | None = None,
                strict: list[HdlcFrame] | None = None) -> list[Reading]:
        """``strict``: what _strict_frames gave for ``data`` when the caller asked it already."""
        try:
            layer = _layer_of(data)
        except UnsupportedError:
            # leading bytes before a checksum-valid frame (issue 9 item 3): unambiguous only
            # when a whole HDLC frame (HCS + FCS) or DLMS M-Bus frame (checksum) follows
            if data and _hdlc_frames(data) is not None:
                layer = "hdlc"
            elif data and _mbus_span(data) is not None:
                layer = "mbus"
            else:
                # a corrupt frame after the leading bytes: its own typed error says more
                for found in (*HdlcSplitter().feed(data), *LinkFrameSplitter(allow_16bit_length=True).feed(data)):
                    if isinstance(found, (ChecksumError, IncompleteError)) or (
                            isinstance(found, FramingError) and found.layer == "hdlc"):
                        raise found from None
                raise
        pipe = _Pipeline(keys, profile, trace, self._templates, placer)
        out: list[Reading] = []
        first, last_end = 0, len(data)
        if layer == "hdlc":
            # back-to-back frames (the common case: cheapest)
            frames = strict if strict is not None else _strict_frames(data)
            if frames is None:
                frames = _hdlc_frames(data) or split_frames(data)   # the strict split says what is wrong
            first, last_end = frames[0].start, frames[-1].end
            if trace:
                for f in frames:
                    trace("hdlc", f, 0)
            for f in frames:
                for item in pipe.hdlc_frame(f):
                    if isinstance(item, DecodeError):
                        raise item
                    out.append(item)
            if pipe._segments:
                raise IncompleteError("hdlc", last_end, "the last frame has the segmentation bit set: "
                                                        "the message's final segment is missing")
        elif layer == "mbus":
            first, last_end = _mbus_span(data) or (0, len(data))
            for apdu, offset in apdus_from_mbus(data[first:last_end]):
                if trace:
                    trace("mbus", (apdu, offset + first), offset + first)
                out.extend(pipe.apdu(apdu, offset + first, False))
        elif layer == "llc":
            out.extend(pipe.link_payload(data, 0))
        else:
            out.extend(pipe.apdu(data, 0))
        if pipe._gbt is not None and pipe._gbt.open:
            raise IncompleteError("gbt", last_end, "input ended inside a general-block-transfer message "
                                                   "(last block missing)")
        fill = b"\x7e" if layer == "hdlc" else b""      # extra HDLC flags are fill, not noise
        lead = first if data[:first].strip(fill) else 0
        tail = len(data) - last_end if data[last_end:].strip(fill) else 0
        if not (lead or tail):
            return out
        return note_extra_bytes(out, self.name, leading=lead, first=first, trailing=tail, last_end=last_end)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        from .inspect import build_inspection
        return build_inspection(self, data, keys, profile)

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None,
               **options: Any) -> bytes:
        """HDLC frame(s); ``options``: ``invocation_counter``, ``security_control``,
        ``system_title`` (see :func:`smartmeter_codecs.dlms.encode.encode_reading`)."""
        from .encode import encode_reading
        return encode_reading(reading, profile=profile, keys=keys, **options)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None,
               placer: Placer | None = None) -> DlmsStream:
        return DlmsStream(keys, self._profile(profile), self._templates, placer)


CODEC = DlmsCodec()
