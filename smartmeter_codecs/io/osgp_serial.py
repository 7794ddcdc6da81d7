"""Serial transport for the OSGP MEP port: drives :class:`~smartmeter_codecs.osgp.MepClient` over pyserial.

Optional extra: ``pip install smartmeter-codecs[serial]`` (pyserial). The protocol logic is
all in the sans-I/O client; this module only moves bytes and keeps time:

* the answer timeout is 500 ms (DG "Response timeout"); on expiry the client resends;
* requests are spaced at least ``min_gap`` seconds (the meter takes at most one request per
  100 ms, DG "Response timing"); poll no faster than once a second on average (DG "Calling
  Procedures" note);
* 9600 baud by default (DG "MEP Port Baud Rate"). The DG does not state the parity: the
  dabbler.dk client uses 8N1, the NES-MEP-Reader README says 8E1 (docs/formats/osgp.md), so it
  is a parameter.

Wiring: the MEP port is an RS-232-level serial port behind the meter's terminal cover (Danish
meters: MEP1/MEP2 on Gen 4); the key (MBK) comes from the grid company.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from ..errors import DecodeError, IncompleteError
from ._extras import require
from ..model import Reading
from ..osgp.client import MepClient
from ..osgp.tables import MeterConfig

__all__ = ["MepSerialReader"]

log = logging.getLogger("smartmeter_codecs.io.osgp_serial")


class MepSerialReader:
    """Poll a NES meter's MEP port.

    >>> with MepSerialReader("/dev/ttyUSB0", mep_key("0123456789ABCDEFGHIJ")) as meter:  # doctest: +SKIP
    ...     reading = meter.poll()

    Args:
        port: a serial device or a pyserial URL (``rfc2217://``, ``socket://``...).
        key: the 16-byte MEP key (:func:`~smartmeter_codecs.osgp.mep_key` converts other forms).
        baudrate, parity: line settings (``"N"`` or ``"E"``; 8 data bits, 1 stop bit).
        encrypt: RC4-encrypt requests.
        response_timeout: seconds to wait for an answer before the client resends.
        min_gap: minimum seconds between two requests.
        config: a known :class:`MeterConfig` (e.g. the energy register unit of a CT meter).
        serial: an already open pyserial-like object (``read``, ``write``, ``timeout``) instead of ``port``.
    """

    def __init__(self, port: str | None, key: bytes, *, baudrate: int = 9600, parity: str = "N",
                 encrypt: bool = False, response_timeout: float = 0.5, min_gap: float = 0.1,
                 config: MeterConfig | None = None, serial: Any = None) -> None:
        self.client = MepClient(key, encrypt=encrypt, config=config)
        self.response_timeout = response_timeout
        self.min_gap = min_gap
        self._last_send = 0.0
        if serial is None:
            pyserial = require("serial", "serial", "the MEP serial reader")
            if port is None:
                raise ValueError("give a serial port or an open serial object")
            serial = pyserial.serial_for_url(port, baudrate=baudrate, parity=parity, bytesize=8, stopbits=1,
                                             timeout=response_timeout)
        self._ser = serial
        self._ser.timeout = response_timeout

    def __enter__(self) -> MepSerialReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._ser.close()

    def poll(self) -> Reading:
        """One poll cycle (the dimension tables first time): the Reading, or the DecodeError
        that ended the cycle raised (wrong key -> ApplicationError 0x0B, no answer ->
        IncompleteError). Recovered problems (a damaged answer resent) are logged."""
        c = self.client
        c.start_poll()
        last_error: DecodeError | None = None
        while True:
            out = c.data_to_send()
            if out:
                wait = self._last_send + self.min_gap - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._ser.write(out)
                self._last_send = time.monotonic()
            if c.idle:
                break
            chunk = self._ser.read(max(1, getattr(self._ser, "in_waiting", 0) or 1))
            events = c.receive_data(chunk) if chunk else c.timeout()
            for e in events:
                if isinstance(e, Reading):
                    return e
                log.warning("MEP: %s", e)
                last_error = e
        raise last_error or IncompleteError("osgp-mep", None, "the poll cycle ended without a reading")
