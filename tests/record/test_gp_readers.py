"""The GP record's readers (record/gp): one visibility rule, and the three views agree on what the record shows."""

from __future__ import annotations

import numpy as np
import pytest

from tests.record.conftest import run
from twin_env.record import NO_DAY, Concept, GpItems, GpRecordTable, ItemType, RecordSnapshot, Registration
from twin_env.record.gp.coding import DRUG_OF_CONCEPT, MEDICATIONS
from twin_env.record.gp.visibility import visible
from twin_env.simulation import Simulation
from twin_env.vocab.dates import NEVER

WINDOW = 56.0


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return run(200, 3.0, seed=5)


def test_visibility_rule() -> None:
    available_day = np.array([10, 11, 12, NEVER], dtype=np.int32)
    seq = np.array([3, 1, 5, 6], dtype=np.int32)
    assert visible(available_day, seq, 11).tolist() == [True, True, False, False]
    assert visible(available_day, seq, 12, first_seq=3).tolist() == [True, False, True, False]
    assert visible(available_day, seq, np.array([9, 11, 12, 12]), np.array([0, 2, 0, 0])).tolist() == [
        False, False, True, False,
    ]  # fmt: skip


def test_no_gp_item_is_available_before_it_is_effective(sim: Simulation) -> None:
    """The rule's premise: an item visible on a day is also effective by then."""
    gp = sim.record.stores["gp"].columns
    assert (gp["event_day"] <= gp["available_day"]).all()


def test_table_snapshot_and_items_agree_on_latest_observations(sim: Simulation) -> None:
    record, day = sim.record, int(sim.days[0])
    table = GpRecordTable(record.n_patients, record.first_id)
    table.update(record.stores["gp"], sim.days)
    patients = record.first_id + np.arange(record.n_patients)
    items = GpItems.of(record, patients, day)
    for concept in (Concept.SBP, Concept.HBA1C, Concept.EGFR, Concept.BMI):
        found, value, effective, _ = items.last(items.select(ItemType.OBSERVATION, (int(concept),)))
        np.testing.assert_array_equal(table.latest(concept), value)
        np.testing.assert_array_equal(record.latest_values(concept)[0], value)
        for p in range(0, record.n_patients, 10):
            latest = RecordSnapshot.from_store(record.stores["gp"], int(patients[p]), day, 60.0, WINDOW).latest(concept)
            assert (latest is None) == (not found[p])
            if latest is not None:
                assert latest.day == effective[p]
                np.testing.assert_equal(latest.value, value[p])


def test_table_snapshot_and_items_agree_on_current_medication(sim: Simulation) -> None:
    record, day = sim.record, int(sim.days[0])
    table = GpRecordTable(record.n_patients, record.first_id)
    table.update(record.stores["gp"], sim.days)
    dose = table.current_dose(day, WINDOW)
    patients = record.first_id + np.arange(record.n_patients)
    items = GpItems.of(record, patients, day)
    for j, drug in enumerate(MEDICATIONS):
        concepts = tuple(int(c) for c, d in DRUG_OF_CONCEPT.items() if d == drug)
        current, _, _ = items.current_medication(concepts, int(WINDOW))
        np.testing.assert_array_equal(dose[:, j] > 0, current, err_msg=drug)
    for p in range(0, record.n_patients, 10):
        snap = RecordSnapshot.from_store(record.stores["gp"], int(patients[p]), day, 60.0, WINDOW)
        assert set(snap.current_drugs) == {d for j, d in enumerate(MEDICATIONS) if dose[p, j] > 0}


def test_first_seq_hides_an_earlier_patient_of_the_row(sim: Simulation) -> None:
    record, day = sim.record, int(sim.days[0])
    patient = record.first_id + 3
    every = RecordSnapshot.from_store(record.stores["gp"], patient, day, 60.0, WINDOW)
    cut = int(np.median(every.columns["seq"]))
    later = RecordSnapshot.from_store(record.stores["gp"], patient, day, 60.0, WINDOW, first_seq=cut)
    assert 0 < len(later.items) < len(every.items) and (later.columns["seq"] >= cut).all()
    items = GpItems.of(record, np.array([patient]), day, np.array([cut]))
    assert sorted(items.cols["seq"].tolist()) == sorted(later.columns["seq"].tolist())


def test_missing_is_no_day(sim: Simulation) -> None:
    record = sim.record
    items = GpItems.of(record, np.array([record.first_id]), int(sim.days[0]))
    found, _, day, seq = items.last(items.select(ItemType.OBSERVATION, (int(Concept.RISK_SCORE),)))
    assert not found[0] and day[0] == NO_DAY and seq[0] == -1
    assert GpRecordTable(2, 0).review_day.tolist() == [NO_DAY, NO_DAY]


def test_registration_age_and_townsend(sim: Simulation) -> None:
    reg = Registration.from_simulation(sim)
    rows = np.arange(5)
    age = reg.age_years(rows, int(sim.days[0]))
    np.testing.assert_allclose(age, np.floor(sim.state.age_years[:5]), atol=1.0)
    assert reg.townsend(rows).shape == (5,)
