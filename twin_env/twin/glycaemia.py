"""Diabetes: drug harms (metformin GI intolerance, SGLT2 genital infection and DKA, hypoglycaemia),
microvascular complications driven by HbA1c, and the progression of HbA1c, eGFR and ACR.

(Scaffold: the hazards are added by the medicine issue's glycaemia work.)
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def add_hazards(state: PatientState, params: TwinParameters, hazards: np.ndarray) -> None:
    """Write the annual hazards of this module's event kinds into ``hazards`` (len(EventKind), N) in place."""


def apply_consequences(
    state: PatientState, kind: np.ndarray, params: TwinParameters, keys: np.ndarray, counter: np.ndarray
) -> np.ndarray:
    """Consequences in the twin of this step's events ``kind`` (N,) of this module's kinds.

    Returns (N,) int8: the index in ``TREATMENT_FIELDS`` of a drug the event made the patient stop, or -1.
    """
    return np.full(state.n, -1, dtype=np.int8)


def progress(state: PatientState, params: TwinParameters, dt: float) -> None:
    """Advance untreated HbA1c, eGFR and ACR of the living patients by ``dt`` years, in place."""
    p = params
    alive = state.alive
    diabetic = state.type2_diabetes | state.type1_diabetes
    drift = np.where(diabetic, p["hba1c_diabetic_drift_mmol_mol_per_year"], p["hba1c_nondiabetic_slope_per_year"])
    hba1c = state.hba1c_untreated_mmol_mol + drift * dt * alive
    state.hba1c_untreated_mmol_mol = np.where(diabetic, hba1c, np.minimum(hba1c, 47.0))

    decline = (
        p["egfr_decline_per_year_after_40"] * (state.age_years > 40.0)
        + p["egfr_diabetes_extra_decline_per_year"] * diabetic
        + p["egfr_sbp_extra_decline_per_10mmhg_above_140"] * np.maximum(state.sbp_mmhg - 140.0, 0.0) / 10.0
    )
    raas = ((state.dose_acei > 0) | (state.dose_arb > 0)) & (state.acr_mg_mmol >= 3.0)
    decline *= np.where(raas, p["egfr_raas_decline_multiplier_albuminuria"], 1.0)
    decline *= np.where(state.sglt2 > 0, p["egfr_sglt2_decline_multiplier"], 1.0)
    state.egfr_ml_min_1_73m2 = np.maximum(state.egfr_ml_min_1_73m2 - decline * dt * alive, 3.0)
