"""What every platform decoder shares: typed errors, strict JSON, decimal numbers, CSV tables.

The platforms deliver documents (HTTP bodies, portal downloads), not byte streams; errors name
the byte offset in the input and, for CSV, the line and column (``CsvError``), or the JSON path.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .._json import load_json as _load_json
from ..errors import ApplicationError, FramingError, IncompleteError, UnsupportedError

__all__ = [
    "CsvError",
    "CsvRow",
    "CsvTable",
    "JsonPathError",
    "PlatformError",
    "field_error",
    "kwh_to_wh",
    "load_json",
    "parse_decimal",
]


class PlatformError(ApplicationError):
    """The platform answered with an error instead of data (HTTP error body, per-point error,
    distributor error inside an HTTP 200).

    Attributes:
        platform: ``"datadis"``, ``"eloverblik"``...
        code: the platform's error code as an int (Datadis HTTP status or distributor
            ``errorCode``, Eloverblik ``errorCode`` such as 20013 / 30002), ``None`` if none.
        text: the platform's error text as sent.
        http_status: the HTTP status when the body says it (Spring ``status``) or the caller
            passed it (the clients do), else ``None``.
        readings: Readings of the other parts of a partial answer (e.g. the metering points
            that succeeded, the distributors that answered); empty when nothing came through.
        retry_after: seconds to wait before asking again (HTTP 429/503 ``Retry-After``), or None.
    """

    def __init__(self, layer: str, offset: int | None, message: str, code: int | None = None, *,
                 platform: str = "", text: str = "", http_status: int | None = None,
                 readings: Sequence[Any] = (), retry_after: float | None = None) -> None:
        self.platform = platform
        self.text = text
        self.http_status = http_status
        self.readings = list(readings)
        self.retry_after = retry_after
        super().__init__(layer, offset, message, code)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_platform_error, (self.__class__, self.layer, self.offset, self.message, self.code,
                                          self.platform, self.text, self.http_status, self.readings,
                                          self.retry_after))


def _rebuild_platform_error(cls: type[PlatformError], layer: str, offset: int | None, message: str, code: int | None,
                            platform: str, text: str, http_status: int | None, readings: list[Any],
                            retry_after: float | None) -> PlatformError:
    return cls(layer, offset, message, code, platform=platform, text=text, http_status=http_status,
               readings=readings, retry_after=retry_after)


class CsvError(FramingError):
    """A CSV cell or row that is not what the export's layout says.

    ``offset`` is the byte offset of the cell in the input; ``line`` (1-based, the header is
    line 1) and ``column`` (1-based) locate it for a human, ``column_name`` is the header text.
    """

    def __init__(self, layer: str, offset: int | None, message: str, line: int | None = None,
                 column: int | None = None, column_name: str | None = None) -> None:
        self.line = line
        self.column = column
        self.column_name = column_name
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + \
                (f" ({column_name})" if column_name else "") + ": "
        super().__init__(layer, offset, where + message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_csv_error, (self.__class__, self.layer, self.offset, self.message, self.line,
                                     self.column, self.column_name))


def _rebuild_csv_error(cls: type[CsvError], layer: str, offset: int | None, message: str, line: int | None,
                       column: int | None, column_name: str | None) -> CsvError:
    err = cls(layer, offset, "", line, column, column_name)
    err.message = message
    err.args = (f"[{layer}{f' at byte {offset}' if offset is not None else ''}] {message}",)
    return err


class JsonPathError(FramingError):
    """A JSON value that is not what the platform documents; ``path`` names it
    (``timeCurve[3].time``). JSON carries no useful byte offsets once parsed: offset is None."""

    def __init__(self, layer: str, offset: int | None, message: str, path: str = "") -> None:
        self.path = path
        super().__init__(layer, offset, f"{path}: {message}" if path and not message.startswith(path) else message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_json_error, (self.__class__, self.layer, self.offset, self.message, self.path))


def _rebuild_json_error(cls: type[JsonPathError], layer: str, offset: int | None, message: str, path: str) -> JsonPathError:
    err = cls(layer, offset, message, "")
    err.path = path
    return err


def field_error(layer: str, path: str, message: str) -> JsonPathError:
    return JsonPathError(layer, None, message, path)


# ---- JSON ---------------------------------------------------------------------------------------

def load_json(data: bytes, layer: str) -> Any:
    """Parse a JSON body strictly (the shared loader, smartmeter_codecs._json)."""
    return _load_json(data, layer, "body")


#: most title lines (without a separator) accepted before a CSV header
PREAMBLE = 5

JSON_START = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{\"]")


def json_doc(data: bytes) -> Any | None:
    """The parsed JSON body for sniffers, or None when it is not JSON (never raises)."""
    if not JSON_START.match(data[:64]):
        return None
    try:
        return load_json(data, "sniff")
    except Exception:  # noqa: BLE001 - a sniffer only asks "is it mine"
        return None


# ---- numbers ------------------------------------------------------------------------------------

_DEC_COMMA = re.compile(r"[+-]?[0-9]{1,15},[0-9]{1,12}\Z")
_DEC_POINT = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})\Z")


def parse_decimal(text: str) -> Decimal:
    """A quantity written as text: ``"0,267"`` (decimal comma, every national CSV) or ``"0.412"``
    (Eloverblik strings). Thousands separators are refused (no export uses them; ``"1.234,5"``
    would be ambiguous). Raises ValueError with the reason."""
    t = text.strip()
    if _DEC_COMMA.match(t):
        return Decimal(t.replace(",", "."))
    if _DEC_POINT.match(t):
        return Decimal(t)
    raise ValueError(f"{text!r} is not a decimal number (digits with one decimal comma or point)")


def json_number(value: Any) -> Decimal | None:
    """A JSON number or numeric string as Decimal; None for null. ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int):
        if abs(value) > 10**15:
            raise ValueError(f"{value} is out of range for an energy quantity")
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) > 10**15:
            raise ValueError(f"{value} is out of range for an energy quantity")
        return value
    if isinstance(value, str):
        return parse_decimal(value)
    raise ValueError(f"{value!r} is not a number")


