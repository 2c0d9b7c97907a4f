"""What the GP record shows now, as per-row arrays folded in incrementally: the reader for every step.

:class:`GpRecordTable` reads the GP store's items added since its last update and folds in those
visible on the rows' days (:mod:`twin_env.record.gp.visibility`); items not yet available wait in
a queue. Reading is then O(N): what observation encoders and action masks need each step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin_env.record.gp.coding import (
    DRUG_OF,
    IS_CKD_ALBUMINURIA,
    IS_REVIEW,
    MEDICATIONS,
    PROBLEM_OF,
    PROBLEMS,
    SERVICE_OF,
    SERVICES,
)
from twin_env.record.gp.visibility import available, of_current_patient
from twin_env.record.store import ItemType, SystemStore
from twin_env.vocab.concepts import OBSERVATION_COLUMN, OBSERVATIONS, SMOKING_CATEGORY, Concept
from twin_env.vocab.dates import NO_DAY

#: A reader's callbacks (:meth:`GpRecordTable.listen`): fold in (k,) rows' newly visible items; forget rows.
Fold = Callable[[np.ndarray, dict[str, np.ndarray]], None]
Forget = Callable[[np.ndarray], None]


def _last_of(key: np.ndarray) -> np.ndarray:
    """Indices of the last occurrence of each distinct value of ``key`` (k,)."""
    _, first_in_reverse = np.unique(key[::-1], return_index=True)
    return len(key) - 1 - first_in_reverse


_N_ITEM_TYPES = max(ItemType) + 1  # bins of a count by item type


def _keep_latest(
    value: np.ndarray, day: np.ndarray, at: tuple[np.ndarray, ...], new: np.ndarray, new_day: np.ndarray
) -> None:
    """Write ``new`` at ``at`` where it is the last of its cell (items in date order) and dated on or after ``day``."""
    if len(new) == 0:
        return
    cell = np.ravel_multi_index(at, value.shape)
    last = _last_of(cell)
    at, new, new_day = tuple(a[last] for a in at), new[last], new_day[last]
    newer = new_day >= day[at]
    at = tuple(a[newer] for a in at)
    value[at], day[at] = new[newer], new_day[newer]


def _column(day: int | np.ndarray) -> np.ndarray:
    """``day`` (scalar or (N,)) shaped to broadcast against (N, k) arrays."""
    return np.reshape(day, (-1, 1))


class GpRecordTable:
    """Per-row arrays of what the GP system shows, updated incrementally from its store.

    Rows are patient rows of a record (patient id = ``first_id + row``). Items from a ledger event
    with ``seq < episode_seq[row]`` belong to an earlier patient of the row (vector-env auto-reset)
    and are ignored. Days are days since 1970-01-01 (int64, :data:`~twin_env.vocab.dates.NO_DAY`
    if none); arrays are (N,) or (N, k) with columns ``OBSERVATIONS``, ``PROBLEMS``,
    ``MEDICATIONS`` or ``SERVICES``.
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
        #: CKD stage 1 or 2 coded (CKD with albuminuria, NICE NG203): not a PROBLEMS column, so not the observation's
        self.ckd_albuminuria = np.zeros(n, dtype=bool)
        self.dose = np.zeros((n, len(MEDICATIONS)))
        self.issued_day = np.full((n, len(MEDICATIONS)), NO_DAY, dtype=np.int64)
        self.referral_day = np.full((n, len(SERVICES)), NO_DAY, dtype=np.int64)
        self.review_day = np.full(n, NO_DAY, dtype=np.int64)
        self.smoking = np.full(n, np.nan)  # latest coded status as QRISK3 category 0-3
        self.smoking_day = np.full(n, NO_DAY, dtype=np.int64)
        self.qrisk3 = np.full(n, np.nan)
        self.qrisk3_day = np.full(n, NO_DAY, dtype=np.int64)
        self.last_discharge_day = np.full(n, NO_DAY, dtype=np.int64)  # arrival of the latest discharge summary
        #: Callbacks of :meth:`listen`: (fold, forget), called with each batch of items as it becomes visible and
        #: with the rows cleared.
        self._listeners: list[tuple[Fold, Forget]] = []
        self._store: SystemStore | None = None  # the store read by the last update
        self._day = np.full(n, NO_DAY, dtype=np.int64)  # each row's day at the last update
        #: Filed letters (one entry each): row, arrival day, and whether a discharge summary.
        self.letters: dict[str, np.ndarray] = {
            "row": np.zeros(0, np.intp), "day": np.zeros(0, np.int64), "discharge": np.zeros(0, bool),
        }  # fmt: skip

    def clear(self, rows: np.ndarray, episode_seq: np.ndarray | None = None) -> None:
        """Forget rows (a new patient in them); later items need ``seq >= episode_seq``."""
        self.value[rows], self.value_day[rows] = np.nan, NO_DAY
        self.sbp_sum[rows], self.sbp_count[rows] = 0.0, 0.0
        self.problem[rows], self.dose[rows], self.issued_day[rows] = False, 0.0, NO_DAY
        self.ckd_albuminuria[rows] = False
        self.referral_day[rows], self.review_day[rows] = NO_DAY, NO_DAY
        self.qrisk3[rows], self.qrisk3_day[rows] = np.nan, NO_DAY
        self.smoking[rows], self.smoking_day[rows] = np.nan, NO_DAY
        self.last_discharge_day[rows] = NO_DAY
        gone = np.zeros(len(self.episode_seq), dtype=bool)
        gone[rows] = True
        self.letters = {k: v[~gone[self.letters["row"]]] for k, v in self.letters.items()}
        if episode_seq is not None:
            self.episode_seq[rows] = episode_seq
        for _, forget in self._listeners:
            forget(np.asarray(rows))

    def listen(self, fold: Fold, forget: Forget) -> None:
        """Keep a reader's per-row state up to date: ``fold(row, items)`` with every batch of store items as it
        becomes visible ((k,) rows and (k,) columns, in effective-date order: event day, then seq; current
        patients' items only), ``forget(rows)`` when rows are cleared (a new patient in them).

        A reader that listens after the first :meth:`update` is first given, in one call, the items shown so far.
        """
        self._listeners.append((fold, forget))
        shown = self._shown()
        if shown is not None:
            fold(*shown)

    def _shown(self) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """(rows, items) of every item folded in so far, in effective-date order (None if none)."""
        if self._store is None:
            return None
        start = max(self._store.held_from, 0)
        items = {k: v[: max(self._cursor - start, 0)] for k, v in self._store.since(start).items()}
        row = items["patient"].astype(np.intp) - self.first_id
        inside = (row >= 0) & (row < len(self.episode_seq))
        row = np.where(inside, row, 0)
        keep = inside & available(items["available_day"], self._day[row])
        keep &= of_current_patient(items["seq"], self.episode_seq[row])
        if not keep.any():
            return None
        items = {k: v[keep] for k, v in items.items()}
        order = np.lexsort((items["seq"], items["event_day"]))
        return row[keep][order], {k: v[order] for k, v in items.items()}

    def update(self, store: SystemStore, day: int | np.ndarray) -> None:
        """Read the store's items added since the last call and fold in those visible on ``day`` (shared or (N,))."""
        items = store.since(self._cursor)
        self._cursor = len(store)
        self._store = store
        self._day[:] = np.broadcast_to(np.asarray(day, dtype=np.int64), self._day.shape)
        if self._pending is None and len(items["patient"]) == 0:  # nothing arrived, nothing waiting
            return
        if self._pending is not None:
            items = {k: np.concatenate([self._pending[k], v]) for k, v in items.items()}
        row = items["patient"].astype(np.intp) - self.first_id
        ready = available(items["available_day"], np.broadcast_to(day, self.episode_seq.shape)[row])
        self._pending = None if ready.all() else {k: v[~ready] for k, v in items.items()}
        keep = ready & of_current_patient(items["seq"], self.episode_seq[row])
        if not keep.any():
            return
        items = {k: v[keep] for k, v in items.items()}
        order = np.lexsort((items["seq"], items["event_day"]))  # effective-date order
        self._fold(row[keep][order], {k: v[order] for k, v in items.items()})

    def _fold(self, row: np.ndarray, it: dict[str, np.ndarray]) -> None:
        """Fold items (sorted by effective date) into the per-row arrays."""
        kind, concept, value = it["item"], it["concept"].astype(np.intp), it["value"]
        eday = it["event_day"].astype(np.int64)
        for fold, _ in self._listeners:
            fold(row, it)
        # items of each type that arrived (a few types a step): a type's arrays are built only if it came
        has = np.bincount(kind, minlength=_N_ITEM_TYPES).tolist()
        if has[ItemType.OBSERVATION]:
            col = OBSERVATION_COLUMN[concept].astype(np.intp)
            obs = (kind == ItemType.OBSERVATION) & (col >= 0)
            _keep_latest(self.value, self.value_day, (row[obs], col[obs]), value[obs], eday[obs])
            smoking = (kind == ItemType.OBSERVATION) & (SMOKING_CATEGORY[concept] >= 0)
            category = SMOKING_CATEGORY[concept[smoking]]
            _keep_latest(self.smoking, self.smoking_day, (row[smoking],), category, eday[smoking])
            sbp = obs & (concept == Concept.SBP)
            self.sbp_sum[:, 0] += np.bincount(row[sbp], value[sbp], minlength=len(self.sbp_count))
            self.sbp_sum[:, 1] += np.bincount(row[sbp], value[sbp] ** 2, minlength=len(self.sbp_count))
            self.sbp_count += np.bincount(row[sbp], minlength=len(self.sbp_count))
        if has[ItemType.RISK_SCORE]:
            score = (kind == ItemType.RISK_SCORE) & (concept == Concept.QRISK3_SCORE)
            _keep_latest(self.qrisk3, self.qrisk3_day, (row[score],), value[score], eday[score])
        if has[ItemType.PROBLEM]:
            prob = (kind == ItemType.PROBLEM) & (PROBLEM_OF[concept] >= 0)
            self.problem[row[prob], PROBLEM_OF[concept[prob]]] = True
            self.ckd_albuminuria[row[(kind == ItemType.PROBLEM) & IS_CKD_ALBUMINURIA[concept]]] = True
        if has[ItemType.MEDICATION] or has[ItemType.MEDICATION_END]:
            self._fold_medications(row, kind, concept, value, eday)
        if has[ItemType.REFERRAL]:
            ref = (kind == ItemType.REFERRAL) & (SERVICE_OF[concept] >= 0)
            np.maximum.at(self.referral_day, (row[ref], SERVICE_OF[concept[ref]]), eday[ref])
        if has[ItemType.ENCOUNTER]:
            rev = (kind == ItemType.ENCOUNTER) & IS_REVIEW[concept]
            np.maximum.at(self.review_day, row[rev], eday[rev])
        if has[ItemType.DOCUMENT]:
            doc = kind == ItemType.DOCUMENT
            arrived, discharge = it["available_day"][doc].astype(np.int64), concept[doc] == Concept.DISCHARGE_SUMMARY
            np.maximum.at(self.last_discharge_day, row[doc][discharge], arrived[discharge])
            new = {"row": row[doc], "day": arrived, "discharge": discharge}
            self.letters = {k: np.concatenate([v, new[k]]) for k, v in self.letters.items()}

    def _fold_medications(
        self, row: np.ndarray, kind: np.ndarray, concept: np.ndarray, value: np.ndarray, eday: np.ndarray
    ) -> None:
        """Issues set the dose and the latest issue day; an end clears both (the last item of each drug decides)."""
        drug = DRUG_OF[concept].astype(np.intp)
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
        """(N,) latest recorded value of observation ``concept`` (NaN if none)."""
        return self.value[:, int(OBSERVATION_COLUMN[concept])]

    def current_dose(self, day: int | np.ndarray, window_days: float) -> np.ndarray:
        """(N, len(MEDICATIONS)) dose of each drug issued within ``window_days`` of ``day`` (one or (N,)), not ended."""
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
        """(N,) sample SD of recorded SBP readings in mmHg (NaN with fewer than 2)."""
        n = self.sbp_count
        with np.errstate(invalid="ignore", divide="ignore"):
            var = (self.sbp_sum[:, 1] - self.sbp_sum[:, 0] ** 2 / n) / (n - 1)
        return np.where(n >= 2, np.sqrt(np.maximum(var, 0.0)), np.nan)
