"""Typed errors with offsets, response codes, and the table -> Reading rules (layout from BT21,
sources from BT27/BT22 or the DG order, CT/VT ratios from BT15, energy register units)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.osgp import (
    MeterConfig, Response, TableRequest, decode_response, next_frame, open_request, parse_packet, parse_request,
    parse_response, read_answer, seal_request, seal_response,
)
from smartmeter_codecs.osgp.c1218 import RESPONSE_CODES, data_checksum
from smartmeter_codecs.osgp.mapping import build_reading
from smartmeter_codecs.osgp.optical import build_packet
from smartmeter_codecs.osgp.tables import (
    BT23, BT28, Constants, PresentSelection, RegisterDimensions, parse_dimensions, table_fields,
)

KEY = bytes([7] * 16)
KEYS = smc.Keys(authentication_key=KEY)


def _i32(*vals: int) -> bytes:
    return b"".join(v.to_bytes(4, "little", signed=True) for v in vals)


def _exchange(req, resp, seq=100, encrypt=False):
    frame, ex = seal_request(req, seq, KEY, encrypt=encrypt)
    return frame + seal_response(resp, open_request(next_frame(frame), [KEY]))


# --- framing errors --------------------------------------------------------------------------

@pytest.mark.parametrize("data, cls, offset", [
    (b"\x00", smc.IncompleteError, 1),                      # half a length field
    (b"\x01\xdd" + bytes(10), smc.FramingError, 0),         # 477 > 476
    (b"\x00\x10\x3f", smc.IncompleteError, 3),              # announces 16 bytes, 1 present
    (b"\x00\x05\x3f\x00\x17\x00\x00", smc.IncompleteError, 7),  # a request without seq and digest
])
def test_mep_framing_errors(data, cls, offset):
    with pytest.raises(cls) as exc:
        smc.decode_all(data, format="osgp-mep")
    assert exc.value.offset == offset


def test_c1218_errors_carry_offsets_in_the_callers_input():
    with pytest.raises(smc.IncompleteError) as exc:
        parse_request(b"\x3f\x00\x17\x00", base=10)
    assert exc.value.offset == 14 and exc.value.layer == "c12.18"
    with pytest.raises(smc.FramingError) as exc:
        parse_request(b"\x3f\x00\x17\x00\x00\x00\x00\x08\xff")
    assert exc.value.offset == 8
    with pytest.raises(smc.UnsupportedError) as exc:
        parse_request(b"\x99")
    assert exc.value.recognised == {"code": 0x99}
    # read answer whose count runs past the data
    with pytest.raises(smc.IncompleteError):
        parse_response(b"\x00\x00\x05\x01\x02", request=TableRequest(0x3F, 1, 0, 5))
    # optical data checksum
    good = Response(0, b"\x01\x02", 2).to_bytes(mep=False)
    assert good[-1] == data_checksum(b"\x01\x02") == 0xFD
    with pytest.raises(smc.ChecksumError) as exc:
        parse_response(good[:-1] + b"\x00", request=TableRequest(0x30, 1), mep=False, base=6)
    assert exc.value.offset == 6 + 5 and exc.value.expected == 0xFD


def test_optical_packet_errors():
    pkt = build_packet(b"\x20")
    with pytest.raises(smc.IncompleteError):
        parse_packet(pkt[:-1])
    with pytest.raises(smc.FramingError) as exc:
        parse_packet(b"\x00" + pkt, 0)
    assert exc.value.offset == 0
    with pytest.raises(smc.FramingError):
        smc.decode_all(b"\xee\x00\x00\x00\xff\xff" + bytes(10), format="osgp-optical")


@pytest.mark.parametrize("code", sorted(c for c in RESPONSE_CODES if c not in (0, 0x0C)))
def test_every_error_answer_is_an_application_error(code):
    cap = _exchange(TableRequest(0x3F, 28, 0, 4), Response(code))
    with pytest.raises(smc.ApplicationError) as exc:
        smc.decode_all(cap, format="osgp-mep", keys=KEYS)
    assert exc.value.code == code and RESPONSE_CODES[code].split(":")[0] in exc.value.message


def test_invalid_sequence_number_answer_and_recovery():
    cap = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0x0C, seq=0x11223344), seq=5)
    with pytest.raises(smc.ApplicationError) as exc:
        smc.decode_all(cap, format="osgp-mep", keys=KEYS)
    assert exc.value.code == 0x0C and "0x11223344" in exc.value.message
    # the capture with the retry decodes, the 0x0C is not an error then
    retry = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0, bytes([26, 1, 2, 3, 4, 5]), 6), seq=0x11223345)
    r = smc.decode(cap + retry, format="osgp-mep", keys=KEYS)
    assert r.timestamp.year == 2026


def test_lone_answer_needs_its_request():
    cap = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0, bytes([26, 1, 2, 3, 4, 5]), 6))
    answer = cap[next_frame(cap).end:]
    with pytest.raises(smc.UnsupportedError) as exc:
        smc.decode(answer, format="osgp-mep")
    assert "does not name its table" in exc.value.message
    r = decode_response(answer, request=cap[:next_frame(cap).end], keys=KEYS)
    assert r.authenticated is True and r.timestamp.day == 2
    with pytest.raises(smc.DecryptionError):
        decode_response(answer, request=cap[:next_frame(cap).end].replace(b"\x00\x34", b"\x00\x35", 1), keys=KEYS)


def test_encrypted_capture_needs_the_key():
    cap = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0, bytes([26, 1, 2, 3, 4, 5]), 6), encrypt=True)
    r = smc.decode(cap, format="osgp-mep", keys=KEYS)
    assert r.authenticated is True and r.timestamp.month == 1
    insp = smc.inspect(cap, format="osgp-mep", keys=KEYS)
    assert insp.error is None and "RC4-encrypted on the wire" in str(insp)
    try:
        smc.decode_all(cap, format="osgp-mep")
    except smc.DecodeError as err:        # ciphertext: no plaintext request code (or a wrong shape)
        assert isinstance(err, (smc.KeyRequiredError, smc.FramingError, smc.IncompleteError, smc.UnsupportedError))
    else:
        raise AssertionError("ciphertext decoded without a key")


def test_profiles_are_refused_and_inspect_never_raises():
    with pytest.raises(ValueError):
        smc.decode_all(b"\x00\x00", format="osgp-mep", profile="dk")
    insp = smc.inspect(b"\x00\x09\x00" + bytes(8), format="osgp-mep", profile="dk")
    assert isinstance(insp.error, smc.DecodeError)


def test_autodetection():
    cap = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0, bytes([26, 1, 2, 3, 4, 5]), 6))
    assert smc.decode(cap, keys=KEYS).format == "osgp-mep"
    assert smc.decode(smc.encode(smc.Reading(format="x", voltage_l1=230), format="osgp-optical")).format == "osgp-optical"


# --- tables -> Reading ------------------------------------------------------------------------

def _bt28(dims: RegisterDimensions, values: list[int], demand_prefix: bytes = b"") -> bytes:
    return demand_prefix + _i32(*values)


def test_bt28_layout_follows_bt21_present_demands_and_time_remaining():
    # 2 present demands with TIME remaining (3 + 4 bytes each), then 12 present values
    dims = RegisterDimensions(0x40, 0, 0, 11, 0, 0, 0, 4, 2, 12)
    f = table_fields(BT28, MeterConfig(dimensions=dims))
    values = [f for f in f if f.key.startswith("BT28.present_value")]
    assert values[0].offset == 2 * 7 and values[4].offset == 14 + 16         # the DG's x4 erratum
    data = bytes([0, 5, 0]) + _i32(1000) + bytes([0, 4, 59]) + _i32(2000) + _i32(1500, 0, 10, 0, 6500, 0, 0,
                                                                               230100, 0, 0, 999, 50010)
    _, regs, notes = read_answer(TableRequest(0x30, BT28, None, 0x200), data, MeterConfig(dimensions=dims))
    r = build_reading(regs, MeterConfig(dimensions=dims, constants=Constants(1, 0, False, 1, 1)))
    assert (r.active_power_import, r.current_l1, r.voltage_l1, r.frequency) == (1500, 6.5, 230.1, 50.01)
    assert r.power_factor is None and r.register("BT28.present_value[10]").value == 0.999
    assert r.register("BT28.present_demand[1].time_remaining").value.isoformat() == "00:04:59"
    assert r.quality is None


def test_bt28_without_bt21_stays_raw():
    r = decode_response(_exchange(TableRequest(0x3F, BT28, 0, 8), Response(0, _i32(5, 6), 8))[22:],
                        request=TableRequest(0x3F, BT28, 0, 8))
    assert r.active_power_import is None and r.register("BT28@0").value == _i32(5, 6)
    assert "BT21 not read" in r.quality


def test_bt27_sources_win_over_the_fixed_order():
    dims = RegisterDimensions(0, 0, 0, 11, 0, 0, 0, 4, 0, 3)
    cfg = MeterConfig(dimensions=dims, constants=Constants(1, 0, False, 1, 1),
                      present_selection=PresentSelection((), (19, 15, 250)))
    _, regs, _ = read_answer(TableRequest(0x3F, BT28, 0, 12), _i32(49990, 231000, 7), cfg)
    r = build_reading(regs, cfg)
    assert r.frequency == 49.99 and r.voltage_l1 == 231.0 and r.active_power_import is None
    unknown = r.register("BT28.present_value[2]")
    assert unknown.value == 7 and unknown.unit is None and "not in the DG source list" in unknown.description


def test_ct_meter_uses_post_ratio_sources_only():
    dims = RegisterDimensions(0, 0, 0, 11, 0, 0, 0, 4, 0, 41)
    cfg = MeterConfig(dimensions=dims, constants=Constants(1, 0, True, 40, 1))
    vals = [0] * 41
    vals[0], vals[18] = 250, 10000           # pre- and post-ratio forward power
    vals[4], vals[38] = 5000, 200000         # pre- and post-CT current L1 (mA)
    vals[7] = 230000
    _, regs, _ = read_answer(TableRequest(0x3F, BT28, 0, 164), _i32(*vals), cfg)
    r = build_reading(regs, cfg)
    assert r.active_power_import == 10000 and r.current_l1 == 200.0
    assert r.voltage_l1 is None and "excludes the CT/VT ratio" in r.quality   # no post-VT source exists


def test_bt15_unknown_pre_ratio_values_used_and_said():
    dims = RegisterDimensions(0, 0, 0, 11, 0, 0, 0, 4, 0, 8)
    cfg = MeterConfig(dimensions=dims)
    _, regs, _ = read_answer(TableRequest(0x3F, BT28, 0, 32), _i32(100, 0, 0, 0, 1000, 0, 0, 230000), cfg)
    r = build_reading(regs, cfg)
    assert r.current_l1 == 1.0 and r.voltage_l1 == 230.0 and "CT/VT ratio 1 assumed" in r.quality


def test_bt23_demand_reset_byte_and_energy_units():
    dims = RegisterDimensions(0x04, 0, 0, 4, 0, 0, 0, 0, 0, 0)       # demand-reset counter: A = 1
    data = bytes([3]) + _i32(1000, 20, 30, 40)
    for constants, unit, want, note in (
            (Constants(1, 0, False, 1, 1), None, 1000, None),
            (Constants(1, 0, True, 100, 1), None, None, "CT/VT meter"),
            (Constants(1, 0, True, 100, 1), 10, 10000, None)):
        cfg = MeterConfig(dimensions=dims, constants=constants, energy_register_unit=unit)
        _, regs, _ = read_answer(TableRequest(0x3F, BT23, 0, 17), data, cfg)
        r = build_reading(regs, cfg)
        assert r.register("BT23.demand_resets").value == 3
        assert r.active_energy_import == want
        if note:
            assert note in r.register("BT23.summation[0]").extra["energy_register_unit"]


def test_bt23_partial_read_at_an_offset_decodes_only_whole_fields():
    dims = RegisterDimensions(0, 0, 0, 11, 0, 0, 0, 4, 0, 0)
    cfg = MeterConfig(dimensions=dims, constants=Constants(1, 0, False, 1, 1))
    _, regs, _ = read_answer(TableRequest(0x3F, BT23, 4, 6), _i32(77) + b"\x01\x02", cfg)
    assert [r.key for r in regs] == ["BT23.summation[1]"] and regs[0].value == 77
    r = build_reading(regs, cfg)
    assert r.active_energy_export == 77 and r.active_energy_import is None


# --- optical link layer ---------------------------------------------------------------------

def _optical_read(table: int, data: bytes, parts: int = 1, dup: bool = False) -> bytes:
    from smartmeter_codecs.osgp.optical import FIRST, MULTI
    req = build_packet(TableRequest(0x30, table).to_bytes(mep=False)) + b"\x06"
    msg = Response(0, data, len(data)).to_bytes(mep=False)
    if parts == 1:
        return req + build_packet(msg) + b"\x06"
    size = -(-len(msg) // parts)
    chunks = [msg[i:i + size] for i in range(0, len(msg), size)]
    out = req
    for i, c in enumerate(chunks):
        ctl = MULTI | (FIRST if i == 0 else 0)
        pkt = build_packet(c, control=ctl, seq=len(chunks) - 1 - i, toggle=bool(i % 2))
        out += pkt + b"\x06" + (pkt + b"\x06" if dup and i == 0 else b"")     # a repeated packet (lost ACK)
    return out


def test_optical_multi_packet_answers_are_joined_and_repeats_ignored():
    from smartmeter_codecs.osgp.tables import BT52, build_bt52
    import datetime as dt
    t = dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    for parts, dup in ((1, False), (3, False), (3, True)):
        r = smc.decode(_optical_read(BT52, build_bt52(t), parts, dup), format="osgp-optical")
        assert r.timestamp == t and r.authenticated is None, (parts, dup)


def test_optical_stream_stray_ee_is_not_a_checksum_error():
    noise = bytes([0xEE, 0x13, 0x99, 0x01, 0x00, 0x01, 0x42, 0x00, 0x00])
    out = list(smc.StreamDecoder(format="osgp-optical").feed(noise))
    assert out and not any(isinstance(o, smc.ChecksumError) for o in out)
    assert all(isinstance(o, smc.FramingError) for o in out)


def _textbook_rc4(key: bytes, n: int) -> bytes:
    """RC4 key stream written from the algorithm's definition (test oracle only)."""
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for _ in range(n):
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


