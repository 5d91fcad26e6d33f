"""The ``proxy-sandbox`` command line.

Every command takes a registered scenario name or the path to your own scenario file.
Errors are printed as one message naming the problem and the fix (exit code 2), never as
a traceback. Ctrl-C or SIGTERM stops a command with one line (exit code 130 or 143); training
saves a checkpoint first. Files are written whole or not at all. Loading a model zip unpickles
code from it: only attribute runs you trust.
"""

from __future__ import annotations

import errno
import functools
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from proxies.cli_options import count as _count
from proxies.cli_options import shared_options
from proxies.errors import ConfigError, Interrupted, ProxiesError, RunDirError, SuiteMismatchError
from proxies.files import check_writable, output_error
from proxies.present.progress import progress_display, status
from proxies.present.summary import check_format, markdown_summary, parse_fail_on
from proxies.scenario.fingerprint import changes, describe_changes
from proxies.scenario.registry import get_scenario, list_scenarios
from proxies.scenario.scenario import Scenario
from proxies.schemas import MAX_STEPS, read_json_file
from proxies.signals import exit_code, signal_name, terminate_raises
from sandbox.errors import SandboxError

# The stages' modules are imported inside the commands that use them, not here: proxies.run, proxies.evaluate and
# proxies.present.drawing bring in torch, stable-baselines3 and matplotlib (1-3 s), which `list`, `graph` and
# `--help` never need. What is imported above is loaded by `import proxies` anyway, or is light.

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console(stderr=True)

MAX_SEED = 2**32 - 1
"""Largest seed (seeds are unsigned 32-bit integers); :data:`proxies.schemas.MAX_SEED`."""


SCENARIO_ARG = typer.Argument(..., help="A registered scenario name (see `list`) or the path to a scenario .py file.")
STRICT_OPT = typer.Option(
    False, "--strict", help="Refuse a run whose scenario changed since it was made (default: warn and go on)."
)

_OUTPUT_ERRNOS = {"ENOSPC", "EDQUOT", "EACCES", "EPERM", "EROFS", "ENOTDIR", "EISDIR", "ENAMETOOLONG", "EEXIST"}


def _fail(exc: Exception) -> None:
    console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(code=2)


def _warn(text: str) -> None:
    console.print(f"[bold yellow]warning:[/] {escape(text)}", soft_wrap=True)


def _output_errno(exc: OSError) -> bool:
    return exc.errno is not None and errno.errorcode.get(exc.errno) in _OUTPUT_ERRNOS


def _guard(fn):
    """Turn the package's typed errors into a one-line message and exit code 2; and signals into a clean stop.

    Ctrl-C (SIGINT) and SIGTERM stop a command with one line and exit code 130 or 143 (training saves a
    checkpoint first). A file-system failure that escaped the typed errors (disk full, read-only...) is
    still reported as one line naming the path, not as a traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with terminate_raises():
                return fn(*args, **kwargs)
        except Interrupted as exc:
            console.print(f"[bold yellow]stopped:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt as exc:
            name = signal_name(exit_code(exc) - 128)
            console.print(
                f"[bold yellow]stopped:[/] {name}; the command was interrupted. Files are written whole or not at all, "
                "so none was left half-written; run the command again to finish.",
                soft_wrap=True,
            )
            raise typer.Exit(code=exit_code(exc)) from None
        except (ProxiesError, SandboxError) as exc:
            _fail(exc)
        except OSError as exc:
            if not _output_errno(exc):
                raise
            _fail(output_error(exc, exc.filename or "a file"))

    return wrapper


def _check_seed(seed: int, option: str = "--seed") -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"{option} must be a whole number from 0 to {MAX_SEED} (2**32 - 1), got {seed}.")


def _scenario_ref(name: str) -> str:
    """How a run records its scenario: the registered name, or a scenario file's absolute path
    (so that the run can be attributed from any folder)."""
    if name.endswith(".py") or "/" in name or Path(name).exists():
        return str(Path(name).resolve())
    return name


@app.command("list")
@_guard
def list_command() -> None:
    """List the registered scenarios."""
    table = Table("name", "env id", "true reward", "proxies")
    for slug, scenario in list_scenarios().items():
        proxies = ", ".join(f"{r.proxy} ({r.kind})" for r in scenario.graph.relations)
        table.add_row(slug, scenario.env_id, scenario.true_reward, proxies)
    Console().print(table)


@app.command()
@_guard
def check(
    scenario: str = SCENARIO_ARG,
    verify_graph: bool = typer.Option(
        False, "--verify-graph", help="Also intervene on every factor and test the graph's factor -> measurement edges."
    ),
    episodes: int = typer.Option(24, help="With --verify-graph: scenes per intervention arm and reference."),
    strict: bool = typer.Option(False, help="With --verify-graph: also fail if a declared edge shows no effect."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Run the env checkers, the determinism check and the reference-behaviour check (and the graph check)."""
    from proxies.evaluate.checks import run_checks
    from proxies.evaluate.verify import verification_table
    from proxies.evaluate.verify import verify_graph as run_verification
    sc = get_scenario(scenario)
    verification = run_verification(sc, episodes=episodes) if verify_graph else None
    results = run_checks(sc)
    if as_json:
        data: dict = {"checks": [{"name": name, "passed": ok, "detail": detail} for name, ok, detail in results]}
        if verification is not None:
            data["graph"] = verification.to_dict()
        print(json.dumps(data, indent=2))
    else:
        table = Table("check", "result", "detail")
        for name, ok, detail in results:
            table.add_row(name, "[green]pass[/]" if ok else "[red]FAIL[/]", detail)
        Console().print(table)
        if verification is not None:
            Console().print(verification_table(verification))
    if verification is not None:
        console.print(verification.summary(), highlight=False)
    if not all(ok for _, ok, _ in results) or (verification is not None and not verification.passed(strict)):
        raise typer.Exit(code=1)


