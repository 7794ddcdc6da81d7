"""The cached interpretation plan of OBIS-keyed DLMS lists (issue 16) gives exactly the registers
of the full interpretation: on every real frame of the fixtures, on generated keyed lists for
every profile, from several threads at once; and the cache stays bounded."""
from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from _dlms_frames import dlms_entries as _entries
from smartmeter_codecs.dlms import codec as dlms_codec
from smartmeter_codecs.dlms import interpret
from smartmeter_codecs.dlms.axdr import decode_data
from smartmeter_codecs.dlms.profiles import GENERIC, PROFILES, detect_profile



def _full(body, profile=None, system_title=None):
    """interpret_body without the plan: the reference."""
    pol = interpret._push_object_list(body)
    leaves = interpret._leaves(body)
    if profile is None:
        profile = detect_profile(interpret._strings(leaves), system_title)
        if pol is not None and profile is GENERIC:
            profile = PROFILES["landisgyr"]
    return interpret._interpret_full(body, pol, leaves, profile)


def _same(a, b):
    assert a.profile is b.profile and a.shape == b.shape and a.notes == b.notes
    assert len(a.registers) == len(b.registers)
    for x, y in zip(a.registers, b.registers):
        assert x == y and type(x.value) is type(y.value) and list(x.extra.items()) == list(y.extra.items())


def test_real_frames_same_registers_with_and_without_the_plan(monkeypatch):
    calls = []
    real = dlms_codec.interpret_body

    def recording(body, **kw):
        calls.append((body, kw))
        return real(body, **kw)

    monkeypatch.setattr(dlms_codec, "interpret_body", recording)
    monkeypatch.setattr(dlms_codec.CODEC, "_templates", None)   # every push through interpret_body
    for _id, frame, keys in _entries():
        try:
            smc.decode_all(frame, keys=keys)
        except smc.DecodeError:
            pass
    assert len(calls) > 100
    planned = 0
    for body, kw in calls:
        got = interpret.interpret_body(body, **kw)
        _same(got, _full(body, kw.get("profile"), kw.get("system_title")))
        planned += got.shape == "obis"
    assert planned > 20          # the plan served the OBIS-keyed lists of the corpus


_OBIS = st.sampled_from([bytes([1, 0, c, d, 0, 255]) for c in (1, 2, 3, 4, 13, 14, 31, 32, 51, 52, 71, 72)
                         for d in (7, 8)] + [bytes([0, 0, 96, 1, 0, 255]), bytes([1, 1, 0, 2, 129, 255]),
                                             bytes([0, 0, 1, 0, 0, 255]), bytes([1, 0, 99, 98, 1, 255])])
_NUM = st.one_of(st.integers(0, 2**32 - 1).map(lambda v: b"\x06" + v.to_bytes(4, "big")),
                 st.integers(0, 2**16 - 1).map(lambda v: b"\x12" + v.to_bytes(2, "big")),
                 st.integers(-2**15, 2**15 - 1).map(lambda v: b"\x10" + v.to_bytes(2, "big", signed=True)),
                 st.integers(0, 255).map(lambda v: b"\x16" + bytes([v])),
                 st.binary(max_size=14).map(lambda v: b"\x09" + bytes([len(v)]) + v),
                 st.sampled_from([b"\x0a\x05RATE1", b"\x09\x0c" + bytes.fromhex("07e9010105100000ff800000"),
                                  b"\x00"]))
_SU = st.tuples(st.integers(-3, 3), st.sampled_from([27, 30, 33, 35, 44, 32, 255, 0])).map(
    lambda t: b"\x02\x02\x0f" + t[0].to_bytes(1, "big", signed=True) + b"\x16" + bytes([t[1]]))
_ELEMENT = st.tuples(st.one_of(st.none(), _OBIS), _NUM, st.one_of(st.none(), _SU))


@settings(max_examples=150, deadline=None)
@given(st.lists(_ELEMENT, min_size=1, max_size=12), st.sampled_from([None, *PROFILES.values()]),
       st.booleans())
def test_generated_keyed_lists_same_registers(elements, profile, nested):
    """Any list of code/value(/scaler-unit) groups and bare values, flat (Aidon/Kamstrup style)
    or one structure per group, gives the full interpretation's registers through the plan
    (twice: when the plan is built, then from the cache)."""
    groups = [([b"\x09\x06" + obis] if obis is not None else []) + [num] + ([su] if su is not None else [])
              for obis, num, su in elements]
    if nested:
        body = b"\x02" + bytes([len(groups)]) + b"".join(b"\x02" + bytes([len(g)]) + b"".join(g) for g in groups)
    else:
        parts = [p for g in groups for p in g]
        body = b"\x02" + bytes([len(parts)]) + b"".join(parts)
    data, end = decode_data(body, 0)
    assert end == len(body)
    want = _full(data, profile)
    _same(interpret.interpret_body(data, profile=profile), want)
    _same(interpret.interpret_body(data, profile=profile), want)


