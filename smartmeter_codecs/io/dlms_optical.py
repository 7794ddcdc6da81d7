"""Run the sans-I/O DLMS client over an optical head on a serial port (pyserial, optional
extra ``serial``), or over any object with ``write(bytes)`` and ``read(timeout) -> bytes``.

Two start-ups (docs/formats/dlms-client.md; the user chooses, none is assumed):

* ``start="direct"``: HDLC straight away at 9600 baud 8N1 (what the working ESPHome component
  does with a ZIV 5CTM);
* ``start="iec"``: IEC 62056-21 sign-on at 300 baud 7E1, ``ACK 2 Z 2`` (mode E), then HDLC
  at the baud rate the meter offered, 8N1 (:mod:`smartmeter_codecs.dlms.optical_signon`).

Every poll is one fresh session: SNRM, AARQ, the GETs of the readout plan, RLRQ, DISC. The
meter's inactivity timeout and keep-alive behaviour are not known (research section 4), so
no association is kept open between polls. A session takes a few seconds; the default
cadence is one poll per 60 s (the ESPHome example) and polls closer than
``MIN_POLL_INTERVAL`` (10 s) are refused.

Safety: the client has no SET or ACTION; a rejected login (:class:`AssociationRejected`,
:class:`AuthenticationFailed`) stops polling for good - meters lock the port after a few
failures - while a lost or garbled session (no answer, DM, sequence error) is reported and
the next poll starts afresh.
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any, Iterator, Protocol

from ..dlms.client import (AssociationRejected, ClientSettings, DlmsClient, Event, GetComplete, LinkRefused,
                           State)
from ..dlms.hdlc_link import ServerAddress
from ..dlms.optical_signon import (SIGNON_BAUD, Identification, build_mode_e_ack, build_request, parse_identification,
                                   with_even_parity)
from ..dlms.readout import ES_PRIME, Readout, run_readout
from ..dlms.xdlms import AttributeRef, GetResult
from ..errors import DecodeError, IncompleteError
from ._extras import require
from ..model import Reading

__all__ = ["Link", "SerialLink", "DlmsSession", "read_meter", "poll", "find_server_address", "MIN_POLL_INTERVAL",
           "DEFAULT_POLL_INTERVAL", "MAX_LIST"]

log = logging.getLogger("smartmeter_codecs.io.dlms_optical")

MIN_POLL_INTERVAL = 10.0
DEFAULT_POLL_INTERVAL = 60.0
MAX_LIST = 10          # attributes per GET-with-list: small enough for any meter's PDU size


class Link(Protocol):
    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes: ...


class SerialLink:
    """A serial port with an optical head (needs ``pip install smartmeter-codecs[serial]``)."""

    def __init__(self, port: str, *, baudrate: int = 9600) -> None:
        serial = require("serial", "serial", "reading an optical port")
        self._serial_mod = serial
        self._port = serial.Serial(port, baudrate=baudrate, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                                   stopbits=serial.STOPBITS_ONE, timeout=0.1)

    def write(self, data: bytes) -> None:
        if data:
            self._port.write(data)
            self._port.flush()

    def read(self, timeout: float) -> bytes:
        self._port.timeout = timeout
        first = self._port.read(1)
        if not first:
            return b""
        waiting = self._port.in_waiting
        return first + (self._port.read(waiting) if waiting else b"")  # type: ignore[no-any-return]  # pyserial: bytes

    def iec_signon(self, *, address: str = "", timeout: float = 2.0, max_baud: int | None = None) -> Identification:
        """IEC 62056-21 sign-on and switch to HDLC (mode E); returns the meter's identification."""
        # 7E1 is sent as 8N1 with the parity bit computed here (the same bits on the wire);
        # answers are read at 8 bits and their parity bit masked off by the parser.
        self._port.baudrate = SIGNON_BAUD
        self._port.reset_input_buffer()
        self.write(with_even_parity(build_request(address)))
        buf = bytearray()
        deadline = time.monotonic() + timeout
        ident = None
        while ident is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise IncompleteError("iec62056-21", len(buf), "no identification message after the sign-on "
                                                               "request: is the head on the meter's optical port?")
            buf += self.read(left)
            try:
                ident = parse_identification(bytes(buf))
            except IncompleteError:
                continue
        z = ident.baud_char
        if max_baud is not None:
            z = max((c for c, b in _BAUDS.items() if b <= min(max_baud, ident.baud)), default="0")
        self.write(with_even_parity(build_mode_e_ack(z)))
        # IEC 62056-21 Annex E: the switch follows the acknowledgement; some meters echo it first.
        self.read(0.3)
        self._port.baudrate = _BAUDS[z]
        self._port.reset_input_buffer()
        return ident

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> "SerialLink":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


_BAUDS = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}


