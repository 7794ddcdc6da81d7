"""asyncio readers: the same Readings as the blocking reader, for event-loop applications.

    async for item in aread_tcp("192.168.1.50", 8888, format="p1"):
        ...

Serial ports use pyserial-asyncio-fast (the maintained fork of pyserial-asyncio; the
``serial`` extra); TCP uses asyncio streams only.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

from ..errors import DecodeError
from ..keys import KeysArg
from ..stream import StreamDecoder
from ..zones import TzArg
from ._extras import require
from .backoff import DEFAULT_BACKOFF, Backoff
from .presets import get_preset
from .reader import ErrorPolicy, Item
from .transports import CHUNK, parse_hostport, serial_settings

__all__ = ["AsyncMeterReader", "aread_serial", "aread_tcp"]

log = logging.getLogger("smartmeter_codecs.io")

Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class AsyncMeterReader:
    """An async iterator of Readings (and DecodeErrors), with reconnect and back-off.

    ``async for item in reader`` (once). Behaves like :class:`~smartmeter_codecs.io.MeterReader`:
    a Reading as soon as its frame completes, broken frames as DecodeError items or logged,
    reconnect per ``reconnect``. Stop it with :meth:`close`, the ``stop`` event, by leaving
    the ``async for`` loop, or by cancelling the task that iterates.
    """

    def __init__(self, opener: Opener, *, description: str, format: str | None, keys: KeysArg,
                 profile: str | None, reconnect: Backoff | None, idle_timeout: float | None,
                 errors: ErrorPolicy, stop: asyncio.Event | None, tz: TzArg = None) -> None:
        if errors not in ("yield", "log"):
            raise ValueError(f"errors must be 'yield' or 'log', got {errors!r}")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive or None")
        self._opener = opener
        self.description = description
        self._keys = keys
        self._profile = profile
        self._tz = tz
        self._decoder = StreamDecoder(format=format, keys=keys, profile=profile, tz=tz)   # ValueError now
        self._reconnect = reconnect
        self._idle_timeout = idle_timeout
        self._errors = errors
        self._stop = stop
        self._closed = False
        self.bytes_read = 0
        self.connections = 0

    @property
    def format(self) -> str | None:
        return self._decoder.format

    def close(self) -> None:
        """Stop the iteration at its next await (call from the event loop's thread)."""
        self._closed = True
        if self._stop is None:
            self._stop = asyncio.Event()
        self._stop.set()

    def _stopped(self) -> bool:
        return self._closed or (self._stop is not None and self._stop.is_set())

    async def _until_stop(self, aw: Awaitable[Any], timeout: float | None) -> tuple[bool, Any]:
        """Await ``aw`` unless a stop comes first: (True, result) or (False, None) on stop/timeout."""
        task = asyncio.ensure_future(aw)
        if self._stop is None:
            self._stop = asyncio.Event()
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task in done:
            return True, task.result()
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):   # the read was abandoned on purpose
            pass
        return False, None

    async def _sleep(self, seconds: float) -> bool:
        """Back-off wait; False when stopped meanwhile."""
        await self._until_stop(asyncio.sleep(seconds), None)
        return not self._stopped()

    async def _open(self, delays: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        while not self._stopped():
            try:
                done, conn = await self._until_stop(self._opener(), None)
            except OSError as err:
                wait = next(delays, None) if delays is not None else None
                if wait is None:
                    raise
                log.warning("%s: cannot connect (%s); retrying in %.3g s", self.description, err, wait)
                if not await self._sleep(wait):
                    return None
                continue
            if not done:
                return None
            self.connections += 1
            log.info("%s: connected", self.description)
            return conn  # type: ignore[no-any-return]
        return None

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._run()

    async def _run(self) -> AsyncIterator[Item]:
        policy = self._reconnect
        first = policy is not None and policy.first
        conn = await self._open(policy.delays() if first and policy is not None else None)
        while conn is not None:
            reader, writer = conn
            delays = policy.delays() if policy is not None else None
            lost: OSError | None = None
            try:
                while not self._stopped():
                    got, data = await self._until_stop(reader.read(CHUNK), self._idle_timeout)
                    if not got:
                        if self._stopped():
                            break
                        raise TimeoutError(f"no data for {self._idle_timeout:g} s")
                    if not data:
                        log.info("%s: end of stream", self.description)
                        break
                    delays = policy.delays() if policy is not None else None
                    self.bytes_read += len(data)
                    for item in self._decoder.feed(data):
                        if isinstance(item, DecodeError) and self._errors == "log":
                            log.warning("%s: %s: %s", self.description, type(item).__name__, item)
                            continue
                        yield item
                        if self._stopped():
                            return   # closed by the consumer: not one item more
            except OSError as err:
                lost = err
                log.warning("%s: connection lost (%s)", self.description, err)
            finally:
                writer.close()
            if self._stopped():
                return
            if policy is None:
                if lost is not None:
                    raise lost
                return
            self._decoder = StreamDecoder(format=self._decoder.format, keys=self._keys, profile=self._profile,
                                          tz=self._tz)
            wait = next(delays, None) if delays is not None else None
            if wait is None:
                if lost is not None:
                    raise lost
                raise ConnectionError(f"{self.description}: connection closed; no reconnect attempts left")
            log.warning("%s: reconnecting in %.3g s", self.description, wait)
            if not await self._sleep(wait):
                return
            conn = await self._open(delays)


def aread_tcp(host: str, port: int | None = None, *, format: str | None = None, keys: KeysArg = None,
              profile: str | None = None, tz: TzArg = None, reconnect: Backoff | None = DEFAULT_BACKOFF,
              connect_timeout: float = 10.0, idle_timeout: float | None = None,
              errors: ErrorPolicy = "yield", stop: asyncio.Event | None = None) -> AsyncMeterReader:
    """asyncio reader over TCP (arguments as :func:`~smartmeter_codecs.io.read_tcp`).

    ``async for item in aread_tcp("192.168.1.50:8888", format="p1"): ...``
    """
    if port is None:
        host, port = parse_hostport(host)
    elif not 0 < port < 65536:
        raise ValueError(f"TCP port must be 1..65535, got {port}")
    h, p = host, port

    async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(asyncio.open_connection(h, p), connect_timeout)

    return AsyncMeterReader(opener, description=f"tcp {host}:{port}", format=format, keys=keys,
                            profile=profile, tz=tz, reconnect=reconnect, idle_timeout=idle_timeout,
                            errors=errors, stop=stop)


def aread_serial(port: str, *, preset: str | None = None, baudrate: int | None = None,
                 bytesize: int | None = None, parity: str | None = None, stopbits: int | None = None,
                 format: str | None = None, keys: KeysArg = None, profile: str | None = None,
                 tz: TzArg = None,
                 reconnect: Backoff | None = DEFAULT_BACKOFF, idle_timeout: float | None = None,
                 errors: ErrorPolicy = "yield", stop: asyncio.Event | None = None) -> AsyncMeterReader:
    """asyncio reader over a serial port (arguments as :func:`~smartmeter_codecs.io.read_serial`).

    Needs ``pip install 'smartmeter-codecs[serial]'`` (pyserial and pyserial-asyncio-fast);
    a missing extra raises :class:`~smartmeter_codecs.io.MissingExtraError` here, not later.
    """
    settings = serial_settings(preset, baudrate=baudrate, bytesize=bytesize, parity=parity, stopbits=stopbits)
    if format is None and preset is not None:
        format = get_preset(preset).format
    saf = require("serial_asyncio_fast", "serial", "reading a serial port with asyncio")

    async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await saf.open_serial_connection(url=port, **settings)
        return reader, writer

    s = settings
    return AsyncMeterReader(opener, description=f"{port} ({s['baudrate']} {s['bytesize']}{s['parity']}"
                                                f"{s['stopbits']})",
                            format=format, keys=keys, profile=profile, tz=tz, reconnect=reconnect,
                            idle_timeout=idle_timeout, errors=errors, stop=stop)
