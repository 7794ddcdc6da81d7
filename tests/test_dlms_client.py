"""The read-only DLMS client (issue 17): real public frames, every path against the simulated
meter (sans-I/O, in memory), and any bytes into the client -> nothing or a DecodeError."""
from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.dlms import acse, xdlms
from smartmeter_codecs.dlms.client import (Associated, AssociationRejected, AuthenticationFailed, ClientSettings,
                                           ClientStateError, Connected, Disconnected, DlmsClient, GetComplete,
                                           LinkRefused, NoResponseError, Released, SequenceError, ServiceError, State)
from smartmeter_codecs.dlms.hdlc import HdlcSplitter, build_frame, parse_frame
from smartmeter_codecs.dlms.hdlc_link import (HdlcParameters, ServerAddress, build_parameters, i_control,
                                              parse_control, parse_parameters)
from smartmeter_codecs.dlms.meter_sim import Association, SimulatedLink, SimulatedMeter, es_prime_meter
from smartmeter_codecs.dlms.readout import ES_PRIME, GENERIC_INSTANT, Readout, run_readout
from smartmeter_codecs.dlms.xdlms import AttributeRef, DataAccessResult
from smartmeter_codecs.io.dlms_optical import DlmsSession, poll, read_meter
from smartmeter_codecs.obis import ObisCode

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms_client" / "public_frames.json"
FRAMES = {f["id"]: f for f in json.loads(FIX.read_text())["frames"]}
PASSWORD = b"00000001"     # the simulated meter's password (the default seen in public code)


def raw(fid: str) -> bytes:
    return bytes.fromhex(FRAMES[fid]["hex"])


def settings_for(fid: str, **kw) -> ClientSettings:
    f = FRAMES[fid]["facts"]
    logical, physical, size = f["server"]
    return ClientSettings(client_sap=f["client_sap"], server=ServerAddress.make(logical, physical, size), **kw)


def session(meter: SimulatedMeter, **kw) -> DlmsSession:
    kw.setdefault("client_sap", 2)
    kw.setdefault("password", PASSWORD)
    kw.setdefault("server", meter.server)
    return DlmsSession(SimulatedLink(meter), ClientSettings(**kw), response_timeout=0.0)


def read(meter: SimulatedMeter, readout: Readout | None = None, **kw) -> smc.Reading:
    s = session(meter, **kw)
    s.open()
    try:
        return run_readout(readout or Readout(ES_PRIME), s.get_many)
    finally:
        s.close()


# --- real public frames ------------------------------------------------------------------

@pytest.mark.parametrize("fid", [k for k, v in FRAMES.items() if v["layer"] == "hdlc"])
def test_public_frames_parse_with_their_stated_addresses_and_control(fid):
    f = FRAMES[fid]["facts"]
    frame = parse_frame(raw(fid))
    c = parse_control(frame.control)
    assert c.kind == f["kind"]
    if "ns" in f:
        assert (c.ns, c.nr) == (f["ns"], f["nr"])
    logical, physical, size = f["server"]
    server = ServerAddress.make(logical, physical, size)
    if f["kind"] in ("SNRM", "DISC") or (f["kind"] == "I" and frame.information[:3] == b"\xe6\xe6\x00"):
        assert (frame.destination, frame.destination_size, frame.source) == (server.value, size, f["client_sap"])
    else:
        assert (frame.source, frame.source_size, frame.destination) == (server.value, size, f["client_sap"])
    if "parameters" in f:
        assert parse_parameters(frame.information) == HdlcParameters(*f["parameters"])


def test_our_snrm_equals_a_public_one_byte_for_byte():
    """The Qt M2M client's SNRM (client 32, server 1/16 in two bytes, 2030-byte frames,
    window 7) is exactly what the client builds with those settings."""
    s = settings_for("m2m-snrm-2byte-1-16", hdlc=HdlcParameters(2030, 2030, 7, 7))
    c = DlmsClient(s)
    c.connect()
    assert c.data_to_send() == raw("m2m-snrm-2byte-1-16")


