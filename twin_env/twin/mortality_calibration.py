"""Derivation of the mortality normalisers (``twin_env/data/mortality_normalisers.csv``).

For each sex and 5-year age band from 20 to 100, a sample of the twin's population (baseline care
included) is stepped forward month by month; at every step the expected deaths of each cause are
accumulated from the hazards (event hazard x the probability that the event kills), by the band of
the patient's current age. Then, per sex and band, with ``L`` the life-table hazard summed over
person-steps, ``F_c`` the deaths of cause ``c`` from kinds not scaled by a normaliser (acute case
fatality, heart-failure death, harms) and ``R_c`` the unscaled index of the cause's own death kind:

    n_c     = max(0, share_c(age) * L - F_c) / R_c          (c = cvd, renal, diabetes)
    f_other = clip(1 - (sum_c F_c + n_c R_c + F_other) / L, 0, 1)

so the twin's deaths of each cause are the ONS share of the life table's deaths, and all of them
together are the life table's. ``python -m twin_env.twin.calibration --mortality`` re-derives and
writes the file (run it after any change to hazards or case fatality; 5-7 minutes on a loaded 2-core machine).
"""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources

import numpy as np

from twin_env.twin import mortality
from twin_env.twin.cohort import sample_population
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import DATA_PACKAGE, TwinParameters, sex_age_tables
from twin_env.twin.risk_equations import qrisk3_hazard_10y
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import PatientState

#: Lower edges of the 5-year age bands (the last is 95-100); table ages are the band midpoints.
BAND_LOWER_AGES_YEARS: tuple[int, ...] = tuple(range(20, 100, 5))
BAND_WIDTH_YEARS = 5.0
NORMALISED_CAUSES: tuple[str, ...] = ("cvd", "renal", "diabetes")
NORMALISERS_FILE = "mortality_normalisers.csv"
CAUSES_INDEX = {name: i for i, name in enumerate(mortality.CAUSES)}


@dataclasses.dataclass(frozen=True)
class ExpectedDeaths:
    """Hazards summed over person-steps (per year x steps), arrays (2, B): row 0 male, row 1 female.

    ``life``: life-table hazard; ``fixed[c]``: deaths of cause c from kinds no normaliser scales;
    ``index[c]``: the unscaled index of the cause's own death kind; ``modelled[c]``: all deaths of
    cause c with the current normalisers (``other`` includes DEATH_NON_CVD).
    """

    life: np.ndarray
    fixed: dict[str, np.ndarray]
    index: dict[str, np.ndarray]
    modelled: dict[str, np.ndarray]

    def share(self, cause: str) -> np.ndarray:
        """(2, B) share of the modelled deaths that are of ``cause``."""
        total = sum(self.modelled.values())
        return self.modelled[cause] / np.maximum(total, 1e-300)


