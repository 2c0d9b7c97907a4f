"""What each training shield mode costs: SB3-adapter env steps/s unshielded, behind ``replace`` and behind
``mask`` (MaskablePPO's masks then come from the shield), as ratios to unshielded in the same process.

Random masked actions (the mask the agent would see: the env's, or the shield's safe mask in ``mask`` mode)
on ``twin_env/PrimaryCare-QuarterlyShaped-v1``, best of 2 repeats of ``--steps`` steps per mode.

    python -m benchmarks.training_shield_modes           # 256 rows x 20 steps (about 2 minutes)
    python -m benchmarks.training_shield_modes --quick   # 16 rows x 4 steps (CI)

Prints a table and writes ``benchmarks/results/training_shield_modes.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import print_table, write_results
from benchmarks.env_throughput import random_masked
from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.training.train import training_env_config

ENV_ID = "twin_env/PrimaryCare-QuarterlyShaped-v1"
MODES = (None, "replace", "mask")


def steps_per_second(mode: str | None, rows: int, steps: int, repeats: int = 2) -> float:
    """Best-of-``repeats`` env steps/s (rows x steps / seconds) of the SB3 adapter behind ``mode``."""
    config = training_env_config(ENV_ID).to_dict()
    wrapper = None if mode is None else (lambda env: VectorSafetyShield(env, mode=mode))
    best = 0.0
    for repeat in range(repeats):
        venv = PrimaryCareSB3VecEnv(rows, config, wrapper, env_id=ENV_ID)
        venv.seed(repeat)
        venv.reset()
        rng = np.random.default_rng(repeat)
        start = time.perf_counter()
        for _ in range(steps):
            venv.step(random_masked(venv.action_masks(), rng))
        best = max(best, rows * steps / (time.perf_counter() - start))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 rows x 4 steps")
    parser.add_argument("--rows", type=int, default=256, help="patients stepped together (default 256)")
    parser.add_argument("--steps", type=int, default=20, help="steps per repeat (default 20)")
    args = parser.parse_args(argv)
    rows, steps = (16, 4) if args.quick else (args.rows, args.steps)
    rates = {str(mode): steps_per_second(mode, rows, steps) for mode in MODES}
    base = rates["None"]
    table = [[mode, f"{rate:,.0f}", f"{rate / base:.3f}"] for mode, rate in rates.items()]
    print_table(["shield mode", "env steps/s", "ratio to unshielded"], table)
    path = write_results(
        "training_shield_modes",
        {
            "rows": rows,
            "steps": steps,
            "steps_per_second": rates,
            "ratio_to_unshielded": {m: r / base for m, r in rates.items()},
        },
    )
    print(f"{rows} rows x {steps} steps; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
