"""Train a stable-baselines3 agent on the native vector env (``PrimaryCareSB3VecEnv``).

Output directory: ``model.zip`` (the checkpoint that did best on the validation cohort, see
:mod:`twin_env.training.validation`; the last weights without validation); ``model_last.zip`` and
``validation_curve.csv`` (with validation); ``vecnormalize.pkl`` (reward normalisation statistics; the
observation is already in [0, 1] and is not normalised, so evaluation needs no statistics);
``config.json`` (algorithm, seed, timesteps, env config, hyperparameters, package versions);
``learning_curve.csv`` (one row per finished training episode: ``timesteps, episode_return,
episode_length``, undiscounted raw rewards from ``VecMonitor``). TensorBoard logs with
``tensorboard_dir`` (needs the ``tensorboard`` package).

Shielded training (``shield``): the agent acts behind the vector safety shield (``replace`` or
``block`` mode), so it learns from what the shield executes; with ``cost_penalty`` > 0 the reward
is ``r - cost_penalty * cost`` (:class:`~twin_env.envs.wrappers.costs.VectorLagrangianReward`, the rule
costs of the proposed action; reward units, 1 = ``reward_scale_gbp`` GBP), so proposing a
violation costs more than proposing the safe action the shield would have run instead.
Validation then runs behind the shield too.
"""

from __future__ import annotations

import csv
import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from twin_env.envs.config import EnvConfig
from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.costs import VectorLagrangianReward
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.evaluation.cohorts import TRAIN_POPULATION_SEED, VALIDATION_POPULATION_SEED, cohort_config
from twin_env.policies.sb3_model import ALGOS, load_algo
from twin_env.training.validation import ValidationCallback

#: Shield modes training can run behind (``mask`` would judge every action of every row each step).
TRAINING_SHIELD_MODES: tuple[str, ...] = ("replace", "block")

#: Per-algorithm hyperparameters (SB3 defaults otherwise); n_steps x n_envs is one PPO rollout.
#: PPO's ``gae_lambda`` 0.8 (SB3: 0.95) and ``ent_coef`` 0.001 (was 0.01): a patient's return is
#: dominated by who dies when, so long GAE traces carry mostly that noise, while the shaped reward
#: already credits a treatment's effect on CVD risk at once; with the larger entropy bonus the
#: agent kept near-free actions (weight-management referrals, 60 GBP) as a stand-in for do-nothing.
HYPERPARAMETERS: dict[str, dict[str, Any]] = {
    "ppo": {
        "n_steps": 64,
        "batch_size": 2048,
        "gamma": 0.99,
        "gae_lambda": 0.8,
        "learning_rate": 3e-4,
        "ent_coef": 0.001,
    },
    "maskable_ppo": {
        "n_steps": 64,
        "batch_size": 2048,
        "gamma": 0.99,
        "gae_lambda": 0.8,
        "learning_rate": 3e-4,
        "ent_coef": 0.001,
    },
    "dqn": {
        "buffer_size": 50_000,
        "learning_starts": 1_000,
        "gamma": 0.99,
        "learning_rate": 1e-4,
        "train_freq": 4,
        "target_update_interval": 1_000,
    },
}


#: The training env under any ``env_config`` overrides: 3-monthly decisions (40 per 10-year
#: episode) and the NMB reward with potential-based shaping (:mod:`twin_env.envs.shaping`), whose
#: ``shaping_gamma`` is set to the algorithm's discount so the best policy is the unshaped one's.
TRAIN_ENV_DEFAULTS: dict[str, Any] = {"decision_interval_months": 3, "reward": "net_monetary_benefit_shaped"}


def training_env_config(algo: str, env_config: dict[str, Any] | None = None) -> EnvConfig:
    """:data:`TRAIN_ENV_DEFAULTS` under ``env_config``, ``shaping_gamma`` = the algorithm's gamma,
    on the training population."""
    overrides = {**TRAIN_ENV_DEFAULTS, **(env_config or {})}
    gamma = HYPERPARAMETERS[algo]["gamma"]
    if overrides.setdefault("shaping_gamma", gamma) != gamma:
        raise ValueError(
            f"shaping_gamma {overrides['shaping_gamma']!r} differs from {algo}'s gamma {gamma}: "
            "potential-based shaping keeps the best policy only when they are equal (leave shaping_gamma unset)"
        )
    return cohort_config(overrides, TRAIN_POPULATION_SEED)


class WallClockLimit(BaseCallback):
    """Stops training once ``max_seconds`` of wall-clock time have passed (checked every step)."""

    def __init__(self, max_seconds: float) -> None:
        super().__init__()
        self.max_seconds = max_seconds
        self._start = 0.0

    def _on_training_start(self) -> None:
        self._start = time.monotonic()

    def _on_step(self) -> bool:
        return time.monotonic() - self._start < self.max_seconds


