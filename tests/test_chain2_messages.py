"""Chain 2 catalogue, envelopes, date strings, errors, autodetection, stream and raw-frame seam."""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs._registry import get_codec
from smartmeter_codecs.chain2 import (
    CF1, CF20, CF22, MESSAGE_TYPES, SWITCH_OFF_COUNTDOWN_KEY, Chain2Info, Chain2State, DlmsDateTime,
    GenericMessage,
)
from smartmeter_codecs.chain2 import gateway_json, raw
from smartmeter_codecs.chain2.codec import ALFA_CODEC, CODEC
from smartmeter_codecs.chain2.messages import FIELD_INDEX

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = {e["id"]: e for e in json.loads((ROOT / "fixtures/chain2/messages.json").read_text())["messages"]}
UTC = dt.timezone.utc
CF20_TEXT = json.dumps(FIXTURES["rochouse-cf20-2022-02-01"]["raw"])


def env(type_: str, payload: dict, **over) -> bytes:
    body = {"Id": "c2g-ABC", "Ts": "2024/05/06 07:08:09", "Meter": "M1", "Type": type_, "Payload": payload}
    body.update(over)
    return json.dumps({"Chain2Data": body}).encode()


# ---- catalogue ------------------------------------------------------------------------------

def test_catalogue_lists_every_documented_type():
    assert set(MESSAGE_TYPES) == {"CF1", "CF5", "CF9", "CF10", "CF20", "CF21", "CF22", "CF23", "CF51"}
    for code, cls in MESSAGE_TYPES.items():
        assert cls.TYPE == code and cls.__doc__
        keys = [s.key for s in cls.FIELDS]
        assert len(keys) == len(set(keys)), code


def test_a_key_means_the_same_in_every_type():
    for cls in MESSAGE_TYPES.values():
        for spec in cls.FIELDS:
            ref = FIELD_INDEX[spec.key]
            assert (ref.kind, ref.unit) == (spec.kind, spec.unit), (cls.TYPE, spec.key)


def test_typed_message_from_and_to_payload():
    payload = FIXTURES["rochouse-cf20-2022-02-01"]["raw"]["Chain2Data"]["Payload"]
    msg = CF20.from_payload(payload)
    assert msg.contract_power == 3000 and msg.available_power == 3300
    assert msg.pod == "IT001E01524052  "  # as sent; the Reading register strips it
    assert msg.event_time == dt.datetime(2022, 1, 31, 23, 0, tzinfo=UTC)
    assert msg.freezing_day == DlmsDateTime(1, 255, 65535, day_of_week=255)
    assert msg.to_payload() == payload
    assert list(msg.to_payload()) == list(payload)  # the gateway's key order


def test_unknown_keys_are_kept_and_known_names_interpreted():
    msg = CF1.from_payload({"InstantPower": 10, "NewField": [1, 2], "AvailablePower": 3300})
    assert msg.extra == (("NewField", [1, 2]), ("AvailablePower", 3300))
    r = smc.decode(env("CF1", {"InstantPower": 10, "NewField": [1, 2], "AvailablePower": 3300}))
    assert r.available_power == 3300.0  # a known key keeps its meaning in any type
    assert r.register("chain2:NewField").value == "[1,2]"
    assert r.register("chain2:NewField").extra["json"] == [1, 2]


def test_unknown_type_decodes_generically():
    r = smc.decode(env("CF77", {"InstantPower": 1234, "MessagePosixTimestamp": 1700000000, "Mystery": "x"}))
    assert r.active_power_import == 1234.0
    assert r.timestamp == dt.datetime.fromtimestamp(1700000000, UTC)
    assert r.register("chain2:Type").value == "CF77"
    assert r.register("chain2:Mystery").value == "x"
    doc = gateway_json.parse(env("CF77", {"A": 1}))[0]
    assert isinstance(doc.message, GenericMessage) and doc.message.TYPE == "CF77"


@pytest.mark.parametrize("code,want", [(1, "F1"), (3, "F3"), (6, "F6"), (0, None), (7, None), (2.0, "F2"),
                                       (2.5, None)])
def test_tariff_code_maps_to_band(code, want):
    r = smc.decode(env("CF1", {"TariffCode": code, "MeasurePosixTimestamp": 1700000000}))
    assert r.tariff == want
    assert r.register("chain2:TariffCode").value == code


