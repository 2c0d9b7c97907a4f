"""`twin-env evaluate`: every policy form on a small cohort, another population, progress, one-line errors."""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from twin_env.commands import CommandError
from twin_env.commands import evaluate as command
from twin_env.policies import SHIPPED_AGENT, pretrained_dir
from twin_env.policies.sb3_model import ALGOS

SMALL = ["--episodes", "3", "--env-config", '{"horizon_years": 0.25}', "--no-plots"]
MODULE = "import numpy as np\n\ndef bp_checks(observation, mask):\n    return np.where(mask[:, 2], 2, 0)\n"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["evaluate", *argv])
    return args.func(args)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cli_policies_for_test.py").write_text(MODULE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_baseline_zip_and_python_policy_in_one_evaluation(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("sb3_contrib", reason="the sb3 extra is not installed")
    shutil.copy(pretrained_dir() / SHIPPED_AGENT / "model.zip", workdir / "bare.zip")  # no config.json next to it
    policies = ["do_nothing", "bare.zip", "cli_policies_for_test:bp_checks"]
    small_v1 = ["--episodes", "3", "--env-config", '{"horizon_years": 0.25, "action_set": "v1"}', "--no-plots"]
    # a bare .zip has no config.json: the env config it was trained with (the shipped agent's v1 catalogue) is given
    assert _run("--policy", *policies, *small_v1, "--population-seed", "77", "--out", "out") == 0
    out, err = capsys.readouterr()
    assert (
        "| maskable_ppo:bare |" in out
        and "| cli_policies_for_test:bp_checks |" in out
        and "| do_nothing | 70+ |" in out
    )
    assert "evaluate" in err and "100%" in err  # the tqdm progress bar
    results = json.loads((workdir / "out" / "results.json").read_text())
    assert results["population_seed"] == 77 and results["population"] == "other"
    assert set(results["policies"]) == {"do_nothing", "maskable_ppo:bare", "cli_policies_for_test:bp_checks"}
    metrics = results["policies"]["cli_policies_for_test:bp_checks"]["metrics"]
    assert {"antihypertensive_without_hypertension_share", "record_hard_violations_per_patient_agent"} <= set(metrics)


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return path


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("no_such_policy", r"--policy 'no_such_policy': unknown; allowed: a baseline name, agent, .* module:callable"),
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        ("cli_policies_for_test:nope", "has no attribute 'nope'"),
        ("cli_policies_for_test.py", r"is neither a \.zip nor a folder with model\.zip"),
        ("empty.zip", "is damaged or not a saved SB3 model"),
        ("unknown_algo.zip", r"cannot tell which algorithm saved unknown_algo\.zip; allowed: --algo one of"),
    ],
)
def test_bad_policy_forms_are_one_line_errors(workdir: Path, policy: str, message: str) -> None:
    _zip(workdir / "empty.zip", {"x": ""})
    _zip(workdir / "unknown_algo.zip", {"data": json.dumps({"gamma": 0.99})})
    with pytest.raises(CommandError, match=message) as info:
        _run("--policy", policy, *SMALL)
    assert "\n" not in str(info.value)


def test_contradicting_population_seeds_are_refused() -> None:
    with pytest.raises(CommandError, match="contradicts the population seed 5; allowed: give it once"):
        _run(
            "--policy",
            "do_nothing",
            "--episodes",
            "2",
            "--env-config",
            '{"population_seed": 4}',
            "--population-seed",
            "5",
        )


def test_algo_choices_match_the_loader() -> None:
    assert command.ALGOS == ALGOS
