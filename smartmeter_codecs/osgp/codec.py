"""The ``osgp-mep`` and ``osgp-optical`` formats: codec objects and stream splitters.

Input of ``decode``/``decode_all``/``inspect`` is a captured conversation: MEP frames (or
optical packets and ACK/NAK bytes) back to back, in the order they crossed the wire. Each
answer is paired with the request before it (a C12.18 answer does not name its table);
``decode_all`` gives one Reading per successful table read, ``decode`` the last one. A lone
answer needs its request as context: :func:`smartmeter_codecs.osgp.decode_response`.

Keys: the MEP key in ``Keys(authentication_key=...)`` (``encryption_key`` is tried second, as
the meter tries its MAK then its MBK). Without a key nothing is verified and Readings say
``authenticated=False``; RC4-encrypted frames then raise KeyRequiredError.
"""
from __future__ import annotations

import logging
from typing import Any

from ..errors import ChecksumError, DecodeError, FramingError, IncompleteError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from ..model import Reading
from .c1218 import TableRequest, parse_request, parse_response
from .conversation import MepConversation, OpticalConversation
from .mapping import FORMAT_MEP, FORMAT_OPTICAL
from .mep import classify, key_candidates, next_frame, open_request, open_response, parse_tls
from .optical import ACK, NAK, STP, parse_packet
from .tables import table_name

__all__ = [
    "CODEC",
    "MAX_OPTICAL_PACKET",
    "OPTICAL_CODEC",
    "MepCodec",
    "MepStream",
    "OpticalCodec",
    "OpticalStream",
]

log = logging.getLogger(__name__)

MAX_OPTICAL_PACKET = 8192
_WAKE = 0x55               # optical wake-up bytes some readers send before the first packet


def _no_profile(profile: str | None) -> None:
    if profile is not None:
        raise ValueError(f"the OSGP formats have no profiles (got {profile!r}); pass profile=None")


def _finish(readings: list[Reading], conv: Any) -> list[Reading]:
    if not readings and conv.answers_failed:
        raise conv.answers_failed[-1]
    return readings


class MepCodec:
    """NES/OSGP MEP port conversations <-> Readings (format ``"osgp-mep"``)."""

    name = FORMAT_MEP
    description = ("NES/Echelon OSGP meters' MEP port (Denmark): C12.18 over MEP with OMA digest, RC4 "
                   "or TLS-PSK; C12.19 tables")
    # a 2-byte length and no checksum: without a key any bytes can read as a message, so a
    # stream that detects its format does not listen for MEP unless keys are given (fuzzing
    # found P1 telegrams lost to a MEP "Reading" made of their own bytes)
    stream_needs_key_to_detect = True

    def sniff(self, data: bytes) -> int:
        """60 for one well-formed MEP message that is the whole input, 80 for a chain of them."""
        if len(data) < 2 or ((data[0] << 8) | data[1]) + 2 > len(data):
            return 0    # what next_frame rejects first, without raising (autodetection asks every input)
        data = bytes(data)
        pos, n, real = 0, 0, 0
        try:
            while pos < len(data):
                f = next_frame(data, pos)
                if classify(f.body) == "unknown":
                    return 0
                real += 0 if f.is_alert else 1
                pos, n = f.end, n + 1
        except DecodeError:
            return 0
        if real == 0:
            return 0
        return 80 if n > 1 else 60

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        _no_profile(profile)
        data = bytes(data)
        if not data:
            raise IncompleteError(FORMAT_MEP, 0, "empty input: expected a MEP message (2-byte length first)")
        conv = MepConversation(keys)
        out: list[Reading] = []
        pos = 0
        while pos < len(data):
            f = next_frame(data, pos)
            out.extend(conv.frame(f))
            pos = f.end
        return _finish(out, conv)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        data = bytes(data)
        root = Field(FORMAT_MEP, 0, len(data))
        insp = Inspection(data, FORMAT_MEP, root)
        conv = MepConversation(keys)
        pos = 0
        try:
            _no_profile(profile)
            if not data:
                raise IncompleteError(FORMAT_MEP, 0, "empty input: expected a MEP message")
            while pos < len(data):
                f = next_frame(data, pos)
                kind = classify(f.body)
                node = root.add(kind, f.start, f.end)
                node.add("length", f.start, f.start + 2, len(f.body), "bytes after the length field (MSB first)")
                conv.kind = kind
                try:
                    insp.readings.extend(conv.frame(f))
                finally:
                    if conv.kind.startswith("tls"):
                        node.name = kind = conv.kind
                    _inspect_mep(node, f, kind, conv)
                pos = f.end
            _finish(insp.readings, conv)
        except DecodeError as err:
            insp.error = err
        except ValueError as err:
            insp.error = DecodeError(FORMAT_MEP, None, str(err))
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None,
               **options: Any) -> bytes:
        """A MEP conversation (client requests + simulated meter answers) that decodes to
        ``reading``: one ET52 transaction reading BT15, BT21, ET03, BT28, BT23 and BT52, then
        the ET53 read of its answers (DG "Table Transaction Guidelines"). Needs the MEP key in
        ``keys``; options ``encrypt=True`` (RC4) and ``present_values=`` (26..84)."""
        _no_profile(profile)
        from .simulator import encode_conversation
        cands = key_candidates(keys)
        if not cands:
            raise ValueError("encoding a MEP conversation needs the MEP key: keys=Keys(authentication_key=...)")
        return encode_conversation(reading, cands[0], **options)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> MepStream:
        _no_profile(profile)
        return MepStream(keys)


