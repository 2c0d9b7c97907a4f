"""Published prevalence gradients by age, sex and deprivation, and the population levels fitted to them.

Two things live here, both read from ``twin_env/data``:

- the SBP profile (``sbp_profile_by_age_sex.csv``): a shift of the ClinRisk mean SBP and the
  between-person SD of usual SBP, by age and sex, so that the share with untreated BP >= 140/90
  follows the HSE-based age/sex profile of hypertension (fitted by
  :func:`twin_env.twin.gradient_calibration.fit_sbp_profile`);
- the published gradients themselves (``prevalence_gradients_england.csv``): HSE and ONS figures
  used as calibration targets and, for the ONS undiagnosed shares, as the shape of the baseline
  diagnosis probability of hypertension by age and sex.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from twin_env.twin.parameters import AgeTable, SexAgeTable, read_data_csv

GRADIENTS_FILE = "prevalence_gradients_england.csv"
SBP_PROFILE_FILE = "sbp_profile_by_age_sex.csv"


@dataclasses.dataclass(frozen=True)
class SbpProfile:
    """Untreated SBP = ClinRisk mean + ``shift`` + (``sd`` / reference SD) x individual offset (mmHg)."""

    shift_mmhg: SexAgeTable
    sd_mmhg: SexAgeTable


@functools.cache
def sbp_profile() -> SbpProfile:
    """The packaged SBP profile (cached; on the same age grid as every :class:`SexAgeTable`)."""
    rows = read_data_csv(SBP_PROFILE_FILE)
    col = {key: np.array([float(r[key]) for r in rows]) for key in rows[0]}
    age = col["age"]
    return SbpProfile(
        shift_mmhg=SexAgeTable(AgeTable(age, col["sbp_shift_female_mmhg"]), AgeTable(age, col["sbp_shift_male_mmhg"])),
        sd_mmhg=SexAgeTable(AgeTable(age, col["sbp_sd_female_mmhg"]), AgeTable(age, col["sbp_sd_male_mmhg"])),
    )


@dataclasses.dataclass(frozen=True)
class PublishedGradient:
    """One published prevalence figure (%) for a group of adults."""

    condition: str  # hypertension | diabetes
    measure: str  # true | diagnosed | undiagnosed | total | undiagnosed_share
    sex: str  # all | male | female
    age_lower: float  # years, inclusive
    age_upper: float  # years, exclusive
    deprivation: str  # all | least | most (quintile)
    value_percent: float
    status: str
    source: str

    @property
    def label(self) -> str:
        band = f"{self.age_lower:.0f}+" if self.age_upper >= 120 else f"{self.age_lower:.0f}-{self.age_upper - 1:.0f}"
        parts = [self.condition, self.measure.replace("_", " "), self.sex, band]
        if self.deprivation != "all":
            parts.append(f"{self.deprivation} deprived")
        return " ".join(p for p in parts if p != "all")


@functools.cache
def published_gradients() -> tuple[PublishedGradient, ...]:
    """Every row of ``prevalence_gradients_england.csv``."""
    return tuple(
        PublishedGradient(
            condition=r["condition"],
            measure=r["measure"],
            sex=r["sex"],
            age_lower=float(r["age_lower"]),
            age_upper=float(r["age_upper"]),
            deprivation=r["deprivation"],
            value_percent=float(r["value_percent"]),
            status=r["status"],
            source=r["source"],
        )
        for r in read_data_csv(GRADIENTS_FILE)
    )


def _all_adults(g: PublishedGradient) -> bool:
    return g.age_lower <= 16 and g.age_upper >= 120


@functools.cache
def _diagnosed_logit_table(condition: str, sex: str) -> AgeTable:
    """logit(1 - published undiagnosed share) by age, anchored at the middle of each published band.

    Uses the rows for ``sex`` if there are any, else those for both sexes; the all-adults row is a
    check, not an anchor. The open top band (75+) is anchored at 80.
    """
    rows = [
        g
        for g in published_gradients()
        if g.condition == condition and g.measure == "undiagnosed_share" and not _all_adults(g)
    ]
    rows = sorted([g for g in rows if g.sex == sex] or [g for g in rows if g.sex == "all"], key=lambda g: g.age_lower)
    if not rows:
        raise ValueError(f"{GRADIENTS_FILE} has no undiagnosed_share rows by age for {condition!r}")
    mids = np.array([(g.age_lower + min(g.age_upper, 85.0)) / 2 for g in rows])
    diagnosed = 1.0 - np.array([g.value_percent for g in rows]) / 100.0
    return AgeTable(mids, np.log(diagnosed / (1.0 - diagnosed)))


def diagnosed_logit(condition: str, female: np.ndarray, age_years: np.ndarray) -> np.ndarray:
    """log-odds (N,) that a present ``condition`` was diagnosed before baseline, by age and sex.

    The shape of the published undiagnosed shares (hypertension: ONS 2023 by age band and sex;
    diabetes: ONS 2013-2019 by age band), linear in age between the bands' middles (intermediate
    bands were not published), constant beyond them.
    """
    f, m = _diagnosed_logit_table(condition, "female"), _diagnosed_logit_table(condition, "male")
    return np.where(female, f(age_years), m(age_years))
