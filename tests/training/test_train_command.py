"""``twin-env train``: its new options refuse bad input in one line with nothing written; ``--seeds`` writes one
run per seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("stable_baselines3", reason="the sb3 extra is not installed")

from twin_env.cli import main  # noqa: E402

TRAIN = ["train", "--algo", "ppo", "--total-timesteps", "64"]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--hyperparams", "gama=0.9"], "unknown hyperparameter 'gama' for ppo; allowed: ["),
        (["--hyperparams", "gamma=2"], "gamma must be a number in (0, 1], got 2"),
        (["--hyperparams", "n_steps=x"], "n_steps must be an integer, got 'x'"),
        (["--hyperparams", "n_envs=0"], "n_envs must be an integer in [1, 4,096], got 0"),
        (["--hyperparams", "junk"], "--hyperparams 'junk': expected key=value"),
        (["--seed", "0", "--seeds", "1"], "--seeds: not allowed with argument --seed"),
        (["--seeds", "1", "1"], "--seeds [1, 1] repeats a seed"),
        (["--seeds", "-1"], "--seeds"),
        (["--env", "twin_env/PrimaryCare-v0"], "--env: invalid choice"),
        (["--tensorboard", "tb", "--no-tensorboard"], "--tensorboard DIR and --no-tensorboard contradict"),
        (["--log-every", "0"], "--log-every"),
        (["--total-timesteps", "0"], "--total-timesteps/--timesteps"),
        (["--cost-limit", "1"], "--cost-limit 1 needs --shield and no --cost-penalty"),
        (["--shield", "mask", "--cost-limit", "1", "--cost-penalty", "1"], "--cost-limit 1 needs --shield and no"),
        (["--shield", "mask", "--cost-limit", "-1"], "--cost-limit"),
        (["--shield", "replace", "--lagrange-lr", "0.1"], "--lagrange-lr 0.1 needs --cost-limit"),
        (["--shield", "replace", "--cost-limit", "1", "--lagrange-lr", "0"], "--lagrange-lr"),
        (["--shield", "unsafe"], "--shield: invalid choice"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    extra: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    try:
        code = main([*TRAIN, *extra, "--out", str(tmp_path / "run")])
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err and needle in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_seeds_write_one_run_per_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs"
    argv = [*TRAIN, "--n-envs", "8", "--seeds", "3", "5", "--env-config", '{"horizon_years": 0.25}']
    argv += ["--hyperparams", "n_steps=8", "--validation-patients", "0", "--no-plots", "--out", str(out)]
    assert main(argv) == 0
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {"seed_3", "seed_5"}
    configs = [json.loads((out / f"seed_{s}" / "config.json").read_text()) for s in (3, 5)]
    assert [c["seed"] for c in configs] == [3, 5]
    assert all(c["hyperparameter_overrides"] == {"n_steps": 8} and c["trained_timesteps"] == 64 for c in configs)
    stdout = capsys.readouterr().out
    assert "trained ppo seed 3 for 64 of 64 timesteps" in stdout and "seed 5" in stdout