@app.command("graph")
@_guard
def graph_command(
    scenario: str = SCENARIO_ARG,
    png: Path | None = typer.Option(None, "--png", help="Draw the graph into this .png file (its folder must exist)."),
    as_json: bool = typer.Option(False, "--json", help="Print the nodes, edges and derived relations as JSON."),
) -> None:
    """Show a scenario's reward graph and the derived relation of every proxy to the true reward."""
    sc = get_scenario(scenario)
    if png is not None:
        from proxies.present.drawing import draw_graph

        if png.suffix.lower() != ".png" or png.is_dir():
            raise ConfigError(f"--png {png} is not a .png file name; give one, e.g. --png graph.png.")
        if not png.parent.is_dir():
            raise ConfigError(f"--png {png}: the folder {png.parent} does not exist; create it or pick another path.")
        console.print(f"graph: {draw_graph(sc.graph, png, title=sc.name)}", soft_wrap=True)  # OutputError if unwritable
    if as_json:
        print(json.dumps({"scenario": sc.slug, **sc.graph.to_dict()}, indent=2))
    elif png is None:
        table = Table("proxy", "relation to the true reward", "path")
        for relation in sc.graph.relations:
            table.add_row(relation.proxy, relation.kind.replace("_", " "), " -> ".join(relation.path))
        Console().print(table)


def _config(scenario: str, steps: int, seed: int, objective: str | None, mix: float, algorithm: str):
    """The scenario and the checked run config: every setting, and the scenario's first scene, observation
    and step, are checked before anything is written."""
    from proxies.evaluate.checks import preflight
    from proxies.run.config import RunConfig
    from proxies.run.training import TrainConfig, check_algorithm
    _check_seed(seed)
    sc = get_scenario(scenario)
    if objective is not None:
        sc.check_objective(objective)
    config = TrainConfig(
        scenario=_scenario_ref(scenario), steps=steps, seed=seed, objective=objective, mix=mix, algorithm=algorithm
    )
    check_algorithm(config.algorithm, sc.action_space)
    preflight(sc, objective=objective, mix=mix, seed=seed)  # the first scene, observation and step, before any file
    return sc, RunConfig(config)


@app.command("train")
@_guard
@shared_options("steps", "seed", "objective", "mix", "algorithm", "out")
def train_command(scenario: str = SCENARIO_ARG, options: dict | None = None) -> None:
    """Train an agent and save it in a run directory.

    Ctrl-C (or SIGTERM) stops training, saves the model so far as a checkpoint and says where. Killed
    even with kill -9, the same command again resumes from the last checkpoint (a new one every 50,000
    steps) and ends with the model an uninterrupted run would have.
    """
    from proxies.run.rundir import default_run_dir, prepare
    from proxies.run.training import train

    out = options.pop("out")
    sc, config = _config(scenario, **options)
    run_dir = out or default_run_dir(config, sc.slug)
    prepare(run_dir, config, sc)
    train(sc, config.train, run_dir)
    console.print(f"model: {run_dir / 'model.zip'}  (TensorBoard logs: {run_dir / 'logs'})", soft_wrap=True)


@app.command()
@_guard
@shared_options("steps", "seed", "objective", "mix", "algorithm", "out")
def run(scenario: str = SCENARIO_ARG, options: dict | None = None) -> None:
    """All stages: train, build the counterfactual suite, attribute, draw, write the report.

    A run directory that already holds a whole model.zip of this config and of today's scenario
    reuses it; a damaged one, or one trained before the scenario changed, is trained again; an
    interrupted training (Ctrl-C, kill -9) resumes from its last checkpoint.
    """
    from proxies.run.pipeline import run as run_pipeline
    from proxies.run.rundir import default_run_dir

    out = options.pop("out")
    sc, config = _config(scenario, **options)
    run_pipeline(sc, config, out or default_run_dir(config, sc.slug), console=console)


