"""The table of wire formats: name -> codec object, imported lazily.

A codec is any object with the :class:`Codec` shape. Each sub-package exposes one codec
object per format name; this table is the only place that lists them, so adding a format is
one line here and nothing leaks between sub-packages.
"""
from __future__ import annotations

import functools
import importlib
import types
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .inspection import Inspection
    from .keys import KeysArg
    from .model import Reading
    from .errors import DecodeError

__all__ = ["Codec", "FrameStream", "FORMATS", "get_codec", "available_codecs", "PROFILE_TABLES",
           "profile_formats", "profile_names", "profile_zones"]


@runtime_checkable
class FrameStream(Protocol):
    """Stateful, sans-I/O decoder of one byte stream (what StreamDecoder drives).

    ``feed`` takes any chunk and returns, in order, a Reading for every complete valid
    message and a DecodeError for every broken frame; it never raises for bad input and keeps
    its buffer bounded.
    """

    def feed(self, data: bytes) -> list["Reading | DecodeError"]: ...


@runtime_checkable
class Codec(Protocol):
    """What a format sub-package provides (one object per format name).

    Optional attribute ``text_encoding`` (default UTF-8): how ``str`` input becomes the bytes
    the format decodes (P1 says ``"latin-1"``; see ``api.text_encoding``).

    Optional attribute ``stream_needs_key_to_detect`` (default False): the format's stream has
    no start marker and no checksum, only a keyed digest, so ``StreamDecoder(format=None)``
    listens for it only when keys are given (OSGP MEP).

    Optional attribute ``places_timestamps`` (default False): ``decode_all`` and ``stream``
    also take ``placer=`` (a :class:`~smartmeter_codecs.zones.Placer`, or None) and, given
    one, return Readings whose naive timestamps it has already placed (the ``localise`` step
    of ``api.finish`` done while the Reading is built, not by copying it afterwards).
    """

    name: str
    description: str

    def sniff(self, data: bytes) -> int:
        """Confidence 0..100 that ``data`` (a complete message) is this format; 0 = surely not,
        90 or more = certain (autodetection stops asking the formats listed after it)."""
        ...

    def decode_all(self, data: bytes, *, keys: "KeysArg", profile: str | None) -> list["Reading"]:
        """Every Reading in a complete message; raises DecodeError subclasses only."""
        ...

    def inspect(self, data: bytes, *, keys: "KeysArg", profile: str | None) -> "Inspection":
        """Layer tree with byte offsets; never raises for bad input (sets ``error``)."""
        ...

    def encode(self, reading: "Reading", *, profile: str | None, keys: "KeysArg") -> bytes:
        """A message that decodes back to ``reading`` (meter simulator)."""
        ...

    def stream(self, *, keys: "KeysArg", profile: str | None) -> FrameStream | None:
        """A stream decoder, or None when the format is not a byte stream (JSON documents)."""
        ...


# name -> (module, attribute, one-line description). Order = autodetect tie-break order.
FORMATS: dict[str, tuple[str, str, str]] = {
    "dlms": ("smartmeter_codecs.dlms.codec", "CODEC",
             "DLMS/COSEM push (HDLC, LLC, M-Bus or raw APDU; AES-GCM) - Nordic/Alpine HAN ports"),
    "mbus": ("smartmeter_codecs.mbus.codec", "CODEC",
             "Wired M-Bus EN 13757-2/-3 telegrams (sub-meters, heat/water meters)"),
    "wmbus": ("smartmeter_codecs.mbus.codec", "WMBUS_CODEC",
              "Wireless M-Bus EN 13757-4 frames (format A/B, AES modes 5/7, ELL AES-CTR)"),
    "p1": ("smartmeter_codecs.p1.codec", "CODEC",
           "DSMR / IEC 62056-21 P1 text telegrams (NL, BE, LU, SE, AT...), plain or inside DLMS ciphering"),
    "sml": ("smartmeter_codecs.sml.codec", "CODEC",
            "German SML 1.04 from the optical/IR interface of modern meters (mME, eHZ), IR head 9600 8N1"),
    "chain2": ("smartmeter_codecs.chain2.codec", "CODEC",
               "Italian Open Meter Chain 2 messages as published by Chain2Gate (JSON)"),
    "chain2-alfa": ("smartmeter_codecs.chain2.codec", "ALFA_CODEC",
                    "Italian Chain 2 readings from a Sinapsi Alfa Modbus register block"),
    "smgw-han": ("smartmeter_codecs.smgw.codec", "CODEC",
                 "German Smart Meter Gateway HAN JSON (Theben CONEXA IF_GW_CON, EMH CASA)"),
    "trudi-xml": ("smartmeter_codecs.smgw.codec", "TRUDI_CODEC",
                  "German TRuDI XML (VDE-AR-E 2418-6, TAF7 series) and DKE profile XML (PPC/Theben CMS exports)"),
    "osgp-mep": ("smartmeter_codecs.osgp.codec", "CODEC",
                 "NES/Echelon OSGP meters' MEP port (Denmark): C12.18 with OMA digest/RC4, C12.19 tables"),
    "osgp-optical": ("smartmeter_codecs.osgp.codec", "OPTICAL_CODEC",
                     "NES/Echelon OSGP meters' optical port: ANSI C12.18 packets (CRC-16), C12.19 tables"),
    "datadis": ("smartmeter_codecs.platforms", "DATADIS", "Datadis (ES) API JSON: consumption, supplies, contract, max power"),
    "es-csv": ("smartmeter_codecs.platforms", "ES_CSV", "Spanish load-curve CSV (CNMC/distributors, Datadis web, i-DE)"),
    "eloverblik": ("smartmeter_codecs.platforms", "ELOVERBLIK", "Eloverblik (DK) API JSON: time series, meter readings, details"),
    "eloverblik-csv": ("smartmeter_codecs.platforms", "ELOVERBLIK_CSV", "Eloverblik (DK) time-series CSV export"),
    "elhub-csv": ("smartmeter_codecs.platforms", "ELHUB_CSV", "Elhub Min side (NO) metering-value CSV export"),
    "edistribuzione-csv": ("smartmeter_codecs.platforms", "EDISTRIBUZIONE_CSV", "e-distribuzione (IT) quarter-hour CSV export"),
    "edistribuzione-app": ("smartmeter_codecs.platforms", "EDISTRIBUZIONE_APP", "e-distribuzione (IT) app load-profile JSON"),
    "portale-consumi-csv": ("smartmeter_codecs.platforms", "PORTALE_CONSUMI_CSV", "Portale Consumi (IT) electricity CSV export"),
    "fluvius-csv": ("smartmeter_codecs.platforms", "FLUVIUS_CSV", "Mijn Fluvius (BE) consumption-history CSV (NL/EN)"),
    "fluvius-api": ("smartmeter_codecs.platforms", "FLUVIUS_API", "Fluvius (BE) ESCO API v3 energy JSON"),
    "mijnaansluiting": ("smartmeter_codecs.platforms", "MIJNAANSLUITING", "Mijn Aansluiting (NL) daily register JSON"),
}


