"""What happened to each patient in one step of the twin."""

from __future__ import annotations

import dataclasses
import enum

import numpy as np


class EventKind(enum.IntEnum):
    """At most one of these happens to a patient in a step (competing risks)."""

    NONE = 0
    DEATH_NON_CVD = 1  # background mortality (ONS life table less its CVD share)
    DEATH_HEART_FAILURE = 2  # death from established heart failure, outside an acute event
    MYOCARDIAL_INFARCTION = 3
    ANGINA = 4  # new stable coronary heart disease
    STROKE = 5
    TIA = 6
    HEART_FAILURE = 7  # first presentation
    ATRIAL_FIBRILLATION = 8  # onset
    TYPE2_DIABETES = 9  # onset (not diagnosis)
    # cause-specific deaths outside an acute event (twin/mortality.py)
    DEATH_CVD_NON_ACUTE = 10  # sudden cardiac death, chronic ischaemic heart disease, other circulatory
    DEATH_RENAL = 11
    DEATH_DIABETES = 12
    # adverse effects of treatment (twin/harms.py)
    HYPOTENSION_SYNCOPE = 13
    INJURIOUS_FALL = 14  # a fall needing medical attention, without hip fracture
    HIP_FRACTURE = 15
    ACUTE_KIDNEY_INJURY = 16
    HYPERKALAEMIA = 17
    HYPONATRAEMIA = 18
    GOUT = 19
    ACEI_COUGH = 20
    CCB_OEDEMA = 21
    STATIN_MUSCLE_SYMPTOMS = 22
    # diabetes: drug harms and microvascular complications (twin/glycaemia.py)
    METFORMIN_GI_INTOLERANCE = 23
    GENITAL_INFECTION = 24
    DIABETIC_KETOACIDOSIS = 25
    SEVERE_HYPOGLYCAEMIA = 26
    RETINOPATHY = 27  # sight-threatening retinopathy (photocoagulation)
    FOOT_ULCER = 28
    AMPUTATION = 29


#: Event kinds counted as a QRISK3 outcome (CHD, ischaemic stroke, TIA).
QRISK3_OUTCOMES = (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)
#: Acute events that bring a patient to hospital as an emergency.
ACUTE_ADMISSIONS = (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE, EventKind.HEART_FAILURE)
#: Adverse effects of treatment (BP drugs, statins, diabetes drugs): HYPOTENSION_SYNCOPE to SEVERE_HYPOGLYCAEMIA.
TREATMENT_HARMS: tuple[EventKind, ...] = tuple(
    EventKind(k) for k in range(EventKind.HYPOTENSION_SYNCOPE, EventKind.SEVERE_HYPOGLYCAEMIA + 1)
)
#: Microvascular complications of diabetes.
DIABETES_COMPLICATIONS: tuple[EventKind, ...] = (EventKind.RETINOPATHY, EventKind.FOOT_ULCER, EventKind.AMPUTATION)
#: Events that are a death in themselves (an acute event kills through its case fatality instead).
DEATH_KINDS = (
    EventKind.DEATH_NON_CVD,
    EventKind.DEATH_HEART_FAILURE,
    EventKind.DEATH_CVD_NON_ACUTE,
    EventKind.DEATH_RENAL,
    EventKind.DEATH_DIABETES,
)
#: Event kind -> twin parameter holding the probability that the event kills (case fatality).
CASE_FATALITY_PARAMETER: dict[EventKind, str] = {
    EventKind.MYOCARDIAL_INFARCTION: "case_fatality_mi",
    EventKind.STROKE: "case_fatality_stroke",
    EventKind.HEART_FAILURE: "case_fatality_heart_failure",
    EventKind.DIABETIC_KETOACIDOSIS: "case_fatality_diabetic_ketoacidosis",
    EventKind.SEVERE_HYPOGLYCAEMIA: "case_fatality_severe_hypoglycaemia",
    EventKind.AMPUTATION: "case_fatality_amputation",
    EventKind.HYPOTENSION_SYNCOPE: "case_fatality_hypotension_syncope",
    EventKind.HIP_FRACTURE: "case_fatality_hip_fracture",
    EventKind.ACUTE_KIDNEY_INJURY: "case_fatality_aki",
    EventKind.HYPERKALAEMIA: "case_fatality_hyperkalaemia",
}


@dataclasses.dataclass(frozen=True)
class StepEvents:
    """Events of one step for N patients; every array has shape (N,).

    ``kind`` is an :class:`EventKind` code; ``fatal`` marks an acute event that killed the patient
    (case fatality); ``died`` is any death this step. ``hypertension_onset`` and ``ckd_onset`` mark
    the step in which untreated BP reached 140/90 or eGFR fell below 60. ``treatment_stopped`` is
    the index into :data:`twin_env.twin.state.TREATMENT_FIELDS` of a drug the patient stopped
    taking, or -1. ``age_years`` is each patient's age at the start of the step.
    """

    kind: np.ndarray
    fatal: np.ndarray
    died: np.ndarray
    hypertension_onset: np.ndarray
    ckd_onset: np.ndarray
    treatment_stopped: np.ndarray
    age_years: np.ndarray

    def count(self, kind: EventKind) -> int:
        return int(np.count_nonzero(self.kind == kind))
