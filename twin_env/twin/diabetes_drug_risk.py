"""Class effects of the twin's drugs on the hazard of type 2 diabetes onset.

QDiabetes-2018's statin and treated-hypertension terms mark who is treated; the twin switches them
off (:mod:`twin_env.twin.risk_equations`) and applies the drugs' own relative risks here, where
trials support one: thiazide-type diuretics and beta-blockers (Elliott & Meyer 2007) and statins by
intensity (CTT 2024). ACE inhibitors, ARBs, calcium-channel blockers, alpha-blockers,
spironolactone, metformin and SGLT2 inhibitors carry no effect (relative risk 1).
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def relative_risk(state: PatientState, params: TwinParameters) -> np.ndarray:
    """Relative hazard (N,) of type 2 diabetes onset from the drugs now taken (1 for no such drug)."""
    rr = np.ones(state.n)
    rr[state.dose_thiazide > 0] *= params["thiazide_rr_type2_diabetes"]
    rr[state.dose_beta_blocker > 0] *= params["beta_blocker_rr_type2_diabetes"]
    statin = state.statin_ldl_reduction
    high = statin >= params["statin_high_intensity_min_ldl_reduction"]
    rr[high] *= params["statin_rr_type2_diabetes_high_intensity"]
    rr[(statin > 0) & ~high] *= params["statin_rr_type2_diabetes_low_moderate_intensity"]
    return rr
