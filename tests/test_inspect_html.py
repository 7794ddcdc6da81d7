"""Inspection HTML is readable in light and dark notebook themes (issue 11 item 5)."""
from __future__ import annotations

import re

import smartmeter_codecs as smc

from live_helpers import dlms_frame


def test_coloured_bytes_carry_their_own_text_colour():
    html = smc.inspect(dlms_frame())._repr_html_()
    styles = re.findall(r'style="([^"]*background[^"]*)"', html)
    assert styles, "the hex view colours the bytes of each field"
    assert all("color:#1b1b1b" in s for s in styles)
