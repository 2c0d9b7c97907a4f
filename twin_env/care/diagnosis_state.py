"""What the practice holds while a diagnosis waits for confirmation: pending series and repeat tests.

Dates are whole days since 1970-01-01; ``NEVER`` means nothing is pending.
"""

from __future__ import annotations

import numpy as np

from twin_env.vocab.dates import NEVER
from twin_env.vocab.panels import Test

#: Care's name for CKD found from albuminuria (NICE NG203, eGFR >= 60): a diagnosis the twin has no flag for
#: (its truth is a true ACR >= 3 mg/mmol with a true eGFR >= 60), kept beside the twin's conditions in
#: ``CareState.diagnosed``.
CKD_ALBUMINURIA = "ckd_albuminuria"


class PendingDiagnoses:
    """Per-row (N,) arrays of confirmations under way.

    Attributes:
        home_due: a home BP series is asked for (a raised clinic reading or ``bp_check``); taken next step.
        series_seq: ledger seq of the open series' ``HOME_SERIES`` event (-1 none).
        series_days: days the open series was planned for.
        series_pos: length of the home store when the series was logged (its readings come after).
        hba1c_high_day: date of an unconfirmed HbA1c >= 48 (NEVER none).
        egfr_low_day: date of the first eGFR < 60 of an unconfirmed run (NEVER none).
        acr_high_day: date of the first ACR >= 3 mg/mmol of an unconfirmed run (NEVER none).
        last_egfr_ml_min: the latest eGFR result the practice has had (mL/min/1.73m2; NaN none): it stages
            CKD found from ACR (stage 1 at >= 90, stage 2 at 60-89; the eGFR route decides below 60).
        repeat_day: test panel -> date a confirming repeat sample is due (NEVER none).
    """

    def __init__(self, n: int) -> None:
        self.home_due = np.zeros(n, dtype=bool)
        self.series_seq = np.full(n, -1, dtype=np.int32)
        self.series_days = np.zeros(n, dtype=np.int32)
        self.series_pos = np.zeros(n, dtype=np.int64)
        self.hba1c_high_day = np.full(n, NEVER, dtype=np.int32)
        self.egfr_low_day = np.full(n, NEVER, dtype=np.int32)
        self.acr_high_day = np.full(n, NEVER, dtype=np.int32)
        self.last_egfr_ml_min = np.full(n, np.nan)
        self.repeat_day = {t: np.full(n, NEVER, dtype=np.int32) for t in Test}

    def clear_rows(self, rows: np.ndarray) -> None:
        """Nothing pending for ``rows`` (k,) (new patients, or the dead)."""
        self.home_due[rows] = False
        self.series_seq[rows] = -1
        self.series_days[rows] = 0
        self.hba1c_high_day[rows] = NEVER
        self.egfr_low_day[rows] = NEVER
        self.acr_high_day[rows] = NEVER
        self.last_egfr_ml_min[rows] = np.nan
        for array in self.repeat_day.values():
            array[rows] = NEVER