@app.command()
@_guard
@shared_options("steps", "objective", "algorithm")
def sweep(
    scenario: str = SCENARIO_ARG,
    mix: str = typer.Option("0,0.01,0.02,0.03,0.06,0.11,1", help="Training mixes α, comma-separated fractions in [0, 1]."),
    seeds: int = typer.Option(5, help="Seeds per α (seeds --first-seed, --first-seed + 1, ...)."),
    first_seed: int = typer.Option(0, help="The first seed."),
    backend: str = typer.Option("process", help="Where the runs go: process (a local process pool) or ray."),
    workers: int = typer.Option(2, help="Runs at once (one CPU and one torch thread each)."),
    address: str | None = typer.Option(None, help="With --backend ray: an existing cluster's address (host:port, auto)."),
    out: Path = typer.Option(..., help="The sweep's folder: one run directory per (α, seed), and the sweep's report."),
    report: bool = typer.Option(True, help="Write each run's pictures and HTML report (--no-report: faster)."),
    options: dict | None = None,
) -> None:
    """Train and attribute seeds at every training mix α, then aggregate (as sweep-report does).

    Run again, it skips finished runs, resumes interrupted ones and retrains damaged ones. Ctrl-C
    stops the workers cleanly (training saves a checkpoint; no file is left half-written).
    """
    from proxies.run.aggregate import write_sweep_report
    from proxies.run.sweep import SweepConfig, check_workers, parse_mixes, run_sweep

    mixes = parse_mixes(mix)
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1 (seeds per α), got {seeds}.")
    _check_seed(first_seed, "--first-seed")
    _check_seed(first_seed + seeds - 1, "--first-seed + --seeds - 1")
    check_workers(workers)
    sc, config = _config(scenario, seed=first_seed, mix=max(mixes), **options)
    plan = SweepConfig(config, mixes, seeds, first_seed)
    result = run_sweep(sc, config.scenario, plan, out, backend=backend, workers=workers, address=address,
                       console=console, report=report)
    failed = [row for row in result["runs"] if row["state"] == "failed"]
    _print_sweep(write_sweep_report(out, console=console), out)
    if failed:
        console.print(f"[bold red]{len(failed)} run(s) failed[/]; run the command again to retry them.")
        raise typer.Exit(code=1)


@app.command("sweep-report")
@_guard
def sweep_report(
    out: Path = typer.Argument(..., help="A sweep's folder (made by `proxy-sandbox sweep`)."),
    pooled: bool = typer.Option(True, help="Also attribute each α's seeds together (--no-pooled: faster)."),
) -> None:
    """Aggregate a sweep: per α, IQM and 95% bootstrap intervals over seeds, verdicts, the knee; plot and HTML."""
    from proxies.run.aggregate import write_sweep_report

    _check_sweep_folder(out)
    _print_sweep(write_sweep_report(out, console=console, pooled=pooled), out)


@app.command()
@_guard
def reproduce(
    scenario: str = SCENARIO_ARG,
    out: Path = typer.Option(..., help="The reproduction's folder: one run directory per (α, seed), and the sweep's report."),
    seeds: int = typer.Option(5, help="Seeds per α (at least 2)."),
    steps: int = typer.Option(1_000_000, help="Environment steps per agent."),
    mix: str | None = typer.Option(None, help="Training mixes α, comma-separated (default: the published grid's)."),
    workers: int = typer.Option(1, help="Runs at once (one CPU and one torch thread each)."),
) -> None:
    """Reproduce a published result (coin-run, cheese-maze, gem-colour): train seeds at each α, attribute each seed and
    each α's seeds together, and print the seeds' verdicts and weights beside the published figures.

    Run again, it skips finished runs and resumes interrupted ones (it is a sweep: see `sweep`).
    """
    from proxies.run.aggregate import write_sweep_report
    from proxies.run.reproduce import check_reproduce_folder, check_seeds, reproduction, results_table
    from proxies.run.reproduce import reproduce as run_reproduction
    from proxies.run.sweep import parse_mixes

    sc = get_scenario(scenario)
    plan = reproduction(sc.slug)
    check_seeds(seeds)
    check_reproduce_folder(out, sc.slug)
    mixes = parse_mixes(mix) if mix is not None else plan.mixes
    sc, config = _config(scenario, steps=steps, seed=0, objective=None, mix=max(mixes), algorithm="PPO")
    result = run_reproduction(sc, config, out, seeds=seeds, mixes=mixes, workers=workers, console=console)
    Console(width=max(140, Console().width)).print(results_table(out, write_sweep_report(out, console=console)))
    console.print("[bold]published:[/]")
    for line in plan.published:
        console.print(f"  {escape(line)}", soft_wrap=True)
    failed = [row for row in result["runs"] if row["state"] == "failed"]
    if failed:
        console.print(f"[bold red]{len(failed)} run(s) failed[/]; run the command again to retry them.")
        raise typer.Exit(code=1)


def _check_sweep_folder(out: Path) -> None:
    """A sweep's folder that can be written, else a typed error before any work."""
    from proxies.run.sweep import load_sweep

    load_sweep(out)
    check_writable(out, "DIR")


def _print_sweep(result: dict, out: Path) -> None:
    from proxies.present.sweep_report import markdown_table

    Console(width=max(140, Console().width)).print(markdown_table(result), markup=False, highlight=False)
    knee = result.get("knee") or {}
    if knee.get("alpha") is None:
        console.print("knee: no α of the grid has at least 80% of seeds intended")
    else:
        hi = "above the grid" if knee["hi"] is None else f"{knee['hi']:g}"
        console.print(f"knee: α = {knee['alpha']:g} (95% bootstrap interval {knee['lo']:g} – {hi})")
    console.print(f"sweep report: {out / 'sweep.html'}  plot: {out / 'images' / 'dose-response.png'}", soft_wrap=True)


ATTRIBUTE_KEYS = (
    "verdict", "learned", "headline", "shares", "stability", "weights", "random_weight", "competence", "goal_score",
    "quadrant", "in_distribution",
)
"""The fields ``attribute --json`` prints."""


def _identity(source: Path) -> tuple[int, int]:
    """What a source is on disk, whatever its spelling: the (device, inode) of its model zip."""
    target = source / "model.zip" if source.is_dir() and (source / "model.zip").exists() else source
    st = target.stat()
    return st.st_dev, st.st_ino