def test_our_aarq_get_and_disc_frames_equal_public_ones():
    # the AARQ proposes SET/ACTION (conformance 621e5d): built through the codec, not the
    # read-only client (which refuses such a proposal, tested below)
    aarq = acse.build_aarq(acse.Aarq(1, 1, b"00000000", acse.InitiateRequest(0x621E5D, 0xFFFF)))
    frame = build_frame(b"\xe6\xe6\x00" + aarq, destination=ServerAddress(1, 16, 2).value, destination_size=2,
                        source=32, control=i_control(0, 0))
    assert frame == raw("m2m-aarq-lls")
    get = xdlms.build_get_request(AttributeRef(1, ObisCode.parse("0.0.0.2.1.255"), 2), 0xC1)
    assert build_frame(b"\xe6\xe6\x00" + get, destination=ServerAddress(1, 16, 2).value, destination_size=2,
                       source=32, control=i_control(1, 1)) == raw("m2m-get-normal")
    assert xdlms.parse_get_request(get).attributes[0].obis == ObisCode(0, 0, 0, 2, 1, 255)
    assert build_frame(b"", destination=ServerAddress(1, 16, 2).value, destination_size=2, source=32,
                       control=0x53) == raw("m2m-disc")
    aarq1 = acse.build_aarq(acse.Aarq(1, 1, b"ABCDEFGH", acse.InitiateRequest(0x00181D, 0xFFFF)))
    assert build_frame(b"\xe6\xe6\x00" + aarq1, destination=1, source=32, control=0x10) == raw("java-aarq-lls-1byte")
    assert acse.build_aarq(acse.Aarq(1, 1, PASSWORD, acse.InitiateRequest(0x00181F, 0x0100))) == \
        raw("go-dlms-aarq-lls-00000001")
    assert acse.build_aarq(acse.Aarq(1, None, None, acse.InitiateRequest(0x001E1D, 0xFFFF))) == \
        parse_frame(raw("dlmscosem-hdlc-i-frame-aarq")).information[3:]


def test_public_aarqs_parse_on_the_meter_side():
    for fid in ("m2m-aarq-lls", "java-aarq-lls-1byte", "dlmscosem-hdlc-i-frame-aarq"):
        f = FRAMES[fid]["facts"]
        aarq = acse.parse_aarq(parse_frame(raw(fid)).information[3:])
        assert aarq.mechanism == f["mechanism"]
        assert aarq.password == (f["password"].encode() if f.get("password") else None)
        if "conformance" in f:
            assert aarq.initiate.conformance == int(f["conformance"], 16)
            assert aarq.initiate.max_receive_pdu_size == f["max_pdu"]


@pytest.mark.parametrize("fid", ["go-dlms-aare-authentication-failure", "go-dlms-aare-rejected-confirmed-service-error",
                                 "plctool-prime-aare-authentication-failure"])
def test_public_rejected_aares(fid):
    aare = acse.parse_aare(raw(fid))
    assert (aare.result, aare.diagnostic) == (FRAMES[fid]["facts"]["result"], FRAMES[fid]["facts"]["diagnostic"])
    assert not aare.accepted
    if "service_error" in FRAMES[fid]["facts"]:
        se = aare.service_error
        assert (se.service, se.error_class, se.error) == tuple(FRAMES[fid]["facts"]["service_error"])


def _drive_to_associating(fid_ua: str | None, settings: ClientSettings) -> DlmsClient:
    c = DlmsClient(settings)
    c.connect()
    c.data_to_send()
    if fid_ua is None:     # a UA without parameters for the frame's addresses
        c.receive_data(build_frame(b"", destination=settings.client_sap, source=settings.server.value,
                                   source_size=settings.server.size, control=0x73))
    else:
        c.receive_data(raw(fid_ua))
    assert isinstance(c.next_event(), Connected)
    c.associate()
    c.data_to_send()
    return c


def test_client_connects_and_associates_on_the_dlms_cosem_frames():
    s = settings_for("dlmscosem-hdlc-i-frame-aare")
    c = _drive_to_associating("dlmscosem-hdlc-ua-negotiation", s)
    assert c.negotiated == HdlcParameters(154, 154, 1, 1)
    c.receive_data(raw("dlmscosem-hdlc-i-frame-aare"))
    ev = c.next_event()
    assert isinstance(ev, Associated) and ev.max_pdu_size == 1224 and c.state is State.ASSOCIATED