def expected_deaths(
    params: TwinParameters, n_per_band: int = 40_000, seed: int = 20_261_201, months: int = 12
) -> ExpectedDeaths:
    """Expected deaths by cause, sex and age band in samples of the population stepped ``months`` months."""
    bands = len(BAND_LOWER_AGES_YEARS)
    sums: dict[str, np.ndarray] = {}

    def add(name: str, bins: np.ndarray, weights: np.ndarray) -> None:
        sums[name] = sums.get(name, 0.0) + np.bincount(bins, weights=weights, minlength=2 * bands)

    cause = np.array([CAUSES_INDEX[mortality.cause_of_death(k)] for k in EventKind])
    driven = np.zeros(len(EventKind), dtype=bool)
    driven[list(mortality.DRIVEN_DEATH.values())] = True
    driven[EventKind.DEATH_NON_CVD] = True
    fixed_weights = mortality.death_probability_per_event(params) * ~driven
    all_weights = mortality.death_probability_per_event(params)
    simulator = TwinSimulator(params)
    state = _banded_population(params, n_per_band, seed)
    dt = 1.0 / 12.0
    for _ in range(months):
        simulator.step(state, dt)
        hazards = simulator.current_hazards(state, dt)
        alive = state.alive
        band = ((state.age_years - BAND_LOWER_AGES_YEARS[0]) // BAND_WIDTH_YEARS).astype(np.intp)
        bins = np.clip(band, 0, bands - 1) + bands * state.female
        add("life", bins, alive * params.life_table.annual_hazard(state.age_years, state.female))
        for c, name in enumerate(mortality.CAUSES):
            in_cause = cause == c
            add(f"fixed_{name}", bins, alive * (fixed_weights[in_cause] @ hazards[in_cause]))
            add(f"modelled_{name}", bins, alive * (all_weights[in_cause] @ hazards[in_cause]))
        add("index_cvd", bins, alive * mortality.cvd_death_index(hazards))
        add("index_renal", bins, alive * mortality.renal_death_index(state, params))
        add("index_diabetes", bins, alive * mortality.diabetes_death_index(state, params))

    def shaped(name: str) -> np.ndarray:
        return sums[name].reshape(2, bands)

    return ExpectedDeaths(
        life=shaped("life"),
        fixed={c: shaped(f"fixed_{c}") for c in mortality.CAUSES},
        index={c: shaped(f"index_{c}") for c in NORMALISED_CAUSES},
        modelled={c: shaped(f"modelled_{c}") for c in mortality.CAUSES},
    )


def _banded_population(params: TwinParameters, n_per_band: int, seed: int) -> PatientState:
    """``n_per_band`` sampled patients in every age band, in one state (band b drawn with seed ``seed + b``)."""
    parts = [
        sample_population(n_per_band, seed + b, min_age=float(lo), max_age=lo + BAND_WIDTH_YEARS, config=params)[0]
        for b, lo in enumerate(BAND_LOWER_AGES_YEARS)
    ]
    return PatientState({name: np.concatenate([part.columns[name] for part in parts]) for name in parts[0].columns})


def band_mid_ages() -> np.ndarray:
    """(B,) midpoint age (years) of each band: the ages of the normaliser table."""
    return np.array(BAND_LOWER_AGES_YEARS, dtype=float) + BAND_WIDTH_YEARS / 2


def normalisers_from(deaths: ExpectedDeaths, params: TwinParameters) -> dict[str, np.ndarray]:
    """Columns of the normaliser table (``age``, ``<cause>_female``, ``<cause>_male``, ``other_fraction_*``)."""
    ages = band_mid_ages()
    explained = deaths.fixed["other"].copy()
    values: dict[str, np.ndarray] = {}
    for cause in NORMALISED_CAUSES:
        target = params.death_cause_share[cause](ages)[None, :] * deaths.life
        unmet, index = np.maximum(target - deaths.fixed[cause], 0.0), deaths.index[cause]
        scale = np.where(index > 0, unmet / np.where(index > 0, index, 1.0), 0.0)
        values[cause] = scale
        explained += deaths.fixed[cause] + scale * deaths.index[cause]
    values["other_fraction"] = np.clip(1.0 - explained / deaths.life, 0.0, 1.0)
    columns = {"age": ages}
    for name, value in values.items():
        columns[f"{name}_female"] = value[1]
        columns[f"{name}_male"] = value[0]
    return columns


def with_normalisers(params: TwinParameters, columns: dict[str, np.ndarray]) -> TwinParameters:
    """A copy of ``params`` using normaliser table ``columns``."""
    return dataclasses.replace(params, mortality_normalisers=sex_age_tables(columns))


def derive_normalisers(
    params: TwinParameters | None = None, n_per_band: int = 40_000, seed: int = 20_261_201, passes: int = 2
) -> dict[str, np.ndarray]:
    """Normaliser table columns; each pass re-derives on a population stepped with the previous pass's table."""
    params = params or TwinParameters.default()
    columns: dict[str, np.ndarray] = {}
    for _ in range(passes):
        columns = normalisers_from(expected_deaths(params, n_per_band, seed), params)
        params = with_normalisers(params, columns)
    return columns


def write_normalisers(columns: dict[str, np.ndarray]) -> None:
    """Overwrite the packaged ``mortality_normalisers.csv`` (a source checkout only)."""
    path = resources.files(DATA_PACKAGE).joinpath(NORMALISERS_FILE)
    names = list(columns)
    with open(str(path), "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names)
        for i in range(len(columns["age"])):
            writer.writerow([f"{columns[n][i]:.6g}" for n in names])


def death_share_report(deaths: ExpectedDeaths, params: TwinParameters) -> str:
    """Markdown table: the twin's share of deaths by cause, sex and age band against the ONS shares."""
    ages = band_mid_ages()
    lines = ["| age band | cause | ONS share | twin female | twin male |", "|---|---|---|---|---|"]
    for cause in NORMALISED_CAUSES:
        target = params.death_cause_share[cause](ages)
        share = deaths.share(cause)
        for b, lower in enumerate(BAND_LOWER_AGES_YEARS):
            lines.append(f"| {lower}-{lower + 4} | {cause} | {target[b]:.3f} | {share[1, b]:.3f} | {share[0, b]:.3f} |")
    return "\n".join(lines)


def rederive_and_write(params: TwinParameters) -> TwinParameters:
    """The calibration command's one call: derive, write, print the check; returns params using the new table."""
    columns = derive_normalisers(params)
    write_normalisers(columns)
    params = with_normalisers(params, columns)
    print(f"wrote {NORMALISERS_FILE}; expected share of deaths by cause (twin population, baseline care):")
    print(death_share_report(expected_deaths(params, n_per_band=20_000, seed=1), params))
    return params


@dataclasses.dataclass(frozen=True)
class DeathRelativeRisk:
    """Ten-year risk of death, treated vs control cohort: all-cause and by cause group (risk ratios)."""

    treatment: str
    cohort: str
    n: int
    control_deaths: int
    treated_deaths: int
    all_cause: float
    cvd: float
    non_cvd: float
    control_cvd_share: float


TREATMENTS = ("sbp_10_mmhg", "ldl_1_mmol_l")


def death_relative_risks(
    treatment: str, n: int = 40_000, seed: int = 31, years: float = 10.0, params: TwinParameters | None = None
) -> list[DeathRelativeRisk]:
    """Risk ratios of death in a 40-74 cohort, untreated vs treated to exactly 10 mmHg lower SBP (a CCB
    with a fixed 10 mmHg effect) or 1 mmol/L lower LDL-C (a statin at 1 / untreated LDL-C), no stopping;
    for the whole cohort, those with untreated SBP >= 140 mmHg at the start and those at high risk."""
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}, got {treatment!r}")
    from twin_env.twin.calibration import untreated  # noqa: PLC0415 - calibration imports this module
    from twin_env.twin.treatment_effects import apply_treatment_effects  # noqa: PLC0415

    params = (params or TwinParameters.default()).replace(
        law_bp_fall_standard_dose_sbp_mmhg=10.0,
        law_extra_fall_sbp_per_10mmhg_pretreatment=0.0,
        stop_per_year_antihypertensive=0.0,
        stop_per_year_statin=0.0,
    )
    control, _ = sample_population(n, seed, min_age=40, max_age=74, config=params)
    untreated(control, params)
    control.adherence = 1.0
    treated = control.copy()
    if treatment == "sbp_10_mmhg":
        treated.dose_ccb = 1.0
    else:
        treated.statin_ldl_reduction = np.minimum(1.0 / treated.ldl_untreated_mmol_l, 0.9)
    apply_treatment_effects(treated, params)
    hypertensive = control.sbp_untreated_mmhg >= 140.0
    qrisk3_10y = -np.expm1(-qrisk3_hazard_10y(control, params, control.age_years))
    high_risk = control.has_cvd | (qrisk3_10y >= 0.20)
    cause = np.array([CAUSES_INDEX[mortality.cause_of_death(k)] for k in EventKind])
    twin = TwinSimulator(params)
    death_cause = {arm: np.full(n, -1) for arm in ("control", "treated")}
    for _ in range(int(round(years * 12))):
        for arm, state in (("control", control), ("treated", treated)):
            events = twin.step(state)
            death_cause[arm][events.died] = cause[events.kind[events.died]]
    results = []
    cohorts = (
        ("40-74", np.ones(n, dtype=bool)),
        ("40-74, untreated SBP >= 140", hypertensive),
        ("40-74, established CVD or QRISK3 >= 20%", high_risk),
    )
    for cohort, rows in cohorts:
        c, t = death_cause["control"][rows], death_cause["treated"][rows]
        cvd = CAUSES_INDEX["cvd"]
        results.append(
            DeathRelativeRisk(
                treatment=treatment,
                cohort=cohort,
                n=int(rows.sum()),
                control_deaths=int((c >= 0).sum()),
                treated_deaths=int((t >= 0).sum()),
                all_cause=float((t >= 0).sum() / (c >= 0).sum()),
                cvd=float((t == cvd).sum() / (c == cvd).sum()),
                non_cvd=float(((t >= 0) & (t != cvd)).sum() / ((c >= 0) & (c != cvd)).sum()),
                control_cvd_share=float((c == cvd).sum() / (c >= 0).sum()),
            )
        )
    return results


def period_life_expectancy(deaths: ExpectedDeaths, params: TwinParameters, start_age: int) -> dict[str, float]:
    """Period life expectancy (years) at ``start_age`` by sex, as ONS computes it, of the twin and of the life table.

    The twin's hazard at each single year of age is the life table's times the ratio of the twin's
    modelled deaths (all causes) to the life table's in that age's band; keys ``female``, ``male``
    (twin) and ``ons_female``, ``ons_male`` (the same integration with ratio 1).
    """
    table = params.life_table
    ages = np.arange(start_age, len(table.ages))
    band = np.clip((ages - BAND_LOWER_AGES_YEARS[0]) // int(BAND_WIDTH_YEARS), 0, len(BAND_LOWER_AGES_YEARS) - 1)
    ratio = sum(deaths.modelled.values()) / deaths.life
    result = {}
    for row, sex, qx in ((1, "female", table.qx_female), (0, "male", table.qx_male)):
        for label, scale in ((sex, ratio[row, band]), (f"ons_{sex}", 1.0)):
            hazard = -np.log1p(-qx[ages]) * scale
            survival = np.concatenate([[1.0], np.exp(-np.cumsum(hazard))])
            years = survival[:-1] * -np.expm1(-hazard) / hazard  # integral of survival over each year
            result[label] = float(years.sum() + survival[-1] / hazard[-1])  # beyond the table: last hazard
    return result
