"""The medication review: current repeats checked against the clinical limits when a review is due.

At each annual or booked review (:mod:`twin_env.care.consultations`), so only when due, the practice
stops repeats that now break a hard limit (:func:`twin_env.care.prescribing_limits.breaks_limit`) and
reduces metformin to at most ``metformin_max_mg_day_egfr_30_44`` (care parameter) when the latest eGFR
the GP record shows is below ``metformin_review_egfr`` (clinical limit) and recent (within
``renal_function_check_days``: a titration needs a recent eGFR; an older one waits for the review's
bloods). Results count only once the record shows them (the lab's turnaround), so a review acts on
results seen, never on the truth.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.context import CareContext
from twin_env.care.prescribing_limits import CHECKED_FIELDS, breaks_limit, recorded_renal, stop_drugs
from twin_env.care.repeats import issue
from twin_env.record.ledger import LedgerKind
from twin_env.twin import treatment
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import DRUG_FOR_FIELD
from twin_env.vocab.limits import limit


def review(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """The medication review of ``rows`` (k,) at the review consultation on ``day`` (k,), seq ``link`` (k,).

    Current repeats that break a hard limit are stopped; metformin above the reduced maximum is
    reduced where the latest eGFR is below ``metformin_review_egfr`` (a new issue linked to the review).
    """
    care = ctx.care
    rows = np.asarray(rows, dtype=np.intp)
    if rows.size == 0:
        return
    egfr, potassium = recorded_renal(ctx, rows, day)
    for field in CHECKED_FIELDS:
        bad = (care.rx_concept[field][rows] > 0) & breaks_limit(field, egfr, potassium)
        stop_drugs(ctx, rows[bad], field, day[bad], link[bad])
    if ctx.results is None:
        return
    field, top = "metformin_mg_day", ctx.params["metformin_max_mg_day_egfr_30_44"]
    recent = ctx.results.latest_day(rows, day, Concept.EGFR) >= day - limit("renal_function_check_days")
    low = np.flatnonzero(
        (care.rx_concept[field][rows] > 0)
        & (care.rx_dose[field][rows] > top)
        & (egfr < limit("metformin_review_egfr"))
        & recent
    )
    if low.size == 0:
        return
    r = rows[low]
    drug = DRUG_FOR_FIELD[field]
    dose = max(d for d in drug.products if d <= top)
    concept = np.full(r.size, drug.products[dose], dtype=np.int16)
    issue(ctx, r, field, concept, dose, LedgerKind.PRESCRIPTION, day[low], link[low])
    treatment.start_drug(ctx.state, r, drug, dose, ctx.twin_params)
