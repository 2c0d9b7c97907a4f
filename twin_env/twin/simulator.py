"""The batched natural-history simulator: one implementation for 1 or 100,000 patients."""

from __future__ import annotations

import numpy as np

from twin_env.twin import glycaemia, harms, risk_factors
from twin_env.twin import random_streams as rs
from twin_env.twin.events import CASE_FATALITY_PARAMETER, DEATH_KINDS, EventKind, StepEvents
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.random_streams import Channel
from twin_env.twin.risk_equations import risk_equations_10y
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

_N_KINDS = len(EventKind)
_CVD_KINDS = tuple(int(k) for k in (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA))
_STOP_PARAMETER = {
    **{field: "stop_per_year_antihypertensive" for field in TREATMENT_FIELDS if field.startswith("dose_")},
    "statin_ldl_reduction": "stop_per_year_statin",
    "metformin_mg_day": "stop_per_year_metformin",
    "sglt2": "stop_per_year_sglt2",
    "gliclazide_mg_day": "stop_per_year_gliclazide",
}
MAX_DT_YEARS = 0.25


class TwinSimulator:
    """Advance the latent state of N patients by a time step ``dt_years``.

    Each step, in order: competing event hazards are computed from the current state; at most one
    event per patient is drawn (death, MI, angina, stroke, TIA, heart failure, AF onset or type 2
    diabetes onset), with case fatality for acute events; drugs may be stopped; then the patient
    ages, risk factors drift, eGFR declines, and hypertension / CKD onsets are detected.

    Hazards (per year):

    - first CVD: QRISK3 10-year cumulative hazard / 10 at age ``a - offset`` on untreated risk
      factors, times Ettehad 2016 relative risks for the achieved SBP fall (CHD 0.83, stroke 0.73
      per 10 mmHg) and the CTT 2010 relative risk for the achieved LDL-C fall (0.78 per mmol/L);
      split into MI / angina / stroke / TIA by fixed fractions;
    - recurrent CVD: a rate rising with age times the SMART risk score's relative hazard of smoking,
      SBP, diabetes, cholesterol, eGFR (twin.recurrent_cvd), with the same relative risks;
    - heart failure and AF onset: age-specific incidence times hazard ratios;
    - type 2 diabetes: QDiabetes-2018 model A hazard at age ``a - offset``, times the class effects
      of thiazides, beta-blockers and statins by intensity (Elliott & Meyer 2007, CTT 2024; twin.hazard_kernel);
    - death by cause (``twin/mortality.py``): CVD death outside acute events in proportion to the
      CVD event hazard, renal death by eGFR and ACR, diabetes death by HbA1c, the rest from the
      ONS life table; CVD deaths also come from acute case fatality and heart failure.

    Args:
        params: parameter set (default: the packaged data).

    Shapes: ``step`` reads and updates every field of a :class:`PatientState` of N patients in
    place and returns :class:`StepEvents` with (N,) arrays. Dead patients do not change.
    """

    def __init__(self, params: TwinParameters | None = None) -> None:
        self.params = params if params is not None else TwinParameters.default()
        p = self.params
        self._first_cvd_split = np.array(
            [
                p["first_cvd_fraction_chd"] * p["chd_fraction_myocardial_infarction"],
                p["first_cvd_fraction_chd"] * (1.0 - p["chd_fraction_myocardial_infarction"]),
                p["first_cvd_fraction_stroke"],
                p["first_cvd_fraction_tia"],
            ]
        )
        recurrent = self._first_cvd_split * np.array([1.0, 0.0, 1.0, 1.0])
        self._recurrent_cvd_split = recurrent / recurrent.sum()
        self._log_rr = {
            "ldl": np.log(p["ctt_rr_major_vascular_per_mmol_l_ldl"]),
            "chd": np.log(p["ettehad_rr_chd_per_10mmhg"]),
            "stroke": np.log(p["ettehad_rr_stroke_per_10mmhg"]),
            "heart_failure": np.log(p["ettehad_rr_heart_failure_per_10mmhg"]),
        }
        self._stop_rates = np.array([p[_STOP_PARAMETER[f]] for f in TREATMENT_FIELDS])
        self._case_fatality_by_kind = np.zeros(_N_KINDS)  # (len(EventKind),) probability of death at the event
        for event, name in CASE_FATALITY_PARAMETER.items():
            self._case_fatality_by_kind[event] = p[name]

    def _refresh_risk_equations(self, state: PatientState, dt_years: float) -> None:
        """Re-evaluate QRISK3 and QDiabetes for patients whose held values are due or invalid.

        The equations are the costliest part of a step and change slowly (age, BMI, lipids) or at
        events (which invalidate the held values), so each patient's are re-evaluated every
        ``risk_equation_refresh_months`` (in steps of ``dt_years``, at least one; staggered by
        patient) at the middle of the holding period.
        """
        period = self._refresh_period_steps(dt_years)
        from twin_env.twin.refresh_kernel import due_rows  # noqa: PLC0415 (numba: compiled on first use)

        rows = due_rows(state.patient_key, state.step_index, state.qrisk3_h10, period)  # staggered by key
        if rows.size:
            state.qrisk3_h10[rows], state.qdiabetes_h10[rows] = self._risk_equations(state, rows, dt_years)

    def _refresh_period_steps(self, dt_years: float) -> int:
        return max(1, round(self.params["risk_equation_refresh_months"] / (12.0 * dt_years)))

    def _risk_equations(self, state: PatientState, rows: np.ndarray, dt_years: float) -> tuple[np.ndarray, np.ndarray]:
        """QRISK3 and QDiabetes 10-year cumulative hazards (k,) of ``rows`` at the middle of a holding period."""
        return risk_equations_10y(state, rows, self._refresh_period_steps(dt_years) * dt_years / 2.0, self.params)

    def event_hazards(self, state: PatientState, dt_years: float) -> np.ndarray:
        """Annual hazards (len(EventKind), N) of each competing event; row 0 (NONE) is unused.

        First refreshes the held risk-equation values that are due (see ``_refresh_risk_equations``).
        """
        self._refresh_risk_equations(state, dt_years)
        return self.current_hazards(state, dt_years)

    def current_hazards(self, state: PatientState, dt_years: float) -> np.ndarray:
        """Annual hazards (len(EventKind), N) from the state as it is, with its held risk-equation values.

        Reads only (the env's reward shaping calls it between steps): where no value is held yet
        (a new patient, a condition just changed) one is computed here and not stored.
        """
        from twin_env.twin import hazard_kernel  # noqa: PLC0415 (numba: compiled on first use)

        return hazard_kernel.event_hazards(state, self.params, dt_years, *self._held_risk_equations(state, dt_years))

    def _held_risk_equations(self, state: PatientState, dt_years: float) -> tuple[np.ndarray, np.ndarray]:
        """QRISK3 and QDiabetes 10-year hazards (N,) the hazards use: held values, missing ones computed, not stored.

        QDiabetes is multiplied by a prevention programme's lifelong hazard ratio (twin/lifestyle.py; 1 none).
        """
        qrisk3_h10, qdiabetes_h10 = state.qrisk3_h10, state.qdiabetes_h10
        missing = np.flatnonzero(np.isnan(qrisk3_h10))
        if missing.size:
            qrisk3_h10, qdiabetes_h10 = qrisk3_h10.copy(), qdiabetes_h10.copy()
            qrisk3_h10[missing], qdiabetes_h10[missing] = self._risk_equations(state, missing, dt_years)
        return qrisk3_h10, qdiabetes_h10 * state.diabetes_programme_hazard_ratio

    def step(self, state: PatientState, dt_years: float = 1.0 / 12.0) -> StepEvents:
        """Advance every living patient by ``dt_years`` (0 < dt <= 0.25); returns the step's events."""
        if not 0.0 < dt_years <= MAX_DT_YEARS:
            raise ValueError(f"dt_years must be in (0, {MAX_DT_YEARS}] years, got {dt_years!r}")
        p = self.params
        keys, counter = state.patient_key, state.step_index
        alive_before = state.alive.copy()
        age_before = state.age_years.copy()

        kind = self._draw_events(state, keys, counter, dt_years)
        fatal = self._case_fatality(kind, keys, counter)
        self._apply_events(state, kind, fatal, keys, counter)
        stopped = self._apply_consequences(state, kind, keys, counter)
        self._draw_treatment_stops(state, keys, counter, dt_years, stopped)

        from twin_env.twin.ageing_kernels import age_patients, detect_onsets  # noqa: PLC0415 (numba: compiled lazily)

        columns = state.columns
        drift = p["sbp_longitudinal_extra_drift_mmhg_per_year"] * dt_years
        adult = age_patients(
            columns["age_years"], columns["sbp_offset_mmhg"], state.alive, p["adult_age_years"], dt_years, drift
        )
        risk_factors.progress(state, p, keys, counter, dt_years)
        update_age_dependent_levels(state, p)
        glycaemia.progress(state, p, dt_years)

        htn_onset, ckd_onset = detect_onsets(
            state.alive,
            adult,
            columns["sbp_untreated_mmhg"],
            columns["dbp_untreated_mmhg"],
            columns["egfr_ml_min_1_73m2"],
            columns["hypertension"],
            columns["ckd_3_5"],
            columns["qrisk3_h10"],
        )
        apply_treatment_effects(state, p)
        state.step_index = state.step_index + alive_before
        return StepEvents(
            kind=kind,
            fatal=fatal,
            died=alive_before & ~state.alive,
            hypertension_onset=htn_onset,
            ckd_onset=ckd_onset,
            treatment_stopped=stopped,
            age_years=age_before,
        )

    def _draw_events(self, state: PatientState, keys: np.ndarray, counter: np.ndarray, dt: float) -> np.ndarray:
        """Each living patient's event (N,) int8 from the hazards of ``event_hazards``, fused (no (K, N) matrix)."""
        from twin_env.twin import hazard_kernel  # noqa: PLC0415 (numba: compiled on first use)

        self._refresh_risk_equations(state, dt)
        channels = int(Channel.EVENT_OCCURS), int(Channel.EVENT_KIND)
        return hazard_kernel.draw_events(state, self.params, dt, *self._held_risk_equations(state, dt), *channels)

    def _case_fatality(self, kind: np.ndarray, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
        probability = self._case_fatality_by_kind
        fatal = np.zeros(len(kind), dtype=bool)
        rows = np.flatnonzero(probability[kind] > 0)
        if rows.size:
            fatal[rows] = rs.uniform(keys[rows], counter[rows], Channel.CASE_FATALITY) < probability[kind[rows]]
        return fatal

    def _apply_events(
        self, state: PatientState, kind: np.ndarray, fatal: np.ndarray, keys: np.ndarray, counter: np.ndarray
    ) -> None:
        """Write the step's events into the state, in place, touching only the rows with an event (``kind`` != NONE)."""
        p = self.params
        columns = state.columns
        rows = np.flatnonzero(kind)  # EventKind.NONE is 0
        kinds = kind[rows]
        mi, angina, stroke, tia = (rows[kinds == k] for k in _CVD_KINDS)
        new_cvd = rows[np.isin(kinds, np.array(_CVD_KINDS, dtype=kind.dtype))]
        first_cvd = columns["first_cvd_age_years"]
        first = new_cvd[np.isnan(first_cvd[new_cvd])]
        first_cvd[first] = columns["age_years"][first]
        columns["myocardial_infarction"][mi] = True
        columns["chd"][mi] = True
        columns["chd"][angina] = True
        columns["stroke_tia"][stroke] = True
        columns["stroke_tia"][tia] = True
        columns["stroke"][stroke] = True  # a TIA alone is valued apart (twin/valuation.py)
        columns["heart_failure"][rows[kinds == EventKind.HEART_FAILURE]] = True
        columns["atrial_fibrillation"][rows[kinds == EventKind.ATRIAL_FIBRILLATION]] = True
        onset = rows[kinds == EventKind.TYPE2_DIABETES]
        if onset.size:
            state.type2_diabetes[onset] = True
            z = rs.standard_normal(keys[onset], counter[onset], Channel.ONSET_LEVEL)
            state.hba1c_untreated_mmol_mol[onset] = np.maximum(
                p["hba1c_at_onset_mean_mmol_mol"] + p["hba1c_at_onset_sd_mmol_mol"] * z, 48.0
            )
        state.qrisk3_h10[rows] = np.nan  # a new condition changes the risk equations' inputs
        state.qdiabetes_h10[rows] = np.nan
        # case fatality is drawn only for events (NONE has none), so the fatal are among ``rows``
        died = rows[fatal[rows] | np.isin(kinds, np.array(DEATH_KINDS, dtype=kind.dtype))]
        columns["alive"][died] = False

    def _apply_consequences(
        self, state: PatientState, kind: np.ndarray, keys: np.ndarray, counter: np.ndarray
    ) -> np.ndarray:
        """Treatment harms and diabetes complications act on the twin; returns (N,) stopped field index or -1."""
        stopped = harms.apply_consequences(state, kind, self.params, keys, counter)
        by_glycaemia = glycaemia.apply_consequences(state, kind, self.params, keys, counter)
        return np.where(stopped >= 0, stopped, by_glycaemia).astype(np.int8)

    def _draw_treatment_stops(
        self, state: PatientState, keys: np.ndarray, counter: np.ndarray, dt: float, stopped: np.ndarray
    ) -> None:
        """Patients stop a drug for other reasons at the drug's annual rate; writes ``stopped`` (N,) in place.

        A patient who stopped a drug through an adverse event this step stops nothing else.
        """
        from twin_env.twin.event_kernels import draw_treatment_stops  # noqa: PLC0415 (numba: compiled on first use)

        fields = tuple(state.columns[field] for field in TREATMENT_FIELDS)
        before = stopped.copy()
        channels = int(Channel.TREATMENT_STOP), int(Channel.TREATMENT_STOP_KIND)
        draw_treatment_stops(fields, self._stop_rates, state.alive, stopped, keys, counter, dt, *channels)
        rows = np.flatnonzero(stopped != before)
        for index in np.unique(stopped[rows]):
            state.columns[TREATMENT_FIELDS[index]][rows[stopped[rows] == index]] = 0.0
