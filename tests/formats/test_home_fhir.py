"""Home BP readings in the FHIR Bundle: a Device and an Observation per uploaded reading, valid FHIR R4."""

from __future__ import annotations

import numpy as np

from twin_env.formats.fhir_bundle import fhir_bundle
from twin_env.formats.fhir_resources import validate_bundle
from twin_env.formats.source import RecordSource
from twin_env.record.store import ItemType
from twin_env.simulation import simulate
from twin_env.vocab.concepts import Concept


def test_home_readings_render_as_observations_with_the_patients_device() -> None:
    sim = simulate(300, 4, 1.0, min_age_years=40, max_age_years=85)
    home = sim.record.stores["home"].columns
    readings = home["item"] == ItemType.HOME_READING
    assert readings.any()
    patient = int(home["patient"][readings][0])
    bundle = fhir_bundle(RecordSource.from_simulation(sim), patient)
    validate_bundle(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    (device,) = [r for r in resources if r["resourceType"] == "Device"]
    device_ref = {"reference": f"urn:uuid:{device['id']}"}
    from_home = [r for r in resources if r["resourceType"] == "Observation" and r.get("device") == device_ref]
    shown = readings & (home["patient"] == patient) & (home["available_day"] <= sim.day)
    assert len(from_home) == int(shown.sum())
    codes = {r["code"]["coding"][0]["code"] for r in from_home}
    assert codes == {"413606001", "413605002"}  # average home systolic / diastolic BP (SNOMED CT)
    values = sorted(r["valueQuantity"]["value"] for r in from_home)
    np.testing.assert_allclose(values, np.sort(home["value"][shown]))
    sbp = home["concept"][shown] == Concept.HOME_SBP
    assert 80 < home["value"][shown][sbp].mean() < 220
    assert all(r["performer"] == [device["patient"]] for r in from_home)  # the patient took them
