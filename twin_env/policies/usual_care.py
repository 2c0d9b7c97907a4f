"""Usual care: the NICE pathways followed with realistic imperfection (missed reviews, inertia).

Each step the NICE guideline policy proposes a decision; usual care carries it out with a
per-month probability that depends on the kind of decision (safety, monitoring, BP or glycaemic
intensification, statin start, CKD), else does nothing that step ("deferred"). A deferred
decision is proposed again next step, so the probabilities are the hazards of acting and
``1 / p`` months the mean delay. Figures and sources: ``twin_env/data/usual_care_parameters.csv``;
override any of them with ``UsualCarePolicy(overrides={...})``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from twin_env.envs.actions import ACTION_INDEX, ACTIONS, STOPPED_DRUGS, TITRATED_DRUGS
from twin_env.policies.base import Policy, PolicyInput
from twin_env.policies.nice_guideline import NiceGuidelinePolicy
from twin_env.policies.parameters import policy_parameters

#: Decision kind of each action (the parameter ``act_on_<kind>_per_month`` applies).
_KIND = {
    "stop_metformin": "safety",
    "refer_renal": "renal",
    "start_or_intensify_statin": "statin_start",
    "step_up_antihypertensive": "bp_intensification",
    "start_or_titrate_metformin": "glycaemic_intensification",
    "add_sglt2": "glycaemic_intensification",
    "start_or_titrate_gliclazide": "glycaemic_intensification",
    **{f"titrate_{d}": "bp_intensification" for d in TITRATED_DRUGS},
    **{f"stop_{d}": "safety" for d in STOPPED_DRUGS},
    **{a: "monitoring" for a in ("book_review", "bp_check", "order_hba1c", "order_lipids", "order_renal", "order_acr")},
}


class UsualCarePolicy(Policy):
    """NICE decisions carried out with per-month probabilities of acting (seeded by :meth:`reset`)."""

    name = "usual_care"
    batch_dependent = True

    def __init__(self, seed: int = 0, overrides: Mapping[str, float] | None = None) -> None:
        self.params = dict(policy_parameters("usual_care"))
        unknown = sorted(set(overrides or {}) - set(self.params))
        if unknown:
            raise ValueError(f"unknown usual-care parameter(s) {unknown}; allowed: {sorted(self.params)}")
        self.params.update(overrides or {})
        for k, v in self.params.items():
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{k} must be a probability in [0, 1], got {v}")
        self.guideline = NiceGuidelinePolicy()
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        self.guideline.reset(seed)
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        proposed, why = self.guideline.decide(inputs)
        months = inputs.dt_years * 12.0
        p_month = np.array([self._p(ACTIONS[a].name) for a in range(inputs.mask.shape[1])])  # the env's catalogue
        p_step = 1.0 - (1.0 - p_month[proposed]) ** months
        act = (proposed == 0) | (self.rng.random(inputs.n) < p_step)
        actions = np.where(act, proposed, ACTION_INDEX["do_nothing"])
        self.guideline.remember(inputs, actions)
        reasons = [w if a else f"usual care deferred: {w}" for a, w in zip(act.tolist(), why)]
        return actions, reasons

    def _p(self, action: str) -> float:
        kind = _KIND.get(action)
        return 1.0 if kind is None else self.params[f"act_on_{kind}_per_month"]
