"""Arm strategies on a running Simulation: what an arm does at baseline and before each step.

Every arm gets the Simulation's own background care; a strategy adds to it:
``none`` nothing; ``drugs`` prescriptions at baseline (kept; the twin's adherence and stopping apply);
``bp_target`` the titration of :mod:`twin_env.trials.titration`; ``physiology`` what-if level shifts
(:mod:`twin_env.twin.level_shifts`; all-zero shifts are not applied, so they change nothing);
``policy`` a named policy or saved agent acting on the arm's GP record through the env's batched core
(:meth:`twin_env.envs.core.Batch.around`) every ``decision_interval_months`` steps.
"""

from __future__ import annotations

import numpy as np

from twin_env.envs.config import EnvConfig
from twin_env.envs.core import Batch
from twin_env.policies import PolicyInput, make_policy
from twin_env.simulation import Simulation
from twin_env.trials.schema import (
    BpTargetStrategy,
    DrugsStrategy,
    PhysiologyStrategy,
    PolicyStrategy,
    Population,
    Strategy,
)
from twin_env.trials.titration import BpTitration
from twin_env.twin.level_shifts import shift_levels
from twin_env.vocab.dates import MONTHS_PER_YEAR
from twin_env.vocab.orders import Order


class ArmRunner:
    """Applies one arm's strategy: :meth:`start` at baseline, :meth:`before_step` and :meth:`after_step` each step."""

    def __init__(
        self,
        strategy: Strategy,
        sim: Simulation,
        screening: dict[str, np.ndarray],
        population: Population,
        dt_years: float,
    ) -> None:
        self.strategy, self.sim, self.screening = strategy, sim, screening
        self.titration: BpTitration | None = None
        self.batch: Batch | None = None
        if isinstance(strategy, BpTargetStrategy):
            self.titration = BpTitration(sim, strategy.target_sbp_mmhg, screening["type2_diabetes"])
            self.visit_steps = max(1, round(strategy.visit_months / MONTHS_PER_YEAR / dt_years))
        if isinstance(strategy, PolicyStrategy):
            config = EnvConfig(
                start_date=population.start_date.isoformat(),
                artefacts=False,
                population_seed=population.seed,
            )
            self.batch = Batch.around(config, sim)
            self.policy = make_policy(strategy.policy, seed=population.seed)
            self.policy.reset(population.seed)
            self.decision_steps = max(1, round(config.dt_years / dt_years))

    def start(self) -> None:
        """Baseline: prescribe, shift, or titrate on the screening SBP."""
        s, rows = self.strategy, np.arange(self.sim.state.n)
        if isinstance(s, DrugsStrategy):
            for start in s.start:
                self.sim.execute(rows, Order("prescribe", start.drug, start.dose))
        elif isinstance(s, PhysiologyStrategy):
            shifts = (s.sbp_offset_mmhg, s.ldl_offset_mmol_l, s.hba1c_offset_mmol_mol)
            if any(x != 0.0 for x in shifts):
                shift_levels(
                    self.sim.state, rows, self.sim.simulator.params,
                    sbp_mmhg=s.sbp_offset_mmhg, ldl_mmol_l=s.ldl_offset_mmol_l, hba1c_mmol_mol=s.hba1c_offset_mmol_mol,
                )  # fmt: skip
        elif self.titration is not None:
            self.titration.visit(0, self.screening["sbp_mmhg"])

    def before_step(self, step: int) -> None:
        """Before step ``step`` (0-based; step 0 follows :meth:`start`): titration visits and policy decisions."""
        if self.titration is not None and step > 0 and step % self.visit_steps == 0:
            self.titration.visit(step // self.visit_steps)
        if self.batch is not None and step % self.decision_steps == 0:
            b = self.batch
            observation = {k: np.asarray(v).reshape(b.n, -1) for k, v in b.observe().items()}
            inputs = PolicyInput(
                observation, b.masks(), b.context(), b.patient_index(np.arange(b.n)), b.config.dt_years
            )
            actions, _ = self.policy.act(inputs)
            b.apply_actions(np.asarray(actions, dtype=np.int64))

    def after_step(self) -> None:
        """After each simulation step: the policy's batch reads the new record."""
        if self.batch is not None:
            self.batch.after_step()
