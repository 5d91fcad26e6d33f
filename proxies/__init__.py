"""The science: reward graphs, counterfactual suites, reference behaviours, attribution, runs.

Scenarios are written against this package's public API and :mod:`sandbox`'s.
"""

from proxies.errors import (
    ConfigError,
    CueFactorError,
    EntryPointError,
    GraphError,
    IncompetentReferenceError,
    InterventionError,
    PolicyError,
    ProxiesError,
    RunDirError,
    ScenarioFileError,
    ScenarioNotFoundError,
    UnknownFactorError,
    UnseparableProxyError,
)
from proxies.scenario.graph import Measurement, Objective, Relation, RewardGraph
from proxies.scenario.policies import CallablePolicy, ModelPolicy, Policy, RandomPolicy
from proxies.scenario.registry import get_scenario, list_scenarios, register_scenario
from proxies.scenario.scenario import Scenario

__all__ = [
    "CallablePolicy",
    "ConfigError",
    "CueFactorError",
    "EntryPointError",
    "GraphError",
    "IncompetentReferenceError",
    "InterventionError",
    "Measurement",
    "ModelPolicy",
    "Objective",
    "Policy",
    "PolicyError",
    "ProxiesError",
    "RandomPolicy",
    "Relation",
    "RewardGraph",
    "RunDirError",
    "Scenario",
    "ScenarioFileError",
    "ScenarioNotFoundError",
    "UnknownFactorError",
    "UnseparableProxyError",
    "get_scenario",
    "list_scenarios",
    "register_scenario",
]
