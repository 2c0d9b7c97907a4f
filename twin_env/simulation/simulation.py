"""The composition root: one patient population's twin, the care it receives, and its record.

Each :meth:`Simulation.step`: the twin advances by ``dt_years``; its true events are logged; care
responds (admissions, discharges, consultations, tests, repeats, clinics: :mod:`twin_env.care`);
then every record system records what it saw. Orders (agent actions, model-triggered actions)
reach care only through :meth:`Simulation.execute`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin_env.care import baseline, orders
from twin_env.care.channels import CareChannel
from twin_env.care.context import CareContext
from twin_env.care.parameters import CareParameters
from twin_env.care.response import respond
from twin_env.care.state import CareState
from twin_env.record.artefacts import ArtefactConfig
from twin_env.record.record import Record
from twin_env.simulation.truth import log_events
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import BaselineDiagnoses
from twin_env.twin.cohort import MAX_AGE_YEARS, sample_population
from twin_env.twin.events import StepEvents
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.simulator import TwinSimulator
from twin_env.twin.state import PatientState
from twin_env.vocab.dates import DAYS_PER_YEAR, DEFAULT_START_DATE, MONTHS_PER_YEAR, DateLike, day_number
from twin_env.vocab.orders import Order


class Simulation:
    """N patients' twin, care and record (N batch rows), advanced one step at a time.

    Args:
        state, diagnoses: from :func:`twin_env.twin.sample_population` (the state is owned and mutated).
        first_id: patient id of row 0 (ids are ``first_id + row``).
        start_date: simulated date of the first step (default 2020-04-01); every row's calendar
            starts there, and a row restarts there when :meth:`reset_rows` gives it a new patient.
        artefacts: recording artefacts (True, False or an ArtefactConfig).
        twin_params, care_params: parameter sets (default: packaged data).

    Attributes: ``state`` (the twin's :class:`PatientState`), ``simulator`` (:class:`TwinSimulator`),
    ``params`` (:class:`CareParameters`), ``record`` and its ``ledger``, ``start_day`` (days since
    1970-01-01), ``days`` (N,) each row's current date, ``years`` (N,) simulated years of each
    row's current patient, ``diagnosed`` (condition -> (N,) bool, known to the GP), ``last_events``
    (the twin's :class:`StepEvents` of the last :meth:`step`; None before the first).
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
        self.years = np.zeros(state.n)
        self.last_events: StepEvents | None = None
        self._care = CareState(state.n, diagnoses, self.start_day)
        self.care = CareContext(state, self.simulator.params, self.params, self.ledger, self._care, self.record)
        baseline.seed_baseline(self.care)
        self.record.ingest()
        self.record.advance(self.days)

    @classmethod
    def from_population(
        cls,
        n: int,
        population_seed: int,
        *,
        min_age_years: float = 0.0,
        max_age_years: float = MAX_AGE_YEARS,
        first_index: int = 0,
        start_date: DateLike = DEFAULT_START_DATE,
        artefacts: bool | ArtefactConfig = True,
        twin_params: TwinParameters | None = None,
        care_params: CareParameters | None = None,
    ) -> Simulation:
        """Patients ``first_index .. first_index + n - 1`` of the population ``population_seed``.

        Ages (years) at the start are in [min_age_years, max_age_years]; patient ids are the
        population indices.
        """
        state, diagnoses = sample_population(
            n,
            population_seed,
            min_age=min_age_years,
            max_age=max_age_years,
            config=twin_params,
            first_index=first_index,
        )
        return cls(
            state,
            diagnoses,
            first_id=first_index,
            start_date=start_date,
            artefacts=artefacts,
            twin_params=twin_params,
            care_params=care_params,
        )

    # ----- the calendar ----------------------------------------------------------------------
    @property
    def days(self) -> np.ndarray:
        """(N,) int64: each row's current date (days since 1970-01-01)."""
        return self._care.days

    @property
    def diagnosed(self) -> dict[str, np.ndarray]:
        """Condition name -> (N,) bool: diagnosed by the GP."""
        return self._care.diagnosed

    @property
    def day(self) -> int:
        """The latest row's current date (days since 1970-01-01): every row's, while rows move together."""
        return int(self.days.max())

    @property
    def date(self) -> np.datetime64:
        """The current simulated date (of :attr:`day`)."""
        return np.datetime64(self.day, "D")

    # ----- advancing -------------------------------------------------------------------------
    def step(self, dt_years: float = 1.0 / MONTHS_PER_YEAR) -> StepEvents:
        """Advance the twin, the care and the record by ``dt_years`` (0 < dt <= 0.25); returns the twin's events."""
        state, care = self.state, self._care
        counter = state.step_index.copy()
        day0 = care.days.copy()
        self.years += dt_years
        day1 = self.start_day + np.rint(self.years * DAYS_PER_YEAR).astype(np.int64)
        span = np.maximum(day1 - day0, 1)
        keys = state.patient_key
        events = self.simulator.step(state, dt_years)
        self.last_events = events
        event_day = day0 + (rs.uniform(keys, counter, CareChannel.EVENT_DAY) * span).astype(np.int32)
        log_events(self.ledger, events, event_day)
        respond(self.care, events, event_day, day0, day1, span, counter)
        care.days = day1
        self.record.ingest()
        self.record.advance(day1)
        return events

    def run(
        self,
        years: float,
        *,
        steps_per_year: int = MONTHS_PER_YEAR,
        on_step: Callable[[Simulation, int], None] | None = None,
    ) -> None:
        """Step ``round(years * steps_per_year)`` times by ``1 / steps_per_year`` years.

        ``on_step(sim, steps_done)`` is called after each step (progress bars, scheduled orders).
        """
        for done in range(1, int(round(years * steps_per_year)) + 1):
            self.step(1.0 / steps_per_year)
            if on_step is not None:
                on_step(self, done)

    def reset_rows(self, rows: np.ndarray, state: PatientState, diagnoses: BaselineDiagnoses) -> None:
        """Replace batch ``rows`` (k,) by new patients (k rows of ``state``) starting on the start date.

        The rows keep their patient ids and continue their ledger numbering (a rolling record);
        their calendars restart at the start date and their pending care (clinics, admissions,
        orders, repeats) is cancelled.
        """
        rows = np.asarray(rows, dtype=np.intp)
        self.state.put(rows, state)
        self.record.reset_rows(rows, state.patient_key)
        self.years[rows] = 0.0
        self._care.clear_rows(rows, diagnoses, self.start_day)
        baseline.seed_baseline(self.care, rows)
        self.record.ingest()
        self.record.advance(self.days)

    # ----- orders ----------------------------------------------------------------------------
    def execute(self, rows: np.ndarray, order: Order) -> None:
        """Carry out one order for batch ``rows`` (k,) today: the one entry for orders (:mod:`twin_env.vocab.orders`).

        Orders for dead rows are ignored. ``model`` orders (a model run) are the deployment
        harness's, not care's: nothing to do here.
        """
        if order.kind == "prescribe":
            if order.dose is None:
                raise ValueError(f"prescribe order for {order.name!r} has no dose")
            self.prescribe(rows, order.name, float(order.dose))
        elif order.kind == "stop":
            self.stop(rows, order.name)
        elif order.kind == "test":
            self.order_test(rows, order.name)
        elif order.kind == "refer":
            self.refer(rows, order.name)
        elif order.kind == "review" and order.name == "bp_check":
            orders.home_bp_series(self.care, rows)
        elif order.kind == "review":
            self.book_review(rows)
        elif order.kind != "model":
            raise ValueError(f"unknown order kind {order.kind!r}; allowed: prescribe, stop, test, refer, review, model")

    def prescribe(self, rows: np.ndarray, drug: str, dose: float) -> None:
        """Start (or change to) ``drug`` at ``dose`` (catalogue units) today; the twin takes it."""
        orders.prescribe(self.care, rows, drug, dose)

    def stop(self, rows: np.ndarray, drug: str) -> None:
        """Stop ``drug`` today: repeats end and the twin stops taking it."""
        orders.stop(self.care, rows, drug)

    def order_test(self, rows: np.ndarray, test: str) -> None:
        """Order a test panel (``hba1c``, ``lipids``, ``renal``, ``acr``); the sample is taken next step."""
        orders.order_test(self.care, rows, test)

    def refer(self, rows: np.ndarray, service: str) -> None:
        """Refer to ``service`` today; an outpatient attendance follows after a wait."""
        orders.refer(self.care, rows, service)

    def book_review(self, rows: np.ndarray) -> None:
        """Book a practice-initiated review (consultation with BP) in the next step."""
        orders.book_review(self.care, rows)

    def living(self, rows: np.ndarray) -> np.ndarray:
        """The rows (k,) of ``rows`` whose patient is alive."""
        return self.care.living(rows)


def simulate(
    n: int,
    seed: int,
    years: float,
    *,
    steps_per_year: int = MONTHS_PER_YEAR,
    min_age_years: float = 0.0,
    max_age_years: float = MAX_AGE_YEARS,
    first_index: int = 0,
    start_date: DateLike = DEFAULT_START_DATE,
    artefacts: bool | ArtefactConfig = True,
    twin_params: TwinParameters | None = None,
    care_params: CareParameters | None = None,
    on_step: Callable[[Simulation, int], None] | None = None,
) -> Simulation:
    """Sample ``n`` patients of population ``seed`` and simulate them for ``years`` under usual care.

    Steps are ``1 / steps_per_year`` years long (monthly by default); ``on_step(sim, steps_done)``
    runs after each. See :meth:`Simulation.from_population` for the population arguments.
    """
    sim = Simulation.from_population(
        n,
        seed,
        min_age_years=min_age_years,
        max_age_years=max_age_years,
        first_index=first_index,
        start_date=start_date,
        artefacts=artefacts,
        twin_params=twin_params,
        care_params=care_params,
    )
    sim.run(years, steps_per_year=steps_per_year, on_step=on_step)
    return sim
