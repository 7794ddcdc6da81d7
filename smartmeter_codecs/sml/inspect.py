"""Inspection tree of SML input: transport frame, messages, list entries (input byte offsets).

Never raises for bad input: what was understood is shown, ``Inspection.error`` holds the
DecodeError that :func:`~smartmeter_codecs.sml.codec.decode_files` raises (CRCs are shown with
their verdict even when they fail).
"""
from __future__ import annotations

from typing import Any

from ..errors import DecodeError
from ..inspection import Field, Inspection
from . import transport as _t
from .codec import _BARE_MESSAGE, SmlFile, file_readings
from .mapping import FORMAT, entry_register, parse_server_id, profile_for
from .messages import (
    AttentionResponse,
    CloseResponse,
    GetListResponse,
    GetProcParameterResponse,
    ListEntry,
    Message,
    OpenResponse,
    SmlTime,
    Tree,
    parse_messages,
)

__all__ = ["inspect_sml"]


class _Map:
    """Payload offsets -> input offsets for one file."""

    def __init__(self, tf: _t.TransportFile | None) -> None:
        self.tf = tf

    def at(self, p: int) -> int:
        return self.tf.offset_of(p) if self.tf else p

    def end(self, p: int) -> int:
        return self.at(p - 1) + 1 if p > 0 else self.at(0)


def _time(t: SmlTime | None) -> Any:
    return None if t is None else t.to_json()


def _hex(b: bytes | None) -> str | None:
    return None if b is None else b.hex().upper()


def _entry(parent: Field, e: ListEntry, m: _Map) -> None:
    r = entry_register(e)
    unit = f" {r.unit}" if r.unit else ""
    shown = r.value.hex().upper() if isinstance(r.value, bytes) else r.value
    node = parent.add(r.key, m.at(e.start), m.end(e.end), f"{shown}{unit}", r.description)
    if e.status is not None:
        node.add("status", None, None, f"0x{e.status:X}", source="status word")
    if e.val_time is not None:
        node.add("valTime", None, None, _time(e.val_time), f"SML_Time {e.val_time.kind}", source="valTime")
    if e.unit is not None:
        node.add("unit", None, None, e.unit, f"DLMS unit code ({r.unit or 'no unit'})", source="unit")
    if e.scaler is not None:
        node.add("scaler", None, None, e.scaler, source="scaler")
    node.add("value", m.at(e.value_start), m.end(e.value_end), r.extra.get("raw", r.value), e.value_type)


def _tree(parent: Field, t: Tree, m: _Map) -> None:
    node = parent.add(f"tree {t.name.hex().upper()}", m.at(t.start), m.end(t.end), t.kind)
    if t.entry is not None:
        _entry(node, t.entry, m)
    elif t.value is not None:
        node.add("value", None, None, t.value if not isinstance(t.value, SmlTime) else _time(t.value), t.kind,
                 source="parameterValue")
    for c in t.children:
        _tree(node, c, m)


def _message(parent: Field, msg: Message, m: _Map) -> None:
    verdict = {"x25": "CRC-16/X.25 ok", "kermit": "CRC-16/KERMIT ok (Holley variant)", None: "CRC MISMATCH"}
    node = parent.add(msg.name, m.at(msg.start), m.end(msg.end), f"transaction {msg.transaction_id.hex().upper()}",
                      verdict[msg.crc_kind])
    b = msg.body
    if isinstance(b, OpenResponse):
        sid = parse_server_id(b.server_id) if b.server_id else None
        node.add("serverId", None, None, _hex(b.server_id), f"meter {sid.meter_id}" if sid else None, source="body")
        node.add("reqFileId", None, None, _hex(b.req_file_id), source="body")
        if b.ref_time is not None:
            node.add("refTime", None, None, _time(b.ref_time), source="body")
    elif isinstance(b, GetListResponse):
        sid = parse_server_id(b.server_id) if b.server_id else None
        node.add("serverId", None, None, _hex(b.server_id), f"meter {sid.meter_id}" if sid else None, source="body")
        node.add("listName", None, None, _hex(b.list_name), source="body")
        if b.act_sensor_time is not None:
            node.add("actSensorTime", None, None, _time(b.act_sensor_time), b.act_sensor_time.kind, source="body")
        vals = node.add("valList", None, None, f"{len(b.entries)} entries", source="body")
        for e in b.entries:
            _entry(vals, e, m)
    elif isinstance(b, GetProcParameterResponse):
        node.add("parameterTreePath", None, None, [p.hex().upper() for p in b.tree_path], source="body")
        if b.tree is not None:
            _tree(node, b.tree, m)
    elif isinstance(b, AttentionResponse):
        node.add("attentionNo", None, None, _hex(b.attention_no), b.meaning, source="body")
        if b.message:
            node.add("attentionMsg", None, None, b.message, source="body")
    elif isinstance(b, CloseResponse) and b.global_signature:
        node.add("globalSignature", None, None, _hex(b.global_signature), source="body")
    node.add("crc16", None, None, f"{msg.crc:04X}", verdict[msg.crc_kind], source="message")


def inspect_sml(data: bytes, profile: str | None = None) -> Inspection:
    root = Field("sml", 0, len(data))
    insp = Inspection(data, FORMAT, root)
    try:
        prof = profile_for(profile)
    except ValueError as err:
        insp.error = DecodeError("sml", None, str(err))
        return insp
    from .codec import parse_files
    try:
        parse_files(data, crc=prof.crc)     # the verdict decode_all gives
    except DecodeError as err:
        insp.error = err
    try:
        if data[:1] == bytes((_BARE_MESSAGE,)):
            msgs = parse_messages(data, crc=prof.crc, check_crc=False)
            node = root.add("messages", 0, len(data), f"{len(msgs)} message(s)", "bare messages, no transport frame")
            for msg in msgs:
                _message(node, msg, _Map(None))
            if insp.error is None:
                insp.readings += file_readings(SmlFile(None, msgs), prof)
            return insp
        pos = 0
        while pos < len(data):
            tf = _t.parse_file(data, pos, crc=prof.crc, verify=False)
            frame = root.add("transport", tf.start, tf.end, f"{len(tf.payload)} payload bytes",
                             "SML transport v1 frame" + ("" if tf.aligned else " (end escape off the 4-byte grid)"))
            frame.add("start sequence", tf.start, tf.start + 8, "1B1B1B1B 01010101")
            m = _Map(tf)
            q = tf.end - 8
            try:
                msgs = parse_messages(tf.payload, crc=tf.crc_kind or prof.crc, check_crc=False)
            except DecodeError as err:
                frame.add("payload", tf.start + 8, q, None, f"not decodable: {err.message}")
                msgs = []
            for msg in msgs:
                _message(frame, msg, m)
            if tf.padding:
                frame.add("padding", q - tf.padding, q, tf.padding, "00 fill bytes")
            frame.add("end sequence", q, q + 6, f"1B1B1B1B 1A {tf.padding:02X}", "end escape, padding count")
            frame.add("crc", q + 6, q + 8, bytes(data[q + 6:q + 8]).hex().upper(),
                      {"x25": "CRC-16/X.25 ok (low byte first)", "kermit": "CRC-16/KERMIT ok (Holley, high byte first)",
                       None: "CRC MISMATCH"}[tf.crc_kind])
            if insp.error is None and tf.crc_kind is not None and msgs:
                insp.readings += file_readings(SmlFile(tf, msgs), prof)
            pos = tf.end
    except DecodeError as err:
        if insp.error is None:
            insp.error = err
    return insp
