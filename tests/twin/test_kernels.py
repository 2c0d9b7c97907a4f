"""The compiled twin core: random streams as specified, lazy compilation, kernels agree with the reference formulas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from twin_env.twin import TwinParameters, TwinSimulator, mortality, random_streams, recurrent_cvd, sample_population
from twin_env.twin.events import EventKind

PARAMS = TwinParameters.default()


def _splitmix_reference(keys: np.ndarray, counter: int, channel: int) -> np.ndarray:
    """The specification of random_streams.uniform, in NumPy uint64 arithmetic (the pre-numba implementation)."""
    golden, channel_mult = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03)

    def mix(z: np.ndarray) -> np.ndarray:
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    with np.errstate(over="ignore"):
        z = keys + np.uint64(counter) * golden
        z = mix(mix(z) ^ (np.uint64(channel) * channel_mult))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def test_uniform_is_splitmix_bit_for_bit() -> None:
    keys = random_streams.patient_keys(3, 0, 500)
    for counter, channel in ((0, 1), (17, 200), (1000, 1205)):
        assert np.array_equal(
            random_streams.uniform(keys, counter, channel), _splitmix_reference(keys, counter, channel)
        )


def test_import_does_not_load_numba() -> None:
    code = "import sys, twin_env; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def _population() -> tuple:
    state, _ = sample_population(3000, 5, min_age=30, max_age=95)
    simulator = TwinSimulator(PARAMS)
    for _ in range(3):
        simulator.step(state)
    return state, simulator.current_hazards(state, 1.0 / 12.0)


def test_kernel_death_hazards_match_the_calibration_indices() -> None:
    """The normalisers are derived from mortality's index functions: the kernel must compute the same hazards."""
    state, hazards = _population()
    tables = PARAMS.mortality_normalisers
    grid = tables["cvd"].index(state.female, state.age_years)
    np.testing.assert_allclose(
        hazards[EventKind.DEATH_CVD_NON_ACUTE], tables["cvd"].at(grid) * mortality.cvd_death_index(hazards), rtol=1e-12
    )
    renal = tables["renal"].at(grid) * mortality.renal_death_index(state, PARAMS)
    np.testing.assert_allclose(hazards[EventKind.DEATH_RENAL], renal, rtol=1e-12)
    diabetes = tables["diabetes"].at(grid) * mortality.diabetes_death_index(state, PARAMS)
    np.testing.assert_allclose(hazards[EventKind.DEATH_DIABETES], diabetes, rtol=1e-12)


def test_kernel_recurrent_cvd_matches_the_smart_reference() -> None:
    """Established CVD without diabetes: MI + stroke + TIA hazard is the SMART recurrent rate x the treatment RRs."""
    state, hazards = _population()
    rows = np.flatnonzero(
        state.has_cvd & ~state.type2_diabetes & state.alive & (state.sbp_mmhg == state.sbp_untreated_mmhg)
    )
    rows = rows[state.ldl_mmol_l[rows] == state.ldl_untreated_mmol_l[rows]]
    assert rows.size > 10
    established = np.zeros(state.n, dtype=bool)
    established[rows] = True
    rate = recurrent_cvd.rate_per_year(state, PARAMS, established)[rows]
    total = sum(
        hazards[k, rows] for k in (EventKind.MYOCARDIAL_INFARCTION, EventKind.ANGINA, EventKind.STROKE, EventKind.TIA)
    )
    np.testing.assert_allclose(total, rate, rtol=1e-12)


