"""The M-Bus frame templates (issue 16, smartmeter_codecs/mbus/template.py) against the full
path: on every real M-Bus frame of the fixtures (libmbus corpus, link frames, samples) and on
hypothesis-mutated copies, ``MBusCodec.decode_all`` and ``MBusStream`` give exactly the same
Readings (compared by ``repr``: every field, every register with its value's type and its
``extra`` in order) or exactly the same DecodeError (type, layer, offset, message) with and
without templates. The full path is the codec with the template store switched off.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartmeter_codecs.errors import DecodeError
from smartmeter_codecs.mbus import link as _link
from smartmeter_codecs.mbus import template as _template
from smartmeter_codecs.mbus.codec import MBusCodec, MBusStream

FIX = Path(__file__).resolve().parent.parent / "fixtures"


def _frames() -> list[tuple[str, bytes]]:
    out = []
    for e in json.loads((FIX / "mbus" / "corpus.json").read_text())["entries"]:
        out.append((e["id"], bytes.fromhex(e["hex"])))
    for e in json.loads((FIX / "mbus" / "link_frames.json").read_text())["entries"]:
        out.append((e["id"], bytes.fromhex(e["hex"])))
    for path in sorted((FIX / "samples").glob("mbus-*.hex")):
        out.append((path.name, bytes.fromhex(path.read_text().split("#")[0].strip())))
    return out


FRAMES = _frames()
CODEC = MBusCodec()


@contextmanager
def full_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The codec without templates: nothing is found, nothing is learned."""
    with monkeypatch.context() as m:
        m.setattr(_template, "find", lambda ci, body: None)
        m.setattr(_template, "learn", lambda *a, **k: None)
        yield


def outcome(fn: Callable[[], Any]) -> Any:
    """Readings as repr (types, values, extra order), or the error's identity."""
    try:
        return ("readings", [repr(r) for r in fn()])
    except DecodeError as err:
        return ("error", type(err).__name__, err.layer, err.offset, err.message)


def learn(fn: Callable[[], Any]) -> None:
    """Decode twice: a layout is templated the second time it is seen."""
    outcome(fn)
    outcome(fn)


def stream_items(data: bytes, chunk: int) -> list[Any]:
    s = MBusStream()
    out = []
    for i in range(0, len(data), chunk):
        for item in s.feed(data[i:i + chunk]):
            if isinstance(item, DecodeError):
                out.append(("error", type(item).__name__, item.layer, item.offset, item.message))
            else:
                out.append(repr(item))
    return out


def templated(data: bytes) -> _template.Template | None:
    """The template a single long frame hits (after decoding it once), or None."""
    try:
        frame = _link.parse_frame(data)
    except DecodeError:
        return None
    if frame.kind != "long":
        return None
    return _template.find(frame.ci, frame.data)


def test_every_fixture_frame_decodes_the_same_with_and_without_templates(monkeypatch):
    hits = 0
    for name, data in FRAMES:
        with full_path(monkeypatch):
            want = outcome(lambda data=data: CODEC.decode_all(data))
        first = outcome(lambda data=data: CODEC.decode_all(data))       # notes the layout
        second = outcome(lambda data=data: CODEC.decode_all(data))      # seen again: learns it
        third = outcome(lambda data=data: CODEC.decode_all(data))       # reads through the template
        assert first == want, name
        assert second == want, name
        assert third == want, name
        if templated(data) is not None:
            hits += 1
    # most real frames are plain CI 72/78/7A frames: the fast path is really exercised
    assert hits >= 100, hits


def test_every_fixture_frame_streams_the_same_with_and_without_templates(monkeypatch):
    stream = b"".join(data for _, data in FRAMES)
    with full_path(monkeypatch):
        want = stream_items(stream * 2, 4096)
    assert stream_items(stream * 2, 4096) == want
    assert stream_items(stream * 2, 977) == want      # again, now every layout is known


