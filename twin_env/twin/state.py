"""The latent patient state: a struct of arrays, one row per patient.

All fields are 1-D NumPy arrays of length N. "Untreated" levels are what the patient's physiology
would show with no treatment; "current" levels include the effect of treatment taken. Condition
flags are the *truth* (the disease exists), not what any record shows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

#: Chronic conditions held as true/false flags (order fixes random-stream channel offsets).
CONDITIONS: tuple[str, ...] = (
    "hypertension",
    "type2_diabetes",
    "type1_diabetes",
    "ckd_3_5",
    "chd",
    "myocardial_infarction",
    "stroke_tia",
    "atrial_fibrillation",
    "heart_failure",
)

#: Other QRISK3/QDiabetes flags, sampled at baseline and fixed over follow-up.
RISK_FLAGS: tuple[str, ...] = (
    "family_history_cvd",
    "family_history_diabetes",
    "rheumatoid_arthritis",
    "migraine",
    "sle",
    "severe_mental_illness",
    "erectile_dysfunction",
    "atypical_antipsychotics",
    "corticosteroids",
    "learning_disability",
    "gestational_diabetes",
    "pcos",
)

#: Antihypertensive classes; doses are in multiples of the standard dose (0, 0.5, 1, 2).
BP_DRUG_CLASSES: tuple[str, ...] = (
    "acei",
    "arb",
    "ccb",
    "thiazide",
    "beta_blocker",
    "alpha_blocker",
    "spironolactone",
)

_FIELDS: dict[str, type] = {
    "patient_key": np.uint64,  # per-patient random stream key
    "step_index": np.int64,  # steps simulated so far (random-stream counter)
    "alive": np.bool_,
    "female": np.bool_,
    "age_years": np.float64,
    "ethnicity": np.int8,  # QRISK3 code 1..9
    "imd_quintile": np.int8,  # 1 = most deprived
    "townsend": np.float64,
    "smoking": np.int8,  # 0 non, 1 ex, 2 light, 3 moderate, 4 heavy
    "bmi_offset_kg_m2": np.float32,  # individual deviation from the age/sex mean
    "bmi_kg_m2": np.float64,
    "sbp_offset_mmhg": np.float32,  # individual deviation from the age/sex mean
    "sbp_untreated_mmhg": np.float64,
    "sbp_mmhg": np.float64,  # current usual SBP, with treatment
    "dbp_offset_mmhg": np.float32,
    "dbp_untreated_mmhg": np.float64,
    "dbp_mmhg": np.float64,
    "sbp_visit_sd_mmhg": np.float32,
    # what-if shifts of the latent levels (trial physiology arms; 0 in the usual twin): see twin.level_shifts
    "sbp_shift_mmhg": np.float64,
    "ldl_shift_mmol_l": np.float64,
    "hba1c_shift_mmol_mol": np.float64,  # visit-to-visit variability of SBP
    "ratio_offset_log": np.float32,
    "hdl_mmol_l": np.float32,
    "total_chol_untreated_mmol_l": np.float64,
    "ldl_untreated_mmol_l": np.float64,
    "ldl_mmol_l": np.float64,  # current, with statin
    "total_chol_mmol_l": np.float64,  # current, with statin
    "hba1c_untreated_mmol_mol": np.float64,
    "hba1c_mmol_mol": np.float64,  # current, with treatment
    "egfr_ml_min_1_73m2": np.float64,
    "acr_mg_mmol": np.float32,
    "potassium_base_mmol_l": np.float32,
    "potassium_mmol_l": np.float32,  # current, with drug effects
    **{name: np.bool_ for name in CONDITIONS},
    **{name: np.bool_ for name in RISK_FLAGS},
    "first_cvd_age_years": np.float32,  # NaN if none
    **{f"dose_{name}": np.float32 for name in BP_DRUG_CLASSES},
    "statin_ldl_reduction": np.float32,  # fractional LDL-C reduction of the statin taken
    "metformin_mg_day": np.float32,
    "sglt2": np.float32,  # 1 if taking an SGLT2 inhibitor
    "adherence": np.float32,  # propensity: fraction of the trial effect on one once-daily drug (treatment_burden)
    # fields of twin/harms.py: ages at the last start (NaN = never in the simulation, or long ago at baseline)
    "bp_intensified_age_years": np.float32,  # last antihypertensive start, added class or dose rise
    "bp_intensification_kind": np.int8,  # 0 none, 1 first antihypertensive, 2 added class, 3 titration
    "acei_started_age_years": np.float32,
    "raas_started_age_years": np.float32,  # last ACE inhibitor or ARB start
    "ccb_started_age_years": np.float32,
    "thiazide_started_age_years": np.float32,
    "statin_started_age_years": np.float32,
    "injurious_fall_history": np.bool_,  # an injurious fall or hip fracture in the simulation
    # fields of twin/glycaemia.py
    "gliclazide_mg_day": np.float32,  # sulfonylurea taken (a treatment field)
    "metformin_started_age_years": np.float32,  # age at the last metformin start in follow-up; NaN if none
    "bmi_sulfonylurea_gain_kg_m2": np.float32,  # BMI gained on a sulfonylurea (added to bmi_kg_m2)
    "retinopathy": np.bool_,  # has had sight-threatening retinopathy (photocoagulation)
    "foot_ulcer": np.bool_,  # has had a diabetic foot ulcer
    "amputation": np.bool_,  # has had a lower-limb amputation
    # field of twin/valuation.py: a stroke (not a TIA only) among stroke_tia; prevalent stroke/TIA counts as stroke
    "stroke": np.bool_,
    # fields of twin/risk_factors.py
    "smoking_quit_age_years": np.float32,  # age at quitting of an ex-smoker; NaN for never and current smokers
    "bmi_programme_shift_kg_m2": np.float32,  # BMI change from a weight programme still held; decays to 0
    "diabetes_programme_hazard_ratio": np.float32,  # T2D hazard multiplier of a prevention programme (1 none)
    # risk-equation hazards held between re-evaluations (NaN = evaluate at the next step)
    "qrisk3_h10": np.float64,
    "qdiabetes_h10": np.float64,
    # white-coat effect (care/diagnosis.py): clinic minus out-of-office usual BP, fixed per patient
    "white_coat_sbp_mmhg": np.float32,
    "white_coat_dbp_mmhg": np.float32,
}

#: Start ages of twin/harms.py, NaN until a start is seen.
HARM_START_AGE_FIELDS: tuple[str, ...] = (
    "bp_intensified_age_years",
    "acei_started_age_years",
    "raas_started_age_years",
    "ccb_started_age_years",
    "thiazide_started_age_years",
    "statin_started_age_years",
)

#: Treatment fields, in the order used for treatment-stop draws.
TREATMENT_FIELDS: tuple[str, ...] = (
    *(f"dose_{name}" for name in BP_DRUG_CLASSES),
    "statin_ldl_reduction",
    "metformin_mg_day",
    "sglt2",
    "gliclazide_mg_day",
)


@dataclasses.dataclass(eq=False)
class PatientState:
    """Latent state of N patients (struct of arrays; every field has shape (N,)).

    Units are in the field names. Build with :func:`twin_env.twin.population.sample_population`;
    advance with :class:`twin_env.twin.simulator.TwinSimulator`.
    """

    columns: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        missing = sorted(set(_FIELDS) - set(self.columns))
        extra = sorted(set(self.columns) - set(_FIELDS))
        if missing or extra:
            raise ValueError(f"PatientState columns: missing {missing}, unexpected {extra}")
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"PatientState columns must all have the same length, got {sorted(lengths)}")
        for name, dtype in _FIELDS.items():
            if self.columns[name].dtype != dtype:
                self.columns[name] = self.columns[name].astype(dtype)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: object) -> None:
        if name == "columns":
            object.__setattr__(self, name, value)
        elif name in _FIELDS:
            self.columns[name][...] = value
        else:
            raise AttributeError(f"PatientState has no field {name!r}")

    @classmethod
    def empty(cls, n: int) -> PatientState:
        """N patients, every field zero (NaN: ages of first events and starts, hazard caches; 1: hazard ratios)."""
        columns = {name: np.zeros(n, dtype=dtype) for name, dtype in _FIELDS.items()}
        for name in (
            "first_cvd_age_years",
            "qrisk3_h10",
            "qdiabetes_h10",
            "smoking_quit_age_years",
            "metformin_started_age_years",
            *HARM_START_AGE_FIELDS,
        ):
            columns[name][:] = np.nan
        columns["diabetes_programme_hazard_ratio"][:] = 1.0
        return cls(columns)

    @property
    def n(self) -> int:
        return len(self.columns["age_years"])

    @property
    def nbytes(self) -> int:
        """Memory held by the state arrays, in bytes."""
        return sum(v.nbytes for v in self.columns.values())

    @property
    def has_cvd(self) -> np.ndarray:
        """Established cardiovascular disease (QRISK3 exclusion): CHD or stroke/TIA."""
        return self.columns["chd"] | self.columns["stroke_tia"]

    @property
    def on_antihypertensive(self) -> np.ndarray:
        """Taking at least one antihypertensive class (N,) bool."""
        return _on_antihypertensive(self)

    def copy(self) -> PatientState:
        return PatientState({k: v.copy() for k, v in self.columns.items()})

    def take(self, index: np.ndarray | slice) -> PatientState:
        """A new state holding the selected patients (copies)."""
        return PatientState({k: np.array(v[index]) for k, v in self.columns.items()})

    def view(self, index: np.ndarray) -> RowsView:
        """A read-only view of the selected patients that gathers a field only when it is read."""
        return RowsView(self, index)

    def put(self, index: np.ndarray | slice, other: PatientState) -> None:
        """Overwrite the selected patients with the rows of ``other``."""
        for k, v in self.columns.items():
            v[index] = other.columns[k]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def equals(self, other: PatientState) -> bool:
        """Bitwise equality of every field (NaN equals NaN)."""
        return all(np.array_equal(v, other.columns[k], equal_nan=v.dtype.kind == "f") for k, v in self.columns.items())


class RowsView:
    """Selected rows of a :class:`PatientState`, read field by field (for hot-loop subsets)."""

    def __init__(self, state: PatientState, index: np.ndarray) -> None:
        self._columns = state.columns
        self._index = index
        self.n = len(index)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self._columns[name][self._index]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def has_cvd(self) -> np.ndarray:
        return self.chd | self.stroke_tia

    @property
    def on_antihypertensive(self) -> np.ndarray:
        return _on_antihypertensive(self)


def _on_antihypertensive(state: PatientState | RowsView) -> np.ndarray:
    on = np.zeros(state.n, dtype=bool)
    for name in BP_DRUG_CLASSES:
        on |= getattr(state, f"dose_{name}") > 0
    return on


FIELDS = _FIELDS
