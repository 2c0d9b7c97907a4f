"""Per-patient outcome accumulation during an evaluation rollout, and 95% confidence intervals.

Outcomes come from the env's ``info["reward_components"]`` (QALYs, NHS and PSS costs: discounted to the
first decision at ``discount_rate_per_year``, the terminal value at the horizon included, so lifetime) and from the
care simulation's ledger of true events (CVD events, deaths, tests, referrals); time in target
reads the latent truth (evaluation only, never shown to a policy).
"""

from __future__ import annotations

import math

import numpy as np

from twin_env.envs.core import Batch
from twin_env.envs.rewards import total_cost_gbp, total_qalys
from twin_env.policies.nice_guideline import bp_target_mmhg
from twin_env.record.ledger import LedgerKind
from twin_env.twin.economics import ECONOMICS, discount_factor
from twin_env.vocab.concepts import Concept

#: HbA1c target for "time in target" (NICE NG28 1.6.5-6: 53 mmol/mol on drugs that may cause hypoglycaemia).
HBA1C_TARGET_MMOL_MOL = 53.0
Z_95 = 1.959964
#: Reported metrics: key -> (label, unit).
METRICS: dict[str, tuple[str, str]] = {
    "qalys": ("QALYs (discounted, lifetime)", "per patient"),
    "cost_gbp": ("NHS and PSS cost (discounted, lifetime)", "GBP per patient"),
    "nmb_gbp": ("net monetary benefit (discounted, lifetime)", "GBP per patient"),
    "cvd_events": ("CVD events (MI, stroke)", "per patient"),
    "deaths": ("deaths", "per patient"),
    "time_bp_target": ("time in BP target (hypertension)", "fraction"),
    "time_hba1c_target": ("time in HbA1c target (T2D)", "fraction"),
    "tests_per_py": ("tests", "per patient-year"),
    "referrals_per_py": ("referrals", "per patient-year"),
    "masked_proposals_per_py": ("masked (invalid) actions proposed", "per patient-year"),
}
#: Safety metrics, reported when evaluating under the vector shield (``info`` keys of
#: :class:`~twin_env.envs.wrappers.vector_shield.VectorSafetyShield`): key -> (label, unit).
SAFETY_METRICS: dict[str, tuple[str, str]] = {
    "proposed_hard_violations": ("hard violations proposed", "per patient"),
    "executed_hard_violations": ("hard violations executed", "per patient"),
    "soft_cost": ("soft-rule cost", "per patient"),
}


class OutcomeAccumulator:
    """Sums each row's outcomes over its first episode (rows stop counting after they end).

    With ``shielded``, :meth:`add_safety` also sums the shield's per-row violation counts (the record's
    executed violations are audits: :mod:`twin_env.evaluation.audits`).
    """

    def __init__(
        self,
        n: int,
        willingness_to_pay_gbp: float,
        shielded: bool = False,
        discount_rate_per_year: float = ECONOMICS["discount_rate_per_year"],
    ) -> None:
        self.n, self.wtp, self.discount_rate = n, willingness_to_pay_gbp, discount_rate_per_year
        self.steps = np.zeros(n)  # steps each row has counted: its QALYs and costs are discounted by their time
        self.safety = {k: np.zeros(n) for k in SAFETY_METRICS} if shielded else {}
        self.active = np.ones(n, dtype=bool)
        z = lambda: np.zeros(n)  # noqa: E731
        self.qalys, self.cost, self.cvd, self.deaths, self.years = z(), z(), z(), z(), z()
        self.tests, self.referrals, self.masked = z(), z(), z()
        self.bp_in, self.bp_steps, self.a1c_in, self.a1c_steps = z(), z(), z(), z()

    def before_step(self, batch: Batch, proposed: np.ndarray, mask: np.ndarray) -> None:
        self._ledger_start = len(batch.sim.ledger)
        self._alive0 = batch.sim.state.alive.copy() & self.active
        self.masked += self.active & ~mask[np.arange(self.n), proposed]

    def add_safety(self, info: dict[str, np.ndarray]) -> None:
        """Add the shield's per-row counts of the step just taken (call before :meth:`after_step`)."""
        for k in SAFETY_METRICS:
            self.safety[k] += np.where(self.active, info[k], 0.0)

    def after_step(self, batch: Batch, comps: dict[str, np.ndarray], done: np.ndarray, dt_years: float) -> None:
        a, s = self.active, batch.sim.state
        discount = discount_factor(self.steps * dt_years, self.discount_rate)
        self.qalys += np.where(a, discount * total_qalys(comps), 0.0)
        self.cost += np.where(a, discount * total_cost_gbp(comps), 0.0)
        self.steps += a
        self.years += self._alive0 * dt_years
        led = batch.sim.ledger.columns
        new = slice(self._ledger_start, len(led["patient"]))
        row = (led["patient"][new] - batch.sim.record.first_id).astype(np.intp)
        kind, concept = led["kind"][new], led["concept"][new]
        counted = a[row]

        def count(sel: np.ndarray) -> np.ndarray:
            return np.bincount(row[sel & counted], minlength=self.n).astype(float)

        self.cvd += count((kind == LedgerKind.ACUTE_EVENT) & np.isin(concept, (Concept.ACUTE_MI, Concept.STROKE)))
        self.deaths += count(kind == LedgerKind.DEATH) > 0
        self.tests += count(kind == LedgerKind.TEST_ORDER)
        self.referrals += count(kind == LedgerKind.REFERRAL)
        alive = self._alive0 & s.alive
        sbp_t, dbp_t = bp_target_mmhg(s.age_years)
        htn, t2d = alive & s.hypertension, alive & s.type2_diabetes
        self.bp_steps += htn
        self.bp_in += htn & (s.sbp_mmhg < sbp_t) & (s.dbp_mmhg < dbp_t)
        self.a1c_steps += t2d
        self.a1c_in += t2d & (s.hba1c_mmol_mol < HBA1C_TARGET_MMOL_MOL)
        self.active &= ~done

    def per_patient(self) -> dict[str, np.ndarray]:
        """{metric: (n,) values}; time-in-target metrics are NaN for patients without the condition."""
        py = np.maximum(self.years, 1e-9)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "qalys": self.qalys,
                "cost_gbp": self.cost,
                "nmb_gbp": self.qalys * self.wtp - self.cost,
                "cvd_events": self.cvd,
                "deaths": self.deaths.astype(float),
                "time_bp_target": np.where(self.bp_steps > 0, self.bp_in / self.bp_steps, np.nan),
                "time_hba1c_target": np.where(self.a1c_steps > 0, self.a1c_in / self.a1c_steps, np.nan),
                "tests_per_py": self.tests / py,
                "referrals_per_py": self.referrals / py,
                "masked_proposals_per_py": self.masked / py,
                **self.safety,
            }


def mean_ci(values: np.ndarray) -> dict[str, float]:
    """Mean and normal-approximation 95% CI (mean +/- 1.96 SD / sqrt(n)) over non-NaN values."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": 0}
    half = Z_95 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
    m = float(v.mean())
    return {"mean": m, "ci_low": m - half, "ci_high": m + half, "n": int(v.size)}
