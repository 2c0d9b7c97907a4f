"""Calibration of the twin against its published targets, and the derivation of its derived figures.

Targets:

- recorded prevalence at baseline of an all-ages population = QOF 2019/20;
- 10-year first-CVD incidence of an untreated 40-74 cohort = its mean QRISK3 prediction;
- 10-year type 2 diabetes incidence of the same cohort = its mean QDiabetes-2018 (A) prediction;
- life expectancy at 40, 60 and 80 = ONS national life tables 2017-2019.

``python -m twin_env.twin.calibration`` re-derives ``twin_env/data/baseline_calibration.csv``
(by bisection on each scale factor, in dependency order) and prints every check; ``--mortality``
re-derives ``mortality_normalisers.csv`` (see ``twin_env.twin.mortality_calibration``). The tests in
``tests/twin/test_calibration.py`` call the same functions.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
from importlib import resources

import numpy as np

from twin_env.twin import mortality_calibration
from twin_env.twin.cohort import cohort_frame, sample_population
from twin_env.twin.events import QRISK3_OUTCOMES, EventKind
from twin_env.twin.parameters import DATA_PACKAGE, TwinParameters
from twin_env.twin.risk_equations import qdiabetes_hazard_10y, qrisk3_hazard_10y
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

#: (calibration parameter, QOF condition, cohort column(s) counted, minimum age of the register)
PREVALENCE_TARGETS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("prevalence_scale_type2_diabetes", "diabetes", ("type2_diabetes", "type1_diabetes"), 17.0),
    ("diagnosed_fraction_ckd_3_5", "ckd_stage_3_5", ("ckd_3_5",), 18.0),
    ("hypertension_diagnosis_logit_shift", "hypertension", ("hypertension",), 0.0),
    ("prevalence_scale_atrial_fibrillation", "atrial_fibrillation", ("atrial_fibrillation",), 0.0),
    ("prevalence_scale_chd", "chd", ("chd",), 0.0),
    ("prevalence_scale_stroke_tia", "stroke_tia", ("stroke_tia",), 0.0),
    ("prevalence_scale_heart_failure", "heart_failure", ("heart_failure",), 0.0),
)
_SEARCH_RANGE = {"hypertension_diagnosis_logit_shift": (-5.0, 8.0), "diagnosed_fraction_ckd_3_5": (0.01, 1.0)}


def recorded_prevalence_percent(n: int, seed: int, params: TwinParameters) -> dict[str, float]:
    """Recorded prevalence (%) of each QOF target condition in an all-ages sample."""
    state, diagnoses = sample_population(n, seed, config=params)
    frame = cohort_frame(state, diagnoses)
    result = {}
    for _, condition, columns, min_age in PREVALENCE_TARGETS:
        register = frame[list(columns)].any(axis=1)
        result[condition] = 100.0 * float(register[frame["age"] >= min_age].mean())
    return result


def calibrate_baseline(
    n: int = 200_000, seed: int = 20_200_401, iterations: int = 22, passes: int = 3
) -> dict[str, float]:
    """Bisection on each calibration parameter so recorded prevalence matches QOF (conditions
    depend on each other, so the sweep is repeated ``passes`` times)."""
    params = TwinParameters.default()
    for _ in range(passes):
        for name, condition, _, _ in PREVALENCE_TARGETS:
            target = params.qof_prevalence_percent[condition]
            lo, hi = _SEARCH_RANGE.get(name, (0.0, 5.0))
            for _ in range(iterations):
                mid = (lo + hi) / 2
                achieved = recorded_prevalence_percent(n, seed, params.replace(**{name: mid}))[condition]
                lo, hi = (mid, hi) if achieved < target else (lo, mid)
            params = params.replace(**{name: (lo + hi) / 2})
    return dict(params.calibration)


def write_calibration(values: dict[str, float]) -> None:
    """Overwrite the packaged ``baseline_calibration.csv`` (a source checkout only)."""
    targets = {name: condition for name, condition, _, _ in PREVALENCE_TARGETS}
    path = resources.files(DATA_PACKAGE).joinpath("baseline_calibration.csv")
    with open(str(path), "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["name", "value", "target"])
        for name, value in values.items():
            writer.writerow([name, f"{value:.6g}", targets[name]])


def untreated(state: PatientState, params: TwinParameters) -> None:
    """Stop every treatment of ``state`` in place."""
    for field in TREATMENT_FIELDS:
        state.columns[field][:] = 0.0
    apply_treatment_effects(state, params)


@dataclasses.dataclass(frozen=True)
class IncidenceCheck:
    """Simulated vs predicted 10-year incidence (%) in an untreated cohort."""

    outcome: str
    n_at_risk: int
    simulated_percent: float
    predicted_percent: float

    @property
    def ratio(self) -> float:
        return self.simulated_percent / self.predicted_percent


def untreated_incidence(
    n: int = 50_000, seed: int = 7, years: float = 10.0, params: TwinParameters | None = None
) -> tuple[IncidenceCheck, IncidenceCheck]:
    """First-CVD (vs QRISK3) and type 2 diabetes (vs QDiabetes-2018 A) in an untreated cohort aged 40-74."""
    params = params or TwinParameters.default()
    state, _ = sample_population(n, seed, min_age=40.0, max_age=74.0, config=params)
    untreated(state, params)
    cvd_free = ~state.has_cvd
    diabetes_free = ~(state.type2_diabetes | state.type1_diabetes)
    predicted_cvd = -np.expm1(-qrisk3_hazard_10y(state, params, state.age_years))
    predicted_t2d = -np.expm1(-qdiabetes_hazard_10y(state, params, state.age_years))
    simulator = TwinSimulator(params)
    had_cvd = np.zeros(state.n, dtype=bool)
    had_t2d = np.zeros(state.n, dtype=bool)
    for _ in range(int(round(years * 12))):
        events = simulator.step(state, 1.0 / 12.0)
        had_cvd |= np.isin(events.kind, QRISK3_OUTCOMES)
        had_t2d |= events.kind == EventKind.TYPE2_DIABETES
    return (
        IncidenceCheck(
            "first CVD (QRISK3)",
            int(cvd_free.sum()),
            100 * had_cvd[cvd_free].mean(),
            100 * predicted_cvd[cvd_free].mean(),
        ),
        IncidenceCheck(
            "type 2 diabetes (QDiabetes-2018 A)",
            int(diabetes_free.sum()),
            100 * had_t2d[diabetes_free].mean(),
            100 * predicted_t2d[diabetes_free].mean(),
        ),
    )


def life_expectancy(
    start_age: float, n: int = 20_000, seed: int = 11, params: TwinParameters | None = None
) -> dict[str, float]:
    """Simulated mean remaining years of life from ``start_age`` by sex, under baseline care only."""
    params = params or TwinParameters.default()
    state, _ = sample_population(n, seed, min_age=start_age, max_age=start_age, config=params)
    simulator = TwinSimulator(params)
    dt = 1.0 / 12.0
    while state.alive.any():
        simulator.step(state, dt)
    remaining = state.age_years - start_age + dt / 2  # deaths fall on average mid-step
    return {"female": float(remaining[state.female].mean()), "male": float(remaining[~state.female].mean())}


@dataclasses.dataclass(frozen=True)
class CalibrationResults:
    """Every calibration check: prevalence (%), incidence checks, life expectancy (years) by age and sex."""

    prevalence_percent: dict[str, float]
    incidence: tuple[IncidenceCheck, IncidenceCheck]
    life_expectancy: dict[int, dict[str, float]]


def run_calibration_checks(params: TwinParameters) -> CalibrationResults:
    """Run every check at the sizes quoted in docs/twin.md (about a minute)."""
    return CalibrationResults(
        prevalence_percent=recorded_prevalence_percent(200_000, 1, params),
        incidence=untreated_incidence(params=params),
        life_expectancy={age: life_expectancy(float(age), params=params) for age in (40, 60, 80)},
    )


def calibration_report(results: CalibrationResults, params: TwinParameters) -> str:
    """Markdown tables of every calibration check (the figures quoted in docs/twin.md)."""
    lines = ["Recorded prevalence at baseline, 200,000 people of all ages (seed 1):", ""]
    lines += ["| QOF register | simulated % | QOF 2019/20 % | relative difference |", "|---|---|---|---|"]
    for condition, value in results.prevalence_percent.items():
        target = params.qof_prevalence_percent[condition]
        lines.append(f"| {condition} | {value:.2f} | {target:.2f} | {value / target - 1:+.1%} |")
    lines += ["", "Ten-year incidence in an untreated cohort aged 40-74 (50,000 sampled, seed 7):", ""]
    lines += ["| outcome | at risk | simulated % | mean predicted % | ratio |", "|---|---|---|---|---|"]
    for check in results.incidence:
        lines.append(
            f"| {check.outcome} | {check.n_at_risk:,} | {check.simulated_percent:.2f} | "
            f"{check.predicted_percent:.2f} | {check.ratio:.3f} |"
        )
    lines += ["", "Life expectancy under baseline care (20,000 per start age, seed 11):", ""]
    lines += ["| age | female simulated | female ONS | male simulated | male ONS |", "|---|---|---|---|---|"]
    table = params.life_table
    for age, le in results.life_expectancy.items():
        lines.append(
            f"| {age} | {le['female']:.2f} | {table.ex_female[age]:.2f} | {le['male']:.2f} | {table.ex_male[age]:.2f} |"
        )
    return "\n".join(lines)


def plot_calibration(results: CalibrationResults, params: TwinParameters, path: str) -> None:
    """Write a PNG of the three checks (needs matplotlib: the ``viz`` extra)."""
    import matplotlib  # noqa: PLC0415 - optional dependency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    names = list(results.prevalence_percent)
    x = np.arange(len(names))
    axes[0].bar(x - 0.2, [params.qof_prevalence_percent[c] for c in names], 0.4, label="QOF 2019/20")
    axes[0].bar(x + 0.2, [results.prevalence_percent[c] for c in names], 0.4, label="twin")
    axes[0].set_xticks(x, [c.replace("_", " ") for c in names], rotation=40, ha="right")
    axes[0].set_ylabel("recorded prevalence (%)")
    axes[0].legend()
    checks = results.incidence
    x = np.arange(len(checks))
    axes[1].bar(x - 0.2, [c.predicted_percent for c in checks], 0.4, label="mean predicted")
    axes[1].bar(x + 0.2, [c.simulated_percent for c in checks], 0.4, label="twin")
    axes[1].set_xticks(x, ["first CVD\n(QRISK3)", "type 2 diabetes\n(QDiabetes A)"])
    axes[1].set_ylabel("10-year incidence, untreated 40-74 (%)")
    axes[1].legend()
    ages = list(results.life_expectancy)
    table = params.life_table
    for sex, ons in (("female", table.ex_female), ("male", table.ex_male)):
        axes[2].plot(ages, [ons[a] for a in ages], "o--", label=f"ONS {sex}")
        axes[2].plot(ages, [results.life_expectancy[a][sex] for a in ages], "s-", label=f"twin {sex}")
    axes[2].set_xlabel("age (years)")
    axes[2].set_ylabel("life expectancy (years)")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="re-derive and write baseline_calibration.csv")
    parser.add_argument(
        "--mortality", action="store_true", help="re-derive and write mortality_normalisers.csv (after --write)"
    )
    parser.add_argument("--plot", metavar="PNG", help="also write a figure of the checks (needs matplotlib)")
    args = parser.parse_args()
    params = TwinParameters.default()
    if args.write:
        values = calibrate_baseline()
        write_calibration(values)
        params = params.replace(**values)
        print("wrote baseline_calibration.csv:", values)
    if args.mortality:
        params = mortality_calibration.rederive_and_write(params)
    results = run_calibration_checks(params)
    print(calibration_report(results, params))
    if args.plot:
        plot_calibration(results, params, args.plot)


if __name__ == "__main__":
    main()
