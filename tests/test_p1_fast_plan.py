"""The P1 fast path (smartmeter_codecs/p1/fast.py, issue 16) held to the full path.

Every real P1 telegram we hold, and generated and mutated ones, decode to the same Readings
(every field, every Register with its value, unit, OBIS code, description and ``extra`` in
the same order, the same ``quality``) through ``decode_telegrams`` (fast path first) and
through the full path alone; where the full path raises, the fast path declines and the
error (class, layer, offset, message) is the full path's.
"""
from __future__ import annotations

import decimal
import json
import pathlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs.p1 import codec as p1codec
from smartmeter_codecs.p1 import fast
from smartmeter_codecs.p1.codec import P1Stream, _decode_full, _fast_decode, decode_telegrams
from smartmeter_codecs.p1.crc import crc16_arc

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path("/work/shared/corpus/p1sml.json")


def _entries(path: pathlib.Path) -> list[dict]:
    doc = json.loads(path.read_text())
    return doc["entries"] if isinstance(doc, dict) else doc


def _real() -> list[tuple[str, bytes]]:
    out = []
    paths = [ROOT / "fixtures" / "p1" / "corpus.json", ROOT / "fixtures" / "p1" / "more_real_telegrams.json"]
    if SHARED.exists():      # the shared corpus is on the development machine, not in a clone
        paths.append(SHARED)
    for path in paths:
        for e in _entries(path):
            if e.get("kind", "p1") != "p1":
                continue
            data = bytes.fromhex(e["data"]) if e.get("encoding") == "hex" else e["data"].encode("latin-1")
            out.append((e["id"], data))
    for path in sorted((ROOT / "fixtures" / "samples").glob("p1-*")):
        out.append((path.name, path.read_bytes()))
    return out


REAL = _real()
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except DecodeError as err:
        return err


def _same(a, b) -> bool:
    if isinstance(a, DecodeError) or isinstance(b, DecodeError):
        return (type(a), getattr(a, "layer", None), getattr(a, "offset", None), str(a)) == (
            type(b), getattr(b, "layer", None), getattr(b, "offset", None), str(b))
    # == compares the fields and the registers; repr also sees the order of each extra dict
    # and the exact tzinfo of every datetime; to_dict is what JSON users get
    return a == b and repr(a) == repr(b) and [r.to_dict() for r in a] == [r.to_dict() for r in b]


def check(data: bytes, profile: str | None = None) -> bool:
    """decode_telegrams == the full path, each time until a new shape has its plan (the
    fast path declines a shape's first telegrams); True when the fast path decoded it."""
    full = _outcome(_decode_full, data, profile=profile)
    fast_result = None
    for _ in range(fast.BUILD_AFTER):
        fast_result = _outcome(_fast_decode, data, profile)
        if isinstance(full, DecodeError):
            assert fast_result is None, f"the fast path decoded what the full path rejects: {full}"
        elif fast_result is not None:
            assert _same(fast_result, full)
        assert _same(_outcome(decode_telegrams, data, profile=profile), full)
    return fast_result is not None


def _with_crc(body: bytes) -> bytes:
    """A telegram whose CRC line is recomputed (so a mutated telegram passes the CRC and
    reaches the value logic of both paths)."""
    bang = body.find(b"\n!")
    if bang < 0 or body[:1] != b"/":
        return body
    end = body.find(b"\n", bang + 1)
    tail = b"\r\n" if end < 0 else body[end - 1:] if body[end - 1:end] == b"\r" else body[end:]
    return body[:bang + 2] + f"{crc16_arc(body[:bang + 2]):04X}".encode() + tail


def test_every_real_telegram_decodes_the_same_by_both_paths_cold_and_cached() -> None:
    fast._shape.cache_clear()
    fast._layout.cache_clear()
    counts = []
    for _ in range(2):              # cold: each plan built; then every plan from the cache
        counts.append(sum(check(data) for _, data in REAL))
    # about a third of the corpus is broken on purpose (error tests); of the telegrams that
    # decode, the fast path declines only the one with a value bracket wrapped onto the next
    # line (openHAB dsmr_42; twice with the shared corpus)
    decodable = sum(not isinstance(_outcome(_decode_full, data), DecodeError) for _, data in REAL)
    assert counts[0] == counts[1] >= max(50, decodable - 2), f"fast path took {counts} of {decodable}"
    assert fast._shape.cache_info().hits >= counts[0]


