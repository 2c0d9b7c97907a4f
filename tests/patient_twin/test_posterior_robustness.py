"""twin_from_record against what collapsed it: an acute admission's eGFR, ACR readings, and too few effective
samples (the guard that draws more candidates)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from twin_env.patient_twin import posterior
from twin_env.patient_twin.posterior import twin_from_record
from twin_env.patient_twin.record import Measurement, PatientRecord

AS_OF = dt.date(2025, 6, 1)
BIRTH = dt.date(1962, 3, 15)


def _record(*readings: tuple[str, int, float]) -> PatientRecord:
    """A record of laboratory readings ``(variable, days before as_of, value)``."""
    measurements = tuple(
        Measurement(v, AS_OF - dt.timedelta(days=days), value, "laboratory") for v, days, value in readings
    )
    return PatientRecord(birth_date=BIRTH, female=True, as_of=AS_OF, measurements=measurements)


EGFR = "egfr_ml_min_1_73m2"
STEADY = ((EGFR, 700, 76.0), (EGFR, 400, 75.0), (EGFR, 30, 74.0))


def test_an_acute_kidney_injury_egfr_does_not_drag_the_posterior() -> None:
    """An admission eGFR of 30 among readings of 74-76 is an AKI's, not the usual level (the care layer's model)."""
    steady = twin_from_record(_record(*STEADY), n_samples=60, seed=3)
    with_aki = twin_from_record(_record(*STEADY, (EGFR, 200, 30.0)), n_samples=60, seed=3)
    s, a = steady.summary()[EGFR], with_aki.summary()[EGFR]
    assert 70.0 < s["mean"] < 80.0
    assert abs(a["mean"] - s["mean"]) < 2.0, (s, a)
    assert with_aki.effective_sample_size > 50.0


def test_acr_readings_inform_the_latent_acr() -> None:
    prior = twin_from_record(_record(*STEADY), n_samples=60, seed=4)
    high = twin_from_record(_record(*STEADY, ("acr_mg_mmol", 300, 40.0), ("acr_mg_mmol", 20, 45.0)), 60, seed=4)
    assert np.median(prior.state.acr_mg_mmol) < 5.0
    assert 30.0 < np.median(high.state.acr_mg_mmol) < 60.0


def test_the_collapse_guard_draws_batches_until_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    record = _record(*STEADY)
    first = twin_from_record(record, n_samples=20, seed=5)
    assert first.n_candidates == posterior.MIN_CANDIDATES  # ESS above the floor: one batch
    monkeypatch.setattr(posterior, "EFFECTIVE_SAMPLE_SIZE_FLOOR", 1e9)
    pooled = twin_from_record(record, n_samples=20, seed=5)
    assert pooled.n_candidates == posterior.MAX_BATCHES * posterior.MIN_CANDIDATES
    assert pooled.log_weights.shape == (pooled.n_candidates,)
    assert pooled.effective_sample_size > first.effective_sample_size
    np.testing.assert_array_equal(pooled.log_weights[: first.n_candidates], first.log_weights)
