"""The NHS Health Check: invitations every five years to eligible 40-74s, the check, and the follow-up it triggers.

Eligibility is read from what the practice knows (``CareState``): aged 40-74 on the invitation day, no
recorded hypertension, diabetes, CKD, CHD, stroke/TIA, heart failure or AF, and no statin prescribed.
Each patient has a place in the five-year cycle (a pure function of the patient key), so invitations
are spread evenly. Uptake rises with age (60-74 vs 40-59) and slightly with deprivation (Robson 2016).
The GP record shows each invitation (an administrative entry on the first day of the step it falls due
in; uncoded: no code for it was found, see ``codes.csv``) and, for those who do not take it up, a
"did not attend NHS Health Check" entry (SNOMED CT 522351000000107) on the day the check would have been.
The check is costed as one payment (``health_check_cost_gbp``: 28 GBP with laboratory bloods, Pulse 2013,
anecdotal; no national average was found) that includes its bloods (the reward's care costs,
:mod:`twin_env.envs.core`).

The check (an encounter coded "NHS Health Check completed") records BP, BMI, smoking status and a
lipid profile, and (in a share) an HbA1c where BP >= 140/90 or BMI >= 30 (the 2013 rule); results diagnose as any
result does (:func:`twin_env.care.pathology.take_sample`). About three weeks later the GP reviews the
results: a share of those with a raised BP come back for a follow-up BP reading
(:func:`twin_env.care.measurements.measure_bp`, which diagnoses as any clinic reading does), and a
share of those with a recorded HbA1c of 42-47 mmol/mol are referred to the NHS DPP. QRISK3 is not
scored at the check (care sits below the models that score the record). Figures:
``twin_env/data/programme_parameters.csv``.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import home_bp, referrals
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.measurements import measure_bp, observed_bp_mmhg
from twin_env.care.pathology import take_sample
from twin_env.care.state import CHRONIC_CONDITIONS
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.vocab.concepts import SMOKING_CONCEPTS, Concept
from twin_env.vocab.dates import DAYS_PER_YEAR, NEVER
from twin_env.vocab.panels import Test

#: Recorded conditions that exclude a patient from the programme (they are on a register already).
EXCLUDING_CONDITIONS: tuple[str, ...] = CHRONIC_CONDITIONS
_SMOKING_CONCEPT = np.array(SMOKING_CONCEPTS, dtype=np.int16)
_FOLLOW_UP_COUNTER = np.int64(1) << 40  # a follow-up's BP draws are independent of a consultation's in the step


def interval_days(ctx: CareContext) -> int:
    """Days between invitations (five years)."""
    return int(round(ctx.params["health_check_interval_years"] * DAYS_PER_YEAR))


def eligible(ctx: CareContext, rows: np.ndarray) -> np.ndarray:
    """(k,) bool: ``rows`` (k,) are eligible today, on what the practice knows (age, registers, statin)."""
    p, care, age = ctx.params, ctx.care, ctx.state.age_years[rows]
    in_age = (age >= p["health_check_min_age_years"]) & (age <= p["health_check_max_age_years"])
    registered = np.logical_or.reduce([care.diagnosed[c][rows] for c in EXCLUDING_CONDITIONS])
    return in_age & ~registered & (care.rx_concept["statin_ldl_reduction"][rows] == 0)


def uptake_probability(ctx: CareContext, rows: np.ndarray) -> np.ndarray:
    """(k,) chance an invitation to ``rows`` (k,) is taken up, by age band and IMD quintile (1 most deprived)."""
    p, s = ctx.params, ctx.state
    older = s.age_years[rows] >= 60.0
    more_deprived = 3.0 - s.imd_quintile[rows].astype(np.float64)
    prob = (
        p["health_check_uptake_base_probability"]
        * np.where(older, p["health_check_uptake_ratio_60_74"], 1.0)
        * p["health_check_uptake_ratio_per_quintile_more_deprived"] ** more_deprived
    )
    return np.minimum(prob, 1.0)


def invite(ctx: CareContext, day0: np.ndarray, day1: np.ndarray, span: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Invitations due in the step from ``day0`` to ``day1`` (N,); the eligible who take them up are checked.

    Returns the rows checked this step (intp). ``span`` (N,) is the step's length in days, ``counter`` (N,)
    the random-stream counter.
    """
    care, s = ctx.care, ctx.state
    cycle = interval_days(ctx)
    new = np.flatnonzero((care.health_check_due < 0) & s.alive)
    if new.size:  # rows given a patient: a first invitation phased over the cycle
        phase = rs.uniform(s.patient_key[new], 0, CareChannel.HEALTH_CHECK_PHASE)
        care.health_check_due[new] = day0[new] + (phase * cycle).astype(np.int32)
    home = s.alive & (care.admission < 0)
    due = np.flatnonzero(home & (care.health_check_due <= day1) & (care.health_check_due >= 0))
    if due.size == 0:  # no invitation due this step (most steps of a small batch): nothing below would act
        return due
    care.health_check_due[due] += cycle
    due = due[eligible(ctx, due)]
    ctx.ledger.append(due, LedgerKind.ADMINISTRATIVE, Concept.NHS_HEALTH_CHECK_INVITATION, day0[due])
    u = rs.uniform(s.patient_key[due], counter[due], CareChannel.HEALTH_CHECK_UPTAKE)
    attends = u < uptake_probability(ctx, due)
    day = day0[due] + (rs.uniform(s.patient_key[due], counter[due], CareChannel.HEALTH_CHECK_DAY) * span[due])
    day = day.astype(np.int64)
    absent = ~attends
    ctx.ledger.append(due[absent], LedgerKind.ADMINISTRATIVE, Concept.NHS_HEALTH_CHECK_DID_NOT_ATTEND, day[absent])
    rows = due[attends]
    check(ctx, rows, day[attends], counter)
    return rows


