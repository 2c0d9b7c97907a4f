"""twin_env: a digital twin of an NHS primary care patient record as a Gymnasium environment."""

from __future__ import annotations

from twin_env.envs.registration import register_envs
from twin_env.twin import TwinSimulator, sample_cohort, sample_population

__version__ = "0.1.0"

register_envs()

__all__ = ["TwinSimulator", "__version__", "sample_cohort", "sample_population"]
