"""What one simulation step was worth: the reward components (QALYs and NHS costs) of the step just taken.

One implementation for the env's batch (:meth:`twin_env.envs.core.Batch.step`) and for anything else
that steps a :class:`~twin_env.simulation.Simulation` and values it (the what-if forecast,
:mod:`twin_env.trials.whatif`). Figures: ``env_parameters.csv`` (care costs), ``event_values.csv`` and
``health_state_costs.csv`` through :mod:`twin_env.twin.valuation`; method: docs/economics.md.
"""

from __future__ import annotations

import numpy as np

from twin_env.care.parameters import CareParameters
from twin_env.envs.config import EnvConfig
from twin_env.envs.terminal_value import terminal_components
from twin_env.record.ledger import LedgerKind
from twin_env.simulation import Simulation
from twin_env.twin import valuation
from twin_env.twin.economics import to_cost_year_gbp
from twin_env.twin.parameters import read_scalars
from twin_env.vocab.concepts import Concept
from twin_env.vocab.services import COMMUNITY_REFERRALS

ENV_PARAMETERS: dict[str, float] = read_scalars("env_parameters.csv")
_DRUG_COST = {
    Concept.ATORVASTATIN_10MG: "atorvastatin",
    Concept.ATORVASTATIN_20MG: "atorvastatin",
    Concept.ATORVASTATIN_40MG: "atorvastatin",
    Concept.ATORVASTATIN_80MG: "atorvastatin",
    Concept.METFORMIN_500MG: "metformin",
    Concept.DAPAGLIFLOZIN_10MG: "dapagliflozin",
}
_ISSUE_COST = np.zeros(int(max(Concept)) + 1)
for _c in Concept:
    if 50 <= _c <= 65:
        _ISSUE_COST[_c] = ENV_PARAMETERS[f"cost_issue_{_DRUG_COST.get(_c, 'bp_drug')}_gbp"]
#: Cost of one issue by dm+d concept, per action catalogue: v0 left gliclazide issues uncosted (kept so that v0
#: reproduces its published rewards); v1, which prescribes gliclazide, costs them.
ISSUE_COST_GBP: dict[str, np.ndarray] = {"v0": _ISSUE_COST, "v1": _ISSUE_COST.copy()}
ISSUE_COST_GBP["v1"][Concept.GLICLAZIDE_80MG] = ENV_PARAMETERS["cost_issue_gliclazide_gbp"]
#: Cost of one test order by concept (GBP).
TEST_COST_GBP = np.zeros(int(max(Concept)) + 1)
for _c, _n in (
    (Concept.TEST_HBA1C, "hba1c"),
    (Concept.TEST_LIPIDS, "lipids"),
    (Concept.TEST_RENAL, "renal"),
    (Concept.TEST_ACR, "acr"),
    (Concept.TEST_NTPROBNP, "ntprobnp"),
):
    TEST_COST_GBP[_c] = ENV_PARAMETERS[f"cost_test_{_n}_gbp"]


def step_components(
    sim: Simulation,
    alive0: np.ndarray,
    ledger_start: int,
    at_horizon: np.ndarray,
    home_bp_series: np.ndarray,
    config: EnvConfig,
) -> dict[str, np.ndarray]:
    """(N,) reward components of the step ``sim`` just took: QALYs and NHS costs (GBP), undiscounted.

    QALYs: the state's utility (incl. pill burden) over the step (half of it in the step of a death),
    less the one-off QALY loss of the step's event. Event costs come from the twin's events
    (``sim.last_events``); care costs (consultations, tests, drugs, referrals) from the ledger entries
    from ``ledger_start`` on. Rows of ``at_horizon`` (bool (N,)) that live add the terminal value
    (:mod:`twin_env.envs.terminal_value`); rows of ``home_bp_series`` (bool (N,)) add a home BP series' cost.

    Args:
        sim: the simulation, just stepped by ``config.dt_years``.
        alive0: (N,) bool, alive before the step (only they count).
        ledger_start: the ledger's length before the step.
        at_horizon, home_bp_series: (N,) bool each.
        config: the env config (dt, discount rate, action catalogue of the issue prices).
    """
    p, n, dt = sim.simulator.params, sim.state.n, config.dt_years
    s, events = sim.state, sim.last_events
    new = sim.ledger.since(ledger_start)
    row = new["patient"] - sim.record.first_id
    consults, checks, tests, outpatients, community, drugs = _ledger_costs_gbp(
        new, row, alive0[row], n, _health_check_gbp(sim.care.params), config.action_set
    )
    alive_frac = np.where(events.died, 0.5, 1.0) * alive0
    cost_events, cost_harms = valuation.event_cost_gbp(events, p)
    e = ENV_PARAMETERS
    qalys_terminal, cost_terminal = terminal_components(sim.simulator, s, p, at_horizon, config, e)
    return {
        "qalys": valuation.health_utility(s, p) * dt * alive_frac - valuation.event_qaly_loss(events) * alive0,
        "qalys_terminal": qalys_terminal,
        "cost_terminal_gbp": cost_terminal,
        "cost_events_gbp": cost_events * alive0,
        "cost_harms_gbp": cost_harms * alive0,
        "cost_chronic_gbp": dt * alive_frac * valuation.chronic_cost_gbp_per_year(s, p),
        "cost_consultations_gbp": consults + checks + home_bp_series * e["cost_home_bp_series_gbp"],
        "cost_tests_gbp": tests,
        "cost_drugs_gbp": drugs,
        "cost_referrals_gbp": outpatients + community,
    }


