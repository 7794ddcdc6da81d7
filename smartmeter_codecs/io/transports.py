"""Blocking byte sources: a serial port, a TCP socket, a file or pipe.

Each connection has one method that matters, ``read()``: the bytes that arrived (``b""``
when none arrived within the poll time, so the reader can check for a stop request) or
``None`` at end of stream. Failures are ``OSError`` (pyserial's ``SerialException`` is one),
which the reader turns into a reconnect.
"""
from __future__ import annotations

import os
import re
import socket
from typing import Any, BinaryIO, Protocol

from ._extras import require
from .presets import get_preset

__all__ = ["Connection", "SerialConnection", "TcpConnection", "FileConnection", "parse_hostport",
           "serial_settings"]

POLL = 0.2   # seconds a read may block before the reader checks for a stop request
CHUNK = 65536


class Connection(Protocol):
    """What a reader reads from."""

    def read(self) -> bytes | None:
        """Bytes that arrived (``b""``: none yet), or ``None`` at end of stream."""
        ...

    def close(self) -> None: ...


def serial_settings(preset: str | None = None, *, baudrate: int | None = None, bytesize: int | None = None,
                    parity: str | None = None, stopbits: int | None = None) -> dict[str, Any]:
    """pyserial keyword arguments: the preset's, with each given value overriding it.

    Without a preset the defaults are 115200 8N1 (DSMR 4/5, the most common push port).
    """
    out: dict[str, Any] = (get_preset(preset).serial_kwargs() if preset
                           else {"baudrate": 115200, "bytesize": 8, "parity": "N", "stopbits": 1})
    if baudrate is not None:
        if baudrate <= 0:
            raise ValueError(f"baud rate must be positive, got {baudrate}")
        out["baudrate"] = baudrate
    if bytesize is not None:
        if bytesize not in (5, 6, 7, 8):
            raise ValueError(f"data bits must be 5, 6, 7 or 8, got {bytesize}")
        out["bytesize"] = bytesize
    if parity is not None:
        p = parity.upper()[:1]
        if p not in ("N", "E", "O", "M", "S"):
            raise ValueError(f"parity must be N, E or O, got {parity!r}")
        out["parity"] = p
    if stopbits is not None:
        if stopbits not in (1, 2):
            raise ValueError(f"stop bits must be 1 or 2, got {stopbits}")
        out["stopbits"] = stopbits
    return out


class SerialConnection:
    """A serial port opened with pyserial (the ``serial`` extra)."""

    def __init__(self, port: str, settings: dict[str, Any], poll: float = POLL) -> None:
        serial = require("serial", "serial", "reading a serial port")
        self.port = port
        # pyserial raises SerialException (an OSError) for a missing or busy port
        self._ser = serial.Serial(port, timeout=poll, **settings)

    def read(self) -> bytes | None:
        # whatever is waiting, or block up to the poll time for the first byte
        data: bytes = self._ser.read(self._ser.in_waiting or 1)
        return data

    def write(self, data: bytes) -> None:
        self._ser.write(data)
        self._ser.flush()

    def close(self) -> None:
        self._ser.close()


_HOSTPORT = re.compile(r"^\[(?P<v6>[^\]]+)\]:(?P<p6>\d+)$|^(?P<host>[^:\s]+):(?P<port>\d+)$")


def parse_hostport(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` (or ``"[v6addr]:PORT"``) -> (host, port); ``ValueError`` otherwise."""
    m = _HOSTPORT.match(text.strip())
    if not m:
        raise ValueError(f"expected HOST:PORT (e.g. 192.168.1.50:8888), got {text!r}")
    host = m.group("v6") or m.group("host")
    port = int(m.group("p6") or m.group("port"))
    if not 0 < port < 65536:
        raise ValueError(f"TCP port must be 1..65535, got {port}")
    return host, port


class TcpConnection:
    """A TCP client socket (ser2net, ESP8266/ESP32 serial bridges, P1 dongles)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 10.0, poll: float = POLL) -> None:
        self.address = (host, port)
        self._sock = socket.create_connection(self.address, timeout=connect_timeout)
        # keepalive lets the kernel notice a bridge that vanished without a FIN
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        self._sock.settimeout(poll)

    def read(self) -> bytes | None:
        try:
            data = self._sock.recv(CHUNK)
        except TimeoutError:   # socket.timeout is TimeoutError since Python 3.10
            return b""
        return data if data else None

    def close(self) -> None:
        self._sock.close()


class FileConnection:
    """A file, or a pipe such as stdin: each read returns what is available at once."""

    def __init__(self, file: BinaryIO, close: bool = False) -> None:
        self._file = file
        self._close = close

    def read(self) -> bytes | None:
        read1 = getattr(self._file, "read1", None)
        if read1 is not None:
            data: bytes = read1(CHUNK)     # a pipe: return as soon as some bytes are there
        else:
            try:
                data = os.read(self._file.fileno(), CHUNK)
            except (AttributeError, OSError, ValueError):
                data = self._file.read(CHUNK)
        return data if data else None

    def close(self) -> None:
        if self._close:
            self._file.close()
