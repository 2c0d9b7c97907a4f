"""The batched natural-history simulator: one implementation for 1 or 100,000 patients."""

from __future__ import annotations

import numpy as np

from twin_env.twin import diabetes_drug_risk, glycaemia, harms, mortality, recurrent_cvd, risk_factors
from twin_env.twin import random_streams as rs
from twin_env.twin.baseline_conditions import af_hazard_ratio, hf_hazard_ratio
from twin_env.twin.events import CASE_FATALITY_PARAMETER, DEATH_KINDS, EventKind, StepEvents
from twin_env.twin.parameters import TwinParameters
from twin_env.twin.population import update_age_dependent_levels
from twin_env.twin.random_streams import Channel
from twin_env.twin.risk_equations import qdiabetes_hazard_10y, qrisk3_hazard_10y
from twin_env.twin.state import TREATMENT_FIELDS, PatientState
from twin_env.twin.treatment_effects import apply_treatment_effects

_N_KINDS = len(EventKind)
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
      of thiazides, beta-blockers and statins by intensity (twin.diabetes_drug_risk);
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

    def _refresh_risk_equations(self, state: PatientState, dt_years: float) -> None:
        """Re-evaluate QRISK3 and QDiabetes for patients whose held values are due or invalid.

        The equations are the costliest part of a step and change slowly (age, BMI, lipids) or at
        events (which invalidate the held values), so each patient's are re-evaluated every
        ``risk_equation_refresh_months`` (in steps of ``dt_years``, at least one; staggered by
        patient) at the middle of the holding period.
        """
        period = self._refresh_period_steps(dt_years)
        phase = (state.patient_key >> np.uint64(56)).astype(np.int64)  # a per-patient stagger
        rows = np.flatnonzero(((state.step_index + phase) % period == 0) | np.isnan(state.qrisk3_h10))
        if rows.size:
            state.qrisk3_h10[rows], state.qdiabetes_h10[rows] = self._risk_equations(state, rows, dt_years)

    def _refresh_period_steps(self, dt_years: float) -> int:
        return max(1, round(self.params["risk_equation_refresh_months"] / (12.0 * dt_years)))

    def _risk_equations(self, state: PatientState, rows: np.ndarray, dt_years: float) -> tuple[np.ndarray, np.ndarray]:
        """QRISK3 and QDiabetes 10-year cumulative hazards (k,) of ``rows`` at the middle of a holding period."""
        p = self.params
        sub = state.view(rows)
        midpoint = sub.age_years + self._refresh_period_steps(dt_years) * dt_years / 2.0
        return (
            qrisk3_hazard_10y(sub, p, midpoint - p["qrisk3_age_offset_years"]),
            qdiabetes_hazard_10y(sub, p, midpoint - p["qdiabetes_age_offset_years"]),
        )

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
        p = self.params
        qrisk3_h10, qdiabetes_h10 = state.qrisk3_h10, state.qdiabetes_h10
        missing = np.flatnonzero(np.isnan(qrisk3_h10))
        if missing.size:
            qrisk3_h10, qdiabetes_h10 = qrisk3_h10.copy(), qdiabetes_h10.copy()
            qrisk3_h10[missing], qdiabetes_h10[missing] = self._risk_equations(state, missing, dt_years)
        age = state.age_years
        hazards = np.zeros((_N_KINDS, state.n))

        # J-curve floor: no benefit accrues for lowering below where the trials' achieved SBP ends
        floor = np.minimum(p["sbp_benefit_floor_mmhg"], state.sbp_untreated_mmhg)
        sbp_fall_10 = (state.sbp_untreated_mmhg - np.maximum(state.sbp_mmhg, floor)) / 10.0
        log_rr_ldl = self._log_rr["ldl"] * (state.ldl_untreated_mmol_l - state.ldl_mmol_l)
        rr_chd = np.exp(self._log_rr["chd"] * sbp_fall_10 + log_rr_ldl)
        rr_stroke = np.exp(self._log_rr["stroke"] * sbp_fall_10 + log_rr_ldl)
        established = state.has_cvd
        first = qrisk3_h10 / 10.0
        recurrent = recurrent_cvd.rate_per_year(state, p, established)
        # (4, N) shares of MI, angina, stroke, TIA: recurrent events are never new angina
        split = np.where(established, self._recurrent_cvd_split[:, None], self._first_cvd_split[:, None])
        cvd = np.where(established, recurrent, first)
        hazards[EventKind.MYOCARDIAL_INFARCTION] = cvd * split[0] * rr_chd
        hazards[EventKind.ANGINA] = cvd * split[1] * rr_chd
        hazards[EventKind.STROKE] = cvd * split[2] * rr_stroke
        hazards[EventKind.TIA] = cvd * split[3] * rr_stroke

        hf = (
            p.hf_incidence_per_year(age)
            * hf_hazard_ratio(state, p)
            * np.exp(self._log_rr["heart_failure"] * sbp_fall_10)
        )
        hf *= np.where(state.sglt2 > 0, p["sglt2_rr_heart_failure"], 1.0)
        hazards[EventKind.HEART_FAILURE] = np.where(state.heart_failure, 0.0, hf)
        af = p.af_incidence_per_year(age) * af_hazard_ratio(state, p)
        hazards[EventKind.ATRIAL_FIBRILLATION] = np.where(state.atrial_fibrillation, 0.0, af)
        at_risk_t2d = ~(state.type2_diabetes | state.type1_diabetes) & (age >= p["adult_age_years"])
        t2d = qdiabetes_h10 / 10.0 * state.diabetes_programme_hazard_ratio
        diabetes_drug_risk.scale_hazard(state, p, t2d)
        hazards[EventKind.TYPE2_DIABETES] = np.where(at_risk_t2d, t2d, 0.0)
        harms.add_hazards(state, p, hazards, dt_years)
        glycaemia.add_hazards(state, p, hazards)
        mortality.add_hazards(state, p, hazards)  # last: CVD death reads the final CVD event rows
        return hazards

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

        alive = state.alive
        adult = state.age_years >= p["adult_age_years"]
        state.age_years = state.age_years + dt_years * alive
        state.sbp_offset_mmhg = state.sbp_offset_mmhg + (
            p["sbp_longitudinal_extra_drift_mmhg_per_year"] * dt_years * (alive & (state.age_years >= 40.0))
        )
        risk_factors.progress(state, p, keys, counter, dt_years)
        update_age_dependent_levels(state, p)
        glycaemia.progress(state, p, dt_years)

        hypertensive_bp = (state.sbp_untreated_mmhg >= 140.0) | (state.dbp_untreated_mmhg >= 90.0)
        htn_onset = alive & adult & hypertensive_bp & ~state.hypertension
        ckd_onset = alive & adult & (state.egfr_ml_min_1_73m2 < 60.0) & ~state.ckd_3_5
        state.hypertension = state.hypertension | htn_onset
        state.ckd_3_5 = state.ckd_3_5 | ckd_onset
        state.qrisk3_h10[ckd_onset] = np.nan
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
        hazards = self.event_hazards(state, dt)
        total = hazards.sum(axis=0) * state.alive
        occurs = rs.uniform(keys, counter, Channel.EVENT_OCCURS) < -np.expm1(-total * dt)
        kind = np.zeros(state.n, dtype=np.int8)
        if occurs.any():
            rows = np.flatnonzero(occurs)
            u = rs.uniform(keys[rows], counter[rows], Channel.EVENT_KIND) * total[rows]
            kind[rows] = (u >= np.cumsum(hazards[:, rows], axis=0)).sum(axis=0)
            kind[rows] = np.minimum(kind[rows], _N_KINDS - 1)
        return kind

    def _case_fatality(self, kind: np.ndarray, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
        p = self.params
        probability = np.zeros(_N_KINDS)
        for event, name in CASE_FATALITY_PARAMETER.items():
            probability[event] = p[name]
        fatal = np.zeros(len(kind), dtype=bool)
        rows = np.flatnonzero(probability[kind] > 0)
        if rows.size:
            fatal[rows] = rs.uniform(keys[rows], counter[rows], Channel.CASE_FATALITY) < probability[kind[rows]]
        return fatal

    def _apply_events(
        self, state: PatientState, kind: np.ndarray, fatal: np.ndarray, keys: np.ndarray, counter: np.ndarray
    ) -> None:
        p = self.params
        is_ = {
            k: kind == k for k in (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)
        }
        new_cvd = (
            is_[EventKind.MYOCARDIAL_INFARCTION] | is_[EventKind.ANGINA] | is_[EventKind.STROKE] | is_[EventKind.TIA]
        )
        state.first_cvd_age_years = np.where(
            new_cvd & np.isnan(state.first_cvd_age_years), state.age_years, state.first_cvd_age_years
        )
        state.myocardial_infarction = state.myocardial_infarction | is_[EventKind.MYOCARDIAL_INFARCTION]
        state.chd = state.chd | is_[EventKind.MYOCARDIAL_INFARCTION] | is_[EventKind.ANGINA]
        state.stroke_tia = state.stroke_tia | is_[EventKind.STROKE] | is_[EventKind.TIA]
        state.stroke = state.stroke | is_[EventKind.STROKE]  # a TIA alone is valued apart (twin/valuation.py)
        state.heart_failure = state.heart_failure | (kind == EventKind.HEART_FAILURE)
        state.atrial_fibrillation = state.atrial_fibrillation | (kind == EventKind.ATRIAL_FIBRILLATION)
        onset = np.flatnonzero(kind == EventKind.TYPE2_DIABETES)
        if onset.size:
            state.type2_diabetes[onset] = True
            z = rs.standard_normal(keys[onset], counter[onset], Channel.ONSET_LEVEL)
            state.hba1c_untreated_mmol_mol[onset] = np.maximum(
                p["hba1c_at_onset_mean_mmol_mol"] + p["hba1c_at_onset_sd_mmol_mol"] * z, 48.0
            )
        changed = np.flatnonzero(kind != EventKind.NONE)
        state.qrisk3_h10[changed] = np.nan  # a new condition changes the risk equations' inputs
        state.qdiabetes_h10[changed] = np.nan
        died = fatal | np.isin(kind, np.array(DEATH_KINDS, dtype=kind.dtype))
        state.alive = state.alive & ~died

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
        total = np.zeros(state.n)
        for field, rate in zip(TREATMENT_FIELDS, self._stop_rates):
            total += (state.columns[field] > 0) * rate
        total *= state.alive & (stopped < 0)
        rows = np.flatnonzero(rs.uniform(keys, counter, Channel.TREATMENT_STOP) < -np.expm1(-total * dt))
        if rows.size:
            rates = np.stack([state.columns[f][rows] > 0 for f in TREATMENT_FIELDS], axis=1) * self._stop_rates
            u = rs.uniform(keys[rows], counter[rows], Channel.TREATMENT_STOP_KIND) * total[rows]
            which = np.minimum((u[:, None] >= np.cumsum(rates, axis=1)).sum(axis=1), len(TREATMENT_FIELDS) - 1)
            stopped[rows] = which
            for index in np.unique(which):
                state.columns[TREATMENT_FIELDS[index]][rows[which == index]] = 0.0
