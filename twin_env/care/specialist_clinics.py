"""What a specialist clinic does at the first attendance: tests, diagnoses from them, treatment advised.

- Cardiology: a 12-lead ECG and an echocardiogram. What they show (value 1 abnormal, 0 normal) is a
  reading with a sensitivity (``ecg_af_sensitivity``, ``echo_heart_failure_sensitivity``) and, for the
  echo, a false-positive rate (``echo_heart_failure_false_positive_probability``); AF is coded from the
  ECG, heart failure from the echo with the NT-proBNP the GP referred on (NICE NG106:
  :func:`twin_env.care.diagnosis.heart_failure_from_tests`), never from the twin's flags directly. The clinic advises
  NICE NG106 treatment in heart failure (beta-blocker, ACE inhibitor unless on an ARB and K+ allows,
  SGLT2 inhibitor), rate control in AF (beta-blocker; anticoagulants are not in the drug catalogue) and
  high-intensity statin in CHD (NG238).
- Nephrology (NICE NG203): on the GP record's latest ACR, eGFR and K+, an ACE inhibitor where NG203
  offers one (diabetes and ACR >= 3, hypertension and ACR >= 30, any ACR >= 70) and K+ allows, and an
  SGLT2 inhibitor (TA775: eGFR 20-75 with type 2 diabetes or ACR >= 22.6).
- Diabetology (NICE NG28): when the GP record's latest HbA1c is at or above ``diabetology_intensify_hba1c_mmol_mol``,
  the next drug step not yet taken: metformin (unless the recorded eGFR forbids it), then an SGLT2 inhibitor
  (eGFR at least ``diabetology_sglt2_min_egfr``), then gliclazide at its lowest dose (eGFR at least
  ``diabetology_sulfonylurea_min_egfr``). One step per attendance, as a clinic letter advises it.

The GP acts on the clinic letter: the advised drugs are issued as GP prescriptions dated the clinic day,
so the twin takes them and the record shows them; a start that would break a hard prescribing limit on
the record (:func:`twin_env.care.prescribing_limits.breaks_limit`) is not made.
"""

from __future__ import annotations

import numpy as np

from twin_env.care import diagnosis
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.prescribing_limits import breaks_limit, recorded_renal
from twin_env.care.repeats import issue
from twin_env.record.ledger import LedgerKind
from twin_env.twin import random_streams as rs
from twin_env.twin import treatment
from twin_env.vocab.concepts import Concept
from twin_env.vocab.drugs import get_drug

#: Outpatient services whose first attendance changes care.
SPECIALIST_CLINICS: tuple[str, ...] = ("cardiology", "nephrology", "diabetology")


def start_advised(
    ctx: CareContext, rows: np.ndarray, drug: str, dose: float, day: np.ndarray, link: np.ndarray
) -> None:
    """Issue ``drug`` at ``dose`` to ``rows`` (k,) on ``day`` (k,) as the clinic letter ``link`` (k,) advised."""
    if rows.size == 0:
        return
    d = get_drug(drug)
    issue(ctx, rows, d.field, d.products[dose], dose, LedgerKind.PRESCRIPTION, day, link)
    treatment.start_drug(ctx.state, rows, d, dose, ctx.twin_params)


def _not_on(ctx: CareContext, rows: np.ndarray, *fields: str) -> np.ndarray:
    """(k,) bool: none of ``fields``' drugs is prescribed to ``rows`` (k,)."""
    return np.logical_and.reduce([ctx.care.rx_concept[f][rows] == 0 for f in fields])