class LearningCurveCallback(BaseCallback):
    """Collects ``(timesteps, episode_return, episode_length)`` from VecMonitor's ``info["episode"]``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, float, int]] = []

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", []):
            if "episode" in info:
                self.rows.append((self.num_timesteps, float(info["episode"]["r"]), int(info["episode"]["l"])))
        return True


def train(
    algo: str,
    timesteps: int,
    seed: int,
    out_dir: str | Path,
    n_envs: int = 16,
    env_config: dict[str, Any] | None = None,
    tensorboard_dir: str | Path | None = None,
    normalize_reward: bool = True,
    torch_threads: int = 1,
    max_minutes: float | None = None,
    validation_patients: int = 2000,
    validate_every: int = 250_000,
    shield: str | None = None,
    cost_penalty: float = 0.0,
) -> Path:
    """Train ``algo`` for ``timesteps`` env steps (summed over rows) and write the run to ``out_dir``.

    ``validation_patients`` > 0 validates every ``validate_every`` steps and keeps the best
    checkpoint (:class:`twin_env.training.validation.ValidationCallback`); 0 keeps the last weights.
    ``shield`` (``replace``/``block``) trains behind the safety shield, ``cost_penalty`` (>= 0,
    needs ``shield``) subtracts that many reward units per unit of rule cost.
    """
    if algo not in ALGOS:
        raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
    if timesteps < 1 or n_envs < 1:
        raise ValueError(f"timesteps and n_envs must be >= 1, got {timesteps}, {n_envs}")
    if validation_patients < 0 or validation_patients == 1:
        raise ValueError(f"validation_patients must be 0 (no validation) or >= 2, got {validation_patients}")
    if shield is not None and shield not in TRAINING_SHIELD_MODES:
        raise ValueError(f"shield {shield!r}; allowed: {list(TRAINING_SHIELD_MODES)} or none")
    if not cost_penalty >= 0 or (cost_penalty and shield is None):
        raise ValueError(f"cost_penalty must be >= 0 and needs a shield (the costs come from it), got {cost_penalty!r}")
    if tensorboard_dir is not None:
        try:
            import tensorboard  # noqa: F401
        except ImportError:
            raise ValueError("--tensorboard needs the tensorboard package (pip install tensorboard)") from None
    import torch  # noqa: PLC0415 - torch comes with the optional sb3 extra

    # the policy networks are small: one intra-op thread is several times faster than torch's
    # default (all cores), which contends with the env for the same cores
    torch.set_num_threads(torch_threads)
    cfg = training_env_config(algo, env_config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    venv = PrimaryCareSB3VecEnv(n_envs, cfg.to_dict(), None if shield is None else _shielded(shield, cost_penalty))
    venv.seed(seed)
    env = VecMonitor(venv)
    if normalize_reward:
        env = VecNormalize(env, norm_obs=False, norm_reward=True, gamma=HYPERPARAMETERS[algo]["gamma"])
    hp = dict(HYPERPARAMETERS[algo])
    if "n_steps" in hp:
        hp["batch_size"] = min(hp["batch_size"], hp["n_steps"] * n_envs)
    model = load_algo(algo)(
        "MultiInputPolicy",
        env,
        seed=seed,
        device="cpu",
        verbose=0,
        tensorboard_log=None if tensorboard_dir is None else str(tensorboard_dir),
        **hp,
    )
    curve = LearningCurveCallback()
    # the clock starts first, so validation (the do-nothing baseline included) counts against it
    callbacks: list[BaseCallback] = [] if max_minutes is None else [WallClockLimit(60.0 * max_minutes)]
    callbacks.append(curve)
    validation = None
    if validation_patients:
        validation = ValidationCallback(
            out, algo, cfg.to_dict(), validation_patients, validate_every, shielded=shield is not None
        )
        callbacks.append(validation)
    started = time.monotonic()
    model.learn(total_timesteps=timesteps, callback=callbacks)
    if validation is None:
        model.save(out / "model.zip")
    training_minutes = (time.monotonic() - started) / 60.0
    if normalize_reward:
        env.save(str(out / "vecnormalize.pkl"))
    with (out / "learning_curve.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timesteps", "episode_return", "episode_length"])
        w.writerows(curve.rows)
    config = {
        "algo": algo,
        "timesteps": timesteps,
        "trained_timesteps": int(model.num_timesteps),
        "training_minutes": round(training_minutes, 2),
        "max_minutes": max_minutes,
        "torch_threads": torch_threads,
        "seed": seed,
        "n_envs": n_envs,
        "normalize_reward": normalize_reward,
        "shield": shield,
        "cost_penalty": cost_penalty,
        "hyperparameters": hp,
        "validation": None
        if validation is None
        else {
            "patients": validation_patients,
            "every_timesteps": validate_every,
            "population_seed": VALIDATION_POPULATION_SEED,
            "selected": validation.best,
        },
        "env_config": cfg.to_dict(),
        "versions": {
            p: metadata.version(p) for p in ("stable-baselines3", "sb3-contrib", "torch", "gymnasium", "numpy")
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    return out


def _shielded(mode: str, cost_penalty: float):  # noqa: ANN202 (a wrapper factory for PrimaryCareSB3VecEnv)
    def wrap(env: PrimaryCareVectorEnv) -> VectorSafetyShield | VectorLagrangianReward:
        shielded = VectorSafetyShield(env, mode=mode)
        return VectorLagrangianReward(shielded, cost_penalty) if cost_penalty else shielded

    return wrap
