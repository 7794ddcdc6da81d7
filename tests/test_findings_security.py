"""Regression tests for the reliability/security findings of issue 10 (../shared/reliability/
findings.json) in the A-XDR, security, encoder and CLI areas: each reproducer gives its
expected outcome. The security properties (with an authentication key, no frame without a
verified tag yields a Reading) are hypothesis tests over tampered real and simulated frames.
"""
from __future__ import annotations

import inspect as pyinspect
import json
import logging
import pathlib
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
import smartmeter_codecs.mbus.application as mbus_app
from smartmeter_codecs.dlms import security
from smartmeter_codecs.dlms.axdr import MAX_DEPTH, Data, decode_data
from smartmeter_codecs.dlms.encode import build_notification
from smartmeter_codecs.dlms.hdlc import build_frame

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- A-XDR compact-array [critical]

BOMB = bytes.fromhex("0f00000001001301ffff01ffff000100")  # array[65535] of array[65535] of null-data


def test_compact_array_bomb_is_a_decode_error() -> None:
    with pytest.raises(smc.FramingError, match="zero size"):
        smc.decode(BOMB, format="dlms")


@pytest.mark.parametrize("count", ["0100", "0400", "1000", "ffff"])
def test_compact_array_nested_zero_size_shapes(count: str) -> None:
    # the sizes measured in the finding (0.09 s .. never returns), each a FramingError now
    apdu = bytes.fromhex(f"0f00000001001301{count}01{count}000100")
    with pytest.raises(smc.FramingError, match="zero size"):
        smc.decode(apdu, format="dlms")


def test_compact_array_bomb_through_every_entry_point() -> None:
    frame = build_frame(b"\xe6\xe7\x00" + BOMB)
    items = list(smc.StreamDecoder(format="dlms").feed(frame))
    assert len(items) == 1 and isinstance(items[0], smc.FramingError)
    assert isinstance(smc.inspect(BOMB, format="dlms").error, smc.FramingError)
    with pytest.raises(smc.FramingError):
        smc.decode(BOMB, format="chain2")          # raw Chain 2 routing through dlms
    with pytest.raises(smc.DecodeError):
        smc.decode(frame)                           # autodetect


def _count(d: Data) -> int:
    if d.tag in (1, 2, 19) and isinstance(d.value, tuple):
        return 1 + sum(_count(x) for x in d.value)
    return 1


_SIMPLE = st.sampled_from([0, 3, 9, 15, 16, 17, 18, 5, 6, 255, 25])


def _desc() -> st.SearchStrategy[bytes]:
    leaf = _SIMPLE.map(lambda t: bytes((t,)))
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.integers(0, 0xFFFF), kids).map(lambda a: b"\x01" + a[0].to_bytes(2, "big") + a[1]),
            st.lists(kids, max_size=6).map(lambda ks: b"\x02" + bytes((len(ks),)) + b"".join(ks)),
        ),
        max_leaves=12)


@SETTINGS
@given(desc=_desc(), content=st.binary(max_size=120))
def test_compact_array_work_is_bounded_by_the_bytes_present(desc: bytes, content: bytes) -> None:
    """Any description + contents: a DecodeError, or at most MAX_DEPTH+1 values per input byte."""
    data = b"\x13" + desc + bytes((len(content),)) + content
    try:
        d, _ = decode_data(data)
    except smc.DecodeError:
        return
    assert _count(d) <= (MAX_DEPTH + 1) * len(data)


@pytest.mark.parametrize("apdu_hex", [
    ("13" "02" "02" "00" "11" "03" "010203"),        # structure{null, unsigned}: one value per byte
    ("13" "01" "0003" "11" "06" "010203040506"),     # array[3] of unsigned, two elements
])
def test_compact_arrays_with_content_still_decode(apdu_hex: str) -> None:
    d, end = decode_data(bytes.fromhex(apdu_hex))
    assert d.tag == 19 and end == len(bytes.fromhex(apdu_hex)) and len(d.value) >= 2


# ---------------------------------------------------------------- DLMS authentication rule

