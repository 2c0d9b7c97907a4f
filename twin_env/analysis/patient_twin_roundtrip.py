"""Round trip of the patient twin: simulate, export the GP record as FHIR, read it back, infer, compare with the truth.

``python -m twin_env.analysis.patient_twin_roundtrip --patients N --seed S --out DIR`` samples N patients aged
40-80, simulates them for five years under usual care (record artefacts included), exports each survivor's GP record
as a FHIR Bundle (:func:`twin_env.formats.export.fhir_bundle`), reads it back (:func:`twin_env.read_record`, as of
the simulation's end, with ``impossible_values="ignore"``: the project's own exports carry record artefacts, about 1
in 95 an impossible value such as a unit slip, listed as ignored), builds its posterior ensemble
(:func:`twin_env.twin_from_record`) and compares it with the original's latent state at the end: coverage of the 90%
posterior intervals of the latent levels, and the calibration of the posterior probability of each condition the
record does not code (predicted vs observed by decile). A Bundle the reader still refuses is listed under
``unreadable`` and left out. Writes ``DIR/patient_twin_roundtrip.json`` and ``DIR/patient_twin_roundtrip.png``.
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
from twin_env.analysis.patient_twin_roundtrip_plot import roundtrip_plot
from twin_env.patient_twin.posterior import PatientTwin
from twin_env.twin.state import CONDITIONS

YEARS = 5.0
#: Latent levels whose 90% interval coverage is measured (state field names).
COVERED_LEVELS: tuple[str, ...] = (
    "sbp_mmhg",
    "sbp_untreated_mmhg",
    "egfr_ml_min_1_73m2",
    "hba1c_mmol_mol",
    "ldl_mmol_l",
    "bmi_kg_m2",
)


def roundtrip(patients: int, seed: int, n_samples: int = 100) -> dict:
    """The round-trip report (a JSON-ready dict) for ``patients`` simulated patients of population ``seed``."""
    cohort = twinned_cohort(patients, seed, YEARS, n_samples)
    truth = cohort.sim.state
    inside = {v: [] for v in COVERED_LEVELS}
    misses = {v: [] for v in COVERED_LEVELS}
    read = {v: [] for v in COVERED_LEVELS}
    predicted, observed, condition = [], [], []
    for patient, record, twin in zip(cohort.patients, cohort.records, cohort.twins):
        summary = twin.summary()
        for v in COVERED_LEVELS:
            value = float(truth.columns[v][patient])
            inside[v].append(summary[v]["p05"] <= value <= summary[v]["p95"])
            read[v].append(len(record.values(_READ_AS.get(v, v))))
            if not inside[v][-1]:
                misses[v].append(_miss(patient, value, summary[v], twin, read[v][-1]))
        for name in CONDITIONS:
            if not record.has(name):
                predicted.append(summary[name]["mean"])
                observed.append(bool(truth.columns[name][patient]))
                condition.append(name)
    ess = [twin.effective_sample_size for twin in cohort.twins]
    return {
        "patients": patients,
        "alive_at_end": int(truth.alive.sum()),
        "unreadable": cohort.unreadable,
        "twinned": len(ess),
        "seed": seed,
        "years": YEARS,
        "ages": [MIN_AGE_YEARS, MAX_AGE_YEARS],
        "n_samples": n_samples,
        "effective_sample_size": {"median": float(np.median(ess)), "p05": float(np.quantile(ess, 0.05))},
        "coverage_90_percent": {
            v: {"n": len(x), "covered_percent": round(100.0 * float(np.mean(x)), 1)} for v, x in inside.items()
        },
        "coverage_by_readings": {v: _by_readings(np.array(inside[v]), np.array(read[v])) for v in COVERED_LEVELS},
        "misses": misses,
        "undiagnosed": _calibration(np.array(predicted), np.array(observed), np.array(condition)),
    }


#: The record variable whose readings inform a latent level (the untreated SBP is read through the treated).
_READ_AS = {"sbp_untreated_mmhg": "sbp_mmhg"}


def _miss(patient: int, truth: float, interval: dict, twin: PatientTwin, readings: int) -> dict:
    """One truth outside its 90% interval: how far out (in interval half-widths beyond the edge) and the diagnostics
    that tell bias from over-confidence (the effective sample size, the number of readings of that variable)."""
    half = max((interval["p95"] - interval["p05"]) / 2.0, 1e-9)
    beyond = (truth - interval["p95"]) if truth > interval["p95"] else (truth - interval["p05"])
    return {
        "patient": patient,
        "truth": round(truth, 2),
        "p05": round(interval["p05"], 2),
        "p95": round(interval["p95"], 2),
        "beyond_in_half_widths": round(beyond / half, 2),
        "effective_sample_size": round(twin.effective_sample_size, 1),
        "readings": readings,
    }


def _by_readings(inside: np.ndarray, readings: np.ndarray) -> dict:
    """Coverage (%) among patients with and without readings of the variable."""
    return {
        name: {"n": int(m.sum()), "covered_percent": round(100.0 * float(inside[m].mean()), 1) if m.any() else None}
        for name, m in (("with_readings", readings > 0), ("without_readings", readings == 0))
    }


def _calibration(predicted: np.ndarray, observed: np.ndarray, condition: np.ndarray) -> dict:
    """Predicted vs observed presence of uncoded conditions: overall, by decile of prediction, by condition."""
    overall = decile_calibration(predicted, observed)
    by_condition = {
        name: {
            "n": int((condition == name).sum()),
            "predicted": round(float(predicted[condition == name].sum()), 2),
            "observed": int(observed[condition == name].sum()),
        }
        for name in CONDITIONS
        if (condition == name).any()
    }
    return {"pairs": overall.pop("n"), **overall, "by_condition": by_condition}


def _table(report: dict) -> str:
    lines = [f"{'latent level':<22} {'n':>5} {'90% covered':>12} {'with readings':>14} {'without':>8}"]
    for v, c in report["coverage_90_percent"].items():
        split = report["coverage_by_readings"][v]
        cells = [f"{split[k]['covered_percent']}% of {split[k]['n']}" for k in ("with_readings", "without_readings")]
        lines.append(f"{v:<22} {c['n']:>5} {c['covered_percent']:>11.1f}% {cells[0]:>14} {cells[1]:>8}")
    ess = report["effective_sample_size"]
    lines.append(f"effective sample size: median {ess['median']:.0f}, 5th centile {ess['p05']:.1f}")
    u = report["undiagnosed"]
    lines.append(f"uncoded conditions: {u['pairs']} patient-condition pairs, expected {u['expected']}, ")
    lines[-1] += f"observed {u['observed']}, O/E {u['o_e']}"
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The CLI: writes the JSON and the PNG into ``--out`` and prints a table."""
    return check_main(
        argv,
        prog="python -m twin_env.analysis.patient_twin_roundtrip",
        description=__doc__,
        run=roundtrip,
        default_samples=100,
        stem="patient_twin_roundtrip",
        plot=roundtrip_plot,
        table=_table,
    )


if __name__ == "__main__":
    raise SystemExit(main())
