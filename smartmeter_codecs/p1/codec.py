"""The ``p1`` format: codec object ``CODEC`` and the stream splitter :class:`P1Stream`."""
from __future__ import annotations

import datetime as _dt
import logging
import re
from decimal import Decimal
from typing import Any

from .._extra_bytes import extra_bytes_note, note_extra_bytes
from .._receivebuffer import ReceiveBuffer
from .._registry import get_codec
from ..errors import DecodeError, FramingError, IncompleteError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from ..model import Reading
from ..obis import ObisCode
from .fast import fast_parse, fast_reading
from .mapping import FORMAT, line_register, to_reading, zone_for
from .telegram import HEADER_START, LAYER, Telegram, build_telegram, parse_telegram

__all__ = [
    "CODEC",
    "MAX_TELEGRAM",
    "P1Codec",
    "P1Stream",
    "decode_telegrams",
    "encode_reading",
    "parse_telegrams",
]

log = logging.getLogger(__name__)

# Upper bound of one telegram in a stream. DSMR 5.0.2 telegrams are ~1 KiB (plus at most one
# 1024-character text message, §6.12); the largest corpus telegram is under 3 KiB. A start
# with no "!" within this many bytes is reported and dropped: the stream buffer never holds more.
MAX_TELEGRAM = 8192

_WS = b" \t\r\n\x00"
_HEX = frozenset(b"0123456789abcdefABCDEF")
_GENERAL_GLO_CIPHERING = b"\xdb"     # DLMS APDU tag (IEC 62056-5-3 / Blue Book 9.5)


