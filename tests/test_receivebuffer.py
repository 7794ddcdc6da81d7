"""The one receive buffer under every stream splitter (smartmeter_codecs/_receivebuffer.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartmeter_codecs._receivebuffer import ReceiveBuffer


def test_stream_offsets_survive_release():
    rx = ReceiveBuffer(100)
    rx.feed(b"abcdef")
    assert (rx.start, rx.end, len(rx)) == (0, 6, 6)
    assert rx.release(4) == 4
    assert (rx.start, rx.end, bytes(rx.data)) == (4, 6, b"ef")
    rx.feed(b"gh")
    assert rx.at(4) == ord("e") and rx.at(7) == ord("h")
    assert rx.index(6) == 2
    assert rx.slice(5, 7) == b"fg"
    assert rx.slice(0, 6) == b"ef"              # released bytes are gone; the slice is clipped
    with pytest.raises(IndexError):
        rx.at(3)


def test_find_uses_stream_offsets_and_stops():
    rx = ReceiveBuffer(100)
    rx.feed(b"..~..~..")
    rx.release(3)
    assert rx.find(b"~", 0) == 5                # before the buffer start: from the start
    assert rx.find(0x7E, 6) == -1
    assert rx.find(b"~", 3, 5) == -1            # stop is exclusive
    assert rx.find(b"~", 3, 6) == 5


def test_release_never_moves_past_the_received_bytes():
    rx = ReceiveBuffer(100)
    rx.feed(b"abc")
    assert rx.release(10) == 3                  # clamped: offsets stay true for later bytes
    rx.feed(b"d")
    assert rx.at(3) == ord("d")


def test_limit_forces_the_oldest_bytes_out_and_says_so():
    rx = ReceiveBuffer(4)
    rx.feed(b"0123456789")
    assert rx.release(0) == 6                   # only the newest 4 bytes stay
    assert bytes(rx.data) == b"6789" and rx.start == 6


def test_skip_lets_bytes_pass_only_from_an_empty_buffer():
    rx = ReceiveBuffer(10)
    rx.skip(5)
    rx.feed(b"ab")
    assert (rx.start, rx.end, rx.at(5)) == (5, 7, ord("a"))
    with pytest.raises(ValueError):
        rx.skip(1)


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        ReceiveBuffer(0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=20), st.integers(0, 30)), max_size=30))
def test_buffer_matches_a_plain_model(steps):
    """Whatever is fed and released, the buffer holds exactly the stream's bytes from start to
    end, at most ``limit`` of them after a release."""
    rx = ReceiveBuffer(16)
    stream = b""
    for chunk, advance in steps:
        rx.feed(chunk)
        stream += chunk
        before = rx.start
        start = rx.release(before + advance)
        assert start == max(before, min(max(before + advance, len(stream) - 16), len(stream)))
        assert len(rx) <= 16
        assert rx.end == len(stream)
        assert bytes(rx.data) == stream[rx.start:]
