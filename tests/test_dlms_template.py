"""Push templates (smartmeter_codecs/dlms/template.py, issue 16) give exactly what the full path
gives: on every real push of the fixtures (learned from the push, then applied to it), on
pushes with generated values in every variable field, and on mutated pushes (a structure
byte changed: the template declines and the full path decides, errors included)."""
from __future__ import annotations

import datetime as dt
import struct
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from _dlms_frames import dlms_entries as _entries
from smartmeter_codecs.dlms import template as template_mod
from smartmeter_codecs.dlms.codec import DlmsCodec
from smartmeter_codecs.dlms.hdlc import split_frames
from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs._registry import profile_zones
from smartmeter_codecs.zones import Placer, localise



ENTRIES = _entries()


def _full() -> DlmsCodec:
    codec = DlmsCodec()
    codec._templates = None          # the reference: every push through the full path
    return codec


def _outcome(codec: DlmsCodec, data: bytes, keys=None, profile=None):
    try:
        readings = codec.decode_all(data, keys=keys, profile=profile)
    except DecodeError as err:
        return ("error", type(err).__name__, err.layer, err.offset, str(err))
    return [_comparable(r) for r in readings]


def _comparable(r):
    # Reading equality plus what == does not see: value types and the order of extra's keys
    regs = [(x, type(x.value), list(x.extra.items())) for x in r.registers]
    return (r, regs)


@pytest.fixture
def applied(monkeypatch):
    """Counts the pushes a template decoded."""
    hits = []
    real = template_mod.apply_unpacked

    def counting(tpl, fields, *rest):
        out = real(tpl, fields, *rest)
        if out is not None:
            hits.append(fields)
        return out

    monkeypatch.setattr(template_mod, "apply_unpacked", counting)
    return hits


def test_every_real_push_gives_the_full_paths_reading(applied):
    full = _full()
    templated = 0
    for _id, frame, keys in ENTRIES:
        fast = DlmsCodec()
        want = _outcome(full, frame, keys)
        assert _outcome(fast, frame, keys) == want, _id       # learns
        before = len(applied)
        assert _outcome(fast, frame, keys) == want, _id       # applies what it learned
        templated += len(applied) > before
    # most real pushes have a template (the rest: push object lists, date-time values...)
    assert templated > 60, templated


def test_profiles_and_stream_use_the_same_templates(applied):
    full = _full()
    frames = [(i, f) for i, f, k in ENTRIES if k is None][:40]
    for profile in (None, "kamstrup", "aidon", "kaifa", "landisgyr"):
        fast = DlmsCodec()
        for _id, frame in frames + frames:
            assert _outcome(fast, frame, None, profile) == _outcome(full, frame, None, profile), (_id, profile)
    fast = DlmsCodec()
    stream = fast.stream()
    items = stream.feed(b"".join(f for _, f in frames) * 2)
    ref = _full().stream().feed(b"".join(f for _, f in frames) * 2)
    assert [(_comparable(x) if isinstance(x, smc.Reading) else repr(x)) for x in items] == \
        [(_comparable(x) if isinstance(x, smc.Reading) else repr(x)) for x in ref]
    assert len(applied) > 40


def _templated_apdus():
    """(id, APDU, template) of single-frame plaintext pushes that have a template."""
    out = []
    for _id, frame, keys in ENTRIES:
        if keys is not None or frame[:1] != b"\x7e":
            continue
        try:
            frames = split_frames(frame)
        except DecodeError:
            continue
        if len(frames) != 1 or frames[0].information[:3] != b"\xe6\xe7\x00":
            continue
        apdu = frames[0].information[3:]
        tpl = template_mod.learn(apdu, None, None)
        if tpl is not None:
            out.append((_id, apdu, tpl))
    return out


TEMPLATED = _templated_apdus()


