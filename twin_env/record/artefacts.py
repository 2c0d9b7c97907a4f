"""Recording artefacts: delays, gaps, coding variation, duplicates and transcription errors.

The settings live in ``twin_env/data/record_artefacts.csv`` (value, unit, status, source); they are
on by default. :meth:`ArtefactConfig.off` gives a record that agrees with the truth (no delays, no
losses, no variant codes, no errors). Delays are lognormal in days: ``median * exp(sigma * z)``,
rounded to whole days.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from twin_env.twin import random_streams as rs
from twin_env.twin.parameters import read_scalars


class RecordChannel(enum.IntEnum):
    """Random-stream channels of the record layer (counter = the event's number within its patient's episode)."""

    LAB_DELAY = 400
    LAB_MISSING = 401
    LAB_ERROR = 402
    LAB_ERROR_DIRECTION = 403
    DUPLICATE = 404
    DUPLICATE_DELAY = 405
    BP_MISSING = 406
    BP_ERROR = 407
    BP_ERROR_DIRECTION = 408
    DIAGNOSIS_UNCODED = 409
    DIAGNOSIS_VARIANT = 410
    LETTER_LOST = 411
    LETTER_UNCODED = 412
    LETTER_DELAY = 413
    LETTER_CODING_DELAY = 414
    IMAGING_DELAY = 415
    PAS_CODING_DELAY = 416
    HOME_MISSING = 417
    HOME_DEVICE_ERROR = 418
    HOME_DEVICE_ERROR_DIRECTION = 419
    HOME_UPLOAD_DELAY = 420


class Artefact(enum.IntFlag):
    """Bit flags on a recorded item saying how it departs from the ledger event."""

    NONE = 0
    DELAYED = 1  # available later than the event date
    TRANSCRIPTION_ERROR = 2  # value differs from the ledger value (a typing slip; at home, a device error)
    DUPLICATE = 4  # a second copy of an item already recorded
    VARIANT_CODE = 8  # coded with a different concept than the canonical one
    FROM_LETTER = 16  # coded by the practice from a hospital letter
    LOST = 32  # never reaches the receiving system (letters store only)
    UNCODED = 64  # the letter's content is never coded (letters store only)


@dataclasses.dataclass(frozen=True)
class ArtefactConfig:
    """Artefact settings; see ``record_artefacts.csv`` for units and sources of each field."""

    lab_delay_median_days: float
    lab_delay_sigma_log: float
    lab_result_missing_probability: float
    lab_transcription_error_probability: float
    lab_duplicate_probability: float
    duplicate_delay_median_days: float
    duplicate_delay_sigma_log: float
    bp_not_recorded_probability: float
    bp_transcription_error_probability: float
    gp_diagnosis_uncoded_probability: float
    hypertension_variant_code_probability: float
    letter_lost_probability: float
    letter_uncoded_probability: float
    discharge_letter_delay_median_days: float
    discharge_letter_delay_sigma_log: float
    clinic_letter_delay_median_days: float
    clinic_letter_delay_sigma_log: float
    letter_coding_delay_median_days: float
    letter_coding_delay_sigma_log: float
    imaging_report_delay_median_days: float
    imaging_report_delay_sigma_log: float
    pas_coding_delay_median_days: float
    pas_coding_delay_sigma_log: float
    home_day_missing_probability: float
    home_device_error_probability: float
    home_device_error_mmhg: float
    home_upload_delay_median_days: float
    home_upload_delay_sigma_log: float

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"ArtefactConfig.{field.name} must be a finite number, got {value!r}")
            if value < 0:
                raise ValueError(f"ArtefactConfig.{field.name} must be >= 0, got {value!r}")
            if field.name.endswith("_probability") and value > 1:
                raise ValueError(f"ArtefactConfig.{field.name} is a probability and must be in [0, 1], got {value!r}")

    @classmethod
    def default(cls) -> ArtefactConfig:
        """The documented settings from ``record_artefacts.csv`` (artefacts on)."""
        rows = read_scalars("record_artefacts.csv")
        return cls(**{f.name: rows[f.name] for f in dataclasses.fields(cls)})

    @classmethod
    def off(cls) -> ArtefactConfig:
        """No artefacts: every item recorded on its event date, exactly and completely."""
        return cls(**{f.name: 0.0 for f in dataclasses.fields(cls)})

    def replace(self, **overrides: float) -> ArtefactConfig:
        """A copy with some settings changed; unknown names raise ``ValueError``."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown artefact setting(s) {unknown}; allowed: {sorted(known)}")
        return dataclasses.replace(self, **overrides)


def resolve_artefacts(artefacts: bool | ArtefactConfig) -> ArtefactConfig:
    """``True`` -> defaults, ``False`` -> :meth:`ArtefactConfig.off`, a config -> itself."""
    if isinstance(artefacts, ArtefactConfig):
        return artefacts
    if isinstance(artefacts, bool):
        return ArtefactConfig.default() if artefacts else ArtefactConfig.off()
    raise ValueError(f"artefacts must be True, False or an ArtefactConfig, got {artefacts!r}")


def chance(keys: np.ndarray, counter: np.ndarray, channel: RecordChannel, probability: float) -> np.ndarray:
    """Bernoulli draws (k,) for events (patient key, event counter); all False when ``probability`` is 0."""
    if probability <= 0.0 or len(keys) == 0:  # no draw needed (most systems see no event of a kind in a batch)
        return np.zeros(len(keys), dtype=bool)
    return rs.uniform(keys, counter, channel) < probability


def delay_days(keys: np.ndarray, counter: np.ndarray, channel: int, median: float, sigma: float) -> np.ndarray:
    """Lognormal delays (k,) int32 in whole days with the given median (days) and log-sd."""
    if median <= 0.0 or len(keys) == 0:
        return np.zeros(len(keys), dtype=np.int32)
    z = rs.standard_normal(keys, counter, channel) if sigma > 0 else 0.0
    return np.rint(median * np.exp(sigma * z)).astype(np.int32)
