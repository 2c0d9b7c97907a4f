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
from twin_env.envs.terminal_value import terminal_components
from twin_env.models.eligibility import EligibilityTracker
from twin_env.record.gp import GpRecordTable, Registration
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation, sample_patients
from twin_env.twin import valuation
from twin_env.twin.economics import to_cost_year_gbp
from twin_env.twin.parameters import TwinParameters, read_scalars
from twin_env.vocab.concepts import Concept
from twin_env.vocab.services import COMMUNITY_REFERRALS

EPISODE_STRIDE = 2**20
_MODELS = tuple(MODEL_ACTIONS.values())
ENV_PARAMETERS: dict[str, float] = read_scalars("env_parameters.csv")
_DRUG_COST = {
    Concept.ATORVASTATIN_10MG: "atorvastatin",
    Concept.ATORVASTATIN_20MG: "atorvastatin",
    Concept.ATORVASTATIN_40MG: "atorvastatin",
    Concept.ATORVASTATIN_80MG: "atorvastatin",
    Concept.METFORMIN_500MG: "metformin",
    Concept.DAPAGLIFLOZIN_10MG: "dapagliflozin",
}
_ISSUE_COST = np.zeros(int(max(Concept)) + 1)
for _c in Concept:
    if 50 <= _c <= 65:
        _ISSUE_COST[_c] = ENV_PARAMETERS[f"cost_issue_{_DRUG_COST.get(_c, 'bp_drug')}_gbp"]
#: Cost of one issue by dm+d concept, per action catalogue: v0 left gliclazide issues uncosted (kept so that v0
#: reproduces its published rewards); v1, which prescribes gliclazide, costs them.
ISSUE_COST_GBP: dict[str, np.ndarray] = {"v0": _ISSUE_COST, "v1": _ISSUE_COST.copy()}
ISSUE_COST_GBP["v1"][Concept.GLICLAZIDE_80MG] = ENV_PARAMETERS["cost_issue_gliclazide_gbp"]
_TEST_COST = np.zeros(int(max(Concept)) + 1)
for _c, _n in (
    (Concept.TEST_HBA1C, "hba1c"),
    (Concept.TEST_LIPIDS, "lipids"),
    (Concept.TEST_RENAL, "renal"),
    (Concept.TEST_ACR, "acr"),
    (Concept.TEST_NTPROBNP, "ntprobnp"),
):
    _TEST_COST[_c] = ENV_PARAMETERS[f"cost_test_{_n}_gbp"]


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

    def _attach(self, sim: Simulation) -> None:
        """Take ``sim`` as the rows' simulation: a fresh GP table, step counts and state caches."""
        self.sim = sim
        self.table = GpRecordTable(self.n, 0)
        self.steps = np.zeros(self.n, dtype=np.int64)
        self.start_day = sim.days.copy()
        self._ledger_len = len(sim.ledger)
        self.table.update(sim.record.stores["gp"], sim.days)
        #: The model actions' eligibility kept up to date on the table (the masks; O(rows changed) a step).
        self.eligibility = {m.model: EligibilityTracker(m.model, sim.record, self.table) for m in _MODELS}
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
        return int(days[0]) if (days == days[0]).all() else days.copy()

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
        if self._masks is None:
            self._masks = act.action_masks(self.context(), self.sim.state.alive, self.config.action_set)
        return self._masks.copy()

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
        executed = self.masks()[np.arange(self.n), actions]  # a masked action is not executed
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
        """(N,) reward components of the step just taken: QALYs and NHS costs (:mod:`twin_env.twin.valuation`).

        QALYs: the state's utility (incl. pill burden) over the step (half of it in the step of a death),
        less the one-off QALY loss of the step's event. Event costs come from the twin's events
        (``Simulation.last_events``); care costs (consultations, tests, drugs, referrals) from the ledger.
        At the horizon a living patient adds the terminal value (:mod:`twin_env.envs.terminal_value`).
        """
        sim, p, n, dt = self.sim, self.tp, self.n, self.config.dt_years
        s, events = sim.state, sim.last_events
        new = sim.ledger.since(self._ledger_len)
        self._ledger_len = len(sim.ledger)
        row, kind, concept = new["patient"] - sim.record.first_id, new["kind"], new["concept"].astype(np.intp)
        counted = alive0[row]

        def per_row(mask: np.ndarray, weight: np.ndarray | float = 1.0) -> np.ndarray:
            w = np.broadcast_to(np.asarray(weight, dtype=np.float64), mask.shape)
            return np.bincount(row[mask & counted], w[mask & counted], minlength=n)

        alive_frac = np.where(events.died, 0.5, 1.0) * alive0
        cost_events, cost_harms = valuation.event_cost_gbp(events, p)
        e = ENV_PARAMETERS
        consulted = kind == LedgerKind.CONSULTATION
        health_check = consulted & (concept == Concept.NHS_HEALTH_CHECK)
        cp = sim.care.params
        check_gbp = to_cost_year_gbp(cp["health_check_cost_gbp"], int(cp["health_check_cost_price_year"]), "check")
        consults = per_row(consulted & ~health_check, e["cost_gp_consultation_gbp"]) + per_row(health_check, check_gbp)
        # the check's payment includes its bloods: orders linked to a check of this step are not costed again
        check_key = new["patient"][health_check].astype(np.int64) << 32 | new["seq"][health_check].astype(np.int64)
        order = kind == LedgerKind.TEST_ORDER
        order_key = new["patient"].astype(np.int64) << 32 | new["link"].astype(np.int64)
        tests = per_row(order & ~np.isin(order_key, check_key), _TEST_COST[concept])
        referral = per_row(
            kind == LedgerKind.OUTPATIENT_ATTENDANCE, e["cost_outpatient_first_attendance_gbp"]
        ) + per_row(
            (kind == LedgerKind.REFERRAL) & np.isin(concept, COMMUNITY_REFERRALS), e["cost_community_referral_gbp"]
        )
        at_horizon = alive0 & (self.steps >= self.config.max_steps) & self.config.terminal_value
        qalys_terminal, cost_terminal = terminal_components(sim.simulator, s, p, at_horizon, self.config, e)
        return {
            "qalys": valuation.health_utility(s, p) * dt * alive_frac - valuation.event_qaly_loss(events) * alive0,
            "qalys_terminal": qalys_terminal,
            "cost_terminal_gbp": cost_terminal,
            "cost_events_gbp": cost_events * alive0,
            "cost_harms_gbp": cost_harms * alive0,
            "cost_chronic_gbp": dt * alive_frac * valuation.chronic_cost_gbp_per_year(s, p),
            "cost_consultations_gbp": consults
            + (self.last_action == act.ACTION_INDEX["bp_check"]) * e["cost_home_bp_series_gbp"],
            "cost_tests_gbp": tests,
            "cost_drugs_gbp": per_row(
                np.isin(kind, (LedgerKind.PRESCRIPTION,)), ISSUE_COST_GBP[self.config.action_set][concept]
            ),
            "cost_referrals_gbp": referral,
        }
