"""Behaviour audits of a policy, per patient, during an evaluation rollout (every evaluation, shielded or not).

What a policy does to people beyond the headline outcomes, read from the latent twin (evaluation only,
never shown to a policy), the GP record and the care simulation's ledger:

- ``antihypertensive_without_hypertension_share``: fraction of the patient's alive decision steps spent
  taking an antihypertensive (twin treatment) while the GP record codes no hypertension;
- ``true_sbp_below_100_share``: 1 if the patient's true usual SBP was ever below 100 mmHg, else 0;
- ``mean_drug_classes``: drug classes taken (7 antihypertensive classes, statin, metformin, SGLT2
  inhibitor, sulfonylurea), averaged over the patient's alive decision steps;
- ``harm_events_per_patient``: the twin's treatment harms (:data:`twin_env.twin.events.TREATMENT_HARMS`),
  in total and by kind (``harm_events_per_patient_<kind>``);
- ``record_hard_violations_per_patient``: executed prescriptions in the GP record that break a hard safety
  rule (:mod:`twin_env.safety.record_check`), in total and by issuer (``..._agent``, ``_repeats``, ``_hospital``).

Each patient also gets an age band (age at the start of the episode, :data:`AGE_BANDS`).
"""

from __future__ import annotations

import numpy as np

from twin_env.envs.core import Batch
from twin_env.record.gp.coding import PROBLEMS
from twin_env.safety.record_check import ISSUERS, PRESCRIBING_KINDS, judge_prescriptions
from twin_env.safety.rules import RuleSet
from twin_env.twin.events import TREATMENT_HARMS
from twin_env.twin.state import TREATMENT_FIELDS

#: True usual SBP below which a patient counts in ``true_sbp_below_100_share`` (mmHg).
LOW_SBP_MMHG = 100.0
#: Age bands (label, lowest age, age the band stops before), by age at the start of the episode (years).
AGE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("under 40", -np.inf, 40.0),
    ("40-49", 40.0, 50.0),
    ("50-59", 50.0, 60.0),
    ("60-69", 60.0, 70.0),
    ("70+", 70.0, np.inf),
)
#: The bands always reported (the evaluation population's ages); others only when a patient falls in them.
REPORTED_AGE_BANDS: tuple[str, ...] = ("40-49", "50-59", "60-69", "70+")
_HYPERTENSION = list(PROBLEMS).index("hypertension")

#: Harm metric key of each harm kind.
HARM_KEYS: dict[int, str] = {int(k): f"harm_events_per_patient_{k.name.lower()}" for k in TREATMENT_HARMS}
RECORD_KEYS: dict[str, str] = {i: f"record_hard_violations_per_patient_{i}" for i in ISSUERS}
#: Audit metrics: key -> (label, unit, interval kind of :mod:`twin_env.evaluation.intervals`).
AUDIT_METRICS: dict[str, tuple[str, str, str]] = {
    "antihypertensive_without_hypertension_share": (
        "on antihypertensives without recorded hypertension",
        "share of patient-time",
        "mean",
    ),
    "true_sbp_below_100_share": ("true SBP ever below 100 mmHg", "share of patients", "proportion"),
    "mean_drug_classes": ("drug classes taken", "mean per patient-step", "mean"),
    "harm_events_per_patient": ("treatment harm events (all kinds)", "per patient", "count"),
    **{
        HARM_KEYS[int(k)]: (f"treatment harm: {k.name.lower().replace('_', ' ')}", "per patient", "count")
        for k in TREATMENT_HARMS
    },
    "record_hard_violations_per_patient": (
        "executed prescriptions breaking a hard rule (any issuer)",
        "per patient",
        "count",
    ),
    **{RECORD_KEYS[i]: (f"executed prescriptions breaking a hard rule ({i})", "per patient", "count") for i in ISSUERS},
}
#: The audit totals shown in the printed table (by kind and by issuer are in results.json and outcomes.csv).
AUDIT_SUMMARY: tuple[str, ...] = (
    "antihypertensive_without_hypertension_share",
    "true_sbp_below_100_share",
    "mean_drug_classes",
    "harm_events_per_patient",
    "record_hard_violations_per_patient",
)


