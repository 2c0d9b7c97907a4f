"""Observation encoders: the GP record as of the decision date, the latent truth, or both.

:class:`GpRecordTable` folds the GP store's items into per-patient arrays as they become visible
(items arriving later wait in a queue), so encoding is O(N) per step. It reads only the GP
system's store, never the twin state (demographics come from registration: age, sex,
ethnicity, IMD quintile).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from twin_env.care.drugs import DRUGS
from twin_env.record.concepts import OBSERVATION_COLUMN, OBSERVATIONS, SMOKING_CATEGORY, Concept
from twin_env.record.store import ItemType, SystemStore
from twin_env.twin.state import CONDITIONS, PatientState, TREATMENT_FIELDS

DAYS_PER_YEAR = 365.25
NO_DAY = -(10**9)
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
#: Recorded problems (MultiBinary order) and the GP concepts that count as each.
PROBLEMS: dict[str, tuple[Concept, ...]] = {
    "hypertension": (Concept.ESSENTIAL_HYPERTENSION, Concept.HYPERTENSIVE_DISORDER),
    "type2_diabetes": (Concept.TYPE2_DIABETES,),
    "ckd_3_5": (Concept.CKD_STAGE_3,),
    "myocardial_infarction": (Concept.ACUTE_MI, Concept.MYOCARDIAL_INFARCTION),
    "angina": (Concept.ANGINA,),
    "stroke": (Concept.STROKE,),
    "tia": (Concept.TIA,),
    "heart_failure": (Concept.HEART_FAILURE,),
    "atrial_fibrillation": (Concept.ATRIAL_FIBRILLATION,),
}
MEDICATIONS: tuple[str, ...] = tuple(DRUGS)
#: Maximum dose of each drug (the medication feature is dose / maximum).
MAX_DOSE = np.array([max(DRUGS[d].products) for d in MEDICATIONS])
SERVICES: tuple[str, ...] = ("cardiology", "nephrology", "diabetology", "hypertension_clinic", "smoking_cessation", "weight_management")
_REVIEWS = (Concept.HYPERTENSION_REVIEW, Concept.DIABETES_REVIEW, Concept.MEDICATION_REVIEW)
_SIZE = int(max(Concept)) + 1


def _lookup(pairs: dict[int, int]) -> np.ndarray:
    table = np.full(_SIZE, -1, dtype=np.int16)
    for concept, index in pairs.items():
        table[int(concept)] = index
    return table


_PROBLEM_OF = _lookup({c: i for i, cs in enumerate(PROBLEMS.values()) for c in cs})
_DRUG_OF = _lookup({c: i for i, d in enumerate(MEDICATIONS) for c in DRUGS[d].products.values()})
_SERVICE_OF = _lookup({c: i for i, c in enumerate((Concept.REFERRAL_CARDIOLOGY, Concept.REFERRAL_NEPHROLOGY, Concept.REFERRAL_DIABETOLOGY,
                                                      Concept.REFERRAL_HYPERTENSION_CLINIC, Concept.REFERRAL_SMOKING_CESSATION, Concept.REFERRAL_WEIGHT_MANAGEMENT))})
_MEAS_COL = np.array([int(OBSERVATION_COLUMN[c]) for c, _, _ in MEASUREMENTS])


class GpRecordTable:
    """Per-patient arrays of what the GP system shows, updated incrementally from its store.

    Rows are batch rows of a ``CareSimulation`` (patient id = ``first_id + row``). Items from a
    ledger event with ``seq < episode_seq[row]`` belong to an earlier patient of the row (vector
    env auto-reset) and are ignored.
    """

    def __init__(self, n: int, first_id: int) -> None:
        self.first_id = first_id
        self.episode_seq = np.zeros(n, dtype=np.int64)
        self._cursor = 0
        self._pending: list[dict[str, np.ndarray]] = []
        self.clear(np.arange(n))

    def clear(self, rows: np.ndarray, episode_seq: np.ndarray | None = None) -> None:
        """Forget rows (a new patient in them); later items need ``seq >= episode_seq``."""
        n = len(self.episode_seq)
        if not hasattr(self, "value"):
            self.value = np.full((n, len(OBSERVATIONS)), np.nan)
            self.value_day = np.full((n, len(OBSERVATIONS)), NO_DAY, dtype=np.int64)
            self.sbp_sum = np.zeros((n, 2))  # sum and sum of squares of recorded SBP readings
            self.sbp_count = np.zeros(n)
            self.problem = np.zeros((n, len(PROBLEMS)), dtype=bool)
            self.dose = np.zeros((n, len(MEDICATIONS)))
            self.issued_day = np.full((n, len(MEDICATIONS)), NO_DAY, dtype=np.int64)
            self.referral_day = np.full((n, len(SERVICES)), NO_DAY, dtype=np.int64)
            self.review_day = np.full(n, NO_DAY, dtype=np.int64)
            self.letter_days: list[list[int]] = [[] for _ in range(n)]
            self.discharge_days: list[list[int]] = [[] for _ in range(n)]
            self.smoking = np.full(n, np.nan)  # latest coded status as QRISK3 category 0-3
            self.smoking_day = np.full(n, NO_DAY, dtype=np.int64)
            self.qrisk3 = np.full(n, np.nan)
            self.qrisk3_day = np.full(n, NO_DAY, dtype=np.int64)
        self.value[rows], self.value_day[rows] = np.nan, NO_DAY
        self.sbp_sum[rows], self.sbp_count[rows] = 0.0, 0.0
        self.problem[rows], self.dose[rows], self.issued_day[rows] = False, 0.0, NO_DAY
        self.referral_day[rows], self.review_day[rows] = NO_DAY, NO_DAY
        self.qrisk3[rows], self.qrisk3_day[rows] = np.nan, NO_DAY
        self.smoking[rows], self.smoking_day[rows] = np.nan, NO_DAY
        for r in np.asarray(rows).tolist():
            self.letter_days[r], self.discharge_days[r] = [], []
        if episode_seq is not None:
            self.episode_seq[rows] = episode_seq

    def update(self, store: SystemStore, day: int) -> None:
        """Read the store's new items and fold in every item visible on ``day``."""
        if len(store) > self._cursor:
            cols = store.columns
            new = {k: v[self._cursor:] for k, v in cols.items()}
            self._cursor = len(cols["patient"])
            self._pending.append(new)
        if not self._pending:
            return
        items = {k: np.concatenate([p[k] for p in self._pending]) for k in self._pending[0]}
        ready = items["available_day"] <= day
        self._pending = [{k: v[~ready] for k, v in items.items()}] if not ready.all() else []
        items = {k: v[ready] for k, v in items.items()}
        row = items["patient"].astype(np.intp) - self.first_id
        keep = items["seq"] >= self.episode_seq[row]
        items = {k: v[keep] for k, v in items.items()}
        row = row[keep]
        order = np.lexsort((items["seq"], items["event_day"]))  # effective-date order
        self._fold(row[order], {k: v[order] for k, v in items.items()})

    def _fold(self, row: np.ndarray, it: dict[str, np.ndarray]) -> None:
        kind, concept, value, eday = it["item"], it["concept"].astype(np.intp), it["value"], it["event_day"].astype(np.int64)
        col = OBSERVATION_COLUMN[concept].astype(np.intp)
        obs = (kind == ItemType.OBSERVATION) & (col >= 0)
        for r, c, v, d in zip(row[obs], col[obs], value[obs], eday[obs]):
            if d >= self.value_day[r, c]:
                self.value[r, c], self.value_day[r, c] = v, d
        smoking = (kind == ItemType.OBSERVATION) & (SMOKING_CATEGORY[concept] >= 0)
        for r, c, d in zip(row[smoking], concept[smoking], eday[smoking]):
            if d >= self.smoking_day[r]:
                self.smoking[r], self.smoking_day[r] = SMOKING_CATEGORY[c], d
        sbp = obs & (concept == Concept.SBP)
        np.add.at(self.sbp_sum, (row[sbp], 0), value[sbp])
        np.add.at(self.sbp_sum, (row[sbp], 1), value[sbp] ** 2)
        np.add.at(self.sbp_count, row[sbp], 1.0)
        prob = (kind == ItemType.PROBLEM) & (_PROBLEM_OF[concept] >= 0)
        self.problem[row[prob], _PROBLEM_OF[concept[prob]]] = True
        med = (kind == ItemType.MEDICATION) & (_DRUG_OF[concept] >= 0)
        ended = (kind == ItemType.MEDICATION_END) & (_DRUG_OF[concept] >= 0)
        for r, k, c, v, d in zip(row[med | ended], kind[med | ended], concept[med | ended], value[med | ended], eday[med | ended]):
            j = _DRUG_OF[c]
            if k == ItemType.MEDICATION:
                self.dose[r, j], self.issued_day[r, j] = v, max(d, self.issued_day[r, j])
            else:
                self.dose[r, j], self.issued_day[r, j] = 0.0, NO_DAY
        ref = (kind == ItemType.REFERRAL) & (_SERVICE_OF[concept] >= 0)
        np.maximum.at(self.referral_day, (row[ref], _SERVICE_OF[concept[ref]]), eday[ref])
        rev = (kind == ItemType.ENCOUNTER) & np.isin(concept, _REVIEWS)
        np.maximum.at(self.review_day, row[rev], eday[rev])
        doc = kind == ItemType.DOCUMENT
        for r, c, d in zip(row[doc], concept[doc], it["available_day"][doc]):
            self.letter_days[r].append(int(d))
            if c == Concept.DISCHARGE_SUMMARY:
                self.discharge_days[r].append(int(d))

    # ----- readers (all (N, ...) arrays) -----------------------------------------------------
    def latest(self, concept: Concept) -> np.ndarray:
        return self.value[:, int(OBSERVATION_COLUMN[concept])]

    def current_dose(self, day: int, window_days: float) -> np.ndarray:
        """(N, len(MEDICATIONS)) dose of each drug issued within ``window_days`` and not ended."""
        return np.where(self.issued_day >= day - window_days, self.dose, 0.0)

    def referred_within(self, day: int, window_days: float) -> np.ndarray:
        return self.referral_day >= day - window_days

    def sbp_sd(self) -> np.ndarray:
        """Sample SD of recorded SBP readings (NaN with fewer than 2)."""
        n = self.sbp_count
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (self.sbp_sum[:, 1] - self.sbp_sum[:, 0] ** 2 / n) / (n - 1)
        return np.where(n >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)


