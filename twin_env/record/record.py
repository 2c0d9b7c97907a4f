"""The multi-system record: the ledger, one store per system, and per-system views (GP readers: :mod:`.gp`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from twin_env.record.artefacts import ArtefactConfig, resolve_artefacts
from twin_env.record.gp.items import GpItems
from twin_env.record.ledger import Ledger, LedgerKind
from twin_env.record.patient_index import PatientIndex
from twin_env.record.store import ItemType, SystemStore
from twin_env.record.systems.gp import IS_DIRECT_KIND, record_direct, record_gp
from twin_env.record.systems.home import record_home
from twin_env.record.systems.imaging import record_imaging
from twin_env.record.systems.letters import record_letters
from twin_env.record.systems.pas import record_pas
from twin_env.record.systems.pathology import record_pathology
from twin_env.record.views import PatientView, build_items
from twin_env.vocab.concepts import OBSERVATION_COLUMN, OBSERVATIONS, Concept, concept_code
from twin_env.vocab.dates import NO_DAY, DateLike, day_number, to_date

SYSTEMS: tuple[str, ...] = ("gp", "pas", "lab", "imaging", "letters", "home")


@dataclasses.dataclass(frozen=True)
class Letter:
    """A letter's content: what the hospital wrote about one admission or attendance.

    ``diagnoses`` are ICD-10 concepts; ``medications`` (concept, dose) started in hospital;
    ``procedures`` imaging done. Dates: ``encounter_date`` (admission or clinic), ``written``.
    """

    event_id: str
    document: Concept
    encounter_event_id: str
    encounter_date: dt.date
    written: dt.date
    diagnoses: tuple[Concept, ...]
    medications: tuple[tuple[Concept, float], ...]
    procedures: tuple[Concept, ...]


class Record:
    """Every system's record of N patients (ids ``first_id ..``), fed from one ledger.

    Args:
        patient_keys: (N,) uint64 random-stream keys of the patients (artefact draws).
        first_id: id of the first patient.
        artefacts: True (documented defaults), False (a record that agrees with the truth), or an
            :class:`ArtefactConfig`.
    """

    def __init__(self, patient_keys: np.ndarray, first_id: int = 0, artefacts: bool | ArtefactConfig = True) -> None:
        self.config = resolve_artefacts(artefacts)
        self.first_id = first_id
        self._keys = np.asarray(patient_keys, dtype=np.uint64)
        n = len(self._keys)
        self.ledger = Ledger(n, first_id)
        self._episode_seq = np.zeros(n, dtype=np.int32)  # ledger seq of each row's first event this episode
        self.stores = {name: SystemStore(name) for name in SYSTEMS}
        #: Per system and for the ledger, (N,) position where each row's current patient's items begin.
        self._episode_start = {name: np.zeros(n, dtype=np.int64) for name in (*SYSTEMS, "ledger")}
        self._as_of = np.full(n, NO_DAY, dtype=np.int64)  # each row's day as of the last advance
        #: Model outputs written back to the GP record, one dict of (k,) columns per run.
        self.model_outputs: list[dict[str, np.ndarray]] = []
        self._indexes: dict[str, PatientIndex] = {}  # per system, made on the first read of some rows' items

    def reset_rows(self, rows: np.ndarray, patient_keys: np.ndarray) -> None:
        """New patients in batch ``rows`` (k,), with random-stream keys ``patient_keys`` (k,).

        The old patients' events are ingested first; the rows keep their ids and ledger numbering,
        readers see only the new patients' items, and their artefact draws restart at event counter 0.
        """
        rows = np.asarray(rows, dtype=np.intp)
        self.ingest()
        self._keys[rows] = np.asarray(patient_keys, dtype=np.uint64)
        self._episode_seq[rows] = self.ledger.next_seq(rows)
        for name, log in self._logs():
            self._episode_start[name][rows] = len(log)
        for index in self._indexes.values():
            index.update()
            index.clear(rows)

    def forget_finished_patients(self) -> None:
        """Free the ledger events and items of patients who left their rows (a rolling record).

        Everything before the earliest current patient's first position goes, once that is at
        least half of what is held (amortised: each item is freed once). Earlier patients' views,
        letters and exports are then no longer available.
        """
        for name, log in self._logs():
            start, held_from = int(self._episode_start[name].min()), log.held_from
            if start - held_from > (len(log) - held_from) // 2:
                log.forget_before(start)

    def _logs(self) -> tuple[tuple[str, SystemStore | Ledger], ...]:
        """The stores and the ledger, by the keys of ``_episode_start``."""
        return (*self.stores.items(), ("ledger", self.ledger))

    def current_items(self, system: str, patients: np.ndarray) -> dict[str, np.ndarray]:
        """(M,) columns of ``system``'s items from the earliest current-episode start of ``patients`` (ids) on.

        Items before it belong to earlier patients of a rolling record (vector env auto-reset),
        so reads cost one episode's items, not the whole history. The result may still hold
        other rows' earlier patients (filter by ``seq``); treat it as read-only.
        """
        store = self.stores[system]
        starts = self._episode_start[system][np.asarray(patients, dtype=np.int64) - self.first_id]
        return store.since(int(starts.min()) if len(starts) else len(store))

    def patient_items(self, system: str, patients: np.ndarray) -> dict[str, np.ndarray]:
        """(m,) columns of ``system``'s items of ``patients`` (ids, distinct) current patients, in append order.

        Costs the patients' own items (a per-row index of the store), not the store's; items of
        earlier patients of a rolling record are not among them.
        """
        at = self.patient_rows(system, patients)
        return {k: v[at] for k, v in self.stores[system].columns.items()}

    def patient_rows(self, system: str, patients: np.ndarray) -> np.ndarray:
        """(m,) ascending indices into ``stores[system].columns`` of ``patients``' (ids, distinct) current items."""
        store = self.stores[system]
        if system not in self._indexes:
            self._indexes[system] = PatientIndex(store, self.n_patients, self.first_id, self._episode_start[system])
        return self._indexes[system].of(np.asarray(patients, dtype=np.int64) - self.first_id) - store.held_from

    def ingest(self) -> None:
        """Pass the ledger events logged since the last call to every system.

        Artefact draws are keyed by (patient key, ``counter``): the event's number within the
        row's current patient, so a patient's record is the same whatever row or episode it has.
        """
        batch = self.ledger.take_unread()
        if len(batch["patient"]) == 0:
            return
        cfg, s = self.config, self.stores
        if IS_DIRECT_KIND[batch["kind"]].all():  # e.g. a model run's scores: the GP's own entries only (no draws)
            record_direct(batch, s["gp"])
            return
        row = batch["patient"] - self.first_id
        batch["key"] = self._keys[row]
        batch["counter"] = batch["seq"] - self._episode_seq[row]
        results = record_pathology(batch, cfg, s["lab"])
        record_pas(batch, cfg, s["pas"])
        record_imaging(batch, cfg, s["imaging"])
        letters = record_letters(batch, cfg, s["letters"])
        record_gp(batch, cfg, s["gp"], results, letters)
        record_home(batch, cfg, s["home"])

    @property
    def n_patients(self) -> int:
        """N: patient rows (ids ``first_id .. first_id + N - 1``)."""
        return len(self._keys)

    @property
    def episode_seq(self) -> np.ndarray:
        """(N,) ledger seq of each row's current patient's first event (readers drop items before it); read-only."""
        view = self._episode_seq.view()
        view.flags.writeable = False
        return view

    def ingest_history(self) -> None:
        """:meth:`ingest` the events logged since the last call as history already reported: without artefacts
        (no delay, error or gap), whatever the record's own setting (a given patient's record before the start)."""
        config, self.config = self.config, ArtefactConfig.off()
        try:
            self.ingest()
        finally:
            self.config = config

    def advance(self, date: DateLike | np.ndarray) -> None:
        """Set the current date: ``date``, or per row for (N,) day numbers (what :meth:`latest_values` reads)."""
        day = date if isinstance(date, np.ndarray) else day_number(date)
        self._as_of[:] = np.broadcast_to(np.asarray(day, dtype=np.int64), self._as_of.shape)

    def view(self, system: str, patient: int, as_of: DateLike) -> PatientView:
        """What ``system`` shows for ``patient`` (id) as of ``as_of``: items available by then."""
        if system not in self.stores:
            raise ValueError(f"unknown system {system!r}; allowed: {list(SYSTEMS)}")
        store = self.stores[system]
        day = day_number(as_of)
        rows = store.rows_of(patient, day)
        cols = store.columns
        links = self._links(cols["patient"][rows], cols["seq"][rows])
        return PatientView(system, patient, to_date(day), build_items(cols, rows, links))

    def gp_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("gp", patient, as_of)

    def pas_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("pas", patient, as_of)

    def lab_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("lab", patient, as_of)

    def imaging_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("imaging", patient, as_of)

    def letters_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("letters", patient, as_of)

    def home_view(self, patient: int, as_of: DateLike) -> PatientView:
        return self.view("home", patient, as_of)

    def letter(self, event_id: str) -> Letter:
        """The content of the letter written for ledger event ``event_id`` (a discharge or attendance)."""
        patient, seq = (int(x) for x in event_id.split("-"))
        cols = self.ledger.columns
        row = int(self.ledger.find(np.array([patient]), np.array([seq]))[0])
        kind = LedgerKind(int(cols["kind"][row]))
        if kind not in (LedgerKind.DISCHARGE, LedgerKind.OUTPATIENT_ATTENDANCE):
            raise ValueError(f"event {event_id} is a {kind.name}, not a discharge or outpatient attendance")
        encounter = int(cols["link"][row]) if kind == LedgerKind.DISCHARGE else seq
        enc_row = int(self.ledger.find(np.array([patient]), np.array([encounter]))[0])
        mine = self.ledger.rows_of(patient)
        linked = mine[cols["link"][mine] == encounter] if kind == LedgerKind.DISCHARGE else mine[:0]
        of_kind = {
            k: linked[cols["kind"][linked] == k]
            for k in (LedgerKind.DIAGNOSIS, LedgerKind.HOSPITAL_PRESCRIPTION, LedgerKind.IMAGING)
        }
        return Letter(
            event_id=event_id,
            document=Concept.DISCHARGE_SUMMARY if kind == LedgerKind.DISCHARGE else Concept.CLINIC_LETTER,
            encounter_event_id=f"{patient}-{encounter}",
            encounter_date=to_date(int(cols["day"][enc_row])),
            written=to_date(int(cols["day"][row])),
            diagnoses=tuple(Concept(int(c)) for c in cols["concept"][of_kind[LedgerKind.DIAGNOSIS]]),
            medications=tuple(
                (Concept(int(c)), float(v))
                for c, v in zip(
                    cols["concept"][of_kind[LedgerKind.HOSPITAL_PRESCRIPTION]],
                    cols["value"][of_kind[LedgerKind.HOSPITAL_PRESCRIPTION]],
                )
            ),
            procedures=tuple(Concept(int(c)) for c in cols["concept"][of_kind[LedgerKind.IMAGING]]),
        )

    def add_model_outputs(self, *runs: dict[str, np.ndarray]) -> None:
        """Write model runs back to the GP record (see ``docs/models.md``), all in one ledger append and ingest.

        Each run: (k,) columns ``patient``, ``day`` (days since 1970-01-01), ``model_id``,
        ``score_percent``, ``imputed`` and ``code`` (SNOMED CT of the score, "" if none). Each
        score becomes a ledger event (``RISK_SCORE``) and a GP item of type ``RISK_SCORE``
        (concept ``QRISK3_SCORE`` for the QRISK3 code, else the uncoded ``RISK_SCORE``), shown
        at once; the runs' columns are kept in :attr:`model_outputs`, in run order.
        """
        checked = []
        for outputs in runs:
            lengths = {len(v) for v in outputs.values()}
            if len(lengths) > 1:
                raise ValueError(f"model output columns must have equal lengths, got {sorted(lengths)}")
            checked.append({k: np.asarray(v) for k, v in outputs.items()})
        if not checked:
            return
        self.model_outputs.extend(checked)
        qrisk3 = concept_code(Concept.QRISK3_SCORE).code  # type: ignore[union-attr]
        columns = {k: np.concatenate([run[k] for run in checked]) for k in ("patient", "day", "score_percent", "code")}
        concept = np.where(columns["code"].astype(str) == qrisk3, Concept.QRISK3_SCORE, Concept.RISK_SCORE)
        rows = columns["patient"].astype(np.intp) - self.first_id
        self.ledger.append(rows, LedgerKind.RISK_SCORE, concept, columns["day"], value=columns["score_percent"])
        self.ingest()

    def latest_values(self, concept: Concept) -> tuple[np.ndarray, np.ndarray]:
        """Latest GP-recorded value (N,) (NaN if none) and its effective date (N,) ``datetime64[D]`` (NaT if none).

        "Latest" is by effective date (then ledger seq) among the observations of ``concept`` the
        GP record shows each row's current patient as of the last :meth:`advance`.
        """
        if OBSERVATION_COLUMN[concept] < 0:
            allowed = [c.name for c in OBSERVATIONS]
            raise ValueError(f"{Concept(concept).name} is not an observation; allowed: {allowed}")
        patients = self.first_id + np.arange(self.n_patients, dtype=np.int64)
        items = GpItems.of(self, patients, self._as_of)
        found, value, day, _ = items.last(items.select(ItemType.OBSERVATION, (int(concept),)))
        return value, np.where(found, day.astype("datetime64[D]"), np.datetime64("NaT"))

    @property
    def nbytes(self) -> int:
        """Memory held by the ledger and the stores, in bytes."""
        return self.ledger.nbytes + sum(s.nbytes for s in self.stores.values())

    def _links(self, patient: np.ndarray, seq: np.ndarray) -> np.ndarray:
        if len(patient) == 0:
            return np.zeros(0, dtype=np.int32)
        return self.ledger.columns["link"][self.ledger.find(patient, seq)]
