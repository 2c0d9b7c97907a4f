"""Record quality measured against the truth: completeness, timeliness and correctness of each system.

Every recorded item keeps the id of the ledger event it came from, so the record can be compared
with what happened. This module reads only the ledger, the system stores and the twin's final
condition flags, ACR and eGFR (the truth a clinician could have found), never the artefact flags, and reports:

- **completeness**: the share of true events that reached the GP record (conditions coded by the
  end, letters arrived, hospital diagnoses coded, readings and results filed);
- **timeliness**: median and 90th centile of the days from the true event to the day the item is
  visible (lab results, letters, diagnoses coded from letters, diagnoses after onset);
- **correctness**: values that differ from the ledger (transcription and device errors), duplicate
  copies, variant codes;
- **coded conditions against the truth**: per condition, among living patients at the end, how
  many are truly present and how many coded in the GP record, the PPV (coded and truly present /
  coded) and the sensitivity (coded and truly present / truly present): below one both ways, since
  diagnoses come from readings (:mod:`twin_env.care.diagnosis`); CKD with albuminuria (``ckd_albuminuria``,
  coded CKD stage 1 or 2) is truly present at a true ACR >= 3 mg/mmol with a true eGFR >= 60;
- **configured vs measured**: one row per setting of ``twin_env/data/record_artefacts.csv``.

Delays are drawn as ``rint(median * exp(sigma * z))`` days, and rounding is monotone, so the
expected median is ``rint(median)`` and the expected 90th centile ``rint(median * exp(1.2816 *
sigma))``; a sigma setting is checked through the 90th centile it implies.

Run ``python -m twin_env.analysis.record_quality --patients 2000 --years 10 --seed 0 [--no-artefacts]
[--plot delays.png]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from twin_env.analysis.pyplot import agg_pyplot
from twin_env.care.diagnosis_state import CKD_ALBUMINURIA
from twin_env.record.artefacts import ArtefactConfig
from twin_env.record.ledger import LedgerKind
from twin_env.record.record import SYSTEMS
from twin_env.record.store import ItemType
from twin_env.simulation import Simulation
from twin_env.simulation import simulate as run_simulation
from twin_env.vocab.concepts import SNOMED_FOR_ICD10_ARRAY, Concept, is_icd10
from twin_env.vocab.dates import NEVER
from twin_env.vocab.problems import CKD_ALBUMINURIA_CONCEPTS, CONDITION_CONCEPT, PROBLEMS

#: Standard normal 90th centile.
Z90 = 1.2815515655446004
#: Twin conditions whose coding is measured: twin state flag -> GP problem concepts that count.
_TWIN_CONDITIONS: dict[str, tuple[Concept, ...]] = {
    name: PROBLEMS[name]
    for name in ("hypertension", "type2_diabetes", "ckd_3_5", "atrial_fibrillation", "heart_failure")
}
#: Conditions whose coding is measured -> GP problem concepts that count: the twin's conditions, and CKD with
#: albuminuria (truly present: a true ACR >= ``ckd_acr_threshold_mg_mmol`` with a true eGFR >= 60).
CONDITIONS: dict[str, tuple[Concept, ...]] = {**_TWIN_CONDITIONS, CKD_ALBUMINURIA: CKD_ALBUMINURIA_CONCEPTS}
#: The onset concept the ledger logs for each twin condition (CKD with albuminuria has no onset event).
ONSET_CONCEPT = {name: CONDITION_CONCEPT[name] for name in _TWIN_CONDITIONS}
MISSING_MATPLOTLIB = "the delay plot needs matplotlib: pip install 'twin_env[viz]'"


@dataclasses.dataclass(frozen=True)
class Check:
    """One artefact setting: its configured value, what it implies, and what the record shows.

    ``quantity`` names the measure (a share, or a delay median/90th centile in days); ``ok`` is
    None when no event of the kind happened (``n`` = 0).
    """

    setting: str
    configured: float
    quantity: str
    expected: float
    measured: float
    n: int
    tolerance: float
    ok: bool | None


@dataclasses.dataclass(frozen=True)
class QualityReport:
    """Record quality of one simulated cohort (see the module docstring).

    ``items``: per (system, item type) rows; ``conditions``: per condition rows; ``completeness``,
    ``correctness``: name -> (share, n); ``delays``: name -> (k,) int days; ``checks``: one per setting.
    """

    patients: int
    years: float
    seed: int
    artefacts: bool
    items: list[dict[str, object]]
    conditions: list[dict[str, object]]
    completeness: dict[str, tuple[float, int]]
    correctness: dict[str, tuple[float, int]]
    delays: dict[str, np.ndarray]
    checks: list[Check]

    def check(self, setting: str) -> Check:
        """The check of one setting; KeyError names the known settings."""
        for c in self.checks:
            if c.setting == setting:
                return c
        raise KeyError(f"no check {setting!r}; known: {[c.setting for c in self.checks]}")


def simulate(patients: int, years: float, seed: int, *, artefacts: bool | ArtefactConfig = True) -> Simulation:
    """``patients`` people aged 40-85 (from ``seed``) under baseline care for ``years`` monthly steps."""
    if patients <= 0 or years <= 0:
        raise ValueError(f"patients and years must be positive, got {patients} and {years}")
    return run_simulation(patients, seed, years, min_age_years=40, max_age_years=85, artefacts=artefacts)


def _key(patient: np.ndarray, seq: np.ndarray) -> np.ndarray:
    return patient.astype(np.int64) << 32 | seq.astype(np.int64)


def _share(mask: np.ndarray) -> tuple[float, int]:
    return (float(mask.mean()) if mask.size else math.nan), int(mask.size)


def _quantile(days: np.ndarray, q: float) -> float:
    # "lower": an observed whole number of days, as the rounded delays are
    return float(np.quantile(days, q, method="lower")) if days.size else math.nan


class _Tables:
    """The ledger and stores as columns, with (patient, seq) keys and per-item ledger rows."""

    def __init__(self, sim: Simulation) -> None:
        self.ledger = sim.ledger.columns
        self.lkey = _key(self.ledger["patient"], self.ledger["seq"])
        self.stores: dict[str, dict[str, np.ndarray]] = {n: sim.record.stores[n].columns for n in SYSTEMS}
        self._sim = sim

    def items(self, system: str, item: ItemType) -> dict[str, np.ndarray]:
        cols = self.stores[system]
        mask = cols["item"] == item
        out = {name: col[mask] for name, col in cols.items()}
        out["key"] = _key(out["patient"], out["seq"])
        rows = self._sim.ledger.find(out["patient"], out["seq"]) if mask.any() else np.zeros(0, dtype=np.intp)
        out["ledger_kind"] = self.ledger["kind"][rows]
        out["ledger_day"] = self.ledger["day"][rows]
        out["ledger_value"] = self.ledger["value"][rows]
        out["ledger_concept"] = self.ledger["concept"][rows]
        return out

    def events(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        out = {name: col[mask] for name, col in self.ledger.items()}
        out["key"] = self.lkey[mask]
        return out


def _first_copies(items: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Masks (k,) of the first-available copy of each event and of later copies (duplicates)."""
    order = np.lexsort((items["available_day"], items["key"]))
    first = np.zeros(len(order), dtype=bool)
    if order.size:
        k = items["key"][order]
        first[order[np.r_[True, k[1:] != k[:-1]]]] = True
    return first, ~first


