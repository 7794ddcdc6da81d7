"""Property tests for the DLMS codec: round trips, robustness, stream behaviour."""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.dlms.hdlc import MAX_FRAME, HdlcSplitter, build_frame

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "dlms"
ENTRIES = {e["id"]: e for e in json.loads((FIX / "corpus_plaintext.json").read_text())["entries"]}
REAL_FRAMES = [bytes.fromhex(ENTRIES[i]["hex"]) for i in (
    "kamstrup-no-list3-hdlc-em001-1", "aidon-se-27item-hdlc", "kaifa-no-list2-hdlc-gh180-2",
    "landisgyr-e450-ch-gbt-3frames-gh740", "iskra-550-hdlc-3-segments", "iskra-am550-si-ljubljana-5s-gh615-1")]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

tz = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=2))])
timestamps = st.builds(lambda d, z: d.replace(tzinfo=z, microsecond=0),
                       st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)), tz)
watts = st.integers(0, 750_000).map(float)   # plausibility.py: totals up to 750 kW
wh = st.integers(0, 10**12).map(float)
amps = st.integers(-30000, 30000).map(lambda n: n / 100)
volts = st.just(0.0) | st.integers(500, 5000).map(lambda n: n / 10)   # 0 or 50..500 V (plausibility.py)
ident = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=20)


@st.composite
def readings(draw):
    return smc.Reading(
        format="dlms", timestamp=draw(st.none() | timestamps), meter_id=draw(st.none() | ident),
        meter_model=draw(st.none() | ident),
        active_power_import=draw(st.none() | watts), active_power_export=draw(st.none() | watts),
        reactive_power_import=draw(st.none() | watts), current_l1=draw(st.none() | amps),
        current_l2=draw(st.none() | amps), voltage_l1=draw(st.none() | volts), voltage_l3=draw(st.none() | volts),
        active_energy_import=draw(st.none() | wh), reactive_energy_export=draw(st.none() | wh))


FIELDS = ("timestamp", "meter_id", "meter_model", "active_power_import", "active_power_export",
          "reactive_power_import", "current_l1", "current_l2", "voltage_l1", "voltage_l3",
          "active_energy_import", "reactive_energy_export")


@SETTINGS
@given(readings())
def test_aidon_style_round_trip(reading):
    back = smc.decode(smc.encode(reading, format="dlms"))
    for f in FIELDS:
        assert getattr(back, f) == getattr(reading, f), f
    assert back.authenticated is None


@SETTINGS
@given(readings(), st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16),
       st.integers(0, 2**32 - 1), st.sampled_from([0x20, 0x30]), st.binary(min_size=8, max_size=8))
def test_encrypted_round_trip(reading, ek, ak, counter, sc, title):
    keys = smc.Keys(encryption_key=ek, authentication_key=ak)
    frame = smc.encode(reading, format="dlms", keys=keys, invocation_counter=counter, security_control=sc,
                       system_title=title)
    if sc == 0x20:
        # encryption only carries no tag: an authentication key makes it a rejected frame
        with pytest.raises(smc.DecryptionError):
            smc.decode(frame, keys=keys)
        keys = smc.Keys(encryption_key=ek)
    back = smc.decode(frame, keys=keys)
    assert back.active_power_import == reading.active_power_import
    assert back.meter_id == reading.meter_id
    assert back.authenticated is (sc == 0x30)
    # only the encryption key: decrypted, tag not checked
    assert smc.decode(frame, keys=smc.Keys(encryption_key=ek)).authenticated is False


@SETTINGS
@given(st.binary(max_size=600))
def test_any_bytes_give_a_reading_or_a_decode_error(data):
    for fmt in (None, "dlms"):
        try:
            out = smc.decode_all(data, format=fmt)
        except smc.DecodeError:
            continue
        assert all(isinstance(r, smc.Reading) for r in out)


@SETTINGS
@given(st.sampled_from(REAL_FRAMES), st.data())
def test_mutated_real_frames_never_raise_anything_else(frame, data):
    buf = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(buf) - 1))
        buf[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(buf)))
    for candidate in (bytes(buf), bytes(buf[:cut])):
        try:
            smc.decode_all(candidate, format="dlms")
        except smc.DecodeError:
            pass
        items = list(smc.StreamDecoder(format="dlms").feed(candidate))
        assert all(isinstance(i, (smc.Reading, smc.DecodeError)) for i in items)


@SETTINGS
@given(st.binary(max_size=400), st.sampled_from(REAL_FRAMES), st.lists(st.integers(1, 64), min_size=1, max_size=30))
def test_stream_finds_every_frame_after_garbage_whatever_the_chunking(garbage, frame, cuts):
    """Garbage (even with flags and plausible headers) before a valid message never hides it."""
    expected = smc.decode_all(frame)
    data = garbage + frame + frame
    dec = smc.StreamDecoder(format="dlms")
    items: list = []
    pos = 0
    for n in cuts * (len(data) // max(1, sum(cuts)) + 1):
        if pos >= len(data):
            break
        items += list(dec.feed(data[pos:pos + n]))
        pos += n
    items += list(dec.feed(data[pos:]))
    readings = [i for i in items if isinstance(i, smc.Reading)]
    assert all(isinstance(i, (smc.Reading, smc.DecodeError)) for i in items)
    # both copies are always found: candidates are decided in the order they end, so a longer
    # candidate opened by the garbage is cut short by the first copy, never the reverse
    assert len(readings) >= 2 * len(expected)
    assert readings[-1].registers == expected[-1].registers


def test_stream_autodetect_locks_on_dlms():
    frame = REAL_FRAMES[0]
    dec = smc.StreamDecoder()
    items = list(dec.feed(b"\x00\x13\x7e\x42" + frame))
    assert [type(i) for i in items] == [smc.Reading]
    assert dec.format == "dlms"


def test_stream_reports_broken_frame_then_decodes_next():
    good = REAL_FRAMES[0]
    broken = bytearray(good)
    broken[-3] ^= 0xFF                      # FCS
    items = list(smc.StreamDecoder(format="dlms").feed(bytes(broken) + good))
    assert isinstance(items[0], smc.ChecksumError)
    assert isinstance(items[1], smc.Reading)


def test_splitter_buffer_is_bounded():
    sp = HdlcSplitter()
    # a plausible header announcing 2047 bytes, then endless bytes without a valid frame
    sp.feed(b"\x7e\xa7\xff" + bytes(100))
    for _ in range(200):
        sp.feed(bytes(range(256)) * 4)
        assert sp.buffered <= MAX_FRAME + 1024


def test_hdlc_addresses_of_1_2_4_bytes_round_trip():
    from smartmeter_codecs.dlms.hdlc import parse_frame
    for dsize, ssize in ((1, 1), (1, 2), (2, 1), (1, 4), (4, 4)):
        raw = build_frame(b"\xe6\xe7\x00\x0f", destination=0x21, source=0x1234 if ssize > 1 else 0x11,
                          destination_size=dsize, source_size=ssize)
        f = parse_frame(raw)
        assert (f.destination_size, f.source_size) == (dsize, ssize)
        assert f.information == b"\xe6\xe7\x00\x0f"
