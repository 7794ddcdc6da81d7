"""Hypothesis properties of the sml format: TL round trips of every width and type, Reading
encode/decode round trips, any bytes in -> Readings or a typed DecodeError (decode_all, inspect,
stream), stream chunking invariance with garbage and broken frames, bounded stream buffer."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib

from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.sml import CODEC, tl
from smartmeter_codecs.sml.transport import MAX_FILE, START, FileSplitter, build_file, parse_file

FIX = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sml" / "corpus.json").read_text())
FRAMES = [bytes.fromhex(e["data"]) for e in FIX["entries"]]
VALID = [bytes.fromhex(e["data"]) for e in FIX["entries"] if e["valid"] and e["data"].startswith("1B1B1B1B")]
BROKEN = [bytes.fromhex(e["data"]) for e in FIX["entries"] if not e["valid"] and e["data"].startswith("1B1B1B1B")]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- TL ---------------------------------------------------------------------------------------

scalars = st.one_of(
    st.integers(1, 8).flatmap(lambda w: st.tuples(st.just("int"), st.just(w),
                                                   st.integers(-(1 << (8 * w - 1)), (1 << (8 * w - 1)) - 1))),
    st.integers(1, 8).flatmap(lambda w: st.tuples(st.just("uint"), st.just(w), st.integers(0, (1 << (8 * w)) - 1))),
    st.tuples(st.just("octets"), st.just(0), st.binary(min_size=1, max_size=300)),  # b"" is sent as 01
    st.tuples(st.just("bool"), st.just(1), st.booleans()),
    st.tuples(st.just("absent"), st.just(0), st.none()),
)
trees = st.recursive(scalars, lambda kids: st.lists(kids, max_size=20).map(lambda k: ("list", len(k), k)),
                     max_leaves=40)


def _enc(t):
    kind, w, v = t
    return {"int": lambda: tl.encode_int(v, w), "uint": lambda: tl.encode_uint(v, w),
            "octets": lambda: tl.encode_octets(v), "bool": lambda: tl.encode_bool(v),
            "absent": tl.encode_absent, "list": lambda: tl.encode_list([_enc(k) for k in v])}[kind]()


def _dec(n):
    if n.kind == tl.LIST:
        return ("list", n.width, [_dec(c) for c in n.value])
    kind = {tl.INT: "int", tl.UINT: "uint", tl.OCTETS: "octets", tl.BOOL: "bool", tl.ABSENT: "absent"}[n.kind]
    w = n.width if kind in ("int", "uint", "bool") else 0
    return (kind, w, None if kind == "absent" else n.value)


@SETTINGS
@given(trees)
def test_tl_round_trip_every_width_and_type(tree):
    raw = _enc(tree)
    node = tl.parse_node(raw, 0)
    assert node.end == len(raw)
    assert _dec(node) == tree


@SETTINGS
@given(st.binary(max_size=64))
def test_tl_any_bytes_give_a_node_or_a_typed_error(data):
    try:
        node = tl.parse_node(data, 0)
        assert node.end <= len(data)
    except smc.DecodeError as err:
        assert err.layer == "sml-tl" and 0 <= err.offset <= len(data)


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from(["x25", "kermit"]))
def test_transport_round_trip_of_any_payload(payload, crc):
    try:
        frame = build_file(payload, crc=crc)
    except ValueError:
        # only payloads holding an off-grid start/end sequence are refused
        assert b"\x1b\x1b\x1b\x1b" in payload
        return
    tf = parse_file(frame)
    assert tf.payload == payload and tf.crc_kind == crc and len(frame) % 4 == 0


# --- Reading round trip -------------------------------------------------------------------


def _dec1(max_value, places=1):
    return st.integers(0, max_value).map(lambda n: n / 10 ** places)


power = st.one_of(st.none(), st.integers(0, 30_000).map(float))
readings = st.builds(
    smc.Reading,
    format=st.just("sml"),
    meter_id=st.one_of(st.none(), st.from_regex(r"1(EMH|DZG|ISK|HLY)[0-9]{2}[0-9]{8}", fullmatch=True),
                       st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)),
    timestamp=st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1),
                                                 timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=1)),
                                                                            dt.timezone(dt.timedelta(hours=2))]))
                        .map(lambda d: d.replace(microsecond=0))),
    active_energy_import=st.one_of(st.none(), _dec1(10 ** 11)),
    active_energy_export=st.one_of(st.none(), _dec1(10 ** 11, 4)),
    reactive_energy_import=st.one_of(st.none(), _dec1(10 ** 9)),
    active_power_import=power,
    active_power_export=power,
    active_power_import_l1=power,
    active_power_export_l1=power,
    active_power_import_l3=power,
    voltage_l1=st.one_of(st.none(), _dec1(4000)),
    voltage_l2=st.one_of(st.none(), _dec1(4000)),
    current_l1=st.one_of(st.none(), st.integers(-50_000, 50_000).map(lambda n: n / 100)),
    current_l3=st.one_of(st.none(), st.integers(0, 50_000).map(lambda n: n / 1000)),
    frequency=st.one_of(st.none(), st.integers(450, 650).map(lambda n: n / 10)),
    power_factor=st.one_of(st.none(), st.integers(-1000, 1000).map(lambda n: n / 1000)),
)


def _fields(r):
    return {f.name: getattr(r, f.name) for f in dataclasses.fields(r)
            if f.name not in ("registers", "profile", "meter_model", "quality")}


@SETTINGS
@given(readings, st.sampled_from([None, "holley-kermit"]))
# found by hypothesis: whole-kWh energies with 0 W were sent with scaler 3, the PIN-less signature
@example(smc.Reading(format="sml", active_energy_import=5000.0, active_power_import=0.0), None)
def test_encode_decode_round_trip(reading, profile):
    data = smc.encode(reading, format="sml", profile=profile)
    assert CODEC.sniff(data) == 100
    # the codec itself (the public decode also applies the plausibility screen to the fields)
    back = CODEC.decode_all(data, keys=None, profile=profile)
    assert len(back) == 1
    assert _fields(back[0]) == _fields(reading)
    # and once more: encoding what was decoded gives the same fields
    again = CODEC.decode_all(CODEC.encode(back[0], profile=profile, keys=None), keys=None, profile=profile)
    assert _fields(again[0]) == _fields(reading)


@SETTINGS
@given(st.sampled_from(VALID), st.data())
def test_a_changed_byte_never_passes_silently(frame, data):
    # CRC-16 detects every single-byte change of the frame
    i = data.draw(st.integers(0, len(frame) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != frame[i]))
    broken = frame[:i] + bytes([new]) + frame[i + 1:]
    try:
        smc.decode_all(broken, format="sml")
    except smc.DecodeError:
        return
    raise AssertionError(f"byte {i} changed to {new:#x} and the frame still decoded")


# --- any input ----------------------------------------------------------------------------

mutated = st.sampled_from(FRAMES).flatmap(
    lambda f: st.tuples(st.just(f), st.integers(0, len(f)), st.integers(0, 8), st.binary(max_size=8))
    .map(lambda x: x[0][:x[1]] + x[3] + x[0][x[1] + x[2]:]))


@SETTINGS
@given(st.one_of(st.binary(max_size=400), mutated, st.binary(max_size=200).map(lambda b: START + b),
                 st.binary(max_size=200).map(lambda b: b"\x76" + b)))
def test_any_bytes_give_readings_or_a_decode_error(data):
    try:
        out = smc.decode_all(data, format="sml")
        assert all(isinstance(r, smc.Reading) for r in out)
    except smc.DecodeError as err:
        assert err.layer.startswith("sml") and (err.offset is None or 0 <= err.offset <= len(data))
    insp = smc.inspect(data, format="sml")
    assert isinstance(str(insp), str)
    assert insp.error is None or isinstance(insp.error, smc.DecodeError)
    out = CODEC.stream().feed(data)
    assert all(isinstance(o, (smc.Reading, smc.DecodeError)) for o in out)


# --- stream -------------------------------------------------------------------------------


def _kinds(items):
    return [(type(i).__name__, i.meter_id if isinstance(i, smc.Reading) else None) for i in items
            if isinstance(i, smc.Reading)]


@SETTINGS
@given(st.lists(st.sampled_from(VALID), min_size=1, max_size=5),
       st.lists(st.one_of(st.binary(max_size=40), st.sampled_from(BROKEN)), min_size=6, max_size=6),
       st.lists(st.integers(1, 700), min_size=1, max_size=20))
def test_stream_resyncs_after_garbage_and_broken_frames_with_any_chunking(frames, junk, cuts):
    data = b"".join(j + f for j, f in zip(junk, frames)) + junk[-1]
    want = [("Reading", smc.decode(f).meter_id) for f in frames]
    whole = CODEC.stream().feed(data)
    assert _kinds(whole) == want
    s = CODEC.stream()
    chunked, pos, i = [], 0, 0
    while pos < len(data):
        n = cuts[i % len(cuts)]
        chunked.extend(s.feed(data[pos:pos + n]))
        assert s.buffered <= MAX_FILE
        pos, i = pos + n, i + 1
    assert _kinds(chunked) == want
    assert [str(e) for e in chunked if isinstance(e, smc.DecodeError)] == \
        [str(e) for e in whole if isinstance(e, smc.DecodeError)]


@SETTINGS
@given(st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=10))
def test_splitter_buffer_stays_bounded(chunks):
    sp = FileSplitter()
    for c in chunks:
        for item in sp.feed(START + c):
            assert isinstance(item, smc.DecodeError) or item.end <= sum(len(x) + 8 for x in chunks)
        assert sp.buffered <= MAX_FILE


@SETTINGS
@given(st.floats(), st.floats(), st.one_of(st.none(), st.text(max_size=30)),
       st.one_of(st.none(), st.datetimes(timezones=st.sampled_from([None, dt.UTC]))))
def test_encode_gives_bytes_or_a_value_error(energy, volts, meter_id, ts):
    r = smc.Reading(format="sml", active_energy_import=energy, voltage_l1=volts, meter_id=meter_id or None,
                    timestamp=ts)
    try:
        data = smc.encode(r, format="sml")
    except ValueError:
        return
    back = CODEC.decode_all(data, keys=None, profile=None)[0]
    assert back.voltage_l1 == volts and back.meter_id == r.meter_id
