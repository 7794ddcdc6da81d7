"""Sinapsi Alfa register block ("chain2-alfa"): built from the published register map.

No captured Alfa block is public; the blocks here are built from the map in research/chain2.md
section 4 (alexdelprete/ha-sinapsi-alfa, Supergiovane/node-red-contrib-alfasinapsi-ultimate),
register by register, with struct packing written out independently of the decoder.
"""
from __future__ import annotations

import datetime as dt
import struct

import pytest
from hypothesis import given, settings, strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs.chain2 import SWITCH_OFF_COUNTDOWN_KEY, block_from_reads
from smartmeter_codecs.chain2.alfa import ALFA_MAP, BLOCK_BYTES, READS

UTC = dt.timezone.utc


def block(values: dict[int, int], u32: dict[int, int] | None = None) -> bytes:
    regs = [0] * 926
    for addr, v in values.items():
        regs[addr] = v
    for addr, v in (u32 or {}).items():
        regs[addr], regs[addr + 1] = v >> 16, v & 0xFFFF   # high word first
    return struct.pack(">926H", *regs)


OVERLOAD = block(
    {2: 3650, 9: 3120, 12: 0, 19: 0, 203: 3, 782: 154, 921: 0},
    {5: 12_345_678, 15: 1_234, 30: 4210, 32: 2876, 34: 5133, 54: 10, 56: 0, 58: 2, 780: 1_700_000_000,
     924: 0})


def test_decode_overload_block():
    r = smc.decode(OVERLOAD, format="chain2-alfa")
    assert r.format == "chain2-alfa" and r.timestamp is None
    assert r.active_power_import == 3650.0 and r.active_energy_import == 12_345_678.0
    assert r.active_power_export == 0.0 and r.active_energy_export == 1234.0
    assert r.tariff == "F3"
    assert r.register("chain2:QuartAveragePower").value == 3120
    assert r.register("chain2:DailyTotalActEnergyF1").value == 4210
    assert r.register("chain2:DailyTotalActEnergyF3").value == 5133
    assert r.register("alfa:DailyTotalExportActEnergyF3").value == 2
    assert r.register("alfa:OverloadEventTime").value == dt.datetime.fromtimestamp(1_700_000_000, UTC)
    countdown = r.register(SWITCH_OFF_COUNTDOWN_KEY)
    assert countdown.value == 154 and countdown.unit == "s" and countdown.extra["address"] == 782
    assert r.quality is None


def test_u32_word_order_is_high_word_first():
    r = smc.decode(block({}, {5: 0x0001_0002}), format="chain2-alfa")
    assert r.active_energy_import == 65538.0
    assert r.register("chain2:TotalActEnergy").extra == {"address": 5, "type": "u32", "raw": 65538}


def test_no_warning_values():
    r = smc.decode(block({782: 0xFFFF, 203: 1}, {780: 0xFFFFFFFF}), format="chain2-alfa")
    assert r.register("alfa:OverloadEventTime").value is None
    assert r.register(SWITCH_OFF_COUNTDOWN_KEY).value is None
    assert r.register(SWITCH_OFF_COUNTDOWN_KEY).extra["raw"] == 0xFFFF
    # a countdown without a pending event is not a countdown
    r = smc.decode(block({782: 30, 203: 1}, {780: 0xFFFFFFFF}), format="chain2-alfa")
    assert r.register(SWITCH_OFF_COUNTDOWN_KEY).value is None


def test_all_zero_block_after_restart_is_flagged_missing():
    r = smc.decode(bytes(BLOCK_BYTES), format="chain2-alfa")
    assert r.quality == "missing" and r.tariff is None


@pytest.mark.parametrize("length,error", [(0, smc.IncompleteError), (40, smc.IncompleteError),
                                          (1851, smc.FramingError), (1850, smc.IncompleteError)])
def test_wrong_lengths(length, error):
    with pytest.raises(error) as info:
        smc.decode(bytes(length), format="chain2-alfa")
    assert info.value.layer == "chain2-alfa"


