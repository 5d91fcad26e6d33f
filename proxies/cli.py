"""The ``proxy-sandbox`` command line.

Every command takes a registered scenario name or the path to your own scenario file.
Errors are printed as one message naming the problem and the fix (exit code 2), never as
a traceback. Loading a model zip unpickles code from it: only attribute runs you trust.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from proxies.errors import ProxiesError
from sandbox.errors import SandboxError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True)

SCENARIO_ARG = typer.Argument(..., help="A registered scenario name (see `list`) or the path to a scenario .py file.")
# the training options shared by `train` and `run`
STEPS_OPT = typer.Option(300_000, help="Environment steps to train for.")
SEED_OPT = typer.Option(0, help="Seed of the run.")
OBJECTIVE_OPT = typer.Option(None, help="Objective to train on (default: the true reward).")
MIX_OPT = typer.Option(0.0, help="Fraction in [0, 1] of training scenes drawn from the intervention domain.")
ALGORITHM_OPT = typer.Option("PPO", help="stable-baselines3 algorithm name.")
OUT_OPT = typer.Option(None, help="Run directory (default: runs/<scenario>-<hash>-s<seed>).")


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(code=2)


def _guard(fn):
    """Turn the package's typed errors into a one-line message and exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ProxiesError, SandboxError) as exc:
            _fail(exc)

    return wrapper


@app.command("list")
@_guard
def list_command() -> None:
    """List the registered scenarios."""
    from proxies.registry import list_scenarios

    table = Table("name", "env id", "true reward", "proxies")
    for slug, scenario in list_scenarios().items():
        proxies = ", ".join(f"{r.proxy} ({r.kind})" for r in scenario.graph.relations)
        table.add_row(slug, scenario.env_id, scenario.true_reward, proxies)
    Console().print(table)


@app.command()
@_guard
def check(scenario: str = SCENARIO_ARG) -> None:
    """Run the env checkers, the determinism check and the reference-behaviour check."""
    from proxies.checks import run_checks
    from proxies.registry import get_scenario

    results = run_checks(get_scenario(scenario))
    table = Table("check", "result", "detail")
    for name, ok, detail in results:
        table.add_row(name, "[green]pass[/]" if ok else "[red]FAIL[/]", detail)
    Console().print(table)
    if not all(ok for _, ok, _ in results):
        raise typer.Exit(code=1)


def _config(scenario: str, steps: int, seed: int, objective: str | None, mix: float, algorithm: str):
    from proxies.registry import get_scenario
    from proxies.training import TrainConfig

    sc = get_scenario(scenario)
    if objective is not None:
        sc.check_objective(objective)
    return sc, TrainConfig(scenario=scenario, steps=steps, seed=seed, objective=objective, mix=mix, algorithm=algorithm)


@app.command("train")
@_guard
def train_command(
    scenario: str = SCENARIO_ARG,
    steps: int = STEPS_OPT,
    seed: int = SEED_OPT,
    objective: str | None = OBJECTIVE_OPT,
    mix: float = MIX_OPT,
    algorithm: str = ALGORITHM_OPT,
    out: Path | None = OUT_OPT,
) -> None:
    """Train an agent and save it in a run directory."""
    from proxies.rundir import default_run_dir, prepare
    from proxies.training import train

    sc, config = _config(scenario, steps, seed, objective, mix, algorithm)
    run_dir = out or default_run_dir(config, sc.slug)
    prepare(run_dir, config)
    train(sc, config, run_dir)
    console.print(f"model: {run_dir / 'model.zip'}  (TensorBoard logs: {run_dir / 'logs'})")


@app.command()
@_guard
def run(
    scenario: str = SCENARIO_ARG,
    steps: int = STEPS_OPT,
    seed: int = SEED_OPT,
    objective: str | None = OBJECTIVE_OPT,
    mix: float = MIX_OPT,
    algorithm: str = ALGORITHM_OPT,
    out: Path | None = OUT_OPT,
) -> None:
    """All stages: train, build the counterfactual suite, attribute, draw, write the report."""
    from proxies.pipeline import run as run_pipeline
    from proxies.rundir import default_run_dir

    sc, config = _config(scenario, steps, seed, objective, mix, algorithm)
    run_pipeline(scenario, config, out or default_run_dir(config, sc.slug), console=console)


@app.command()
@_guard
def attribute(
    run_dir: Path = typer.Argument(..., help="A run directory made by `train` or `run`."),
    as_json: bool = typer.Option(False, "--json", help="Print the attribution as JSON."),
) -> None:
    """Say which objective a run's agent pursues (loading model.zip unpickles code: trust the run)."""
    from proxies.pipeline import attribute_run

    data = attribute_run(run_dir, console=console)
    if as_json:
        keys = ("verdict", "learned", "weights", "competence", "goal_score", "quadrant", "in_distribution")
        print(json.dumps({k: data[k] for k in keys}, indent=2))
    else:
        console.print(data["explanation"])


@app.command()
@_guard
def report(run_dir: Path = typer.Argument(..., help="A run directory with attribution.json.")) -> None:
    """Write the HTML report of a run."""
    from proxies.report import write_report

    console.print(f"report: {write_report(run_dir)}")


@app.command()
@_guard
def bench(as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON.")) -> None:
    """Measure env, physics and PPO throughput side by side on the cleaning robot."""
    from proxies.bench import run_bench

    figures = run_bench(console=console)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        table = Table("figure", "value")
        for key, value in figures.items():
            table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else str(value))
        Console().print(table)
