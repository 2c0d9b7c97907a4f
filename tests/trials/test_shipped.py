"""Shipped protocols validate; every published result names a protocol outcome and carries a status."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from twin_env.trials import list_protocols, published_results, run_trial, shipped_protocol
from twin_env.trials.shipped import MEASURES, STATUSES


def test_the_development_protocols_ship() -> None:
    assert list_protocols() == ("accord_bp", "hyvet", "sprint", "ukpds33", "ukpds38")


@pytest.mark.parametrize("name", list_protocols())
def test_every_shipped_protocol_validates_and_has_published_results(name: str) -> None:
    protocol = shipped_protocol(name)
    results = published_results(name)
    assert results, name
    for result in results:
        assert result.outcome in protocol.outcomes, (name, result.outcome)
        assert result.status in STATUSES and result.measure in MEASURES
        assert result.ci95[0] <= result.estimate <= result.ci95[1]
        assert result.contains(result.estimate) and result.source


@pytest.mark.parametrize("name", list_protocols())
def test_every_shipped_protocol_has_a_readme_section(name: str) -> None:
    readme = (resources.files("twin_env.trials") / "protocols" / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {name}.json", 1)[1].split("\n## ", 1)[0]
    for part in ("**The trial.**", "**The protocol.**", "**Cannot express.**"):
        assert part in section, (name, part)


def test_every_published_result_belongs_to_a_shipped_protocol() -> None:
    assert {r.trial for r in published_results()} == set(list_protocols())


def test_unknown_protocol_names_the_shipped_ones() -> None:
    with pytest.raises(ValueError, match="shipped: accord_bp, hyvet"):
        shipped_protocol("hope3")


def test_sprint_is_compared_on_its_harms_and_a_tiny_run_counts_them() -> None:
    protocol = shipped_protocol("sprint")
    assert {r.outcome for r in published_results("sprint")} == {
        "hypotension",
        "syncope",
        "electrolyte_abnormality",
        "injurious_fall",
        "aki",
    }
    assert protocol.outcomes["electrolyte_abnormality"] == ("hyperkalaemia", "hyponatraemia")
    text = (resources.files("twin_env.trials") / "protocols" / "sprint.json").read_text(encoding="utf-8")
    tiny = json.loads(text)
    tiny["population"]["n"], tiny["follow_up_years"] = 1500, 0.25
    result = run_trial(tiny)
    assert result.flow["eligible"] > 100
    assert set(result.outcomes) == set(protocol.outcomes)