def kwh_to_wh(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 1000)


# ---- CSV ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its cells, 1-based line number and the byte offset of each cell."""

    line: int
    cells: tuple[str, ...]
    offsets: tuple[int, ...]


class CsvTable:
    """A ``;``-separated export with a header row: cells unquoted, offsets kept for errors.

    Accepts a UTF-8 BOM, CRLF or LF, double-quoted cells (``"0,139"``), Excel formula cells
    (``="541448..."``), a trailing separator, blank lines. Text is UTF-8, else cp1252 (common in
    Spanish distributor CSVs, docs/formats/platforms.md).
    """

    def __init__(self, data: bytes, layer: str, sep: str = ";") -> None:
        self.layer = layer
        self.data = data
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        body = data[bom:]
        try:
            text = body.decode("utf-8")
            self._enc = "utf-8"
        except UnicodeDecodeError:
            text = body.decode("cp1252", errors="replace")
            self._enc = "cp1252"
        if "\x00" in text:
            raise FramingError(layer, data.find(b"\x00"), "NUL byte: not a text export")
        rows: list[CsvRow] = []
        pos = bom
        for lineno, raw in enumerate(text.splitlines(keepends=True), start=1):
            line = raw.rstrip("\r\n")
            nbytes = len(raw.encode(self._enc, errors="replace"))
            if line.strip():
                cells, offs = self._split(line, pos, lineno, sep)
                rows.append(CsvRow(lineno, cells, offs))
            pos += nbytes
        # a preamble before the header (a title line some distributors write: "Exportación
        # generada por la distribuidora") has no separator: skip up to PREAMBLE such lines
        skipped = 0
        while rows and len(rows[0].cells) < 2 and skipped < PREAMBLE and len(rows) > 1:
            rows.pop(0)
            skipped += 1
        if not rows:
            raise IncompleteError(layer, 0, "empty export: no header row")
        self.preamble = skipped
        header = rows[0].cells
        if len(header) > 1 and header[-1].strip() == "":
            header = header[:-1]     # a trailing separator after the header (older exports)
        self.header = tuple(c.strip() for c in header)
        self.header_line = rows[0].line
        # a trailing separator after a data row (e-distribuzione writes one): not a cell
        self.rows = [CsvRow(r.line, r.cells[:-1], r.offsets[:-1])
                     if len(r.cells) == len(self.header) + 1 and r.cells[-1].strip() == "" else r for r in rows[1:]]

    def _split(self, line: str, base: int, lineno: int, sep: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        cells: list[str] = []
        offs: list[int] = []
        i = 0
        n = len(line)
        while True:
            start = i
            if line.startswith('="', i):        # Excel formula wrapping: ="541448..."
                end = line.find('"', i + 2)
                if end < 0:
                    raise CsvError(self.layer, base + len(line[:i].encode(self._enc, errors="replace")),
                                   "unterminated =\"...\" cell", lineno, len(cells) + 1)
                cells.append(line[i + 2:end])
                i = end + 1
            elif line.startswith('"', i):
                buf = []
                j = i + 1
                while True:
                    k = line.find('"', j)
                    if k < 0:
                        raise CsvError(self.layer, base + len(line[:i].encode(self._enc, errors="replace")),
                                       "unterminated quoted cell", lineno, len(cells) + 1)
                    buf.append(line[j:k])
                    if line.startswith('""', k):
                        buf.append('"')
                        j = k + 2
                        continue
                    i = k + 1
                    break
                cells.append("".join(buf))
            else:
                k = line.find(sep, i)
                k = n if k < 0 else k
                cells.append(line[i:k])
                i = k
            offs.append(base + len(line[:start].encode(self._enc, errors="replace")))
            if i >= n:
                break
            if line[i] != sep:
                raise CsvError(self.layer, base + len(line[:i].encode(self._enc, errors="replace")),
                               f"expected {sep!r} after a quoted cell, found {line[i]!r}", lineno, len(cells))
            i += 1
            if i == n:           # a separator at the end: an empty last cell
                cells.append("")
                offs.append(base + len(line.encode(self._enc, errors="replace")))
                break
        return tuple(cells), tuple(offs)

    def error(self, row: CsvRow, col: int | None, message: str) -> CsvError:
        """A CsvError for ``row`` (0-based column ``col`` or None for the whole row)."""
        if col is None or col >= len(row.offsets):
            return CsvError(self.layer, row.offsets[0] if row.offsets else None, message, row.line, None)
        name = self.header[col] if col < len(self.header) else None
        return CsvError(self.layer, row.offsets[col], message, row.line, col + 1, name)

    def cell(self, row: CsvRow, col: int) -> str:
        """The cell (stripped), or a CsvError when the row is too short."""
        if col >= len(row.cells):
            raise self.error(row, None, f"the row has {len(row.cells)} cells; column {col + 1} "
                                        f"({self.header[col] if col < len(self.header) else '?'}) is missing")
        return row.cells[col].strip()

    def decimal(self, row: CsvRow, col: int, *, empty_ok: bool = True) -> Decimal | None:
        text = self.cell(row, col)
        if not text:
            if empty_ok:
                return None
            raise self.error(row, col, "empty cell; expected a number")
        try:
            return parse_decimal(text)
        except ValueError as err:
            raise self.error(row, col, str(err)) from None

    def index(self, *names: str) -> int | None:
        """Column index of the first header matching one of ``names`` (case-insensitive)."""
        low = [normalise_header(h) for h in self.header]
        for name in names:
            n = normalise_header(name)
            if n in low:
                return low.index(n)
        return None


def normalise_header(text: str) -> str:
    t = text.strip().lower()
    if not t.isascii():     # NFKD leaves ASCII unchanged and ASCII has no combining marks
        import unicodedata
        t = unicodedata.normalize("NFKD", t)
        t = "".join(c for c in t if not unicodedata.combining(c))
    return _SPACES.sub(" ", t)


_SPACES = re.compile(r"\s+")


def first_line(data: bytes, limit: int = 4096) -> str:
    """The header line as text (BOM removed, UTF-8 or cp1252) for sniffers: the first line
    with a ``;``, after at most :data:`PREAMBLE` title lines without one."""
    head = data[:limit]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    lines = head.split(b"\n")
    line = lines[0]
    for candidate in lines[:PREAMBLE + 1]:
        if b";" in candidate:
            line = candidate
            break
    try:
        return line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace").rstrip("\r")


def header_cells(data: bytes) -> list[str]:
    return list(_header_cells(first_line(data)))


@functools.lru_cache(maxsize=64)
def _header_cells(line: str) -> tuple[str, ...]:
    # Autodetection asks every CSV sniffer about the same input in turn, and on a binary
    # frame the "line" is up to 4 KiB of text to normalise: computed once per input, not
    # once per sniffer (issue 16: the six CSV sniffers cost 25-35 us each on a DLMS or M-Bus
    # frame). Bounded; the tuple is copied into a fresh list for the caller.
    return tuple(normalise_header(c.strip().strip('"')) for c in line.split(";"))


def unsupported(layer: str, message: str, **recognised: Any) -> UnsupportedError:
    return UnsupportedError(layer, None, message, recognised)


def iter_dicts(value: Any, layer: str, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(value, list):
        raise field_error(layer, path, f"expected a list, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise field_error(layer, f"{path}[{i}]", f"expected an object, got {type(item).__name__}")
        yield f"{path}[{i}]", item
