"""Random-stream channels of trial measurements (500-549 of :mod:`twin_env.twin.random_streams`).

The counter is the trial visit number: 0 for the screening visit, ``v`` for the ``v``-th titration
visit of a ``bp_target`` arm. Keyed by patient key, so paired arms measure the same patient alike.
"""

from __future__ import annotations

import enum


class TrialChannel(enum.IntEnum):
    """Channels of trial measurements; a reading's channel is offset by its number (0, 1, 2, ...)."""

    SBP_VISIT = 500  # the visit's deviation from usual SBP (visit-to-visit variability)
    DBP_VISIT = 501
    SBP_READING = 510  # + reading number: measurement error of each seated reading
    DBP_READING = 520  # + reading number
    ANALYTE = 530  # + analyte index (screening.ANALYTES): analytic error of one lab sample
    BMI = 540
