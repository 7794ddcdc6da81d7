"""C12.19 tables of NES/OSGP meters -> typed values (and back, for the simulated meter).

Sources: OSGP MEP Client Developer's Guide (DG) ch. 4 "Programmer's Reference Notes"
(BT00 p.196, BT01 p.198, BT15 p.199, BT21 p.200, BT22 p.202, BT23 p.207, BT27 p.214, BT28
p.215, BT52 p.224, ET03 p.55, ET52/ET53 p.44-50 and p.128-130). All multi-byte table fields
are LSB first (DG "Data Types"); NI_FMAT1/NI_FMAT2 are INT32 on NES meters (DG "Data Types",
BT00 code 8) unless BT00 says otherwise.

The dimension tables (BT00, BT15, BT21, BT22, BT27, ET03) are gathered in a
:class:`MeterConfig`; BT23 and BT28 are laid out from it (:func:`table_fields`). A value
table read without the dimension table that lays it out is returned as undecoded bytes, never
with a guessed layout.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import FramingError, IncompleteError, UnsupportedError

__all__ = [
    "BT00",
    "BT01",
    "BT07",
    "BT08",
    "BT15",
    "BT20",
    "BT21",
    "BT22",
    "BT23",
    "BT27",
    "BT28",
    "BT52",
    "BT55",
    "ET03",
    "ET04",
    "ET11",
    "ET50",
    "ET52",
    "ET53",
    "ET59",
    "LAYER",
    "Constants",
    "DataSelection",
    "GeneralConfig",
    "ManufacturerInfo",
    "MeterConfig",
    "PresentSelection",
    "ProcedureRequest",
    "RegisterDimensions",
    "TableField",
    "Transaction",
    "TransactionItem",
    "UtcClock",
    "build_bt15",
    "build_bt21",
    "build_bt52",
    "build_procedure_request",
    "build_transaction",
    "ni_size",
    "parse_bt00",
    "parse_bt01",
    "parse_bt15",
    "parse_bt22",
    "parse_bt27",
    "parse_bt52",
    "parse_dimensions",
    "parse_et03",
    "parse_et11",
    "parse_ni",
    "parse_procedure_request",
    "parse_transaction",
    "table_fields",
    "table_name",
]

LAYER = "c12.19"

ET = 0x0800          # manufacturer ("extended") tables: ETnn = 0x0800 + nn (DG "naming conventions")
PENDING = 0x1000     # pending tables: + 4096 (Optical Port Programmer's Guide "Table ID")

BT00, BT01, BT07, BT08, BT15, BT20, BT21, BT22, BT23, BT27, BT28, BT52, BT55 = (
    0, 1, 7, 8, 15, 20, 21, 22, 23, 27, 28, 52, 55)
ET03, ET04, ET11, ET50, ET52, ET53, ET59, ET85 = (ET + 3, ET + 4, ET + 11, ET + 50, ET + 52, ET + 53, ET + 59, ET + 85)


def table_name(table: int) -> str:
    """``BT28``, ``ET53``, ``BT54 (pending)``."""
    pending = " (pending)" if table & PENDING else ""
    t = table & ~PENDING
    return (f"ET{t - ET:02d}" if t & ET else f"BT{t:02d}") + pending


def _need(data: bytes, n: int, what: str) -> None:
    if len(data) < n:
        raise IncompleteError(LAYER, len(data), f"{what}: expected at least {n} bytes, got {len(data)}")


# --- NI formats (BT00 byte 2; ANSI C12.19-1997 via the Yukon implementation, docs/formats/osgp.md)

_NI_INT = {7: 3, 8: 4, 9: 5, 10: 6, 11: 8}      # INT24, INT32, INT40, INT48, INT64
_NI_FLOAT = {0: ("<d", 8), 1: ("<f", 4)}         # FLOAT64, FLOAT32
NES_NI_FORMAT = 8                                # INT32 (DG "Data Types" and BT00.2)


def ni_size(fmt: int) -> int:
    if fmt in _NI_INT:
        return _NI_INT[fmt]
    if fmt in _NI_FLOAT:
        return _NI_FLOAT[fmt][1]
    raise UnsupportedError(LAYER, None, f"NI format code {fmt} is not supported (integers 7-11 and "
                           "floats 0-1 are; NES meters use 8 = INT32)", {"ni_format": fmt})


def parse_ni(data: bytes, pos: int, fmt: int) -> int | float:
    if fmt in _NI_INT:
        n = _NI_INT[fmt]
        return int.from_bytes(data[pos:pos + n], "little", signed=True)
    f, n = _NI_FLOAT[fmt]
    return float(struct.unpack_from(f, data, pos)[0])


# --- dimension / identification tables -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GeneralConfig:
    """BT00 General Configuration (DG p.196-198)."""

    data_order: int            # 0 = LSB first
    char_format: int           # 1 = ASCII
    time_format: int           # 2 = UINT8 fields
    data_access: int           # 1 = offset/count
    id_format: int             # 0 = CHAR, 1 = BCD (bit 5 of byte 1)
    int_format: int            # 0 = two's complement
    ni_format1: int
    ni_format2: int
    manufacturer: str          # "NES " or "ELON"
    nameplate_type: int        # 2 = electric
    default_set: int
    max_proc_param_length: int
    max_response_length: int
    standard_version: int
    standard_revision: int
    dim_basic_tables: int
    dim_extended_tables: int
    dim_basic_procedures: int
    dim_extended_procedures: int
    mfg_status_length: int
    pending_tables: int


def parse_bt00(data: bytes) -> GeneralConfig:
    _need(data, 19, "BT00 General Configuration")
    b0, b1, b2 = data[0], data[1], data[2]
    return GeneralConfig(
        b0 & 1, (b0 >> 1) & 7, b1 & 7, (b1 >> 3) & 3, (b1 >> 5) & 1, (b1 >> 6) & 3, b2 & 0x0F, b2 >> 4,
        data[3:7].decode("latin-1"), *data[7:19])


@dataclass(frozen=True, slots=True)
class ManufacturerInfo:
    """BT01 General Manufacturer Information (DG p.198): the two firmware bytes are reported as
    sent (the DG combines them into x.yy.zz but does not settle their byte order)."""

    manufacturer: str
    model: str
    firmware_version: int | None
    firmware_revision: int | None


def parse_bt01(data: bytes) -> ManufacturerInfo:
    _need(data, 12, "BT01 General Manufacturer Information")
    fw = data[14] if len(data) > 14 else None
    rev = data[15] if len(data) > 15 else None
    return ManufacturerInfo(_text(data[0:4]), _text(data[4:12]), fw, rev)


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


@dataclass(frozen=True, slots=True)
class Constants:
    """BT15 Constants, NES electric layout (DG p.199): multiplier, offset, "applied" flag, and
    the CT and VT ratios (CT meters only; ``None`` when the read stopped before them)."""

    multiplier: int | float
    offset: int | float
    applied: bool
    ct_ratio: int | float | None = None
    vt_ratio: int | float | None = None

    @property
    def direct_connected(self) -> bool | None:
        """True when no transformer ratio is configured (ratios 0 or 1: values are primary-side)."""
        if self.ct_ratio is None or self.vt_ratio is None:
            return None
        return self.ct_ratio in (0, 1) and self.vt_ratio in (0, 1)


def parse_bt15(data: bytes, ni: int = NES_NI_FORMAT) -> Constants:
    n = ni_size(ni)
    _need(data, 2 * n + 1, "BT15 Constants (multiplier, offset, applied flag)")
    ct = parse_ni(data, 2 * n + 1, ni) if len(data) >= 3 * n + 1 else None
    vt = parse_ni(data, 3 * n + 1, ni) if len(data) >= 4 * n + 1 else None
    return Constants(parse_ni(data, 0, ni), parse_ni(data, n, ni), bool(data[2 * n] & 1), ct, vt)


def build_bt15(c: Constants) -> bytes:
    out = int(c.multiplier).to_bytes(4, "little", signed=True) + int(c.offset).to_bytes(4, "little", signed=True)
    out += bytes([1 if c.applied else 0])
    for r in (c.ct_ratio, c.vt_ratio):
        if r is not None:
            out += int(r).to_bytes(4, "little", signed=True)
    return out


@dataclass(frozen=True, slots=True)
class RegisterDimensions:
    """BT20 Dimension Register (maxima) or BT21 Actual Register (in use), same 10-byte layout
    (DG p.200-202)."""

    reg_func1: int
    reg_func2: int
    self_reads: int
    summations: int
    demands: int
    coincident_values: int
    occurrences: int
    tiers: int
    present_demands: int
    present_values: int

    # REG_FUNC1 bits (DG BT21 offset 0)
    @property
    def season_info(self) -> bool:
        return bool(self.reg_func1 & 0x01)

    @property
    def date_time(self) -> bool:
        return bool(self.reg_func1 & 0x02)

    @property
    def demand_reset_counter(self) -> bool:
        return bool(self.reg_func1 & 0x04)

    @property
    def cumulative_demand(self) -> bool:
        return bool(self.reg_func1 & 0x10)

    @property
    def cont_cumulative_demand(self) -> bool:
        return bool(self.reg_func1 & 0x20)

    @property
    def time_remaining(self) -> bool:
        return bool(self.reg_func1 & 0x40)


def parse_dimensions(data: bytes, name: str = "BT21") -> RegisterDimensions:
    _need(data, 10, f"{name} register dimensions")
    return RegisterDimensions(*data[:10])


def build_bt21(d: RegisterDimensions) -> bytes:
    return bytes(getattr(d, f.name) for f in dataclasses.fields(d))


@dataclass(frozen=True, slots=True)
class DataSelection:
    """BT22 Data Selection (DG p.202): source ids of BT23's summations, demands, coincidents."""

    summation_sources: tuple[int, ...]
    demand_sources: tuple[int, ...]
    min_max_flags: bytes
    coincident_sources: tuple[int, ...]
    coincident_demand: tuple[int, ...]


