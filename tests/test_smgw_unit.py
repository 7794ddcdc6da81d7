"""SMGW decoder behaviour beyond the corpus: request builders, every timestamp form, status
words, exact values, typed errors naming the field, series, CMS and XML safety.

Responses built here follow the documented shapes (IF_GW_CON v1.4, the EMH captures); they
prove decoder behaviour, not device behaviour.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.api import to_bytes
from smartmeter_codecs.smgw import cms, emh, theben, trudi
from smartmeter_codecs.smgw.status import parse_status, parse_word
from smartmeter_codecs.smgw.times import format_time, parse_time
from smartmeter_codecs.smgw.values import parse_int, parse_logical_name

UTC = dt.timezone.utc


def tz(h: int, m: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=h, minutes=m))


# ---- times (IF_GW_CON) ---------------------------------------------------------------------

@pytest.mark.parametrize("text, want", [
    ("2019-01-07T15:22:45Z", dt.datetime(2019, 1, 7, 15, 22, 45, tzinfo=UTC)),
    ("2019-01-07T15:22:45+01:00", dt.datetime(2019, 1, 7, 15, 22, 45, tzinfo=tz(1))),
    ("2019-01-07T15:22:45-01:00", dt.datetime(2019, 1, 7, 15, 22, 45, tzinfo=tz(-1))),
    ("2019-01-07T15:22:45", dt.datetime(2019, 1, 7, 15, 22, 45)),          # naive stays naive
    ("2026-04-03T18:14:43+02:00", dt.datetime(2026, 4, 3, 18, 14, 43, tzinfo=tz(2))),
    ("2019-01-07", dt.date(2019, 1, 7)),
    ("2019-01-07Z", dt.datetime(2019, 1, 7, tzinfo=UTC)),
    ("2019-01-07+1:00", dt.datetime(2019, 1, 7, tzinfo=tz(1))),             # one-digit hour (spec example)
    ("15:22:45", dt.time(15, 22, 45)),
    ("15:22:45Z", dt.time(15, 22, 45, tzinfo=UTC)),
    ("15:22:45+01:00", dt.time(15, 22, 45, tzinfo=tz(1))),
    ("2019-01-07T15:22:45.250Z", dt.datetime(2019, 1, 7, 15, 22, 45, 250000, tzinfo=UTC)),
])
def test_time_forms(text, want):
    got = parse_time(text, "t")
    assert got == want and type(got) is type(want)
    assert getattr(got, "tzinfo", None) == getattr(want, "tzinfo", None)


@pytest.mark.parametrize("text", ["2019-13-07T00:00:00Z", "2019-01-07T25:00:00", "07.01.2019", "", "2019-01-07T1:2:3",
                                  "2019-01-07T15:22:45+15:00"])
def test_bad_times_name_the_field(text):
    with pytest.raises(smc.FramingError, match="capture-time"):
        parse_time(text, "capture-time")


def test_format_time():
    assert format_time(dt.datetime(2024, 3, 1, 0, 0, tzinfo=UTC)) == "2024-03-01T00:00:00Z"
    assert format_time(dt.datetime(2024, 3, 1, 0, 0, tzinfo=tz(1))) == "2024-03-01T00:00:00+01:00"
    assert format_time(dt.datetime(2024, 3, 1, 0, 0)) == "2024-03-01T00:00:00"


# ---- status words ----------------------------------------------------------------------------------

def test_status_words_bit_order_from_the_fnn_mask():
    st = parse_status("a0000000208c3800", "s")  # Theben field capture
    assert st.smgw.bit_order == "msb0" and st.smgw.flags == ()
    assert st.meter.bit_order == "msb0"
    assert st.meter.flags == ("start_up", "energy_direction_l1_negative", "energy_direction_l2_negative",
                              "voltage_l1_present", "voltage_l2_present", "voltage_l3_present")
    assert parse_word("e0020000", "s", meter=False).flags == ("transparency", "ptb_temporary_error_invalid")
    trudi_word = parse_word("00100504", "s", meter=True)  # TRuDI example: fits as written
    assert trudi_word.bit_order == "lsb0"
    for unknown in ("00000000", "10229100"):  # fits neither way: raw only, no names guessed
        w = parse_word(unknown, "s", meter=True)
        assert w.bit_order is None and w.flags == () and w.raw == unknown
    odd = parse_status("a0000000000000", "s")  # 14 digits (EMH fixture): not split
    assert odd.smgw is None and odd.meter is None and odd.raw == "a0000000000000"
    with pytest.raises(smc.FramingError, match="status"):
        parse_status("zz", "status")


# ---- values ------------------------------------------------------------------------------------------

def test_values_are_exact_and_strict():
    assert parse_int("171165808", "v") == 171165808 and parse_int(-5, "v") == -5
    for bad in ("1.5", 1.5, True, "12a", "", None, "1e3"):
        with pytest.raises(smc.FramingError, match="value"):
            parse_int(bad, "value")
    name = parse_logical_name("0100010800ff.0551010038180402.sm", "obis")
    assert name.obis == smc.ObisCode.parse("1-0:1.8.0") and name.owner == "0551010038180402"
    assert parse_logical_name("0100010800ff", "obis").owner is None
    assert parse_logical_name("01005e318021.taf1-1.sm", "u").owner == "taf1-1"
    with pytest.raises(smc.FramingError, match="obis"):
        parse_logical_name("1-0:1.8.0", "obis")


def emh_doc(*values, capture="2026-04-03T18:14:43+02:00", status="a000000010229100"):
    return json.dumps({"capture_time": capture, "status": status, "timestamp": capture, "values": list(values)})


def v(obis, value, scaler, unit, meter="1emh1234567890", sig="8e69"):
    return {"logical_name": f"{obis}.{meter}.sm", "value": value, "scaler": scaler, "unit": unit, "signature": sig}


def test_large_register_keeps_every_digit():
    r = smc.decode(emh_doc(v("0100010800ff", "123456789012345678", -4, 30)))
    reg = r.register("1-0:1.8.0")
    assert reg.value == Decimal("12345678901234.5678")  # a float would have lost digits
    assert r.to_dict()["registers"][0]["value"] == "12345678901234.5678"  # JSON keeps it exact too
    assert r.active_energy_import is None and "implausible" in r.quality  # > 1e13 Wh: the screen


def test_emh_mapping_all_quantities_and_string_forms():
    r = smc.decode(emh_doc(
        v("0100010800ff", "12345678", "-1", "30"), v("0100020800ff", "500", 0, 30),
        v("0100100700ff", "-1500", 0, 27),            # signed sum: feeding in 1.5 kW
        v("0100240700ff", "-500", 0, 27), v("0100380700ff", "200", 0, 27), v("01004c0700ff", "-1200", 0, 27),
        v("01001f0700ff", "512", -2, 33), v("0100200700ff", "2301", -1, 35), v("0100340700ff", "2297", -1, 35),
        v("0100480700ff", "2310", -1, 35), v("01000e0700ff", "4999", -2, 44), v("01000d0700ff", "98", -2, 255)))
    assert (r.active_energy_import, r.active_energy_export) == (1234567.8, 500.0)
    assert (r.active_power_import, r.active_power_export) == (0.0, 1500.0)
    assert (r.active_power_import_l1, r.active_power_export_l1) == (0.0, 500.0)
    assert (r.active_power_import_l2, r.active_power_export_l2) == (200.0, 0.0)
    assert (r.active_power_import_l3, r.active_power_export_l3) == (0.0, 1200.0)
    assert (r.current_l1, r.voltage_l1, r.voltage_l2, r.voltage_l3) == (5.12, 230.1, 229.7, 231.0)
    assert (r.frequency, r.power_factor) == (49.99, 0.98)
    assert r.timestamp == dt.datetime(2026, 4, 3, 18, 14, 43, tzinfo=tz(2)) and r.meter_id == "1emh1234567890"
    reg = r.register("1-0:1.8.0")
    assert reg.extra["signature"] == b"\x8e\x69" and reg.extra["status"] == "a000000010229100"
    assert reg.extra["unit_code"] == 30 and reg.extra["scaler"] == -1


def test_unit_mismatch_is_not_a_quantity():
    r = smc.decode(emh_doc(v("0100010800ff", "1000", 0, 27)))  # 1.8.0 "in W": meaning unsettled
    assert r.active_energy_import is None and r.active_power_import is None
    assert "unit mismatch" in r.quality and r.register("1-0:1.8.0").value == 1000


@pytest.mark.parametrize("doc, exc, field", [
    (emh_doc(v("0100010800ff", "12a", -1, 30)), smc.FramingError, "values[0].value"),
    (emh_doc(v("0100010800ff", "12", -1, 99)), smc.UnsupportedError, "values[0].unit"),
    (emh_doc(v("0100010800ff", "12", 999, 30)), smc.FramingError, "values[0].scaler"),
    (emh_doc({"logical_name": "0100010800ff.x.sm", "scaler": 0, "unit": 30}), smc.FramingError, "values[0].value"),
    (emh_doc(v("0100010800ff", 1.5, 0, 30)), smc.FramingError, "values[0].value"),
    (emh_doc(v("0100010800ff", "1", 0, 30), capture="yesterday"), smc.FramingError, "capture_time"),
])
def test_typed_errors_name_the_field(doc, exc, field):
    with pytest.raises(exc) as err:
        smc.decode_all(doc)
    assert field in str(err.value) and err.value.layer == "smgw"


# ---- Theben -------------------------------------------------------------------------------------------

UPI = {"method": "usage-point-info", "version": "1.3.0", "usage-point-info": {
    "usage-point-id": "01005e318027.taf7-1.sm", "databases": [{"database": "origin", "channels": [
        {"obis": "0100010800ff", "scaler": -1, "unit": 30},             # integer forms
        {"obis": "0100020800ff.1lgz0067558611.sm", "scaler": "-1", "unit": "30"}]}]}}


def theben_readings(times, values_in, values_out, with_suffix=True):
    suffix = ".1lgz0067558611.sm" if with_suffix else ""

    def chan(obis, vals):
        return {"obis": obis + suffix, "readings": [
            {"capture-time": t, "target-time": t, "value": str(x), "cosem-status": "a0000000208c3800",
             "smgw-status": "a0000000", "meter-status": "208c3800", "owner-number": "1lgz0067558611.sm",
             "signature": None} for t, x in zip(times, vals)]}
    return {"method": "readings", "version": "1.3.0", "elapsed-time": "5 miliseconds",
            "readings": {"channels": [chan("0100010800ff", values_in), chan("0100020800ff", values_out)],
                         "records": str(2 * len(times))}}


@pytest.mark.parametrize("suffix", [True, False])
def test_theben_taf7_series_gives_one_reading_per_time_point(suffix):
    times = ["2026-08-14T18:45:00Z", "2026-08-14T18:15:00Z", "2026-08-14T18:30:00Z"]  # unordered on purpose
    doc = theben_readings(times, [171166000, 171165000, 171165808], [5003, 5000, 5003], suffix)
    rs = smc.decode_all(json.dumps([UPI, doc]))
    assert [r.timestamp.minute for r in rs] == [15, 30, 45]
    assert [r.active_energy_import for r in rs] == [17116500.0, 17116580.8, 17116600.0]
    assert rs[0].interval is None and rs[0].active_energy_import_delta is None
    assert [r.interval for r in rs[1:]] == [dt.timedelta(minutes=15)] * 2
    assert [r.active_energy_import_delta for r in rs[1:]] == [80.8, 19.2]
    assert [r.active_energy_export_delta for r in rs[1:]] == [0.3, 0.0]
    assert all(r.meter_id == "1lgz0067558611" for r in rs)


def test_theben_naive_times_stay_naive():
    doc = theben_readings(["2026-08-14T18:15:00", "2026-08-14T18:30:00"], [10, 20], [0, 0])
    rs = smc.decode_all(json.dumps([UPI, doc]))
    assert rs[1].timestamp == dt.datetime(2026, 8, 14, 18, 30) and rs[1].timestamp.tzinfo is None
    assert "no zone assumed" in rs[1].quality and rs[1].interval == dt.timedelta(minutes=15)


def test_theben_counter_going_backwards_gives_no_delta():
    doc = theben_readings(["2026-08-14T18:15:00Z", "2026-08-14T18:30:00Z"], [20, 10], [0, 0])
    r = smc.decode_all(json.dumps([UPI, doc]))[1]
    assert r.active_energy_import_delta is None and "went backwards" in r.quality


def test_theben_databases_that_disagree_leave_values_unscaled():
    upi = json.loads(json.dumps(UPI))
    upi["usage-point-info"]["databases"].append(
        {"database": "daily", "channels": [{"obis": "0100010800ff", "scaler": "0", "unit": "30"}]})
    r = smc.decode_all(json.dumps([upi, theben_readings(["2026-08-14T18:15:00Z"], [10], [0])]))[0]
    assert r.active_energy_import is None and r.register("1-0:1.8.0").extra["scaled"] is False


def test_theben_request_bodies():
    assert theben.smgw_info_request() == b'{"method":"smgw-info"}'
    assert json.loads(theben.usage_point_info_request("01005e318021.taf1-1.sm", "origin")) == {
        "method": "usage-point-info", "usage-point-id": "01005e318021.taf1-1.sm", "database": "origin"}
    body = json.loads(theben.readings_request(
        "01005e318027.taf7-1.sm", channels=["0100010800ff"],
        fromtime=dt.datetime(2026, 8, 1, tzinfo=UTC), totime=dt.datetime(2026, 8, 31, 22, tzinfo=tz(2))))
    assert body == {"method": "readings", "usage-point-id": "01005e318027.taf7-1.sm", "database": "origin",
                    "channels": [{"channel": "0100010800ff"}], "fromtime": "2026-08-01T00:00:00Z",
                    "totime": "2026-08-31T22:00:00+02:00"}
    assert json.loads(theben.log_request(fromindex=10, count=1500)) == {"method": "log", "fromindex": 10, "count": 1500}
    assert theben.json_path("consumer1.sm") == "/smgw/m2m/consumer1.sm/json"
    assert theben.userid_from_location("https://10.11.120.2/smgw/m2m/ETHE0300186023.sm/json") == "ETHE0300186023.sm"


@pytest.mark.parametrize("call", [
    lambda: theben.readings_request("x", fromtime=dt.datetime(2026, 1, 1, tzinfo=UTC),
                                    totime=dt.datetime(2026, 2, 2, tzinfo=UTC)),       # > 31 days
    lambda: theben.readings_request("x", fromtime=dt.datetime(2026, 1, 2), totime=dt.datetime(2026, 1, 1)),
    lambda: theben.readings_request("x", fromtime=dt.datetime(2026, 1, 1), totime=dt.datetime(2026, 1, 2, tzinfo=UTC)),
    lambda: theben.readings_request("x", "monthly"),
    lambda: theben.readings_request("", "origin"),
    lambda: theben.log_request(count=1501),
    lambda: theben.log_request(fromindex=1, fromtime=dt.datetime(2026, 1, 1)),
    lambda: theben.json_path("a/b"),
    lambda: theben.request("reboot"),
])
def test_theben_request_mistakes(call):
    with pytest.raises(ValueError):
        call()


def test_theben_unknown_method_and_missing_result():
    with pytest.raises(smc.UnsupportedError):
        theben.parse_response({"method": "reboot", "version": "1.3.0"})
    with pytest.raises(smc.FramingError, match="readings"):
        smc.decode_all('{"method":"readings","version":"1.3.0"}')
    with pytest.raises(smc.FramingError, match=r"readings.channels\[0\].readings\[0\].value"):
        smc.decode_all('{"method":"readings","readings":{"channels":[{"obis":"0100010800ff","readings":[{}]}]}}')


# ---- EMH ----------------------------------------------------------------------------------------------

def test_emh_derived_and_paths():
    resp = emh.parse_response({"taf_type": "TAF-1", "sensor_domains": ["1emh1234567890"]})
    assert resp == emh.DerivedContract("TAF-1", ("1emh1234567890",), ())
    assert smc.decode_all('{"taf_type":"TAF-1","sensor_domains":["1emh1234567890"]}') == []
    assert emh.extended_path("1emh1234567890") == "/json/metering/origin/1emh1234567890/extended"
    assert emh.derived_path("c1") == "/json/metering/derived/c1"
    several = smc.decode_all(json.dumps([json.loads(emh_doc(v("0100010800ff", "1", 0, 30))),
                                         json.loads(emh_doc(v("0100010800ff", "2", 0, 30, meter="1emh1234567891"),
                                                            capture="2026-04-03T18:15:00+02:00"))]))
    assert [r.meter_id for r in several] == ["1emh1234567890", "1emh1234567891"]


# ---- TRuDI / DKE / CMS ---------------------------------------------------------------------------------

DKE = (b'<?xml version="1.0" encoding="UTF-8"?><ns1:object class_id="7" id="01005e31803c.1lgz1.sm" '
       b'xmlns:ns1="urn:k461-dke-de:profile_generic-1" xmlns:ns2="urn:k461-dke-de:extension-1"><ns1:attributes>'
       b'<ns1:capture_objects><ns1:capture_object id="1"><ns2:logical_name>0100010800ff.1lgz1.sm</ns2:logical_name>'
       b'<ns2:class_id>32822</ns2:class_id></ns1:capture_object></ns1:capture_objects><ns1:buffer><ns1:simple_data>'
       b'<ns1:column id="1"><ns1:entry_gateway_signed id="1"><ns2:value><ns2:long64>10000000</ns2:long64></ns2:value>'
       b'<ns2:scaler>-1</ns2:scaler><ns2:unit>30</ns2:unit><ns2:status><ns2:unsigned>0</ns2:unsigned></ns2:status>'
       b'<ns2:capture_time>2026-05-14T22:00:01Z</ns2:capture_time></ns1:entry_gateway_signed>'
       b'<ns1:entry_gateway_signed id="2"><ns2:value><ns2:long64>10000100</ns2:long64></ns2:value>'
       b'<ns2:scaler>-1</ns2:scaler><ns2:unit>30</ns2:unit><ns2:status><ns2:unsigned>4</ns2:unsigned></ns2:status>'
       b'<ns2:capture_time>2026-05-14T22:15:01Z</ns2:capture_time></ns1:entry_gateway_signed>'
       b'</ns1:column></ns1:simple_data></ns1:buffer></ns1:attributes></ns1:object>')


def test_dke_invalid_status_is_not_a_quantity():
    rs = smc.decode_all(DKE)
    assert rs[0].active_energy_import == 1000000.0
    assert rs[1].active_energy_import is None and "invalid per the document" in rs[1].quality
    assert rs[1].register("1-0:1.8.0").extra["dke_status"] == 4


def _signed(content: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Guetesiegel test")])
    now = dt.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return (pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


def test_dke_inside_a_real_cms_signed_data():
    der = _signed(DKE)
    assert cms.signed_content(der)[0] == DKE
    rs = smc.decode_all(der)  # autodetected: trudi-xml, not dlms
    assert rs[0].format == "trudi-xml" and rs[0].active_energy_import == 1000000.0
    assert smc.decode_all(der.hex())[0] == rs[0]  # Theben's taf-profile is the hex of it
    insp = smc.inspect(der)
    assert insp.error is None and insp.root.children[0].name == "cms"


def test_cms_ber_indefinite_lengths_and_chunks():
    oid = bytes.fromhex("06092a864886f70d010702")
    data_oid = bytes.fromhex("06092a864886f70d010701")
    chunks = b"".join(bytes([0x04, len(DKE[i:i + 100])]) + DKE[i:i + 100] for i in range(0, len(DKE), 100))
    ber = (b"\x30\x80" + oid + b"\xa0\x80\x30\x80\x02\x01\x01\x31\x00\x30\x80" + data_oid + b"\xa0\x80\x24\x80"
           + chunks + b"\x00\x00" * 3 + b"\x31\x00" + b"\x00\x00" * 3)
    assert cms.signed_content(ber)[0] == DKE
    with pytest.raises(smc.IncompleteError):
        cms.signed_content(ber[:40])
    with pytest.raises(smc.FramingError):
        cms.signed_content(b"\x30\x03\x02\x01\x01")


@pytest.mark.parametrize("xml", [
    (b'<?xml version="1.0"?><!DOCTYPE UsagePoints [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    b'<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd">&b;</UsagePoints>'),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd">&x;</UsagePoints>'),
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "http://example.invalid/x.dtd">'
    '<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd"/>'.encode("utf-16"),
])
def test_xml_dtds_and_entities_are_refused(xml):
    with pytest.raises(smc.FramingError, match="refused"):
        smc.decode_all(xml, format="trudi-xml")


def test_xml_errors_are_typed():
    with pytest.raises(smc.IncompleteError):
        smc.decode_all(b'<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd"><UsagePoint>', format="trudi-xml")
    with pytest.raises(smc.FramingError):
        smc.decode_all(b'<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd"></Usage>', format="trudi-xml")
    with pytest.raises(smc.UnsupportedError):
        smc.decode_all(b'<html/>', format="trudi-xml")
    bad_uom = trudi.parse  # an unknown ESPI unit is an error naming the field
    doc = (b'<UsagePoints xmlns="http://vde.de/AR_2418-6.xsd" xmlns:espi="http://naesb.org/espi"><UsagePoint>'
           b'<MeterReading><ReadingType><espi:uom>999</espi:uom><scaler>0</scaler><obisCode>0100010800ff</obisCode>'
           b'</ReadingType></MeterReading></UsagePoint></UsagePoints>')
    with pytest.raises(smc.UnsupportedError, match="uom"):
        bad_uom(doc)


def test_xml_text_input_and_autodetect():
    text = (b"\n  " + DKE).decode()
    assert to_bytes(text).lstrip().startswith(b"<?xml")
    assert smc.decode_all(text)[0].profile == "dke"
    assert smc.decode_all("\ufeff" + DKE.decode())[0].profile == "dke"