def test_the_cache_is_bounded():
    info = interpret._keyed_plan.cache_info()
    assert info.maxsize == interpret._PLAN_CACHE_SIZE <= 4096
    for i in range(interpret._PLAN_CACHE_SIZE + 50):     # more shapes than the cache holds
        code = bytes([1, 0, 1, 7, 0, 255])
        body = (b"\x02\x03\x09\x06" + code + b"\x06\x00\x00\x00\x01\x02\x02\x0f"
                + (i % 7 - 3).to_bytes(1, "big", signed=True) + b"\x16" + bytes([i // 7 % 256]))
        data, _ = decode_data(body, 0)
        interpret.interpret_body(data)
    assert interpret._keyed_plan.cache_info().currsize <= interpret._PLAN_CACHE_SIZE


def test_threads_decode_the_same_readings():
    entries = [(f, k) for _, f, k in _entries()]

    def all_readings():
        out = []
        for frame, keys in entries:
            try:
                out.append(smc.decode_all(frame, keys=keys))
            except smc.DecodeError as err:
                out.append(repr(err))
        return out

    interpret._keyed_plan.cache_clear()
    want = all_readings()
    interpret._keyed_plan.cache_clear()
    results: list = [None] * 4
    errors: list = []

    def work(n):
        try:
            results[n] = all_readings()
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == want for r in results)


def _strip(d):
    """A Data tree without offsets."""
    return (d.tag, tuple(_strip(c) for c in d.value) if d.tag in (1, 2) else d.value)


@settings(max_examples=200, deadline=None)
@given(st.integers(-128, 127), st.integers(0, 255), st.integers(0, 3))
def test_inline_scaler_unit_equals_the_generic_path(scaler, unit, before):
    """A scaler-unit inside a container is decoded inline (issue 16); it must equal the generic
    recursive decode of the same bytes, offsets included."""
    su = b"\x02\x02\x0f" + scaler.to_bytes(1, "big", signed=True) + b"\x16" + bytes([unit])
    lead = b"\x11\x05" * before
    body = b"\x02" + bytes([before + 1]) + lead + su
    data, end = decode_data(body, 0)
    assert end == len(body)
    inline = data.value[-1]
    alone, alone_end = decode_data(body, 2 + len(lead))       # the structure as a top-level value
    assert inline == alone and alone_end == end
    assert _strip(inline) == (2, ((15, scaler), (22, unit)))


# --- value-only layouts (issue 16, second pass) ---------------------------------------------

def _value_only_lists(monkeypatch):
    """(values, profile, pool) of every layout choice the real fixture frames make."""
    calls = []
    real = interpret._choose_layout

    def recording(values, profile, pool=None):
        calls.append((list(values), profile, pool))
        return real(values, profile, pool)

    monkeypatch.setattr(interpret, "_choose_layout", recording)
    for _id, frame, keys in _entries():
        try:
            smc.decode_all(frame, keys=keys)
        except smc.DecodeError:
            pass
    monkeypatch.undo()
    return calls


def _unplanned(pool):
    """The same layouts with copies of their profiles: a Profile object that is not the
    registered one takes _register's path, not the plan (the reference)."""
    import dataclasses
    copies = {}
    return [(copies.setdefault(id(p), dataclasses.replace(p)), lay) for p, lay in pool]


def _same_choice(values, profile, pool):
    pool = pool if pool is not None else interpret._layout_pool(profile)
    got, got_note = interpret._choose_layout(values, profile, pool)
    ref_pool = _unplanned(pool)
    want, want_note = interpret._choose_layout(values, ref_pool[0][0] if ref_pool else profile, ref_pool)
    assert got_note == want_note
    assert (got is None) == (want is None)
    if got is not None:
        assert got[0].name == want[0].name and got[1] is want[1] and got[3] == want[3]
        assert len(got[2]) == len(want[2])
        for x, y in zip(got[2], want[2]):
            assert x == y and type(x.value) is type(y.value) and list(x.extra.items()) == list(y.extra.items())
    return got is not None


def test_value_only_layouts_same_registers_with_and_without_the_plan(monkeypatch):
    calls = _value_only_lists(monkeypatch)
    assert len(calls) >= 5
    chosen = 0
    for _ in range(2):                 # the plan is built, then read from the cache
        for values, profile, pool in calls:
            chosen += _same_choice(values, profile, pool)
    assert chosen >= 8                 # the Kaifa (and other value-only) lists of the corpus fit
    assert interpret._layout_plan.cache_info().hits > 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_value_only_layouts_with_other_values_same_choice(data):
    """Real value-only lists with their numbers replaced (same A-XDR types): implausible values
    must lose the layout, rescaled ones must take the same convention, with and without the plan."""
    if "calls" not in _VALUE_ONLY:       # the real lists, collected once for all examples
        _VALUE_ONLY["calls"] = _value_only_lists(pytest.MonkeyPatch())
    calls = _VALUE_ONLY["calls"]
    values, profile, pool = data.draw(st.sampled_from(calls))
    bounds = {5: (-2**31, 2**31 - 1), 6: (0, 2**32 - 1), 15: (-128, 127), 16: (-2**15, 2**15 - 1),
              17: (0, 255), 18: (0, 2**16 - 1), 20: (-2**63, 2**63 - 1), 21: (0, 2**64 - 1)}
    new = [v._replace(value=data.draw(st.integers(*bounds[v.tag]))) if v.tag in bounds and data.draw(st.booleans())
           else v for v in values]
    _same_choice(new, profile, pool)


_VALUE_ONLY: dict = {}
