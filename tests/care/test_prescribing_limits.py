"""Care obeys the prescribing limits: repeats checked on the GP record, medication review, discharge reconciliation."""

from __future__ import annotations

import numpy as np

from twin_env.care.prescribing_limits import breaks_limit
from twin_env.record import Concept, LedgerKind
from twin_env.record.artefacts import Artefact
from twin_env.record.store import ItemType
from twin_env.simulation import Simulation
from twin_env.twin import treatment
from twin_env.vocab.drugs import DRUGS
from twin_env.vocab.limits import limit


def _sim(n: int = 60) -> Simulation:
    return Simulation.from_population(n, 5, min_age_years=50, max_age_years=85, artefacts=False)


def _rows(sim: Simulation, k: int = 8) -> np.ndarray:
    s = sim.state
    return np.flatnonzero(s.alive & (s.metformin_mg_day == 0) & (s.dose_acei == 0) & (s.dose_arb == 0))[:k]


def _events(sim: Simulation, rows: np.ndarray, kind: LedgerKind, concept: Concept | None = None) -> np.ndarray:
    led = sim.ledger.columns
    sel = np.isin(led["patient"], rows + sim.record.first_id) & (led["kind"] == kind)
    if concept is not None:
        sel &= led["concept"] == concept
    return np.flatnonzero(sel)


def _set_potassium(sim: Simulation, rows: np.ndarray, mmol_l: float) -> None:
    sim.state.potassium_base_mmol_l[rows] = mmol_l
    treatment.update_effects(sim.state, sim.simulator.params)


def test_limits_are_the_clinical_limits_file() -> None:
    egfr, k = np.array([29.9, 30.0, np.nan]), np.array([4.6, 5.1, 6.0])
    assert breaks_limit("metformin_mg_day", egfr, k).tolist() == [True, False, False]
    assert breaks_limit("dose_spironolactone", egfr, k).tolist() == [k[0] > limit("spironolactone_max_potassium")] * 3
    assert breaks_limit("dose_acei", egfr, k).tolist() == [False, False, True]  # continuing: stop at >= 6.0
    assert breaks_limit("dose_arb", egfr, k, new=True).tolist() == [False, True, True]  # a start: > 5.0
    assert not breaks_limit("dose_ccb", egfr, k).any()


def test_metformin_repeats_stop_once_a_low_egfr_is_reported() -> None:
    sim = _sim()
    rows = _rows(sim)
    sim.prescribe(rows, "metformin", 2000.0)
    sim.state.egfr_ml_min_1_73m2[rows] = 20.0
    sim.order_test(rows, "renal")
    for _ in range(3):
        sim.step()
    assert (sim.state.metformin_mg_day[rows] == 0).all()
    ended = _events(sim, rows, LedgerKind.PRESCRIPTION_ENDED, Concept.METFORMIN_500MG)
    assert np.unique(sim.ledger.columns["patient"][ended]).size == rows.size
    led = sim.ledger.columns
    for p in rows + sim.record.first_id:
        result = np.flatnonzero(
            (led["patient"] == p) & (led["kind"] == LedgerKind.TEST_RESULT) & (led["concept"] == Concept.EGFR)
        )
        issued = np.flatnonzero((led["patient"] == p) & (led["kind"] == LedgerKind.PRESCRIPTION))
        issued = issued[led["concept"][issued] == Concept.METFORMIN_500MG]
        assert (led["day"][issued] <= led["day"][result].min() + 1).all()  # no issue after the result was back


def test_spironolactone_stops_at_potassium_above_its_limit_and_continues_below() -> None:
    sim = _sim()
    rows = np.flatnonzero(sim.state.alive & (sim.state.dose_spironolactone == 0))[:8]
    high, low = rows[:4], rows[4:]
    sim.prescribe(rows, "spironolactone", 1.0)
    _set_potassium(sim, high, limit("spironolactone_max_potassium") + 0.6)
    _set_potassium(sim, low, 4.0)
    sim.order_test(rows, "renal")
    for _ in range(3):
        sim.step()
    assert (sim.state.dose_spironolactone[high] == 0).all()
    assert (sim.state.dose_spironolactone[low] > 0).all()


def test_medication_review_reduces_metformin_below_egfr_45() -> None:
    sim = _sim()
    rows = _rows(sim)
    sim.prescribe(rows, "metformin", 2000.0)
    sim.state.egfr_ml_min_1_73m2[rows] = 40.0
    sim.order_test(rows, "renal")
    sim.step()
    sim.step()
    rows = rows[sim.state.metformin_mg_day[rows] > 0]  # not those who stopped it (GI intolerance)
    assert rows.size >= 4
    assert (sim.state.metformin_mg_day[rows] == 2000.0).all()  # no review yet: the reduction waits
    sim.book_review(rows)
    sim.step()
    top = sim.params["metformin_max_mg_day_egfr_30_44"]
    assert (sim.state.metformin_mg_day[rows] == top).all()
    assert (sim.care.care.rx_dose["metformin_mg_day"][rows] == top).all()


