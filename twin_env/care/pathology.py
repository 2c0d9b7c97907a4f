"""Pathology: samples taken at reviews and for ordered tests, their results, and diagnoses they make."""

from __future__ import annotations

import numpy as np

from twin_env.care import diagnosis
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import Concept
from twin_env.vocab.panels import ANALYTES, Test

_ANALYTE_INDEX = {c: i for i, c in enumerate(c for panel in ANALYTES.values() for c, _, _ in panel)}


def take_tests(
    ctx: CareContext,
    reviewed: np.ndarray,
    review_day: np.ndarray,
    review_link: np.ndarray,
    home: np.ndarray,
    day0: np.ndarray,
    span: np.ndarray,
    counter: np.ndarray,
) -> None:
    """This step's samples: each review's routine panels, then the tests ordered for patients at home.

    ``reviewed`` (k,) are the rows reviewed on ``review_day`` (k,) in consultation ``review_link``
    (k,); ``home`` (N,) bool: alive and not in hospital; ``day0`` and ``span`` (N,) the step's
    first date and length in days; ``counter`` (N,) the random-stream counter.
    """
    keys, r = ctx.state.patient_key, reviewed
    wants = _review_panels(ctx, r, counter) if r.size else None
    diagnosis.order_due_repeats(ctx, home, day0 + span)
    ordered_day = None  # drawn for every row, once, in the first panel with an ordered test taken
    for panel in Test:
        if wants is not None:
            want = wants[panel]
            take_sample(ctx, r[want], panel, review_day[want], review_link[want], counter)
        ordered = ctx.care.ordered[panel]
        extra = np.flatnonzero(ordered & home)
        if extra.size:
            if ordered_day is None:
                ordered_day = day0 + (rs.uniform(keys, counter, CareChannel.TEST_DAY) * span).astype(np.int32)
            take_sample(ctx, extra, panel, ordered_day[extra], np.full(extra.size, -1), counter)
        ordered[:] = False


def _review_panels(ctx: CareContext, r: np.ndarray, counter: np.ndarray) -> dict[Test, np.ndarray]:
    """(k,) bool per panel: which of the reviewed rows ``r`` (k,) have it taken (HbA1c screened at risk by a draw)."""
    p, d = ctx.params, ctx.care.diagnosed
    at_risk = (d["hypertension"] | d["chd"] | d["stroke_tia"] | d["ckd_3_5"])[r] & ~d["type2_diabetes"][r]
    screen = rs.uniform(ctx.state.patient_key[r], counter[r], CareChannel.REVIEW_HBA1C)
    screen = screen < p["review_hba1c_probability_at_risk"]
    return {
        Test.HBA1C: d["type2_diabetes"][r] | (at_risk & screen),
        Test.LIPIDS: d["type2_diabetes"][r] | d["hypertension"][r] | d["chd"][r] | d["stroke_tia"][r],
        Test.RENAL: d["type2_diabetes"][r] | d["hypertension"][r] | d["ckd_3_5"][r] | d["heart_failure"][r],
        Test.ACR: d["type2_diabetes"][r] | d["ckd_3_5"][r],
    }


def take_sample(
    ctx: CareContext,
    rows: np.ndarray,
    panel: Test,
    day: np.ndarray,
    link: np.ndarray,
    counter: np.ndarray,
    channel: int = CareChannel.ANALYTE,
) -> None:
    """Order ``panel`` for ``rows`` (k,) on ``day`` (k,) and log each analyte's result (true value x lab noise).

    ``channel``: first random channel of the analytes' noise (offset by the analyte's index).

    HbA1c, eGFR and ACR results go to :mod:`twin_env.care.diagnosis` (two HbA1c >= 48 diagnose type 2
    diabetes; two eGFR < 60 at least 90 days apart CKD stage 3; two ACR >= 3 mg/mmol at least 90 days
    apart, with eGFR >= 60, CKD with albuminuria).
    """
    if rows.size == 0:
        return
    order = ctx.ledger.append(rows, LedgerKind.TEST_ORDER, int(panel), day, link=link)
    k, c = ctx.state.patient_key[rows], counter[rows]
    for concept, field, cv in ANALYTES[panel]:
        z = rs.standard_normal(k, c, channel + _ANALYTE_INDEX[concept])
        value = measured(ctx, rows, field, ctx.params[cv], z)
        ctx.ledger.append(rows, LedgerKind.TEST_RESULT, concept, day, value=value, link=order)
        if concept == Concept.HBA1C:
            diagnosis.hba1c(ctx, rows, day, order, value, counter)
        elif concept == Concept.EGFR:
            diagnosis.egfr(ctx, rows, day, order, value, counter)
        elif concept == Concept.URINE_ACR:
            diagnosis.acr(ctx, rows, day, order, value, counter)


def measured(ctx: CareContext, rows: np.ndarray, field: str, cv: float, z: np.ndarray) -> np.ndarray:
    """The lab's result (k,) for ``rows`` (k,): the twin's true ``field`` times ``1 + cv * z`` (z (k,) standard
    normal), to 0.1 unit. The one place a sample reads the truth (the no-oracle test leaves it the truth)."""
    return np.round(ctx.state.columns[field][rows] * (1.0 + cv * z), 1)
