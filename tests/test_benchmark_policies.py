"""benchmarks/policies.py: the table, the interval verdicts, JSON, per-patient outcomes and plots."""

from __future__ import annotations

import json

import pytest

from benchmarks.policies import main


def test_policy_benchmark_writes_table_json_and_plots(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    argv = ["--episodes", "8", "--years", "1", "--policy", "do_nothing", "random", "nice_guideline"]
    assert (
        main(
            [
                *argv,
                "--json",
                str(tmp_path / "p.json"),
                "--per-patient",
                str(tmp_path / "pp.json"),
                "--plots",
                str(tmp_path / "plots"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| nice_guideline |" in out and "8 patients x 1 years" in out
    assert "NMB random minus do_nothing:" in out and "NMB random minus nice_guideline:" in out
    assert "NMB nice_guideline minus" not in out  # the references are compared with the others, not each other
    results = json.loads((tmp_path / "p.json").read_text())
    assert set(results["policies"]) == {"do_nothing", "random", "nice_guideline"} and "timelines" not in results
    assert len(json.loads((tmp_path / "pp.json").read_text())["random"]["nmb_gbp"]) == 8
    assert {p.name for p in (tmp_path / "plots").iterdir()} == {
        "outcomes.png",
        "timeline_do_nothing.png",
        "timeline_random.png",
        "timeline_nice_guideline.png",
    }
