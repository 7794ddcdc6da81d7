"""The P1 telegram layer: bytes <-> :class:`Telegram` (header, data lines, CRC). Pure, sans-I/O.

Layout (IEC 62056-21 mode D as adapted by DSMR 4.2.2/5.0.2 P1 companion standard §6.2):

    /XXXZ<ident> CR LF          header: FLAG id (3 letters), baud character, identification
    CR LF                        (an empty line; part of the CRC, some meters omit it)
    <OBIS>(<value>)(...) CR LF   data lines; a line starting with "(" continues the previous
                                 one (DSMR 2.2/3.0 gas profile value)
    !<CRC> CR LF                 DSMR >= 4: CRC-16/ARC as 1..4 hex digits (any case);
                                 DSMR 2.2/3.0: "!" alone

The CRC covers ``/`` .. ``!`` inclusive (see :mod:`.crc`). Text is read as latin-1, so a
character offset in the decoded text is the byte offset in the input.

Leniencies, each from a real telegram (docs/formats/p1.md): empty lines anywhere in
the data block; a value bracket left open at the end of a physical line continues on the next
one (openHAB ``dsmr_42`` wraps 0-0:96.13.0 and its CRC verifies); OBIS written with ``.255`` or
``*255`` and the spec typos ``1-0:99:97.0``; an unpadded CRC ``!B9F``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..errors import ChecksumError, FramingError, IncompleteError
from ..obis import ObisCode
from .crc import crc16_arc

__all__ = [
    "HEADER_START",
    "LAYER",
    "Group",
    "Header",
    "Line",
    "Telegram",
    "build_telegram",
    "find_end",
    "parse_telegram",
]

LAYER = "p1"

# "/" + 3-letter FLAG manufacturer id + baud-rate character (IEC 62056-21 §6.3.14): how a
# telegram starts. A bare "/" may appear in a text message ("test-/-test", node-dsmr-parser
# vector), so a resync needs all five. The baud character is "5" (DSMR), "9" (Aidon), and
# "-" in a Warmtelink heat unit ("/NWA-WARMTELINK"): any printable character is accepted.
HEADER_START = re.compile(rb"/[A-Za-z]{3}[!-~]")
_HEADER = re.compile(r"/([A-Za-z]{3})([!-~])([^\r\n]*)")
# Reduced OBIS id A-B:C.D.E with optional F (".255"/"*255"), ":" tolerated between C.D.E
# (spec example typos). A-B may be absent (IEC 62056-21 D0 style "1.8.0").
_OBIS = re.compile(r"(?:(\d{1,3})-(\d{1,3}):)?(\d{1,3})[.:](\d{1,3})[.:](\d{1,3})(?:[.*](\d{1,3}))?(?=[ \t]*\()")
# Any other IEC 62056-21 §6.3.6 data-set address (printable, no "(", ")", "/", "!"; at most 16
# characters), e.g. D0 letter codes "F.F" or "C.1.0": kept as a register keyed by the id as sent
# (no OBIS code, so it never fills a Reading field) instead of losing the whole telegram.
_ADDRESS = re.compile(r"[\x22-\x27\x2a-\x2e\x30-\x7e]{1,16}(?=[ \t]*\()")
_BLANK = " \t"
_CRC = re.compile(rb"!([0-9A-Fa-f]{0,4})[ \t]*(\r?\n|\r|$)")


@dataclass(frozen=True, slots=True)
class Header:
    """``/XXXZident``: FLAG id, baud-rate character, identification (offsets of the line)."""

    flag: str
    baud: str
    ident: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return f"/{self.flag}{self.baud}{self.ident}"


@dataclass(frozen=True, slots=True)
class Group:
    """The text inside one ``( )`` bracket; ``start``/``end`` cover the brackets."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Line:
    """One COSEM object line: OBIS id as sent, its parsed code, and its value groups."""

    obis_text: str
    obis: ObisCode | None
    groups: tuple[Group, ...]
    start: int
    end: int        # exclusive, without the line end


@dataclass(frozen=True, slots=True)
class Telegram:
    """A framed telegram: ``start``/``end`` are offsets in the input (end after the CRC line)."""

    header: Header
    lines: tuple[Line, ...]
    crc_given: int | None     # None: DSMR 2.2/3.0 telegram without CRC
    crc_text: str | None
    crc_computed: int | None  # None when crc_given is None: nothing to check, not computed
    start: int
    bang: int                 # offset of "!"
    end: int

    @property
    def crc_ok(self) -> bool | None:
        return None if self.crc_given is None else self.crc_given == self.crc_computed


