"""Care never reads the truth to diagnose: hidden conditions flipped BEFORE care acts change nothing it records.

The twin's condition flags are flipped for the length of each step's care (and restored before the
twin advances, so the physiology and every reading are the same); the ledger and the GP record must
then be identical to an unflipped run. The old oracle (``new = s.hypertension & reading >= 140/90``)
coded only true hypertension, so flipping the flag changed the codes: this test fails on it.

Heart failure is flipped too, with three exceptions that are the patient and the test, not the GP:
the symptoms a patient brings (:func:`twin_env.twin.heart_failure_symptoms.presents`), the NT-proBNP
level a sample measures (:func:`twin_env.twin.natriuretic_peptide.level_ng_l`) and what the cardiology
echocardiogram shows of the true ventricle (:func:`twin_env.care.specialist_clinics.echo_shows_heart_failure`)
see the unflipped truth. Everything else care does with heart failure (whether to test, whom to refer and
how soon, what to code) must then be unchanged: it comes from the presentation and the NT-proBNP, not the
hidden flag. AF stays unflipped: the pulse, the ECG trace and the clinic ECG read the true rhythm and no
other rule of care reads it (what remains to isolate the same way).

The true urine ACR is flipped too (``acr -> 9 / acr``: raised below 3 mg/mmol, normal above it) except
where a sample measures it (:func:`twin_env.care.pathology.measured`): CKD with albuminuria is coded
from ACR results, never from the twin's level. A GP who read the true ACR (the oracle of
:func:`test_an_acr_oracle_would_be_caught`) changes the ledger under the flip.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest

from twin_env.care import diagnosis, pathology, specialist_clinics
from twin_env.care.diagnosis import heart_failure_from_tests
from twin_env.care.diagnosis_state import CKD_ALBUMINURIA
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.simulation import simulation as simulation_module
from twin_env.twin import heart_failure_symptoms, natriuretic_peptide
from twin_env.vocab.concepts import Concept

#: Condition flags no reading measures directly (each is defined by levels care measures, or by events).
HIDDEN = ("hypertension", "type2_diabetes", "ckd_3_5", "chd", "stroke_tia", "myocardial_infarction", "heart_failure")
#: The true urine ACR (mg/mmol) and its flip: the albuminuria threshold 3 mg/mmol maps to itself, raised to normal.
ACR = "acr_mg_mmol"
ACR_FLIP = 9.0
#: Where heart failure legitimately reaches care: (module, function) that see the unflipped truth.
PATIENT_AND_TEST = (
    (heart_failure_symptoms, "presents"),
    (natriuretic_peptide, "level_ng_l"),
    (specialist_clinics, "echo_shows_heart_failure"),
)


@contextlib.contextmanager
def truth_flipped_during_care(monkeypatch: pytest.MonkeyPatch, exempt: bool = True) -> Iterator[None]:
    """While active, every step's care sees the hidden condition flags inverted.

    ``exempt``: the functions of :data:`PATIENT_AND_TEST` see the true heart failure flag meanwhile.
    """
    respond, measure = simulation_module.respond, pathology.measured
    truth: dict[str, np.ndarray] = {}

    def flipped(ctx, *args, **kwargs):  # type: ignore[no-untyped-def]
        saved = {name: ctx.state.columns[name].copy() for name in (*HIDDEN, ACR)}
        truth.update(saved)
        for name in HIDDEN:
            ctx.state.columns[name][:] = ~saved[name]
        ctx.state.columns[ACR][:] = ACR_FLIP / saved[ACR]
        try:
            respond(ctx, *args, **kwargs)
        finally:
            for name in (*HIDDEN, ACR):
                ctx.state.columns[name][:] = saved[name]

    def measuring_the_truth(ctx, rows, field, *args):  # type: ignore[no-untyped-def]
        column = ctx.state.columns[field]
        shown = column.copy()
        if field == ACR:
            column[:] = truth[ACR]
        try:
            return measure(ctx, rows, field, *args)
        finally:
            column[:] = shown

    def seeing_the_truth(function):  # type: ignore[no-untyped-def]
        def call(ctx_or_state, *args, **kwargs):  # type: ignore[no-untyped-def]
            state = getattr(ctx_or_state, "state", ctx_or_state)
            flag = state.columns["heart_failure"]
            shown = flag.copy()
            flag[:] = truth["heart_failure"]
            try:
                return function(ctx_or_state, *args, **kwargs)
            finally:
                flag[:] = shown

        return call

    with monkeypatch.context() as m:
        m.setattr(simulation_module, "respond", flipped)
        m.setattr(pathology, "measured", measuring_the_truth)
        for module, name in PATIENT_AND_TEST if exempt else ():
            m.setattr(module, name, seeing_the_truth(getattr(module, name)))
        yield


def _run(n: int = 1500, years: float = 2.0) -> Simulation:
    sim = Simulation.from_population(n, 5, min_age_years=40, max_age_years=85)
    sim.run(years)
    return sim


def _ntprobnp_tests(sim: Simulation) -> np.ndarray:
    """(k,) patients of the run's NT-proBNP results, in ledger order."""
    ledger = sim.ledger.columns
    return ledger["patient"][(ledger["kind"] == LedgerKind.TEST_RESULT) & (ledger["concept"] == Concept.NTPROBNP)]


