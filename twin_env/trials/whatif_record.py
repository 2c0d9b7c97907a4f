"""What if, from a patient's FHIR record: read it, infer the posterior ensemble, forecast each strategy.

``whatif_from_record(bundle, arms, years=, samples=, seed=, impossible_values="error")`` returns exactly what
``twin-env whatif`` writes to ``whatif.json``: ``reading`` (:meth:`ReadingReport.to_dict`), ``posterior``
(:meth:`PatientTwin.summary`) and ``strategies`` (:func:`twin_env.trials.whatif_summary.summarise`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from twin_env.patient_twin.diagnosed import recorded_diagnoses
from twin_env.patient_twin.posterior import twin_from_record
from twin_env.patient_twin.reading import read_record
from twin_env.trials.schema import Arm
from twin_env.trials.whatif import forecast
from twin_env.trials.whatif_summary import summarise

#: The keys of whatif.json, in order.
WHATIF_KEYS: tuple[str, ...] = ("reading", "posterior", "strategies")


def whatif_from_record(
    bundle: dict | str | os.PathLike,
    arms: Sequence[Arm],
    *,
    years: int = 5,
    samples: int = 200,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    impossible_values: str = "error",
) -> dict[str, Any]:
    """``{"reading", "posterior", "strategies"}`` of the patient in ``bundle`` (a FHIR R4 Bundle: dict or file).

    ``samples`` posterior samples (``twin_from_record``, seeded by ``seed``) followed ``years`` years under
    each arm's strategy on common random numbers. ``impossible_values`` is :func:`read_record`'s: ``"error"``
    refuses a record with a value outside its plausible range, ``"ignore"`` lists that entry as ignored.
    Bad input raises a one-line ``ValueError``.
    """
    record = read_record(bundle, impossible_values=impossible_values)
    twin = twin_from_record(record, n_samples=samples, seed=seed)
    result = forecast(
        twin.state,
        recorded_diagnoses(record, twin.state),
        arms,
        start_date=record.as_of,
        years=years,
        seed=seed,
        progress=progress,
    )
    return {"reading": record.reading.to_dict(), "posterior": twin.summary(), "strategies": summarise(result)}