def test_there_are_templated_pushes_of_every_shape():
    assert len(TEMPLATED) > 30
    assert any(t.shape.plan is not None for _, _, t in TEMPLATED)      # OBIS-keyed lists
    assert any(t.shape.plan is None for _, _, t in TEMPLATED)          # value-only lists
    assert any(t.shape.plan is not None and t.shape.plan.kind == "push-object-list"
               for _, _, t in TEMPLATED)                                # Landis+Gyr CH/VSE
    # and the straight-line builders (builder.py) cover every shape
    kinds = {t.shape.plan.kind if t.shape.plan else "values" for _, _, t in TEMPLATED if t.build is not None}
    assert kinds == {"obis", "push-object-list", "values"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_builders_give_what_the_plans_give(data):
    """A template's builder against the same template without it (the plan run step by step),
    on generated values: same Interpretation, or the builder declines (None) exactly where a
    value-dependent rule needs the general path."""
    _id, apdu, tpl = data.draw(st.sampled_from([t for t in TEMPLATED if t[2].build is not None]))
    fields = list(tpl.unpack(apdu))
    structure = tpl.structure(tuple(range(len(fields))))
    structure = set(structure if isinstance(structure, tuple) else (structure,))
    fmt = _fmt_of(tpl)
    codes = [c for c in _codes(fmt.format) if not c.endswith("x")]
    for k, code in enumerate(codes):
        if k in structure or k == tpl.datetime_field or code.endswith("s"):
            continue
        size = struct.calcsize(">" + code)
        fields[k] = struct.unpack(">" + code, data.draw(st.binary(min_size=size, max_size=size)))[0]
    fields = tuple(fields)
    ts = data.draw(st.sampled_from([None, dt.datetime(2024, 3, 31, 2, 30), dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]))
    auth = data.draw(st.sampled_from([None, True, False]))
    built = tpl.build(template_mod.decoded(tpl, fields), ts, auth, None)
    general = template_mod.apply_unpacked(tpl._replace(build=None), fields, auth)
    if built is None:
        return
    # with a placer, the builder places the timestamp as api.finish's localise would after it
    zone = data.draw(st.sampled_from([None, dt.timezone(dt.timedelta(hours=1)), ZoneInfo("Europe/Berlin")]))
    placer = Placer(zone, profile_zones("dlms"))
    placed = tpl.build(template_mod.decoded(tpl, fields), ts, auth, placer)
    assert _comparable(placed) == _comparable(localise(built, zone, profile_zones("dlms"))), _id
    assert general is not None
    if tpl.datetime_field is not None:
        return      # apply_unpacked took the date-time from the fields: compared on the real pushes
    assert _comparable(built) == _comparable(general.replace(timestamp=built.timestamp)), _id
    assert built.timestamp == (ts if ts is not None else general.timestamp), _id


def _fmt_of(tpl):
    return struct.Struct(tpl.unpack.__self__.format)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_values_give_the_full_paths_reading(data):
    """Every variable field of a real push replaced by random bytes of its size: plausible or
    not, text or binary, valid date-time or not, the templated decode equals the full one."""
    _id, apdu, tpl = data.draw(st.sampled_from(TEMPLATED))
    fmt = _fmt_of(tpl)
    structure = set()
    picked = tpl.structure(tuple(range(len(fmt.unpack(apdu)))))
    structure.update(picked if isinstance(picked, tuple) else (picked,))
    out = bytearray(apdu)
    pos = field = 0
    for code in _codes(fmt.format):
        size = struct.calcsize(">" + code)
        if not code.endswith("x"):          # a pad (the invoke id) is no unpacked field
            if field not in structure:
                out[pos:pos + size] = data.draw(st.binary(min_size=size, max_size=size))
            field += 1
        pos += size
    mutated = bytes(out)
    fast = DlmsCodec()
    fast._templates.interpret(apdu, None, None)           # learn from the real push
    assert _outcome(fast, mutated) == _outcome(_full(), mutated), _id


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_changed_structure_bytes_give_the_full_paths_outcome(data):
    """Any byte of a real push changed (structure included): the template declines or gives
    the same Reading; errors come from the full path with their offsets."""
    _id, apdu, _tpl = data.draw(st.sampled_from(TEMPLATED))
    i = data.draw(st.integers(0, len(apdu) - 1))
    b = data.draw(st.integers(0, 255))
    mutated = apdu[:i] + bytes([b]) + apdu[i + 1:]
    fast = DlmsCodec()
    fast._templates.interpret(apdu, None, None)
    assert _outcome(fast, mutated) == _outcome(_full(), mutated), (_id, i, b)


def _codes(fmt: str):
    """The struct codes of a format string, one per field ('12s' is one field, '4x' one pad)."""
    out, num = [], ""
    for ch in fmt.lstrip(">"):
        if ch.isdigit():
            num += ch
        else:
            out.append(num + ch)
            num = ""
    return out


def test_cache_is_bounded_and_meters_of_one_layout_share_a_template():
    from smartmeter_codecs.dlms.template import TemplateCache
    cache = TemplateCache(max_templates=4)
    for _id, apdu, _ in TEMPLATED[:12]:
        cache.interpret(apdu, None, None)
        assert cache._count <= 4
    # two meters of one model: same layout, different meter id (a structure field)
    _id, apdu, tpl = next(t for t in TEMPLATED if t[0].startswith("kamstrup-no-list3"))
    fields = list(tpl.unpack(apdu))
    text = [k for k, v in enumerate(fields) if isinstance(v, bytes) and b"5706567" in v]
    assert text, "the Kamstrup push carries its meter number as text"
    other = bytearray(apdu)
    at = apdu.index(b"5706567")
    other[at:at + 4] = b"9999"
    cache = TemplateCache()
    got = [cache.interpret(a, None, None) for a in (apdu, bytes(other), apdu, bytes(other))]
    assert got[0] is None and None not in got[1:]          # learnt from the first push only
    assert any(str(r.value).startswith("9999") for r in got[3].registers)
    assert not any(str(r.value).startswith("9999") for r in got[2].registers)
    # one template for both meters: the meter number is a value, checked once per number
    assert len(cache._groups) == 1 and [len(g.by_structure) for g in next(iter(cache._groups.values()))] == [1]
    (tpl,) = next(iter(cache._groups.values()))[0].by_structure.values()
    assert len(tpl.verified) == 2


@pytest.mark.parametrize("name", ["KFM_001", "ISKRA", "LGZ1234", "AIDON_V0001", "KAMSTRUP"])
def test_a_binary_string_turned_text_is_left_to_the_full_path(name):
    """A string that was binary when the template was learned may name a profile when it
    arrives as text (list ids and meter names select the profile): the full path decides."""
    checked = 0
    for _id, apdu, tpl in TEMPLATED:
        for k in tpl.binary_strings:
            fields = list(tpl.unpack(apdu))
            size = len(fields[k])
            if size < len(name):
                continue
            fields[k] = name.encode().ljust(size, b" ")
            # struct.pack writes the skipped invoke id as zeros: no decoder reads it
            mutated = _fmt_of(tpl).pack(*fields)
            fast = DlmsCodec()
            fast._templates.interpret(apdu, None, None)
            assert _outcome(fast, mutated) == _outcome(_full(), mutated), (_id, name)
            checked += 1
    assert checked >= 10



def test_threads_sharing_one_cache_get_the_full_paths_readings():
    """Four threads decode every real push through one codec whose cache is far too small for
    them (it is cleared again and again): every result is still the full path's."""
    import threading

    from smartmeter_codecs.dlms.template import TemplateCache

    full = _full()
    want = {i: _outcome(full, f, k) for i, f, k in ENTRIES}
    shared = DlmsCodec()
    shared._templates = TemplateCache(max_templates=3)
    failures = []

    def work(seed):
        order = ENTRIES[seed:] + ENTRIES[:seed]
        for _ in range(2):
            for i, f, k in order:
                if _outcome(shared, f, k) != want[i]:
                    failures.append(i)

    threads = [threading.Thread(target=work, args=(n * 17,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_a_text_naming_another_profile_is_left_to_the_full_path():
    """Printable strings are values of a template (meter numbers differ between meters), but
    a list id or name prefix selects the profile: a push whose text names another profile
    must get that profile's interpretation, as the full path gives it."""
    from smartmeter_codecs.dlms.profiles import PROFILES

    names = [i for p in PROFILES.values() for i in p.list_ids] + [p.name_prefixes[0] + "1234567"
                                                                    for p in PROFILES.values() if p.name_prefixes]
    checked = changed = 0
    for _id, apdu, tpl in TEMPLATED:
        if tpl.texts is None:
            continue
        fields = list(tpl.unpack(apdu))
        picked = tpl.texts(tuple(range(len(fields))))
        for k in picked if isinstance(picked, tuple) else (picked,):
            for name in names:
                size = len(fields[k])
                if size < len(name):
                    continue
                mutated = _fmt_of(tpl).pack(*fields[:k], name.encode().ljust(size, b" "), *fields[k + 1:])
                fast = DlmsCodec()
                fast._templates.interpret(apdu, None, None)
                want = _outcome(_full(), mutated)
                assert _outcome(fast, mutated) == want, (_id, name)
                checked += 1
                changed += isinstance(want, list) and want[-1][0].profile != tpl.shape.profile.name
    assert checked > 50 and changed > 10, (checked, changed)
