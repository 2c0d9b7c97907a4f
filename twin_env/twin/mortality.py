"""Death by cause: cardiovascular, renal and diabetes deaths driven by risk factors; the life table's rest.

Annual hazards, for a patient of sex s and age a (``n_c(s, a)`` are the derived normalisers of
``mortality_normalisers.csv``, looked up with one grid position per patient):

- ``DEATH_CVD_NON_ACUTE = n_cvd(s, a) * (h_MI + h_angina + h_stroke + h_TIA)``: proportional to the
  patient's own CVD event hazard as the simulator computed it (first or recurrent, with the
  Ettehad / CTT relative risks of their treatment), so treatment that lowers CVD events lowers
  CVD death outside acute events in proportion;
- ``DEATH_RENAL = n_renal(s, a) * [eGFR < 60] * exp(0.111 (60 - eGFR)) * (max(ACR, 3) / 3)^0.451``
  (the eGFR and ACR terms of the kidney failure risk equation);
- ``DEATH_DIABETES = n_diabetes(s, a) * [diabetes] * exp(0.0216 HbA1c)`` (UKPDS 35: 21% per 1%);
- ``DEATH_HEART_FAILURE``: a fixed excess in established heart failure (unchanged);
- ``DEATH_NON_CVD = life-table hazard(s, a) * f_other(s, a)``.

The hazards are computed in the compiled kernel (``twin/hazard_kernel.py``); the index functions here
are what the normalisers' derivation (``twin/mortality_calibration.py``) reads, and a test holds the
kernel to them.

The normalisers make the twin's own population (baseline care included) die of each modelled cause
at the ONS share of deaths at that age, counting every kind that kills (acute case fatality,
treatment harms, ...) under the cause in :data:`CAUSE_OF_DEATH`; ``f_other`` is what the life
table leaves to other causes, so all-cause mortality stays the life table's. They are derived by
``twin_env.twin.mortality_calibration`` and are exact only for the population they were derived on.
"""

from __future__ import annotations

import enum

import numpy as np

from twin_env.twin.events import CASE_FATALITY_PARAMETER, DEATH_KINDS, EventKind
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.state import PatientState


class DeathCause(enum.IntEnum):
    """Underlying cause of a death as ONS groups ICD-10 causes (the ledger's DEATH ``value``)."""

    OTHER = 0  # everything the twin does not model as a cause, incl. fatal falls and hip fractures
    CVD = 1  # circulatory I00-I99
    RENAL = 2  # renal failure N17-N19
    DIABETES = 3  # E10-E14 and its complications


#: Causes of death the normalisers are fitted to (names of :class:`DeathCause`, in code order).
CAUSES: tuple[str, ...] = tuple(cause.name.lower() for cause in DeathCause)

#: Underlying cause of a death through each event kind (every kind but NONE is listed; a test checks).
#: cvd = circulatory I00-I99; renal = renal failure N17-N19; diabetes = E10-E14 and its complications.
CAUSE_OF_DEATH: dict[EventKind, str] = {
    EventKind.DEATH_NON_CVD: "other",
    EventKind.DEATH_HEART_FAILURE: "cvd",
    EventKind.DEATH_CVD_NON_ACUTE: "cvd",
    EventKind.MYOCARDIAL_INFARCTION: "cvd",
    EventKind.ANGINA: "cvd",
    EventKind.STROKE: "cvd",
    EventKind.TIA: "cvd",
    EventKind.HEART_FAILURE: "cvd",
    EventKind.ATRIAL_FIBRILLATION: "cvd",
    EventKind.TYPE2_DIABETES: "diabetes",
    EventKind.DEATH_RENAL: "renal",
    EventKind.DEATH_DIABETES: "diabetes",
    EventKind.HYPOTENSION_SYNCOPE: "other",
    EventKind.INJURIOUS_FALL: "other",  # external cause (W00-W19)
    EventKind.HIP_FRACTURE: "other",
    # a fatal AKI is certified under the illness that brought it on far more often than as N17, and the
    # drug-associated AKI deaths alone would exceed the ONS renal share, leaving no CKD death to drive
    EventKind.ACUTE_KIDNEY_INJURY: "other",
    EventKind.HYPERKALAEMIA: "other",  # E87
    EventKind.HYPONATRAEMIA: "other",
    EventKind.GOUT: "other",
    EventKind.ACEI_COUGH: "other",
    EventKind.CCB_OEDEMA: "other",
    EventKind.STATIN_MUSCLE_SYMPTOMS: "other",
    EventKind.METFORMIN_GI_INTOLERANCE: "other",
    EventKind.GENITAL_INFECTION: "other",
    EventKind.DIABETIC_KETOACIDOSIS: "diabetes",
    EventKind.SEVERE_HYPOGLYCAEMIA: "diabetes",
    EventKind.RETINOPATHY: "diabetes",
    EventKind.FOOT_ULCER: "diabetes",
    EventKind.AMPUTATION: "diabetes",
}