def find_end(data: bytes, start: int) -> tuple[int, int | None]:
    """Where the telegram starting at ``start`` ends.

    Returns ``(bang, next_header)``: the offset of the ``!`` that starts a line (or -1), and
    the offset of a new header that starts a line before it (or None).
    """
    pos = start + 1
    while True:
        bang = data.find(b"\n!", pos)
        slash = data.find(b"\n/", pos, bang if bang >= 0 else len(data))
        while slash >= 0 and not HEADER_START.match(data, slash + 1):
            slash = data.find(b"\n/", slash + 1, bang if bang >= 0 else len(data))
        if slash >= 0:
            return (bang + 1 if bang >= 0 else -1), slash + 1
        return (bang + 1 if bang >= 0 else -1), None


def parse_telegram(data: bytes, start: int = 0, *, check_crc: bool = True,
                   require_end: bool = True, text: str | None = None) -> Telegram:
    """Parse the telegram that starts at ``data[start]`` (which must be ``/``).

    Raises:
        FramingError: no ``/`` at ``start``, bad header, a malformed data line (offset of the
            line), text after the CRC on the ``!`` line.
        IncompleteError: no ``!`` line before the end of the input or before the next header.
        ChecksumError: the CRC does not match (``expected`` = given, ``actual`` = computed),
            unless ``check_crc`` is False.

    ``require_end=False`` accepts a telegram whose ``!`` line is missing at the end of the
    input (a capture stored without it); such a telegram has no CRC. ``text`` is
    ``data.decode("latin-1")`` when the caller has it already (several telegrams).
    """
    if start >= len(data) or data[start] != 0x2F:
        raise FramingError(LAYER, start, "expected '/' (start of a P1 telegram)"
                           + (f", found {data[start:start + 1]!r}" if start < len(data) else ", found end of input"))
    if text is None:
        text = data.decode("latin-1")
    nl = text.find("\n", start)
    if nl < 0:
        raise IncompleteError(LAYER, len(data), "the header line has no line end")
    header_end = nl - 1 if nl > start and text[nl - 1] == "\r" else nl
    m = _HEADER.fullmatch(text, start, header_end)
    if m is None:
        raise FramingError(LAYER, start, f"expected a header '/XXXZident' (3-letter FLAG id and a baud "
                           f"character), found {text[start:header_end][:40]!r}")
    header = Header(m.group(1), m.group(2), m.group(3), start, header_end)
    bang, next_header = find_end(data, nl - 1)
    if next_header is not None:
        raise IncompleteError(LAYER, next_header, f"the telegram at byte {start} has no '!' line: a new "
                              "header starts here (truncated telegram)")
    if bang < 0:
        if require_end:
            raise IncompleteError(LAYER, len(data), f"the telegram at byte {start} has no '!' line "
                                  "(end of telegram) before the end of the input")
        body_end = len(data)
        lines = _parse_lines(text, nl + 1, body_end)
        return Telegram(header, lines, None, None, None, start, body_end, body_end)
    cm = _CRC.match(data, bang)
    if cm is None:
        raise FramingError(LAYER, bang, "expected '!' followed by at most 4 hex CRC digits and a line end, "
                           f"found {data[bang:bang + 12]!r}")
    lines = _parse_lines(text, nl + 1, bang)
    crc_text = cm.group(1).decode("ascii") or None
    given = int(crc_text, 16) if crc_text else None
    # DSMR 2.2/3.0 telegrams carry no CRC: computing one nobody can check cost a tenth of
    # their decode (issue 16)
    computed = crc16_arc(data[start:bang + 1]) if given is not None else None
    if check_crc and given is not None and given != computed:
        raise ChecksumError(LAYER, bang + 1, f"CRC mismatch: the telegram says {crc_text}, the bytes "
                            f"'/'..'!' give {computed:04X}", expected=given, actual=computed)
    return Telegram(header, lines, given, crc_text, computed, start, bang, cm.end())


