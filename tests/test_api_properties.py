"""Whatever arrives, the public API answers with Readings or typed DecodeErrors (all formats)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# bytes that look like the start of each format, so autodetection is exercised too
PREFIXES = st.sampled_from([b"", b"\x7e\xa0", b"\x7e\xa8", b"\xe6\xe7\x00", b"\x0f", b"\xe0\xc0\x00\x01",
                            b"\xdb\x08", b"\x68", b"\x10", b"\xe5", b"{", b"[",
                            b"\x1b\x1b\x1b\x1b\x01\x01\x01\x01", b"\x76"])


@SETTINGS
@given(PREFIXES, st.binary(max_size=300))
def test_decode_all_any_bytes(prefix, tail):
    data = prefix + tail
    try:
        out = smc.decode_all(data)
    except smc.DecodeError:
        return
    assert all(isinstance(r, smc.Reading) for r in out)


@SETTINGS
@given(st.text(max_size=200))
def test_decode_all_any_text(text):
    try:
        smc.decode_all(text)
    except smc.DecodeError:
        pass


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=5),
                           max_leaves=20)


@SETTINGS
@given(json_values)
def test_decode_all_any_json(value):
    try:
        smc.decode_all(json.dumps(value))
    except smc.DecodeError:
        pass


@SETTINGS
@given(st.lists(st.tuples(PREFIXES, st.binary(max_size=120)), max_size=8))
def test_stream_decoder_any_chunks(chunks):
    dec = smc.StreamDecoder()
    for prefix, tail in chunks:
        for item in dec.feed(prefix + tail):
            assert isinstance(item, (smc.Reading, smc.DecodeError))


@SETTINGS
@given(PREFIXES, st.binary(max_size=300))
def test_inspect_never_raises(prefix, tail):
    ins = smc.inspect(prefix + tail)
    assert isinstance(str(ins), str)
    assert ins.error is None or isinstance(ins.error, (smc.DecodeError, ValueError))
