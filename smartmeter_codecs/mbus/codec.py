"""The ``mbus`` (wired, EN 13757-2/-3) and ``wmbus`` (wireless, EN 13757-4) codecs.

Both share the EN 13757-3 application layer (:mod:`.application`, :mod:`.records`) and the
mapping to :class:`~smartmeter_codecs.model.Reading` in :mod:`.reading`.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from .._extra_bytes import note_extra_bytes
from ..errors import ChecksumError, DecodeError, UnsupportedError
from ..inspection import Inspection
from ..keys import KeysArg, authentication_required
from ..model import Reading
from ..zones import Placer
from . import link as _link
from . import template as _template
from . import wireless as _wireless
from .application import Prepared as _Prepared
from .application import (
    Telegram,
    _address,
    _records_part,
    is_dlms_ci,
    parse_application,
    pick_key,
    pick_keys,
    prepare_application,
)
from .compact import COMPACT_CIS, FormatStore
from .inspect import inspect_wired, inspect_wireless
from .reading import build_frame, telegrams_to_reading

__all__ = ["CODEC", "MAX_TELEGRAMS", "WMBUS_CODEC", "MBusCodec", "MBusStream", "WMBusCodec", "WMBusDecoder"]

log = logging.getLogger(__name__)

#: At most this many telegrams are joined into one multi-telegram reading (wmbusmeters caps
#: its REQ_UD2 repeat loop at 10; we allow a little more before flushing).
MAX_TELEGRAMS = 16

_DATA_CIS = {0x70, 0x72, 0x73, 0x76, 0x78, 0x79, 0x7A, 0x7B}
# what WMBusCodec.sniff calls a wM-Bus frame: these C fields (SND_NR, SND_IR, ...) and CIs
# (application headers, and the ELL I-IV and AFL headers wireless.skip_ell reads: a radio
# adapter's frame opens with ELL III, OMS Annex N.2.4)
_SNIFF_C = frozenset((0x44, 0x46, 0x08, 0x18, 0x28, 0x38, 0x06))
_SNIFF_CI = frozenset((0x72, 0x73, 0x78, 0x79, 0x7A, 0x7B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90))


def _same_sender(a: Telegram | _Templated, b: Telegram | _Templated, a_link: int | None, b_link: int | None) -> bool:
    if a.address is not None and b.address is not None:
        return (a.address.ident, a.address.manufacturer) == (b.address.ident, b.address.manufacturer)
    return a_link == b_link


class _Templated:
    """A stream frame whose layout a template knows (issue 16): its Reading comes from the
    template when it stands alone; its Telegram is parsed only when it joins a multi-telegram
    sequence. Plain frames only (no keys, CI 72/78/7A, mode 0), so parsing it later is the
    same as parsing it now (its format was already learned when it arrived)."""

    __slots__ = ("_sender", "frame", "template")

    def __init__(self, template: _template.Template, frame: _link.LinkFrame) -> None:
        self.template = template
        self.frame = frame
        self._sender: Any = self     # not computed yet

    @property
    def address(self) -> Any:
        """The sender's Address as parse_application gives it (only a joiner asks)."""
        if self._sender is self:
            h = self.frame.data
            # wired short/no header: no address (the sender is the link address)
            self._sender = _address(h[4:6] + h[0:4] + h[6:8]) if self.template.ci == 0x72 else None
        return self._sender

    @property
    def more_records_follow(self) -> bool:
        return self.template.more

    def telegram(self) -> Telegram:
        f = self.frame
        return parse_application(f.ci or 0, f.data, f.start + 7)


