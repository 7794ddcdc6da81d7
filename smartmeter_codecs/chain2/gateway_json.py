"""Chain2Gate (MAC s.r.l.) JSON: the envelopes the gateway publishes, parsed and built.

What the gateway sends (docs/formats/chain2.md; r0bb10/chain2gate_ha, lmssdd/chain2gate,
rcremasco/rochouse):

* WebSocket ``ws://<host>:81``: after the client sends ``"!"`` the gateway answers with
  ``{"Chain2Info": {...}}`` and then streams one JSON object per message.
* HTTP ``/lastcf.json`` and ``/getcf.json?type=cf1``: the same ``{"Chain2Data": {...}}`` object.
* ``{"Chain2Data": {"Id": "c2g-8E70E3154", "Ts": "2022/02/01 03:52:52", "Meter": "M1",
  "Type": "CF10", "Payload": {...}}}``; ``{"Chain2State": {...}}`` (content undocumented).

``Ts`` is the gateway clock as ``%Y/%m/%d %H:%M:%S`` in **UTC** (the real samples run ~20 s
behind the meter's own epoch stamps; docs/formats/chain2.md, medium confidence). ``Meter`` is
``M1`` (the exchange meter at the grid connection) or ``M2``, ``M2_2`` ... ``M2_4`` (production
meters, names from MAC's ``PodMType``).

Accepted input: one envelope object; a JSON array of them; several of them one after another
(newline-delimited JSON capture files, or WebSocket messages concatenated); and a bare
``Chain2Data`` body (``{"Id", "Ts", "Meter", "Type", "Payload"}``, the shape MAC's cloud uses).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from ..errors import FramingError, UnsupportedError
from .messages import TIMESTAMP_KEYS, Chain2Info, Chain2State, Message, message_from_payload

__all__ = ["Chain2Data", "Document", "ENVELOPE_KEYS", "parse", "iter_documents", "parse_document",
           "load_documents",
           "build", "dumps", "parse_ts", "format_ts", "TS_FORMAT"]

TS_FORMAT = "%Y/%m/%d %H:%M:%S"
ENVELOPE_KEYS = ("Chain2Data", "Chain2Info", "Chain2State")
_TS_PATTERN = re.compile(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}", re.ASCII)
_WS = re.compile(r"[ \t\r\n]*")
_LAYER = "chain2-json"


@dataclass(frozen=True, slots=True)
class Chain2Data:
    """One ``Chain2Data`` envelope: who sent it, when, for which meter, and the message."""

    type: str
    message: Message
    id: str | None = None
    ts: dt.datetime | None = None
    meter: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()


Document = Chain2Data | Chain2Info | Chain2State


def parse_ts(text: Any) -> dt.datetime:
    """``"2022/02/01 03:52:52"`` -> aware UTC datetime; FramingError if malformed."""
    if not isinstance(text, str) or not _TS_PATTERN.fullmatch(text):
        raise FramingError("chain2-envelope", None,
                           f"Chain2Data.Ts: expected 'YYYY/MM/DD hh:mm:ss' (UTC), got {text!r}"[:160])
    try:
        return dt.datetime.strptime(text, TS_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise FramingError("chain2-envelope", None,
                           f"Chain2Data.Ts: {text!r} is not a valid date/time") from None


def format_ts(when: dt.datetime) -> str:
    """The gateway's ``Ts`` spelling of ``when`` (converted to UTC; naive = UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return (f"{when.year:04d}/{when.month:02d}/{when.day:02d} "
            f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}")


# ---- JSON text -> Python values ---------------------------------------------------------------

