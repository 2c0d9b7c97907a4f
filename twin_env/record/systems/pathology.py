"""Pathology (lab): sample receipt and analyte results, reported after a turnaround delay."""

from __future__ import annotations

from collections import ChainMap

import numpy as np

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, chance, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select


def record_pathology(batch: Batch, config: ArtefactConfig, lab: SystemStore) -> Batch:
    """Record orders and results; returns the reported results (with ``available_day``, ``flags``; no rows: none).

    Artefacts: turnaround delay (lognormal days) and transcription error (a one-place decimal
    shift of the reported value, up or down with equal chance).
    """
    orders = select(batch, batch["kind"] == LedgerKind.TEST_ORDER)
    if len(orders["patient"]):
        lab.append(orders["patient"], orders["seq"], ItemType.LAB_ORDER, orders["concept"], orders["day"])

    results = select(batch, batch["kind"] == LedgerKind.TEST_RESULT)
    if len(results["patient"]) == 0:  # no result in the batch (most batches): nothing drawn, nothing reported
        return results
    keys, counter = results["key"], results["counter"]
    delay = delay_days(keys, counter, RecordChannel.LAB_DELAY, config.lab_delay_median_days, config.lab_delay_sigma_log)
    error = chance(keys, counter, RecordChannel.LAB_ERROR, config.lab_transcription_error_probability)
    up = chance(keys, counter, RecordChannel.LAB_ERROR_DIRECTION, 0.5)
    value = np.where(error, results["value"] * np.where(up, 10.0, 0.1), results["value"])
    flags = np.where(delay > 0, Artefact.DELAYED, 0) | np.where(error, Artefact.TRANSCRIPTION_ERROR, 0)
    available = results["day"] + delay
    lab.append(
        results["patient"],
        results["seq"],
        ItemType.LAB_RESULT,
        results["concept"],
        results["day"],
        available,
        value,
        flags,
    )
    return ChainMap({"value": value, "available_day": available, "flags": flags}, results)
