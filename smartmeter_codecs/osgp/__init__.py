"""NES/Echelon OSGP meters (Denmark): MEP port and optical port, OMA digest, C12.19 tables.

Formats ``"osgp-mep"`` and ``"osgp-optical"`` (see docs/formats/osgp.md). Layers:

* :mod:`.digest` - the OMA digest (6-, 12-, 16-byte keys) and :func:`mep_key`;
* :mod:`.rc4` - MEP RC4 key derivation (``cryptography``'s ARC4);
* :mod:`.c1218` - C12.18 requests/answers and response codes;
* :mod:`.mep` - MEP framing: length, sequence number, digest, RC4, TLS-mode codes;
* :mod:`.optical` - the optical port's C12.18 packets, CRC-16, ACK/NAK, toggle bit;
* :mod:`.tables` / :mod:`.sources` - C12.19 tables (BT00...BT52, ET03, ET11, ET52/53) and source ids;
* :mod:`.mapping` - table values -> Registers -> Reading;
* :mod:`.conversation` - pairing answers with requests in a capture;
* :mod:`.client` - :class:`MepClient`, the sans-I/O client; :mod:`.simulator` - a simulated meter;
* :mod:`.codec` - the codec objects and stream splitters.
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..keys import KeysArg
from ..model import Reading
from .c1218 import Code, Response, ServiceRequest, TableRequest, parse_request, parse_response
from .client import MepClient
from .codec import CODEC, OPTICAL_CODEC, MepStream, OpticalStream
from .conversation import MepConversation, OpticalConversation, read_answer
from .digest import mep_key, oma_digest
from .mapping import build_reading
from .mep import Exchange, Frame, next_frame, open_request, open_response, seal_request, seal_response
from .optical import build_packet, crc16, parse_packet
from .simulator import SimulatedMeter, meter_tables
from .tables import MeterConfig, table_name

__all__ = [
    "CODEC", "OPTICAL_CODEC", "Code", "Exchange", "Frame", "MepClient", "MepConversation", "MepStream",
    "MeterConfig", "OpticalConversation", "OpticalStream", "Response", "ServiceRequest", "SimulatedMeter",
    "TableRequest", "build_packet", "build_reading", "crc16", "decode_response", "mep_key", "meter_tables",
    "next_frame", "oma_digest", "open_request", "open_response", "parse_packet", "parse_request",
    "parse_response", "read_answer", "seal_request", "seal_response", "table_name",
]


def decode_response(answer: bytes, *, request: TableRequest | bytes, keys: KeysArg = None,
                    config: MeterConfig | None = None, sequence: int | None = None,
                    optical: bool = False) -> Reading:
    """Decode a lone read answer with its context: the request it answers.

    Args:
        answer: a MEP answer frame (length, message, digest), or with ``optical=True`` the
            C12.18 answer message (code, count, data, checksum) of an optical packet.
        request: the :class:`TableRequest` (or its MEP request frame bytes) it answers.
        keys: the MEP key; with it and a request *frame* (or ``sequence``) the digest is verified.
        config: dimension tables known from earlier reads (BT21 lays out BT23/BT28).
        sequence: the request's sequence number, when ``request`` is a TableRequest.

    Raises:
        DecodeError: subclasses; ApplicationError for an error answer.
    """
    from .c1218 import response_error
    from .mep import Exchange as _Ex
    from .mep import key_candidates

    cfg = config or MeterConfig()
    if optical:
        if not isinstance(request, TableRequest):
            raise TypeError("optical answers take a TableRequest as context")
        resp = parse_response(answer, request=request, mep=False)
        authenticated = None
    else:
        frame = next_frame(bytes(answer))
        cands = key_candidates(keys)
        if isinstance(request, (bytes, bytearray, memoryview)):
            ex = open_request(next_frame(bytes(request)), cands)
        else:
            signed = request.to_bytes(mep=True) + (sequence or 0).to_bytes(4, "big")
            key = cands[0] if cands and sequence is not None else None
            ex = _Ex(request, sequence or 0, signed, b"", key)
        resp, verified = open_response(frame, ex)
        request = ex.request if isinstance(ex.request, TableRequest) else request
        authenticated = bool(verified)
    if not resp.ok:
        raise response_error(resp, 0, "answer")
    if not isinstance(request, TableRequest) or not request.is_read:
        raise UnsupportedError("osgp", 0, "the answer acknowledges a write: it carries no reading")
    cfg, regs, notes = read_answer(request, resp.data, cfg)
    return build_reading(regs, cfg, format="osgp-optical" if optical else "osgp-mep",
                         authenticated=authenticated, notes=notes)



