"""Hospital PAS: admissions, discharges, outpatient attendances and coded ICD-10 diagnoses."""

from __future__ import annotations

import numpy as np

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select
from twin_env.vocab.concepts import is_icd10

_ITEMS = {
    LedgerKind.ADMISSION: ItemType.ADMISSION,
    LedgerKind.DISCHARGE: ItemType.DISCHARGE,
    LedgerKind.OUTPATIENT_ATTENDANCE: ItemType.ATTENDANCE,
}
_IS_PAS_KIND = np.zeros(max(LedgerKind) + 1, dtype=bool)  # by ledger kind: the PAS records some of its events
_IS_PAS_KIND[[*_ITEMS, LedgerKind.DIAGNOSIS]] = True


def record_pas(batch: Batch, config: ArtefactConfig, pas: SystemStore) -> None:
    """ADT events are recorded in real time; episode diagnoses after a clinical-coding delay.

    Diagnoses are the ledger's hospital DIAGNOSIS events (ICD-10 concepts, logged at discharge).
    """
    if not _IS_PAS_KIND[batch["kind"]].any():  # no hospital event in the batch (most batches)
        return
    for kind, item in _ITEMS.items():
        rows = select(batch, batch["kind"] == kind)
        if len(rows["patient"]) == 0:
            continue
        pas.append(rows["patient"], rows["seq"], item, rows["concept"], rows["day"], value=rows["value"])
    coded = select(batch, (batch["kind"] == LedgerKind.DIAGNOSIS) & is_icd10(batch["concept"]))
    if len(coded["patient"]) == 0:
        return
    delay = delay_days(
        coded["key"],
        coded["counter"],
        RecordChannel.PAS_CODING_DELAY,
        config.pas_coding_delay_median_days,
        config.pas_coding_delay_sigma_log,
    )
    flags = (delay > 0) * int(Artefact.DELAYED)
    pas.append(
        coded["patient"],
        coded["seq"],
        ItemType.DIAGNOSIS,
        coded["concept"],
        coded["day"],
        coded["day"] + delay,
        flags=flags,
    )