class DlmsSession:
    """Drives one :class:`DlmsClient` over a link: ``open()``, ``get_many()``, ``close()``."""

    def __init__(self, link: Link, settings: ClientSettings, *, response_timeout: float = 3.0) -> None:
        self.link = link
        self.client = DlmsClient(settings)
        self.response_timeout = response_timeout

    def _run(self) -> Event:
        c = self.client
        deadline = 0.0
        while True:
            out = c.data_to_send()
            if out:
                self.link.write(out)
                deadline = time.monotonic() + self.response_timeout
            event = c.next_event()
            if event is not None:
                return event
            chunk = self.link.read(max(deadline - time.monotonic(), 0.0))
            if chunk:
                c.receive_data(chunk)
            elif time.monotonic() >= deadline:
                c.timeout()     # queues the retransmission (written above) or raises NoResponseError
                deadline = time.monotonic() + self.response_timeout

    def open(self) -> None:
        """SNRM/UA then AARQ/AARE. When the association fails (AssociationRejected,
        AuthenticationFailed, no answer) the link is disconnected and the error raised."""
        self.client.connect()
        self._run()
        self.client.associate()
        try:
            self._run()
        except DecodeError:       # rejected, or lost: leave the meter disconnected either way
            self._disconnect_quietly()
            raise

    def get_many(self, attrs: list[AttributeRef]) -> list[GetResult]:
        """GET every attribute: with list in batches of MAX_LIST when the meter grants it,
        else one by one."""
        results: list[GetResult] = []
        step = MAX_LIST if self.client.supports_get_with_list else 1
        for i in range(0, len(attrs), step):
            batch = attrs[i:i + step]
            self.client.get(batch)
            ev = self._run()
            assert isinstance(ev, GetComplete)
            results += ev.results
        return results

    def close(self) -> None:
        """RLRQ (when associated) and DISC, best effort."""
        try:
            if self.client.state is State.ASSOCIATED:
                self.client.release()
                self._run()
        except DecodeError as err:
            log.debug("release failed: %s", err)
        self._disconnect_quietly()

    def _disconnect_quietly(self) -> None:
        if self.client.state is State.DISCONNECTED:
            return
        try:
            self.client.disconnect()
            self._run()
        except DecodeError as err:
            log.debug("disconnect failed: %s", err)

    def __enter__(self) -> "DlmsSession":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def read_meter(link: Link, settings: ClientSettings, readout: Readout | None = None, *,
               response_timeout: float = 3.0) -> Reading:
    """One session: connect, log in, run the readout plan, release, disconnect."""
    readout = readout or Readout(ES_PRIME)
    session = DlmsSession(link, settings, response_timeout=response_timeout)
    session.open()
    try:
        return run_readout(readout, session.get_many)
    finally:
        session.close()


def find_server_address(link: Link, settings: ClientSettings, *, sizes: tuple[int, ...] = (2, 4, 1),
                        response_timeout: float = 3.0) -> ServerAddress | None:
    """Which address size the meter answers: one SNRM per size (no login is attempted), the
    first that gets UA (then DISC) or DM wins. A Spanish field app tries 1, 4 and 2 bytes
    for logical 1 / physical 16 (docs/formats/dlms-client.md). None when nothing answers."""
    for size in sizes:
        s = settings.server
        candidate = ServerAddress.make(s.logical, None if size == 1 else (s.physical if s.physical is not None
                                                                           else 16), size)
        session = DlmsSession(link, replace(settings, server=candidate, retries=0), response_timeout=response_timeout)
        try:
            session.client.connect()
            session._run()
        except LinkRefused:
            return candidate            # the meter answered DM: the address is right, the client is not
        except DecodeError:
            continue
        session._disconnect_quietly()
        return candidate
    return None


def poll(link: Link, settings: ClientSettings, readout: Readout | None = None, *,
         interval: float = DEFAULT_POLL_INTERVAL, count: int | None = None, response_timeout: float = 3.0,
         before_session: Any = None, sleep: Any = time.sleep) -> Iterator[Reading | DecodeError]:
    """Yield a Reading per poll (or the DecodeError of a failed session) every ``interval``
    seconds. A rejected login raises and ends the polling. ``before_session(link)`` runs before
    every session (e.g. the IEC sign-on)."""
    if interval < MIN_POLL_INTERVAL and (count is None or count > 1):
        raise ValueError(f"poll interval {interval} s is below the minimum {MIN_POLL_INTERVAL} s "
                         f"(a session takes seconds; the meter is not ours to load)")
    readout = readout or Readout(ES_PRIME)
    n = 0
    while count is None or n < count:
        started = time.monotonic()
        try:
            if before_session is not None:
                before_session(link)
            yield read_meter(link, settings, readout, response_timeout=response_timeout)
        except AssociationRejected:
            raise
        except DecodeError as err:
            yield err
        n += 1
        if count is None or n < count:
            sleep(max(0.0, interval - (time.monotonic() - started)))


__all__ += ["AssociationRejected"]