def test_timestamp_preference_measure_event_message_ts():
    both = {"MessagePosixTimestamp": 1700000100, "MeasurePosixTimestamp": 1700000000}
    assert smc.decode(env("CF1", both)).timestamp == dt.datetime.fromtimestamp(1700000000, UTC)
    ev = {"MessagePosixTimestamp": 1700000100, "EventPosixTimestamp": 1700000050}
    assert smc.decode(env("CF21", ev)).timestamp == dt.datetime.fromtimestamp(1700000050, UTC)
    assert smc.decode(env("CF21", {"MessagePosixTimestamp": 1700000100})).timestamp == \
        dt.datetime.fromtimestamp(1700000100, UTC)
    # no epoch field: the gateway's Ts, read as UTC
    ts = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert smc.decode(env("CF22", {"InstantPower": 1})).timestamp == ts
    assert smc.decode(env("CF22", {"InstantPower": 1}, Ts=None)).timestamp is None


def test_cf22_countdown_is_a_register():
    r = smc.decode(env("CF22", {"InstantPower": 3700, "AvailablePower": 3300,
                                "SwitchOffCountdownSeconds": 45}))
    reg = r.register(SWITCH_OFF_COUNTDOWN_KEY)
    assert reg.value == 45 and reg.unit == "s"
    assert (r.active_power_import, r.available_power) == (3700.0, 3300.0)


def test_m2_meter_role_is_recorded():
    r = smc.decode(env("CF1", {"InstantPower": 900}, Meter="M2"))
    assert r.register("chain2:Meter").value == "M2"
    assert "production" in r.register("chain2:Meter").description


# ---- DLMS date strings ----------------------------------------------------------------------

@pytest.mark.parametrize("text,complete,wild", [
    ("16/01/2022 12:00:00 [7]", True, ()),
    ("255/255/65535 [255]", False, ("day", "month", "year", "day_of_week")),
    ("01/255/65535 [255]", False, ("month", "year", "day_of_week")),
    ("30/01/2022 09:35:44 [7]", True, ()),
    ("31/12/2023 255:255:255 [7]", False, ("hour", "minute", "second")),
    ("254/03/2024 [255]", False, ("day", "day_of_week")),
])
def test_dlms_date_strings(text, complete, wild):
    d = DlmsDateTime.parse(text)
    assert d.is_complete is complete
    assert d.wildcards == wild
    assert str(d) == text
    assert (d.to_datetime() is not None) == complete


def test_dlms_date_local_time_and_weekday():
    d = DlmsDateTime.parse("16/01/2022 12:00:00 [7]")
    assert d.to_datetime().astimezone(UTC) == dt.datetime(2022, 1, 16, 11, 0, tzinfo=UTC)  # CET
    assert d.day_of_week_consistent is True
    summer = DlmsDateTime.parse("01/07/2022 12:00:00 [5]")
    assert summer.to_datetime().astimezone(UTC).hour == 10  # CEST
    assert DlmsDateTime.parse("16/01/2022 12:00:00 [1]").day_of_week_consistent is False
    assert DlmsDateTime.parse("31/02/2022 [255]").to_datetime() is None  # pattern, not a date


@pytest.mark.parametrize("bad", ["", "2022-01-16", "32/01/2022 [1]", "16/13/2022 [1]",
                                 "16/01/2022 24:00:00 [1]", "16/01/2022 12:60:00 [1]",
                                 "16/01/2022 [8]", "16/01/2022 [0]", "1/1/1 1:1 [1]"])
def test_bad_dlms_date_strings_raise_framing_errors(bad):
    with pytest.raises(smc.FramingError):
        DlmsDateTime.parse(bad)
    # in a message the date feeds no Reading field: kept as sent, the register says why
    # (issue 9 item 6; strictness of Reading-field values: tests/test_chain2_lenient.py)
    r = smc.decode(env("CF10", {"MonthlyMaxQuartAveragePowerDateTime": bad}), format="chain2")
    reg = r.register("chain2:MonthlyMaxQuartAveragePowerDateTime")
    assert reg.value == bad and "MonthlyMaxQuartAveragePowerDateTime" in reg.extra["unexpected_type"]


