"""The latent patient twin: population sampling and batched natural history.

Knows nothing of records, care or environments; depends only on ``twin_env.data`` and the
published risk equations in ``twin_env.equations``.
"""

from twin_env.twin.baseline_conditions import RECORDED_CONDITIONS, BaselineDiagnoses
from twin_env.twin.cohort import sample_cohort, sample_population
from twin_env.twin.events import EventKind, StepEvents
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import BP_DRUG_CLASSES, CONDITIONS, TREATMENT_FIELDS, PatientState

__all__ = [
    "BP_DRUG_CLASSES",
    "CONDITIONS",
    "RECORDED_CONDITIONS",
    "TREATMENT_FIELDS",
    "BaselineDiagnoses",
    "EventKind",
    "PatientState",
    "StepEvents",
    "TwinParameters",
    "TwinSimulator",
    "sample_cohort",
    "sample_population",
]
