"""``twin-env dataset``: a Minari dataset that minari reads back and whose env it rebuilds (needs the minari extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

minari = pytest.importorskip("minari", reason="the minari extra is not installed")
pytest.importorskip("jax", reason="minari[create] (jax) is needed to write datasets")

from twin_env.cli import main  # noqa: E402
from twin_env.envs.info import INFO_KEYS  # noqa: E402

DATASET_ID = "twin_env/primary-care-nice-guideline-shielded-v0"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("minari") / "ds"
    args = ["dataset", "--policy", "nice_guideline", "--episodes", "2", "--out", str(out), "--shielded"]
    assert main([*args, "--env-config", '{"horizon_years": 1}']) == 0
    return out


def test_the_dataset_round_trips_with_masks_rewards_and_costs(
    dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(dataset_dir))
    dataset = minari.load_dataset(DATASET_ID)
    assert dataset.total_episodes == 2 and dataset.total_steps == 24  # 12 monthly steps each
    episode = next(dataset.iterate_episodes())
    assert episode.actions.shape == (12,) and episode.rewards.shape == (12,)
    assert episode.observations["demographics"].shape == (13, 12)  # reset + 12 steps
    infos = episode.infos
    assert infos["action_mask"].shape == (13, 20) and infos["action_mask"].dtype == bool
    assert set(INFO_KEYS) - {"model_outputs"} <= set(infos) and "model_outputs_json" in infos
    assert infos["cost"].shape == (13,) and infos["episode_cost"][-1] == pytest.approx(infos["cost"].sum())
    assert np.all(infos["action_mask"][:, 0])  # do nothing is always allowed
    env = dataset.recover_environment()
    _, info = env.reset(seed=0)
    assert "cost" in info and info["action_mask"].shape == (20,)


def test_a_bad_policy_is_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ds"
    assert main(["dataset", "--policy", "nope", "--episodes", "1", "--out", str(out)]) == 2
    assert "unknown policy 'nope'" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("bad", ["bad id", "x", "a/b"])
def test_a_malformed_dataset_id_is_one_line_and_writes_nothing(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ds"
    assert main(["dataset", "--policy", "random", "--episodes", "1", "--out", str(out), "--dataset-id", bad]) == 2
    assert f"dataset id {bad!r}; allowed: [namespace/]name-vN" in capsys.readouterr().err
    assert not out.exists()
