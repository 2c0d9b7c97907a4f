"""The dataclasses of a trial protocol (schema version 1) and the limits its validator applies.

Units: ages and follow-up in years, SBP in mmHg, eGFR in mL/min/1.73m2, HbA1c in mmol/mol, LDL
cholesterol in mmol/L, BMI in kg/m2, QRISK3 in percent (10-year risk), visit intervals in months.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar, Union

import numpy as np

from twin_env.twin import RECORDED_CONDITIONS

SCHEMA_VERSION = 1
ALLOCATIONS = ("randomised", "paired")
#: Condition names usable in ``require_all`` / ``exclude_any``: the twin's conditions diagnosed at baseline.
CONDITION_NAMES: tuple[str, ...] = RECORDED_CONDITIONS
#: Ages the population sampler and eligibility accept (years).
AGE_LIMITS = (18.0, 100.0)
MAX_PATIENTS = 1_000_000
MAX_SEED = 2**63 - 1
MAX_FOLLOW_UP_YEARS = 50.0
#: Eligibility range keys -> the validator's plausibility limits (schema limits, not clinical figures).
RANGE_LIMITS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {
        "age": AGE_LIMITS,
        "sbp_mmhg": (50.0, 300.0),
        "egfr": (0.0, 200.0),
        "hba1c_mmol_mol": (0.0, 200.0),
        "ldl_mmol_l": (0.0, 20.0),
        "bmi": (10.0, 100.0),
        "qrisk3_percent": (0.0, 100.0),
    }
)
FLAG_KEYS = ("on_antihypertensive", "on_statin", "on_metformin")
TARGET_SBP_LIMITS = (90.0, 200.0)
VISIT_MONTHS_LIMITS = (1, 24)
#: Physiology offsets -> the validator's limits (schema limits, not clinical figures).
OFFSET_LIMITS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {"sbp_offset_mmhg": (-60.0, 60.0), "ldl_offset_mmol_l": (-5.0, 5.0), "hba1c_offset_mmol_mol": (-50.0, 50.0)}
)


@dataclasses.dataclass(frozen=True)
class Range:
    """An inclusive range ``[low, high]``; ``None`` is open on that side."""

    low: float | None = None
    high: float | None = None

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Whether each value lies in the range (NaN never does unless the range is fully open)."""
        values = np.asarray(values, dtype=np.float64)
        inside = np.ones(values.shape, dtype=bool)
        if self.low is not None:
            inside &= values >= self.low
        if self.high is not None:
            inside &= values <= self.high
        return inside

    def to_json(self) -> list[float | None]:
        return [self.low, self.high]


@dataclasses.dataclass(frozen=True)
class Criteria:
    """A group of criteria that must all hold; ``None`` or empty means no constraint."""

    age: Range | None = None
    sbp_mmhg: Range | None = None
    egfr: Range | None = None
    hba1c_mmol_mol: Range | None = None
    ldl_mmol_l: Range | None = None
    bmi: Range | None = None
    qrisk3_percent: Range | None = None
    require_all: tuple[str, ...] = ()
    exclude_any: tuple[str, ...] = ()
    on_antihypertensive: bool | None = None
    on_statin: bool | None = None
    on_metformin: bool | None = None

    def ranges(self) -> dict[str, Range]:
        """The range criteria given, by key."""
        return {key: getattr(self, key) for key in RANGE_LIMITS if getattr(self, key) is not None}

    def flags(self) -> dict[str, bool]:
        """The treatment criteria given (``on_statin`` etc.), by key."""
        return {key: getattr(self, key) for key in FLAG_KEYS if getattr(self, key) is not None}


@dataclasses.dataclass(frozen=True)
class Eligibility(Criteria):
    """Criteria that must all hold, plus ``any_of``: groups of which at least one must hold (if any are given)."""

    any_of: tuple[Criteria, ...] = ()


@dataclasses.dataclass(frozen=True)
class Population:
    """``n`` people sampled with ``seed``, aged ``min_age``-``max_age`` years on ``start_date``."""

    n: int
    seed: int
    min_age: float
    max_age: float
    start_date: datetime.date


@dataclasses.dataclass(frozen=True)
class NoneStrategy:
    """Background care only (which every arm also gets)."""

    kind: ClassVar[str] = "none"


@dataclasses.dataclass(frozen=True)
class DrugStart:
    """A drug of the catalogue started at baseline, at a dose in the catalogue's unit."""

    drug: str
    dose: float


@dataclasses.dataclass(frozen=True)
class DrugsStrategy:
    """Start these drugs at baseline and keep them (with the twin's adherence and stopping)."""

    start: tuple[DrugStart, ...]
    kind: ClassVar[str] = "drugs"


@dataclasses.dataclass(frozen=True)
class BpTargetStrategy:
    """Titrate antihypertensives every ``visit_months`` months towards a visit SBP below ``target_sbp_mmhg``."""

    target_sbp_mmhg: float
    visit_months: int
    kind: ClassVar[str] = "bp_target"


@dataclasses.dataclass(frozen=True)
class PhysiologyStrategy:
    """Shift the latent levels: SBP (mmHg), LDL cholesterol (mmol/L), HbA1c (mmol/mol)."""

    sbp_offset_mmhg: float = 0.0
    ldl_offset_mmol_l: float = 0.0
    hba1c_offset_mmol_mol: float = 0.0
    kind: ClassVar[str] = "physiology"


@dataclasses.dataclass(frozen=True)
class PolicyStrategy:
    """A named policy or saved agent, run at its decision interval (the runner resolves the name)."""

    policy: str
    kind: ClassVar[str] = "policy"


Strategy = Union[NoneStrategy, DrugsStrategy, BpTargetStrategy, PhysiologyStrategy, PolicyStrategy]  # noqa: UP007


@dataclasses.dataclass(frozen=True)
class Arm:
    """A named arm and its strategy."""

    name: str
    strategy: Strategy


@dataclasses.dataclass(frozen=True)
class Protocol:
    """A validated trial protocol. ``outcomes`` maps each outcome name to the vocabulary names that make it."""

    version: int
    name: str
    population: Population
    eligibility: Eligibility
    allocation: str
    arms: tuple[Arm, ...]
    reference_arm: str
    follow_up_years: float
    outcomes: Mapping[str, tuple[str, ...]]

    @property
    def arm_names(self) -> tuple[str, ...]:
        return tuple(arm.name for arm in self.arms)

    @property
    def comparison_arms(self) -> tuple[str, ...]:
        """Every arm but the reference, in protocol order."""
        return tuple(name for name in self.arm_names if name != self.reference_arm)

    def arm(self, name: str) -> Arm:
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(f"no arm {name!r}; arms: {', '.join(self.arm_names)}")
