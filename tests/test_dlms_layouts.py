"""Value-only lists, maker conventions and text in octet strings (issue 9 items 1, 2 and 4).

Real frames (fixtures/dlms/more_real_frames.json, corpus) show each layout on the wire; the
bodies built here with the A-XDR encoder probe the choice itself: signature, consistency checks
and plausibility decide, and a list nothing fits stays unnamed. A built body proves only that
the chooser does what it says, which is what these tests check.
"""
from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs import plausibility
from smartmeter_codecs._registry import get_codec
from smartmeter_codecs.dlms.axdr import encode_data
from smartmeter_codecs.dlms.profiles import PROFILES, SIGNATURE_TOKENS, Layout

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms"
MORE = {e["id"]: e for e in json.loads((FIX / "more_real_frames.json").read_text())["entries"]}
CORPUS = {e["id"]: e for e in json.loads((FIX / "corpus_plaintext.json").read_text())["entries"]}
CODEC = get_codec("dlms")


def _apdu(*elements: bytes) -> bytes:
    """A data-notification (invoke id 1, no date-time) whose body is structure(elements)."""
    return b"\x0f\x00\x00\x00\x01\x00" + encode_data(2, list(elements))


def _raw(data: bytes | str, **kw) -> smc.Reading:
    """The codec's own output, before the plausibility screen."""
    if isinstance(data, str):
        data = bytes.fromhex(data)
    (r,) = CODEC.decode_all(data, **kw)
    return r


def _s(text: str) -> bytes:
    return encode_data(9, text.encode())


def _u32(n: int) -> bytes:
    return encode_data(6, n)


def _u16(n: int) -> bytes:
    return encode_data(18, n)


# -- the failure classes of issue 9 item 1, on the real frames ---------------------------------

def test_celje_list_of_12_is_not_read_as_the_energy_list():
    r = _raw(MORE["amsreader-iskra-si-celje-5s-gh615-8"]["hex"])
    assert r.register("1-0:1.8.0.255") is None and r.active_energy_import is None
    assert (r.voltage_l1, r.current_l3, r.active_power_import) == (231.4, 0.88, 2399.0)


def test_list_of_9_without_second_id_puts_no_power_into_the_meter_id():
    r = _raw(MORE["amsreader-iskra-si-energy-9-without-second-id-gh869-6"]["hex"])
    assert r.meter_id == "ISK1030777478586" and r.active_power_export == 0.0
    assert r.active_energy_import == r.register("1-0:1.8.1.255").value + r.register("1-0:1.8.2.255").value


def test_list_of_10_is_recognised():
    r = _raw(MORE["amsreader-iskra-si-1p-10-gh869-8"]["hex"])
    assert r.profile == "iskra" and not any(reg.key.startswith("value[") for reg in r.registers)


def test_same_signature_other_maker_is_told_apart_by_the_tariff_sums():
    # L&G Slovenia list of 9 has Iskra's signature SUUUUUUUU; Iskra's A+ = T1 + T2 fails on it
    r = _raw(MORE["amsreader-landisgyr-si2026-energy-9"]["hex"])
    assert r.profile == "landisgyr" and r.register("1-0:3.8.0.255").value == 6700576
    assert r.quality.startswith("layout landisgyr-si-energy-9 assumed")


# -- the chooser on built bodies ----------------------------------------------------------------

def test_plausibility_decides_between_colliding_signatures():
    # gh869-6's values behind an id without the ISK prefix: generic profile, every maker's
    # layouts compete. Iskra's checks hold; L&G's would make 12.8 Mvar of reactive power.
    body = [_s("1030777478586")] + [_u32(n) for n in (625, 0, 12789950, 5732902, 7057048, 250, 112, 138)]
    r = _raw(_apdu(*body))
    assert r.profile == "iskra" and r.active_energy_import == 12789950.0
    assert r.reactive_power_import is None


def test_several_fitting_layouts_are_no_better_than_none():
    body = [_s("1030777478586")] + [_u32(n) for n in (100, 0, 30, 10, 20, 0, 0, 0)]
    r = _raw(_apdu(*body))
    assert [reg.key for reg in r.registers] == [f"value[{i}]" for i in range(9)]
    assert r.active_power_import is None and "ambiguous" in r.quality
    assert "iskra-si-energy-9" in r.quality and "landisgyr-si-energy-9" in r.quality


def test_a_layout_whose_values_would_be_implausible_loses():
    # Celje signature, but "voltages" of 60000 -> 6000 V: not this layout
    body = [_s("ISK1030789014731"), _s("UP_3f")] + [_u16(60000)] * 3 + [_u16(100)] * 3 + [_u32(0)] * 4
    r = _raw(_apdu(*body))
    assert r.voltage_l1 is None and r.register("1-0:32.7.0.255") is None
    assert r.register("value[2]").value == 60000
    assert "layout unknown" in r.quality and "implausible voltage_l1=6000" in r.quality


