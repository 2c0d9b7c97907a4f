"""The result of running a trial protocol: flow, baseline, achieved measures, outcomes, survival, per-patient data."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from twin_env.trials.schema import Protocol
from twin_env.trials.statistics import ArmResult, KaplanMeierCurve, outcome_json


@dataclasses.dataclass(frozen=True)
class TrialResult:
    """What ``run_trial`` returns.

    - ``flow``: CONSORT counts ``{"sampled": int, "eligible": int, "allocated": {arm: n}, "died": {arm: n},
      "completed": {arm: n}}``.
    - ``baseline``: ``{arm: {"n", "age_years_mean", "female_percent", "sbp_mmhg_mean", ..., "<condition>_percent",
      "on_antihypertensive_percent", "on_statin_percent", "on_metformin_percent"}}`` from the screening visit.
    - ``achieved``: ``{arm: {"sbp_mmhg", "ldl_mmol_l", "hba1c_mmol_mol", "drug_classes": [value at year 0, end of
      year 1, ...]}}``: means over living patients (latent levels; drug classes = antihypertensive classes taken).
    - ``outcomes``: ``{outcome: {arm: ArmResult}}`` against the reference arm.
    - ``survival``: ``{outcome: {arm: KaplanMeierCurve}}`` (event-free Kaplan-Meier curves for the plots).
    - ``per_patient``: one row per allocated patient and arm: ``arm``, ``patient_index`` (index in the sampled
      population), and per outcome ``<name>_time_years`` and ``<name>_event``.
    """

    protocol: Protocol
    flow: dict[str, Any]
    baseline: dict[str, dict[str, float]]
    achieved: dict[str, dict[str, list[float]]]
    outcomes: dict[str, dict[str, ArmResult]]
    survival: dict[str, dict[str, KaplanMeierCurve]]
    per_patient: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` content: exactly ``flow``, ``baseline``, ``achieved``, ``outcomes``."""
        return {
            "flow": self.flow,
            "baseline": self.baseline,
            "achieved": self.achieved,
            "outcomes": {name: outcome_json(results) for name, results in self.outcomes.items()},
        }
