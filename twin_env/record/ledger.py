"""The ledger: an append-only, columnar log of every true event in the simulation.

One row per event, held in a :class:`~twin_env.record.chunked_log.ChunkedLog` (chunks of NumPy
arrays, concatenated on read). Columns:

- ``patient`` int32: patient id (the population index, stable across batch sizes);
- ``seq`` int32: the event's number within its patient (0, 1, 2, ...), so the event id
  ``f"{patient}-{seq}"`` is deterministic and independent of other patients;
- ``day`` int32: event date as days since 1970-01-01 (``datetime64[D]`` via :meth:`dates`);
- ``kind`` int8: :class:`LedgerKind`;
- ``concept`` int16: :class:`twin_env.vocab.concepts.Concept` (the code);
- ``value`` float64: measured value, dose, length of stay... (NaN if none; unit from the concept);
- ``link`` int32: ``seq`` of the related event of the same patient (the consultation a reading
  was taken at, the admission a discharge closes, the referral an attendance follows), or -1.

About 27 bytes per event.
"""

from __future__ import annotations

import enum

import numpy as np
import pandas as pd

from twin_env.record.chunked_log import ChunkedLog
from twin_env.vocab.concepts import Concept, unit_of

COLUMNS: dict[str, type] = {
    "patient": np.int32,
    "seq": np.int32,
    "day": np.int32,
    "kind": np.int8,
    "concept": np.int16,
    "value": np.float64,
    "link": np.int32,
}


class LedgerKind(enum.IntEnum):
    """What kind of true event a ledger row is."""

    BASELINE_DIAGNOSIS = 1  # diagnosed before the simulation start (history; day = start date)
    BASELINE_PRESCRIPTION = 2  # drug taken at the start (value: dose)
    ONSET = 3  # a chronic condition truly begins (not seen by any system)
    ACUTE_EVENT = 4  # MI, stroke, TIA, angina, heart failure presentation; a harm or diabetes complication
    DEATH = 5  # value: the cause (twin.mortality.DeathCause: 0 other, 1 CVD, 2 renal, 3 diabetes)
    DIAGNOSIS = 6  # a clinician makes a diagnosis (link: the encounter)
    CONSULTATION = 7  # GP consultation (concept CONSULTATION or a review)
    OBSERVATION = 8  # clinic BP reading or BMI (link: the consultation)
    TEST_ORDER = 9  # sample taken for a test panel (link: the encounter)
    TEST_RESULT = 10  # analyte measured in the sample (value incl. analytic error; link: the order)
    PRESCRIPTION = 11  # issue or 28-day repeat (value: dose in the drug's unit)
    PRESCRIPTION_ENDED = 12  # clinician stops or replaces a drug
    TREATMENT_STOPPED = 13  # the patient stops taking a drug (not seen by any system)
    REFERRAL = 14
    OUTPATIENT_ATTENDANCE = 15  # link: the referral
    ADMISSION = 16  # emergency admission (value: length of stay in days)
    DISCHARGE = 17  # link: the admission
    IMAGING = 18  # ECG, echocardiogram, chest X-ray (link: the encounter)
    HOSPITAL_PRESCRIPTION = 19  # drug started in hospital, supplied at discharge (link: the admission)
    SMOKING_STATUS = 20  # smoking status asked and coded (concept: the status; link: the consultation)
    RISK_SCORE = 21  # a deployed model's score (value: percent; concept: the score)
    HOME_READING = 22  # a day's home BP taken on the patient's monitor (concept HOME_SBP/HOME_DBP; link: the series)
    HOME_SERIES = 23  # a 7-day home BP series started (concept HOME_SBP; the GP's request; value: days planned)
    ADMINISTRATIVE = 24  # an entry with no encounter: an NHS Health Check invitation sent, a did-not-attend


