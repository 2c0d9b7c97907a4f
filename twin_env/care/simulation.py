"""CareSimulation: the twin, the health service's response, and the record, advanced together.

Each :meth:`CareSimulation.step`: the twin advances by ``dt``; true events are logged; acute
events bring emergency admissions (with the secondary prevention a hospital starts, applied to
the twin) and later discharges; patients consult their GP (rate by age and diagnosed
conditions; annual reviews when due; reviews booked by the agent), have BP (and sometimes BMI)
measured, smoking status asked at reviews and tests taken, and are diagnosed from what is
measured; repeats are issued every 28 days while the twin says the drug is taken; outpatient attendances follow referrals; then every system records
what it saw. All loops are over event kinds and drugs, never over patients.

Agent actions (vectorised over batch rows, taking effect on the current date before the next
step): :meth:`prescribe`, :meth:`titrate`, :meth:`stop`, :meth:`order_test`, :meth:`refer`,
:meth:`book_review`.
"""

from __future__ import annotations

import enum

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.record.artefacts import ArtefactConfig, delay_days
from twin_env.record.ledger import LedgerKind
from twin_env.record.record import Record
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.events import EventKind
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment import dose_for_value, field_value
from twin_env.twin.treatment_effects import apply_treatment_effects
from twin_env.vocab.concepts import SMOKING_CONCEPTS, Concept
from twin_env.vocab.dates import DAYS_PER_YEAR, DEFAULT_START_DATE, NEVER, DateLike, day_number
from twin_env.vocab.drugs import DRUG_FOR_FIELD, DRUGS, get_drug
from twin_env.vocab.orders import Order
from twin_env.vocab.panels import ANALYTES, Test, get_panel
from twin_env.vocab.problems import CONDITION_CONCEPT
from twin_env.vocab.services import SERVICES, get_service


class CareChannel(enum.IntEnum):
    """Random-stream channels of the care layer (counter = the twin's step index)."""

    CONSULTS = 300
    CONSULT_DAY = 301
    BP_MEASURED = 302
    SBP_VISIT = 303
    DBP_VISIT = 304
    SBP_NOISE = 305
    DBP_NOISE = 306
    EVENT_DAY = 307
    LENGTH_OF_STAY = 308
    AF_PRESENTS = 309
    AF_DETECTED = 310
    OUTPATIENT_WAIT = 311
    TEST_DAY = 312
    BASELINE_STAGGER = 313
    BMI_MEASURED = 314
    BMI_NOISE = 315
    SMOKING_RECORDED = 316
    REVIEW_HBA1C = 317
    ANALYTE = 320  # offset by the analyte's index


_ANALYTE_INDEX = {c: i for i, c in enumerate(c for panel in ANALYTES.values() for c, _, _ in panel)}

_ACUTE = {  # event kind -> (ICD-10 concept, length-of-stay parameter, imaging)
    EventKind.MYOCARDIAL_INFARCTION: (Concept.ICD10_MI, "length_of_stay_median_days_mi", (Concept.ECG,)),
    EventKind.STROKE: (Concept.ICD10_STROKE, "length_of_stay_median_days_stroke", ()),
    EventKind.HEART_FAILURE: (
        Concept.ICD10_HEART_FAILURE,
        "length_of_stay_median_days_heart_failure",
        (Concept.CHEST_XRAY, Concept.ECHOCARDIOGRAM),
    ),
}
_ONSET = {
    EventKind.TYPE2_DIABETES: Concept.TYPE2_DIABETES,
    EventKind.ATRIAL_FIBRILLATION: Concept.ATRIAL_FIBRILLATION,
}
_PRESENTS_TO_GP = {EventKind.ANGINA: Concept.ANGINA, EventKind.TIA: Concept.TIA}
_SMOKING_CONCEPT = np.array(SMOKING_CONCEPTS, dtype=np.int16)  # by the twin's smoking category 0-4