class _Joiner:
    """Collects telegrams of a multi-telegram sequence (DIF 1F = more records follow)."""

    def __init__(self, fmt: str, placer: Placer | None = None) -> None:
        self.fmt = fmt
        self.placer = placer        # places the timestamps of the Readings it gives (zones.Placer)
        # (telegram, link address, the frame when its layout may be learned as a template)
        self.pending: list[tuple[Telegram | _Templated, int | None, _link.LinkFrame | None]] = []

    def add(self, tg: Telegram | _Templated, link_address: int | None,
            frame: _link.LinkFrame | None = None) -> list[Reading]:
        out: list[Reading] = []
        if self.pending and not _same_sender(self.pending[-1][0], tg, self.pending[-1][1], link_address):
            out += self.flush()
        self.pending.append((tg, link_address, frame))
        if not tg.more_records_follow or len(self.pending) >= MAX_TELEGRAMS:
            out += self.flush()
        return out

    def flush(self) -> list[Reading]:
        if not self.pending:
            return []
        pending, self.pending = self.pending, []
        if len(pending) == 1:
            tg, _, frame = pending[0]
            if isinstance(tg, _Templated):
                return [tg.template.reading(tg.frame.data, self.placer)]
            reading = telegrams_to_reading([tg], self.fmt)
            if frame is not None:       # learned from the Reading as decoded, before placing
                _template.learn(frame.ci, frame.ci, frame.data, frame.start + 7, tg, reading, self.fmt)
            return [_placed(reading, self.placer)]
        tgs = [t.telegram() if isinstance(t, _Templated) else t for t, _, _ in pending]
        return [_placed(telegrams_to_reading(tgs, self.fmt), self.placer)]


def _placed(reading: Reading, placer: Placer | None) -> Reading:
    """A Reading of the full path with its timestamp placed (a copy, as api.finish would make;
    the template paths place while they build)."""
    return reading if placer is None else placer.localise(reading)


def _unknown_format(err: DecodeError) -> bool:
    """A compact frame whose format signature the decoder does not know (yet)."""
    return isinstance(err, UnsupportedError) and "format_signature" in (err.recognised or {})


def _decode_in_order(items: list[Any], decode: object) -> list[Telegram]:
    """Decode frames in order with one FormatStore behind ``decode``; a compact frame whose
    format only a LATER full frame of the same input teaches is retried at the end (one input
    is one capture: its full frames document its compact ones). Other errors raise at once."""
    results: list[Telegram | DecodeError] = []
    for item in items:
        try:
            results.append(decode(item))  # type: ignore[operator]
        except DecodeError as err:
            if not _unknown_format(err):
                raise
            results.append(err)
    for i, res in enumerate(results):
        if isinstance(res, DecodeError):
            results[i] = decode(items[i])  # type: ignore[operator]  # raises if still unknown
    return results  # type: ignore[return-value]


def _check_direction(frame: _link.LinkFrame) -> None:
    """Master->slave long frames (SND_UD, C bit 6 set) carry commands, not meter data.

    Exception: the data-response CIs (72/76/78/7A/73), which some meters push as SND_UD.
    """
    if frame.from_master and frame.ci not in _DATA_CIS and not is_dlms_ci(frame.ci):
        raise UnsupportedError("mbus-app", frame.start + 4,
                               f"master->slave frame (C=0x{frame.c:02X}, CI 0x{frame.ci:02X}): a request to a "
                               "meter, not a meter response (EN 13757-2 5.5)", {"c": frame.c, "ci": frame.ci})


def _frame_span(data: bytes) -> tuple[int, int]:
    """Where the frames of a message are, allowing noise before the first long frame and after
    the last one (issue 9 item 3): a checksum-valid frame followed by line noise decodes, and
    the noise is noted in ``quality``. The whole input when that is not the case (a corrupt
    or truncated frame, garbage between frames): the strict split then says what is wrong."""
    items = _link.LinkFrameSplitter().feed(data)
    if any(isinstance(i, ChecksumError) for i in items):
        return 0, len(data)
    frames = [i for i in items if isinstance(i, _link.LinkFrame)]
    longs = [k for k, f in enumerate(frames) if f.kind in ("long", "control")]
    if not longs:
        return 0, len(data)
    lo, hi = longs[0], longs[-1]
    if any(frames[k + 1].start != frames[k].end for k in range(lo, hi)):
        return 0, len(data)
    # ACK and short frames right before or after the long frames belong to the exchange
    while lo > 0 and frames[lo - 1].end == frames[lo].start:
        lo -= 1
    while hi + 1 < len(frames) and frames[hi + 1].start == frames[hi].end:
        hi += 1
    return frames[lo].start, frames[hi].end


