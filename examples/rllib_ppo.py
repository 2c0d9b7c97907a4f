"""Train PPO with action masking on ``twin_env/PrimaryCare-v0`` with Ray RLlib (needs ``pip install twin-env[rllib]``).

    python examples/rllib_ppo.py --iterations 5 --num-env-runners 2
    python examples/rllib_ppo.py --address auto --num-env-runners 64   # on a running Ray cluster

Each iteration prints the iteration, env steps sampled so far and the mean episode return (reward units:
net monetary benefit / 1,000 GBP per month). ``--shield replace`` trains under the safety shield.
"""

from __future__ import annotations

import argparse
import json

from twin_env.training.rllib import masked_ppo_config


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=5, help="PPO training iterations (default 5)")
    p.add_argument("--num-env-runners", type=int, default=2, help="env runner processes (0: sample in the driver)")
    p.add_argument("--train-batch-size", type=int, default=4000, help="env steps per iteration")
    p.add_argument("--minibatch-size", type=int, default=128)
    p.add_argument("--num-epochs", type=int, default=10)
    p.add_argument("--horizon-years", type=float, default=10.0, help="EnvConfig.horizon_years")
    p.add_argument("--shield", default=None, help="a safety shield mode (e.g. replace, mask); default none")
    p.add_argument("--address", default=None, help="Ray cluster address (default: start Ray on this machine)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    """Train and print one JSON line per iteration; returns those rows."""
    import ray  # noqa: PLC0415

    args = parse_args(argv)
    ray.init(address=args.address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    config = masked_ppo_config(
        env_config={"config": {"horizon_years": args.horizon_years}, "shield": args.shield},
        num_env_runners=args.num_env_runners,
        train_batch_size=args.train_batch_size,
        minibatch_size=args.minibatch_size,
        num_epochs=args.num_epochs,
        seed=args.seed,
    )
    algo = config.build_algo()
    rows = []
    try:
        for _ in range(args.iterations):
            result = algo.train()
            runners = result["env_runners"]
            row = {
                "iteration": int(result["training_iteration"]),
                "env_steps": int(result["num_env_steps_sampled_lifetime"]),
                "episode_return_mean": float(runners.get("episode_return_mean", float("nan"))),
                "episodes": int(runners.get("num_episodes", 0)),
            }
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        algo.stop()
    return rows


if __name__ == "__main__":
    main()