def test_client_reads_a_four_byte_address_ua():
    s = settings_for("dlmscosem-hdlc-ua-4byte-source-address-1")
    c = DlmsClient(s)
    c.connect()
    assert parse_frame(c.data_to_send()).destination_size == 4
    c.receive_data(raw("dlmscosem-hdlc-ua-4byte-source-address-1"))
    assert c.next_event() == Connected(HdlcParameters(128, 128, 1, 1))


def test_one_byte_address_session_accepted_and_rejected_public_frames():
    s = settings_for("java-aare-accepted-1byte", password=b"ABCDEFGH")
    c = _drive_to_associating(None, s)
    c.receive_data(raw("java-aare-accepted-1byte"))
    ev = c.next_event()
    assert isinstance(ev, Associated) and ev.max_pdu_size == 512
    c = _drive_to_associating(None, s)
    with pytest.raises(AuthenticationFailed) as err:
        c.receive_data(raw("java-aare-rejected-1byte"))
    assert err.value.code == 13 and c.state is State.LOGIN_FAILED
    with pytest.raises(ClientStateError):
        c.associate()                   # one failed login: the client will not try again


def test_rejection_with_malformed_user_information_is_still_a_rejection():
    s = settings_for("modem-aare-sn-malformed-conformance", password=b"x")
    c = _drive_to_associating(None, s)
    with pytest.raises(AuthenticationFailed):
        c.receive_data(raw("modem-aare-sn-malformed-conformance"))


def test_the_client_never_proposes_writing():
    with pytest.raises(ValueError):
        ClientSettings(conformance=int(acse.READ_ONLY_CONFORMANCE | acse.Conformance.SET))
    assert not hasattr(DlmsClient, "set") and not hasattr(DlmsClient, "action")
    c = DlmsClient(ClientSettings(client_sap=2, password=PASSWORD))
    c.connect()
    c.receive_data(es_prime_meter().receive(c.data_to_send()))
    c.next_event()
    c.associate()
    info = parse_frame(c.data_to_send()).information
    aarq = acse.parse_aarq(info[3:])
    assert aarq.initiate.conformance & int(acse.Conformance.SET | acse.Conformance.ACTION) == 0


# --- the simulated meter: every path ------------------------------------------------------

def test_es_prime_reading_from_the_simulated_meter():
    meter = es_prime_meter()
    r = read(meter)
    assert r.profile == "es-prime" and r.format == "dlms-client"
    assert (r.voltage_l1, r.voltage_l2, r.voltage_l3) == (235, 235, 236)
    assert (r.current_l1, r.current_l2, r.current_l3) == (4.09, 3.26, 3.37)
    assert r.active_power_import == 1211 and r.active_power_export == 0
    assert r.reactive_power_import == 1964 and r.power_factor == 0.52
    assert r.active_energy_import == 12_345_678 and r.contracted_power == 4600
    assert r.meter_id == "CIR2081710470"
    assert r.timestamp.isoformat() == "2024-11-29T12:40:27+01:00"
    assert r.quality == "measured"
    reg = r.register("1-0:31.7.0.255")
    assert reg.extra["raw"] == 409 and reg.extra["scaler"] == -2 and reg.unit == "A"
    assert r.register("1-0:90.7.0.255").value == 10.74          # sum of currents: a register only
    assert "GET3" in meter.requests and meter.requests[-1] == "RLRQ" and meter.connected_client is None


def test_scalers_come_from_the_meter_not_from_the_code():
    """The same raw row read with the scalers the ZIV app assumes (I x 0.1 A, P x 10 W)."""
    meter = es_prime_meter(scalers={"1.0.31.7.0.255": -1, "1.0.51.7.0.255": -1, "1.0.71.7.0.255": -1,
                                    "1.0.1.7.0.255": 1, "1.0.3.7.0.255": 1})
    r = read(meter)
    assert (r.current_l1, r.active_power_import, r.reactive_power_import) == (40.9, 12110, 19640)


