"""Deployment contracts: which record items feed a model, how fresh they must be, who is eligible.

A :class:`ModelContract` is data. Each :class:`InputItem` names its record source (a ``source``
kind that :mod:`twin_env.models.deployment` implements once, vectorised), the GP concepts it
reads, a recency window and a missing/stale policy:

- ``refuse``: no score for that patient; the result says which input was missing or stale;
- ``impute``: use the documented :class:`Substitute` and flag the score as imputed;
- ``absent``: a flag that is not recorded is taken as absent (False), as a coded record is read.

:class:`EligibilityRule` rows name the items they test. The truth-side equivalent of each item
(:data:`twin_env.analysis.model_monitoring.TRUTH`) lives in monitoring, which scores the latent state for
comparison only; deployment never reads it.
"""

from __future__ import annotations

import dataclasses

from twin_env.vocab.codes import Code, lookup
from twin_env.vocab.concepts import SMOKING_CONCEPTS, Concept
from twin_env.vocab.problems import PROBLEMS

#: Kinds of record source an item can have (see :mod:`twin_env.models.deployment`).
SOURCES: tuple[str, ...] = (
    "registration",  # demographics held at registration: age_years, female, ethnicity, townsend
    "latest",  # latest GP observation of ``concepts[0]`` within the window
    "sd",  # sample SD of the GP observations of ``concepts[0]`` within the window (>= 2 readings)
    "ratio",  # latest concepts[0] / latest concepts[1], each within the window
    "problem",  # any coded GP problem among ``concepts`` (ever)
    "medication",  # a GP issue of one of ``concepts`` within the window, not stopped since
    "problem_and_medication",  # a problem among ``concepts`` and a current issue of ``medications``
    "death",  # a death notified to the GP
    "smoking",  # latest coded smoking status, as the QRISK3 category 0-3 (see concepts.SMOKING_CATEGORY)
    "not_recorded",  # the twin's GP record has no concept for it (code: what a real record would use)
)
POLICIES: tuple[str, ...] = ("refuse", "impute", "absent")
FIVE_YEARS_DAYS = 1826
#: A repeat is issued every 28 days; an issue within 90 days counts as a current prescription.
CURRENT_PRESCRIPTION_DAYS = 90


@dataclasses.dataclass(frozen=True)
class Substitute:
    """An imputed value and where it comes from."""

    value: float
    source: str


@dataclasses.dataclass(frozen=True)
class InputItem:
    """One input (or eligibility item) of a model and the record items that feed it.

    ``name`` is the model's keyword (e.g. ``"sbp"``); ``window_days`` the recency window (None:
    any date); ``code`` the code a real record would use when the twin has no concept for it.
    """

    name: str
    source: str
    description: str
    concepts: tuple[Concept, ...] = ()
    medications: tuple[Concept, ...] = ()
    window_days: int | None = None
    policy: str = "refuse"
    substitute: Substitute | None = None
    code: Code | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"InputItem {self.name!r}: source {self.source!r} not in {list(SOURCES)}")
        if self.policy not in POLICIES:
            raise ValueError(f"InputItem {self.name!r}: policy {self.policy!r} not in {list(POLICIES)}")
        if (self.policy == "impute") != (self.substitute is not None):
            raise ValueError(f"InputItem {self.name!r}: policy 'impute' needs a substitute, and only it")


@dataclasses.dataclass(frozen=True)
class EligibilityRule:
    """Who may be scored: ``kind`` is ``between`` (low <= item < high), ``false`` (item not
    true) or ``not_below`` (item >= low, or no value recorded); ``reason`` is shown on refusal."""

    item: str
    kind: str
    reason: str
    low: float = 0.0
    high: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("between", "false", "not_below"):
            raise ValueError(
                f"EligibilityRule on {self.item!r}: kind {self.kind!r} not in ['between', 'false', 'not_below']"
            )


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """What a run writes back: a RiskAssessment (and a coded observation when ``code`` exists)."""

    outcome: str
    horizon_years: float
    code: Code | None
    unit: str = "%"


@dataclasses.dataclass(frozen=True)
class ModelContract:
    """The declared interface of a deployed model: inputs, context items, eligibility, output.

    ``inputs`` are passed to the model (by name); ``context`` items are read only for eligibility.
    """

    model_id: str
    title: str
    inputs: tuple[InputItem, ...]
    context: tuple[InputItem, ...]
    eligibility: tuple[EligibilityRule, ...]
    output: OutputSpec

    def __post_init__(self) -> None:
        names = [i.name for i in self.items]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"contract {self.model_id!r}: items named more than once: {duplicated}")
        unknown = sorted({r.item for r in self.eligibility} - set(names))
        if unknown:
            raise ValueError(f"contract {self.model_id!r}: eligibility rules name unknown items {unknown}")

    @property
    def items(self) -> tuple[InputItem, ...]:
        return self.inputs + self.context

    def item(self, name: str) -> InputItem:
        for i in self.items:
            if i.name == name:
                return i
        raise ValueError(f"contract {self.model_id!r} has no item {name!r}; items: {[i.name for i in self.items]}")


