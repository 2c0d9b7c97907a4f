"""Observation encoders: the GP record as of the decision date, the latent truth, or both.

:class:`GpRecordTable` folds the GP store's items into per-patient arrays as they become visible
(items arriving later wait in a queue), so encoding is O(N) per step. It reads only the GP
system's store, never the twin state (demographics come from registration: age, sex,
ethnicity, IMD quintile).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from twin_env.record.store import ItemType, SystemStore
from twin_env.twin.state import CONDITIONS, TREATMENT_FIELDS, PatientState
from twin_env.vocab.concepts import OBSERVATION_COLUMN, OBSERVATIONS, SMOKING_CATEGORY, Concept
from twin_env.vocab.dates import DAYS_PER_YEAR
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.problems import PROBLEMS
from twin_env.vocab.services import SERVICES as SERVICE_TABLE

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
MEDICATIONS: tuple[str, ...] = tuple(DRUGS)
#: Maximum dose of each drug (the medication feature is dose / maximum).
MAX_DOSE = np.array([max(DRUGS[d].products) for d in MEDICATIONS])
SERVICES: tuple[str, ...] = tuple(SERVICE_TABLE)
_REVIEWS = (Concept.HYPERTENSION_REVIEW, Concept.DIABETES_REVIEW, Concept.MEDICATION_REVIEW)
_SIZE = int(max(Concept)) + 1
_IS_REVIEW = np.isin(np.arange(_SIZE), _REVIEWS)


def _lookup(pairs: dict[int, int]) -> np.ndarray:
    table = np.full(_SIZE, -1, dtype=np.int16)
    for concept, index in pairs.items():
        table[int(concept)] = index
    return table


_PROBLEM_OF = _lookup({c: i for i, cs in enumerate(PROBLEMS.values()) for c in cs})
_DRUG_OF = _lookup({c: i for i, d in enumerate(MEDICATIONS) for c in DRUGS[d].products.values()})
_SERVICE_OF = _lookup({s.referral: i for i, s in enumerate(SERVICE_TABLE.values())})
_MEAS_COL = np.array([int(OBSERVATION_COLUMN[c]) for c, _, _ in MEASUREMENTS])


def _last_of(key: np.ndarray) -> np.ndarray:
    """Indices of the last occurrence of each distinct value of ``key`` (k,)."""
    _, first_in_reverse = np.unique(key[::-1], return_index=True)
    return len(key) - 1 - first_in_reverse


def _keep_latest(value: np.ndarray, day: np.ndarray, at: tuple[np.ndarray, ...], new: np.ndarray, new_day: np.ndarray) -> None:
    """Write ``new`` at ``at`` where it is the last of its cell (items in date order) and dated on or after ``day``."""
    if len(new) == 0:
        return
    cell = np.ravel_multi_index(at, value.shape)
    last = _last_of(cell)
    at, new, new_day = tuple(a[last] for a in at), new[last], new_day[last]
    newer = new_day >= day[at]
    at = tuple(a[newer] for a in at)
    value[at], day[at] = new[newer], new_day[newer]


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
        self._pending: dict[str, np.ndarray] | None = None
        self.value = np.full((n, len(OBSERVATIONS)), np.nan)
        self.value_day = np.full((n, len(OBSERVATIONS)), NO_DAY, dtype=np.int64)
        self.sbp_sum = np.zeros((n, 2))  # sum and sum of squares of recorded SBP readings
        self.sbp_count = np.zeros(n)
        self.problem = np.zeros((n, len(PROBLEMS)), dtype=bool)
        self.dose = np.zeros((n, len(MEDICATIONS)))
        self.issued_day = np.full((n, len(MEDICATIONS)), NO_DAY, dtype=np.int64)
        self.referral_day = np.full((n, len(SERVICES)), NO_DAY, dtype=np.int64)
        self.review_day = np.full(n, NO_DAY, dtype=np.int64)
        self.smoking = np.full(n, np.nan)  # latest coded status as QRISK3 category 0-3
        self.smoking_day = np.full(n, NO_DAY, dtype=np.int64)
        self.qrisk3 = np.full(n, np.nan)
        self.qrisk3_day = np.full(n, NO_DAY, dtype=np.int64)
        self.last_discharge_day = np.full(n, NO_DAY, dtype=np.int64)  # arrival of the latest discharge summary
        #: Filed letters (one entry each): batch row, arrival day, and whether a discharge summary.
        self.letters: dict[str, np.ndarray] = {"row": np.zeros(0, np.intp), "day": np.zeros(0, np.int64), "discharge": np.zeros(0, bool)}

    def clear(self, rows: np.ndarray, episode_seq: np.ndarray | None = None) -> None:
        """Forget rows (a new patient in them); later items need ``seq >= episode_seq``."""
        self.value[rows], self.value_day[rows] = np.nan, NO_DAY
        self.sbp_sum[rows], self.sbp_count[rows] = 0.0, 0.0
        self.problem[rows], self.dose[rows], self.issued_day[rows] = False, 0.0, NO_DAY
        self.referral_day[rows], self.review_day[rows] = NO_DAY, NO_DAY
        self.qrisk3[rows], self.qrisk3_day[rows] = np.nan, NO_DAY
        self.smoking[rows], self.smoking_day[rows] = np.nan, NO_DAY
        self.last_discharge_day[rows] = NO_DAY
        gone = np.zeros(len(self.episode_seq), dtype=bool)
        gone[rows] = True
        self.letters = {k: v[~gone[self.letters["row"]]] for k, v in self.letters.items()}
        if episode_seq is not None:
            self.episode_seq[rows] = episode_seq

    def update(self, store: SystemStore, day: int | np.ndarray) -> None:
        """Read the store's items added since the last call and fold in those visible on ``day`` (shared or (N,) per row)."""
        items = store.since(self._cursor)
        self._cursor = len(store)
        if self._pending is not None:
            items = {k: np.concatenate([self._pending[k], v]) for k, v in items.items()}
        row = items["patient"].astype(np.intp) - self.first_id
        ready = items["available_day"] <= np.broadcast_to(day, self.episode_seq.shape)[row]
        self._pending = None if ready.all() else {k: v[~ready] for k, v in items.items()}
        keep = ready & (items["seq"] >= self.episode_seq[row])
        if not keep.any():
            return
        items = {k: v[keep] for k, v in items.items()}
        order = np.lexsort((items["seq"], items["event_day"]))  # effective-date order
        self._fold(row[keep][order], {k: v[order] for k, v in items.items()})

    def _fold(self, row: np.ndarray, it: dict[str, np.ndarray]) -> None:
        """Fold items (sorted by effective date) into the per-row arrays."""
        kind, concept, value, eday = it["item"], it["concept"].astype(np.intp), it["value"], it["event_day"].astype(np.int64)
        col = OBSERVATION_COLUMN[concept].astype(np.intp)
        obs = (kind == ItemType.OBSERVATION) & (col >= 0)
        _keep_latest(self.value, self.value_day, (row[obs], col[obs]), value[obs], eday[obs])
        smoking = (kind == ItemType.OBSERVATION) & (SMOKING_CATEGORY[concept] >= 0)
        _keep_latest(self.smoking, self.smoking_day, (row[smoking],), SMOKING_CATEGORY[concept[smoking]], eday[smoking])
        score = (kind == ItemType.RISK_SCORE) & (concept == Concept.QRISK3_SCORE)
        _keep_latest(self.qrisk3, self.qrisk3_day, (row[score],), value[score], eday[score])
        sbp = obs & (concept == Concept.SBP)
        self.sbp_sum[:, 0] += np.bincount(row[sbp], value[sbp], minlength=len(self.sbp_count))
        self.sbp_sum[:, 1] += np.bincount(row[sbp], value[sbp] ** 2, minlength=len(self.sbp_count))
        self.sbp_count += np.bincount(row[sbp], minlength=len(self.sbp_count))
        prob = (kind == ItemType.PROBLEM) & (_PROBLEM_OF[concept] >= 0)
        self.problem[row[prob], _PROBLEM_OF[concept[prob]]] = True
        self._fold_medications(row, kind, concept, value, eday)
        ref = (kind == ItemType.REFERRAL) & (_SERVICE_OF[concept] >= 0)
        np.maximum.at(self.referral_day, (row[ref], _SERVICE_OF[concept[ref]]), eday[ref])
        rev = (kind == ItemType.ENCOUNTER) & _IS_REVIEW[concept]
        np.maximum.at(self.review_day, row[rev], eday[rev])
        doc = kind == ItemType.DOCUMENT
        arrived, discharge = it["available_day"][doc].astype(np.int64), concept[doc] == Concept.DISCHARGE_SUMMARY
        np.maximum.at(self.last_discharge_day, row[doc][discharge], arrived[discharge])
        new = {"row": row[doc], "day": arrived, "discharge": discharge}
        self.letters = {k: np.concatenate([v, new[k]]) for k, v in self.letters.items()}

    def _fold_medications(self, row: np.ndarray, kind: np.ndarray, concept: np.ndarray, value: np.ndarray, eday: np.ndarray) -> None:
        """Issues set the dose and the latest issue day; an end clears both (the last item of each drug decides)."""
        drug = _DRUG_OF[concept].astype(np.intp)
        sel = ((kind == ItemType.MEDICATION) | (kind == ItemType.MEDICATION_END)) & (drug >= 0)
        if not sel.any():
            return
        r, j, issued, v, d = row[sel], drug[sel], kind[sel] == ItemType.MEDICATION, value[sel], eday[sel]
        last = _last_of(r * len(MEDICATIONS) + j)
        ended = np.zeros(self.dose.shape, dtype=bool)
        ended[r[~issued], j[~issued]] = True
        r, j, issued, v, d = r[last], j[last], issued[last], v[last], d[last]
        since = np.where(ended[r, j], NO_DAY, self.issued_day[r, j])  # issue day before the group's items
        self.dose[r, j] = np.where(issued, v, 0.0)
        self.issued_day[r, j] = np.where(issued, np.maximum(d, since), NO_DAY)

    # ----- readers (all (N, ...) arrays) -----------------------------------------------------
    def latest(self, concept: Concept) -> np.ndarray:
        return self.value[:, int(OBSERVATION_COLUMN[concept])]

    def current_dose(self, day: int | np.ndarray, window_days: float) -> np.ndarray:
        """(N, len(MEDICATIONS)) dose of each drug issued within ``window_days`` of ``day`` (shared or (N,)) and not ended."""
        return np.where(self.issued_day >= _column(day) - window_days, self.dose, 0.0)

    def referred_within(self, day: int | np.ndarray, window_days: float) -> np.ndarray:
        """(N, len(SERVICES)) referral made within ``window_days`` of ``day`` (shared or (N,))."""
        return self.referral_day >= _column(day) - window_days

    def letters_since_review(self) -> np.ndarray:
        """(N,) letters filed after the last review."""
        row, arrived = self.letters["row"], self.letters["day"]
        return np.bincount(row[arrived > self.review_day[row]], minlength=len(self.review_day))

    def discharges_within(self, day: int | np.ndarray, window_days: float) -> np.ndarray:
        """(N,) discharge summaries filed within ``window_days`` of ``day`` (shared or (N,))."""
        row, arrived = self.letters["row"], self.letters["day"]
        recent = self.letters["discharge"] & (arrived >= np.broadcast_to(day, self.review_day.shape)[row] - window_days)
        return np.bincount(row[recent], minlength=len(self.review_day))

    def sbp_sd(self) -> np.ndarray:
        """Sample SD of recorded SBP readings (NaN with fewer than 2)."""
        n = self.sbp_count
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (self.sbp_sum[:, 1] - self.sbp_sum[:, 0] ** 2 / n) / (n - 1)
        return np.where(n >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)