def test_scaler_cache_is_reused_between_polls():
    meter = es_prime_meter()
    readout = Readout(ES_PRIME)
    read(meter, readout)
    n = len(meter.requests)
    read(meter, readout)
    assert len(meter.requests) - n < n          # capture objects and scalers not asked again


def test_wrong_password_is_authentication_failed_and_disconnects():
    meter = es_prime_meter()
    s = session(meter, password=b"12345678")
    with pytest.raises(AuthenticationFailed) as err:
        s.open()
    assert isinstance(err.value, smc.DecodeError) and err.value.code == 13
    assert meter.failed_logins == 1 and meter.connected_client is None
    with pytest.raises(ClientStateError):
        s.client.associate()


def test_missing_password_is_a_rejection_not_an_authentication_failure():
    with pytest.raises(AssociationRejected) as err:
        session(es_prime_meter(), password=None).open()
    assert not isinstance(err.value, AuthenticationFailed)
    assert err.value.code == acse.UserDiagnostic.AUTHENTICATION_MECHANISM_NAME_REQUIRED
    assert "needs a password" in str(err.value)


def test_lockout_after_repeated_failures_rejects_even_the_right_password():
    meter = es_prime_meter(lockout_after=1)
    with pytest.raises(AuthenticationFailed):
        session(meter, password=b"wrong").open()
    with pytest.raises(AuthenticationFailed):
        session(meter).open()


def test_wrong_client_sap_gets_dm_or_silence():
    with pytest.raises(LinkRefused) as err:
        session(es_prime_meter(), client_sap=16).open()
    assert "client 16" in str(err.value)
    with pytest.raises(NoResponseError) as err2:
        session(es_prime_meter(unknown_client="silent"), client_sap=16).open()
    assert "server address" in str(err2.value)


def test_wrong_server_address_times_out_and_names_what_to_check():
    with pytest.raises(NoResponseError):
        session(es_prime_meter(), server=ServerAddress.make(1, 17, 2)).open()


@pytest.mark.parametrize("server", [ServerAddress.make(1, None, 1), ServerAddress.make(1, 16, 2),
                                    ServerAddress.make(1, 16, 4), ServerAddress.make(300, 5000, 4)])
def test_server_address_sizes(server):
    meter = es_prime_meter(server=server)
    assert read(meter, server=server).active_power_import == 1211


def test_block_transfer_gives_the_same_reading():
    plain = read(es_prime_meter())
    meter = es_prime_meter(block_size=40, rows=3)
    s = session(meter)
    s.open()
    s.client.get(AttributeRef(7, ObisCode.parse("0.0.21.0.5.255"), 2))
    ev = s._run()
    assert isinstance(ev, GetComplete) and ev.blocks > 3 and ev.results[0].ok
    assert len(ev.results[0].data.value) == 3
    s.close()
    blocked = read(es_prime_meter(block_size=40, rows=3))
    assert blocked.registers == plain.registers
    assert "GET2" in meter.requests


def test_get_with_list_refused_falls_back_to_single_gets():
    meter = es_prime_meter(conformance=int(acse.Conformance.GET | acse.Conformance.BLOCK_TRANSFER_GET))
    r = read(meter)
    assert r.active_power_import == 1211 and "GET3" not in meter.requests
    s = session(es_prime_meter(conformance=int(acse.Conformance.GET)))
    s.open()
    with pytest.raises(ClientStateError):
        s.client.get([AttributeRef(3, ObisCode.parse("1.0.1.7.0.255"), 2)] * 2)


