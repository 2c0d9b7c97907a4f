"""The record a patient brings at the start: baseline diagnoses, current prescriptions, review dates."""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.repeats import issue
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.twin.treatment import dose_for_value
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import DRUG_FOR_FIELD
from twin_env.vocab.problems import CONDITION_CONCEPT


def seed_baseline(ctx: CareContext, subset: np.ndarray | None = None) -> None:
    """Log the baseline record of every row (or of the rows in ``subset`` (k,)) on its current date.

    Repeats and annual reviews fall due at a random point (a stagger) within their first interval.
    """
    state, care = ctx.state, ctx.care
    days = care.days
    among = np.full(state.n, subset is None)
    among[subset if subset is not None else []] = True
    for name, concept in CONDITION_CONCEPT.items():
        rows = np.flatnonzero(care.diagnosed[name] & among)
        ctx.ledger.append(rows, LedgerKind.BASELINE_DIAGNOSIS, concept, days[rows])
    chd = care.diagnosed["chd"]
    mi = care.diagnosed["myocardial_infarction"]
    for concept, rows in (
        (Concept.MYOCARDIAL_INFARCTION, np.flatnonzero(mi & among)),
        (Concept.ANGINA, np.flatnonzero(chd & ~mi & among)),
    ):
        ctx.ledger.append(rows, LedgerKind.BASELINE_DIAGNOSIS, concept, days[rows])
    stagger = rs.uniform(state.patient_key, 0, CareChannel.BASELINE_STAGGER)
    for field in TREATMENT_FIELDS:
        rows = np.flatnonzero((state.columns[field] > 0) & among)
        drug = DRUG_FOR_FIELD[field]
        dose = np.array([dose_for_value(drug, v, ctx.twin_params) for v in np.unique(state.columns[field][rows])])
        values = np.unique(state.columns[field][rows])
        dose_of_row = dose[np.searchsorted(values, state.columns[field][rows])] if rows.size else np.zeros(0)
        concept = np.array([drug.products[d] for d in dose_of_row], dtype=np.int16)
        issue(ctx, rows, field, concept, dose_of_row, LedgerKind.BASELINE_PRESCRIPTION, days[rows])
        care.next_issue[field][rows] = days[rows] + (stagger[rows] * ctx.params["repeat_interval_days"]).astype(
            np.int32
        )
    chronic = care.chronic_diagnosed() & among
    care.next_review[chronic] = days[chronic] + (stagger[chronic] * ctx.params["review_interval_days"]).astype(np.int32)
