"""Decoding a captured conversation: every answer paired with its request.

A C12.18 answer does not name the table it answers, so a capture is decoded in order: each
answer goes with the request before it; dimension tables read on the way (BT00, BT15, BT21,
BT22, BT27, ET03, BT01) lay out the value tables read after them; an ET52 transaction written
is remembered so the ET53 answers inside a later read pair with its commands (DG p.43-50).

One Reading per successful table read (its registers; SI fields where BT23/BT28 map,
:mod:`.mapping`). Error answers are kept in :attr:`Conversation.answers_failed`; the codec
raises the last one when a capture yields no Reading.
"""
from __future__ import annotations

from ..errors import ApplicationError, DecodeError, IncompleteError, UnsupportedError
from ..keys import KeysArg
from ..model import Reading, Register
from .c1218 import Request, Response, TableRequest, parse_request, parse_response, response_error
from .mapping import FORMAT_MEP, FORMAT_OPTICAL, build_reading, table_registers
from .mep import Exchange, Frame, classify, key_candidates, open_request, open_response, parse_tls
from .optical import Packet
from .tables import BT07, ET52, ET53, MeterConfig, parse_procedure_request, parse_transaction, table_name

__all__ = ["Conversation", "MepConversation", "OpticalConversation", "read_answer"]

_LAYER = "osgp"


def read_answer(request: TableRequest, data: bytes, config: MeterConfig, *,
                transaction: list[Request] | None = None) -> tuple[MeterConfig, list[Register], list[str]]:
    """Registers of one successful read answer (``data`` = the table bytes) and the config
    updated with it. ET53 transaction answers are paired with ``transaction`` (the ET52
    commands) when given."""
    offset = request.offset or 0
    if request.table == ET53 and offset == 0:
        return _transaction_answer(data, config, transaction)
    try:
        config = config.learn(request.table, offset, data)
    except IncompleteError:
        pass                                    # a partial read of a dimension table: kept raw
    try:
        regs, notes = table_registers(request.table, offset, data, config)
    except IncompleteError as err:
        regs = [Register(f"{table_name(request.table)}@{offset}", bytes(data), None, None, None,
                         {"table": table_name(request.table), "offset": offset, "undecoded": err.message})]
        notes = []
    return config, regs, notes


def _transaction_answer(data: bytes, config: MeterConfig, commands: list[Request] | None
                        ) -> tuple[MeterConfig, list[Register], list[str]]:
    try:
        txn = parse_transaction(data)
    except IncompleteError:
        head = [Register("ET53.size", int.from_bytes(data[0:2], "little"), "B", None, "Transaction size",
                         {"table": "ET53"})] if len(data) >= 2 else []
        if len(data) >= 5:
            head += [Register("ET53.type", data[2], None, None, "0 = requests, 1 = responses", {"table": "ET53"}),
                     Register("ET53.number", int.from_bytes(data[3:5], "little"), None, None,
                              "Transaction number", {"table": "ET53"})]
        return config, head or [Register("ET53@0", bytes(data), None, None, None, {"table": "ET53"})], []
    regs: list[Register] = [Register("ET53.number", txn.number, None, None, "Transaction number", {"table": "ET53"})]
    notes: list[str] = []
    for i, item in enumerate(txn.items):
        req = commands[i] if commands is not None and i < len(commands) else None
        try:
            resp = parse_response(item.message, request=req, mep=True, base=item.offset)
        except DecodeError as err:
            raise err.shifted(0, f"ET53 answer {i}")
        if not resp.ok:
            notes.append(f"ET53 answer {i}: 0x{resp.code:02X} ({resp.meaning})")
            continue
        if not isinstance(req, TableRequest) or not req.is_read:
            regs.append(Register(f"ET53.answer[{i}]", resp.data, None, None,
                                 "answer to an unknown command (the ET52 transaction was not in the input)",
                                 {"table": "ET53", "offset": item.offset}))
            continue
        config, sub, subnotes = read_answer(req, resp.data, config)
        regs.extend(sub)
        notes.extend(subnotes)
    return config, regs, notes


