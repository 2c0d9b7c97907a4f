"""Over 100 bad inputs across the CLI, the Python API and files: each one line naming the field, nothing written.

CLI cases run ``twin_env.cli.main`` in process (exit code 2, exactly one stderr line that names the
option, no traceback, the temporary folder unchanged); a few run as real subprocesses to check that
no traceback reaches the terminal. API cases expect a one-line ``ValueError`` naming the field.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import twin_env  # noqa: F401
from twin_env.cli import main
from twin_env.commands import MARKER, CommandError
from twin_env.commands.simulate import SimulationConfig
from twin_env.envs.config import EnvConfig
from twin_env.envs.primary_care_env import PrimaryCareEnv
from twin_env.envs.vector_env import PrimaryCareVectorEnv

SIM = ["simulate", "--patients", "5", "--years", "1", "--out", "{out}"]
EVAL = ["evaluate", "--policy", "do_nothing", "--episodes", "4"]
TRAIN = ["train", "--algo", "ppo", "--timesteps", "64", "--out", "{out}"]
MODELS = ["models", "evaluate", "--model", "qrisk3", "--patients", "50"]


def _sim(*extra: str) -> list[str]:
    """``simulate`` with ``extra`` replacing the matching base options."""
    base = dict(zip(SIM[1::2], SIM[2::2]))
    pairs = list(zip(extra[::2], extra[1::2]))
    base.update(pairs)
    return ["simulate", *[x for kv in base.items() for x in kv]]


#: (argv with {placeholders}, text the one-line message must contain)
CLI_CASES: list[tuple[list[str], str]] = [
    # simulate
    (_sim("--patients", "0"), "--patients"),
    (_sim("--patients", "-5"), "--patients"),
    (_sim("--patients", "five"), "--patients"),
    (_sim("--patients", "1e10"), "--patients"),
    (_sim("--patients", "2.5"), "--patients"),
    (_sim("--patients", "10000001"), "--patients"),
    (_sim("--years", "0"), "--years"),
    (_sim("--years", "-1"), "--years"),
    (_sim("--years", "0.01"), "--years"),
    (_sim("--years", "1e9"), "--years"),
    (_sim("--years", "nan"), "--years"),
    (_sim("--years", "inf"), "--years"),
    (_sim("--years", "1.05"), "--years"),
    (_sim("--years", "ten"), "--years"),
    (_sim("--seed", "-1"), "--seed"),
    (_sim("--seed", str(2**63)), "--seed"),
    (_sim("--seed", "x"), "--seed"),
    (_sim("--min-age", "-1"), "--min-age"),
    (_sim("--min-age", "101"), "--min-age"),
    (_sim("--max-age", "nan"), "--max-age"),
    (_sim("--min-age", "80", "--max-age", "40"), "--min-age"),
    ([*SIM, "--formats", "fhir", "pdf"], "--formats"),
    ([*SIM, "--formats"], "--formats"),
    (_sim("--patients", "10000000", "--years", "100"), "--patients"),
    (_sim("--out", ""), "--out"),
    (_sim("--out", "."), "--out"),
    (_sim("--out", "{file}"), "--out"),
    ([*_sim("--out", "{foreign}"), "--overwrite"], "--out"),
    (_sim("--out", "{foreign}"), "--out"),
    ([*_sim("--out", "{cwd}"), "--overwrite"], "--out"),
    ([*_sim("--out", "{parent}"), "--overwrite"], "--out"),
    (_sim("--out", "{symlink}"), "--out"),
    ([*SIM, "--bogus"], "--bogus"),
    ([*SIM, "--fhir-bundle-type", "batch"], "--fhir-bundle-type"),
    ([*SIM, "--formats", "hl7", "--fhir-ndjson"], "--fhir-ndjson"),
    ([*SIM, "--formats", "hl7", "--validate"], "--validate"),
    (["simulate", "--years", "1", "--out", "{out}"], "--patients"),
    # evaluate
    ([*EVAL, "--episodes", "1"], "--episodes"),
    ([*EVAL, "--episodes", "0"], "--episodes"),
    ([*EVAL, "--episodes", "-3"], "--episodes"),
    ([*EVAL, "--episodes", "2000000"], "--episodes"),
    ([*EVAL, "--episodes", "abc"], "--episodes"),
    ([*EVAL, "--seed", "-1"], "--seed"),
    ([*EVAL, "--env-config", "[1,2]"], "--env-config"),
    ([*EVAL, "--env-config", "not json"], "--env-config"),
    ([*EVAL, "--env-config", '{"horizon_years": -1}'], "horizon_years"),
    ([*EVAL, "--env-config", '{"bogus": 1}'], "bogus"),
    ([*EVAL, "--env-config", '{"start_date": 5}'], "start_date"),
    ([*EVAL, "--env-config", '{"decision_interval_months": 1000000}'], "decision_interval_months"),
    ([*EVAL, "--env-config", '{"reward": ["x"]}'], "reward"),
    ([*EVAL, "--env-config", '{"population_seed": 1.5}'], "population_seed"),
    ([*EVAL, "--env-config", '{"horizon_years": NaN}'], "horizon_years"),
    (["evaluate", "--policy", "no_such_policy", "--episodes", "4"], "--policy"),
    (["evaluate", "--policy", "do_nothing", "do_nothing", "--episodes", "4"], "--policy"),
    (["evaluate", "--policy", "{truncated_model}", "--episodes", "4"], "model.zip"),
    (["evaluate", "--policy", "{no_algo}", "--episodes", "4"], "algo"),
    (["evaluate", "--policy", "{bad_json_config}", "--episodes", "4"], "config.json"),
    (["evaluate", "--policy", "{list_config}", "--episodes", "4"], "algo"),
    (["evaluate", "--policy", "{not_a_zip}", "--episodes", "4"], "model.zip"),
    (["evaluate", "--policy", "{empty_dir}", "--episodes", "4"], "--policy"),
    ([*EVAL, "--out", "{file}"], "--out"),
    ([*EVAL, "--out", "{foreign}", "--overwrite"], "--out"),
    ([*EVAL, "--out", ""], "--out"),
    # train (all refused before stable-baselines3 is imported)
    (["train", "--algo", "sac", "--timesteps", "64", "--out", "{out}"], "--algo"),
    ([*TRAIN, "--timesteps", "0"], "--timesteps"),
    ([*TRAIN, "--timesteps", "-1"], "--timesteps"),
    ([*TRAIN, "--timesteps", str(10**20)], "--timesteps"),
    ([*TRAIN, "--n-envs", "0"], "--n-envs"),
    ([*TRAIN, "--n-envs", "100000"], "--n-envs"),
    ([*TRAIN, "--seed", "-1"], "--seed"),
    ([*TRAIN, "--env-config", "[1]"], "--env-config"),
    ([*TRAIN, "--env-config", '{"observation_mode": "x"}'], "observation_mode"),
    ([*TRAIN, "--max-minutes", "0"], "--max-minutes"),
    ([*TRAIN, "--max-minutes", "-1"], "--max-minutes"),
    ([*TRAIN, "--max-minutes", "nan"], "--max-minutes"),
    ([*TRAIN, "--torch-threads", "0"], "--torch-threads"),
    ([*TRAIN, "--validation-patients", "-1"], "--validation-patients"),
    ([*TRAIN, "--validate-every", "0"], "--validate-every"),
    ([*TRAIN, "--shield", "maybe"], "--shield"),
    ([*TRAIN, "--shield", "replace", "--cost-penalty", "-1"], "--cost-penalty"),
    ([*TRAIN, "--cost-penalty", "1"], "--cost-penalty"),
    ([*TRAIN, "--shield", "replace", "--cost-penalty", "inf"], "--cost-penalty"),
    (["train", "--algo", "ppo", "--timesteps", "64", "--out", "{file}"], "--out"),
    (["train", "--algo", "ppo", "--timesteps", "64", "--out", ""], "--out"),
    ([*TRAIN, "--tensorboard", "{file}"], "--tensorboard"),
    # models evaluate
    (["models", "evaluate", "--model", "qfoo"], "--model"),
    ([*MODELS, "--patients", "0"], "--patients"),
    ([*MODELS, "--patients", "-1"], "--patients"),
    ([*MODELS, "--seed", "-1"], "--seed"),
    ([*MODELS, "--history-years", "-1"], "--history-years"),
    ([*MODELS, "--history-years", "1e9"], "--history-years"),
    ([*MODELS, "--history-years", "0.01"], "--history-years"),
    ([*MODELS, "--follow-up-years", "0"], "--follow-up-years"),
    ([*MODELS, "--follow-up-years", "0.01"], "--follow-up-years"),
    ([*MODELS, "--out", "{file}"], "--out"),
    ([*MODELS, "--out", "{foreign}", "--overwrite"], "--out"),
    # demo
    (["demo", "--quick", "--train-minutes", "0", "--out", "{out}"], "--train-minutes"),
    (["demo", "--quick", "--train-minutes", "-1", "--out", "{out}"], "--train-minutes"),
    (["demo", "--quick", "--train-minutes", "nan", "--out", "{out}"], "--train-minutes"),
    (["demo", "--quick", "--out", "{file}"], "--out"),
    (["demo", "--quick", "--out", "."], "--out"),
    (["demo", "--quick", "--out", "{foreign}"], "--out"),
    # audit
    (["audit", "verify", "{missing}"], "file"),
    (["audit", "verify", "{empty_dir}"], "file"),
    (["audit", "verify", "{log}", "--head", "abc"], "--head"),
    (["audit", "verify", "{log}", "--key-file", "{missing}"], "key file"),
    (["audit", "verify", "{log}", "--key-file", "{empty_key}"], "key file"),
    (["audit", "show", "{log}", "--patient", "-1"], "--patient"),
    (["audit", "show", "{log}", "--patient", "x"], "--patient"),
    (["audit", "show", "{file}", "--patient", "0"], "file"),
    (["audit", "show", "{log}", "--patient", "999999"], "patient"),
    (["audit", "show", "{list_log}", "--patient", "0"], "patient"),
    (["audit", "show", "{odd_log}", "--patient", "0"], "file"),
    (["audit"], "audit_action"),
    (["no-such-command"], "command"),
]


def _model_zip(path: Path, *, truncate: bool = False) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("data", json.dumps({"policy_class": "x"}) * 50)
        archive.writestr("policy.pth", b"\0" * 2000)
    data = buf.getvalue()
    path.write_bytes(data[: len(data) // 2] if truncate else data)


def _make_fixtures(root: Path) -> dict[str, str]:
    """Files and folders the cases name; returns ``{placeholder: path}``."""
    paths = {name: root / name for name in ("file", "foreign", "empty_dir", "cwd", "log", "empty_key")}
    paths["file"].write_text("not a directory\n")
    paths["foreign"].mkdir()
    (paths["foreign"] / "thesis.tex").write_text("years of work")
    paths["empty_dir"].mkdir()
    paths["cwd"].mkdir()
    (paths["cwd"] / MARKER).write_text("x")
    paths["log"].write_bytes(b"")
    paths["empty_key"].write_bytes(b"\n")
    (root / "list_log").write_text("[1]\n")
    (root / "odd_log").write_text('{"patient": 0, "proposed": {"name": "x"}}\n')
    (root / "symlink").symlink_to(paths["foreign"])
    for name, config, zipped in (
        ("truncated_model", {"algo": "ppo", "env_config": {}}, "truncated"),
        ("no_algo", {"env_config": {}}, "ok"),
        ("bad_json_config", '{"algo": "ppo"', "ok"),
        ("list_config", ["ppo"], "ok"),
        ("not_a_zip", {"algo": "ppo", "env_config": {}}, "text"),
    ):
        run = root / name
        run.mkdir()
        (run / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
        if zipped == "text":
            (run / "model.zip").write_text("hello")
        else:
            _model_zip(run / "model.zip", truncate=zipped == "truncated")
    from twin_env.safety.audit import AuditLog

    log = AuditLog(paths["log"])
    log.append({"patient": 1, "note": "x"})
    log.close()
    out = {name: str(path) for name, path in paths.items()}
    out.update(
        out=str(root / "out"),
        missing=str(root / "missing"),
        parent=str(root),
        symlink=str(root / "symlink"),
        list_log=str(root / "list_log"),
        odd_log=str(root / "odd_log"),
        **{n: str(root / n) for n in ("truncated_model", "no_algo", "bad_json_config", "list_config", "not_a_zip")},
    )
    return out


def _fill(argv: list[str], fixtures: dict[str, str]) -> list[str]:
    """Replace whole-argument ``{name}`` placeholders (JSON arguments are left alone)."""
    return [fixtures[a[1:-1]] if a.startswith("{") and a[1:-1] in fixtures else a for a in argv]


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def test_there_are_over_100_cases() -> None:
    assert len(CLI_CASES) + len(API_CASES) > 100 and len(CLI_CASES) > 100


@pytest.mark.parametrize(("argv", "needle"), CLI_CASES, ids=[" ".join(a)[:60] for a, _ in CLI_CASES])
def test_cli_bad_input_is_one_line_naming_the_field(
    argv: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWIN_ENV_AUDIT_KEY", raising=False)
    fixtures = _make_fixtures(tmp_path)
    monkeypatch.chdir(fixtures["cwd"])
    before = _snapshot(tmp_path)
    capsys.readouterr()
    try:
        code = main(_fill(argv, fixtures))
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("twin-env") and "Traceback" not in err, err
    assert needle in err, err
    assert _snapshot(tmp_path) == before  # nothing written, nothing removed


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--patients", "0", "--years", "1", "--out", "x"],
        ["evaluate", "--env-config", "[1,2]", "--episodes", "4"],
        ["evaluate", "--policy", "{truncated_model}", "--episodes", "4"],
    ],
)
def test_no_traceback_reaches_the_terminal(argv: list[str], tmp_path: Path) -> None:
    fixtures = _make_fixtures(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "twin_env.cli", *_fill(argv, fixtures)],
        capture_output=True,
        text=True,
        cwd=fixtures["cwd"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},  # this checkout's twin_env
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def _env_config(**kw: Any) -> Any:
    return EnvConfig(**kw)


def _from_value(value: Any) -> Any:
    return EnvConfig.from_value(value)


def _reset(options: Any) -> Any:
    env = PrimaryCareEnv({"horizon_years": 1})
    return env.reset(seed=0, options=options)


def _vector(num_envs: Any) -> Any:
    return PrimaryCareVectorEnv(num_envs, {"horizon_years": 1})


def _vector_reset(options: Any) -> Any:
    return PrimaryCareVectorEnv(2, {"horizon_years": 1}).reset(seed=0, options=options)


def _sim_config(**kw: Any) -> Any:
    return SimulationConfig(**{"patients": 5, "years": 1.0, "seed": 0, **kw})


def _shield(**kw: Any) -> Any:
    return gym.make("twin_env/PrimaryCare-Shielded-v0", config={"horizon_years": 1}, **kw)


#: (callable, argument(s), text the one-line message must contain)
API_CASES: list[tuple[Any, dict[str, Any], str]] = [
    *[
        (_env_config, {field: value}, field)
        for field, value in [
            ("min_age_years", "40"),
            ("min_age_years", -1),
            ("min_age_years", float("nan")),
            ("min_age_years", True),
            ("max_age_years", 200),
            ("horizon_years", 0),
            ("horizon_years", -1),
            ("horizon_years", float("inf")),
            ("horizon_years", 1e9),
            ("horizon_years", "10"),
            ("decision_interval_months", 0),
            ("decision_interval_months", 2.5),
            ("decision_interval_months", 10**6),
            ("decision_interval_months", True),
            ("observation_mode", "x"),
            ("observation_mode", ["record"]),
            ("reward", "x"),
            ("reward", ["x"]),
            ("willingness_to_pay_gbp", -1),
            ("willingness_to_pay_gbp", 1e12),
            ("reward_scale_gbp", 0),
            ("population_seed", -1),
            ("population_seed", 2.0),
            ("population_seed", 2**64),
            ("artefacts", "yes"),
            ("artefacts", 1),
            ("start_date", 5),
            ("start_date", "2020-13-01"),
            ("start_date", "1800-01-01"),
            ("start_date", "20200401"),
            ("start_date", None),
            ("qrisk3_statin_threshold_percent", 0),
            ("qrisk3_statin_threshold_percent", 101),
            ("qdiabetes_dpp_threshold_percent", float("nan")),
            ("shaping_gamma", 0),
            ("shaping_gamma", 1.5),
        ]
    ],
    (_env_config, {"min_age_years": 70, "max_age_years": 50}, "min_age_years"),
    (_env_config, {"horizon_years": 1, "decision_interval_months": 13}, "decision_interval_months"),
    (_from_value, {"value": [1, 2]}, "config"),
    (_from_value, {"value": {"bogus": 1}}, "bogus"),
    (_from_value, {"value": {1: 2}}, "config keys"),
    (_reset, {"options": {"patient_index": -1}}, "patient_index"),
    (_reset, {"options": {"patient_index": 1.7}}, "patient_index"),
    (_reset, {"options": {"patient_index": "3"}}, "patient_index"),
    (_reset, {"options": {"patient_index": True}}, "patient_index"),
    (_reset, {"options": {"patient_index": 2**62}}, "patient_index"),
    (_reset, {"options": {"patient_index": None}}, "patient_index"),
    (_reset, {"options": [1]}, "reset options"),
    (_reset, {"options": {"bogus": 1}}, "bogus"),
    (_reset, {"options": {"config": {"horizon_years": -1}}}, "horizon_years"),
    (_vector, {"num_envs": 2.5}, "num_envs"),
    (_vector, {"num_envs": 0}, "num_envs"),
    (_vector, {"num_envs": -1}, "num_envs"),
    (_vector, {"num_envs": True}, "num_envs"),
    (_vector, {"num_envs": 10**6}, "num_envs"),
    (_vector, {"num_envs": "2"}, "num_envs"),
    (_vector_reset, {"options": {"patient_index": 1}}, "patient_index"),
    (_sim_config, {"patients": 0}, "--patients"),
    (_sim_config, {"patients": 2.5}, "--patients"),
    (_sim_config, {"years": 0.01}, "--years"),
    (_sim_config, {"years": float("nan")}, "--years"),
    (_sim_config, {"seed": -1}, "--seed"),
    (_sim_config, {"formats": ("pdf",)}, "--formats"),
    (_sim_config, {"min_age": 90, "max_age": 10}, "--min-age"),
    (_shield, {"mode": "x"}, "mode"),
    (_shield, {"audit_path": 123}, "audit_path"),
    (_shield, {"audit_path": ""}, "audit_path"),
    (_shield, {"fsync": "yes"}, "fsync"),
    (_shield, {"audit_path": "{tmp}/a.jsonl", "audit_key_file": "{tmp}/missing"}, "key file"),
]


@pytest.mark.parametrize(("func", "kwargs", "needle"), API_CASES, ids=[f"{f.__name__}-{n}" for f, _, n in API_CASES])
def test_api_bad_input_is_one_line_naming_the_field(
    func: Any, kwargs: dict[str, Any], needle: str, tmp_path: Path
) -> None:
    kwargs = {k: v.format(tmp=tmp_path) if isinstance(v, str) and "{tmp}" in v else v for k, v in kwargs.items()}
    with pytest.raises((ValueError, CommandError)) as caught:
        func(**kwargs)
    message = str(caught.value)
    assert "\n" not in message and needle in message, message
    assert not (tmp_path / "a.jsonl").exists()
