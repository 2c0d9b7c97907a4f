"""The GP system: the practice's own entries, results filed from the lab, letters and their coding.

What the practice records, from the ledger batch:

- consultations and reviews (ENCOUNTER); clinic BP readings (OBSERVATION), sometimes not coded
  or typed with a 10 mmHg digit slip; BMI and coded smoking status (OBSERVATION) as measured;
- diagnoses it makes and baseline history (PROBLEM), sometimes left uncoded (readings without a
  diagnosis) or coded with the variant hypertension concept;
- its prescriptions and repeats (MEDICATION, dm+d), stops (MEDICATION_END), referrals, deaths;
- medicines a hospital started or changed (MEDICATION, FROM_LETTER), reconciled from the discharge letter;
- lab results as the lab reports them (OBSERVATION at the lab's available day), sometimes never
  filed, sometimes filed twice (a later manual entry with the same event id);
- risk scores of deployed models written back (RISK_SCORE);
- administrative entries with no encounter (ADMIN_ENTRY): NHS Health Check invitations and did-not-attends;
- letters that arrive (DOCUMENT) and, for those coded, the letter's diagnoses (PROBLEM, FROM_LETTER).
"""

from __future__ import annotations

import numpy as np

from twin_env.record.artefacts import Artefact, ArtefactConfig, RecordChannel, chance, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems import Batch, select
from twin_env.vocab.concepts import SNOMED_FOR_ICD10_ARRAY, Concept, is_icd10
from twin_env.vocab.dates import NEVER

_DIRECT = {
    LedgerKind.CONSULTATION: ItemType.ENCOUNTER,
    LedgerKind.BASELINE_PRESCRIPTION: ItemType.MEDICATION,
    LedgerKind.PRESCRIPTION: ItemType.MEDICATION,
    LedgerKind.PRESCRIPTION_ENDED: ItemType.MEDICATION_END,
    LedgerKind.REFERRAL: ItemType.REFERRAL,
    LedgerKind.DEATH: ItemType.DEATH,
    LedgerKind.SMOKING_STATUS: ItemType.OBSERVATION,
    LedgerKind.RISK_SCORE: ItemType.RISK_SCORE,
    LedgerKind.ADMINISTRATIVE: ItemType.ADMIN_ENTRY,
}
_IS_BP = np.zeros(max(Concept) + 1, dtype=bool)  # by concept: a clinic BP reading (SBP, DBP)
_IS_BP[[Concept.SBP, Concept.DBP]] = True


_DIRECT_RANK = np.full(max(LedgerKind) + 1, len(_DIRECT), dtype=np.int8)  # by ledger kind: its place in _DIRECT
_DIRECT_RANK[list(_DIRECT)] = np.arange(len(_DIRECT))
#: By ledger kind: only the GP records it, as logged (a batch of these alone needs no other system).
IS_DIRECT_KIND = _DIRECT_RANK < len(_DIRECT)
IS_DIRECT_KIND.flags.writeable = False
_DIRECT_ITEM = np.zeros(max(LedgerKind) + 1, dtype=np.int8)  # by ledger kind: the GP item it becomes
_DIRECT_ITEM[list(_DIRECT)] = list(_DIRECT.values())


def record_direct(batch: Batch, gp: SystemStore) -> None:
    """Append the GP's own entries recorded as logged (consultations, prescriptions, referrals, scores ...).

    One append, grouped by ledger kind in the order of ``_DIRECT`` (each kind's events in ledger order).
    """
    rank = _DIRECT_RANK[batch["kind"]]
    own = np.flatnonzero(rank < len(_DIRECT))
    if own.size == 0:
        return
    order = own[np.argsort(rank[own], kind="stable")]
    kind = batch["kind"][order]
    gp.append(
        batch["patient"][order],
        batch["seq"][order],
        _DIRECT_ITEM[kind],
        batch["concept"][order],
        batch["day"][order],
        value=batch["value"][order],
    )


