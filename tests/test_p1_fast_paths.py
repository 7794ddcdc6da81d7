"""P1 fast paths of issue 16 held to their plain definitions."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs.p1.crc import crc16_arc
from smartmeter_codecs.p1.mapping import _hex_text
from smartmeter_codecs.p1.telegram import parse_telegram

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "p1" / "corpus.json"


def reference_hex_text(raw: str) -> str | None:
    """The per-character definition the regex replaced."""
    if not raw or len(raw) % 2 or not all(c in "0123456789abcdefABCDEF" for c in raw):
        return None
    b = bytes.fromhex(raw)
    if all(0x20 <= x < 0x7F for x in b):
        return b.decode("ascii")
    return None


@given(st.one_of(st.text(), st.binary().map(lambda b: b.hex()), st.binary().map(lambda b: b.hex().upper()),
                 st.text(alphabet="0123456789abcdefABCDEF \n")))
def test_hex_text_matches_its_definition(raw: str) -> None:
    assert _hex_text(raw) == reference_hex_text(raw)


def test_crc_computed_only_when_the_telegram_carries_one() -> None:
    seen = {True: 0, False: 0}
    for entry in json.loads(CORPUS.read_text())["entries"]:
        data = entry["data"].encode("latin-1")
        start = data.find(b"/")
        try:
            t = parse_telegram(data, start)
        except DecodeError:     # broken corpus telegrams are the error tests' business
            continue
        if t.crc_given is None:
            assert t.crc_computed is None and t.crc_ok is None
            seen[False] += 1
        else:
            assert t.crc_computed == crc16_arc(data[t.start:t.bang + 1])
            seen[True] += 1
    assert seen[True] > 10 and seen[False] > 10


def test_line_head_plan_gives_the_plain_key_description_and_extra() -> None:
    from smartmeter_codecs.p1.mapping import _description, _key, _line_head, line_register, zone_for

    checked = 0
    for cold in (True, False):
        if cold:
            _line_head.cache_clear()
        for entry in json.loads(CORPUS.read_text())["entries"]:
            data = entry["data"].encode("latin-1")
            try:
                t = parse_telegram(data, data.find(b"/"))
            except DecodeError:
                continue
            _, zone = zone_for(t.header.flag, None)
            for line in t.lines:
                try:
                    reg = line_register(line, zone)
                except DecodeError:
                    continue
                key = _key(line)
                assert reg.key == key
                assert reg.description == _description(line.obis)
                assert reg.extra.get("obis_sent") == (line.obis_text if line.obis_text != key else None)
                o = line.obis
                assert reg.extra.get("channel") == (o.b if o is not None and o.b != 0 else None)
                checked += 1
    assert checked > 500
    assert _line_head.cache_info().hits > 0
