"""The NICE guideline policy: NG136 hypertension, NG28 type 2 diabetes, NG238 lipids, NG203 CKD.

Reads only the GP record (``PolicyInput.context``) and the mask. One action per patient per step,
chosen by the first rule that fires, in this priority order (each decision carries its reason):

1. safety: stop metformin at a recorded eGFR < 30 (NG28 1.7.4);
2. treatment on fresh data: nephrology referral (NG203 1.5.5), secondary-prevention statin
   (NG238 1.4), primary-prevention statin at record-based QRISK3 >= 10% or CKD (NG238 1.6),
   ACE inhibitor/ARB for albuminuria (NG203 1.6.6-8), NG136 start/step-up to the age target,
   NG28 metformin start/titration (dose capped at eGFR < 45), then SGLT2 inhibitor at
   HbA1c >= 58 on metformin or with recorded CVD/heart failure;
3. monitoring due: annual review, HbA1c, U&E, ACR, BP re-measurement, lipids (NHS Health Check).

On the v1 catalogue (an env whose mask has the v1 actions) two more NICE steps apply: before
NG136 step 4 (A + C + D all current) the A or C drug below its maximum licensed dose is raised
one step ("optimal tolerated doses", NG136 1.4.47); and NG28's sulfonylurea: gliclazide is added at
HbA1c >= 58 when metformin is at its cap (or impossible at eGFR < 30) and an SGLT2 inhibitor is
current or not indicated, then raised while HbA1c >= 53 (NG28 1.6.7), never started or raised at
eGFR < 30 or age 75 and over (the soft safety rules' limits). On v0 these rules never fire.

CKD is what NG203 1.1 calls CKD: a coded CKD 3-5, a recorded eGFR < 60, or a coded CKD stage 1/2 (CKD with
albuminuria, found from two ACR >= 3 mg/mmol by care: :func:`twin_env.care.diagnosis.acr`); it is an NG238 statin
indication, an NG136 stage-1 treatment indication ("renal disease") and brings annual review and monitoring
(NG203 1.3). The ACE inhibitor/ARB for albuminuria reads the recorded ACR itself, as NG203 1.6 states its
thresholds in ACR.

Figures: ``twin_env/data/nice_guideline_parameters.csv``; limits shared with the action masks and the
safety rules (metformin eGFR, K+ for an ACE inhibitor/ARB, NG136 step-1 age): ``clinical_limits.csv``.
"""

from __future__ import annotations

import numpy as np

from twin_env.envs.actions import ACTION_DOSES, ACTION_INDEX, TITRATED_DRUGS, next_dose, qrisk3_from_record
from twin_env.envs.observation import PROBLEMS, RECORD_MEDICATIONS
from twin_env.policies.base import Policy, PolicyInput, RowMemory
from twin_env.policies.parameters import policy_parameters
from twin_env.vocab.concepts import OBSERVATION_COLUMN, Concept
from twin_env.vocab.dates import NO_DAY
from twin_env.vocab.drugs import BP_STEP_ORDER, DRUGS, RAAS_DRUGS, ng136_step1_is_acei
from twin_env.vocab.limits import limit

_P = {name: i for i, name in enumerate(PROBLEMS)}
_M = {name: i for i, name in enumerate(RECORD_MEDICATIONS)}
#: Drugs raised to their optimal dose before NG136 step 4 (the A and C of NG136), in the order they are raised.
_OPTIMISED_BEFORE_STEP_4: tuple[str, ...] = tuple(
    d for d in ("ramipril", "losartan", "amlodipine") if d in TITRATED_DRUGS
)
_METFORMIN_MAX_MG = max(DRUGS["metformin"].products)  # mg/day, the catalogue maximum
__all__ = ["NiceGuidelinePolicy", "bp_target_mmhg", "ng136_step1_is_acei"]  # ng136_step1_is_acei: twin_env.vocab.drugs


