"""A joint Gaussian proposal for the standard normal draws behind a candidate's continuous latent levels.

The twin draws each patient's BMI, SBP and DBP offsets, white-coat effects, HDL, cholesterol ratio,
untreated HbA1c, eGFR, urine ACR, potassium and adherence from one standard normal each (its random-stream channel,
:class:`twin_env.twin.random_streams.Channel`). Given the rest of a candidate, a record's readings are
nearly linear in these draws, so their joint posterior is nearly normal: :func:`propose` linearises the
readings' means by secants (three Gauss-Newton passes through :func:`twin_env.patient_twin.levels.levels_on`)
and draws them jointly from that normal, its covariance widened by :data:`WIDEN` squared. The importance
weight (:mod:`twin_env.patient_twin.posterior`) corrects the linearisation exactly: prior density /
proposal density x the full likelihood.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.patient_twin.levels import levels_on
from twin_env.patient_twin.likelihood import Readings, clean_probability, reading_loglik, reading_moments
from twin_env.patient_twin.record import PatientRecord
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import baseline_egfr_ml_min_1_73m2, baseline_hba1c_mmol_mol
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import PatientState

#: Proposal SD as a multiple of the linearised posterior SD (heavier than the target, so weights stay bounded).
WIDEN = 1.05
_GAUSS_NEWTON_PASSES = 3
_SECANT_STEP = 0.25  # standard normal units
_MAX_Z = 8.0
#: Readings the proposal linearises on the log scale (their level is lognormal in its draw); the weight is exact.
LOG_SCALE = frozenset({"acr_mg_mmol"})
_LOG_FLOOR = 1e-2
_MIN_CLEAN = 1e-6  # a reading at most this likely clean weighs as one with a 1,000 times wider SD

Setter = Callable[[PatientState, np.ndarray, np.ndarray, TwinParameters], None]


def _bmi(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    """The BMI offset moves; the SBP offset follows by ``sbp_bmi_slope_mmhg_per_kg_m2`` (the twin's sampler)."""
    delta = p["bmi_between_person_sd_kg_m2"] * (z_to - z_from)
    state.bmi_offset_kg_m2 = state.bmi_offset_kg_m2 + delta
    state.sbp_offset_mmhg = state.sbp_offset_mmhg + p["sbp_bmi_slope_mmhg_per_kg_m2"] * delta


def _sbp(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    state.sbp_offset_mmhg = state.sbp_offset_mmhg + p["sbp_between_person_sd_mmhg"] * (z_to - z_from)


def _dbp(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    state.dbp_offset_mmhg = state.dbp_offset_mmhg + p["dbp_residual_sd_mmhg"] * (z_to - z_from)


def _white_coat(side: str) -> Setter:
    def set_draw(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
        """The white-coat effect as the twin's sampler draws it: mean + SD x z (mmHg)."""
        value = p[f"white_coat_{side}_mean_mmhg"] + p[f"white_coat_{side}_sd_mmhg"] * z_to
        state.columns[f"white_coat_{side}_mmhg"][:] = value

    return set_draw


def _hdl(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    """HDL as the twin's sampler draws it: the sex's mean + SD x z, clipped to 0.6-3.0 mmol/L."""
    mean = np.where(state.female, p["hdl_mean_female_mmol_l"], p["hdl_mean_male_mmol_l"])
    state.hdl_mmol_l = np.clip(mean + p["hdl_sd_mmol_l"] * z_to, 0.6, 3.0)


def _ratio(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    state.ratio_offset_log = state.ratio_offset_log + p["chol_hdl_ratio_log_sd"] * (z_to - z_from)


def _hba1c(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    diabetic = state.type2_diabetes | state.type1_diabetes
    state.hba1c_untreated_mmol_mol = baseline_hba1c_mmol_mol(diabetic, state.age_years, z_to, p)


def _egfr(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    diabetic = state.type2_diabetes | state.type1_diabetes
    state.egfr_ml_min_1_73m2 = baseline_egfr_ml_min_1_73m2(diabetic, state.age_years, z_to, p)


def _acr(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    """Urine ACR moves on the log scale by ``acr_log_sd`` per unit of its draw (the sampler's lognormal)."""
    state.acr_mg_mmol = state.acr_mg_mmol * np.exp(p["acr_log_sd"] * (z_to - z_from))


def _potassium(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    state.potassium_base_mmol_l = state.potassium_base_mmol_l + p["potassium_sd_mmol_l"] * (z_to - z_from)


def _adherence(state: PatientState, z_from: np.ndarray, z_to: np.ndarray, p: TwinParameters) -> None:
    """Adherence as the twin's sampler draws it: mean + SD x z, clipped to 0.2-1."""
    state.adherence = np.clip(p["adherence_mean"] + p["adherence_sd"] * z_to, 0.2, 1.0)


@dataclasses.dataclass(frozen=True)
class Draw:
    """One standard normal draw of the twin (``channel``), how a new value sets the state, and the variables
    whose readings inform it (``needs_treatment``: only while a medicine is recorded)."""

    name: str
    channel: int
    set_draw: Setter
    informed_by: tuple[str, ...]
    needs_treatment: bool = False


_BP = ("sbp_mmhg", "dbp_mmhg")
_LIPIDS = ("total_chol_mmol_l", "ldl_mmol_l")
#: The draws :func:`propose` may move (those with readings that inform them).
DRAWS: tuple[Draw, ...] = (
    Draw("bmi", Channel.BMI, _bmi, ("bmi_kg_m2", *_BP)),
    Draw("sbp", Channel.SBP, _sbp, _BP),
    Draw("white_coat_sbp", Channel.WHITE_COAT_SBP, _white_coat("sbp"), ("sbp_mmhg",)),
    Draw("dbp", Channel.DBP, _dbp, ("dbp_mmhg",)),
    Draw("white_coat_dbp", Channel.WHITE_COAT_DBP, _white_coat("dbp"), ("dbp_mmhg",)),
    Draw("hdl", Channel.HDL, _hdl, ("hdl_mmol_l", *_LIPIDS)),
    Draw("ratio", Channel.RATIO, _ratio, _LIPIDS),
    Draw("hba1c", Channel.HBA1C, _hba1c, ("hba1c_mmol_mol",)),
    Draw("egfr", Channel.EGFR, _egfr, ("egfr_ml_min_1_73m2", "potassium_mmol_l")),
    Draw("acr", Channel.ACR, _acr, ("acr_mg_mmol",)),
    Draw("potassium", Channel.POTASSIUM, _potassium, ("potassium_mmol_l",)),
    Draw("adherence", Channel.ADHERENCE, _adherence, (*_BP, *_LIPIDS, "hba1c_mmol_mol"), needs_treatment=True),
)


def _moments(
    state: PatientState,
    record: PatientRecord,
    dates: list,
    readings: dict[str, Readings],
    care: CareParameters,
    twin: TwinParameters,
    robust: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Means and SDs (n, J) of every weighed reading, J in the order of ``readings``. ``robust``: each SD divided by
    the square root of the reading's probability of being clean (:func:`clean_probability`) at these means, so a
    slip or an acute admission's result barely pulls the Gauss-Newton step (iteratively reweighted least squares;
    the first pass is plain, so readings all far from the prior mean are not all discounted)."""
    levels = levels_on(state, record, dates, tuple(readings), twin)
    means, sds = [], []
    for v, r in readings.items():
        mean, sd = reading_moments(r, levels[v], state, care, twin)
        if robust:
            sd = sd / np.sqrt(np.maximum(clean_probability(r, mean, sd), _MIN_CLEAN))
        if v in LOG_SCALE:  # log reading ~ log level, SD the CV: linear in a lognormal draw
            positive = np.maximum(mean, _LOG_FLOOR)
            mean, sd = np.log(positive), sd / positive
        means.append(mean)
        sds.append(sd)
    return np.concatenate(means, axis=1), np.concatenate(sds, axis=1)


def _values(readings: dict[str, Readings]) -> np.ndarray:
    """The readings (J,) as :func:`_moments` orders and scales them."""
    return np.concatenate(
        [np.log(np.maximum(r.values, _LOG_FLOOR)) if v in LOG_SCALE else r.values for v, r in readings.items()]
    )


def propose(
    state: PatientState,
    record: PatientRecord,
    dates: list,
    readings: dict[str, Readings],
    care: CareParameters,
    twin: TwinParameters,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the informed draws jointly from their linearised posterior, set them in ``state`` in place, and return
    log prior density - log proposal density (n,). No readings: nothing moves (returns 0)."""
    draws = [
        d
        for d in DRAWS
        if any(v in readings for v in d.informed_by) and (record.prescriptions or not d.needs_treatment)
    ]
    if not draws:
        return np.zeros(state.n)
    values = _values(readings)
    prior_z = np.stack([rs.standard_normal(state.patient_key, 0, d.channel) for d in draws], axis=1)  # (n, k)
    n, k = prior_z.shape
    z = np.zeros((n, k))  # Gauss-Newton starts from the prior mean, not from a candidate's tail draw
    for i, d in enumerate(draws):
        d.set_draw(state, prior_z[:, i], z[:, i], twin)
    eye = np.eye(k)
    for gn_pass in range(_GAUSS_NEWTON_PASSES):
        m0, sd = _moments(state, record, dates, readings, care, twin, robust=gn_pass > 0)
        slopes = np.empty((n, m0.shape[1], k))
        for i, d in enumerate(draws):
            d.set_draw(state, z[:, i], z[:, i] + _SECANT_STEP, twin)
            slopes[:, :, i] = (_moments(state, record, dates, readings, care, twin)[0] - m0) / _SECANT_STEP
            d.set_draw(state, z[:, i] + _SECANT_STEP, z[:, i], twin)
        weighted = slopes / sd[:, :, None] ** 2  # (n, J, k)
        precision = eye + np.einsum("njk,njl->nkl", weighted, slopes)
        target = values - m0 + np.einsum("njk,nk->nj", slopes, z)
        mean = np.linalg.solve(precision, np.einsum("njk,nj->nk", weighted, target)[:, :, None])[:, :, 0]
        mean = np.clip(mean, -_MAX_Z, _MAX_Z)  # a far reading moves a draw a long way, never past the twin's range
        for i, d in enumerate(draws):
            d.set_draw(state, z[:, i], mean[:, i], twin)
        z = mean
    chol = np.linalg.cholesky(np.linalg.inv(precision))  # (n, k, k): covariance of the linearised posterior
    eps = rng.standard_normal((n, k))
    drawn = mean + WIDEN * np.einsum("nkl,nl->nk", chol, eps)
    for i, d in enumerate(draws):
        d.set_draw(state, mean[:, i], drawn[:, i], twin)
    log_q = -0.5 * (eps**2).sum(axis=1) - np.log(np.diagonal(WIDEN * chol, axis1=1, axis2=2)).sum(axis=1)
    log_prior = -0.5 * (drawn**2).sum(axis=1)
    return log_prior - log_q


def _visit_sd_mmhg(z: np.ndarray, p: TwinParameters) -> np.ndarray:
    """Visit-to-visit SBP SD (n,) mmHg as the twin's sampler draws it: lognormal with mean and CV."""
    log_sd = np.sqrt(np.log1p(p["sbp_visit_sd_cv"] ** 2))
    return p["sbp_visit_sd_mean_mmhg"] * np.exp(log_sd * z - log_sd**2 / 2)


#: Grid of the visit-SD draw (standard normal units) and its cell width.
_VISIT_GRID = np.linspace(-4.0, 4.0, 33)
_VISIT_CELL = float(_VISIT_GRID[1] - _VISIT_GRID[0])


def propose_visit_sd(
    state: PatientState,
    record: PatientRecord,
    dates: list,
    readings: dict[str, Readings],
    care: CareParameters,
    twin: TwinParameters,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the visit-to-visit SD from its posterior on a grid given the BP readings and the other draws (set in
    ``state``), uniform within the chosen cell; return log prior - log proposal density (n,). Without BP
    readings nothing moves (returns 0)."""
    bp = {v: readings[v] for v in ("sbp_mmhg", "dbp_mmhg") if v in readings}
    if not any(r.clinic.any() for r in bp.values()):
        return np.zeros(state.n)
    levels = levels_on(state, record, dates, tuple(bp), twin)
    log_post = np.empty((state.n, _VISIT_GRID.size))
    for k, z in enumerate(_VISIT_GRID):
        state.sbp_visit_sd_mmhg = _visit_sd_mmhg(np.full(state.n, z), twin)
        log_post[:, k] = -0.5 * z**2
        for v, r in bp.items():
            mean, sd = reading_moments(r, levels[v], state, care, twin)
            log_post[:, k] += reading_loglik(r, mean, sd)
    cell_p = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    cell_p /= cell_p.sum(axis=1, keepdims=True)
    cell = (cell_p.cumsum(axis=1) < rng.random(state.n)[:, None]).sum(axis=1).clip(max=_VISIT_GRID.size - 1)
    z = _VISIT_GRID[cell] + _VISIT_CELL * (rng.random(state.n) - 0.5)
    state.sbp_visit_sd_mmhg = _visit_sd_mmhg(z, twin)
    log_q = np.log(cell_p[np.arange(state.n), cell]) - np.log(_VISIT_CELL)
    return -0.5 * z**2 - log_q
