"""A read-only, sans-I/O DLMS/COSEM client over HDLC (IEC 62056-46, -5-3): the optical port of
Spanish PRIME meters and of most other DLMS meters.

It builds bytes and consumes bytes; it never opens a port. A transport (for example
:mod:`smartmeter_codecs.io.dlms_optical`) drives it::

    client = DlmsClient(ClientSettings(client_sap=2, password=b"...", server=ServerAddress.make(1, 16)))
    client.connect()                     # queues SNRM
    while True:
        port.write(client.data_to_send())
        event = client.next_event()      # Connected, Associated, GetComplete, Released, Disconnected
        if event is not None:
            break
        chunk = port.read()
        client.receive_data(chunk) if chunk else client.timeout()

Operations, one at a time: :meth:`connect` (SNRM/UA with parameter negotiation),
:meth:`associate` (AARQ/AARE: no security, or LLS with the user's password), :meth:`get`
(GET normal for one attribute, GET with list for several; block transfer is followed by
itself), :meth:`release` (RLRQ/RLRE) and :meth:`disconnect` (DISC). There is no SET and no
ACTION: the client cannot change a meter, and it proposes a conformance block without them.

Errors. Everything the meter sends that ends an operation is a
:class:`~smartmeter_codecs.errors.DecodeError` subclass, so ``except DecodeError`` catches every
problem coming from the wire (the library's contract: bytes in -> value or DecodeError):

* :class:`AssociationRejected` (an :class:`~smartmeter_codecs.errors.ApplicationError`): the AARE
  said no; :class:`AuthenticationFailed` is its subclass for diagnostic 13 (wrong password).
  After either, the client refuses to log in again (meters lock the port after a few bad
  passwords): build a new client deliberately to retry.
* :class:`LinkRefused`: the meter answered DM or FRMR (wrong client or server address, or the
  link was dropped).
* :class:`ServiceError`: an exception-response or confirmed-service-error to a request.
* :class:`SequenceError` (a :class:`~smartmeter_codecs.errors.FramingError`): N(S)/N(R) out
  of order, an unexpected block number or invoke id.
* :class:`NoResponseError` (an :class:`~smartmeter_codecs.errors.IncompleteError`): no valid
  answer after the configured retransmissions.
* Malformed APDUs raise the parser's FramingError/IncompleteError/UnsupportedError.

A data-access error for one attribute is not an exception: it is the ``error`` of that
attribute's :class:`~.xdlms.GetResult`. Using the client out of order (a GET before the
association) raises :class:`ClientStateError`, a ``RuntimeError``: that is a programming
error, not bad input.

Lost frames: a transport calls :meth:`timeout` when nothing valid arrived in time; the client
retransmits its last frame unchanged (same N(S)/N(R)), up to ``retries`` times. A meter that
already answered sees a repeated N(S) and repeats its answer; a repeated RR asks again for the
next segment (IEC 62056-46 6.4.4 checkpointing, and what the simulated meter does).
Broken or foreign frames (bad FCS, other addresses) are ignored: they count as lost.
"""
from __future__ import annotations

import collections
import enum
import logging
from dataclasses import dataclass
from typing import Union

from ..errors import ApplicationError, DecodeError, FramingError, IncompleteError
from . import acse, xdlms
from .hdlc import HdlcFrame, HdlcSplitter, build_frame
from .hdlc_link import (DEFAULT_PARAMETERS, DISC, LLC_REQUEST, LLC_RESPONSE, SNRM, HdlcParameters, ServerAddress,
                        build_parameters, client_address, i_control, parse_control, parse_parameters, rr_control)
from .xdlms import AttributeRef, GetResult

__all__ = [
    "DlmsClient", "ClientSettings", "ClientStateError", "AssociationRejected", "AuthenticationFailed",
    "LinkRefused", "ServiceError", "SequenceError", "NoResponseError", "Connected", "Associated",
    "GetComplete", "Released", "Disconnected", "Event", "State",
]

log = logging.getLogger(__name__)
LAYER = "dlms-client"


# --- errors --------------------------------------------------------------------------------