def test_unknown_signature_stays_unnamed_and_says_so():
    body = [_s("ISK1030789014731"), _s("UP_3f")] + [_u32(5)] * 7
    r = _raw(_apdu(*body))
    assert r.profile == "iskra" and r.register("value[8]").value == 5
    assert all(getattr(r, f) is None for f in plausibility.RANGES)
    assert r.quality.startswith("layout unknown: value-only list of 9 values (signature SSUUUUUUU)")


def test_a_kaifa_shaped_list_without_its_list_id_is_not_kaifa():
    # the values of amsreader gh493-1 (Kaifa list 2), behind another list id
    values = [_u32(n) for n in (2269, 0, 0, 720, 7087, 6896, 4206, 2367, 0, 2367)]
    r = _raw(_apdu(_s("NOTKAIFA"), _s("6970631409168767"), _s("MA304H3E"), *values))
    assert r.profile == "generic" and r.active_power_import is None and "layout unknown" in r.quality
    kaifa = _raw(_apdu(_s("KFM_001"), _s("6970631409168767"), _s("MA304H3E"), *values))
    assert (kaifa.profile, kaifa.voltage_l1, kaifa.current_l1) == ("kaifa", 236.7, 7.087)


def test_every_layout_is_well_formed_and_names_unique():
    names = [lay.name for p in PROFILES.values() for lay in p.lists]
    assert len(set(names)) == len({(lay.name, lay) for p in PROFILES.values() for lay in p.lists})
    with pytest.raises(ValueError):
        Layout("bad", "SU", ("0-0:96.1.0.255",))


_TOKEN_DATA = {
    "S": st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=16).map(lambda t: encode_data(9, t.encode())),
    "U": st.integers(0, 2**32 - 1).map(lambda n: encode_data(6, n)),
    "u": st.integers(0, 2**16 - 1).map(lambda n: encode_data(18, n)),
    "b": st.integers(0, 255).map(lambda n: encode_data(17, n)),
    "E": st.integers(0, 255).map(lambda n: encode_data(22, n)),
    "B": st.booleans().map(lambda b: encode_data(3, b)),
    "N": st.integers(0, 2**32 - 1).map(lambda n: encode_data(6, n)),
    "*": st.integers(0, 2**16 - 1).map(lambda n: encode_data(18, n)),
}
ALL_LAYOUTS = [lay for p in PROFILES.values() for lay in p.lists]


@st.composite
def layout_bodies(draw):
    lay = draw(st.sampled_from(ALL_LAYOUTS))
    return _apdu(*[draw(_TOKEN_DATA[t]) for t in lay.signature])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout_bodies())
def test_no_value_only_list_yields_an_implausible_quantity(apdu):
    # any values in any layout's signature: either a layout that makes them plausible names
    # them, or they stay value[i] - never a wrong quantity in a field
    r = _raw(apdu)
    assert plausibility.implausible_fields(r) == []
    named = any("layout" in reg.extra for reg in r.registers)
    assert r.quality.startswith("layout ") and ("assumed" in r.quality) == named


def test_signature_tokens_cover_the_types_used():
    assert all(t in SIGNATURE_TOKENS for lay in ALL_LAYOUTS for t in lay.signature)


# -- conventions (issue 9 item 2) -------------------------------------------------------------

def test_kamstrup_two_decimal_voltages_are_read_by_the_convention():
    r = _raw(MORE["amsreader-kamstrup-dk-two-decimal-voltages-gh814"]["hex"])
    reg = r.register("1-1:32.7.0.255")
    assert (reg.value, reg.extra["raw"], reg.extra["scaler"]) == (235.93, 23593, -2)
    assert "#814" in reg.extra["convention"] and "convention: voltage" in r.quality
    # currents keep the profile's 0.01 A and say nothing of a convention
    assert "convention" not in r.register("1-1:31.7.0.255").extra


def test_kamstrup_integer_voltages_need_no_convention():
    r = _raw(CORPUS["kamstrup-no-list3-hdlc-em001-1"]["hex"])
    assert r.voltage_l1 == 236.0 and "convention" not in r.register("1-1:32.7.0.255").extra
    assert r.quality is None


def test_e360_dv_voltages_autodetected_and_forced_agree():
    data = CORPUS["landisgyr-e360-ch-single-frame-vse2026"]["hex"]
    auto, forced = _raw(data), _raw(data, profile="landisgyr-e360")
    assert auto.voltage_l1 == forced.voltage_l1 == 235.7
    assert "E360" in auto.register("1-0:32.7.0.255").extra["convention"]
    assert "convention" not in forced.register("1-0:32.7.0.255").extra
    # an E450 that sends whole volts keeps them (gh934: 234 V, not 23.4 V)
    e450 = _raw(CORPUS["landisgyr-e450-ch-reassembled-dn-gh934"]["hex"])
    assert e450.voltage_l1 == 234.0 and "convention" not in e450.register("1-0:32.7.0.255").extra


