"""The twin's treatment API: what a prescribed dose of a catalogue drug means for the latent patient.

Care calls these instead of writing treatment columns; each change recomputes the patients'
current levels through :func:`twin_env.twin.treatment_effects.apply_treatment_effects` (a pure
function of untreated levels and drugs, so recomputing twice gives the same state). Pass
``effects=False`` to batch several changes and call :func:`update_effects` once after them.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin import glycaemia
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import BP_DRUG_CLASSES, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects
from twin_env.vocab.drugs import Drug


def field_value(drug: Drug, dose: float, params: TwinParameters) -> float:
    """The value of the drug's twin treatment field for ``dose`` (units of the catalogue)."""
    if drug.field == "statin_ldl_reduction":
        return params.statin_ldl_reduction[(drug.name, int(dose))]
    if drug.field == "sglt2":
        return 1.0
    return float(dose)


def dose_for_value(drug: Drug, value: float, params: TwinParameters) -> float:
    """The catalogue dose that gives a twin field value (baseline and hospital-started treatment)."""
    if drug.field == "statin_ldl_reduction":
        return float(
            min(drug.products, key=lambda mg: abs(params.statin_ldl_reduction[("atorvastatin", int(mg))] - value))
        )
    if drug.field == "sglt2":
        return 10.0
    return float(value)


def start_drug(
    state: PatientState,
    rows: np.ndarray,
    drug: Drug,
    dose: float,
    params: TwinParameters,
    *,
    at_least: bool = False,
    effects: bool = True,
) -> None:
    """Patients ``rows`` (k,) take ``drug`` at ``dose`` (catalogue units) from now on.

    ``at_least`` keeps a higher dose already taken (a hospital's "continue or start").
    """
    value = field_value(drug, dose, params)
    column = state.columns[drug.field]
    before = column[rows].copy()
    if drug.field == "metformin_mg_day":  # GI intolerance follows a start (twin/glycaemia.py)
        glycaemia.record_metformin_start(state, rows)
    column[rows] = np.maximum(column[rows], value) if at_least else value
    record_starts(state, rows, drug.field, before)
    if effects:
        update_effects(state, params)


#: Treatment field -> state field holding the age at its last start (twin/harms.py reads them).
_START_AGE_FIELD = {
    "dose_acei": "acei_started_age_years",
    "dose_ccb": "ccb_started_age_years",
    "dose_thiazide": "thiazide_started_age_years",
    "statin_ldl_reduction": "statin_started_age_years",
}
_INITIATION, _ADDED_CLASS, _TITRATION = 1, 2, 3


def record_starts(state: PatientState, rows: np.ndarray, field: str, before: np.ndarray) -> None:
    """Record the ages at which patients ``rows`` (k,) started a drug or raised an antihypertensive dose.

    ``before`` (k,) is the field's value before the change. A start (0 -> positive) sets the drug's start
    age; an antihypertensive start or dose rise sets the last-intensification age and its kind (first
    antihypertensive, added class, titration). Baseline treatment is never recorded (started long ago).
    """
    after = state.columns[field][rows]
    started = rows[(before == 0) & (after > 0)]
    age = state.age_years
    if field in _START_AGE_FIELD:
        state.columns[_START_AGE_FIELD[field]][started] = age[started]
    if field in ("dose_acei", "dose_arb"):
        state.raas_started_age_years[started] = age[started]
    if not field.startswith("dose_"):
        return
    rose = after > before
    intensified = rows[rose]
    if intensified.size == 0:
        return
    others = np.zeros(intensified.size, dtype=bool)
    for name in BP_DRUG_CLASSES:
        if f"dose_{name}" != field:
            others |= state.columns[f"dose_{name}"][intensified] > 0
    kind = np.where(before[rose] > 0, _TITRATION, np.where(others, _ADDED_CLASS, _INITIATION))
    state.bp_intensified_age_years[intensified] = age[intensified]
    state.bp_intensification_kind[intensified] = kind


def stop_drug(
    state: PatientState, rows: np.ndarray, drug: Drug, params: TwinParameters, *, effects: bool = True
) -> None:
    """Patients ``rows`` (k,) stop taking ``drug``."""
    state.columns[drug.field][rows] = 0.0
    if effects:
        update_effects(state, params)


def update_effects(state: PatientState, params: TwinParameters) -> None:
    """Recompute every patient's current BP, lipids, HbA1c and potassium from the drugs now taken."""
    apply_treatment_effects(state, params)
