"""Model-triggered statins only: run the env's QRISK3 action whenever it is valid and the score is stale.

The ``qrisk3_statin`` action computes QRISK3 from the record and starts atorvastatin 20 mg at
>= 10% (NG238 1.6); nothing else is done. A score is recomputed once a year at most.
"""

from __future__ import annotations

import numpy as np

from twin_env.envs.actions import ACTION_INDEX
from twin_env.policies.base import Policy, PolicyInput
from twin_env.vocab.dates import NO_DAY

RECOMPUTE_DAYS = 365  # a QRISK3 score is treated as current for a year (NICE NG238 reviews risk periodically)


class Qrisk3ThresholdPolicy(Policy):
    """``qrisk3_statin`` where the mask allows it and no score was computed in the last year."""

    name = "qrisk3_threshold"

    def act(self, inputs: PolicyInput) -> tuple[np.ndarray, list[str]]:
        t, day = inputs.context.table, inputs.context.day
        stale = (t.qrisk3_day == NO_DAY) | (day - t.qrisk3_day >= RECOMPUTE_DAYS)
        go = stale & inputs.mask[:, ACTION_INDEX["qrisk3_statin"]]
        actions = np.where(go, ACTION_INDEX["qrisk3_statin"], 0).astype(np.int64)
        return actions, ["QRISK3 score, statin if >= 10%" if g else "no QRISK3 due" for g in go.tolist()]