def test_power_factor_without_scaler_in_thousandths():
    r = _raw(CORPUS["iskra-ie5-hr-raw-apdu-gh1072-3"]["hex"])
    reg = r.register("1-0:13.7.0.255")
    assert (r.power_factor, reg.extra["raw"], reg.extra["scaler"]) == (0.746, 746, -3)


def test_a_convention_that_does_not_explain_every_value_is_not_applied():
    obis = encode_data(9, bytes([1, 1, 32, 7, 0, 255]))
    body = (_s("Kamstrup_V0001"), obis, _u16(2359000 % 65536), encode_data(9, bytes([1, 1, 52, 7, 0, 255])),
            _u16(23400))
    r = _raw(_apdu(*body))
    assert r.register("1-1:32.7.0.255").extra["scaler"] == 0   # 65496 V and 656 V: no convention fits
    assert "convention" not in (r.quality or "")
    screened = smc.decode(_apdu(*body))
    assert screened.voltage_l1 is None and "implausible: voltage_l1" in screened.quality


# -- text in octet strings (issue 9 item 4) ---------------------------------------------------

def test_nul_padded_tariff_is_text():
    body = (encode_data(9, bytes([0, 0, 96, 14, 0, 255])), encode_data(9, b"RATE2\x00\x00\x00"),
            encode_data(9, bytes([0, 0, 96, 1, 0, 255])), encode_data(9, b"  63316890  "))
    r = smc.decode(_apdu(*body))
    assert r.tariff == "RATE2" and r.register("0-0:96.14.0.255").value == "RATE2"
    assert r.meter_id == "63316890"
    assert r.register("0-0:96.14.0.255").extra["raw"] == b"RATE2\x00\x00\x00".hex()


def test_binary_octet_strings_stay_bytes():
    body = (encode_data(9, bytes([0, 0, 96, 1, 0, 255])), encode_data(9, b"\x00\x00\x00\x31"),
            encode_data(9, bytes([0, 0, 96, 14, 0, 255])), encode_data(9, b"\x00\x02"))
    r = smc.decode(_apdu(*body))
    assert r.register("0-0:96.1.0.255").value == b"\x00\x00\x001"
    assert r.tariff == "T2"          # the Iskra SI tariff octet string 00 02


def test_nul_padded_visible_string_is_clean_text():
    body = (encode_data(9, bytes([0, 0, 96, 1, 0, 255])), encode_data(10, "ISK123\x00\x00"),
            encode_data(9, bytes([0, 0, 96, 1, 7, 255])), encode_data(10, " MA304H3E  "))
    r = smc.decode(_apdu(*body))
    assert (r.meter_id, r.meter_model) == ("ISK123", "MA304H3E")


# -- issue 10 finding: utf8-string with a non-latin-1 character --------------------------------

@pytest.mark.parametrize("hexdata", ["0f00000001000c03e282ac", "0f00000001000c01ff"])
def test_utf8_string_body_decodes(hexdata):
    # reliability/findings.json "dlms interpret: utf8-string with a non-latin-1 character raises
    # UnicodeEncodeError" (and its invalid-UTF-8 variant 0c01ff -> U+FFFD)
    r = smc.decode(bytes.fromhex(hexdata), format="dlms")
    assert r.register("value[0]").value in ("\u20ac", "\ufffd")
    assert smc.inspect(bytes.fromhex(hexdata), format="dlms").error is None


def test_utf8_string_frame_in_streams_and_other_entry_points():
    frame = bytes.fromhex("7ea0170303132556e6e7000f00000001000c03e282acbd747e")
    for fmt in ("dlms", None):
        (item,) = smc.StreamDecoder(format=fmt).feed(frame)
        assert isinstance(item, smc.Reading) and item.register("value[0]").value == "\u20ac"
    try:
        smc.decode(bytes.fromhex("0f00000001000c03e282ac"), format="chain2")
    except smc.DecodeError:
        pass                                  # chain2 may refuse it, but only with a DecodeError
    # a utf8 maker name with non-ASCII characters identifies no profile
    r = smc.decode(_apdu(encode_data(12, "ISK\u20ac"), _u32(5)))
    assert r.profile == "generic"


def _austrian_push(power: int) -> bytes:
    return _apdu(encode_data(9, bytes([0, 6, 25, 9, 0, 255])), _s("1121273201353"), encode_data(9, b"\x0c\x1e\x00\xff"),
                 encode_data(9, b"\x07\xe8\x05\x07\x02"), *[_u32(n) for n in (9534290, 2896624, 100, 200, power, 0)],
                 encode_data(9, b""), encode_data(9, b""))


def test_austrian_push_layout_is_checked_like_any_other():
    r = _raw(_austrian_push(738))
    assert (r.active_power_import, r.active_energy_import, r.meter_id) == (738.0, 9534290.0, "1121273201353")
    assert r.register("1-0:1.7.0.255").extra["layout"] == "at-push-setup-12"
    bad = _raw(_austrian_push(10**9))           # 1 GW of import: not this layout
    assert bad.active_power_import is None and bad.active_energy_import is None
    assert bad.register("value[8]").value == 10**9 and "rejected at-push-setup-12" in bad.quality
