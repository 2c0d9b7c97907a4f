"""Test panels, written once: the order concept of each panel and the analytes it reports."""

from __future__ import annotations

import enum

from twin_env.vocab.concepts import Concept


class Test(enum.IntEnum):
    """Test panels (value: the order concept)."""

    __test__ = False  # not a pytest test class

    HBA1C = Concept.TEST_HBA1C
    LIPIDS = Concept.TEST_LIPIDS
    RENAL = Concept.TEST_RENAL
    ACR = Concept.TEST_ACR


#: Analytes of each panel: (result concept, twin field measured, care parameter of its analytic CV).
ANALYTES: dict[Test, tuple[tuple[Concept, str, str], ...]] = {
    Test.HBA1C: ((Concept.HBA1C, "hba1c_mmol_mol", "analytic_cv_hba1c"),),
    Test.LIPIDS: (
        (Concept.TOTAL_CHOLESTEROL, "total_chol_mmol_l", "analytic_cv_total_cholesterol"),
        (Concept.HDL_CHOLESTEROL, "hdl_mmol_l", "analytic_cv_hdl_cholesterol"),
        (Concept.LDL_CHOLESTEROL, "ldl_mmol_l", "analytic_cv_ldl_cholesterol"),
    ),
    Test.RENAL: (
        (Concept.EGFR, "egfr_ml_min_1_73m2", "analytic_cv_egfr"),
        (Concept.POTASSIUM, "potassium_mmol_l", "analytic_cv_potassium"),
    ),
    Test.ACR: ((Concept.URINE_ACR, "acr_mg_mmol", "analytic_cv_urine_acr"),),
}


def get_panel(name: str) -> Test:
    """The panel called ``name`` (``hba1c``, ``lipids``, ``renal``, ``acr``); ValueError otherwise."""
    try:
        return Test[name.upper()]
    except KeyError:
        raise ValueError(f"unknown test {name!r}; allowed: {[t.name.lower() for t in Test]}") from None
