"""Tell a text hex dump from the bytes of a capture, and read the dump (used by to_bytes and the CLI).

A capture file is taken byte for byte (a P1 telegram keeps its CR LF, its CRC covers them);
only a file that is *entirely* a hex dump is converted: plain hex (white space, ``0x``,
``:``, ``,`` or ``-`` between bytes), ``xxd`` output, or ``hexdump -C`` output, each with
optional ``#`` comment lines (our fixtures carry their provenance that way).
"""
from __future__ import annotations

import re

__all__ = ["parse_dump"]

_PLAIN = re.compile(r"^(?:0x)?[0-9a-fA-F]{2}(?:[\s:,\-]*(?:0x)?[0-9a-fA-F]{2})*[\s:,\-]*$")
# xxd: "00000010: 7ea0 e22b 2113 ...  ~..+!."  (offset, colon, groups, two spaces, text)
_XXD = re.compile(r"^([0-9a-fA-F]{4,16}):((?: [0-9a-fA-F]{2,8})+)(?:  .*)?$")
# hexdump -C: "00000010  7e a0 e2 2b ...  |~..+!.|"; a lone offset ends it, "*" repeats a line
_HEXDUMP_C = re.compile(r"^([0-9a-fA-F]{4,16})((?:  ?[0-9a-fA-F]{2})+)\s*(?:\|.*\|)?\s*$")
_OFFSET_ONLY = re.compile(r"^[0-9a-fA-F]{4,16}$")


def parse_dump(data: bytes) -> bytes | None:
    """The bytes a text hex dump describes, or ``None`` when ``data`` is not a hex dump."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        return None
    if all(_PLAIN.match(ln) for ln in lines):
        compact = re.sub(r"0x|[\s:,\-]", "", "".join(lines))
        return bytes.fromhex(compact)
    if all(_XXD.match(ln) for ln in lines):
        out = bytearray()
        for ln in lines:
            m = _XXD.match(ln)
            assert m is not None
            if int(m.group(1), 16) != len(out):
                return None   # offsets must run on: a cut or edited dump is not guessed at
            out += bytes.fromhex(m.group(2).replace(" ", ""))
        return bytes(out)
    return _hexdump_c(lines)


def _hexdump_c(lines: list[str]) -> bytes | None:
    out = bytearray()
    previous = b""
    repeat = False
    for ln in lines:
        if ln == "*":
            repeat = True
            continue
        m = _HEXDUMP_C.match(ln)
        offset_only = _OFFSET_ONLY.match(ln)
        if not m and not offset_only:
            return None
        offset = int((m.group(1) if m else ln), 16)
        if repeat:
            # "*": the previous line repeats until this line's offset (hexdump's squeezing)
            if not previous or (offset - len(out)) % len(previous):
                return None
            out += previous * ((offset - len(out)) // len(previous))
            repeat = False
        if offset != len(out):
            return None
        if m:
            previous = bytes.fromhex(m.group(2).replace(" ", ""))
            out += previous
    return bytes(out) if out else None