K = smc.Keys(encryption_key=bytes(range(16)), authentication_key=bytes(range(16, 32)))
TITLE = b"SMCSIM00"
PLAIN = build_notification(smc.Reading(format="dlms", active_power_import=1234.0))


def _frame(apdu: bytes) -> bytes:
    return build_frame(b"\xe6\xe7\x00" + apdu)


def _glo(content: bytes, title: bytes = TITLE) -> bytes:
    return b"\xdb\x08" + title + security._encode_length(len(content)) + content


def test_downgrade_0x30_to_0x20_with_forged_value_is_rejected() -> None:
    # the finding's reproducer: tag stripped, CTR bit flip 1234 W -> 10194 W, SC 0x30 -> 0x20
    a = security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=7, security_control=0x30)
    ct = bytearray(a[-12 - len(PLAIN):-12])
    ct[PLAIN.find(b"\x12\x04\xd2") + 1] ^= 0x04 ^ 0x27
    frame = _frame(_glo(b"\x20" + (7).to_bytes(4, "big") + bytes(ct)))
    with pytest.raises(smc.DecryptionError, match="no authentication tag"):
        smc.decode(frame, format="dlms", keys=K)
    # without an authentication key the caller did not ask for authentication: the forged
    # value comes back, and the Reading says it is unauthenticated
    r = smc.decode(frame, format="dlms", keys=smc.Keys(encryption_key=K.encryption_key))
    assert r.authenticated is False and r.active_power_import == 10194.0


def test_downgrade_0x10_to_0x00_is_rejected() -> None:
    a = security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=7, security_control=0x10)
    clear = a[-12 - len(PLAIN):-12]
    frame = _frame(_glo(b"\x00" + (7).to_bytes(4, "big") + clear))
    with pytest.raises(smc.DecryptionError, match="no authentication tag"):
        smc.decode(frame, format="dlms", keys=K)


@pytest.mark.parametrize("corrupt", [True, False])
def test_authentication_only_with_only_the_authentication_key_is_never_unchecked(corrupt: bool) -> None:
    a = security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=7, security_control=0x10)
    if corrupt:
        a = a[:-1] + bytes([a[-1] ^ 0xFF])
    ak_only = smc.Keys(authentication_key=K.authentication_key)
    with pytest.raises(smc.KeyRequiredError, match="encryption key"):
        smc.decode(_frame(a), format="dlms", keys=ak_only)
    if corrupt:
        with pytest.raises(smc.DecryptionError, match="tag mismatch"):
            smc.decode(_frame(a), format="dlms", keys=K)
    else:
        assert smc.decode(_frame(a), format="dlms", keys=K).authenticated is True


def test_plaintext_frames_are_rejected_when_an_authentication_key_is_given() -> None:
    with pytest.raises(smc.DecryptionError):
        smc.decode(_frame(PLAIN), format="dlms", keys=K)
    items = list(smc.StreamDecoder(format="dlms", keys=K).feed(_frame(PLAIN)))
    assert len(items) == 1 and isinstance(items[0], smc.DecryptionError)
    assert isinstance(smc.inspect(_frame(PLAIN), format="dlms", keys=K).error, smc.DecryptionError)
    # formats without authentication at all (P1, M-Bus) follow the same rule
    p1 = smc.encode(smc.Reading(format="p1", active_power_import=1500.0), format="p1")
    with pytest.raises(smc.DecryptionError, match="authentication key"):
        smc.decode(p1, format="p1", keys=K)
    items = list(smc.StreamDecoder(format="p1", keys=K).feed(p1))
    assert len(items) == 1 and isinstance(items[0], smc.DecryptionError)
    assert smc.decode(p1, format="p1").active_power_import == 1500.0
    mb = smc.encode(smc.Reading(format="mbus", meter_id="12345678", active_energy_import=1.0), format="mbus")
    with pytest.raises(smc.DecryptionError):
        smc.decode(mb, format="mbus", keys=K)