def test_a_shape_gets_its_plan_only_when_it_comes_back() -> None:
    # telegrams of ever new shapes (more meters than the cache holds) never pay for a plan
    fast._shape.cache_clear()
    data = dict(REAL)["p1-dsmr_parser-telegram_v5"]
    for _ in range(fast.BUILD_AFTER - 1):
        assert _fast_decode(data, None) is None
    assert _same(_fast_decode(data, None), _decode_full(data))
    # a cache that holds fewer shapes than come round in turn: no shape gets its plan
    size = fast._shape.cache_info().maxsize
    shapes = [_with_crc(data.replace(b"ISk5\\2MT382-1000", f"ISk5\\2MT382-{k:04d}".encode()))
              for k in range(size + 10)]
    for _ in range(fast.BUILD_AFTER):
        for telegram in shapes:
            assert _fast_decode(telegram, None) is None
    assert check(shapes[0])     # and one that comes back gets it


@pytest.mark.parametrize("profile", ["nl", "be", "se", "lt", "ie", "hu", "unknown-profile"])
def test_profiles_give_the_same_readings_and_errors(profile: str) -> None:
    for _, data in REAL[:40]:
        try:
            check(data, profile)
        except ValueError as err:     # an unknown profile is the caller's mistake in both paths
            assert profile == "unknown-profile" and "unknown p1 profile" in str(err)
            with pytest.raises(ValueError):
                _decode_full(data, profile=profile)


WITH_CRC = [d for _, d in REAL if b"\n!" in d and d[:1] == b"/"]


@SETTINGS
@given(st.sampled_from(WITH_CRC), st.data())
def test_other_digits_in_a_known_shape_decode_the_same(telegram: bytes, data: st.DataObject) -> None:
    # the same mask and skeleton, other digits in the values: the cached plan is applied to
    # dates that do not exist, hex text that is not printable, zeros, long numbers...
    check(_with_crc(telegram))       # the shape's plan is cached first
    positions = [i for i in range(telegram.find(b"\n"), telegram.find(b"\n!")) if 0x30 <= telegram[i] <= 0x39]
    if not positions:
        return
    out = bytearray(telegram)
    for i in data.draw(st.lists(st.sampled_from(positions), min_size=1, max_size=40)):
        out[i] = data.draw(st.integers(0x30, 0x39))
    check(_with_crc(bytes(out)))
    check(bytes(out))                # and with its CRC now wrong (when it has one)


@SETTINGS
@given(st.sampled_from(WITH_CRC), st.data())
def test_mutated_telegrams_decode_the_same_or_fail_the_same(telegram: bytes, data: st.DataObject) -> None:
    out = bytearray(telegram)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["set", "insert", "delete"]))
        i = data.draw(st.integers(0, max(len(out) - 1, 0)))
        char = data.draw(st.sampled_from(b"0123456789()*.:-/!\r\n \tSWsAaFfkWhm3\xb3\xa0\x00"))
        if op == "set" and out:
            out[i] = char
        elif op == "insert":
            out.insert(i, char)
        elif out:
            del out[i]
    check(_with_crc(bytes(out)))
    check(bytes(out))


_UNITS = ["kWh", "kW", "V", "A", "m3", "m³", "GJ", "kvarh", "kVArh", "W", "Wh", "s", "m0", "k1W", "", " ", "kwh"]


@st.composite
def _value(draw: st.DrawFn) -> str:
    digits = st.text("0123456789", min_size=1, max_size=30)
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return draw(digits) + draw(st.sampled_from(["", "."])) + draw(st.text("0123456789", max_size=4)) + (
            draw(st.sampled_from(["*", "", " *"])) + draw(st.sampled_from(_UNITS)))
    if kind == 1:
        return draw(st.text("0123456789", min_size=12, max_size=12)) + draw(st.sampled_from(["W", "S", "s", "w", "", "X"]))
    if kind == 2:
        return draw(st.binary(max_size=20)).hex()
    if kind == 3:
        return draw(st.sampled_from(["", " ", "0-0:96.7.19", "1-0:1.6.0"]))
    if kind == 4:
        return draw(st.sampled_from(["+", "-", ""])) + draw(digits) + draw(st.sampled_from(["", ".5", "."]))
    if kind == 5:
        return draw(st.text("0123456789ABCDEFabcdef", min_size=24, max_size=24))
    return draw(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="()"),
                        max_size=12))


