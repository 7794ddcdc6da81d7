"""A-XDR data types, COSEM date-time and block transfer at the layer level (Blue Book 4.1.5/4.1.6,
Green Book 9.4.6.13). Byte strings follow the A-XDR rules: tag, then the value big-endian;
lengths one byte below 0x80, else 0x8n + n bytes."""
from __future__ import annotations

import datetime as dt
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.dlms.axdr import BitString, decode_data, decode_length, encode_data, encode_length
from smartmeter_codecs.dlms.cosem_time import build_datetime, datetime_of, parse_datetime
from smartmeter_codecs.dlms.gbt import GbtAssembler, build_blocks, parse_block


def value(hexstr: str):
    d, end = decode_data(bytes.fromhex(hexstr))
    assert end == len(bytes.fromhex(hexstr))
    return d


@pytest.mark.parametrize("hexstr, tag, expected", [
    ("0301", 3, True), ("0300", 3, False),
    ("05fffffffe", 5, -2), ("06fffffffe", 6, 0xFFFFFFFE),
    ("0f80", 15, -128), ("10fffe", 16, -2), ("1180", 17, 128), ("12ffff", 18, 65535),
    ("14ffffffffffffffff", 20, -1), ("15ffffffffffffffff", 21, 2**64 - 1),
    ("1605", 22, 5), ("0d42", 13, 0x42),
    ("0903010203", 9, b"\x01\x02\x03"), ("0a03414243", 10, "ABC"), ("0c03e282ac", 12, "€"),
    ("00", 0, None), ("ff", 255, None),
])
def test_simple_types(hexstr, tag, expected):
    d = value(hexstr)
    assert d.tag == tag and d.value == expected


def test_floats():
    assert value("17" + struct.pack(">f", 1.5).hex()).value == 1.5
    assert value("18" + struct.pack(">d", -2.25).hex()).value == -2.25


def test_bit_string_counts_bits_not_bytes():
    d = value("040ba5e0")          # 11 bits: 1010 0101 111
    assert isinstance(d.value, BitString) and d.value.bits == 11 and str(d.value) == "10100101111"


def test_long_form_lengths():
    assert decode_length(b"\x81\x80", 0) == (128, 2)
    assert decode_length(b"\x82\x01\x00", 0) == (256, 3)
    assert encode_length(300) == b"\x82\x01\x2c"
    raw = encode_data(9, bytes(300))
    assert value(raw.hex()).value == bytes(300)


def test_compact_array_of_structures():
    # type description: structure{long-unsigned, integer}, contents: 2 elements of 3 bytes
    d = value("13" "02" "02" "12" "0f" "06" "0001ff" "0002fe")
    assert d.tag == 19
    assert [(e.value[0].value, e.value[1].value) for e in d.value] == [(1, -1), (2, -2)]


def test_compact_array_of_array_type():
    d = value("13" "01" "0002" "11" "04" "01020304")   # array of 2 unsigned, twice
    assert [[x.value for x in e.value] for e in d.value] == [[1, 2], [3, 4]]


