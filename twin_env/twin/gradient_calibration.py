"""Prevalence gradients by age, sex and deprivation: the twin against HSE and ONS, and the SBP fit.

``python -m twin_env.twin.gradient_calibration`` prints the table of achieved vs published figures
(the one in docs/twin.md); ``--fit`` first re-derives the SBP profile's mean shifts
(``sbp_profile_by_age_sex.csv``) and the SBP deprivation offset so that true hypertension follows
the published age/sex profile and deprivation gradient (slow: a minute or two).

Definitions in the twin: *true* hypertension is untreated usual BP >= 140/90 (the published
figures count measured >= 140/90 or on treatment); *diagnosed* is the baseline GP record; the
undiagnosed share is undiagnosed / true. Ages 18+ (the twin's conditions start at 18; the
published bands start at 15 or 16). Deprivation: IMD quintile 5 least, 1 most deprived (the
diabetes figures are by income quintile, used as the shape of the gradient).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from importlib import resources
from statistics import NormalDist

import numpy as np
import pandas as pd

from twin_env.twin.cohort import sample_population
from twin_env.twin.parameters import DATA_PACKAGE, TwinParameters
from twin_env.twin.population import sample_demographics_and_risk_factors
from twin_env.twin.population_gradients import SBP_PROFILE_FILE, PublishedGradient, published_gradients, sbp_profile

MIN_AGE_YEARS = 18.0
MAX_AGE_YEARS = 100.0
_QUINTILE = {"least": 5, "most": 1}


def logit(p: np.ndarray | float) -> np.ndarray:
    """log(p / (1 - p))."""
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


def probit(p: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of ``p`` (K,), 0 < p < 1."""
    return np.array([NormalDist().inv_cdf(float(x)) for x in np.ravel(p)])


def gradient_frame(n: int, seed: int, params: TwinParameters | None = None) -> pd.DataFrame:
    """One row per adult (18-100) at baseline: age, female, imd_quintile and the four prevalence flags."""
    state, diagnoses = sample_population(n, seed, min_age=MIN_AGE_YEARS, max_age=MAX_AGE_YEARS, config=params)
    dx = diagnoses.diagnosed
    return pd.DataFrame(
        {
            "age": state.age_years,
            "female": state.female,
            "imd_quintile": state.imd_quintile.astype(np.int64),
            "hypertension_true": state.hypertension,
            "hypertension_diagnosed": dx["hypertension"],
            "diabetes_true": state.type2_diabetes | state.type1_diabetes,
            "diabetes_diagnosed": dx["type2_diabetes"] | dx["type1_diabetes"],
        }
    )


def _group(frame: pd.DataFrame, g: PublishedGradient) -> pd.DataFrame:
    keep = (frame["age"] >= g.age_lower) & (frame["age"] < g.age_upper)
    if g.sex != "all":
        keep &= frame["female"] == (g.sex == "female")
    if g.deprivation != "all":
        keep &= frame["imd_quintile"] == _QUINTILE[g.deprivation]
    return frame[keep]


def achieved_percent(frame: pd.DataFrame, g: PublishedGradient) -> float:
    """The twin's value (%) of a published figure's measure in the figure's group."""
    rows = _group(frame, g)
    true, diagnosed = rows[f"{g.condition}_true"], rows[f"{g.condition}_diagnosed"]
    if g.measure == "true" or g.measure == "total":
        value = true.mean()
    elif g.measure == "diagnosed":
        value = diagnosed.mean()
    elif g.measure == "undiagnosed":
        value = (true & ~diagnosed).mean()
    elif g.measure == "undiagnosed_share":
        value = 1.0 - diagnosed[true].mean()
    else:
        raise ValueError(f"measure must be true, total, diagnosed, undiagnosed or undiagnosed_share, got {g.measure!r}")
    return 100.0 * float(value)


@dataclasses.dataclass(frozen=True)
class GradientCheck:
    """A published figure and the twin's value for it (%)."""

    published: PublishedGradient
    achieved_percent: float


def gradient_checks(n: int = 200_000, seed: int = 1, params: TwinParameters | None = None) -> list[GradientCheck]:
    """Every published gradient figure with the twin's value in an adult sample of ``n``."""
    frame = gradient_frame(n, seed, params)
    return [GradientCheck(g, achieved_percent(frame, g)) for g in published_gradients()]