class MBusCodec:
    """Wired M-Bus (EN 13757-2 link layer, EN 13757-3 application layer)."""

    name = "mbus"
    description = "Wired M-Bus EN 13757-2/-3 telegrams (sub-meters, heat/water meters)"
    # decode_all/stream take placer=: type F/I date-times are local time without an offset,
    # and the template paths build their Readings with it placed (no copy after decoding)
    places_timestamps = True

    def sniff(self, data: bytes) -> int:
        """Confidence that ``data`` is wired M-Bus; 0 for DLMS transport CIs (format "dlms")."""
        if not data:
            return 0
        n = len(data)
        length = data[1] if n > 1 else 0
        if n >= 9 and data[0] == 0x68 and data[3] == 0x68 and data[2] == length and length >= 3 \
                and n >= length + 6 and data[length + 5] == 0x16 and sum(data[4:length + 4]) & 0xFF == data[length + 4]:
            # a valid long or control frame, what parse_frame below accepts first (without
            # building its LinkFrame: issue 16, autodetection asks this on every input)
            code = data[6]
            return 0 if is_dlms_ci(code) else (90 if code in _DATA_CIS else 40)
        if data[0] not in (0x68, 0x10, 0xE5):
            return 0        # no M-Bus frame start: what parse_frame rejects first (without raising)
        try:
            frame = _link.parse_frame(data, 0)
        except DecodeError:
            if data[0] == 0x68 and len(data) >= 4 and data[3] == 0x68 and data[1] == data[2]:
                ci = data[6] if len(data) > 6 else None
                return 0 if is_dlms_ci(ci) else 20
            return 0
        if frame.kind == "ack":
            return 5 if len(data) == 1 else 0
        if frame.kind == "short":
            return 60
        if is_dlms_ci(frame.ci):
            return 0
        return 90 if frame.ci in _DATA_CIS else 40

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None,
                   placer: Placer | None = None) -> list[Reading]:
        """Every Reading of consecutive M-Bus frames; multi-telegram sequences are joined.
        With a ``placer`` (zones.Placer), naive timestamps come placed in their zone.

        Raises DecodeError subclasses: FramingError/ChecksumError/IncompleteError (link),
        ApplicationError (CI 0x70), UnsupportedError (e.g. DLMS transport CI), FramingError
        from the records layer.
        """
        data = bytes(data)
        if keys is None:
            # a frame of a layout decoded before: the template's Reading (issue 16); anything
            # unusual returns None and takes the full path below
            fast = _template.decode_wired(data, placer)
            if fast is not None:
                return [fast]
        first, last_end = _frame_span(data)
        frames = _link.split_frames(data[first:last_end])
        if first:
            frames = [_link._shift(f, first) for f in frames]
        joiner = _Joiner(self.name)
        out: list[Reading] = []
        wanted = []
        for frame in frames:
            if frame.kind in ("ack", "short") or (frame.kind == "control" and not frame.data and frame.ci != 0x70):
                log.debug("M-Bus %s frame at byte %d carries no reading", frame.kind, frame.start)
                continue
            _check_direction(frame)
            wanted.append(frame)
        # compact frames (CI 73/79/7B) use formats of this input's full frames; without one in
        # the input nothing would ever read the store, so no full frame pays for learning its
        # format (issue 16: splitting and signing the records was a tenth of a wired decode)
        formats = FormatStore() if any(f.ci in COMPACT_CIS for f in wanted) else None
        tgs = _decode_in_order(wanted, lambda f: parse_application(f.ci or 0, f.data, f.start + 7, keys=keys,
                                                                   formats=formats))
        for frame, tg in zip(wanted, tgs):
            out += joiner.add(tg, frame.a)
        out += joiner.flush()
        if keys is None and len(frames) == 1 and len(wanted) == 1 and len(out) == 1 and not first \
                and last_end == len(data):
            _template.learn(wanted[0].ci, wanted[0].ci, wanted[0].data, wanted[0].start + 7, tgs[0], out[0], self.name)
        out = [_placed(r, placer) for r in out]     # after learning, which compares the Reading as decoded
        return note_extra_bytes(out, self.name, leading=first, first=first, trailing=len(data) - last_end,
                                last_end=last_end)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """Layer tree: link frame fields, data header, each record's DIF/DIFE/VIF/VIFE/data."""
        return inspect_wired(bytes(data), keys, self.name, self.decode_all)

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A RSP_UD long frame (C=08; CI 0x72, 0x73, 0x78 or 0x7A as the reading's header was)
        carrying the reading's registers/fields."""
        return build_frame(reading)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None,
               placer: Placer | None = None) -> MBusStream:
        """A stream decoder built on :class:`~smartmeter_codecs.mbus.link.LinkFrameSplitter`."""
        return MBusStream(keys=keys, placer=placer)


