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


def scale_hazard(state: PatientState, params: TwinParameters, hazard: np.ndarray) -> None:
    """Multiply the type 2 diabetes onset hazard (N,) in place by the relative risks of the drugs now taken.

    Touches only the rows taking a thiazide, a beta-blocker or a statin (the others keep relative risk 1).
    """
    thiazide = np.flatnonzero(state.dose_thiazide > 0)  # (a comparison first: nonzero on floats is slow)
    hazard[thiazide] *= params["thiazide_rr_type2_diabetes"]
    beta_blocker = np.flatnonzero(state.dose_beta_blocker > 0)
    hazard[beta_blocker] *= params["beta_blocker_rr_type2_diabetes"]
    statin = np.flatnonzero(state.statin_ldl_reduction > 0)
    high = state.statin_ldl_reduction[statin] >= params["statin_high_intensity_min_ldl_reduction"]
    hazard[statin] *= np.where(
        high,
        params["statin_rr_type2_diabetes_high_intensity"],
        params["statin_rr_type2_diabetes_low_moderate_intensity"],
    )


def relative_risk(state: PatientState, params: TwinParameters) -> np.ndarray:
    """Relative hazard (N,) of type 2 diabetes onset from the drugs now taken (1 for no such drug)."""
    rr = np.ones(state.n)
    scale_hazard(state, params, rr)
    return rr
