"""Monitoring a deployed model on the twin: record vs truth against simulated outcomes.

:func:`evaluate` samples a cohort, simulates ``history_years`` of care so the record fills in,
deploys the model on the GP record, scores the same patients on the latent truth (section
"truth side": :data:`TRUTH` reads the twin state, for this comparison only), simulates
``follow_up_years`` more and compares each side's scores with the outcomes: calibration
(observed/expected overall and by decile of predicted risk), discrimination (C statistic),
refusal and imputation rates and eligibility. Outcomes come from the ledger (the true event
log): QRISK3, the first MI, angina, stroke or TIA; QDiabetes, type 2 diabetes onset. Events after
death cannot happen, so death censors simply (the fraction who died is reported).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from twin_env.models.deployment import (
    REFUSED,
    SCORED_WITH_IMPUTATION,
    DeployableModel,
    DeploymentResult,
    assess,
    deploy,
    get_model,
)
from twin_env.models.gather import FOUND, Gathered
from twin_env.record.gp.registration import Registration
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.twin import PatientState
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import to_date

# ----- truth side (latent state; monitoring only) -------------------------------------------------
#: Item name -> the latent-state equivalent, (n,) float. Used only to score the truth for comparison.
TRUTH: dict[str, Callable[[PatientState], np.ndarray]] = {
    "age": lambda s: np.floor(s.age_years),
    "female": lambda s: s.female * 1.0,
    "ethnicity": lambda s: s.ethnicity * 1.0,
    "townsend": lambda s: s.townsend,
    "smoking": lambda s: s.smoking * 1.0,
    "bmi": lambda s: s.bmi_kg_m2,
    "sbp": lambda s: s.sbp_mmhg,
    "sbp_sd": lambda s: s.sbp_visit_sd_mmhg * 1.0,
    "chol_hdl_ratio": lambda s: s.total_chol_mmol_l / s.hdl_mmol_l,
    "treated_hypertension": lambda s: (s.hypertension & s.on_antihypertensive) * 1.0,
    "statins": lambda s: (s.statin_ldl_reduction > 0) * 1.0,
    "cvd": lambda s: s.has_cvd * 1.0,
    "egfr": lambda s: s.egfr_ml_min_1_73m2,
    "deceased": lambda s: (~s.alive) * 1.0,
    "schizophrenia_or_bipolar": lambda s: s.severe_mental_illness * 1.0,
}


def gather_truth(model: DeployableModel, state: PatientState, patients: np.ndarray, first_id: int = 0) -> Gathered:
    """Every item of the model's contract from the latent state (all found): the truth side."""
    rows = state.take(np.asarray(patients) - first_id)
    out = Gathered(np.asarray(patients, dtype=np.int64))
    for item in model.contract.items:
        fn = TRUTH.get(item.name) or (lambda s, f=item.name: s.columns[f] * 1.0 if f in s.columns else None)
        value = fn(rows)
        if value is None:
            raise ValueError(f"no truth-side equivalent for item {item.name!r}; add one to monitoring.TRUTH")
        out.put(item.name, value, np.full(len(patients), FOUND))
    return out


