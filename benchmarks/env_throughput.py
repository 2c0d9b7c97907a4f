"""Throughput of the PrimaryCare envs as ratios to CartPole-v1 in the same process; writes results/env_throughput.json.

Whole episodes with random masked actions (model actions included), reporting the whole episode
and its first and last tenth of steps separately (a step must not get slower as the record grows):

- single env: steps/s;
- native vector env at N = 1,024 (``--quick``: 64): patient-steps/s;
- the shielded vector env (replace mode) vs the unshielded one at N = 256 (``--quick``: 32): ratio;
- the SB3 adapter with MaskablePPO (256 patients; ``--quick``: 16): training env steps/s, split into env
  stepping, policy forward (rest of the rollout) and PPO update;
- cold start: first ``gym.make`` + ``reset`` + one step in a fresh subprocess, with an empty and a warm
  numba compile cache.

Run: ``python -m benchmarks.env_throughput [--quick]`` from the repository root.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import cartpole_steps_per_second, print_table, write_results

TARGETS = {"single": 0.25, "vector": 10.0, "shield_slowdown": 1.5}
_ROOT = Path(__file__).resolve().parent.parent


def random_masked(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N,) one uniformly random allowed action per row of an (N, A) bool mask (do-nothing if none)."""
    scores = rng.random(mask.shape) * mask
    return scores.argmax(axis=1)


