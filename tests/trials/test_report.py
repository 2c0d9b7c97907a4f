"""The trial output directory: result.json exactly as the issue says, a deterministic report, published results."""

from __future__ import annotations

import builtins
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.trials.example_protocol import example
from twin_env.trials import OUTCOMES, compare_arms, kaplan_meier, load_protocol, shipped_protocol
from twin_env.trials.report import compare_published, estimate_text, shipped_name, write_trial_outputs
from twin_env.trials.result import TrialResult
from twin_env.trials.schema import Protocol
from twin_env.trials.shipped import published_results


def _hand_made(protocol: Protocol, *, seed: int = 0, patients_per_arm: int = 300) -> TrialResult:
    """A TrialResult built from random survival data (events in every arm), the shape ``run_trial`` returns."""
    rng = np.random.default_rng(seed)
    arms = protocol.arm_names
    arm = np.repeat(np.array(arms), patients_per_arm)
    per_patient: dict[str, Any] = {"arm": arm, "patient_index": np.tile(np.arange(patients_per_arm), len(arms))}
    outcomes, survival = {}, {}
    for k, name in enumerate(protocol.outcomes):
        hazard = np.where(arm == protocol.reference_arm, 0.10, 0.07) * (1 + 0.2 * k)
        time = np.minimum(rng.exponential(1 / hazard), protocol.follow_up_years).round(4)
        event = time < protocol.follow_up_years
        per_patient[f"{name}_time_years"], per_patient[f"{name}_event"] = time, event
        outcomes[name] = compare_arms(arm, time, event, protocol.reference_arm, arms=arms)
        survival[name] = kaplan_meier(arm, time, event)
    flow = {
        "sampled": 5000,
        "eligible": patients_per_arm * len(arms),
        "allocated": dict.fromkeys(arms, patients_per_arm),
        "died": {a: 10 + i for i, a in enumerate(arms)},
        "completed": {a: patients_per_arm - 10 - i for i, a in enumerate(arms)},
    }
    baseline = {
        a: {"n": patients_per_arm, "age_years_mean": 83.5 + i / 10, "sbp_mmhg_mean": 172.25} for i, a in enumerate(arms)
    }
    achieved = {
        a: {
            "sbp_mmhg": [172.0, 160.5 - i],
            "ldl_mmol_l": [3.1, 3.0],
            "hba1c_mmol_mol": [40.0, float("nan")],
            "drug_classes": [0.0, 1.0],
        }
        for i, a in enumerate(arms)
    }
    return TrialResult(protocol, flow, baseline, achieved, outcomes, survival, pd.DataFrame(per_patient))


@pytest.fixture(scope="module")
def hyvet_result() -> TrialResult:
    return _hand_made(shipped_protocol("hyvet"))