def test_templates_are_not_shared_mutable_state():
    """Two Readings of the same frame share no mutable register extra."""
    data = next(d for n, d in FRAMES if n.endswith("emh_diz"))
    learn(lambda data=data: CODEC.decode_all(data))
    a, b = CODEC.decode_all(data)[0], CODEC.decode_all(data)[0]
    assert templated(data) is not None
    for ra, rb in zip(a.registers, b.registers):
        assert ra == rb
        if isinstance(ra.extra, dict):
            assert ra.extra is not rb.extra
        for k, v in ra.extra.items():
            if isinstance(v, (list, dict)):
                assert v is not rb.extra[k]


def test_the_store_is_bounded():
    data = next(d for n, d in FRAMES if n.endswith("emh_diz"))
    learn(lambda data=data: CODEC.decode_all(data))
    assert 0 < len(_template._store) <= _template.MAX_TEMPLATES


def _fix_checksum(frame: bytearray) -> None:
    if len(frame) >= 6 and frame[0] == 0x68 and frame[3] == 0x68 and frame[1] == frame[2] \
            and frame[1] + 6 == len(frame):
        frame[-2] = sum(frame[4:-2]) & 0xFF


TEMPLATED = [(n, d) for n, d in FRAMES if len(d) > 9 and d[0] == 0x68 and len(d) == d[1] + 6 and d[6] in (0x72, 0x78, 0x7A)]


def _data_positions(data: bytes) -> list[int]:
    """Offsets in the frame of the bytes a template does not fix (data fields, ident...)."""
    t = templated(data)
    assert t is not None
    return [7 + i for i in range(t.size) if not (t.mask >> (8 * i)) & 0xFF]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_data_fields_decode_the_same(data):
    """Random values in the data fields (invalid BCD, invalid dates, NaN reals, negative numbers,
    other OBIS/field choices) through the template give the full path's Reading."""
    name, frame = data.draw(st.sampled_from(TEMPLATED), label="frame")
    learn(lambda: CODEC.decode_all(frame))          # the layout of a valid frame
    if templated(frame) is None:
        return      # a layout the template does not take (compared in the fixture test)
    positions = _data_positions(frame)
    if not positions:
        return
    mutated = bytearray(frame)
    for pos in data.draw(st.lists(st.sampled_from(positions), min_size=1, max_size=12), label="positions"):
        mutated[pos] = data.draw(st.integers(0, 255))
    _fix_checksum(mutated)
    mutated = bytes(mutated)
    t = templated(mutated)
    assert t is not None      # the fast path really decodes it
    with pytest.MonkeyPatch.context() as m, full_path(m):
        want = outcome(lambda: CODEC.decode_all(mutated))
    assert outcome(lambda: CODEC.decode_all(mutated)) == want, name
    # both ways a template reads: the walk and (once written out) the straight-line builder
    assert ("readings", [repr(t.interpret(mutated[7:-2]))]) == want, name
    if t.build is not None or t.compile(mutated[7:-2]):
        assert ("readings", [repr(t.build(mutated[7:-2]))]) == want, name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_frames_decode_or_fail_the_same(data):
    """Bytes changed, inserted or cut anywhere (a fixed checksum or not, a 68 L L 68 header
    planted inside): the same Readings or the same DecodeError, or the template declines."""
    name, frame = data.draw(st.sampled_from(TEMPLATED), label="frame")
    learn(lambda: CODEC.decode_all(frame))          # the layout of a valid frame
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        kind = data.draw(st.sampled_from(["set", "insert", "delete", "header"]))
        pos = data.draw(st.integers(0, len(mutated) - 1))
        if kind == "set":
            mutated[pos] = data.draw(st.integers(0, 255))
        elif kind == "insert":
            mutated[pos:pos] = bytes([data.draw(st.integers(0, 255))])
        elif kind == "delete" and len(mutated) > 1:
            del mutated[pos]
        else:
            length = data.draw(st.integers(0, 40))
            mutated[pos:pos + 4] = bytes((0x68, length, length, 0x68))
    if data.draw(st.booleans(), label="fix checksum"):
        _fix_checksum(mutated)
    mutated = bytes(mutated)
    with pytest.MonkeyPatch.context() as m, full_path(m):
        want = outcome(lambda: CODEC.decode_all(mutated))
        want_stream = stream_items(frame + mutated + frame, 64)
    assert outcome(lambda: CODEC.decode_all(mutated)) == want, name
    assert stream_items(frame + mutated + frame, 64) == want_stream, name