def parse_bt22(data: bytes, dims: RegisterDimensions) -> DataSelection:
    s, d, c = dims.summations, dims.demands, dims.coincident_values
    flags = (d + 7) // 8
    _need(data, s + d + flags + 2 * c, "BT22 Data Selection (sized by BT21)")
    p = 0
    out = []
    for n in (s, d, flags, c, c):
        out.append(data[p:p + n])
        p += n
    return DataSelection(tuple(out[0]), tuple(out[1]), bytes(out[2]), tuple(out[3]), tuple(out[4]))


@dataclass(frozen=True, slots=True)
class PresentSelection:
    """BT27 Present Register Selection (DG p.214): source ids of BT28's entries."""

    demand_sources: tuple[int, ...]
    value_sources: tuple[int, ...]


def parse_bt27(data: bytes, dims: RegisterDimensions) -> PresentSelection:
    _need(data, dims.present_demands + dims.present_values, "BT27 Present Register Selection (sized by BT21)")
    d = dims.present_demands
    return PresentSelection(tuple(data[:d]), tuple(data[d:d + dims.present_values]))


@dataclass(frozen=True, slots=True)
class UtcClock:
    """BT52 UTC Clock (DG p.224): LTIME_DATE in UTC plus the status byte (``None`` if not read)."""

    time: _dt.datetime
    weekday: int | None = None          # 0 = Sunday
    dst: bool | None = None             # DST in effect (the clock itself never includes it)