# ----- metrics -----------------------------------------------------------------------------------
def c_statistic(score: np.ndarray, event: np.ndarray) -> float:
    """C statistic (AUC) of ``score`` (n,) for binary ``event`` (n,); tied scores count 1/2. O(n log n)."""
    score, event = np.asarray(score, dtype=np.float64), np.asarray(event, dtype=bool)
    n1 = int(event.sum())
    n0 = len(event) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    starts = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # average 1-based ranks
    return float((ranks[event].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def c_statistic_brute(score: np.ndarray, event: np.ndarray) -> float:
    """O(n^2) reference for :func:`c_statistic` (tests)."""
    pos, neg = np.asarray(score)[np.asarray(event, bool)], np.asarray(score)[~np.asarray(event, bool)]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def calibration(score_percent: np.ndarray, event: np.ndarray, groups: int = 10) -> list[dict[str, float]]:
    """Observed vs expected by ``groups`` quantile groups of predicted risk (percent)."""
    order = np.argsort(score_percent, kind="mergesort")
    rows = []
    for i, part in enumerate(np.array_split(order, groups)):
        if len(part) == 0:
            continue
        expected, observed = float(score_percent[part].mean()), float(event[part].mean() * 100)
        rows.append(
            {
                "group": i + 1,
                "n": len(part),
                "events": int(event[part].sum()),
                "expected_percent": expected,
                "observed_percent": observed,
                "o_e": observed / expected if expected > 0 else float("nan"),
            }
        )
    return rows


def _side(result: DeploymentResult, event: np.ndarray, died: np.ndarray) -> dict[str, Any]:
    ok = result.scored
    s, e = result.score[ok], event[ok]
    n = len(result.patients)
    expected = float(s.sum() / 100)
    return {
        "counts": result.counts(),
        "eligible_rate": float(result.eligible.mean()),
        "refusal_rate_among_eligible": float(
            (result.eligible & (result.status == REFUSED)).sum() / max(result.eligible.sum(), 1)
        ),
        "imputation_rate_among_scored": float((result.status[ok] == SCORED_WITH_IMPUTATION).mean())
        if ok.any()
        else float("nan"),
        "imputed_by_input": {k: float(v[ok].mean()) for k, v in result.imputed.items() if v.any()},
        "refusal_reasons": {
            str(r): int(c) for r, c in zip(*np.unique(result.reason[result.reason != ""], return_counts=True))
        },
        "scored": int(ok.sum()),
        "events": int(e.sum()),
        "died_without_event": float((died[ok] & ~e).mean()) if ok.any() else float("nan"),
        "mean_predicted_percent": float(s.mean()) if ok.any() else float("nan"),
        "observed_percent": float(e.mean() * 100) if ok.any() else float("nan"),
        "o_e": float(e.sum() / expected) if expected > 0 else float("nan"),
        "c_statistic": c_statistic(s, e),
        "calibration": calibration(s, e) if ok.sum() >= 10 else [],
        "patients": n,
    }


@dataclasses.dataclass(frozen=True)
class MonitoringReport:
    """Record vs truth metrics of one model on one simulated cohort (see :func:`evaluate`)."""

    model: str
    patients: int
    seed: int
    history_years: float
    follow_up_years: float
    as_of: str
    record: dict[str, Any]
    truth: dict[str, Any]
    agreement: dict[str, Any]
    disclaimer: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_markdown(self) -> str:
        """Side-by-side tables (summary and calibration by decile) and the disclaimer."""
        r, t = self.record, self.truth
        rows = [
            ("patients alive at deployment", r["patients"], t["patients"]),
            ("eligible", r["counts"]["eligible"], t["counts"]["eligible"]),
            ("scored", r["scored"], t["scored"]),
            (
                "refused among eligible",
                f"{r['refusal_rate_among_eligible']:.1%}",
                f"{t['refusal_rate_among_eligible']:.1%}",
            ),
            (
                "scored with imputation",
                f"{r['imputation_rate_among_scored']:.1%}",
                f"{t['imputation_rate_among_scored']:.1%}",
            ),
            ("events in follow-up", r["events"], t["events"]),
            ("mean predicted risk %", f"{r['mean_predicted_percent']:.2f}", f"{t['mean_predicted_percent']:.2f}"),
            ("observed %", f"{r['observed_percent']:.2f}", f"{t['observed_percent']:.2f}"),
            ("observed / expected", f"{r['o_e']:.3f}", f"{t['o_e']:.3f}"),
            ("C statistic", f"{r['c_statistic']:.3f}", f"{t['c_statistic']:.3f}"),
            ("died without event", f"{r['died_without_event']:.1%}", f"{t['died_without_event']:.1%}"),
        ]
        lines = [
            f"{self.model}: {self.patients} patients, seed {self.seed}, deployed {self.as_of} after "
            f"{self.history_years:g} years of history, {self.follow_up_years:g} years of follow-up.",
            "", "| | record | truth |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows), "",
            "Calibration by decile of predicted risk (percent; record | truth):", "",
            "| decile | record expected | record observed | truth expected | truth observed |", "|---|---|---|---|---|",
        ]  # fmt: skip
        for a, b in zip(r["calibration"], t["calibration"]):
            lines.append(
                f"| {a['group']} | {a['expected_percent']:.2f} | {a['observed_percent']:.2f} | "
                f"{b['expected_percent']:.2f} | {b['observed_percent']:.2f} |"
            )
        g = self.agreement
        lines += [
            "",
            f"Both sides scored {g['both_scored']} patients; record score minus truth score: median "
            f"{g['median_difference']:.2f}, 5th-95th centile {g['p5_difference']:.2f} to {g['p95_difference']:.2f} "
            f"percentage points. Truly ineligible but scored on the record: {g['truly_ineligible_scored_on_record']}; "
            f"eligible on the truth but refused on the record: {g['truly_eligible_refused_on_record']}.",
        ]
        if self.disclaimer:
            lines += ["", "> " + self.disclaimer.replace("\n", "\n> ")]
        return "\n".join(lines) + "\n"

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``report.json``, ``report.md`` and ``calibration.csv`` (plot data) into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "report.json", out / "report.md", out / "calibration.csv"]
        paths[0].write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        paths[1].write_text(self.to_markdown())
        csv = ["side,decile,n,events,expected_percent,observed_percent"]
        for side, data in (("record", self.record), ("truth", self.truth)):
            csv += [
                f"{side},{c['group']},{c['n']},{c['events']},{c['expected_percent']:.4f},{c['observed_percent']:.4f}"
                for c in data["calibration"]
            ]
        paths[2].write_text("\n".join(csv) + "\n")
        return paths


_OUTCOMES: dict[str, tuple[LedgerKind, tuple[Concept, ...]]] = {
    "qrisk3-2017": (LedgerKind.ACUTE_EVENT, (Concept.ACUTE_MI, Concept.ANGINA, Concept.STROKE, Concept.TIA)),
    "qdiabetes-2018-a": (LedgerKind.ONSET, (Concept.TYPE2_DIABETES,)),
}


def _outcomes(
    sim: Simulation, patients: np.ndarray, kind: LedgerKind, concepts: tuple[Concept, ...], day0: int, day1: int
) -> tuple[np.ndarray, np.ndarray]:
    """(n,) event and died flags in (day0, day1] from the ledger (the true event log)."""
    cols = sim.ledger.columns
    window = (cols["day"] > day0) & (cols["day"] <= day1)
    hit = window & (cols["kind"] == kind) & np.isin(cols["concept"], np.asarray(concepts, dtype=np.int16))
    dead = window & (cols["kind"] == LedgerKind.DEATH)
    n_all = sim.state.n
    event = np.zeros(n_all, dtype=bool)
    died = np.zeros(n_all, dtype=bool)
    event[cols["patient"][hit] - sim.record.first_id] = True
    died[cols["patient"][dead] - sim.record.first_id] = True
    return event[patients], died[patients]


def evaluate(
    model: str | DeployableModel,
    patients: int,
    seed: int,
    *,
    history_years: float = 2.0,
    follow_up_years: float = 10.0,
    start_date: str = "2020-04-01",
) -> MonitoringReport:
    """Deploy ``model`` on a simulated cohort aged 25-84 at deployment; report record vs truth."""
    model = get_model(model) if isinstance(model, str) else model
    if model.contract.model_id not in _OUTCOMES:
        raise ValueError(f"no simulated outcome for model {model.contract.model_id!r}; allowed: {sorted(_OUTCOMES)}")
    if history_years < 0 or follow_up_years <= 0:
        raise ValueError(f"history_years must be >= 0 and follow_up_years > 0; got {history_years}, {follow_up_years}")
    sim = Simulation.from_population(
        patients, seed, min_age_years=25.0 - history_years, max_age_years=85.0 - history_years, start_date=start_date
    )
    registration = Registration.from_simulation(sim)
    sim.run(history_years)
    as_of, day0 = sim.date, int(sim.day)
    alive = np.flatnonzero(sim.state.alive)
    ids = alive + sim.record.first_id
    on_record = deploy(model, sim.record, ids, as_of, registration=registration)
    on_truth = assess(model, gather_truth(model, sim.state, ids, sim.record.first_id), to_date(day0))  # type: ignore[arg-type]
    sim.run(follow_up_years)
    kind, concepts = _OUTCOMES[model.contract.model_id]
    event, died = _outcomes(sim, alive, kind, concepts, day0, int(sim.day))
    both = on_record.scored & on_truth.scored
    diff = on_record.score[both] - on_truth.score[both]
    pct = np.percentile(diff, [5, 50, 95]) if both.any() else np.full(3, np.nan)
    agreement = {
        "both_scored": int(both.sum()),
        "median_difference": float(pct[1]), "p5_difference": float(pct[0]), "p95_difference": float(pct[2]),
        "truly_ineligible_scored_on_record": int((on_record.scored & ~on_truth.eligible).sum()),
        "truly_eligible_refused_on_record": int((on_truth.eligible & ~on_record.scored).sum()),
    }  # fmt: skip
    return MonitoringReport(
        model=model.contract.model_id, patients=patients, seed=seed, history_years=history_years,
        follow_up_years=follow_up_years, as_of=str(as_of), record=_side(on_record, event, died),
        truth=_side(on_truth, event, died), agreement=agreement, disclaimer=model.disclaimer,
    )  # fmt: skip
