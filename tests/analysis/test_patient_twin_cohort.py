"""The cohort both patient-twin checks use reads the project's own exports with impossible values ignored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.patient_twin.bundles import observation
from twin_env.analysis import patient_twin_cohort
from twin_env.analysis.patient_twin_cohort import twinned_cohort


def test_an_export_with_an_impossible_value_is_twinned_with_that_entry_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    export = patient_twin_cohort.fhir_bundle

    def with_sbp_900(source: Any, patient: int) -> dict:
        bundle = export(source, patient)
        date = source.end.isoformat()
        slip = observation("8480-6", 900, "mm[Hg]", date=date, id=f"slip-{patient}")
        slip["subject"] = {"reference": bundle["entry"][0]["fullUrl"]}  # the export's Patient comes first
        return bundle | {"entry": [*bundle["entry"], {"resource": slip}]}

    monkeypatch.setattr(patient_twin_cohort, "fhir_bundle", with_sbp_900)
    cohort = twinned_cohort(2, 2, 1.0, 5)
    assert cohort.unreadable == [] and len(cohort.patients) == int(cohort.sim.state.alive.sum()) >= 1
    for patient, record in zip(cohort.patients, cohort.records):
        why = {i.resource: i.why for i in record.reading.ignored}
        assert "900 mm[Hg] is not a possible sbp_mmhg" in why[f"Observation/slip-{patient}"]
