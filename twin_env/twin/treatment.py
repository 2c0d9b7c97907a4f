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
from twin_env.twin.state import PatientState
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
    if drug.field == "metformin_mg_day":  # GI intolerance follows a start (twin/glycaemia.py)
        glycaemia.record_metformin_start(state, rows)
    column[rows] = np.maximum(column[rows], value) if at_least else value
    if effects:
        update_effects(state, params)


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