def episode_rates(step_seconds: list[float], rows: int) -> dict[str, float]:
    """Units/s over the whole episode and its first and last tenth of steps (``rows`` units per step)."""
    t = np.asarray(step_seconds)
    tenth = max(1, len(t) // 10)
    return {
        "steps": len(t),
        "whole": rows * len(t) / t.sum(),
        "first_tenth": rows * tenth / t[:tenth].sum(),
        "last_tenth": rows * tenth / t[-tenth:].sum(),
        "ms_per_step_first_tenth": 1e3 * t[:tenth].mean(),
        "ms_per_step_last_tenth": 1e3 * t[-tenth:].mean(),
    }


def single_env(episodes: int, config: dict) -> dict[str, float]:
    """Single env: ``episodes`` whole episodes, random masked actions; per-step times pooled by position."""
    import gymnasium as gym

    import twin_env  # noqa: F401 (registers the env)

    env = gym.make("twin_env/PrimaryCare-v0", config=config)
    rng = np.random.default_rng(0)
    per_episode: list[list[float]] = []
    for episode in range(episodes):
        env.reset(seed=episode)
        times, done = [], False
        while not done:
            mask = env.unwrapped.action_masks()
            start = time.perf_counter()
            _, _, term, trunc, _ = env.step(int(random_masked(mask[None], rng)[0]))
            times.append(time.perf_counter() - start)
            done = term or trunc
        per_episode.append(times)
    longest = max(per_episode, key=len)
    return {**episode_rates(longest, 1), "whole": sum(map(len, per_episode)) / sum(map(sum, per_episode))}


def vector_env(n: int, config: dict, shielded: bool = False) -> dict[str, float]:
    """Native vector env (optionally shielded, replace mode): one whole episode of every row (no auto-reset)."""
    from twin_env.envs.vector_env import PrimaryCareVectorEnv
    from twin_env.envs.wrappers.vector_shield import VectorSafetyShield

    base = PrimaryCareVectorEnv(n, config)
    env = VectorSafetyShield(base, mode="replace") if shielded else base
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(base.config.max_steps):
        start = time.perf_counter()
        env.step(random_masked(base.action_masks(), rng))  # the mask is part of a step's cost
        times.append(time.perf_counter() - start)
    return episode_rates(times, n)


def sb3_training(n: int, rollouts: int, n_steps: int) -> dict[str, float]:
    """MaskablePPO through the SB3 adapter: env steps/s of ``rollouts`` rollouts of ``n_steps`` x ``n`` and updates.

    Env time is the adapter's ``step_wait``; policy forward is the rest of the rollout; update is ``train()``.
    """
    from sb3_contrib import MaskablePPO

    from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv

    venv = PrimaryCareSB3VecEnv(n, {"horizon_years": 10.0})
    venv.seed(0)
    clock = {"env": 0.0, "rollout": 0.0, "update": 0.0}
    step_wait = venv.step_wait

    def timed_step_wait():  # noqa: ANN202
        start = time.perf_counter()
        out = step_wait()
        clock["env"] += time.perf_counter() - start
        return out

    venv.step_wait = timed_step_wait  # type: ignore[method-assign]
    model = MaskablePPO(
        "MultiInputPolicy", venv, n_steps=n_steps, batch_size=min(1024, n * n_steps), n_epochs=2, seed=0, device="cpu"
    )
    collect, train = model.collect_rollouts, model.train

    def timed_collect(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        out = collect(*args, **kwargs)
        clock["rollout"] += time.perf_counter() - start
        return out

    def timed_train(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        out = train(*args, **kwargs)
        clock["update"] += time.perf_counter() - start
        return out

    model.collect_rollouts, model.train = timed_collect, timed_train  # type: ignore[method-assign]
    steps = rollouts * n_steps * n
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    total = time.perf_counter() - start
    policy = clock["rollout"] - clock["env"]
    return {
        "patients": n,
        "env_steps": steps,
        "env_steps_per_s": steps / total,
        "seconds": total,
        "share_env": clock["env"] / total,
        "share_policy_forward": policy / total,
        "share_update": clock["update"] / total,
        "share_other": max(0.0, 1.0 - (clock["rollout"] + clock["update"]) / total),
    }


_COLD = """
import time
t0 = time.perf_counter()
import gymnasium as gym
import twin_env
t1 = time.perf_counter()
env = gym.make("twin_env/PrimaryCare-v0")
env.reset(seed=0)
env.step(0)
t2 = time.perf_counter()
print(t1 - t0, t2 - t0)
"""


def cold_start() -> dict[str, float]:
    """Seconds to import, and to import + make + reset + one step, in fresh subprocesses: empty, then warm cache."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty_cache", "warm_cache"):
            start = time.perf_counter()
            printed = subprocess.run(
                [sys.executable, "-c", _COLD], cwd=_ROOT, env=env, capture_output=True, text=True, check=True
            ).stdout.split()
            out[f"{label}_process_s"] = time.perf_counter() - start
            out[f"{label}_import_s"], out[f"{label}_first_step_s"] = float(printed[0]), float(printed[1])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-size run: small batches, short episodes")
    parser.add_argument("--skip-sb3", action="store_true", help="leave out the MaskablePPO training run")
    args = parser.parse_args(argv)
    quick = args.quick
    short = {"horizon_years": 2.0} if quick else {}
    n_vector, n_shield = (64, 32) if quick else (1024, 256)

    cartpole = cartpole_steps_per_second()
    results: dict = {"quick": quick, "cartpole_steps_per_s": cartpole}
    results["cold_start"] = cold_start()
    results["single"] = single_env(1 if quick else 3, short)
    results["vector"] = {"num_envs": n_vector, **vector_env(n_vector, short)}
    unshielded = vector_env(n_shield, short)
    shielded = vector_env(n_shield, short, shielded=True)
    results["shield"] = {
        "num_envs": n_shield,
        "unshielded": unshielded,
        "shielded": shielded,
        "slowdown": unshielded["whole"] / shielded["whole"],
    }
    if not args.skip_sb3:
        results["sb3_maskable_ppo"] = sb3_training(16 if quick else 256, 2, 16 if quick else 64)
    results["cartpole_after_steps_per_s"] = cartpole_steps_per_second()  # the reference again: noisy machine
    report(results)
    write_results("env_throughput_quick" if quick else "env_throughput", results)


def report(r: dict) -> None:
    """Print the table: rates, ratios to CartPole, targets."""
    cp = r["cartpole_steps_per_s"]
    rows: list[list[object]] = [["CartPole-v1", "steps/s", f"{cp:,.0f}", "-", "-", "1.00", "-"]]

    def add(name: str, unit: str, rates: dict, target: float | None) -> None:
        rows.append([
            name, unit, f"{rates['whole']:,.0f}", f"{rates['first_tenth']:,.0f}", f"{rates['last_tenth']:,.0f}",
            f"{rates['whole'] / cp:.3f}", "-" if target is None else f">= {target}",
        ])  # fmt: skip

    add("single env", "steps/s", r["single"], TARGETS["single"])
    add(f"vector N={r['vector']['num_envs']}", "patient-steps/s", r["vector"], TARGETS["vector"])
    s = r["shield"]
    add(f"vector N={s['num_envs']} unshielded", "patient-steps/s", s["unshielded"], None)
    add(f"vector N={s['num_envs']} shielded", "patient-steps/s", s["shielded"], None)
    print_table(["run", "unit", "whole episode", "first tenth", "last tenth", "x CartPole", "target"], rows)
    print(f"\nshielded slowdown: {s['slowdown']:.2f}x (target <= {TARGETS['shield_slowdown']})")
    if "sb3_maskable_ppo" in r:
        t = r["sb3_maskable_ppo"]
        print(
            f"MaskablePPO, {t['patients']} patients: {t['env_steps_per_s']:,.0f} env steps/s "
            f"({t['env_steps_per_s'] / cp:.3f}x CartPole); env {t['share_env']:.0%}, policy forward "
            f"{t['share_policy_forward']:.0%}, PPO update {t['share_update']:.0%}, other {t['share_other']:.0%}"
        )
    c = r["cold_start"]
    print(
        f"cold start (import + make + reset + step): {c['empty_cache_first_step_s']:.2f} s empty compile cache, "
        f"{c['warm_cache_first_step_s']:.2f} s warm (import alone {c['warm_cache_import_s']:.2f} s)"
    )
    print(f"CartPole-v1 again at the end: {r['cartpole_after_steps_per_s']:,.0f} steps/s")


if __name__ == "__main__":
    main()