# ---- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("data,error,fragment", [
    (b'{"Chain2Data": ', smc.FramingError, "invalid JSON"),
    (b'{"Chain2Data":{"Id":"\xff"}}', smc.FramingError, "UTF-8"),
    (b'{"Chain2Data": {"Type": "CF1"}}', smc.FramingError, "no Payload"),
    (b'{"Chain2Data": {"Payload": {}}}', smc.FramingError, "Type"),
    (b'{"Chain2Data": {"Type": "CF1", "Payload": []}}', smc.FramingError, "Payload"),
    (b'{"Chain2Data": []}', smc.FramingError, "JSON object"),
    (b'{"Chain2Data": {"Type": "CF1", "Ts": "01/02/2022", "Payload": {}}}', smc.FramingError, "Ts"),
    (b'{"Chain2Data": {"Type": "CF1", "Ts": "2022/02/30 00:00:00", "Payload": {}}}', smc.FramingError, "Ts"),
    (b'{"Chain2Data": {"Type": "CF1", "Payload": {"InstantPower": "742"}}}', smc.FramingError,
     "InstantPower"),
    (b'{"Chain2Data": {"Type": "CF1", "Payload": {"InstantPower": true}}}', smc.FramingError, "number"),
    (b'{"Chain2Data": {"Type": "CF1", "Payload": {"InstantPower": NaN}}}', smc.FramingError, "finite"),
    (b'{"Chain2Data": {"Type": "CF1", "Payload": {"MeasurePosixTimestamp": 1e300}}}', smc.FramingError,
     "Unix"),
    (b'{"Chain2Data": {"Type": "CF20", "Payload": {"DataPlate": 12}}}', smc.FramingError, "string"),
    (b'{"Chain2Data": {"Type": "CF20", "Payload": {"ContractPower": "3000"}}}', smc.FramingError,
     "ContractPower"),
    (b'{"Chain2Data": {"Type": "CF99", "Payload": {"InstantPower": "1"}}}', smc.FramingError, "InstantPower"),
    (b'{"Something": 1}', smc.UnsupportedError, "Chain2"),
    (b'[1, 2]', smc.UnsupportedError, "object"),
    (b'[' * 100000, smc.FramingError, "JSON"),
])
def test_bad_input_gives_typed_errors(data, error, fragment):
    with pytest.raises(error) as info:
        smc.decode_all(data, format="chain2")
    assert fragment in str(info.value)
    assert info.value.layer.startswith("chain2")


def test_json_error_offsets_are_byte_offsets():
    with pytest.raises(smc.FramingError) as info:
        smc.decode_all('{"Chain2Data": {"Id": "è", x}}'.encode(), format="chain2")
    assert info.value.offset == len('{"Chain2Data": {"Id": "è", '.encode())


# ---- autodetection ----------------------------------------------------------------------------

def test_sniff_claims_only_chain2_json():
    assert CODEC.sniff(CF20_TEXT.encode()) == 95
    assert CODEC.sniff(b'  \n{"Chain2Info":{"Id":"c2g-1"}}') == 95
    bare = json.dumps(FIXTURES["built-bare-cf21"]["raw"]).encode()
    assert CODEC.sniff(bare) == 60
    for other in (b'{"a": 1}', b'[{"timestamp": 1, "value": 2}]', b"\x7e\xa0\x0a", b"", b"Chain2Data",
                  b'{"Type": "CF1"}', b'{"Chain2Data": 1}'):
        assert CODEC.sniff(other) == 0, other
    assert ALFA_CODEC.sniff(bytes(1852)) == 0


def test_sniff_rejects_other_json_corpora():
    foreign = json.loads((ROOT / "fixtures" / "chain2" / "foreign_json.json").read_text())["entries"]
    assert len(foreign) > 30
    for entry in foreign:
        body = entry["body"]
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        assert CODEC.sniff(data) == 0, entry.get("id")


def test_str_json_input_through_the_public_api():
    assert smc.decode(CF20_TEXT).meter_id == "21E4E5KA101249263"
    assert smc.decode(CF20_TEXT.encode()).meter_id == "21E4E5KA101249263"
    assert smc.decode("\ufeff" + CF20_TEXT, format="chain2").meter_id == "21E4E5KA101249263"


def test_formats_lists_both_names():
    names = {f.name for f in smc.formats()}
    assert {"chain2", "chain2-alfa"} <= names


# ---- envelopes ----------------------------------------------------------------------------------

def test_info_and_state_envelopes():
    docs = gateway_json.parse(b'{"Chain2Info":{"Id":"c2g-8E70E3154","Ip":"10.0.0.2","ProgId":3,"X":1}}'
                              b'\n{"Chain2State":{"Anything":[1]}}')
    info, state = docs
    assert isinstance(info, Chain2Info) and info.id == "c2g-8E70E3154" and info.prog_id == 3
    assert info.extra == (("X", 1),)
    assert isinstance(state, Chain2State) and state.extra == (("Anything", [1]),)
    want = {"Id": "c2g-8E70E3154", "Ip": "10.0.0.2", "ProgId": 3, "X": 1}
    assert gateway_json.build(info) == {"Chain2Info": want}
    assert gateway_json.build(state) == {"Chain2State": {"Anything": [1]}}


