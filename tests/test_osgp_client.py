"""MepClient driven against the simulated meter (both sans-I/O): correct and wrong keys, lost,
repeated and damaged messages, bad sequence numbers, RC4, alerts."""
from __future__ import annotations

import datetime as dt

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.osgp import MepClient, SimulatedMeter, meter_tables
from smartmeter_codecs.osgp.mep import next_frame, open_request
from smartmeter_codecs.osgp.tables import BT52, ET03

MBK = bytes(range(16))
MAK = bytes([1] * 16)
T0 = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
READING = smc.Reading(format="osgp-mep", timestamp=T0, meter_id="5706567012345678",
                      active_power_import=3456, active_power_export=0, reactive_power_import=120,
                      reactive_power_export=7, current_l1=5.012, current_l2=4.5, current_l3=0.25,
                      voltage_l1=231.2, voltage_l2=229.875, voltage_l3=230.0, frequency=49.987,
                      active_energy_import=12345678, active_energy_export=4321,
                      reactive_energy_import=1000, reactive_energy_export=2000)


def run(client: MepClient, meter: SimulatedMeter, *, drop=lambda i, direction: False, mangle=None,
        max_steps: int = 60) -> list:
    """Drive one poll cycle; ``drop(i, 'up'|'down')`` loses the i-th message in that direction."""
    client.start_poll()
    events: list = []
    ups = downs = 0
    for _ in range(max_steps):
        if client.idle:
            return events
        out = client.data_to_send()
        if not out:
            events += client.timeout()
            continue
        ups += 1
        if drop(ups, "up"):
            events += client.timeout()
            continue
        ans = meter.receive(out)
        downs += 1
        if drop(downs, "down"):
            events += client.timeout()
            continue
        if mangle is not None:
            ans = mangle(downs, ans)
        events += client.receive_data(ans)     # nothing queued after it -> the next turn times out
    raise AssertionError("client did not finish")


def readings(events):
    return [e for e in events if isinstance(e, smc.Reading)]


def check(r: smc.Reading):
    assert r.authenticated is True and r.quality is None
    assert r.timestamp == T0 and r.meter_id == READING.meter_id
    for f in ("active_power_import", "active_power_export", "reactive_power_import", "reactive_power_export",
              "current_l1", "current_l2", "current_l3", "voltage_l1", "voltage_l2", "voltage_l3", "frequency",
              "active_energy_import", "active_energy_export", "reactive_energy_import", "reactive_energy_export"):
        assert getattr(r, f) == pytest.approx(getattr(READING, f)), f


@pytest.mark.parametrize("encrypt", [False, True], ids=["digest", "rc4"])
def test_reads_config_once_then_polls(encrypt):
    meter = SimulatedMeter(MBK, mak=MAK, tables=meter_tables(READING))
    client = MepClient(MBK, encrypt=encrypt)
    ev = run(client, meter)
    assert [type(e) for e in ev] == [smc.Reading]
    check(ev[0])
    first = meter.requests
    assert first == 1 + 5 + 3            # 0x0C sync, BT00 BT15 BT21 ET03 BT27, BT28 BT23 BT52
    meter.set_present_values(READING.replace(active_power_import=100, current_l1=0.5))
    ev = run(client, meter)
    assert meter.requests - first == 3    # configuration is not read again
    assert readings(ev)[0].active_power_import == 100 and readings(ev)[0].current_l1 == 0.5
    # the meter answered RC4 requests in RC4 (mirrors the client, DG App. B): the last answer
    # (BT52, 7 bytes) is on the wire in clear only when the request was
    span = meter.answers[-1][2:-8]
    plain = b"\x00\x00\x07" + bytes(meter.tables[BT52][:7])
    assert (span == plain) is not encrypt


def test_mak_and_mbk_both_work():
    meter = SimulatedMeter(MBK, mak=MAK, tables=meter_tables(READING))
    check(readings(run(MepClient(MAK), meter))[0])
    check(readings(run(MepClient(MBK, seq=meter.seq), meter))[0])


def test_wrong_key_stops_with_authentication_failure():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    ev = run(MepClient(bytes(16)), meter)
    assert len(ev) == 1 and isinstance(ev[0], smc.ApplicationError) and ev[0].code == 0x0B
    assert "key is wrong" in str(ev[0])
    assert meter.requests == 1                        # no hammering with a wrong key


def test_lost_requests_and_answers_are_resent_unchanged():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    client = MepClient(MBK)
    sent: list[bytes] = []
    orig = client.data_to_send

    def spy():
        out = orig()
        if out:
            sent.append(out)
        return out
    client.data_to_send = spy           # record what goes on the wire
    ev = run(client, meter, drop=lambda i, d: (d == "up" and i == 3) or (d == "down" and i == 5))
    check(readings(ev)[0])
    # the lost request was sent again byte for byte (DG p.21: same sequence number and digest)
    assert sent[2] == sent[3]
    assert not [e for e in ev if isinstance(e, smc.DecodeError)]


def test_lost_answer_repeat_gets_0x0c_and_recovers():
    # the meter executed the request but its answer was lost: the identical resend carries a
    # used sequence number, the meter answers 0x0C, the client continues from its number
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    ev = run(MepClient(MBK), meter, drop=lambda i, d: d == "down" and i in (4, 8))
    check(readings(ev)[0])


