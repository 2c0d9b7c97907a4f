"""The latent twin states a patient's record implies: a posterior ensemble by importance sampling over the
twin's own generative model.

Method (``twin_from_record``; docs/patient_twin.md, "The latent state it implies"):

1. Prior: ``POOL_PER_CANDIDATE x n_candidates`` patients from the twin's population sampler at the
   record's exact age on ``as_of``, with its sex, ethnicity and IMD quintile when known
   (:mod:`twin_env.patient_twin.prior`); the record's smoking status, coded risk flags and current
   medicines are set in each. ``n_candidates`` of them are chosen by systematic resampling with probability
   q = half the screen's (the coded-conditions likelihood and one reading's worth of the HbA1c readings at the
   prior levels) and half uniform: the screen finds candidates with a coded rare condition or a diabetic HbA1c,
   the uniform half (a defensive mixture) keeps any candidate's correction 1 / (pool x q) within twice the
   prior's where the screen misjudges. The final weight divides q out, so the screen changes the efficiency,
   not the target.
2. Proposal: the continuous latent draws the readings inform (BMI, SBP and DBP offsets, white-coat
   effects, HDL, cholesterol ratio, untreated HbA1c, eGFR, urine ACR, potassium, adherence) are redrawn jointly
   from their linearised Gaussian posterior given the readings, outliers down-weighted
   (:mod:`twin_env.patient_twin.proposal`). The visit-to-visit SD is then drawn on a grid given the BP readings.
3. Weight: log w = sum over blocks of (log prior - log proposal) + log likelihood of every weighed reading
   on its own date (:mod:`twin_env.patient_twin.levels`, :mod:`twin_env.patient_twin.likelihood`) + log
   likelihood of the coded and uncoded conditions. Discrete parts (which conditions a candidate has,
   smoking, risk flags) are weighed as drawn from the prior (after the screen).
4. Guard against weight collapse: while the effective sample size of the pooled weights is below
   :data:`EFFECTIVE_SAMPLE_SIZE_FLOOR`, another batch of candidates from a fresh prior pool is weighed and
   pooled (up to :data:`MAX_BATCHES`); each batch's weights carry their own 1 / (pool x q), so pooling is exact.
5. Resample ``n_samples`` rows with probability proportional to w (systematic resampling), then make each
   a consistent twin state on ``as_of``: levels and treatment effects recomputed, hypertension and CKD
   3-5 set from the levels as the twin defines them, the risk-equation caches cleared.

Assumptions and what it ignores: a candidate's offsets are fixed over the record's span (the twin's BMI
random walk's variance aside; smoking changes before ``as_of`` are not run back); past HbA1c, eGFR and ACR
are the twin's dynamics run back date by date; medicines stopped before ``as_of`` are not on the record read;
a present condition is coded with the twin's baseline diagnosed probability; the probabilities of AF, heart
failure, CHD and stroke/TIA are the prior's given the candidate's prior levels (not re-drawn when a proposal
moves SBP or BMI); medicines say nothing about conditions beyond their effect on the readings.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.patient_twin.levels import levels_on
from twin_env.patient_twin.likelihood import coded_loglik, gather_readings, reading_loglik, reading_moments
from twin_env.patient_twin.prior import check_age, prior_candidates
from twin_env.patient_twin.proposal import propose, propose_visit_sd
from twin_env.patient_twin.record import PatientRecord
from twin_env.twin.baseline_conditions import baseline_hba1c_mmol_mol
from twin_env.twin.cohort import resolve_parameters, validate_seed
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.state import CONDITIONS, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

#: Candidates refined per posterior sample when ``n_candidates`` is not given (and at least MIN_CANDIDATES).
CANDIDATES_PER_SAMPLE = 5
MIN_CANDIDATES = 500
#: Prior candidates screened per refined candidate.
POOL_PER_CANDIDATE = 10
#: The guard against weight collapse: while the effective sample size of the weights is below this floor, another
#: batch of candidates (a fresh prior pool) is drawn and pooled, up to MAX_BATCHES batches in all.
EFFECTIVE_SAMPLE_SIZE_FLOOR = 50.0
MAX_BATCHES = 4

#: Latent levels :meth:`PatientTwin.summary` reports (state field names, units in the names).
SUMMARY_LEVELS: tuple[str, ...] = (
    "sbp_mmhg",
    "sbp_untreated_mmhg",
    "dbp_mmhg",
    "egfr_ml_min_1_73m2",
    "hba1c_mmol_mol",
    "ldl_mmol_l",
    "total_chol_mmol_l",
    "hdl_mmol_l",
    "bmi_kg_m2",
)


@dataclasses.dataclass(frozen=True)
class PatientTwin:
    """A posterior ensemble of one patient: ``state`` (n_samples rows, valid twin states on ``record.as_of``).

    ``n_candidates``: prior candidates drawn; ``effective_sample_size``: Kish's ESS of their weights
    (sum w)^2 / sum w^2 before resampling; ``log_weights`` (n_candidates,) for diagnostics.
    """

    state: PatientState
    record: PatientRecord
    n_candidates: int
    effective_sample_size: float
    log_weights: np.ndarray

    def summary(self) -> dict[str, dict[str, float]]:
        """``{variable: {"mean", "p05", "p95"}}``: the latent levels of :data:`SUMMARY_LEVELS` and, for each
        condition of :data:`~twin_env.twin.state.CONDITIONS`, its 0/1 presence (mean = posterior probability)."""
        out: dict[str, dict[str, float]] = {}
        for name in (*SUMMARY_LEVELS, *CONDITIONS):
            x = self.state.columns[name].astype(np.float64)
            p05, p95 = np.quantile(x, [0.05, 0.95])
            out[name] = {"mean": float(x.mean()), "p05": float(p05), "p95": float(p95)}
        return out


def _validate(n_samples: object, n_candidates: object) -> tuple[int, int | None]:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    if n_candidates is not None and (
        isinstance(n_candidates, bool) or not isinstance(n_candidates, numbers.Integral) or n_candidates < 1
    ):
        raise ValueError(f"n_candidates must be an integer >= 1 or None, got {n_candidates!r}")
    return int(n_samples), None if n_candidates is None else int(n_candidates)


def _check_dates(record: PatientRecord) -> None:
    for m in record.measurements:
        if not record.birth_date <= m.date <= record.as_of:
            raise ValueError(
                f"measurement {m.variable} ({m.source or 'no source'}) dated {m.date}; "
                f"allowed: between birth_date {record.birth_date} and as_of {record.as_of}"
            )


def twin_from_record(
    record: PatientRecord,
    n_samples: int = 200,
    seed: int = 0,
    params: TwinParameters | None = None,
    n_candidates: int | None = None,
) -> PatientTwin:
    """The posterior ensemble of latent twin states ``record`` implies (``n_samples`` rows), deterministic for a seed.

    ``params``: twin parameters (None: the defaults); ``n_candidates``: prior candidates (None:
    ``max(CANDIDATES_PER_SAMPLE * n_samples, MIN_CANDIDATES)``). Bad input raises a one-line ``ValueError``.
    """
    if not isinstance(record, PatientRecord):
        kind = type(record).__name__
        raise ValueError(f"record must be a PatientRecord (twin_env.read_record builds one), got {kind}")
    n_samples, n_candidates = _validate(n_samples, n_candidates)
    seed = validate_seed(seed)
    twin = resolve_parameters(params)
    check_age(record, twin)
    _check_dates(record)
    care = CareParameters.default()
    m = n_candidates or max(CANDIDATES_PER_SAMPLE * n_samples, MIN_CANDIDATES)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 18]))

    dates, readings = gather_readings(record)
    states, log_ws = [], []
    for batch in range(MAX_BATCHES):
        pool_seed = seed if batch == 0 else int(np.random.SeedSequence([seed, 18, batch]).generate_state(1)[0] >> 1)
        state, log_w = _weighted_batch(record, m, pool_seed, dates, readings, care, twin, rng)
        states.append(state)
        log_ws.append(log_w)
        log_w = np.concatenate(log_ws)
        w = _normalised(log_w)
        ess = float(1.0 / (w**2).sum())
        if ess >= EFFECTIVE_SAMPLE_SIZE_FLOOR:
            break
    state = _concatenate(states)
    index = _systematic_resample(w, n_samples, rng)
    return PatientTwin(state.take(index), record, state.n, ess, log_w)


def _weighted_batch(
    record: PatientRecord,
    m: int,
    pool_seed: int,
    dates: list,
    readings: dict,
    care: CareParameters,
    twin: TwinParameters,
    rng: np.random.Generator,
) -> tuple[PatientState, np.ndarray]:
    """``m`` candidates (settled on ``as_of``) and their log importance weights (m,), normalised so that batches
    of one record (other pool seeds) can be pooled: a pool of ``POOL_PER_CANDIDATE x m`` prior patients, ``m`` of
    them chosen with probability q = half the screen's and half uniform (a defensive mixture: no candidate's
    weight is more than twice the prior's for what the screen misjudged), weighed by 1 / (pool size x q)."""
    pool = prior_candidates(record, POOL_PER_CANDIDATE * m, pool_seed, twin)
    q = 0.5 * _normalised(_screen(pool, record, dates, readings, care, twin)) + 0.5 / pool.n
    chosen = _systematic_resample(q, m, rng)
    state = pool.take(chosen)
    log_w = -np.log(pool.n * q[chosen])  # the screen's selection is undone in the weight
    log_w += propose(state, record, dates, readings, care, twin, rng)
    log_w += propose_visit_sd(state, record, dates, readings, care, twin, rng)
    if readings:
        levels = levels_on(state, record, dates, tuple(readings), twin)
        for r in readings.values():
            mean, sd = reading_moments(r, levels[r.variable], state, care, twin)
            log_w += reading_loglik(r, mean, sd)
    _settle(state, twin)
    log_w += coded_loglik(state, record, twin)
    return state, log_w


