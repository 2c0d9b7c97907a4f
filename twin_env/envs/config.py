"""Typed, JSON-serialisable configuration of the PrimaryCare environments."""

from __future__ import annotations

import dataclasses
import datetime
import json
import numbers
from collections.abc import Mapping
from typing import Any

from twin_env.twin.economics import ECONOMICS, check_discount_rate, discount_per_step
from twin_env.twin.parameters import read_scalars
from twin_env.vocab.dates import MONTHS_PER_YEAR

OBSERVATION_MODES: tuple[str, ...] = ("record", "truth", "record+truth")
#: Action catalogues (:mod:`twin_env.envs.actions`): ``v0`` the retired 20 actions of ``PrimaryCare-v0``, ``v1``
#: those of ``PrimaryCare-v1`` (v0's, then gliclazide, dose titration and stopping a named drug).
ACTION_SETS: tuple[str, ...] = ("v0", "v1")
#: Model-action thresholds (percent); defaults and their sources: ``twin_env/data/env_parameters.csv``.
THRESHOLDS: tuple[str, ...] = ("qrisk3_statin_threshold_percent", "qdiabetes_dpp_threshold_percent")
_THRESHOLD_DEFAULTS = {k: v for k, v in read_scalars("env_parameters.csv").items() if k in THRESHOLDS}


#: Upper bounds of the real-valued fields (lower bound 0): beyond them a run is meaningless or would not finish.
REAL_BOUNDS: dict[str, float] = {
    "min_age_years": 100.0,
    "max_age_years": 100.0,
    "horizon_years": 100.0,
    "willingness_to_pay_gbp": 1e7,
    "reward_scale_gbp": 1e9,
}
#: Inclusive ranges of the integer fields.
INT_BOUNDS: dict[str, tuple[int, int]] = {"decision_interval_months": (1, 120), "population_seed": (0, 2**63 - 1)}
#: The calendar the simulation supports for ``start_date`` (inclusive, ISO dates).
START_DATE_RANGE: tuple[str, str] = ("1950-01-01", "2100-12-31")


def _check_start_date(value: Any) -> None:
    """``start_date``: an ISO ``YYYY-MM-DD`` string within :data:`START_DATE_RANGE`."""
    allowed = f"allowed: an ISO date YYYY-MM-DD from {START_DATE_RANGE[0]} to {START_DATE_RANGE[1]}"
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError(f"start_date {value!r}; {allowed}")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"start_date {value!r} is not a calendar date; {allowed}") from None
    if not START_DATE_RANGE[0] <= day.isoformat() <= START_DATE_RANGE[1]:
        raise ValueError(f"start_date {value!r}; {allowed}")


