"""What the GP record shows of each row's recent results on any day: the reader care's prescribing checks use.

Each row keeps its last few results of each analyte as the GP store filed them (effective day, day
shown, ledger seq, value), read incrementally from the store (cost per new item). A question about
day ``d`` is then answered exactly, whatever order the days come in: the latest result by effective
day (then seq) among those shown by ``d``, as the safety rules' record snapshot reads it. Filing and
reading are compiled loops over the rows (:mod:`twin_env.care.recorded_results_kernel`).
"""

from __future__ import annotations

import numpy as np

from twin_env.record.record import Record
from twin_env.record.store import ItemType
from twin_env.vocab.concepts import Concept

#: Analytes care reads: the prescribing checks (eGFR, K+), the nephrology (ACR) and diabetology (HbA1c) clinics.
ANALYTES: tuple[Concept, ...] = (Concept.EGFR, Concept.POTASSIUM, Concept.URINE_ACR, Concept.HBA1C)
#: Results kept per row and analyte (a result stays the latest shown only until a newer one is shown).
KEPT = 4


class RecordedResults:
    """The last :data:`KEPT` filed results per row of each analyte in :data:`ANALYTES`, (N, KEPT) arrays."""

    def __init__(self, record: Record) -> None:
        self.record = record
        n = record.n_patients
        self.cursor = 0
        self.episode_seq = np.zeros(n, dtype=np.int64)
        self.key = {c: np.full((n, KEPT), -1, dtype=np.int64) for c in ANALYTES}  # effective day << 32 | seq
        self.shown = {c: np.zeros((n, KEPT), dtype=np.int64) for c in ANALYTES}
        self.value = {c: np.full((n, KEPT), np.nan) for c in ANALYTES}

    def refresh(self) -> None:
        """Ingest the ledger and file the GP store's new results of the rows' current patients."""
        record = self.record
        record.ingest()
        episode = record.episode_seq.astype(np.int64)
        moved = np.flatnonzero(self.episode_seq != episode)
        if moved.size:  # a new patient in the row (vector-env auto-reset)
            self.episode_seq[moved] = episode[moved]
            for c in ANALYTES:
                self.key[c][moved], self.value[c][moved] = -1, np.nan
        store = record.stores["gp"]
        items = store.since(max(self.cursor, store.held_from))
        self.cursor = len(store)
        row = items["patient"].astype(np.intp) - record.first_id
        ours = (items["item"] == ItemType.OBSERVATION) & (items["seq"] >= self.episode_seq[row])
        observed = np.flatnonzero(ours)
        if observed.size == 0:
            return
        from twin_env.care.recorded_results_kernel import file_results  # noqa: PLC0415 (numba: compiled on first use)

        concept = items["concept"][observed]
        for c in ANALYTES:
            sel = observed[concept == c]
            if sel.size == 0:
                continue
            key = items["event_day"][sel].astype(np.int64) << 32 | items["seq"][sel].astype(np.int64)
            values = items["value"][sel].astype(np.float64)
            shown = items["available_day"][sel].astype(np.int64)
            file_results(row[sel], key, values, shown, self.key[c], self.value[c], self.shown[c])

    def latest(self, rows: np.ndarray, day: np.ndarray, concept: Concept, refresh: bool = True) -> np.ndarray:
        """(k,) latest value of ``concept`` shown for ``rows`` (k,) on ``day`` (k,) (NaN if none).

        ``refresh`` False skips :meth:`refresh` (nothing logged since can be a result).
        """
        if refresh:
            self.refresh()
        return self._latest(rows, day, concept)[0]

    def latest_day(self, rows: np.ndarray, day: np.ndarray, concept: Concept) -> np.ndarray:
        """(k,) effective day of the latest ``concept`` shown for ``rows`` (k,) on ``day`` (k,) (-1 if none)."""
        return self._latest(rows, day, concept)[1]

    def _latest(self, rows: np.ndarray, day: np.ndarray, concept: Concept) -> tuple[np.ndarray, np.ndarray]:
        """(value (k,) float64, effective day (k,) int64) of the latest ``concept`` shown on ``day`` (NaN, -1: none)."""
        from twin_env.care.recorded_results_kernel import latest_shown  # noqa: PLC0415 (numba: compiled on first use)

        rows = np.ascontiguousarray(rows, dtype=np.intp)
        on = np.asarray(day, dtype=np.int64)
        on = np.ascontiguousarray(on) if on.shape == rows.shape else np.full(rows.shape, on, dtype=np.int64)
        value, effective = np.empty(rows.size), np.empty(rows.size, dtype=np.int64)
        latest_shown(rows, on, self.key[concept], self.value[concept], self.shown[concept], value, effective)
        return value, effective
