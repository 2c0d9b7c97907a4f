"""What each training shield mode costs: SB3-adapter env steps/s unshielded, behind ``replace`` and behind
``mask`` (MaskablePPO's masks then come from the shield), as ratios to unshielded in the same process.

Random masked actions (the mask the agent would see: the env's, or the shield's safe mask in ``mask`` mode)
on ``twin_env/PrimaryCare-QuarterlyShaped-v1``, best of 2 repeats of ``--steps`` steps per mode, timed in wall
time and in CPU time of the process (a loaded machine disturbs CPU time less). ``--train STEPS`` also trains
MaskablePPO for STEPS env steps per mode (``twin-env train`` without validation, seed 0) and reports its steps/s.

    python -m benchmarks.training_shield_modes                  # 256 rows x 20 steps (about 2 minutes)
    python -m benchmarks.training_shield_modes --train 20000    # and 20,000 training steps per mode
    python -m benchmarks.training_shield_modes --quick          # 16 rows x 4 steps (CI)

Prints a table and writes ``benchmarks/results/training_shield_modes.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import print_table, write_results
from benchmarks.env_throughput import random_masked
from twin_env.envs.sb3_vec_env import PrimaryCareSB3VecEnv
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.training.train import training_env_config

ENV_ID = "twin_env/PrimaryCare-QuarterlyShaped-v1"
MODES = (None, "replace", "mask")


def steps_per_second(mode: str | None, rows: int, steps: int, repeats: int = 2) -> dict[str, float]:
    """Best-of-``repeats`` env steps/s (rows x steps / seconds) of the SB3 adapter behind ``mode``: wall and CPU."""
    config = training_env_config(ENV_ID).to_dict()
    wrapper = None if mode is None else (lambda env: VectorSafetyShield(env, mode=mode))
    best = {"wall": 0.0, "cpu": 0.0}
    for repeat in range(repeats):
        venv = PrimaryCareSB3VecEnv(rows, config, wrapper, env_id=ENV_ID)
        venv.seed(repeat)
        venv.reset()
        rng = np.random.default_rng(repeat)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            venv.step(random_masked(venv.action_masks(), rng))
        best["wall"] = max(best["wall"], rows * steps / (time.perf_counter() - wall))
        best["cpu"] = max(best["cpu"], rows * steps / (time.process_time() - cpu))
    return best


def training_steps_per_second(mode: str | None, total: int) -> dict[str, float]:
    """MaskablePPO trained ``total`` env steps behind ``mode`` (seed 0, no validation): steps per wall and CPU s."""
    from twin_env.training.train import train

    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        train(
            "maskable_ppo", total, 0, Path(out), tensorboard=False, validation_patients=0, shield=mode,
            log=io.StringIO(), plots=False,
        )  # fmt: skip
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        trained = json.loads((Path(out) / "config.json").read_text())["trained_timesteps"]
    return {"wall": trained / wall, "cpu": trained / cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 rows x 4 steps")
    parser.add_argument("--rows", type=int, default=256, help="patients stepped together (default 256)")
    parser.add_argument("--steps", type=int, default=20, help="steps per repeat (default 20)")
    parser.add_argument("--train", type=int, default=0, metavar="STEPS", help="also train MaskablePPO STEPS per mode")
    args = parser.parse_args(argv)
    rows, steps = (16, 4) if args.quick else (args.rows, args.steps)
    rates = {str(mode): steps_per_second(mode, rows, steps) for mode in MODES}
    print(f"env steps/s {rates}", flush=True)
    trained = {str(mode): training_steps_per_second(mode, args.train) for mode in MODES} if args.train else {}
    table = []
    for name, runs in (("env steps", rates), ("MaskablePPO training", trained)):
        for mode, rate in runs.items():
            ratio = rate["cpu"] / runs["None"]["cpu"]
            table.append([name, mode, f"{rate['wall']:,.0f}", f"{rate['cpu']:,.0f}", f"{ratio:.3f}"])
    print_table(["run", "shield mode", "steps/s (wall)", "steps/s (CPU)", "CPU ratio to unshielded"], table)
    path = write_results(
        "training_shield_modes",
        {
            "rows": rows,
            "steps": steps,
            "steps_per_second": {m: r["wall"] for m, r in rates.items()},
            "steps_per_cpu_second": {m: r["cpu"] for m, r in rates.items()},
            "ratio_to_unshielded": {m: r["wall"] / rates["None"]["wall"] for m, r in rates.items()},
            "cpu_ratio_to_unshielded": {m: r["cpu"] / rates["None"]["cpu"] for m, r in rates.items()},
            "training": {
                "steps": args.train,
                "steps_per_second": {m: r["wall"] for m, r in trained.items()},
                "steps_per_cpu_second": {m: r["cpu"] for m, r in trained.items()},
                "cpu_ratio_to_unshielded": {m: r["cpu"] / trained["None"]["cpu"] for m, r in trained.items()},
            }
            if trained
            else None,
        },
    )
    print(f"{rows} rows x {steps} steps; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
