"""Problems, written once: the GP concepts that count as each recorded problem, and the concept
the GP codes for each twin condition."""

from __future__ import annotations

from types import MappingProxyType

from twin_env.vocab.concepts import Concept

#: Recorded problems (the observation's MultiBinary order) and the GP concepts that count as each.
PROBLEMS: MappingProxyType[str, tuple[Concept, ...]] = MappingProxyType(
    {
        "hypertension": (Concept.ESSENTIAL_HYPERTENSION, Concept.HYPERTENSIVE_DISORDER),
        "type2_diabetes": (Concept.TYPE2_DIABETES,),
        "ckd_3_5": (Concept.CKD_STAGE_3,),
        "myocardial_infarction": (Concept.ACUTE_MI, Concept.MYOCARDIAL_INFARCTION),
        "angina": (Concept.ANGINA,),
        "stroke": (Concept.STROKE,),
        "tia": (Concept.TIA,),
        "heart_failure": (Concept.HEART_FAILURE,),
        "atrial_fibrillation": (Concept.ATRIAL_FIBRILLATION,),
    }
)
#: The GP problem concept coded for each twin condition (type 1 diabetes has no SNOMED CT code in
#: the code table, so the GP record never shows it). Also the concept of the condition's onset.
CONDITION_CONCEPT: MappingProxyType[str, Concept] = MappingProxyType(
    {
        "hypertension": Concept.ESSENTIAL_HYPERTENSION,
        "type2_diabetes": Concept.TYPE2_DIABETES,
        "ckd_3_5": Concept.CKD_STAGE_3,
        "atrial_fibrillation": Concept.ATRIAL_FIBRILLATION,
        "heart_failure": Concept.HEART_FAILURE,
        "stroke_tia": Concept.STROKE,
    }
)
#: CKD found from albuminuria with kidney function preserved (NICE NG203: ACR >= 3 mg/mmol persisting, eGFR >= 60),
#: coded as CKD stage 1 (eGFR >= 90) or stage 2 (60-89). Deliberately not in :data:`PROBLEMS`: neither the QOF
#: CKD 3-5 register, nor QRISK3's CKD (stage 3-5) input, nor an observation column.
CKD_ALBUMINURIA_CONCEPTS: tuple[Concept, ...] = (Concept.CKD_STAGE_1, Concept.CKD_STAGE_2)
