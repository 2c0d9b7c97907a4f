"""In-silico trials: protocols (JSON schema version 1), outcome vocabulary, trial statistics, shipped protocols.

``run_trial(protocol) -> TrialResult`` samples, screens, allocates and follows each arm up on the twin
(:mod:`twin_env.trials.runner`).
"""

from twin_env.trials.outcomes import OUTCOMES, OutcomeDefinition, get_outcome
from twin_env.trials.protocol import load_protocol, parse_protocol, protocol_to_dict
from twin_env.trials.result import TrialResult
from twin_env.trials.runner import run_trial
from twin_env.trials.schema import (
    Arm,
    BpTargetStrategy,
    Criteria,
    DrugsStrategy,
    DrugStart,
    Eligibility,
    NoneStrategy,
    PhysiologyStrategy,
    PolicyStrategy,
    Population,
    Protocol,
    Range,
    Strategy,
)
from twin_env.trials.shipped import PublishedResult, list_protocols, published_results, shipped_protocol
from twin_env.trials.statistics import ArmResult, KaplanMeierCurve, compare_arms, kaplan_meier, outcome_json
from twin_env.trials.validation import ProtocolError

__all__ = [
    "OUTCOMES",
    "Arm",
    "ArmResult",
    "BpTargetStrategy",
    "Criteria",
    "DrugStart",
    "DrugsStrategy",
    "Eligibility",
    "KaplanMeierCurve",
    "NoneStrategy",
    "OutcomeDefinition",
    "PhysiologyStrategy",
    "PolicyStrategy",
    "Population",
    "Protocol",
    "ProtocolError",
    "PublishedResult",
    "Range",
    "Strategy",
    "TrialResult",
    "compare_arms",
    "get_outcome",
    "kaplan_meier",
    "list_protocols",
    "load_protocol",
    "outcome_json",
    "parse_protocol",
    "protocol_to_dict",
    "published_results",
    "run_trial",
    "shipped_protocol",
]
