"""A system of record's store: an append-only columnar table of recorded items.

Columns (all (M,) arrays):

- ``patient`` int32, ``seq`` int32: the ledger event the item came from (event id
  ``f"{patient}-{seq}"``; a duplicate keeps its original's event id);
- ``item`` int8: :class:`ItemType`;
- ``concept`` int16: the :class:`~twin_env.vocab.concepts.Concept` the system coded;
- ``value`` float64: the value as recorded (NaN if none; may differ from the ledger on error);
- ``event_day`` int32: the clinically effective date (days since 1970-01-01);
- ``available_day`` int32: the day the item is visible in this system (``NEVER`` if never);
- ``flags`` int8: :class:`~twin_env.record.artefacts.Artefact` bits.
"""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd

from twin_env.record.chunked_log import ChunkedLog
from twin_env.vocab.concepts import Concept, unit_of

STORE_COLUMNS: dict[str, type] = {
    "patient": np.int32,
    "seq": np.int32,
    "item": np.int8,
    "concept": np.int16,
    "value": np.float64,
    "event_day": np.int32,
    "available_day": np.int32,
    "flags": np.int8,
}


class ItemType(enum.IntEnum):
    """Kinds of recorded item, across systems."""

    ENCOUNTER = 1  # GP consultation or review
    OBSERVATION = 2  # GP: BP or a filed lab result
    PROBLEM = 3  # GP: coded diagnosis
    MEDICATION = 4  # GP: prescription issue (value: dose)
    MEDICATION_END = 5  # GP: prescription stopped
    REFERRAL = 6  # GP: referral made
    DOCUMENT = 7  # GP: a letter filed; letters store: a letter written
    DEATH = 8  # GP: death notified
    LAB_ORDER = 9  # pathology: sample received
    LAB_RESULT = 10  # pathology: analyte reported
    ADMISSION = 11  # PAS
    DISCHARGE = 12  # PAS
    DIAGNOSIS = 13  # PAS: ICD-10 coded diagnosis of an episode
    ATTENDANCE = 14  # PAS: outpatient attendance
    IMAGING_STUDY = 15  # imaging: study performed
    IMAGING_REPORT = 16  # imaging: report verified
    RISK_SCORE = 17  # GP: a model's risk score written back (value: percent)
    HOME_READING = 18  # home: a day's reading from the patient's monitor, uploaded (value: mmHg)
    ADMIN_ENTRY = 19  # GP: an administrative entry (an invitation sent, a did-not-attend; may be uncoded)


class SystemStore:
    """Append-only columnar store of one system's items (a :class:`~twin_env.record.chunked_log.ChunkedLog`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._log = ChunkedLog(STORE_COLUMNS, unread=False)  # readers keep their own position (since)
        self._order: np.ndarray | None = None
        self._ordered_patient: np.ndarray | None = None

    def append(
        self,
        patient: np.ndarray,
        seq: np.ndarray,
        item: ItemType | np.ndarray,
        concept: np.ndarray | int,
        event_day: np.ndarray,
        available_day: np.ndarray | int | None = None,
        value: np.ndarray | float = np.nan,
        flags: np.ndarray | int = 0,
    ) -> None:
        """Record k items; ``patient``, ``seq`` and ``event_day`` are (k,), others (k,) or scalar (``item`` also)."""
        k = len(patient)
        if k == 0:
            return
        columns = {
            "patient": patient,
            "seq": seq,
            "item": item,
            "concept": concept,
            "value": value,
            "event_day": event_day,
            "available_day": event_day if available_day is None else available_day,
            "flags": flags,
        }
        self._log.append(columns, k)
        self._order = None

    def since(self, start: int) -> dict[str, np.ndarray]:
        """Items from position ``start`` (in append order) on, as (k,) columns; reads only the newer chunks."""
        return self._log.since(start)

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return self._log.columns

    def __len__(self) -> int:
        """Items ever appended (positions are counted from the first, also after :meth:`forget_before`)."""
        return len(self._log)

    @property
    def held_from(self) -> int:
        """Position of the first row still held (0 unless :meth:`forget_before` freed some)."""
        return self._log.held_from

    def forget_before(self, position: int) -> None:
        """Free the items before ``position``; later positions keep their numbers, :attr:`columns` starts there."""
        self._log.forget_before(position)
        self._order = None

    @property
    def nbytes(self) -> int:
        return self._log.nbytes

    def rows_of(self, patient: int, as_of_day: int | None = None) -> np.ndarray:
        """Row indices of one patient's items visible on ``as_of_day`` (all if None), by event date."""
        cols = self.columns
        if self._order is None or self._ordered_patient is None:
            self._order = np.lexsort((cols["seq"], cols["event_day"], cols["patient"]))
            self._ordered_patient = cols["patient"][self._order]  # cached: O(log M) per read
        ordered = self._ordered_patient
        # the query in the column's dtype: a Python int would make numpy cast all M rows (O(M) per read)
        lo, hi = np.searchsorted(ordered, np.array([patient, patient + 1], dtype=ordered.dtype))
        rows = self._order[lo:hi]
        if as_of_day is not None:
            rows = rows[cols["available_day"][rows] <= as_of_day]
        return rows

    def to_frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """Items (all or some rows) as a DataFrame with event ids, dates and names."""
        cols = {k: (v if rows is None else v[rows]) for k, v in self.columns.items()}
        frame = pd.DataFrame(cols)
        frame.insert(0, "event_id", [f"{p}-{s}" for p, s in zip(cols["patient"].tolist(), cols["seq"].tolist())])
        frame["item"] = [ItemType(i).name for i in cols["item"]]
        frame["unit"] = [unit_of(c) for c in cols["concept"]]
        frame["concept"] = [Concept(c).name for c in cols["concept"]]
        frame["flags"] = [str(int(f) & 0xFF) for f in cols["flags"]]  # the same on Python 3.10 (IntFlag str differs)
        return frame
