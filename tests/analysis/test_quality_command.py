"""``twin-env quality``: the JSON of coded conditions against the truth, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin_env.analysis.record_quality import CONDITIONS
from twin_env.cli import main


def test_json_has_ppv_and_sensitivity_of_every_condition(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "quality.json"
    assert main(["quality", "--patients", "300", "--years", "1", "--seed", "4", "--json", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc["conditions"]) == set(CONDITIONS)
    for name, row in doc["conditions"].items():
        assert set(row) == {"ppv", "sensitivity", "truly_present", "coded"}, name
        assert row["truly_present"] >= 0 and row["coded"] >= 0
        for share in ("ppv", "sensitivity"):
            assert row[share] is None or 0.0 <= row[share] <= 1.0, (name, share)
    htn = doc["conditions"]["hypertension"]
    assert htn["truly_present"] > 50 and htn["coded"] > 30
    assert htn["sensitivity"] < 1.0  # diagnosed from readings: undiagnosed hypertension stays in the twin
    assert {c["setting"] for c in doc["checks"]} >= {"home_day_missing_probability", "home_upload_delay_median_days"}
    printed = capsys.readouterr().out
    assert "| hypertension |" in printed and f"wrote {out}" in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patients", "0", "--years", "1"], "--patients: must be an integer"),
        (["--patients", "10", "--years", "0.3"], "--years: must be a whole number of months"),
        (["--patients", "10", "--years", "1", "--seed", "-1"], "--seed: must be an integer"),
    ],
)
def test_bad_arguments_give_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["quality", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("where", ["missing_dir", "a_directory"])
def test_a_bad_json_path_gives_one_line_and_writes_nothing(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "no" / "q.json" if where == "missing_dir" else tmp_path
    assert main(["quality", "--patients", "5", "--years", "1", "--json", str(path)]) == 2
    err = capsys.readouterr().err
    assert ("does not exist" if where == "missing_dir" else "is a directory") in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
