"""The care layer's per-row arrays: calendar, diagnoses, repeats, reviews, admissions, clinics, orders.

Dates are whole days since 1970-01-01; ``NEVER`` means nothing is due.
"""

from __future__ import annotations

import functools

import numpy as np

from twin_env.care.diagnosis_state import CKD_ALBUMINURIA, PendingDiagnoses
from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.vocab.dates import NEVER
from twin_env.vocab.panels import Test
from twin_env.vocab.services import SERVICES

#: Chronic conditions whose diagnosis brings an annual review.
CHRONIC_CONDITIONS = (
    "hypertension",
    "type2_diabetes",
    "ckd_3_5",
    "chd",
    "stroke_tia",
    "heart_failure",
    "atrial_fibrillation",
)


class CareState:
    """What the health service holds about N batch rows (every array has shape (N,)).

    Attributes:
        days: each row's current date (int64 days).
        diagnosed: condition name -> diagnosed by the GP (bool).
        rx_concept, rx_dose: treatment field -> the current prescription's dm+d concept (0 none)
            and dose (catalogue units).
        rx_seq: treatment field -> ledger seq of the issue that authorised the current repeats (-1 none).
        next_issue: treatment field -> date the next repeat is due (int32 days).
        next_review: date of the next annual review (int32 days).
        discharge_day, admission, admission_dx: the open admission's discharge date, ledger seq
            (-1 none) and ICD-10 concept.
        clinic_day, clinic_link: service -> date of the booked outpatient attendance and the
            ledger seq of the event that booked it (-1 none).
        booked: a practice-initiated review is booked for the next step.
        ordered: test panel -> a sample is to be taken in the next step.
        health_check_due: date of the next NHS Health Check invitation (int32 days; -1 not yet scheduled).
        health_check_follow_up, health_check_link: date of the follow-up BP appointment a Health Check
            booked (NEVER none) and the ledger seq of that check (-1 none); health_check_bp_recheck: that
            review brings the patient back for a follow-up BP reading; health_check_hba1c: the check's
            HbA1c result as the lab reported it (mmol/mol; NaN none), read at that review.
        referral_ntprobnp_ng_l: the NT-proBNP (ng/L) a suspected heart failure referral to cardiology
            carries to the clinic (NaN none; :mod:`twin_env.care.heart_failure_pathway`).

        pending: confirmations under way (:class:`~twin_env.care.diagnosis_state.PendingDiagnoses`).
    """

    def __init__(self, n: int, diagnoses: BaselineDiagnoses, start_day: int) -> None:
        self.days = np.full(n, start_day, dtype=np.int64)
        self.diagnosed = {name: np.array(diagnoses.diagnosed[name], dtype=bool) for name in diagnoses.diagnosed}
        self.diagnosed[CKD_ALBUMINURIA] = np.zeros(n, dtype=bool)  # found from ACR during care, none at baseline
        self.rx_concept = {f: np.zeros(n, dtype=np.int16) for f in TREATMENT_FIELDS}
        self.rx_dose = {f: np.zeros(n) for f in TREATMENT_FIELDS}
        self.rx_seq = {f: np.full(n, -1, dtype=np.int32) for f in TREATMENT_FIELDS}
        self.next_issue = {f: np.full(n, NEVER, dtype=np.int32) for f in TREATMENT_FIELDS}
        self.next_review = np.full(n, NEVER, dtype=np.int32)
        self.discharge_day = np.full(n, NEVER, dtype=np.int32)
        self.admission = np.full(n, -1, dtype=np.int32)
        self.admission_dx = np.zeros(n, dtype=np.int16)
        self.clinic_day = {s: np.full(n, NEVER, dtype=np.int32) for s in SERVICES}
        self.clinic_link = {s: np.full(n, -1, dtype=np.int32) for s in SERVICES}
        self.booked = np.zeros(n, dtype=bool)
        self.ordered = {t: np.zeros(n, dtype=bool) for t in Test}
        self.health_check_due = np.full(n, -1, dtype=np.int32)
        self.health_check_follow_up = np.full(n, NEVER, dtype=np.int32)
        self.health_check_link = np.full(n, -1, dtype=np.int32)
        self.health_check_bp_recheck = np.zeros(n, dtype=bool)
        self.health_check_hba1c = np.full(n, np.nan)
        self.referral_ntprobnp_ng_l = np.full(n, np.nan)

        self.pending = PendingDiagnoses(n)

    def clear_rows(self, rows: np.ndarray, diagnoses: BaselineDiagnoses, start_day: int) -> None:
        """Rows (k,) hold new patients from ``start_day``: their diagnoses, nothing prescribed or pending."""
        self.days[rows] = start_day
        for name, flags in diagnoses.diagnosed.items():
            self.diagnosed[name][rows] = flags
        self.diagnosed[CKD_ALBUMINURIA][rows] = False
        for table in (self.rx_concept, self.rx_dose):
            for array in table.values():
                array[rows] = 0
        for array in (*self.next_issue.values(), *self.clinic_day.values()):
            array[rows] = NEVER
        for array in (*self.clinic_link.values(), *self.rx_seq.values()):
            array[rows] = -1
        self.next_review[rows], self.discharge_day[rows], self.admission[rows] = NEVER, NEVER, -1
        self.admission_dx[rows], self.booked[rows] = 0, False
        for array in self.ordered.values():
            array[rows] = False
        self.health_check_due[rows], self.health_check_follow_up[rows], self.health_check_link[rows] = -1, NEVER, -1
        self.health_check_bp_recheck[rows], self.health_check_hba1c[rows] = False, np.nan
        self.referral_ntprobnp_ng_l[rows] = np.nan

        self.pending.clear_rows(rows)

    def close_dead(self, alive: np.ndarray) -> None:
        """Cancel what is pending for rows no longer ``alive`` (N,) bool: admissions, clinics, repeats."""
        dead = ~alive
        self.discharge_day[dead] = NEVER
        self.admission[dead] = -1
        for service in SERVICES:
            self.clinic_day[service][dead] = NEVER
        self.health_check_follow_up[dead] = NEVER
        for field in TREATMENT_FIELDS:
            self.next_issue[field][dead] = NEVER
        self.pending.clear_rows(np.flatnonzero(dead))

    def chronic_diagnosed(self) -> np.ndarray:
        """(N,) bool: a chronic condition is diagnosed (annual reviews are due)."""
        return functools.reduce(np.logical_or, (self.diagnosed[name] for name in CHRONIC_CONDITIONS))
