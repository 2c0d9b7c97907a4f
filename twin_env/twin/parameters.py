"""Twin parameters: every literature figure the twin uses, loaded from ``twin_env/data``.

Scalars come from ``twin_parameters.csv`` (name, value, unit, status, source); age-indexed tables
from their own CSV files. Nothing numeric about the disease model is written inline in code.
See ``twin_env/data/PROVENANCE.md`` for sources.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

import numpy as np

DATA_PACKAGE = "twin_env.data"


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of a packaged CSV file as dicts of strings."""
    with resources.files(DATA_PACKAGE).joinpath(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_scalars(name: str) -> dict[str, float]:
    """``{name: value}`` of a packaged parameter file (columns name, value, unit, status, source)."""
    return {r["name"]: float(r["value"]) for r in read_data_csv(name)}


def _columns(name: str) -> dict[str, np.ndarray]:
    rows = read_data_csv(name)
    return {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}


GRID_STEP_YEARS = 0.05  # resolution of the precomputed age lookups (18 days)
GRID_MAX_AGE_YEARS = 130.0


def _grid_index(age_years: np.ndarray) -> np.ndarray:
    scaled = np.clip(age_years, 0.0, GRID_MAX_AGE_YEARS) * (1.0 / GRID_STEP_YEARS) + 0.5
    return scaled.astype(np.intp)


@dataclasses.dataclass(frozen=True)
class AgeTable:
    """A piecewise-linear function of age, clamped at both ends.

    ``ages`` (K,) in years, ascending; ``values`` (K,). Calls look the value up on a precomputed
    grid of :data:`GRID_STEP_YEARS` (one ``take`` instead of a binary search per patient).
    """

    ages: np.ndarray
    values: np.ndarray

    @functools.cached_property
    def _grid(self) -> np.ndarray:
        grid_ages = np.arange(0.0, GRID_MAX_AGE_YEARS + GRID_STEP_YEARS / 2, GRID_STEP_YEARS)
        return np.interp(grid_ages, self.ages, self.values)

    def __call__(self, age_years: np.ndarray) -> np.ndarray:
        return self._grid.take(_grid_index(age_years))


@dataclasses.dataclass(frozen=True)
class SexAgeTable:
    """A pair of :class:`AgeTable` s, female and male, looked up together."""

    female_table: AgeTable
    male_table: AgeTable

    @functools.cached_property
    def _grid(self) -> np.ndarray:
        return np.concatenate([self.male_table._grid, self.female_table._grid])

    def __call__(self, female: np.ndarray, age_years: np.ndarray) -> np.ndarray:
        return self.at(self.index(female, age_years))

    def index(self, female: np.ndarray, age_years: np.ndarray) -> np.ndarray:
        """Grid positions (N,) of (sex, age); share them between tables on the same grid."""
        index = _grid_index(age_years)
        index += female * len(self.male_table._grid)
        return index

    def at(self, index: np.ndarray) -> np.ndarray:
        """Values at grid positions from :meth:`index`."""
        return self._grid.take(index)


@dataclasses.dataclass(frozen=True)
class LifeTable:
    """ONS national life table: qx (probability of death within a year at exact age x) by sex."""

    ages: np.ndarray  # (101,) 0..100
    qx_female: np.ndarray
    qx_male: np.ndarray
    ex_female: np.ndarray
    ex_male: np.ndarray

    @functools.cached_property
    def _hazard(self) -> np.ndarray:
        """-ln(1 - qx), male ages then female ages."""
        return -np.log1p(-np.concatenate([self.qx_male, self.qx_female]))

    def annual_hazard(self, age_years: np.ndarray, female: np.ndarray) -> np.ndarray:
        """All-cause mortality hazard per year, -ln(1 - qx) at floor(age), capped at age 100."""
        index = np.clip(age_years, 0, len(self.ages) - 1).astype(np.intp)
        index += female * len(self.ages)
        return self._hazard.take(index)


@dataclasses.dataclass(frozen=True)
class TwinParameters:
    """All twin parameters: scalars by name plus the age tables.

    Build with :meth:`default` and change figures with :meth:`replace`, which rejects unknown names.
    """

    scalars: Mapping[str, float]
    life_table: LifeTable
    age_band_population: tuple[tuple[float, float, float], ...]  # (lower, upper, share)
    ethnicity_share: np.ndarray  # (9,) for QRISK3 codes 1..9
    imd_quintile_share: np.ndarray  # (5,) for quintiles 1..5
    qof_prevalence_percent: Mapping[str, float]
    sbp_mean: SexAgeTable
    ratio_mean: SexAgeTable
    bmi_mean: SexAgeTable
    current_smoker_fraction: AgeTable
    ex_smoker_fraction: AgeTable
    af_incidence_per_year: AgeTable
    hf_incidence_per_year: AgeTable
    death_cause_share: Mapping[str, AgeTable]  # cause -> share of all deaths by age (ONS)
    mortality_normalisers: Mapping[str, SexAgeTable]  # see twin/mortality.py; one shared grid
    statin_ldl_reduction: Mapping[tuple[str, int], float]  # (drug, dose mg) -> fraction
    calibration: Mapping[str, float]

    def __getitem__(self, name: str) -> float:
        try:
            return self.scalars[name]
        except KeyError:
            raise KeyError(f"unknown twin parameter {name!r}") from None

    def replace(self, **overrides: float) -> TwinParameters:
        """A copy with some scalar parameters changed; unknown names raise ``ValueError``."""
        unknown = sorted(set(overrides) - set(self.scalars) - set(self.calibration))
        if unknown:
            raise ValueError(
                f"unknown twin parameter(s) {unknown}; known parameters are listed in "
                "twin_env/data/twin_parameters.csv and baseline_calibration.csv"
            )
        scalars = dict(self.scalars)
        calibration = dict(self.calibration)
        for name, value in overrides.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value):
                raise ValueError(f"twin parameter {name!r} must be a finite number, got {value!r}")
            (scalars if name in scalars else calibration)[name] = float(value)
        return dataclasses.replace(
            self,
            scalars=MappingProxyType(scalars),
            calibration=MappingProxyType(calibration),
        )

    @classmethod
    @functools.cache
    def default(cls) -> TwinParameters:
        """The packaged parameter set (cached; the object is immutable)."""
        return _load_default()

    def __reduce__(self) -> tuple:
        """Pickle the packaged set as a reference to :meth:`default`, others field by field."""
        if self is TwinParameters.default():
            return (TwinParameters.default, ())
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return (_from_fields, ({k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in fields.items()},))


