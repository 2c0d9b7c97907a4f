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

from twin_env.twin.random_kernels import occurs, uniform_at


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
        if not occurs(uniform_at(keys[i], counter[i], stop_channel), total * dt):
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
