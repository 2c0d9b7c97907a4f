"""Is the what-if forecast calibrated? Twins built from exported FHIR only, forecast, against what happened.

``python -m twin_env.trials.forecast_check --patients N --seed S --out DIR`` samples N patients aged 40-80,
simulates five years under usual care (record artefacts included), exports each survivor's GP record as a FHIR
Bundle, reads it back (:func:`twin_env.read_record`, as of the simulation's end, with
``impossible_values="ignore"``: the project's own exports carry record artefacts, about 1 in 95 an impossible value
such as a unit slip, listed as ignored; :func:`twin_env.analysis.patient_twin_cohort.twinned_cohort`) and builds its
posterior ensemble from it alone (:func:`twin_env.twin_from_record`, ``--samples`` per patient). All ensembles are
then forecast five more years under background care (strategy ``none``, :func:`twin_env.trials.whatif.forecast`),
while the originals live those five years on in their own simulation. A patient's predicted risk of an outcome is
the share of its samples with it; observed is whether the original had it. Reported per outcome (MI, stroke, CVD,
death): expected (sum of predicted risks), observed, O/E (target 0.8-1.25) and predicted vs observed by decile of
predicted risk. Writes ``DIR/patient_twin_forecast_check.json`` and ``.png``.

It lives in ``trials`` (not ``analysis``) because it runs the forecast, which is a ``trials`` module.
"""

from __future__ import annotations

import numpy as np

from twin_env.analysis.patient_twin_cohort import (
    MAX_AGE_YEARS,
    MIN_AGE_YEARS,
    check_main,
    decile_calibration,
    twinned_cohort,
)
from twin_env.patient_twin.diagnosed import recorded_diagnoses
from twin_env.trials.follow_up import follow_up
from twin_env.trials.forecast_check_plot import forecast_check_plot
from twin_env.trials.schema import Arm, NoneStrategy, Population
from twin_env.trials.whatif import FORECAST_OUTCOMES, forecast
from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.state import PatientState

YEARS = 5
#: Outcomes checked (names of :data:`~twin_env.trials.whatif.FORECAST_OUTCOMES`).
CHECKED_OUTCOMES: tuple[str, ...] = ("mi", "stroke", "cvd", "death")
O_E_TARGET = (0.8, 1.25)


def forecast_check(patients: int, seed: int, n_samples: int = 50) -> dict:
    """The calibration report (a JSON-ready dict) for ``patients`` simulated patients of population ``seed``."""
    cohort = twinned_cohort(patients, seed, YEARS, n_samples)
    sim, source, twinned = cohort.sim, cohort.source, cohort.patients
    if not twinned:
        raise ValueError("patients: no survivor's record could be read; raise --patients")
    states = [twin.state for twin in cohort.twins]
    diagnoses = [recorded_diagnoses(record, twin.state) for record, twin in zip(cohort.records, cohort.twins)]
    state, dx = _concatenate(states, diagnoses)
    usual_care = [Arm("none", NoneStrategy())]
    predicted = forecast(state, dx, usual_care, start_date=source.end, years=YEARS, seed=seed).strategies["none"]
    population = Population(patients, seed, MIN_AGE_YEARS, MAX_AGE_YEARS, source.end)
    actual = follow_up(sim, NoneStrategy(), {}, population, float(YEARS), FORECAST_OUTCOMES)
    rows = np.repeat(np.arange(len(twinned)), n_samples)
    outcomes = {}
    for name in CHECKED_OUTCOMES:
        had = predicted.had_by_year(name, YEARS)[:, -1].astype(np.float64)
        risk = np.bincount(rows, had, minlength=len(twinned)) / n_samples
        observed = ~np.isnan(actual.first_years[name][twinned])
        outcomes[name] = decile_calibration(risk, observed)
    return {
        "patients": patients,
        "seed": seed,
        "ages": [MIN_AGE_YEARS, MAX_AGE_YEARS],
        "years_simulated_before": YEARS,
        "years_forecast": YEARS,
        "n_samples": n_samples,
        "alive_at_export": len(twinned) + len(cohort.unreadable),
        "twinned": len(twinned),
        "unreadable": cohort.unreadable,
        "o_e_target": list(O_E_TARGET),
        "outcomes": outcomes,
    }


def _concatenate(
    states: list[PatientState], diagnoses: list[BaselineDiagnoses]
) -> tuple[PatientState, BaselineDiagnoses]:
    """One batch of every patient's samples, in order."""
    total = sum(s.n for s in states)
    state, start = PatientState.empty(total), 0
    for s in states:
        state.put(slice(start, start + s.n), s)
        start += s.n
    names = diagnoses[0].diagnosed
    return state, BaselineDiagnoses({k: np.concatenate([d.diagnosed[k] for d in diagnoses]) for k in names})


def table(report: dict) -> str:
    """The printed summary: per outcome, expected, observed and O/E."""
    lines = [f"{'outcome':<8} {'n':>5} {'expected':>9} {'observed':>9} {'O/E':>6}"]
    for name, c in report["outcomes"].items():
        o_e = c["o_e"] if c["o_e"] is not None else float("nan")
        lines.append(f"{name:<8} {c['n']:>5} {c['expected']:>9.1f} {c['observed']:>9d} {o_e:>6.2f}")
    lines.append(f"{YEARS}-year risks of twins built from exported FHIR; O/E target {O_E_TARGET[0]}-{O_E_TARGET[1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The CLI: writes the JSON and the PNG into ``--out`` and prints a table."""
    return check_main(
        argv,
        prog="python -m twin_env.trials.forecast_check",
        description=__doc__,
        run=forecast_check,
        default_samples=50,
        stem="patient_twin_forecast_check",
        plot=forecast_check_plot,
        table=table,
    )


if __name__ == "__main__":
    raise SystemExit(main())
