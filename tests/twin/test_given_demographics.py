"""sample_population(given=...): a known patient's sex, ethnicity and IMD quintile fixed for every sample."""

from __future__ import annotations

import numpy as np
import pytest

from twin_env.twin.cohort import sample_population
from twin_env.twin.parameters import TwinParameters


def test_given_fixes_sex_ethnicity_and_imd_and_what_follows_them() -> None:
    given = {"female": True, "ethnicity": 2, "imd_quintile": 1}
    state, _ = sample_population(400, 3, min_age=60, max_age=60, given=given)
    assert state.female.all() and (state.ethnicity == 2).all() and (state.imd_quintile == 1).all()
    free, _ = sample_population(400, 3, min_age=60, max_age=60)
    assert np.array_equal(state.age_years, free.age_years)
    # the same patients born White in quintile 3, off sulfonylureas: their BMI offset moves by the South Asian
    # offset and two quintiles of deprivation, as the sampler's parameters say
    p = TwinParameters.default()
    same = (
        (free.ethnicity == 1)
        & (free.imd_quintile == 3)
        & (free.gliclazide_mg_day == 0)
        & (state.gliclazide_mg_day == 0)
    )
    shift = p["bmi_south_asian_offset_kg_m2"] + 2 * p["bmi_offset_per_quintile_more_deprived_kg_m2"]
    assert same.sum() > 50
    assert np.allclose(state.bmi_offset_kg_m2[same] - free.bmi_offset_kg_m2[same], shift, atol=1e-4)


def test_an_unknown_given_name_gets_a_one_line_error() -> None:
    with pytest.raises(
        ValueError, match=r"given demographics \['sex'\]; allowed: \['female', 'ethnicity', 'imd_quintile'\]"
    ):
        sample_population(3, 0, given={"sex": 1})
