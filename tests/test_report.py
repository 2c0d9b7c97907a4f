"""docs/report.md keeps the sections its contents line lists, and its cross-references point at them."""

from __future__ import annotations

import re
from pathlib import Path

REPORT = Path(__file__).resolve().parent.parent / "docs" / "report.md"


def test_contents_match_headings() -> None:
    text = REPORT.read_text(encoding="utf-8")
    contents = re.search(r"^Contents: (.*?)\.\n\n", text, flags=re.S | re.M)
    assert contents, "report has no 'Contents:' paragraph"
    listed = [" ".join(s.split()) for s in contents.group(1).split("·")]
    headings = re.findall(r"^## (\d+ .+)$", text, flags=re.M)
    assert headings == listed


def test_section_references_exist() -> None:
    text = REPORT.read_text(encoding="utf-8")
    numbers = {int(n) for n in re.findall(r"^## (\d+) ", text, flags=re.M)}
    cited = {int(n) for n in re.findall(r"\bsections? (\d+)\b", text)}
    assert cited <= numbers, f"the report cites missing section(s) {sorted(cited - numbers)}"