def _parse_lines(text: str, pos: int, end: int) -> tuple[Line, ...]:
    out: list[Line] = []
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        stop = line_end - 1 if line_end > pos and text[line_end - 1] == "\r" else line_end
        if stop == pos or not text[pos:stop].strip():
            pos = line_end + 1
            continue
        while text[pos] in _BLANK:       # leading blanks on a line (hand-copied telegrams)
            pos += 1
        if text[pos] == "(":
            if not out:
                raise FramingError(LAYER, pos, "a continuation line '(...)' with no object line before it")
            groups, pos = _groups(text, pos, stop, end)
            prev = out[-1]
            out[-1] = Line(prev.obis_text, prev.obis, prev.groups + groups, prev.start, groups[-1].end)
            continue
        m = _OBIS.match(text, pos, stop)
        if m is not None:
            obis = _obis(m.group(0))
        else:
            m = _ADDRESS.match(text, pos, stop)
            if m is None:
                raise FramingError(LAYER, pos, "expected an object line 'A-B:C.D.E(value)', found "
                                   f"{text[pos:stop][:40]!r}")
            obis = None
        groups, pos = _groups(text, m.end(), stop, end)
        out.append(Line(m.group(0), obis, groups, m.start(), groups[-1].end))
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def _obis(sent: str) -> ObisCode | None:
    """The code of an id as sent (memoised: a meter sends the same ids every second)."""
    m = _OBIS.match(sent + "(")
    if m is None:
        return None
    a, b, c, d, e, f = m.groups()
    if a is None:       # without A-B (D0 style "1.8.0") the medium/channel is unknown
        return None
    try:
        return ObisCode(int(a), int(b), int(c), int(d), int(e), int(f) if f is not None else 255)
    except ValueError:  # a group above 255: kept as text
        return None


def _groups(text: str, pos: int, stop: int, end: int) -> tuple[tuple[Group, ...], int]:
    """The ``(...)`` groups from ``pos`` to the line end ``stop``; returns them and the offset
    of the next line. A bracket still open at ``stop`` continues on the next physical line."""
    groups: list[Group] = []
    while True:
        while pos < stop and text[pos] in _BLANK:     # blanks between id, brackets, line end
            pos += 1
        if pos >= stop:
            break
        if text[pos] != "(":
            raise FramingError(LAYER, pos, f"expected '(' or a line end, found {text[pos:stop][:20]!r}")
        close = text.find(")", pos + 1, stop)
        if close >= 0:
            inner = text[pos + 1:close]
            if "(" in inner:
                raise FramingError(LAYER, pos + 1 + inner.index("("), "'(' inside a value bracket")
            groups.append(Group(inner, pos, close + 1))
            pos = close + 1
            continue
        # wrapped value: the bracket closes on a following physical line
        parts = [text[pos + 1:stop]]
        nxt = stop
        while True:
            nl = text.find("\n", nxt, end)
            if nl < 0:
                raise FramingError(LAYER, pos, "value bracket '(' is never closed")
            line_start = nl + 1
            nl2 = text.find("\n", line_start, end)
            line_end = end if nl2 < 0 else nl2
            stop = line_end - 1 if line_end > line_start and text[line_end - 1] == "\r" else line_end
            close = text.find(")", line_start, stop)
            if close >= 0:
                parts.append(text[line_start:close])
                break
            parts.append(text[line_start:stop])
            nxt = stop
        inner = "".join(parts)
        if "(" in inner:
            raise FramingError(LAYER, pos, "'(' inside a value bracket")
        groups.append(Group(inner, pos, close + 1))
        pos = close + 1
    if not groups:
        raise FramingError(LAYER, pos, "an object line without a value '( )'")
    nl = text.find("\n", pos, end)
    return tuple(groups), (end if nl < 0 else nl + 1)


def build_telegram(header: str, lines: list[str] | tuple[str, ...], *, crc: bool = True) -> bytes:
    """A telegram from a header (without ``/``) and data lines (without line ends).

    DSMR 5 layout: header, empty line, the lines, ``!`` and the 4-digit CRC (``crc=False``:
    a DSMR 2.2/3.0 telegram ending in a bare ``!``). Text must be latin-1.
    """
    body = ("/" + header + "\r\n\r\n" + "".join(line + "\r\n" for line in lines) + "!").encode("latin-1")
    if not crc:
        return body + b"\r\n"
    return body + f"{crc16_arc(body):04X}\r\n".encode("ascii")