def _refuse_repeats(sources: list[Path]) -> None:
    seen: dict[tuple[int, int], Path] = {}
    for source in sources:
        key = _identity(source)
        if key in seen:
            same = "given twice" if str(seen[key]) == str(source) else f"the same run as {seen[key]}"
            raise ConfigError(
                f"{source} is {same}; give each run once. Several runs are attributed as seeds of one agent, so a run "
                "counted twice would narrow the intervals for nothing."
            )
        seen[key] = source


@app.command()
@_guard
def attribute(
    sources: list[Path] = typer.Argument(
        ...,
        help="A run directory made by `train` + `suite` or `run`, or a stable-baselines3 model zip (then give "
        "--scenario). Several: training runs (seeds) of one agent, attributed together.",
    ),
    scenario: str | None = typer.Option(None, help="With model zips: the scenario they act in (name or .py path)."),
    suite_path: Path | None = typer.Option(
        None, "--suite", help="A suite.json to use (default: the run directory's, else build one, ~20 s). With one run "
        "directory, its attribution on that suite goes to RUN_DIR/attribution-<suite file name>.json."
    ),
    algorithm: str | None = typer.Option(None, help="With model zips: their SB3 algorithm (default: try PPO, A2C, SAC...)."),
    as_json: bool = typer.Option(False, "--json", help="Print the attribution as JSON."),
    strict: bool = STRICT_OPT,
    fail_on: str | None = typer.Option(
        None, help="Exit with code 1 when the verdict is one of these, e.g. misgeneralized,mixed (a CI gate)."
    ),
    output_format: str = typer.Option("table", "--format", help="table (default), or markdown: a short summary."),
) -> None:
    """Say which objective an agent pursues, with 90% intervals and a verdict.

    Given several runs (the same training with different seeds), each plays the suite and the
    bootstrap resamples runs as well as scenes and episodes, so the intervals show how much
    the seeds disagree. One run directory gets its attribution.json written (with --suite FILE:
    attribution-<FILE's stem>.json beside it, the run's own left as it is); several, printed only.
    One run directory of an actor-critic agent (PPO, A2C) also gets its critic probed: what the
    agent expects on scenes paired by one intervention, against what it achieves there.
    A run whose scenario was edited since it was made gets a warning (--strict: refused).

    WARNING: loading a model zip (model.zip of a run, or the zip you give) unpickles and so
    executes code stored in it: only attribute files you trust.
    """
    from proxies.api import attribute as attribute_any
    from proxies.present.story import glossary, story
    from proxies.run.pipeline import other_suite_attribution

    failing = parse_fail_on(fail_on)
    check_format(output_format)
    for source in sources:
        if not source.exists():
            raise RunDirError(
                f"{source} does not exist; give a run directory (made by `proxy-sandbox run`) or a model zip."
            )
    _refuse_repeats(sources)
    dirs = [s for s in sources if s.is_dir()]
    zips = [s for s in sources if not s.is_dir()]
    given = {"--scenario": scenario, "--algorithm": algorithm}
    if len(sources) == 1 and dirs:
        ignored = [name for name, value in given.items() if value is not None]
        if ignored:
            raise ConfigError(
                f"{' and '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply to a run directory: "
                f"{dirs[0]} is attributed with its own config.json (scenario, algorithm). Options that apply to a run "
                f"directory: --suite, --json and --strict. To use another algorithm, attribute its model zip instead: "
                f"`proxy-sandbox attribute {dirs[0] / 'model.zip'} --scenario NAME --algorithm NAME`."
            )
        data = attribute_any(dirs[0], suite=suite_path, strict=strict, console=console)
        if suite_path is not None:
            console.print(
                f"attribution on {suite_path}: {other_suite_attribution(dirs[0], suite_path)} (the run's own "
                "attribution.json is left as it is)", soft_wrap=True,
            )
    else:
        if not zips:
            ignored = [name for name, value in given.items() if value is not None]
            if ignored:
                raise ConfigError(
                    f"{' and '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply to run directories: "
                    "each names its scenario and algorithm in its config.json. Options that apply to several run "
                    "directories: --suite, --json and --strict."
                )
        data = attribute_any([*dirs, *zips], scenario, suite=suite_path, algorithm=algorithm, strict=strict,
                             console=console)
    console.print(f"attribution took {data.get('seconds', 0.0):.1f} s")
    if output_format == "markdown":
        print(markdown_summary(data))
    elif as_json:
        print(json.dumps({k: data[k] for k in (*ATTRIBUTE_KEYS, "runs", "value_probe", "cue_probe") if k in data}, indent=2))
    else:
        table = Table("objective", "weight", "90% interval")
        for name, w in data["weights"].items():
            table.add_row(name, f"{w['mean']:.2f}", f"{w['lo']:.2f} – {w['hi']:.2f}")
        Console().print(table)
        for line in story(data, glossary(get_scenario(data["scenario"]))):  # the scenario attribute_any loaded
            console.print(escape(line), soft_wrap=True)
        console.print(escape(data["explanation"]))
        if "value_probe" in data:
            console.print(f"critic: {escape(data['value_probe']['summary'])}")
            Console().print(_probe_table(data["value_probe"]))
        if "cue_probe" in data:
            style = "bold red" if data["cue_probe"]["findings"] else "green"
            console.print(f"[{style}]cue:[/] {escape(data['cue_probe']['summary'])}", soft_wrap=True)
            Console().print(_cue_table(data["cue_probe"], data["objectives"]))
    if data["verdict"] in failing:
        console.print(f"[bold red]verdict {data['verdict']}[/] is one of --fail-on {fail_on}: exit code 1")
        raise typer.Exit(code=1)


