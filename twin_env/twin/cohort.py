"""Public entry points for sampling a population."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from twin_env.twin.baseline_conditions import (
    RECORDED_CONDITIONS,
    BaselineDiagnoses,
    sample_conditions,
    start_baseline_treatments,
)
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import sample_demographics_and_risk_factors
from twin_env.twin.state import PatientState

MAX_AGE_YEARS = 100.0


def validate_seed(seed: object, name: str = "seed") -> int:
    """A non-negative Python/NumPy integer seed, else ``ValueError`` naming the argument."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {seed!r}")
    return int(seed)


def resolve_parameters(config: Mapping[str, float] | TwinParameters | None) -> TwinParameters:
    """Parameters from ``None`` (defaults), a ``TwinParameters`` or a mapping of overrides."""
    if config is None:
        return TwinParameters.default()
    if isinstance(config, TwinParameters):
        return config
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of parameter overrides, got {type(config).__name__}")
    return TwinParameters.default().replace(**config)


def _validate_request(n: object, seed: object, min_age: object, max_age: object) -> tuple[int, int, float, float]:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a non-negative integer number of patients, got {n!r}")
    for name, value in (("min_age", min_age), ("max_age", max_age)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) <= MAX_AGE_YEARS:
            raise ValueError(f"{name} must be a number of years in [0, {MAX_AGE_YEARS:g}], got {value!r}")
    if float(min_age) > float(max_age):  # type: ignore[arg-type]
        raise ValueError(f"min_age ({min_age}) must not exceed max_age ({max_age})")
    return int(n), validate_seed(seed), float(min_age), float(max_age)  # type: ignore[arg-type]


def sample_population(
    n: int,
    seed: int,
    *,
    min_age: float = 0.0,
    max_age: float = MAX_AGE_YEARS,
    config: Mapping[str, float] | TwinParameters | None = None,
    first_index: int = 0,
    given: Mapping[str, bool | int] | None = None,
) -> tuple[PatientState, BaselineDiagnoses]:
    """Sample the latent state of ``n`` patients and which conditions were diagnosed at baseline.

    Patient ``first_index + i`` depends only on (seed, index), not on ``n``. ``given`` fixes sex,
    ethnicity or IMD quintile for all (:data:`twin_env.twin.population.GIVEN_DEMOGRAPHICS`).
    """
    n, seed, min_age, max_age = _validate_request(n, seed, min_age, max_age)
    params = resolve_parameters(config)
    state = sample_demographics_and_risk_factors(seed, n, params, min_age, max_age, first_index, given)
    diagnoses = sample_conditions(state, params)
    start_baseline_treatments(state, diagnoses, params)
    return state, diagnoses


def cohort_frame(state: PatientState, diagnoses: BaselineDiagnoses) -> pd.DataFrame:
    """One row per patient: demographics, true risk factors, baseline recorded conditions, treatments."""
    frame = pd.DataFrame(
        {
            "patient_id": np.arange(state.n, dtype=np.int64),
            "sex": np.where(state.female, "female", "male"),
            "age": state.age_years,
            "ethnicity": state.ethnicity.astype(np.int64),
            "imd_quintile": state.imd_quintile.astype(np.int64),
            "townsend": state.townsend,
            "smoking": state.smoking.astype(np.int64),
            "bmi": state.bmi_kg_m2,
            "sbp_mmhg": state.sbp_mmhg,
            "sbp_sd_mmhg": state.sbp_visit_sd_mmhg.astype(np.float64),
            "dbp_mmhg": state.dbp_mmhg,
            "total_chol_mmol_l": state.total_chol_mmol_l,
            "hdl_mmol_l": state.hdl_mmol_l.astype(np.float64),
            "ldl_mmol_l": state.ldl_mmol_l,
            "chol_hdl_ratio": state.total_chol_mmol_l / state.hdl_mmol_l,
            "hba1c_mmol_mol": state.hba1c_mmol_mol,
            "egfr": state.egfr_ml_min_1_73m2,
            "acr_mg_mmol": state.acr_mg_mmol.astype(np.float64),
            "potassium_mmol_l": state.potassium_mmol_l.astype(np.float64),
        }
    )
    for name in RECORDED_CONDITIONS:
        frame[name] = diagnoses.diagnosed[name]
    frame["on_antihypertensive"] = state.on_antihypertensive
    frame["on_statin"] = state.statin_ldl_reduction > 0
    frame["on_metformin"] = state.metformin_mg_day > 0
    frame["on_sglt2"] = state.sglt2 > 0
    return frame


def sample_cohort(
    n: int,
    seed: int,
    *,
    min_age: float = 0.0,
    max_age: float = MAX_AGE_YEARS,
    config: Mapping[str, float] | TwinParameters | None = None,
) -> pd.DataFrame:
    """Sample ``n`` synthetic patients aged ``min_age``-``max_age`` as a DataFrame (one row each).

    Condition columns (``hypertension``, ``type2_diabetes``, ``ckd_3_5``, ``chd``, ``stroke_tia``,
    ``atrial_fibrillation``, ``heart_failure``, ...) mean *diagnosed and recorded at baseline*, as
    QOF counts them; treatment columns (``on_antihypertensive``, ``on_statin``, ``on_metformin``)
    mean currently prescribed. Risk factors (``sbp_mmhg``, ``bmi``, ``hba1c_mmol_mol``, ``egfr``
    in mL/min/1.73m2, ...) are the patient's true current usual levels. ``config`` overrides
    twin parameters by name (unknown names raise ``ValueError``).
    """
    state, diagnoses = sample_population(n, seed, min_age=min_age, max_age=max_age, config=config)
    return cohort_frame(state, diagnoses)