def _is_real(value: Any) -> bool:
    """A real number, not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True)
class EnvConfig:
    """Settings of one PrimaryCare environment (all fields JSON types).

    Attributes:
        min_age_years, max_age_years: age range of sampled patients at the episode start.
        horizon_years: episode length; ``truncated`` when reached.
        decision_interval_months: months between decisions (one ``step``).
        observation_mode: ``"record"`` (default: the GP record only), ``"truth"`` or ``"record+truth"``.
        reward: name of a registered reward function (see :mod:`twin_env.envs.rewards`).
        willingness_to_pay_gbp: value of one QALY in GBP (NICE threshold 20,000).
        reward_scale_gbp: rewards are divided by this (GBP) to be of unit magnitude.
        population_seed: seed of the synthetic population patients are drawn from.
        artefacts: record artefacts on (True) or a record that agrees with the truth (False).
        start_date: ISO date of every episode's first decision.
        qrisk3_statin_threshold_percent: the ``qrisk3_statin`` action starts atorvastatin 20 mg at
            a QRISK3 score >= this (default 10, NICE NG238).
        qdiabetes_dpp_threshold_percent: the ``qdiabetes_dpp`` action refers to the NHS Diabetes
            Prevention Programme at a QDiabetes-2018 score >= this (default 5.6, unverified).
        action_set: the action catalogue, ``"v0"`` (default here; ``PrimaryCare-v0``, retired) or ``"v1"``
            (``PrimaryCare-v1``); the env id sets it. v1 also observes gliclazide (11 medications).
        shaping_gamma: discount per step of the shaped rewards' potential
            (:mod:`twin_env.envs.shaping`); set it to the agent's discount factor, for which the
            shaping leaves the best policy unchanged. ``None`` (default): :attr:`discount_per_step`,
            the economic discount. Unused by unshaped rewards.
        discount_rate_per_year: discount rate of costs and QALYs (NICE reference case 0.035;
            0.015 as a sensitivity); the MDP's discount per step is :attr:`discount_per_step`.
        terminal_value: at the horizon, a living patient's reward adds the expected discounted QALYs
            and costs of the rest of life (``qalys_terminal``, ``cost_terminal_gbp``; docs/economics.md).
    """

    min_age_years: float = 40.0
    max_age_years: float = 75.0
    horizon_years: float = 10.0
    decision_interval_months: int = 1
    observation_mode: str = "record"
    reward: str = "net_monetary_benefit"
    willingness_to_pay_gbp: float = 20_000.0
    reward_scale_gbp: float = 1_000.0
    population_seed: int = 0
    artefacts: bool = True
    start_date: str = "2020-04-01"
    qrisk3_statin_threshold_percent: float = _THRESHOLD_DEFAULTS["qrisk3_statin_threshold_percent"]
    qdiabetes_dpp_threshold_percent: float = _THRESHOLD_DEFAULTS["qdiabetes_dpp_threshold_percent"]
    shaping_gamma: float | None = None
    discount_rate_per_year: float = ECONOMICS["discount_rate_per_year"]
    terminal_value: bool = True
    action_set: str = "v0"

    def __post_init__(self) -> None:
        if not isinstance(self.action_set, str) or self.action_set not in ACTION_SETS:
            raise ValueError(f"action_set {self.action_set!r}; allowed: {list(ACTION_SETS)}")
        if not isinstance(self.observation_mode, str) or self.observation_mode not in OBSERVATION_MODES:
            raise ValueError(f"observation_mode {self.observation_mode!r}; allowed: {list(OBSERVATION_MODES)}")
        for name, hi in REAL_BOUNDS.items():
            value = getattr(self, name)
            if not _is_real(value) or not 0 <= value <= hi:
                raise ValueError(f"{name} must be a finite number in [0, {hi:,g}], got {value!r}")
        if not 18 <= self.min_age_years <= self.max_age_years <= 100:
            raise ValueError(
                "ages must satisfy 18 <= min_age_years <= max_age_years <= 100, "
                f"got {self.min_age_years}, {self.max_age_years}"
            )
        for name in THRESHOLDS:
            value = getattr(self, name)
            if not _is_real(value) or not 0 < value <= 100:
                raise ValueError(f"{name} must be a risk in percent, 0 < value <= 100, got {value!r}")
        if self.shaping_gamma is not None and (not _is_real(self.shaping_gamma) or not 0 < self.shaping_gamma <= 1):
            raise ValueError(
                f"shaping_gamma must be a discount factor, 0 < value <= 1, or null, got {self.shaping_gamma!r}"
            )
        check_discount_rate(self.discount_rate_per_year)
        if not isinstance(self.terminal_value, bool):
            raise ValueError(f"terminal_value must be a bool, got {self.terminal_value!r}")
        for name in ("horizon_years", "reward_scale_gbp"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name, (lo, hi) in INT_BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
                raise ValueError(f"{name} must be an integer in [{lo:,}, {hi:,}], got {value!r}")
        horizon_months = self.horizon_years * MONTHS_PER_YEAR
        if self.decision_interval_months > horizon_months + 1e-9:
            raise ValueError(
                f"decision_interval_months must be at most the horizon ({horizon_months:g} months), "
                f"got {self.decision_interval_months}"
            )
        if not isinstance(self.artefacts, bool):
            raise ValueError(f"artefacts must be a bool, got {self.artefacts!r}")
        _check_start_date(self.start_date)
        from twin_env.envs.rewards import REWARDS  # noqa: PLC0415 (rewards imports nothing from here at import time)

        if not isinstance(self.reward, str) or self.reward not in REWARDS:
            raise ValueError(f"reward {self.reward!r}; allowed: {sorted(REWARDS)}")

    @property
    def dt_years(self) -> float:
        return self.decision_interval_months / MONTHS_PER_YEAR

    @property
    def discount_per_step(self) -> float:
        """The economic discount factor per step, ``(1 + discount_rate_per_year)**-dt_years`` (the MDP's gamma)."""
        return discount_per_step(self.dt_years, self.discount_rate_per_year)

    @property
    def shaping_discount(self) -> float:
        """The shaping potential's gamma: ``shaping_gamma``, or :attr:`discount_per_step` when it is None."""
        return self.discount_per_step if self.shaping_gamma is None else float(self.shaping_gamma)

    @property
    def max_steps(self) -> int:
        return max(1, round(self.horizon_years / self.dt_years))

    @classmethod
    def from_value(cls, value: EnvConfig | Mapping[str, Any] | None, base: EnvConfig | None = None) -> EnvConfig:
        """A config from None (defaults/``base``), an ``EnvConfig`` or a mapping of overrides."""
        base = base or cls()
        if value is None:
            return base
        if isinstance(value, EnvConfig):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"config must be a mapping or EnvConfig, got {type(value).__name__}")
        fields = {f.name for f in dataclasses.fields(cls)}
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"config keys must be field names (strings); allowed: {sorted(fields)}")
        unknown = sorted(set(value) - fields)
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; allowed: {sorted(fields)}")
        return dataclasses.replace(base, **value)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict; a ``v0`` config leaves out ``action_set`` (it serialises as before v1 existed)."""
        out = dataclasses.asdict(self)
        if out["action_set"] == "v0":
            del out["action_set"]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def with_action_set(config: EnvConfig, action_set: str | None) -> EnvConfig:
    """``config`` on catalogue ``action_set`` (an env id's; None keeps ``config.action_set``).

    A config that names another catalogue than the id's is refused (one line), so ``PrimaryCare-v0`` never runs v1.
    """
    if action_set is None or config.action_set == action_set:
        return config
    if config.action_set != EnvConfig.action_set:
        raise ValueError(
            f"action_set {config.action_set!r} in the config, but this env id's catalogue is {action_set!r}; "
            f"allowed: {action_set!r} (or leave action_set out)"
        )
    return dataclasses.replace(config, action_set=action_set)
