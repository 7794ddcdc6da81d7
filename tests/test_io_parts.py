"""The small parts of io/: presets as documented data, hex-dump detection, addresses, recorders."""
from __future__ import annotations

import json
import pathlib
import re

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs import io as smio
from smartmeter_codecs._hexdump import parse_dump
from smartmeter_codecs.io.transports import serial_settings

from live_helpers import ROOT, dlms_frame, p1_telegram

# 69 bytes dumped by `xxd` and `hexdump -C` (util-linux), pasted verbatim: hexdump squeezes the
# repeated zero line into "*", xxd does not.
RAW = bytes.fromhex("7ea02b2113239ae6e7000f000000000c07e50b19041700 37ff8000000223 0a0e".replace(" ", "")) \
    + bytes(34) + b"AB~"
XXD = """\
00000000: 7ea0 2b21 1323 9ae6 e700 0f00 0000 000c  ~.+!.#..........
00000010: 07e5 0b19 0417 0037 ff80 0000 0223 0a0e  .......7.....#..
00000020: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000030: 0000 0000 0000 0000 0000 0000 0000 0000  ................
00000040: 0000 4142 7e                             ..AB~
"""
HEXDUMP_C = """\
00000000  7e a0 2b 21 13 23 9a e6  e7 00 0f 00 00 00 00 0c  |~.+!.#..........|
00000010  07 e5 0b 19 04 17 00 37  ff 80 00 00 02 23 0a 0e  |.......7.....#..|
00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000040  00 00 41 42 7e                                    |..AB~|
00000045
"""


def test_hex_dumps_are_read_and_captures_are_left_alone():
    assert len(RAW) == 69
    assert parse_dump(XXD.encode()) == RAW
    assert parse_dump(HEXDUMP_C.encode()) == RAW
    assert parse_dump(("# a comment\n" + RAW.hex(" ") + "\n").encode()) == RAW
    assert parse_dump(b"0x7e, 0xa0:2b-21") == bytes.fromhex("7ea02b21")
    assert parse_dump(p1_telegram()) is None                 # text, but a telegram: bytes as they are
    assert parse_dump(dlms_frame()) is None                  # binary
    assert parse_dump(XXD.replace("00000010:", "00000011:").encode()) is None   # offsets must run on
    assert parse_dump(b"# only a comment\n") is None
    assert smc.decode(parse_dump((ROOT / "fixtures/dlms/kamstrup-no-list3-hdlc-em001-1.hex").read_bytes()))


def test_decode_accepts_what_the_cli_accepts():
    """Issue 11 item 4: text with '#' comment lines and xxd / hexdump -C dumps, as str."""
    frame = dlms_frame()
    commented = (ROOT / "fixtures/dlms/kamstrup-no-list3-hdlc-em001-1.hex").read_text()
    assert smc.decode(commented) == smc.decode(frame)
    xxd = "".join(f"{i:08x}: " + " ".join(frame[j:j + 2].hex() for j in range(i, min(i + 16, len(frame)), 2))
                  + "  ................\n" for i in range(0, len(frame), 16))
    assert parse_dump(xxd.encode()) == frame
    assert smc.decode(xxd) == smc.decode(frame)
    assert smc.decode(p1_telegram().decode("latin-1")).format == "p1"   # a telegram stays a telegram


def test_every_preset_is_valid_and_documented():
    doc = (ROOT / "docs" / "live.md").read_text()
    names = {f.name for f in smc.formats()}
    for p in smio.PRESETS.values():
        assert p.parity in "NEO" and p.bytesize in (7, 8) and p.stopbits in (1, 2) and p.baudrate > 0
        assert p.source and p.interval.total_seconds() > 0
        assert p.format in names or p.format == "osgp-mep"    # OSGP is being added (issue 14)
        row = re.search(rf"^\| `{re.escape(p.name)}` \| ([^|]+) \| `([^`]+)` \|", doc, re.M)
        assert row, f"preset {p.name} missing from docs/live.md"
        assert row.group(1).strip() == p.settings and row.group(2) == p.format, p.name
    documented = re.findall(r"^\| `([a-z0-9-]+)` \| \d+ \d[NEO]\d \|", doc, re.M)
    assert sorted(documented) == sorted(smio.PRESETS)
    # the list, by country and format
    assert smio.get_preset("no-han").settings == "2400 8E1"
    assert smio.get_preset("no-han-kamstrup").settings == "2400 8N1"
    assert smio.get_preset("dsmr5").settings == smio.get_preset("lu-p1").settings == "115200 8N1"
    assert smio.get_preset("dsmr22").settings == "9600 7E1"
    assert smio.get_preset("mbus").settings == "2400 8E1"
    assert smio.get_preset("sml").settings == "9600 8N1"
    with pytest.raises(ValueError, match="known: no-han"):
        smio.get_preset("xx")


def test_serial_settings_overrides():
    assert serial_settings() == {"baudrate": 115200, "bytesize": 8, "parity": "N", "stopbits": 1}
    assert serial_settings("no-han", parity="n") == {"baudrate": 2400, "bytesize": 8, "parity": "N",
                                                     "stopbits": 1}
    for bad in ({"baudrate": 0}, {"bytesize": 9}, {"parity": "X"}, {"stopbits": 3}):
        with pytest.raises(ValueError):
            serial_settings(**bad)


def test_parse_hostport():
    assert smio.parse_hostport("192.168.1.50:8888") == ("192.168.1.50", 8888)
    assert smio.parse_hostport("meter.local:23") == ("meter.local", 23)
    assert smio.parse_hostport("[::1]:2000") == ("::1", 2000)
    for bad in ("192.168.1.50", "host:", ":80", "host:0", "host:70000", "a b:1"):
        with pytest.raises(ValueError):
            smio.parse_hostport(bad)


def test_recorders_write_what_was_read(tmp_path: pathlib.Path):
    readings = smc.decode_all(dlms_frame()) + smc.decode_all(p1_telegram())
    for name in ("s.jsonl", "s.ndjson", "s.csv"):
        rec = smio.open_recorder(tmp_path / name)
        for r in readings:
            rec.write(r)
        rec.close()
    rows = [json.loads(ln) for ln in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [r["meter_id"] for r in rows] == [r.meter_id for r in readings]
    assert rows[1]["units"]["active_energy_import"] == "Wh"
    assert "voltage_l1" not in rows[1]["units"] or rows[1]["voltage_l1"] is not None
    assert (tmp_path / "s.ndjson").read_text() == (tmp_path / "s.jsonl").read_text()
    with pytest.raises(ValueError, match=".jsonl, .csv or .parquet"):
        smio.open_recorder(tmp_path / "s.txt")