def test_keys_mapping_applies_the_rule_per_sender() -> None:
    other = b"OTHERMTR"
    ek_only = smc.Keys(encryption_key=bytes(16))
    keys = {TITLE: K, other: ek_only}
    enc_only_other = security.wrap(PLAIN, keys=ek_only, system_title=other, invocation_counter=1,
                                   security_control=0x20)
    r = smc.decode(_frame(enc_only_other), format="dlms", keys=keys)
    assert r.authenticated is False and r.active_power_import == 1234.0       # that sender has no AK
    enc_only_ak = security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=1, security_control=0x20)
    with pytest.raises(smc.DecryptionError):
        smc.decode(_frame(enc_only_ak), format="dlms", keys=keys)            # that sender has one
    unknown = security.wrap(PLAIN, keys=K, system_title=b"UNKNOWN0", invocation_counter=1,
                            security_control=0x00)
    with pytest.raises(smc.DecryptionError):
        smc.decode(_frame(unknown), format="dlms", keys=keys)                # no entry: unattributable
    with pytest.raises(smc.DecryptionError):
        smc.decode(_frame(PLAIN), format="dlms", keys=keys)                  # plaintext names no sender
    both = security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=1, security_control=0x30)
    assert smc.decode(_frame(both), format="dlms", keys=keys).authenticated is True


def _tamper(data: bytes, how: str, pos: int, value: int) -> bytes:
    if not data:
        return data
    pos %= len(data)
    if how == "flip":
        return data[:pos] + bytes([data[pos] ^ (value or 1)]) + data[pos + 1:]
    if how == "set":
        return data[:pos] + bytes([value]) + data[pos + 1:]
    if how == "cut":
        return data[:pos]
    return data[:pos] + data[pos + 1:]


_TAMPER = st.tuples(st.sampled_from(["flip", "set", "cut", "drop"]), st.integers(0, 10_000), st.integers(0, 255))


@SETTINGS
@given(sc=st.sampled_from([0x30, 0x10]), ic=st.integers(0, 2**32 - 1), power=st.integers(0, 60000),
       edits=st.lists(_TAMPER, min_size=1, max_size=3), new_sc=st.integers(0, 255))
def test_dlms_with_authentication_key_no_unverified_frame_yields_a_reading(sc, ic, power, edits, new_sc) -> None:
    """Tag tampering and downgrades of genuine 0x30/0x10 APDUs: a DecodeError, or a Reading
    whose tag verified and whose values are the genuine ones."""
    plain = build_notification(smc.Reading(format="dlms", active_power_import=float(power)))
    apdu = security.wrap(plain, keys=K, system_title=TITLE, invocation_counter=ic, security_control=sc)
    sc_at = 2 + 8 + (2 if len(apdu) - 10 > 0x80 else 1) + (1 if len(apdu) - 10 > 0xFF + 2 else 0)
    candidates = [apdu, apdu[:sc_at] + bytes([new_sc]) + apdu[sc_at + 1:],      # security control rewritten
                  _glo(bytes([new_sc & 0xCF]) + apdu[sc_at + 1:-12])]           # tag stripped, SC downgraded
    for how, pos, value in edits:
        candidates.append(_tamper(candidates[-1], how, pos, value))
    for cand in candidates[1:]:
        for data in (_frame(cand), cand):   # in an HDLC frame (valid FCS) and as a bare APDU
            try:
                out = smc.decode_all(data, format="dlms", keys=K)
            except smc.DecodeError:
                continue
            for r in out:
                assert r.authenticated is True
                assert r.active_power_import == float(power)


# ---------------------------------------------------------------- wM-Bus authentication rule

def _oms(entry_id: str) -> dict:
    entries = json.loads((ROOT / "fixtures" / "mbus" / "oms_annex_n.json").read_text())["entries"]
    return next(e for e in entries if e["id"] == entry_id)


MODE7 = _oms("oms-annexN:N.2.3-wmbus-profile-B-integrated-radio")
MODE5 = _oms("oms-annexN:N.2.1-wmbus-profile-A")


def test_wmbus_mode7_with_authentication_key_verifies_the_mac() -> None:
    key = MODE7["key"]
    r = smc.decode(MODE7["hex"], format="wmbus", keys=smc.Keys(encryption_key=key, authentication_key=key))
    assert r.authenticated is True
    with pytest.raises(smc.DecryptionError, match="MAC"):   # a different MAC key: the MAC fails
        smc.decode(MODE7["hex"], format="wmbus", keys=smc.Keys(encryption_key=key, authentication_key=bytes(16)))