def test_date_time_and_date_and_time_types():
    d = value("19" "07e80b0f050e2d2d00ffc400")          # deviation -60, clock status 0x00
    assert d.value.to_datetime() == dt.datetime(2024, 11, 15, 14, 45, 45, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert value("1a07e80b0f05").value.to_date() == dt.date(2024, 11, 15)
    assert value("1b0e2d2dff").value.to_time() == dt.time(14, 45, 45)


@pytest.mark.parametrize("bad, err", [
    ("", smc.IncompleteError), ("06000000", smc.IncompleteError), ("0905aabb", smc.IncompleteError),
    ("0205", smc.IncompleteError), ("0299", smc.FramingError), ("07", smc.FramingError),
    ("0985", smc.FramingError),
    ("13" "02" "00" "03" "000000", smc.FramingError),      # compact-array of structure{} (zero size)
])
def test_bad_data_gives_typed_errors_with_offsets(bad, err):
    with pytest.raises(err) as info:
        decode_data(bytes.fromhex(bad))
    assert info.value.layer == "axdr" and info.value.offset is not None


def test_nesting_is_bounded():
    deep = bytes.fromhex("0201") * 100 + b"\x00"
    with pytest.raises(smc.UnsupportedError):
        decode_data(deep)


# --- COSEM date-time (Blue Book 4.1.6.1): UTC = local time + deviation --------------------

def test_deviation_sign_follows_the_blue_book():
    cet = parse_datetime(bytes.fromhex("07e302040117341600" "ffc4" "00"))    # -60 = CET
    assert cet.to_datetime() == dt.datetime(2019, 2, 4, 23, 52, 22, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    cest = parse_datetime(bytes.fromhex("07e307040417341600" "ff88" "80"))   # -120, DST bit
    assert cest.to_datetime().utcoffset() == dt.timedelta(hours=2) and cest.daylight_saving is True
    unspecified = parse_datetime(bytes.fromhex("07e307040417341600" "8000" "ff"))
    assert unspecified.to_datetime().tzinfo is None and unspecified.clock_status is None


def test_wildcards_give_no_datetime_but_keep_fields():
    c = parse_datetime(bytes.fromhex("ffff0cffffffffffff8000ff"))
    assert c.year is None and c.month == 12 and c.to_datetime() is None


@settings(max_examples=80, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2150, 1, 1)),
       st.integers(-12 * 4, 14 * 4).map(lambda q: dt.timezone(dt.timedelta(minutes=15 * q))))
def test_datetime_round_trip(when, zone):
    when = when.replace(microsecond=(when.microsecond // 10000) * 10000, tzinfo=zone)
    back = parse_datetime(build_datetime(when)).to_datetime()
    assert back == when and back.utcoffset() == when.utcoffset()


# --- general block transfer -------------------------------------------------------------------

def test_gbt_round_trip_and_restart():
    apdu = bytes(range(256)) * 2
    blocks = [parse_block(b) for b in build_blocks(apdu, 100)]
    g = GbtAssembler()
    assert [g.push(b) for b in blocks[:-1]] == [None] * (len(blocks) - 1)
    assert g.push(blocks[-1]) == apdu
    # a message that restarts at block 1 drops the open one, with an error, and then completes
    g.push(blocks[0])
    with pytest.raises(smc.IncompleteError):
        g.push(blocks[0])
    for b in blocks[1:-1]:
        assert g.push(b) is None
    assert g.push(blocks[-1]) == apdu


@pytest.mark.parametrize("order", [(1, 3), (1, 2, 2), (2,), (3,)])
def test_gbt_gap_repeat_or_orphan_is_incomplete(order):
    blocks = [parse_block(b) for b in build_blocks(bytes(400), 100)]
    g = GbtAssembler()
    with pytest.raises(smc.IncompleteError):
        for n in order:
            g.push(blocks[n - 1])
    assert not g.open or order == (1, 2, 2)


def test_unknown_tag_message_lists_the_valid_ones():
    with pytest.raises(smc.FramingError) as info:
        decode_data(bytes.fromhex("07"))
    assert "unknown A-XDR data tag 7" in str(info.value) and not math.isnan(info.value.offset)


_DT_BYTE = st.one_of(st.integers(0, 255), st.sampled_from([0xFF, 0xFE, 0xFD, 0, 1, 12, 13, 23, 24, 59, 60, 99, 100]))


@settings(max_examples=500)
@given(st.one_of(st.binary(min_size=12, max_size=12),
                 st.tuples(st.integers(0, 0xFFFF) | st.sampled_from([0xFFFF, 2024]), *([_DT_BYTE] * 7),
                           st.integers(0, 0xFFFF) | st.sampled_from([0x8000, 0xFFC4, 0xFF88, 0x02D0, 0xFCC8, 0xFCC7]),
                           _DT_BYTE).map(lambda t: t[0].to_bytes(2, "big") + bytes(t[1:8])
                                         + t[8].to_bytes(2, "big") + bytes([t[9]]))))
def test_datetime_of_is_parse_then_to_datetime(b):
    """cosem_time.datetime_of (the template path's one call) == parse_datetime(b).to_datetime()
    for any 12 bytes: wildcards, impossible dates, deviations in and out of range, 0x8000."""
    want = parse_datetime(b).to_datetime()
    got = datetime_of(b)
    assert (got, getattr(got, "tzinfo", None)) == (want, getattr(want, "tzinfo", None))
