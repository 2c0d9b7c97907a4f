"""The clinical concepts the care layer and the record use, each tied to a row of the code table.

A :class:`Concept` is a small integer stored in the ledger and the system stores (``concept``
column). :func:`concept_code` gives its :class:`twin_env.vocab.codes.Code` (SNOMED CT for GP problems,
observations, procedures, referrals and documents; dm+d for prescriptions; ICD-10 for hospital
diagnoses; NHS Data Dictionary for admission/discharge methods). Concepts with no code in the
table (a GP consultation, a death) carry ``None``: no code is invented for them.
"""

from __future__ import annotations

import enum
import functools
from types import MappingProxyType

import numpy as np

from twin_env.vocab.codes import Code, lookup, lookup_code


class Concept(enum.IntEnum):
    """Every concept a ledger event or a recorded item can carry."""

    NONE = 0
    # observations (SNOMED CT observables; UCUM units)
    SBP = 1
    DBP = 2
    HBA1C = 3
    TOTAL_CHOLESTEROL = 4
    HDL_CHOLESTEROL = 5
    LDL_CHOLESTEROL = 6
    EGFR = 7
    POTASSIUM = 8
    URINE_ACR = 9
    BMI = 10
    SODIUM = 11  # measured at a hyponatraemia admission (the twin has no sodium level)
    HOME_SBP = 12  # a day's home systolic reading (mean of the day's readings), from the patient's monitor
    HOME_DBP = 13  # a day's home diastolic reading
    NTPROBNP = 14  # N-terminal pro-B-type natriuretic peptide (LOINC-coded: the table has no SNOMED CT observable)
    # conditions (SNOMED CT)
    ESSENTIAL_HYPERTENSION = 20
    HYPERTENSIVE_DISORDER = 21  # coding variant of hypertension
    TYPE2_DIABETES = 22
    CKD_STAGE_3 = 23
    ACUTE_MI = 24
    MYOCARDIAL_INFARCTION = 25  # history of MI (baseline)
    ANGINA = 26
    STROKE = 27
    TIA = 28
    HEART_FAILURE = 29
    ATRIAL_FIBRILLATION = 30
    CKD_STAGE_1 = 31  # CKD with albuminuria and eGFR >= 90 (NICE NG203 G1 A2-A3): not the QOF CKD 3-5 register
    CKD_STAGE_2 = 32  # CKD with albuminuria and eGFR 60-89 (G2 A2-A3)
    # hospital diagnoses (ICD-10)
    ICD10_MI = 40
    ICD10_STROKE = 41
    ICD10_HEART_FAILURE = 42
    # prescriptions (dm+d VMPs)
    RAMIPRIL_2_5MG = 50
    RAMIPRIL_5MG = 51
    RAMIPRIL_10MG = 52
    LOSARTAN_50MG = 53
    AMLODIPINE_5MG = 54
    AMLODIPINE_10MG = 55
    INDAPAMIDE_2_5MG = 56
    BISOPROLOL_5MG = 57
    DOXAZOSIN_4MG = 58
    SPIRONOLACTONE_25MG = 59
    ATORVASTATIN_10MG = 60
    ATORVASTATIN_20MG = 61
    ATORVASTATIN_40MG = 62
    ATORVASTATIN_80MG = 63
    METFORMIN_500MG = 64
    DAPAGLIFLOZIN_10MG = 65
    GLICLAZIDE_80MG = 66
    # procedures and imaging (SNOMED CT)
    ECG = 70
    ECHOCARDIOGRAM = 71
    CHEST_XRAY = 72
    # referrals (SNOMED CT)
    REFERRAL_CARDIOLOGY = 80
    REFERRAL_NEPHROLOGY = 81
    REFERRAL_DIABETOLOGY = 82
    REFERRAL_HYPERTENSION_CLINIC = 83
    REFERRAL_SMOKING_CESSATION = 84
    REFERRAL_WEIGHT_MANAGEMENT = 85
    REFERRAL_DIABETES_PREVENTION = 86  # NHS Diabetes Prevention Programme
    # administrative (SNOMED CT)
    HYPERTENSION_REVIEW = 90
    DIABETES_REVIEW = 91
    MEDICATION_REVIEW = 92
    DISCHARGE_SUMMARY = 93
    CLINIC_LETTER = 94
    # hospital episode attributes (NHS Data Dictionary)
    EMERGENCY_ADMISSION = 100  # admission method 21: emergency via A&E
    DISCHARGE_USUAL_RESIDENCE = 101  # discharge destination 19
    # uncoded: encounters, death and laboratory test requests (the table has no codes for them)
    CONSULTATION = 110
    DEATH = 111
    TEST_HBA1C = 112
    TEST_LIPIDS = 113
    TEST_RENAL = 114  # urea and electrolytes with eGFR and potassium
    TEST_ACR = 115
    TEST_NTPROBNP = 116
    # smoking status (SNOMED CT findings; see SMOKING_CATEGORY)
    NEVER_SMOKED = 120
    EX_SMOKER = 121
    LIGHT_SMOKER = 122  # 1-9 cigarettes a day
    CIGARETTE_SMOKER = 123  # current smoker, amount not coded
    # risk scores written back by deployed models
    QRISK3_SCORE = 130
    RISK_SCORE = 131  # a model output with no code in the table (e.g. QDiabetes-2018): uncoded
    # harms of treatment and diabetes complications (SNOMED CT problems)
    HIP_FRACTURE = 140
    ACUTE_KIDNEY_INJURY = 141
    HYPERKALAEMIA = 142
    HYPONATRAEMIA = 143
    DIABETIC_KETOACIDOSIS = 144
    SYNCOPE = 145
    FALL = 146  # accidental fall
    HYPOGLYCAEMIA = 147  # hypoglycaemia due to diabetes
    GOUT = 148
    COUGH = 149
    OEDEMA = 150
    MUSCLE_PAIN = 151
    DIARRHOEA = 152
    CANDIDIASIS = 153
    DIABETIC_RETINOPATHY = 154
    DIABETIC_FOOT_ULCER = 155
    DRUG_INTOLERANCE = 156  # coded with the stop of the drug that was not tolerated
    AMPUTATION = 157  # procedure, coded as history by the GP
    # hospital diagnoses of harms and complications (ICD-10)
    ICD10_HIP_FRACTURE = 160
    ICD10_ACUTE_KIDNEY_INJURY = 161
    ICD10_HYPERKALAEMIA = 162
    ICD10_HYPONATRAEMIA = 163
    ICD10_DIABETIC_KETOACIDOSIS = 164
    ICD10_SYNCOPE = 165
    ICD10_INJURY = 166  # injury, unspecified (an injurious fall)
    ICD10_HYPOGLYCAEMIA = 167  # drug-induced hypoglycaemia without coma
    ICD10_DIABETES_PERIPHERAL = 168  # type 2 diabetes with peripheral circulatory complications (amputation)
    PERIPHERAL_ARTERIAL_DISEASE = 169  # the GP's problem after an amputation for diabetic peripheral disease
    # programmes (SNOMED CT)
    NHS_HEALTH_CHECK = 170  # the encounter of an NHS Health Check
    NHS_HEALTH_CHECK_INVITATION = 171  # an invitation sent (uncoded: no sourced code, see codes.csv)
    NHS_HEALTH_CHECK_DID_NOT_ATTEND = 172  # an invitation not taken up


