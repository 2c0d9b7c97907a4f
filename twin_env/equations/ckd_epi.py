"""CKD-EPI 2021 creatinine equation (race-free): eGFR from serum creatinine, age and sex.

Inker LA et al. N Engl J Med 2021;385:1737-49. Coefficients are read from
``twin_env/data/ckd_epi_2021_coefficients.csv``. Like the other kernels here it trusts its inputs:
arrays broadcast together, the result is float64 in mL/min/1.73m2.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import numpy as np
from numpy.typing import ArrayLike, NDArray

COEFFICIENTS_FILE = "ckd_epi_2021_coefficients.csv"


@functools.cache
def coefficients() -> dict[str, tuple[float, float]]:
    """Name -> (female, male) coefficient."""
    text = resources.files("twin_env.data").joinpath(COEFFICIENTS_FILE).read_text(encoding="utf-8")
    return {r["name"]: (float(r["female"]), float(r["male"])) for r in csv.DictReader(text.splitlines())}


def egfr_ckd_epi_2021(creatinine_umol_l: ArrayLike, age_years: ArrayLike, female: ArrayLike) -> NDArray[np.float64]:
    """eGFR (mL/min/1.73m2) from serum creatinine (umol/L), age (years) and sex (bool), all broadcast."""
    c = coefficients()
    is_female = np.asarray(female, dtype=bool)

    def pick(name: str) -> NDArray[np.float64]:
        return np.where(is_female, c[name][0], c[name][1])

    scr_mg_dl = np.asarray(creatinine_umol_l, dtype=np.float64) / c["creatinine_umol_per_mg_dl"][0]
    ratio = scr_mg_dl / pick("kappa")
    return (
        pick("intercept")
        * np.minimum(ratio, 1.0) ** pick("alpha")
        * np.maximum(ratio, 1.0) ** pick("beta")
        * pick("age_base") ** np.asarray(age_years, dtype=np.float64)
        * pick("sex_factor")
    )