def _inspect_mep(node: Field, f: Any, kind: str, conv: MepConversation) -> None:
    body_at = f.start + 2
    if kind == "alert":
        node.description = "alert: the meter asks the client to read ET13 (DG 'Alert Sequence')"
        return
    if kind in ("tls-request", "tls-response"):
        msg = parse_tls(f, kind[4:])
        node.add("tls code", body_at, body_at + 1, f"0x{msg.code:02X}", msg.code_name)
        for r in msg.records:
            node.add("tls record", r.offset, r.offset + 5 + len(r.fragment), r.content_name,
                     f"TLS 1.{r.version - 0x301} {len(r.fragment)} bytes (decrypted by the TLS stack, not here)")
        return
    if conv.last is None:
        node.description = "not decoded (see the error)"
        return
    what, ex, resp, verified = conv.last
    node.name = what
    dpos = f.end - 8
    if what == "request":
        assert ex is not None
        msg_end = dpos - 4
        req = ex.request
        enc = " (RC4-encrypted on the wire; shown decrypted)" if ex.encrypted else ""
        m = node.add("c12.18 request", body_at, msg_end, f"0x{req.to_bytes()[0]:02X}", type(req).__name__ + enc)
        if isinstance(req, TableRequest):
            m.add("table", body_at + 1, body_at + 3, table_name(req.table), f"table id 0x{req.table:04X}")
            p = body_at + 3
            if req.offset is not None:
                m.add("offset", p, p + 3, req.offset)
                p += 3
            if req.count is not None:
                m.add("count", p, p + 2, req.count)
                p += 2
            if req.data:
                m.add("data", p, p + len(req.data), req.data)
        node.add("sequence number", msg_end, dpos, f"0x{ex.seq:08X}")
        node.add("digest", dpos, f.end, f.body[-8:], "verified" if ex.key else "not checked (no key)")
        return
    assert resp is not None
    enc = " (RC4-encrypted on the wire; shown decrypted)" if ex is not None and ex.encrypted and resp.code != 0x0B else ""
    m = node.add("c12.18 response", body_at, dpos, f"0x{resp.code:02X}", resp.meaning + enc)
    if resp.count is not None:
        m.add("count", body_at + 1, body_at + 3, resp.count)
        m.add("table data", body_at + 3, dpos, resp.data,
              f"answers {table_name(ex.request.table)}" if ex and isinstance(ex.request, TableRequest) else
              "no request before it: table unknown")
    if resp.seq is not None:
        m.add("sequence number", body_at + 1, body_at + 5, f"0x{resp.seq:08X}", "the number to continue from")
    node.add("digest", dpos, f.end, f.body[-8:], {True: "verified over request + answer",
                                                   None: "not checked (no key or no request)"}.get(verified, ""))


