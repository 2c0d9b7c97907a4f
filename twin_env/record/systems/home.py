"""Home (patient-generated): the patient's BP monitor, its readings uploaded through an app.

The first system of record the patient, not a professional, feeds. Each ledger ``HOME_READING`` is
one day's reading (SBP then DBP, consecutive ledger events) of a series the GP asked for
(``HOME_SERIES``, the link). Artefacts of ``record_artefacts.csv``:

- a **missing day** (taken but never uploaded: the patient forgot to sync or to enter it): neither
  reading of the day reaches the store;
- a **device error** (cuff misplaced, arm moved, an unvalidated monitor): both readings of the day
  are off by ``home_device_error_mmhg`` up or down (flag ``TRANSCRIPTION_ERROR``: the value differs
  from the ledger's);
- an **upload delay** (lognormal days) before a reading is shown.

A wearable stream joins by logging its own ledger kind with its own concepts and adding a branch
here (or a sibling module) with its artefacts: the store, the item type and the readers are shared.
"""

from __future__ import annotations

import numpy as np

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, chance, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select
from twin_env.vocab.concepts import Concept


def record_home(batch: Batch, config: ArtefactConfig, home: SystemStore) -> None:
    """Append the uploaded home readings of one ledger batch (see the module docstring for the artefacts)."""
    readings = select(batch, batch["kind"] == LedgerKind.HOME_READING)
    if len(readings["patient"]) == 0:
        return
    keys = readings["key"]
    # the day's draws are keyed by its SBP event, so a day's SBP and DBP share them
    day_counter = readings["counter"] - (readings["concept"] == Concept.HOME_DBP)
    missing = chance(keys, day_counter, RecordChannel.HOME_MISSING, config.home_day_missing_probability)
    error = chance(keys, day_counter, RecordChannel.HOME_DEVICE_ERROR, config.home_device_error_probability)
    up = chance(keys, day_counter, RecordChannel.HOME_DEVICE_ERROR_DIRECTION, 0.5)
    value = readings["value"] + np.where(error, np.where(up, 1.0, -1.0) * config.home_device_error_mmhg, 0.0)
    delay = delay_days(
        keys,
        day_counter,
        RecordChannel.HOME_UPLOAD_DELAY,
        config.home_upload_delay_median_days,
        config.home_upload_delay_sigma_log,
    )
    flags = np.where(delay > 0, Artefact.DELAYED, 0) | np.where(error, Artefact.TRANSCRIPTION_ERROR, 0)
    kept = ~missing
    home.append(
        readings["patient"][kept],
        readings["seq"][kept],
        ItemType.HOME_READING,
        readings["concept"][kept],
        readings["day"][kept],
        (readings["day"] + delay)[kept],
        value[kept],
        flags[kept],
    )