def test_array_of_envelopes_and_concatenated_messages():
    one = json.dumps(FIXTURES["built-cf21"]["raw"])
    two = json.dumps(FIXTURES["built-cf51"]["raw"])
    assert len(smc.decode_all(f"[{one}, {two}]")) == 2
    assert len(smc.decode_all(one + two)) == 2  # WebSocket messages back to back
    assert len(smc.decode_all(one + "\r\n" + two + "\n")) == 2


# ---- inspect --------------------------------------------------------------------------------------

def test_inspect_tree():
    insp = smc.inspect(CF20_TEXT)
    assert insp.format == "chain2" and insp.error is None
    assert insp.root.find("Chain2Data").value == "CF20"
    assert "3000" in str(insp.root.find("ContractPower").value)
    assert "[W]" in insp.root.find("ContractPower").description
    assert len(insp.readings) == 1 and insp.readings[0].available_power == 3300.0
    assert "POD" in str(insp)


def test_inspect_never_raises_and_reports_the_error():
    insp = CODEC.inspect(b'{"Chain2Data": {"Type": "CF1", "Payload": {"InstantPower": "x"}}}')
    assert isinstance(insp.error, smc.FramingError)
    insp = CODEC.inspect(b"\x00\x01")
    assert isinstance(insp.error, smc.UnsupportedError)


# ---- encode (simulator) ----------------------------------------------------------------------------

def test_encode_hand_built_reading_as_cf1():
    t = dt.datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
    r = smc.Reading(format="chain2", timestamp=t, active_power_import=1500.0, active_energy_import=123456.0,
                    tariff="F1")
    data = smc.encode(r, format="chain2")
    body = json.loads(data)["Chain2Data"]
    assert body["Type"] == "CF1" and body["Meter"] == "M1"
    assert body["Payload"]["InstantPower"] == 1500 and isinstance(body["Payload"]["InstantPower"], int)
    assert body["Payload"]["MeasurePosixTimestamp"] == int(t.timestamp())
    back = smc.decode(data)
    assert (back.timestamp, back.active_power_import, back.active_energy_import, back.tariff) == \
        (t, 1500.0, 123456.0, "F1")


def test_encode_picks_cf20_and_cf22():
    t = dt.datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
    cf20 = smc.Reading(format="chain2", timestamp=t, contracted_power=6000.0, available_power=6600.0,
                       meter_id="X123")
    assert json.loads(smc.encode(cf20, format="chain2"))["Chain2Data"]["Type"] == "CF20"
    cf22 = smc.Reading(format="chain2", timestamp=t, active_power_import=7000.0, available_power=6600.0)
    body = json.loads(smc.encode(cf22, format="chain2"))["Chain2Data"]
    assert body["Type"] == "CF22" and body["Payload"]["AvailablePower"] == 6600


def test_encode_reflects_changed_fields_and_refuses_what_it_cannot_carry():
    r = smc.decode(CF20_TEXT)
    changed = json.loads(smc.encode(r.replace(available_power=6050.0), format="chain2"))
    assert changed["Chain2Data"]["Payload"]["AvailablePower"] == 6050
    assert changed["Chain2Data"]["Payload"]["POD"] == "IT001E01524052  "
    with pytest.raises(ValueError):
        smc.encode(r.replace(voltage_l1=230.0), format="chain2")
    with pytest.raises(ValueError):
        smc.encode(smc.Reading(format="chain2", tariff="T2"), format="chain2")
    with pytest.raises(ValueError):
        smc.encode(smc.Reading(format="chain2", active_power_import=1.0,
                               timestamp=dt.datetime(2024, 1, 1)), format="chain2")


# ---- stream ------------------------------------------------------------------------------------------

def _messages() -> list[bytes]:
    return [json.dumps(e["raw"]).encode() for e in FIXTURES.values() if "Chain2Data" in e["raw"]]


def test_stream_splits_chunks_anywhere():
    data = b"\n".join(_messages()) + b"\n"
    for size in (1, 7, 64, len(data)):
        dec = smc.StreamDecoder(format="chain2")
        items = []
        for i in range(0, len(data), size):
            items.extend(dec.feed(data[i:i + size]))
        assert all(isinstance(x, smc.Reading) for x in items)
        assert len(items) == len(_messages())


def test_stream_resyncs_after_garbage_and_cut_messages():
    msgs = _messages()
    data = b"\x00\xffgarbage{" + msgs[0][:40] + msgs[1] + b"}}}not json" + msgs[2]
    items = list(smc.StreamDecoder(format="chain2").feed(data))
    readings = [x for x in items if isinstance(x, smc.Reading)]
    errors = [x for x in items if isinstance(x, smc.DecodeError)]
    assert [r.register("chain2:Type").value for r in readings] == [
        json.loads(msgs[1])["Chain2Data"]["Type"], json.loads(msgs[2])["Chain2Data"]["Type"]]
    assert errors and all(isinstance(e, smc.FramingError) for e in errors)


