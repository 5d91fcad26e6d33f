"""The Python API for the same work as the command line, for other people's pipelines.

Everything here is importable from :mod:`proxies.api`; the examples are the shortest uses.

Attribute a trained model, a model zip or any callable ``obs -> action`` (several: seeds of one
agent, attributed together)::

    >>> from pathlib import Path
    >>> from proxies.api import attribute_agent, get_scenario
    >>> outcome = attribute_agent("runs/demo/model.zip", get_scenario("cleaning-robot"))  # doctest: +SKIP
    >>> outcome.attribution.verdict, outcome.attribution.weights["cleanliness"]["mean"]  # doctest: +SKIP
    ('intended', 0.83)

Build a counterfactual suite once and reuse it::

    >>> from proxies.api import build_suite
    >>> suite = build_suite(get_scenario("cleaning-robot"), seed=0)  # doctest: +SKIP
    >>> suite.save(Path("suite.json"))  # doctest: +SKIP

One whole run (train, or resume, suite, attribution, report) from one frozen config::

    >>> from proxies.api import RunConfig, TrainConfig, run
    >>> config = RunConfig(TrainConfig("cleaning-robot", steps=100_000, mix=0.03, seed=1))
    >>> config.config_hash == RunConfig.from_dict(config.to_dict()).config_hash
    True
    >>> data = run("cleaning-robot", config, Path("runs/one"))  # doctest: +SKIP

A sweep over the training mix α and seeds, then its aggregate::

    >>> from proxies.api import SweepConfig, parse_mixes, run_sweep, write_sweep_report
    >>> sweep = SweepConfig(config, parse_mixes("0,0.01,0.03,1"), seeds=5)
    >>> len(sweep.runs())
    20
    >>> run_sweep(get_scenario("cleaning-robot"), "cleaning-robot", sweep, Path("runs/sweep"))  # doctest: +SKIP
    >>> result = write_sweep_report(Path("runs/sweep"))  # doctest: +SKIP

Read the results back (``sweep.json`` and ``attribution.json``, schemas in docs/schemas.md)::

    >>> result = read_sweep(Path("runs/sweep"))  # doctest: +SKIP
    >>> result["knee"]["alpha"]  # doctest: +SKIP
    0.03
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from proxies.errors import ProxiesError, SweepError
from proxies.evaluate.agents import AgentOutcome, attribute_agent, attribute_policy
from proxies.evaluate.suite import Suite, build_suite
from proxies.present.summary import markdown_summary
from proxies.run.aggregate import aggregate, write_sweep_report
from proxies.run.config import EvaluationConfig, RunConfig
from proxies.run.pipeline import attribute_run, attribution_document, run
from proxies.run.rundir import read_json
from proxies.run.sweep import SweepConfig, parse_mixes, run_sweep
from proxies.run.training import TrainConfig, train
from proxies.scenario.registry import get_scenario, list_scenarios

__all__ = [
    "AgentOutcome", "EvaluationConfig", "ProxiesError", "RunConfig", "Suite", "SweepConfig", "TrainConfig",
    "aggregate", "attribute_agent", "attribute_policy", "attribute_run", "attribution_document", "build_suite",
    "get_scenario", "list_scenarios", "markdown_summary", "parse_mixes", "read_attribution", "read_sweep", "run",
    "run_sweep", "train", "write_sweep_report",
]


def read_attribution(run_dir: Path) -> dict[str, Any]:
    """A run's ``attribution.json``, checked against its schema (a typed error names what is wrong)."""
    return read_json(Path(run_dir), "attribution.json")


def read_sweep(out: Path) -> dict[str, Any]:
    """A sweep folder's ``sweep.json`` (written by ``sweep`` or ``sweep-report``)."""
    path = Path(out) / "sweep.json"
    if not path.is_file():
        raise SweepError(f"{out} has no sweep.json; make it with `proxy-sandbox sweep-report {out}`.")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path} cannot be read ({exc}); make it again with `proxy-sandbox sweep-report {out}`.") from None