def parse_bt52(data: bytes) -> UtcClock:
    _need(data, 6, "BT52 UTC Clock (LTIME_DATE)")
    yy, mo, dd, hh, mi, ss = data[:6]
    try:
        t = _dt.datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=_dt.UTC)   # DG: "02 = 2002"
    except ValueError as err:
        raise FramingError(LAYER, 0, f"BT52 clock {data[:6].hex()} is not a valid date/time ({err})") from None
    if len(data) > 6:
        return UtcClock(t, data[6] & 7, bool(data[6] & 0x08))
    return UtcClock(t)


def build_bt52(clock: _dt.datetime) -> bytes:
    t = clock.astimezone(_dt.UTC)
    if not 2000 <= t.year <= 2099:
        raise ValueError("BT52 holds years 2000..2099")
    wd = (t.weekday() + 1) % 7
    return bytes([t.year - 2000, t.month, t.day, t.hour, t.minute, t.second, wd | 0x10])


def parse_et03(data: bytes) -> str:
    """ET03 Utility Information: the utility serial number, a NUL-terminated CHAR[30] (DG p.55)."""
    _need(data, 1, "ET03 utility serial number")
    return _text(data[:30])


# ET11 MFG Dimension Table (DG p.77-78): (name, offset, size); UINT16 fields LSB first like all
# table data (the DG example 05 42 24 05 06 05 02 01 03 F9 gives 517 at offset 5, the documented value)
ET11_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("number_of_devices", 0, 1), ("config_entry_size", 1, 1), ("status_entry_size", 2, 1),
    ("ondemand_queue_size", 3, 1), ("ondemand_entry_size", 4, 1), ("data_entry_size", 5, 2),
    ("transaction_request_length", 7, 2), ("transaction_response_length", 9, 2),
    ("ondemand_write_entry_size", 11, 1), ("phase_measurement_data_size", 12, 1))


