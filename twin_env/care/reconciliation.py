"""Medicines reconciliation at discharge: what the hospital started, changed and stopped reaches the GP.

The hospital checks urea and electrolytes before discharge (a renal panel the day(s) before, filed to
the GP record by the shared laboratory) and withholds any start that breaks a hard clinical limit on
what the record shows (:func:`twin_env.care.prescribing_limits.breaks_limit`, the rules' own limits).
Then, for every treatment field, the twin's drugs are compared with the GP's current prescriptions:

- started (taken, not prescribed by the GP) or dose changed: a ``HOSPITAL_PRESCRIPTION`` linked to the
  admission (listed in the discharge letter); the GP's repeats continue from it;
- stopped (prescribed, no longer taken): ``PRESCRIPTION_ENDED`` linked to the admission; repeats end;
- continued: the GP's repeats, paused during the stay, resume from the discharge day.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.pathology import take_sample
from twin_env.care.prescribing_limits import CHECKED_FIELDS, OTHER_RAAS, breaks_limit, record_on_day, stop_drugs
from twin_env.care.repeats import issue
from twin_env.record.ledger import LedgerKind
from twin_env.twin import treatment
from twin_env.twin.state import TREATMENT_FIELDS
from twin_env.vocab.drugs import DRUG_FOR_FIELD
from twin_env.vocab.limits import limit
from twin_env.vocab.panels import Test


def check_before_discharge(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """Pre-discharge bloods for ``rows`` (k,) leaving on ``day`` (k,) (admission ``link`` (k,)); unsafe starts withheld.

    A drug the twin took up in hospital (not prescribed by the GP) is stopped before discharge and
    never prescribed when, on what the GP record shows on the discharge day, it breaks a hard limit,
    an ACE inhibitor or ARB would join the other as current, or no eGFR is recorded within
    ``renal_function_check_days`` (clinical limit) for a drug care checks.
    """
    state, care = ctx.state, ctx.care
    bloods_day = np.maximum(day - int(ctx.params["hospital_discharge_bloods_days_before"]), 0)
    take_sample(ctx, rows, Test.RENAL, bloods_day, link, state.step_index, CareChannel.HOSPITAL_ANALYTE)
    starts = {f: (state.columns[f][rows] > 0) & (care.rx_concept[f][rows] == 0) for f in CHECKED_FIELDS}
    judged = np.logical_or.reduce(list(starts.values()))
    if not judged.any():
        return
    rows, day = rows[judged], day[judged]
    shown = record_on_day(ctx, rows, day, tuple(OTHER_RAAS))
    unchecked = shown.egfr_day < day - limit("renal_function_check_days")
    for field in CHECKED_FIELDS:
        started = starts[field][judged]
        bad = started & (breaks_limit(field, shown.egfr, shown.potassium, new=True) | unchecked)
        if field in OTHER_RAAS:
            bad |= started & shown.current[OTHER_RAAS[field]]
        if bad.any():
            treatment.stop_drug(state, rows[bad], DRUG_FOR_FIELD[field], ctx.twin_params)


def reconcile(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """Log the hospital's starts, dose changes and stops for ``rows`` (k,) discharged on ``day`` (k,)."""
    state, care = ctx.state, ctx.care
    for field in TREATMENT_FIELDS:
        drug = DRUG_FOR_FIELD[field]
        value = state.columns[field][rows]
        taken, prescribed = value > 0, care.rx_concept[field][rows] > 0
        stopped = prescribed & ~taken
        stop_drugs(ctx, rows[stopped], field, day[stopped], link[stopped])
        due = care.next_issue[field]
        due[rows] = np.maximum(due[rows], day)  # repeats missed during the stay resume from discharge
        dose = np.array([treatment.dose_for_value(drug, v, ctx.twin_params) if v > 0 else 0.0 for v in value])
        new = taken & (~prescribed | (dose != care.rx_dose[field][rows]))
        concept = np.array([drug.products[d] for d in dose[new]], dtype=np.int16)
        issue(ctx, rows[new], field, concept, dose[new], LedgerKind.HOSPITAL_PRESCRIPTION, day[new], link[new])