def test_wmbus_mode5_and_plaintext_rejected_with_an_authentication_key() -> None:
    key = MODE5["key"]
    with pytest.raises(smc.DecryptionError, match="security mode 5 has no MAC"):
        smc.decode(MODE5["hex"], format="wmbus", keys=smc.Keys(encryption_key=key, authentication_key=key))
    assert smc.decode(MODE5["hex"], format="wmbus", keys=smc.Keys(encryption_key=key)).authenticated is False
    plain = smc.encode(smc.Reading(format="wmbus", meter_id="12345678", active_energy_import=5.0), format="wmbus")
    with pytest.raises(smc.DecryptionError, match="not protected"):
        smc.decode(plain, format="wmbus", keys=smc.Keys(encryption_key=key, authentication_key=key))


def test_wmbus_mode7_mac_removed_is_rejected() -> None:
    # downgrade: clear the AFL's MAC-present bit (FCL bit 10) and drop the MAC bytes
    frame = bytearray.fromhex(MODE7["hex"])
    afl_at = 11 if frame[10] != 0x8C else 13         # after the ELL I header (CI 8C CC ACC), if any
    assert frame[afl_at] == 0x90
    fcl = int.from_bytes(frame[afl_at + 2:afl_at + 4], "little")
    mcl = frame[afl_at + 4]
    mac_len = {0: 0, 3: 2, 4: 4, 5: 8, 6: 12, 7: 16, 8: 12}[mcl & 0x0F]
    assert fcl & 0x0400 and mac_len
    mac_at = afl_at + 4 + 1 + (2 if fcl & 0x0200 else 0) + (4 if fcl & 0x0800 else 0)
    new = bytearray(frame[:mac_at] + frame[mac_at + mac_len:])
    new[afl_at + 1] -= mac_len
    new[afl_at + 2:afl_at + 4] = (fcl & ~0x0400).to_bytes(2, "little")
    new[0] -= mac_len
    key = MODE7["key"]
    r = smc.decode(bytes(new), format="wmbus", keys=smc.Keys(encryption_key=key))
    assert r.authenticated is None or r.authenticated is False      # decrypted, nothing verified
    with pytest.raises(smc.DecryptionError, match="no AFL MAC"):
        smc.decode(bytes(new), format="wmbus", keys=smc.Keys(encryption_key=key, authentication_key=key))


@SETTINGS
@given(edits=st.lists(_TAMPER, min_size=1, max_size=3))
def test_wmbus_with_authentication_key_no_unverified_telegram_yields_a_reading(edits) -> None:
    key = MODE7["key"]
    keys = smc.Keys(encryption_key=key, authentication_key=key)
    genuine = smc.decode(MODE7["hex"], format="wmbus", keys=keys)
    data = bytes.fromhex(MODE7["hex"])
    for how, pos, value in edits:
        data = _tamper(data, how, pos, value)
        try:
            out = smc.decode_all(data, format="wmbus", keys=keys)
        except smc.DecodeError:
            continue
        for r in out:
            assert r.authenticated is True
            assert [(g.key, g.value) for g in r.registers if not g.key.startswith("mbus:header.")] == \
                [(g.key, g.value) for g in genuine.registers if not g.key.startswith("mbus:header.")]


def test_wmbus_mode7_mac_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "if want != afl.mac:" not in pyinspect.getsource(mbus_app)   # the finding's check
    calls = []
    real = mbus_app.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)
    monkeypatch.setattr(mbus_app.hmac, "compare_digest", spy)
    assert smc.decode(MODE7["hex"], format="wmbus", keys=smc.Keys(encryption_key=MODE7["key"])).authenticated
    assert len(calls) == 1 and calls[0][0] == calls[0][1] and len(calls[0][0]) > 0