def test_flipping_hidden_conditions_before_care_changes_no_diagnosis(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _run()
    with truth_flipped_during_care(monkeypatch):
        flipped = _run()
    a, b = plain.ledger.columns, flipped.ledger.columns
    assert len(a["kind"]) == len(b["kind"])
    for column in ("patient", "seq", "kind", "concept", "day", "value", "link"):
        np.testing.assert_array_equal(a[column], b[column], err_msg=column)
    for name, store in plain.record.stores.items():
        for column, values in store.columns.items():
            np.testing.assert_array_equal(values, flipped.record.stores[name].columns[column], err_msg=name)
    for name in (*HIDDEN, CKD_ALBUMINURIA):
        np.testing.assert_array_equal(plain.diagnosed.get(name, False), flipped.diagnosed.get(name, False))
    # the run made diagnoses from readings, so the comparison had something to catch
    coded = (Concept.ESSENTIAL_HYPERTENSION, Concept.TYPE2_DIABETES, Concept.CKD_STAGE_3)
    made = np.isin(a["concept"], coded) & (a["kind"] == LedgerKind.DIAGNOSIS)
    assert made.sum() > 20
    albuminuria = np.isin(a["concept"], (Concept.CKD_STAGE_1, Concept.CKD_STAGE_2)) & (
        a["kind"] == LedgerKind.DIAGNOSIS
    )
    assert albuminuria.sum() > 0
    assert _ntprobnp_tests(plain).size > 0  # the heart failure pathway ran too


def test_heart_failure_reaches_care_only_through_symptoms_ntprobnp_and_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    # the control: without the exemptions the flipped flag reaches care (everyone without heart failure
    # "has" it), so the comparison above has the power to see a GP who reads the flag
    plain = _run(n=400, years=1.0)
    with truth_flipped_during_care(monkeypatch, exempt=False):
        flipped = _run(n=400, years=1.0)
    assert _ntprobnp_tests(flipped).size > 5 * max(_ntprobnp_tests(plain).size, 1)


def test_heart_failure_is_coded_from_the_tests_not_the_truth() -> None:
    sim = Simulation.from_population(6, 1, min_age_years=60, max_age_years=80)
    rows = np.arange(6)
    truly = sim.state.heart_failure.copy()
    sim.diagnosed["heart_failure"][:] = False
    ntprobnp = np.array([100.0, 450.0, 3000.0, 3000.0, 399.0, 800.0])
    echo = np.array([True, True, True, False, True, False])
    heart_failure_from_tests(sim.care, rows, np.full(6, sim.day), np.full(6, -1), ntprobnp, echo)
    np.testing.assert_array_equal(sim.diagnosed["heart_failure"], [False, True, True, False, False, False])
    np.testing.assert_array_equal(sim.state.heart_failure, truly)  # the truth is neither read nor changed


def test_an_acr_oracle_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # the control: a GP who codes CKD with albuminuria from the twin's true ACR (with every ACR result)
    # is seen by the flip, so the comparison above has the power to catch an ACR oracle
    def oracle(ctx, rows, day, link, value, counter):  # type: ignore[no-untyped-def]
        new = (ctx.state.acr_mg_mmol[rows] >= 3.0) & ~ctx.care.diagnosed[CKD_ALBUMINURIA][rows]
        diagnosis.code(ctx, rows[new], CKD_ALBUMINURIA, Concept.CKD_STAGE_2, day[new], link[new])

    monkeypatch.setattr(diagnosis, "acr", oracle)
    plain = _run(n=400, years=1.0)
    with truth_flipped_during_care(monkeypatch):
        flipped = _run(n=400, years=1.0)
    assert plain.diagnosed[CKD_ALBUMINURIA].any()
    assert not np.array_equal(plain.diagnosed[CKD_ALBUMINURIA], flipped.diagnosed[CKD_ALBUMINURIA])