def test_repeats_link_to_the_issue_that_authorised_them() -> None:
    sim = _sim()
    rows = _rows(sim, 3)
    sim.prescribe(rows, "amlodipine", 1.0)
    first = _events(sim, rows, LedgerKind.PRESCRIPTION, Concept.AMLODIPINE_5MG)
    for _ in range(3):
        sim.step()
    led = sim.ledger.columns
    repeats = np.setdiff1d(_events(sim, rows, LedgerKind.PRESCRIPTION, Concept.AMLODIPINE_5MG), first)
    assert repeats.size >= rows.size
    assert (led["link"][first] == -1).all()
    authorised = dict(zip(led["patient"][first].tolist(), led["seq"][first].tolist()))
    assert all(led["link"][i] == authorised[led["patient"][i]] for i in repeats)


def _admit(sim: Simulation, rows: np.ndarray, days: int = 3) -> np.ndarray:
    """Emergency MI admissions for ``rows`` today, discharged ``days`` later; the hospital starts ramipril."""
    care, day = sim.care.care, sim.care.care.days[rows]
    seq = sim.ledger.append(rows, LedgerKind.ADMISSION, Concept.EMERGENCY_ADMISSION, day, value=float(days))
    care.admission[rows], care.admission_dx[rows] = seq, Concept.ICD10_MI
    care.discharge_day[rows] = day + days
    treatment.start_drug(sim.state, rows, DRUGS["ramipril"], 1.0, sim.simulator.params)
    return seq


def test_hospital_start_reaches_the_gp_record_and_repeats_continue_from_it() -> None:
    sim = _sim()
    rows = _rows(sim, 4)
    _set_potassium(sim, rows, 4.2)
    seq = _admit(sim, rows)
    for _ in range(3):
        sim.step()
    led = sim.ledger.columns
    hospital = _events(sim, rows, LedgerKind.HOSPITAL_PRESCRIPTION, Concept.RAMIPRIL_5MG)
    assert sorted(led["link"][hospital].tolist()) == sorted(seq.tolist())
    repeats = _events(sim, rows, LedgerKind.PRESCRIPTION, Concept.RAMIPRIL_5MG)
    assert set(led["link"][repeats].tolist()) <= set(led["seq"][hospital].tolist()) and repeats.size
    gp = sim.record.gp_view(sim.record.first_id + int(rows[0]), sim.date)
    ramipril = [i for i in gp.items if i.item == ItemType.MEDICATION and i.concept == Concept.RAMIPRIL_5MG]
    assert min(ramipril, key=lambda i: i.date).flags & Artefact.FROM_LETTER  # the first the GP shows: the hospital's
    assert sim.record.letter(_discharge_id(sim, int(rows[0]))).medications == ((Concept.RAMIPRIL_5MG, 1.0),)


def _discharge_id(sim: Simulation, row: int) -> str:
    led = sim.ledger.columns
    i = np.flatnonzero((led["patient"] == sim.record.first_id + row) & (led["kind"] == LedgerKind.DISCHARGE))[0]
    return f"{led['patient'][i]}-{led['seq'][i]}"


def test_hospital_withholds_a_raas_start_at_high_potassium_or_with_a_current_arb() -> None:
    sim = _sim()
    rows = _rows(sim, 6)
    high_k, on_arb = rows[:3], rows[3:]
    _set_potassium(sim, high_k, limit("raas_start_max_potassium") + 0.4)
    sim.prescribe(on_arb, "losartan", 1.0)
    sim.order_test(rows, "renal")
    sim.step()
    sim.state.dose_arb[on_arb] = 0.0  # the patient stopped it; the GP record still shows it current
    _admit(sim, rows)
    sim.step()
    assert (sim.state.dose_acei[rows] == 0).all()
    assert _events(sim, rows, LedgerKind.HOSPITAL_PRESCRIPTION, Concept.RAMIPRIL_5MG).size == 0
    assert _events(sim, rows, LedgerKind.DISCHARGE).size == rows.size


def test_a_drug_stopped_in_hospital_ends_the_gp_repeats() -> None:
    sim = _sim()
    rows = _rows(sim, 3)
    sim.prescribe(rows, "amlodipine", 1.0)
    sim.step()
    _admit(sim, rows)
    treatment.stop_drug(sim.state, rows, DRUGS["amlodipine"], sim.simulator.params)
    sim.step()
    ended = _events(sim, rows, LedgerKind.PRESCRIPTION_ENDED, Concept.AMLODIPINE_5MG)
    assert ended.size == rows.size
    assert (sim.care.care.rx_concept["dose_ccb"][rows] == 0).all()