def test_data_access_errors_are_results_and_quality_not_exceptions():
    meter = es_prime_meter()
    readable = frozenset(o for o in meter.objects if o.c != 94)
    meter.associations[2] = Association(PASSWORD, readable)
    r = read(meter)
    assert r.contracted_power is None and r.active_power_import == 1211
    assert "read-write-denied" in r.quality and "0-1:94.34.11.255" in r.quality
    s = session(es_prime_meter())
    s.open()
    res = s.get_many([AttributeRef(3, ObisCode.parse("1.0.99.99.0.255"), 2),
                      AttributeRef(1, ObisCode.parse("1.0.1.7.0.255"), 2),
                      AttributeRef(3, ObisCode.parse("1.0.1.7.0.255"), 9)])
    assert [x.error for x in res] == [DataAccessResult.OBJECT_UNDEFINED, DataAccessResult.OBJECT_CLASS_INCONSISTENT,
                                      DataAccessResult.OBJECT_UNAVAILABLE]


def test_unreadable_scaler_keeps_the_value_raw_and_unnamed():
    meter = es_prime_meter()
    meter.objects[ObisCode.parse("1.0.31.7.0.255")].attributes.pop(3)
    r = read(meter)
    assert r.current_l1 is None
    reg = r.register("1-0:31.7.0.255#raw")
    assert reg.value == 409 and reg.obis is None and reg.extra["scaler"] is None
    assert "scaler_unit of 1-0:31.7.0.255 not readable" in r.quality


def test_unreadable_capture_objects_keep_columns_as_values():
    meter = es_prime_meter()
    meter.objects[ObisCode.parse("0.0.21.0.5.255")].attributes.pop(3)
    r = read(meter)
    assert r.voltage_l1 is None and r.register("value[1]").value == 235
    assert r.active_power_import == 1211        # the separate register still settles +P
    assert "capture_objects not readable" in r.quality


def test_contracted_powers_that_differ_leave_the_field_unset():
    r = read(es_prime_meter(contracted_w=(3450, 5750, 0, 0, 0, 0)))
    assert r.contracted_power is None and "differ by period" in r.quality


def test_generic_plan_reads_registers_one_by_one():
    r = read(es_prime_meter(), Readout(GENERIC_INSTANT))
    assert r.profile == "dlms-instant" and r.voltage_l1 == 235 and r.active_energy_import == 12_345_678


class RecordingLink(SimulatedLink):
    def __init__(self, meter):
        super().__init__(meter)
        self.sent, self.received = bytearray(), bytearray()

    def write(self, data):
        self.sent += data
        super().write(data)

    def read(self, timeout=None):
        out = super().read(timeout)
        self.received += out
        return out


def test_segmented_frames_both_directions():
    meter = es_prime_meter(hdlc=HdlcParameters(32, 32, 1, 1))
    link = RecordingLink(meter)
    s = DlmsSession(link, ClientSettings(client_sap=2, password=PASSWORD, hdlc=HdlcParameters(32, 32, 1, 1)),
                    response_timeout=0.0)
    s.open()
    r = run_readout(Readout(ES_PRIME), s.get_many)
    s.close()
    assert r.active_power_import == 1211
    sent = [f for f in HdlcSplitter().feed(bytes(link.sent))]
    got = [f for f in HdlcSplitter().feed(bytes(link.received))]
    assert all(not isinstance(f, smc.DecodeError) for f in sent + got)
    assert sum(f.segmented for f in sent) >= 3 and sum(f.segmented for f in got) >= 10
    assert max(len(f.information) for f in sent + got) == 32
    # every segment of the meter was asked for with an RR carrying the next N(R)
    assert sum(parse_control(f.control).kind == "RR" for f in sent) == sum(f.segmented for f in got)


@pytest.mark.parametrize("lost", [{1}, {2}, {3, 4}, {6}, {9, 10}, {20}])
def test_lost_replies_are_recovered_by_retransmission(lost):
    meter = es_prime_meter(drop_replies=set(lost), hdlc=HdlcParameters(48, 48, 1, 1))
    assert read(meter, hdlc=HdlcParameters(48, 48, 1, 1)).active_power_import == 1211


def test_corrupted_reply_is_ignored_and_recovered():
    meter = es_prime_meter(corrupt_replies={2, 5})
    assert read(meter).voltage_l3 == 236


def test_no_answer_after_retries_is_no_response_error():
    meter = es_prime_meter(drop_replies=set(range(1, 100)))
    s = session(meter, retries=2)
    with pytest.raises(NoResponseError) as err:
        s.open()
    assert "3 transmissions" in str(err.value)
    assert meter.connected_client is None        # the session sent DISC after giving up


