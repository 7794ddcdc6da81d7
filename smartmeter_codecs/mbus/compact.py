"""Compact M-Bus frames (CI 0x79, 0x7B, 0x73): values without their DIF/VIF blocks.

A meter that sends the same records every time may send them *compact* (EN 13757-3:2018
Annex G "compact M-Bus frame"; OMS Vol. 2 issue 4.x, 7.2.4): the data information and value
information blocks (DIB+VIB) are left out and replaced by a 2-byte **format signature**, the
CRC-16/EN-13757 (polynomial 0x3D65, as the wM-Bus DLL CRC) over the concatenated DIB+VIB
bytes of the records, and a 2-byte **full-frame CRC** over the records as the full frame
carries them (DIB+VIB+data of each record). Both are least significant byte first. So::

    compact payload = format signature (2) | full-frame CRC (2) | data of record 1 | data 2 | ...

CI 0x79 has no transport header, 0x7B the short one, 0x73 the long one (EN 13757-7:2018
Table 2 / OMS: "long header, compact APL"; on wired M-Bus 0x73 is the old fixed data
structure, see :mod:`.fixed`).

The receiver must know the format: from an earlier full frame (CI 0x72/0x78/0x7A) of the
same meter, which a :class:`FormatStore` learns, or from :data:`KNOWN_FORMATS`, formats that
public sources document with their signatures. A compact frame is rebuilt into its full
record bytes and its full-frame CRC is checked, so a wrong format (a signature collision)
gives a :class:`~smartmeter_codecs.errors.ChecksumError`, never wrong values. An unknown
signature gives an :class:`~smartmeter_codecs.errors.UnsupportedError` naming it.

State: the learned formats live in a :class:`FormatStore` that the caller's decoder owns
(:class:`smartmeter_codecs.mbus.WMBusDecoder`, the wired stream, one ``decode_all`` call);
there is no module-level mutable state. Sans-I/O.
"""
from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType
from typing import Mapping, NamedTuple

from ..errors import ChecksumError, FramingError, IncompleteError, UnsupportedError
from .crc import crc16_en13757
from .records import DATA_FIELDS, _lvar_length

__all__ = [
    "COMPACT_CIS",
    "Expanded",
    "KNOWN_FORMATS",
    "KNOWN_FORMAT_SOURCES",
    "FormatStore",
    "expand",
    "format_signature",
    "split_format",
]

LAYER = "mbus-compact"

#: CI -> transport header of the compact frame (EN 13757-7:2018 Table 2; wmbusmeters
#: ``LIST_OF_CI_FIELDS`` names 0x73 "long header compact APL", 0x79 "compact APL").
COMPACT_CIS = {0x73: "long", 0x79: "none", 0x7B: "short"}

_FILLER = 0x2F

