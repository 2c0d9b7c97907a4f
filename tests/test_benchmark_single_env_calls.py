"""benchmarks/single_env_calls.py: calls charged to the layer that made them, per step."""

from __future__ import annotations

import cProfile
import pstats

import numpy as np

from benchmarks.single_env_calls import _is_numpy, _layer, count_calls


def test_a_file_belongs_to_its_twin_env_package_and_numpy_is_told_apart() -> None:
    assert _layer("/repo/twin_env/envs/core.py") == "envs"
    assert _layer("/repo/twin_env/__init__.py") == "__init__"
    assert _layer("/venv/lib/numpy/_core/numeric.py") is None
    assert _is_numpy("/venv/lib/numpy/_core/numeric.py", "flatnonzero")
    assert _is_numpy("~", "<method 'astype' of 'numpy.ndarray' objects>")
    assert not _is_numpy("~", "<built-in method builtins.len>")


def test_the_env_steps_numpy_calls_are_charged_to_the_layers_and_add_up() -> None:
    from twin_env.envs.primary_care_env import PrimaryCareEnv

    env = PrimaryCareEnv({"horizon_years": 1.0})
    env.reset(seed=0)
    env.step(0)  # kernels compiled or loaded outside the profile
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        env.step(0)
    profile.disable()
    result = count_calls(pstats.Stats(profile), 3, top=5)
    layers = result["layers"]
    assert {"envs", "simulation", "twin", "care", "record"} <= set(layers)
    assert all(v["python_calls"] > 0 for k, v in layers.items() if k in ("envs", "twin", "care", "record"))
    assert np.isclose(sum(v["numpy_calls"] for v in layers.values()), result["numpy_calls_per_step"])
    assert result["calls_per_step"] > result["numpy_calls_per_step"] > layers["envs"]["numpy_calls"] > 0
    assert len(result["top_numpy_callers"]) == 5
