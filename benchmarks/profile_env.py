"""Where an env step's time goes, per layer of twin_env: self time of each function (cProfile) summed by package.

Profiles the single env, the native vector env (N = 1,024; ``--quick``: 64) over whole episodes with
random masked actions, and reports each layer's share, per step, for the first and the last tenth of
the episode, plus the top functions by cumulative time. C functions (NumPy) are charged to the layer
that called them. Writes ``results/profile_env.json``.

Run: ``python -m benchmarks.profile_env [--quick]`` from the repository root.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

import numpy as np

from benchmarks.common import print_table, write_results
from benchmarks.env_throughput import random_masked

_PACKAGE = Path(__file__).resolve().parent.parent / "twin_env"


def _layer(filename: str) -> str:
    """The twin_env package (layer) a source file belongs to, or 'other' (NumPy, Gymnasium, Python)."""
    path = Path(filename)
    try:
        parts = path.resolve().relative_to(_PACKAGE).parts
    except ValueError:
        return "other"
    return parts[0].removesuffix(".py") if len(parts) > 1 else "__init__"


def layer_seconds(profile: cProfile.Profile) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """(layer -> self seconds with callees outside twin_env charged to their twin_env caller, top cumulative)."""
    stats = pstats.Stats(profile)
    out: dict[str, float] = {}
    top = []
    for (filename, line, name), (_, _, tottime, cumtime, callers) in stats.stats.items():  # type: ignore[attr-defined]
        layer = _layer(filename)
        if layer == "other" and callers:  # charge a library call to the layers that called it, by time
            total = sum(c[2] for c in callers.values()) or 1.0
            for (cfile, _, _), c in callers.items():
                caller = _layer(cfile)
                out[caller] = out.get(caller, 0.0) + tottime * c[2] / total
        else:
            out[layer] = out.get(layer, 0.0) + tottime
        if layer != "other":
            top.append((cumtime, f"{Path(filename).relative_to(_PACKAGE.parent)}:{line} {name}"))
    return out, sorted(top, reverse=True)[:15]


def profile_window(step, lo: int, hi: int) -> dict:  # noqa: ANN001
    """Run ``step()`` ``hi`` times, profiling steps ``lo`` to ``hi - 1``: per-layer ms per step and top functions."""
    profile = cProfile.Profile()
    for _ in range(lo):
        step()
    profile.enable()
    start = time.perf_counter()
    for _ in range(hi - lo):
        step()
    wall = time.perf_counter() - start
    profile.disable()
    seconds, top = layer_seconds(profile)
    k = hi - lo
    return {
        "ms_per_step": 1e3 * wall / k,
        "layers_ms_per_step": {name: 1e3 * v / k for name, v in sorted(seconds.items(), key=lambda kv: -kv[1])},
        "top_cumulative": [(round(1e3 * t / k, 2), name) for t, name in top],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-size run")
    args = parser.parse_args(argv)
    from twin_env.envs.primary_care_env import PrimaryCareEnv
    from twin_env.envs.vector_env import PrimaryCareVectorEnv

    config = {"horizon_years": 2.0} if args.quick else {}
    results: dict = {}
    for name, n in (("single", 1), ("vector", 64 if args.quick else 1024)):
        env = PrimaryCareEnv(config) if n == 1 else PrimaryCareVectorEnv(n, config)
        rng = np.random.default_rng(0)
        steps = env.config.max_steps
        tenth = max(1, steps // 10)

        def step(env=env, rng=rng, n=n) -> None:  # noqa: ANN001
            if n == 1:
                _, _, term, trunc, _ = env.step(int(random_masked(env.action_masks()[None], rng)[0]))
                if term or trunc:
                    env.reset()
            else:
                env.step(random_masked(env.action_masks(), rng))

        results[name] = {"num_envs": n, "runs": {}}
        for label, lo, hi in (("first_tenth", 0, tenth), ("last_tenth", steps - tenth, steps)):
            env.reset(seed=0)  # one pass per window: the same episode each time
            results[name]["runs"][label] = profile_window(step, lo, hi)
    for name, r in results.items():
        print(f"\n{name} (N = {r['num_envs']})")
        runs = r["runs"]
        layers = sorted(
            set(runs["first_tenth"]["layers_ms_per_step"]) | set(runs["last_tenth"]["layers_ms_per_step"]),
            key=lambda k: -runs["last_tenth"]["layers_ms_per_step"].get(k, 0.0),
        )
        rows = [
            [k, *(f"{runs[t]['layers_ms_per_step'].get(k, 0.0):.2f}" for t in ("first_tenth", "last_tenth"))]
            for k in layers
        ]
        rows.append(["(wall, profiled)", *(f"{runs[t]['ms_per_step']:.2f}" for t in ("first_tenth", "last_tenth"))])
        print_table(["layer", "ms/step first tenth", "ms/step last tenth"], rows)
        print("top cumulative, last tenth (ms/step):")
        for ms, fn in runs["last_tenth"]["top_cumulative"]:
            print(f"  {ms:9.2f}  {fn}")
    write_results("profile_env_quick" if args.quick else "profile_env", results)


if __name__ == "__main__":
    main()
