"""The ``sml`` format: codec object ``CODEC``, the stream decoder :class:`SmlStream`, encoding."""
from __future__ import annotations

import logging

from ..errors import ApplicationError, DecodeError, FramingError
from ..inspection import Inspection
from ..keys import KeysArg
from ..model import Reading
from . import transport as _t
from .mapping import (
    FORMAT,
    Profile,
    build_server_id,
    profile_for,
    reading_entries,
    time_from_datetime,
    to_reading,
    tree_entries,
)
from .messages import (
    AttentionResponse,
    GetListResponse,
    GetProcParameterResponse,
    Message,
    OpenResponse,
    build_message,
    encode_close_response,
    encode_get_list_response,
    encode_open_response,
    parse_message,
    parse_messages,
)

__all__ = ["CODEC", "SmlCodec", "SmlFile", "SmlStream", "decode_files", "encode_reading", "parse_files"]

log = logging.getLogger(__name__)

_BARE_MESSAGE = 0x76        # TL of SML_Message: a list of 6 elements


class SmlFile:
    """One SML file: its transport frame (None for bare messages) and its messages."""

    __slots__ = ("messages", "transport")

    def __init__(self, transport: _t.TransportFile | None, messages: list[Message]) -> None:
        self.transport = transport
        self.messages = messages

    def offset(self, payload_offset: int) -> int:
        """Input offset of a payload offset."""
        return self.transport.offset_of(payload_offset) if self.transport else payload_offset


def _rebase(err: DecodeError, tf: _t.TransportFile | None) -> DecodeError:
    """Express a message-layer error offset (payload) as an input offset."""
    if tf is None or err.offset is None:
        return err
    return err.shifted(tf.offset_of(err.offset) - err.offset, f"in the SML file at byte {tf.start}")


def _messages(tf: _t.TransportFile, crc: str | None) -> list[Message]:
    try:
        return parse_messages(tf.payload, crc=crc or "auto")
    except DecodeError as err:
        raise _rebase(err, tf) from None


def parse_files(data: bytes, *, crc: str = "auto") -> list[SmlFile]:
    """Every SML file in ``data``: transport frames back to back, or bare messages.

    Raises DecodeError subclasses: FramingError/IncompleteError/ChecksumError (transport, layer
    ``"sml-transport"``), FramingError/ChecksumError (messages, ``"sml-message"``; offsets are
    input offsets), IncompleteError/FramingError from the TL layer (``"sml-tl"``).
    """
    data = bytes(data)
    if not data:
        raise FramingError(_t.LAYER, 0, "empty input: expected the SML start sequence 1B1B1B1B 01010101")
    if data[0] == _BARE_MESSAGE:
        # messages without a transport frame (SmlLib's "frame only" test data, libsml's message
        # tests): the message CRCs are the only check, so they are always verified
        return [SmlFile(None, parse_messages(data, crc=crc))]
    out = []
    pos = 0
    while pos < len(data):
        tf = _t.parse_file(data, pos, crc=crc)
        # the messages use the CRC the frame used (Holley's KERMIT frames have KERMIT messages)
        out.append(SmlFile(tf, _messages(tf, tf.crc_kind)))
        pos = tf.end
    return out


def _notes(f: SmlFile, profile: Profile) -> list[str]:
    notes = []
    tf = f.transport
    if tf is None:
        notes.append("no transport frame: only the message CRCs were checked")
    else:
        if tf.crc_kind == "kermit" and profile.crc == "auto":
            notes.append("crc: CRC-16/KERMIT instead of X.25 (Holley DTZ541 RS485 terminal variant, SmlLib #22)")
        if not tf.aligned:
            notes.append("transport: end sequence off the 4-byte grid (no padding); accepted because the CRC verified")
    return notes


def file_readings(f: SmlFile, profile: Profile) -> list[Reading]:
    """A Reading per GetList.Res (and per GetProcParameter.Res with values) of one file.

    Raises ApplicationError when the file carries no values but an Attention.Res with an error
    number (81 81 C7 C7 FE xx).
    """
    out: list[Reading] = []
    notes = _notes(f, profile)
    open_server: bytes | None = None
    attention: tuple[Message, AttentionResponse] | None = None
    for m in f.messages:
        body = m.body
        if isinstance(body, OpenResponse):
            open_server = body.server_id
        elif isinstance(body, GetListResponse):
            out.append(to_reading(body.entries, server_id=body.server_id or open_server, profile=profile,
                                  act_time=(body.act_sensor_time, body.act_gateway_time), notes=notes))
        elif isinstance(body, GetProcParameterResponse):
            entries = tree_entries(body.tree)
            if entries:
                out.append(to_reading(entries, server_id=body.server_id or open_server, profile=profile, notes=notes))
        elif isinstance(body, AttentionResponse) and body.is_error and attention is None:
            attention = (m, body)
    if not out and attention is not None:
        m, body = attention
        raise ApplicationError("sml-message", f.offset(m.start),
                               f"Attention.Res {body.attention_no.hex().upper()}: {body.meaning}"
                               + (f" ({body.message})" if body.message else ""),
                               code=int.from_bytes(body.attention_no, "big") if body.attention_no else None)
    return out