def test_mep_rc4_follows_appendix_b_step_by_step():
    # DG Appendix B, literally: mep_EncryptKey = RC4(MEP key) over ConstKey; per packet
    # keyTemp = mep_EncryptKey with bytes 0-7 XOR the request digest; the request span is
    # encrypted with it and the answer with the continued stream
    from smartmeter_codecs.osgp.digest import oma_digest
    const = bytes([0x38, 0x8B, 0x8F, 0xBC, 0x36, 0xA8, 0x55, 0x85, 0x87, 0xAF, 0xC9, 0x0F, 0xB2, 0x3A, 0x3B, 0x99])
    enc_key = bytes(a ^ b for a, b in zip(_textbook_rc4(KEY, 16), const))
    req = TableRequest(0x3F, 52, 0, 6)
    frame, ex = seal_request(req, 0x01020304, KEY, encrypt=True)
    plain = req.to_bytes() + (0x01020304).to_bytes(4, "big")
    digest = oma_digest(KEY, plain)
    assert frame[-8:] == digest                                   # digest over the plaintext, sent in clear
    key_temp = bytes(b ^ (digest[i] if i < 8 else 0) for i, b in enumerate(enc_key))
    stream = _textbook_rc4(key_temp, len(plain) + 9)
    assert frame[2:-8] == bytes(a ^ b for a, b in zip(plain, stream))
    answer = seal_response(Response(0, bytes([26, 1, 2, 3, 4, 5]), 6), open_request(next_frame(frame), [KEY]))
    msg = Response(0, bytes([26, 1, 2, 3, 4, 5]), 6).to_bytes()
    assert answer[2:-8] == bytes(a ^ b for a, b in zip(msg, stream[len(plain):]))
    assert answer[-8:] == oma_digest(KEY, plain + msg)