def parse_et11(data: bytes) -> dict[str, int]:
    """The ET11 fields wholly inside ``data`` (a read from offset 0)."""
    _need(data, 1, "ET11 MFG Dimension Table")
    return {n: int.from_bytes(data[o:o + k], "little") for n, o, k in ET11_FIELDS if o + k <= len(data)}


# --- ET52 / ET53 transactions (DG p.43-50) ------------------------------------------------

@dataclass(frozen=True, slots=True)
class TransactionItem:
    """One command (ET52) or one answer (ET53): the C12.18 message bytes and its offset in the table."""

    message: bytes
    offset: int


@dataclass(frozen=True, slots=True)
class Transaction:
    """An ET52 request or ET53 response transaction: size (UINT16), type (0 requests,
    1 responses), number (UINT16), items each ``[length UINT16][C12.18 message]``, then the
    number again (DG "Example Transaction - Multiple Commands")."""

    kind: int
    number: int
    items: tuple[TransactionItem, ...]


def parse_transaction(data: bytes) -> Transaction:
    _need(data, 5, "transaction header (size, type, number)")
    size = int.from_bytes(data[0:2], "little")
    if size < 7:
        raise FramingError(LAYER, 0, f"transaction size {size} is smaller than its 7-byte frame")
    _need(data, size, f"transaction of {size} bytes")
    kind = data[2]
    number = int.from_bytes(data[3:5], "little")
    items = []
    pos = 5
    while pos < size - 2:
        if pos + 2 > size - 2:
            raise FramingError(LAYER, pos, "transaction item length runs into the closing number")
        n = int.from_bytes(data[pos:pos + 2], "little")
        if pos + 2 + n > size - 2:
            raise FramingError(LAYER, pos, f"transaction item of {n} bytes runs past the transaction end")
        items.append(TransactionItem(bytes(data[pos + 2:pos + 2 + n]), pos + 2))
        pos += 2 + n
    end = int.from_bytes(data[size - 2:size], "little")
    if end != number:
        raise FramingError(LAYER, size - 2, f"closing transaction number {end} differs from the opening {number}")
    return Transaction(kind, number, tuple(items))


def build_transaction(kind: int, number: int, messages: list[bytes]) -> bytes:
    body = b"".join(len(m).to_bytes(2, "little") + m for m in messages)
    size = 5 + len(body) + 2
    return (size.to_bytes(2, "little") + bytes([kind]) + number.to_bytes(2, "little") + body
            + number.to_bytes(2, "little"))


# --- BT07 procedure initiation (DG "Procedure Header Fields", p.52) ----------------------

@dataclass(frozen=True, slots=True)
class ProcedureRequest:
    """A BT07 write: procedure number UINT(0..11) (EPnn = 2048 + nn), response handling
    UINT(12..15), procedure sequence number (5-9 for MEP clients), parameters."""

    procedure: int
    sequence: int
    parameters: bytes = b""
    response_handling: int = 0


def parse_procedure_request(data: bytes) -> ProcedureRequest:
    _need(data, 3, "BT07 procedure header")
    word = int.from_bytes(data[0:2], "little")
    return ProcedureRequest(word & 0x0FFF, data[2], bytes(data[3:]), word >> 12)


PROCEDURE_RESULTS = {0: "completed", 1: "accepted but not fully completed", 2: "invalid parameter",
                     3: "conflicts with current device setup", 4: "timing constraint", 5: "no authorization",
                     6: "unrecognized procedure"}     # DG "Procedure Header Fields" (ANSI result codes)


@dataclass(frozen=True, slots=True)
class ProcedureResponse:
    """A BT08/ET59/ET85 read: procedure number UINT(0..11), PSN, result code, response data."""

    procedure: int
    sequence: int
    result: int
    data: bytes

    @property
    def result_meaning(self) -> str:
        return PROCEDURE_RESULTS.get(self.result, f"procedure-specific result {self.result}")


def parse_procedure_response(data: bytes) -> ProcedureResponse:
    _need(data, 4, "procedure response header")
    return ProcedureResponse(int.from_bytes(data[0:2], "little") & 0x0FFF, data[2], data[3], bytes(data[4:]))


def build_procedure_request(p: ProcedureRequest) -> bytes:
    return ((p.procedure & 0x0FFF) | (p.response_handling << 12)).to_bytes(2, "little") + bytes([p.sequence]) + p.parameters


# --- meter configuration gathered from the dimension tables ------------------------------