def _years(day: int, then: np.ndarray, cap: float) -> np.ndarray:
    """Years from ``then`` to ``day``, capped at ``cap`` and scaled to [0, 1] (1 if never)."""
    years = np.where(then == NO_DAY, cap, (day - then) / DAYS_PER_YEAR)
    return np.clip(years, 0.0, cap) / cap


def record_space() -> dict[str, spaces.Space]:
    b = lambda n: spaces.Box(0.0, 1.0, shape=(n,), dtype=np.float32)  # noqa: E731
    return {
        "demographics": b(12),
        "measurement_value": b(len(MEASUREMENTS)),
        "measurement_age": b(len(MEASUREMENTS)),
        "measurement_missing": spaces.MultiBinary(len(MEASUREMENTS)),
        "problems": spaces.MultiBinary(len(PROBLEMS)),
        "medications": b(len(MEDICATIONS)),
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
)


def truth_space() -> dict[str, spaces.Space]:
    return {
        "truth_values": spaces.Box(0.0, 1.0, shape=(len(TRUTH_FIELDS),), dtype=np.float32),
        "truth_conditions": spaces.MultiBinary(len(CONDITIONS)),
        "truth_treatments": spaces.Box(0.0, 1.0, shape=(len(TREATMENT_FIELDS),), dtype=np.float32),
    }


