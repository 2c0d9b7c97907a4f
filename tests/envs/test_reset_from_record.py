"""``reset(options={"record": bundle})``: the episode starts from one posterior sample of the shipped example record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import twin_env  # noqa: F401 (registers the envs)
from twin_env.patient_twin.reading import read_record
from twin_env.vocab.concepts import Concept

EXAMPLE = Path(__file__).parents[2] / "examples" / "patient_record.json"


@pytest.fixture(scope="module")
def bundle() -> dict:
    return json.loads(EXAMPLE.read_text())


def _env() -> gym.Env:
    return gym.make("twin_env/PrimaryCare-v1")


def test_the_episode_starts_on_the_record_date_showing_what_the_record_shows(bundle: dict) -> None:
    record = read_record(bundle)
    env = _env()
    obs, info = env.reset(seed=4, options={"record": bundle})
    assert info["patient_index"] == -1 and info["date"] == record.as_of.isoformat()
    table = env.unwrapped.batch.table
    clinic_sbp = [m for m in record.measurements if m.variable == "sbp_mmhg" and m.setting == "clinic"]
    assert table.latest(Concept.SBP)[0] == max(clinic_sbp, key=lambda m: m.date).value
    assert table.latest(Concept.HBA1C)[0] == record.values("hba1c_mmol_mol")[-1][1]
    state = env.unwrapped.batch.sim.state
    assert state.statin_ldl_reduction[0] > 0 and abs(state.age_years[0] - record.age_years) < 1 / 365
    assert obs["measurement_missing"].sum() < len(obs["measurement_missing"])
    _, reward, terminated, _, info = env.step(0)
    assert np.isfinite(reward) and dt.date.fromisoformat(info["date"]) > record.as_of


def test_same_seed_same_sample_and_a_later_episode_another(bundle: dict) -> None:
    a, b = _env(), _env()
    obs_a, _ = a.reset(seed=4, options={"record": bundle})
    obs_b, _ = b.reset(seed=4, options={"record": bundle})
    assert all(np.array_equal(obs_a[k], obs_b[k]) for k in obs_a)
    latent = lambda env: env.unwrapped.batch.sim.state.sbp_mmhg[0]  # noqa: E731
    first = latent(a)
    a.reset(options={"record": str(EXAMPLE)})
    assert latent(a) != first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"record": 3}, "record must be a FHIR R4 Bundle"),
        ({"record": {"resourceType": "Patient"}}, "Bundle"),
        ({"record": {}, "patient_index": 1}, "not both"),
        ({"record": {}, "colour": 1}, "unknown reset option"),
    ],
)
def test_invalid_record_options_are_one_line_errors(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        _env().reset(seed=0, options=options)
    assert "\n" not in str(info.value)
