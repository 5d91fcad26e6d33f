"""The Python API for the same work as the command line, for other people's pipelines.

Everything here is importable from :mod:`proxies.api`; the examples are the shortest uses.

Attribute an agent with :func:`attribute`, the one function for every kind of agent: a run
directory, a model zip, a loaded stable-baselines3 model or any callable ``obs -> action``
(a list: seeds of one agent, attributed together). It returns ``attribution.json``'s content::

    >>> from pathlib import Path
    >>> from proxies.api import attribute, get_scenario
    >>> data = attribute(Path("runs/demo"))  # doctest: +SKIP
    >>> data = attribute("runs/demo/model.zip", get_scenario("cleaning-robot"))  # doctest: +SKIP
    >>> data["verdict"], data["weights"]["cleanliness"]["mean"]  # doctest: +SKIP
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

from rich.console import Console

from proxies.errors import ConfigError, ProxiesError, SweepError
from proxies.evaluate.suite import Suite, build_suite
from proxies.present.summary import markdown_summary
from proxies.run.aggregate import aggregate, write_sweep_report
from proxies.run.config import EvaluationConfig, RunConfig
from proxies.run.pipeline import _attribute_run, _attribute_runs, _is_run_dir, attribution_document, run
from proxies.run.rundir import read_json
from proxies.run.sweep import SweepConfig, parse_mixes, run_sweep
from proxies.run.training import TrainConfig, train
from proxies.scenario.registry import get_scenario, list_scenarios
from proxies.scenario.scenario import Scenario

__all__ = [
    "EvaluationConfig", "ProxiesError", "RunConfig", "Suite", "SweepConfig", "TrainConfig",
    "aggregate", "attribute", "attribution_document", "build_suite",
    "get_scenario", "list_scenarios", "markdown_summary", "parse_mixes", "read_attribution", "read_sweep", "run",
    "run_sweep", "train", "write_sweep_report",
]


def attribute(
    agent: Any,
    scenario: str | Scenario | None = None,
    *,
    suite: Suite | str | Path | None = None,
    algorithm: str | None = None,
    strict: bool = False,
    seed: int = 0,
    console: Console | None = None,
) -> dict[str, Any]:
    """Say which objective an agent pursues: the content of ``attribution.json`` (docs/schemas.md).

    ``agent`` is one of:

    - a run directory (made by ``run`` or ``train`` + ``suite``): attributed on its own suite with its own
      config, and its ``attribution.json`` written; with ``suite`` (a ``suite.json`` of the run's scenario and
      version), written to ``attribution-<file's stem>.json`` beside it instead. A run whose scenario changed
      since gets a warning on ``console``, or with ``strict`` a :class:`~proxies.errors.StaleRunError`;
    - a stable-baselines3 model zip (loading it executes pickled code: trust the file), a loaded SB3 model,
      or a callable ``obs -> action``, acting in ``scenario``;
    - a list of these: training runs (seeds) of one agent, attributed together, so that the intervals show
      how much the seeds disagree; written nowhere.

    ``suite`` (not with one run directory: a :class:`~proxies.evaluate.suite.Suite` or a ``suite.json``) defaults to
    the first run directory's, else one is built with ``seed``; ``algorithm`` names the zips' algorithm
    (default: try each). Typed errors (:class:`~proxies.errors.ProxiesError`) name what is wrong and the fix.

    Example (it builds a suite and plays it, so it is not run as a doctest)::

        data = attribute(lambda obs: [0.0, 0.0], "cleaning-robot")
        data["verdict"]  # 'capability_failure': a robot that stands still pursues nothing
    """
    sources = list(agent) if isinstance(agent, (list, tuple)) else [agent]
    if not sources:
        raise ConfigError("Give attribute() at least one agent: a run directory, a model zip, a model or a callable.")
    if len(sources) == 1 and _is_run_dir(sources[0]):
        if scenario is not None or algorithm is not None or isinstance(suite, Suite):
            raise ConfigError(
                f"{sources[0]} is a run directory: it is attributed with its own config.json (scenario, algorithm) and "
                "suite; give suite only as the path of another suite.json, and neither scenario nor algorithm."
            )
        return _attribute_run(Path(sources[0]), console=console, strict=strict,
                              suite_path=None if suite is None else Path(suite))
    return _attribute_runs(sources, scenario, suite=suite, algorithm=algorithm, strict=strict, seed=seed, console=console)


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