def _health_check_gbp(care_params: CareParameters) -> float:
    """One NHS Health Check's payment (GBP at the cost year's prices; care parameters)."""
    cp = care_params
    return to_cost_year_gbp(cp["health_check_cost_gbp"], int(cp["health_check_cost_price_year"]), "check")


#: Ledger-costed parts of a step, one row each of :func:`_ledger_costs_gbp`'s result.
LEDGER_PARTS: tuple[str, ...] = (
    "consultations",
    "health_checks",
    "tests",
    "outpatients",
    "community_referrals",
    "drugs",
)
_PART = {name: i for i, name in enumerate(LEDGER_PARTS)}
#: The part a ledger entry of each kind is costed under (-1: none); checks, linked orders and referrals refined below.
_PART_OF_KIND = np.full(max(LedgerKind) + 1, -1, dtype=np.intp)
for _kind, _part in (
    (LedgerKind.CONSULTATION, "consultations"),
    (LedgerKind.TEST_ORDER, "tests"),
    (LedgerKind.OUTPATIENT_ATTENDANCE, "outpatients"),
    (LedgerKind.REFERRAL, "community_referrals"),
    (LedgerKind.PRESCRIPTION, "drugs"),
):
    _PART_OF_KIND[_kind] = _PART[_part]
#: GBP of an entry by part where the price is fixed (tests and drugs are priced by concept, checks by the care
#: parameters); the last entry is part -1's (not costed).
_FIXED_PART_GBP = np.zeros(len(LEDGER_PARTS) + 1)
_FIXED_PART_GBP[_PART["consultations"]] = ENV_PARAMETERS["cost_gp_consultation_gbp"]
_FIXED_PART_GBP[_PART["outpatients"]] = ENV_PARAMETERS["cost_outpatient_first_attendance_gbp"]
_FIXED_PART_GBP[_PART["community_referrals"]] = ENV_PARAMETERS["cost_community_referral_gbp"]
_IS_COMMUNITY_REFERRAL = np.zeros(int(max(Concept)) + 1, dtype=bool)
_IS_COMMUNITY_REFERRAL[list(COMMUNITY_REFERRALS)] = True


def _ledger_costs_gbp(
    new: dict[str, np.ndarray], row: np.ndarray, counted: np.ndarray, n: int, check_gbp: float, action_set: str
) -> np.ndarray:
    """(len(LEDGER_PARTS), N) care costs (GBP) per row of the step's ledger entries ``new`` ((k,) columns).

    ``row`` (k,) is each entry's batch row, ``counted`` (k,) bool whether its patient was alive before the step.
    Each entry is costed under at most one part: a GP consultation, an NHS Health Check (whose bloods, the test
    orders linked to it, are not costed again), a test order, an outpatient attendance, a community referral, a
    drug issue. One ``bincount`` over (part, row), each bin summed in ledger order.
    """
    kind, concept = new["kind"], new["concept"].astype(np.intp)
    part = _PART_OF_KIND[kind]
    health_check = (part == _PART["consultations"]) & (concept == Concept.NHS_HEALTH_CHECK)
    part[health_check] = _PART["health_checks"]
    if health_check.any():  # the check's payment includes its bloods: orders linked to a check of this step
        check_key = new["patient"][health_check].astype(np.int64) << 32 | new["seq"][health_check].astype(np.int64)
        order_key = new["patient"].astype(np.int64) << 32 | new["link"].astype(np.int64)
        part[(part == _PART["tests"]) & np.isin(order_key, check_key)] = -1
    part[(part == _PART["community_referrals"]) & ~_IS_COMMUNITY_REFERRAL[concept]] = -1
    gbp = _FIXED_PART_GBP[part]
    gbp[health_check] = check_gbp
    tests, drugs = part == _PART["tests"], part == _PART["drugs"]
    gbp[tests] = TEST_COST_GBP[concept[tests]]
    gbp[drugs] = ISSUE_COST_GBP[action_set][concept[drugs]]
    costed = (part >= 0) & counted
    bins = part[costed] * n + row[costed]
    return np.bincount(bins, gbp[costed], minlength=len(LEDGER_PARTS) * n).reshape(len(LEDGER_PARTS), n)
