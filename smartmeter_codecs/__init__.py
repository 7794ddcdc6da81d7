"""smartmeter-codecs: one typed Reading from every European smart meter's wire format.

>>> import smartmeter_codecs as smc
>>> reading = smc.decode(frame_bytes)          # doctest: +SKIP
>>> reading.active_power_import                # W   # doctest: +SKIP

See docs/api.md for the contract.
"""
from __future__ import annotations

from ._version import __version__
from .api import FormatInfo, decode, decode_all, encode, formats, inspect
from .errors import (
    ApplicationError,
    ChecksumError,
    DecodeError,
    DecryptionError,
    FramingError,
    IncompleteError,
    KeyRequiredError,
    UnsupportedError,
)
from .inspection import Field, Inspection
from .keys import Keys
from .model import Reading, Register
from .obis import ObisCode
from .stream import StreamDecoder

__all__ = [
    "__version__",
    "decode",
    "decode_all",
    "encode",
    "formats",
    "inspect",
    "FormatInfo",
    "StreamDecoder",
    "Inspection",
    "Field",
    "Keys",
    "ObisCode",
    "Reading",
    "Register",
    "DecodeError",
    "FramingError",
    "ChecksumError",
    "IncompleteError",
    "DecryptionError",
    "KeyRequiredError",
    "UnsupportedError",
    "ApplicationError",
]