class MBusStream:
    """Sans-I/O wired M-Bus stream: frames -> Readings (multi-telegram sequences joined).

    Frames with a DLMS transport CI (0x00-0x1F) are skipped silently (debug log): they belong
    to the ``dlms`` format. ACK, short and control frames carry no reading and are skipped.
    A telegram announcing more records (DIF 1F) is held until its sequence ends.
    """

    def __init__(self, *, keys: KeysArg = None, placer: Placer | None = None) -> None:
        self._keys = keys
        self._placer = placer
        self._splitter = _link.LinkFrameSplitter(allow_16bit_length=True)
        self._joiner = _Joiner("mbus", placer)
        self.formats = FormatStore()   # compact-frame formats learned from this stream's full frames

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        out: list[Reading | DecodeError] = []
        for item in self._splitter.feed(bytes(data)):
            if isinstance(item, DecodeError):
                out.append(item)
                continue
            if item.kind in ("ack", "short") or (item.kind == "control" and item.ci != 0x70):
                log.debug("M-Bus %s frame at stream byte %d skipped", item.kind, item.start)
                continue
            if is_dlms_ci(item.ci):
                log.debug("M-Bus frame at stream byte %d has DLMS transport CI 0x%02X: skipped", item.start, item.ci)
                continue
            plain = self._keys is None
            if plain and item.kind == "long":
                # a layout seen before (issue 16): the template gives the Reading, and the
                # format a compact frame may use later is learned as parse_application would
                t = _template.find(item.ci, item.data)
                if t is not None and t.fmt == "mbus":
                    if t.learned is not None:
                        self.formats.remember(*t.learned)
                    if not t.more and not self._joiner.pending:
                        out.append(t.reading(item.data, self._placer))   # what the joiner would give at once
                    else:
                        out += self._joiner.add(_Templated(t, item), item.a)
                    continue
            try:
                _check_direction(item)
                tg = parse_application(item.ci or 0, item.data, item.start + 7, keys=self._keys,
                                       formats=self.formats)
            except DecodeError as err:
                out.append(err)
                continue
            out += self._joiner.add(tg, item.a, item if plain else None)
        return out


