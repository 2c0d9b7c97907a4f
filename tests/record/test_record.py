"""The record against the ledger: links, truth without artefacts, artefact rates, the reader."""

from __future__ import annotations

import numpy as np
import pytest

from tests.record.conftest import run
from twin_env.record import Artefact, ArtefactConfig, Concept, ItemType, LedgerKind
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import SNOMED_FOR_ICD10_ARRAY, is_icd10
from twin_env.vocab.dates import NEVER


def test_every_recorded_item_links_to_a_ledger_event(with_artefacts: Simulation) -> None:
    record = with_artefacts.record
    for store in record.stores.values():
        cols = store.columns
        rows = record.ledger.find(cols["patient"], cols["seq"])  # raises if any is missing
        assert np.array_equal(record.ledger.columns["day"][rows], cols["event_day"])


def test_without_artefacts_gp_agrees_with_truth(without_artefacts: Simulation) -> None:
    record = without_artefacts.record
    led, gp = record.ledger.columns, record.stores["gp"].columns
    assert np.array_equal(gp["available_day"], gp["event_day"])
    assert not (gp["flags"] & ~np.int8(Artefact.FROM_LETTER)).any()  # FROM_LETTER is provenance
    obs = gp["item"] == ItemType.OBSERVATION
    rows = record.ledger.find(gp["patient"][obs], gp["seq"][obs])
    assert np.array_equal(led["value"][rows], gp["value"][obs], equal_nan=True)  # coded smoking status: no value
    measured = np.isin(led["kind"], [LedgerKind.TEST_RESULT, LedgerKind.OBSERVATION, LedgerKind.SMOKING_STATUS])
    assert measured.sum() == obs.sum()  # nothing missing, nothing duplicated
    assert np.isin(gp["concept"][obs], [Concept.BMI, Concept.CIGARETTE_SMOKER, Concept.NEVER_SMOKED]).any()
    dx = np.isin(led["kind"], [LedgerKind.DIAGNOSIS, LedgerKind.BASELINE_DIAGNOSIS])
    want = np.where(is_icd10(led["concept"][dx]), SNOMED_FOR_ICD10_ARRAY[led["concept"][dx]], led["concept"][dx])
    problems = gp["item"] == ItemType.PROBLEM
    have = set(zip(gp["patient"][problems].tolist(), gp["seq"][problems].tolist(), gp["concept"][problems].tolist()))
    assert set(zip(led["patient"][dx].tolist(), led["seq"][dx].tolist(), want.tolist())) == have


def test_artefact_rates_match_configuration(with_artefacts: Simulation) -> None:
    record, cfg = with_artefacts.record, ArtefactConfig.default()
    lab = record.stores["lab"].columns
    results = lab["item"] == ItemType.LAB_RESULT
    delay = (lab["available_day"] - lab["event_day"])[results]
    assert abs(np.median(delay) - round(cfg.lab_delay_median_days)) <= 0.5
    led = record.ledger.columns
    n_results = np.count_nonzero(led["kind"] == LedgerKind.TEST_RESULT)
    gp = record.stores["gp"].columns
    gp_obs = (gp["item"] == ItemType.OBSERVATION) & np.isin(
        gp["concept"],
        [
            Concept.HBA1C,
            Concept.EGFR,
            Concept.POTASSIUM,
            Concept.TOTAL_CHOLESTEROL,
            Concept.HDL_CHOLESTEROL,
            Concept.LDL_CHOLESTEROL,
            Concept.URINE_ACR,
        ],
    )
    duplicates = np.count_nonzero(gp_obs & (gp["flags"] & Artefact.DUPLICATE > 0))
    filed = np.count_nonzero(gp_obs) - duplicates
    missing = 1 - filed / n_results
    se = np.sqrt(cfg.lab_result_missing_probability / n_results)
    assert abs(missing - cfg.lab_result_missing_probability) < 4 * se + 1e-3
    assert abs(duplicates / filed - cfg.lab_duplicate_probability) < 4 * np.sqrt(cfg.lab_duplicate_probability / filed)
    bp = np.count_nonzero((led["kind"] == LedgerKind.OBSERVATION) & np.isin(led["concept"], [Concept.SBP, Concept.DBP]))
    bp_kept = np.count_nonzero(
        (gp["item"] == ItemType.OBSERVATION) & np.isin(gp["concept"], [Concept.SBP, Concept.DBP])
    )
    assert abs(1 - bp_kept / bp - cfg.bp_not_recorded_probability) < 4 * np.sqrt(cfg.bp_not_recorded_probability / bp)
    letters = record.stores["letters"].columns
    lost = (letters["flags"] & Artefact.LOST) > 0
    assert 0 <= lost.mean() < 0.2


def test_reader_never_shows_an_item_before_it_is_available(with_artefacts: Simulation) -> None:
    record = with_artefacts.record
    gp = record.stores["gp"].columns
    delayed = np.flatnonzero((gp["available_day"] > gp["event_day"]) & (gp["available_day"] != NEVER))
    patient, day = int(gp["patient"][delayed[0]]), int(gp["available_day"][delayed[0]])
    before = record.gp_view(patient, np.datetime64(day - 1, "D"))
    after = record.gp_view(patient, np.datetime64(day, "D"))
    for item in before.items:
        assert item.available <= before.as_of
    assert len(after.items) > len(before.items)
    for system in ("pas", "lab", "imaging", "letters"):
        view = record.view(system, patient, with_artefacts.date)
        assert all(i.available <= view.as_of for i in view.items)


def test_latest_values_match_a_scan_of_the_gp_record(with_artefacts: Simulation) -> None:
    record = with_artefacts.record
    value, date = record.latest_values(Concept.HBA1C)
    gp = record.stores["gp"].columns
    sel = (gp["concept"] == Concept.HBA1C) & (gp["available_day"] <= with_artefacts.days.max())
    for patient in np.unique(gp["patient"][sel])[:50]:
        mine = np.flatnonzero(sel & (gp["patient"] == patient))
        assert date[patient] == np.datetime64(int(gp["event_day"][mine].max()), "D")
    assert np.isnan(value[~np.isin(np.arange(len(value)), gp["patient"][sel])]).all()


def test_same_seed_identical_and_patient_independent_of_batch() -> None:
    a, b = run(50, 2.0), run(50, 2.0)
    for name in a.ledger.columns:
        assert np.array_equal(a.ledger.columns[name], b.ledger.columns[name], equal_nan=True)
    for system, store in a.record.stores.items():
        for name, col in store.columns.items():
            assert np.array_equal(col, b.record.stores[system].columns[name], equal_nan=True)
    i = 17
    alone = run(1, 2.0, first_id=i)
    frame_alone = alone.ledger.to_frame(alone.ledger.rows_of(i)).reset_index(drop=True)
    frame_batch = a.ledger.to_frame(a.ledger.rows_of(i)).reset_index(drop=True)
    assert frame_alone.equals(frame_batch)
    gp_alone = alone.record.stores["gp"].to_frame(alone.record.stores["gp"].rows_of(i)).reset_index(drop=True)
    gp_batch = a.record.stores["gp"].to_frame(a.record.stores["gp"].rows_of(i)).reset_index(drop=True)
    assert gp_alone.equals(gp_batch)


def test_bad_artefact_setting_names_the_field() -> None:
    with pytest.raises(ValueError, match="letter_lost_probability"):
        ArtefactConfig.default().replace(letter_lost_probability=1.5)
    with pytest.raises(ValueError, match="unknown artefact"):
        ArtefactConfig.default().replace(nope=1.0)