def load_documents(data: bytes) -> list[tuple[Any, int]]:
    """Every top-level JSON value in ``data`` with its byte offset (arrays are flattened one level,
    so an empty array gives no value: an empty ``/getcf.json`` answer).

    Raises FramingError (with the byte offset) for text that is not UTF-8 or not JSON.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FramingError(_LAYER, err.start, f"expected UTF-8 JSON text: {err.reason}") from None
    pos = 1 if text.startswith("\ufeff") else 0
    decoder = json.JSONDecoder()
    out: list[tuple[Any, int]] = []
    seen = False
    end = len(text)
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            break
        try:
            value, nxt = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise FramingError(_LAYER, _byte_offset(text, err.pos), f"invalid JSON: {err.msg}") from None
        except (RecursionError, ValueError) as err:  # nesting too deep; int too long to convert
            raise FramingError(_LAYER, _byte_offset(text, pos),
                               f"JSON value cannot be read: {err}"[:200]) from None
        offset = _byte_offset(text, pos)
        seen = True
        if isinstance(value, list):
            out.extend((item, offset) for item in value)
        else:
            out.append((value, offset))
        pos = nxt
    if not seen:
        raise FramingError(_LAYER, 0, "expected a Chain2Gate JSON object, got no JSON value")
    return out


def _byte_offset(text: str, char_pos: int) -> int:
    return len(text[:char_pos].encode("utf-8", "surrogatepass"))


# ---- Python values -> envelopes ----------------------------------------------------------------

def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FramingError("chain2-envelope", None,
                           f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _chain2data(body: dict[str, Any]) -> Chain2Data:
    """Type and Payload are needed to decode anything: strict. ``Ts`` is strict only when it is
    the Reading's timestamp (no payload time); ``Id``, ``Meter`` and a ``Ts`` that is not needed
    are kept as sent in ``extra`` when they are not strings (issue 9 item 6)."""
    type_code = body.get("Type")
    if not isinstance(type_code, str) or not type_code:
        raise FramingError("chain2-envelope", None,
                           f"Chain2Data.Type: expected a message type such as 'CF1', got {type_code!r}"[:160])
    if "Payload" not in body:
        raise FramingError("chain2-envelope", None, f"Chain2Data ({type_code}) has no Payload")
    payload = _obj(body["Payload"], f"Chain2Data.Payload ({type_code})")
    odd: dict[str, Any] = {}
    ts = None
    if body.get("Ts") is not None:
        try:
            ts = parse_ts(body["Ts"])
        except FramingError:
            if not any(payload.get(k) is not None for k in TIMESTAMP_KEYS):
                raise                         # the envelope clock is the Reading's timestamp
            odd["Ts"] = body["Ts"]
    ident, meter = body.get("Id"), body.get("Meter")
    for key, value in (("Id", ident), ("Meter", meter)):
        if value is not None and not isinstance(value, str):
            odd[key] = value
    extra = tuple(odd.items()) + tuple(
        (k, v) for k, v in body.items() if k not in ("Id", "Ts", "Meter", "Type", "Payload"))
    return Chain2Data(type=type_code, message=message_from_payload(type_code, payload),
                      id=ident if isinstance(ident, str) else None, ts=ts,
                      meter=meter if isinstance(meter, str) else None, extra=extra)


def parse_document(value: Any, offset: int | None = None) -> list[Document]:
    """The envelopes in one top-level JSON value (usually exactly one)."""
    if not isinstance(value, dict):
        raise UnsupportedError(_LAYER, offset,
                               f"expected a JSON object with one of {', '.join(ENVELOPE_KEYS)}, "
                               f"got a JSON {type(value).__name__}", {"json_type": type(value).__name__})
    out: list[Document] = []
    for key, body in value.items():
        if key == "Chain2Data":
            out.append(_chain2data(_obj(body, "Chain2Data")))
        elif key == "Chain2Info":
            out.append(Chain2Info.from_payload(_obj(body, "Chain2Info")))  # type: ignore[arg-type]
        elif key == "Chain2State":
            out.append(Chain2State(extra=tuple(_obj(body, "Chain2State").items())))
    if out:
        return out
    if "Type" in value and "Payload" in value:  # a bare Chain2Data body (MAC cloud shape)
        return [_chain2data(value)]
    raise UnsupportedError(_LAYER, offset,
                           "JSON object is not a Chain2Gate message: expected a key "
                           f"{', '.join(ENVELOPE_KEYS)}",
                           {"keys": [str(k)[:40] for k in list(value)[:10]]})


def parse(data: bytes) -> list[Document]:
    """Every Chain2Gate envelope in ``data`` (UTF-8 JSON), in order."""
    out: list[Document] = []
    for value, offset in load_documents(data):
        out.extend(parse_document(value, offset))
    return out


def iter_documents(data: bytes) -> Iterator[Document]:
    """Like :func:`parse`, lazily."""
    for value, offset in load_documents(data):
        yield from parse_document(value, offset)


# ---- envelopes -> JSON ------------------------------------------------------------------------

def build(doc: Document) -> dict[str, Any]:
    """The JSON object of one envelope (the gateway's key order)."""
    if isinstance(doc, Chain2Data):
        body: dict[str, Any] = {}
        if doc.id is not None:
            body["Id"] = doc.id
        if doc.ts is not None:
            body["Ts"] = format_ts(doc.ts)
        if doc.meter is not None:
            body["Meter"] = doc.meter
        body["Type"] = doc.type
        body["Payload"] = doc.message.to_payload()
        body.update(doc.extra)
        return {"Chain2Data": body}
    if isinstance(doc, Chain2Info):
        return {"Chain2Info": doc.to_payload()}
    if isinstance(doc, Chain2State):
        return {"Chain2State": dict(doc.extra)}
    raise TypeError(f"not a Chain2Gate document: {type(doc).__name__}")


def dumps(doc: Document) -> bytes:
    """Compact JSON as the gateway sends it (no spaces; non-ASCII as \\u escapes)."""
    return json.dumps(build(doc), separators=(",", ":")).encode("ascii")