def record_gp(batch: Batch, config: ArtefactConfig, gp: SystemStore, lab_results: Batch, letters: Batch) -> None:
    """Append the GP's items for one ledger batch (see the module docstring for the rules)."""
    kind = batch["kind"]
    record_direct(batch, gp)
    observed = kind == LedgerKind.OBSERVATION
    if observed.any():
        bp = _IS_BP[batch["concept"]]
        _record_bp(select(batch, observed & bp), config, gp)
        other = select(batch, observed & ~bp)  # BMI: recorded as measured
        gp.append(
            other["patient"], other["seq"], ItemType.OBSERVATION, other["concept"], other["day"], value=other["value"]
        )
    _record_problems(batch, config, gp)
    if len(lab_results["patient"]):
        _file_lab_results(lab_results, config, gp)
    _file_letters(batch, letters, config, gp)


#: A clinic BP transcription error shifts the value by this much, up or down (a slipped tens digit).
BP_SLIP_MMHG = 10.0


def _record_bp(bp: Batch, config: ArtefactConfig, gp: SystemStore) -> None:
    if len(bp["patient"]) == 0:
        return
    keys, counter, seq = bp["key"], bp["counter"], bp["seq"]
    kept = ~chance(keys, counter, RecordChannel.BP_MISSING, config.bp_not_recorded_probability)
    error = chance(keys, counter, RecordChannel.BP_ERROR, config.bp_transcription_error_probability)
    slip = np.where(chance(keys, counter, RecordChannel.BP_ERROR_DIRECTION, 0.5), BP_SLIP_MMHG, -BP_SLIP_MMHG)
    value = bp["value"] + error * slip
    flags = error * int(Artefact.TRANSCRIPTION_ERROR)
    gp.append(
        bp["patient"][kept],
        seq[kept],
        ItemType.OBSERVATION,
        bp["concept"][kept],
        bp["day"][kept],
        value=value[kept],
        flags=flags[kept],
    )


def _hypertension_variant(
    keys: np.ndarray, counter: np.ndarray, concept: np.ndarray, config: ArtefactConfig
) -> np.ndarray:
    """Concepts (k,) with some essential-hypertension codes replaced by the variant concept."""
    variant = (concept == Concept.ESSENTIAL_HYPERTENSION) & chance(
        keys, counter, RecordChannel.DIAGNOSIS_VARIANT, config.hypertension_variant_code_probability
    )
    return np.where(variant, Concept.HYPERTENSIVE_DISORDER, concept)


def _record_problems(batch: Batch, config: ArtefactConfig, gp: SystemStore) -> None:
    kind = batch["kind"]
    own = (kind == LedgerKind.BASELINE_DIAGNOSIS) | ((kind == LedgerKind.DIAGNOSIS) & ~is_icd10(batch["concept"]))
    dx = select(batch, own)
    if len(dx["patient"]) == 0:  # no diagnosis in the batch (most batches)
        return
    keys, counter = dx["key"], dx["counter"]
    uncoded = (dx["kind"] == LedgerKind.DIAGNOSIS) & chance(
        keys, counter, RecordChannel.DIAGNOSIS_UNCODED, config.gp_diagnosis_uncoded_probability
    )
    concept = _hypertension_variant(keys, counter, dx["concept"], config)
    flags = (concept != dx["concept"]) * int(Artefact.VARIANT_CODE)
    keep = ~uncoded
    gp.append(dx["patient"][keep], dx["seq"][keep], ItemType.PROBLEM, concept[keep], dx["day"][keep], flags=flags[keep])


def _file_lab_results(results: Batch, config: ArtefactConfig, gp: SystemStore) -> None:
    filed = ~chance(
        results["key"], results["counter"], RecordChannel.LAB_MISSING, config.lab_result_missing_probability
    )
    r = select(results, filed)
    gp.append(
        r["patient"], r["seq"], ItemType.OBSERVATION, r["concept"], r["day"], r["available_day"], r["value"], r["flags"]
    )
    twice = select(r, chance(r["key"], r["counter"], RecordChannel.DUPLICATE, config.lab_duplicate_probability))
    if len(twice["patient"]) == 0:
        return
    later = delay_days(
        twice["key"],
        twice["counter"],
        RecordChannel.DUPLICATE_DELAY,
        config.duplicate_delay_median_days,
        config.duplicate_delay_sigma_log,
    )
    gp.append(
        twice["patient"],
        twice["seq"],
        ItemType.OBSERVATION,
        twice["concept"],
        twice["day"],
        twice["available_day"] + later,
        twice["value"],
        twice["flags"] | int(Artefact.DUPLICATE),
    )


