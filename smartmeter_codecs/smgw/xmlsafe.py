"""A safe XML reader for gateway exports: expat with DTDs and entities refused.

Gateway XML (TRuDI, DKE profiles) never needs a DTD, so any ``<!DOCTYPE``, entity declaration
or external entity reference is rejected *by the parser* (handlers raise), whatever the
encoding of the bytes: no entity expansion ("billion laughs"), no external fetches (XXE).
This is what ``defusedxml`` would do, without a dependency. Elements are built with
:class:`xml.etree.ElementTree.TreeBuilder`; tags are ``{namespace}local``.
"""
from __future__ import annotations

import xml.parsers.expat
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from ..errors import FramingError, IncompleteError

__all__ = ["parse", "local", "children", "child", "text", "MAX_DEPTH"]

LAYER = "xml"
MAX_DEPTH = 64


class _Refused(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


def _qname(name: str) -> str:
    uri, sep, loc = name.rpartition("}")
    return f"{{{uri}}}{loc}" if sep else name


def parse(data: bytes, base: int = 0) -> Element:
    """The root element of ``data``; FramingError/IncompleteError with the byte offset."""
    builder = TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(f"elements nested deeper than {MAX_DEPTH}")
        builder.start(_qname(name), {_qname(k): v for k, v in attrs.items()})

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(_qname(name))

    def refuse_doctype(*_: Any) -> None:
        raise _Refused("a DOCTYPE (DTDs and entities are refused)")

    def refuse_entity(*_: Any) -> None:
        raise _Refused("an entity declaration or reference (refused)")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity  # type: ignore[assignment]
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except _Refused as err:
        raise FramingError(LAYER, base + max(parser.CurrentByteIndex, 0), f"the XML contains {err.what}") from None
    except xml.parsers.expat.ExpatError as err:
        offset = parser.ErrorByteIndex
        msg = xml.parsers.expat.ErrorString(err.code) if err.code else str(err)
        if offset < 0 or offset >= len(data.rstrip()) or err.code in (
                xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS],
                xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_UNCLOSED_TOKEN]):
            raise IncompleteError(LAYER, base + max(offset, 0), f"the XML document ends early ({msg})") from None
        raise FramingError(LAYER, base + offset, f"not well-formed XML: {msg}") from None
    except RecursionError:
        raise FramingError(LAYER, base, "XML nested too deeply") from None
    except (LookupError, ValueError) as err:
        # the XML declaration names an encoding Python has no codec for or expat cannot use
        # (found by fuzzing: encoding='UTF-9' raised LookupError, 'UTF-7' ValueError "multi-byte
        # encodings are not supported"), or the bytes do not decode in it (UnicodeError)
        raise FramingError(LAYER, base, f"the XML declares an encoding that cannot be read: {err}") from None
    return builder.close()


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def children(el: Element, name: str) -> list[Element]:
    """Direct children with local name ``name`` (any namespace)."""
    return [c for c in el if local(c.tag) == name]


def child(el: Element, name: str) -> Element | None:
    for c in el:
        if local(c.tag) == name:
            return c
    return None


def text(el: Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return el.text.strip()
