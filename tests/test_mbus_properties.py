"""Property tests: encode/decode round trips; any bytes -> a value or a typed DecodeError."""
from __future__ import annotations

import datetime as dt
import json
import math
import pathlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs.mbus.codec import CODEC, WMBUS_CODEC
from smartmeter_codecs.mbus.link import build_long_frame
from smartmeter_codecs.mbus.records import build_dib, encode_bcd, encode_int, parse_records

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mbus"
VALID_WIRED = [bytes.fromhex(e["hex"]) for e in json.loads((FIXTURES / "corpus.json").read_text())["entries"]
               if e["valid"] and e.get("category") in ("test-frames", "wmbusmeters-wired", "issue-reported")
               and e["id"] != "issue:libmbus#90-a"]  # CI B7: unsupported on purpose

VALID_SINGLE = [f for f in VALID_WIRED
                if not any(r.extra.get("more_records_follow") for r in CODEC.decode_all(f)[0].registers)]

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

milli = st.integers(min_value=-10**12, max_value=10**12).map(lambda n: n / 1000)
pos_milli = st.integers(min_value=0, max_value=10**12).map(lambda n: n / 1000)


@SETTINGS
@given(
    energy=st.none() | pos_milli, export=st.none() | pos_milli, power=st.none() | milli,
    voltages=st.lists(st.none() | st.integers(min_value=0, max_value=500_000).map(lambda n: n / 1000),
                      min_size=3, max_size=3),
    currents=st.lists(st.none() | milli, min_size=3, max_size=3),
    ts=st.none() | st.datetimes(min_value=dt.datetime(1981, 1, 1), max_value=dt.datetime(2080, 12, 31))
    .map(lambda d: d.replace(second=0, microsecond=0)),
    meter_id=st.integers(min_value=0, max_value=99_999_999).map(lambda n: f"{n:08d}"),
)
def test_encode_decode_round_trip(energy, export, power, voltages, currents, ts, meter_id) -> None:
    reading = smc.Reading(format="mbus", meter_id=meter_id, timestamp=ts, active_energy_import=energy,
                          active_energy_export=export, active_power_import=power,
                          voltage_l1=voltages[0], voltage_l2=voltages[1], voltage_l3=voltages[2],
                          current_l1=currents[0], current_l2=currents[1], current_l3=currents[2])
    for codec in (CODEC, WMBUS_CODEC):
        back = codec.decode_all(codec.encode(reading))[0]
        for name in ("meter_id", "timestamp", "active_energy_import", "active_energy_export", "active_power_import",
                     "voltage_l1", "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3"):
            want, got = getattr(reading, name), getattr(back, name)
            if isinstance(want, float):
                assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-9), (name, want, got)
            else:
                assert got == want, (name, want, got)


@SETTINGS
@given(st.sampled_from(VALID_WIRED))
def test_decoded_frames_re_encode_to_the_same_registers(frame: bytes) -> None:
    reading = CODEC.decode_all(frame)[0]
    back = CODEC.decode_all(CODEC.encode(reading))[0]

    def regs(r: smc.Reading) -> list[tuple]:
        return [(x.key, x.value, x.unit) for x in r.registers
                if not x.key.startswith("mbus:header.") and x.extra.get("table") != "fixed"]
    assert regs(back) == regs(reading)


@SETTINGS
@given(value=st.integers(min_value=-(2**31), max_value=2**31 - 1), storage=st.integers(0, 2**20),
       tariff=st.integers(0, 255), subunit=st.integers(0, 15),
       function=st.sampled_from(["instantaneous", "maximum", "minimum", "error"]),
       vif=st.sampled_from(list(range(0x6C)) + list(range(0x70, 0x78))))
def test_record_round_trip(value, storage, tariff, subunit, function, vif) -> None:
    dib = build_dib(0x4, storage=storage, tariff=tariff, subunit=subunit, function=function)
    records, more = parse_records(dib + bytes((vif,)) + encode_int(value, 4))
    rec = records[0]
    assert (rec.storage, rec.tariff, rec.subunit, rec.function, rec.raw_value) == (
        storage, tariff, subunit, function, value)
    assert not more


@SETTINGS
@given(st.integers(min_value=-(10**7 - 1), max_value=10**8 - 1))
def test_bcd_round_trip(value) -> None:
    records, _ = parse_records(bytes((0x0C, 0x13)) + encode_bcd(value, 4))
    assert records[0].raw_value == value


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_decode_is_typed(data: bytes) -> None:
    for fn in (lambda: CODEC.decode_all(data), lambda: WMBUS_CODEC.decode_all(data),
               lambda: parse_records(data)):
        try:
            fn()
        except DecodeError:
            pass
    CODEC.sniff(data)
    WMBUS_CODEC.sniff(data)
    assert CODEC.inspect(data).format == "mbus"
    assert WMBUS_CODEC.inspect(data).format == "wmbus"


@SETTINGS
@given(st.binary(min_size=1, max_size=250).map(lambda b: build_long_frame(0x08, 1, 0x72, b[:252])))
def test_any_payload_in_a_valid_frame_is_typed(frame: bytes) -> None:
    try:
        CODEC.decode_all(frame)
    except DecodeError:
        pass
    insp = CODEC.inspect(frame)
    assert insp.error is None or isinstance(insp.error, DecodeError)


@SETTINGS
@given(st.lists(st.binary(max_size=80), max_size=8), st.sampled_from(VALID_SINGLE))
def test_stream_any_chunks_never_raises_and_finds_frames(chunks: list[bytes], frame: bytes) -> None:
    stream = CODEC.stream()
    for chunk in chunks:
        for item in stream.feed(chunk):
            assert isinstance(item, (smc.Reading, DecodeError))
    # a valid frame after any garbage is still found: a garbage "68 L L 68" candidate may hold
    # it back until L+6 bytes have arrived (at most 261), never longer
    out: list = []
    fed = 0
    while fed < 262 + len(frame):
        out += stream.feed(frame)
        fed += len(frame)
    assert any(isinstance(i, smc.Reading) for i in out)
