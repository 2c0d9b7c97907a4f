"""Derivation of ``recurrent_cvd_smart_log_normaliser`` (risk_factor_parameters.csv, status derived).

``python -m twin_env.twin.recurrent_cvd_normaliser`` prints the value for the current parameters; write
it into the data file by hand after a change to the population or the SMART coefficients.
"""

from __future__ import annotations

import argparse

import numpy as np

from twin_env.twin.cohort import sample_population
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.recurrent_cvd import age_rate_per_year, smart_linear_predictor


def derive_log_normaliser(n: int = 200_000, seed: int = 1, params: TwinParameters | None = None) -> float:
    """log of the age-rate-weighted mean exp(SMART predictor) over a baseline sample's established CVD."""
    params = params or TwinParameters.default()
    state, _ = sample_population(n, seed, config=params)
    rows = np.flatnonzero(state.has_cvd)
    if not rows.size:
        raise ValueError(f"n: a sample of {n} holds nobody with established CVD; use a larger n (e.g. 200000)")
    sub = state.view(rows)
    weight = age_rate_per_year(sub.age_years, params)
    return float(np.log(np.sum(weight * np.exp(smart_linear_predictor(sub, params))) / np.sum(weight)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="baseline sample size (default 200,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        value = derive_log_normaliser(args.n, args.seed)
    except ValueError as error:  # a bad --n or --seed: one line, no traceback
        parser.error(str(error))
    print(
        f"recurrent_cvd_smart_log_normaliser = {value:.4f} (packaged: "
        f"{TwinParameters.default()['recurrent_cvd_smart_log_normaliser']:.4f})"
    )


if __name__ == "__main__":
    main()
