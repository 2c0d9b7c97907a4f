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


#: Event kinds counted as a QRISK3 outcome (CHD, ischaemic stroke, TIA).
QRISK3_OUTCOMES = (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)
#: Acute events that bring a patient to hospital as an emergency.
ACUTE_ADMISSIONS = (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE, EventKind.HEART_FAILURE)


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
