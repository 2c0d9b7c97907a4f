"""Shared helpers for the benchmark scripts: one-core setup, a CartPole reference, result output."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the targets are stated

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def best_rate(
    run: Callable[[], int], repeats: int = 3, min_seconds: float = 0.5, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Best-of-``repeats`` rate of ``run`` (which returns the work units it did) in units per second of ``clock``
    (wall clock by default; ``time.process_time`` gives units per CPU second of this process, which a loaded
    machine disturbs less)."""
    best = 0.0
    for _ in range(repeats):
        units, start = 0, clock()
        while True:
            units += run()
            elapsed = clock() - start
            if elapsed >= min_seconds:
                break
        best = max(best, units / elapsed)
    return best


def cartpole_steps_per_second(steps: int = 2_000, clock: Callable[[], float] = time.perf_counter) -> float:
    """Steps per second (of ``clock``) of Gymnasium's CartPole-v1 with random actions: the in-process reference."""
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    env.action_space.seed(0)

    def run() -> int:
        for _ in range(steps):
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                env.reset()
        return steps

    return best_rate(run, clock=clock)


def write_results(name: str, payload: dict) -> Path:
    """Write ``payload`` (plus machine info) as ``benchmarks/results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"machine": {"python": platform.python_version(), "processor": platform.machine()}, **payload}
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Print a GitHub-flavoured markdown table."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