class MepStream:
    """Split a MEP byte stream (either or both directions) into messages and decode them.

    Length-prefixed framing has no start marker, so a candidate message is accepted only when it
    decodes; otherwise the scan moves one byte on, and one error is reported per run of bad
    bytes. With a key a message is proved by its digest, so a length field of garbage that runs
    past real messages is recognised as soon as a verified message follows; without a key such a
    garbage length delays decoding until that many bytes have arrived. A ``00 00`` that is really
    the tail of garbage plus a length byte is not taken as an alert when a message decodes one
    byte later. The buffer never holds more than one maximum message (478 bytes).
    """

    def __init__(self, keys: KeysArg = None) -> None:
        self._conv = MepConversation(keys)
        self._buf = b""
        self._base = 0
        self._in_garbage = False

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        out: list[Reading | DecodeError] = []
        buf = self._buf + bytes(data)
        pos = 0
        while len(buf) - pos >= 2:
            try:
                f = next_frame(buf, pos)
            except IncompleteError:
                # a length that runs past the buffer may be garbage in front of real messages:
                # with a key, a complete message whose digest verifies further on proves it
                q = self._verified_after(buf, pos)
                if q is None:
                    break
                self._garbage(out, FramingError(FORMAT_MEP, pos, "bytes before a verified MEP message (their "
                                                "length field runs past it)"), pos)
                pos = q
                continue
            except FramingError as err:
                self._garbage(out, err, pos)
                pos += 1
                continue
            if f.is_alert:
                # inside a run of bad bytes, or when a message decodes one byte later, a 00 00 is
                # not the meter's alert but zeros of garbage/length bytes
                later = True if self._in_garbage else self._next_decodes(buf, pos + 1)
                if later is None:
                    break       # the message one byte on is not all here: decide when it is
                pos += 1 if later else 2
                continue
            if self._conv.keys and classify(f.body).startswith("tls"):
                # a TLS-mode frame cannot be proved with the digest key (TLS_TERMINATE 0x57 takes
                # any data), so it must not swallow a message that can: garbage plus a length
                # byte in front of a real request reads as one
                q = self._verified_after(buf, pos)
                if q is not None and q < f.end:
                    self._garbage(out, FramingError(FORMAT_MEP, pos, "bytes before a verified MEP message "
                                                    "(they read as a TLS frame that runs over it)"), pos)
                    pos = q
                    continue
            try:
                items = self._conv.frame(f)
                if not self._proved():
                    raise FramingError(FORMAT_MEP, pos, "an answer with no request before it cannot be "
                                       "checked with the key: not taken as a message")
            except DecodeError as err:
                # a damaged message, or garbage that looked like one: report once, rescan
                # from the next byte (a real message inside is found; with a key nothing false is)
                self._garbage(out, err, pos)
                pos += 1
                continue
            self._in_garbage = False
            out.extend(items)
            out.extend(e for e in self._conv.answers_failed if e.code != 0x0C)
            self._conv.answers_failed.clear()
            pos = f.end
        self._buf = buf[pos:]
        self._base += pos
        return out

    def _proved(self) -> bool:
        """With a key, only a message whose digest verified (or a 0x0B answer to a pending
        request, which carries none) counts as a message."""
        last = self._conv.last
        if not self._conv.keys or last is None:
            return True
        kind, ex, resp, verified = last
        if kind == "request":
            return ex is not None and ex.key is not None
        return verified is True or (ex is not None and resp is not None and resp.code == 0x0B)

    def _verified_after(self, buf: bytes, pos: int) -> int | None:
        if not self._conv.keys:
            return None
        for q in range(pos + 1, len(buf) - 1):
            try:
                f = next_frame(buf, q)
            except DecodeError:
                continue
            if f.is_alert or len(f.body) < 9:
                continue
            try:
                ex = open_request(f, self._conv.keys)
                if ex.key is not None:
                    return q
            except DecodeError:
                pass
            if self._conv.pending is not None:
                try:
                    if open_response(f, self._conv.pending)[1] is True:
                        return q
                except DecodeError:
                    pass
        return None

    def _next_decodes(self, buf: bytes, pos: int) -> bool | None:
        """Whether a message decodes at ``pos``; ``None`` while its bytes are not all here (the
        answer must not depend on where the stream was cut into chunks)."""
        try:
            f = next_frame(buf, pos)
        except IncompleteError:     # next_frame already refuses lengths above the MEP maximum
            return None
        except DecodeError:
            return False
        if f.is_alert:
            return False
        kind = classify(f.body)
        try:
            if kind in ("request", "unknown"):
                open_request(f, self._conv.keys)
                return True
            if kind == "response":
                open_response(f, self._conv.pending)
                return True
            return kind in ("tls-request", "tls-response")
        except DecodeError:
            return False

    def _garbage(self, out: list[Reading | DecodeError], err: DecodeError, pos: int) -> None:
        if not self._in_garbage:
            out.append(err.shifted(self._base, f"stream byte {self._base + pos}: resynchronising"))
            self._in_garbage = True


