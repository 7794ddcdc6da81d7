"""Encrypted DLMS through the public API: every keyed real frame decodes to the values its
source asserts; wrong and missing keys give the right typed errors (issue 3)."""
from __future__ import annotations

import json
import math
import pathlib

import pytest

import smartmeter_codecs as smc

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms"
ENTRIES = json.loads((FIX / "corpus_encrypted.json").read_text())["entries"]

# Values we assert beyond the source's OBIS list, each from the entry's notes or source test.
EXTRA = {
    "kaifa-ma309-pl-mbus-2frames-encrypted": {"meter_id": "1KFM0200169986", "voltage_l1": 227.1,
                                              "current_l1": 12.41, "active_power_import": 2867.0,
                                              "active_energy_import": 278041.0},
    "landisgyr-e450-at-burgenland-encrypted-1": {"meter_id": "30137181", "voltage_l1": 236.0, "current_l2": 0.04,
                                                 "active_power_import": 29.0, "active_energy_import": 31358606.0,
                                                 "active_energy_export": 7619.0},
    "iskra-am550-at-kelag-encrypted-1": {"meter_id": "1121378381199", "active_energy_import": 14370048.0,
                                         "active_energy_export": 420837.0, "active_power_import": 9.0},
    "netznoe-kaifa-ma309-mbus-2frames-encrypted": {"meter_id": "181220000009", "power_factor": 1.0},
    "iskra-am550-at-kelag-encrypted-2": {"meter_id": "1121378381199", "active_energy_import": 14370048.0,
                                         "active_power_import": 0.0, "active_power_export": 24.0},
}
# smartmeter-datacollector asserts 16 objects, each with an OBIS logical name
OBIS_COUNT = {"landisgyr-e450-ch-gbt-encrypted-no-pushlist": 16, "landisgyr-e450-gbt-3frames-encrypted-1": 16}
# The source asserts raw (unscaled) numbers for Kamstrup DK: we check them against extra["raw"].
RAW_ASSERTED = {"kamstrup-omnipower-hdlc-encrypted-auth"}


def _keys(e, *, with_ak=True):
    return smc.Keys(encryption_key=e["encryption_key"],
                    authentication_key=e.get("authentication_key") if with_ak else None)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_keyed_frame_decodes_to_asserted_values(entry):
    data = bytes.fromhex(entry["hex"])
    readings = smc.decode_all(data, keys=_keys(entry))
    assert readings
    r = readings[-1]
    if entry.get("authentication_key"):
        assert r.authenticated is True
    else:
        assert r.authenticated is False
    checked = 0
    for v in (entry.get("expected") or {}).get("values") or []:
        want, obis = v.get("value"), v.get("obis")
        if not isinstance(want, (int, float)) or isinstance(want, bool) or not obis or "(" in obis:
            continue
        reg = r.register(obis)
        assert reg is not None, obis
        got = reg.extra.get("raw") if entry["id"] in RAW_ASSERTED else reg.value
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (obis, got, want)
        checked += 1
    for field, want in EXTRA.get(entry["id"], {}).items():
        got = getattr(r, field)
        assert got == want if isinstance(want, str) else math.isclose(got, want, rel_tol=1e-9), (field, got, want)
        checked += 1
    if entry["id"] in OBIS_COUNT:
        assert sum(1 for reg in r.registers if reg.obis is not None) == OBIS_COUNT[entry["id"]]
        checked += 1
    assert checked or entry["id"] == "dlmscosem-glo-ciphered-data-notification-dummykey"
    if entry["id"] == "dlmscosem-glo-ciphered-data-notification-dummykey":
        # the source's documented plaintext body: one manufacturer-specific octet-string
        assert r.registers[0].value == bytes.fromhex(
            "125a8591360000000049000000110000000a5a8513d014800000000d0000000a0100")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_missing_key_names_the_system_title(entry):
    with pytest.raises(smc.KeyRequiredError) as info:
        smc.decode_all(bytes.fromhex(entry["hex"]))
    assert info.value.system_title and info.value.system_title.hex() in str(info.value)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_wrong_key_is_a_decryption_error_and_never_leaks_the_key(entry):
    wrong = bytes(b ^ 0x5A for b in bytes.fromhex(entry["encryption_key"]))
    keys = smc.Keys(encryption_key=wrong, authentication_key=entry.get("authentication_key"))
    with pytest.raises(smc.DecryptionError) as info:
        smc.decode_all(bytes.fromhex(entry["hex"]), keys=keys)
    assert wrong.hex() not in str(info.value) and entry["encryption_key"] not in str(info.value).lower()


def test_wrong_authentication_key_fails_the_tag_check():
    e = next(x for x in ENTRIES if x["id"] == "kamstrup-omnipower-hdlc-encrypted-auth")
    keys = smc.Keys(encryption_key=e["encryption_key"], authentication_key=bytes(16))
    with pytest.raises(smc.DecryptionError):
        smc.decode(e["hex"], keys=keys)
    # the encryption key alone decrypts, and the Reading says the tag was not checked
    assert smc.decode(e["hex"], keys=_keys(e, with_ak=False)).authenticated is False


def test_keys_by_system_title():
    by_title = {}
    for e in ENTRIES:
        title = bytes.fromhex(e["system_title"]) if e.get("system_title") else None
        if title:
            by_title[title] = _keys(e)
    assert len(by_title) >= 5
    for e in ENTRIES:
        if e.get("system_title"):
            assert smc.decode_all(e["hex"], keys=by_title)


def test_stream_decodes_encrypted_mbus_segments_in_chunks():
    e = next(x for x in ENTRIES if x["id"] == "netznoe-kaifa-ma309-mbus-2frames-encrypted")
    data = bytes.fromhex(e["hex"])
    dec = smc.StreamDecoder(keys=_keys(e))
    items = []
    for i in range(0, len(data), 7):
        items += list(dec.feed(data[i:i + 7]))
    readings = [i for i in items if isinstance(i, smc.Reading)]
    assert len(readings) == 1 and readings[0].active_energy_import == 12937.0
    assert dec.format == "dlms"
