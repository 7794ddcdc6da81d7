"""The blocking reader: bytes from a connection, Readings out as soon as a frame completes.

    for item in read_serial("/dev/ttyUSB0", preset="no-han"):
        print(item)

The decoding is :class:`~smartmeter_codecs.StreamDecoder` (sans-I/O); this module only
opens, reads, reconnects and stops.
"""
from __future__ import annotations

import logging
import pathlib
import threading
import time
from typing import BinaryIO, Callable, Iterator, Literal

from ..errors import DecodeError
from ..keys import KeysArg
from ..model import Reading
from ..stream import StreamDecoder
from ..zones import TzArg
from .backoff import DEFAULT_BACKOFF, Backoff
from ._extras import require
from .presets import get_preset
from .transports import (Connection, FileConnection, SerialConnection, TcpConnection, parse_hostport,
                         serial_settings)

__all__ = ["MeterReader", "read_serial", "read_tcp", "read_file", "Item", "ErrorPolicy"]

log = logging.getLogger("smartmeter_codecs.io")

Item = Reading | DecodeError
ErrorPolicy = Literal["yield", "log"]


class MeterReader:
    """A blocking iterator of Readings (and DecodeErrors) from one byte source.

    Iterate it once (``for item in reader``). Each Reading is yielded as soon as the chunk
    that completes its frame arrives. A broken frame is a :class:`DecodeError` item
    (``errors="yield"``, the default) or a logged warning (``errors="log"``); either way the
    stream goes on. When the source fails or closes, the reader reconnects according to
    ``reconnect`` (a :class:`Backoff`), starting a fresh frame buffer with the format it had
    detected; ``reconnect=None`` ends the iteration at end of stream and raises a failure.

    :meth:`close` (from any thread) or the ``stop`` event ends the iteration within the
    poll time (0.2 s), also during a back-off wait.

    Attributes:
        description: what is read (``"/dev/ttyUSB0 (2400 8E1)"``, ``"tcp 10.0.0.5:8888"``).
        format: the format name, once known (given, or detected from the stream).
        bytes_read: bytes received so far (all connections).
        connections: how many times a connection was opened.
    """

    def __init__(self, connect: Callable[[], Connection], *, description: str, format: str | None = None,
                 keys: KeysArg = None, profile: str | None = None, tz: TzArg = None,
                 reconnect: Backoff | None = None, idle_timeout: float | None = None,
                 errors: ErrorPolicy = "yield",
                 stop: threading.Event | None = None,
                 on_bytes: Callable[[int], None] | None = None) -> None:
        if errors not in ("yield", "log"):
            raise ValueError(f"errors must be 'yield' or 'log', got {errors!r}")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive or None")
        self._connect = connect
        self.description = description
        self._keys = keys
        self._profile = profile
        self._tz = tz
        # built now so an unknown format or profile is a ValueError here, not at the first byte
        self._decoder = StreamDecoder(format=format, keys=keys, profile=profile, tz=tz)
        self._reconnect = reconnect
        self._idle_timeout = idle_timeout
        self._errors = errors
        self._stop = stop if stop is not None else threading.Event()
        self._on_bytes = on_bytes
        self.bytes_read = 0
        self.connections = 0

    @property
    def format(self) -> str | None:
        return self._decoder.format

    def close(self) -> None:
        """Stop the iteration (thread-safe); the connection is closed on the way out."""
        self._stop.set()

    def __enter__(self) -> "MeterReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Item]:
        return self._run()

    def _open(self, delays: Iterator[float] | None) -> Connection | None:
        """A connection, waiting out the back-off between attempts; None when stopped."""
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except OSError as err:
                wait = next(delays, None) if delays is not None else None
                if wait is None:
                    raise
                log.warning("%s: cannot connect (%s); retrying in %.3g s", self.description, err, wait)
                if self._stop.wait(wait):
                    return None
                continue
            self.connections += 1
            log.info("%s: connected", self.description)
            return conn
        return None

    def _run(self) -> Iterator[Item]:
        policy = self._reconnect
        first = policy is not None and policy.first
        conn = self._open(policy.delays() if first and policy is not None else None)
        while conn is not None:
            delays = policy.delays() if policy is not None else None
            lost: OSError | None = None
            try:
                last = time.monotonic()
                while not self._stop.is_set():
                    data = conn.read()
                    if data is None:
                        log.info("%s: end of stream", self.description)
                        break
                    if not data:
                        if self._idle_timeout is not None and time.monotonic() - last > self._idle_timeout:
                            raise TimeoutError(f"no data for {self._idle_timeout:g} s")
                        continue
                    last = time.monotonic()
                    delays = policy.delays() if policy is not None else None   # data: a good link
                    self.bytes_read += len(data)
                    if self._on_bytes is not None:
                        self._on_bytes(self.bytes_read)
                    for item in self._decoder.feed(data):
                        if isinstance(item, DecodeError) and self._errors == "log":
                            log.warning("%s: %s: %s", self.description, type(item).__name__, item)
                            continue
                        yield item
                        if self._stop.is_set():
                            return   # closed by the consumer: not one item more
            except OSError as err:
                lost = err
                log.warning("%s: connection lost (%s)", self.description, err)
            finally:
                conn.close()
            if self._stop.is_set():
                return
            if policy is None:
                if lost is not None:
                    raise lost
                return
            # a fresh buffer: a frame cut by the drop cannot complete; keep the detected format
            self._decoder = StreamDecoder(format=self._decoder.format, keys=self._keys, profile=self._profile,
                                          tz=self._tz)
            wait = next(delays, None) if delays is not None else None
            if wait is None:
                if lost is not None:
                    raise lost
                raise ConnectionError(f"{self.description}: connection closed; no reconnect attempts left")
            log.warning("%s: reconnecting in %.3g s", self.description, wait)
            if self._stop.wait(wait):
                return
            conn = self._open(delays)