_OBSERVATIONS = {
    Concept.SBP: ("observable", "systolic BP", "mm[Hg]"),
    Concept.DBP: ("observable", "diastolic BP", "mm[Hg]"),
    Concept.HBA1C: ("observable", "HbA1c (IFCC, mmol/mol)", "mmol/mol"),
    Concept.TOTAL_CHOLESTEROL: ("observable", "total cholesterol", "mmol/L"),
    Concept.HDL_CHOLESTEROL: ("observable", "HDL cholesterol", "mmol/L"),
    Concept.LDL_CHOLESTEROL: ("observable", "LDL cholesterol (calculated)", "mmol/L"),
    Concept.EGFR: ("observable", "eGFR (CKD-EPI creatinine, per 1.73m2)", "mL/min/{1.73_m2}"),
    Concept.POTASSIUM: ("observable", "serum potassium", "mmol/L"),
    Concept.URINE_ACR: ("observable", "urine ACR", "mg/mmol"),
    Concept.BMI: ("observable", "BMI", "kg/m2"),
    Concept.SODIUM: ("observable", "serum sodium", "mmol/L"),
    Concept.NTPROBNP: ("loinc", "NT-proBNP (ng/L)", "ng/L"),
}
#: Patient-generated readings (the ``home`` system), not columns of the GP latest-value tables.
_HOME_OBSERVATIONS = {
    Concept.HOME_SBP: ("observable", "average home systolic BP", "mm[Hg]"),
    Concept.HOME_DBP: ("observable", "average home diastolic BP", "mm[Hg]"),
}
_SCORES = {
    Concept.QRISK3_SCORE: ("observable", "QRISK3 10-year CVD risk score", "%"),
    Concept.RISK_SCORE: (None, None, "%"),
}
_BY_CONCEPT_NAME = {
    Concept.ESSENTIAL_HYPERTENSION: ("condition", "essential hypertension"),
    Concept.HYPERTENSIVE_DISORDER: ("condition", "hypertensive disorder"),
    Concept.TYPE2_DIABETES: ("condition", "type 2 diabetes mellitus"),
    Concept.CKD_STAGE_3: ("condition", "CKD stage 3"),
    Concept.CKD_STAGE_1: ("condition", "CKD stage 1"),
    Concept.CKD_STAGE_2: ("condition", "CKD stage 2"),
    Concept.ACUTE_MI: ("condition", "acute myocardial infarction"),
    Concept.MYOCARDIAL_INFARCTION: ("condition", "myocardial infarction"),
    Concept.ANGINA: ("condition", "angina"),
    Concept.STROKE: ("condition", "stroke (cerebrovascular accident)"),
    Concept.TIA: ("condition", "transient ischaemic attack"),
    Concept.HEART_FAILURE: ("condition", "heart failure"),
    Concept.ATRIAL_FIBRILLATION: ("condition", "atrial fibrillation"),
    Concept.RAMIPRIL_2_5MG: ("dmd", "ramipril 2.5 mg capsules"),
    Concept.RAMIPRIL_5MG: ("dmd", "ramipril 5 mg capsules"),
    Concept.RAMIPRIL_10MG: ("dmd", "ramipril 10 mg capsules"),
    Concept.LOSARTAN_50MG: ("dmd", "losartan 50 mg tablets"),
    Concept.AMLODIPINE_5MG: ("dmd", "amlodipine 5 mg tablets"),
    Concept.AMLODIPINE_10MG: ("dmd", "amlodipine 10 mg tablets"),
    Concept.INDAPAMIDE_2_5MG: ("dmd", "indapamide 2.5 mg tablets"),
    Concept.BISOPROLOL_5MG: ("dmd", "bisoprolol 5 mg tablets"),
    Concept.DOXAZOSIN_4MG: ("dmd", "doxazosin 4 mg tablets"),
    Concept.SPIRONOLACTONE_25MG: ("dmd", "spironolactone 25 mg tablets"),
    Concept.ATORVASTATIN_10MG: ("dmd", "atorvastatin 10 mg tablets"),
    Concept.ATORVASTATIN_20MG: ("dmd", "atorvastatin 20 mg tablets"),
    Concept.ATORVASTATIN_40MG: ("dmd", "atorvastatin 40 mg tablets"),
    Concept.ATORVASTATIN_80MG: ("dmd", "atorvastatin 80 mg tablets"),
    Concept.METFORMIN_500MG: ("dmd", "metformin 500 mg tablets"),
    Concept.DAPAGLIFLOZIN_10MG: ("dmd", "dapagliflozin 10 mg tablets"),
    Concept.GLICLAZIDE_80MG: ("dmd", "gliclazide 80 mg tablets"),
    Concept.ECG: ("procedure", "ECG (12 lead)"),
    Concept.ECHOCARDIOGRAM: ("procedure", "transthoracic echocardiogram"),
    Concept.CHEST_XRAY: ("procedure", "chest X-ray"),
    Concept.REFERRAL_CARDIOLOGY: ("referral", "referral to cardiology"),
    Concept.REFERRAL_NEPHROLOGY: ("referral", "referral to nephrologist"),
    Concept.REFERRAL_DIABETOLOGY: ("referral", "referral to diabetologist"),
    Concept.REFERRAL_HYPERTENSION_CLINIC: ("referral", "referral to hypertension clinic"),
    Concept.REFERRAL_SMOKING_CESSATION: ("referral", "referral to stop-smoking clinic"),
    Concept.REFERRAL_WEIGHT_MANAGEMENT: ("referral", "referral to weight management programme"),
    Concept.REFERRAL_DIABETES_PREVENTION: ("referral", "referral to NHS Diabetes Prevention Programme"),
    Concept.HYPERTENSION_REVIEW: ("admin", "hypertension annual review"),
    Concept.DIABETES_REVIEW: ("admin", "diabetes annual review"),
    Concept.MEDICATION_REVIEW: ("admin", "medication review done"),
    Concept.NHS_HEALTH_CHECK: ("admin", "NHS Health Check completed"),
    Concept.NHS_HEALTH_CHECK_DID_NOT_ATTEND: ("admin", "did not attend NHS Health Check"),
    Concept.DISCHARGE_SUMMARY: ("document", "discharge summary (document type)"),
    Concept.CLINIC_LETTER: ("document", "clinical/outpatient letter (document type)"),
    Concept.NEVER_SMOKED: ("smoking", "never smoked"),
    Concept.EX_SMOKER: ("smoking", "ex-smoker"),
    Concept.LIGHT_SMOKER: ("smoking", "light cigarette smoker"),
    Concept.CIGARETTE_SMOKER: ("smoking", "current cigarette smoker"),
    Concept.HIP_FRACTURE: ("condition", "fracture of neck of femur"),
    Concept.ACUTE_KIDNEY_INJURY: ("condition", "acute kidney injury"),
    Concept.HYPERKALAEMIA: ("condition", "hyperkalaemia"),
    Concept.HYPONATRAEMIA: ("condition", "hyponatraemia"),
    Concept.DIABETIC_KETOACIDOSIS: ("condition", "diabetic ketoacidosis"),
    Concept.SYNCOPE: ("condition", "syncope"),
    Concept.FALL: ("condition", "accidental fall"),
    Concept.HYPOGLYCAEMIA: ("condition", "hypoglycaemia due to diabetes"),
    Concept.GOUT: ("condition", "gout"),
    Concept.COUGH: ("condition", "cough"),
    Concept.OEDEMA: ("condition", "oedema"),
    Concept.MUSCLE_PAIN: ("condition", "muscle pain"),
    Concept.DIARRHOEA: ("condition", "diarrhoea"),
    Concept.CANDIDIASIS: ("condition", "candidiasis"),
    Concept.DIABETIC_RETINOPATHY: ("condition", "diabetic retinopathy"),
    Concept.DIABETIC_FOOT_ULCER: ("condition", "diabetic foot ulcer"),
    Concept.PERIPHERAL_ARTERIAL_DISEASE: ("condition", "peripheral arterial disease"),
    Concept.DRUG_INTOLERANCE: ("condition", "drug intolerance"),
    Concept.AMPUTATION: ("procedure", "amputation"),
}
_BY_SYSTEM_CODE = {
    Concept.ICD10_MI: ("icd10", "I21.9"),
    Concept.ICD10_STROKE: ("icd10", "I63.9"),
    Concept.ICD10_HEART_FAILURE: ("icd10", "I50.9"),
    Concept.ICD10_HIP_FRACTURE: ("icd10", "S72.0"),
    Concept.ICD10_ACUTE_KIDNEY_INJURY: ("icd10", "N17.9"),
    Concept.ICD10_HYPERKALAEMIA: ("icd10", "E87.5"),
    Concept.ICD10_HYPONATRAEMIA: ("icd10", "E87.1"),
    Concept.ICD10_DIABETIC_KETOACIDOSIS: ("icd10", "E11.1"),
    Concept.ICD10_SYNCOPE: ("icd10", "R55"),
    Concept.ICD10_INJURY: ("icd10", "T14.9"),
    Concept.ICD10_HYPOGLYCAEMIA: ("icd10", "E16.0"),
    Concept.ICD10_DIABETES_PERIPHERAL: ("icd10", "E11.5"),
    Concept.EMERGENCY_ADMISSION: ("nhsdd-admission-method", "21"),
    Concept.DISCHARGE_USUAL_RESIDENCE: ("nhsdd-discharge-destination", "19"),
}

