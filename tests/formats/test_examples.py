"""The format examples in docs/record.md are generated, not hand-written, and current."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin_env.analysis.format_examples import END, START, examples_markdown

pytestmark = pytest.mark.slow


def test_docs_examples_are_current() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "record.md").read_text(encoding="utf-8")
    block = text.split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == examples_markdown().strip(), "regenerate: python -m twin_env.analysis.format_examples"