@dataclass(frozen=True, slots=True)
class MeterConfig:
    """What a client has learnt about one meter: the tables that give BT23/BT28 their meaning.

    ``energy_register_unit`` is the ET55 "Energy Register Unit" (1, 10 or 100 Wh/varh per
    count; only CT meters with firmware 3.70+ use other than 1, DG p.207): give it when you
    know it, the client does not read ET55.
    """

    general: GeneralConfig | None = None
    constants: Constants | None = None
    dimensions: RegisterDimensions | None = None
    selection: DataSelection | None = None
    present_selection: PresentSelection | None = None
    serial_number: str | None = None
    model: str | None = None
    energy_register_unit: int | None = None

    @property
    def ni1(self) -> int:
        return self.general.ni_format1 if self.general else NES_NI_FORMAT

    @property
    def ni2(self) -> int:
        return self.general.ni_format2 if self.general else NES_NI_FORMAT

    def learn(self, table: int, offset: int, data: bytes) -> MeterConfig:
        """A copy updated with a table read that starts at offset 0 (dimension tables only)."""
        if offset != 0:
            return self
        if table == BT00:
            return dataclasses.replace(self, general=parse_bt00(data))
        if table == BT15:
            return dataclasses.replace(self, constants=parse_bt15(data, self.ni1))
        if table == BT21:
            dims = parse_dimensions(data)
            if dims != self.dimensions:   # the selections are sized by BT21: drop stale ones
                return dataclasses.replace(self, dimensions=dims, selection=None, present_selection=None)
            return self
        if table == BT22 and self.dimensions is not None:
            return dataclasses.replace(self, selection=parse_bt22(data, self.dimensions))
        if table == BT27 and self.dimensions is not None:
            return dataclasses.replace(self, present_selection=parse_bt27(data, self.dimensions))
        if table == ET03:
            return dataclasses.replace(self, serial_number=parse_et03(data) or None)
        if table == BT01:
            info = parse_bt01(data)
            return dataclasses.replace(self, model=" ".join(x for x in (info.manufacturer, info.model) if x) or None)
        return self


# --- BT23 / BT28 layout --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TableField:
    """One value field of BT23/BT28: where it is, how to read it, which source it holds.

    ``source`` is a source id (DG p.204-206) or, for BT23 fields laid out by the DG's fixed
    summation order without BT22, a negative pseudo id for the VAh summations that have no
    source id (see :mod:`.sources`). ``None`` = not known.
    """

    key: str
    offset: int
    size: int
    kind: str                    # "ni1", "ni2", "u8", "time", "stime"
    source: int | None
    origin: str                  # how the source was settled ("BT27", "BT22", "DG fixed order")
    extra: dict[str, Any] = field(default_factory=dict)


# DG BT23 "Summations" fixed order 0..18 as source ids; VAh Q1-Q4 have no source id (-1..-4).
BT23_FIXED_SOURCES: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 26, 27, 28, 108, 109, 110, 111, -1, -2, -3, -4)
# DG BT28 present values 0..83 in the documented NES order, as source ids (DG p.204-206, p.215-220)
BT28_FIXED_SOURCES: tuple[int, ...] = (
    8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 81, 82, 83, 84,
    104, 105, 106, 107, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199,
    202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215,
    *range(216, 232), 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244)


def table_fields(table: int, config: MeterConfig, until: int | None = None) -> list[TableField] | None:
    """The value fields of BT23 or BT28 under ``config``; ``None`` when BT21 is not known (the
    layout depends on it: demand-reset byte, time-remaining fields, counts).

    ``until``: only the fields that start before this offset (the end of the bytes read). The
    counts come from the meter's BT21, up to 255 each, so a corrupt or hostile BT21 describes
    billions of BT23 fields (fuzzing: 7 s for one 563-byte conversation); every field is at
    least one byte long, so at most ``until`` fields are made.
    """
    if config.dimensions is None or table not in (BT23, BT28):
        return None
    out: list[TableField] = []
    for f in _table_fields(table, config):
        if until is not None and f.offset >= until:
            break           # offsets only grow: no later field starts inside the read
        out.append(f)
    return out