def test_wrong_send_sequence_number_is_a_sequence_error():
    meter = es_prime_meter(misnumber_replies={1})
    with pytest.raises(SequenceError) as err:
        session(meter).open()
    assert "N(S)" in str(err.value) and isinstance(err.value, smc.FramingError)


def test_exception_response_is_a_service_error():
    meter = es_prime_meter()
    s = session(meter)
    s.open()
    c = s.client
    c.get(AttributeRef(3, ObisCode.parse("1.0.1.7.0.255"), 2))
    c.data_to_send()
    # the meter refuses the GET as a whole (exception-response: service-not-allowed, not supported)
    resp = build_frame(b"\xe6\xe7\x00" + xdlms.build_exception_response(1, 2), destination=2, source=meter.server.value,
                       source_size=2, control=i_control(1, 2))
    with pytest.raises(ServiceError) as err:
        c.receive_data(resp)
    assert "service-not-allowed" in str(err.value) and c.state is State.ASSOCIATED


def test_release_and_disconnect_events():
    meter = es_prime_meter()
    s = session(meter)
    s.open()
    s.client.release()
    assert isinstance(s._run(), Released)
    s.client.disconnect()
    assert s._run() == Disconnected()
    assert meter.connected_client is None


def test_client_state_errors():
    c = DlmsClient(ClientSettings())
    with pytest.raises(ClientStateError):
        c.get(AttributeRef(3, ObisCode.parse("1.0.1.7.0.255"), 2))
    with pytest.raises(ClientStateError):
        c.associate()
    with pytest.raises(ClientStateError):
        c.disconnect()
    for bad in (dict(client_sap=200), dict(password=b""), dict(invoke_id=16), dict(retries=-1)):
        with pytest.raises(ValueError):
            ClientSettings(**bad)
    with pytest.raises(ValueError):
        ServerAddress.make(1, 200, 2)


def test_parameters_round_trip():
    for p in (HdlcParameters(), HdlcParameters(2030, 512, 7, 1)):
        assert parse_parameters(build_parameters(p)) == p
    assert parse_parameters(b"") == HdlcParameters()


def test_poll_refuses_a_fast_cadence_and_stops_on_a_rejected_login():
    meter = es_prime_meter()
    with pytest.raises(ValueError):
        list(poll(SimulatedLink(meter), ClientSettings(client_sap=2, password=PASSWORD), interval=1))
    sleeps = []
    got = list(poll(SimulatedLink(meter), ClientSettings(client_sap=2, password=PASSWORD), count=2,
                    response_timeout=0.0, sleep=sleeps.append))
    assert [g.active_power_import for g in got] == [1211, 1211] and len(sleeps) == 1 and sleeps[0] > 50
    bad = poll(SimulatedLink(meter), ClientSettings(client_sap=2, password=b"bad"), count=3, response_timeout=0.0,
               sleep=sleeps.append)
    with pytest.raises(AuthenticationFailed):
        list(bad)
    assert meter.failed_logins == 1              # one failed login, then no more attempts
    lossy = poll(SimulatedLink(es_prime_meter(unknown_client="silent")), ClientSettings(client_sap=9), count=1,
                 response_timeout=0.0)
    assert isinstance(next(lossy), NoResponseError)


def test_read_meter_helper():
    r = read_meter(SimulatedLink(es_prime_meter()), ClientSettings(client_sap=2, password=PASSWORD),
                   response_timeout=0.0)
    assert r.voltage_l1 == 235


# --- robustness: any bytes in -----------------------------------------------------------

def _client_in(state: str) -> DlmsClient:
    meter = es_prime_meter()
    c = DlmsClient(ClientSettings(client_sap=2, password=PASSWORD))
    c.connect()
    if state == "connecting":
        c.data_to_send()
        return c
    c.receive_data(meter.receive(c.data_to_send()))
    c.next_event()
    c.associate()
    if state == "associating":
        c.data_to_send()
        return c
    c.receive_data(meter.receive(c.data_to_send()))
    c.next_event()
    c.get([AttributeRef(7, ObisCode.parse("0.0.21.0.5.255"), 2), AttributeRef(3, ObisCode.parse("1.0.1.7.0.255"), 2)])
    c.data_to_send()
    return c


