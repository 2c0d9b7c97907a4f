"""The outcome vocabulary: every twin event makes some outcome; each outcome reads the right events."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.trials import OUTCOMES, get_outcome
from twin_env.twin import EventKind, StepEvents


def _events(kind: list[EventKind], fatal: list[bool], ckd: list[bool] | None = None) -> StepEvents:
    n = len(kind)
    k = np.array(kind, dtype=np.int8)
    f = np.array(fatal, dtype=bool)
    died = f | (k == EventKind.DEATH_NON_CVD) | (k == EventKind.DEATH_HEART_FAILURE)
    return StepEvents(
        kind=k,
        fatal=f,
        died=died,
        hypertension_onset=np.zeros(n, dtype=bool),
        ckd_onset=np.array(ckd if ckd is not None else [False] * n),
        treatment_stopped=np.full(n, -1),
        age_years=np.full(n, 70.0),
    )


EVENTS = _events(
    [
        EventKind.NONE,
        EventKind.DEATH_NON_CVD,
        EventKind.DEATH_HEART_FAILURE,
        EventKind.MYOCARDIAL_INFARCTION,
        EventKind.MYOCARDIAL_INFARCTION,
        EventKind.STROKE,
        EventKind.TIA,
        EventKind.HEART_FAILURE,
        EventKind.NONE,
    ],
    [False, False, False, True, False, False, False, True, False],
    ckd=[False] * 8 + [True],
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("death", [0, 1, 1, 1, 0, 0, 0, 1, 0]),
        ("cvd_death", [0, 0, 1, 1, 0, 0, 0, 1, 0]),
        ("mi", [0, 0, 0, 1, 1, 0, 0, 0, 0]),
        ("stroke", [0, 0, 0, 0, 0, 1, 0, 0, 0]),
        ("tia", [0, 0, 0, 0, 0, 0, 1, 0, 0]),
        ("heart_failure", [0, 0, 0, 0, 0, 0, 0, 1, 0]),
        ("ckd_3_5", [0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ],
)
def test_outcomes_read_the_right_events(name: str, expected: list[int]) -> None:
    assert get_outcome(name).occurred(EVENTS).astype(int).tolist() == expected


def test_every_twin_event_kind_makes_an_outcome() -> None:
    made = {kind for o in OUTCOMES.values() for kind in (*o.kinds, *o.fatal_kinds)}
    missing = set(EventKind) - made - {EventKind.NONE, EventKind.DEATH_NON_CVD}  # non-CVD death: "death"
    assert not missing


def test_the_issue_vocabulary_is_there_and_unknown_names_fail() -> None:
    for name in ("mi", "stroke", "tia", "heart_failure", "cvd_death", "death", "type2_diabetes", "ckd_3_5"):
        assert OUTCOMES[name].description
    with pytest.raises(ValueError, match="allowed: death, cvd_death, mi"):
        get_outcome("fracture")


_K = EventKind
DEATHS = _events(
    [
        _K.DEATH_CVD_NON_ACUTE,
        _K.DEATH_RENAL,
        _K.DEATH_DIABETES,
        _K.ACUTE_KIDNEY_INJURY,
        _K.ACUTE_KIDNEY_INJURY,
        _K.SEVERE_HYPOGLYCAEMIA,
        _K.HEART_FAILURE,
        _K.MYOCARDIAL_INFARCTION,
        _K.HIP_FRACTURE,
        _K.RETINOPATHY,
        _K.AMPUTATION,
    ],
    [False, False, False, True, False, True, True, True, True, False, False],
)
DEATHS = StepEvents(**{**DEATHS.__dict__, "died": DEATHS.died | np.isin(DEATHS.kind, [10, 11, 12])})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("death", [1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]),
        ("cvd_death", [1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]),
        ("renal_death", [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("diabetes_death", [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]),
        ("diabetes_related_death", [1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0]),
        ("aki", [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]),
        ("injurious_fall", [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
        ("hip_fracture", [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
        ("microvascular", [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
        ("amputation", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    ],
)
def test_cause_specific_deaths_harms_and_complications(name: str, expected: list[int]) -> None:
    assert get_outcome(name).occurred(DEATHS).astype(int).tolist() == expected


def test_every_harm_and_complication_kind_has_its_own_outcome() -> None:
    own = {o.kinds[0] for o in OUTCOMES.values() if len(o.kinds) == 1 and not o.fatal_kinds and o.flag is None}
    assert set(range(_K.HYPOTENSION_SYNCOPE, _K.AMPUTATION + 1)) - own == {_K.INJURIOUS_FALL}
    assert get_outcome("injurious_fall").kinds == (_K.INJURIOUS_FALL, _K.HIP_FRACTURE)  # a hip fracture is a fall