def _acei_allowed(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(k,) bool: an ACE inhibitor start breaks no limit on the record and no RAAS blocker is prescribed."""
    egfr, potassium = recorded_renal(ctx, rows, day)
    return _not_on(ctx, rows, "dose_acei", "dose_arb") & ~breaks_limit("dose_acei", egfr, potassium, new=True)


def echo_shows_heart_failure(ctx: CareContext, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """(k,) bool: the echocardiogram of ``rows`` (k,) on ``day`` (k,) shows heart failure.

    The image is of the true ventricle: heart failure shows with ``echo_heart_failure_sensitivity``, and
    a heart without it is reported as failing with ``echo_heart_failure_false_positive_probability``.
    """
    s, p = ctx.state, ctx.params
    u = rs.uniform(s.patient_key[rows], day, CareChannel.ECHO_FINDING)
    return np.where(
        s.heart_failure[rows],
        u < p["echo_heart_failure_sensitivity"],
        u < p["echo_heart_failure_false_positive_probability"],
    )


def cardiology(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """First cardiology attendance of ``rows`` (k,) on ``day`` (k,), attendance seqs ``link`` (k,)."""
    s, p, d = ctx.state, ctx.params, ctx.care.diagnosed
    keys, on = s.patient_key[rows], np.asarray(day, dtype=np.int64)
    ecg_af = s.atrial_fibrillation[rows] & (rs.uniform(keys, on, CareChannel.ECG_FINDING) < p["ecg_af_sensitivity"])
    echo_hf = echo_shows_heart_failure(ctx, rows, on)
    ctx.ledger.append(rows, LedgerKind.IMAGING, Concept.ECG, day, value=ecg_af.astype(np.float64), link=link)
    ctx.ledger.append(
        rows, LedgerKind.IMAGING, Concept.ECHOCARDIOGRAM, day, value=echo_hf.astype(np.float64), link=link
    )
    diagnosis.atrial_fibrillation_from_ecg(ctx, rows, day, link, ecg_af)
    ntprobnp = ctx.care.referral_ntprobnp_ng_l[rows]  # NaN: not referred on an NT-proBNP
    ctx.care.referral_ntprobnp_ng_l[rows] = np.nan
    diagnosis.heart_failure_from_tests(ctx, rows, day, link, ntprobnp, echo_hf)
    hf, af, chd = d["heart_failure"][rows], d["atrial_fibrillation"][rows], d["chd"][rows]
    beta = (hf | af) & _not_on(ctx, rows, "dose_beta_blocker")
    start_advised(ctx, rows[beta], "bisoprolol", 1.0, day[beta], link[beta])
    acei = hf & _acei_allowed(ctx, rows, day)
    start_advised(ctx, rows[acei], "ramipril", 1.0, day[acei], link[acei])
    sglt2 = hf & _not_on(ctx, rows, "sglt2")
    start_advised(ctx, rows[sglt2], "dapagliflozin", 10.0, day[sglt2], link[sglt2])
    statin = chd & (ctx.care.rx_dose["statin_ldl_reduction"][rows] < 80.0)
    start_advised(ctx, rows[statin], "atorvastatin", 80.0, day[statin], link[statin])


def nephrology(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """First nephrology attendance of ``rows`` (k,) on ``day`` (k,), attendance seqs ``link`` (k,): NG203 review."""
    p, d = ctx.params, ctx.care.diagnosed
    egfr, _ = recorded_renal(ctx, rows, day)
    acr = np.full(rows.size, np.nan) if ctx.results is None else ctx.results.latest(rows, day, Concept.URINE_ACR)
    t2d, htn = d["type2_diabetes"][rows], d["hypertension"][rows]
    raas_indicated = (
        (t2d & (acr >= p["ckd_raas_acr_diabetes_mg_mmol"]))
        | (htn & (acr >= p["ckd_raas_acr_hypertension_mg_mmol"]))
        | (acr >= p["ckd_raas_acr_any_mg_mmol"])
    )
    acei = raas_indicated & _acei_allowed(ctx, rows, day)
    start_advised(ctx, rows[acei], "ramipril", 1.0, day[acei], link[acei])
    sglt2 = (
        _not_on(ctx, rows, "sglt2")
        & (egfr >= p["ckd_sglt2_min_egfr"])
        & (egfr <= p["ckd_sglt2_max_egfr"])
        & (t2d | (acr >= p["ckd_sglt2_acr_mg_mmol"]))
    )
    start_advised(ctx, rows[sglt2], "dapagliflozin", 10.0, day[sglt2], link[sglt2])


def diabetology(ctx: CareContext, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """First diabetology attendance of ``rows`` (k,) on ``day`` (k,), attendance seqs ``link`` (k,): one NG28 step."""
    p = ctx.params
    egfr, potassium = recorded_renal(ctx, rows, day)
    hba1c = np.full(rows.size, np.nan) if ctx.results is None else ctx.results.latest(rows, day, Concept.HBA1C)
    todo = hba1c >= p["diabetology_intensify_hba1c_mmol_mol"]  # NaN (no result) advises nothing
    known = ~np.isnan(egfr)
    steps = (
        ("metformin", 500.0, ~breaks_limit("metformin_mg_day", egfr, potassium, new=True), "metformin_mg_day"),
        ("dapagliflozin", 10.0, known & (egfr >= p["diabetology_sglt2_min_egfr"]), "sglt2"),
        ("gliclazide", 40.0, known & (egfr >= p["diabetology_sulfonylurea_min_egfr"]), "gliclazide_mg_day"),
    )
    for drug, dose, allowed, field in steps:
        start = todo & allowed & _not_on(ctx, rows, field)
        start_advised(ctx, rows[start], drug, dose, day[start], link[start])
        todo &= ~start  # one step per attendance; those already on it, or not allowed it, go on to the next


def assess(ctx: CareContext, service: str, rows: np.ndarray, day: np.ndarray, link: np.ndarray) -> None:
    """First attendance of ``rows`` (k,) at ``service``'s clinic; services without a modelled effect do nothing."""
    if rows.size == 0:
        return
    if service == "cardiology":
        cardiology(ctx, rows, day, link)
    elif service == "nephrology":
        nephrology(ctx, rows, day, link)
    elif service == "diabetology":
        diabetology(ctx, rows, day, link)
