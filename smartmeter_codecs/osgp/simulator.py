"""A simulated NES meter behind its MEP port, built from the same layers the decoder uses.

It answers MEP request frames the way the DG describes the meter: digest checked with the
MAK, then the MBK (DG "Access Levels"); neither -> 0x0B; RC4 mirrored when the request came
encrypted (DG App. B); sequence numbers accepted up to 8 ahead, otherwise 0x0C with the
meter's current number (DG "RC4 Authentication"); MBK writes limited to BT07, ET50, ET51 and
ET52 (DG "Access Levels"); ET52 transactions answered in ET53; BT07 procedures answered in
ET59 with a repeated procedure sequence number refused with 0x04 (DG p.52); partial reads past
the table end padded with zeros (Optical Port Programmer's Guide "Partial Read Service").

Tests, examples and ``encode`` use it; it is not a meter emulator for certification.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from ..errors import DecodeError, DecryptionError, IncompleteError
from ..model import Reading
from .c1218 import Code, Response, TableRequest, parse_request
from .mep import MAX_MESSAGE, SEQ_WINDOW, Frame, classify, next_frame, open_request, seal_response
from .sources import SOURCES
from .tables import (
    BT00,
    BT01,
    BT07,
    BT08,
    BT15,
    BT21,
    BT23,
    BT23_FIXED_SOURCES,
    BT27,
    BT28,
    BT28_FIXED_SOURCES,
    BT52,
    ET03,
    ET50,
    ET52,
    ET53,
    ET59,
    Constants,
    RegisterDimensions,
    build_bt15,
    build_bt21,
    build_bt52,
    build_transaction,
    parse_procedure_request,
    parse_transaction,
)

__all__ = ["MBK_WRITABLE", "SimulatedMeter", "meter_tables"]

MBK_WRITABLE = frozenset({BT07, ET50, ET50 + 1, ET52})     # DG "Access Levels"

# BT00 of a NES meter as the DG documents it (p.196-198): LSB first, ASCII, UINT8 times,
# offset/count access, BCD ids, two's complement, NI formats INT32, "NES ", electric.
_BT00 = bytes([0x02, 0x2A, 0x88]) + b"NES " + bytes([2, 0, 255, 12, 1, 0, 10, 13, 2, 12, 9, 2])


def _i32(v: int) -> bytes:
    return int(v).to_bytes(4, "little", signed=True)


def meter_tables(reading: Reading | None = None, *, present_values: int = 26, summations: int = 11,
                 serial: str | None = None, clock: _dt.datetime | None = None,
                 constants: Constants | None = None) -> dict[int, bytes]:
    """Tables of a direct-connected NES meter showing ``reading``'s values.

    BT28 holds ``present_values`` entries in the DG's NES order (26 = firmware 3.10-3.49, no
    per-phase power; 32 or more adds it), BT23 ``summations`` summations (11 = no demand
    configured, so no demand-reset byte). Values are rounded to the wire resolution (W, mA,
    mV, mHz, Wh).
    """
    r = reading or Reading(format="osgp-mep")
    dims = RegisterDimensions(0x03, 0x0E, 0, summations, 0, 0, 0, 4, 0, present_values)
    tables: dict[int, bytes] = {
        BT00: _BT00,
        BT01: b"NES " + b"83331-3I" + bytes(6) + bytes([0x31, 0x55]),
        BT15: build_bt15(constants or Constants(1, 0, False, 1, 1)),
        BT21: build_bt21(dims),
        BT27: bytes(BT28_FIXED_SOURCES[:present_values]),
        ET03: (serial or r.meter_id or "").encode("latin-1")[:29].ljust(30, b"\x00") + bytes(113),
        BT07: bytes(64),
        ET50: bytes(64),
        ET52: bytes(896),
        ET53: bytes(1785),
        ET59: bytes(16),
        BT08: bytes(16),
    }
    pv = bytearray()
    for sid in BT28_FIXED_SOURCES[:present_values]:
        pv += _i32(_raw_value(r, sid))
    tables[BT28] = bytes(pv)
    sv = bytearray()
    for block in range(1 + dims.tiers):
        for sid in BT23_FIXED_SOURCES[:summations]:
            sv += _i32(_raw_value(r, sid) if block == 0 else 0)
    tables[BT23] = bytes(sv)
    t = clock or r.timestamp or _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC)
    tables[BT52] = build_bt52(t)
    return tables


def _raw_value(r: Reading, sid: int) -> int:
    src = SOURCES.get(sid)
    if src is None or src.field is None:
        return 0
    v = getattr(r, src.field, None)
    if v is None:
        return 0
    return int((Decimal(repr(float(v))) / src.scale).to_integral_value())


class SimulatedMeter:
    """A NES meter's MEP server (sans-I/O): :meth:`receive` takes bytes, returns the answer bytes.

    Args:
        mbk: the MEP Basic Key (16 bytes); ``mak``: the MEP Advanced Key (optional).
        tables: table id -> bytes (see :func:`meter_tables`).
        seq: the meter's current sequence number.
    """

    def __init__(self, mbk: bytes, *, mak: bytes | None = None, tables: dict[int, bytes] | None = None,
                 seq: int = 0x77635B90) -> None:
        self.keys = [k for k in (mak, mbk) if k is not None]     # MAK first (DG "Access Levels")
        self.mak = mak
        self.tables = {k: bytearray(v) for k, v in (tables or meter_tables()).items()}
        self.seq = seq
        self.last_psn: int | None = None
        self.requests = 0
        self.answers: list[bytes] = []
        self._buf = b""

    def bump_idt_version(self) -> None:
        """What the meter does when its interface definition changes (DG p.55): seq += 25."""
        self.seq = (self.seq + 25) & 0xFFFFFFFF

    def set_present_values(self, reading: Reading) -> None:
        """New BT28/BT23/BT52 contents from ``reading`` (keeps the dimensions)."""
        dims_pv = len(self.tables[BT27])
        fresh = meter_tables(reading, present_values=dims_pv, summations=self.tables[BT21][3])
        for t in (BT28, BT23, BT52):
            self.tables[t] = bytearray(fresh[t])

    def receive(self, data: bytes) -> bytes:
        """Feed bytes from the wire; returns the answer bytes (possibly several, or none)."""
        self._buf += bytes(data)
        out = b""
        while len(self._buf) >= 2:
            try:
                frame = next_frame(self._buf)
            except IncompleteError:
                break
            except DecodeError:
                self._buf = self._buf[1:]          # a broken length: resynchronise
                continue
            self._buf = self._buf[frame.end:]
            out += self.answer(frame)
        return out

    def answer(self, frame: Frame) -> bytes:
        """The answer to one complete request frame (``b""`` when the meter stays silent)."""
        kind = classify(frame.body)
        if kind not in ("request", "unknown"):
            return b""
        self.requests += 1
        try:
            ex = open_request(frame, self.keys)
        except DecryptionError:
            # no key matched: 0x0B, sent in clear; the meter has no key to digest it with
            body = b"\x0b" + bytes(8)
            return self._out(len(body).to_bytes(2, "big") + body)
        except DecodeError:
            return b""
        ahead = (ex.seq - self.seq) & 0xFFFFFFFF
        if not 1 <= ahead <= SEQ_WINDOW:
            return self._out(seal_response(Response(0x0C, seq=self.seq), ex))
        self.seq = ex.seq
        advanced = self.mak is not None and ex.key == self.mak
        return self._out(seal_response(self._serve(ex.request, advanced), ex))

    def _out(self, frame: bytes) -> bytes:
        self.answers.append(frame)
        return frame

    def _serve(self, req: object, advanced: bool) -> Response:
        if not isinstance(req, TableRequest):
            return Response(0x01)
        t = self.tables.get(req.table)
        if t is None:
            return Response(0x05)
        if req.is_read:
            if req.code == Code.READ_FULL:
                data = bytes(t)
            else:
                off, n = req.offset or 0, req.count or 0
                data = bytes(t[off:off + n]).ljust(n, b"\x00")
            if 3 + len(data) + 8 > MAX_MESSAGE:
                return Response(0x04)
            return Response(0, data, len(data))
        if not advanced and req.table not in MBK_WRITABLE:
            return Response(0x03)
        off = req.offset or 0
        if off + len(req.data) > len(t):
            return Response(0x05)
        if req.table == BT07:
            proc = parse_procedure_request(req.data)
            if proc.sequence == self.last_psn:
                return Response(0x04)                # DG p.52: repeated PSN
            self.last_psn = proc.sequence
            self.tables[ET59][0:4] = bytearray(req.data[0:2] + bytes([proc.sequence, 0]))
        t[off:off + len(req.data)] = req.data
        if req.table == ET52:
            self._transaction()
        return Response(0)

    def _transaction(self) -> None:
        try:
            txn = parse_transaction(bytes(self.tables[ET52]))
        except DecodeError:
            return                                   # not complete yet (written in parts)
        answers = []
        for item in txn.items:
            try:
                req = parse_request(item.message, mep=True)
            except DecodeError:
                answers.append(b"\x01")
                continue
            resp = self._serve(req, False) if isinstance(req, TableRequest) and req.is_read else Response(0x02)
            answers.append(resp.to_bytes(mep=True))
        out = build_transaction(1, txn.number, answers)
        self.tables[ET53][0:len(out)] = out



# --- captures for encode() ------------------------------------------------------------------

def encode_conversation(reading: Reading, key: bytes, *, encrypt: bool = False, present_values: int = 26,
                        seq: int = 0x5B4E42E5) -> bytes:
    """A MEP capture: an ET52 transaction reading BT15, BT21, ET03, BT28, BT23 and BT52 written,
    then ET53 read, each answered by a :class:`SimulatedMeter` showing ``reading``."""
    from .c1218 import Code, TableRequest
    from .mep import seal_request

    tables = meter_tables(reading, present_values=present_values)
    meter = SimulatedMeter(key, tables=tables, seq=seq)
    reads = [(BT15, 17), (BT21, 10), (ET03, 30), (BT28, 4 * present_values), (BT23, 16), (BT52, 7)]
    cmds = [TableRequest(Code.READ_PARTIAL, t, 0, n).to_bytes(mep=True) for t, n in reads]
    txn = build_transaction(0, 1, cmds)
    out = b""
    s = seq
    for req in (TableRequest(Code.WRITE_PARTIAL, ET52, 0, len(txn), txn), None):
        if req is None:
            size = int.from_bytes(meter.tables[ET53][0:2], "little")
            req = TableRequest(Code.READ_PARTIAL, ET53, 0, size)
        s = (s + 1) & 0xFFFFFFFF
        frame, _ = seal_request(req, s, key, encrypt=encrypt)
        out += frame + meter.receive(frame)
    return out


def encode_optical_session(reading: Reading, *, password: bytes | str = b"", present_values: int = 26) -> bytes:
    """An optical-port capture of a read session (requests, ACKs, answers) for ``reading``."""
    from .c1218 import Code, ServiceRequest, TableRequest
    from .optical import ACK, build_packet

    tables = meter_tables(reading, present_values=present_values)
    ident = bytes([0, 0, 2, 0, 0])            # ok, C12.18, version 2 revision 0, end of features
    steps: list[tuple[bytes, bytes]] = [
        (ServiceRequest.ident().to_bytes(mep=False), ident),
        (ServiceRequest.negotiate().to_bytes(mep=False), bytes([0, 0, 64, 2, 6])),
        (ServiceRequest.logon().to_bytes(mep=False), b"\x00"),
        (ServiceRequest.security(password).to_bytes(mep=False), b"\x00"),
    ]
    for table, count in ((BT21, None), (ET03, 30), (BT28, None), (BT23, None), (BT52, None)):
        data = tables[table] if count is None else tables[table][:count]
        if count is None:
            req = TableRequest(Code.READ_FULL, table)
        else:
            req = TableRequest(Code.READ_PARTIAL, table, 0, count)
        steps.append((req.to_bytes(mep=False), Response(0, data, len(data)).to_bytes(mep=False)))
    steps += [(ServiceRequest.logoff().to_bytes(mep=False), b"\x00"),
              (ServiceRequest.terminate().to_bytes(mep=False), b"\x00")]
    out = b""
    toggle_c = toggle_m = False
    for req_bytes, resp in steps:
        out += build_packet(req_bytes, toggle=toggle_c) + bytes([ACK]) + build_packet(resp, toggle=toggle_m) + bytes([ACK])
        toggle_c, toggle_m = not toggle_c, not toggle_m
    return out
