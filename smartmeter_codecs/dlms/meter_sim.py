"""A simulated DLMS/COSEM meter: the server side of the HDLC, ACSE and xDLMS layers the client
uses, sans-I/O (``receive(bytes) -> bytes``). For tests, examples and wallbox developers
without a meter on the desk.

What it models (IEC 62056-46 / -5-3, as the research on Spanish PRIME optical ports describes
them, docs/formats/dlms-client.md):

* HDLC: answers only frames for its server address; SNRM -> UA with negotiated parameters
  (each side's transmit size is capped by the other's receive size), DISC -> UA (DM when not
  connected), DM to I frames outside a connection, N(S)/N(R) bookkeeping, segmentation in
  both directions (RR asks for the next segment), a repeated frame (same N(S)) makes it
  repeat its last answer, an RR that does not acknowledge its last frame makes it resend it.
* associations per client SAP: none (SNRM answered by DM or silence), no security, or LLS
  with a password; a wrong password gets AARE rejected-permanent, diagnostic 13, and after
  ``lockout_after`` failures every AARQ is rejected (meters lock the port).
* GET normal, with list and with block transfer (when the answer exceeds ``block_size`` or
  the client's PDU size), data-access results (object-undefined, read-write-denied,
  object-class-inconsistent), exception-response for anything but GET/RLRQ.
* faults for tests: ``drop_replies`` (indices of reply frames that are "lost"),
  ``corrupt_replies`` (bad FCS), ``misnumber_replies`` (wrong N(S)).

The objects are A-XDR bytes per (logical name, attribute) with their class id, so the
simulator never interprets values: what the client reads is what the table holds.
"""
from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field

from ..errors import DecodeError
from ..obis import ObisCode
from . import acse, xdlms
from .axdr import encode_data
from .hdlc import HdlcSplitter, build_frame
from .hdlc_link import (DM, FRMR, LLC_REQUEST, LLC_RESPONSE, UA, HdlcParameters, ServerAddress, build_parameters,
                        i_control, parse_control, parse_parameters, rr_control)
from .xdlms import DataAccessResult, GetResult

