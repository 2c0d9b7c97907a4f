"""Throughput of the PrimaryCare envs vs CartPole-v1 in the same process; writes results/env_throughput.json."""

from __future__ import annotations

import numpy as np

from benchmarks.common import best_rate, cartpole_steps_per_second, print_table, write_results


def single_env_steps_per_second(steps: int = 300) -> float:
    import gymnasium as gym

    import twin_env  # noqa: F401 (registers the env)

    env = gym.make("twin_env/PrimaryCare-v0")
    env.reset(seed=0)
    rng = np.random.default_rng(0)

    def run() -> int:
        for _ in range(steps):
            mask = env.unwrapped.action_masks()
            _, _, term, trunc, _ = env.step(int(rng.choice(np.flatnonzero(mask))))
            if term or trunc:
                env.reset()
        return steps

    return best_rate(run)


def vector_patient_steps_per_second(n: int = 1024, steps: int = 24) -> float:
    import gymnasium as gym

    import twin_env  # noqa: F401

    venv = gym.make_vec("twin_env/PrimaryCare-v0", num_envs=n, vectorization_mode="vector_entry_point")
    venv.reset(seed=0)
    rng = np.random.default_rng(0)

    def run() -> int:
        for _ in range(steps):
            venv.step(rng.integers(0, 3, size=n))
        return steps * n

    return best_rate(run, repeats=2, min_seconds=1.0)


def main() -> None:
    cartpole = cartpole_steps_per_second()
    single = single_env_steps_per_second()
    vector = vector_patient_steps_per_second()
    rows = [
        ["CartPole-v1", f"{cartpole:,.0f}", "1.00", "-"],
        ["PrimaryCare-v0 single", f"{single:,.0f}", f"{single / cartpole:.3f}", ">= 0.25"],
        ["PrimaryCare-v0 vector N=1024", f"{vector:,.0f}", f"{vector / cartpole:.2f}", ">= 10"],
    ]
    print_table(["env", "steps/s", "x CartPole", "target"], rows)
    write_results(
        "env_throughput",
        {
            "cartpole_steps_per_s": cartpole,
            "single_steps_per_s": single,
            "vector_1024_patient_steps_per_s": vector,
            "single_ratio": single / cartpole,
            "vector_ratio": vector / cartpole,
        },
    )


if __name__ == "__main__":
    main()
