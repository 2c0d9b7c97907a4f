"""Published risk equations as fast, unvalidated NumPy kernels.

These functions trust their inputs (the patient simulator's hot loop calls them on 100,000
patients at a time). The validated public API is in :mod:`twin_env.models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

SexKernel = Callable[[bool, Mapping[str, NDArray]], ArrayLike]

# Rows scored per kernel call: small enough that temporaries are reused from the heap and stay
# in cache (large NumPy temporaries are fresh pages each time, which costs more than the maths).
CHUNK_ROWS = 8192


def evaluate_by_sex(kernel: SexKernel, female: ArrayLike, inputs: Mapping[str, ArrayLike]) -> NDArray[np.float64]:
    """Evaluate ``kernel(is_female, inputs)`` on each sex's rows; return the broadcast shape.

    The published equations differ by sex, so each sex's rows are gathered (in chunks of
    ``CHUNK_ROWS``) and scored with that sex's scalar coefficients, which is much faster than
    looking a coefficient up per row. Inputs broadcast together; 0-d inputs are passed through
    unsplit. The kernel must be element-wise, so a row's result does not depend on the batch.
    """
    is_female = np.asarray(female, dtype=bool)
    arrays = {name: np.asarray(value) for name, value in inputs.items()}
    shape = np.broadcast_shapes(is_female.shape, *(a.shape for a in arrays.values()))
    is_female = np.broadcast_to(is_female, shape).ravel()
    flat = {name: a if a.ndim == 0 else np.broadcast_to(a, shape).ravel() for name, a in arrays.items()}
    out = np.empty(is_female.size, dtype=np.float64)
    for sex, sex_rows in ((True, np.flatnonzero(is_female)), (False, np.flatnonzero(~is_female))):
        for start in range(0, sex_rows.size, CHUNK_ROWS):
            rows = sex_rows[start : start + CHUNK_ROWS]
            subset = {name: a if a.ndim == 0 else a.take(rows) for name, a in flat.items()}
            out[rows] = kernel(sex, subset)
    return out.reshape(shape)
