"""Compiled event sampling of a twin step (numba): which competing event happens, which drug is stopped.

Both draw from the patient's counter-based streams (:mod:`twin_env.twin.random_kernels`) with the
same arithmetic as the NumPy code they replace: one uniform decides whether anything happens in the
step (probability ``1 - exp(-total hazard x dt)``), a second picks the kind in proportion to its
hazard by walking the running sum in :class:`~twin_env.twin.events.EventKind` order.

This module imports numba: import it lazily (see :mod:`twin_env.twin.hazard_kernel`).
"""

from __future__ import annotations

import numba
import numpy as np

from twin_env.twin.random_kernels import uniform_at


@numba.njit(cache=True, error_model="numpy")
def draw_events(hazards, alive, keys, counter, dt, occurs_channel, kind_channel):  # noqa: ANN001, ANN201
    """Event kind (N,) int8 of each patient from annual hazards (K, N); 0 (NONE) for the dead or no event."""
    n_kinds, n = hazards.shape
    kind = np.zeros(n, dtype=np.int8)
    for i in range(n):
        total = hazards[0, i]
        for k in range(1, n_kinds):
            total += hazards[k, i]
        total *= 1.0 if alive[i] else 0.0
        if not uniform_at(keys[i], counter[i], occurs_channel) < -np.expm1(-total * dt):
            continue
        u = uniform_at(keys[i], counter[i], kind_channel) * total
        running = 0.0
        chosen = n_kinds - 1
        for k in range(n_kinds):
            running = hazards[k, i] if k == 0 else running + hazards[k, i]
            if u < running:
                chosen = k
                break
        kind[i] = chosen
    return kind


@numba.njit(cache=True, error_model="numpy")
def draw_treatment_stops(taking, stop_rates, alive, stopped, keys, counter, dt, stop_channel, which_channel):  # noqa: ANN001, ANN201, PLR0913
    """Draw at most one drug stop per patient at the drugs' annual rates; writes ``stopped`` (N,) int8 in place.

    ``taking`` (F, N) bool: the treatment fields (``TREATMENT_FIELDS`` order) taken; ``stop_rates`` (F,) per
    year. A patient who already stopped a drug (``stopped >= 0``) stops no other. Returns nothing: the caller
    sets the stopped fields to 0.
    """
    n_fields = stop_rates.size
    for i in range(alive.size):
        total = 0.0
        for f in range(n_fields):
            total += (1.0 if taking[f, i] else 0.0) * stop_rates[f]
        total *= 1.0 if alive[i] and stopped[i] < 0 else 0.0
        if not uniform_at(keys[i], counter[i], stop_channel) < -np.expm1(-total * dt):
            continue
        u = uniform_at(keys[i], counter[i], which_channel) * total
        running = 0.0
        which = n_fields - 1
        for f in range(n_fields):
            running += (1.0 if taking[f, i] else 0.0) * stop_rates[f]
            if u < running:
                which = f
                break
        stopped[i] = which
