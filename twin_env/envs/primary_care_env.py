"""The single-patient Gymnasium environment ``twin_env/PrimaryCare-v1`` (and the retired ``PrimaryCare-v0``)."""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from twin_env.envs import render as rnd
from twin_env.envs.actions import ACTIONS, n_actions
from twin_env.envs.config import EnvConfig, with_action_set
from twin_env.envs.core import Batch
from twin_env.envs.info import zero_components
from twin_env.envs.observation import observation_space
from twin_env.patient_twin.record import PatientRecord
from twin_env.vocab.concepts import Concept

#: Keys ``reset(options=...)`` accepts; ``patient_index`` is at most ``2**62 - 1``.
RESET_OPTIONS: list[str] = ["config", "patient_index", "record"]
MAX_INDEX = 2**62 - 1


class PrimaryCareEnv(gym.Env[dict, int]):
    """One patient's primary care, observed through the GP record.

    ## Description
    An episode follows one synthetic patient (ages ``config.min_age_years``-``max_age_years``)
    from ``config.start_date`` for ``config.horizon_years`` at ``decision_interval_months``. Each
    step the agent takes one clinical action, the twin, the care layer and every system of record
    advance by one interval, and the agent sees the GP record as it stands on the new date.

    ## Action Space
    ``Discrete(36)`` (v1; v0: ``Discrete(20)``, the first 20): see :data:`twin_env.envs.actions.ACTIONS`
    (name, effect, NICE basis) and ``docs/env.md``; ``config.action_set`` (set by the env id) picks the
    catalogue. Masked actions (``action_masks()``) are not executed (treated as do-nothing).
    Model actions (``qrisk3_statin``, ``qdiabetes_dpp``) deploy the model through
    :mod:`twin_env.models.deployment`; ``info["model_outputs"]`` holds each run's audit entry.

    ## Observation Space
    ``Dict`` of ``Box(0, 1, float32)`` / ``MultiBinary`` features, all scaled to [0, 1]
    (record mode): ``demographics`` (12: age/100, female, (IMD quintile-1)/4, ethnicity one-hot 9),
    ``measurement_value`` (10: latest SBP/200, DBP/120, HbA1c/100 mmol/mol, total chol/10, HDL/3,
    LDL/8 mmol/L, eGFR/120, K+/6 mmol/L, ACR/30 mg/mmol, BMI/60 kg/m2; 0 when missing),
    ``measurement_age`` (10: years since, /10, 1 when missing), ``measurement_missing`` (10), ``problems`` (9),
    ``medications`` (v1 11, v0 10 without gliclazide: current dose / maximum dose),
    ``referred_recently`` (7, last 90 days),
    ``letters_since_review`` (1: count/5), ``admissions_known`` (2: discharge summaries in the
    last year /3, years since the last /10), ``smoking`` (2: coded status as QRISK3 category/4,
    missing), ``qrisk3`` (2: last QRISK3 score in the GP record/100, missing),
    ``time_since_review`` (1: years/5), ``episode_progress`` (1). ``"truth"`` adds/uses
    ``truth_values`` (13), ``truth_conditions`` (9), ``truth_treatments`` (10).

    ## Info
    The same keys at reset and at every step (:mod:`twin_env.envs.info`): ``action_mask``,
    ``patient_index``, ``date``, ``reward_components``, ``action_executed``, ``model_outputs``.

    ## Rewards
    Default: net monetary benefit per step, (QALYs x 20,000 GBP - NHS costs) / 1,000 GBP;
    ``info["reward_components"]`` has each part. Pluggable by ``config.reward``.

    ## Starting State
    Patient ``seed + k * 2**20`` of population ``config.population_seed`` in episode ``k`` after a
    seeded reset (``reset(options={"patient_index": i})`` picks one), with baseline diagnoses
    and treatments recorded. ``reset(options={"record": bundle})`` (a FHIR R4 Bundle, dict or file)
    starts from one posterior sample of that patient on the record's date instead, drawn with seed
    ``seed + k * 2**20`` (:mod:`twin_env.envs.record_start`); its ``patient_index`` is -1.

    ## Episode End
    ``terminated`` at death; ``truncated`` at the horizon.

    ## Arguments
    ``gymnasium.make("twin_env/PrimaryCare-v1", config={...}, render_mode=None|"ansi"|"rgb_array")``;
    ``action_set`` (``"v0"``/``"v1"``) is the registered id's catalogue (None: ``config.action_set``).

    ## Version History
    * v1: 36 actions (gliclazide, dose titration, stopping a named drug); gliclazide observed and costed.
    * v0: initial version (retired; its 20 actions are v1's first 20).
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        config: EnvConfig | dict[str, Any] | None = None,
        render_mode: str | None = None,
        action_set: str | None = None,
    ) -> None:
        self.config = with_action_set(EnvConfig.from_value(config), action_set)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode {render_mode!r}; allowed: {self.metadata['render_modes']} or None")
        self.render_mode = render_mode
        self.observation_space = observation_space(self.config.observation_mode, self.config.action_set)
        self.n_actions = n_actions(self.config.action_set)
        self.action_space = gym.spaces.Discrete(self.n_actions)
        self._batch = Batch(self.config, 1)
        self._base: int | None = None
        self._next_episode = 0
        self._patient_index = -1
        self._history: list[tuple[float, int, int]] = []
        self._last_reward = 0.0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        if options is not None and not isinstance(options, Mapping):
            raise ValueError(f"reset options must be a dict, got {type(options).__name__}; allowed: {RESET_OPTIONS}")
        options = dict(options or {})
        if "config" in options:
            self.config = with_action_set(
                EnvConfig.from_value(options.pop("config"), self.config), self.config.action_set
            )
            self.observation_space = observation_space(self.config.observation_mode, self.config.action_set)
            self._batch = Batch(self.config, 1)
        if seed is not None or self._base is None:
            self._base = int(seed) if seed is not None else int(self.np_random.integers(0, 2**20))
            self._next_episode = 0
        if "record" in options:
            if "patient_index" in options:
                raise ValueError("reset options: give a record or a patient_index, not both")
            return self._reset_from_record(options.pop("record"), options)
        if "patient_index" in options:
            index = options.pop("patient_index")
            if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index <= MAX_INDEX:
                raise ValueError(f"patient_index must be an integer in [0, 2**62 - 1], got {index!r}")
            index = int(index)
            base, episode = index % 2**20, index // 2**20
        else:
            base, episode = self._base, self._next_episode
        if options:
            raise ValueError(f"unknown reset option(s) {sorted(map(str, options))}; allowed: {RESET_OPTIONS}")
        self._batch.reset(base, np.array([episode]))
        self._patient_index = int(self._batch.patient_index(np.array([0]))[0])  # the episode's, for every info
        self._next_episode = episode + 1
        self._history, self._last_reward = [], 0.0
        return self._obs(), self._info(None)

    def _reset_from_record(self, bundle: Any, options: dict[str, Any]) -> tuple[dict, dict]:
        """Start from one posterior sample of the patient in ``bundle`` (seeded by the env's seed and episode)."""
        from twin_env.envs.record_start import simulation_from_record  # noqa: PLC0415 (the reader: on first use)

        if options:
            raise ValueError(f"unknown reset option(s) {sorted(map(str, options))}; allowed: {RESET_OPTIONS}")
        if not isinstance(bundle, (Mapping, str, os.PathLike, PatientRecord)):
            raise ValueError(
                f"reset option record must be a FHIR R4 Bundle (dict or JSON file path), got {type(bundle).__name__}"
            )
        episode = self._next_episode
        self._batch.start_from(simulation_from_record(bundle, self._base + episode * 2**20, self.config))
        self._patient_index = int(self._batch.patient_index(np.array([0]))[0])
        self._next_episode = episode + 1
        self._history, self._last_reward = [], 0.0
        return self._obs(), self._info(None)

    def step(self, action: int) -> tuple[dict, float, bool, bool, dict]:
        if self._batch.sim is None:
            raise RuntimeError("call reset() before step()")
        a = np.asarray(action)
        if a.shape not in ((), (1,)) or a.dtype.kind not in "iu" or not 0 <= int(a.reshape(-1)[0]) < self.n_actions:
            raise ValueError(f"invalid action {action!r}; allowed: an integer in [0, {self.n_actions - 1}]")
        reward, terminated, truncated, comps, executed = self._batch.step(np.array([int(a.reshape(-1)[0])]))
        self._last_reward = float(reward[0])
        self._history.append(
            (
                float(self._batch.table.latest(Concept.SBP)[0]),
                int(self._batch.last_action[0]),
                int(self._batch.steps[0]),
            )
        )
        info = self._info({k: float(v[0]) for k, v in comps.items()}, bool(executed[0]))
        return self._obs(), self._last_reward, bool(terminated[0]), bool(truncated[0]), info

    @property
    def batch(self) -> Batch:
        """The batched core (one row): GP record table, record context, masks and resolved orders.

        What shields and policies read (:meth:`Batch.context`, :meth:`Batch.masks`, :meth:`Batch.resolve`).
        """
        return self._batch

    def action_masks(self) -> np.ndarray:
        """(n_actions,) bool: actions that make sense for this patient now (from the record)."""
        return self._batch.masks()[0]

    @property
    def record(self):  # noqa: ANN201 (EpisodeRecord)
        """The episode's multi-system record, with ``to_fhir()`` and the other writers."""
        from twin_env.envs.episode_record import EpisodeRecord  # noqa: PLC0415

        return EpisodeRecord(self._batch.sim, self._batch.sim.record.first_id)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            obs = {k: v for k, v in self._obs().items()}
            return rnd.ansi(obs, str(self._batch.sim.date), int(self._batch.last_action[0]), self._last_reward)
        if self.render_mode == "rgb_array":
            return rnd.timeline(self._history)
        return None

    def _obs(self) -> dict[str, np.ndarray]:
        return {k: v[0] for k, v in self._batch.observe().items()}

    def _info(self, comps: dict[str, float] | None, executed: bool = True) -> dict[str, Any]:
        """The info of :mod:`twin_env.envs.info`: the same keys at reset (``comps`` None) and at step."""
        return {
            "action_mask": self.action_masks(),
            "patient_index": self._patient_index,
            "date": str(self._batch.sim.date),
            "reward_components": zero_components(self.config) if comps is None else comps,
            "action_executed": False if comps is None else executed,
            "model_outputs": [] if comps is None else self._batch.model_outputs,
        }


__all__ = ["ACTIONS", "PrimaryCareEnv"]