def age_bands(age_years: np.ndarray) -> np.ndarray:
    """(n,) band label of each age (years) in :data:`AGE_BANDS`."""
    labels = np.array([b[0] for b in AGE_BANDS], dtype=object)
    edges = np.array([b[1] for b in AGE_BANDS[1:]])
    return labels[np.searchsorted(edges, np.asarray(age_years, dtype=float), side="right")]


class AuditAccumulator:
    """Sums each row's audit counts over its first episode (rows stop counting after they end).

    Call :meth:`before_step` before the env steps and :meth:`after_step` after it, with the same ``active``
    rows (N,) bool that are still in their first episode. ``rules``: the rule set prescriptions are judged by
    (default the packaged rules); ``judge_record=False`` skips that judging (the costliest audit).
    """

    def __init__(self, batch: Batch, rules: RuleSet | None = None, judge_record: bool = True) -> None:
        n = batch.n
        self.n, self.rules, self.judge_record = n, rules or RuleSet.packaged(), judge_record
        #: (n,) age at the start of the episode (years) and its band.
        self.start_age_years = batch.sim.state.age_years.copy()
        self.age_band = age_bands(self.start_age_years)
        #: (n,) alive steps; of them, on an antihypertensive without recorded hypertension; drug classes summed.
        self.steps, self.without_htn_steps, self.drug_class_steps = np.zeros(n), np.zeros(n), np.zeros(n)
        self.low_sbp = np.zeros(n, dtype=bool)
        self.harms = {k: np.zeros(n) for k in HARM_KEYS.values()}
        self.record = {k: np.zeros(n) for k in RECORD_KEYS.values()}

    def before_step(self, batch: Batch, active: np.ndarray) -> None:
        self._ledger_start = len(batch.sim.ledger)
        self._counted = batch.sim.state.alive & active

    def after_step(self, batch: Batch) -> None:
        s, counted = batch.sim.state, self._counted
        kind = batch.sim.last_events.kind
        for k, key in HARM_KEYS.items():
            self.harms[key] += counted & (kind == k)
        alive = counted & s.alive
        self.steps += alive
        no_htn = ~batch.table.problem[:, _HYPERTENSION]
        self.without_htn_steps += alive & s.on_antihypertensive & no_htn
        self.drug_class_steps += alive * sum((s.columns[f] > 0).astype(float) for f in TREATMENT_FIELDS)
        self.low_sbp |= alive & (s.sbp_mmhg < LOW_SBP_MMHG)
        if self.judge_record:
            self._judge_record(batch, counted)

    def _judge_record(self, batch: Batch, counted: np.ndarray) -> None:
        """Count the hard breaches of the prescriptions this step executed for counted rows, by issuer."""
        new = batch.sim.ledger.since(self._ledger_start)
        row = (new["patient"] - batch.sim.record.first_id).astype(np.intp)
        sel = counted[row] & np.isin(new["kind"], PRESCRIBING_KINDS)
        if not sel.any():
            return
        found = judge_prescriptions(
            batch.sim.record,
            self.rules,
            {k: v[sel] for k, v in new.items()},
            batch.sim.state.age_years,
            batch.params["current_medication_window_days"],
        )
        first_id = batch.sim.record.first_id
        for v in found:
            self.record[RECORD_KEYS[v.issuer]][int(v.event_id.split("-")[0]) - first_id] += 1

    def per_patient(self) -> dict[str, np.ndarray]:
        """{audit metric: (n,) values}; the shares and drug classes are NaN for a patient never alive after a step."""
        steps = np.where(self.steps > 0, self.steps, np.nan)
        return {
            "antihypertensive_without_hypertension_share": self.without_htn_steps / steps,
            "true_sbp_below_100_share": np.where(self.steps > 0, self.low_sbp.astype(float), np.nan),
            "mean_drug_classes": self.drug_class_steps / steps,
            "harm_events_per_patient": sum(self.harms.values()),
            **self.harms,
            "record_hard_violations_per_patient": sum(self.record.values()),
            **self.record,
        }
