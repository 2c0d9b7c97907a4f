"""A patient's record as the twin reads it: what a FHIR R4 Bundle said, in the twin's variables and units.

:func:`twin_env.patient_twin.reading.read_record` builds a :class:`PatientRecord` from a Bundle;
:func:`twin_env.patient_twin.posterior.twin_from_record` infers latent twin states from it. Every value
here is already in the twin's units (the names say which); every date is a calendar date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from twin_env.twin.state import CONDITIONS, RISK_FLAGS, TREATMENT_FIELDS

#: Measured variables a record can hold, with their units in the name (the twin's PatientState names).
MEASUREMENT_VARIABLES: tuple[str, ...] = (
    "sbp_mmhg",
    "dbp_mmhg",
    "hba1c_mmol_mol",
    "egfr_ml_min_1_73m2",
    "acr_mg_mmol",
    "total_chol_mmol_l",
    "hdl_mmol_l",
    "ldl_mmol_l",
    "potassium_mmol_l",
    "bmi_kg_m2",
)

#: Where a measurement was taken: blood pressure differs between clinic and out-of-office readings.
MEASUREMENT_SETTINGS: tuple[str, ...] = ("clinic", "home", "ambulatory", "laboratory", "unknown")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One value of :data:`MEASUREMENT_VARIABLES` on ``date``; ``source`` is ``"<resourceType>/<id>"``."""

    variable: str
    date: dt.date
    value: float
    setting: str = "unknown"
    source: str = ""


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """A coded problem: a twin condition (:data:`~twin_env.twin.state.CONDITIONS`) or risk flag
    (:data:`~twin_env.twin.state.RISK_FLAGS`); ``onset`` None when the record does not say."""

    condition: str
    onset: dt.date | None
    source: str = ""


@dataclasses.dataclass(frozen=True)
class Prescription:
    """A current medicine as the twin's treatment field (:data:`~twin_env.twin.state.TREATMENT_FIELDS`) and
    its value in that field's unit (dose multiples, LDL fraction, mg/day, 1 for an SGLT2 inhibitor)."""

    treatment_field: str
    value: float
    start: dt.date | None
    last_issued: dt.date | None
    source: str = ""


@dataclasses.dataclass(frozen=True)
class SmokingStatus:
    """A recorded smoking status: 0 never, 1 ex, 2 light, 3 moderate, 4 heavy (the twin's ``smoking`` codes)."""

    date: dt.date
    category: int
    source: str = ""


@dataclasses.dataclass(frozen=True)
class IgnoredEntry:
    """An entry of the Bundle the twin did not use: ``resource`` ``"<resourceType>/<id>"``, its code
    (``"<system>|<code>"`` or ``""``) and why it was ignored."""

    resource: str
    code: str
    why: str


@dataclasses.dataclass(frozen=True)
class ReadingReport:
    """What was used (``"<resourceType>/<id>"`` each) and what was ignored, with reasons: nothing dropped silently."""

    used: tuple[str, ...]
    ignored: tuple[IgnoredEntry, ...]

    def to_dict(self) -> dict[str, list]:
        """``{"used": [...], "ignored": [{"resource", "code", "why"}, ...]}`` (the ``reading`` key of whatif.json)."""
        return {"used": list(self.used), "ignored": [dataclasses.asdict(e) for e in self.ignored]}


@dataclasses.dataclass(frozen=True)
class PatientRecord:
    """One patient's record: demographics, measurements, coded problems, current medicines, smoking.

    ``as_of`` is the date the twin starts from (the latest dated entry unless the reader is told otherwise);
    ``ethnicity`` is the QRISK3 code 1-9 and ``imd_quintile`` 1 (most deprived) to 5, each None when unknown;
    ``deceased`` the date of death the Patient records, or None.
    """

    birth_date: dt.date
    female: bool
    as_of: dt.date
    ethnicity: int | None = None
    imd_quintile: int | None = None
    measurements: tuple[Measurement, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    prescriptions: tuple[Prescription, ...] = ()
    smoking: tuple[SmokingStatus, ...] = ()
    reading: ReadingReport = ReadingReport((), ())
    deceased: dt.date | None = None

    def __post_init__(self) -> None:
        for m in self.measurements:
            if m.variable not in MEASUREMENT_VARIABLES:
                raise ValueError(f"measurement variable {m.variable!r}; allowed: {list(MEASUREMENT_VARIABLES)}")
            if m.setting not in MEASUREMENT_SETTINGS:
                raise ValueError(f"measurement setting {m.setting!r}; allowed: {list(MEASUREMENT_SETTINGS)}")
        for d in self.diagnoses:
            if d.condition not in CONDITIONS + RISK_FLAGS:
                raise ValueError(f"diagnosis condition {d.condition!r}; allowed: {list(CONDITIONS + RISK_FLAGS)}")
        for p in self.prescriptions:
            if p.treatment_field not in TREATMENT_FIELDS:
                allowed = list(TREATMENT_FIELDS)
                raise ValueError(f"prescription treatment_field {p.treatment_field!r}; allowed: {allowed}")

    @property
    def age_years(self) -> float:
        """Age at ``as_of`` in years (days / 365.25)."""
        return (self.as_of - self.birth_date).days / 365.25

    def values(self, variable: str) -> list[tuple[dt.date, float]]:
        """``(date, value)`` of ``variable``'s measurements, oldest first."""
        return sorted((m.date, m.value) for m in self.measurements if m.variable == variable)

    def has(self, condition: str) -> bool:
        """Whether ``condition`` is coded."""
        return any(d.condition == condition for d in self.diagnoses)