@pytest.fixture(scope="module")
def hyvet_dir(hyvet_result: TrialResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hyvet")
    write_trial_outputs(hyvet_result, out)
    return out


def test_result_json_is_exactly_to_json_with_the_issue_keys(hyvet_result: TrialResult, hyvet_dir: Path) -> None:
    data = json.loads((hyvet_dir / "result.json").read_text(encoding="utf-8"))
    assert set(data) == {"flow", "baseline", "achieved", "outcomes"}
    assert data["achieved"]["active"]["hba1c_mmol_mol"] == [40.0, None]  # NaN as null
    for arms in data["outcomes"].values():
        assert set(arms) == {"active", "placebo"}
        for arm in arms.values():
            assert set(arm) == {"events", "person_years", "hr", "hr_ci95", "rr", "rr_ci95"}
        assert arms["placebo"]["hr"] == 1 and arms["placebo"]["hr_ci95"] == [None, None]
    expected = json.loads(json.dumps(hyvet_result.to_json(), allow_nan=True), parse_constant=lambda _: None)
    assert data == expected


def test_every_file_is_written_and_byte_identical_on_a_second_run(
    hyvet_result: TrialResult, hyvet_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    names = sorted(p.name for p in hyvet_dir.iterdir())
    plots = [f"km_{o}.png" for o in hyvet_result.protocol.outcomes]
    assert names == sorted(["per_patient.csv", "protocol.json", "report.md", "result.json", *plots])
    outputs = write_trial_outputs(hyvet_result, tmp_path)
    assert [p.name for p in outputs.files] == names and outputs.plots_skipped is None
    for name in names:
        assert (tmp_path / name).read_bytes() == (hyvet_dir / name).read_bytes(), name


def test_protocol_json_reads_back_as_the_protocol(hyvet_result: TrialResult, hyvet_dir: Path) -> None:
    assert load_protocol(hyvet_dir / "protocol.json") == hyvet_result.protocol


def test_per_patient_csv_holds_every_allocated_patient(hyvet_result: TrialResult, hyvet_dir: Path) -> None:
    frame = pd.read_csv(hyvet_dir / "per_patient.csv")
    assert list(frame.columns) == list(hyvet_result.per_patient.columns)
    assert (
        len(frame) == 600
        and frame["stroke_time_years"].tolist() == hyvet_result.per_patient["stroke_time_years"].tolist()
    )


def test_report_has_flow_baseline_achieved_and_every_outcome(hyvet_result: TrialResult, hyvet_dir: Path) -> None:
    text = (hyvet_dir / "report.md").read_text(encoding="utf-8")
    for heading in ("## Flow (CONSORT)", "## Baseline characteristics", "## Achieved risk factors", "## Outcomes"):
        assert heading in text
    assert "- sampled: 5,000" in text and "| died | 10 | 11 |" in text and "| completed | 290 | 289 |" in text
    assert "| n | 300 | 300 |" in text and "| age (years), mean | 83.50 | 83.60 |" in text
    assert "| SBP (mmHg), mean | 172.25 | 172.25 |" in text
    assert "| year | SBP (mmHg) | LDL (mmol/L) | HbA1c (mmol/mol) | drug classes |" in text
    for outcome, arms in hyvet_result.outcomes.items():
        active = arms["active"]
        assert f"### {outcome}" in text and f"![Kaplan-Meier, {outcome}](km_{outcome}.png)" in text
        row = (
            f"| active | 300 | {active.events} | {active.person_years:,.1f} | "
            f"{active.rate_per_1000_person_years:,.1f} | {estimate_text(active.hr, active.hr_ci95)} | "
            f"{estimate_text(active.rr, active.rr_ci95)} |"
        )
        assert row in text
        assert f"| placebo | 300 | {arms['placebo'].events} |" in text


def test_shipped_protocol_gets_published_results_with_within_and_status(
    hyvet_result: TrialResult, hyvet_dir: Path
) -> None:
    text = (hyvet_dir / "report.md").read_text(encoding="utf-8")
    assert "## Published results beside the twin's" in text
    rows = published_results("hyvet")
    yes = 0
    for row in rows:
        arm = hyvet_result.outcomes[row.outcome]["active"]
        twin = arm.hr if row.measure == "HR" else arm.rr
        within = compare_published(row, twin)
        yes += within == "yes"
        assert f"| {row.outcome} | {row.published_outcome} | active | {row.measure} |" in text
        assert f"| {within} | {row.status} |" in text
    assert f"The twin's estimate lies within {yes} of {len(rows)} published 95% CIs." in text


def test_within_published_ci_is_inclusive_and_never_for_a_missing_estimate() -> None:
    row = published_results("hyvet")[0]
    assert compare_published(row, row.ci95[0]) == "yes" and compare_published(row, row.ci95[1]) == "yes"
    assert compare_published(row, row.ci95[1] + 1e-9) == "no" and compare_published(row, math.nan) == "no"


def test_a_user_protocol_has_no_published_section(tmp_path: Path) -> None:
    data = example()
    data["arms"] = data["arms"][3:]
    protocol = load_protocol(data)
    assert shipped_name(protocol) is None and shipped_name(shipped_protocol("ukpds33")) == "ukpds33"
    write_trial_outputs(_hand_made(protocol), tmp_path, plots=False)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Published results" not in text and "policy: nice_guideline" in text
    assert not list(tmp_path.glob("*.png"))


def test_without_matplotlib_everything_else_is_written_and_the_report_says_so(
    hyvet_result: TrialResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    outputs = write_trial_outputs(hyvet_result, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "per_patient.csv",
        "protocol.json",
        "report.md",
        "result.json",
    ]
    assert (
        outputs.plots_skipped
        == "Kaplan-Meier plots not drawn: matplotlib is not installed (pip install 'twin-env[viz]')."
    )
    assert outputs.plots_skipped in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_estimates_print_missing_and_infinite_values() -> None:
    assert estimate_text(0.7, (0.49, 1.01)) == "0.70 (0.49 to 1.01)"
    assert estimate_text(0.0, (0.0, math.nan)) == "0.00 (0.00 to n/a)"
    assert estimate_text(math.inf, (None, math.inf)) == "inf (n/a to inf)"


def test_docs_list_every_outcome_of_the_vocabulary() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "trials.md").read_text(encoding="utf-8")
    table = "\n".join(f"| `{name}` | {outcome.description} |" for name, outcome in OUTCOMES.items())
    assert table in text, "docs/trials.md: regenerate the outcome table from twin_env.trials.OUTCOMES"
