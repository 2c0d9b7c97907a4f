"""The worked example in docs/record_systems.md is the code's current output."""

from __future__ import annotations

import pathlib

from twin_env.analysis.record_example import END, START, example_markdown

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "record_systems.md"


def test_docs_example_is_generated() -> None:
    block = DOC.read_text(encoding="utf-8").split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == example_markdown().strip(), "run: python -m twin_env.analysis.record_example"
