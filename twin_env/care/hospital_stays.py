"""Opening an emergency hospital stay: the admission, its diagnosis and its planned discharge."""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.vocab.concepts import Concept


def open_stay(
    ctx: CareContext, rows: np.ndarray, icd: Concept, los_name: str, day: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Admit ``rows`` (k,) on ``day`` (k,) with ICD-10 primary diagnosis ``icd``; returns the admissions' seqs (k,).

    The length of stay is lognormal about the care parameter ``los_name`` (days); discharge follows
    through :func:`twin_env.care.admissions.discharge`.
    """
    care = ctx.care
    los = ctx.lognormal_days(rows, CareChannel.LENGTH_OF_STAY, los_name, "length_of_stay_sigma_log", counter)
    seq = ctx.ledger.append(rows, LedgerKind.ADMISSION, Concept.EMERGENCY_ADMISSION, day, value=los)
    care.admission[rows], care.admission_dx[rows] = seq, icd
    care.discharge_day[rows] = day + los
    return seq
