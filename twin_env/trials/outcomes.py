"""The outcome vocabulary of trial protocols: the one table saying which twin events make each outcome.

An outcome is the first of its events during follow-up. A protocol outcome lists names from
:data:`OUTCOMES`; it occurs at the first event of any of them. Events come from the twin's
:class:`~twin_env.twin.events.StepEvents`: ``kind`` (one :class:`EventKind` per patient and step),
``fatal`` (an event that killed through its case fatality), ``died`` and the onset flags
``hypertension_onset`` and ``ckd_onset``. Besides the cardiovascular events there are
cause-specific deaths (renal, diabetes, UKPDS diabetes-related), harms of treatment (SPRINT's
serious adverse events among them) and diabetes complications (UKPDS's microvascular end point).
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from twin_env.twin import EventKind, StepEvents
from twin_env.twin.events import CASE_FATALITY_PARAMETER, DEATH_KINDS
from twin_env.twin.mortality import cause_of_death


@dataclasses.dataclass(frozen=True)
class OutcomeDefinition:
    """One outcome: it occurs in a step when any of its rules holds.

    ``kinds``: the step's event kind is one of these (fatal or not); ``fatal_kinds``: the step's
    event kind is one of these and it was fatal; ``flag``: a boolean field of ``StepEvents``
    (``died``, ``hypertension_onset``, ``ckd_onset``) is true.
    """

    name: str
    description: str
    kinds: tuple[EventKind, ...] = ()
    fatal_kinds: tuple[EventKind, ...] = ()
    flag: str | None = None

    def occurred(self, events: StepEvents) -> np.ndarray:
        """Whether the outcome happened to each patient in this step, shape (N,), bool."""
        hit = np.isin(events.kind, np.array(self.kinds, dtype=events.kind.dtype))
        if self.fatal_kinds:
            hit |= events.fatal & np.isin(events.kind, np.array(self.fatal_kinds, dtype=events.kind.dtype))
        if self.flag is not None:
            hit |= np.asarray(getattr(events, self.flag), dtype=bool)
        return hit


_ACUTE = (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE, EventKind.HEART_FAILURE)
_K = EventKind


def _event(name: str, description: str, *kinds: EventKind) -> OutcomeDefinition:
    return OutcomeDefinition(name, description, kinds=kinds)


def _death_from(name: str, description: str, cause: str) -> OutcomeDefinition:
    """Death whose cause (the twin's cause-of-death table, :mod:`twin_env.twin.mortality`) is ``cause``."""
    return OutcomeDefinition(
        name,
        description,
        kinds=tuple(k for k in DEATH_KINDS if cause_of_death(k) == cause),
        fatal_kinds=tuple(k for k in CASE_FATALITY_PARAMETER if cause_of_death(k) == cause),
    )


#: Outcome name -> definition. Protocols may name only these.
OUTCOMES: MappingProxyType[str, OutcomeDefinition] = MappingProxyType(
    {
        o.name: o
        for o in (
            OutcomeDefinition("death", "death from any cause", flag="died"),
            _death_from(
                "cvd_death",
                "cardiovascular death: a fatal myocardial infarction, stroke or first heart-failure presentation, "
                "death from established heart failure, or another cardiovascular death outside an acute event "
                "(sudden cardiac death, chronic ischaemic heart disease)",
                "cvd",
            ),
            _event("mi", "myocardial infarction, fatal or not", _K.MYOCARDIAL_INFARCTION),
            _event("angina", "new stable angina (coronary heart disease without infarction)", _K.ANGINA),
            _event("stroke", "stroke, fatal or not", _K.STROKE),
            _event("tia", "transient ischaemic attack", _K.TIA),
            _event("heart_failure", "first presentation of heart failure, fatal or not", _K.HEART_FAILURE),
            _event("atrial_fibrillation", "onset of atrial fibrillation", _K.ATRIAL_FIBRILLATION),
            _event("type2_diabetes", "onset of type 2 diabetes (not its diagnosis)", _K.TYPE2_DIABETES),
            OutcomeDefinition("ckd_3_5", "onset of CKD stage 3-5: eGFR falls below 60 mL/min/1.73m2", flag="ckd_onset"),
            OutcomeDefinition(
                "hypertension", "onset of hypertension: untreated BP reaches 140/90 mmHg", flag="hypertension_onset"
            ),
            # cause-specific deaths
            _death_from(
                "renal_death", "death from chronic kidney disease (a fatal AKI counts under other causes)", "renal"
            ),
            _death_from(
                "diabetes_death",
                "death from diabetes: a diabetes death outside an acute event, or a fatal ketoacidosis, severe "
                "hypoglycaemia or amputation",
                "diabetes",
            ),
            OutcomeDefinition(
                "diabetes_related_death",
                "UKPDS diabetes-related death: death from myocardial infarction, sudden death (the twin's non-acute "
                "cardiovascular death), stroke, peripheral vascular disease (fatal foot ulcer or amputation), renal "
                "disease, hyperglycaemia (ketoacidosis, diabetes death) or hypoglycaemia",
                kinds=(_K.DEATH_CVD_NON_ACUTE, _K.DEATH_RENAL, _K.DEATH_DIABETES),
                fatal_kinds=(
                    _K.MYOCARDIAL_INFARCTION,
                    _K.STROKE,
                    _K.FOOT_ULCER,
                    _K.AMPUTATION,
                    _K.ACUTE_KIDNEY_INJURY,
                    _K.DIABETIC_KETOACIDOSIS,
                    _K.SEVERE_HYPOGLYCAEMIA,
                ),
            ),
            # harms of treatment
            _event("hypotension_syncope", "hypotension or syncope needing medical attention", _K.HYPOTENSION_SYNCOPE),
            _event(
                "injurious_fall",
                "a fall needing medical attention, with or without hip fracture",
                _K.INJURIOUS_FALL,
                _K.HIP_FRACTURE,
            ),
            _event("hip_fracture", "hip fracture, fatal or not", _K.HIP_FRACTURE),
            _event("aki", "acute kidney injury, fatal or not", _K.ACUTE_KIDNEY_INJURY),
            _event("hyperkalaemia", "hyperkalaemia needing admission", _K.HYPERKALAEMIA),
            _event("hyponatraemia", "hyponatraemia needing admission", _K.HYPONATRAEMIA),
            _event("gout", "gout", _K.GOUT),
            _event("acei_cough", "ACE-inhibitor cough", _K.ACEI_COUGH),
            _event("ccb_oedema", "calcium-channel-blocker ankle oedema", _K.CCB_OEDEMA),
            _event("statin_muscle_symptoms", "statin muscle symptoms", _K.STATIN_MUSCLE_SYMPTOMS),
            _event("metformin_gi_intolerance", "metformin gastrointestinal intolerance", _K.METFORMIN_GI_INTOLERANCE),
            _event("genital_infection", "genital (mycotic) infection", _K.GENITAL_INFECTION),
            # diabetes: acute and microvascular complications
            _event("dka", "diabetic ketoacidosis, fatal or not", _K.DIABETIC_KETOACIDOSIS),
            _event(
                "severe_hypoglycaemia", "severe hypoglycaemia (needing help), fatal or not", _K.SEVERE_HYPOGLYCAEMIA
            ),
            _event("retinopathy", "sight-threatening retinopathy (retinal photocoagulation)", _K.RETINOPATHY),
            _event("foot_ulcer", "diabetic foot ulcer", _K.FOOT_ULCER),
            _event("amputation", "amputation, fatal or not", _K.AMPUTATION),
            OutcomeDefinition(
                "microvascular",
                "UKPDS microvascular end point: retinal photocoagulation (the twin's sight-threatening "
                "retinopathy) or death from renal failure; the twin has no non-fatal renal failure or vitreous "
                "haemorrhage event",
                kinds=(_K.RETINOPATHY, _K.DEATH_RENAL),
            ),
        )
    }
)


def get_outcome(name: str) -> OutcomeDefinition:
    """The definition of ``name``; ``ValueError`` naming the allowed outcomes otherwise."""
    try:
        return OUTCOMES[name]
    except KeyError:
        raise ValueError(f"unknown outcome {name!r}; allowed: {', '.join(OUTCOMES)}") from None
