"""Imaging and diagnostics: studies (ECG, echocardiogram, chest X-ray) and their reports."""

from __future__ import annotations

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select


def record_imaging(batch: Batch, config: ArtefactConfig, imaging: SystemStore) -> None:
    """A study is recorded when performed; its report becomes available after a reporting delay."""
    studies = select(batch, batch["kind"] == LedgerKind.IMAGING)
    if len(studies["patient"]) == 0:  # no study in the batch (most batches)
        return
    imaging.append(studies["patient"], studies["seq"], ItemType.IMAGING_STUDY, studies["concept"], studies["day"])
    delay = delay_days(
        studies["key"],
        studies["counter"],
        RecordChannel.IMAGING_DELAY,
        config.imaging_report_delay_median_days,
        config.imaging_report_delay_sigma_log,
    )
    flags = (delay > 0) * int(Artefact.DELAYED)
    imaging.append(
        studies["patient"],
        studies["seq"],
        ItemType.IMAGING_REPORT,
        studies["concept"],
        studies["day"],
        studies["day"] + delay,
        flags=flags,
    )
