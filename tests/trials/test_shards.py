"""Sharded trials: a trial's outputs are byte-identical for any split of its cohort and any backend."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from twin_env.cli import main
from twin_env.simulation import sample_patients
from twin_env.trials import run_trial
from twin_env.trials.report import write_trial_outputs
from twin_env.trials.shard_backend import Sharding, shard_bounds
from twin_env.twin.cohort import sample_population

ARMS = [
    {"name": "usual", "strategy": {"kind": "none"}},
    {"name": "indapamide", "strategy": {"kind": "drugs", "start": [{"drug": "indapamide", "dose": 1.0}]}},
    {"name": "intensive", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 120, "visit_months": 3}},
    {"name": "guideline", "strategy": {"kind": "policy", "policy": "nice_guideline"}},
]


def _protocol(allocation: str = "randomised", arms: list[dict] = ARMS) -> dict:
    return {
        "version": 1,
        "name": "sharding test",
        "population": {"n": 300, "seed": 5, "min_age": 70, "max_age": 90, "start_date": "2020-04-01"},
        "eligibility": {"sbp_mmhg": [140, None]},
        "allocation": allocation,
        "arms": arms,
        "reference_arm": "usual",
        "follow_up_years": 1.0,
        "outcomes": {"death": ["death"], "cv_events": ["mi", "stroke", "heart_failure", "cvd_death"]},
    }


def _output_bytes(result: object, out: Path) -> dict[str, bytes]:
    write_trial_outputs(result, out, plots=False)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _output_bytes(run_trial(_protocol()), tmp_path_factory.mktemp("one"))


def test_a_shard_of_the_population_is_the_same_rows_of_the_whole() -> None:
    """The foundation: patient i is a pure function of (seed, i), whatever block it is sampled in."""
    state, dx = sample_population(300, 5, min_age=70, max_age=90)
    index = np.array([120, 121, 150, 299])
    part, part_dx = sample_patients(index, 5, min_age_years=70, max_age_years=90)
    whole = state.take(index)
    for name, column in whole.columns.items():
        assert np.array_equal(column, part.columns[name], equal_nan=column.dtype.kind == "f"), name
    for name, diagnosed in dx.diagnosed.items():
        assert np.array_equal(np.asarray(diagnosed)[index], part_dx.diagnosed[name]), name


def test_three_local_shards_write_the_same_bytes(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    result = run_trial(_protocol(), sharding=Sharding(shards=3))
    assert _output_bytes(result, tmp_path) == unsharded


def test_as_many_shards_as_eligible_patients_is_still_the_same_trial(tmp_path: Path) -> None:
    """One patient a shard (randomised arms then have empty shards) on a smaller trial."""
    protocol = _protocol(arms=ARMS[:2])
    protocol["population"]["n"] = 30
    one = run_trial(protocol)
    eligible = one.flow["eligible"]
    many = run_trial(protocol, sharding=Sharding(shards=eligible))
    assert _output_bytes(many, tmp_path / "many") == _output_bytes(one, tmp_path / "one")
    with pytest.raises(ValueError, match=rf"^shards must be an integer in \[1, {eligible}\]"):
        run_trial(protocol, sharding=Sharding(shards=eligible + 1))


@pytest.mark.slow
def test_two_worker_processes_write_the_same_bytes(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    result = run_trial(_protocol(), sharding=Sharding(shards=2, processes=2))
    assert _output_bytes(result, tmp_path) == unsharded


def test_a_batch_dependent_policy_arm_is_refused_when_sharded() -> None:
    arms = [ARMS[0], {"name": "coin", "strategy": {"kind": "policy", "policy": "random"}}]
    with pytest.raises(ValueError, match=r"^arms\[1\]\.strategy\.policy: 'random' draws one random stream"):
        run_trial(_protocol(arms=arms), sharding=Sharding(shards=2))


def test_shard_bounds_are_contiguous_and_balanced() -> None:
    assert shard_bounds(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert shard_bounds(2, 2) == [(0, 1), (1, 2)]
    for bad in (0, 11, 2.5, True):
        with pytest.raises(ValueError, match=r"^shards must be an integer in \[1, 10\]"):
            shard_bounds(10, bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shards": 0}, r"^shards must be an integer in \[1, 100,000\], got 0$"),
        ({"processes": 0}, r"^processes must be an integer"),
        ({"backend": "dask"}, r"^backend 'dask'; allowed: local, ray$"),
        ({"backend": "ray", "processes": 2}, r"^processes 2 is for the local backend"),
        ({"address": "auto"}, r"^address 'auto' is for the ray backend"),
    ],
)
def test_a_bad_sharding_is_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Sharding(**kwargs)


def _cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a refused command prints (argparse's errors exit, the commands' return 2)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("twin-env trial: error: ") and err.count("\n") == 1, err
    return err


def test_the_trial_command_writes_the_same_files_with_two_shards(tmp_path: Path) -> None:
    protocol = _protocol(arms=ARMS[:2])
    path = tmp_path / "protocol.json"
    path.write_text(json.dumps(protocol), encoding="utf-8")
    files = {}
    for shards in ("1", "2"):
        out = tmp_path / f"out{shards}"
        assert main(["trial", str(path), "--out", str(out), "--no-plots", "--shards", shards]) == 0
        files[shards] = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != ".twin-env-output"}
    assert files["1"] == files["2"] and "result.json" in files["1"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--shards", "0"], "argument --shards: must be an integer in [1, 100,000], got 0"),
        (["--shards", "two"], "argument --shards: must be an integer in [1, 100,000], got 'two'"),
        (["--backend", "dask"], "argument --backend: invalid choice: 'dask'"),
        (["--backend", "ray", "--processes", "2"], "--processes is for --backend local"),
        (["--address", "auto"], "--address is for --backend ray"),
        (["--shards", "100000"], "shards must be an integer in [1, "),
    ],
)
def test_bad_sharding_options_are_one_line(
    options: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "protocol.json"
    path.write_text(json.dumps(_protocol(arms=ARMS[:2])), encoding="utf-8")
    out = tmp_path / "out"
    assert message in _cli_error(["trial", str(path), "--out", str(out), *options], capsys)
    assert not out.exists()


def test_the_ray_backend_without_ray_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    err = _cli_error(["trial", "sprint", "--out", str(tmp_path / "out"), "--backend", "ray"], capsys)
    assert "--backend ray needs Ray (pip install 'twin-env[ray]')" in err


def test_the_command_options_name_the_backends_the_runner_has() -> None:
    from twin_env.commands import sharding as options  # noqa: PLC0415
    from twin_env.trials import shard_backend  # noqa: PLC0415

    assert options.BACKENDS == shard_backend.BACKENDS and options.MAX_SHARDS == shard_backend.MAX_SHARDS