def _info_frame(payload: bytes, ns: int, nr: int) -> bytes:
    return build_frame(b"\xe6\xe7\x00" + payload, destination=2, source=ServerAddress(1, 16, 2).value, source_size=2,
                       control=i_control(ns, nr))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state=st.sampled_from(["connecting", "associating", "getting"]), data=st.binary(max_size=300),
       framed=st.booleans())
def test_any_bytes_into_the_client_give_nothing_or_a_decode_error(state, data, framed):
    c = _client_in(state)
    if framed:     # well-framed I frames with arbitrary APDUs reach the APDU parsers
        data = _info_frame(data, 1 if state == "getting" else 0, 2 if state == "getting" else 1)
    try:
        c.receive_data(data)
        while c.next_event() is not None:
            pass
    except smc.DecodeError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_apdu_into_the_parsers_gives_a_value_or_a_decode_error(data):
    for parse in (acse.parse_aare, acse.parse_aarq, xdlms.parse_get_response, xdlms.parse_get_request,
                  acse.parse_rlre, parse_parameters):
        try:
            parse(data)
        except smc.DecodeError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_into_the_simulated_meter_never_raise(data):
    meter = es_prime_meter()
    meter.receive(data)
    framed = build_frame(b"\xe6\xe6\x00" + data, destination=ServerAddress(1, 16, 2).value, destination_size=2,
                         source=2, control=0x10)
    meter.receive(framed)


class LossyLink(SimulatedLink):
    """Loses chosen client frames on the way to the meter (write number k)."""

    def __init__(self, meter, lose):
        super().__init__(meter)
        self.lose, self.n = set(lose), 0

    def write(self, data):
        n, self.n = self.n, self.n + 1
        if n not in self.lose:
            super().write(data)


@pytest.mark.parametrize("lose", [{0}, {1}, {2, 3}, {5}])
def test_lost_requests_are_retransmitted(lose):
    meter = es_prime_meter()
    s = DlmsSession(LossyLink(meter, lose), ClientSettings(client_sap=2, password=PASSWORD), response_timeout=0.0)
    s.open()
    r = run_readout(Readout(ES_PRIME), s.get_many)
    s.close()
    assert r.active_power_import == 1211 and meter.failed_logins == 0


def test_a_column_of_another_attribute_is_kept_unscaled_under_its_own_key():
    meter = es_prime_meter(scalers={"1.0.1.7.0.255": 1})
    prof = meter.objects[ObisCode.parse("0.0.21.0.5.255")]
    from smartmeter_codecs.dlms.axdr import encode_data
    entries = [encode_data(2, [(18, 8), (9, bytes.fromhex("0000010000ff")), (15, 2), (18, 0)])]
    for code in ("1.0.32.7.0.255", "1.0.31.7.0.255", "1.0.52.7.0.255", "1.0.51.7.0.255", "1.0.72.7.0.255",
                 "1.0.71.7.0.255", "1.0.90.7.0.255", "1.0.1.7.0.255", "1.0.2.7.0.255", "1.0.3.7.0.255",
                 "1.0.4.7.0.255", "1.0.13.7.0.255"):
        attr = 4 if code == "1.0.1.7.0.255" else 2     # say the +P column holds attribute 4
        entries.append(encode_data(2, [(18, 3), (9, ObisCode.parse(code).to_bytes()), (15, attr), (18, 0)]))
    prof.attributes[3] = encode_data(1, entries)
    r = read_meter(SimulatedLink(meter), ClientSettings(client_sap=2, password=PASSWORD), response_timeout=0.0)
    col = r.register("1-0:1.7.0.255#4")
    assert col.value == 1211 and col.unit is None and col.extra["attribute"] == 4
    assert r.active_power_import == 12110       # from the register itself, scaled by its own scaler_unit