def get_codec(name: str) -> Codec:
    """The codec for a format name; ``KeyError`` with the known names if unknown."""
    try:
        module, attr, _ = FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(FORMATS)}") from None
    codec = _load(module, attr)
    if codec is None:
        raise KeyError(f"format {name!r} is not available in this build")
    return codec


@functools.cache
def _load(module: str, attr: str) -> Codec | None:
    # cached: autodetection walks the table for every input (importlib.import_module costs
    # a few hundred ns even for a loaded module)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        # Only "this format's module does not exist (yet)" is tolerated; a broken import
        # inside an existing module is a bug and propagates.
        if err.name and module.startswith(err.name):
            return None
        raise
    return getattr(mod, attr, None)


def available_codecs() -> list[Codec]:
    return list(_available())


def iter_codecs() -> Iterator[Codec]:
    """The available codecs in :data:`FORMATS` order, each imported only when the iteration
    reaches it: autodetection stops at the first sure sniff, so the first decode of a DLMS,
    M-Bus or P1 frame no longer imports all the formats (issue 16: about 200 ms)."""
    if _ALL:
        return iter(_ALL[0])        # every format imported already: no lookup per format
    return _import_as_reached()


def _import_as_reached() -> Iterator[Codec]:
    for module, attr, _ in FORMATS.values():
        codec = _load(module, attr)
        if codec is not None:
            yield codec
    _available()                    # the loop imported them all: later calls take the tuple


def _available() -> tuple[Codec, ...]:
    if _ALL:
        return _ALL[0]
    out = []
    for module, attr, _ in FORMATS.values():
        codec = _load(module, attr)
        if codec is not None:
            out.append(codec)
    found = tuple(out)
    _ALL[:] = [found]
    return found


# the tuple of _available() once it has been computed (a computed constant, like the caches
# above; iter_codecs reads it directly: functools.cache's cache_info() cost 0.4 us a call)
_ALL: list[tuple[Codec, ...]] = []


# Where each format keeps its profile table (format -> module, attribute): the names profile=
# may take for that format. Formats not listed take no profile. An entry of a table may carry a
# ``zone`` (IANA name or fixed offset): the clock zone that profile settles (zones.py).
PROFILE_TABLES: dict[str, tuple[str, str]] = {
    "dlms": ("smartmeter_codecs.dlms.profiles", "PROFILES"),
    "p1": ("smartmeter_codecs.p1.mapping", "PROFILES"),
    "sml": ("smartmeter_codecs.sml.mapping", "PROFILES"),
    "smgw-han": ("smartmeter_codecs.smgw.codec", "VENDORS"),
}


@functools.cache
def _profile_table(fmt: str) -> tuple[tuple[str, str | None], ...]:
    try:
        module, attr = PROFILE_TABLES[fmt]
        table = getattr(importlib.import_module(module), attr)
    except (KeyError, ImportError, AttributeError):   # no profiles, or the format is not in this build
        return ()
    if isinstance(table, dict):
        return tuple((str(name), getattr(entry, "zone", None)) for name, entry in table.items())
    return tuple((str(name), None) for name in table)


def profile_names(fmt: str) -> list[str]:
    """The profile names of ``fmt`` (empty for a format without profiles)."""
    return [n for n, _ in _profile_table(fmt)]


def profile_formats(profile: str) -> list[str]:
    """The formats whose profile table has ``profile`` (usually one)."""
    wanted = profile.lower()   # P1 country codes are accepted in any case
    return [fmt for fmt in PROFILE_TABLES if any(n.lower() == wanted for n, _ in _profile_table(fmt))]


@functools.cache
def profile_zones(fmt: str) -> Mapping[str, str]:
    """Profile name -> clock zone, for the profiles of ``fmt`` that settle the zone (read-only:
    every decoded Reading asks, so it is built once per format)."""
    return types.MappingProxyType({n: z for n, z in _profile_table(fmt) if z})
