"""Deployment harness: contract rules, record-only inputs, vectorisation, user models."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from twin_env.models import CLINRISK_DISCLAIMER, qrisk3_score
from twin_env.models.contract import (
    AGE,
    FEMALE,
    QRISK3_CONTRACT,
    SBP,
    SBP_IMPUTED,
    InputItem,
    ModelContract,
    OutputSpec,
)
from twin_env.models.deployment import (
    MODELS,
    REFUSED,
    SCORED,
    SCORED_WITH_IMPUTATION,
    CallableModel,
    EstimatorModel,
    assess,
    deploy,
    eligible_on_record,
)
from twin_env.models.gather import FOUND, MISSING, STALE, Gathered
from twin_env.record.gp import Registration
from twin_env.simulation import Simulation
from twin_env.twin import sample_population

AS_OF = dt.date(2022, 4, 1)
TODAY = int(np.datetime64(AS_OF, "D").astype(np.int64))


def _gathered(model: str = "qrisk3", **overrides: tuple[float, int]) -> Gathered:
    """One patient, every item found: a 50-year-old man, non-smoker, typical values."""
    base = {
        "age": 50,
        "female": 0,
        "ethnicity": 1,
        "smoking": 0,
        "bmi": 27,
        "chol_hdl_ratio": 4,
        "sbp": 130,
        "sbp_sd": 5,
        "townsend": 0,
        "egfr": 90,
    }
    g = Gathered(np.array([7]))
    for item in MODELS[model].contract.items:
        value, status = overrides.get(item.name, (base.get(item.name, 0.0), FOUND))
        g.put(item.name, np.array([value], dtype=float), np.array([status]), np.array([TODAY - 30]), np.array([3]))
    return g


def _run(model: str = "qrisk3", **overrides: tuple[float, int]):
    return assess(MODELS[model], _gathered(model, **overrides), AS_OF)


def test_scored_matches_the_validated_function() -> None:
    r = _run()
    assert r.status[0] == SCORED and r.reason[0] == ""
    expected = qrisk3_score(
        sex="male", age=50, ethnicity=1, smoking=0, bmi=27, chol_hdl_ratio=4, sbp=130, sbp_sd=5, townsend=0
    )
    assert r.score[0] == pytest.approx(expected, abs=1e-12)
    assert CLINRISK_DISCLAIMER in r.describe(0)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"age": (24, FOUND)}, "ineligible: age outside 25-84"),
        ({"age": (85, FOUND)}, "ineligible: age outside 25-84"),
        ({"cvd": (1, FOUND)}, "ineligible: CVD recorded (CHD, stroke or TIA)"),
        ({"type1_diabetes": (1, FOUND)}, "ineligible: type 1 diabetes"),
        ({"egfr": (59.9, FOUND)}, "ineligible: eGFR below 60"),
        ({"deceased": (1, FOUND)}, "ineligible: patient deceased"),
        ({"sbp": (np.nan, MISSING)}, "sbp missing"),
        ({"sbp": (np.nan, STALE)}, "sbp stale (none in the last 1826 days)"),
        ({"sbp": (250, FOUND)}, "sbp 250 outside the validated range (a real number in [70, 210] mmHg)"),
    ],
)
def test_refusals_say_why(overrides: dict, reason: str) -> None:
    r = _run(**overrides)
    assert r.status[0] == REFUSED and r.reason[0] == reason and np.isnan(r.score[0])
    assert json.loads(json.dumps(r.to_audit()))["patients"][0]["reason"] == reason
    assert "not scored" in r.describe(0)


def test_egfr_not_recorded_is_eligible_and_egfr_60_passes() -> None:
    assert _run(egfr=(np.nan, MISSING)).status[0] == SCORED
    assert _run(egfr=(60.0, FOUND)).status[0] == SCORED


def test_impute_policy_uses_the_documented_substitute_and_flags_it() -> None:
    contract = ModelContract(
        **{**QRISK3_CONTRACT.__dict__, "inputs": tuple(SBP_IMPUTED if i is SBP else i for i in QRISK3_CONTRACT.inputs)}
    )
    model = dataclasses.replace(MODELS["qrisk3"], contract=contract)
    g = _gathered()
    g.put("sbp", np.array([np.nan]), np.array([MISSING]))
    r = assess(model, g, AS_OF)
    assert r.status[0] == SCORED_WITH_IMPUTATION and r.imputed["sbp"][0] and r.used["sbp"][0] == 123.1
    assert r.patient(0)["inputs"]["sbp"]["imputed"] is True


def test_missing_ratio_imputed_and_flag_absent() -> None:
    r = _run(chol_hdl_ratio=(np.nan, STALE), atrial_fibrillation=(np.nan, MISSING))
    assert (
        r.status[0] == SCORED_WITH_IMPUTATION
        and r.used["chol_hdl_ratio"][0] == 3.5
        and r.used["atrial_fibrillation"][0] == 0
    )


def test_contract_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="policy 'impute' needs a substitute"):
        InputItem("x", "latest", "x", policy="impute")
    with pytest.raises(ValueError, match="source 'lab'"):
        InputItem("x", "lab", "x")


@pytest.fixture(scope="module")
def sim() -> tuple[Simulation, Registration]:
    s = Simulation.from_population(600, 5, min_age_years=23, max_age_years=83)
    reg = Registration.from_simulation(s)
    s.run(2.0)
    return s, reg


def test_deploy_reads_only_the_record(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    ids = np.arange(s.state.n)
    before = deploy("qrisk3", s.record, ids, s.date, registration=reg, write_back=False)
    saved = s.state.copy()
    rng = np.random.default_rng(0)
    for name, col in s.state.columns.items():  # scramble the latent truth
        s.state.columns[name] = rng.permutation(col)
    try:
        after = deploy("qrisk3", s.record, ids, s.date, registration=reg, write_back=False)
    finally:
        s.state.columns.update(saved.columns)
    np.testing.assert_array_equal(before.score, after.score)
    np.testing.assert_array_equal(before.reason, after.reason)
    assert before.counts()[SCORED_WITH_IMPUTATION] > 100


@pytest.mark.parametrize("model", ["qrisk3", "qdiabetes"])
def test_vectorised_equals_per_patient(sim: tuple[Simulation, Registration], model: str) -> None:
    s, reg = sim
    ids = np.arange(0, s.state.n, 7)
    batch = deploy(model, s.record, ids, s.date, registration=reg, write_back=False)
    for i, pid in enumerate(ids[:40]):
        one = deploy(model, s.record, [pid], s.date, registration=reg, write_back=False)
        assert one.patient(0) == batch.patient(i)


@pytest.mark.parametrize("model", ["qrisk3", "qdiabetes"])
def test_audit_entries_equal_one_patient_dict_each(sim: tuple[Simulation, Registration], model: str) -> None:
    s, reg = sim
    r = deploy(model, s.record, np.arange(s.state.n), s.date, registration=reg, write_back=False)
    entries = r.to_audit()["patients"]
    assert len(entries) == s.state.n and {e["status"] for e in entries} >= {REFUSED}
    assert json.dumps(entries) == json.dumps([r.patient(i) for i in range(s.state.n)])


def test_provenance_points_at_record_items(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    r = deploy("qrisk3", s.record, np.arange(s.state.n), s.date, registration=reg, write_back=False)
    i = int(np.flatnonzero(~np.isnan(r.inputs.value["sbp"]))[0])
    sbp = r.patient(i)["inputs"]["sbp"]
    view = s.record.gp_view(int(r.patients[i]), s.date)
    item = next(x for x in view.observations if x.event_id == sbp["event_id"])
    assert item.value == sbp["value"] and item.date.isoformat() == sbp["date"]


def test_write_back_appends_risk_assessments(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    n0 = len(s.record.model_outputs)
    r = deploy("qrisk3", s.record, np.arange(50), s.date, registration=reg)
    out = s.record.model_outputs[n0]
    assert len(out["patient"]) == int(r.scored.sum())
    assert set(out["code"]) == {"1085871000000105"} and set(out["model_id"]) == {"qrisk3-2017"}


def test_first_seq_hides_an_earlier_patient_of_the_same_id(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    ids = np.arange(40)
    whole = deploy("qrisk3", s.record, ids, s.date, registration=reg, write_back=False)
    later = np.full(len(ids), np.iinfo(np.int64).max)  # as if every id began a new patient after all its items
    fresh = deploy("qrisk3", s.record, ids, s.date, registration=reg, write_back=False, first_seq=later)
    assert whole.scored.any() and not fresh.scored.any()
    assert set(fresh.reason[fresh.eligible]) == {"sbp missing"}
    with pytest.raises(ValueError, match="first_seq must have one entry per patient"):
        deploy("qrisk3", s.record, ids, s.date, registration=reg, first_seq=later[:3])


@pytest.mark.parametrize("model", ["qrisk3", "qdiabetes"])
def test_eligible_on_record_matches_the_full_run(sim: tuple[Simulation, Registration], model: str) -> None:
    s, reg = sim
    ids = np.arange(s.state.n)
    run = deploy(model, s.record, ids, s.date, registration=reg, write_back=False)
    np.testing.assert_array_equal(eligible_on_record(model, s.record, ids, s.date, registration=reg), run.eligible)
    assert 0 < run.eligible.sum() < len(ids)


@pytest.mark.parametrize("model", ["qrisk3", "qdiabetes"])
def test_eligibility_with_one_date_per_patient_equals_one_run_per_date(
    sim: tuple[Simulation, Registration], model: str
) -> None:
    """Vector-env rows sit on different dates: a (n,) ``as_of`` gives what each date's own run gives."""
    s, reg = sim
    ids = np.arange(s.state.n)
    days = s.day - 30 * (ids % 9)  # nine dates up to 8 months back
    both = eligible_on_record(model, s.record, ids, days.astype("datetime64[D]"), registration=reg)
    for day in np.unique(days):
        on = ids[days == day]
        one = eligible_on_record(model, s.record, on, np.datetime64(int(day), "D"), registration=reg)
        np.testing.assert_array_equal(both[on], one)
    assert 0 < both.sum() < len(ids)
    with pytest.raises(ValueError, match="day must be one day number or one per patient"):
        eligible_on_record(model, s.record, ids, days[:5].astype("datetime64[D]"), registration=reg)


