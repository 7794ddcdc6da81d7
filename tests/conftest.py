"""Suite-wide settings.

Under CI (the ``CI`` environment variable, which ``.ci/run``'s caller sets) hypothesis runs
derandomized: every CI run explores the same examples, so a green main stays green and a
failure is reproducible. Local runs keep random exploration (and the example database), which
is where new counterexamples are found; each one found becomes an ``@example`` in its test.
"""
from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