# ----- substitutes (ClinRisk's batch engine, clinical.md section 1) ------------------------------
_CLINRISK_BATCH = (
    "ClinRisk QRISK3 batch engine missing-value substitute (45-year-old White woman; reference/clinical.md s1)"
)
SUBSTITUTES: dict[str, Substitute] = {
    "bmi": Substitute(26.8, _CLINRISK_BATCH),
    "chol_hdl_ratio": Substitute(3.5, _CLINRISK_BATCH),
    "sbp": Substitute(123.1, _CLINRISK_BATCH),
    "sbp_sd": Substitute(0.0, _CLINRISK_BATCH),
    "townsend": Substitute(0.0, _CLINRISK_BATCH),
    "smoking": Substitute(
        0.0, "[assumption] no ClinRisk substitute in the reference; non-smoker, the QRISK3 calculator's default"
    ),
}

_HYPERTENSION = PROBLEMS["hypertension"]
_ANTIHYPERTENSIVES = (
    Concept.RAMIPRIL_2_5MG,
    Concept.RAMIPRIL_5MG,
    Concept.RAMIPRIL_10MG,
    Concept.LOSARTAN_50MG,
    Concept.AMLODIPINE_5MG,
    Concept.AMLODIPINE_10MG,
    Concept.INDAPAMIDE_2_5MG,
    Concept.BISOPROLOL_5MG,
    Concept.DOXAZOSIN_4MG,
    Concept.SPIRONOLACTONE_25MG,
)
_STATINS = (Concept.ATORVASTATIN_10MG, Concept.ATORVASTATIN_20MG, Concept.ATORVASTATIN_40MG, Concept.ATORVASTATIN_80MG)
_CVD = (Concept.ACUTE_MI, Concept.MYOCARDIAL_INFARCTION, Concept.ANGINA, Concept.STROKE, Concept.TIA)
_W = FIVE_YEARS_DAYS

# ----- the standard items (reusable by user contracts) ------------------------------------------
AGE = InputItem("age", "registration", "age in completed years at the run date (date of birth)")
FEMALE = InputItem("female", "registration", "sex at registration")
ETHNICITY = InputItem("ethnicity", "registration", "ethnic category, as QRISK3 code 1-9")
TOWNSEND = InputItem(
    "townsend",
    "registration",
    "Townsend score of the patient's IMD quintile (twin parameter townsend_mean_imd_quintile_q)",
    policy="impute",
    substitute=SUBSTITUTES["townsend"],
)
SMOKING = InputItem(
    "smoking",
    "smoking",
    "latest coded smoking status as QRISK3 category 0-3 (never, ex, light; 'cigarette smoker' = 3: "
    "the code table codes no moderate or heavy amount)",
    SMOKING_CONCEPTS[:4],
    policy="impute",
    substitute=SUBSTITUTES["smoking"],
)
BMI = InputItem(
    "bmi",
    "latest",
    "latest BMI, kg/m2",
    (Concept.BMI,),
    window_days=_W,
    policy="impute",
    substitute=SUBSTITUTES["bmi"],
)
SBP = InputItem("sbp", "latest", "latest systolic BP, mmHg", (Concept.SBP,), window_days=_W)
SBP_IMPUTED = dataclasses.replace(SBP, policy="impute", substitute=SUBSTITUTES["sbp"])
SBP_SD = InputItem(
    "sbp_sd",
    "sd",
    "SD of the systolic readings in the window (>= 2), mmHg",
    (Concept.SBP,),
    window_days=_W,
    policy="impute",
    substitute=SUBSTITUTES["sbp_sd"],
)
CHOL_HDL_RATIO = InputItem(
    "chol_hdl_ratio",
    "ratio",
    "latest total cholesterol / latest HDL cholesterol",
    (Concept.TOTAL_CHOLESTEROL, Concept.HDL_CHOLESTEROL),
    window_days=_W,
    policy="impute",
    substitute=SUBSTITUTES["chol_hdl_ratio"],
)
ATRIAL_FIBRILLATION = InputItem(
    "atrial_fibrillation", "problem", "AF coded", (Concept.ATRIAL_FIBRILLATION,), policy="absent"
)
CKD_3_5 = InputItem("ckd_3_5", "problem", "CKD stage 3-5 coded", (Concept.CKD_STAGE_3,), policy="absent")
TYPE2_DIABETES = InputItem(
    "type2_diabetes", "problem", "type 2 diabetes coded", (Concept.TYPE2_DIABETES,), policy="absent"
)
TREATED_HYPERTENSION = InputItem(
    "treated_hypertension",
    "problem_and_medication",
    f"hypertension coded and an antihypertensive issued in the last {CURRENT_PRESCRIPTION_DAYS} days",
    _HYPERTENSION,
    _ANTIHYPERTENSIVES,
    window_days=CURRENT_PRESCRIPTION_DAYS,
    policy="absent",
)
STATINS = InputItem(
    "statins",
    "medication",
    f"a statin issued in the last {CURRENT_PRESCRIPTION_DAYS} days",
    (),
    _STATINS,
    window_days=CURRENT_PRESCRIPTION_DAYS,
    policy="absent",
)
CVD = InputItem("cvd", "problem", "CHD (MI, angina), stroke or TIA coded", _CVD, policy="absent")
TYPE1_DIABETES = InputItem(
    "type1_diabetes",
    "not_recorded",
    "type 1 diabetes (the code table has no SNOMED CT code for it, so never seen)",
    policy="absent",
)
EGFR = InputItem("egfr", "latest", "latest eGFR, mL/min/1.73m2", (Concept.EGFR,), window_days=_W, policy="absent")
DECEASED = InputItem("deceased", "death", "death notified to the practice", policy="absent")
_NOT_RECORDED_FLAGS = (
    "atypical_antipsychotics",
    "corticosteroids",
    "erectile_dysfunction",
    "migraine",
    "rheumatoid_arthritis",
    "severe_mental_illness",
    "sle",
    "family_history_cvd",
    "family_history_diabetes",
    "gestational_diabetes",
    "learning_disability",
    "schizophrenia_or_bipolar",
    "pcos",
)
#: Flags the twin's GP record has no concept for: read as absent.
NOT_RECORDED_FLAG = {
    name: InputItem(
        name, "not_recorded", f"{name.replace('_', ' ')} (no concept in the twin's GP record: absent)", policy="absent"
    )
    for name in _NOT_RECORDED_FLAGS
}

