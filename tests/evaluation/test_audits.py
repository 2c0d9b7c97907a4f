"""Behaviour audits: an over-treating policy shows in them; totals add up by kind and by issuer; age bands."""

from __future__ import annotations

import numpy as np

from twin_env.envs.actions import ACTION_INDEX
from twin_env.evaluation.audits import HARM_KEYS, RECORD_KEYS, age_bands
from twin_env.evaluation.evaluate import evaluate
from twin_env.policies.callable_policy import CallablePolicy

STEP_UP = ACTION_INDEX["step_up_antihypertensive"]


def step_up_everyone(observation: dict, mask: np.ndarray) -> np.ndarray:
    """Adds an antihypertensive at every decision it is allowed, hypertension or not."""
    return np.where(mask[:, STEP_UP], STEP_UP, 0)


def test_over_treatment_shows_in_the_audits() -> None:
    policy = CallablePolicy(step_up_everyone, "step_up_everyone")
    r = evaluate(["do_nothing", policy], 40, 0, {"horizon_years": 1, "decision_interval_months": 3})
    over, none = (r["policies"][p]["metrics"] for p in ("step_up_everyone", "do_nothing"))
    assert over["antihypertensive_without_hypertension_share"]["mean"] > 0.2
    assert none["antihypertensive_without_hypertension_share"]["mean"] < 0.05
    assert over["mean_drug_classes"]["mean"] > none["mean_drug_classes"]["mean"] + 1
    assert over["true_sbp_below_100_share"]["mean"] >= none["true_sbp_below_100_share"]["mean"]
    diff = r["policies"]["step_up_everyone"]["paired_differences"]["do_nothing"]
    assert diff["antihypertensive_without_hypertension_share"]["ci_low"] > 0
    for name, per in r["per_patient"].items():
        harms = sum(np.array(per[k]) for k in HARM_KEYS.values())
        assert np.array_equal(harms, per["harm_events_per_patient"]), name
        record = sum(np.array(per[k]) for k in RECORD_KEYS.values())
        assert np.array_equal(record, per["record_hard_violations_per_patient"]), name


def test_age_bands_by_start_age() -> None:
    bands = age_bands(np.array([39.9, 40.0, 49.99, 50.0, 59.5, 60.0, 69.99, 70.0, 90.0]))
    assert bands.tolist() == ["under 40", "40-49", "40-49", "50-59", "50-59", "60-69", "60-69", "70+", "70+"]
