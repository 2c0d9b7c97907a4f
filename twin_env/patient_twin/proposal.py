"""Gaussian proposals for the standard normal draws behind a candidate's continuous latent levels.

The twin draws each patient's BMI, SBP and DBP offsets, HDL, cholesterol ratio, untreated HbA1c and eGFR
from one standard normal each (its random-stream channel, :class:`twin_env.twin.random_streams.Channel`).
Given everything else about a candidate, a record's readings of the levels a draw moves are nearly linear
in it, so the draw's posterior is nearly normal: a :class:`Block` is linearised by secants (two
Gauss-Newton passes through :func:`twin_env.patient_twin.levels.levels_on`), and the draw is proposed
from that normal, widened by :data:`WIDEN`. The importance weight (:mod:`twin_env.patient_twin.posterior`)
corrects the linearisation exactly: prior density / proposal density x the full likelihood.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.patient_twin.levels import levels_on
from twin_env.patient_twin.likelihood import Readings, reading_moments
from twin_env.patient_twin.record import PatientRecord
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import baseline_egfr_ml_min_1_73m2, baseline_hba1c_mmol_mol
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.random_streams import Channel
from twin_env.twin.state import PatientState

#: Proposal SD as a multiple of the linearised posterior SD (heavier than the target, so weights stay bounded).
WIDEN = 1.25
_GAUSS_NEWTON_PASSES = 2

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


@dataclasses.dataclass(frozen=True)
class Block:
    """One standard normal draw of the twin (``channel``), the variables whose readings inform it and how a new
    value of the draw sets the state."""

    name: str
    channel: int
    variables: tuple[str, ...]
    set_draw: Setter


#: In proposal order: BMI before SBP (the SBP offset carries the BMI offset), HDL before the ratio.
BLOCKS: tuple[Block, ...] = (
    Block("bmi", Channel.BMI, ("bmi_kg_m2",), _bmi),
    Block("sbp", Channel.SBP, ("sbp_mmhg",), _sbp),
    Block("dbp", Channel.DBP, ("dbp_mmhg",), _dbp),
    Block("hdl", Channel.HDL, ("hdl_mmol_l",), _hdl),
    Block("ratio", Channel.RATIO, ("total_chol_mmol_l", "ldl_mmol_l"), _ratio),
    Block("hba1c", Channel.HBA1C, ("hba1c_mmol_mol",), _hba1c),
    Block("egfr", Channel.EGFR, ("egfr_ml_min_1_73m2",), _egfr),
)


def _block_moments(
    state: PatientState,
    record: PatientRecord,
    dates: list,
    readings: list[Readings],
    care: CareParameters,
    twin: TwinParameters,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values (J,), means and SDs (n, J) of a block's readings, levels computed only on the dates they use."""
    used = sorted({int(i) for r in readings for i in r.date_index})
    sub = {d: k for k, d in enumerate(used)}
    levels = levels_on(state, record, [dates[i] for i in used], tuple(r.variable for r in readings), twin)
    means, sds = [], []
    for r in readings:
        local = dataclasses.replace(r, date_index=np.array([sub[int(i)] for i in r.date_index], dtype=np.intp))
        mean, sd = reading_moments(local, levels[r.variable], state, care, twin)
        means.append(mean)
        sds.append(sd)
    values = np.concatenate([r.values for r in readings])
    return values, np.concatenate(means, axis=1), np.concatenate(sds, axis=1)


def propose(
    block: Block,
    state: PatientState,
    record: PatientRecord,
    dates: list,
    readings: dict[str, Readings],
    care: CareParameters,
    twin: TwinParameters,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the block's standard normal from its linearised posterior, set it in ``state`` in place, and return
    log prior density - log proposal density (n,). A block without readings keeps the prior draw (returns 0)."""
    used = [readings[v] for v in block.variables if v in readings]
    if not used:
        return np.zeros(state.n)
    z = rs.standard_normal(state.patient_key, 0, block.channel)
    for _ in range(_GAUSS_NEWTON_PASSES):
        values, m0, sd = _block_moments(state, record, dates, used, care, twin)
        block.set_draw(state, z, z + 1.0, twin)
        _, m1, _ = _block_moments(state, record, dates, used, care, twin)
        block.set_draw(state, z + 1.0, z, twin)
        slope = m1 - m0
        precision = 1.0 + (slope**2 / sd**2).sum(axis=1)
        mean = (slope * (values - m0 + slope * z[:, None]) / sd**2).sum(axis=1) / precision
        block.set_draw(state, z, mean, twin)
        z = mean
    scale = WIDEN / np.sqrt(precision)
    drawn = mean + scale * rng.standard_normal(state.n)
    block.set_draw(state, mean, drawn, twin)
    log_q = -0.5 * ((drawn - mean) / scale) ** 2 - np.log(scale)
    log_prior = -0.5 * drawn**2
    return log_prior - log_q
