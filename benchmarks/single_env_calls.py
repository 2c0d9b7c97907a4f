"""Calls a single-env step makes, by layer of twin_env: exact counts (cProfile), comparable across code and load.

One episode of ``PrimaryCare-v1`` (seed 0, random masked actions, the numba kernels warmed first); per step:
Python calls of twin_env functions by layer, NumPy calls (NumPy's C functions and Python wrappers) charged to
the twin_env layer that made them directly, and the functions making the most NumPy calls. Counts do not depend
on the machine's load, unlike times: compare two commits by running this on each. Writes
``results/single_env_calls.json``.

Run: ``python -m benchmarks.single_env_calls [--top 25]`` from the repository root.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections import Counter

import numpy as np

from benchmarks.common import print_table, write_results
from benchmarks.env_throughput import random_masked


def _layer(filename: str) -> str | None:
    """The twin_env package (layer) of a source file, ``__init__`` for the package's own; None outside twin_env."""
    if "twin_env/" not in filename:
        return None
    parts = filename.split("twin_env/")[-1].split("/")
    return parts[0].removesuffix(".py") if len(parts) > 1 else "__init__"


def _is_numpy(filename: str, name: str) -> bool:
    """Whether a profiled function is NumPy's (its Python wrappers, or a C function or method of NumPy's)."""
    return "numpy" in filename or (filename == "~" and any(w in name for w in ("numpy", "ndarray", "ufunc")))


def count_calls(stats: pstats.Stats, steps: int, top: int) -> dict:
    """Per step: all calls, twin_env Python calls and NumPy calls by layer, the top NumPy callers."""
    python: Counter[str] = Counter()
    numpy_calls: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    total = 0
    for (filename, _, name), (_, calls, _, _, callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += calls
        layer = _layer(filename)
        if layer is not None:
            python[layer] += calls
        elif _is_numpy(filename, name):
            for (caller_file, _, caller), (_, caller_calls, _, _) in callers.items():
                caller_layer = _layer(caller_file)
                if caller_layer is not None:
                    numpy_calls[caller_layer] += caller_calls
                    by_function[f"{caller_file.split('twin_env/')[-1]} {caller}"] += caller_calls
    return {
        "steps": steps,
        "calls_per_step": total / steps,
        "numpy_calls_per_step": sum(numpy_calls.values()) / steps,
        "layers": {
            k: {"python_calls": python[k] / steps, "numpy_calls": numpy_calls[k] / steps}
            for k in sorted(set(python) | set(numpy_calls), key=lambda k: -numpy_calls[k])
        },
        "top_numpy_callers": [(name, n / steps) for name, n in by_function.most_common(top)],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="functions listed by NumPy calls made")
    args = parser.parse_args(argv)
    from twin_env.envs.primary_care_env import PrimaryCareEnv

    env = PrimaryCareEnv()
    rng = np.random.default_rng(0)
    env.reset(seed=1)
    for _ in range(3):  # compile or load the kernels outside the profile
        env.step(int(random_masked(env.action_masks()[None], rng)[0]))
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    profile, steps, done = cProfile.Profile(), 0, False
    profile.enable()
    while not done:
        _, _, terminated, truncated, _ = env.step(int(random_masked(env.action_masks()[None], rng)[0]))
        steps, done = steps + 1, terminated or truncated
    profile.disable()
    result = count_calls(pstats.Stats(profile), steps, args.top)
    print(
        f"single env, {steps} steps: {result['calls_per_step']:,.0f} calls a step, "
        f"{result['numpy_calls_per_step']:,.0f} of them NumPy calls from twin_env"
    )
    rows = [[k, f"{v['python_calls']:.0f}", f"{v['numpy_calls']:.0f}"] for k, v in result["layers"].items()]
    print_table(["layer", "Python calls/step", "NumPy calls/step"], rows)
    print("functions making the most NumPy calls (per step):")
    for name, n in result["top_numpy_callers"]:
        print(f"  {n:7.1f}  {name}")
    write_results("single_env_calls", result)


if __name__ == "__main__":
    main()
