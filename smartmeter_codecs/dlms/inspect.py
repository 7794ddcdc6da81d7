"""inspect() for DLMS: a layer tree (link, transport, security, APDU, data, registers).

Built from the events the decoding pipeline reports (``trace``), so inspection shows exactly
what decoding did. Byte offsets are into the caller's input; for data that exists only after
reassembly or decryption, offsets are relative to that data and ``source`` names it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import DecodeError
from ..inspection import Field, Inspection
from ..keys import KeysArg
from .apdu import DataNotification
from .axdr import TYPE_NAMES, Data
from .gbt import Block
from .hdlc import HdlcFrame

if TYPE_CHECKING:
    from .codec import DlmsCodec

__all__ = ["build_inspection"]


def build_inspection(codec: "DlmsCodec", data: bytes, keys: KeysArg, profile: str | None) -> Inspection:
    root = Field("dlms", 0, len(data))
    ins = Inspection(data, "dlms", root)
    state: dict[str, Any] = {"frame": None}

    def trace(kind: str, obj: Any, base: int | None) -> None:
        if kind == "hdlc":
            state["frame"] = _hdlc(root, obj)
        elif kind == "llc":
            parent = _info_parent(root, state)
            parent.add("LLC header", base, None if base is None else base + 3, obj.hex(),
                       "E6 E7 00 = response, E6 E6 00 = command (IEC 62056-46 8.2)",
                       None if base is not None else "reassembled segments")
        elif kind == "mbus":
            apdu, offset = obj
            root.add("M-Bus DLMS transport", offset, None, f"{len(apdu)} byte APDU reassembled",
                     "EN 13757-2 long frames, CI 0x00 (more) .. 0x10/0x11 (last)")
        elif kind == "gbt":
            _gbt(root, obj, base)
        elif kind == "security":
            _security(root, obj, base)
        elif kind == "apdu":
            _notification(root, obj, base)
        elif kind == "interpretation":
            regs = root.add("registers", value=f"{len(obj.registers)} values, profile {obj.profile.name}, "
                                                f"shape {obj.shape}")
            for r in obj.registers:
                unit = f" {r.unit}" if r.unit else ""
                regs.add(r.key, value=f"{r.value}{unit}", description=r.description, source="interpretation")

    try:
        ins.readings = codec._decode(data, keys, codec._profile(profile), trace)
    except DecodeError as err:
        ins.error = err
    except ValueError as err:  # unknown profile name
        ins.error = err
    return ins


def _hdlc(root: Field, f: HdlcFrame) -> Field:
    node = root.add(f"HDLC {f.frame_kind} frame", f.start, f.end,
                    description=("segment, more follow" if f.segmented else None))
    s = f.start
    node.add("flag", s, s + 1, "7e")
    node.add("frame format", s + 1, s + 3, f"type 3, S={int(f.segmented)}, length {f.length}",
             "IEC 62056-46 6.4.1")
    p = s + 3
    node.add("destination address", p, p + f.destination_size, f"{f.destination:#x}")
    p += f.destination_size
    node.add("source address", p, p + f.source_size, f"{f.source:#x}")
    p += f.source_size
    node.add("control", p, p + 1, f"{f.control:#04x} ({f.frame_kind})")
    p += 1
    if f.information:
        node.add("HCS", p, p + 2, "CRC-16/X.25 ok")
        node.add("information", f.info_start, f.info_start + len(f.information), f"{len(f.information)} bytes")
    node.add("FCS", f.end - 3, f.end - 1, "CRC-16/X.25 ok")
    node.add("flag", f.end - 1, f.end, "7e")
    return node


def _info_parent(root: Field, state: dict[str, Any]) -> Field:
    return state["frame"] or root


def _gbt(root: Field, b: Block, base: int | None) -> None:
    def o(x: int) -> int | None:
        return None if base is None else base + x
    src = None if base is not None else "reassembled APDU"
    node = root.add(f"general-block-transfer block {b.number}", o(b.start), o(b.end),
                    description="last block" if b.last else None, source=src)
    node.add("tag", o(b.start), o(b.start + 1), "e0", source=src)
    node.add("block-control", o(b.start + 1), o(b.start + 2),
             f"last={int(b.last)} streaming={int(b.streaming)} window={b.window}", source=src)
    node.add("block-number", o(b.start + 2), o(b.start + 4), b.number, source=src)
    node.add("block-number-ack", o(b.start + 4), o(b.start + 6), b.ack, source=src)
    node.add("block-data", o(b.data_start), o(b.end), f"{len(b.data)} bytes", source=src)


def _security(root: Field, un: Any, base: int | None) -> None:
    src = None if base is not None else "reassembled APDU"
    auth = {True: "tag verified", False: "decrypted, tag not checked", None: "plaintext"}[un.authenticated]
    node = root.add("ciphered APDU", value=f"security control {un.security_control}", description=auth,
                    source=src)
    for name, start, end, value in un.fields:
        node.add(name, None if base is None else base + start, None if base is None else base + end,
                 value, source=src)


def _notification(root: Field, dn: DataNotification, base: int | None) -> None:
    src = None if base is not None else "APDU"

    def o(x: int) -> int | None:
        return None if base is None else base + x
    node = root.add("data-notification", o(dn.start), o(dn.end), source=src)
    node.add("tag", o(dn.start), o(dn.start + 1), "0f", "data-notification [15]", source=src)
    node.add("long-invoke-id-and-priority", o(dn.start + 1), o(dn.start + 5), f"{dn.invoke_id_and_priority:#010x}",
             source=src)
    end = dn.body.start
    node.add("date-time", o(dn.datetime_start), o(end), str(dn.datetime) if dn.datetime else "absent",
             "A-XDR tagged (09 0C)" if dn.datetime_tagged else None, source=src)
    _data(node.add("notification-body", o(dn.body.start), o(dn.body.end), source=src), dn.body, base, src)


def _data(parent: Field, d: Data, base: int | None, src: str | None, depth: int = 0) -> None:
    def o(x: int) -> int | None:
        return None if base is None else base + x
    name = TYPE_NAMES.get(d.tag, f"tag {d.tag}")
    if d.tag in (1, 2, 19):
        node = parent.add(f"{name}[{len(d.value)}]", o(d.start), o(d.end), source=src)
        if depth < 12:
            for c in d.value:
                _data(node, c, base, src, depth + 1)
        return
    value = d.value.hex() if isinstance(d.value, bytes) else d.value
    parent.add(name, o(d.start), o(d.end), value, source=src)
