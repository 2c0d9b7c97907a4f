"""The drug catalogue: each drug maps a dose to a dm+d product and names the twin treatment field it acts on.

What a dose does to the twin is the twin's business (:mod:`twin_env.twin.treatment`).

Doses: blood-pressure drugs in multiples of the standard dose (0.5, 1, 2); atorvastatin in mg;
metformin and gliclazide in mg per day; dapagliflozin in mg. How often a day each dose is taken
(the regimen) is read from ``twin_env/data/drug_regimens.csv`` (one step function of dose per drug,
with sources).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib import resources
from types import MappingProxyType

import numpy as np

from twin_env.vocab.concepts import Concept
from twin_env.vocab.limits import limit


@dataclasses.dataclass(frozen=True)
class Drug:
    """A prescribable drug. ``products`` maps each allowed dose to its dm+d concept."""

    name: str
    field: str  # twin treatment field it sets
    dose_unit: str
    products: MappingProxyType[float, Concept]

    def check_dose(self, dose: float) -> None:
        if dose not in self.products:
            raise ValueError(f"dose {dose!r} of {self.name}: allowed {sorted(self.products)} ({self.dose_unit})")

    @property
    def regimen(self) -> tuple[tuple[float, int], ...]:
        """Steps ``(up_to_dose, doses_per_day)``, ascending: a dose up to ``up_to_dose`` is taken that often a day."""
        try:
            return REGIMENS[self.name]
        except KeyError:
            raise KeyError(f"drug {self.name!r} has no rows in {REGIMENS_FILE}") from None

    def doses_per_day(self, dose: float) -> int:
        """How many times a day ``dose`` (catalogue units) is taken (BNF posology)."""
        for up_to, times in self.regimen:
            if dose <= up_to:
                return times
        largest = f"{self.regimen[-1][0]} {self.dose_unit}"
        raise ValueError(f"dose {dose!r} of {self.name}: above the largest in {REGIMENS_FILE} ({largest})")


REGIMENS_FILE = "drug_regimens.csv"


def _read_regimens() -> MappingProxyType[str, tuple[tuple[float, int], ...]]:
    """Drug name -> its regimen steps from :data:`REGIMENS_FILE`, sorted by dose."""
    text = resources.files("twin_env.data").joinpath(REGIMENS_FILE).read_text(encoding="utf-8")
    steps: dict[str, list[tuple[float, int]]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        steps.setdefault(row["drug"], []).append((float(row["up_to_dose"]), int(row["doses_per_day"])))
    return MappingProxyType({name: tuple(sorted(s)) for name, s in steps.items()})


#: Drug name -> ``(up_to_dose, doses_per_day)`` steps (see :attr:`Drug.regimen`).
REGIMENS: MappingProxyType[str, tuple[tuple[float, int], ...]] = _read_regimens()


def _drug(name: str, field: str, unit: str, products: dict[float, Concept]) -> Drug:
    return Drug(name, field, unit, MappingProxyType(products))


_STD = "standard dose"
DRUGS: MappingProxyType[str, Drug] = MappingProxyType(
    {
        d.name: d
        for d in (
            _drug(
                "ramipril",
                "dose_acei",
                _STD,
                {0.5: Concept.RAMIPRIL_2_5MG, 1.0: Concept.RAMIPRIL_5MG, 2.0: Concept.RAMIPRIL_10MG},
            ),
            _drug(
                "losartan",
                "dose_arb",
                _STD,
                {0.5: Concept.LOSARTAN_50MG, 1.0: Concept.LOSARTAN_50MG, 2.0: Concept.LOSARTAN_50MG},
            ),
            _drug(
                "amlodipine",
                "dose_ccb",
                _STD,
                {0.5: Concept.AMLODIPINE_5MG, 1.0: Concept.AMLODIPINE_5MG, 2.0: Concept.AMLODIPINE_10MG},
            ),
            _drug("indapamide", "dose_thiazide", _STD, {1.0: Concept.INDAPAMIDE_2_5MG}),
            _drug(
                "bisoprolol",
                "dose_beta_blocker",
                _STD,
                {0.5: Concept.BISOPROLOL_5MG, 1.0: Concept.BISOPROLOL_5MG, 2.0: Concept.BISOPROLOL_5MG},
            ),
            _drug("doxazosin", "dose_alpha_blocker", _STD, {1.0: Concept.DOXAZOSIN_4MG, 2.0: Concept.DOXAZOSIN_4MG}),
            _drug("spironolactone", "dose_spironolactone", _STD, {1.0: Concept.SPIRONOLACTONE_25MG}),
            _drug(
                "atorvastatin",
                "statin_ldl_reduction",
                "mg",
                {
                    10.0: Concept.ATORVASTATIN_10MG,
                    20.0: Concept.ATORVASTATIN_20MG,
                    40.0: Concept.ATORVASTATIN_40MG,
                    80.0: Concept.ATORVASTATIN_80MG,
                },
            ),
            _drug(
                "metformin",
                "metformin_mg_day",
                "mg/day",
                {
                    500.0: Concept.METFORMIN_500MG,
                    1000.0: Concept.METFORMIN_500MG,
                    1500.0: Concept.METFORMIN_500MG,
                    2000.0: Concept.METFORMIN_500MG,
                },
            ),
            _drug("dapagliflozin", "sglt2", "mg", {10.0: Concept.DAPAGLIFLOZIN_10MG}),
            # sulfonylurea (NICE NG28 second step), BNF 40-320 mg/day as 80 mg tablets (40 mg = half a tablet)
            _drug(
                "gliclazide",
                "gliclazide_mg_day",
                "mg/day",
                {dose: Concept.GLICLAZIDE_80MG for dose in (40.0, 80.0, 160.0, 240.0, 320.0)},
            ),
        )
    }
)
#: The drug prescribed for each twin treatment field (baseline treatments are mapped with it).
DRUG_FOR_FIELD: MappingProxyType[str, Drug] = MappingProxyType({d.field: d for d in DRUGS.values()})


def get_drug(name: str) -> Drug:
    try:
        return DRUGS[name]
    except KeyError:
        raise ValueError(f"unknown drug {name!r}; allowed: {sorted(DRUGS)}") from None


#: NICE NG136 order in which antihypertensive classes are added: ACE inhibitor or ARB (A) and
#: calcium-channel blocker (C) first (which first: :func:`ng136_step1_is_acei`), then the thiazide-like
#: diuretic (D), then step 4 (spironolactone, doxazosin, bisoprolol). Stepping down stops the last.
BP_STEP_ORDER: tuple[str, ...] = (
    "ramipril",
    "losartan",
    "amlodipine",
    "indapamide",
    "spironolactone",
    "doxazosin",
    "bisoprolol",
)
#: The step-1 ACE inhibitor / ARB (the "A" of NG136).
RAAS_DRUGS: tuple[str, ...] = BP_STEP_ORDER[:2]
#: QRISK3 ethnicity codes of Black African or African-Caribbean family origin (NG136 step 1 rule).
BLACK_ETHNICITY_CODES: tuple[int, ...] = (6, 7)


def ng136_step1_is_acei(age_years: np.ndarray, ethnicity: np.ndarray, type2_diabetes: np.ndarray) -> np.ndarray:
    """(N,) bool: NICE NG136 step 1 is an ACE inhibitor/ARB (else a calcium-channel blocker).

    ACEi/ARB with type 2 diabetes (any age or family origin), or under
    ``ng136_step1_acei_age_below_years`` (``clinical_limits.csv``) and not of Black African or
    African-Caribbean family origin; otherwise a CCB. ``ethnicity``: QRISK3 codes.
    """
    black = np.isin(ethnicity, BLACK_ETHNICITY_CODES)
    below = limit("ng136_step1_acei_age_below_years")
    return np.asarray(type2_diabetes, dtype=bool) | ((np.asarray(age_years) < below) & ~black)