class CareSimulation:
    """N patients' twin, care and record, advanced one step at a time.

    Args:
        state, diagnoses: from :func:`twin_env.twin.sample_population` (the state is owned and mutated).
        first_id: population index of row 0 (patient ids are ``first_id + row``).
        start_date: simulated date of the first step (default 2020-04-01); every row's calendar
            starts there, and a row restarts there when :meth:`reset_rows` gives it a new patient.
        artefacts: recording artefacts (True, False or an ArtefactConfig).
        twin_params, care_params: parameter sets (default: packaged data).
    """

    def __init__(
        self,
        state: PatientState,
        diagnoses: BaselineDiagnoses,
        *,
        first_id: int = 0,
        start_date: DateLike = DEFAULT_START_DATE,
        artefacts: bool | ArtefactConfig = True,
        twin_params: TwinParameters | None = None,
        care_params: CareParameters | None = None,
    ) -> None:
        self.state = state
        self.simulator = TwinSimulator(twin_params)
        self.params = care_params or CareParameters.default()
        self.record = Record(state.patient_key, first_id, artefacts)
        self.ledger = self.record.ledger
        self.start_day = day_number(start_date)
        n = state.n
        self.days = np.full(n, self.start_day, dtype=np.int64)  # each row's current date (days since 1970-01-01)
        self.years = np.zeros(n)  # simulated years of each row's current patient
        self.diagnosed = {name: np.array(diagnoses.diagnosed[name], dtype=bool) for name in diagnoses.diagnosed}
        self._rx_concept = {f: np.zeros(n, dtype=np.int16) for f in TREATMENT_FIELDS}
        self._rx_dose = {f: np.zeros(n) for f in TREATMENT_FIELDS}
        self._next_issue = {f: np.full(n, NEVER, dtype=np.int32) for f in TREATMENT_FIELDS}
        self._next_review = np.full(n, NEVER, dtype=np.int32)
        self._discharge_day = np.full(n, NEVER, dtype=np.int32)
        self._admission = np.full(n, -1, dtype=np.int32)  # seq of the open admission
        self._admission_dx = np.zeros(n, dtype=np.int16)
        self._clinic_day = {s: np.full(n, NEVER, dtype=np.int32) for s in SERVICES}
        self._clinic_link = {s: np.full(n, -1, dtype=np.int32) for s in SERVICES}
        self._booked = np.zeros(n, dtype=bool)
        self._ordered = {t: np.zeros(n, dtype=bool) for t in Test}
        self._seed_baseline()
        self.record.ingest()
        self.record.advance(self.days)

    # ----- agent actions -------------------------------------------------------------------
    def execute(self, rows: np.ndarray, order: Order) -> None:
        """Carry out one order for batch ``rows`` today (the one entry for actions: see :mod:`twin_env.vocab.orders`).

        ``model`` orders (a model run) are the deployment harness's, not care's: nothing to do here.
        """
        if order.kind == "prescribe":
            self.prescribe(rows, order.name, float(order.dose))  # type: ignore[arg-type]
        elif order.kind == "stop":
            self.stop(rows, order.name)
        elif order.kind == "test":
            self.order_test(rows, order.name)
        elif order.kind == "refer":
            self.refer(rows, order.name)
        elif order.kind == "review":
            self.book_review(rows)
        elif order.kind != "model":
            raise ValueError(f"unknown order kind {order.kind!r}; allowed: prescribe, stop, test, refer, review, model")

    def prescribe(self, rows: np.ndarray, drug: str, dose: float) -> None:
        """Start (or change to) ``drug`` at ``dose`` for batch ``rows`` today; the twin takes it."""
        d = get_drug(drug)
        d.check_dose(dose)
        rows = self._living(rows)
        self._issue(rows, d.field, d.products[dose], dose, LedgerKind.PRESCRIPTION, self.days[rows])
        self.state.columns[d.field][rows] = field_value(d, dose, self.simulator.params)
        apply_treatment_effects(self.state, self.simulator.params)

    def titrate(self, rows: np.ndarray, drug: str, dose: float) -> None:
        """Change the dose of a drug already prescribed (a new issue at the new dose)."""
        self.prescribe(rows, drug, dose)

    def stop(self, rows: np.ndarray, drug: str) -> None:
        """Stop ``drug`` for batch ``rows`` today: repeats end and the twin stops taking it."""
        d = get_drug(drug)
        rows = self._living(rows)
        rows = rows[self._rx_concept[d.field][rows] > 0]
        self.ledger.append(rows, LedgerKind.PRESCRIPTION_ENDED, self._rx_concept[d.field][rows], self.days[rows])
        self._rx_concept[d.field][rows] = 0
        self._next_issue[d.field][rows] = NEVER
        self.state.columns[d.field][rows] = 0.0
        apply_treatment_effects(self.state, self.simulator.params)

    def order_test(self, rows: np.ndarray, test: str) -> None:
        """Order a test panel (``hba1c``, ``lipids``, ``renal``, ``acr``); the sample is taken next step."""
        self._ordered[get_panel(test)][self._living(rows)] = True

    def refer(self, rows: np.ndarray, service: str) -> None:
        """Refer batch ``rows`` to ``service`` today; an outpatient attendance follows after a wait."""
        concept, attends = get_service(service).referral, get_service(service).outpatient
        rows = self._living(rows)
        seq = self.ledger.append(rows, LedgerKind.REFERRAL, concept, self.days[rows])
        if attends:
            wait = self._lognormal(
                rows, CareChannel.OUTPATIENT_WAIT, "outpatient_wait_median_days", "outpatient_wait_sigma_log"
            )
            self._clinic_day[service][rows] = self.days[rows] + wait
            self._clinic_link[service][rows] = seq

    def book_review(self, rows: np.ndarray) -> None:
        """Book a practice-initiated review (consultation with BP) in the next step."""
        self._booked[self._living(rows)] = True

    def reset_rows(self, rows: np.ndarray, state: PatientState, diagnoses: BaselineDiagnoses) -> None:
        """Replace batch ``rows`` (k,) by new patients (k rows of ``state``) starting on the start date.

        The rows keep their patient ids and continue their ledger numbering (a rolling record);
        their calendars restart at the start date and their pending care (clinics, admissions,
        orders, repeats) is cancelled.
        """
        rows = np.asarray(rows, dtype=np.intp)
        self.state.put(rows, state)
        self.record.reset_rows(rows, state.patient_key)
        self.days[rows], self.years[rows] = self.start_day, 0.0
        for name, flags in diagnoses.diagnosed.items():
            self.diagnosed[name][rows] = flags
        for table in (self._rx_concept, self._rx_dose):
            for array in table.values():
                array[rows] = 0
        for array in (*self._next_issue.values(), *self._clinic_day.values()):
            array[rows] = NEVER
        for array in self._clinic_link.values():
            array[rows] = -1
        self._next_review[rows], self._discharge_day[rows], self._admission[rows] = NEVER, NEVER, -1
        self._admission_dx[rows], self._booked[rows] = 0, False
        for array in self._ordered.values():
            array[rows] = False
        self._seed_baseline(rows)
        self.record.ingest()
        self.record.advance(self.days)

    # ----- the step ------------------------------------------------------------------------
    @property
    def day(self) -> int:
        """The latest row's current date (days since 1970-01-01): every row's, while rows move together."""
        return int(self.days.max())

    @property
    def date(self) -> np.datetime64:
        """The current simulated date (of :attr:`day`)."""
        return np.datetime64(self.day, "D")

    def step(self, dt_years: float = 1.0 / 12.0) -> None:
        """Advance the twin, the care and the record by ``dt_years``."""
        state, ledger = self.state, self.ledger
        counter = state.step_index.copy()
        day0 = self.days.copy()
        self.years += dt_years
        day1 = self.start_day + np.rint(self.years * DAYS_PER_YEAR).astype(np.int64)
        span = np.maximum(day1 - day0, 1)
        keys = state.patient_key
        events = self.simulator.step(state, dt_years)
        event_day = day0 + (rs.uniform(keys, counter, CareChannel.EVENT_DAY) * span).astype(np.int32)
        kind = events.kind

        onset_rows = {
            Concept.ESSENTIAL_HYPERTENSION: np.flatnonzero(events.hypertension_onset),
            Concept.CKD_STAGE_3: np.flatnonzero(events.ckd_onset),
        }
        for k, concept in _ONSET.items():
            onset_rows[concept] = np.flatnonzero(kind == k)
        for concept, rows in onset_rows.items():
            ledger.append(rows, LedgerKind.ONSET, concept, event_day[rows])
        acute = np.flatnonzero(np.isin(kind, [*_ACUTE, *_PRESENTS_TO_GP]))
        acute_concept = np.select(
            [
                kind[acute] == EventKind.MYOCARDIAL_INFARCTION,
                kind[acute] == EventKind.STROKE,
                kind[acute] == EventKind.HEART_FAILURE,
                kind[acute] == EventKind.ANGINA,
            ],
            [Concept.ACUTE_MI, Concept.STROKE, Concept.HEART_FAILURE, Concept.ANGINA],
            Concept.TIA,
        )
        ledger.append(acute, LedgerKind.ACUTE_EVENT, acute_concept, event_day[acute])
        died = np.flatnonzero(events.died)
        ledger.append(
            died, LedgerKind.DEATH, Concept.DEATH, event_day[died], value=(kind[died] != EventKind.DEATH_NON_CVD) * 1.0
        )
        self._patient_stops(events.treatment_stopped, event_day)
        self._discharges(day1)
        self._admissions(kind, events.fatal, event_day, counter)
        forced = self._gp_presentations(kind, events.fatal, event_day, counter)
        self._consultations(day0, day1, span, counter, forced)
        self._repeats(day1)
        self._attendances(day1)
        self._close_dead()
        self.days = day1
        self.record.ingest()
        self.record.advance(day1)

    # ----- internals -----------------------------------------------------------------------
    def _living(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.intp)
        return rows[self.state.alive[rows]]

    def _lognormal(
        self, rows: np.ndarray, channel: int, median: str, sigma: str, counter: np.ndarray | None = None
    ) -> np.ndarray:
        """Whole days (k,) int32, lognormal with the named median and log-sd parameters, at least 1."""
        c = self.state.step_index[rows] if counter is None else counter[rows]
        days = delay_days(self.state.patient_key[rows], c, channel, self.params[median], self.params[sigma])
        return np.maximum(days, 1)

    def _issue(
        self,
        rows: np.ndarray,
        field: str,
        concept: np.ndarray | int,
        dose: np.ndarray | float,
        kind: LedgerKind,
        day: np.ndarray | int,
        link: np.ndarray | int = -1,
    ) -> None:
        self.ledger.append(rows, kind, concept, day, value=dose, link=link)
        self._rx_concept[field][rows] = concept
        self._rx_dose[field][rows] = dose
        self._next_issue[field][rows] = np.asarray(day, dtype=np.int32) + int(self.params["repeat_interval_days"])

    def _seed_baseline(self, subset: np.ndarray | None = None) -> None:
        state = self.state
        among = np.full(state.n, subset is None)
        among[subset if subset is not None else []] = True
        for name, concept in CONDITION_CONCEPT.items():
            rows = np.flatnonzero(self.diagnosed[name] & among)
            self.ledger.append(rows, LedgerKind.BASELINE_DIAGNOSIS, concept, self.days[rows])
        chd = self.diagnosed["chd"]
        mi = self.diagnosed["myocardial_infarction"]
        for concept, rows in (
            (Concept.MYOCARDIAL_INFARCTION, np.flatnonzero(mi & among)),
            (Concept.ANGINA, np.flatnonzero(chd & ~mi & among)),
        ):
            self.ledger.append(rows, LedgerKind.BASELINE_DIAGNOSIS, concept, self.days[rows])
        stagger = rs.uniform(state.patient_key, 0, CareChannel.BASELINE_STAGGER)
        for field in TREATMENT_FIELDS:
            rows = np.flatnonzero((state.columns[field] > 0) & among)
            drug = DRUG_FOR_FIELD[field]
            dose = np.array(
                [dose_for_value(drug, v, self.simulator.params) for v in np.unique(state.columns[field][rows])]
            )
            values = np.unique(state.columns[field][rows])
            dose_of_row = dose[np.searchsorted(values, state.columns[field][rows])] if rows.size else np.zeros(0)
            concept = np.array([drug.products[d] for d in dose_of_row], dtype=np.int16)
            self._issue(rows, field, concept, dose_of_row, LedgerKind.BASELINE_PRESCRIPTION, self.days[rows])
            self._next_issue[field][rows] = self.days[rows] + (
                stagger[rows] * self.params["repeat_interval_days"]
            ).astype(np.int32)
        chronic = self._chronic_diagnosed() & among
        self._next_review[chronic] = self.days[chronic] + (
            stagger[chronic] * self.params["review_interval_days"]
        ).astype(np.int32)

    def _chronic_diagnosed(self) -> np.ndarray:
        d = self.diagnosed
        return (
            d["hypertension"]
            | d["type2_diabetes"]
            | d["ckd_3_5"]
            | d["chd"]
            | d["stroke_tia"]
            | d["heart_failure"]
            | d["atrial_fibrillation"]
        )

    def _patient_stops(self, stopped: np.ndarray, day: np.ndarray) -> None:
        for index in np.unique(stopped[stopped >= 0]):
            field = TREATMENT_FIELDS[index]
            rows = np.flatnonzero(stopped == index)
            self.ledger.append(rows, LedgerKind.TREATMENT_STOPPED, self._rx_concept[field][rows], day[rows])
            self._next_issue[field][rows] = NEVER  # the patient no longer requests repeats
            self._rx_concept[field][rows] = 0

    def _admissions(self, kind: np.ndarray, fatal: np.ndarray, day: np.ndarray, counter: np.ndarray) -> None:
        p, state = self.simulator.params, self.state
        for event, (icd, los_name, imaging) in _ACUTE.items():
            rows = np.flatnonzero((kind == event) & ~fatal & (self._admission < 0))
            if rows.size == 0:
                continue
            los = self._lognormal(rows, CareChannel.LENGTH_OF_STAY, los_name, "length_of_stay_sigma_log", counter)
            seq = self.ledger.append(rows, LedgerKind.ADMISSION, Concept.EMERGENCY_ADMISSION, day[rows], value=los)
            self._admission[rows], self._admission_dx[rows] = seq, icd
            self._discharge_day[rows] = day[rows] + los
            for procedure in imaging:
                self.ledger.append(rows, LedgerKind.IMAGING, procedure, day[rows], link=seq)
            # secondary prevention started in hospital (NICE NG185, NG238, NG106)
            if event in (EventKind.MYOCARDIAL_INFARCTION, EventKind.STROKE):
                state.statin_ldl_reduction[rows] = p.statin_ldl_reduction[
                    ("atorvastatin", int(self.params["hospital_statin_atorvastatin_mg"]))
                ]
            if event in (EventKind.MYOCARDIAL_INFARCTION, EventKind.HEART_FAILURE):
                state.dose_acei[rows] = np.where(state.dose_arb[rows] > 0, 0.0, np.maximum(state.dose_acei[rows], 1.0))
                state.dose_beta_blocker[rows] = np.maximum(state.dose_beta_blocker[rows], 1.0)
            if event == EventKind.MYOCARDIAL_INFARCTION:
                wait = self._lognormal(
                    rows,
                    CareChannel.OUTPATIENT_WAIT,
                    "post_mi_clinic_median_days",
                    "outpatient_wait_sigma_log",
                    counter,
                )
                self._clinic_day["cardiology"][rows] = day[rows] + wait
                self._clinic_link["cardiology"][rows] = seq
        apply_treatment_effects(state, p)

    def _discharges(self, day1: np.ndarray) -> None:
        rows = np.flatnonzero((self._discharge_day <= day1) & self.state.alive)
        if rows.size == 0:
            return
        day, link = self._discharge_day[rows], self._admission[rows]
        self.ledger.append(rows, LedgerKind.DISCHARGE, Concept.DISCHARGE_USUAL_RESIDENCE, day, link=link)
        self.ledger.append(rows, LedgerKind.DIAGNOSIS, self._admission_dx[rows], day, link=link)
        for field in ("dose_acei", "dose_beta_blocker", "statin_ldl_reduction"):
            drug = DRUG_FOR_FIELD[field]
            value = self.state.columns[field][rows]
            started = (value > 0) & (self._rx_concept[field][rows] == 0)
            r = rows[started]
            dose = np.array([dose_for_value(drug, v, self.simulator.params) for v in value[started]])
            concept = np.array([drug.products[d] for d in dose], dtype=np.int16)
            self._issue(r, field, concept, dose, LedgerKind.HOSPITAL_PRESCRIPTION, day[started], link[started])
        for icd, name in (
            (Concept.ICD10_MI, "chd"),
            (Concept.ICD10_STROKE, "stroke_tia"),
            (Concept.ICD10_HEART_FAILURE, "heart_failure"),
        ):
            self.diagnosed[name][rows[self._admission_dx[rows] == icd]] = True
        self.diagnosed["myocardial_infarction"][rows[self._admission_dx[rows] == Concept.ICD10_MI]] = True
        self._next_review[rows] = np.minimum(self._next_review[rows], day + int(self.params["review_interval_days"]))
        self._discharge_day[rows], self._admission[rows] = NEVER, -1

    def _gp_presentations(
        self, kind: np.ndarray, fatal: np.ndarray, day: np.ndarray, counter: np.ndarray
    ) -> np.ndarray:
        """Angina, TIA and symptomatic AF present to the GP: consultation and diagnosis this step."""
        keys = self.state.patient_key
        af = (kind == EventKind.ATRIAL_FIBRILLATION) & (
            rs.uniform(keys, counter, CareChannel.AF_PRESENTS) < self.params["af_symptomatic_presentation_probability"]
        )
        forced = np.zeros(self.state.n, dtype=bool)
        for concept, mask in (
            (Concept.ANGINA, kind == EventKind.ANGINA),
            (Concept.TIA, kind == EventKind.TIA),
            (Concept.ATRIAL_FIBRILLATION, af),
        ):
            rows = np.flatnonzero(mask & self.state.alive)
            seq = self.ledger.append(rows, LedgerKind.CONSULTATION, Concept.CONSULTATION, day[rows])
            self.ledger.append(rows, LedgerKind.DIAGNOSIS, concept, day[rows], link=seq)
            if concept != Concept.TIA:
                self.ledger.append(rows, LedgerKind.IMAGING, Concept.ECG, day[rows], link=seq)
            forced[rows] = True
        self.diagnosed["chd"][kind == EventKind.ANGINA] = True
        self.diagnosed["stroke_tia"][kind == EventKind.TIA] = True
        self.diagnosed["atrial_fibrillation"][af] = True
        return forced

    def _consultations(
        self, day0: np.ndarray, day1: np.ndarray, span: np.ndarray, counter: np.ndarray, presented: np.ndarray
    ) -> None:
        state, p, keys = self.state, self.params, self.state.patient_key
        age = state.age_years
        rate = np.select(
            [age < 45, age < 65, age < 75],
            [
                p["consultation_rate_per_year_under_45"],
                p["consultation_rate_per_year_45_64"],
                p["consultation_rate_per_year_65_74"],
            ],
            p["consultation_rate_per_year_75_plus"],
        )
        n_dx = sum(
            self.diagnosed[c].astype(np.int8)
            for c in (
                "hypertension",
                "type2_diabetes",
                "ckd_3_5",
                "chd",
                "stroke_tia",
                "heart_failure",
                "atrial_fibrillation",
            )
        )
        rate = rate * p["consultation_rate_ratio_per_condition"] ** n_dx
        spontaneous = rs.uniform(keys, counter, CareChannel.CONSULTS) < -np.expm1(-rate * span / DAYS_PER_YEAR)
        review = (self._next_review <= day1) | self._booked
        home = state.alive & (self._admission < 0)
        rows = np.flatnonzero(home & ~presented & (spontaneous | review))
        day = day0[rows] + (rs.uniform(keys[rows], counter[rows], CareChannel.CONSULT_DAY) * span[rows]).astype(
            np.int32
        )
        is_review = review[rows]
        d = self.diagnosed
        concept = np.where(
            ~is_review,
            Concept.CONSULTATION,
            np.where(
                d["type2_diabetes"][rows],
                Concept.DIABETES_REVIEW,
                np.where(d["hypertension"][rows], Concept.HYPERTENSION_REVIEW, Concept.MEDICATION_REVIEW),
            ),
        )
        seq = self.ledger.append(rows, LedgerKind.CONSULTATION, concept, day)
        self._booked[rows] = False
        self._next_review[rows[is_review]] = day[is_review] + int(p["review_interval_days"])
        self._next_review[rows] = np.where(
            self._chronic_diagnosed()[rows],
            np.minimum(self._next_review[rows], day + int(p["review_interval_days"])),
            self._next_review[rows],
        )
        measured = is_review | (
            rs.uniform(keys[rows], counter[rows], CareChannel.BP_MEASURED) < p["bp_measured_probability"]
        )
        self._measure_bp(rows[measured], day[measured], seq[measured], counter)
        self._record_lifestyle(rows, day, seq, is_review, counter)
        # AF found opportunistically
        u = rs.uniform(keys[rows], counter[rows], CareChannel.AF_DETECTED)
        found = (
            state.atrial_fibrillation[rows]
            & ~d["atrial_fibrillation"][rows]
            & (u < p["af_opportunistic_detection_probability"])
        )
        self.ledger.append(rows[found], LedgerKind.DIAGNOSIS, Concept.ATRIAL_FIBRILLATION, day[found], link=seq[found])
        self.ledger.append(rows[found], LedgerKind.IMAGING, Concept.ECG, day[found], link=seq[found])
        d["atrial_fibrillation"][rows[found]] = True
        # tests: routine review panels and agent orders
        r = rows[is_review]
        at_risk = (d["hypertension"] | d["chd"] | d["stroke_tia"] | d["ckd_3_5"])[r] & ~d["type2_diabetes"][r]
        screen = rs.uniform(keys[r], counter[r], CareChannel.REVIEW_HBA1C) < p["review_hba1c_probability_at_risk"]
        wants = {
            Test.HBA1C: d["type2_diabetes"][r] | (at_risk & screen),
            Test.LIPIDS: d["type2_diabetes"][r] | d["hypertension"][r] | d["chd"][r] | d["stroke_tia"][r],
            Test.RENAL: d["type2_diabetes"][r] | d["hypertension"][r] | d["ckd_3_5"][r] | d["heart_failure"][r],
            Test.ACR: d["type2_diabetes"][r] | d["ckd_3_5"][r],
        }
        ordered_day = day0 + (rs.uniform(keys, counter, CareChannel.TEST_DAY) * span).astype(np.int32)
        for panel in Test:
            self._take_sample(
                r[wants[panel]], panel, day[is_review][wants[panel]], seq[is_review][wants[panel]], counter
            )
            extra = np.flatnonzero(self._ordered[panel] & home)
            self._take_sample(extra, panel, ordered_day[extra], np.full(extra.size, -1), counter)
            self._ordered[panel][:] = False

    def _measure_bp(self, rows: np.ndarray, day: np.ndarray, link: np.ndarray, counter: np.ndarray) -> None:
        s, p = self.state, self.params
        k, c = s.patient_key[rows], counter[rows]
        visit_sd = s.sbp_visit_sd_mmhg[rows].astype(np.float64)
        sbp = (
            s.sbp_mmhg[rows]
            + visit_sd * rs.standard_normal(k, c, CareChannel.SBP_VISIT)
            + p["bp_measurement_sd_mmhg"] * rs.standard_normal(k, c, CareChannel.SBP_NOISE)
        )
        dbp = (
            s.dbp_mmhg[rows]
            + p["dbp_visit_sd_ratio"] * visit_sd * rs.standard_normal(k, c, CareChannel.DBP_VISIT)
            + p["bp_measurement_sd_mmhg"] * rs.standard_normal(k, c, CareChannel.DBP_NOISE)
        )
        sbp, dbp = np.rint(sbp), np.rint(dbp)
        self.ledger.append(rows, LedgerKind.OBSERVATION, Concept.SBP, day, value=sbp, link=link)
        self.ledger.append(rows, LedgerKind.OBSERVATION, Concept.DBP, day, value=dbp, link=link)
        new = s.hypertension[rows] & ~self.diagnosed["hypertension"][rows] & ((sbp >= 140) | (dbp >= 90))
        self.ledger.append(rows[new], LedgerKind.DIAGNOSIS, Concept.ESSENTIAL_HYPERTENSION, day[new], link=link[new])
        self.diagnosed["hypertension"][rows[new]] = True

    def _record_lifestyle(
        self, rows: np.ndarray, day: np.ndarray, link: np.ndarray, is_review: np.ndarray, counter: np.ndarray
    ) -> None:
        """BMI (true BMI + measurement noise, 0.1 kg/m2) and, at reviews, coded smoking status."""
        s, p = self.state, self.params
        k, c = s.patient_key[rows], counter[rows]
        u = rs.uniform(k, c, CareChannel.BMI_MEASURED)
        bmi = u < np.where(is_review, p["bmi_recorded_probability_review"], p["bmi_recorded_probability_consultation"])
        value = np.round(
            s.bmi_kg_m2[rows] + p["bmi_measurement_sd_kg_m2"] * rs.standard_normal(k, c, CareChannel.BMI_NOISE), 1
        )
        self.ledger.append(rows[bmi], LedgerKind.OBSERVATION, Concept.BMI, day[bmi], value=value[bmi], link=link[bmi])
        asked = is_review & (rs.uniform(k, c, CareChannel.SMOKING_RECORDED) < p["smoking_recorded_probability_review"])
        status = _SMOKING_CONCEPT[s.smoking[rows[asked]].astype(np.intp)]
        self.ledger.append(rows[asked], LedgerKind.SMOKING_STATUS, status, day[asked], link=link[asked])

    def _take_sample(
        self, rows: np.ndarray, panel: Test, day: np.ndarray, link: np.ndarray, counter: np.ndarray
    ) -> None:
        if rows.size == 0:
            return
        s, d = self.state, self.diagnosed
        order = self.ledger.append(rows, LedgerKind.TEST_ORDER, int(panel), day, link=link)
        k, c = s.patient_key[rows], counter[rows]
        for concept, field, cv in ANALYTES[panel]:
            z = rs.standard_normal(k, c, CareChannel.ANALYTE + _ANALYTE_INDEX[concept])
            value = np.round(s.columns[field][rows] * (1.0 + self.params[cv] * z), 1)
            self.ledger.append(rows, LedgerKind.TEST_RESULT, concept, day, value=value, link=order)
            if concept == Concept.HBA1C:
                new, condition, dx = s.type2_diabetes[rows] & (value >= 48.0), "type2_diabetes", Concept.TYPE2_DIABETES
            elif concept == Concept.EGFR:
                new, condition, dx = s.ckd_3_5[rows] & (value < 60.0), "ckd_3_5", Concept.CKD_STAGE_3
            else:
                continue
            new &= ~d[condition][rows]
            self.ledger.append(rows[new], LedgerKind.DIAGNOSIS, dx, day[new], link=order[new])
            d[condition][rows[new]] = True

    def _repeats(self, day1: np.ndarray) -> None:
        alive = self.state.alive
        for field in TREATMENT_FIELDS:
            due = self._next_issue[field]
            taken = self.state.columns[field] > 0
            rows = np.flatnonzero((due <= day1) & taken & alive)
            while rows.size:
                self.ledger.append(
                    rows,
                    LedgerKind.PRESCRIPTION,
                    self._rx_concept[field][rows],
                    due[rows],
                    value=self._rx_dose[field][rows],
                )
                due[rows] += int(self.params["repeat_interval_days"])
                rows = rows[due[rows] <= day1[rows]]

    def _attendances(self, day1: np.ndarray) -> None:
        for service, concept in ((s.name, s.referral) for s in SERVICES.values()):
            rows = np.flatnonzero((self._clinic_day[service] <= day1) & self.state.alive)
            self.ledger.append(
                rows,
                LedgerKind.OUTPATIENT_ATTENDANCE,
                concept,
                self._clinic_day[service][rows],
                link=self._clinic_link[service][rows],
            )
            self._clinic_day[service][rows] = NEVER

    def _close_dead(self) -> None:
        dead = ~self.state.alive
        self._discharge_day[dead] = NEVER
        self._admission[dead] = -1
        for service in SERVICES:
            self._clinic_day[service][dead] = NEVER
        for field in TREATMENT_FIELDS:
            self._next_issue[field][dead] = NEVER


__all__ = ["DEFAULT_START_DATE", "DRUGS", "SERVICES", "CareChannel", "CareSimulation", "Test"]
