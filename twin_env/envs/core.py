"""The batched core shared by the single and the vector env: N patient rows in one Simulation.

Patient mapping: row ``i`` of a batch seeded ``s`` starts episode ``k`` (0-based) with patient
index ``s + i + k * EPISODE_STRIDE`` of the population ``config.population_seed``, so the single
env (one row) seeded ``s + i`` meets the same patients as row ``i`` (Gymnasium's sync vector env
seeds sub-env ``i`` with ``s + i``).
"""

from __future__ import annotations

import numpy as np

from twin_env.envs import actions as act
from twin_env.envs.config import THRESHOLDS, EnvConfig
from twin_env.envs.model_actions import MODEL_ACTIONS
from twin_env.envs.observation import encode_record, encode_truth
from twin_env.envs.rewards import REWARDS, SHAPED_REWARDS
from twin_env.envs.shaping import cvd_potential_gbp
from twin_env.envs.step_value import ENV_PARAMETERS, step_components
from twin_env.models.tracker import ContractTracker
from twin_env.record.gp import GpRecordTable, Registration
from twin_env.simulation import Simulation, sample_patients
from twin_env.twin.parameters import TwinParameters

EPISODE_STRIDE = 2**20
_MODELS = tuple(MODEL_ACTIONS.values())


class Batch:
    """N rows of patients, their care, record, observations, masks and rewards."""

    def __init__(self, config: EnvConfig, n: int) -> None:
        self.config, self.n = config, n
        self.sim: Simulation | None = None
        self.params = {**ENV_PARAMETERS, **{k: float(getattr(config, k)) for k in THRESHOLDS}}
        self.model_outputs: list[dict] = []

    @property
    def tp(self) -> TwinParameters:
        return TwinParameters.default()

    # ----- episodes --------------------------------------------------------------------------
    def _sample(self, index: np.ndarray):
        """Population patients at the given indices (one episode's indices: a block of at most N)."""
        c = self.config
        return sample_patients(index, c.population_seed, min_age_years=c.min_age_years, max_age_years=c.max_age_years)

    def _replace_rows(self, rows: np.ndarray) -> None:
        """Put each row's next patient into the simulation, sampling one block per episode number."""
        for episode in np.unique(self.episode[rows]).tolist():
            group = rows[self.episode[rows] == episode]
            state, dx = self._sample(self.patient_index(group))
            self.sim.reset_rows(group, state, dx)

    def reset(self, base: int, first_episode: np.ndarray) -> None:
        """Fresh rows: row i gets patient ``base + i + first_episode[i] * EPISODE_STRIDE``."""
        self.base = base
        self.episode = np.asarray(first_episode, dtype=np.int64).copy()
        state, dx = self._sample(self.patient_index(np.arange(self.n)))
        self._attach(Simulation(state, dx, start_date=self.config.start_date, artefacts=self.config.artefacts))

    def start_from(self, sim: Simulation) -> None:
        """Fresh rows from a given simulation (a patient's record: :mod:`twin_env.envs.record_start`).

        Its rows are no population patients: :meth:`patient_index` gives -1 for them.
        """
        self.base = -1
        self.episode = np.zeros(self.n, dtype=np.int64)
        self._attach(sim)

    def _attach(self, sim: Simulation) -> None:
        """Take ``sim`` as the rows' simulation: a fresh GP table, step counts and state caches."""
        self.sim = sim
        self.table = GpRecordTable(self.n, 0)
        self.steps = np.zeros(self.n, dtype=np.int64)
        self.start_day = sim.days.copy()
        self._ledger_len = len(sim.ledger)
        self.table.update(sim.record.stores["gp"], sim.days)
        #: The model actions' eligibility kept up to date on the table (the masks; O(rows changed) a step).
        self.eligibility = {m.model: ContractTracker(m.model, sim.record, self.table) for m in _MODELS}
        self.last_action = np.zeros(self.n, dtype=np.int64)
        self._forget_state()
        self._potential_now: np.ndarray | None = None

    def reset_rows(self, rows: np.ndarray) -> None:
        """Start each row's next episode in place (vector env auto-reset)."""
        rows = np.asarray(rows, dtype=np.intp)
        self.episode[rows] += 1
        seq = self.sim.ledger.next_seq(rows).astype(np.int64)
        self.table.update(self.sim.record.stores["gp"], self.sim.days)
        self.table.clear(rows, seq)
        self._replace_rows(rows)
        self.steps[rows] = 0
        self.start_day[rows] = self.sim.days[rows]
        self.last_action[rows] = 0
        self.table.update(self.sim.record.stores["gp"], self.sim.days)
        self.sim.record.forget_finished_patients()
        self._forget_state()
        self._potential_now = None

    def patient_index(self, rows: np.ndarray) -> np.ndarray:
        return self.base + rows + self.episode[rows] * EPISODE_STRIDE

    # ----- reading ---------------------------------------------------------------------------
    def today(self) -> int | np.ndarray:
        """The rows' current date (days since 1970-01-01): an int while every row is on the same date, else (N,)."""
        days = self.sim.days
        return int(days[0]) if len(days) == 1 or (days == days[0]).all() else days.copy()

    def _forget_state(self) -> None:
        """Drop what was read from the current state (context, masks, resolved actions): it changed."""
        self._ctx: act.RecordContext | None = None
        self._masks: np.ndarray | None = None
        self._resolved: dict[int, act.Resolution] = {}

    def context(self) -> act.RecordContext:
        """What actions read now (GP table, registration, date, parameters); one per state."""
        if self._ctx is None:
            s = self.sim.state
            self._ctx = act.RecordContext(
                self.table, s.age_years, s.female, s.ethnicity, s.townsend, self.today(), self.params,
                self.sim.record, Registration.from_simulation(self.sim), self.eligibility,
            )  # fmt: skip
        return self._ctx

    def masks(self) -> np.ndarray:
        """(N, n_actions) action masks of the config's catalogue, computed once per state (after each reset or step)."""
        return self._masks_now().copy()

    def _masks_now(self) -> np.ndarray:
        """The state's masks themselves (not a copy: read, never write)."""
        if self._masks is None:
            self._masks = act.action_masks(self.context(), self.sim.state.alive, self.config.action_set)
        return self._masks

    def resolve(self, action: int, rows: np.ndarray) -> act.Resolution:
        """``action`` on batch ``rows`` (ascending) resolved into orders, once per state.

        A later request for a subset of the rows reuses the resolution (a model is not run again):
        the shield judges, and :meth:`step` executes, the same orders.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cached = self._resolved.get(action)
        if cached is not None and np.isin(rows, cached.rows).all():
            return cached if len(rows) == len(cached.rows) else cached.take(rows)
        resolution = act.resolve(self.context(), action, rows)
        if cached is None or np.isin(cached.rows, rows).all():
            self._resolved[action] = resolution
        return resolution

    def observe(self) -> dict[str, np.ndarray]:
        s, mode, obs = self.sim.state, self.config.observation_mode, {}
        if "record" in mode:
            demo = {k: s.columns[k] for k in ("age_years", "female", "ethnicity", "imd_quintile")}
            obs.update(
                encode_record(
                    self.table,
                    demo,
                    self.today(),
                    self.steps / self.config.max_steps,
                    ENV_PARAMETERS["current_medication_window_days"],
                    self.config.action_set,
                    self.context().dose,  # the masks' (same day and window): read once per state
                )
            )
        if "truth" in mode:
            obs.update(encode_truth(s))
        return obs

    # ----- stepping --------------------------------------------------------------------------
    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Act, advance one interval, and return (reward, terminated, truncated, components, executed)."""
        sim, cfg = self.sim, self.config
        alive0 = sim.state.alive.copy()
        potential0 = self._potential() if cfg.reward in SHAPED_REWARDS else None
        executed = self.apply_actions(actions)
        sim.step(cfg.dt_years)
        self.after_step()
        comps = self._components(alive0)
        if potential0 is not None:
            self._potential_now = None  # the state has moved on
            comps["shaping_gbp"] = cfg.shaping_discount * self._potential() - potential0
        reward = REWARDS[cfg.reward](comps, cfg)
        terminated = alive0 & ~sim.state.alive
        truncated = ~terminated & (self.steps >= cfg.max_steps)
        return reward.astype(np.float64), terminated, truncated, comps, executed

    def apply_actions(self, actions: np.ndarray) -> np.ndarray:
        """Resolve and execute (N,) ``actions`` today (masked ones are not); returns (N,) bool executed."""
        executed = self._masks_now()[np.arange(self.n), actions]  # a masked action is not executed
        plan = [
            self.resolve(a, np.flatnonzero((actions == a) & executed)) for a in np.unique(actions[executed]).tolist()
        ]
        self.model_outputs = act.execute(self.sim, plan)
        self.last_action = np.where(executed, actions, 0)
        return executed

    def after_step(self) -> None:
        """Catch up after the simulation stepped: forget the old state, count the step, read the new record."""
        self._forget_state()
        self.steps += 1
        self.table.update(self.sim.record.stores["gp"], self.sim.days)

    @classmethod
    def around(cls, config: EnvConfig, sim: Simulation) -> Batch:
        """A batch over an existing Simulation (a trial's policy arm): row ``i`` is patient index ``i``.

        The caller steps ``sim``; call :meth:`apply_actions` before a step and :meth:`after_step` after each.
        """
        batch = cls(config, sim.state.n)
        batch.base = 0
        batch.episode = np.zeros(batch.n, dtype=np.int64)
        batch._attach(sim)
        return batch

    def _potential(self) -> np.ndarray:
        """(N,) shaping potential (GBP) of the rows' current states (:mod:`twin_env.envs.shaping`).

        Kept until the state changes (a step or a reset): a step's ``Phi(s')`` is the next one's ``Phi(s)``.
        """
        if self._potential_now is None:
            self._potential_now = cvd_potential_gbp(
                self.sim.simulator,
                self.sim.state,
                self.steps,
                self.config,
                ENV_PARAMETERS["shaping_value_per_cvd_event_gbp"],
            )
        return self._potential_now

    def _components(self, alive0: np.ndarray) -> dict[str, np.ndarray]:
        """(N,) reward components of the step just taken (:func:`twin_env.envs.step_value.step_components`).

        At the horizon a living patient adds the terminal value; a ``bp_check`` action adds a home BP series' cost.
        """
        start, self._ledger_len = self._ledger_len, len(self.sim.ledger)
        at_horizon = alive0 & (self.steps >= self.config.max_steps) & self.config.terminal_value
        home_bp = self.last_action == act.ACTION_INDEX["bp_check"]
        return step_components(self.sim, alive0, start, at_horizon, home_bp, self.config)
