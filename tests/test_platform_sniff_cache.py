"""The platform CSV sniffers' header normalisation (issue 16: computed once per input, ASCII
fast path) held to its plain definition."""
from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from smartmeter_codecs.platforms._common import header_cells, normalise_header


def reference_normalise(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.strip().lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", t)


@given(st.text())
def test_normalise_header_matches_its_definition(text: str) -> None:
    assert normalise_header(text) == reference_normalise(text)


@given(st.binary(max_size=600) | st.text(alphabet="abcé; \"\r\n\t\x00É").map(lambda t: t.encode("utf-8")))
def test_header_cells_is_a_fresh_list_equal_each_time(data: bytes) -> None:
    a = header_cells(data)
    b = header_cells(data)
    assert a == b and a is not b
    a.append("changed by a caller")
    assert header_cells(data) == b
