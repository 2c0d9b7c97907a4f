"""Letters: discharge summaries and outpatient clinic letters sent to the GP.

A letter is written on the day of discharge or attendance (its ledger event). It reaches the
practice after a delay, or never (lost); the practice codes its diagnoses after a further delay,
or never (uncoded). The letters store keeps every letter written, with those fates as flags; the
GP store receives the ones that arrive (see :mod:`twin_env.record.systems.gp`).
"""

from __future__ import annotations

from collections import ChainMap

import numpy as np

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, chance, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select
from twin_env.vocab.concepts import Concept
from twin_env.vocab.dates import NEVER


def record_letters(batch: Batch, config: ArtefactConfig, letters: SystemStore) -> Batch:
    """Write a letter for each discharge and outpatient attendance; returns the letters with
    ``arrival_day`` (NEVER if lost), ``coded_day`` (NEVER if never coded) and ``flags`` (no letter: only the
    batch's columns)."""
    is_discharge = batch["kind"] == LedgerKind.DISCHARGE
    written = select(batch, is_discharge | (batch["kind"] == LedgerKind.OUTPATIENT_ATTENDANCE))
    if len(written["patient"]) == 0:  # no discharge or attendance in the batch (most batches): no letter
        return written
    discharge = written["kind"] == LedgerKind.DISCHARGE
    keys, counter, day = written["key"], written["counter"], written["day"]
    doc = np.where(discharge, Concept.DISCHARGE_SUMMARY, Concept.CLINIC_LETTER)
    d_delay = delay_days(
        keys,
        counter,
        RecordChannel.LETTER_DELAY,
        config.discharge_letter_delay_median_days,
        config.discharge_letter_delay_sigma_log,
    )
    c_delay = delay_days(
        keys,
        counter,
        RecordChannel.LETTER_DELAY,
        config.clinic_letter_delay_median_days,
        config.clinic_letter_delay_sigma_log,
    )
    coding = delay_days(
        keys,
        counter,
        RecordChannel.LETTER_CODING_DELAY,
        config.letter_coding_delay_median_days,
        config.letter_coding_delay_sigma_log,
    )
    lost = chance(keys, counter, RecordChannel.LETTER_LOST, config.letter_lost_probability)
    uncoded = chance(keys, counter, RecordChannel.LETTER_UNCODED, config.letter_uncoded_probability)
    delay = np.where(discharge, d_delay, c_delay)
    arrival = np.where(lost, NEVER, day + delay).astype(np.int32)
    coded = np.where(lost | uncoded, NEVER, day + delay + coding).astype(np.int32)
    flags = (
        np.where(delay > 0, Artefact.DELAYED, 0)
        | np.where(lost, Artefact.LOST, 0)
        | np.where(uncoded, Artefact.UNCODED, 0)
    )
    letters.append(written["patient"], written["seq"], ItemType.DOCUMENT, doc, day, flags=flags)
    return ChainMap({"concept": doc, "arrival_day": arrival, "coded_day": coded, "flags": flags}, written)
