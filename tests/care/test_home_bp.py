"""Home BP: bp_check asks for a series, the home system records it, its average decides; white coat stays in clinic."""

from __future__ import annotations

import numpy as np

from twin_env.record import ArtefactConfig
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.vocab.concepts import Concept
from twin_env.vocab.orders import Order


def _sim(artefacts: bool | ArtefactConfig = False) -> Simulation:
    sim = Simulation.from_population(40, 8, min_age_years=45, max_age_years=60, artefacts=artefacts)
    s = sim.state
    sim.diagnosed["hypertension"][:] = False
    # the twin recomputes usual BP each step from the individual offsets: move those
    s.columns["sbp_offset_mmhg"][:20] += 60.0  # high out of the office too
    s.columns["sbp_offset_mmhg"][20:] -= 30.0
    s.columns["dbp_offset_mmhg"][20:] -= 20.0
    s.columns["white_coat_sbp_mmhg"][20:] = 60.0  # white-coat hypertension: high in clinic only
    return sim


def _coded_from_home(sim: Simulation) -> set[int]:
    """Patients whose hypertension was coded from a home series (the diagnosis links to it)."""
    led = sim.ledger.columns
    dx = (led["kind"] == LedgerKind.DIAGNOSIS) & (led["concept"] == Concept.ESSENTIAL_HYPERTENSION)
    rows = sim.ledger.find(led["patient"][dx], led["link"][dx])
    return set(led["patient"][dx][led["kind"][rows] == LedgerKind.HOME_SERIES].tolist())


def _kinds(sim: Simulation, kind: LedgerKind, concept: Concept | None = None) -> np.ndarray:
    led = sim.ledger.columns
    mask = led["kind"] == kind
    if concept is not None:
        mask &= led["concept"] == concept
    return led["patient"][mask]


def test_bp_check_series_confirms_true_hypertension_and_refutes_white_coat() -> None:
    sim = _sim()
    sim.execute(np.arange(40), Order("review", "bp_check"))
    for _ in range(2):  # taken next step, read the step after
        sim.step()
    assert set(_kinds(sim, LedgerKind.HOME_SERIES).tolist()) == set(range(40))
    home = sim.record.stores["home"].columns
    sbp = home["concept"] == Concept.HOME_SBP
    by_patient = {p: home["value"][sbp & (home["patient"] == p)] for p in range(40)}
    assert all(len(v) == 7 for v in by_patient.values())  # no artefacts: every day uploaded
    assert np.mean([by_patient[p].mean() for p in range(20, 40)]) < 130  # no white coat at home
    coded = _coded_from_home(sim)
    assert len(coded & set(range(20))) >= 14  # confirmed, less the 15% of confirmations missed
    assert coded.isdisjoint(range(20, 40))  # white coat refuted by the home average
    assert len(_kinds(sim, LedgerKind.CONSULTATION)) < 40  # bp_check books no consultation


def test_clinic_readings_carry_the_white_coat_effect() -> None:
    sim = _sim()
    sim.execute(np.arange(40), Order("review", "book_review"))
    sim.step()
    led = sim.ledger.columns
    clinic = (led["kind"] == LedgerKind.OBSERVATION) & (led["concept"] == Concept.SBP)
    white_coat = clinic & (led["patient"] >= 20)
    usual = sim.state.sbp_mmhg[20:].mean()
    assert led["value"][white_coat].mean() > usual + 40  # + 60 - 5 (the mean offset in usual BP), with noise


def test_too_few_uploaded_days_repeat_the_series() -> None:
    sim = _sim(ArtefactConfig.off().replace(home_day_missing_probability=1.0))
    sim.execute(np.arange(40), Order("review", "bp_check"))
    for _ in range(3):
        sim.step()
    assert len(sim.record.stores["home"]) == 0
    series = _kinds(sim, LedgerKind.HOME_SERIES)
    assert np.bincount(series, minlength=40).min() >= 2  # asked for again
    assert _coded_from_home(sim) == set()