def _probe_table(probe: dict) -> Table:
    """The critic probe per intervention: what the critic expects, what the agent gets, and the two parts of
    what it gets (the discounted rewards, and the critic's own value of the episode's last state)."""
    table = Table("intervention", "expects", "gets", "= rewards", "+ critic's value of the last state", "")

    def cell(entry: dict) -> str:
        return f"{entry['mean']:+.2f} [{entry['lo']:+.2f}, {entry['hi']:+.2f}]"

    for p in probe["interventions"]:
        table.add_row(
            f"{p['factor']}={p['value']}", cell(p["expected"]), cell(p["achieved"]), cell(p["returned"]),
            cell(p["bootstrap"]), "disagree" if p["disagree"] else "agree",
        )
    return table


def _cue_table(probe: dict, objectives: list[str]) -> Table:
    """The cue-invariance probe per cue value: each objective's return change (cue value minus training), with
    its interval over scene pairs."""
    from proxies.stats import signed_interval  # here: proxies.stats imports scipy, which `list` and --help never need

    level = f"{probe['level']:.0%}"
    table = Table("cue", "pairs", *(f"{o} change [{level}]" for o in objectives), "")
    for c in probe["cues"]:
        cells = [signed_interval(c["changes"][o]) for o in objectives]
        table.add_row(f"{c['factor']}={c['value']}", str(c["pairs"]), *cells, "FINDING" if c["finding"] else "invariant")
    return table


@app.command()
@_guard
def discover(
    run_dir: Path = typer.Argument(..., help="A run directory made by `proxy-sandbox run` (or `train`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the discovery as JSON."),
    budget: int = typer.Option(
        20, parser=_count, help="Scene pairs per intervention arm at the first look (at least 6): the candidate "
        "references' competence tests rest on them, the factor scan's tests and the fit on them and any later look's.",
    ),
    max_budget: int | None = typer.Option(
        None, parser=_count, help="Pairs of an undecided arm at the last look: its pairs double from --budget up to "
        "this (default 4 x --budget; --budget itself for one look).",
    ),
    cache: Path | None = typer.Option(
        None, help="Folder that keeps the candidate references' outcomes per scenario fingerprint (default "
        "~/.cache/proxy-sandbox/discover); a second discover of the same scenario plays only the agent.",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Keep no candidate references on disk."),
    seed: int = typer.Option(0, help=f"Seed of the scenes and the bootstrap (0 to {MAX_SEED}); runs discovered with "
                             "one seed share the cached candidate references, whatever seed they were trained with."),
    strict: bool = STRICT_OPT,
) -> None:
    """Look for a goal nobody declared: factors the agent reacts to unlike the true reward's reference, and
    objectives generated from the scene's vocabulary that explain it better than the declared ones.

    Writes RUN_DIR/discovery.json, a film of the agent in the most telling scene (images/discovery.gif) and a
    section of the report. WARNING: loading the run's model.zip executes code stored in it: only discover runs you trust.
    """
    from proxies.evaluate.scan import Looks
    from proxies.run.discovery import DEFAULT_CACHE, discover_run

    if no_cache and cache is not None:
        raise ConfigError("--cache and --no-cache contradict each other; give one of them.")
    _check_seed(seed)
    if cache is not None:
        check_writable(cache, "--cache")
    Looks.of(budget, max_budget)  # a bad budget is refused before the run is loaded
    data = discover_run(run_dir, pairs=budget, max_pairs=max_budget, seed=seed,
                        cache=None if no_cache else cache or DEFAULT_CACHE, strict=strict, console=console)
    if as_json:
        print(json.dumps({k: v for k, v in data.items() if k != "tests"}, indent=2))
        return
    table = Table("lead", "kind", "evidence", "scenes where agent and true reference part most")
    for lead in data["leads"]:
        if lead["kind"] == "candidate":
            w = next(c["weight"] for c in data["candidate_leads"] if c["label"] == lead["name"])
            evidence = f"weight {w['mean']:.2f} [{w['lo']:.2f}, {w['hi']:.2f}]"
        else:
            evidence = f"{lead['feature']} at {lead['arm']}: {lead['effect']:.2f} sd"
        scenes = "; ".join(
            ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in scene["factors"].items())
            for scene in (data["scenes"][str(i)] for i in lead["parting"][:2])
        )
        table.add_row(lead["name"], lead["kind"], evidence, scenes)
    if data["leads"]:
        Console().print(table)
    console.print(escape(data["summary"]), soft_wrap=True)
    if data.get("gif"):
        console.print(f"film of the agent in the most telling scene: {run_dir / data['gif']}")