class Conversation:
    """Shared pairing logic; subclasses frame the bytes."""

    format = FORMAT_MEP

    def __init__(self, config: MeterConfig | None = None) -> None:
        self.config = config or MeterConfig()
        self.transaction: list[Request] | None = None
        self.answers_failed: list[ApplicationError] = []

    def _answer(self, request: Request | None, resp: Response, offset: int,
                authenticated: bool | None, note: str | None = None) -> list[Reading]:
        if not resp.ok:
            self.answers_failed.append(response_error(resp, offset, "answer"))
            return []
        if request is None:
            if resp.count is not None:
                raise UnsupportedError(_LAYER, offset, "a C12.18 read answer does not name its table: decode it "
                                       "together with its request (a captured conversation), or call "
                                       "smartmeter_codecs.osgp.decode_response(answer, request=...)",
                                       {"count": resp.count})
            return []
        if isinstance(request, TableRequest) and request.is_write:
            self._written(request)
            return []
        if not isinstance(request, TableRequest):
            return []
        self.config, regs, notes = read_answer(request, resp.data, self.config, transaction=self.transaction)
        if note:
            notes = [note, *notes]
        return [build_reading(regs, self.config, format=self.format, authenticated=authenticated, notes=notes)]

    def _written(self, request: TableRequest) -> None:
        if request.table == ET52 and (request.offset or 0) == 0:
            try:
                txn = parse_transaction(request.data)
                self.transaction = [parse_request(i.message, mep=True) for i in txn.items]
            except DecodeError:
                self.transaction = None
        elif request.table == BT07:
            parse_procedure_request(request.data)


class MepConversation(Conversation):
    """A MEP capture, frame by frame (:meth:`frame`)."""

    format = FORMAT_MEP

    def __init__(self, keys: KeysArg = None, config: MeterConfig | None = None) -> None:
        super().__init__(config)
        self.keys = key_candidates(keys)
        self.pending: Exchange | None = None
        self.tls_pending = False
        self.kind = ""                      # how the last frame was taken (for inspect)
        self.last_seq: int | None = None
        # what the last frame() call decoded, for inspect: (kind, exchange, answer, verified)
        self.last: tuple[str, Exchange | None, Response | None, bool | None] | None = None

    def frame(self, frame: Frame) -> list[Reading]:
        """Readings completed by one MEP frame; DecodeError for a broken one."""
        kind = classify(frame.body)
        self.last = None
        if kind == "alert":
            return []
        if kind == "tls-request" and self.keys:
            try:                           # an RC4-encrypted request may start like a TLS message
                self.pending = open_request(frame, self.keys)
                self.last = ("request", self.pending, None, None)
                return []
            except DecodeError:
                pass
        if kind == "response" and self.tls_pending:
            kind = "tls-response"          # TLS-mode answers carry no digest (DG Table 2.3)
        self.kind = kind
        if kind in ("tls-request", "tls-response"):
            self.tls_pending = kind == "tls-request"
            parse_tls(frame, kind[4:])     # checks the record framing; the content is TLS's
            return []
        self.tls_pending = False
        ex = self.pending
        if ex is not None and ex.encrypted and self._is_answer(frame, ex):
            kind = "response"
        elif kind in ("request", "unknown") or (kind == "response" and self.keys):
            # with a key, an RC4-encrypted request may start with any byte: its digest decides
            try:
                self.pending = open_request(frame, self.keys)
                self.last = ("request", self.pending, None, None)
                return []
            except DecodeError:
                if kind != "response":
                    raise
        resp, verified = open_response(frame, ex)
        self.pending = None                 # only a decoded answer consumes the request
        self.last = ("response", ex, resp, verified)
        if resp.seq is not None:
            self.last_seq = resp.seq
        authenticated = verified if verified is not None else False
        note = None if verified else "digest not verified (no MEP key given)"
        return self._answer(ex.request if ex else None, resp, frame.start, authenticated, note)


    @staticmethod
    def _is_answer(frame: Frame, ex: Exchange) -> bool:
        try:
            return open_response(frame, ex)[1] is True
        except DecodeError:
            return False


class OpticalConversation(Conversation):
    """An optical-port capture, packet by packet (:meth:`packet`): requests and answers told
    apart by their first byte (request codes are 0x20 and up, answers 0x00-0x0A); multi-packet
    answers are joined before decoding."""

    format = FORMAT_OPTICAL

    def __init__(self, config: MeterConfig | None = None) -> None:
        super().__init__(config)
        self.pending: Request | None = None
        self._parts: list[bytes] = []
        self._last: tuple[int, bytes] | None = None

    def packet(self, p: Packet) -> list[Reading]:
        key = (p.control, p.data)
        if self._last == key:           # a retransmission (same toggle bit and data): C12.18 duplicate
            return []
        self._last = key
        if p.multi and (p.seq > 0 or self._parts):
            if p.first:
                self._parts = []
            self._parts.append(p.data)
            if p.seq > 0:
                return []
            data, self._parts = b"".join(self._parts), []
        else:
            data = p.data
        if not data:
            raise IncompleteError("c12.18", p.start + 6, "C12.18 packet without data")
        base = p.start + 6
        if data[0] >= 0x20:
            self.pending = parse_request(data, mep=False, base=base)
            return []
        req, self.pending = self.pending, None
        resp = parse_response(data, request=req, mep=False, base=base)
        return self._answer(req, resp, p.start, None)

