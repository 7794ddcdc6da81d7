"""Autodetection imports codecs as it reaches them (issue 16: the first decode() of a frame
imported all the formats, about 200 ms): same codecs, same order, fewer imports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smartmeter_codecs._registry import available_codecs, iter_codecs

ROOT = Path(__file__).resolve().parent.parent


def test_iter_codecs_is_available_codecs_in_order() -> None:
    assert [c.name for c in iter_codecs()] == [c.name for c in available_codecs()]
    assert all(a is b for a, b in zip(iter_codecs(), available_codecs()))


def test_first_autodetected_decode_imports_only_what_it_reaches() -> None:
    frame = json.loads((ROOT / "fixtures" / "mbus" / "corpus.json").read_text())["entries"][5]["hex"]
    code = (
        "import sys, smartmeter_codecs as sc\n"
        f"r = sc.decode(bytes.fromhex({frame!r}))\n"
        "print(r.format)\n"
        "print(sorted(m for m in sys.modules if m.startswith('smartmeter_codecs.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=ROOT).stdout.splitlines()
    assert out[0] == "mbus"
    loaded = out[1]
    # an M-Bus frame is settled by the second sniffer (dlms, then mbus): the platform and
    # gateway formats further down the registry are never imported
    for later in ("smartmeter_codecs.platforms", "smartmeter_codecs.smgw", "smartmeter_codecs.chain2",
                  "smartmeter_codecs.osgp"):
        assert f"'{later}'" not in loaded, later


# --- wM-Bus autodetection (issue 16): a DLL CRC makes it certain ---------------------------

_OMS = {e["id"]: e for e in json.loads((ROOT / "fixtures" / "mbus" / "oms_annex_n.json").read_text())["entries"]}


def _oms(name: str) -> tuple[bytes, object]:
    import smartmeter_codecs as smc

    e = _OMS[name]
    return bytes.fromhex(e["hex"]), (smc.Keys(e["key"]) if e.get("key") else None)


def test_wmbus_frames_with_crcs_are_detected_for_sure() -> None:
    """OMS Annex N frames with DLL CRCs (formats A and B, a radio adapter's ELL III frame that
    autodetection did not know before): the wmbus sniffer is certain, the decode is wM-Bus."""
    import smartmeter_codecs as smc
    from smartmeter_codecs._registry import get_codec

    names = ["oms-annexN:N.2.1-wmbus-profile-A-with-crc", "oms-annexN:N.2.3-wmbus-profile-B-integrated-radio-with-crc",
             "oms-annexN:N.2.4-wmbus-profile-B-radio-adapter", "oms-annexN:N.5.3-wmbus-partial-encryption-with-crc",
             "oms-annexN:frame-format-B"]
    for name in names:
        frame, keys = _oms(name)
        assert get_codec("wmbus").sniff(frame) == 90, name
        assert smc.decode(frame, keys=keys).format == "wmbus", name
        assert smc.decode(frame, keys=keys) == smc.decode(frame, keys=keys, format="wmbus"), name


def test_a_wmbus_frame_with_a_broken_later_block_is_a_wmbus_checksum_error() -> None:
    """The first block's CRC is what the sniffer checks; a later block's CRC that fails is the
    decoder's typed error (before: "no known format")."""
    import smartmeter_codecs as smc

    frame, keys = _oms("oms-annexN:N.2.1-wmbus-profile-A-with-crc")
    broken = bytearray(frame)
    broken[20] ^= 0x01                      # inside the second block
    try:
        smc.decode(bytes(broken), keys=keys)
    except smc.ChecksumError as err:
        assert err.layer == "wmbus-link"
    else:
        raise AssertionError("a broken block decoded")


def test_platform_sniffers_say_no_to_binary_frames() -> None:
    """Every platform body is CSV or JSON text: a frame with a C0 control byte (other than tab,
    CR, LF) is answered 0 before any parsing (autodetection asks all of them)."""
    from smartmeter_codecs.platforms._codec import PlatformCodec

    platforms = [c for c in available_codecs() if isinstance(c, PlatformCodec)]
    assert len(platforms) >= 10
    for e in _OMS.values():
        frame = bytes.fromhex(e["hex"])
        for codec in platforms:
            assert codec.sniff(frame) == 0, (codec.name, e["id"])
