"""What every care process works on: the twin's patients, the parameters, the ledger and the care state."""

from __future__ import annotations

import dataclasses

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.care.recorded_results import RecordedResults
from twin_env.care.state import CareState
from twin_env.record.artefacts import delay_days
from twin_env.record.ledger import Ledger
from twin_env.record.record import Record
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


@dataclasses.dataclass
class CareContext:
    """N batch rows seen by the health service.

    ``state`` is the twin's (read here; changed only through :mod:`twin_env.twin.treatment`),
    ``twin_params`` its parameters (what a dose means), ``params`` care's, ``ledger`` where
    every care event is logged, ``care`` the per-row care arrays, ``record`` the record the ledger
    feeds (read-only here: what the GP record shows, for prescribing checks; None: no checks).
    """

    state: PatientState
    twin_params: TwinParameters
    params: CareParameters
    ledger: Ledger
    care: CareState
    record: Record | None = None
    results: RecordedResults | None = dataclasses.field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.record is not None:
            self.results = RecordedResults(self.record)

    def living(self, rows: np.ndarray) -> np.ndarray:
        """The rows (k,) of ``rows`` whose patient is alive (intp)."""
        rows = np.asarray(rows, dtype=np.intp)
        return rows[self.state.alive[rows]]

    def lognormal_days(
        self, rows: np.ndarray, channel: int, median: str, sigma: str, counter: np.ndarray | None = None
    ) -> np.ndarray:
        """Whole days (k,) int32, lognormal with the named median and log-sd parameters, at least 1.

        ``counter`` (N,) is the random-stream counter (default: the twin's current step index).
        """
        c = self.state.step_index[rows] if counter is None else counter[rows]
        days = delay_days(self.state.patient_key[rows], c, channel, self.params[median], self.params[sigma])
        return np.maximum(days, 1)
