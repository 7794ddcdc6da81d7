"""``MepClient``: the sans-I/O MEP client a wallbox runs (it never touches a port).

Usage (a transport does the I/O; :mod:`smartmeter_codecs.io.osgp_serial` is one)::

    client = MepClient(mep_key("0123456789ABCDEFGHIJ"))
    client.start_poll()
    while not client.idle:
        port.write(client.data_to_send())
        chunk = port.read(timeout=0.5)
        if not chunk:
            client.timeout()               # DG p.21: no answer within 500 ms -> resend
            continue
        for event in client.receive_data(chunk):
            ...                            # a Reading per poll cycle, or a DecodeError

What it does, and why (MEP Client Developer's Guide, DG):

* sequence numbers: the first request uses a guess; the meter's 0x0C answer carries the
  number to continue from (DG "RC4 Authentication", RC4 Example 1). After that every request
  increments it. A later 0x0C (the meter adds 25 when its interface definition changes, DG
  p.55) resynchronises and re-reads the dimension tables.
* retries: a request without an answer is resent unchanged (DG p.21 "Response timeout"), up
  to ``retries`` times; an answer whose digest fails is reported (DecryptionError) and the
  request is sent again with a new sequence number.
* configuration once: BT00 (formats), BT15 (CT/VT ratios), BT21 (dimensions), BT27 (present
  value sources), ET03 (serial number); then each poll cycle reads the BT28 present values,
  the first BT23 summations and the BT52 clock, and yields one Reading (DG "Minimal wallbox
  read set", docs/formats/osgp.md). Partial reads keep every answer inside the 476-byte limit.
* digests are verified over request + answer for every answer (dabbler's ESP32 client never
  does: docs/formats/osgp.md).
* alerts (``00 00``) are counted in :attr:`alerts`; servicing them (ET13, EP39) is left to the
  application (DG "Alert Sequence").
* 0x0B (authentication failure, wrong key) stops the cycle: retrying cannot help.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import DecodeError, FramingError, IncompleteError
from ..model import Reading, Register
from ..plausibility import screen
from .c1218 import Code, TableRequest, response_error
from .conversation import read_answer
from .digest import mep_key
from .mapping import FORMAT_MEP, build_reading
from .mep import LAYER, Exchange, classify, next_frame, open_response, seal_request
from .tables import BT00, BT15, BT21, BT23, BT27, BT28, BT52, ET03, MeterConfig, ni_size

__all__ = ["MepClient", "PlannedRead"]

log = logging.getLogger("smartmeter_codecs.osgp.client")

_MAX_DATA = 476 - 3 - 8          # a read answer's table bytes within the MEP maximum


@dataclass(frozen=True, slots=True)
class PlannedRead:
    table: int
    offset: int
    count: int
    config: bool                  # a dimension table (read once) or a value table (every cycle)


class MepClient:
    """The MEP request/response state machine (sans-I/O).

    Args:
        key: the MEP key: 16 or 20 bytes, 20 characters as the grid company hands it out, or
            32/40 hex digits (:func:`~smartmeter_codecs.osgp.mep_key`).
        seq: the first sequence number to try (``None``: 0; the meter's 0x0C answer corrects it).
        encrypt: send RC4-encrypted requests (the meter answers in kind; DG App. B).
        summations: how many BT23 summations to read each cycle (4: Fwd/Rev Wh, import/export varh).
        retries: resends of an unanswered request before the cycle fails.
        config: a :class:`MeterConfig` known in advance (e.g. ``energy_register_unit``).
    """

    def __init__(self, key: bytes | str, *, seq: int | None = None, encrypt: bool = False, summations: int = 4,
                 retries: int = 3, config: MeterConfig | None = None) -> None:
        self.key = mep_key(key)             # 16 bytes; 20 bytes/characters -> first 16 (DG "Access Levels")
        self.seq = seq if seq is not None else 0
        self.synced = seq is not None
        self.encrypt = encrypt
        self.summations = summations
        self.retries = retries
        self.config = config or MeterConfig()
        self.configured = False
        self.alerts = 0
        self.requests_sent = 0
        self._plan: list[PlannedRead] = []
        self._current: PlannedRead | None = None
        self._exchange: Exchange | None = None
        self._frame = b""
        self._to_send = b""
        self._tries = 0
        self._resyncs = 0
        self._buf = b""
        self._registers: list[Register] = []
        self._notes: list[str] = []

    # --- public API -----------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """No cycle in progress (start one with :meth:`start_poll`)."""
        return self._current is None and not self._plan

    def start_poll(self) -> None:
        """Begin a poll cycle (the dimension tables first if not read yet)."""
        if not self.idle:
            raise RuntimeError("a poll cycle is already running")
        self._plan = self._value_plan() if self.configured else self._config_plan()
        self._registers, self._notes = [], []
        self._next()

    def data_to_send(self) -> bytes:
        """Bytes to write to the port now (``b""`` when waiting for an answer)."""
        out, self._to_send = self._to_send, b""
        return out

    def timeout(self) -> list[Reading | DecodeError]:
        """The caller's answer timer ran out (500 ms, DG p.21): resend the same frame, or give up."""
        if self._current is None:
            return []
        if self._tries > self.retries:
            err = IncompleteError(LAYER, None, f"no answer to {self._describe()} after {self._tries} tries")
            self._abort()
            return [err]
        self._tries += 1
        self._buf = b""
        self._to_send = self._frame
        return []

    def receive_data(self, data: bytes) -> list[Reading | DecodeError]:
        """Feed bytes read from the port; returns the Readings (one per finished cycle) and the
        errors met on the way (never raised)."""
        self._buf += bytes(data)
        out: list[Reading | DecodeError] = []
        while len(self._buf) >= 2:
            try:
                frame = next_frame(self._buf)
            except IncompleteError:
                break
            except FramingError as err:
                out.append(err)
                self._buf = self._buf[1:]
                continue
            self._buf = self._buf[frame.end:]
            kind = classify(frame.body)
            if kind == "alert":
                self.alerts += 1
                continue
            if self._exchange is None:
                continue                              # an answer nobody asked for (late duplicate)
            try:
                resp, _ = open_response(frame, self._exchange)
            except DecodeError as err:
                out.append(err)
                if self._tries > self.retries:
                    out.append(IncompleteError(LAYER, None, f"no usable answer to {self._describe()} after "
                                               f"{self._tries} tries"))
                    self._abort()
                else:
                    self._send_current()              # new sequence number; the meter refuses repeats
                continue
            out.extend(self._handle(resp))
        return out

    # --- internals --------------------------------------------------------------------------
    def _config_plan(self) -> list[PlannedRead]:
        return [PlannedRead(BT00, 0, 19, True), PlannedRead(BT15, 0, 17, True), PlannedRead(BT21, 0, 10, True),
                PlannedRead(ET03, 0, 30, True), PlannedRead(BT27, 0, 0, True)]

    def _value_plan(self) -> list[PlannedRead]:
        dims = self.config.dimensions
        assert dims is not None
        n1 = ni_size(self.config.ni1)
        n2 = ni_size(self.config.ni2)
        dmd = dims.present_demands * ((3 if dims.time_remaining else 0) + n2)
        values = min(dims.present_values, _MAX_DATA // n1)
        a = 1 if dims.demand_reset_counter else 0
        sums = min(self.summations, dims.summations)
        return [PlannedRead(BT28, dmd, values * n1, False), PlannedRead(BT23, 0, a + sums * n1, False),
                PlannedRead(BT52, 0, 7, False)]

    def _describe(self) -> str:
        c = self._current
        return "nothing" if c is None else f"read of table {c.table} [{c.offset}:{c.offset + c.count}]"

    def _next(self) -> None:
        if not self._plan:
            self._current = None
            return
        self._current = self._plan.pop(0)
        if self._current.table == BT27:
            dims = self.config.dimensions
            if dims is None:
                self._abort()
                return
            self._current = PlannedRead(BT27, 0, dims.present_demands + dims.present_values, True)
        self._tries = 0
        self._send_current()

    def _send_current(self) -> None:
        c = self._current
        assert c is not None
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        req = TableRequest(Code.READ_PARTIAL, c.table, c.offset, c.count)
        self._frame, self._exchange = seal_request(req, self.seq, self.key, encrypt=self.encrypt)
        self._to_send = self._frame
        self._tries += 1
        self.requests_sent += 1

    def _abort(self) -> None:
        self._plan = []
        self._current = None
        self._exchange = None

    def _handle(self, resp: object) -> list[Reading | DecodeError]:
        from .c1218 import Response
        assert isinstance(resp, Response) and self._current is not None
        if resp.code == 0x0C and resp.seq is not None:
            # DG: the correct sequence number; after the first sync a 0x0C hints at a changed
            # interface definition (DG p.55): read the dimension tables again
            self._resyncs += 1
            if self._resyncs > 3:               # a meter that refuses every number: do not loop
                failed = response_error(resp, None, f"{self._describe()}: the meter refused 4 sequence numbers")
                self._abort()
                return [failed]
            resync = self.synced
            self.seq = resp.seq
            self.synced = True
            if resync and self.configured:
                log.info("sequence number reset by the meter: re-reading the dimension tables")
                self.configured = False
                self._plan = self._config_plan()
                self._registers, self._notes = [], []
                self._next()
            else:
                self._send_current()
            return []
        if resp.code == 0x0B:
            err = response_error(resp, None, f"{self._describe()} (the MEP key is wrong)")
            self._abort()
            return [err]
        if not resp.ok:
            failed = response_error(resp, None, self._describe())
            self._abort()
            return [failed]
        self.synced = True
        self._resyncs = 0
        c = self._current
        req = TableRequest(Code.READ_PARTIAL, c.table, c.offset, c.count)
        try:
            self.config, regs, notes = read_answer(req, resp.data, self.config)
        except DecodeError as err:
            self._abort()
            return [err]
        self._exchange = None
        if c.config:
            if not self._plan:
                self.configured = True
                self._plan = self._value_plan()
        else:
            self._registers.extend(regs)
            self._notes.extend(notes)
        self._next()
        if self._current is None and not c.config:
            # the same safety net as decode(): no implausible value reaches an SI field silently
            return [screen(build_reading(self._registers, self.config, format=FORMAT_MEP, authenticated=True,
                                         notes=self._notes))]
        return []