class Ledger:
    """Append-only columnar event log for ``n_patients`` patients with ids ``first_id ..``.

    Shapes: every column is (E,) for E events; :meth:`append` takes equal-length (k,) arrays.
    """

    def __init__(self, n_patients: int, first_id: int = 0) -> None:
        self.first_id = first_id
        self._next_seq = np.zeros(n_patients, dtype=np.int32)
        self._log = ChunkedLog(COLUMNS)
        self._patient_order: np.ndarray | None = None
        self._sorted_key: np.ndarray | None = None

    def __len__(self) -> int:
        """Events ever logged (positions count from the first, also after :meth:`forget_before`)."""
        return len(self._log)

    def append(
        self,
        rows: np.ndarray,
        kind: LedgerKind,
        concept: np.ndarray | int,
        day: np.ndarray | int,
        value: np.ndarray | float = np.nan,
        link: np.ndarray | int = -1,
    ) -> np.ndarray:
        """Log one event for each batch row in ``rows`` (k,); returns their ``seq`` (k,) int32.

        A row may appear several times; its events get consecutive numbers in the given order.
        """
        from twin_env.record.ledger_kernel import number_events  # noqa: PLC0415 (numba: compiled on first use)

        rows = np.asarray(rows, dtype=np.intp)
        k = rows.size
        if k == 0:
            return np.zeros(0, dtype=np.int32)
        seq = np.empty(k, dtype=np.int32)
        if not number_events(rows.reshape(-1), self._next_seq, seq):
            raise ValueError(f"ledger rows must be batch rows 0-{len(self._next_seq) - 1}")
        values = {
            "patient": rows + self.first_id if self.first_id else rows,  # cast to int32 as it is copied in
            "seq": seq,
            "day": day,
            "kind": int(kind),
            "concept": concept,
            "value": value,
            "link": link,
        }
        self._log.append(values, k)
        self._patient_order = None
        self._sorted_key = None
        return seq

    def next_seq(self, rows: np.ndarray) -> np.ndarray:
        """(k,) int32 copy: the seq the next event of each batch row in ``rows`` will get."""
        return self._next_seq[rows].copy()

    def take_unread(self) -> dict[str, np.ndarray]:
        """The events appended since the last call, as (k,) columns (for the systems of record)."""
        return self._log.take_unread()

    def since(self, start: int) -> dict[str, np.ndarray]:
        """Events from position ``start`` (in append order) on, as (k,) columns; reads only the newer chunks."""
        return self._log.since(start)

    @property
    def held_from(self) -> int:
        """Position of the first row still held (0 unless :meth:`forget_before` freed some)."""
        return self._log.held_from

    def forget_before(self, position: int) -> None:
        """Free the events before ``position`` (a rolling record's finished patients); later positions keep numbers."""
        self._log.forget_before(position)
        self._patient_order = None
        self._sorted_key = None

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every column as one (E,) array (concatenated once per batch of appends)."""
        return self._log.columns

    @property
    def nbytes(self) -> int:
        """Memory held by the event columns, in bytes."""
        return self._log.nbytes

    def dates(self) -> np.ndarray:
        """Event dates (E,) as ``datetime64[D]``."""
        return self.columns["day"].astype("datetime64[D]")

    def rows_of(self, patient: int) -> np.ndarray:
        """Row indices of one patient's events (by id), in ``seq`` order."""
        cols = self.columns
        if self._patient_order is None:
            self._patient_order = np.lexsort((cols["seq"], cols["patient"]))
        ordered = cols["patient"][self._patient_order]
        lo, hi = np.searchsorted(ordered, np.array([patient, patient + 1], dtype=ordered.dtype))  # typed: O(log E)
        return self._patient_order[lo:hi]

    def find(self, patient: np.ndarray, seq: np.ndarray) -> np.ndarray:
        """Row indices (k,) of the events ``(patient, seq)``; raises ``KeyError`` if one is absent."""
        cols = self.columns
        if self._patient_order is None:
            self._patient_order = np.lexsort((cols["seq"], cols["patient"]))
        if self._sorted_key is None:  # cached: O(log E) per lookup
            self._sorted_key = (
                cols["patient"].astype(np.int64)[self._patient_order] << 32 | cols["seq"][self._patient_order]
            )
        key = self._sorted_key
        wanted = np.asarray(patient, dtype=np.int64) << 32 | np.asarray(seq, dtype=np.int64)
        pos = np.minimum(np.searchsorted(key, wanted), max(len(key) - 1, 0))
        if len(key) == 0 or not np.array_equal(key[pos], wanted):
            raise KeyError("some (patient, seq) pairs are not in the ledger")
        return self._patient_order[pos]

    def to_frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """The events (all, or the given rows) as a DataFrame with event ids, dates and units."""
        cols = {name: (a if rows is None else a[rows]) for name, a in self.columns.items()}
        frame = pd.DataFrame(cols)
        frame.insert(0, "event_id", [f"{p}-{s}" for p, s in zip(cols["patient"], cols["seq"])])
        frame["date"] = cols["day"].astype("datetime64[D]")
        frame["kind"] = [LedgerKind(k).name for k in cols["kind"]]
        frame["unit"] = [unit_of(c) for c in cols["concept"]]
        frame["concept"] = [Concept(c).name for c in cols["concept"]]
        return frame


def event_ids(patient: np.ndarray, seq: np.ndarray) -> list[str]:
    """Ledger event ids ``"<patient>-<seq>"`` for (k,) arrays."""
    return [f"{p}-{s}" for p, s in zip(patient.tolist(), seq.tolist())]
