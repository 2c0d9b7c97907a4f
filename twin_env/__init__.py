"""twin_env: a digital twin of an NHS primary care patient record as a Gymnasium environment."""

from __future__ import annotations

from twin_env.envs.registration import register_envs
from twin_env.twin import TwinSimulator, sample_cohort, sample_population

__version__ = "0.1.0"

register_envs()

__all__ = [
    "PatientTwin",
    "RecordReadError",
    "TwinSimulator",
    "__version__",
    "read_record",
    "sample_cohort",
    "sample_population",
    "twin_from_record",
]

#: Names imported on first use (``twin_env.read_record``), so ``import twin_env`` stays as fast as it was.
_LAZY = {
    "read_record": "twin_env.patient_twin.reading",
    "RecordReadError": "twin_env.patient_twin.bundle_errors",
    "twin_from_record": "twin_env.patient_twin.posterior",
    "PatientTwin": "twin_env.patient_twin.posterior",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twin_env' has no attribute {name!r}")