__all__ = ["SimulatedMeter", "MeterObject", "Association", "es_prime_meter", "ES_PRIME_ROW", "SimulatedLink",
           "SimulatedOpticalPort"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MeterObject:
    """One COSEM object: class id and its attributes as encoded A-XDR Data."""

    class_id: int
    attributes: dict[int, bytes]


@dataclass(frozen=True, slots=True)
class Association:
    """What one client SAP may do: ``password`` None = no authentication; ``readable`` None =
    every object, else the logical names it may read."""

    password: bytes | None = None
    readable: frozenset[ObisCode] | None = None


@dataclass
class SimulatedMeter:
    objects: dict[ObisCode, MeterObject]
    associations: dict[int, Association]
    server: ServerAddress = ServerAddress(1, 16, 2)
    hdlc: HdlcParameters = HdlcParameters(128, 128, 1, 1)
    max_pdu_size: int = 512
    conformance: int = int(acse.READ_ONLY_CONFORMANCE | acse.Conformance.SET | acse.Conformance.ACTION)
    block_size: int | None = None        # force block transfer above this many bytes of result data
    unknown_client: str = "dm"           # "dm" or "silent" for an SNRM from a client without association
    lockout_after: int = 3
    drop_replies: set[int] = field(default_factory=set)
    corrupt_replies: set[int] = field(default_factory=set)
    misnumber_replies: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._splitter = HdlcSplitter()
        self.connected_client: int | None = None
        self.associated = False
        self.failed_logins = 0
        self.replies_sent = 0           # reply frames produced (including dropped ones)
        self.requests: list[str] = []   # log of APDU names handled (for tests)
        self._vs = self._vr = 0
        self._tx_max = 128
        self._rx = bytearray()
        self._pending: list[bytes] = []
        self._last = b""
        self._client_pdu = 0xFFFF
        self._granted = 0
        self._blocks: list[bytes] = []
        self._block_no = 0

    # --- byte interface ---------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        """Feed bytes from the client; returns the bytes the meter sends back."""
        out = bytearray()
        for item in self._splitter.feed(bytes(data)):
            if isinstance(item, DecodeError):
                log.debug("meter: ignoring a broken frame: %s", item)
                continue
            if item.destination != self.server.value or item.destination_size != self.server.size:
                continue
            out += self._on_frame(item.source, item.control, item.information, item.segmented)
        return bytes(out)

    # --- HDLC -------------------------------------------------------------------------
    def _emit(self, client: int, control: int, info: bytes = b"", segmented: bool = False) -> bytes:
        n = self.replies_sent
        self.replies_sent += 1
        if n in self.misnumber_replies and control & 1 == 0:
            control = (control & 0xF1) | ((((control >> 1) + 3) & 7) << 1)
        frame = build_frame(info, destination=client, source=self.server.value, destination_size=1,
                            source_size=self.server.size, control=control, segmented=segmented)
        self._last = frame
        return self._deliver(n, frame)

    def _deliver(self, n: int, frame: bytes) -> bytes:
        """Apply the fault plan to reply number ``n``."""
        if n in self.corrupt_replies:
            frame = frame[:-3] + bytes(((frame[-3] ^ 0xFF),)) + frame[-2:]
        if n in self.drop_replies:
            log.debug("meter: reply %d lost", n)
            return b""
        return frame

    def _resend_last(self) -> bytes:
        n = self.replies_sent
        self.replies_sent += 1
        return self._deliver(n, self._last)

    def _on_frame(self, client: int, control: int, info: bytes, segmented: bool) -> bytes:
        c = parse_control(control)
        if c.kind == "SNRM":
            if client not in self.associations:
                return self._emit(client, DM) if self.unknown_client == "dm" else b""
            try:
                proposal = parse_parameters(info)
            except DecodeError:
                return self._emit(client, FRMR)
            self._tx_max = min(self.hdlc.max_info_transmit, proposal.max_info_receive)
            params = HdlcParameters(self._tx_max, min(self.hdlc.max_info_receive, proposal.max_info_transmit), 1, 1)
            self.connected_client = client
            self.associated = False
            self._vs = self._vr = 0
            self._rx.clear()
            self._pending = []
            return self._emit(client, UA, build_parameters(params))
        if c.kind == "DISC":
            if self.connected_client != client:
                return self._emit(client, DM)
            self.connected_client = None
            self.associated = False
            return self._emit(client, UA)
        if self.connected_client != client:
            return self._emit(client, DM)
        if c.kind == "RR":
            if self._pending and c.nr == self._vs:
                return self._send_segment(client)
            if c.nr == (self._vs - 1) & 7:
                return self._resend_last()
            return b""
        if c.kind != "I":
            return b""
        if c.ns == (self._vr - 1) & 7 and self._last:
            return self._resend_last()       # the client did not get our answer
        if c.ns != self._vr:
            return self._emit(client, rr_control(self._vr))
        self._vr = (self._vr + 1) & 7
        self._rx += info
        if segmented:
            return self._emit(client, rr_control(self._vr))
        data = bytes(self._rx)
        self._rx.clear()
        if data[:3] != LLC_REQUEST:
            return self._emit(client, FRMR)
        answer = self._on_apdu(client, data[3:])
        payload = LLC_RESPONSE + answer
        self._pending = [payload[i:i + self._tx_max] for i in range(0, len(payload), self._tx_max)]
        return self._send_segment(client)

    def _send_segment(self, client: int) -> bytes:
        chunk = self._pending.pop(0)
        frame = self._emit(client, i_control(self._vs, self._vr), chunk, segmented=bool(self._pending))
        self._vs = (self._vs + 1) & 7
        return frame

    # --- application ------------------------------------------------------------------
    def _on_apdu(self, client: int, apdu: bytes) -> bytes:
        tag = apdu[0] if apdu else -1
        try:
            if tag == acse.TAG_AARQ:
                self.requests.append("AARQ")
                return self._on_aarq(client, apdu)
            if tag == acse.TAG_RLRQ:
                self.requests.append("RLRQ")
                self.associated = False
                return acse.build_rlre(0)
            if tag == xdlms.TAG_GET_REQUEST and self.associated:
                req = xdlms.parse_get_request(apdu)
                self.requests.append(f"GET{req.kind}")
                return self._on_get(client, req)
        except DecodeError as err:
            log.debug("meter: bad request: %s", err)
            return xdlms.build_exception_response(1, 3)
        self.requests.append(f"refused {tag:#04x}")
        return xdlms.build_exception_response(1 if tag == xdlms.TAG_GET_REQUEST else 2, 2)

    def _on_aarq(self, client: int, apdu: bytes) -> bytes:
        aarq = acse.parse_aarq(apdu)
        assoc = self.associations[client]
        reject = acse.AssociationResult.REJECTED_PERMANENT
        if aarq.application_context != acse.LN_NO_CIPHERING:
            return acse.build_aare(reject, acse.UserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
        if self.failed_logins >= self.lockout_after:
            return acse.build_aare(reject, acse.UserDiagnostic.AUTHENTICATION_FAILURE)
        if assoc.password is not None:
            if aarq.mechanism != acse.MECHANISM_LLS:
                return acse.build_aare(reject, acse.UserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED)
            if aarq.password != assoc.password:
                self.failed_logins += 1
                return acse.build_aare(reject, acse.UserDiagnostic.AUTHENTICATION_FAILURE)
        self.associated = True
        self._granted = aarq.initiate.conformance & self.conformance
        self._client_pdu = aarq.initiate.max_receive_pdu_size
        return acse.build_aare(acse.AssociationResult.ACCEPTED, acse.UserDiagnostic.NULL,
                               initiate=acse.InitiateResponse(self._granted, self.max_pdu_size))

    def _read(self, client: int, ref: xdlms.AttributeRef) -> GetResult:
        obj = self.objects.get(ref.obis)
        if obj is None:
            return GetResult(None, DataAccessResult.OBJECT_UNDEFINED)
        if obj.class_id != ref.class_id:
            return GetResult(None, DataAccessResult.OBJECT_CLASS_INCONSISTENT)
        readable = self.associations[client].readable
        if readable is not None and ref.obis not in readable:
            return GetResult(None, DataAccessResult.READ_WRITE_DENIED)
        raw = obj.attributes.get(ref.attribute)
        if raw is None:
            return GetResult(None, DataAccessResult.OBJECT_UNAVAILABLE)
        return GetResult(None, None, raw)

    def _on_get(self, client: int, req: xdlms.GetRequest) -> bytes:
        invoke = req.invoke_id_and_priority
        if req.kind == 2:
            if not self._blocks or req.block_number != self._block_no:
                self._blocks = []
                return xdlms.build_get_response_block(req.block_number or 0, True, None, invoke_id_and_priority=invoke,
                                                      error=DataAccessResult.DATA_BLOCK_NUMBER_INVALID if self._blocks
                                                      else DataAccessResult.NO_LONG_GET_IN_PROGRESS)
            return self._next_block(invoke)
        if req.kind == 3 and not self._granted & acse.Conformance.MULTIPLE_REFERENCES:
            return xdlms.build_exception_response(1, 2)
        results = [self._read(client, a) for a in req.attributes]
        if req.kind == 1:
            r = results[0]
            apdu = xdlms.build_get_response_normal(r, invoke)
            body = r.raw if r.error is None else None
        else:
            apdu = xdlms.build_get_response_list(results, invoke)
            body = apdu[3:]
        limit = min(self._client_pdu, self.max_pdu_size)
        too_big = len(apdu) > limit or (self.block_size is not None and body is not None
                                        and len(body) > self.block_size)
        if body is None or not too_big:
            return apdu
        if not self._granted & acse.Conformance.BLOCK_TRANSFER_GET:
            return xdlms.build_get_response_normal(GetResult(None, DataAccessResult.OTHER_REASON), invoke)
        size = min(self.block_size or limit, limit - 16)
        self._blocks = [body[i:i + size] for i in range(0, len(body), size)]
        self._block_no = 0
        return self._next_block(invoke)

    def _next_block(self, invoke: int) -> bytes:
        self._block_no += 1
        chunk = self._blocks.pop(0)
        return xdlms.build_get_response_block(self._block_no, not self._blocks, chunk, invoke_id_and_priority=invoke)


# --- a Spanish PRIME meter, as public sources describe it ------------------------------------

# One row of the instantaneous-values profile 0.0.21.0.5.255 of a Circutor meter read through
# a PRIME concentrator (gisce/primestg@79494f0 spec/data/Ciclo_instant_data_minute_*.csv,
# docs/formats/dlms-client.md): V1, I1, V2, I2, V3, I3, sum I, +P, -P, +Q, -Q, PF (raw).
ES_PRIME_ROW = (235, 409, 235, 326, 236, 337, 1074, 1211, 0, 1964, 0, 520)

# The columns' logical names and A-XDR types follow the research (clock, then V/I pairs,
# V/I/PF long-unsigned, P/Q double-long-unsigned). The OBIS codes are the standard ones for
# these quantities: an assumption the client does not share - it reads capture_objects.
_COLUMNS = (
    ("1.0.32.7.0.255", 18, 0, 35), ("1.0.31.7.0.255", 18, -2, 33), ("1.0.52.7.0.255", 18, 0, 35),
    ("1.0.51.7.0.255", 18, -2, 33), ("1.0.72.7.0.255", 18, 0, 35), ("1.0.71.7.0.255", 18, -2, 33),
    ("1.0.90.7.0.255", 18, -2, 33), ("1.0.1.7.0.255", 6, 0, 27), ("1.0.2.7.0.255", 6, 0, 27),
    ("1.0.3.7.0.255", 6, 0, 29), ("1.0.4.7.0.255", 6, 0, 29), ("1.0.13.7.0.255", 18, -3, 255),
)


def _scaler_unit(scaler: int, unit: int) -> bytes:
    return encode_data(2, [(15, scaler), (22, unit)])


def es_prime_meter(*, password: bytes = b"00000001", client_sap: int = 2, row: tuple[int, ...] = ES_PRIME_ROW,
                   scalers: dict[str, int] | None = None, clock: _dt.datetime | None = None,
                   energy_import_wh: int = 12_345_678, energy_export_wh: int = 0,
                   contracted_w: tuple[int, ...] = (4600, 4600, 0, 0, 0, 0), rows: int = 1,
                   **kwargs: object) -> SimulatedMeter:
    """A simulated Spanish PRIME meter: reading client ``client_sap`` with LLS ``password``
    (the defaults are the values seen in public code for a ZIV meter, docs/formats/dlms-client.md
    section 3 - a simulation, not a claim about any real meter), the instantaneous-values
    profile with ``row``, the energy and power registers the ESPHome ZIV component reads, and
    contracted powers P1..P6 (0.1.94.34.11..16.255).

    ``scalers`` overrides column scalers by OBIS (e.g. ``{"1.0.31.7.0.255": -1}``) to simulate
    a make that scales differently; ``rows`` > 1 repeats the row (a longer buffer forces
    block transfer)."""
    scalers = scalers or {}
    clock = clock or _dt.datetime(2024, 11, 29, 12, 40, 27, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))
    objs: dict[ObisCode, MeterObject] = {}
    clock_obis = ObisCode.parse("0.0.1.0.0.255")
    objs[clock_obis] = MeterObject(8, {2: encode_data(9, _build_dt(clock))})
    capture = [encode_data(2, [(18, 8), (9, clock_obis.to_bytes()), (15, 2), (18, 0)])]
    cells: list[bytes] = [encode_data(9, _build_dt(clock))]
    for (code, tag, scaler, unit), raw in zip(_COLUMNS, row):
        obis = ObisCode.parse(code)
        scaler = scalers.get(code, scaler)
        objs[obis] = MeterObject(3, {2: encode_data(tag, raw), 3: _scaler_unit(scaler, unit)})
        capture.append(encode_data(2, [(18, 3), (9, obis.to_bytes()), (15, 2), (18, 0)]))
        cells.append(encode_data(tag, raw))
    entry = encode_data(2, cells)
    profile = ObisCode.parse("0.0.21.0.5.255")
    objs[profile] = MeterObject(7, {2: encode_data(1, [entry] * rows), 3: encode_data(1, capture),
                                    4: encode_data(6, 0), 7: encode_data(6, rows)})
    for code, value in (("1.0.1.8.0.255", energy_import_wh), ("1.0.2.8.0.255", energy_export_wh)):
        objs[ObisCode.parse(code)] = MeterObject(3, {2: encode_data(6, value), 3: _scaler_unit(0, 30)})
    for i, value in enumerate(contracted_w):
        objs[ObisCode(0, 1, 94, 34, 11 + i, 255)] = MeterObject(3, {2: encode_data(6, value),
                                                                    3: _scaler_unit(0, 27)})
    objs[ObisCode.parse("0.0.96.1.0.255")] = MeterObject(1, {2: encode_data(9, b"CIR2081710470")})
    objs[ObisCode.parse("0.0.42.0.0.255")] = MeterObject(1, {2: encode_data(9, b"CIR2081710470")})
    assoc = {client_sap: Association(password=password)}
    return SimulatedMeter(objs, assoc, **kwargs)  # type: ignore[arg-type]


def _build_dt(value: _dt.datetime) -> bytes:
    from .cosem_time import build_datetime
    return build_datetime(value, clock_status=0x00)


class SimulatedLink:
    """An in-memory "port" to a SimulatedMeter with the ``write``/``read`` shape the optical
    transport uses (``read`` returns b"" when the meter has nothing to say: a timeout)."""

    def __init__(self, meter: SimulatedMeter) -> None:
        self.meter = meter
        self._pending = bytearray()

    def write(self, data: bytes) -> None:
        self._pending += self.meter.receive(data)

    def read(self, timeout: float | None = None) -> bytes:
        out = bytes(self._pending)
        self._pending.clear()
        return out


class SimulatedOpticalPort:
    """A SimulatedMeter behind an optical port that expects the IEC 62056-21 sign-on first
    (``/?!`` -> identification -> ``ACK 2 Z 2``), then speaks HDLC; or HDLC at once when
    ``signon`` is False. ``receive(bytes) -> bytes`` like the meter."""

    def __init__(self, meter: SimulatedMeter, *, signon: bool = True,
                 identification: bytes = b"/ZIV5\\2ZIV5CTM\r\n") -> None:
        self.meter = meter
        self.identification = identification
        self.state = "signon" if signon else "hdlc"
        self.acknowledged: bytes | None = None
        self._buf = bytearray()

    def receive(self, data: bytes) -> bytes:
        if self.state == "hdlc":
            return self.meter.receive(data)
        self._buf += data
        out = bytearray()
        while True:
            masked = bytes(b & 0x7F for b in self._buf)    # 7E1 at 300 baud: the parity bit is not data
            end = masked.find(b"\r\n")
            if end < 0:
                break
            line, raw_line = masked[:end], bytes(self._buf[:end + 2])
            del self._buf[:end + 2]
            if self.state == "signon" and line.endswith(b"!") and b"/?" in line:
                out += self.identification
                self.state = "ack"
            elif self.state == "ack" and line[:1] == b"\x06" and len(line) == 4:
                self.acknowledged = raw_line
                self.state = "hdlc"
                if self._buf:
                    out += self.meter.receive(bytes(self._buf))
                    self._buf.clear()
                break
        return bytes(out)
