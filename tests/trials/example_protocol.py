"""The schema example of issue 14: every key, five kinds of arm."""

from __future__ import annotations

import copy
from typing import Any

_EXAMPLE: dict[str, Any] = {
    "version": 1,
    "name": "schema example: every key, five kinds of arm",
    "population": {"n": 200000, "seed": 1, "min_age": 80, "max_age": 100, "start_date": "2020-04-01"},
    "eligibility": {
        "age": [80, 100],
        "sbp_mmhg": [160, 199],
        "egfr": [30, None],
        "hba1c_mmol_mol": [None, None],
        "ldl_mmol_l": [None, None],
        "bmi": [None, None],
        "qrisk3_percent": [None, None],
        "require_all": ["hypertension"],
        "exclude_any": ["heart_failure", "stroke_tia"],
        "on_antihypertensive": None,
        "on_statin": False,
        "on_metformin": None,
        "any_of": [{"require_all": ["chd"]}, {"age": [75, None]}, {"qrisk3_percent": [15, None]}],
    },
    "allocation": "randomised",
    "arms": [
        {"name": "active", "strategy": {"kind": "drugs", "start": [{"drug": "indapamide", "dose": 1.0}]}},
        {"name": "intensive", "strategy": {"kind": "bp_target", "target_sbp_mmhg": 120, "visit_months": 3}},
        {"name": "lower_ldl", "strategy": {"kind": "physiology", "ldl_offset_mmol_l": -1.0}},
        {"name": "guideline", "strategy": {"kind": "policy", "policy": "nice_guideline"}},
        {"name": "placebo", "strategy": {"kind": "none"}},
    ],
    "reference_arm": "placebo",
    "follow_up_years": 1.8,
    "outcomes": {"stroke": ["stroke"], "death": ["death"], "cv_events": ["mi", "stroke", "heart_failure", "cvd_death"]},
}


def example() -> dict[str, Any]:
    """A fresh deep copy of the example, safe to mutate."""
    return copy.deepcopy(_EXAMPLE)