class ClientStateError(RuntimeError):
    """The client was used out of order (not bad input): e.g. ``get()`` before ``associate()``,
    or a second login after a rejected one."""


class AssociationRejected(ApplicationError):
    """The meter rejected the AARQ. ``aare`` is the parsed answer; ``code`` the diagnostic."""

    def __init__(self, layer: str, offset: int | None, message: str, code: int | None = None,
                 aare: acse.Aare | None = None) -> None:
        self.aare = aare
        super().__init__(layer, offset, message, code)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (self.__class__, (self.layer, self.offset, self.message, self.code, self.aare))


class AuthenticationFailed(AssociationRejected):
    """AARE diagnostic 13 (authentication-failure): the password is wrong. Do not retry
    blindly: meters lock the optical port after a few failures."""


class LinkRefused(ApplicationError):
    """The meter answered DM (disconnected mode) or FRMR (frame reject). ``code`` is the
    control byte."""


class ServiceError(ApplicationError):
    """An exception-response or confirmed-service-error refused a request as a whole."""


class SequenceError(FramingError):
    """An HDLC N(S)/N(R), GET block number or invoke id out of order."""


class NoResponseError(IncompleteError):
    """No valid answer after the configured retransmissions."""


# --- events --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Connected:
    """UA received: the negotiated parameters (seen from the meter: its transmit = our receive)."""

    parameters: HdlcParameters


@dataclass(frozen=True, slots=True)
class Associated:
    aare: acse.Aare

    @property
    def conformance(self) -> int:
        return self.aare.initiate.conformance if self.aare.initiate else 0

    @property
    def max_pdu_size(self) -> int:
        return self.aare.initiate.max_receive_pdu_size if self.aare.initiate else 0


@dataclass(frozen=True, slots=True)
class GetComplete:
    attributes: tuple[AttributeRef, ...]
    results: tuple[GetResult, ...]
    blocks: int = 0            # number of GET-Response-With-Datablock messages it took


@dataclass(frozen=True, slots=True)
class Released:
    reason: int | None


@dataclass(frozen=True, slots=True)
class Disconnected:
    refused: bool = False      # True when the meter answered DISC with DM (it was not connected)


Event = Union[Connected, Associated, GetComplete, Released, Disconnected]