def test_registration_birth_days_follow_each_rows_own_date() -> None:
    s = Simulation.from_population(6, 3, min_age_years=50, max_age_years=60)
    s.run(14 / 12)
    fresh, fresh_dx = sample_population(2, 4, min_age=50, max_age=60)
    s.reset_rows(np.array([1, 4]), fresh, fresh_dx)  # these two rows restart on the start date
    reg = Registration.from_simulation(s)
    age_days = (s.days - reg.birth_day) / 365.25
    np.testing.assert_allclose(age_days, s.state.age_years, atol=0.01)
    assert s.days[1] < s.days[0]


class _FakeEstimator:
    """predict_proba of a logistic model on (age, sbp)."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(-9 + 0.08 * x[:, 0] + 0.02 * x[:, 1])))
        return np.column_stack([1 - p, p])


def test_user_models(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    contract = ModelContract("my-model", "age and SBP", (AGE, FEMALE, SBP), (), (), OutputSpec("CVD", 10, None))
    est = EstimatorModel(contract, _FakeEstimator(), ["age", "sbp"])
    fn = CallableModel(contract, lambda x: 1 / (1 + np.exp(-(-9 + 0.08 * x["age"] + 0.02 * x["sbp"]))))
    ids = np.arange(s.state.n)
    a = deploy(est, s.record, ids, s.date, registration=reg, write_back=False)
    b = deploy(fn, s.record, ids, s.date, registration=reg, write_back=False)
    np.testing.assert_allclose(a.score, b.score)
    assert set(a.reason[a.status == REFUSED]) <= {"sbp missing", "sbp stale (none in the last 1826 days)"}
    assert (a.status == SCORED).sum() > 100
    assert a.disclaimer == "" and "my-model" == a.to_audit()["model_id"]
    with pytest.raises(ValueError, match="predict_proba"):
        EstimatorModel(contract, object(), ["age"])
    with pytest.raises(ValueError, match="not inputs"):
        EstimatorModel(contract, _FakeEstimator(), ["bmi"])


def test_bad_patients_are_rejected(sim: tuple[Simulation, Registration]) -> None:
    s, reg = sim
    with pytest.raises(ValueError, match="patients must be ids"):
        deploy("qrisk3", s.record, [10**6], s.date, registration=reg)
    with pytest.raises(ValueError, match="unknown model"):
        deploy("qrisk2", s.record, [0], s.date, registration=reg)


def test_model_cards_render_the_contract() -> None:
    from twin_env.models.cards import render_card

    for name in ("qrisk3", "qdiabetes"):
        card = render_card(name)
        assert (
            all(f"`{i.name}`" in card for i in MODELS[name].contract.items)
            and CLINRISK_DISCLAIMER.splitlines()[0] in card
        )
    with pytest.raises(ValueError, match="no model card"):
        render_card("qrisk2")


def test_write_back_is_a_gp_item_rendered_in_fhir_and_opensafely(sim: tuple[Simulation, Registration]) -> None:
    from twin_env.formats.fhir_bundle import fhir_bundle  # noqa: PLC0415
    from twin_env.formats.opensafely_tables import opensafely_tables  # noqa: PLC0415
    from twin_env.formats.source import RecordSource  # noqa: PLC0415
    from twin_env.record import Concept, ItemType  # noqa: PLC0415

    s, reg = sim
    r = deploy("qrisk3", s.record, np.arange(50), s.date, registration=reg)
    patient = int(r.patients[np.flatnonzero(r.scored)[0]])
    scores = s.record.gp_view(patient, s.date).of(ItemType.RISK_SCORE)
    assert scores[-1].concept == Concept.QRISK3_SCORE and scores[-1].unit == "%"
    assert scores[-1].value == pytest.approx(float(r.score[np.flatnonzero(r.patients == patient)[0]]))
    source = RecordSource.from_simulation(s)
    kinds = [e["resource"]["resourceType"] for e in fhir_bundle(source, patient, as_of=s.date.astype(object))["entry"]]
    assert "RiskAssessment" in kinds
    events = opensafely_tables(source, [patient])["clinical_events"]
    assert "1085871000000105" in set(events["snomedct_code"])


def test_bmi_and_smoking_are_read_from_the_record(sim: tuple[Simulation, Registration]) -> None:
    from twin_env.record import Concept  # noqa: PLC0415
    from twin_env.vocab.concepts import SMOKING_CATEGORY  # noqa: PLC0415

    s, reg = sim
    r = deploy("qrisk3", s.record, np.arange(s.state.n), s.date, registration=reg, write_back=False)
    bmi, smoking = r.inputs.value["bmi"], r.inputs.value["smoking"]
    assert (r.inputs.status["bmi"] == 0).any() and (r.inputs.status["smoking"] == 0).any()
    i = int(np.flatnonzero(r.inputs.status["smoking"] == 0)[0])
    view = s.record.gp_view(int(r.patients[i]), s.date)
    coded = [x for x in view.observations if SMOKING_CATEGORY[x.concept] >= 0]
    assert smoking[i] == SMOKING_CATEGORY[coded[-1].concept]
    j = int(np.flatnonzero(r.inputs.status["bmi"] == 0)[0])
    latest = [x for x in s.record.gp_view(int(r.patients[j]), s.date).observations if x.concept == Concept.BMI][-1]
    assert bmi[j] == latest.value