def _axdr():
    from smartmeter_codecs.dlms.axdr import encode_data
    simple = st.one_of(
        st.just(encode_data(0)), st.booleans().map(lambda b: encode_data(3, b)),
        st.integers(-2**31, 2**31 - 1).map(lambda v: encode_data(5, v)),
        st.integers(0, 2**32 - 1).map(lambda v: encode_data(6, v)),
        st.integers(-128, 127).map(lambda v: encode_data(15, v)),
        st.integers(0, 65535).map(lambda v: encode_data(18, v)),
        st.integers(0, 255).map(lambda v: encode_data(22, v)),
        st.integers(0, 2**64 - 1).map(lambda v: encode_data(21, v)),
        st.floats(allow_nan=True).map(lambda v: encode_data(24, v)),
        st.binary(max_size=14).map(lambda v: encode_data(9, v)))
    return st.recursive(simple, lambda kids: st.lists(kids, max_size=5).flatmap(
        lambda items: st.sampled_from([1, 2]).map(lambda t: encode_data(t, items))), max_leaves=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from([2, 3]), _axdr()), min_size=1, max_size=5))
def test_any_values_in_the_meter_give_a_reading_or_a_decode_error(changes):
    """Whatever A-XDR the meter's objects hold (types, shapes, NaN, huge scalers), the readout
    gives a Reading or a DecodeError; never another exception."""
    meter = es_prime_meter()
    codes = sorted(meter.objects)
    for i, attr, raw_data in changes:
        meter.objects[codes[i % len(codes)]].attributes[attr] = raw_data
    try:
        r = read_meter(SimulatedLink(meter), ClientSettings(client_sap=2, password=PASSWORD), response_timeout=0.0)
    except smc.DecodeError:
        return
    assert isinstance(r, smc.Reading)
    r.to_dict()
    str(r)


@pytest.mark.parametrize("size", [1, 2, 4])
def test_find_server_address_tries_sizes_without_logging_in(size):
    from smartmeter_codecs.io.dlms_optical import find_server_address
    meter = es_prime_meter(server=ServerAddress.make(1, 16, size))
    found = find_server_address(SimulatedLink(meter), ClientSettings(client_sap=2, password=PASSWORD),
                                response_timeout=0.0)
    assert found == ServerAddress.make(1, 16, size)
    assert meter.requests == [] and meter.connected_client is None      # no AARQ, and DISC at the end
    assert find_server_address(SimulatedLink(es_prime_meter(server=ServerAddress.make(5, 16, 2))),
                               ClientSettings(client_sap=2), response_timeout=0.0) is None
    # DM (a client the meter has no association for) still tells the address is right
    assert find_server_address(SimulatedLink(es_prime_meter()), ClientSettings(client_sap=9),
                               response_timeout=0.0) == ServerAddress.make(1, 16, 2)


def test_an_answer_that_does_not_acknowledge_our_frame_is_a_sequence_error():
    c = _client_in("associating")          # AARQ sent with N(S)=0: the answer must carry N(R)=1
    with pytest.raises(SequenceError) as err:
        c.receive_data(_info_frame(acse.build_aare(0, 0, initiate=acse.InitiateResponse(0x001014, 512)), 0, 0))
    assert "N(R)=0" in str(err.value) and c.state is State.BROKEN


def test_the_meter_asking_again_for_a_request_segment_gets_it_again():
    meter = es_prime_meter()
    c = DlmsClient(ClientSettings(client_sap=2, password=PASSWORD, hdlc=HdlcParameters(32, 128, 1, 1)))
    c.connect()
    c.receive_data(meter.receive(c.data_to_send()))
    c.next_event()
    c.associate()                            # the AARQ needs 3 segments of 32 bytes
    first = c.data_to_send()
    assert parse_frame(first).segmented
    rr_again = build_frame(b"", destination=2, source=meter.server.value, source_size=2, control=0x11)  # N(R)=0
    c.receive_data(rr_again)
    assert c.data_to_send() == first         # not acknowledged: the same segment again
    c.receive_data(meter.receive(first))     # the meter acknowledges with RR N(R)=1
    second = c.data_to_send()
    assert parse_control(parse_frame(second).control).ns == 1
