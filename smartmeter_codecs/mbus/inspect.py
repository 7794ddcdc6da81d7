"""Inspection trees for wired and wireless M-Bus (never raise for bad input)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import DecodeError, IncompleteError
from ..inspection import Field, Inspection
from . import link as _link
from . import vif as _vif
from . import wireless as _wireless
from .application import Telegram, parse_application, pick_key
from .records import DataRecord

__all__ = ["add_telegram", "inspect_wired", "inspect_wireless"]

_FRAME_KIND = {"ack": "single character E5", "short": "short frame", "control": "control frame",
               "long": "long frame"}


def _record_node(parent: Field, rec: DataRecord, index: int) -> None:
    desc = rec.description if rec.special is None else rec.info.description
    node = parent.add(f"record[{index}]", rec.start, rec.end, rec.value, desc)
    node.add("DIF", rec.start, rec.start + 1, f"{rec.dif:02X}",
             f"data field {rec.data_type}, function {rec.function}, storage bit {(rec.dif >> 6) & 1}")
    pos = rec.start + 1
    for d in rec.difes:
        node.add("DIFE", pos, pos + 1, f"{d:02X}",
                 f"storage nibble {d & 0x0F}, tariff bits {(d >> 4) & 3}, subunit bit {(d >> 6) & 1}")
        pos += 1
    if rec.vif is not None:
        node.add("VIF", pos, pos + 1, f"{rec.vif:02X}", rec.info.description if not rec.vifes or
                 rec.extension_table is None else f"extension table {rec.extension_table}")
        pos += 1
        if rec.plain_text is not None:
            n = len(rec.plain_text.encode("latin-1"))
            node.add("plain-text unit", pos, pos + 1 + n, rec.plain_text, "length byte + ASCII (reversed)")
            pos += 1 + n
        combinables = iter(rec.combinables)
        for i, v in enumerate(rec.vifes):
            meaning: str | None
            if i == 0 and rec.extension_table is not None:
                meaning = f"{rec.extension_table} table: {rec.info.description}"
            elif v in rec.manufacturer_vifes:
                meaning = "manufacturer specific"
            elif v & 0x7F == 0x7C:
                meaning = "extension of combinable VIFE codes"
            else:
                c = next(combinables, None)
                meaning = c.description if c is not None else None
            node.add("VIFE", pos, pos + 1, f"{v:02X}", meaning)
            pos += 1
    node.add("data", rec.vif_end, rec.end, rec.data,
             f"{rec.data_type}: {rec.raw_value!r}" + (f" -> {rec.value!r} {rec.unit or ''}".rstrip()
                                                       if rec.value is not rec.raw_value else "")
             + (" (INVALID)" if rec.invalid else ""))
    node.add("storage/tariff/subunit", None, None, (rec.storage, rec.tariff, rec.subunit), source="DIF/DIFE")


def add_telegram(parent: Field, tg: Telegram) -> None:
    """Header and records of one telegram under ``parent``."""
    h = tg.header
    app = parent.add("application", h.start - 1, None, f"CI {tg.ci:02X}", f"{h.kind} header")
    if h.kind != "none":
        hd = app.add("header", h.start, h.end)
        if h.kind == "long" and h.address is not None:
            a = h.address
            hd.add("ident", h.start, h.start + 4, a.ident, "identification number (BCD)")
            hd.add("manufacturer", h.start + 4, h.start + 6, a.manufacturer, "FLAG code")
            hd.add("version", h.start + 6, h.start + 7, a.version)
            hd.add("medium", h.start + 7, h.start + 8, a.medium, _vif.MEDIUM.get(a.medium, "unknown"))
            base = h.start + 8
        else:
            base = h.start
        hd.add("access number", base, base + 1, h.access_no)
        hd.add("status", base + 1, base + 2, f"{h.status:02X}" if h.status is not None else None)
        hd.add("configuration", base + 2, base + 4, f"{(h.config or 0):04X}",
               f"security mode {h.security_mode}" + (" (decrypted)" if tg.encrypted else ""))
    recs = app.add("records", tg.payload_start, None, f"{len(tg.records)} record(s)",
                   "more records follow (DIF 1F)" if tg.more_records_follow else None)
    for i, rec in enumerate(tg.records):
        _record_node(recs, rec, i)
    if tg.records:
        recs.end = tg.records[-1].end
        app.end = recs.end


def inspect_wired(data: bytes, keys: Any, fmt: str, decode_all: Callable[..., list[Any]]) -> Inspection:
    root = Field("mbus", 0, len(data))
    insp = Inspection(data, fmt, root)
    pos = 0
    try:
        if not data:
            raise IncompleteError(_link.LAYER, 0, "no bytes")
        while pos < len(data):
            frame = _link.parse_frame(data, pos)
            node = root.add(f"frame ({_FRAME_KIND[frame.kind]})", frame.start, frame.end)
            if frame.kind == "short":
                node.add("start", frame.start, frame.start + 1, "10")
                node.add("C", frame.start + 1, frame.start + 2, f"{frame.c:02X}")
                node.add("A", frame.start + 2, frame.start + 3, f"{frame.a:02X}")
                node.add("checksum", frame.end - 2, frame.end - 1, f"{data[frame.end - 2]:02X}")
            elif frame.kind in ("control", "long"):
                s = frame.start
                node.add("start", s, s + 4, data[s:s + 4].hex(" ").upper(), f"L = {frame.length}")
                node.add("C", s + 4, s + 5, f"{frame.c:02X}",
                         "master->slave" if frame.from_master else "slave->master")
                node.add("A", s + 5, s + 6, f"{frame.a:02X}", "primary address")
                node.add("CI", s + 6, s + 7, f"{frame.ci:02X}")
                try:
                    if frame.kind == "long" or frame.ci == 0x70:
                        tg = parse_application(frame.ci or 0, frame.data, s + 7, keys=keys)
                        add_telegram(node, tg)
                finally:
                    node.add("checksum", frame.end - 2, frame.end - 1, f"{data[frame.end - 2]:02X}",
                             "sum of C..data mod 256")
                    node.add("stop", frame.end - 1, frame.end, "16")
            pos = frame.end
        insp.readings = decode_all(data, keys=keys)
    except DecodeError as err:
        insp.error = err
    return insp


def inspect_wireless(data: bytes, keys: Any, fmt: str, decode_all: Callable[..., list[Any]]) -> Inspection:
    root = Field("wmbus", 0, len(data))
    insp = Inspection(data, fmt, root)
    try:
        frame = _wireless.parse_wireless(data)
        p = frame.positions
        dll = root.add("link layer", 0, p[9] + 1, f"format {frame.dll_format}",
                       "CRCs removed" if frame.dll_format != "none" else "no CRCs in the input")
        dll.add("L", p[0], p[0] + 1, frame.l_field)
        dll.add("C", p[1], p[1] + 1, f"{frame.c:02X}")
        dll.add("M", p[2], p[3] + 1, frame.address.manufacturer)
        dll.add("A", p[4], p[9] + 1, f"{frame.address.ident} v{frame.address.version} "
                                     f"type {frame.address.medium:02X}")
        afl: list[_wireless.AflHeader] = []
        ci, pos, body, ell_decrypted = _wireless.skip_ell(frame.body, 10, pick_key(keys, frame.address), afl)
        if pos > 11:
            root.add("extended link layer", p[10], p[pos - 2] + 1, f"CI {frame.body[10]:02X}",
                     "AES-CTR decrypted" if ell_decrypted else None)
        start = p[pos] if pos < len(p) else len(data)
        tg = parse_application(ci, body[pos:], start, link_address=frame.address, keys=keys,
                               afl=afl[-1] if afl else None)
        add_telegram(root, tg)
        insp.readings = decode_all(data, keys=keys)
    except DecodeError as err:
        insp.error = err
    return insp
