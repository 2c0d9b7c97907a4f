"""The concept naming each event of the twin that is not an onset or a death (acute CVD events, harms, complications).

One table: the truth ledger logs events under these concepts and care codes the GP problems of the
events seen in general practice with them.
"""

from __future__ import annotations

from twin_env.twin.events import EventKind
from twin_env.vocab.concepts import Concept

#: Event kind -> concept of the true event (ledger ACUTE_EVENT), for every event that is not an onset or a death.
EVENT_CONCEPT: dict[EventKind, Concept] = {
    EventKind.MYOCARDIAL_INFARCTION: Concept.ACUTE_MI,
    EventKind.STROKE: Concept.STROKE,
    EventKind.HEART_FAILURE: Concept.HEART_FAILURE,
    EventKind.ANGINA: Concept.ANGINA,
    EventKind.TIA: Concept.TIA,
    EventKind.HYPOTENSION_SYNCOPE: Concept.SYNCOPE,
    EventKind.INJURIOUS_FALL: Concept.FALL,
    EventKind.HIP_FRACTURE: Concept.HIP_FRACTURE,
    EventKind.ACUTE_KIDNEY_INJURY: Concept.ACUTE_KIDNEY_INJURY,
    EventKind.HYPERKALAEMIA: Concept.HYPERKALAEMIA,
    EventKind.HYPONATRAEMIA: Concept.HYPONATRAEMIA,
    EventKind.GOUT: Concept.GOUT,
    EventKind.ACEI_COUGH: Concept.COUGH,
    EventKind.CCB_OEDEMA: Concept.OEDEMA,
    EventKind.STATIN_MUSCLE_SYMPTOMS: Concept.MUSCLE_PAIN,
    EventKind.METFORMIN_GI_INTOLERANCE: Concept.DIARRHOEA,
    EventKind.GENITAL_INFECTION: Concept.CANDIDIASIS,
    EventKind.DIABETIC_KETOACIDOSIS: Concept.DIABETIC_KETOACIDOSIS,
    EventKind.SEVERE_HYPOGLYCAEMIA: Concept.HYPOGLYCAEMIA,
    EventKind.RETINOPATHY: Concept.DIABETIC_RETINOPATHY,
    EventKind.FOOT_ULCER: Concept.DIABETIC_FOOT_ULCER,
    EventKind.AMPUTATION: Concept.AMPUTATION,
}