def test_tls_mode_terminate_and_bare_status_answers():
    from smartmeter_codecs.osgp.mep import build_tls
    # TLS_TERMINATE with one arbitrary byte, answered by a bare 00 (no digest in TLS mode)
    cap = build_tls(0x57, b"\x00") + b"\x00\x01\x00"
    assert smc.decode_all(cap, format="osgp-mep", keys=KEYS) == []
    insp = smc.inspect(cap, format="osgp-mep")
    assert insp.error is None and "TLS_TERMINATE" in str(insp)
    # handshake record then an RC4-mode exchange after the session ended
    hello = build_tls(0x58, bytes.fromhex("1603030004") + b"\x01\x00\x00\x00")
    rc4 = _exchange(TableRequest(0x3F, 52, 0, 6), Response(0, bytes([26, 1, 2, 3, 4, 5]), 6))
    assert smc.decode(hello + b"\x00\x01\x00" + cap + rc4, format="osgp-mep", keys=KEYS).timestamp.year == 2026


@given(st.binary(min_size=10, max_size=10), st.integers(0, 400), st.sampled_from([BT23, BT28]))
@settings(max_examples=200, deadline=None)
def test_table_fields_of_a_partial_read_are_the_first_fields(bt21, until, table):
    """A read of a table's first ``until`` bytes gets the fields that start there, in order,
    without making the rest: a BT21 of 255s describes billions of BT23 fields (fuzzing found one
    MEP conversation of 563 bytes taking 7 s), and each field is at least one byte long."""
    dims = parse_dimensions(bt21)
    config = MeterConfig(dimensions=dims)
    bounded = table_fields(table, config, until=until)
    assert bounded is not None and len(bounded) <= until
    assert all(f.offset < until for f in bounded)
    assert [f.offset for f in bounded] == sorted(f.offset for f in bounded)
    small = all(v <= 8 for v in bt21)      # the whole layout is small enough to list
    if small:
        whole = table_fields(table, config)
        assert bounded == [f for f in whole if f.offset < until]