#: Observation concepts (lab analytes and BP), in the column order of latest-value tables.
OBSERVATIONS: tuple[Concept, ...] = tuple(_OBSERVATIONS)
#: UCUM unit of each observation concept.
UNITS: MappingProxyType[Concept, str] = MappingProxyType(
    {c: unit for c, (_, _, unit) in (*_OBSERVATIONS.items(), *_HOME_OBSERVATIONS.items(), *_SCORES.items())}
)
#: Column of each concept in latest-value tables (-1 if not an observation), indexable by concept code.
OBSERVATION_COLUMN: np.ndarray = np.full(max(Concept) + 1, -1, dtype=np.int16)
OBSERVATION_COLUMN[list(OBSERVATIONS)] = np.arange(len(OBSERVATIONS))


@functools.cache
def concept_code(concept: Concept) -> Code | None:
    """The code-table row of ``concept`` (None for uncoded concepts such as a consultation)."""
    if concept in _OBSERVATIONS or concept in _HOME_OBSERVATIONS:
        domain, name, _ = _OBSERVATIONS.get(concept) or _HOME_OBSERVATIONS[concept]
        return lookup(domain, name)
    if concept in _SCORES:
        domain, name, _ = _SCORES[concept]
        return None if domain is None else lookup(domain, name)
    if concept in _BY_CONCEPT_NAME:
        return lookup(*_BY_CONCEPT_NAME[concept])
    if concept in _BY_SYSTEM_CODE:
        return lookup_code(*_BY_SYSTEM_CODE[concept])
    return None


