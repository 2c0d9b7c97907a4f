"""An independent checker of exported GP records: no prescription breaks the hard prescribing limits, whoever issued it.

It reads ONLY the exported FHIR Bundle (MedicationRequest and Observation resources) and applies the
limits as literals written here, never the project's rules, limits or codes, so a mistake in the rule
table, the care layer or the exporter cannot hide itself:

- no metformin issued when the latest eGFR reported by then is below 30 mL/min/1.73m2;
- no ACE inhibitor (ramipril) or ARB (losartan) started when the latest potassium reported by then is
  above 5.0 mmol/L (a start: the drug was not current, i.e. not issued in the previous 56 days
  without a stop since);
- no ACE inhibitor issued while an ARB is current, nor an ARB while an ACE inhibitor is current.

"Reported by then": an Observation counts for an issue on day D if its ``issued`` instant (else its
effective date) is on or before D; "latest" is by effective date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from twin_env.envs.vector_env import PrimaryCareVectorEnv
from twin_env.envs.wrappers.vector_shield import VectorSafetyShield
from twin_env.formats.fhir_bundle import fhir_bundle
from twin_env.formats.source import RecordSource

METFORMIN_MIN_EGFR = 30.0
RAAS_START_MAX_POTASSIUM = 5.0
CURRENT_WINDOW_DAYS = 56
ACEI, ARB = ("ramipril",), ("losartan",)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _display(concept: dict[str, Any]) -> str:
    return " ".join([concept.get("text", ""), *(c.get("display", "") for c in concept.get("coding", []))]).lower()


def _drug(resource: dict[str, Any]) -> str | None:
    text = _display(resource.get("medicationCodeableConcept", {}))
    return next((name for name in ("metformin", *ACEI, *ARB) if name in text), None)


def _analyte(resource: dict[str, Any]) -> str | None:
    text = _display(resource.get("code", {}))
    if "glomerular filtration" in text:
        return "egfr"
    if "potassium" in text:
        return "potassium"
    return None


def bundle_violations(bundle: dict[str, Any]) -> list[str]:
    """Every breach of the three limits in one patient's Bundle, as readable strings."""
    resources = [e["resource"] for e in bundle.get("entry", [])]
    results: dict[str, list[tuple[dt.date, dt.date, float]]] = {"egfr": [], "potassium": []}
    for r in resources:
        if r["resourceType"] == "Observation" and "valueQuantity" in r and _analyte(r):
            effective = _day(r["effectiveDateTime"])
            reported = _day(r.get("issued", r["effectiveDateTime"]))
            results[_analyte(r)].append((effective, reported, float(r["valueQuantity"]["value"])))
    events = sorted(
        (_day(r["authoredOn"]), r["status"] == "stopped", _drug(r))
        for r in resources
        if r["resourceType"] == "MedicationRequest" and _drug(r)
    )

    def latest(analyte: str, day: dt.date) -> float | None:
        seen = [(eff, value) for eff, rep, value in results[analyte] if rep <= day and eff <= day]
        return max(seen)[1] if seen else None

    last_issue: dict[str, dt.date | None] = {}

    def current(drug: str, day: dt.date) -> bool:
        issued = last_issue.get(drug)
        return issued is not None and (day - issued).days <= CURRENT_WINDOW_DAYS

    found = []
    for day, stopped, drug in events:
        if stopped:
            last_issue[drug] = None
            continue
        egfr, potassium = latest("egfr", day), latest("potassium", day)
        if drug == "metformin" and egfr is not None and egfr < METFORMIN_MIN_EGFR:
            found.append(f"{day} metformin issued at eGFR {egfr}")
        if drug in ACEI + ARB:
            if not current(drug, day) and potassium is not None and potassium > RAAS_START_MAX_POTASSIUM:
                found.append(f"{day} {drug} started at K+ {potassium}")
            other = ARB if drug in ACEI else ACEI
            if any(current(o, day) for o in other):
                found.append(f"{day} {drug} issued with {other[0]} current")
        last_issue[drug] = day
    return found


# ----- the checker can fail: constructed bundles --------------------------------------------------------


def _obs(code_display: str, value: float, day: str, issued: str | None = None) -> dict[str, Any]:
    r = {
        "resourceType": "Observation",
        "code": {"coding": [{"display": code_display}]},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value},
    }
    if issued:
        r["issued"] = issued + "T09:00:00+00:00"
    return {"resource": r}