def gradient_report(checks: list[GradientCheck], n: int = 200_000, seed: int = 1) -> str:
    """Markdown table of achieved vs published (paste into docs/twin.md or docs/report.md)."""
    lines = [
        f"Prevalence gradients at baseline, {n:,} adults aged 18-100 (seed {seed}):",
        "",
        "| figure | twin % | published % | status | source |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        g = c.published
        source = re.split(r"[;:]| \(", g.source)[0]
        lines.append(f"| {g.label} | {c.achieved_percent:.1f} | {g.value_percent:g} | {g.status} | {source} |")
    return "\n".join(lines)


def fit_sbp_profile(n: int = 200_000, seed: int = 5, iterations: int = 12) -> tuple[pd.DataFrame, float]:
    """Mean SBP shifts by age anchor and sex, and the SBP offset per more-deprived quintile, fitted so that
    untreated BP >= 140/90 matches the HSE-based age/sex profile and the HSE deprivation gap (log-odds).

    One sample with the packaged profile; each candidate moves its untreated SBP by the change in
    shift plus the change in deprivation offset (times the age/sex spread), and DBP by its regression
    slope. Newton-like steps: shift += SD x (probit(target) - probit(achieved)) at each band's anchor
    row (the child row stays as it is). Returns the table and the deprivation offset (mmHg per quintile).
    """
    params = TwinParameters.default()
    table = pd.read_csv(str(resources.files(DATA_PACKAGE).joinpath(SBP_PROFILE_FILE)))
    targets = [g for g in published_gradients() if g.condition == "hypertension" and g.measure == "true"]
    by_sex = {s: sorted((g for g in targets if g.sex == s), key=lambda g: g.age_lower) for s in ("female", "male")}
    dep = {g.deprivation: g.value_percent / 100.0 for g in targets if g.deprivation != "all"}
    target_gap = logit(dep["most"]) - logit(dep["least"])
    rows = table.index[table["age"] >= MIN_AGE_YEARS]
    if len(rows) != len(by_sex["male"]):
        raise ValueError(f"{SBP_PROFILE_FILE} needs one row from age 18 per published age band")

    state = sample_demographics_and_risk_factors(seed, n, params, MIN_AGE_YEARS, MAX_AGE_YEARS)
    age, female = state.age_years, state.female
    sex_of = np.where(female, "female", "male")
    steps = 3.0 - state.imd_quintile
    spread = sbp_profile().sd_mmhg(female, age) / params["sbp_between_person_sd_mmhg"]
    base_shift = sbp_profile().shift_mmhg(female, age)
    slope0 = slope = params["sbp_offset_per_quintile_more_deprived_mmhg"]
    band_of = {
        s: [(age >= max(g.age_lower, MIN_AGE_YEARS)) & (age < g.age_upper) & (sex_of == s) for g in by_sex[s]]
        for s in by_sex
    }
    for _ in range(iterations):
        shift = np.where(
            female,
            np.interp(age, table["age"], table["sbp_shift_female_mmhg"]),
            np.interp(age, table["age"], table["sbp_shift_male_mmhg"]),
        )
        delta = shift - base_shift + spread * (slope - slope0) * steps
        htn = (state.sbp_untreated_mmhg + delta >= 140.0) | (
            state.dbp_untreated_mmhg + params["dbp_slope_per_sbp_mmhg"] * delta >= 90.0
        )
        for s in by_sex:
            achieved = np.clip([htn[b].mean() for b in band_of[s]], 1e-4, 1 - 1e-4)
            target = np.array([g.value_percent / 100.0 for g in by_sex[s]])
            sd = table.loc[rows, f"sbp_sd_{s}_mmhg"].to_numpy()
            table.loc[rows, f"sbp_shift_{s}_mmhg"] += sd * (probit(target) - probit(achieved))
        gap = logit(htn[state.imd_quintile == 1].mean()) - logit(htn[state.imd_quintile == 5].mean())
        slope *= target_gap / gap
    return table.round(2), round(float(slope), 3)


def write_sbp_profile(table: pd.DataFrame) -> None:
    """Overwrite the packaged ``sbp_profile_by_age_sex.csv`` (a source checkout only)."""
    path = str(resources.files(DATA_PACKAGE).joinpath(SBP_PROFILE_FILE))
    text = table.to_csv(index=False, lineterminator="\n")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--fit", action="store_true", help="refit and write the SBP profile; print the deprivation offset to set"
    )
    parser.add_argument("-n", type=int, default=200_000, help="adults sampled (default 200,000)")
    args = parser.parse_args()
    if args.fit:
        table, slope = fit_sbp_profile(n=args.n)
        write_sbp_profile(table)
        print(f"wrote {SBP_PROFILE_FILE}; set twin parameter sbp_offset_per_quintile_more_deprived_mmhg = {slope}")
        return
    print(gradient_report(gradient_checks(n=args.n), n=args.n))


if __name__ == "__main__":
    main()