def test_gives_up_after_retries():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    client = MepClient(MBK, retries=2)
    ev = run(client, meter, drop=lambda i, d: d == "up")
    assert len(ev) == 1 and isinstance(ev[0], smc.IncompleteError) and "after 3 tries" in str(ev[0])
    assert client.idle


def test_damaged_answer_is_reported_and_the_request_retried():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))

    def flip(i, ans):
        if i == 7 and len(ans) > 12:
            b = bytearray(ans)
            b[6] ^= 0x10
            return bytes(b)
        return ans
    ev = run(MepClient(MBK), meter, mangle=flip)
    errs = [e for e in ev if isinstance(e, smc.DecodeError)]
    assert len(errs) == 1 and isinstance(errs[0], smc.DecryptionError)
    check(readings(ev)[0])


def test_sequence_jump_rereads_configuration():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    client = MepClient(MBK)
    run(client, meter)
    meter.bump_idt_version()            # DG p.55: +25, next request gets 0x0C
    before = meter.requests
    ev = run(client, meter)
    check(readings(ev)[0])
    assert meter.requests - before == 1 + 5 + 3


def test_alerts_are_counted_not_mistaken_for_answers():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    ev = run(MepClient(MBK), meter, mangle=lambda i, ans: b"\x00\x00" + ans[:3] + ans[3:])
    check(readings(ev)[0])


def test_late_duplicate_answer_is_ignored():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))
    prev = {}

    def dup(i, ans):
        out = prev.get("a", b"") + ans if i == 6 else ans
        prev["a"] = ans
        return out
    ev = run(MepClient(MBK), meter, mangle=dup)
    check(readings(ev)[0])


def test_mbk_cannot_write_billing_tables_mak_can():
    from smartmeter_codecs.osgp import TableRequest, seal_request
    meter = SimulatedMeter(MBK, mak=MAK, tables=meter_tables(READING), seq=10)
    frame, ex = seal_request(TableRequest(0x4F, ET03, 0, 1, b"X"), 11, MBK)
    ans = smc.osgp.open_response(next_frame(meter.receive(frame)), ex)[0]
    assert ans.code == 0x03
    frame, ex = seal_request(TableRequest(0x4F, ET03, 0, 1, b"X"), 12, MAK)
    assert smc.osgp.open_response(next_frame(meter.receive(frame)), ex)[0].ok
    assert bytes(meter.tables[ET03][:1]) == b"X"
    assert open_request(next_frame(frame), [MBK, MAK]).key == MAK


def test_procedure_sequence_number_repeat_refused():
    from smartmeter_codecs.osgp import TableRequest, seal_request
    from smartmeter_codecs.osgp.tables import BT07, ProcedureRequest, build_procedure_request
    meter = SimulatedMeter(MBK, tables=meter_tables(READING), seq=0)
    body = build_procedure_request(ProcedureRequest(2048 + 16, 5, bytes(4)))
    codes = []
    for seq in (1, 2):
        frame, ex = seal_request(TableRequest(0x40, BT07, None, None, body), seq, MBK)
        codes.append(smc.osgp.open_response(next_frame(meter.receive(frame)), ex)[0].code)
    assert codes == [0x00, 0x04]        # DG p.52: a repeated PSN is answered 0x04


def test_client_key_forms():
    assert MepClient(MBK + b"tail").key == MBK == MepClient(MBK.hex()).key
    assert MepClient("0123456789ABCDEFGHIJ").key == b"0123456789ABCDEF"
    with pytest.raises(ValueError):
        MepClient(bytes(17))
    with pytest.raises(RuntimeError):
        c = MepClient(MBK)
        c.start_poll()
        c.start_poll()


def test_a_line_that_damages_every_answer_ends_the_cycle():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))

    def flip(i, ans):
        b = bytearray(ans)
        if len(b) > 4:
            b[-1] ^= 1                    # every digest damaged
        return bytes(b)
    client = MepClient(MBK, retries=2)
    ev = run(client, meter, mangle=flip)
    assert client.idle and not readings(ev)
    assert isinstance(ev[-1], smc.IncompleteError) and "no usable answer" in str(ev[-1])


def test_a_meter_refusing_every_sequence_number_ends_the_cycle():
    meter = SimulatedMeter(MBK, tables=meter_tables(READING))

    def always_0c(i, ans):
        meter.bump_idt_version()          # the meter moves its number after every answer
        return ans
    client = MepClient(MBK)
    ev = run(client, meter, mangle=always_0c)
    assert client.idle and isinstance(ev[-1], smc.ApplicationError) and ev[-1].code == 0x0C


def test_client_readings_pass_the_plausibility_screen():
    # a meter (or a scaling mistake) saying 2300 V: the client's Reading keeps it out of the field
    meter = SimulatedMeter(MBK, mak=MAK, tables=meter_tables(READING.replace(voltage_l1=2300.0)))
    r = readings(run(MepClient(MBK), meter))[0]
    assert r.voltage_l1 is None and r.voltage_l2 == pytest.approx(229.875)
    assert "implausible: voltage_l1=2300 V" in r.quality