def decode_files(data: bytes, *, profile: str | None = None) -> list[Reading]:
    """Every Reading in ``data`` (see :func:`parse_files`, :func:`file_readings`)."""
    prof = profile_for(profile)
    out: list[Reading] = []
    for f in parse_files(data, crc=prof.crc):
        out += file_readings(f, prof)
    return out


class SmlCodec:
    """SML 1.04 files (German optical/IR interface) <-> Reading (format ``"sml"``)."""

    name = FORMAT
    description = ("German SML 1.04 from the optical/IR interface of modern meters (EMH, EasyMeter, DZG, Iskra, "
                   "Holley, Itron...)")

    def sniff(self, data: bytes) -> int:
        """100 for the transport start sequence (nothing else starts so); 70 for a bare SML
        message whose CRC verifies; else 0."""
        data = bytes(data)
        if data[:8] == _t.START:
            return 100
        if data[:1] == bytes((_BARE_MESSAGE,)):
            try:
                parse_message(data, 0)
                return 70
            except DecodeError:
                return 0
        return 0

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """A Reading per GetList.Res; raises DecodeError subclasses only (``profile``: see
        :data:`~smartmeter_codecs.sml.mapping.PROFILES`; an unknown name is a ValueError)."""
        return decode_files(bytes(data), profile=profile)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """Transport, message, list-entry tree with input byte offsets; never raises for bad input."""
        from .inspect import inspect_sml
        return inspect_sml(bytes(data), profile)

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """An SML file (Open.Res, GetList.Res, Close.Res) with correct CRCs (see :func:`encode_reading`)."""
        return encode_reading(reading, profile=profile)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> SmlStream:
        """A stream decoder for the IR head's byte stream (9600 8N1)."""
        return SmlStream(profile=profile)


class SmlStream:
    """Sans-I/O SML stream: transport frames (:class:`~.transport.FileSplitter`) -> Readings.

    A frame whose CRC fails, a frame cut by the next start sequence, a frame whose messages do
    not parse: each gives one DecodeError and the next frame decodes. Offsets count bytes since
    the stream started. Buffer bound: :data:`~.transport.MAX_FILE`.
    """

    def __init__(self, *, profile: str | None = None) -> None:
        self._profile = profile_for(profile)
        self._splitter = _t.FileSplitter(crc=self._profile.crc)

    @property
    def buffered(self) -> int:
        return self._splitter.buffered

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        out: list[Reading | DecodeError] = []
        for item in self._splitter.feed(bytes(data)):
            if isinstance(item, DecodeError):
                out.append(item)
                continue
            try:
                out += file_readings(SmlFile(item, _messages(item, item.crc_kind)), self._profile)
            except DecodeError as err:
                out.append(err)
        return out


# --- encoding ---------------------------------------------------------------------------

_LIST_NAME = bytes.fromhex("0100620AFFFF")     # the list name pushing meters send (research §3.3)


def encode_reading(reading: Reading, *, profile: str | None = None) -> bytes:
    """An SML file for ``reading`` as a pushing meter sends it: PublicOpen.Res, GetList.Res with
    one list entry per field (16.7.0 signed power when one direction is 0; 1-0:1.7.0/2.7.0
    otherwise; energies, voltages, currents, frequency with exact scalers) plus, for a Reading
    decoded from SML, its other registers as sent; PublicClose.Res.

    ``meter_id`` becomes the server id (a DIN 43863-5 id such as ``1EMH0012345678`` as the 10-byte
    binary form, other ids as ASCII; no meter id: no server id); ``timestamp`` the actSensorTime (SML_Time timestamp, or
    localTimestamp with the UTC offset in minutes). ``profile="holley-kermit"`` writes KERMIT CRCs.
    Raises ValueError for values SML cannot carry (a negative energy, a non-ASCII meter id...).
    """
    prof = profile_for(profile)
    crc = "kermit" if prof.crc == "kermit" else "x25"
    server = build_server_id(reading.meter_id) if reading.meter_id else None
    act_time = time_from_datetime(reading.timestamp) if reading.timestamp is not None else None
    entries = reading_entries(reading)
    req_file = b"SMC" + len(entries).to_bytes(2, "big")
    messages = [
        build_message(b"\x01", 0x0101, encode_open_response(req_file_id=req_file, server_id=server), crc=crc),
        build_message(b"\x02", 0x0701, encode_get_list_response(server_id=server, entries=entries,
                                                                 list_name=_LIST_NAME, act_sensor_time=act_time),
                      crc=crc),
        build_message(b"\x03", 0x0201, encode_close_response(), crc=crc),
    ]
    return _t.build_file(b"".join(messages), crc=crc)


CODEC = SmlCodec()