def bp_target_mmhg(age_years: np.ndarray, acr_mg_mmol: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(systolic, diastolic) clinic targets, (N,) each: treat while BP >= target.

    NG136: < 140/90 under 80, < 150/90 at 80 and over; NG203: systolic < 130 with ACR >= 70.
    """
    p = policy_parameters("nice_guideline")
    age = np.asarray(age_years, dtype=float)
    sbp = np.where(age < p["bp_target_age_years"], p["bp_target_sbp_under_80_mmhg"], p["bp_target_sbp_80_plus_mmhg"])
    if acr_mg_mmol is not None:
        sbp = np.where(
            np.asarray(acr_mg_mmol) >= p["acei_acr_any_mg_mmol"],
            np.minimum(sbp, p["bp_target_sbp_ckd_acr_70_mmhg"]),
            sbp,
        )
    return sbp, np.full(age.shape, p["bp_target_dbp_mmhg"])


class NiceGuidelinePolicy(Policy):
    """NICE NG136/NG28/NG238/NG203 followed exactly, from the GP record; reasons cite the rule."""

    name = "nice_guideline"

    def __init__(self) -> None:
        self.p = policy_parameters("nice_guideline")
        self.memory = RowMemory(("bp_change_day", "metformin_change_day"), float(NO_DAY))

    def reset(self, seed: int | None = None) -> None:
        self.memory = RowMemory(("bp_change_day", "metformin_change_day"), float(NO_DAY))

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        actions, reasons = self.decide(inputs)
        self.remember(inputs, actions)
        return actions, reasons

    # ----- the rules ---------------------------------------------------------------------------
    def decide(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        """Rules in priority order -> ((N,) actions, reasons), without updating memory."""
        self.memory.sync(inputs.patient_index)
        ctx, p, mask = inputs.context, self.p, inputs.mask
        t, day, age = ctx.table, ctx.day, np.asarray(ctx.age_years, dtype=float)
        n = inputs.n

        def value(c: Concept) -> np.ndarray:
            return t.value[:, int(OBSERVATION_COLUMN[c])]

        def days_since(c: Concept) -> np.ndarray:
            d = t.value_day[:, int(OBSERVATION_COLUMN[c])]
            return np.where(d == NO_DAY, np.inf, day - d)

        prob = t.problem
        has = {k: prob[:, i] for k, i in _P.items()}
        cvd = has["myocardial_infarction"] | has["angina"] | has["stroke"] | has["tia"]
        dose = ctx.dose
        on = {d: dose[:, _M[d]] > 0 for d in RECORD_MEDICATIONS}
        on_bp = np.any([on[d] for d in BP_STEP_ORDER], axis=0)
        on_a = np.any([on[d] for d in RAAS_DRUGS], axis=0)
        sbp, dbp, hba1c, egfr, acr, k = (
            value(c)
            for c in (Concept.SBP, Concept.DBP, Concept.HBA1C, Concept.EGFR, Concept.URINE_ACR, Concept.POTASSIUM)
        )
        t2d, htn = has["type2_diabetes"], has["hypertension"]
        # CKD (NG203 1.1): coded CKD 3-5, a recorded eGFR < 60, or coded CKD with albuminuria (stage 1/2, eGFR >= 60)
        ckd = has["ckd_3_5"] | t.ckd_albuminuria | (egfr < 60)
        renal_fresh = days_since(Concept.EGFR) <= p["monitoring_before_prescribing_days"]
        mem = self.memory.values
        qrisk = qrisk3_from_record(ctx)

        # NG136: targets, treatment criteria, freshness of the reading that judges the last change.
        sbp_t, dbp_t = bp_target_mmhg(age, acr)
        above = (sbp >= sbp_t) | (dbp >= dbp_t)
        bp_age = days_since(Concept.SBP)
        bp_judged = (bp_age <= p["bp_reading_recent_days"]) & (
            day - bp_age >= mem["bp_change_day"] + p["bp_recheck_after_change_days"]
        )
        raised_clinic_bp = (sbp >= p["hbpm_offer_clinic_sbp_mmhg"]) | (dbp >= p["hbpm_offer_clinic_dbp_mmhg"])
        stage2 = (sbp >= p["bp_stage2_sbp_mmhg"]) | (dbp >= p["bp_stage2_dbp_mmhg"])
        stage1_indication = (age < p["bp_stage1_treat_age_below_years"]) & (
            cvd | ckd | t2d | (qrisk >= p["statin_qrisk3_threshold_percent"])
        )
        treat_bp = htn & above & (on_bp | stage2 | stage1_indication | (age >= p["bp_target_age_years"]))
        a_first = ng136_step1_is_acei(age, ctx.ethnicity, t2d)
        next_is_a = ~on_a & (a_first | on["amlodipine"])
        k_ok = ~(k > limit("raas_start_max_potassium"))
        step_ok = ~next_is_a | (k_ok & renal_fresh)

        # NG203: ACEi/ARB for albuminuria.
        acei_for_acr = (
            (t2d & (acr >= p["acei_acr_with_diabetes_mg_mmol"]))
            | (htn & (acr >= p["acei_acr_with_hypertension_mg_mmol"]))
            | (acr >= p["acei_acr_any_mg_mmol"])
        )

        # NG28: metformin and intensification.
        met = dose[:, _M["metformin"]]
        hba1c_age = days_since(Concept.HBA1C)
        hba1c_judged = (hba1c_age <= p["hba1c_recheck_days"]) & (
            day - hba1c_age >= mem["metformin_change_day"] + p["bp_recheck_after_change_days"]
        )
        met_cap = np.where(
            egfr < limit("metformin_review_egfr"), p["metformin_max_dose_reduced_egfr_mg"], _METFORMIN_MAX_MG
        )

        # NG136 "optimal tolerated doses" before step 4 (v1): the first A/C drug below its maximum.
        before_step_4 = on_a & on["amlodipine"] & on["indapamide"]
        below_max = {d: on[d] & (next_dose(d, dose[:, _M[d]]) > 0) for d in _OPTIMISED_BEFORE_STEP_4}
        raise_first = np.select(
            [below_max[d] for d in _OPTIMISED_BEFORE_STEP_4], list(_OPTIMISED_BEFORE_STEP_4), default=""
        )
        raas_ok = k_ok & renal_fresh  # U&E in the last year and K+ <= 5.0 before raising an ACEi/ARB
        titrate_bp = treat_bp & bp_judged & before_step_4

        # NG28 sulfonylurea (v1): add when metformin is at its cap (or impossible), SGLT2 current or not indicated.
        gliclazide = dose[:, _M["gliclazide"]]
        su_ok = ~(egfr < limit("sulfonylurea_avoid_egfr_below")) & (age < limit("sulfonylurea_caution_age_years"))
        metformin_done = (met >= met_cap) | (egfr < limit("metformin_min_egfr"))
        sglt2_done = on["dapagliflozin"] | ~mask[:, ACTION_INDEX["add_sglt2"]]
        add_su = (
            t2d & hba1c_judged & (hba1c >= p["hba1c_intensify_mmol_mol"]) & metformin_done & sglt2_done
            & (gliclazide == 0) & su_ok
        )  # fmt: skip
        raise_su = (
            t2d & hba1c_judged & (hba1c >= p["hba1c_target_hypoglycaemia_drug_mmol_mol"]) & (gliclazide > 0) & su_ok
        )

        health_check = (age >= p["health_check_min_age_years"]) & (age < p["health_check_max_age_years"]) & ~cvd
        review_due = (htn | t2d | ckd) & (
            np.where(t.review_day == NO_DAY, np.inf, day - t.review_day) > p["review_interval_days"]
        )
        renal_interval = np.where(
            egfr < limit("metformin_review_egfr"), p["renal_recheck_egfr_below_45_days"], p["renal_recheck_days"]
        )
        statin = on["atorvastatin"]
        lipids_interval = np.where(statin, p["lipids_on_statin_recheck_days"], p["lipids_recheck_days"])

        rules: list[tuple[str, np.ndarray, str | np.ndarray]] = [
            (
                "stop_metformin",
                on["metformin"] & (egfr < limit("metformin_min_egfr")),
                "NG28 1.7.4: stop metformin, eGFR < 30",
            ),
            (
                "refer_renal",
                (egfr < p["renal_refer_egfr"]) | (acr >= p["renal_refer_acr_mg_mmol"]),
                "NG203 1.5.5: refer, eGFR < 30 or ACR >= 70",
            ),
            (
                "start_or_intensify_statin",
                cvd & (dose[:, _M["atorvastatin"]] < ACTION_DOSES["statin_secondary_start_mg"]),
                "NG238 1.4: secondary prevention, atorvastatin 80 mg",
            ),
            (
                "start_or_intensify_statin",
                ~statin & ~cvd & (qrisk >= p["statin_qrisk3_threshold_percent"]),
                np.char.add(
                    "NG238 1.6: QRISK3 ",
                    np.char.add(np.char.mod("%.1f", np.nan_to_num(qrisk)), "% >= 10%, atorvastatin 20 mg"),
                ),
            ),
            ("start_or_intensify_statin", ~statin & ~cvd & ckd, "NG238 1.6.9: CKD, atorvastatin 20 mg"),
            (
                "step_up_antihypertensive",
                acei_for_acr & next_is_a & k_ok & renal_fresh,
                "NG203 1.6.6-8: ACE inhibitor/ARB for albuminuria",
            ),
            *(
                (
                    f"titrate_{d}",
                    titrate_bp & (raise_first == d) & (raas_ok if d in RAAS_DRUGS else True),
                    f"NG136 1.4.47: BP above target on A+C+D, {d} to its optimal dose before step 4",
                )
                for d in _OPTIMISED_BEFORE_STEP_4
            ),
            (
                "step_up_antihypertensive",
                treat_bp & bp_judged & step_ok,
                np.where(
                    on_bp,
                    "NG136 1.4: BP above target, next step",
                    np.where(
                        a_first,
                        "NG136 1.4 step 1: ACEi/ARB (under 55 or T2DM)",
                        "NG136 1.4 step 1: CCB (55+ or Black African/Caribbean, no T2DM)",
                    ),
                ),
            ),
            (
                "start_or_titrate_metformin",
                t2d
                & hba1c_judged
                & (hba1c >= p["hba1c_target_mmol_mol"])
                & (met < met_cap)
                & renal_fresh
                & (egfr >= limit("metformin_min_egfr")),
                np.where(
                    met > 0, "NG28 1.7: HbA1c above 48, titrate metformin", "NG28 1.7: HbA1c >= 48, start metformin"
                ),
            ),
            (
                "add_sglt2",
                t2d
                & ~on["dapagliflozin"]
                & renal_fresh
                & (
                    (hba1c_judged & (hba1c >= p["hba1c_intensify_mmol_mol"]) & (met >= met_cap))
                    | cvd
                    | has["heart_failure"]
                ),
                "NG28 1.7: intensify (HbA1c >= 58 on metformin) or CVD/HF, add SGLT2 inhibitor",
            ),
            (
                "start_or_titrate_gliclazide",
                add_su,
                "NG28 1.7: HbA1c >= 58 on metformin and SGLT2 inhibitor, add a sulfonylurea (gliclazide 40 mg)",
            ),
            (
                "start_or_titrate_gliclazide",
                raise_su,
                "NG28 1.6.7: HbA1c >= 53 on gliclazide, raise the dose one step",
            ),
            ("book_review", review_due, "QOF: annual review due"),
            ("order_hba1c", t2d & (hba1c_age > p["hba1c_recheck_days"]), "NG28 1.6.1: HbA1c due (3-6 monthly)"),
            (
                "order_renal",
                (t2d | htn | ckd | on["metformin"] | on_a) & (days_since(Concept.EGFR) > renal_interval),
                "NG203 1.3: eGFR/potassium due",
            ),
            (
                "order_acr",
                (t2d | htn | ckd) & (days_since(Concept.URINE_ACR) > p["renal_recheck_days"]),
                "NG203 1.3: urine ACR due",
            ),
            ("book_review", htn & above & ~bp_judged, "NG136 1.4.39: re-measure BP before/after a change"),
            (
                "bp_check",
                ~htn & raised_clinic_bp & (bp_age <= p["hbpm_after_raised_reading_days"]),
                "NG136 1.2.3: clinic BP >= 140/90 without a diagnosis, confirm with home BP",
            ),
            (
                "book_review",
                health_check & (bp_age > p["lipids_recheck_days"]),
                "NHS Health Check: BP due (5-yearly, 40-74)",
            ),
            (
                "order_lipids",
                (health_check | statin) & (days_since(Concept.TOTAL_CHOLESTEROL) > lipids_interval),
                "NG238: lipids due (Health Check / annual on statin)",
            ),
        ]
        actions = np.zeros(n, dtype=np.int64)
        reasons = np.full(n, "no NICE rule applies", dtype=object)
        free = np.ones(n, dtype=bool)
        for name, fires, why in rules:
            a = ACTION_INDEX[name]
            if a >= mask.shape[1]:
                continue  # not in the env's catalogue (a v1 action on v0)
            take = free & fires & mask[:, a]
            actions[take] = a
            reasons[take] = np.broadcast_to(np.asarray(why, dtype=object), (n,))[take]
            free &= ~take
        return actions, reasons.tolist()

    def remember(self, inputs: PolicyInput, actions: np.ndarray) -> None:
        """Record the day of each BP / glycaemic change actually taken (judged by later readings)."""
        mem = self.memory.values
        day = np.broadcast_to(inputs.context.day, (inputs.n,))  # per row once rows drift apart (auto-reset)
        bp = np.isin(actions, _BP_CHANGES)
        glycaemic = np.isin(actions, _GLYCAEMIC_CHANGES)
        mem["bp_change_day"][bp] = day[bp]
        mem["metformin_change_day"][glycaemic] = day[glycaemic]


#: Actions whose BP / glycaemic change a later reading judges (:meth:`NiceGuidelinePolicy.remember`).
_BP_CHANGES = np.array(
    [ACTION_INDEX[a] for a in ("step_up_antihypertensive", *(f"titrate_{d}" for d in TITRATED_DRUGS))]
)
_GLYCAEMIC_CHANGES = np.array(
    [ACTION_INDEX[a] for a in ("start_or_titrate_metformin", "add_sglt2", "start_or_titrate_gliclazide")]
)
