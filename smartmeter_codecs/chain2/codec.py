"""The two codec objects the format table points at: ``CODEC`` ("chain2") and ``ALFA_CODEC``.

``chain2``: Chain2Gate JSON (WebSocket messages, ``/lastcf.json``, ``/getcf.json``; one
envelope, an array, or newline-delimited/concatenated envelopes). Input that is not JSON goes
to :mod:`.raw` (DLMS APDUs are routed to the ``dlms`` codec; raw PLC frames are unsupported).

``chain2-alfa``: a Sinapsi Alfa Modbus register block (:mod:`.alfa`); never autodetected.
"""
from __future__ import annotations

import logging
import re

from ..errors import DecodeError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from ..model import Reading
from . import alfa, gateway_json, raw
from .datestring import DlmsDateTime
from .gateway_json import Chain2Data
from .jsonstream import EnvelopeSplitter
from .mapping import FORMAT, from_reading, to_reading
from .messages import Message

__all__ = ["CODEC", "ALFA_CODEC", "Chain2Codec", "AlfaCodec", "Chain2Stream"]

log = logging.getLogger(__name__)

_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_ENVELOPE = re.compile(rb'"Chain2(?:Data|Info|State)"[ \t\r\n]*:[ \t\r\n]*\{')
_BARE = re.compile(rb'"Type"[ \t\r\n]*:[ \t\r\n]*"CF\d{1,3}"')
_SNIFF_WINDOW = 4096


def _looks_like_json(data: bytes) -> bool:
    return _JSON_START.match(data) is not None


class Chain2Codec:
    """Chain2Gate JSON <-> Reading (format ``"chain2"``)."""

    name = FORMAT
    description = "Italian Open Meter Chain 2 messages as published by Chain2Gate (JSON)"

    def sniff(self, data: bytes) -> int:
        """95 for a Chain2Gate envelope, 60 for a bare ``Chain2Data`` body, else 0.

        Only Chain 2-specific keys count (``"Chain2Data": {``, or ``"Type": "CF<n>"`` next to
        a ``"Payload"``), so other JSON formats (e.g. German SMGW) are not claimed.
        """
        if not _looks_like_json(data):
            return 0
        head = data[:_SNIFF_WINDOW]
        if _ENVELOPE.search(head):
            return 95
        if _BARE.search(head) and b'"Payload"' in head:
            return 60
        return 0

    def documents(self, data: bytes, *, keys: KeysArg = None,
                  profile: str | None = None) -> list[gateway_json.Document]:
        """The parsed envelopes (typed messages) in ``data``: the layer below Readings."""
        return gateway_json.parse(data)

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """A Reading per ``Chain2Data`` envelope (Chain2Info/Chain2State carry none)."""
        data = bytes(data)
        if not _looks_like_json(data):
            return raw.decode_raw_frame(data, keys=keys, profile=profile)
        return [to_reading(d) for d in gateway_json.parse(data) if isinstance(d, Chain2Data)]

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """The JSON tree: envelope, payload fields with kinds/units (offsets are None for JSON)."""
        data = bytes(data)
        root = Field("chain2")
        insp = Inspection(data, FORMAT, root)
        try:
            if not _looks_like_json(data):
                root.add("raw frame", 0, len(data), None, "not JSON: routed to the raw-frame seam")
                insp.readings = raw.decode_raw_frame(data, keys=keys, profile=profile)
                return insp
            values = gateway_json.load_documents(data)
            for value, offset in values:
                for doc in gateway_json.parse_document(value, offset):
                    _inspect_doc(root, doc)
                    if isinstance(doc, Chain2Data):
                        insp.readings.append(to_reading(doc))
        except DecodeError as err:
            insp.error = err
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """Chain2Gate JSON for ``reading`` (see :func:`.mapping.from_reading`)."""
        return gateway_json.dumps(from_reading(reading))

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> "Chain2Stream":
        """A stream of envelopes (NDJSON capture, or WebSocket messages fed one after another)."""
        return Chain2Stream()


def _inspect_doc(root: Field, doc: gateway_json.Document) -> None:
    if isinstance(doc, Chain2Data):
        doc_text = type(doc.message).__doc__
        env = root.add("Chain2Data", value=doc.type, description=doc_text.splitlines()[0] if doc_text else None)
        env.add("Id", value=doc.id, description="gateway id")
        env.add("Ts", value=doc.ts.isoformat() if doc.ts else None, description="gateway clock (UTC)")
        env.add("Meter", value=doc.meter, description="meter role (M1 exchange, M2* production)")
        env.add("Type", value=doc.type)
        _inspect_message(env.add("Payload"), doc.message)
    else:
        _inspect_message(root.add(type(doc).__name__, description=type(doc).DESCRIPTION), doc)


def _inspect_message(node: Field, msg: Message) -> None:
    for key, spec, json_value, parsed in msg.items():
        if spec is None:
            node.add(key, value=json_value, description="not in the catalogue")
            continue
        if isinstance(parsed, DlmsDateTime):
            when = parsed.to_datetime()
            unset = ", ".join(parsed.wildcards)
            shown = when.isoformat() if when else f"{json_value} (not specified: {unset})"
        else:
            shown = parsed.isoformat() if hasattr(parsed, "isoformat") else parsed
        unit = f" [{spec.unit}]" if spec.unit else ""
        node.add(key, value=shown if shown == json_value else f"{json_value} -> {shown}",
                 description=f"{spec.description}{unit}")


class Chain2Stream:
    """FrameStream over :class:`EnvelopeSplitter`: Readings and DecodeErrors, never raises."""

    def __init__(self) -> None:
        self._splitter = EnvelopeSplitter()

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        out: list[Reading | DecodeError] = []
        for item in self._splitter.feed(bytes(data)):
            if isinstance(item, DecodeError):
                out.append(item)
                continue
            try:
                out.extend(to_reading(d) for d in gateway_json.parse(item) if isinstance(d, Chain2Data))
            except DecodeError as err:
                out.append(err)
        return out


class AlfaCodec:
    """Sinapsi Alfa Modbus register block <-> Reading (format ``"chain2-alfa"``)."""

    name = alfa.FORMAT
    description = "Italian Chain 2 readings from a Sinapsi Alfa Modbus register block"

    def sniff(self, data: bytes) -> int:
        """Always 0: a register block has no signature; pass ``format="chain2-alfa"``."""
        return 0

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """One Reading per block."""
        return [alfa.decode_block(bytes(data))]

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """Register tree with byte offsets."""
        data = bytes(data)
        root = Field("chain2-alfa")
        insp = Inspection(data, alfa.FORMAT, root)
        try:
            alfa.inspect_block(data, root)
            insp.readings.append(alfa.decode_block(data))
        except DecodeError as err:
            insp.error = err
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A full 926-register block image (see :func:`.alfa.encode_block`)."""
        return alfa.encode_block(reading)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> None:
        """None: register blocks come from Modbus reads, not from a byte stream."""
        return None


CODEC = Chain2Codec()
ALFA_CODEC = AlfaCodec()
