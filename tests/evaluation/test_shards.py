"""Sharded evaluations: the same results, byte for byte, for any split of the cohort and any backend."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from tests.trials.test_shards import ARMS
from tests.trials.test_shards import _protocol as trial_protocol
from twin_env.cli import main
from twin_env.evaluation.evaluate import evaluate, write_outputs
from twin_env.evaluation.reason_tally import ReasonTally, merge_tallies
from twin_env.trials import run_trial
from twin_env.trials.report import json_bytes
from twin_env.trials.shard_backend import Sharding

POLICIES = ["do_nothing", "random", "nice_guideline", "qrisk3_threshold"]
CONFIG = {"horizon_years": 1.0}
EPISODES, SEED = 8, 4


def _bytes(results: dict, out: Path) -> dict[str, bytes]:
    write_outputs(results, out, plots=False)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def unsharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    results = evaluate(POLICIES, EPISODES, SEED, CONFIG, shielded=True)
    return _bytes(results, tmp_path_factory.mktemp("one"))


def test_three_local_shards_write_the_same_bytes(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    results = evaluate(POLICIES, EPISODES, SEED, CONFIG, shielded=True, sharding=Sharding(shards=3))
    assert _bytes(results, tmp_path) == unsharded


def test_one_patient_a_shard_is_the_same_evaluation(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    """The example timeline then comes from a later shard (row 0 is rarely coded hypertensive)."""
    results = evaluate(POLICIES, EPISODES, SEED, CONFIG, shielded=True, sharding=Sharding(shards=EPISODES))
    assert _bytes(results, tmp_path) == unsharded
    with pytest.raises(ValueError, match=rf"^shards must be an integer in \[1, {EPISODES}\]"):
        evaluate(["do_nothing"], EPISODES, SEED, CONFIG, sharding=Sharding(shards=EPISODES + 1))


def test_merged_tallies_keep_counts_and_the_order_of_first_sight() -> None:
    whole, left, right = ReasonTally(), ReasonTally(), ReasonTally()
    reasons = [["a", "b", "c", "d"], ["e", "d", "b", "a"]]  # two steps, four rows
    for step, why in enumerate(reasons):
        whole.add(step, why, [True, True, True, False])
        left.add(step, why[:2], [True, True])
        right.add(step, why[2:], [True, False])
    merged = merge_tallies([(0, left), (2, right)])
    assert list(merged.items()) == list(whole.items()) == [("a", 1), ("b", 2), ("c", 1), ("e", 1), ("d", 1)]
    assert merged.first_seen == whole.first_seen
    again = pickle.loads(pickle.dumps(merged))
    assert list(again.items()) == list(merged.items()) and again.first_seen == merged.first_seen


def test_the_evaluate_command_writes_the_same_files_with_two_shards(tmp_path: Path) -> None:
    argv = ["evaluate", "--policy", "do_nothing", "nice_guideline", "--episodes", "4", "--no-plots", "--no-progress"]
    argv += ["--env-config", json.dumps({"horizon_years": 0.5})]
    files = {}
    for shards in ("1", "2"):
        out = tmp_path / shards
        assert main([*argv, "--out", str(out), "--shards", shards]) == 0
        files[shards] = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != ".twin-env-output"}
    assert files["1"] == files["2"] and "results.json" in files["1"]


def test_more_shards_than_patients_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["evaluate", "--episodes", "3", "--shards", "4", "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == "twin-env evaluate: error: shards must be an integer in [1, 3] (at least one patient each), got 4\n"
    assert not out.exists()


@pytest.mark.slow
def test_two_worker_processes_write_the_same_bytes(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    results = evaluate(POLICIES, EPISODES, SEED, CONFIG, shielded=True, sharding=Sharding(shards=2, processes=2))
    assert _bytes(results, tmp_path) == unsharded


@pytest.mark.slow
def test_ray_with_one_worker_gives_the_same_trial_and_evaluation(unsharded: dict[str, bytes], tmp_path: Path) -> None:
    """Ray tasks (a local Ray of one CPU; the job ships this checkout's twin_env) give the same bytes."""
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from twin_env.trials.shard_backend import ray_runtime_env  # noqa: PLC0415

    protocol = trial_protocol(arms=ARMS[:2])
    trial_one = json_bytes(run_trial(protocol).to_json())
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, runtime_env=ray_runtime_env())
    try:
        on_ray = Sharding(shards=2, backend="ray")
        results = evaluate(POLICIES, EPISODES, SEED, CONFIG, shielded=True, sharding=on_ray)
        trial_ray = run_trial(protocol, sharding=on_ray)
    finally:
        ray.shutdown()
    assert _bytes(results, tmp_path) == unsharded
    assert json_bytes(trial_ray.to_json()) == trial_one
