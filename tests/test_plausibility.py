"""The plausibility screen (smartmeter_codecs.plausibility): what reaches the SI fields."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import smartmeter_codecs as smc
from smartmeter_codecs import plausibility
from smartmeter_codecs.model import Reading
from smartmeter_codecs.plausibility import RANGES, implausible_fields, is_plausible, screen


@pytest.mark.parametrize("field, value, ok", [
    ("voltage_l1", 230.0, True), ("voltage_l1", 0.0, True), ("voltage_l1", 23.0, False),
    ("voltage_l1", 2300.0, False), ("voltage_l2", 49.9, False), ("voltage_l3", 500.0, True),
    ("current_l1", -32.0, True), ("current_l1", 909.99, False), ("frequency", 50.02, True),
    ("frequency", 5002.0, False), ("power_factor", -0.95, True), ("power_factor", 4.556, False),
    ("active_power_import", 12.8e6, False), ("active_power_import", -2.0, False),
    ("active_power_export_l2", 11_000.0, True), ("active_energy_import", 1.2e9, True),
    ("active_energy_export", -1.0, False), ("voltage_l1", math.nan, False),
    ("current_l2", math.inf, False), ("tariff", "T2", True), ("voltage_l1", None, True),
    ("voltage_l1", 10**400, False), ("voltage_l1", 230, True), ("frequency", True, False),
])
def test_ranges(field, value, ok):
    assert is_plausible(field, value) is ok


def test_screen_moves_implausible_values_out_and_says_so():
    r = smc.Reading(format="x", voltage_l1=2357.0, voltage_l2=231.0, power_factor=4.556, quality="measured")
    s = screen(r)
    assert (s.voltage_l1, s.voltage_l2, s.power_factor) == (None, 231.0, None)
    assert s.quality.startswith("measured; implausible: voltage_l1=2357 V (plausible 0 or 50..500 V)")
    assert "power_factor=4.556" in s.quality
    assert implausible_fields(s) == []


def test_screen_keeps_a_plausible_reading_as_is():
    r = smc.Reading(format="x", voltage_l1=230.0, current_l1=5.0, active_power_import=1150.0)
    assert screen(r) is r


def test_interval_delta_bound_follows_the_interval():
    quarter = dt.timedelta(minutes=15)
    assert screen(smc.Reading(format="x", interval=quarter, active_energy_import_delta=150_000.0)).quality is None
    bad = screen(smc.Reading(format="x", interval=quarter, active_energy_import_delta=200_000.0))
    assert bad.active_energy_import_delta is None and "active_energy_import_delta" in bad.quality


def test_every_si_field_of_the_model_has_a_range():
    import dataclasses
    numeric = {f.name for f in dataclasses.fields(smc.Reading) if f.type in ("float | None",)}
    assert numeric == set(RANGES)


def test_decode_and_stream_apply_the_screen():
    # a simulated DLMS push saying 2300 V on L1: the register keeps it, the field does not
    frame = smc.encode(smc.Reading(format="dlms", voltage_l1=2300.0, voltage_l2=230.0), format="dlms")
    for r in (smc.decode(frame), *smc.StreamDecoder().feed(frame)):
        assert (r.voltage_l1, r.voltage_l2) == (None, 230.0)
        assert "implausible: voltage_l1=2300 V" in r.quality
        assert r.register("1-0:32.7.0.255").value == 2300.0


def test_a_huge_int_is_screened_not_raised():
    s = screen(smc.Reading(format="x", voltage_l1=10**400))
    assert s.voltage_l1 is None and "voltage_l1=1000000...(401 digits)" in s.quality


_ANY_VALUE = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
                       st.booleans(), st.just("230"), st.sampled_from([0, 0.0, -0.0, 49.9, 50.0, 500.0, 750e3]))


@given(st.fixed_dictionaries({name: _ANY_VALUE for name in plausibility.RANGES}),
       st.one_of(st.none(), st.sampled_from([dt.timedelta(minutes=15), dt.timedelta(hours=1)])))
def test_the_straight_line_shortcut_agrees_with_the_field_by_field_check(values, interval):
    """plausibility._all_plain (issue 16: the common case written out) says "nothing to
    report" exactly when checking each field against its Range finds nothing."""
    r = Reading("dlms", interval=interval, **values)
    reference = [name for name in plausibility.RANGES
                 if getattr(r, name) is not None
                 and not plausibility._inside(getattr(r, name), plausibility._range_for(r, name))]
    assert [name for name, _, _ in plausibility.implausible_fields(r)] == reference
    if plausibility._all_plain(r):
        assert reference == []


def test_a_dead_phase_takes_the_one_pass_path():
    """0 V on an unused phase (Kaifa list 2 on a two-phase IT grid) is plausible (zero_ok), and
    the straight-line check must say so too, or every such Reading takes the field-by-field
    loop (issue 16: 2.3 us of a 26 us decode)."""
    r = Reading("dlms", voltage_l1=239.2, voltage_l2=0.0, voltage_l3=-0.0, current_l2=0.0)
    assert plausibility._all_plain(r) and screen(r) is r
    assert not plausibility._all_plain(Reading("dlms", voltage_l2=0.5))