class OpticalCodec:
    """NES/OSGP optical port (ANSI C12.18) conversations <-> Readings (format ``"osgp-optical"``)."""

    name = FORMAT_OPTICAL
    description = "NES/Echelon OSGP meters' optical port: ANSI C12.18 packets (CRC-16), C12.19 tables"

    def sniff(self, data: bytes) -> int:
        """95 when the input starts (after ACK/NAK/wake-up bytes) with a C12.18 packet whose CRC holds."""
        data = bytes(data)
        pos = 0
        while pos < len(data) and data[pos] in (ACK, NAK, _WAKE):
            pos += 1
        if pos >= len(data) or data[pos] != STP:
            return 0
        try:
            parse_packet(data, pos)
        except DecodeError:
            return 0
        return 95

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        _no_profile(profile)
        data = bytes(data)
        if not data:
            raise IncompleteError(FORMAT_OPTICAL, 0, "empty input: expected a C12.18 packet (0xEE first)")
        conv = OpticalConversation()
        out: list[Reading] = []
        pos = 0
        while pos < len(data):
            if data[pos] in (ACK, NAK, _WAKE):
                pos += 1
                continue
            p = parse_packet(data, pos)
            out.extend(conv.packet(p))
            pos = p.end
        return _finish(out, conv)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        data = bytes(data)
        root = Field(FORMAT_OPTICAL, 0, len(data))
        insp = Inspection(data, FORMAT_OPTICAL, root)
        conv = OpticalConversation()
        pos = 0
        try:
            _no_profile(profile)
            while pos < len(data):
                b = data[pos]
                if b in (ACK, NAK, _WAKE):
                    root.add({ACK: "ack", NAK: "nak", _WAKE: "wake-up"}[b], pos, pos + 1, f"0x{b:02X}")
                    pos += 1
                    continue
                p = parse_packet(data, pos)
                node = root.add("packet", p.start, p.end)
                node.add("stp", p.start, p.start + 1, "0xEE")
                node.add("identity", p.start + 1, p.start + 2, p.identity)
                node.add("control", p.start + 2, p.start + 3, f"0x{p.control:02X}",
                         f"toggle={int(p.toggle)} multi={int(p.multi)} first={int(p.first)}")
                node.add("sequence", p.start + 3, p.start + 4, p.seq, "packets still to come")
                node.add("length", p.start + 4, p.start + 6, len(p.data))
                d0 = p.start + 6
                if p.data:
                    if p.data[0] >= 0x20:
                        req = parse_request(p.data, mep=False, base=d0)
                        node.add("c12.18 request", d0, d0 + len(p.data), f"0x{p.data[0]:02X}",
                                 f"{type(req).__name__}" + (f" {table_name(req.table)}" if isinstance(req, TableRequest) else ""))
                    else:
                        resp = parse_response(p.data, request=conv.pending, mep=False, base=d0)
                        node.add("c12.18 response", d0, d0 + len(p.data), f"0x{resp.code:02X}", resp.meaning)
                node.add("crc", p.end - 2, p.end, data[p.end - 2:p.end].hex(), "CRC-16/X-25, low byte first: ok")
                insp.readings.extend(conv.packet(p))
                pos = p.end
            _finish(insp.readings, conv)
        except DecodeError as err:
            insp.error = err
        except ValueError as err:
            insp.error = DecodeError(FORMAT_OPTICAL, None, str(err))
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None,
               **options: Any) -> bytes:
        """An optical session that decodes to ``reading``: ident, negotiate, logon, security,
        reads of BT21 and ET03, BT28, BT23, BT52, logoff, terminate, each packet ACKed. The
        decoded Readings are one per read: their union carries the values."""
        _no_profile(profile)
        from .simulator import encode_optical_session
        password = options.pop("password", b"")
        return encode_optical_session(reading, password=password, **options)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> OpticalStream:
        _no_profile(profile)
        return OpticalStream()