def observation_space(mode: str) -> spaces.Dict:
    parts: dict[str, spaces.Space] = {}
    if "record" in mode:
        parts.update(record_space())
    if "truth" in mode:
        parts.update(truth_space())
    return spaces.Dict(parts)


def encode_record(table: GpRecordTable, demo: dict[str, np.ndarray], day: int, progress: np.ndarray, window_days: float) -> dict[str, np.ndarray]:
    """Batched record features, each (N, k) float32/int8 (see ``docs/env.md`` for the list)."""
    n = len(progress)
    f32 = np.float32
    eth = np.zeros((n, 9), dtype=f32)
    eth[np.arange(n), demo["ethnicity"].astype(np.intp) - 1] = 1.0
    demographics = np.column_stack([demo["age_years"] / 100.0, demo["female"], (demo["imd_quintile"] - 1) / 4.0, eth])
    value = table.value[:, _MEAS_COL]
    missing = np.isnan(value)
    scale = np.array([s for _, _, s in MEASUREMENTS])
    letters = np.array([sum(d > rd for d in ds) for ds, rd in zip(table.letter_days, table.review_day)], dtype=f32)
    adm = np.array([[sum(d >= day - 365 for d in ds), max(ds, default=NO_DAY)] for ds in table.discharge_days], dtype=np.float64).reshape(n, 2)
    q, smoking = table.qrisk3, table.smoking
    return {
        "demographics": np.clip(demographics, 0, 1).astype(f32),
        "measurement_value": np.clip(np.where(missing, 0.0, value / scale), 0, 1).astype(f32),
        "measurement_age": _years(day, table.value_day[:, _MEAS_COL], 10.0).astype(f32),
        "measurement_missing": missing.astype(np.int8),
        "problems": table.problem.astype(np.int8),
        "medications": np.clip(table.current_dose(day, window_days) / MAX_DOSE, 0, 1).astype(f32),
        "referred_recently": table.referred_within(day, 90).astype(np.int8),
        "letters_since_review": np.minimum(letters / 5.0, 1.0)[:, None].astype(f32),
        "admissions_known": np.column_stack([np.minimum(adm[:, 0] / 3.0, 1.0), _years(day, adm[:, 1].astype(np.int64), 10.0)]).astype(f32),
        "smoking": np.column_stack([np.where(np.isnan(smoking), 0.0, smoking / 4.0), np.isnan(smoking)]).astype(f32),
        "qrisk3": np.column_stack([np.where(np.isnan(q), 0.0, np.clip(q / 100.0, 0, 1)), np.isnan(q)]).astype(f32),
        "time_since_review": _years(day, table.review_day, 5.0)[:, None].astype(f32),
        "episode_progress": np.clip(progress, 0, 1)[:, None].astype(f32),
    }


def encode_truth(state: PatientState) -> dict[str, np.ndarray]:
    """Batched latent-state features (research modes only)."""
    values = np.column_stack([state.columns[f] / s for f, s in TRUTH_FIELDS])
    treatments = np.column_stack([state.columns[f] for f in TREATMENT_FIELDS]) / np.array([2.0] * 7 + [1.0, 2000.0, 1.0])
    return {
        "truth_values": np.clip(np.nan_to_num(values), 0, 1).astype(np.float32),
        "truth_conditions": np.column_stack([state.columns[c] for c in CONDITIONS]).astype(np.int8),
        "truth_treatments": np.clip(treatments, 0, 1).astype(np.float32),
    }
