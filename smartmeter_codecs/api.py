"""The public entry points (docs/api.md): decode, decode_all, formats, inspect, encode."""
from __future__ import annotations

import datetime as _dt
import functools
import logging
import re
from dataclasses import dataclass

from ._hexdump import parse_dump
from ._registry import (
    FORMATS,
    Codec,
    available_codecs,
    get_codec,
    iter_codecs,
    profile_formats,
    profile_zones,
)
from .errors import DecodeError, UnsupportedError
from .inspection import Field, Inspection
from .keys import KeysArg, check_authenticated
from .model import Reading
from .plausibility import screen
from .zones import Placer, TzArg, localise, resolve_zone

__all__ = ["decode", "decode_all", "formats", "inspect", "encode", "FormatInfo", "to_bytes", "text_encoding"]

log = logging.getLogger("smartmeter_codecs")

Data = bytes | bytearray | memoryview | str

# A sniff score this high means "this format and no other": later sniffers are not asked.
_CERTAIN = 90

_HEX_NOISE = re.compile(r"(0x|\s|:|,|-)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """A format name and what it is."""

    name: str
    description: str

    def __str__(self) -> str:
        return f"{self.name}: {self.description}"


def formats() -> list[FormatInfo]:
    """The format names ``decode(format=...)`` accepts, each with a one-line description."""
    names = {c.name for c in available_codecs()}
    return [FormatInfo(n, d) for n, (_, _, d) in FORMATS.items() if n in names]


def to_bytes(data: Data, *, encoding: str = "utf-8") -> bytes:
    """Normalise input: bytes-like as is; text as hex when it is hex, else ``encoding``.

    Hex text may contain white space, ``0x`` prefixes, colons, commas or dashes between bytes,
    ``#`` comment lines, or be ``xxd`` / ``hexdump -C`` output.
    JSON text (``{``/``[`` first) is always UTF-8 (RFC 8259 §8.1), and so is XML text (``<``
    first; SMGW/TRuDI documents). Other text is encoded with
    ``encoding``: UTF-8 by default; ``"latin-1"`` for a format whose text is one byte per
    character on the wire (P1, see :func:`text_encoding`). Text that the encoding cannot hold
    (a character above U+00FF for latin-1) falls back to UTF-8, so a checksum over it fails
    with a typed error instead of an exception here.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        stripped = data.strip()
        if stripped[:1] in ("{", "[", "<"):  # JSON or XML text (SMGW, TRuDI)
            return stripped.encode("utf-8")
        compact = _HEX_NOISE.sub("", stripped)
        if compact and len(compact) % 2 == 0:
            try:
                return bytes.fromhex(compact)
            except ValueError:
                pass
        if stripped.isascii():
            # what the CLI accepts too: hex with '#' comment lines, `xxd` and `hexdump -C` dumps
            dump = parse_dump(stripped.encode("ascii"))
            if dump is not None:
                return dump
        try:
            return data.encode(encoding)
        except UnicodeEncodeError:   # not latin-1 (or lone surrogates): bytes the decoder rejects
            return data.encode("utf-8", "surrogatepass")
    raise TypeError(f"data must be bytes, bytearray, memoryview or str, not {type(data).__name__}")


def text_encoding(codec: object) -> str:
    """How a format's text input maps to wire bytes: the codec's ``text_encoding`` attribute,
    else UTF-8. P1 says ``"latin-1"``: a P1 telegram is bytes, one per character, and Python
    serial readers and dsmr_parser hand it over as latin-1 text (Fluvius sends byte 0xAB, the
    character "«", in its identification line and its CRC covers that one byte)."""
    return str(getattr(codec, "text_encoding", "utf-8"))


def _input(data: Data, format: str | None, profile: str | None = None) -> tuple[bytes, Codec]:
    """The input's bytes and its codec; text is encoded the way the chosen format needs."""
    raw = to_bytes(data)
    codec = _pick_codec(raw, format, profile)
    if isinstance(data, str):
        enc = text_encoding(codec)
        if enc != "utf-8":
            raw = to_bytes(data, encoding=enc)
    return raw, codec


def candidate_codecs(profile: str | None) -> list[Codec]:
    """The codecs autodetection asks: all, or with a profile only the formats whose profile
    table has the name (a profile is one format's convention; the others would reject it). A
    name no format has goes to all of them: the detected format rejects it with its own list."""
    codecs = available_codecs()
    owners = profile_formats(profile) if profile is not None else []
    return [c for c in codecs if c.name in owners] if owners else codecs


def _pick_codec(data: bytes, format: str | None, profile: str | None = None) -> Codec:
    if format is not None:
        try:
            return get_codec(format)
        except KeyError as err:
            raise ValueError(str(err.args[0])) from None
    if not data:
        raise UnsupportedError("detect", 0, "empty input: nothing to decode")
    best: tuple[int, Codec] | None = None
    # without a profile, codecs are imported as the loop reaches them (iter_codecs: same order)
    for codec in (candidate_codecs(profile) if profile is not None else iter_codecs()):
        try:
            score = codec.sniff(data)
        except Exception:  # a sniffer must never break detection of other formats
            log.exception("sniffer of %s failed", codec.name)
            continue
        if score > 0 and (best is None or score > best[0]):
            best = (score, codec)
            if score >= _CERTAIN:
                break   # a start that only this format has (HDLC flag + type 3, Chain2Gate envelope...)
    if best is None:
        after_noise = _sniff_after_noise(data)
        if after_noise is not None:
            return after_noise
        raise UnsupportedError(
            "detect", 0,
            f"no known format starts with {data[:8].hex()!r}; pass format= (one of "
            f"{', '.join(f.name for f in formats())})",
            {"first_bytes": data[:8].hex()})
    if log.isEnabledFor(logging.DEBUG):     # every decode passes here: no call when it is off
        log.debug("autodetected format %s (confidence %d)", best[1].name, best[0])
    return best[1]


# Where a frame can start after line noise: an HDLC flag with a type-3 format field, an M-Bus
# long frame, a P1 header. Only the first KiB is searched, at most 32 positions.
_RESYNC = re.compile(rb"\x7e[\xa0-\xaf]|\x68|/[A-Za-z]{3}")
_RESYNC_WINDOW = 1024
_RESYNC_TRIES = 32


def _sniff_after_noise(data: bytes) -> Codec | None:
    """The codec that is sure (sniff >= 85: HDLC, M-Bus, P1) of the input from a frame start
    after some leading bytes (issue 9 item 3: line noise before a frame). That codec's
    ``decode_all`` then decides: it accepts leading bytes only before a checksum-valid frame
    and names them in ``quality``, or raises its typed error."""
    for k, m in enumerate(_RESYNC.finditer(data, 1, _RESYNC_WINDOW)):
        if k >= _RESYNC_TRIES:
            break
        rest = data[m.start():]
        best: tuple[int, Codec] | None = None
        for codec in available_codecs():
            try:
                score = codec.sniff(rest)
            except Exception:  # a sniffer must never break detection of other formats
                log.exception("sniffer of %s failed", codec.name)
                continue
            if score >= 85 and (best is None or score > best[0]):
                best = (score, codec)
        if best is not None:
            log.debug("autodetected format %s after %d leading byte(s)", best[1].name, m.start())
            return best[1]
    return None


def finish(reading: Reading, keys: KeysArg, tz: _dt.tzinfo | None, placed: bool = False) -> Reading:
    """The post-decode steps every entry point applies, in one place: with an authentication
    key no unauthenticated frame yields a Reading (keys.py); a naive timestamp gets ``tz`` or its
    profile's zone, or a quality note (zones.py; ``placed``: the codec did that already, see
    :func:`placer`); no implausible value reaches an SI field silently (plausibility.py)."""
    if keys is not None:        # without keys there is no authentication rule to apply
        reading = check_authenticated(reading, keys)
    if placed:
        return screen(reading)
    return screen(localise(reading, tz, profile_zones(reading.format)))


def placer(codec: Codec, tz: _dt.tzinfo | None) -> Placer | None:
    """The Placer to hand a codec that places timestamps itself (``places_timestamps``), else
    None (then :func:`finish` places them)."""
    if not getattr(codec, "places_timestamps", False):
        return None
    try:
        return _placer(codec.name, tz)
    except TypeError:           # a caller's tzinfo that is not hashable: not remembered
        return Placer(tz, profile_zones(codec.name))


@functools.lru_cache(maxsize=64)
def _placer(fmt: str, tz: _dt.tzinfo | None) -> Placer:
    # one per format and zone, so its memo of fixed placements outlives one decode call
    return Placer(tz, profile_zones(fmt))


def _tz(tz: TzArg) -> _dt.tzinfo | None:
    return None if tz is None else resolve_zone(tz)


def decode_all(data: Data, *, format: str | None = None, keys: KeysArg = None,
               profile: str | None = None, tz: TzArg = None) -> list[Reading]:
    """Every Reading in ``data``: several frames, multi-telegram sequences, time series.

    Args:
        data: a complete message (or several) as bytes, or hex text, or JSON text.
        format: a name from :func:`formats`; ``None`` autodetects.
        keys: :class:`~smartmeter_codecs.Keys`, or a mapping from system title to Keys. With
            an authentication key every frame must be authenticated or it is rejected: a
            downgraded, tag-less or plaintext frame raises :class:`DecryptionError` (the rule
            is in :mod:`smartmeter_codecs.keys`), so every Reading says ``authenticated=True``.
        profile: a national list/profile name where the frame cannot tell a convention
            (e.g. ``"kamstrup-se"``); ``None`` picks the documented default. With
            ``format=None`` only the formats that have this profile are tried.
        tz: the zone of a meter clock sent without a UTC offset: an IANA name
            (``"Europe/Oslo"``), a fixed offset (``"+01:00"``) or a :class:`datetime.tzinfo`.
            ``None`` uses the profile's zone where the profile settles it, else leaves such a
            timestamp naive and says so in ``quality`` (see :mod:`smartmeter_codecs.zones`).

    Raises:
        DecodeError: (a subclass) for any input that cannot be decoded. Never anything
            else for bad input.
        ValueError: an unknown format, profile or time zone name (the caller's mistake).
    """
    return _decode_all(data, format, keys, profile, tz)


def _decode_all(data: Data, format: str | None, keys: KeysArg, profile: str | None, tz: TzArg) -> list[Reading]:
    zone = _tz(tz)
    raw, codec = _input(data, format, profile)
    place = placer(codec, zone)
    if place is not None:
        return [finish(r, keys, zone, True)
                for r in codec.decode_all(raw, keys=keys, profile=profile, placer=place)]  # type: ignore[call-arg]
    return [finish(r, keys, zone) for r in codec.decode_all(raw, keys=keys, profile=profile)]


def decode(data: Data, *, format: str | None = None, keys: KeysArg = None,
           profile: str | None = None, tz: TzArg = None) -> Reading:
    """Decode one message into a :class:`Reading`.

    When the input holds several readings (e.g. two concatenated frames), the *last* one is
    returned: it is the meter's most recent state. Use :func:`decode_all` for all of them.
    Raises :class:`UnsupportedError` when the input is valid but carries no reading (e.g. an
    HDLC supervisory frame). Arguments as for :func:`decode_all`.
    """
    readings = _decode_all(data, format, keys, profile, tz)
    if not readings:
        raise UnsupportedError("application", None,
                               "the input is well-formed but carries no meter reading")
    return readings[-1]


def inspect(data: Data, *, format: str | None = None, keys: KeysArg = None,
            profile: str | None = None, tz: TzArg = None) -> Inspection:
    """A layer tree of ``data`` with byte offsets (``str()`` = text tree, HTML in Jupyter).

    Never raises for bad input: the returned Inspection shows what was understood and sets
    ``error`` to the DecodeError that stopped decoding. Arguments as for :func:`decode_all`.
    """
    zone = _tz(tz)
    try:
        raw, codec = _input(data, format, profile)
    except DecodeError as err:
        raw = to_bytes(data)
        return Inspection(raw, "unknown", Field("input", 0, len(raw)), [], err)
    ins = codec.inspect(raw, keys=keys, profile=profile)
    # the same post-decode steps as decode_all: inspection shows the Readings decode would return
    try:
        ins.readings = [finish(r, keys, zone) for r in ins.readings]
    except DecodeError as err:
        ins.readings, ins.error = [], err
    return ins


def encode(reading: Reading, *, format: str, profile: str | None = None, keys: KeysArg = None,
           **options: object) -> bytes:
    """Encode a Reading as ``format`` (a meter simulator; fixtures for your own tests).

    ``options`` are format-specific (e.g. DLMS ``invocation_counter=``, ``security_control=``).
    """
    try:
        codec = get_codec(format)
    except KeyError as err:
        raise ValueError(str(err.args[0])) from None
    return codec.encode(reading, profile=profile, keys=keys, **options)
