"""What-if shifts of a patient's latent levels: the twin's API for "this patient's SBP were 10 mmHg lower".

A shift is a persistent per-row offset that the level updates honour every step, so it is not undone
as levels follow age (unlike writing the level columns): SBP (mmHg) is added to the untreated SBP in
:func:`twin_env.twin.population.update_age_dependent_levels` (DBP follows through its regression on
SBP), LDL cholesterol (mmol/L) to untreated LDL and total cholesterol there, and HbA1c (mmol/mol) to
the level treatment acts on in :func:`twin_env.twin.treatment_effects.apply_treatment_effects`.
Risk equations and hazards read the shifted levels. All shifts are 0 in the usual twin; a 0 shift
changes nothing, to the bit.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.state import PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects


def shift_levels(
    state: PatientState,
    rows: np.ndarray,
    params: TwinParameters,
    *,
    sbp_mmhg: float = 0.0,
    ldl_mmol_l: float = 0.0,
    hba1c_mmol_mol: float = 0.0,
) -> None:
    """Set the what-if shifts of patients ``rows`` (k,) and recompute their levels now.

    Shifts replace (not add to) any earlier shift of those rows. Cached risk-equation hazards of the
    rows are cleared so the next step re-evaluates them on the shifted levels.
    """
    rows = np.asarray(rows, dtype=np.intp)
    state.sbp_shift_mmhg[rows] = sbp_mmhg
    state.ldl_shift_mmol_l[rows] = ldl_mmol_l
    state.hba1c_shift_mmol_mol[rows] = hba1c_mmol_mol
    state.qrisk3_h10[rows] = np.nan
    state.qdiabetes_h10[rows] = np.nan
    update_age_dependent_levels(state, params)
    apply_treatment_effects(state, params)