_IDS = ["0-0:1.0.0", "0-0:96.1.1", "0-0:96.1.0", "0-0:42.0.0", "0-0:96.13.0", "0-0:96.14.0", "1-0:1.8.0", "1-0:1.8.1",
        "1-0:1.8.2", "1-0:2.8.1", "1-0:2.8.2", "1-0:1.7.0", "1-0:2.7.0", "1-0:32.7.0", "1-0:31.7.0", "1-0:14.7.0",
        "1-0:13.7.0", "0-0:96.7.21", "1-0:32.32.0", "1-0:99.97.0", "0-1:24.2.1", "0-1:24.3.0", "0-0:17.0.0",
        "1-0:0.0.0*255", "1-0:1.8.0.255", "1.8.0", "F.F", "1-0:3.8.0", "1-0:3.8.1", "1-0:4.8.2", "0-2:96.1.0"]


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(_IDS), st.lists(_value(), min_size=1, max_size=4)), min_size=2, max_size=12),
       st.sampled_from(["ISk5\\2MT382-1000", "FLU5\\253769484_A", "ESY5Q3DB1024 V3.04", "ELL5\\253833635_A"]),
       st.booleans(), st.sampled_from([None, "nl", "se"]))
def test_generated_telegrams_decode_the_same(lines, header, crc, profile) -> None:
    body = ("/" + header + "\r\n\r\n" + "".join(i + "".join(f"({v})" for v in vs) + "\r\n" for i, vs in lines)
            + "!").encode("latin-1")
    data = body + (f"{crc16_arc(body):04X}\r\n".encode() if crc else b"\r\n")
    check(data, profile)
    # the same shape again with other digits: the plan of the first is reused
    rng = random.Random(data)
    again = bytes(rng.choice(b"0123456789") if 0x30 <= b <= 0x39 and i > body.find(b"\n") else b
                  for i, b in enumerate(body))
    check(again + (f"{crc16_arc(again):04X}\r\n".encode() if crc else b"\r\n"), profile)


_GAS_FIELDS = st.tuples(
    st.one_of(st.text("0123456789", min_size=12, max_size=12).map(lambda t: t + "W"),
              st.text("0123456789", min_size=12, max_size=12), st.just("")),
    st.text("0123456789", max_size=3), st.sampled_from(["60", "", "x", " 5", "1_0"]), st.text("0123456789", max_size=2),
    st.sampled_from(["0-1:24.2.1", "0-1:24.2.0"]), st.sampled_from(["m3", "m³", "GJ", "", "kWh", "m4", " m3"]),
    st.one_of(_value(), st.text("0123456789.", min_size=1, max_size=12)))


@SETTINGS
@given(st.lists(_GAS_FIELDS, min_size=1, max_size=2), st.booleans(), st.sampled_from([None, "nl", "se"]))
def test_dsmr22_gas_profile_lines_decode_the_same(gas, wrapped, profile) -> None:
    # 0-n:24.3.0(TST)(status)(period)(count)(capture OBIS)(unit) and the value on the next
    # physical line (DSMR 2.2/3.0), followed by another line
    lines = "".join(f"0-{k + 1}:24.3.0" + "".join(f"({g})" for g in f[:6]) + ("\r\n" if wrapped else "")
                    + f"({f[6]})\r\n" for k, f in enumerate(gas))
    data = ("/ISk5\\2MT382-1000\r\n\r\n1-0:1.8.1(12345.678*kWh)\r\n" + lines + "0-1:24.4.0(1)\r\n!\r\n").encode("latin-1")
    check(data, profile)
    rng = random.Random(data)
    check(bytes(rng.choice(b"0123456789") if 0x30 <= b <= 0x39 and i > 20 else b for i, b in enumerate(data)), profile)


_FAILURE = st.tuples(
    st.one_of(st.text("0123456789", min_size=12, max_size=12).map(lambda t: t + "W"),
              st.text("0123456789", min_size=12, max_size=12).map(lambda t: t + "S"), st.just("000101000001W"),
              st.text("0123456789", min_size=12, max_size=12), st.just("")),
    st.one_of(st.text("0123456789", min_size=1, max_size=20).map(lambda t: t + "*s"),
              st.text("0123456789", min_size=1, max_size=12), st.sampled_from(["", "x", "12*m3", "99999999999999999999*s",
                                                                                "12.5*s", "7*min"])))


@SETTINGS
@given(st.text("0123456789", max_size=3), st.lists(_FAILURE, max_size=4), st.booleans(), st.sampled_from([None, "se"]))
def test_power_failure_logs_decode_the_same(count, entries, odd, profile) -> None:
    groups = [count, "0-0:96.7.19"] + [x for e in entries for x in e] + (["123"] if odd else [])
    line = "1-0:99.97.0" + "".join(f"({g})" for g in groups)
    body = ("/KFM5KAIFA-METER\r\n\r\n1-0:1.8.1(001581.123*kWh)\r\n" + line + "\r\n!").encode("latin-1")
    data = body + f"{crc16_arc(body):04X}\r\n".encode()
    check(data, profile)
    rng = random.Random(data)
    again = bytes(rng.choice(b"0123456789") if 0x30 <= b <= 0x39 and i > 20 else b for i, b in enumerate(body))
    check(again + f"{crc16_arc(again):04X}\r\n".encode(), profile)