def _draw_reference(hazards: np.ndarray, alive: np.ndarray, keys: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """The event draw as specified, in NumPy: whether anything happens, then the kind by the running sum."""
    from twin_env.twin.random_streams import Channel

    total = hazards[0].copy()
    for k in range(1, hazards.shape[0]):
        total += hazards[k]
    total *= alive
    dt = 1.0 / 12.0
    occurs = random_streams.uniform(keys, counter, Channel.EVENT_OCCURS) < -np.expm1(-total * dt)
    u = random_streams.uniform(keys, counter, Channel.EVENT_KIND) * total
    running = np.cumsum(hazards, axis=0)  # the same additions, in EventKind order
    chosen = np.minimum((u[None, :] >= running).sum(axis=0), hazards.shape[0] - 1)
    return np.where(occurs, chosen, 0).astype(np.int8)


def test_fused_event_draw_matches_drawing_from_the_hazard_matrix() -> None:
    """The step draws events in the hazard kernel (no (K, N) matrix): the same kinds as drawing from the matrix."""
    state, _ = _population()
    state.alive[::7] = False
    simulator = TwinSimulator(PARAMS)
    dt = 1.0 / 12.0
    for _ in range(4):  # a few steps: events of several kinds
        before = state.copy()
        kinds = simulator._draw_events(state, state.patient_key, state.step_index, dt)
        hazards = simulator.current_hazards(state, dt)
        expected = _draw_reference(hazards, state.alive, state.patient_key, state.step_index)
        assert np.array_equal(kinds, expected)
        assert not np.any(kinds[~state.alive])
        simulator.step(before)
        state = before
    assert np.unique(kinds).size > 1


def test_occurs_equals_the_full_comparison() -> None:
    """``occurs`` skips ``expm1`` where u >= x: the same answer as ``u < -expm1(-x)`` everywhere, edges included."""
    import numba

    from twin_env.twin.random_kernels import occurs

    @numba.njit
    def occurs_array(u: np.ndarray, x: np.ndarray) -> np.ndarray:
        out = np.empty(u.size, dtype=np.bool_)
        for i in range(u.size):
            out[i] = occurs(u[i], x[i])
        return out

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            10.0 ** rng.uniform(-320, 2, 200_000),  # denormals to certain events
            [0.0, -0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.5, 1.0, 50.0, np.inf, np.nan],
        ]
    )
    near = -np.expm1(-x)  # uniforms at, just below and just above the event probability
    u = np.concatenate([rng.uniform(0.0, 1.0, x.size), near, np.nextafter(near, 0.0), np.nextafter(near, 1.0), x])
    x = np.tile(x, 5)
    keep = (u >= 0.0) & (u < 1.0)  # a uniform's range
    u, x = u[keep], x[keep]
    assert np.array_equal(occurs_array(u, x), u < -np.expm1(-x))


def test_treatment_stop_draw_matches_the_reference() -> None:
    """The compiled stop draw: the NumPy specification (total rate in field order, then the drug by running sum)."""
    from twin_env.twin.event_kernels import draw_treatment_stops
    from twin_env.twin.random_streams import Channel
    from twin_env.twin.state import TREATMENT_FIELDS

    state, _ = _population()
    state.alive[::5] = False
    simulator = TwinSimulator(PARAMS)
    rates = simulator._stop_rates
    taking = np.stack([state.columns[field] > 0 for field in TREATMENT_FIELDS])
    stopped = np.where(np.arange(state.n) % 11 == 0, 3, -1).astype(np.int8)
    dt, keys, counter = 0.25, state.patient_key, state.step_index + 17
    total = np.zeros(state.n)
    for f in range(len(TREATMENT_FIELDS)):
        total += taking[f] * rates[f]
    total *= state.alive & (stopped < 0)
    occurs = random_streams.uniform(keys, counter, Channel.TREATMENT_STOP) < -np.expm1(-total * dt)
    u = random_streams.uniform(keys, counter, Channel.TREATMENT_STOP_KIND) * total
    running = np.cumsum(taking * rates[:, None], axis=0)
    which = np.minimum((u[None, :] >= running).sum(axis=0), len(TREATMENT_FIELDS) - 1)
    expected = np.where(occurs, which, stopped).astype(np.int8)

    fields = tuple(state.columns[field] for field in TREATMENT_FIELDS)
    channels = int(Channel.TREATMENT_STOP), int(Channel.TREATMENT_STOP_KIND)
    draw_treatment_stops(fields, rates, state.alive, stopped, keys, counter, dt, *channels)
    assert np.array_equal(stopped, expected)
    assert (stopped >= 0).sum() > (np.arange(state.n) % 11 == 0).sum()  # some drew a stop