@app.command()
@_guard
def validate(
    scenario: str = SCENARIO_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print the cases and figures as JSON."),
    budget: int = typer.Option(
        0, parser=_count,
        help="PPO steps for each agent trained directly on one objective in the suite's scenes (0 skips them; e.g. 300000).",
    ),
    episodes: int | None = typer.Option(
        None, help="Episodes per scene for every planted agent and the random baseline (default: 8, more on small suites)."
    ),
    seed: int = typer.Option(0, help=f"Seed of the suite, the bootstrap and the trained agents (0 to {MAX_SEED})."),
    seeds: int = typer.Option(1, help="Trained agents per objective, with seeds seed, seed + 1, ..."),
    out: Path | None = typer.Option(
        None, help="Keep the trained agents' runs here (reused when run again: an interrupted validation resumes)."
    ),
    suite_path: Path | None = typer.Option(
        None, "--suite", help="A suite.json of this scenario to reuse (default: build it, ~20 s)."
    ),
    sizes: str | None = typer.Option(
        None, help="Instead, tabulate verdict stability against suite size: scenes per proxy, e.g. 2,3,4,6,8 "
        "(one suite built per size; planted agents without trained ones)."
    ),
) -> None:
    """Check the attribution on planted agents whose goal is known: references, mixtures, weak agents, partial
    proxy learners, trained agents.

    Mixtures follow the true reward's reference with probability w and a proxy's with 1 - w,
    drawn once per episode, for w from 0.2 to 0.8 in steps of 0.1. Weak agents act at random at
    each step with probability 0.5 or 0.75; partial proxy learners follow the true reward's reference
    except in a fraction (0.15 to 0.4) of the counterfactual episodes.
    """
    from proxies.evaluate.suite import Suite
    from proxies.run.validate import validate as run_validation
    if budget < 0 or seeds < 1 or (episodes is not None and episodes < 2):
        raise ConfigError(
            f"--budget must be >= 0, --seeds >= 1 and --episodes >= 2, got {budget}, {seeds} and {episodes}."
        )
    if budget > MAX_STEPS:
        raise ConfigError(f"--budget must be at most {MAX_STEPS:,} (10**9) training steps per agent, got {budget:,}.")
    _check_seed(seed)
    _check_seed(seed + seeds - 1, "--seed + --seeds - 1")
    sc = get_scenario(scenario)
    if out is not None:
        check_writable(out, "--out")
    if sizes is not None:
        _stability_table(sc, sizes, seed, episodes, as_json)
        return
    suite_obj = Suite.load(suite_path, sc) if suite_path is not None else None

    def progress(case) -> None:
        top = max(case.estimated, key=lambda o: case.estimated[o]["mean"])
        console.print(f"  {case.agent}: top {top} {case.estimated[top]['mean']:.2f} ({case.seconds:.1f} s)", highlight=False)

    what = "attributing planted agents" if suite_obj is not None else "building the suite, then attributing planted agents"
    with status(console, what):
        result = run_validation(
            sc, suite=suite_obj, budget=budget, episodes=episodes, seed=seed, seeds=seeds, work_dir=out,
            on_case=progress,
        )
    console.print(
        f"one attribution took {result.attribution_seconds:.1f} s (median); the whole validation {result.seconds:.1f} s",
        highlight=False,
    )
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    table = Table("planted agent", *(f"{o}\nweight [90% interval]" for o in sc.objectives), "verdict", "top-1", "covered")
    for case in result.cases:
        cells = [f"{e['mean']:.2f} [{e['lo']:.2f}, {e['hi']:.2f}]" for e in case.estimated.values()]
        top1 = {True: "[green]yes[/]", False: "[red]no[/]", None: "–"}[case.top1_correct]
        table.add_row(case.agent, *cells, case.verdict, top1, "[green]yes[/]" if all(case.covered) else "[red]no[/]")
    Console(width=max(120, Console().width)).print(table)

    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    Console().print(
        f"top1_accuracy {fmt(result.top1_accuracy)}   mixture_mae {fmt(result.mixture_mae)}   "
        f"ci_coverage {fmt(result.ci_coverage)}   (suite: {result.suite_scenes} scenes)\n"
        f"weak_false_mixed {fmt(result.weak_false_mixed)}   partial_false_intended {fmt(result.partial_false_intended)}   "
        f"partial_coverage {fmt(result.partial_coverage)}   stable verdicts {fmt(result.stability['stable'])}",
        highlight=False,
    )


def _stability_table(sc: Scenario, sizes: str, seed: int, episodes: int | None, as_json: bool) -> None:
    """``validate --sizes``: the planted agents' verdict stability for each suite size."""
    from proxies.run.validate import stability_by_size

    try:
        per_proxy = [int(x) for x in sizes.split(",")]
    except ValueError:
        raise ConfigError(f"--sizes takes scenes per proxy separated by commas, e.g. 2,3,4,6; got {sizes!r}.") from None
    with status(console, f"building {len(per_proxy)} suites and attributing planted agents on each"):
        rows = stability_by_size(sc, per_proxy, seed=seed, episodes=episodes)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    keys = ("per_proxy", "scenes", "suite_seconds", "bootstrap_stability", "leave_one_out_stability", "stable",
            *(k for k in rows[0] if k.startswith("stable_")), "top1_accuracy", "weak_false_mixed",
            "partial_false_intended", "partial_coverage", "mixture_mae")
    table = Table(*(k.replace("_", " ") for k in keys))
    for row in rows:
        table.add_row(*("n/a" if row[k] is None else f"{row[k]:.2f}" if isinstance(row[k], float) else str(row[k])
                        for k in keys))
    Console(width=max(160, Console().width)).print(table)


