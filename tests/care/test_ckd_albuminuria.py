"""CKD with albuminuria from ACR (NICE NG203): a raised ACR books a repeat; two raised, 90 days apart, code CKD 1/2.

The code is CKD stage 1 or 2 and never enters the QOF CKD 3-5 register, the GP table's ``ckd_3_5``
problem column or QRISK3's CKD (stage 3-5) input.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.care import diagnosis
from twin_env.care.diagnosis_state import CKD_ALBUMINURIA
from twin_env.care.parameters import CareParameters
from twin_env.models.contract import CKD_3_5, QRISK3_CONTRACT
from twin_env.models.gather import gather_record
from twin_env.record import GpRecordTable, Registration
from twin_env.record.gp.coding import PROBLEMS
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER
from twin_env.vocab.panels import Test

_EXACT = CareParameters.default().replace(
    ckd_acr_coded_on_one_probability=0.0, ckd_acr_confirmation_missed_probability=0.0
)


def _sim(n: int, care_params: CareParameters = _EXACT) -> Simulation:
    sim = Simulation.from_population(n, 3, min_age_years=45, max_age_years=60, artefacts=False, care_params=care_params)
    for flags in sim.diagnosed.values():  # no register, so no annual review takes an ACR of its own
        flags[:] = False
    return sim


def _acr_results(sim: Simulation, patient: int) -> np.ndarray:
    led = sim.ledger.columns
    mask = (led["kind"] == LedgerKind.TEST_RESULT) & (led["concept"] == Concept.URINE_ACR) & (led["patient"] == patient)
    return led["day"][mask]


def _coded(sim: Simulation, concepts: tuple[Concept, ...] = (Concept.CKD_STAGE_1, Concept.CKD_STAGE_2)) -> set[int]:
    led = sim.ledger.columns
    mask = (led["kind"] == LedgerKind.DIAGNOSIS) & np.isin(led["concept"], concepts)
    return set(led["patient"][mask].tolist())


def test_two_raised_acr_three_months_apart_code_ckd_and_one_does_not() -> None:
    sim = _sim(12)
    s, rows = sim.state, np.arange(12)
    s.columns["acr_mg_mmol"][:6] = 20.0  # A2: raised on every sample (analytic CV 15%)
    s.columns["acr_mg_mmol"][6:] = 1.0  # A1
    sim.order_test(rows, "renal")  # the practice knows kidney function
    sim.step()
    sim.order_test(rows, "acr")
    sim.step()
    first = {p: _acr_results(sim, p) for p in range(12)}
    assert all(len(first[p]) == 1 for p in range(12))
    pending = sim._care.pending  # one raised ACR: pending, a repeat booked 90 days on, nothing coded
    np.testing.assert_array_equal(pending.acr_high_day[:6], [first[p][0] for p in range(6)])
    np.testing.assert_array_equal(pending.repeat_day[Test.ACR][:6], pending.acr_high_day[:6] + 90)
    assert (pending.acr_high_day[6:] == NEVER).all() and not sim.diagnosed[CKD_ALBUMINURIA].any()
    for _ in range(6):  # the repeat is taken in the step its date falls in (again a step later if that was early)
        sim.step()
    for p in range(6):  # raised again at least 90 days after the first: coded
        assert 2 <= len(_acr_results(sim, p)) <= 3 and _acr_results(sim, p)[-1] - first[p][0] >= 90
    assert all(len(_acr_results(sim, p)) == 1 for p in range(6, 12))  # no repeat after a normal ACR
    alive = set(np.flatnonzero(s.alive[:6]).tolist())
    assert _coded(sim) == alive and len(alive) >= 5
    np.testing.assert_array_equal(sim.diagnosed[CKD_ALBUMINURIA], np.isin(rows, sorted(alive)))
    assert not sim.diagnosed["ckd_3_5"].any() and not _coded(sim, (Concept.CKD_STAGE_3,))


def _decide(sim: Simulation, rows: np.ndarray, day: int, acr: float, egfr: float) -> None:
    n = rows.size
    diagnosis.egfr(sim.care, rows, np.full(n, day), np.full(n, -1), np.full(n, egfr), sim._care.days.astype(np.int64))
    diagnosis.acr(sim.care, rows, np.full(n, day), np.full(n, -1), np.full(n, acr), sim._care.days.astype(np.int64))


def test_stage_follows_the_latest_egfr_and_below_60_the_egfr_route_decides() -> None:
    sim = _sim(3)
    day = sim.day
    for row, egfr in enumerate((95.0, 72.0, 50.0)):
        rows = np.array([row])
        _decide(sim, rows, day, 5.0, egfr)
        _decide(sim, rows, day + 95, 5.0, egfr)
    assert _coded(sim, (Concept.CKD_STAGE_1,)) == {0}
    assert _coded(sim, (Concept.CKD_STAGE_2,)) == {1}
    assert not sim.diagnosed[CKD_ALBUMINURIA][2]  # eGFR < 60: CKD stage 3 by the eGFR route, not stage 1/2


def test_a_repeat_too_soon_waits_and_a_normal_repeat_ends_the_run() -> None:
    sim = _sim(2)
    day = sim.day
    rows = np.arange(2)
    _decide(sim, rows, day, 5.0, 80.0)
    _decide(sim, rows, day + 30, 5.0, 80.0)  # 30 days on: not yet persistent
    pending = sim._care.pending
    assert not sim.diagnosed[CKD_ALBUMINURIA].any() and (pending.acr_high_day == day).all()
    _decide(sim, rows[1:], day + 60, 1.5, 80.0)  # normal: the run ends
    _decide(sim, rows, day + 100, 5.0, 80.0)
    np.testing.assert_array_equal(sim.diagnosed[CKD_ALBUMINURIA], [True, False])
    assert pending.acr_high_day[1] == day + 100  # a new run starts


def test_a_first_raised_acr_without_an_egfr_books_one_with_the_repeat() -> None:
    sim = _sim(1)
    diagnosis.acr(sim.care, np.array([0]), np.array([sim.day]), np.array([-1]), np.array([8.0]), np.zeros(1, np.int64))
    pending = sim._care.pending
    assert pending.repeat_day[Test.RENAL][0] == pending.repeat_day[Test.ACR][0] == sim.day + 90
    assert not sim.diagnosed[CKD_ALBUMINURIA][0]


@pytest.mark.parametrize(("at_once", "missed"), [(0.2, 0.0), (0.0, 0.4)])
def test_clinician_error_rates_are_honoured_on_a_cohort(at_once: float, missed: float) -> None:
    params = CareParameters.default().replace(
        ckd_acr_coded_on_one_probability=at_once, ckd_acr_confirmation_missed_probability=missed
    )
    n = 4000
    sim = _sim(n, params)
    rows, day = np.arange(n), sim.day
    _decide(sim, rows, day, 6.0, 80.0)
    coded_at_once = sim.diagnosed[CKD_ALBUMINURIA].mean()
    sim._care.days += 1  # another step: fresh draws
    _decide(sim, rows, day + 90, 6.0, 80.0)
    coded = sim.diagnosed[CKD_ALBUMINURIA].mean()
    tolerance = 4 * np.sqrt(0.25 / n)
    assert abs(coded_at_once - at_once) < tolerance
    # confirmed: everyone pending after the first, less the missed share
    assert abs(coded - (at_once + (1 - at_once) * (1 - missed))) < tolerance


def test_a_ckd_stage_1_or_2_code_is_not_ckd_3_5_for_the_table_or_qrisk3() -> None:
    sim = _sim(6)
    reg = Registration.from_simulation(sim)
    day, albuminuria = sim.day, np.arange(4)
    _decide(sim, albuminuria, day - 100, 12.0, 85.0)  # in the past, so the codes are shown by now
    _decide(sim, albuminuria, day - 5, 12.0, 85.0)
    # the control: row 4 coded CKD stage 3, so the readers below can see a CKD 3-5 code
    diagnosis.code(sim.care, np.array([4]), "ckd_3_5", Concept.CKD_STAGE_3, np.array([day]), np.array([-1]))
    sim.step()
    assert _coded(sim) == {0, 1, 2, 3}
    expected = [False, False, False, False, True, False]
    table = GpRecordTable(sim.record.n_patients, sim.record.first_id)
    table.update(sim.record.stores["gp"], sim.days)
    np.testing.assert_array_equal(table.problem[:, list(PROBLEMS).index("ckd_3_5")], expected)
    np.testing.assert_array_equal(table.ckd_albuminuria, [True, True, True, True, False, False])  # the policy's
    gathered = gather_record(QRISK3_CONTRACT, sim.record, reg, np.arange(6), sim.day)
    np.testing.assert_array_equal(gathered.value[CKD_3_5.name] > 0, expected)