def _skip_ws(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _WS:
        pos += 1
    return pos


def parse_telegrams(data: bytes, *, check_crc: bool = True, require_end: bool = True) -> list[Telegram]:
    """Every telegram in ``data`` (one or several concatenated).

    Leading white space is skipped; the input must then start with ``/`` (or hold leading
    bytes before a telegram that parses completely, see :func:`_parse_telegrams`). Bytes after
    the last telegram's ``!`` line that hold no further header are a trailer and ignored
    (gateways append bytes, e.g. EasyMeter COM-1 0xFF runs; :meth:`P1Codec.inspect` shows them).
    """
    return _parse_telegrams(data, check_crc=check_crc, require_end=require_end)[0]


def _parse_telegrams(data: bytes, *, check_crc: bool = True,
                     require_end: bool = True) -> tuple[list[Telegram], int, int]:
    """``(telegrams, first, trailer)``: the telegrams, where the first starts and where the
    trailer after the last one starts (``len(data)`` without one; trailing white space is not
    a trailer).

    Leading bytes before the first ``/`` (issue 9 item 3) are accepted only when a telegram
    starting at a later header parses completely (its CRC checked when it has one); otherwise
    the error of the telegram at the first header (or of the first byte, without a header)
    is raised, so a corrupt or truncated telegram on its own still says what is wrong.
    """
    out: list[Telegram] = []
    pos = _skip_ws(data, 0)
    if pos >= len(data):
        raise IncompleteError(LAYER, len(data), "empty input: expected a P1 telegram starting with '/'")
    text = data.decode("latin-1")
    first = pos
    if data[pos] != 0x2F:
        first_error: DecodeError | None = None
        for m in HEADER_START.finditer(data, pos):
            try:
                out.append(parse_telegram(data, m.start(), check_crc=check_crc, require_end=require_end,
                                          text=text))
                first = m.start()
                break
            except DecodeError as err:
                first_error = first_error or err
        if not out:
            if first_error is not None:
                raise first_error
            parse_telegram(data, pos, check_crc=check_crc, require_end=require_end, text=text)  # raises
        pos = _skip_ws(data, out[-1].end)
    while True:
        if pos >= len(data):
            return out, first, len(data)
        if out and data[pos] != 0x2F:
            nxt = HEADER_START.search(data, pos)
            if nxt is None:
                return out, first, pos
            raise FramingError(LAYER, pos, f"expected '/' (next telegram) or the end of the input, found "
                               f"{data[pos:pos + 12]!r}")
        t = parse_telegram(data, pos, check_crc=check_crc, require_end=require_end, text=text)
        out.append(t)
        pos = _skip_ws(data, t.end)


def decode_telegrams(data: bytes, *, profile: str | None = None, check_crc: bool = True,
                     require_end: bool = True) -> list[Reading]:
    """A Reading per telegram in ``data`` (see :func:`parse_telegrams`); bytes before the first
    telegram or after the last are named in ``quality`` (and logged at INFO level)."""
    if check_crc and require_end:
        fast = _fast_decode(data, profile)
        if fast is not None:
            return fast
    return _decode_full(data, profile=profile, check_crc=check_crc, require_end=require_end)


def _decode_full(data: bytes, *, profile: str | None = None, check_crc: bool = True,
                 require_end: bool = True) -> list[Reading]:
    """:func:`decode_telegrams` by the full path (Telegram objects with offsets), which every
    input the fast path declines takes, and which tests hold the fast path to."""
    telegrams, first, trailer = _parse_telegrams(data, check_crc=check_crc, require_end=require_end)
    readings = [to_reading(t, profile=profile) for t in telegrams]
    lead = first if data[:first].strip(_WS) else 0
    return note_extra_bytes(readings, FORMAT, leading=lead, first=first, trailing=len(data) - trailer,
                            last_end=trailer)


def _fast_decode(data: bytes, profile: str | None) -> list[Reading] | None:
    """:func:`decode_telegrams` of the common input (one well-formed telegram, maybe white
    space before it and bytes after it) by the fast path (:mod:`.fast`); None for anything
    else, which the full path then decodes or rejects with its typed error."""
    pos = _skip_ws(data, 0)
    if pos >= len(data) or data[pos] != 0x2F:
        return None
    got = fast_parse(data, pos, profile)
    if got is None:
        return None
    plan, values, end = got
    nxt = _skip_ws(data, end)
    if nxt >= len(data):
        return [plan.build(values, None)]
    if data[nxt] == 0x2F or HEADER_START.search(data, nxt) is not None:
        return None             # another telegram, or what the full path reports as an error
    # note_extra_bytes' note and log line, with the Reading built once (not built and
    # replaced: a Reading costs about 4 us, a quarter of an EasyMeter telegram's decode)
    return [plan.build(values, extra_bytes_note(FORMAT, trailing=len(data) - nxt, last_end=nxt))]


class P1Codec:
    """DSMR / IEC 62056-21 P1 text telegrams <-> Reading (format ``"p1"``)."""

    name = FORMAT
    description = ("DSMR / IEC 62056-21 P1 text telegrams (NL, BE, LU, SE, AT...), plain or inside "
                   "DLMS ciphering")
    # str input is the meter's bytes one per character (api.text_encoding): a Fluvius header
    # "/FLU5\253..." holds byte 0xAB, which UTF-8 would turn into two bytes and a CRC mismatch
    text_encoding = "latin-1"

    def sniff(self, data: bytes) -> int:
        """95 for a complete telegram (starts with ``/``, has a line starting with ``!``), else 0."""
        if type(data) is not bytes:
            data = bytes(data)
        s = data.lstrip(_WS)
        # HEADER_START is five characters: matching the whole input is matching its start
        return 95 if HEADER_START.match(s) is not None and b"\n!" in s else 0

    def decode_all(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> list[Reading]:
        """A Reading per telegram; raises DecodeError subclasses (layer ``"p1"``) only.

        A frame starting with 0xDB (DLMS general-glo-ciphering, Luxembourg Smarty spec v1.1.3
        §3.2.5; Austrian T210-D-r) is handed to the ``dlms`` format, which deciphers it with
        ``keys`` and reads the telegram inside with this format (Readings say format "dlms").
        """
        data = bytes(data)
        if data[:1] == _GENERAL_GLO_CIPHERING:
            return get_codec("dlms").decode_all(data, keys=keys, profile=None)
        return decode_telegrams(data, profile=profile)

    def inspect(self, data: bytes, *, keys: KeysArg = None, profile: str | None = None) -> Inspection:
        """One node per telegram, one child per line (byte offsets); never raises for bad input."""
        data = bytes(data)
        if data[:1] == _GENERAL_GLO_CIPHERING:
            return get_codec("dlms").inspect(data, keys=keys, profile=None)
        root = Field("p1", 0, len(data))
        insp = Inspection(data, FORMAT, root)
        try:
            zone_name, zone = zone_for(None, profile)
        except ValueError as err:
            insp.error = DecodeError(LAYER, None, str(err))
            return insp
        pos = _skip_ws(data, 0)
        try:
            if pos >= len(data):
                raise IncompleteError(LAYER, len(data), "empty input: expected a P1 telegram starting with '/'")
            while pos < len(data):
                if data[pos] != 0x2F:
                    if root.children and HEADER_START.search(data, pos) is None:
                        root.add("trailer", pos, len(data), data[pos:], "bytes after the last telegram (ignored)")
                        break
                    raise FramingError(LAYER, pos, "expected '/' (start of a P1 telegram)" if not root.children
                                       else "expected '/' (next telegram) or the end of the input")
                t = parse_telegram(data, pos, check_crc=False)
                _, zone = zone_for(t.header.flag, profile)
                node = root.add("telegram", t.start, t.end, None, f"P1 telegram, profile {zone_name if profile else _profile(t)}")
                node.add("header", t.header.start, t.header.end, t.header.text,
                         f"FLAG {t.header.flag}, baud character {t.header.baud}, identification {t.header.ident!r}")
                for line in t.lines:
                    reg = line_register(line, zone)
                    unit = f" {reg.unit}" if reg.unit else ""
                    node.add(reg.key, line.start, line.end, f"{_show(reg.value)}{unit}", reg.description)
                if t.crc_given is None:
                    node.add("end", t.bang, t.end, "!", "no CRC (DSMR 2.2/3.0)")
                else:
                    status = "ok" if t.crc_ok else f"MISMATCH, computed {t.crc_computed:04X}"
                    node.add("crc", t.bang, t.end, t.crc_text, f"CRC-16/ARC over '/'..'!': {status}")
                # the checks decode_all makes (CRC) decide the error; the tree is shown anyway
                parse_telegram(data, pos)
                insp.readings.append(to_reading(t, profile=profile))
                pos = _skip_ws(data, t.end)
        except DecodeError as err:
            insp.error = err
        return insp

    def encode(self, reading: Reading, *, profile: str | None = None, keys: KeysArg = None) -> bytes:
        """A DSMR 5 telegram (with CRC) carrying the Reading's fields (see :func:`encode_reading`)."""
        return encode_reading(reading, profile=profile)

    def stream(self, *, keys: KeysArg = None, profile: str | None = None) -> P1Stream:
        """A splitter for a serial P1 byte stream."""
        zone_for(None, profile)      # unknown profile names fail here, not per telegram
        return P1Stream(profile=profile)


def _profile(t: Telegram) -> str:
    return zone_for(t.header.flag, None)[0]


def _show(v: Any) -> str:
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, tuple):
        return "(" + ", ".join(_show(x) for x in v) + ")"
    return str(v)


class P1Stream:
    """Split a P1 byte stream into telegrams: ``/XXXZ`` ... ``!`` [CRC] line end.

    Garbage before a header is dropped. A new header start (``/`` + three letters + one
    printable character) ends a pending telegram *wherever it appears*, not only at a line
    start: a telegram cut off mid-line, or ``/XXX5`` in line noise, is reported
    (IncompleteError) and the telegram that starts there still decodes (issue 10: a cut-off
    start used to run on to the next telegram's ``!`` and drop both). A wrong CRC is reported
    (ChecksumError) and the next telegram still decodes. A telegram must fit in
    :data:`MAX_TELEGRAM` bytes; the buffer never holds more between calls. The scan resumes
    where it stopped, so feeding byte by byte costs linear time; the items do not depend on
    how the stream is cut into chunks. Error offsets count bytes since the stream start.
    """

    def __init__(self, *, profile: str | None = None) -> None:
        self._profile = profile
        self._rx = ReceiveBuffer(MAX_TELEGRAM)
        self._start: int | None = None  # stream offset of the pending telegram's '/'
        self._scan = 0                  # stream offset where the next search resumes

    @property
    def buffered(self) -> int:
        """Bytes held back for a telegram not complete yet (at most :data:`MAX_TELEGRAM`)."""
        return len(self._rx)

    def feed(self, data: bytes) -> list[Reading | DecodeError]:
        rx = self._rx
        rx.feed(data)
        buf = rx.data
        n = rx.end
        out: list[Reading | DecodeError] = []
        while True:
            start = self._start
            if start is None:
                m = HEADER_START.search(buf, rx.index(self._scan))
                if m is None:
                    self._scan = max(self._scan, n - 4)     # a header may be split across chunks
                    break
                self._start = start = m.start() + rx.start
                self._scan = start + 1
            # the '!' must leave room for a 4-digit CRC and CR LF within MAX_TELEGRAM
            limit = start + MAX_TELEGRAM - 6
            m = _END_OR_HEADER.search(buf, rx.index(self._scan), rx.index(min(n, limit + 1)))
            if m is None:
                if n > limit:
                    out.append(FramingError(LAYER, start, f"no '!' within {MAX_TELEGRAM} bytes of a telegram "
                                                          "start: dropped"))
                    self._start, self._scan = None, start + 1
                    continue
                self._scan = max(self._scan, min(n, limit + 1) - 4)  # a marker may be split
                break
            at = m.start() + rx.start
            if buf[m.start()] == 0x2F:                      # a new header: the pending one is cut off
                out.append(IncompleteError(LAYER, at, f"telegram at stream byte {start} has no '!' line: "
                                                      "a new header starts here (truncated telegram)"))
                self._start, self._scan = at, at + 1
                continue
            bang = at + 1
            # the CRC is complete after 4 hex digits, or at the first other byte (1-3 digits:
            # unpadded CRC; none: DSMR 2.2/3.0); the line end after it is taken when present
            end = bang + 1
            while end < n and end - bang <= 4 and buf[rx.index(end)] in _HEX:
                end += 1
            if end == n and end - bang <= 4:
                self._scan = at                             # wait for the rest of the CRC
                break
            if end + 1 < n and buf[rx.index(end)] == 0x0D and buf[rx.index(end) + 1] == 0x0A:
                end += 2
            elif end < n and buf[rx.index(end)] == 0x0A:
                end += 1
            try:
                chunk = rx.slice(start, end)
                got = fast_reading(chunk, 0, self._profile)
                if got is not None:
                    out.append(got[0])
                else:
                    out.append(to_reading(parse_telegram(chunk, 0), profile=self._profile))
            except DecodeError as err:
                out.append(err.shifted(start))
            self._start, self._scan = None, end
        rx.release(self._start if self._start is not None else self._scan)
        return out


# the end of a telegram ("!" at a line start) or the start of a new one, whichever comes first
_END_OR_HEADER = re.compile(rb"\n!|" + HEADER_START.pattern)


# --- encoding ---------------------------------------------------------------------------

# Reading field -> (OBIS, DSMR unit, divisor from SI, (integer digits, decimals)) following
# DSMR 5.0.2 §6.12 (energy F9(3,3), power F5(3,3), voltage F4(1,1), current F3(0,0)...).
_ENCODE: tuple[tuple[str, str, str, int, tuple[int, int]], ...] = (
    ("active_energy_import", "1-0:1.8.0", "kWh", 1000, (6, 3)),
    ("active_energy_export", "1-0:2.8.0", "kWh", 1000, (6, 3)),
    ("reactive_energy_import", "1-0:3.8.0", "kvarh", 1000, (6, 3)),
    ("reactive_energy_export", "1-0:4.8.0", "kvarh", 1000, (6, 3)),
    ("active_power_import", "1-0:1.7.0", "kW", 1000, (2, 3)),
    ("active_power_export", "1-0:2.7.0", "kW", 1000, (2, 3)),
    ("reactive_power_import", "1-0:3.7.0", "kvar", 1000, (2, 3)),
    ("reactive_power_export", "1-0:4.7.0", "kvar", 1000, (2, 3)),
    ("voltage_l1", "1-0:32.7.0", "V", 1, (3, 1)),
    ("voltage_l2", "1-0:52.7.0", "V", 1, (3, 1)),
    ("voltage_l3", "1-0:72.7.0", "V", 1, (3, 1)),
    ("current_l1", "1-0:31.7.0", "A", 1, (3, 2)),
    ("current_l2", "1-0:51.7.0", "A", 1, (3, 2)),
    ("current_l3", "1-0:71.7.0", "A", 1, (3, 2)),
    ("active_power_import_l1", "1-0:21.7.0", "kW", 1000, (2, 3)),
    ("active_power_import_l2", "1-0:41.7.0", "kW", 1000, (2, 3)),
    ("active_power_import_l3", "1-0:61.7.0", "kW", 1000, (2, 3)),
    ("active_power_export_l1", "1-0:22.7.0", "kW", 1000, (2, 3)),
    ("active_power_export_l2", "1-0:42.7.0", "kW", 1000, (2, 3)),
    ("active_power_export_l3", "1-0:62.7.0", "kW", 1000, (2, 3)),
    ("frequency", "1-0:14.7.0", "Hz", 1, (2, 1)),
    ("power_factor", "1-0:13.7.0", "", 1, (1, 3)),
)
# lines the encoder writes from Reading fields; registers with these codes are not re-sent
_FIXED = tuple(ObisCode.parse(c) for c in ("1-3:0.2.8", "0-0:1.0.0", "0-0:96.1.1", "0-0:96.14.0"))
_BAD_RAW = re.compile(r"[()\r\n!]|[^\x20-\xff]")
_HEADER_OK = re.compile(r"[A-Za-z]{3}[!-~][^\r\n\u0100-\U0010ffff]{0,90}")
_TARIFF = re.compile(r"T(\d{1,4})")


def _dec(value: float, divisor: int, fmt: tuple[int, int]) -> str:
    """The DSMR digits, or more decimals when the value has them (lossless round trip)."""
    digits, decimals = fmt
    dec = Decimal(repr(float(value))) / divisor
    exp = dec.normalize().as_tuple().exponent
    places = max(decimals, -exp if isinstance(exp, int) and exp < 0 else 0)
    text = f"{abs(dec):.{places}f}"
    whole, _, frac = text.partition(".")
    text = whole.zfill(digits) + ("." + frac if frac else "")
    return ("-" if dec < 0 else "") + text


def encode_reading(reading: Reading, *, profile: str | None = None) -> bytes:
    """A DSMR 5.0.2 telegram with a correct CRC for ``reading``.

    Written: header (``meter_model`` when it is a valid ``XXXZident``, else
    ``SMC5\\2smartmeter-codecs``), 1-3:0.2.8(50), the clock (in the profile's zone with the S/W
    flag), the equipment id (hex of the ASCII meter id), the tariff, and every Reading field in
    ``_ENCODE`` that is set, with DSMR resolutions (energy 1 Wh, power 1 W, voltage 0.1 V,
    current 0.01 A). A Reading decoded from P1 also gets its other registers back, as sent
    (``extra["raw"]``: tariff registers, M-Bus values, counters...); a Reading field always
    wins over a register with the same OBIS code. Negative values cannot be sent (DSMR
    registers are unsigned): ``ValueError``.
    """
    if reading.meter_model and _HEADER_OK.fullmatch(reading.meter_model):
        header = reading.meter_model
        flag = header[:3]
    else:
        header, flag = "SMC5\\2smartmeter-codecs", "SMC"
    _, zone = zone_for(flag, profile)
    lines = ["1-3:0.2.8(50)"]
    if reading.timestamp is not None:
        lines.append(f"0-0:1.0.0({_tst(reading.timestamp, zone)})")
    if reading.meter_id:
        mid = reading.meter_id
        if not all(0x20 <= ord(c) < 0x7F for c in mid) or len(mid) > 96:
            raise ValueError("meter_id must be at most 96 printable ASCII characters to be sent in 0-0:96.1.1")
        lines.append(f"0-0:96.1.1({mid.encode('ascii').hex().upper()})")
    if reading.tariff is not None:
        m = _TARIFF.fullmatch(reading.tariff)
        if m is None:
            raise ValueError(f"tariff {reading.tariff!r} cannot be sent in 0-0:96.14.0 (expected 'T<n>')")
        lines.append(f"0-0:96.14.0({int(m.group(1)):04d})")
    written = set(_FIXED)
    for field, obis, unit, divisor, fmt in _ENCODE:
        v = getattr(reading, field)
        if v is None:
            continue
        if v < 0 and field != "power_factor":
            raise ValueError(f"{field}={v}: DSMR registers are unsigned")
        text = _dec(v, divisor, fmt)
        lines.append(f"{obis}({text}*{unit})" if unit else f"{obis}({text})")
        written.add(ObisCode.parse(obis))
    if reading.format == FORMAT or reading.profile == FORMAT:   # decoded from P1 (maybe inside DLMS)
        for reg in reading.registers:
            raw = reg.extra.get("raw")
            if reg.obis is None or reg.obis in written or raw is None:
                continue
            texts = raw if isinstance(raw, tuple) else (raw,)
            if any(not isinstance(t, str) or _BAD_RAW.search(t) for t in texts):
                continue
            lines.append(reg.key + "".join(f"({t})" for t in texts))
    return build_telegram(header, lines)


def _tst(ts: _dt.datetime, zone: Any) -> str:
    """``YYMMDDhhmmssX`` in the zone: S when the zone's DST is on at that instant."""
    if ts.tzinfo is None:
        local, flag = ts, "W"
    else:
        summer = zone.summer != zone.winter and _is_dst(ts, zone)
        offset = zone.summer if summer else zone.winter
        local = ts.astimezone(_dt.timezone(_dt.timedelta(hours=offset))).replace(tzinfo=None)
        flag = "S" if summer else "W"
    if not 2000 <= local.year <= 2099:
        raise ValueError(f"timestamp {ts} cannot be written as YYMMDDhhmmss (years 2000..2099)")
    return local.strftime("%y%m%d%H%M%S") + flag


def _is_dst(ts: _dt.datetime, zone: Any) -> bool:
    try:
        from zoneinfo import ZoneInfo
        return bool(ts.astimezone(ZoneInfo(zone.name)).dst())
    except Exception:  # noqa: BLE001 - no tz database: EU rule (last Sunday of March/October, 01:00 UTC)
        utc = ts.astimezone(_dt.UTC).replace(tzinfo=None)
        def last_sunday(month: int) -> _dt.datetime:
            d = _dt.datetime(utc.year, month, 31, 1)
            return d - _dt.timedelta(days=(d.weekday() + 1) % 7)
        return last_sunday(3) <= utc < last_sunday(10)


CODEC = P1Codec()
