"""Observation encoders: the GP record as of the decision date, the latent truth, or both.

:func:`encode_record` reads the GP record's per-row reader
(:class:`~twin_env.record.gp.table.GpRecordTable`, O(N) per step), never the twin state
(demographics come from registration: age, sex, ethnicity, IMD quintile).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from twin_env.record.gp.coding import MEDICATIONS as RECORD_MEDICATIONS
from twin_env.record.gp.coding import PROBLEMS, SERVICES
from twin_env.record.gp.table import GpRecordTable
from twin_env.twin.state import CONDITIONS, TREATMENT_FIELDS, PatientState
from twin_env.vocab.concepts import OBSERVATION_COLUMN, Concept
from twin_env.vocab.dates import DAYS_PER_YEAR, NO_DAY
from twin_env.vocab.drugs import DRUGS

__all__ = [
    "MAX_DOSE", "MEASUREMENTS", "MEDICATIONS", "OBSERVED_MEDICATIONS", "PROBLEMS", "RECORD_MEDICATIONS", "SERVICES",
    "TRUTH_FIELDS", "encode_record", "encode_truth", "observation_space", "record_space", "truth_space",
]  # fmt: skip

#: Recorded measurements (GP observations) and the divisor that scales each to about [0, 1].
MEASUREMENTS: tuple[tuple[Concept, str, float], ...] = (
    (Concept.SBP, "sbp_mmhg", 200.0),
    (Concept.DBP, "dbp_mmhg", 120.0),
    (Concept.HBA1C, "hba1c_mmol_mol", 100.0),
    (Concept.TOTAL_CHOLESTEROL, "total_chol_mmol_l", 10.0),
    (Concept.HDL_CHOLESTEROL, "hdl_mmol_l", 3.0),
    (Concept.LDL_CHOLESTEROL, "ldl_mmol_l", 8.0),
    (Concept.EGFR, "egfr_ml_min_1_73m2", 120.0),
    (Concept.POTASSIUM, "potassium_mmol_l", 6.0),
    (Concept.URINE_ACR, "acr_mg_mmol", 30.0),
    (Concept.BMI, "bmi_kg_m2", 60.0),
)
#: Catalogue drugs no v0 action prescribes, left out of the v0 observation so that the shipped
#: agents' observation space stays as trained (v1, which prescribes gliclazide, observes it).
UNOBSERVED_MEDICATIONS: tuple[str, ...] = ("gliclazide",)
#: Recorded medications the v0 agent observes: the record's first columns (unobserved drugs come last).
MEDICATIONS: tuple[str, ...] = tuple(m for m in RECORD_MEDICATIONS if m not in UNOBSERVED_MEDICATIONS)
if RECORD_MEDICATIONS[: len(MEDICATIONS)] != MEDICATIONS:
    raise RuntimeError(f"unobserved medications {UNOBSERVED_MEDICATIONS} must be the last of {RECORD_MEDICATIONS}")
#: Action catalogue (``EnvConfig.action_set``) -> the medications its observation shows (a prefix of the record's).
OBSERVED_MEDICATIONS: dict[str, tuple[str, ...]] = {"v0": MEDICATIONS, "v1": RECORD_MEDICATIONS}
#: Maximum dose of each recorded drug (the medication feature is dose / maximum).
MAX_DOSE = np.array([max(DRUGS[d].products) for d in RECORD_MEDICATIONS])
_MEAS_COL = np.array([int(OBSERVATION_COLUMN[c]) for c, _, _ in MEASUREMENTS])
_MEAS_SCALE = np.array([s for _, _, s in MEASUREMENTS])
#: Row ``code - 1`` is the one-hot of QRISK3 ethnicity code ``code`` (1..9).
_ETHNICITY_ONE_HOT = np.eye(9, dtype=np.float32)


def _column(day: int | np.ndarray) -> np.ndarray:
    """``day`` (scalar or (N,)) shaped to broadcast against (N, k) arrays."""
    return np.reshape(day, (-1, 1))


def _years(day: int | np.ndarray, then: np.ndarray, cap: float) -> np.ndarray:
    """Years from ``then`` to ``day``, capped at ``cap`` and scaled to [0, 1] (1 if never)."""
    years = np.where(then == NO_DAY, cap, (day - then) / DAYS_PER_YEAR)
    return np.clip(years, 0.0, cap) / cap


def record_space(action_set: str = "v0") -> dict[str, spaces.Space]:
    """The record features; ``medications`` has one entry per drug of ``OBSERVED_MEDICATIONS[action_set]``."""
    b = lambda n: spaces.Box(0.0, 1.0, shape=(n,), dtype=np.float32)  # noqa: E731
    return {
        "demographics": b(12),
        "measurement_value": b(len(MEASUREMENTS)),
        "measurement_age": b(len(MEASUREMENTS)),
        "measurement_missing": spaces.MultiBinary(len(MEASUREMENTS)),
        "problems": spaces.MultiBinary(len(PROBLEMS)),
        "medications": b(len(OBSERVED_MEDICATIONS[action_set])),
        "referred_recently": spaces.MultiBinary(len(SERVICES)),
        "letters_since_review": b(1),
        "admissions_known": b(2),
        "smoking": b(2),
        "qrisk3": b(2),
        "time_since_review": b(1),
        "episode_progress": b(1),
    }


TRUTH_FIELDS: tuple[tuple[str, float], ...] = (
    ("age_years", 100.0), ("sbp_mmhg", 200.0), ("dbp_mmhg", 120.0), ("hba1c_mmol_mol", 100.0),
    ("total_chol_mmol_l", 10.0), ("hdl_mmol_l", 3.0), ("ldl_mmol_l", 8.0), ("egfr_ml_min_1_73m2", 120.0),
    ("potassium_mmol_l", 6.0), ("acr_mg_mmol", 30.0), ("bmi_kg_m2", 60.0), ("smoking", 4.0), ("adherence", 1.0),
)  # fmt: skip


def truth_space() -> dict[str, spaces.Space]:
    return {
        "truth_values": spaces.Box(0.0, 1.0, shape=(len(TRUTH_FIELDS),), dtype=np.float32),
        "truth_conditions": spaces.MultiBinary(len(CONDITIONS)),
        "truth_treatments": spaces.Box(0.0, 1.0, shape=(len(TREATMENT_FIELDS),), dtype=np.float32),
    }


def observation_space(mode: str, action_set: str = "v0") -> spaces.Dict:
    parts: dict[str, spaces.Space] = {}
    if "record" in mode:
        parts.update(record_space(action_set))
    if "truth" in mode:
        parts.update(truth_space())
    return spaces.Dict(parts)


def encode_record(
    table: GpRecordTable,
    demo: dict[str, np.ndarray],
    day: int | np.ndarray,
    progress: np.ndarray,
    window_days: float,
    action_set: str = "v0",
    dose: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Batched record features, each (N, k) float32/int8 (see ``docs/env.md`` for the list).

    ``medications`` shows the drugs of ``OBSERVED_MEDICATIONS[action_set]``; ``dose``: the table's
    ``current_dose(day, window_days)`` (N, len(RECORD_MEDICATIONS)) where the caller has it already.
    """
    f32 = np.float32
    eth = _ETHNICITY_ONE_HOT[demo["ethnicity"].astype(np.intp) - 1]
    demographics = np.column_stack([demo["age_years"] / 100.0, demo["female"], (demo["imd_quintile"] - 1) / 4.0, eth])
    value = table.value[:, _MEAS_COL]
    missing = np.isnan(value)
    letters = table.letters_since_review().astype(f32)
    admissions = table.discharges_within(day, 365)
    q, smoking = table.qrisk3, table.smoking
    k = len(OBSERVED_MEDICATIONS[action_set])
    observed_dose = (table.current_dose(day, window_days) if dose is None else dose)[:, :k]
    return {
        "demographics": np.clip(demographics, 0, 1).astype(f32),
        "measurement_value": np.clip(np.where(missing, 0.0, value / _MEAS_SCALE), 0, 1).astype(f32),
        "measurement_age": _years(_column(day), table.value_day[:, _MEAS_COL], 10.0).astype(f32),
        "measurement_missing": missing.astype(np.int8),
        "problems": table.problem.astype(np.int8),
        "medications": np.clip(observed_dose / MAX_DOSE[:k], 0, 1).astype(f32),
        "referred_recently": table.referred_within(day, 90).astype(np.int8),
        "letters_since_review": np.minimum(letters / 5.0, 1.0)[:, None].astype(f32),
        "admissions_known": np.column_stack(
            [np.minimum(admissions / 3.0, 1.0), _years(day, table.last_discharge_day, 10.0)]
        ).astype(f32),
        "smoking": np.column_stack([np.where(np.isnan(smoking), 0.0, smoking / 4.0), np.isnan(smoking)]).astype(f32),
        "qrisk3": np.column_stack([np.where(np.isnan(q), 0.0, np.clip(q / 100.0, 0, 1)), np.isnan(q)]).astype(f32),
        "time_since_review": _years(day, table.review_day, 5.0)[:, None].astype(f32),
        "episode_progress": np.clip(progress, 0, 1)[:, None].astype(f32),
    }


def encode_truth(state: PatientState) -> dict[str, np.ndarray]:
    """Batched latent-state features (research modes only)."""
    values = np.column_stack([state.columns[f] / s for f, s in TRUTH_FIELDS])
    scale = np.array([2.0] * 7 + [1.0, 2000.0, 1.0, 320.0])  # order of TREATMENT_FIELDS
    treatments = np.column_stack([state.columns[f] for f in TREATMENT_FIELDS]) / scale
    return {
        "truth_values": np.clip(np.nan_to_num(values), 0, 1).astype(np.float32),
        "truth_conditions": np.column_stack([state.columns[c] for c in CONDITIONS]).astype(np.int8),
        "truth_treatments": np.clip(treatments, 0, 1).astype(np.float32),
    }
