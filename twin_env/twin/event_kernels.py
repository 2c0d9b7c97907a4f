"""Compiled treatment-stop sampling of a twin step (numba): which drug, if any, a patient stops.

It draws from the patient's counter-based streams (:mod:`twin_env.twin.random_kernels`) with the
same arithmetic as the NumPy code it replaced: one uniform decides whether anything happens in the
step (probability ``1 - exp(-total rate x dt)``), a second picks the drug in proportion to its rate
by walking the running sum in ``TREATMENT_FIELDS`` order. The step's competing events are drawn the
same way, fused with their hazards (:func:`twin_env.twin.hazard_kernel.draw_events`).

This module imports numba: import it lazily (see :mod:`twin_env.twin.hazard_kernel`).
"""

from __future__ import annotations

import numba
import numpy as np

from twin_env.twin.random_kernels import occurs, uniform_at


@numba.njit(cache=True, error_model="numpy")
def draw_treatment_stops(fields, stop_rates, alive, stopped, keys, counter, dt, stop_channel, which_channel):  # noqa: ANN001, ANN201, PLR0913
    """Draw at most one drug stop per patient at the drugs' annual rates; writes ``stopped`` (N,) int8 in place.

    ``fields``: the treatment fields' (N,) arrays in ``TREATMENT_FIELDS`` order (a drug is taken where its
    value is > 0); ``stop_rates`` (F,) per year. A patient who already stopped a drug (``stopped >= 0``) stops
    no other. Returns nothing: the caller sets the stopped fields to 0. Each patient's total rate is summed
    in field order (fields outer, patients inner); a patient taking nothing draws nothing (a total of 0
    never passes ``u < 1 - exp(0)``, so the draw is skipped).
    """
    n_fields = stop_rates.size
    n = alive.size
    totals = np.zeros(n)
    for f in range(n_fields):
        taken, rate = fields[f], stop_rates[f]
        for i in range(n):
            totals[i] += (1.0 if taken[i] > 0 else 0.0) * rate
    for i in range(n):
        total = totals[i] * (1.0 if alive[i] and stopped[i] < 0 else 0.0)
        if total == 0.0 or not occurs(uniform_at(keys[i], counter[i], stop_channel), total * dt):
            continue
        u = uniform_at(keys[i], counter[i], which_channel) * total
        running = 0.0
        which = n_fields - 1
        for f in range(n_fields):
            running += (1.0 if fields[f][i] > 0 else 0.0) * stop_rates[f]
            if u < running:
                which = f
                break
        stopped[i] = which