def test_the_stream_still_learns_compact_formats_from_templated_frames(monkeypatch):
    """A templated full frame teaches its format to the stream's FormatStore as before."""
    data = next(d for n, d in FRAMES if n.endswith("kamstrup_multical_601"))
    with full_path(monkeypatch):
        ref = MBusStream()
        ref.feed(data)
    learn(lambda data=data: CODEC.decode_all(data))
    s = MBusStream()
    s.feed(data)
    assert templated(data) is not None
    assert dict(s.formats._learned) == dict(ref.formats._learned) != {}


def test_a_frame_inside_a_frame_takes_the_full_path():
    """decode_all reads a valid long frame that ends inside another as the frame (the
    splitter's rule); the template path leaves such inputs to it."""
    data = next(d for n, d in FRAMES if n.endswith("emh_diz"))
    learn(lambda data=data: CODEC.decode_all(data))
    assert _template.decode_wired(data) is not None
    inner = _link.build_long_frame(0x08, 1, 0x78, b"\x01\xfd\x17\x00")
    body = bytearray(data)
    body[7 + 12:7 + 12 + len(inner)] = inner                # over the first records' bytes
    _fix_checksum(body)
    assert _template.decode_wired(bytes(body)) is None



# --- wM-Bus: link layer, ELL and decryption as always, then the template ------------------

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import smartmeter_codecs as smc
from smartmeter_codecs.mbus.codec import WMBUS_CODEC
from smartmeter_codecs.mbus.wireless import build_wireless


def _wireless_fixtures() -> list[tuple[str, bytes, bytes | None]]:
    out: list[tuple[str, bytes, bytes | None]] = []
    for e in json.loads((FIX / "mbus" / "corpus.json").read_text())["entries"]:
        if "wireless" in e.get("category", ""):
            out.append((e["id"], bytes.fromhex(e["hex"]), None))
    for e in json.loads((FIX / "mbus" / "oms_annex_n.json").read_text())["entries"]:
        if e.get("format") == "wmbus":
            out.append((e["id"], bytes.fromhex(e["hex"]), bytes.fromhex(e["key"]) if e.get("key") else None))
    for e in json.loads((FIX / "mbus" / "wmbus_encrypted.json").read_text())["entries"]:
        out.append((e["id"], bytes.fromhex(e["hex"]), bytes.fromhex(e["key"])))
    for e in json.loads((FIX / "mbus" / "compact_frames.json").read_text())["entries"]:
        out.append((e["id"], bytes.fromhex(e["hex"]), None))
    for path in sorted((FIX / "samples").glob("wmbus-*.hex")):
        out.append((path.name, bytes.fromhex(path.read_text().split("#")[0].strip()), None))
    return out


WIRELESS = _wireless_fixtures()
KEY = bytes(range(16))
ADDRESS = (0x2C2D).to_bytes(2, "little") + bytes.fromhex("78563412") + bytes((0x01, 0x02))


def _keys(key: bytes | None) -> smc.Keys | None:
    return smc.Keys(encryption_key=key) if key else None


def test_every_wmbus_fixture_decodes_the_same_with_and_without_templates(monkeypatch):
    for name, data, key in WIRELESS:
        with full_path(monkeypatch):
            want = outcome(lambda data=data, key=key: WMBUS_CODEC.decode_all(data, keys=_keys(key)))
        for _ in range(3):      # noted, learned, read through the template
            assert outcome(lambda data=data, key=key: WMBUS_CODEC.decode_all(data, keys=_keys(key))) == want, name