def _from_fields(fields: dict) -> TwinParameters:
    """Rebuild a pickled :class:`TwinParameters` (mappings frozen again)."""
    return TwinParameters(**{k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in fields.items()})


#: Files of scalar twin parameters (name, value, unit, status, source), one per part of the model.
SCALAR_FILES: tuple[str, ...] = (
    "twin_parameters.csv",
    "harm_parameters.csv",
    "glycaemia_parameters.csv",
    "mortality_parameters.csv",
    "risk_factor_parameters.csv",
    "treatment_burden_parameters.csv",
)


def _read_all_scalars() -> dict[str, float]:
    scalars: dict[str, float] = {}
    for name in SCALAR_FILES:
        values = read_scalars(name)
        repeated = sorted(set(values) & set(scalars))
        if repeated:
            raise ValueError(f"twin parameters defined twice ({name} and an earlier file): {repeated}")
        scalars.update(values)
    return scalars


def _load_default() -> TwinParameters:
    scalars = _read_all_scalars()
    life = _columns("ons_national_life_tables_uk_2017_2019.csv")
    bands = []
    for row in read_data_csv("population_england_mid2020_age.csv"):
        band = row["age_band"]
        lower, upper = (90.0, 101.0) if band == "90+" else (float(band.split("-")[0]), float(band.split("-")[1]) + 1)
        bands.append((lower, upper, float(row["persons"])))
    total = sum(b[2] for b in bands)
    ethnicity = np.array([float(r["persons"]) for r in read_data_csv("ethnicity_england_census2021_qrisk.csv")])
    imd = np.array(
        [float(r["registered_patients"]) for r in read_data_csv("imd2019_quintile_registered_population.csv")]
    )
    rf = _with_child_levels(_columns("risk_factors_by_age_sex.csv"), scalars)
    smoking = _columns("smoking_by_age.csv")
    incidence = _columns("incidence_by_age.csv")
    shares = _columns("death_cause_share_by_age.csv")
    normalisers = _columns("mortality_normalisers.csv")
    return TwinParameters(
        scalars=MappingProxyType(scalars),
        life_table=LifeTable(
            ages=life["age"],
            qx_female=life["qx_female"],
            qx_male=life["qx_male"],
            ex_female=life["ex_female"],
            ex_male=life["ex_male"],
        ),
        age_band_population=tuple((lo, hi, n / total) for lo, hi, n in bands),
        ethnicity_share=ethnicity / ethnicity.sum(),
        imd_quintile_share=imd / imd.sum(),
        qof_prevalence_percent=MappingProxyType(
            {
                r["condition"]: float(r["prevalence_percent"])
                for r in read_data_csv("qof_prevalence_england_2019_20.csv")
            }
        ),
        sbp_mean=SexAgeTable(AgeTable(rf["age"], rf["sbp_female_mmhg"]), AgeTable(rf["age"], rf["sbp_male_mmhg"])),
        ratio_mean=SexAgeTable(
            AgeTable(rf["age"], rf["chol_hdl_ratio_female"]), AgeTable(rf["age"], rf["chol_hdl_ratio_male"])
        ),
        bmi_mean=SexAgeTable(AgeTable(rf["age"], rf["bmi_female_kg_m2"]), AgeTable(rf["age"], rf["bmi_male_kg_m2"])),
        current_smoker_fraction=AgeTable(smoking["age"], smoking["current_smoker_fraction"]),
        ex_smoker_fraction=AgeTable(smoking["age"], smoking["ex_smoker_fraction"]),
        af_incidence_per_year=AgeTable(incidence["age"], incidence["af_incidence_per_100k_py"] / 1e5),
        hf_incidence_per_year=AgeTable(incidence["age"], incidence["heart_failure_incidence_per_100k_py"] / 1e5),
        death_cause_share=MappingProxyType(
            {key[: -len("_share")]: AgeTable(shares["age"], v) for key, v in shares.items() if key.endswith("_share")}
        ),
        mortality_normalisers=MappingProxyType(sex_age_tables(normalisers)),
        statin_ldl_reduction=MappingProxyType(
            {
                (r["drug"], int(r["dose_mg"])): float(r["ldl_reduction_percent"]) / 100.0
                for r in read_data_csv("statin_ldl_reduction.csv")
            }
        ),
        calibration=MappingProxyType(read_scalars("baseline_calibration.csv")),
    )


def sex_age_tables(columns: dict[str, np.ndarray]) -> dict[str, SexAgeTable]:
    """``{name: SexAgeTable}`` from columns ``age``, ``<name>_female`` and ``<name>_male``."""
    names = [key[: -len("_female")] for key in columns if key.endswith("_female")]
    ages = columns["age"]
    return {n: SexAgeTable(AgeTable(ages, columns[f"{n}_female"]), AgeTable(ages, columns[f"{n}_male"])) for n in names}


def _with_child_levels(rf: dict[str, np.ndarray], scalars: Mapping[str, float]) -> dict[str, np.ndarray]:
    """Prepend child levels so the adult value-predictor table extends linearly down to childhood."""
    child_value = {
        "sbp": scalars["child_sbp_mean_mmhg"],
        "chol": scalars["child_chol_hdl_ratio"],
        "bmi": scalars["child_bmi_mean_kg_m2"],
    }
    out = {"age": np.concatenate([[scalars["child_reference_age_years"]], rf["age"]])}
    for column, values in rf.items():
        if column != "age":
            out[column] = np.concatenate([[child_value[column.split("_")[0]]], values])
    return out