def test_stream_reports_bad_payloads_and_stays_bounded():
    dec = CODEC.stream()
    bad = env("CF1", {"InstantPower": "x"})
    items = dec.feed(bad + _messages()[0])
    assert isinstance(items[0], smc.FramingError) and isinstance(items[1], smc.Reading)
    items = dec.feed(b'{"Chain2Data": {"Payload": "' + b"a" * 70000)
    assert any(isinstance(i, smc.FramingError) for i in items)
    assert dec._splitter.buffered < 1024
    assert isinstance(dec.feed(_messages()[0])[-1], smc.Reading)


def test_stream_autodetect_locks_to_chain2():
    dec = smc.StreamDecoder()
    items = list(dec.feed(b"\n".join(_messages())))
    assert dec.format == "chain2"
    assert sum(isinstance(i, smc.Reading) for i in items) == len(_messages())


def test_alfa_has_no_stream():
    assert ALFA_CODEC.stream() is None


# ---- raw-frame seam -------------------------------------------------------------------------------------

def test_raw_frames_are_unsupported_with_an_explanation():
    with pytest.raises(smc.UnsupportedError) as info:
        smc.decode(b"\x68\x00\x01\x02", format="chain2")
    assert "not publicly documented" in str(info.value)
    assert info.value.recognised == {"first_byte": 0x68}


def test_dlms_apdus_route_to_the_dlms_codec():
    apdu = bytes.fromhex("0f0000000100") + b"\x09\x04abcd"
    calls = []

    class FakeDlms:
        def decode_all(self, data, *, keys, profile):
            calls.append((data, keys, profile))
            return [smc.Reading(format="dlms", active_power_import=42.0)]

    out = raw.decode_raw_frame(apdu, keys=None, profile="p", codec_lookup=lambda name: FakeDlms())
    assert calls == [(apdu, None, "p")]
    assert out == [smc.Reading(format="chain2", active_power_import=42.0)]


def test_dlms_apdu_without_dlms_codec_is_a_clear_unsupported_error():
    def missing(name):
        raise KeyError(name)

    with pytest.raises(smc.UnsupportedError) as info:
        raw.decode_raw_frame(b"\xdb\x08", keys=None, profile=None, codec_lookup=missing)
    assert "dlms" in str(info.value) and info.value.recognised == {"apdu": "general-glo-ciphering"}


def test_registry_points_at_these_codecs():
    assert get_codec("chain2") is CODEC and get_codec("chain2-alfa") is ALFA_CODEC
    from smartmeter_codecs.chain2 import tariff_band  # the documented import path
    assert callable(tariff_band)
    assert isinstance(CF22(switch_off_countdown=5).to_payload(), dict)


def test_huge_integers_are_framing_errors_not_overflows():
    data = b'{"Chain2Data":{"Type":"CF1","Payload":{"InstantPower":1' + b"0" * 400 + b"}}}"
    with pytest.raises(smc.FramingError) as info:
        smc.decode(data, format="chain2")
    assert "out of range" in str(info.value)


def test_hand_built_countdown_becomes_cf22():
    t = dt.datetime(2024, 1, 1, tzinfo=UTC)
    r = smc.Reading(format="chain2", timestamp=t, active_power_import=4000.0, available_power=3300.0,
                    registers=(smc.Register(SWITCH_OFF_COUNTDOWN_KEY, 60, "s"),))
    back = smc.decode(smc.encode(r, format="chain2"), format="chain2")
    assert back.register("chain2:Type").value == "CF22"
    assert back.register(SWITCH_OFF_COUNTDOWN_KEY).value == 60
    assert (back.active_power_import, back.available_power, back.timestamp) == (4000.0, 3300.0, t)


def test_empty_array_is_no_reading_and_blank_input_is_an_error():
    assert smc.decode_all(b"[]", format="chain2") == []
    with pytest.raises(smc.UnsupportedError):
        smc.decode(b"[ ]", format="chain2")
    with pytest.raises(smc.DecodeError):
        smc.decode_all(b"  \n", format="chain2")


def test_type_codes_are_case_insensitive():
    r = smc.decode(env("cf1", {"InstantPower": 640, "TariffCode": 3}), format="chain2")
    assert (r.active_power_import, r.tariff) == (640.0, "F3")
    assert r.register("chain2:Type").value == "cf1"  # kept as sent
    assert isinstance(gateway_json.parse(env("cf1", {}))[0].message, CF1)