def check(ctx: CareContext, rows: np.ndarray, day: np.ndarray, counter: np.ndarray) -> None:
    """The Health Check of ``rows`` (k,) on ``day`` (k,): measurements, bloods, and the results review booked."""
    if rows.size == 0:  # every invitee declined: nothing drawn or logged
        return
    s, p, care = ctx.state, ctx.params, ctx.care
    k, c = s.patient_key[rows], counter[rows]
    seq = ctx.ledger.append(rows, LedgerKind.CONSULTATION, Concept.NHS_HEALTH_CHECK, day)
    sbp, dbp = observed_bp_mmhg(
        s,
        rows,
        p,
        visit_z=(
            rs.standard_normal(k, c, CareChannel.HEALTH_CHECK_SBP_VISIT),
            rs.standard_normal(k, c, CareChannel.HEALTH_CHECK_DBP_VISIT),
        ),
        error_z=(
            rs.standard_normal(k, c, CareChannel.HEALTH_CHECK_SBP_NOISE),
            rs.standard_normal(k, c, CareChannel.HEALTH_CHECK_DBP_NOISE),
        ),
    )
    sbp, dbp = np.rint(sbp), np.rint(dbp)
    bmi = np.round(
        s.bmi_kg_m2[rows]
        + p["bmi_measurement_sd_kg_m2"] * rs.standard_normal(k, c, CareChannel.HEALTH_CHECK_BMI_NOISE),
        1,
    )
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.SBP, day, value=sbp, link=seq)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.DBP, day, value=dbp, link=seq)
    ctx.ledger.append(rows, LedgerKind.OBSERVATION, Concept.BMI, day, value=bmi, link=seq)
    status = _SMOKING_CONCEPT[s.smoking[rows].astype(np.intp)]
    ctx.ledger.append(rows, LedgerKind.SMOKING_STATUS, status, day, link=seq)
    take_sample(ctx, rows, Test.LIPIDS, day, seq, counter, CareChannel.HEALTH_CHECK_ANALYTE)
    raised = (sbp >= p["health_check_hba1c_sbp_threshold_mmhg"]) | (dbp >= p["health_check_hba1c_dbp_threshold_mmhg"])
    hba1c = (raised | (bmi >= p["health_check_hba1c_bmi_threshold_kg_m2"])) & (
        rs.uniform(k, c, CareChannel.HEALTH_CHECK_HBA1C_DONE) < p["health_check_hba1c_done_probability"]
    )
    before = len(ctx.ledger)
    take_sample(ctx, rows[hba1c], Test.HBA1C, day[hba1c], seq[hba1c], counter, CareChannel.HEALTH_CHECK_ANALYTE)
    reported = ctx.ledger.since(before)
    result = np.flatnonzero((reported["kind"] == LedgerKind.TEST_RESULT) & (reported["concept"] == Concept.HBA1C))
    care.health_check_hba1c[rows] = np.nan
    care.health_check_hba1c[reported["patient"][result] - ctx.ledger.first_id] = reported["value"][result]
    wait = ctx.lognormal_days(
        rows,
        CareChannel.HEALTH_CHECK_FOLLOW_UP_DAY,
        "health_check_results_review_median_days",
        "health_check_results_review_sigma_log",
    )
    care.health_check_follow_up[rows] = day + wait
    care.health_check_link[rows] = seq
    bp_recheck = raised & (
        rs.uniform(k, c, CareChannel.HEALTH_CHECK_FOLLOW_UP) < p["health_check_bp_follow_up_probability"]
    )
    care.health_check_bp_recheck[rows] = bp_recheck


def follow_up(ctx: CareContext, day1: np.ndarray, counter: np.ndarray) -> None:
    """Results reviews due by ``day1`` (N,): follow-up BP and a home series, NHS DPP referrals for an HbA1c of 42-47."""
    s, p, care = ctx.state, ctx.params, ctx.care
    rows = np.flatnonzero((care.health_check_follow_up <= day1) & s.alive & (care.admission < 0))
    if rows.size == 0:
        return
    day = care.health_check_follow_up[rows].astype(np.int64)
    link = care.health_check_link[rows]
    care.health_check_follow_up[rows] = NEVER
    recheck = care.health_check_bp_recheck[rows]
    care.health_check_bp_recheck[rows] = False
    seq = ctx.ledger.append(
        rows[recheck], LedgerKind.CONSULTATION, Concept.CONSULTATION, day[recheck], link=link[recheck]
    )
    measure_bp(ctx, rows[recheck], day[recheck], seq, counter + _FOLLOW_UP_COUNTER)
    # the check's pathway for a raised BP: out-of-office BP to confirm (NG136), whatever this reading shows
    home_bp.ask(ctx, rows[recheck & ~care.diagnosed["hypertension"][rows]])
    hba1c = care.health_check_hba1c[rows]
    ndh = (hba1c >= p["health_check_ndh_hba1c_min_mmol_mol"]) & (hba1c < 48.0) & ~care.diagnosed["type2_diabetes"][rows]
    u = rs.uniform(s.patient_key[rows], counter[rows], CareChannel.HEALTH_CHECK_DPP)
    dpp = ndh & (u < p["health_check_dpp_referral_probability"])
    referrals.refer(ctx, rows[dpp], "diabetes_prevention", day[dpp], link[dpp])