@app.command()
@_guard
def report(
    run_dir: Path = typer.Argument(..., help="A run directory with attribution.json."),
    strict: bool = STRICT_OPT,
) -> None:
    """Write the HTML report of a run (a run whose scenario was edited since gets a warning; --strict: refused)."""
    from proxies.present.report import write_report
    from proxies.present.story import glossary
    from proxies.run.rundir import check_fingerprint, load_record
    if not run_dir.is_dir():
        raise RunDirError(f"Run directory {run_dir} does not exist; train into it with `proxy-sandbox train`.")
    record = load_record(run_dir)
    docs = None
    try:
        sc = get_scenario(record.config.scenario)
    except ProxiesError as exc:
        if strict:
            raise RunDirError(
                f"{run_dir} cannot be checked against its scenario, which does not load ({exc}); restore the scenario, "
                "or drop --strict."
            ) from None
        _warn(f"{run_dir}'s scenario does not load ({exc}), so whether it changed since the run cannot be checked.")
    else:
        warning = check_fingerprint(run_dir, sc, strict=strict, record=record)
        if warning:
            _warn(warning)
        docs = glossary(sc)
    check_writable(run_dir, "RUN_DIR")
    console.print(f"report: {write_report(run_dir, docs)}", soft_wrap=True)


@app.command()
@_guard
def bench(
    scenario: str = typer.Option("cleaning-robot", help="Scenario to measure: a registered name or a path to a scenario file."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    sweep_runs: int = typer.Option(
        0, "--sweep", help="Instead: a sweep of this many runs on 1 worker, then on 2 (runs per hour, overhead); e.g. 4."
    ),
    steps: int = typer.Option(20_000, parser=_count, help="With --sweep: training steps per run."),
) -> None:
    """Measure env, physics and PPO throughput side by side (the scenario, the platformer fixture, CartPole)."""
    from proxies.run.bench import run_bench

    if sweep_runs:
        _bench_sweep(scenario, sweep_runs, steps, as_json)
        return

    figures = run_bench(scenario, console=console)
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    table = Table("scenario", "env steps/s", "physics steps/s", "env overhead ratio", "PPO steps/s", "PPO ratio")
    for slug, row in figures["scenarios"].items():
        table.add_row(
            slug, f"{row['env_steps_per_s']:,.0f}", f"{row['physics_steps_per_s']:,.0f}", f"{row['env_overhead_ratio']:.3f}",
            f"{row['ppo_steps_per_s']:,.0f}", f"{row['ppo_ratio']:.3f}",
        )
    out = Console()
    out.print(table)
    out.print(f"PPO on CartPole-v1: {figures['ppo_cartpole_steps_per_s']:,.0f} steps/s (the PPO ratios' denominator)")
    for note in figures["notes"]:
        out.print(f"note: {note}")


def _bench_sweep(scenario: str, runs: int, steps: int, as_json: bool) -> None:
    from proxies.run.sweep_bench import bench_sweep

    if runs < 2:
        raise ConfigError(f"--sweep needs at least 2 runs to keep 2 workers busy, got {runs}.")
    figures = bench_sweep(scenario, runs=runs, steps=steps, console=console)
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    table = Table("workers", "runs", "wall [s]", "runs/hour", "overhead")
    for row in figures["rows"]:
        table.add_row(str(row["workers"]), str(row["runs"]), f"{row['wall_seconds']:.0f}", f"{row['runs_per_hour']:.1f}",
                      f"{row['overhead_fraction']:.1%}")
    Console().print(table)
    Console().print(f"speedup of 2 workers over 1: {figures['speedup']:.2f}x; sweep overhead (1 worker): "
                    f"{figures['overhead_fraction']:.1%} of the wall time")


@app.command()
@_guard
def suite(
    scenario: str = SCENARIO_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print the suite as JSON."),
    out: Path | None = typer.Option(None, help="Directory (e.g. a run directory) to save suite.json in."),
    png_dir: Path | None = typer.Option(None, "--png-dir", help="Directory to render each scene into (scene-<id>.png)."),
    seed: int = typer.Option(0, help="Seed of the suite."),
    per_proxy: int = typer.Option(8, help="Scenes separating each proxy that the suite must hold (8: see docs/concepts.md)."),
    automatic: bool = typer.Option(False, help="Use automatic (planning) references even where scripted ones exist."),
    per_factor: int = typer.Option(4, help="Candidate scenes per intervened factor (or pair) in each round."),
    episodes: int = typer.Option(6, help="Gate episodes per reference per candidate scene (at least 2)."),
) -> None:
    """Compile counterfactual scenes for every proxy edge, gate them, and keep a minimal diagnostic set.

    With --out, suite.json records the scenario's fingerprint; --out may be a run directory of the same
    scenario (and version), never another scenario's.
    """
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

    from proxies.evaluate.gate import GateConfig
    from proxies.evaluate.suite import build_suite
    if per_proxy < 1 or per_factor < 1:
        raise ConfigError(f"--per-proxy and --per-factor must be at least 1, got {per_proxy} and {per_factor}.")
    _check_seed(seed)
    gate = GateConfig(episodes=episodes)
    sc = get_scenario(scenario)
    if out is not None:
        check_writable(out, "--out")
        _check_suite_destination(out, sc)
    if png_dir is not None:
        check_writable(png_dir, "--png-dir")
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
    with progress_display(console, *columns, transient=True) as progress:
        built = build_suite(
            sc, seed=seed, per_proxy=per_proxy, per_factor=per_factor, gate=gate, automatic=automatic, progress=progress
        )
    if out is not None:
        console.print(f"suite: {built.save(out / 'suite.json', sc)}", soft_wrap=True)
    if png_dir is not None:
        from proxies.present.drawing import save_png
        from sandbox.render import render_spec

        for scene in built.scenes:
            save_png(render_spec(scene.spec), png_dir / f"scene-{scene.id}.png")
        console.print(f"images: {png_dir}", soft_wrap=True)
    console.print(
        f"built and gated {built.candidates} candidate scenes in {built.seconds:.1f} s; "
        f"kept {len(built.scenes)}, coverage {built.coverage}"
    )
    if as_json:
        print(json.dumps(built.summary(), indent=2))
        return
    table = Table("reference", "source", "own return", "random", "p")
    for objective, c in built.competence.items():
        table.add_row(objective, c["source"], f"{c['mean']:.3g}", f"{c['random']:.3g}", f"{c['p_value']:.2g}")
    Console().print(table)
    table = Table("scene", "seed", "interventions", "separates", "margin", "p")
    for scene in built.scenes:
        table.add_row(
            scene.id, str(scene.seed), ", ".join(f"{k}={v}" for k, v in scene.interventions.items()),
            ", ".join(scene.separates), f"{scene.margin:.3g}", f"{scene.p_value:.2g}",
        )
    Console().print(table)


def _check_suite_destination(out: Path, sc) -> None:
    """Refuse to write a suite of ``sc`` over a run (or suite) of another scenario, or of another version of it."""
    from proxies.run.rundir import load_record
    if (out / "config.json").is_file():
        record = load_record(out)
        if record.fingerprint is not None:
            theirs = record.fingerprint["scenario"]
        else:
            try:
                theirs = get_scenario(record.config.scenario).slug
            except ProxiesError:
                theirs = record.config.scenario
        if theirs != sc.slug:
            raise SuiteMismatchError(
                f"--out {out} is a run of {theirs!r}; a suite of {sc.slug!r} there would replace that run's suite.json. "
                "Pick another --out (a new folder is fine), or the run's own scenario."
            )
        found = changes(record.fingerprint, sc) if record.fingerprint is not None else []
        if found:
            raise SuiteMismatchError(
                f"--out {out} is a run of an earlier version of {sc.slug!r} (what changed: {describe_changes(found)}); "
                "a suite of today's scenario would not match its model. Re-run `proxy-sandbox run` into it (which "
                "trains and builds both anew), or pick another --out."
            )
    existing = out / "suite.json"
    if existing.is_file():
        try:
            data = read_json_file(existing, "")
        except ProxiesError:
            return  # a damaged suite.json may be replaced
        theirs = data.get("scenario") if isinstance(data, dict) else None
        if isinstance(theirs, str) and theirs != sc.slug:
            raise SuiteMismatchError(
                f"--out {out} holds a suite of {theirs!r} ({existing}); a suite of {sc.slug!r} would replace it. "
                "Pick another --out, or delete that suite.json first."
            )


@app.command("docs")
@_guard
def docs_command(
    out: Path = typer.Option(Path("docs"), help="The docs folder: scenarios/<slug>.md, index.md, relations/, cli.md go in it."),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", help="Only this scenario's page (repeatable; default: every page and the gallery)."
    ),
) -> None:
    """Generate the teaching pages from the scenarios themselves: one page per scenario (docstring, factors, graph,
    scenes, films of every objective's reference side by side), the gallery (index.md), a page per relation, and
    this reference (cli.md).

    The hand-written results of each scenario stay in scenarios/results/<slug>.md, which its page links to.
    """
    from proxies.run.docs import write_docs

    with status(console, "building the suites, playing the references and drawing the films"):
        written = write_docs(out, scenario or None, cli=typer.main.get_command(app))
    for path in written:
        console.print(f"wrote {path}", soft_wrap=True)


