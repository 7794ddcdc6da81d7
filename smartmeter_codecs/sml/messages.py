"""SML messages (SML 1.04 §7; libsml ``sml_message.h``): TL tree <-> typed frozen values.

::

    SML_Message = list(6){ transactionId Octet String, groupNo Unsigned8, abortOnError Unsigned8,
                           messageBody list(2){ tag Unsigned16|32, body }, crc16 Unsigned16,
                           endOfSmlMsg 00 }

The message CRC covers the bytes from the message's list TL up to the end of ``messageBody``
(the CRC element is excluded). Its Unsigned16 holds the X.25 value byte-swapped, i.e. the bytes
on the wire are low byte first like the transport CRC; with Holley's KERMIT variant it is the
plain KERMIT value (corpus: every message of the 47 SML frames).

Bodies decoded to dataclasses: PublicOpen.Res (0x0101), PublicClose.Res (0x0201),
GetProcParameter.Res (0x0501), GetList.Res (0x0701), Attention.Res (0xFF01). Any other tag
(requests, profile messages) is kept as :class:`OtherBody` with its TL tree.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from ..errors import ChecksumError, FramingError
from ..obis import ObisCode
from . import tl
from .crc import crc16_kermit, crc16_x25
from .tl import ABSENT, END, INT, LIST, OCTETS, UINT, Node

__all__ = [
    "ATTENTION_CODES",
    "LAYER",
    "TAGS",
    "AttentionResponse",
    "CloseResponse",
    "GetListResponse",
    "GetProcParameterResponse",
    "ListEntry",
    "Message",
    "OpenResponse",
    "OtherBody",
    "SmlTime",
    "Tree",
    "build_message",
    "encode_attention_response",
    "encode_close_response",
    "encode_entry",
    "encode_get_list_response",
    "encode_get_proc_parameter_response",
    "encode_open_response",
    "encode_time",
    "encode_tree",
    "encode_value",
    "parse_entry",
    "parse_message",
    "parse_messages",
    "parse_time",
    "parse_tree",
]

LAYER = "sml-message"

OPEN_REQ, OPEN_RES = 0x0100, 0x0101
CLOSE_REQ, CLOSE_RES = 0x0200, 0x0201
GET_PROC_PARAMETER_RES = 0x0501
GET_LIST_RES = 0x0701
ATTENTION_RES = 0xFF01

#: message body tags (SML 1.04 §7.1)
TAGS: dict[int, str] = {
    0x0100: "PublicOpen.Req", 0x0101: "PublicOpen.Res", 0x0200: "PublicClose.Req",
    0x0201: "PublicClose.Res", 0x0300: "GetProfilePack.Req", 0x0301: "GetProfilePack.Res",
    0x0400: "GetProfileList.Req", 0x0401: "GetProfileList.Res", 0x0500: "GetProcParameter.Req",
    0x0501: "GetProcParameter.Res", 0x0600: "SetProcParameter.Req", 0x0700: "GetList.Req",
    0x0701: "GetList.Res", 0x0800: "GetCosem.Req", 0x0801: "GetCosem.Res", 0x0900: "SetCosem.Req",
    0x0901: "SetCosem.Res", 0x0A00: "ActionCosem.Req", 0x0A01: "ActionCosem.Res",
    0xFF01: "Attention.Res",
}

#: attention numbers 81 81 C7 C7 FD/FE xx of Attention.Res (SML 1.04 attention codes; the list
#: and its order as in solosTec smf ``obis/defs.h``). FD xx = acknowledgement, FE xx = error.
ATTENTION_CODES: dict[bytes, str] = {bytes.fromhex(k): v for k, v in {
    "8181C7C7FD00": "ok (positive acknowledgement)",
    "8181C7C7FD01": "ok, job will be executed later",
    "8181C7C7FE00": "error without further detail",
    "8181C7C7FE01": "unknown SML identifier",
    "8181C7C7FE02": "insufficient authentication",
    "8181C7C7FE03": "destination address (serverId) not available",
    "8181C7C7FE04": "request (reqFileId) not available",
    "8181C7C7FE05": "one or more target attributes cannot be written",
    "8181C7C7FE06": "one or more target attributes cannot be read",
    "8181C7C7FE07": "communication with the measuring point disturbed",
    "8181C7C7FE08": "raw data cannot be interpreted",
    "8181C7C7FE09": "value out of the permitted range",
    "8181C7C7FE0A": "request not executed (e.g. parameterTreePath does not exist)",
    "8181C7C7FE0B": "checksum faulty",
    "8181C7C7FE0C": "broadcast not supported",
    "8181C7C7FE0D": "unexpected SML message",
    "8181C7C7FE0E": "unknown OBIS code",
    "8181C7C7FE0F": "data type not supported",
    "8181C7C7FE10": "element is not optional",
    "8181C7C7FE11": "no entries",
    "8181C7C7FE12": "end limit before start limit",
    "8181C7C7FE13": "no entries in the requested range",
    "8181C7C7FE14": "SML close message missing",
}.items()}


# --- typed values -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmlTime:
    """SML_Time (SML 1.04 §6.3.2): ``list(2){choice, value}``.

    ``kind``: ``"sec_index"`` (choice 1: seconds since some meter event, not a clock),
    ``"timestamp"`` (choice 2: Unix time, UTC), ``"local_timestamp"`` (choice 3:
    ``list(3){Unix time, localOffset min, seasonTimeOffset min}``), or ``"bare"``: Holley DTZ541
    sends a bare Unsigned32 without the ``72 62 01`` wrapper (libsml issue #75); its values
    (1.3e6..1.7e8 s in the corpus) are seconds indexes, not Unix times of the capture, so it is
    read as a seconds index.
    """

    kind: str
    seconds: int
    local_offset: int | None = None
    season_offset: int | None = None

    def to_datetime(self) -> _dt.datetime | None:
        """A tz-aware datetime for a real clock time; ``None`` for seconds indexes."""
        try:
            if self.kind == "timestamp":
                return _dt.datetime.fromtimestamp(self.seconds, _dt.UTC)
            if self.kind == "local_timestamp":
                minutes = (self.local_offset or 0) + (self.season_offset or 0)
                tz = _dt.timezone(_dt.timedelta(minutes=minutes))
                return _dt.datetime.fromtimestamp(self.seconds, _dt.UTC).astimezone(tz)
        except (ValueError, OverflowError, OSError):
            return None
        return None

    def to_json(self) -> Any:
        dt = self.to_datetime()
        if dt is not None:
            return dt.isoformat()
        return {"kind": self.kind, "seconds": self.seconds}


@dataclass(frozen=True, slots=True)
class ListEntry:
    """SML_ListEntry = ``list(7){objName, status, valTime, unit, scaler, value, valueSignature}``.

    Also used for SML_PeriodEntry (GetProcParameter) with ``status``/``val_time`` None.
    ``value`` is an int, bytes, bool, :class:`SmlTime` (SML_ListType choice 1, e.g. EMH's
    129-0:96.8.0*1), a tuple (other SML_ListType), or None (not set). Offsets are payload
    offsets (see :meth:`TransportFile.offset_of`).
    """

    obj_name: bytes
    status: int | None
    val_time: SmlTime | None
    unit: int | None
    scaler: int | None
    value: Any
    value_type: str
    value_signature: bytes | None
    start: int
    end: int
    value_start: int
    value_end: int
    status_width: int = 0

    @property
    def obis(self) -> ObisCode | None:
        return ObisCode.from_bytes(self.obj_name) if len(self.obj_name) == 6 else None


@dataclass(frozen=True, slots=True)
class Tree:
    """SML_Tree (GetProcParameter.Res): a parameter name, an optional value, child trees.

    ``kind`` of the value (SML_ProcParValue choice): ``"value"`` (1), ``"period"`` (2, an
    SML_PeriodEntry decoded into ``entry``), ``"tupel"`` (3, raw tree in ``value``), ``"time"``
    (4), ``"list_entry"`` (5, into ``entry``); None without a value.
    """

    name: bytes
    kind: str | None
    value: Any
    entry: ListEntry | None
    children: tuple[Tree, ...]
    start: int
    end: int
    value_type: str | None = None


@dataclass(frozen=True, slots=True)
class OpenResponse:
    codepage: bytes | None
    client_id: bytes | None
    req_file_id: bytes | None
    server_id: bytes | None
    ref_time: SmlTime | None
    sml_version: int | None


@dataclass(frozen=True, slots=True)
class CloseResponse:
    global_signature: bytes | None


@dataclass(frozen=True, slots=True)
class GetListResponse:
    client_id: bytes | None
    server_id: bytes | None
    list_name: bytes | None
    act_sensor_time: SmlTime | None
    entries: tuple[ListEntry, ...]
    list_signature: bytes | None
    act_gateway_time: SmlTime | None


@dataclass(frozen=True, slots=True)
class GetProcParameterResponse:
    server_id: bytes | None
    tree_path: tuple[bytes, ...]
    tree: Tree | None


@dataclass(frozen=True, slots=True)
class AttentionResponse:
    server_id: bytes | None
    attention_no: bytes
    message: str | None
    details: Tree | None

    @property
    def meaning(self) -> str:
        return ATTENTION_CODES.get(self.attention_no, "unknown attention number")

    @property
    def is_error(self) -> bool:
        """81 81 C7 C7 FE xx are errors; FD xx acknowledgements."""
        return not (len(self.attention_no) == 6 and self.attention_no[4] == 0xFD)


@dataclass(frozen=True, slots=True)
class OtherBody:
    """A message body this library does not interpret (requests, profile messages)."""

    node: Node


Body = OpenResponse | CloseResponse | GetListResponse | GetProcParameterResponse | AttentionResponse | OtherBody


@dataclass(frozen=True, slots=True)
class Message:
    """One SML_Message. ``start``/``end``: payload offsets; ``crc_kind``: the CRC that matched
    (``"x25"``/``"kermit"``), ``None`` when not checked."""

    transaction_id: bytes
    group_no: int
    abort_on_error: int
    tag: int
    body: Body
    crc: int
    crc_kind: str | None
    start: int
    end: int
    node: Node

    @property
    def name(self) -> str:
        return TAGS.get(self.tag, f"tag 0x{self.tag:04X}")


# --- readers ------------------------------------------------------------------------------


def _err(node: Node, what: str, expected: str) -> FramingError:
    got = tl.TYPE_NAMES.get(node.kind, "?") if node.kind not in (INT, UINT) else node.type_name
    return FramingError(LAYER, node.start, f"{what}: expected {expected}, found {got}")


def _list(node: Node, what: str, sizes: tuple[int, ...]) -> tuple[Node, ...]:
    if node.kind != LIST or node.width not in sizes:
        want = " or ".join(str(s) for s in sizes)
        found = f"a list of {node.width}" if node.kind == LIST else tl.TYPE_NAMES.get(node.kind, "?")
        raise FramingError(LAYER, node.start, f"{what}: expected a list of {want} elements, found {found}")
    assert isinstance(node.value, tuple)
    return node.value


def _octets(node: Node, what: str) -> bytes | None:
    if node.kind == ABSENT:
        return None
    if node.kind != OCTETS:
        raise _err(node, what, "an octet string")
    assert isinstance(node.value, bytes)
    return node.value


def _int(node: Node, what: str, optional: bool = True) -> int | None:
    # SML fixes signedness per field; accept either kind (a meter's choice of Integer8 vs
    # Unsigned8 for unit/scaler/status does not change the number)
    if node.kind == ABSENT and optional:
        return None
    if node.kind not in (INT, UINT):
        raise _err(node, what, "an integer")
    assert isinstance(node.value, int)
    return node.value


def parse_time(node: Node, what: str = "SML_Time") -> SmlTime | None:
    """SML_Time, the list(3) localTimestamp form, or Holley's bare Unsigned32."""
    if node.kind == ABSENT:
        return None
    if node.kind == UINT:
        assert isinstance(node.value, int)
        return SmlTime("bare", node.value)
    items = _list(node, what, (2,))
    choice = _int(items[0], f"{what} choice", optional=False)
    val = items[1]
    if choice in (1, 2):
        secs = _int(val, f"{what} seconds", optional=False)
        assert secs is not None
        return SmlTime("sec_index" if choice == 1 else "timestamp", secs)
    if choice == 3:
        parts = _list(val, f"{what} localTimestamp", (3,))
        ts = _int(parts[0], "localTimestamp timestamp", optional=False)
        lo = _int(parts[1], "localTimestamp localOffset")
        so = _int(parts[2], "localTimestamp seasonTimeOffset")
        assert ts is not None
        return SmlTime("local_timestamp", ts, lo, so)
    raise FramingError(LAYER, items[0].start, f"{what}: unknown choice {choice} (expected 1 secIndex, 2 timestamp, "
                       "3 localTimestamp)")


def _value(node: Node) -> tuple[Any, str]:
    """SML_Value: (value, type name)."""
    if node.kind == ABSENT:
        return None, "absent"
    if node.kind == LIST:
        # SML_ListType = list(2){choice, ...}: 1 smlTime (EMH 129-0:96.8.0*1, SmlLib issue #26)
        items = _list(node, "SML_ListType value", (2,))
        if items[0].kind in (INT, UINT) and items[0].value == 1:
            return parse_time(items[1], "SML_ListType time"), "time"
        return _plain(node), "list"
    if node.kind == END:
        raise FramingError(LAYER, node.start, "value: found EndOfSmlMessage (00) inside a list entry")
    return node.value, node.type_name


def _plain(node: Node) -> Any:
    if node.kind == LIST:
        assert isinstance(node.value, tuple)
        return tuple(_plain(n) for n in node.value)
    return node.value


def parse_entry(node: Node) -> ListEntry:
    """SML_ListEntry list(7)."""
    f = _list(node, "SML_ListEntry", (7,))
    name = _octets(f[0], "list entry objName")
    if name is None:
        raise _err(f[0], "list entry objName", "an octet string (the OBIS code)")
    status = _int(f[1], "list entry status")
    val_time = parse_time(f[2], "list entry valTime")
    unit = _int(f[3], "list entry unit")
    scaler = _int(f[4], "list entry scaler")
    value, vtype = _value(f[5])
    sig = _octets(f[6], "list entry valueSignature")
    return ListEntry(name, status, val_time, unit, scaler, value, vtype, sig, node.start, node.end,
                     f[5].start, f[5].end, f[1].width if status is not None else 0)


def _period_entry(node: Node) -> ListEntry:
    # SML_PeriodEntry = list(5){objName, unit, scaler, value, valueSignature}
    f = _list(node, "SML_PeriodEntry", (5,))
    name = _octets(f[0], "period entry objName") or b""
    value, vtype = _value(f[3])
    return ListEntry(name, None, None, _int(f[1], "period entry unit"), _int(f[2], "period entry scaler"),
                     value, vtype, _octets(f[4], "period entry valueSignature"), node.start, node.end,
                     f[3].start, f[3].end)


def parse_tree(node: Node, depth: int = 0) -> Tree | None:
    """SML_Tree = list(3){parameterName, parameterValue SML_ProcParValue, child_List}."""
    if node.kind == ABSENT:
        return None
    f = _list(node, "SML_Tree", (3,))
    name = _octets(f[0], "tree parameterName") or b""
    kind: str | None = None
    value: Any = None
    vtype: str | None = None
    entry: ListEntry | None = None
    if f[1].kind != ABSENT:
        choice_node, inner = _list(f[1], "SML_ProcParValue", (2,))
        choice = _int(choice_node, "SML_ProcParValue choice", optional=False)
        if choice == 1:
            kind = "value"
            value, vtype = _value(inner)
        elif choice == 2:
            kind, entry = "period", _period_entry(inner)
            value = entry.value
        elif choice == 3:
            kind, value = "tupel", _plain(inner)
        elif choice == 4:
            kind, value, vtype = "time", parse_time(inner, "SML_ProcParValue time"), "time"
        elif choice == 5:
            kind, entry = "list_entry", parse_entry(inner)
            value = entry.value
        else:
            raise FramingError(LAYER, choice_node.start, f"SML_ProcParValue: unknown choice {choice} (expected 1..5)")
    children: list[Tree] = []
    if f[2].kind != ABSENT:
        for child in _list(f[2], "SML_Tree child_List", (f[2].width,)):
            t = parse_tree(child, depth + 1)
            if t is not None:
                children.append(t)
    return Tree(name, kind, value, entry, tuple(children), node.start, node.end, vtype)


def _body(tag: int, node: Node) -> Body:
    if tag == OPEN_RES:
        f = _list(node, "PublicOpen.Res", (6,))
        return OpenResponse(_octets(f[0], "codepage"), _octets(f[1], "clientId"), _octets(f[2], "reqFileId"),
                            _octets(f[3], "serverId"), parse_time(f[4], "refTime"), _int(f[5], "smlVersion"))
    if tag == CLOSE_RES:
        f = _list(node, "PublicClose.Res", (1,))
        return CloseResponse(_octets(f[0], "globalSignature"))
    if tag == GET_LIST_RES:
        f = _list(node, "GetList.Res", (7,))
        entries: tuple[ListEntry, ...] = ()
        if f[4].kind != ABSENT:
            entries = tuple(parse_entry(e) for e in _list(f[4], "GetList.Res valList", (f[4].width,)))
        return GetListResponse(_octets(f[0], "clientId"), _octets(f[1], "serverId"), _octets(f[2], "listName"),
                               parse_time(f[3], "actSensorTime"), entries, _octets(f[5], "listSignature"),
                               parse_time(f[6], "actGatewayTime"))
    if tag == GET_PROC_PARAMETER_RES:
        f = _list(node, "GetProcParameter.Res", (3,))
        path: tuple[bytes, ...] = ()
        if f[1].kind != ABSENT:
            path = tuple(_octets(p, "parameterTreePath") or b"" for p in _list(f[1], "parameterTreePath", (f[1].width,)))
        return GetProcParameterResponse(_octets(f[0], "serverId"), path, parse_tree(f[2]))
    if tag == ATTENTION_RES:
        f = _list(node, "Attention.Res", (4,))
        no = _octets(f[1], "attentionNo") or b""
        msg = _octets(f[2], "attentionMsg")
        return AttentionResponse(_octets(f[0], "serverId"), no,
                                 msg.decode("latin-1") if msg is not None else None, parse_tree(f[3]))
    return OtherBody(node)


def parse_message(payload: bytes, pos: int, *, crc: str = "auto", check_crc: bool = True) -> Message:
    """The SML_Message at ``payload[pos]``; raises FramingError/IncompleteError/ChecksumError.

    ``crc``: ``"auto"`` (X.25, else KERMIT), ``"x25"`` or ``"kermit"``. ``check_crc=False``
    keeps a mismatching message (inspection) with ``crc_kind=None``.
    """
    node = tl.parse_node(payload, pos)
    f = _list(node, "SML_Message", (6,))
    tid = _octets(f[0], "transactionId")
    if tid is None:
        raise _err(f[0], "transactionId", "an octet string")
    group = _int(f[1], "groupNo") or 0
    abort = _int(f[2], "abortOnError") or 0
    tag_node, body_node = _list(f[3], "messageBody", (2,))
    tag = _int(tag_node, "messageBody tag", optional=False)
    assert tag is not None
    crc_node = f[4]
    if crc_node.kind != UINT or crc_node.width > 2:
        raise _err(crc_node, "crc16", "an Unsigned16")
    assert isinstance(crc_node.value, int)
    if f[5].kind != END:
        raise _err(f[5], "endOfSmlMsg", "00 (EndOfSmlMessage)")
    given = crc_node.value
    covered = payload[node.start:crc_node.start]
    kind: str | None = None
    x25 = crc16_x25(covered)
    swapped = ((x25 & 0xFF) << 8) | (x25 >> 8)
    if crc in ("auto", "x25") and given == swapped:
        kind = "x25"
    elif crc in ("auto", "kermit") and given == crc16_kermit(covered):
        kind = "kermit"
    elif check_crc:
        actual = crc16_kermit(covered) if crc == "kermit" else swapped
        what = "CRC-16/KERMIT" if crc == "kermit" else "CRC-16/X.25 (low byte first)"
        raise ChecksumError(LAYER, crc_node.start, f"message CRC {given:04X} does not match the {what} {actual:04X} "
                            f"of the message at payload byte {node.start}", expected=given, actual=actual)
    body = _body(tag, body_node)
    return Message(tid, group, abort, tag, body, given, kind, node.start, node.end, node)


def parse_messages(payload: bytes, *, crc: str = "auto", check_crc: bool = True) -> list[Message]:
    """Every message in a payload; 00 fill bytes between/after messages are skipped."""
    out: list[Message] = []
    pos = 0
    n = len(payload)
    while pos < n:
        if payload[pos] == 0x00:
            pos += 1
            continue
        m = parse_message(payload, pos, crc=crc, check_crc=check_crc)
        out.append(m)
        pos = m.end
    if not out:
        raise FramingError(LAYER, 0, "no SML message (expected a list of 6 elements, TL 0x76)")
    return out


# --- writers (mirror images) --------------------------------------------------------------


def encode_time(t: SmlTime | None) -> bytes:
    if t is None:
        return tl.encode_absent()
    if t.kind == "bare":
        return tl.encode_uint(t.seconds, 4)
    if t.kind == "local_timestamp":
        inner = tl.encode_list([tl.encode_uint(t.seconds, 4), tl.encode_int(t.local_offset or 0, 2),
                                tl.encode_int(t.season_offset or 0, 2)])
        return tl.encode_list([tl.encode_uint(3, 1), inner])
    choice = 1 if t.kind == "sec_index" else 2
    return tl.encode_list([tl.encode_uint(choice, 1), tl.encode_uint(t.seconds, 4)])


def encode_value(value: Any, value_type: str) -> bytes:
    """SML_Value of the given type name (``"int16"``, ``"uint32"``, ``"octets"``, ``"bool"``...)."""
    if value is None or value_type == "absent":
        return tl.encode_absent()
    if value_type == "octets":
        return tl.encode_octets(bytes(value))
    if value_type == "bool":
        return tl.encode_bool(bool(value))
    if value_type == "time":
        return tl.encode_list([tl.encode_uint(1, 1), encode_time(value)])
    if value_type.startswith("int"):
        return tl.encode_int(int(value), int(value_type[3:]) // 8)
    if value_type.startswith("uint"):
        return tl.encode_uint(int(value), int(value_type[4:]) // 8)
    raise ValueError(f"cannot encode an SML value of type {value_type!r}")


def encode_entry(obj_name: bytes, value: Any, value_type: str, *, status: int | None = None,
                 val_time: SmlTime | None = None, unit: int | None = None, scaler: int | None = None,
                 signature: bytes | None = None, status_width: int | None = None) -> bytes:
    """One SML_ListEntry."""
    return tl.encode_list([
        tl.encode_octets(obj_name),
        tl.encode_absent() if status is None else tl.encode_uint(status, status_width or None),
        encode_time(val_time),
        tl.encode_absent() if unit is None else tl.encode_uint(unit, 1),
        tl.encode_absent() if scaler is None else tl.encode_int(scaler, 1),
        encode_value(value, value_type),
        tl.encode_octets(signature),
    ])


def encode_open_response(*, req_file_id: bytes, server_id: bytes | None, client_id: bytes | None = None,
                         ref_time: SmlTime | None = None, sml_version: int | None = None) -> bytes:
    return tl.encode_list([tl.encode_absent(), tl.encode_octets(client_id), tl.encode_octets(req_file_id),
                           tl.encode_octets(server_id), encode_time(ref_time),
                           tl.encode_absent() if sml_version is None else tl.encode_uint(sml_version, 1)])


def encode_get_list_response(*, server_id: bytes | None, entries: list[bytes], list_name: bytes | None = None,
                             act_sensor_time: SmlTime | None = None, client_id: bytes | None = None) -> bytes:
    return tl.encode_list([tl.encode_octets(client_id), tl.encode_octets(server_id), tl.encode_octets(list_name),
                           encode_time(act_sensor_time), tl.encode_list(entries), tl.encode_absent(),
                           tl.encode_absent()])


def encode_close_response() -> bytes:
    return tl.encode_list([tl.encode_absent()])


def encode_tree(tree: Tree) -> bytes:
    """SML_Tree (the mirror of :func:`parse_tree`): value choices 1 (value), 2 (period entry),
    4 (time) and 5 (list entry); a tupel entry (3) cannot be written."""
    if tree.kind is None:
        value = tl.encode_absent()
    elif tree.kind == "value":
        value = tl.encode_list([tl.encode_uint(1, 1), encode_value(tree.value, tree.value_type or "absent")])
    elif tree.kind == "time":
        value = tl.encode_list([tl.encode_uint(4, 1), encode_time(tree.value)])
    elif tree.kind in ("period", "list_entry") and tree.entry is not None:
        e = tree.entry
        if tree.kind == "period":
            inner = tl.encode_list([tl.encode_octets(e.obj_name),
                                    tl.encode_absent() if e.unit is None else tl.encode_uint(e.unit, 1),
                                    tl.encode_absent() if e.scaler is None else tl.encode_int(e.scaler, 1),
                                    encode_value(e.value, e.value_type), tl.encode_octets(e.value_signature)])
            value = tl.encode_list([tl.encode_uint(2, 1), inner])
        else:
            value = tl.encode_list([tl.encode_uint(5, 1), encode_entry(
                e.obj_name, e.value, e.value_type, status=e.status, val_time=e.val_time, unit=e.unit, scaler=e.scaler,
                signature=e.value_signature)])
    else:
        raise ValueError(f"cannot encode an SML_Tree value of kind {tree.kind!r}")
    children = tl.encode_list([encode_tree(c) for c in tree.children]) if tree.children else tl.encode_absent()
    return tl.encode_list([tl.encode_octets(tree.name), value, children])


def encode_get_proc_parameter_response(*, server_id: bytes | None, tree_path: tuple[bytes, ...], tree: Tree) -> bytes:
    return tl.encode_list([tl.encode_octets(server_id), tl.encode_list([tl.encode_octets(p) for p in tree_path]),
                           encode_tree(tree)])


def encode_attention_response(*, server_id: bytes | None, attention_no: bytes, message: str | None = None,
                              details: Tree | None = None) -> bytes:
    return tl.encode_list([tl.encode_octets(server_id), tl.encode_octets(attention_no),
                           tl.encode_octets(message.encode("latin-1")) if message is not None else tl.encode_absent(),
                           encode_tree(details) if details is not None else tl.encode_absent()])


def build_message(transaction_id: bytes, tag: int, body: bytes, *, crc: str = "x25", group_no: int = 0,
                  abort_on_error: int = 0) -> bytes:
    """One SML_Message with its CRC (``crc="kermit"`` for Holley's RS485 variant)."""
    head = (tl.encode_tl(LIST, 6) + tl.encode_octets(transaction_id) + tl.encode_uint(group_no, 1)
            + tl.encode_uint(abort_on_error, 1) + tl.encode_list([tl.encode_uint(tag, 2), body]))
    if crc == "kermit":
        value = crc16_kermit(head)
    else:
        x25 = crc16_x25(head)
        value = ((x25 & 0xFF) << 8) | (x25 >> 8)
    return head + tl.encode_uint(value, 2) + b"\x00"
