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


def achieved_levels(state: PatientState) -> dict[str, np.ndarray]:
    """Per patient now, (N,) each: ``alive``, SBP (mmHg), LDL (mmol/L), HbA1c (mmol/mol), antihypertensive classes.

    What :func:`achieved_means` averages; kept per patient so that shards of a cohort merge exactly.
    """
    classes = sum((state.columns[f"dose_{name}"] > 0).astype(np.int64) for name in BP_DRUG_CLASSES)
    return {
        "alive": state.alive.copy(),
        "sbp_mmhg": state.sbp_mmhg.copy(),
        "ldl_mmol_l": state.ldl_mmol_l.copy(),
        "hba1c_mmol_mol": state.hba1c_mmol_mol.copy(),
        "drug_classes": np.asarray(classes, dtype=np.int64),
    }


def achieved_means(levels: dict[str, np.ndarray]) -> dict[str, float]:
    """Means over living patients of :func:`achieved_levels`: ``sbp_mmhg``, ``ldl_mmol_l``, ``hba1c_mmol_mol``,
    ``drug_classes``."""
    alive = levels["alive"]
    return {
        "sbp_mmhg": _mean(levels["sbp_mmhg"][alive]),
        "ldl_mmol_l": _mean(levels["ldl_mmol_l"][alive]),
        "hba1c_mmol_mol": _mean(levels["hba1c_mmol_mol"][alive]),
        "drug_classes": _mean(levels["drug_classes"][alive].astype(np.float64)),
    }


def achieved_now(state: PatientState) -> dict[str, float]:
    """Means over living patients now: current SBP (mmHg), LDL (mmol/L), HbA1c (mmol/mol), antihypertensive classes."""
    return achieved_means(achieved_levels(state))


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")