def _column(day: int | np.ndarray) -> np.ndarray:
    """``day`` (scalar or (N,)) shaped to broadcast against (N, k) arrays."""
    return np.reshape(day, (-1, 1))


def _years(day: int | np.ndarray, then: np.ndarray, cap: float) -> np.ndarray:
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


def encode_record(table: GpRecordTable, demo: dict[str, np.ndarray], day: int | np.ndarray, progress: np.ndarray, window_days: float) -> dict[str, np.ndarray]:
    """Batched record features, each (N, k) float32/int8 (see ``docs/env.md`` for the list)."""
    n = len(progress)
    f32 = np.float32
    eth = np.zeros((n, 9), dtype=f32)
    eth[np.arange(n), demo["ethnicity"].astype(np.intp) - 1] = 1.0
    demographics = np.column_stack([demo["age_years"] / 100.0, demo["female"], (demo["imd_quintile"] - 1) / 4.0, eth])
    value = table.value[:, _MEAS_COL]
    missing = np.isnan(value)
    scale = np.array([s for _, _, s in MEASUREMENTS])
    letters = table.letters_since_review().astype(f32)
    admissions = table.discharges_within(day, 365)
    q, smoking = table.qrisk3, table.smoking
    return {
        "demographics": np.clip(demographics, 0, 1).astype(f32),
        "measurement_value": np.clip(np.where(missing, 0.0, value / scale), 0, 1).astype(f32),
        "measurement_age": _years(_column(day), table.value_day[:, _MEAS_COL], 10.0).astype(f32),
        "measurement_missing": missing.astype(np.int8),
        "problems": table.problem.astype(np.int8),
        "medications": np.clip(table.current_dose(day, window_days) / MAX_DOSE, 0, 1).astype(f32),
        "referred_recently": table.referred_within(day, 90).astype(np.int8),
        "letters_since_review": np.minimum(letters / 5.0, 1.0)[:, None].astype(f32),
        "admissions_known": np.column_stack([np.minimum(admissions / 3.0, 1.0), _years(day, table.last_discharge_day, 10.0)]).astype(f32),
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