class OpticalStream:
    """Split an optical-port byte stream into C12.18 packets (0xEE start, CRC); ACK/NAK and
    wake-up bytes are skipped, other bytes before a packet are reported once per run; a CRC
    error is reported and the scan restarts one byte after the broken packet's start."""

    def __init__(self) -> None:
        self._conv = OpticalConversation()
        self._buf = b""
        self._base = 0
        self._in_garbage = False

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        out: list[Reading | DecodeError] = []
        buf = self._buf + bytes(data)
        pos = 0
        while pos < len(buf):
            b = buf[pos]
            if b != STP:
                if b not in (ACK, NAK, _WAKE) and not self._in_garbage:
                    out.append(FramingError("c12.18-optical", self._base + pos,
                                            f"0x{b:02X} outside a C12.18 packet (expected 0xEE, ACK or NAK)"))
                    self._in_garbage = True
                pos += 1
                continue
            try:
                p = parse_packet(buf, pos)
            except IncompleteError:
                if len(buf) - pos > MAX_OPTICAL_PACKET:
                    pos += 1
                    continue
                break
            except DecodeError as err:
                # a CRC error proves a packet only when its header is one: identity 0 and the
                # reserved control bits 2-4 clear (C12.18 layer 2); else it is a stray 0xEE
                if isinstance(err, ChecksumError) and buf[pos + 1] == 0 and not buf[pos + 2] & 0x1C:
                    out.append(err.shifted(self._base))
                    self._in_garbage = False
                elif not self._in_garbage:
                    out.append(FramingError("c12.18-optical", self._base + pos,
                                            f"0xEE at stream byte {self._base + pos} does not start a valid packet"))
                    self._in_garbage = True
                pos += 1
                continue
            self._in_garbage = False
            try:
                out.extend(self._conv.packet(p))
            except DecodeError as err:
                out.append(err.shifted(self._base))
            out.extend(self._conv.answers_failed)
            self._conv.answers_failed.clear()
            pos = p.end
        self._buf = buf[pos:]
        self._base += pos
        return out


CODEC = MepCodec()
OPTICAL_CODEC = OpticalCodec()
