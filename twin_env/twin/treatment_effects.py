"""Treatment effects: current BP, lipids, HbA1c and potassium from untreated levels and drugs.

- BP (Law et al. 2003): each class lowers SBP/DBP by a fixed amount at standard dose (smaller at
  half dose, log-linear in dose), more when pretreatment BP is higher; classes add.
- LDL-C: the statin's fractional reduction (NICE NG238 intensity table).
- HbA1c: metformin (Hirst 2012), SGLT2 inhibitor, gliclazide (sulfonylurea, Hirst 2013).
All effects are scaled by the patient's effective adherence (:mod:`twin_env.twin.treatment_burden`):
the propensity ``state.adherence`` times a factor falling with the number of drugs taken, and for
a drug taken more than once a day (metformin above 500 mg, gliclazide above 160 mg) a factor falling
with its daily doses. The BP classes are all once daily (``drug_regimens.csv``), so their falls take
no frequency factor.
"""

from __future__ import annotations

import numpy as np

from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


def bp_falls_mmhg(
    state: PatientState, params: TwinParameters, adherence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Systolic and diastolic falls (N,) in mmHg achieved by the drugs taken.

    ``adherence`` (N,): fraction of the trial effect achieved (default: the effective adherence of
    a once-daily drug in the patient's regimen, ``state.adherence`` x the pill-count factor).
    Each class's fall at standard dose ``s``, half dose ``h`` and dose ``d`` (multiples of standard) is
    ``max(s + (s - h) log2(max(d, 0.25)) + extra, 0)``, ``extra`` growing with pretreatment BP; an SGLT2
    inhibitor adds its SBP fall. Computed by the compiled kernel (:mod:`twin_env.twin.treatment_kernel`).
    """
    from twin_env.twin import treatment_kernel  # noqa: PLC0415 (numba: compiled on first use)

    return treatment_kernel.bp_falls(state, params, adherence)


def apply_treatment_effects(state: PatientState, params: TwinParameters) -> None:
    """Recompute every "current" level of ``state`` in place from untreated levels and drugs.

    SBP/DBP less the falls at the effective adherence of a once-daily drug; LDL-C and total cholesterol
    less the statin's fraction of untreated LDL-C; HbA1c (untreated + what-if shift) less the metformin
    (sqrt of dose / full dose, x its frequency factor), SGLT2 and gliclazide falls, at least 30 mmol/mol;
    potassium = base + renal rise below eGFR 60 + RAAS blocker and spironolactone rises.
    Computed by the compiled kernel (:mod:`twin_env.twin.treatment_kernel`).
    """
    from twin_env.twin import treatment_kernel  # noqa: PLC0415 (numba: compiled on first use)

    treatment_kernel.apply(state, params)