def _rx(display: str, day: str, status: str = "completed") -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "MedicationRequest",
            "status": status,
            "medicationCodeableConcept": {"coding": [{"display": display}]},
            "authoredOn": day,
        }
    }


EGFR, K = "Estimated glomerular filtration rate", "Serum potassium level"


def test_checker_finds_metformin_after_a_reported_low_egfr_only() -> None:
    low = {"entry": [_obs(EGFR, 28.0, "2020-01-01", "2020-01-02"), _rx("Metformin 500mg tablets", "2020-01-10")]}
    assert bundle_violations(low) == ["2020-01-10 metformin issued at eGFR 28.0"]
    not_yet = {"entry": [_obs(EGFR, 28.0, "2020-01-01", "2020-01-12"), _rx("Metformin 500mg tablets", "2020-01-10")]}
    assert bundle_violations(not_yet) == []
    recovered = {"entry": [*low["entry"], _obs(EGFR, 35.0, "2020-01-05", "2020-01-06")]}
    assert bundle_violations(recovered) == []


def test_checker_finds_raas_starts_at_high_potassium_but_not_continuations() -> None:
    start = {"entry": [_obs(K, 5.3, "2020-03-01"), _rx("Ramipril 5mg capsules", "2020-03-10")]}
    assert bundle_violations(start) == ["2020-03-10 ramipril started at K+ 5.3"]
    repeat = {"entry": [_rx("Ramipril 5mg capsules", "2020-02-20"), *start["entry"]]}
    assert bundle_violations(repeat) == []
    after_stop = {
        "entry": [*repeat["entry"][:1], _rx("Ramipril 5mg capsules", "2020-02-25", "stopped"), *start["entry"]]
    }
    assert bundle_violations(after_stop) == ["2020-03-10 ramipril started at K+ 5.3"]


def test_checker_finds_dual_raas_blockade() -> None:
    both = {"entry": [_rx("Losartan 50mg tablets", "2020-05-01"), _rx("Ramipril 2.5mg capsules", "2020-05-20")]}
    assert bundle_violations(both) == ["2020-05-20 ramipril issued with losartan current"]
    lapsed = {"entry": [_rx("Losartan 50mg tablets", "2020-01-01"), _rx("Ramipril 2.5mg capsules", "2020-05-20")]}
    assert bundle_violations(lapsed) == []


# ----- fuzzed shielded episodes, exported and checked ---------------------------------------------------


def fuzzed_bundles(episodes: int, seed: int, years: float) -> list[dict[str, Any]]:
    """Random masked actions through the vector shield (replace mode), one episode per row; each GP record as FHIR.

    A row's record is exported when its first episode ends (death or horizon), before the row's
    auto-reset puts its next patient under the same id.
    """
    rng = np.random.default_rng(seed)
    env = VectorSafetyShield(PrimaryCareVectorEnv(episodes, {"horizon_years": years, "min_age_years": 50}))
    _, info = env.reset(seed=seed)
    sim = env.unwrapped.batch.sim
    bundles: dict[int, dict[str, Any]] = {}
    while len(bundles) < episodes:
        mask = info["action_mask"]
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in mask], dtype=np.int64)
        _, _, terminated, truncated, info = env.step(actions)
        finished = [r for r in np.flatnonzero(terminated | truncated).tolist() if r not in bundles]
        if finished:
            source = RecordSource.from_simulation(sim)
            bundles.update({r: fhir_bundle(source, sim.record.first_id + r) for r in finished})
    return [bundles[r] for r in range(episodes)]


def test_fuzzed_shielded_episodes_break_no_prescribing_limit_in_the_exported_record() -> None:
    found = [v for b in fuzzed_bundles(episodes=12, seed=16, years=5.0) for v in bundle_violations(b)]
    assert found == []


@pytest.mark.slow
def test_208_fuzzed_shielded_episodes_break_no_prescribing_limit() -> None:
    """The issue's measurement: 208 fuzzed episodes (issue 16 reported 50 metformin issues at eGFR < 30 on main)."""
    found = [v for b in fuzzed_bundles(episodes=208, seed=6, years=5.0) for v in bundle_violations(b)]
    assert found == []