def test_keys_never_in_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="smartmeter_codecs")
    frames = [(_frame(security.wrap(PLAIN, keys=K, system_title=TITLE, invocation_counter=3, security_control=sc)),
               "dlms") for sc in (0x30, 0x20, 0x10)] + [(bytes.fromhex(MODE7["hex"]), "wmbus"),
                                                        (bytes.fromhex(MODE5["hex"]), "wmbus")]
    secrets = [K.encryption_key, K.authentication_key, bytes.fromhex(MODE7["key"]), bytes.fromhex(MODE5["key"])]
    for data, fmt in frames:
        for keys in (K, smc.Keys(encryption_key=K.encryption_key), smc.Keys(MODE7["key"], MODE7["key"]),
                     smc.Keys(MODE5["key"]), smc.Keys(bytes(16), bytes(16))):
            try:
                smc.decode(data, format=fmt, keys=keys)
            except smc.DecodeError:
                pass
            smc.inspect(data, format=fmt, keys=keys)
    assert caplog.records, "the decoders logged nothing at DEBUG: the test would prove nothing"
    for key in secrets:
        assert key.hex() not in caplog.text.lower() and repr(key) not in caplog.text


# ---------------------------------------------------------------- encoders keep the Reading

@pytest.mark.parametrize("frame", ["68131368080173939291901000056931650000690000003f16",
                                   "68131368080573785634120a00e97e01000000350100003c16"])
def test_mbus_encode_keeps_ci_0x73_records(frame: str) -> None:
    r = smc.decode(frame, format="mbus")
    d = smc.decode(smc.encode(r, format="mbus"), format="mbus")
    assert [(x.key, x.value, x.unit) for x in d.registers] == [(x.key, x.value, x.unit) for x in r.registers]
    assert (d.meter_id, d.meter_model) == (r.meter_id, r.meter_model)
    edited = r.replace(registers=tuple(x._replace(value=x.value * 2)
                                       if x.key == r.registers[-1].key else x for x in r.registers))
    back = smc.decode(smc.encode(edited, format="mbus"), format="mbus")
    assert back.registers[-1].value == pytest.approx(r.registers[-1].value * 2)


def test_mbus_encode_invents_no_header() -> None:
    r = smc.decode("680505680800780f008f16", format="mbus")
    d = smc.decode(smc.encode(r, format="mbus"), format="mbus")
    assert (r.meter_id, r.meter_model, d.meter_id, d.meter_model) == (None, None, None, None)
    assert [(x.key, x.value) for x in d.registers] == [(x.key, x.value) for x in r.registers]
    for fmt in ("mbus", "wmbus"):
        built = smc.Reading(format=fmt, meter_id="12345678", active_energy_import=1000.0)
        back = smc.decode(smc.encode(built, format=fmt), format=fmt)
        assert (back.meter_id, back.meter_model, back.active_energy_import) == ("12345678", None, 1000.0)
    named = smc.Reading(format="mbus", meter_id="12345678", meter_model="KAM v1 (electricity)")
    assert smc.decode(smc.encode(named, format="mbus"), format="mbus").meter_model == "KAM v1 (electricity)"


@pytest.mark.parametrize("profile", ["aidon", "kamstrup"])
def test_dlms_encode_keeps_tariff(profile: str) -> None:
    r = smc.Reading(format="dlms", active_power_import=100.0, tariff="T2")
    assert smc.decode(smc.encode(r, format="dlms", profile=profile), format="dlms").tariff == "T2"


def test_dlms_encode_refuses_a_tariff_it_cannot_send() -> None:
    with pytest.raises(ValueError, match="kaifa"):
        smc.encode(smc.Reading(format="dlms", active_power_import=1.0, tariff="T2"), format="dlms", profile="kaifa")
    with pytest.raises(ValueError, match="digits"):
        smc.encode(smc.Reading(format="dlms", tariff="2"), format="dlms")


# ---------------------------------------------------------------- CLI

@pytest.mark.parametrize("option, value", [("--key", "00112233445566778899aabbccddeezz"),
                                           ("--auth-key", "0011"), ("--system-title", "zz")])
def test_cli_malformed_key_is_one_line_and_status_2(option: str, value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "smartmeter_codecs", "decode", "7e", option, value],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    assert value not in proc.stderr