def _table_fields(table: int, config: MeterConfig) -> Iterator[TableField]:
    """The fields of BT23/BT28 in offset order (table_fields)."""
    dims = config.dimensions
    assert dims is not None
    n1, n2 = ni_size(config.ni1), ni_size(config.ni2)
    if table == BT28:
        # DG p.215: PresDmdRcd = [TIME if BT21.0.6] + NI_FMAT2; then PRESENT_VALUES NI_FMAT1.
        # The DG prints the offset as (A+4)*BT21.8 + "Present Value Number": the x4 (NI size)
        # is missing there (erratum, docs/formats/osgp.md).
        psel = config.present_selection
        pos = 0
        for i in range(dims.present_demands):
            src, origin = (psel.demand_sources[i], "BT27") if psel else (None, "unknown (BT27 not read)")
            if dims.time_remaining:
                yield TableField(f"BT28.present_demand[{i}].time_remaining", pos, 3, "time", None, "BT21")
                pos += 3
            yield TableField(f"BT28.present_demand[{i}]", pos, n2, "ni2", src, origin)
            pos += n2
        for i in range(dims.present_values):
            if psel:
                src, origin = psel.value_sources[i], "BT27"
            elif i < len(BT28_FIXED_SOURCES):
                src, origin = BT28_FIXED_SOURCES[i], "DG fixed NES order (BT27 not read; its VCI is F)"
            else:
                src, origin = None, "unknown (BT27 not read, beyond the documented order)"
            yield TableField(f"BT28.present_value[{i}]", pos, n1, "ni1", src, origin)
            pos += n1
        return
    if table == BT23:
        sel = config.selection
        pos = 0
        if dims.demand_reset_counter:
            yield TableField("BT23.demand_resets", 0, 1, "u8", None, "BT21")
            pos = 1
        occ = dims.occurrences
        for block in range(1 + dims.tiers):
            prefix = "BT23" if block == 0 else f"BT23.tier[{block - 1}]"
            tier = {} if block == 0 else {"tier": block - 1}
            for i in range(dims.summations):
                if sel:
                    src, origin = sel.summation_sources[i], "BT22"
                elif i < len(BT23_FIXED_SOURCES):
                    src, origin = BT23_FIXED_SOURCES[i], "DG fixed NES summation order (BT22 not read)"
                else:
                    src, origin = None, "unknown (BT22 not read, beyond the documented order)"
                yield TableField(f"{prefix}.summation[{i}]", pos, n1, "ni1", src, origin, dict(tier))
                pos += n1
            for d in range(dims.demands):
                src = sel.demand_sources[d] if sel else None
                origin = "BT22" if sel else "unknown (BT22 not read)"
                for o in range(occ if dims.date_time else 0):
                    yield TableField(f"{prefix}.demand[{d}].event_time[{o}]", pos, 5, "stime", None, "BT21")
                    pos += 5
                if dims.cumulative_demand:
                    yield TableField(f"{prefix}.demand[{d}].cumulative", pos, n1, "ni1", src, origin, dict(tier))
                    pos += n1
                if dims.cont_cumulative_demand:
                    yield TableField(f"{prefix}.demand[{d}].continuous_cumulative", pos, n1, "ni1", src,
                                          origin, dict(tier))
                    pos += n1
                for o in range(occ):
                    yield TableField(f"{prefix}.demand[{d}].value[{o}]", pos, n2, "ni2", src, origin, dict(tier))
                    pos += n2
            for c in range(dims.coincident_values):
                src = sel.coincident_sources[c] if sel else None
                origin = "BT22" if sel else "unknown (BT22 not read)"
                for o in range(occ):
                    yield TableField(f"{prefix}.coincident[{c}].value[{o}]", pos, n2, "ni2", src, origin,
                                          dict(tier))
                    pos += n2


def read_field(f: TableField, data: bytes, pos: int, config: MeterConfig) -> Any:
    """The raw value of ``f`` at ``data[pos:]`` (ints/floats; TIME as time; STIME_DATE as datetime)."""
    if f.kind == "ni1":
        return parse_ni(data, pos, config.ni1)
    if f.kind == "ni2":
        return parse_ni(data, pos, config.ni2)
    if f.kind == "u8":
        return data[pos]
    if f.kind == "time":
        h, m, s = data[pos:pos + 3]
        try:
            return _dt.time(h, m, s)
        except ValueError:
            return bytes(data[pos:pos + 3])
    if f.kind == "stime":
        yy, mo, dd, hh, mi = data[pos:pos + 5]
        try:
            return _dt.datetime(2000 + yy, mo, dd, hh, mi, tzinfo=_dt.UTC)
        except ValueError:
            return bytes(data[pos:pos + 5])     # all zero = no event yet
    raise AssertionError(f.kind)


Parser = Callable[[bytes], Any]
