"""Property tests for the SMGW formats: any input -> Reading(s) or DecodeError; exact scaling
over value/scaler/unit combinations; every timestamp form; round trips through encode."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.dlms.units import UNITS
from smartmeter_codecs.smgw.times import format_time, parse_time

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["method", "readings", "channels", "obis", "value", "scaler", "unit", "values",
                         "logical_name", "capture_time", "status", "usage-point-info", "databases", "target-time",
                         "signature", "cosem-status", "smgw-info", "log", "entries", "x"]) | st.text(max_size=6),
        inner, max_size=5),
    max_leaves=25)
methods = st.sampled_from(["readings", "usage-point-info", "smgw-info", "user-info", "log", "self-test", "x"])


def _decodes_or_typed_error(data, fmt):
    insp = smc.inspect(data, format=fmt)  # never raises: shows what was understood, sets error
    assert insp.error is None or isinstance(insp.error, smc.DecodeError)
    try:
        readings = smc.decode_all(data, format=fmt)
    except smc.DecodeError:
        return
    except ValueError as err:  # only for a bad *argument*; never for bad input
        raise AssertionError(f"ValueError for input: {err}") from err
    assert all(isinstance(r, smc.Reading) for r in readings)
    for r in readings:
        json.dumps(r.to_dict())  # every Reading is JSON-ready


@SETTINGS
@given(json_values, st.sampled_from([None, "smgw-han", "trudi-xml"]))
def test_any_json_gives_readings_or_decode_error(doc, fmt):
    _decodes_or_typed_error(json.dumps(doc), fmt)


@SETTINGS
@given(methods, json_values)
def test_any_theben_shaped_json_gives_readings_or_decode_error(method, result):
    _decodes_or_typed_error(json.dumps({"method": method, "version": "1.3.0", method: result}), "smgw-han")


@SETTINGS
@given(st.text(max_size=200), st.sampled_from([None, "smgw-han", "trudi-xml"]))
def test_any_text_gives_readings_or_decode_error(text, fmt):
    _decodes_or_typed_error(text, fmt)


@SETTINGS
@given(st.binary(max_size=300), st.sampled_from(["smgw-han", "trudi-xml"]))
def test_any_bytes_gives_readings_or_decode_error(data, fmt):
    _decodes_or_typed_error(data, fmt)


xml_parts = st.lists(st.sampled_from([
    "<UsagePoint>", "</UsagePoint>", "<MeterReading>", "</MeterReading>", "<ReadingType>", "</ReadingType>",
    "<espi:uom>72</espi:uom>", "<scaler>-1</scaler>", "<obisCode>0100010800ff</obisCode>", "<IntervalBlock>",
    "</IntervalBlock>", "<IntervalReading>", "</IntervalReading>", "<espi:value>12</espi:value>",
    "<timePeriod><start>2017-06-26T11:30:00+02:00</start></timePeriod>", "<statusFNN>0000010500100504</statusFNN>",
    "<espi:value>x</espi:value>", "&amp;", "<![CDATA[1]]>", "<scaler>99999</scaler>"]), max_size=25)


@SETTINGS
@given(xml_parts)
def test_any_trudi_shaped_xml_gives_readings_or_decode_error(parts):
    doc = ('<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd" xmlns:espi="http://naesb.org/espi">'
           + "".join(parts) + "</UsagePoints>")
    _decodes_or_typed_error(doc.encode(), None)


@SETTINGS
@given(st.integers(-10**20, 10**20), st.integers(-12, 12), st.sampled_from(sorted(c for c in UNITS if c < 253)),
       st.sampled_from(["0100010800ff", "0100020800ff", "0100100700ff", "0100200700ff", "01000e0700ff", "0000010000ff"]),
       st.booleans())
def test_value_scaler_unit_combinations_are_exact(raw, scaler, unit, obis, as_strings):
    item = {"logical_name": f"{obis}.1emh1234567890.sm", "value": str(raw),
            "scaler": str(scaler) if as_strings else scaler, "unit": str(unit) if as_strings else unit}
    r = smc.decode(json.dumps({"capture_time": "2026-04-03T18:14:43+02:00", "status": "a000000010229100",
                               "values": [item]}))
    reg = r.registers[0]
    assert reg.value == Decimal(raw).scaleb(scaler) and reg.unit == UNITS[unit]
    assert isinstance(reg.value, int if scaler >= 0 else Decimal)
    field = {"0100010800ff": "active_energy_import", "0100020800ff": "active_energy_export",
             "0100200700ff": "voltage_l1", "01000e0700ff": "frequency"}.get(obis)
    wants = {"active_energy_import": "Wh", "active_energy_export": "Wh", "voltage_l1": "V", "frequency": "Hz"}
    if field is not None:
        got = getattr(r, field)
        if UNITS[unit] != wants[field]:
            assert got is None  # wrong unit: never a quantity
        elif got is not None:  # (the plausibility screen may reject an absurd value)
            assert got == float(Decimal(raw).scaleb(scaler))
    assert smc.decode(smc.encode(r, format="smgw-han")) == r


offsets = st.one_of(st.none(), st.just(dt.timezone.utc),
                    st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m))))
datetimes = st.builds(lambda d, tz: d.replace(tzinfo=tz),
                      st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31)).map(lambda d: d.replace(microsecond=0)),
                      offsets)


@SETTINGS
@given(datetimes)
def test_every_timestamp_form(when):
    text = format_time(when)
    back = parse_time(text, "t")
    assert back == when and (back.utcoffset() is None) == (when.utcoffset() is None)
    doc = {"method": "readings", "readings": {"channels": [{"obis": "0100010800ff", "readings": [
        {"capture-time": text, "target-time": text, "value": "1"}]}]}}
    upi = {"method": "usage-point-info", "usage-point-info": {"databases": [
        {"database": "origin", "channels": [{"obis": "0100010800ff", "scaler": "0", "unit": "30"}]}]}}
    r = smc.decode(json.dumps([upi, doc]))
    assert r.timestamp == when and (r.timestamp.tzinfo is None) == (when.tzinfo is None)
    assert smc.decode(smc.encode(r, format="smgw-han")) == r


readings = st.builds(
    smc.Reading, format=st.just("x"), timestamp=datetimes,
    meter_id=st.one_of(st.none(), st.just("1emh1234567890")),
    active_energy_import=st.one_of(st.none(), st.integers(0, 10**11).map(lambda x: x / 10)),
    active_energy_export=st.one_of(st.none(), st.integers(0, 10**11).map(lambda x: x / 10)),
    active_power_import=st.one_of(st.none(), st.integers(0, 40000).map(float)),
    voltage_l2=st.one_of(st.none(), st.integers(2000, 2600).map(lambda x: x / 10)),
    current_l3=st.one_of(st.none(), st.integers(-6300, 6300).map(lambda x: x / 100)),
    frequency=st.just(50.01))

FIELDS = ("active_energy_import", "active_energy_export", "active_power_import", "voltage_l2", "current_l3",
          "frequency", "timestamp", "meter_id")


@SETTINGS
@given(readings, st.sampled_from([("smgw-han", "theben"), ("smgw-han", "emh"), ("trudi-xml", None)]))
def test_hand_built_readings_round_trip(reading, target):
    fmt, profile = target
    back = smc.decode(smc.encode(reading, format=fmt, profile=profile))
    for name in FIELDS:
        assert getattr(back, name) == getattr(reading, name), name
    assert smc.decode(smc.encode(back, format=fmt, profile=profile)) == back