def unit_of(concept: Concept) -> str:
    """UCUM unit of an observation concept, or ``""``."""
    return UNITS.get(Concept(concept), "")


#: The SNOMED CT problem a GP codes for a hospital ICD-10 diagnosis read in a letter.
SNOMED_FOR_ICD10: MappingProxyType[Concept, Concept] = MappingProxyType(
    {
        Concept.ICD10_MI: Concept.ACUTE_MI,
        Concept.ICD10_STROKE: Concept.STROKE,
        Concept.ICD10_HEART_FAILURE: Concept.HEART_FAILURE,
        Concept.ICD10_HIP_FRACTURE: Concept.HIP_FRACTURE,
        Concept.ICD10_ACUTE_KIDNEY_INJURY: Concept.ACUTE_KIDNEY_INJURY,
        Concept.ICD10_HYPERKALAEMIA: Concept.HYPERKALAEMIA,
        Concept.ICD10_HYPONATRAEMIA: Concept.HYPONATRAEMIA,
        Concept.ICD10_DIABETIC_KETOACIDOSIS: Concept.DIABETIC_KETOACIDOSIS,
        Concept.ICD10_SYNCOPE: Concept.SYNCOPE,
        Concept.ICD10_INJURY: Concept.FALL,
        Concept.ICD10_HYPOGLYCAEMIA: Concept.HYPOGLYCAEMIA,
        Concept.ICD10_DIABETES_PERIPHERAL: Concept.PERIPHERAL_ARTERIAL_DISEASE,
    }
)
#: ``SNOMED_FOR_ICD10`` as a lookup array indexed by concept code (0 where there is none).
SNOMED_FOR_ICD10_ARRAY: np.ndarray = np.zeros(max(Concept) + 1, dtype=np.int16)
SNOMED_FOR_ICD10_ARRAY[list(SNOMED_FOR_ICD10)] = list(SNOMED_FOR_ICD10.values())