# Formats documented with their signature by public sources: (DIB+VIB bytes, signature the
# source states, source). The table is keyed by the CRC computed here; tests check that it
# equals the stated signature, so a typo cannot slip in.
_KNOWN: tuple[tuple[str, int, str], ...] = (
    # Kamstrup Omnipower electricity meter: +A energy (04 04), -A energy (04 84 3C), +P power
    # (04 2B), -P power (04 AB 3C); from the full frame wmbusmeters test omnipower #2 (corpus
    # wmbusmeters:omnipower/myomnipower#2) whose compact sibling #1 carries signature 8C13
    ("0404" "04843C" "042B" "04AB3C", 0x8C13, "wmbusmeters tests omnipower (corpus myomnipower#1/#2)"),
    # Kamstrup MULTICAL 403 heat meter (wmbusmeters issue #809, full frame CI 0x78 of the same
    # meter as its compact frames with signature 29C7)
    ("0305" "4305" "4313" "43FF07" "43FF08" "426C" "01FF21", 0x29C7, "wmbusmeters issue #809 (kamheat)"),
    # Kamstrup water meters (MULTICAL 21 / flowIQ): wmbusmeters src/wmbus.cc
    # findFormatBytesFromKnownMeterSignatures()
    ("02FF2004134413615B6167", 0xA8ED, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("02FF20041392013BA1015B8101E7FF0F", 0xC412, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("02FF2004134413A1015B8101E7FF0F", 0x61EB, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("02FF2004134413615B5167", 0xD2F7, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("02FF2004134413", 0xDD34, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("02FF200413523B", 0x7C0E, "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    ("04FF234413523B06FF1B426C61675167023B04138101E7FF0F", 0x0905,
     "wmbusmeters findFormatBytesFromKnownMeterSignatures"),
    # Kamstrup MULTICAL 303 (wmbusmeters pull request #1774)
    ("0406041404FF0704FF080259025D023B02FF22026C44064414426C", 0xAE5A, "wmbusmeters PR #1774"),
)


def _crc(data: bytes) -> int:
    return crc16_en13757(data)   # the wM-Bus DLL CRC (EN 13757-4 11.5.4)


def format_signature(format_bytes: bytes) -> int:
    """The format signature of a DIB+VIB sequence (CRC-16/EN-13757)."""
    return _crc(bytes(format_bytes))


#: signature -> DIB+VIB bytes of the documented formats (read-only)
KNOWN_FORMATS: Mapping[int, bytes] = MappingProxyType(
    {format_signature(bytes.fromhex(f)): bytes.fromhex(f) for f, _, _ in _KNOWN})
#: signature -> (signature the source states, source)
KNOWN_FORMAT_SOURCES: Mapping[int, tuple[int, str]] = MappingProxyType(
    {format_signature(bytes.fromhex(f)): (sig, src) for f, sig, src in _KNOWN})


def _info_end(buf: bytes, pos: int, where: int) -> int:
    """End of the DIB+VIB starting at ``buf[pos]`` (a DIF that is not 0x0F/0x1F/0x2F)."""
    def need(i: int, what: str) -> None:
        if i >= len(buf):
            raise FramingError(LAYER, where + i, f"format ends inside a record: expected {what}")
    while buf[pos] & 0x80:           # DIF / DIFE extension bit
        pos += 1
        need(pos, "a DIFE")
    pos += 1
    need(pos, "a VIF")
    vif = buf[pos]
    pos += 1
    if vif & 0x7F == 0x7C:           # plain-text unit: length + ASCII right after the VIF
        need(pos, "the plain-text length")
        pos += 1 + buf[pos]
        need(pos - 1, "plain-text characters")
    ext = vif & 0x80
    while ext:
        need(pos, "a VIFE")
        ext = buf[pos] & 0x80
        pos += 1
    return pos


def _data_length(dif: int, data: bytes, at: int, where: int) -> int:
    length, dtype = DATA_FIELDS[dif & 0x0F]
    if dtype == "lvar":              # the LVAR byte is part of the data field
        if at >= len(data):
            raise IncompleteError(LAYER, where + at, "compact data ends before an LVAR byte")
        n, _ = _lvar_length(data[at], where + at)
        return 1 + n
    return length


def split_format(payload: bytes, base: int = 0) -> tuple[bytes, bytes]:
    """A full frame's record bytes -> (DIB+VIB sequence, data bytes); fillers 0x2F dropped."""
    fmt = bytearray()
    data = bytearray()
    pos = 0
    while pos < len(payload):
        dif = payload[pos]
        if dif == _FILLER:
            pos += 1
            continue
        if dif & 0x0F == 0x0F:       # 0F/1F manufacturer data (or 7F): the rest is data
            fmt.append(dif)
            data += payload[pos + 1:]
            break
        end = _info_end(payload, pos, base)
        fmt += payload[pos:end]
        n = _data_length(dif, payload, end, base)
        if end + n > len(payload):
            raise FramingError(LAYER, base + end, "record data runs past the end of the frame")
        data += payload[end:end + n]
        pos = end + n
    return bytes(fmt), bytes(data)


def _join(fmt: bytes, data: bytes, where: int) -> tuple[bytes, list[tuple[int, int]]]:
    """Interleave a format with compact data: the full frame's record bytes, and where each
    record's data is in ``data`` (start, end)."""
    out = bytearray()
    spans: list[tuple[int, int]] = []
    pos = at = 0
    while pos < len(fmt):
        dif = fmt[pos]
        if dif & 0x0F == 0x0F:
            out.append(dif)
            out += data[at:]
            spans.append((at, len(data)))
            return bytes(out), spans
        end = _info_end(fmt, pos, 0)
        n = _data_length(dif, data, at, where)
        if at + n > len(data):
            raise IncompleteError(LAYER, where + len(data), f"compact data ends inside record "
                                  f"{fmt[pos:end].hex().upper()}: {n} bytes expected, {len(data) - at} left")
        out += fmt[pos:end] + data[at:at + n]
        spans.append((at, at + n))
        at += n
        pos = end
    rest = data[at:]
    if rest.strip(bytes((_FILLER,))):
        raise FramingError(LAYER, where + at, f"{len(rest)} bytes after the last value of the format "
                           "(not 0x2F fillers): the data does not fit the format")
    return bytes(out), spans


class Expanded(NamedTuple):
    """A compact payload rebuilt: the full ``records`` bytes, the format ``signature``, where the
    format came from (``"learned"``/``"known"``) and each record's data span in the payload."""

    records: bytes
    signature: int
    origin: str
    spans: tuple[tuple[int, int], ...]


class FormatStore:
    """Format signatures a decoder knows: learned from full frames, plus documented ones.

    One store belongs to one decoder (a :class:`~smartmeter_codecs.mbus.WMBusDecoder`, a wired
    M-Bus stream, or one ``decode_all`` call); it is bounded (``max_formats``, oldest learned
    format dropped first). ``known`` defaults to :data:`KNOWN_FORMATS`; pass ``{}`` to rely on
    learned formats only.
    """

    def __init__(self, known: Mapping[int, bytes] | None = None, *, max_formats: int = 256) -> None:
        self._known = KNOWN_FORMATS if known is None else known
        self._learned: OrderedDict[int, bytes] = OrderedDict()
        self._max = max_formats

    def __len__(self) -> int:
        return len(self._learned)

    def learn(self, payload: bytes, base: int = 0) -> int | None:
        """Remember the format of a full frame's record bytes; returns its signature (None when
        the payload has no records or does not split)."""
        try:
            fmt, _ = split_format(payload, base)
        except (FramingError, IncompleteError):
            return None
        if not fmt:
            return None
        sig = format_signature(fmt)
        self.remember(sig, fmt)
        return sig

    def remember(self, signature: int, fmt: bytes) -> None:
        """Keep a format under its signature (what :meth:`learn` does after splitting a
        frame; a frame template already knows both)."""
        self._learned[signature] = fmt
        self._learned.move_to_end(signature)
        while len(self._learned) > self._max:
            self._learned.popitem(last=False)

    def lookup(self, signature: int) -> tuple[bytes, str] | None:
        """``(DIB+VIB bytes, "learned" | "known")`` for a signature, or None."""
        if signature in self._learned:
            return self._learned[signature], "learned"
        if signature in self._known:
            return self._known[signature], "known"
        return None


def expand(payload: bytes, store: FormatStore | None, base: int = 0, *, check_bytes: bool = False) -> Expanded:
    """Rebuild the full record bytes of a compact payload (after any header and decryption).

    Returns an :class:`Expanded` (record bytes, signature, ``"learned"``/``"known"``, data
    spans relative to ``payload``). ``check_bytes``: the payload was encrypted, so it starts
    with the ``2F 2F`` decryption check (EN 13757-7:2018 9.4.4), which is skipped; otherwise
    the first two bytes are the signature even when one of them is 0x2F.

    Raises:
        UnsupportedError: the format signature is unknown (``recognised["format_signature"]``).
        ChecksumError: the rebuilt records do not match the full-frame CRC.
        IncompleteError / FramingError: the data does not fit the format.
    """
    start = 2 if check_bytes and payload[:2] == b"\x2f\x2f" else 0
    if len(payload) - start < 4:
        raise IncompleteError(LAYER, base + len(payload), "compact frame needs a format signature and a "
                              f"full-frame CRC (4 bytes), got {len(payload) - start}")
    sig = int.from_bytes(payload[start:start + 2], "little")
    crc = int.from_bytes(payload[start + 2:start + 4], "little")
    found = (store if store is not None else FormatStore()).lookup(sig)
    if found is None:
        raise UnsupportedError(
            LAYER, base + start,
            f"compact frame with format signature 0x{sig:04X}: its format is unknown. Decode a full "
            "frame of this meter first with the same decoder (smartmeter_codecs.mbus.WMBusDecoder, "
            "decode_all over both frames, or a stream), or add the format to the decoder's FormatStore",
            {"format_signature": sig, "format_signature_hex": f"{sig:04X}"})
    fmt, origin = found
    records, spans = _join(fmt, payload[start + 4:], base + start + 4)
    actual = _crc(records)
    if actual != crc:
        raise ChecksumError(LAYER, base + start + 2,
                            f"compact frame (format signature 0x{sig:04X}, {origin} format): the rebuilt "
                            f"records give CRC {actual:04X}, the frame says {crc:04X}",
                            expected=crc, actual=actual)
    at = start + 4
    return Expanded(records, sig, origin, tuple((a + at, b + at) for a, b in spans))
