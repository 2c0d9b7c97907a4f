"""Train a stable-baselines3 agent on a registered training env (``twin_env/PrimaryCare-QuarterlyShaped-v1``).

Hyperparameters come from ``hyperparams/<algo>.yml`` (:mod:`twin_env.training.hyperparameters`) under
``hyperparams`` overrides; the run is ``total_timesteps`` env steps long (summed over rows), and
``max_minutes`` is only a safety stop (``config.json`` records whether it stopped the run).

Output directory: ``model.zip`` (the checkpoint that did best on the validation cohort, see
:mod:`twin_env.training.validation`; the last weights without validation); ``model_last.zip`` and
``validation_curve.csv`` (with validation); ``vecnormalize.pkl`` (reward normalisation statistics; the
observation is already in [0, 1] and is not normalised, so evaluation needs no statistics);
``config.json`` (algorithm, seed, the effective hyperparameters, the env id and the ``gymnasium.make``
call that builds the env trained on, env config, wall clock, package versions); ``learning_curve.csv``
(one row per finished training episode: ``timesteps, episode_return, episode_length``, undiscounted raw
rewards from ``VecMonitor``) and ``learning_curve.png``; ``tensorboard/`` (SB3's scalars and the
validation score; needs the ``tensorboard`` package).

Shielded training (``shield``): the agent acts behind the vector safety shield. In ``replace`` or ``block``
mode it learns from what the shield executes; in ``mask`` mode its action masks are the shield's safe masks
(the env's minus every hard-forbidden action; judging every valid action of every row each step, many times
slower, see ``docs/policies.md``). With ``cost_penalty`` > 0 the reward is ``r - cost_penalty * cost``
(:class:`~twin_env.envs.wrappers.costs.VectorLagrangianReward`, the rule costs of the proposed action; reward
units, 1 = ``reward_scale_gbp`` GBP), so proposing a violation costs more than proposing the safe action the
shield would have run instead. With ``cost_limit`` the multiplier is not fixed: it starts at zero and
:class:`~twin_env.envs.wrappers.lagrangian.LagrangeCallback` adapts it by dual ascent after every rollout,
``lambda <- max(0, lambda + lagrange_lr * (mean episode cost - cost_limit))`` (cost units per episode, the
shield's ``episode_cost``); ``config.json`` keeps the limit, the rate and every update. Validation then runs
behind the shield too (``replace`` mode, as evaluation does).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from twin_env.envs.config import EnvConfig
from twin_env.envs.presets import preset_config
from twin_env.envs.registration import TRAINING_ENV_IDS, TRAINING_ENVS, shielded_id
from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.costs import VectorLagrangianReward
from twin_env.envs.wrappers.lagrangian import LagrangeCallback
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.evaluation.cohorts import TRAIN_POPULATION_SEED, VALIDATION_POPULATION_SEED
from twin_env.policies.sb3_model import ALGOS, load_algo
from twin_env.training import learning_curve
from twin_env.training.callbacks import LearningCurveCallback, ProgressLog, WallClockLimit
from twin_env.training.hyperparameters import hyperparams_file, load_hyperparameters
from twin_env.training.validation import ValidationCallback

#: Shield modes training can run behind (``mask`` judges every valid action of every row each step: slow).
TRAINING_SHIELD_MODES: tuple[str, ...] = ("replace", "block", "mask")
#: The training env ``twin-env train`` uses unless told otherwise: the current action catalogue's (v1; the shipped
#: agent trained on it), not the retired one's (``twin_env/PrimaryCare-QuarterlyShaped-v0``, ``--env``).
DEFAULT_ENV_ID = TRAINING_ENV_IDS[-1]


def training_env_config(
    env_id: str = DEFAULT_ENV_ID, env_config: Mapping[str, Any] | None = None, gamma: float = 0.99
) -> EnvConfig:
    """``env_id``'s EnvConfig under ``env_config`` on the training population, ``shaping_gamma`` = ``gamma``
    (the algorithm's discount) unless ``env_config`` sets it equal."""
    if env_id not in TRAINING_ENV_IDS:
        raise ValueError(f"env {env_id!r}; allowed: {list(TRAINING_ENV_IDS)}")
    overrides = dict(env_config or {})
    if overrides.setdefault("shaping_gamma", gamma) != gamma:
        raise ValueError(
            f"shaping_gamma {overrides['shaping_gamma']!r} differs from the algorithm's gamma {gamma}: "
            "potential-based shaping keeps the best policy only when they are equal (leave shaping_gamma unset)"
        )
    return preset_config(env_id, {**overrides, "population_seed": TRAIN_POPULATION_SEED})


def gym_make_call(env_id: str, cfg: EnvConfig, shield: str | None) -> dict[str, Any]:
    """``{"id", "kwargs"}``: ``gymnasium.make(id, **kwargs)`` builds one row of the env trained on (behind the
    shield when ``shield``; without the cost-penalty reward, which is training's)."""
    defaults = preset_config(env_id).to_dict()
    config = {k: v for k, v in cfg.to_dict().items() if defaults[k] != v}
    if shield is None:
        return {"id": env_id, "kwargs": {"config": config}}
    (entry,) = [t for t in TRAINING_ENVS if t.id == env_id]
    if entry.shielded_base_id is None:
        return {"id": None, "kwargs": {}, "note": f"{env_id} has no registered shielded counterpart"}
    return {"id": shielded_id(env_id), "kwargs": {"config": config, "mode": shield}}


def train(
    algo: str,
    total_timesteps: int | None,
    seed: int,
    out_dir: str | Path,
    n_envs: int | None = None,
    env_config: dict[str, Any] | None = None,
    hyperparams: Mapping[str, Any] | None = None,
    env_id: str = DEFAULT_ENV_ID,
    tensorboard: bool = True,
    tensorboard_dir: str | Path | None = None,
    normalize_reward: bool = True,
    torch_threads: int = 1,
    max_minutes: float | None = None,
    validation_patients: int = 2000,
    validate_every: int = 250_000,
    shield: str | None = None,
    cost_penalty: float = 0.0,
    cost_limit: float | None = None,
    lagrange_lr: float = 0.05,
    progress_bar: bool = False,
    log_every: int | None = 50_000,
    log: TextIO | None = sys.stderr,
    plots: bool = True,
) -> Path:
    """Train ``algo`` for ``total_timesteps`` env steps (None: the file's ``n_timesteps``) and write the run.

    ``n_envs`` None: the file's. ``hyperparams`` override the file (``n_timesteps``, ``n_envs`` and algorithm
    arguments; the explicit arguments win). ``validation_patients`` > 0 validates every ``validate_every`` steps
    and keeps the best checkpoint; 0 keeps the last weights. ``shield`` (``replace``/``block``/``mask``) trains behind
    the safety shield, ``cost_penalty`` (>= 0, needs ``shield``) subtracts that many reward units per unit of rule
    cost; ``cost_limit`` (>= 0, needs ``shield``, not with ``cost_penalty``) instead adapts the multiplier from
    zero by dual ascent at rate ``lagrange_lr`` (> 0) so that the mean episode cost approaches the limit.
    ``tensorboard`` writes TensorBoard logs to ``tensorboard_dir`` (default ``out_dir/tensorboard``) when the
    tensorboard package is there (asking for a directory without it is an error). ``log_every`` env steps
    between progress lines to ``log`` (None or no ``log``: silent); ``progress_bar``: SB3's (tqdm and rich).
    """
    if algo not in ALGOS:
        raise ValueError(f"algo {algo!r}; allowed: {list(ALGOS)}")
    hp = load_hyperparameters(algo, hyperparams)
    explicit = {"n_timesteps": total_timesteps, "n_envs": n_envs}
    hp.update({k: v for k, v in explicit.items() if v is not None})
    if hp["n_timesteps"] < 1 or hp["n_envs"] < 1:
        raise ValueError(f"total_timesteps and n_envs must be >= 1, got {hp['n_timesteps']}, {hp['n_envs']}")
    if validation_patients < 0 or validation_patients == 1:
        raise ValueError(f"validation_patients must be 0 (no validation) or >= 2, got {validation_patients}")
    if shield is not None and shield not in TRAINING_SHIELD_MODES:
        raise ValueError(f"shield {shield!r}; allowed: {list(TRAINING_SHIELD_MODES)} or none")
    if not cost_penalty >= 0 or (cost_penalty and shield is None):
        raise ValueError(f"cost_penalty must be >= 0 and needs a shield (the costs come from it), got {cost_penalty!r}")
    if cost_limit is not None and (not 0 <= cost_limit < float("inf") or shield is None or cost_penalty):
        raise ValueError(
            f"cost_limit must be a finite number >= 0, needs a shield and no fixed cost_penalty, got {cost_limit!r}"
        )
    if not 0 < lagrange_lr < float("inf"):
        raise ValueError(f"lagrange_lr must be a finite number > 0, got {lagrange_lr!r}")
    tb_dir = _tensorboard_dir(tensorboard, tensorboard_dir, Path(out_dir))
    if plots:
        learning_curve.check_matplotlib()
    if progress_bar:
        _check_progress_bar()
    cfg = training_env_config(env_id, env_config, hp["gamma"])
    import torch  # noqa: PLC0415 - torch comes with the optional sb3 extra

    # the policy networks are small: one intra-op thread is several times faster than torch's
    # default (all cores), which contends with the env for the same cores
    torch.set_num_threads(torch_threads)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    total, rows = hp["n_timesteps"], hp["n_envs"]
    kwargs = {k: v for k, v in hp.items() if k not in ("n_timesteps", "n_envs")}
    capped = "n_steps" in kwargs and kwargs["batch_size"] > kwargs["n_steps"] * rows
    if capped:
        kwargs["batch_size"] = kwargs["n_steps"] * rows
    lagrangian = cost_penalty > 0 or cost_limit is not None
    wrapper = None if shield is None else _shielded(shield, cost_penalty, lagrangian)
    venv = PrimaryCareSB3VecEnv(rows, cfg.to_dict(), wrapper, env_id=env_id)
    venv.seed(seed)
    env = VecMonitor(venv)
    if normalize_reward:
        env = VecNormalize(env, norm_obs=False, norm_reward=True, gamma=kwargs["gamma"])
    try:
        model = load_algo(algo)(
            env=env,
            seed=seed,
            device="cpu",
            verbose=0,
            tensorboard_log=None if tb_dir is None else str(tb_dir),
            **kwargs,
        )
    except (TypeError, ValueError, AssertionError) as exc:
        raise ValueError(f"hyperparameters {kwargs} rejected by {algo}: {exc}".replace("\n", " ")) from None
    say = (lambda text: print(text, file=log, flush=True)) if log is not None else (lambda text: None)
    cost_text = "" if cost_limit is None else f", Lagrangian cost limit {cost_limit:g} per episode"
    say(
        f"training {algo} on {env_id}{'' if shield is None else f' behind the {shield} shield'}: {total:,} steps, "
        f"{rows} patients at a time, seed {seed}{cost_text}"
    )
    curve = LearningCurveCallback()
    # the clock starts first, so validation (the do-nothing baseline included) counts against it
    clock = None if max_minutes is None else WallClockLimit(60.0 * max_minutes)
    dual = None if cost_limit is None else LagrangeCallback(cost_limit, lagrange_lr)
    callbacks: list[BaseCallback] = [c for c in (clock, curve, dual) if c is not None]
    validation = None
    if validation_patients:
        validation = ValidationCallback(
            out, algo, cfg.to_dict(), validation_patients, validate_every, shielded=shield is not None
        )
        callbacks.append(validation)
    if log is not None and log_every is not None:
        status = lambda: _validation_score(validation) + _multiplier_text(dual)  # noqa: E731
        callbacks.append(ProgressLog(total, log_every, log, curve, status))
    started = time.monotonic()
    model.learn(total_timesteps=total, callback=callbacks, progress_bar=progress_bar, tb_log_name=algo)
    if validation is None:
        model.save(out / "model.zip")
    training_minutes = (time.monotonic() - started) / 60.0
    if normalize_reward:
        env.save(str(out / "vecnormalize.pkl"))
    learning_curve.write_csv(curve.rows, out / "learning_curve.csv")
    if plots:
        title = f"{algo} seed {seed} on {env_id}"
        learning_curve.plot(
            curve.rows, [] if validation is None else validation.rows, out / "learning_curve.png", title
        )
    stopped = clock is not None and clock.stopped
    if stopped:
        say(f"stopped by the wall-clock limit ({max_minutes:g} min) at {model.num_timesteps:,} of {total:,} steps")
    config = {
        "algo": algo,
        "env_id": env_id,
        "gym_make": gym_make_call(env_id, cfg, shield),
        "total_timesteps": total,
        "trained_timesteps": int(model.num_timesteps),
        "training_minutes": round(training_minutes, 2),
        "max_minutes": max_minutes,
        "stopped_by_wall_clock": stopped,
        "torch_threads": torch_threads,
        "seed": seed,
        "n_envs": rows,
        "normalize_reward": normalize_reward,
        "shield": shield,
        "cost_penalty": cost_penalty,
        "lagrangian": None
        if dual is None
        else {
            "cost_limit_per_episode": cost_limit,
            "multiplier_learning_rate": lagrange_lr,
            "initial_multiplier": 0.0,
            "final_multiplier": dual.multiplier,
            "updates": dual.updates,
        },
        "hyperparameters_file": hyperparams_file(algo).name,
        "hyperparameter_overrides": dict(hyperparams or {}),
        "hyperparameters": hp,
        "batch_size_capped_to_rollout": kwargs["batch_size"] if capped else None,
        "tensorboard_dir": None if tb_dir is None else str(tb_dir),
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


def _tensorboard_dir(wanted: bool, directory: str | Path | None, out: Path) -> Path | None:
    """Where TensorBoard logs go: ``directory`` or ``out/tensorboard``; None when not wanted or not installed."""
    if not wanted:
        return None
    try:
        import tensorboard  # noqa: F401, PLC0415
    except ImportError:
        if directory is not None:
            raise ValueError("--tensorboard needs the tensorboard package (pip install tensorboard)") from None
        return None
    return out / "tensorboard" if directory is None else Path(directory)


def _check_progress_bar() -> None:
    try:
        import rich  # noqa: F401, PLC0415
        import tqdm  # noqa: F401, PLC0415
    except ImportError:
        raise ValueError("the progress bar needs tqdm and rich (pip install tqdm rich); or --no-progress-bar") from None


def _validation_score(validation: ValidationCallback | None) -> str:
    if validation is None or not validation.rows:
        return ""
    row = validation.rows[-1]
    return f"validation NMB {row['nmb_vs_do_nothing_gbp']:+,.0f} GBP/patient vs do-nothing (at {row['timesteps']:,})"


def _multiplier_text(dual: LagrangeCallback | None) -> str:
    if dual is None or not dual.updates:
        return ""
    last = dual.updates[-1]
    return f"  lambda {last['multiplier']:.3f} (mean episode cost {last['mean_episode_cost']:.3f})"


def _shielded(mode: str, cost_penalty: float, lagrangian: bool):  # noqa: ANN202 (a wrapper factory for the SB3 env)
    """Shield in ``mode``; with ``lagrangian`` the penalised reward on top (multiplier ``cost_penalty``, 0 to adapt)."""

    def wrap(env: PrimaryCareVectorEnv) -> VectorSafetyShield | VectorLagrangianReward:
        shielded = VectorSafetyShield(env, mode=mode)
        return VectorLagrangianReward(shielded, cost_penalty) if lagrangian else shielded

    return wrap
