"""``twin-env trial``: --list, refusals and one-line errors, lazy imports, and a small trial end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.trials.example_protocol import example
from twin_env.cli import main
from twin_env.commands.trial import _Progress
from twin_env.trials import list_protocols


def _tiny_protocol() -> dict[str, Any]:
    """Two arms (a physiology what-if against background care), a few hundred people, one year."""
    data = example()
    data["population"] = {"n": 1500, "seed": 3, "min_age": 60, "max_age": 90, "start_date": "2020-04-01"}
    data["eligibility"] = {"sbp_mmhg": [140, None]}
    data["arms"] = [
        {"name": "lower_sbp", "strategy": {"kind": "physiology", "sbp_offset_mmhg": -15}},
        {"name": "usual", "strategy": {"kind": "none"}},
    ]
    data["reference_arm"] = "usual"
    data["follow_up_years"] = 1.0
    data["outcomes"] = {"death": ["death"], "cv_events": ["mi", "stroke", "heart_failure", "cvd_death"]}
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("twin-env trial: error: ") and err.count("\n") == 1, err
    return err


def test_list_shows_the_shipped_protocols(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trial", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        [line.split()[0] for line in lines]
        == list(list_protocols())
        == ["accord_bp", "hyvet", "sprint", "ukpds33", "ukpds38"]
    )
    assert all(len(line.split(None, 1)) == 2 for line in lines)
    assert "HYVET" in lines[1]


def test_refuses_a_non_empty_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["trial", "hyvet", "--out", str(out)]) == 2
    assert "not empty" in _one_line_error(capsys)
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("arms", 1, "strategy", "target_sbp_mmhg"), 20, "arms[1].strategy.target_sbp_mmhg: must be a number in"),
        (("eligibility", "any_of", 2, "qrisk3_percent"), [50, 10], "eligibility.any_of[2].qrisk3_percent: must be"),
        (("outcomes", "stroke"), ["stroke", "bleeding"], "outcomes.stroke[1]: must be one of"),
        (("population", "n"), 0, "population.n: must be"),
    ],
)
def test_bad_protocol_is_one_line_naming_the_field_and_nothing_written(
    path: tuple[Any, ...], value: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = example()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    protocol = _write(tmp_path / "bad.json", data)
    assert main(["trial", str(protocol), "--out", str(tmp_path / "out")]) == 2
    assert message in _one_line_error(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["bad.json"]


def test_unknown_policy_is_one_line_naming_the_arm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = example()
    data["arms"][3]["strategy"]["policy"] = "nice_guidline"
    assert main(["trial", str(_write(tmp_path / "p.json", data)), "--out", str(tmp_path / "out")]) == 2
    err = _one_line_error(capsys)
    assert "arms[3].strategy.policy: must be one of do_nothing" in err and "got 'nice_guidline'" in err
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_nobody_eligible_is_one_line_and_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _tiny_protocol()
    data["eligibility"] = {"sbp_mmhg": [299, 300]}
    assert main(["trial", str(_write(tmp_path / "p.json", data)), "--out", str(tmp_path / "out")]) == 2
    assert "eligibility: 0 of 1500 sampled patients are eligible" in _one_line_error(capsys)
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


def test_unknown_name_unreadable_json_and_missing_arguments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trial", "hyvett", "--out", str(tmp_path / "out")]) == 2
    assert (
        "hyvett: no such file or shipped protocol (shipped: accord_bp, hyvet, sprint, ukpds33, ukpds38)"
        in _one_line_error(capsys)
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["trial", str(broken), "--out", str(tmp_path / "out")]) == 2
    assert "not valid JSON" in _one_line_error(capsys)
    assert main(["trial", "hyvet"]) == 2
    assert "--out DIR" in _one_line_error(capsys)
    assert main(["trial", "--list", "hyvet"]) == 2
    assert "--list takes no PROTOCOL" in _one_line_error(capsys)
    assert main(["trial", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "is not a file" in _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json"]


def test_help_does_not_import_lifelines() -> None:
    code = (
        "import sys; from twin_env.cli import build_parser; build_parser().format_help()\n"
        "print('lifelines' in sys.modules, 'twin_env.trials' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_progress_draws_the_commands_bar_over_all_steps(capsys: pytest.CaptureFixture[str]) -> None:
    progress = _Progress(enabled=True)
    for done in range(1, 25):
        progress(done, 24)
    err = capsys.readouterr().err
    assert "trial" in err and "100% (24/24)" in err and err.endswith("\n")
    _Progress(enabled=False)(1, 24)
    assert capsys.readouterr().err == ""


def test_a_small_trial_end_to_end_is_byte_identical_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    protocol = _write(tmp_path / "tiny.json", _tiny_protocol())
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["trial", str(protocol), "--out", str(first)]) == 0
    assert "files in" in capsys.readouterr().out
    assert main(["trial", str(protocol), "--out", str(second)]) == 0
    names = sorted(p.name for p in first.iterdir())
    assert {"result.json", "report.md", "per_patient.csv", "protocol.json"} <= set(names)
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    result = json.loads((first / "result.json").read_text(encoding="utf-8"))
    assert set(result) == {"flow", "baseline", "achieved", "outcomes"}
    assert set(result["outcomes"]) == {"death", "cv_events"}
    assert result["outcomes"]["death"]["usual"]["hr"] == 1
    flow = result["flow"]
    assert flow["sampled"] == 1500 and 0 < flow["eligible"] <= 1500
    assert sum(flow["allocated"].values()) == flow["eligible"]
    assert "## Flow (CONSORT)" in (first / "report.md").read_text(encoding="utf-8")
