"""Chain 2 JSON leniency (issue 9 item 6): a field of an unexpected JSON type in a place that
feeds no Reading field is kept raw and the rest decodes; Reading-field values stay strict."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.chain2 import MESSAGE_TYPES
from smartmeter_codecs.chain2.mapping import READING_FIELDS, TIMESTAMP_KEYS
from smartmeter_codecs.chain2.messages import FIELD_INDEX, STRICT_KEYS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# a real CF1 shape (research/chain2.md 3.3; r0bb10/chain2gate_ha) with the values a wallbox uses
BASE = {"MessagePosixTimestamp": 1643687572, "MeasurePosixTimestamp": 1643687100, "TariffCode": 3,
        "CurrQuartActEnergy": 12, "PrevQuartActEnergy": 180, "InstantPower": 742,
        "QuartAveragePower": 720, "TotalActEnergy": 12604000}


def envelope(type_: str, payload: dict, **over) -> bytes:
    body = {"Id": "c2g-8E70E3154", "Ts": "2022/02/01 03:52:52", "Meter": "M1", "Type": type_,
            "Payload": payload}
    body.update(over)
    return json.dumps({"Chain2Data": body}).encode()


def test_strict_keys_are_exactly_what_feeds_reading_fields():
    assert STRICT_KEYS == {*READING_FIELDS, "TariffCode", "DataPlate", *TIMESTAMP_KEYS}


def test_numeric_customer_code_keeps_the_message():
    payload = {"MessagePosixTimestamp": 1643677200, "EventType": 1, "EventPosixTimestamp": 1643670000,
               "EventsCounter": 1, "CustomerCode": 12345678, "POD": "IT001E01524052  ",
               "ContractPower": 3000, "AvailablePower": 3300, "DataPlate": "1234567890"}
    r = smc.decode(envelope("CF20", payload), format="chain2")
    assert (r.contracted_power, r.available_power, r.meter_id) == (3000.0, 3300.0, "1234567890")
    reg = r.register("chain2:CustomerCode")
    assert reg.value == 12345678 and reg.unit is None
    assert "expected a string" in reg.extra["unexpected_type"] and "CustomerCode" in reg.extra["unexpected_type"]
    assert "unexpected JSON type" in reg.description
    # the message round-trips as sent
    assert json.loads(smc.encode(r, format="chain2")) == json.loads(envelope("CF20", payload))


@pytest.mark.parametrize("key,value", [
    ("CurrQuartActEnergy", "12"),            # a string where a number was expected
    ("QuartAveragePower", True),
    ("PrevQuartActEnergy", [1, 2]),
    ("InstantProdPower", {"v": 1}),
    ("TotalProdActEnergy", float("nan")),    # Python's json reads NaN
    ("CurrQuartInductiveReactEnergy", 10**30),
])
def test_unmapped_numbers_of_the_wrong_type_are_kept_raw(key, value):
    r = smc.decode(envelope("CF1", {**BASE, key: value}), format="chain2")
    assert (r.active_power_import, r.active_energy_import, r.tariff) == (742.0, 12604000.0, "F3")
    reg = r.register(f"chain2:{key}")
    assert reg.extra["unexpected_type"]
    raw = reg.extra.get("json", reg.value)
    assert raw == value or (isinstance(value, float) and math.isnan(raw))


def test_envelope_fields_of_the_wrong_type():
    r = smc.decode(envelope("CF1", BASE, Id=5, Meter=["M1"], Ts=1643687572), format="chain2")
    assert r.active_power_import == 742.0
    assert r.register("chain2:Id").value == 5 and "Id" in r.register("chain2:Id").extra["unexpected_type"]
    assert r.register("chain2:Meter").extra["unexpected_type"]
    assert r.register("chain2:Ts").value == 1643687572 and r.timestamp.timestamp() == 1643687100
    # without a payload time the envelope clock IS the timestamp: strict
    with pytest.raises(smc.FramingError, match="Ts"):
        smc.decode(envelope("CF1", {"InstantPower": 5}, Ts=1643687572), format="chain2")


@pytest.mark.parametrize("key,value", [
    ("InstantPower", "742"), ("TotalActEnergy", "x"), ("TariffCode", "F3"),
    ("MeasurePosixTimestamp", "2022-02-01"), ("MessagePosixTimestamp", [1]),
])
def test_values_that_feed_reading_fields_stay_strict(key, value):
    with pytest.raises(smc.FramingError) as info:
        smc.decode(envelope("CF1", {**BASE, key: value}), format="chain2")
    assert key in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
_LENIENT = sorted({s.key for cls in MESSAGE_TYPES.values() for s in cls.FIELDS} - STRICT_KEYS)


@SETTINGS
@given(type_=st.sampled_from(sorted(MESSAGE_TYPES)), key=st.sampled_from(_LENIENT + ["SomethingNew", "Id", "Meter"]),
       value=json_values)
def test_any_json_value_in_any_non_essential_field_still_gives_a_reading(type_, key, value):
    payload = {"MessagePosixTimestamp": 1643687572, "InstantPower": 742}
    if key in ("Id", "Meter"):
        data = envelope(type_, payload, **{key: value})
    else:
        data = envelope(type_, {**payload, key: value})
    r = smc.decode(data, format="chain2")
    assert r.timestamp.timestamp() == 1643687572
    # InstantPower is interpreted in every type that lists it; otherwise it stays a register
    if FIELD_INDEX["InstantPower"] in MESSAGE_TYPES[type_].FIELDS:
        assert r.active_power_import == 742.0
    assert r.register(f"chain2:{key}") is not None or value is None