def _mode5(records: bytes, access: int, key: bytes = KEY, status: int = 0, crc: str = "none") -> bytes:
    """A wM-Bus frame (format A, with or without CRCs), CI 7A, security mode 5, carrying ``records``."""
    plain = b"\x2f\x2f" + records
    plain += b"\x2f" * (-len(plain) % 16)
    cfg = (5 << 8) | ((len(plain) // 16) << 4)
    enc = Cipher(algorithms.AES(key), modes.CBC(ADDRESS + bytes((access,)) * 8)).encryptor()
    cipher = enc.update(plain) + enc.finalize()
    return build_wireless(0x44, ADDRESS, 0x7A, bytes((access, status)) + cfg.to_bytes(2, "little") + cipher,
                          crc=crc)


# real plain long-header frames (ALE3, Multical 601, EMH DIZ...) whose records are sent encrypted
SOURCES = [d for _, d in TEMPLATED if d[6] == 0x72 and 8 < len(d) - 21 <= 200][:40]


def _through_template(m: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = _template.Template.reading
    m.setattr(_template.Template, "reading",
              lambda self, body, placer=None: calls.append(1) or real(self, body, placer))
    return calls


def test_an_encrypted_wmbus_frame_is_read_through_its_template(monkeypatch):
    records = SOURCES[0][19:-2]
    keys = smc.Keys(encryption_key=KEY)
    learn(lambda: WMBUS_CODEC.decode_all(_mode5(records, 7), keys=keys))
    again = _mode5(records, 8, status=4)                           # the meter's next telegram
    with full_path(monkeypatch):
        want = outcome(lambda: WMBUS_CODEC.decode_all(again, keys=keys))
    assert want[0] == "readings"
    assert "authenticated=False" in want[1][0]                     # decrypted, no MAC
    calls = _through_template(monkeypatch)
    assert outcome(lambda: WMBUS_CODEC.decode_all(again, keys=keys)) == want
    assert calls


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_encrypted_wmbus_frames_decode_or_fail_the_same(data):
    """Plaintext data bytes changed and re-encrypted (the template path), plaintext structure
    changed (a new layout), ciphertext or link bytes damaged (decryption or CRC fails), a wrong
    key or none: both paths give the same Readings or the same error."""
    source = data.draw(st.sampled_from(SOURCES), label="source")
    learn(lambda: CODEC.decode_all(source))
    records = bytearray(source[19:-2])
    crc = data.draw(st.sampled_from(["none", "A"]), label="crc")
    keys = smc.Keys(encryption_key=KEY)
    base = _mode5(bytes(records), 1, crc=crc)
    learn(lambda: WMBUS_CODEC.decode_all(base, keys=keys))
    # data fields only (where the source's own wired layout is templated, the only bytes it
    # lets change), or anywhere
    in_data = data.draw(st.booleans(), label="edit data fields only") and templated(source) is not None
    positions = [p - 19 for p in _data_positions(source) if p >= 19] if in_data else range(len(records))
    for _ in range(data.draw(st.integers(0, 6), label="plaintext edits")):
        if positions:
            records[data.draw(st.sampled_from(positions))] = data.draw(st.integers(0, 255))
    frame = bytearray(_mode5(bytes(records), data.draw(st.integers(0, 255)), status=data.draw(st.integers(0, 255)),
                             crc=crc))
    damage = data.draw(st.booleans(), label="damage the frame")
    if damage:
        frame[data.draw(st.integers(0, len(frame) - 1))] ^= data.draw(st.integers(1, 255))
    use = data.draw(st.sampled_from([keys, smc.Keys(encryption_key=bytes(16)), None]), label="keys")
    frame = bytes(frame)
    with pytest.MonkeyPatch.context() as m:
        with full_path(m):
            want = outcome(lambda: WMBUS_CODEC.decode_all(frame, keys=use))
        calls = _through_template(m)
        assert outcome(lambda: WMBUS_CODEC.decode_all(frame, keys=use)) == want
    if in_data and not damage and use is keys and want[0] == "readings":
        assert calls        # a known layout with other values: read through the template


# --- the sniffers' shortcuts give the scores of the plain checks --------------------------

from smartmeter_codecs._crc import crc16_en13757
from smartmeter_codecs.mbus import wireless as _wireless
from smartmeter_codecs.mbus.application import is_dlms_ci

_DATA_CIS = {0x70, 0x72, 0x73, 0x76, 0x78, 0x79, 0x7A, 0x7B}


def reference_mbus_sniff(data: bytes) -> int:
    """MBusCodec.sniff as it was: everything through parse_frame."""
    if not data:
        return 0
    try:
        frame = _link.parse_frame(data, 0)
    except DecodeError:
        if data[0] == 0x68 and len(data) >= 4 and data[3] == 0x68 and data[1] == data[2]:
            ci = data[6] if len(data) > 6 else None
            return 0 if is_dlms_ci(ci) else 20
        return 0
    if frame.kind == "ack":
        return 5 if len(data) == 1 else 0
    if frame.kind == "short":
        return 60
    if is_dlms_ci(frame.ci):
        return 0
    return 90 if frame.ci in _DATA_CIS else 40


def reference_wmbus_sniff(data: bytes) -> int:
    """WMBusCodec.sniff through the full DLL parse: 15 for a frame whose C and CI fit, raised to
    90 where a CRC proves it (format B; format A by its first block's CRC alone, so a frame
    with a later block broken is the decoder's ChecksumError, not "unknown format")."""
    if len(data) < 12:
        return 0
    try:
        _link.parse_frame(data)
        return 0
    except DecodeError:
        pass
    c_ok = data[1] in (0x44, 0x46, 0x08, 0x18, 0x28, 0x38, 0x06)
    cis = (0x72, 0x73, 0x78, 0x79, 0x7A, 0x7B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90)
    length = data[0]
    blocks = 1 + (length - 9 + 15) // 16
    if length >= 10 and len(data) == 1 + length + 2 * blocks:
        first_ok = crc16_en13757(data[:10]) == int.from_bytes(data[10:12], "big")
        return 90 if c_ok and data[12] in cis and first_ok else 0
    try:
        frame = _wireless.parse_wireless(data)
    except DecodeError:
        return 0
    if c_ok and frame.ci in cis:
        return 90 if frame.dll_format == "B" else 15
    return 0


SNIFF_INPUTS = [d for _, d in FRAMES] + [d for _, d, _ in WIRELESS]


def test_sniffers_score_every_fixture_as_before():
    for data in SNIFF_INPUTS:
        assert CODEC.sniff(data) == reference_mbus_sniff(data)
        assert WMBUS_CODEC.sniff(data) == reference_wmbus_sniff(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_sniffers_score_mutated_and_random_inputs_as_before(data):
    base = data.draw(st.one_of(st.sampled_from(SNIFF_INPUTS), st.binary(max_size=64)), label="input")
    mutated = bytearray(base)
    for _ in range(data.draw(st.integers(0, 3), label="edits")):
        if mutated:
            mutated[data.draw(st.integers(0, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)), label="cut")
    for candidate in (bytes(mutated), bytes(mutated[:cut])):
        assert CODEC.sniff(candidate) == reference_mbus_sniff(candidate)
        assert WMBUS_CODEC.sniff(candidate) == reference_wmbus_sniff(candidate)


# --- the straight-line builders (smartmeter_codecs/mbus/builder.py) -------------------------

def test_every_fixture_layout_has_a_builder_that_matches_the_interpreter():
    built = 0
    for _, data in TEMPLATED:
        learn(lambda data=data: CODEC.decode_all(data))
        t = templated(data)
        if t is None:
            continue
        body = data[7:-2]
        assert t.build is not None or t.compile(body)
        assert repr(t.build(body)) == repr(t.interpret(body))
        # no byte of a frame in source: the only string literals are the builder's own
        literals = set(re.findall(r"'([^']*)'", t.build.__doc__))
        assert literals <= {"little", "data", "telegram", "raw", "combinable", "manufacturer_vifes", "invalid",
                            "more_records_follow", "table"}, literals
        built += 1
    assert built >= 90


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_builders_match_the_interpreter_on_generated_data(data):
    """Every data field of a layout filled with generated bytes (invalid BCD and dates, NaN,
    negative numbers, other field and OBIS claimers): builder == interpreter, types included."""
    name, frame = data.draw(st.sampled_from(TEMPLATED), label="frame")
    learn(lambda: CODEC.decode_all(frame))
    t = templated(frame)
    if t is None or (t.build is None and not t.compile(frame[7:-2])):
        return
    body = bytearray(frame[7:-2])
    for pos in range(len(body)):
        if not (t.mask >> (8 * pos)) & 0xFF:
            body[pos] = data.draw(st.integers(0, 255))
    body = bytes(body)
    assert repr(t.build(body)) == repr(t.interpret(body)), name
