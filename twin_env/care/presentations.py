"""Acute presentations to the GP: angina and TIA are seen and diagnosed the same step; symptomatic AF gets an ECG.

Angina and TIA are diagnosed on the presentation (the symptoms the patient brings); AF is coded only
if the ECG taken is read as AF (:func:`twin_env.care.measurements.ecg`).
"""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.measurements import ecg
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.twin.events import EventKind
from twin_env.vocab.concepts import Concept


def present(ctx: CareContext, kind: np.ndarray, day: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Consultations for this step's presenting events (diagnosis, or an ECG for AF); returns who presented (N,) bool.

    ``kind`` (N,) is the twin's event, ``day`` (N,) its date, ``counter`` (N,) the random-stream counter.
    """
    state, diagnosed = ctx.state, ctx.care.diagnosed
    if not kind.any():  # no event this step (most steps of a small batch): nobody presents
        return np.zeros(state.n, dtype=bool)
    af = (kind == EventKind.ATRIAL_FIBRILLATION) & (
        rs.uniform(state.patient_key, counter, CareChannel.AF_PRESENTS)
        < ctx.params["af_symptomatic_presentation_probability"]
    )
    presented = np.zeros(state.n, dtype=bool)
    for concept, mask in (
        (Concept.ANGINA, kind == EventKind.ANGINA),
        (Concept.TIA, kind == EventKind.TIA),
        (Concept.ATRIAL_FIBRILLATION, af),
    ):
        rows = np.flatnonzero(mask & state.alive)
        if rows.size == 0:
            continue
        seq = ctx.ledger.append(rows, LedgerKind.CONSULTATION, Concept.CONSULTATION, day[rows])
        if concept == Concept.ATRIAL_FIBRILLATION:
            ecg(ctx, rows, day[rows], seq, counter)
        else:
            ctx.ledger.append(rows, LedgerKind.DIAGNOSIS, concept, day[rows], link=seq)
        if concept == Concept.ANGINA:
            ctx.ledger.append(rows, LedgerKind.IMAGING, Concept.ECG, day[rows], link=seq)
        presented[rows] = True
    diagnosed["chd"][kind == EventKind.ANGINA] = True
    diagnosed["stroke_tia"][kind == EventKind.TIA] = True
    return presented