def test_the_generated_source_holds_no_text_of_the_telegram() -> None:
    # keys, descriptions, units and ids are bound as names: the source is offsets and names
    data = dict(REAL)["p1-dsmr_parser-telegram_v5"]
    assert check(data)
    plan, values, _ = fast.fast_parse(data, 0, None)
    for text in ("1-0:1.8.1", "kWh", "Wh", "Active energy", "ISk5", "0-0:96.7.19"):
        assert text not in plan.source
    assert "register_of" in plan.source or "multi(" in plan.source     # the failure log, the gas line
    assert plan.build(values, None) == _decode_full(data)[0]


def test_tariff_totals_as_ints_are_the_decimal_sums() -> None:
    # _total's integer shortcut against reading_fields' Decimal sum, on whole and other values
    from decimal import Decimal

    rng = random.Random(16)
    cases = [(0.0, -0.0), (-0.0, -0.0), (2.0 ** 53 - 1, 1.0), (2.0 ** 53, 1.0), (1e20, 3.0), (4426.0, 2399.0),
             (0.1, 0.2), (1234.5, 0.25), (float("inf"), 1.0)]
    cases += [tuple(float(rng.randrange(10 ** rng.randrange(1, 17))) for _ in range(rng.randrange(1, 10)))
              for _ in range(300)]
    cases += [tuple(rng.randrange(10 ** 9) / 10 ** rng.randrange(4) for _ in range(3)) for _ in range(300)]
    for values in cases:
        try:
            want = float(sum(Decimal(repr(v)) for v in values))
        except Exception as err:      # noqa: BLE001 - inf: the same exception both ways
            with pytest.raises(type(err)):
                fast._total(*values)
            continue
        got = fast._total(*values)
        assert repr(got) == repr(want), values


def test_a_decimal_context_that_could_round_makes_the_fast_path_decline() -> None:
    data = dict(REAL)["p1-dsmr_parser-telegram_v5"]
    assert check(data)
    with decimal.localcontext() as ctx:
        ctx.prec = 5                 # Decimal(digits) * 1000 now rounds in the full path
        assert _fast_decode(data, None) is None
        assert _same(decode_telegrams(data), _decode_full(data))


def test_the_stream_gives_the_same_items_with_and_without_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = b"".join(d + b"garbage\r\n" for d in WITH_CRC[:30])
    chunks = [stream[i:i + 1000] for i in range(0, len(stream), 1000)]
    s = P1Stream()
    with_fast = [item for c in chunks for item in s.feed(c)]
    monkeypatch.setattr(p1codec, "fast_reading", lambda data, start, profile: None)
    s = P1Stream()
    without = [item for c in chunks for item in s.feed(c)]
    assert len(with_fast) == len(without) > 20
    for a, b in zip(with_fast, without):
        assert _same([a], [b]) if not isinstance(a, DecodeError) else _same(a, b)


def test_the_plan_caches_are_bounded() -> None:
    assert fast._shape.cache_info().maxsize is not None
    assert fast._layout.cache_info().maxsize is not None
    # each entry keeps a telegram's text: no longer than the stream's bound
    assert fast.MAX_TELEGRAM == p1codec.MAX_TELEGRAM
    data = dict(REAL)["p1-dsmr_parser-telegram_v3"]
    long = data.replace(b"\r\n!", b"\r\n" + b"0-0:96.13.0()\r\n" * 700 + b"!")
    assert len(long) > fast.MAX_TELEGRAM and not check(long)


def test_trailing_bytes_are_noted_and_logged_as_by_the_full_path(caplog: pytest.LogCaptureFixture) -> None:
    # EasyMeter Q3D: a COM-1 0xFF run after the telegram (note_extra_bytes' note and INFO line)
    data = dict(REAL)["p1-dsmr_parser-telegram_esy5q3db1024_v304"]
    assert check(data)
    with caplog.at_level("INFO", logger="smartmeter_codecs"):
        fast_result = _fast_decode(data, None)
        fast_log = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
        caplog.clear()
        full = _decode_full(data)
        full_log = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert fast_result is not None and _same(fast_result, full)
    assert fast_result[0].quality and "trailing bytes" in fast_result[0].quality
    assert fast_log == full_log and len(full_log) == 1


def test_a_bytearray_decodes_as_before() -> None:
    data = dict(REAL)["p1-dsmr_parser-telegram_v5"]
    assert check(data)
    assert _same(decode_telegrams(bytearray(data)), _decode_full(data))