def is_icd10(concept: np.ndarray) -> np.ndarray:
    """Mask (k,) of the ICD-10 hospital diagnosis concepts among ``concept`` (k,)."""
    return SNOMED_FOR_ICD10_ARRAY[concept] > 0


#: Smoking-status concepts in QRISK3 category order 0-4 (non, ex, light, moderate, heavy). The
#: code table has a code for light smoking (1-9 a day) but none for moderate or heavy amounts, so
#: both are coded "cigarette smoker" and read back as moderate (3).
SMOKING_CONCEPTS: tuple[Concept, ...] = (
    Concept.NEVER_SMOKED,
    Concept.EX_SMOKER,
    Concept.LIGHT_SMOKER,
    Concept.CIGARETTE_SMOKER,
    Concept.CIGARETTE_SMOKER,
)
#: QRISK3 smoking category (0-3) of each smoking-status concept, -1 elsewhere; indexable by concept code.
SMOKING_CATEGORY: np.ndarray = np.full(max(Concept) + 1, -1, dtype=np.int8)
SMOKING_CATEGORY[list(SMOKING_CONCEPTS[:4])] = np.arange(4)
#: Home (patient-generated) readings: the ``home`` system's observations.
HOME_OBSERVATIONS: tuple[Concept, ...] = tuple(_HOME_OBSERVATIONS)
#: Risk-score concepts (items of type ``ItemType.RISK_SCORE``).
RISK_SCORES: tuple[Concept, ...] = tuple(_SCORES)