def test_longer_blocks_are_accepted():
    assert smc.decode(OVERLOAD + bytes(200), format="chain2-alfa").active_power_import == 3650.0


def test_never_autodetected():
    with pytest.raises(smc.DecodeError):
        smc.decode(bytes(BLOCK_BYTES))  # no format: nothing claims a register block


def test_block_from_the_five_reads():
    regs = struct.unpack(">926H", OVERLOAD)
    reads = {start: list(regs[start:start + count]) for start, count in READS}
    assert block_from_reads(reads) == OVERLOAD
    with pytest.raises(ValueError):
        block_from_reads({2: list(regs[2:20])})  # the other registers are missing
    # node-red-contrib reads 30..64 only: register 65 (low word of F6 export) is not covered
    with pytest.raises(ValueError):
        block_from_reads({**reads, 30: list(regs[30:65])})


def test_inspect_has_byte_offsets():
    insp = smc.inspect(OVERLOAD, format="chain2-alfa")
    node = insp.root.find("782 chain2:SwitchOffCountdownSeconds")
    assert (node.start, node.end, node.value) == (1564, 1566, 154)
    energy = insp.root.find("5 chain2:TotalActEnergy")
    assert energy.end - energy.start == 4
    assert insp.readings[0].tariff == "F3"
    assert isinstance(smc.inspect(b"\x00", format="chain2-alfa").error, smc.FramingError)


def test_encode_round_trip_is_byte_exact():
    r = smc.decode(OVERLOAD, format="chain2-alfa")
    assert smc.encode(r, format="chain2-alfa") == OVERLOAD


def test_encode_hand_built_reading():
    r = smc.Reading(format="chain2-alfa", active_power_import=1200.0, active_energy_import=99.0, tariff="F2")
    data = smc.encode(r, format="chain2-alfa")
    regs = struct.unpack(">926H", data)
    assert regs[2] == 1200 and regs[203] == 2 and regs[782] == 0xFFFF
    assert (regs[780], regs[781]) == (0xFFFF, 0xFFFF)
    with pytest.raises(ValueError):
        smc.encode(r.replace(active_power_import=70000.0), format="chain2-alfa")  # u16 overflow
    with pytest.raises(ValueError):
        smc.encode(r.replace(active_power_import=-1.0), format="chain2-alfa")
    with pytest.raises(ValueError):
        smc.encode(r.replace(tariff="F7"), format="chain2-alfa")


def test_map_is_consistent():
    spans = sorted((reg.address, reg.address + reg.words) for reg in ALFA_MAP)
    for (_, a1), (b0, _) in zip(spans, spans[1:], strict=False):
        assert a1 <= b0  # no overlaps
    for reg in ALFA_MAP:
        assert any(s <= reg.address and reg.address + reg.words <= s + n for s, n in READS)


powers = st.integers(0, 0xFFFF).map(float)
energies = st.integers(0, 0xFFFFFFFF).map(float)


@settings(max_examples=60, deadline=None)
@given(powers, energies, powers, energies, st.sampled_from(["F1", "F2", "F3", "F4", "F5", "F6"]))
def test_round_trip_property(p_in, e_in, p_out, e_out, tariff):
    r = smc.Reading(format="chain2-alfa", active_power_import=p_in, active_energy_import=e_in,
                    active_power_export=p_out, active_energy_export=e_out, tariff=tariff)
    back = smc.decode(smc.encode(r, format="chain2-alfa"), format="chain2-alfa")
    assert (back.active_power_import, back.active_energy_import, back.active_power_export,
            back.active_energy_export, back.tariff) == (p_in, e_in, p_out, e_out, tariff)


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.binary(max_size=64), st.binary(min_size=1850, max_size=1860)))
def test_any_bytes_give_a_reading_or_a_decode_error(data):
    try:
        readings = smc.decode_all(data, format="chain2-alfa")
    except smc.DecodeError:
        return
    assert len(data) >= BLOCK_BYTES and len(readings) == 1
