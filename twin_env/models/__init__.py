"""Predictive models: QRISK3-2017 and QDiabetes-2018 (validated API).

Any displayed QRISK3 or QDiabetes score must carry :data:`CLINRISK_DISCLAIMER`.
"""

from __future__ import annotations

from twin_env.models.disclaimer import CLINRISK_DISCLAIMER
from twin_env.models.qdiabetes import qdiabetes2018_score, qdiabetes2018_score_array
from twin_env.models.qrisk3 import qrisk3_score, qrisk3_score_array

__all__ = [
    "CLINRISK_DISCLAIMER",
    "qdiabetes2018_score",
    "qdiabetes2018_score_array",
    "qrisk3_score",
    "qrisk3_score_array",
]