def read_serial(port: str, *, preset: str | None = None, baudrate: int | None = None,
                bytesize: int | None = None, parity: str | None = None, stopbits: int | None = None,
                format: str | None = None, keys: KeysArg = None, profile: str | None = None,
                tz: TzArg = None, reconnect: Backoff | None = DEFAULT_BACKOFF,
                idle_timeout: float | None = None,
                errors: ErrorPolicy = "yield", stop: threading.Event | None = None) -> MeterReader:
    """Read a meter on a serial port (needs ``pip install 'smartmeter-codecs[serial]'``).

    Args:
        port: the device (``"/dev/ttyUSB0"``, ``"COM3"``) or a pyserial URL.
        preset: a name from :data:`~smartmeter_codecs.io.PRESETS` (``"no-han"``, ``"dsmr5"``...):
            line settings and, unless ``format`` is given, the format.
        baudrate: overrides the preset (without one: 115200).
        bytesize: data bits, 7 or 8 (overrides the preset).
        parity: ``"N"``, ``"E"`` or ``"O"`` (overrides the preset).
        stopbits: 1 or 2 (overrides the preset).
        format: a format name; ``None`` takes the preset's, else detects it from the stream.
        keys: as for :func:`smartmeter_codecs.decode`.
        profile: as for :func:`smartmeter_codecs.decode`.
        tz: as for :func:`smartmeter_codecs.decode`: the zone of a meter clock sent without a
            UTC offset.
        reconnect: back-off policy after the port fails (a USB adapter unplugged); ``None``
            raises the failure instead.
        idle_timeout: seconds without any byte after which the port is reopened.
        errors: ``"yield"`` broken frames as DecodeError items, or ``"log"`` them.
        stop: an event that ends the iteration when set (also :meth:`MeterReader.close`).

    Raises:
        ValueError: an unknown preset, format or profile, or impossible line settings.
        MissingExtraError: pyserial is not installed (an ``ImportError``).
    """
    settings = serial_settings(preset, baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits)
    if format is None and preset is not None:
        format = get_preset(preset).format
    require("serial", "serial", "reading a serial port")   # a missing extra shows here, not later
    s = settings
    description = f"{port} ({s['baudrate']} {s['bytesize']}{s['parity']}{s['stopbits']})"
    return MeterReader(lambda: SerialConnection(port, settings), description=description, format=format,
                       keys=keys, profile=profile, tz=tz, reconnect=reconnect, idle_timeout=idle_timeout,
                       errors=errors, stop=stop)


def read_tcp(host: str, port: int | None = None, *, format: str | None = None, keys: KeysArg = None,
             profile: str | None = None, tz: TzArg = None, reconnect: Backoff | None = DEFAULT_BACKOFF,
             connect_timeout: float = 10.0, idle_timeout: float | None = None,
             errors: ErrorPolicy = "yield", stop: threading.Event | None = None) -> MeterReader:
    """Read a meter through a TCP serial bridge (ser2net, ESP8266/ESP32 bridges, P1 dongles).

    Args:
        host: a host name or address, or ``"HOST:PORT"`` when ``port`` is omitted.
        port: the TCP port.
        format: a format name; ``None`` detects it from the stream.
        keys: as for :func:`smartmeter_codecs.decode`.
        profile: as for :func:`smartmeter_codecs.decode`.
        tz: as for :func:`smartmeter_codecs.decode`: the zone of a meter clock sent without a
            UTC offset.
        reconnect: back-off policy after the connection fails or closes; ``None`` ends the
            iteration at end of stream and raises a failure.
        connect_timeout: seconds to wait for the connection.
        idle_timeout: seconds without any byte after which the connection is reopened (a bridge
            that hangs without closing); ``None`` waits for ever.
        errors: ``"yield"`` broken frames as DecodeError items, or ``"log"`` them.
        stop: an event that ends the iteration when set (also :meth:`MeterReader.close`).

    Raises:
        ValueError: a malformed address or an unknown format or profile.
    """
    if port is None:
        host, port = parse_hostport(host)
    elif not 0 < port < 65536:
        raise ValueError(f"TCP port must be 1..65535, got {port}")
    h, p = host, port
    return MeterReader(lambda: TcpConnection(h, p, connect_timeout), description=f"tcp {host}:{port}",
                       format=format, keys=keys, profile=profile, tz=tz, reconnect=reconnect,
                       idle_timeout=idle_timeout, errors=errors, stop=stop)


def read_file(file: str | pathlib.Path | BinaryIO, *, format: str | None = None, keys: KeysArg = None,
              profile: str | None = None, tz: TzArg = None, errors: ErrorPolicy = "yield",
              on_bytes: Callable[[int], None] | None = None) -> MeterReader:
    """Read a capture file or a binary stream (a pipe, ``sys.stdin.buffer``) to its end.

    The bytes are decoded as they are read (a pipe from a live port prints at once); the
    file's bytes are taken as they are (no newline translation: a P1 telegram keeps its CR LF).
    ``on_bytes(total)`` is called after each chunk (a progress bar).
    """
    if isinstance(file, (str, pathlib.Path)):
        path = pathlib.Path(file)
        description = str(path)

        def connect() -> Connection:
            return FileConnection(open(path, "rb"), close=True)
    else:
        f = file
        description = getattr(file, "name", "stream")

        def connect() -> Connection:
            return FileConnection(f)
    return MeterReader(connect, description=str(description), format=format, keys=keys, profile=profile,
                       tz=tz, reconnect=None, errors=errors, on_bytes=on_bytes)
