"""Per-arm summaries: baseline characteristics (from the screening visit) and achieved levels (latent, now)."""

from __future__ import annotations

import numpy as np

from twin_env.twin.baseline_conditions import RECORDED_CONDITIONS
from twin_env.twin.state import BP_DRUG_CLASSES, PatientState

#: Baseline means: output key -> screening key.
_MEANS = {
    "age_years_mean": "age",
    "sbp_mmhg_mean": "sbp_mmhg",
    "dbp_mmhg_mean": "dbp_mmhg",
    "ldl_mmol_l_mean": "ldl_mmol_l",
    "hba1c_mmol_mol_mean": "hba1c_mmol_mol",
    "egfr_mean": "egfr",
    "bmi_mean": "bmi",
}
_PERCENTS = ("female", *RECORDED_CONDITIONS, "on_antihypertensive", "on_statin", "on_metformin")


def baseline_table(screening: dict[str, np.ndarray]) -> dict[str, float]:
    """``{"n", "<measure>_mean", "<flag>_percent"}`` of one arm's screening values (NaN for an empty arm)."""
    n = len(screening["age"])
    table: dict[str, float] = {"n": float(n)}
    for key, source in _MEANS.items():
        table[key] = _mean(screening[source])
    for flag in _PERCENTS:
        table[f"{flag}_percent"] = 100.0 * _mean(np.asarray(screening[flag], dtype=np.float64))
    return table


def achieved_now(state: PatientState) -> dict[str, float]:
    """Means over living patients now: current SBP (mmHg), LDL (mmol/L), HbA1c (mmol/mol), antihypertensive classes."""
    alive = state.alive
    classes = sum((state.columns[f"dose_{name}"] > 0).astype(np.int64) for name in BP_DRUG_CLASSES)
    return {
        "sbp_mmhg": _mean(state.sbp_mmhg[alive]),
        "ldl_mmol_l": _mean(state.ldl_mmol_l[alive]),
        "hba1c_mmol_mol": _mean(state.hba1c_mmol_mol[alive]),
        "drug_classes": _mean(classes[alive].astype(np.float64)),
    }


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")
