"""DSMR P1 text inside DLMS general-glo-ciphering (Luxembourg Smarty, Austrian Sagemcom T210-D-r):
the dlms format deciphers, the p1 format reads the telegram (fixtures/dlms/p1_in_dlms.json)."""
from __future__ import annotations

import json
import pathlib

import pytest

import smartmeter_codecs as smc

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms" / "p1_in_dlms.json"
E = {e["id"]: e for e in json.loads(FIX.read_text())["entries"]}


def _keys(e, ak=True):
    k = e["keys"]
    return smc.Keys(encryption_key=k["encryption_key"], authentication_key=k["authentication_key"] if ak else None)


def test_sagemcom_t210dr_with_tag_check():
    e = E["p1-esphome-ggc-encrypted-packet"]
    r = smc.decode(e["data"], keys=_keys(e))
    assert (r.format, r.authenticated) == ("dlms", True) and r.profile.startswith("p1")
    assert r.active_energy_import == 6545766.0 and r.active_power_import == 286.0
    assert r.reactive_energy_export == 3897726.0
    # the source's negative tests: a corrupted byte, or a destroyed header, must fail
    broken = bytearray(bytes.fromhex(e["data"]))
    broken[50] ^= 0xFF
    with pytest.raises(smc.DecryptionError):
        smc.decode(bytes(broken), keys=_keys(e))
    with pytest.raises(smc.DecodeError):
        smc.decode(bytes(10), keys=_keys(e), format="dlms")


def test_luxembourg_spec_example_tag_verifies_but_the_spec_telegram_crc_is_wrong():
    # node-dsmr-parser encrypted the Luxembourg specification example, whose P1 CRC is itself
    # wrong (the corpus marks both entries invalid): the tag verifies (with AK) or is skipped
    # (without), deciphering works, and the P1 layer reports the checksum error.
    for ident, ak in (("p1-node-lu-encrypted-with-aad", True), ("p1-node-lu-encrypted-without-aad", False)):
        e = E[ident]
        assert e["valid"] is False
        with pytest.raises(smc.ChecksumError) as info:
            smc.decode(e["data"], keys=_keys(e, ak=ak))
        assert info.value.layer == "p1" and "8B52" in str(info.value)
    # a wrong encryption key is a decryption error, not a P1 error
    e = E["p1-node-lu-encrypted-with-aad"]
    with pytest.raises(smc.DecryptionError):
        smc.decode(e["data"], keys=smc.Keys(encryption_key=bytes(16), authentication_key=e["keys"]["authentication_key"]))


def test_smarty_capture_deciphers_but_its_inner_crc_is_wrong():
    # openHAB's test author edited the plaintext before encrypting: the GCM tag verifies, the
    # P1 CRC does not (corpus notes). A strict decoder reports the P1 checksum error.
    e = E["p1-openhab-smarty-encrypted"]
    with pytest.raises(smc.ChecksumError) as info:
        smc.decode(e["data"], keys=_keys(e))
    assert info.value.layer == "p1"


def test_missing_key_names_the_luxembourg_system_title():
    e = E["p1-openhab-smarty-encrypted"]
    with pytest.raises(smc.KeyRequiredError) as info:
        smc.decode(e["data"])
    assert info.value.system_title == bytes.fromhex("534147677001BD54")
