"""Live meters: serial and TCP readers (blocking and asyncio), session recorders, a simulator.

Everything here touches a port, socket or file; the decoders stay sans-I/O. Serial ports need
``pip install 'smartmeter-codecs[serial]'`` (pyserial, pyserial-asyncio-fast); TCP needs
nothing extra; Parquet recording needs ``smartmeter-codecs[parquet]``.

    >>> from smartmeter_codecs import io as smio
    >>> for item in smio.read_serial("/dev/ttyUSB0", preset="no-han"):   # doctest: +SKIP
    ...     print(item)

See docs/live.md. The German Smart Meter Gateway HTTPS client is
``smartmeter_codecs.io.smgw_http`` (imported on its own: it is not needed to read a port).
The read-only DLMS client's optical-port transport is ``smartmeter_codecs.io.dlms_optical``
(also imported on its own; docs/formats/dlms-client.md).
"""
from __future__ import annotations

from ._extras import MissingExtraError
from .aio import AsyncMeterReader, aread_serial, aread_tcp
from .backoff import Backoff
from .presets import PRESETS, SerialPreset, get_preset
from .reader import MeterReader, read_file, read_serial, read_tcp
from .record import Recorder, open_recorder
from .transports import parse_hostport

__all__ = [
    "read_serial",
    "read_tcp",
    "read_file",
    "aread_serial",
    "aread_tcp",
    "MeterReader",
    "AsyncMeterReader",
    "Backoff",
    "PRESETS",
    "SerialPreset",
    "get_preset",
    "Recorder",
    "open_recorder",
    "parse_hostport",
    "MissingExtraError",
]
