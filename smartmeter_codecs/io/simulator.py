"""A meter simulator: frames of any format sent to a pty, a serial port, TCP clients or stdout.

Frames come from captured fixtures (sent as they are) or are generated: a Reading whose
power follows a smooth daily-like curve and whose energy registers grow by exactly the
energy of that power, encoded with :func:`smartmeter_codecs.encode` (so keys give encrypted
frames). The sinks are the I/O half; :func:`run` paces frames at the meter's cadence.
"""
from __future__ import annotations

import datetime as _dt
import logging
import math
import os
import select
import socket
import threading
import time
from typing import Any, BinaryIO, Iterable, Iterator, Protocol

from ..api import encode
from ..keys import KeysArg
from ..model import Reading

__all__ = ["generated_readings", "generated_frames", "Sink", "PtySink", "SerialSink", "TcpServerSink",
           "TcpClientSink", "StreamSink", "GARBAGE", "run"]

log = logging.getLogger("smartmeter_codecs.io")

# Injected between frames by ``run(garbage=True)``: line noise plus the start bytes of every
# byte-stream format (HDLC flag and frame type, M-Bus long-frame start, P1 '/', SML escape),
# so a reader's resynchronisation is exercised, not only its skipping of zeros.
GARBAGE = bytes.fromhex("00ff55aa7e7ea0137e6810106800") + b"/X" + bytes.fromhex("1b1b1b1b0101ff00")


def generated_readings(*, meter_id: str = "12345678", start: _dt.datetime | None = None,
                       step: _dt.timedelta = _dt.timedelta(seconds=10), phases: int = 3) -> Iterator[Reading]:
    """Endless plausible Readings: power on a smooth curve, energy = integral of that power.

    Values stay within the plausibility ranges and every frame differs, so a reader that
    drops or repeats frames is visible in the output.
    """
    t = start if start is not None else _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    energy = 12_345_678.0   # Wh
    n = 0
    while True:
        power = round(1500.0 + 1200.0 * math.sin(n / 7.0), 0)          # W, always 300..2700
        volts = [round(230.0 + 2.0 * math.sin(n / 5.0 + k), 1) for k in range(phases)]
        amps = [round(power / phases / v, 2) for v in volts]
        fields: dict[str, Any] = {
            "meter_id": meter_id, "timestamp": t,
            "active_power_import": power, "active_power_export": 0.0,
            "active_energy_import": round(energy, 0), "active_energy_export": 0.0,
        }
        for k in range(phases):
            fields[f"voltage_l{k + 1}"] = volts[k]
            fields[f"current_l{k + 1}"] = amps[k]
        yield Reading(format="simulator", **fields)
        energy += power * step.total_seconds() / 3600.0
        t += step
        n += 1


def generated_frames(format: str, *, profile: str | None = None, keys: KeysArg = None,
                     meter_id: str = "12345678", step: _dt.timedelta = _dt.timedelta(seconds=10),
                     start: _dt.datetime | None = None) -> Iterator[bytes]:
    """Endless frames of ``format`` encoding :func:`generated_readings`.

    Raises:
        ValueError: the format is unknown or cannot encode such a Reading (at the first frame).
    """
    fields = _CARRIED.get(format)
    for n, reading in enumerate(generated_readings(meter_id=meter_id, start=start, step=step), start=1):
        options: dict[str, Any] = {}
        if format == "dlms" and keys is not None:
            options["invocation_counter"] = n   # a real meter counts up; replays are detectable
        if fields is not None:
            reading = _only(reading, fields)
        yield encode(reading, format=format, profile=profile, keys=keys, **options)


# Formats whose messages carry fewer quantities than a HAN push: the fields a generated
# Reading keeps for them (Chain 2 CF1, the gateway's periodic message: time, power, energy).
_CARRIED: dict[str, tuple[str, ...]] = {
    "chain2": ("timestamp", "active_power_import", "active_energy_import"),
}


def _only(reading: Reading, names: tuple[str, ...]) -> Reading:
    return Reading(format=reading.format, **{n: getattr(reading, n) for n in names})


class Sink(Protocol):
    """Where simulated frames go."""

    def write(self, data: bytes) -> None: ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Sleep between frames (serving the sink meanwhile); False when stopped."""
        ...

    def close(self) -> None: ...


class StreamSink:
    """A binary stream (stdout): written and flushed frame by frame."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return not stop.wait(seconds)

    def close(self) -> None:
        pass


class PtySink:
    """A pseudo-terminal pair: the simulator writes the master, a reader opens :attr:`path`.

    ``link``: also make a symlink with this name to the slave device, so a reader can be
    started with a fixed name (``--port /tmp/meter``) before the simulator runs.
    """

    def __init__(self, link: str | None = None) -> None:
        import tty   # POSIX only: imported here so the rest of io/ works on Windows
        self._master, self._slave = os.openpty()
        # raw mode now: a cooked pty would turn CR into LF (breaking P1 CRCs) and echo bytes
        # before the reader opens the slave and sets its own mode
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.link = link
        if link:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(self.path, link)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                import termios
                # nobody reads and the line buffer is full: like a real meter pushing into an
                # unplugged port, the unread bytes are lost (dropped here), the simulator goes on
                termios.tcflush(self._slave, termios.TCIFLUSH)
                continue
            view = view[n:]

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return not stop.wait(seconds)

    def close(self) -> None:
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.path:
            os.unlink(self.link)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SerialSink:
    """A real serial port (pyserial, the ``serial`` extra)."""

    def __init__(self, port: str, settings: dict[str, Any]) -> None:
        from .transports import SerialConnection
        self._conn = SerialConnection(port, settings)

    def write(self, data: bytes) -> None:
        self._conn.write(data)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return not stop.wait(seconds)

    def close(self) -> None:
        self._conn.close()


class TcpServerSink:
    """A TCP server like ser2net or an ESP bridge: every connected client gets every frame."""

    def __init__(self, host: str, port: int) -> None:
        self._server = socket.create_server((host, port), reuse_port=False)
        self._server.setblocking(False)
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._clients: list[socket.socket] = []

    def _accept(self) -> None:
        while True:
            try:
                client, peer = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            client.setblocking(True)
            log.info("simulator: client %s:%s connected", *peer[:2])
            self._clients.append(client)

    def write(self, data: bytes) -> None:
        self._accept()
        for client in list(self._clients):
            try:
                client.sendall(data)
            except OSError:
                client.close()
                self._clients.remove(client)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            readable, _, _ = select.select([self._server], [], [], min(left, 0.1))
            if readable:
                self._accept()
        return False

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._server.close()


class TcpClientSink:
    """Push frames to a TCP server (a collector, or a bridge's TCP-to-serial side)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 10.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=connect_timeout)

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return not stop.wait(seconds)

    def close(self) -> None:
        self._sock.close()


def run(frames: Iterable[bytes], sink: Sink, *, interval: float, count: int | None = None,
        garbage: bool = False, stop: threading.Event | None = None) -> int:
    """Send ``frames`` to ``sink``, one per ``interval`` seconds; returns how many were sent.

    ``count`` stops after that many frames (``None``: until ``frames`` ends or ``stop`` is
    set); ``garbage`` puts :data:`GARBAGE` before every frame.
    """
    stop = stop if stop is not None else threading.Event()
    sent = 0
    for frame in frames:
        if stop.is_set() or (count is not None and sent >= count):
            break
        if sent and not sink.wait(interval, stop):
            break
        sink.write(GARBAGE + frame if garbage else frame)
        sent += 1
    return sent