def _item_rows(tables: _Tables) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for system in SYSTEMS:
        present = np.unique(tables.stores[system]["item"])
        for item in (ItemType(int(i)) for i in present):
            it = tables.items(system, item)
            visible = it["available_day"] != NEVER
            delay = (it["available_day"] - it["ledger_day"])[visible]
            both = ~np.isnan(it["value"]) & ~np.isnan(it["ledger_value"])
            differs = np.abs(it["value"][both] - it["ledger_value"][both]) > 1e-9
            rows.append(
                {
                    "system": system,
                    "item": item.name,
                    "items": len(it["key"]),
                    "events": len(np.unique(it["key"])),
                    "same_day": float((delay == 0).mean()) if delay.size else math.nan,
                    "median_days": _quantile(delay, 0.5),
                    "p90_days": _quantile(delay, 0.9),
                    "value_differs": float(differs.mean()) if differs.size else math.nan,
                }
            )
    return rows


def _condition_rows(sim: Simulation, tables: _Tables, delays: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """Per condition: truly present at the end, clinician-diagnosed, coded in the GP record by then."""
    led, end = tables.ledger, sim.day
    alive = sim.state.alive
    first_id = sim.record.first_id
    problems = tables.items("gp", ItemType.PROBLEM)
    rows = []
    for name, concepts in CONDITIONS.items():
        true = truly_present(sim, name) & alive
        # a clinician's diagnosis: the GP's problem concept (CKD stage 1 or 2 for albuminuria), or a hospital's
        # ICD-10 code of it
        logged = concepts if name == CKD_ALBUMINURIA else concepts[:1]
        dx = np.isin(led["kind"], [LedgerKind.DIAGNOSIS, LedgerKind.BASELINE_DIAGNOSIS]) & (
            np.isin(led["concept"], logged) | np.isin(SNOMED_FOR_ICD10_ARRAY[led["concept"]], logged)
        )
        diagnosed = np.zeros(sim.state.n, dtype=bool)
        diagnosed[led["patient"][dx & (led["day"] <= end)] - first_id] = True
        coded_items = np.isin(problems["concept"], concepts) & (problems["available_day"] <= end)
        coded = np.zeros(sim.state.n, dtype=bool)
        coded[problems["patient"][coded_items] - first_id] = True
        coded &= alive
        rows.append(
            {
                "condition": name,
                "true": int(true.sum()),
                "coded": int(coded.sum()),
                "ppv": _share(true[coded])[0],
                "sensitivity": _share(coded[true])[0],
                "diagnosed_share": _share(diagnosed[true])[0],
                "coded_share": _share(coded[true])[0],
                "coded_among_diagnosed": _share(coded[true & diagnosed])[0],
            }
        )
        if name not in ONSET_CONCEPT:
            continue
        # days from true onset (in the simulation) to the clinician's diagnosis and to the GP code
        onset = tables.events((led["kind"] == LedgerKind.ONSET) & (led["concept"] == ONSET_CONCEPT[name]))
        for label, day_of in (
            ("diagnosis", _first_day(dx, led, sim)),
            ("gp_code", _first_gp_day(problems, concepts, sim)),
        ):
            got = day_of[onset["patient"] - first_id]
            seen = got != NEVER
            delays[f"{name}_onset_to_{label}"] = np.maximum(got[seen] - onset["day"][seen], 0).astype(np.int64)
    return rows


def truly_present(sim: Simulation, condition: str) -> np.ndarray:
    """(N,) bool: ``condition`` (a key of :data:`CONDITIONS`) is truly present in the twin now (dead or alive).

    CKD with albuminuria (NICE NG203): the twin's true ACR >= ``ckd_acr_threshold_mg_mmol`` with a true eGFR
    >= ``ckd_egfr_threshold_ml_min``; the others are the twin's condition flags.
    """
    s = sim.state
    if condition == CKD_ALBUMINURIA:
        return (s.acr_mg_mmol >= sim.params["ckd_acr_threshold_mg_mmol"]) & (
            s.egfr_ml_min_1_73m2 >= sim.params["ckd_egfr_threshold_ml_min"]
        )
    return np.asarray(getattr(s, condition), dtype=bool)


def _first_day(mask: np.ndarray, led: dict[str, np.ndarray], sim: Simulation) -> np.ndarray:
    day = np.full(sim.state.n, NEVER, dtype=np.int64)
    np.minimum.at(day, led["patient"][mask] - sim.record.first_id, led["day"][mask])
    return day


def _first_gp_day(problems: dict[str, np.ndarray], concepts: tuple[Concept, ...], sim: Simulation) -> np.ndarray:
    day = np.full(sim.state.n, NEVER, dtype=np.int64)
    m = np.isin(problems["concept"], concepts) & (problems["available_day"] != NEVER)
    np.minimum.at(day, problems["patient"][m] - sim.record.first_id, problems["available_day"][m])
    return day


def measure(
    sim: Simulation, config: ArtefactConfig | None = None, *, seed: int = -1, years: float = math.nan
) -> QualityReport:
    """Measure the record of ``sim`` against its ledger; checks compare with ``config`` (default: the sim's).

    ``sim`` is a cohort simulated from its start (rows never reset to new patients, as the vector
    env does): condition flags are read from its final twin state.
    """
    cfg = config or sim.record.config
    t = _Tables(sim)
    led = t.ledger
    delays: dict[str, np.ndarray] = {}
    completeness: dict[str, tuple[float, int]] = {}
    correctness: dict[str, tuple[float, int]] = {}

    # lab results: pathology turnaround, filing in the GP record, duplicates, transcription errors
    lab = t.items("lab", ItemType.LAB_RESULT)
    delays["lab_result"] = (lab["available_day"] - lab["ledger_day"]).astype(np.int64)
    gp_obs = t.items("gp", ItemType.OBSERVATION)
    gp_lab = {k: v[gp_obs["ledger_kind"] == LedgerKind.TEST_RESULT] for k, v in gp_obs.items()}
    first, dup = _first_copies(gp_lab)
    delays["lab_result_in_gp"] = (gp_lab["available_day"] - gp_lab["ledger_day"])[first].astype(np.int64)
    results = t.events(led["kind"] == LedgerKind.TEST_RESULT)
    completeness["lab results filed in the GP record"] = _share(np.isin(results["key"], gp_lab["key"]))
    _, copies = np.unique(gp_lab["key"], return_counts=True)
    correctness["lab results filed twice"] = _share(copies > 1)
    correctness["lab values differing from the truth"] = _share(
        np.abs(gp_lab["value"] - gp_lab["ledger_value"])[first] > 1e-9
    )
    orig_day = dict(zip(gp_lab["key"][first].tolist(), gp_lab["available_day"][first].tolist()))
    dup_orig = np.array([orig_day[k] for k in gp_lab["key"][dup].tolist()], dtype=np.int64)
    delays["duplicate_after_original"] = gp_lab["available_day"][dup].astype(np.int64) - dup_orig

    # blood pressure readings
    bp_concepts = [Concept.SBP, Concept.DBP]
    readings = t.events((led["kind"] == LedgerKind.OBSERVATION) & np.isin(led["concept"], bp_concepts))
    gp_bp = {
        k: v[(gp_obs["ledger_kind"] == LedgerKind.OBSERVATION) & np.isin(gp_obs["concept"], bp_concepts)]
        for k, v in gp_obs.items()
    }
    completeness["BP readings coded in the GP record"] = _share(np.isin(readings["key"], gp_bp["key"]))
    correctness["BP values differing from the truth"] = _share(np.abs(gp_bp["value"] - gp_bp["ledger_value"]) > 1e-9)

    # diagnoses made in primary care (and baseline history): coded or left in free text; variant codes
    problems = t.items("gp", ItemType.PROBLEM)
    own_dx = t.events((led["kind"] == LedgerKind.DIAGNOSIS) & ~is_icd10(led["concept"]))
    completeness["GP diagnoses coded"] = _share(np.isin(own_dx["key"], problems["key"]))
    essential = problems["ledger_concept"] == Concept.ESSENTIAL_HYPERTENSION
    correctness["hypertension coded with the variant concept"] = _share(
        problems["concept"][essential] == Concept.HYPERTENSIVE_DISORDER
    )
    delays["gp_diagnosis"] = (problems["available_day"] - problems["ledger_day"])[
        ~is_icd10(problems["ledger_concept"])
    ].astype(np.int64)

    # letters: arrival in the GP record, delay, coding of the diagnoses they carry
    documents = t.items("gp", ItemType.DOCUMENT)
    written = t.events(np.isin(led["kind"], [LedgerKind.DISCHARGE, LedgerKind.OUTPATIENT_ATTENDANCE]))
    arrived = np.isin(written["key"], documents["key"])
    completeness["letters that reached the GP record"] = _share(arrived)
    discharges = written["kind"] == LedgerKind.DISCHARGE
    completeness["discharge summaries that reached the GP record"] = _share(arrived[discharges])
    for kind, name in ((LedgerKind.DISCHARGE, "discharge_letter"), (LedgerKind.OUTPATIENT_ATTENDANCE, "clinic_letter")):
        m = documents["ledger_kind"] == kind
        delays[name] = (documents["available_day"] - documents["ledger_day"])[m].astype(np.int64)
    hospital_dx = t.events((led["kind"] == LedgerKind.DIAGNOSIS) & is_icd10(led["concept"]))
    # the discharge (same admission) whose letter carries each hospital diagnosis
    dis = t.events(led["kind"] == LedgerKind.DISCHARGE)
    admission = dict(zip(_key(dis["patient"], dis["link"]).tolist(), dis["seq"].tolist()))
    letter_seq = np.array(
        [admission[k] for k in _key(hospital_dx["patient"], hospital_dx["link"]).tolist()], dtype=np.int64
    )
    letter_key = _key(hospital_dx["patient"], letter_seq)
    arrival = dict(zip(documents["key"].tolist(), documents["available_day"].tolist()))
    letter_arrived = np.isin(letter_key, documents["key"])
    coded = np.isin(hospital_dx["key"], problems["key"])
    completeness["hospital diagnoses coded in the GP record"] = _share(coded)
    completeness["hospital diagnoses coded, of letters arrived"] = _share(coded[letter_arrived])
    from_letter = is_icd10(problems["ledger_concept"])
    letter_of_problem = dict(zip(hospital_dx["key"].tolist(), letter_key.tolist()))
    arrived_day = np.array(
        [arrival[letter_of_problem[k]] for k in problems["key"][from_letter].tolist()], dtype=np.int64
    )
    delays["letter_coding"] = problems["available_day"][from_letter].astype(np.int64) - arrived_day
    delays["hospital_diagnosis_to_gp_code"] = (problems["available_day"] - problems["ledger_day"])[from_letter].astype(
        np.int64
    )

    # home (patient-generated): days never uploaded, device errors, upload delay
    home = t.items("home", ItemType.HOME_READING)
    taken = t.events(led["kind"] == LedgerKind.HOME_READING)
    completeness["home readings uploaded"] = _share(np.isin(taken["key"], home["key"]))
    home_error = np.abs(home["value"] - home["ledger_value"])
    correctness["home readings with a device error"] = _share(home_error > 1e-9)
    delays["home_upload"] = (home["available_day"] - home["ledger_day"]).astype(np.int64)

    # hospital and imaging systems
    pas_dx = t.items("pas", ItemType.DIAGNOSIS)
    delays["pas_coding"] = (pas_dx["available_day"] - pas_dx["ledger_day"]).astype(np.int64)
    reports = t.items("imaging", ItemType.IMAGING_REPORT)
    delays["imaging_report"] = (reports["available_day"] - reports["ledger_day"]).astype(np.int64)

    items = _item_rows(t)
    conditions = _condition_rows(sim, t, delays)
    measured_share = {
        "lab_result_missing_probability": _flip(completeness["lab results filed in the GP record"]),
        "lab_transcription_error_probability": correctness["lab values differing from the truth"],
        "lab_duplicate_probability": correctness["lab results filed twice"],
        "bp_not_recorded_probability": _flip(completeness["BP readings coded in the GP record"]),
        "bp_transcription_error_probability": correctness["BP values differing from the truth"],
        "gp_diagnosis_uncoded_probability": _flip(completeness["GP diagnoses coded"]),
        "hypertension_variant_code_probability": correctness["hypertension coded with the variant concept"],
        "letter_lost_probability": _flip(completeness["letters that reached the GP record"]),
        "letter_uncoded_probability": _flip(completeness["hospital diagnoses coded, of letters arrived"]),
    }
    delay_of = {
        "lab_delay": "lab_result",
        "duplicate_delay": "duplicate_after_original",
        "discharge_letter_delay": "discharge_letter",
        "clinic_letter_delay": "clinic_letter",
        "letter_coding_delay": "letter_coding",
        "imaging_report_delay": "imaging_report",
        "pas_coding_delay": "pas_coding",
    }
    measured_share["home_day_missing_probability"] = _flip(completeness["home readings uploaded"])
    measured_share["home_device_error_probability"] = correctness["home readings with a device error"]
    delay_of["home_upload_delay"] = "home_upload"
    checks = [_share_check(name, getattr(cfg, name), *measured_share[name]) for name in measured_share]
    checks.append(_size_check("home_device_error_mmhg", cfg.home_device_error_mmhg, home_error[home_error > 1e-9]))
    for prefix, series in delay_of.items():
        checks += _delay_checks(
            prefix, getattr(cfg, f"{prefix}_median_days"), getattr(cfg, f"{prefix}_sigma_log"), delays[series]
        )
    order = [f.name for f in dataclasses.fields(ArtefactConfig)]
    checks.sort(key=lambda c: order.index(c.setting))
    return QualityReport(
        patients=sim.state.n,
        years=years,
        seed=seed,
        artefacts=cfg != ArtefactConfig.off(),
        items=items,
        conditions=conditions,
        completeness=completeness,
        correctness=correctness,
        delays=delays,
        checks=checks,
    )


def _flip(share: tuple[float, int]) -> tuple[float, int]:
    return 1.0 - share[0], share[1]


def _share_check(setting: str, p: float, measured: float, n: int) -> Check:
    """A probability: within 4 binomial standard errors (exactly 0 when configured 0)."""
    tolerance = 4.0 * math.sqrt(p * (1.0 - p) / n) if n else math.nan
    ok = None if n == 0 else bool(abs(measured - p) <= tolerance + 1e-12)
    return Check(setting, p, "share", p, measured, n, tolerance, ok)


def _size_check(setting: str, mmhg: float, errors: np.ndarray) -> Check:
    """An error size: every spoilt value is off by exactly the configured amount (mmHg)."""
    n = int(errors.size)
    measured = float(np.median(errors)) if n else math.nan
    ok = None if n == 0 else bool(np.all(np.abs(errors - mmhg) <= 1e-9))
    return Check(setting, mmhg, "mmHg", mmhg, measured, n, 0.0, ok)


def _delay_checks(prefix: str, median: float, sigma: float, days: np.ndarray) -> list[Check]:
    """A delay's median and the 90th centile its sigma implies.

    Tolerance: 4 standard errors of the sample quantile of a lognormal (in log days,
    ``sigma * sqrt(q (1 - q) / n) / phi(z_q)``), turned into days, and at least 1 day (rounding).
    """
    n = int(days.size)
    checks = []
    for setting, configured, quantity, expected, q, z in (
        (f"{prefix}_median_days", median, "median days", float(np.rint(median)), 0.5, 0.0),
        (f"{prefix}_sigma_log", sigma, "p90 days", float(np.rint(median * math.exp(Z90 * sigma))), 0.9, Z90),
    ):
        measured = _quantile(days, q)
        if median <= 0:
            tolerance = 0.0
        elif n == 0:
            tolerance = math.nan
        else:
            log_se = sigma * math.sqrt(q * (1 - q) / n) / (math.exp(-z * z / 2) / math.sqrt(2 * math.pi))
            tolerance = max(1.0, expected * (math.exp(4.0 * log_se) - 1.0))
        ok = None if n == 0 else bool(abs(measured - expected) <= tolerance)
        checks.append(Check(setting, configured, quantity, expected, measured, n, tolerance, ok))
    return checks


def _fmt(x: object, digits: int = 3) -> str:
    if isinstance(x, float):
        return "-" if math.isnan(x) else (f"{x:.0f}" if x == int(x) else f"{x:.{digits}f}")
    return str(x)


def to_markdown(report: QualityReport) -> str:
    """The report as markdown tables."""
    lines = [
        f"Record quality: {report.patients} patients aged 40-85, {_fmt(report.years)} years from 2020-04-01, "
        f"seed {report.seed}, artefacts {'on' if report.artefacts else 'off'}.",
        "",
        "Coded conditions against the truth at the end (living patients; PPV: truly present among coded):",
        "",
        "| condition | truly present | coded | PPV | sensitivity | clinician-diagnosed | coded, of diagnosed |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.conditions:
        lines.append(
            f"| {r['condition']} | {r['true']} | {r['coded']} | {_fmt(r['ppv'])} | {_fmt(r['sensitivity'])} | "
            f"{_fmt(r['diagnosed_share'])} | {_fmt(r['coded_among_diagnosed'])} |"
        )
    lines += ["", "Completeness and correctness (share, events):", "", "| measure | share | n |", "|---|---|---|"]
    for name, (share, n) in (*report.completeness.items(), *report.correctness.items()):
        lines.append(f"| {name} | {_fmt(share, 4)} | {n} |")
    lines += [
        "",
        "Delays from the true event to availability (days):",
        "",
        "| delay | n | median | p90 |",
        "|---|---|---|---|",
    ]
    for name, days in report.delays.items():
        lines.append(f"| {name} | {days.size} | {_fmt(_quantile(days, 0.5))} | {_fmt(_quantile(days, 0.9))} |")
    lines += [
        "",
        "Configured vs measured (`twin_env/data/record_artefacts.csv`):",
        "",
        "| setting | configured | measure | expected | measured | n | tolerance | within |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in report.checks:
        within = "-" if c.ok is None else ("yes" if c.ok else "NO")
        lines.append(
            f"| {c.setting} | {_fmt(c.configured)} | {c.quantity} | {_fmt(c.expected, 4)} | "
            f"{_fmt(c.measured, 4)} | {c.n} | {_fmt(c.tolerance, 4)} | {within} |"
        )
    lines += [
        "",
        "Per system and item type (delay = available day - true event day; values compared where both exist):",
        "",
        "| system | item | items | events | same day | median days | p90 days | value differs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report.items:
        lines.append(
            f"| {r['system']} | {r['item']} | {r['items']} | {r['events']} | {_fmt(r['same_day'])} | "
            f"{_fmt(r['median_days'])} | {_fmt(r['p90_days'])} | {_fmt(r['value_differs'], 4)} |"
        )
    return "\n".join(lines) + "\n"


#: Delay series drawn by :func:`delay_plot`, with their panel titles.
PLOTTED = {
    "lab_result": "lab turnaround",
    "discharge_letter": "discharge summary arrival",
    "clinic_letter": "clinic letter arrival",
    "letter_coding": "letter coding after arrival",
    "pas_coding": "hospital clinical coding",
    "hospital_diagnosis_to_gp_code": "hospital diagnosis to GP code",
}


def delay_plot(report: QualityReport, path: str | Path) -> Path:
    """Write ``path`` (PNG): histograms of the main delays; ModuleNotFoundError without matplotlib."""
    plt = agg_pyplot(MISSING_MATPLOTLIB)
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.5))
    for ax, (name, title) in zip(axes.flat, PLOTTED.items()):
        days = report.delays[name]
        if days.size:
            top = max(int(np.quantile(days, 0.99)), 1)
            ax.hist(np.minimum(days, top), bins=np.arange(-0.5, top + 1.5, max(1, top // 30)), color="C0")
            ax.axvline(_quantile(days, 0.5), color="k", lw=1, label=f"median {_fmt(_quantile(days, 0.5))}")
            ax.axvline(_quantile(days, 0.9), color="k", lw=1, ls="--", label=f"p90 {_fmt(_quantile(days, 0.9))}")
            ax.legend(fontsize=7)
        ax.set_title(f"{title} (n={days.size})", fontsize=9)
        ax.set_xlabel("days (top 1% at the edge)", fontsize=8)
    fig.suptitle(
        f"Record delays: {report.patients} patients, {_fmt(report.years)} years, seed {report.seed}", fontsize=10
    )
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m twin_env.analysis.record_quality", description="Record quality measured against the truth."
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-artefacts", action="store_true", help="record with artefacts off (should agree with the truth)"
    )
    parser.add_argument("--plot", type=Path, help="write a PNG of the delay distributions")
    args = parser.parse_args(argv)
    if args.patients <= 0 or args.years <= 0:
        parser.error("--patients and --years must be positive")
    sim = simulate(args.patients, args.years, args.seed, artefacts=not args.no_artefacts)
    report = measure(sim, seed=args.seed, years=args.years)
    sys.stdout.write(to_markdown(report))
    if args.plot:
        try:
            sys.stdout.write(f"\nwrote {delay_plot(report, args.plot)}\n")
        except ModuleNotFoundError as exc:
            sys.stderr.write(f"{exc}\n")
    failed = [c.setting for c in report.checks if c.ok is False]
    if failed:
        sys.stderr.write(f"outside tolerance: {failed}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
