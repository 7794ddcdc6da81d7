"""Reading.register() with the common short forms of an OBIS code."""
from __future__ import annotations

import smartmeter_codecs as smc

from live_helpers import dlms_frame


def test_register_lookup_ignores_an_unspecified_channel():
    """Issue 11 item 4: "1-0:1.8.0" finds Kamstrup's 1-1:1.8.0.255 (B = 0: no channel given)."""
    r = smc.decode(dlms_frame())
    exact = r.register("1-1:1.8.0.255")
    assert exact is not None and exact.unit == "Wh"
    assert r.register("1-0:1.8.0") is exact and r.register("1.0.1.8.0.255") is exact
    assert r.register("1-2:1.8.0") is None                   # another channel asked for: not guessed
    both = smc.Reading(format="x", registers=(
        smc.Register("1-1:1.8.0.255", 1.0, "Wh", smc.ObisCode.parse("1-1:1.8.0")),
        smc.Register("1-2:1.8.0.255", 2.0, "Wh", smc.ObisCode.parse("1-2:1.8.0"))))
    assert both.register("1-0:1.8.0") is None                # two channels: ambiguous
    assert both.register("1-2:1.8.0").value == 2.0