class WMBusCodec:
    """Wireless M-Bus (EN 13757-4 link layer; EN 13757-3 application layer, AES mode 5)."""

    name = "wmbus"
    description = "Wireless M-Bus EN 13757-4 frames (format A/B, AES mode 5)"
    places_timestamps = True    # decode_all takes placer= (see MBusCodec)

    def sniff(self, data: bytes) -> int:
        """wM-Bus frames have no start byte: certain (90) only where a DLL CRC proves the frame
        (format A's first block, format B's CRCs), low (15) for a CRC-less frame whose length,
        C and CI fields fit; pass format="wmbus" to skip autodetection."""
        n = len(data)
        if n < 12:
            return 0
        # C is the frame's second byte and CI its 11th (13th after format A's first CRC): when
        # neither could be one of ours, the answer is 0 without the CRC work below (most
        # inputs autodetection shows this sniffer are not wM-Bus: issue 16)
        if data[1] not in _SNIFF_C or (data[10] not in _SNIFF_CI and (n < 13 or data[12] not in _SNIFF_CI)):
            return 0
        if data[0] in (0x68, 0x10, 0xE5):
            try:
                _link.parse_frame(data)
                return 0  # a valid wired frame
            except DecodeError:
                pass
        length = data[0]
        if length >= 10 and n == 1 + length + 2 * (1 + (length + 6) // 16):
            # format A (EN 13757-4 B.2.2): a 10-byte first block, then 16-byte blocks, each with
            # its CRC. The first block's CRC and the exact length are proof enough (a chance
            # match is about 1 in 10^8 with the C and CI checks); a later block's CRC that
            # fails is the decoder's ChecksumError, a better answer than "unknown format"
            if data[12] in _SNIFF_CI and _wireless.crc_ok(data, 0, 10):
                return 90
            return 0
        if n != length + 1 or data[10] not in _SNIFF_CI:
            return 0
        # format B (one CRC at the end, or two past 128 bytes), else a frame whose CRCs the
        # receiver removed: plausible only (no check value)
        return 90 if _wireless.strip_b(data) is not None else 15

    def _frames(self, data: bytes) -> list[tuple[bytes, int]]:
        """Split concatenated frames: one frame, or several CRC-less frames back to back."""
        try:
            _wireless.strip_dll(data)
            return [(data, 0)]
        except DecodeError:
            out = []
            pos = 0
            while pos < len(data):
                size = data[pos] + 1
                if size < 12 or pos + size > len(data):
                    raise
                out.append((data[pos:pos + size], pos))
                pos += size
            return out

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None,
                   placer: Placer | None = None) -> list[Reading]:
        """Every Reading of one (or several CRC-less, concatenated) wM-Bus frames.

        Compact frames (CI 0x79/0x7B/0x73) decode when their format is documented
        (:data:`~.compact.KNOWN_FORMATS`) or a full frame with that format is in the same input;
        to carry formats across calls, use :class:`WMBusDecoder`.

        A frame whose DLL CRCs (format A or B) check out, followed by bytes that are not part
        of it, decodes, and ``quality`` names the trailing bytes (issue 9 item 3). Without
        CRCs the end of a frame is only its L field, so extra bytes stay an error there.
        """
        data = bytes(data)
        try:
            return WMBusDecoder(keys=keys).decode_all(data, placer=placer)
        except DecodeError:
            end = _crc_frame_end(data)
            if end is None:
                raise
        return note_extra_bytes(WMBusDecoder(keys=keys).decode_all(data[:end], placer=placer), self.name,
                                trailing=len(data) - end, last_end=end)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        return inspect_wireless(bytes(data), keys, self.name, self.decode_all)

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A format A frame without CRCs (C=44 SND_NR, CI=72 long header)."""
        wired = build_frame(reading, long_header=True)
        frame = _link.parse_frame(wired)
        header, records = frame.data[:12], frame.data[12:]
        address_raw = header[4:6] + header[0:4] + header[6:8]
        return _wireless.build_wireless(0x44, address_raw, 0x72, header + records)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None, placer: Placer | None = None) -> None:
        """None: wM-Bus frames have no start byte; feed whole frames to decode_all()."""
        return


class WMBusDecoder:
    """A wM-Bus decoder that remembers compact-frame formats across frames (sans-I/O).

    Kamstrup Omnipower, MULTICAL and other meters alternate full frames (CI 0x78/0x7A/0x72)
    with compact ones (CI 0x79/0x7B/0x73) that carry only the values and a format signature.
    Hold one decoder per receiver and give it every frame: each full frame teaches its format
    (in :attr:`formats`, a bounded :class:`~.compact.FormatStore`), later compact frames with
    that signature decode; an unknown signature raises :class:`UnsupportedError` naming it
    (``err.recognised["format_signature"]``). No I/O and no global state: two decoders never
    share formats.

    >>> dec = WMBusDecoder(keys=smc.Keys(encryption_key=key))   # doctest: +SKIP
    >>> reading = dec.decode(frame)                               # doctest: +SKIP
    """

    def __init__(self, *, keys: KeysArg = None, formats: FormatStore | None = None) -> None:
        self.keys = keys
        self.formats = formats if formats is not None else FormatStore()

    def telegram(self, frame: bytes, base: int = 0) -> Telegram:
        """The application-layer telegram of one frame (learns/uses formats)."""
        return decode_wireless_telegram(bytes(frame), self.keys, base, formats=self.formats)

    def decode(self, frame: bytes | str) -> Reading:
        """The Reading of one wM-Bus frame (bytes or hex text), plausibility-screened."""
        from ..api import to_bytes
        from ..plausibility import screen
        return screen(telegrams_to_reading([self.telegram(to_bytes(frame))], "wmbus"))

    def decode_all(self, data: bytes, *, placer: Placer | None = None) -> list[Reading]:
        """Every Reading of one or several concatenated CRC-less frames (as the codec's
        ``decode_all``; a compact frame may use a full frame that comes later in ``data``).
        With a ``placer`` (zones.Placer), naive timestamps come placed in their zone."""
        data = bytes(data)
        try:
            single = _wireless.parse_wireless(data)
        except DecodeError:
            single = None       # several CRC-less frames, or an error the loop below raises
        if single is not None:
            # one frame (what _frames gives when its DLL checks out): prepared once; a layout
            # decoded before reads through its template (issue 16), others parse their records
            pre, start, ell_decrypted = _prepare_wireless(single, data, self.keys)
            shape = self._template_shape(pre, ell_decrypted)
            body = b""
            if shape is not None:
                assert isinstance(pre, _Prepared)
                body = single.body[2:10] + pre.data[:pre.payload_at] + pre.payload
                t = _template.find(shape, body)
                if t is not None and t.fmt == "wmbus":
                    if t.learned is not None:
                        self.formats.remember(*t.learned)
                    return [t.reading(body, placer)]
            tg = _finish_wireless(pre, start, self.keys, self.formats, ell_decrypted)
            reading = telegrams_to_reading([tg], "wmbus")
            if shape is not None:
                _template.learn(shape, pre.ci, body, start, tg, reading, "wmbus", prefix=8)
            return [_placed(reading, placer)]
        chunks = WMBUS_CODEC._frames(data)
        tgs = _decode_in_order(chunks, lambda c: self.telegram(c[0], c[1]))
        joiner = _Joiner("wmbus", placer)
        out: list[Reading] = []
        for tg in tgs:
            out += joiner.add(tg, None)
        out += joiner.flush()
        return out

    def _template_shape(self, pre: _Prepared | Telegram, ell_decrypted: bool) -> Any:
        """The template store key of a prepared frame whose layout a template may read, else None."""
        if isinstance(pre, Telegram) or pre.ci not in (0x72, 0x78, 0x7A) or pre.compact or pre.msb_first \
                or pre.decrypted_by_receiver or pre.authenticated is not None or (pre.encrypted and not pre.decrypted):
            return None
        if self.keys is not None and authentication_required(self.keys, pick_keys(self.keys, pre.address)):
            return None     # the records part says why this telegram is refused
        return _template.wireless_shape(pre.ci, pre.decrypted or ell_decrypted)


def _crc_frame_end(data: bytes) -> int | None:
    """Length of a wM-Bus frame with valid DLL CRCs (EN 13757-4 format A: a CRC after the
    first 10 bytes and after every 16 more; format B: L counts the CRCs) at the start of
    ``data`` when more bytes follow it, else None."""
    if len(data) < 12:
        return None
    length = data[0]
    ends = [length + 1]                                             # format B
    if length >= 10:
        ends.append(1 + length + 2 * (1 + (length - 9 + 15) // 16))   # format A
    for end in ends:
        if end < len(data):
            try:
                if _wireless.strip_dll(data[:end])[1] in ("A", "B"):
                    return end
            except DecodeError:
                continue
    return None


def decode_wireless_telegram(data: bytes, keys: KeysArg, base: int = 0, *,
                             formats: FormatStore | None = None) -> Telegram:
    """Link layer + (unencrypted) ELL + application layer of one wM-Bus frame."""
    pre, start, ell_decrypted = _prepare_wireless(_wireless.parse_wireless(data), data, keys, base)
    return _finish_wireless(pre, start, keys, formats, ell_decrypted)


def _prepare_wireless(frame: _wireless.WirelessFrame, data: bytes, keys: KeysArg,
                      base: int = 0) -> tuple[_Prepared | Telegram, int, bool]:
    """The first half of :func:`decode_wireless_telegram`: ELL/AFL, data header, decryption.
    Returns (prepared application data, input offset of the application data, ELL decrypted)."""
    key = pick_key(keys, frame.address)
    afl: list[_wireless.AflHeader] = []
    ci, pos, body, ell_decrypted = _wireless.skip_ell(frame.body, 10, key, afl)
    app_data = body[pos:]
    # record offsets are offsets in the CRC-free body mapped from its first byte
    start = base + (frame.positions[pos] if pos < len(frame.positions) else len(data))
    pre = prepare_application(ci, app_data, start, link_address=frame.address, keys=keys,
                              afl=afl[-1] if afl else None)
    return pre, start, ell_decrypted


def _finish_wireless(pre: _Prepared | Telegram, start: int, keys: KeysArg, formats: FormatStore | None,
                     ell_decrypted: bool) -> Telegram:
    """The second half of :func:`decode_wireless_telegram`: the records."""
    tg = pre if isinstance(pre, Telegram) else _records_part(pre, start, keys, formats)
    return dataclasses.replace(tg, decrypted=True) if ell_decrypted else tg


CODEC = MBusCodec()
WMBUS_CODEC = WMBusCodec()