class State(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"            # HDLC link up, no association
    ASSOCIATING = "associating"
    ASSOCIATED = "associated"
    GETTING = "getting"
    RELEASING = "releasing"
    DISCONNECTING = "disconnecting"
    LOGIN_FAILED = "login-failed"      # only disconnect() is allowed
    BROKEN = "broken"                  # no answer / refused: only connect() or disconnect()


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How to reach and log into the meter. No credential is built in.

    Attributes:
        client_sap: client address (e.g. 16 public client, 1 management, 2 reading client of
            Spanish PRIME meters - see docs/formats/dlms-client.md).
        server: the meter's HDLC address (logical device 1, physical 16, 2 bytes by default).
        password: LLS password (mechanism 1); ``None`` for no authentication.
        hdlc: the HDLC parameters the client proposes (its transmit/receive sizes, window 1).
        max_pdu_size: client-max-receive-pdu-size in the InitiateRequest.
        conformance: proposed conformance (read-only services only by default).
        retries: retransmissions of a frame before :class:`NoResponseError`.
        invoke_id: invoke id of every GET (0..15), sent with priority high + confirmed.
    """

    client_sap: int = 16
    server: ServerAddress = ServerAddress(1, 16, 2)
    password: bytes | None = None
    hdlc: HdlcParameters = DEFAULT_PARAMETERS
    max_pdu_size: int = 0xFFFF
    conformance: int = int(acse.READ_ONLY_CONFORMANCE)
    retries: int = 3
    invoke_id: int = 1

    def __post_init__(self) -> None:
        client_address(self.client_sap)
        if self.password is not None and not 1 <= len(self.password) <= 64:
            raise ValueError("an LLS password has 1..64 bytes")
        if not 0 <= self.invoke_id <= 15:
            raise ValueError("invoke_id is 4 bits (0..15)")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")
        forbidden = self.conformance & int(acse.Conformance.SET | acse.Conformance.ACTION | acse.Conformance.WRITE
                                           | acse.Conformance.UNCONFIRMED_WRITE)
        if forbidden:
            raise ValueError("the client is read-only: the proposed conformance may not contain write, set or action")


class DlmsClient:
    """The sans-I/O client state machine (see the module docstring)."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.state = State.DISCONNECTED
        self._splitter = HdlcSplitter()
        self._out = bytearray()
        self._events: collections.deque[Event] = collections.deque()
        self._vs = 0
        self._vr = 0
        self._last_sent = b""
        self._tries = 0
        self._waiting = False            # a frame of ours awaits an answer (timeouts apply)
        self._tx_segments: list[bytes] = []
        self._rx = bytearray()
        self._receiving_segments = False
        self._params = DEFAULT_PARAMETERS   # the meter's view after UA
        self._aare: acse.Aare | None = None
        self._get_attrs: tuple[AttributeRef, ...] = ()
        self._blocks = bytearray()
        self._block_no = 0
        self._block_count = 0
        self._login_failed = False
        self._foreign: set[str] = set()

    # --- public properties ------------------------------------------------------------
    @property
    def negotiated(self) -> HdlcParameters:
        """The meter's UA parameters (its transmit/receive sizes)."""
        return self._params

    @property
    def max_info_transmit(self) -> int:
        """Largest information field the client may send (what the meter receives, capped by
        the client's own proposal)."""
        return min(self.settings.hdlc.max_info_transmit, self._params.max_info_receive)

    @property
    def conformance(self) -> int:
        return self._aare.initiate.conformance if self._aare and self._aare.initiate else 0

    @property
    def supports_get_with_list(self) -> bool:
        return bool(self.conformance & acse.Conformance.MULTIPLE_REFERENCES)

    @property
    def server_max_pdu(self) -> int:
        return self._aare.initiate.max_receive_pdu_size if self._aare and self._aare.initiate else 0

    # --- I/O interface ----------------------------------------------------------------
    def data_to_send(self) -> bytes:
        """Bytes to write to the port now (empty when nothing is pending)."""
        out = bytes(self._out)
        self._out.clear()
        return out

    def next_event(self) -> Event | None:
        """The next completed operation, or ``None`` when more bytes are needed."""
        return self._events.popleft() if self._events else None

    @property
    def awaiting_response(self) -> bool:
        """True while a frame of the client waits for an answer (a transport then reads)."""
        return self._waiting

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the port. Raises a DecodeError subclass when the meter's
        answer ends the operation (see the module docstring); broken frames are ignored."""
        for item in self._splitter.feed(bytes(data)):
            if isinstance(item, DecodeError):
                log.debug("ignoring a broken frame: %s", item)
                continue
            self._on_frame(item)

    def timeout(self) -> None:
        """The transport waited long enough: retransmit the last frame, or raise
        :class:`NoResponseError` when the retries are used up."""
        if not self._waiting:
            return
        self._tries += 1
        if self._tries > self.settings.retries:
            what = self.state.value
            self._waiting = False
            self.state = State.BROKEN
            hint = ""
            if what == State.CONNECTING.value:
                hint = (": check the server address (logical/physical and its size), the client address, the "
                        "baud rate and that the optical head faces the meter's LED")
            if self._foreign:
                hint += f"; frames for other addresses were seen: {', '.join(sorted(self._foreign))}"
            raise NoResponseError(LAYER, None, f"no valid answer while {what} after "
                                               f"{self.settings.retries + 1} transmissions{hint}")
        log.debug("timeout while %s: retransmission %d", self.state.value, self._tries)
        self._out += self._last_sent

    # --- operations -------------------------------------------------------------------
    def connect(self) -> None:
        """Queue SNRM with the client's HDLC parameter proposal."""
        if self.state not in (State.DISCONNECTED, State.BROKEN):
            raise ClientStateError(f"connect() while {self.state.value}")
        self._vs = self._vr = 0
        self._splitter = HdlcSplitter()
        self._rx.clear()
        self._receiving_segments = False
        self._tx_segments = []
        self.state = State.CONNECTING
        self._send(self._frame(SNRM, build_parameters(self.settings.hdlc)))

    def associate(self) -> None:
        """Queue the AARQ (LLS when a password is set, else lowest level security)."""
        if self._login_failed:
            raise ClientStateError("a login failed on this client; the meter may lock its port after repeated "
                                   "failures, so the client does not retry: create a new client deliberately")
        self._require(State.CONNECTED, "associate()")
        s = self.settings
        aarq = acse.Aarq(acse.LN_NO_CIPHERING, acse.MECHANISM_LLS if s.password is not None else None, s.password,
                         acse.InitiateRequest(s.conformance, s.max_pdu_size))
        self.state = State.ASSOCIATING
        self._send_apdu(acse.build_aarq(aarq))

    def get(self, attributes: AttributeRef | list[AttributeRef] | tuple[AttributeRef, ...]) -> None:
        """Queue a GET: normal for one attribute, with list for several (needs the meter's
        multiple-references conformance)."""
        self._require(State.ASSOCIATED, "get()")
        attrs = (attributes,) if isinstance(attributes, AttributeRef) else tuple(attributes)
        if not attrs:
            raise ValueError("get() needs at least one attribute")
        if len(attrs) > 1 and not self.supports_get_with_list:
            raise ClientStateError("the meter did not grant multiple-references (GET with list): get one "
                                   "attribute at a time")
        invoke = self._invoke
        apdu = xdlms.build_get_request(attrs[0], invoke) if len(attrs) == 1 else xdlms.build_get_with_list(attrs, invoke)
        if self.server_max_pdu and len(apdu) > self.server_max_pdu:
            raise ClientStateError(f"GET request of {len(apdu)} bytes exceeds the meter's PDU size "
                                   f"{self.server_max_pdu}: ask for fewer attributes at once")
        self._get_attrs = attrs
        self._blocks.clear()
        self._block_no = 0
        self._block_count = 0
        self.state = State.GETTING
        self._send_apdu(apdu)

    def release(self) -> None:
        """Queue RLRQ (reason normal)."""
        self._require(State.ASSOCIATED, "release()")
        self.state = State.RELEASING
        self._send_apdu(acse.build_rlrq(0))

    def disconnect(self) -> None:
        """Queue DISC. Allowed in every state but DISCONNECTED (also after a failed login)."""
        if self.state is State.DISCONNECTED:
            raise ClientStateError("disconnect() while disconnected")
        self.state = State.DISCONNECTING
        self._tx_segments = []
        self._send(self._frame(DISC))

    # --- internals --------------------------------------------------------------------
    @property
    def _invoke(self) -> int:
        return 0xC0 | self.settings.invoke_id

    def _require(self, state: State, what: str) -> None:
        if self.state is not state:
            raise ClientStateError(f"{what} needs state {state.value}, client is {self.state.value}")

    def _frame(self, control: int, info: bytes = b"", segmented: bool = False) -> bytes:
        s = self.settings
        return build_frame(info, destination=s.server.value, destination_size=s.server.size, source=s.client_sap,
                           source_size=1, control=control, segmented=segmented)

    def _send(self, frame: bytes) -> None:
        self._out += frame
        self._last_sent = frame
        self._tries = 0
        self._waiting = True

    def _send_apdu(self, apdu: bytes) -> None:
        info = LLC_REQUEST + apdu
        size = self.max_info_transmit
        chunks = [info[i:i + size] for i in range(0, len(info), size)]
        self._tx_segments = chunks
        self._send_next_segment()

    def _send_next_segment(self) -> None:
        chunk = self._tx_segments.pop(0)
        more = bool(self._tx_segments)
        frame = self._frame(i_control(self._vs, self._vr), chunk, segmented=more)
        self._vs = (self._vs + 1) & 7
        self._send(frame)

    def _on_frame(self, f: HdlcFrame) -> None:
        s = self.settings
        src = ServerAddress.from_value(f.source, f.source_size)
        if f.destination != s.client_sap or (src.logical, src.physical) != (s.server.logical, s.server.physical):
            self._foreign.add(f"{f.source_size}-byte server {src.logical}/{src.physical} -> client {f.destination}")
            log.debug("ignoring a frame for another address: %s", f)
            return
        c = parse_control(f.control)
        if not self._waiting:
            log.debug("ignoring an unsolicited %s frame", c.kind)
            return
        if c.kind in ("DM", "FRMR"):
            self._on_refusal(c.kind, f)
            return
        st = self.state
        if st is State.CONNECTING:
            if c.kind == "UA":
                try:
                    self._params = parse_parameters(f.information, f.info_start)
                except DecodeError as err:
                    self._fail(err)
                self._waiting = False
                self.state = State.CONNECTED
                self._events.append(Connected(self._params))
            else:
                log.debug("ignoring %s while waiting for UA", c.kind)
            return
        if st is State.DISCONNECTING:
            if c.kind == "UA":
                self._waiting = False
                self.state = State.DISCONNECTED
                self._events.append(Disconnected())
            return
        if c.kind == "RR":
            if self._tx_segments:
                if c.nr == self._vs:
                    self._send_next_segment()
                else:   # the meter asks again for the segment it missed
                    self._out += self._last_sent
            return
        if c.kind != "I":
            log.debug("ignoring %s during an exchange", c.kind)
            return
        self._on_i_frame(f, c.ns or 0, c.nr or 0)

    def _on_refusal(self, kind: str, f: HdlcFrame) -> None:
        st = self.state
        self._waiting = False
        if st is State.DISCONNECTING and kind == "DM":
            self.state = State.DISCONNECTED
            self._events.append(Disconnected(refused=True))
            return
        self.state = State.BROKEN
        if st is State.CONNECTING:
            msg = (f"the meter answered {kind} to SNRM: it refuses a connection from client {self.settings.client_sap} "
                   f"(wrong client address for this meter, or another session is open)")
        else:
            msg = f"the meter answered {kind} while {st.value}: the link was dropped (inactivity timeout?)"
        raise LinkRefused(LAYER, f.start, msg, f.control)

    def _on_i_frame(self, f: HdlcFrame, ns: int, nr: int) -> None:
        if ns != self._vr:
            if ns == (self._vr - 1) & 7:
                # A repeat: the meter did not get our acknowledgement. Re-send our last frame
                # only when it was an RR (a new request acknowledges by itself).
                log.debug("ignoring a repeated I frame N(S)=%d", ns)
                if self._receiving_segments:
                    self._out += self._last_sent
                return
            self._fail(SequenceError(LAYER, f.start, f"I frame N(S)={ns}, expected {self._vr}"))
        if nr != self._vs:
            self._fail(SequenceError(LAYER, f.start, f"I frame N(R)={nr} does not acknowledge our frame "
                                                     f"(expected N(R)={self._vs})"))
        if self._tx_segments:
            self._fail(SequenceError(LAYER, f.start, "I frame while our segmented request was not complete"))
        self._vr = (self._vr + 1) & 7
        self._rx += f.information
        if f.segmented:
            self._receiving_segments = True
            self._send(self._frame(rr_control(self._vr)))
            return
        self._receiving_segments = False
        self._waiting = False
        info = bytes(self._rx)
        self._rx.clear()
        if info[:3] != LLC_RESPONSE:
            self._fail(FramingError(LAYER, f.info_start, f"information field starts {info[:3].hex()}, expected the "
                                                         f"LLC response header e6e700"))
        self._on_apdu(info[3:], f.info_start + 3)

    def _fail(self, err: DecodeError) -> None:
        """An error that leaves the link in an unknown state."""
        self._waiting = False
        self.state = State.BROKEN
        raise err

    def _on_apdu(self, apdu: bytes, offset: int) -> None:
        st = self.state
        try:
            if st is State.ASSOCIATING:
                self._on_aare(apdu)
            elif st is State.GETTING:
                self._on_get_response(apdu)
            elif st is State.RELEASING:
                reason = acse.parse_rlre(apdu)
                self.state = State.CONNECTED
                self._aare = None
                self._events.append(Released(reason))
            else:
                raise FramingError(LAYER, 0, f"an APDU arrived while {st.value}")
        except DecodeError as err:
            if self.state is st and st in (State.GETTING, State.RELEASING):
                self.state = State.ASSOCIATED if st is State.GETTING else State.BROKEN
            elif self.state is st:
                self.state = State.BROKEN
            raise err.shifted(offset) if not isinstance(err, (ApplicationError, SequenceError)) else err

    def _on_aare(self, apdu: bytes) -> None:
        aare = acse.parse_aare(apdu)
        if aare.accepted:
            self._aare = aare
            self.state = State.ASSOCIATED
            self._events.append(Associated(aare))
            return
        self._login_failed = True
        self.state = State.LOGIN_FAILED
        user = aare.diagnostic_source == "acse-service-user"
        if user and aare.diagnostic == acse.UserDiagnostic.AUTHENTICATION_FAILURE:
            raise AuthenticationFailed(LAYER, 0, f"the meter rejected the password ({aare.describe()}); not "
                                                 f"retrying: meters lock the port after repeated failures",
                                       aare.diagnostic, aare)
        hint = ""
        if user and aare.diagnostic in (acse.UserDiagnostic.NO_REASON_GIVEN,
                                        acse.UserDiagnostic.APPLICATION_CONTEXT_NAME_NOT_SUPPORTED):
            hint = f"; is client {self.settings.client_sap} an association this meter has?"
        elif user and aare.diagnostic in (acse.UserDiagnostic.AUTHENTICATION_REQUIRED,
                                          acse.UserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED):
            hint = "; this client needs a password (LLS)"
        raise AssociationRejected(LAYER, 0, f"association rejected: {aare.describe()}{hint}", aare.diagnostic, aare)

    def _on_get_response(self, apdu: bytes) -> None:
        resp = xdlms.parse_get_response(apdu)
        if isinstance(resp, xdlms.ExceptionResponse):
            self.state = State.ASSOCIATED
            raise ServiceError(LAYER, 0, f"the meter refused the GET: {resp.describe()}", resp.detail[-1])
        if resp.invoke_id_and_priority & 0x0F != self.settings.invoke_id:
            raise SequenceError(LAYER, 2, f"GET-Response invoke id {resp.invoke_id_and_priority & 0x0F}, expected "
                                          f"{self.settings.invoke_id}")
        single = len(self._get_attrs) == 1
        if resp.kind == 2:
            self._block_no += 1
            self._block_count += 1
            if resp.block_number != self._block_no:
                raise SequenceError(LAYER, 4, f"GET block number {resp.block_number}, expected {self._block_no}")
            if resp.block_error is not None:
                results = tuple(GetResult(None, resp.block_error) for _ in self._get_attrs)
                return self._get_done(results)
            self._blocks += resp.raw_data
            if len(self._blocks) > 16 * 1024 * 1024:
                raise FramingError(LAYER, 0, "block transfer beyond 16 MiB; refusing to buffer more")
            if not resp.last_block:
                self._send_apdu(xdlms.build_get_next(self._block_no, self._invoke))
                return
            return self._get_done(xdlms.parse_get_results(bytes(self._blocks), 1 if single else 3))
        if (resp.kind == 1) != single:
            raise FramingError(LAYER, 1, f"GET-Response kind {resp.kind} does not answer a request for "
                                         f"{len(self._get_attrs)} attribute(s)")
        if len(resp.results) != len(self._get_attrs):
            raise FramingError(LAYER, 3, f"{len(resp.results)} results for {len(self._get_attrs)} attributes")
        self._get_done(resp.results)

    def _get_done(self, results: tuple[GetResult, ...]) -> None:
        if len(results) != len(self._get_attrs):
            raise FramingError(LAYER, 0, f"{len(results)} results for {len(self._get_attrs)} attributes")
        self.state = State.ASSOCIATED
        self._waiting = False
        self._events.append(GetComplete(self._get_attrs, results, self._block_count))