#: Kinds whose death (a death kind, or an event's case fatality) is cardiovascular (ONS I00-I99).
CVD_DEATH_KINDS: tuple[EventKind, ...] = tuple(k for k, cause in CAUSE_OF_DEATH.items() if cause == "cvd")

#: The death kind whose hazard each normalised cause scales.
DRIVEN_DEATH: dict[str, EventKind] = {
    "cvd": EventKind.DEATH_CVD_NON_ACUTE,
    "renal": EventKind.DEATH_RENAL,
    "diabetes": EventKind.DEATH_DIABETES,
}

#: CVD event rows whose sum is a patient's CVD risk index (the rows the simulator builds).
CVD_EVENT_KINDS = (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)


def cause_of_death(kind: EventKind) -> str:
    """The cause group (one of :data:`CAUSES`) a death through ``kind`` counts under."""
    return CAUSE_OF_DEATH.get(EventKind(kind), "other")


def death_probability_per_event(params: TwinParameters) -> np.ndarray:
    """(len(EventKind),) probability that an event of each kind is a death: 1 for death kinds, else case fatality."""
    probability = np.zeros(len(EventKind))
    probability[list(DEATH_KINDS)] = 1.0
    for kind, name in CASE_FATALITY_PARAMETER.items():
        probability[kind] = params[name]
    return probability


def cvd_death_index(hazards: np.ndarray) -> np.ndarray:
    """(N,) sum of the MI, angina, stroke and TIA hazards (per year) of a (len(EventKind), N) matrix."""
    rows = hazards[CVD_EVENT_KINDS[0]].copy()
    for kind in CVD_EVENT_KINDS[1:]:
        rows += hazards[kind]
    return rows


def renal_death_index(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) relative renal death hazard: 0 at eGFR >= 60, rising exponentially with falling eGFR and with ACR."""
    p = params
    threshold = p["mortality_renal_egfr_threshold_ml_min_1_73m2"]
    index = np.zeros(state.n)
    rows = np.flatnonzero(state.egfr_ml_min_1_73m2 < threshold)
    if rows.size:
        reference = p["mortality_renal_acr_reference_mg_mmol"]
        log_acr = np.log(np.maximum(state.acr_mg_mmol[rows].astype(np.float64), reference) / reference)  # float64
        index[rows] = np.exp(
            p["mortality_renal_log_hr_per_ml_min_egfr_fall"] * (threshold - state.egfr_ml_min_1_73m2[rows])
            + p["mortality_renal_log_hr_per_log_acr"] * log_acr
        )
    return index


def diabetes_death_index(state: PatientState, params: TwinParameters) -> np.ndarray:
    """(N,) relative diabetes death hazard: 0 without diabetes, exp(beta * HbA1c in mmol/mol) with it."""
    index = np.zeros(state.n)
    rows = np.flatnonzero(state.type2_diabetes | state.type1_diabetes)
    if rows.size:
        index[rows] = np.exp(params["mortality_diabetes_log_hr_per_mmol_mol_hba1c"] * state.hba1c_mmol_mol[rows])
    return index