AGE_25_84 = EligibilityRule(
    "age", "between", "age outside 25-84", 25, 85, "QRISK3/QDiabetes-2018 validity range; NICE NG238"
)
ALIVE = EligibilityRule("deceased", "false", "patient deceased")

QRISK3_CONTRACT = ModelContract(
    model_id="qrisk3-2017",
    title="QRISK3-2017 10-year cardiovascular disease risk",
    inputs=(
        AGE,
        FEMALE,
        ETHNICITY,
        SMOKING,
        BMI,
        CHOL_HDL_RATIO,
        SBP,
        SBP_SD,
        TOWNSEND,
        ATRIAL_FIBRILLATION,
        CKD_3_5,
        TREATED_HYPERTENSION,
        TYPE2_DIABETES,
        *(
            NOT_RECORDED_FLAG[n]
            for n in (
                "atypical_antipsychotics",
                "corticosteroids",
                "erectile_dysfunction",
                "migraine",
                "rheumatoid_arthritis",
                "severe_mental_illness",
                "sle",
                "family_history_cvd",
            )
        ),
        TYPE1_DIABETES,
    ),
    context=(CVD, EGFR, DECEASED),
    eligibility=(
        ALIVE,
        AGE_25_84,
        EligibilityRule(
            "cvd", "false", "CVD recorded (CHD, stroke or TIA)", source="NICE NG238: QRISK3 is for people without CVD"
        ),
        EligibilityRule(
            "type1_diabetes", "false", "type 1 diabetes", source="NICE NG238: do not use QRISK3 in type 1 diabetes"
        ),
        EligibilityRule(
            "egfr", "not_below", "eGFR below 60", low=60.0, source="NICE NG238: do not use QRISK3 if eGFR < 60"
        ),
    ),
    output=OutputSpec(
        "cardiovascular disease (CHD, ischaemic stroke, TIA)",
        10.0,
        lookup("observable", "QRISK3 10-year CVD risk score"),
    ),
)

QDIABETES_CONTRACT = ModelContract(
    model_id="qdiabetes-2018-a",
    title="QDiabetes-2018 model A 10-year type 2 diabetes risk",
    inputs=(
        AGE,
        FEMALE,
        ETHNICITY,
        SMOKING,
        BMI,
        TOWNSEND,
        TREATED_HYPERTENSION,
        STATINS,
        CVD,
        *(
            NOT_RECORDED_FLAG[n]
            for n in (
                "atypical_antipsychotics",
                "corticosteroids",
                "gestational_diabetes",
                "learning_disability",
                "schizophrenia_or_bipolar",
                "pcos",
                "family_history_diabetes",
            )
        ),
    ),
    context=(TYPE2_DIABETES, TYPE1_DIABETES, DECEASED),
    eligibility=(
        ALIVE,
        AGE_25_84,
        EligibilityRule(
            "type2_diabetes", "false", "diabetes recorded", source="QDiabetes-2018: people without diabetes"
        ),
        EligibilityRule("type1_diabetes", "false", "type 1 diabetes", source="QDiabetes-2018: people without diabetes"),
    ),
    # no SNOMED code for a QDiabetes score in the code table: the RiskAssessment carries the model id only
    output=OutputSpec("type 2 diabetes", 10.0, None),
)

CONTRACTS: dict[str, ModelContract] = {"qrisk3": QRISK3_CONTRACT, "qdiabetes": QDIABETES_CONTRACT}
