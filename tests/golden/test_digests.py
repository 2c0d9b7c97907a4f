"""The pinned golden digests hold: simulate output, env trajectories, audit log and a shielded evaluation.

A deliberate change of behaviour re-pins them (``python -m tests.golden.digests --write``) in the same
commit, which names the change.
"""

from __future__ import annotations

import json

import pytest

from tests.golden.digests import DIGESTS, compute


@pytest.mark.slow
def test_outputs_are_byte_identical_to_the_pinned_digests() -> None:
    pinned = json.loads(DIGESTS.read_text())
    assert compute() == pinned, "behaviour changed: if on purpose, re-pin with python -m tests.golden.digests --write"
