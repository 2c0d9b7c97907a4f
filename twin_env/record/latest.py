"""The GP record's latest value of each observation, for every patient, maintained incrementally.

Items enter with the day they become visible; :meth:`LatestObservations.advance` folds in the
ones visible by a day. Reading is O(N): what an observation encoder needs every step.
"""

from __future__ import annotations

import numpy as np

from twin_env.vocab.concepts import OBSERVATION_COLUMN, OBSERVATIONS, Concept

#: ``day`` of a (patient, observation) with no value yet.
NO_DAY = np.iinfo(np.int32).min


class LatestObservations:
    """Latest recorded value and effective date, shape (N, K) for K = len(OBSERVATIONS).

    "Latest" is by effective (event) date among items visible so far; a late-arriving older
    result does not replace a newer one.
    """

    def __init__(self, n_patients: int, first_id: int = 0) -> None:
        self.first_id = first_id
        self.value = np.full((n_patients, len(OBSERVATIONS)), np.nan)
        self.day = np.full((n_patients, len(OBSERVATIONS)), NO_DAY, dtype=np.int32)
        self._as_of = np.full(n_patients, NO_DAY, dtype=np.int64)
        self._pending: list[tuple[np.ndarray, ...]] = []

    @property
    def as_of_day(self) -> int:
        """The latest day any patient's row is current for (every row's, while they move together)."""
        return int(self._as_of.max(initial=NO_DAY))

    def clear(self, rows: np.ndarray) -> None:
        """Forget ``rows`` (a new patient in them): values, queued items and their date."""
        rows = np.asarray(rows, dtype=np.intp)
        self.value[rows], self.day[rows], self._as_of[rows] = np.nan, NO_DAY, NO_DAY
        if self._pending:
            gone = np.zeros(len(self._as_of), dtype=bool)
            gone[rows] = True
            self._pending = [tuple(a[~gone[part[0]]] for a in part) for part in self._pending]

    def add(
        self,
        patient: np.ndarray,
        concept: np.ndarray,
        value: np.ndarray,
        event_day: np.ndarray,
        available_day: np.ndarray,
    ) -> None:
        """Queue recorded items (k,); non-observation concepts are ignored."""
        column = OBSERVATION_COLUMN[concept]
        keep = column >= 0
        if keep.any():
            self._pending.append(
                (patient[keep] - self.first_id, column[keep], value[keep], event_day[keep], available_day[keep])
            )

    def advance(self, day: int | np.ndarray) -> None:
        """Fold in every queued item visible on ``day`` (days since 1970-01-01; one per patient row, or shared)."""
        day = np.broadcast_to(np.asarray(day, dtype=np.int64), self._as_of.shape)
        if (day < self._as_of).any():
            raise ValueError(f"LatestObservations cannot go back in time ({day.min()} < {self.as_of_day})")
        self._as_of[:] = day
        if not self._pending:
            return
        row, col, value, event_day, available = (np.concatenate(parts) for parts in zip(*self._pending))
        ready = available <= day[row]
        later = ~ready
        self._pending = (
            [(row[later], col[later], value[later], event_day[later], available[later])] if later.any() else []
        )
        row, col, value, event_day = row[ready], col[ready], value[ready], event_day[ready]
        if row.size == 0:
            return
        order = np.lexsort((event_day, col, row))  # last of each (row, col) group = latest event
        row, col, value, event_day = row[order], col[order], value[order], event_day[order]
        last = np.r_[(row[1:] != row[:-1]) | (col[1:] != col[:-1]), True]
        row, col, value, event_day = row[last], col[last], value[last], event_day[last]
        newer = event_day >= self.day[row, col]
        self.value[row[newer], col[newer]] = value[newer]
        self.day[row[newer], col[newer]] = event_day[newer]

    def latest(self, concept: Concept) -> tuple[np.ndarray, np.ndarray]:
        """Latest value (N,) (NaN if none) and its date (N,) ``datetime64[D]`` (NaT if none)."""
        column = int(OBSERVATION_COLUMN[concept])
        if column < 0:
            raise ValueError(
                f"{Concept(concept).name} is not an observation; allowed: {[c.name for c in OBSERVATIONS]}"
            )
        day = self.day[:, column]
        dates = np.where(day == NO_DAY, np.datetime64("NaT", "D"), day.astype("datetime64[D]"))
        return self.value[:, column].copy(), dates