def _concatenate(states: list[PatientState]) -> PatientState:
    """One state of all rows of ``states``, in order."""
    if len(states) == 1:
        return states[0]
    out = PatientState.empty(sum(s.n for s in states))
    start = 0
    for s in states:
        out.put(slice(start, start + s.n), s)
        start += s.n
    return out


def _normalised(log_w: np.ndarray) -> np.ndarray:
    """Weights (m,) summing to 1 from log weights; a one-line ``ValueError`` when none is finite."""
    finite = np.isfinite(log_w)
    if not finite.any():
        raise ValueError("record: no latent state of the twin is consistent with its readings and codes")
    w = np.where(finite, np.exp(np.where(finite, log_w, 0.0) - np.max(log_w[finite])), 0.0)
    return w / w.sum()


def _screen(
    pool: PatientState,
    record: PatientRecord,
    dates: list,
    readings: dict,
    care: CareParameters,
    twin: TwinParameters,
) -> np.ndarray:
    """Log score (P,) of prior candidates: the coded-conditions likelihood plus the mean log likelihood of the
    HbA1c readings (one reading's worth) given only the candidate's diabetes class (its class's median
    HbA1c, the class's spread added to the reading's SD), which the continuous proposal cannot change.
    It only chooses which candidates to refine; the final weight divides it out."""
    score = coded_loglik(pool, record, twin)
    if "hba1c_mmol_mol" in readings:
        r = readings["hba1c_mmol_mol"]
        typical = pool.copy()  # each candidate's diabetes class at its median HbA1c: the screen sees the class only
        diabetic = typical.type2_diabetes | typical.type1_diabetes
        typical.hba1c_untreated_mmol_mol = baseline_hba1c_mmol_mol(diabetic, typical.age_years, np.zeros(pool.n), twin)
        levels = levels_on(typical, record, dates, (r.variable,), twin)
        mean, sd = reading_moments(r, levels[r.variable], typical, care, twin)
        spread = np.where(diabetic, twin["hba1c_diabetic_sd_mmol_mol"], twin["hba1c_nondiabetic_sd_mmol_mol"])
        score += reading_loglik(r, mean, np.sqrt(sd**2 + spread[:, None] ** 2)) / len(r.values)
    return score


def _settle(state: PatientState, params: TwinParameters) -> None:
    """Levels, treatment effects and the conditions the twin defines by levels, on ``as_of``, in place."""
    update_age_dependent_levels(state, params)
    apply_treatment_effects(state, params)
    adult = state.age_years >= params["adult_age_years"]
    state.hypertension = adult & ((state.sbp_untreated_mmhg >= 140.0) | (state.dbp_untreated_mmhg >= 90.0))
    state.ckd_3_5 = adult & (state.egfr_ml_min_1_73m2 < 60.0)
    state.qrisk3_h10 = np.nan
    state.qdiabetes_h10 = np.nan


def _systematic_resample(p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices (n,) drawn by systematic resampling from probabilities ``p`` (m,)."""
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(np.cumsum(p), positions), len(p) - 1)