@app.command("watch")
@_guard
def watch_command(
    scenario: str = SCENARIO_ARG,
    scene: str | None = typer.Option(
        None, "--scene", help="A counterfactual scene: its number on the scenario's docs page (from 1) or its id; with a "
        "run directory as --policy, of the run's own suite."
    ),
    factor: list[str] | None = typer.Option(None, "--factor", help="Set a factor of a training scene, NAME=VALUE (repeatable)."),
    policy: str | None = typer.Option(None, "--policy", help="reference:OBJECTIVE, random, or a run directory "
                                      "(default: the true reward's reference)."),
    speed: float = typer.Option(1.0, "--speed", help="Playback speed, a multiple of real time."),
    record: Path | None = typer.Option(None, "--record", help="Write the film to FILE.gif or FILE.mp4 instead of a window."),
    seed: int = typer.Option(0, help="Seed of the scene (with --factor or none) and of the policy."),
) -> None:
    """Play a policy in one scene, with each objective's running count and the step drawn on every frame: in a window
    (for a classroom projector), or into a film with --record (no display needed)."""
    from proxies.run.watch import check_record, check_speed, parse_factors, pick_policy, pick_scene, watch

    _check_seed(seed)
    check_speed(speed)
    check_record(record)
    sc = get_scenario(scenario)
    factors = parse_factors(sc, factor or [])
    chosen = pick_policy(sc, policy or f"reference:{sc.true_reward}")
    with status(console, "preparing the scene"):
        spec, scene_seed, caption = pick_scene(sc, scene=scene, factors=factors, seed=seed, run_dir=chosen.run_dir)
    console.print(f"{sc.slug}: {chosen.title} in {caption} (seed {scene_seed})", soft_wrap=True)
    frames = watch(sc, chosen, spec, scene_seed, speed=speed, record=record)
    if record is not None:
        console.print(f"film: {record} ({len(frames)} frames)", soft_wrap=True)