def _file_letters(batch: Batch, letters: Batch, config: ArtefactConfig, gp: SystemStore) -> None:
    if len(letters["patient"]):  # (no letter: the batch's letters carry only the ledger's columns)
        arrived = select(letters, letters["arrival_day"] != NEVER)
        flags = arrived["flags"] & int(Artefact.DELAYED)
        gp.append(
            arrived["patient"],
            arrived["seq"],
            ItemType.DOCUMENT,
            arrived["concept"],
            arrived["day"],
            arrived["arrival_day"],
            flags=flags,
        )

    # diagnoses and medicines written in a discharge summary: linked to the same admission as the discharge
    discharges = select(letters, letters["kind"] == LedgerKind.DISCHARGE)
    _file_letter_diagnoses(batch, discharges, config, gp)
    _file_letter_medicines(batch, discharges, gp)


def _letter_of(items: Batch, discharges: Batch, day_column: str) -> np.ndarray:
    """(k,) ``day_column`` (arrival or coding day) of the discharge letter of each item's admission (NEVER: none).

    Items and their discharge are logged together (care's discharge), so they reach one batch.
    """
    if len(items["seq"]) == 0 or len(discharges["seq"]) == 0:
        return np.full(len(items["seq"]), NEVER, dtype=np.int64)
    letter_key = discharges["patient"].astype(np.int64) << 32 | discharges["link"]
    order = np.argsort(letter_key)
    item_key = items["patient"].astype(np.int64) << 32 | items["link"]
    pos = np.minimum(np.searchsorted(letter_key[order], item_key), len(order) - 1)
    letter = order[pos]
    return np.where(letter_key[letter] == item_key, discharges[day_column][letter], NEVER)


def _file_letter_diagnoses(batch: Batch, discharges: Batch, config: ArtefactConfig, gp: SystemStore) -> None:
    dx = select(batch, (batch["kind"] == LedgerKind.DIAGNOSIS) & is_icd10(batch["concept"]))
    if len(dx["seq"]) == 0:
        return
    coded_day = _letter_of(dx, discharges, "coded_day")
    coded = coded_day != NEVER
    concept = _hypertension_variant(dx["key"], dx["counter"], SNOMED_FOR_ICD10_ARRAY[dx["concept"]], config)
    flags = np.where(coded_day > dx["day"], Artefact.DELAYED, 0) | int(Artefact.FROM_LETTER)
    gp.append(
        dx["patient"][coded],
        dx["seq"][coded],
        ItemType.PROBLEM,
        concept[coded],
        dx["day"][coded],
        coded_day[coded],
        flags=flags[coded],
    )


def _file_letter_medicines(batch: Batch, discharges: Batch, gp: SystemStore) -> None:
    """Medicines the hospital started or changed (``HOSPITAL_PRESCRIPTION``), reconciled into the GP's list.

    Shown from the discharge letter's arrival; when the letter is lost, from the discharge day (the
    patient brings the hospital's supply and its list to the practice). Dated the discharge day.
    """
    rx = select(batch, batch["kind"] == LedgerKind.HOSPITAL_PRESCRIPTION)
    if len(rx["seq"]) == 0:
        return
    arrival = _letter_of(rx, discharges, "arrival_day")
    shown = np.where(arrival == NEVER, rx["day"], arrival)
    flags = np.where(shown > rx["day"], Artefact.DELAYED, 0) | int(Artefact.FROM_LETTER)
    gp.append(rx["patient"], rx["seq"], ItemType.MEDICATION, rx["concept"], rx["day"], shown, rx["value"], flags)
