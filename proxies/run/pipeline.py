"""The whole path: train -> counterfactual suite -> attribution -> pictures -> report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

from proxies.errors import ConfigError, ProxiesError, RunDirError, SuiteMismatchError
from proxies.evaluate.agents import AgentOutcome, _attribute_agents, _attribute_policy, load_model_zip, with_cue_probe
from proxies.evaluate.attribution import normalise
from proxies.evaluate.probe import has_critic, value_probe
from proxies.evaluate.references import Competence, measure_competence, reference_behaviours, reference_factories
from proxies.evaluate.suite import Suite, build_suite
from proxies.files import check_writable, model_zip_problem
from proxies.present.drawing import draw_graph, save_gif, save_png
from proxies.present.progress import progress_display, status
from proxies.present.report import write_report
from proxies.present.story import glossary, story
from proxies.run.config import EvaluationConfig, RunConfig
from proxies.run.rundir import (
    RunRecord,
    check_fingerprint,
    load_record,
    prepare,
    require,
    write_json,
)
from proxies.run.training import TrainConfig, quiet_torch_cache, train
from proxies.scenario.fingerprint import changes, describe_changes
from proxies.scenario.policies import ModelPolicy
from proxies.scenario.registry import get_scenario
from proxies.scenario.rollout import play
from proxies.scenario.scenario import Scenario
from proxies.schemas import read_json_file
from sandbox.render import render_spec

__all__ = [
    "SCHEMA_VERSION", "run", "attribution_document", "build_run_suite",
    "other_suite_attribution", "references_competence",
]

_BAR = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
"""Columns of the suite's progress bars (in a terminal)."""


def build_run_suite(
    scenario: Scenario, run_dir: Path, config: RunConfig, *, progress: Any = None,
    competence: Mapping[str, Competence] | None = None,
) -> Suite:
    """Build the counterfactual suite with the run's evaluation settings and seed and save it as ``suite.json``
    (stamped with the scenario's fingerprint).

    ``progress``: a ``rich.progress.Progress`` (or :class:`~proxies.present.progress.PlainProgress`) to report on.
    ``competence``: the references' competence if already measured (:func:`references_competence`).
    """
    e = config.evaluation
    suite = build_suite(
        scenario, reference_factories(scenario), seed=config.seed, per_proxy=e.per_proxy, per_factor=e.per_factor,
        rounds=e.rounds, gate=e.gate, automatic=e.automatic, progress=progress, competence=competence,
    )
    suite.save(run_dir / "suite.json", scenario)
    return suite


def references_competence(
    scenario: Scenario, seed: int, evaluation: EvaluationConfig | None = None
) -> dict[str, Competence]:
    """Every objective's reference against random in training scenes, as the suite measures it (same seed and
    settings): :class:`~proxies.errors.IncompetentReferenceError` if one cannot beat random, e.g. in training
    scenes that give it nothing to do."""
    evaluation = evaluation or EvaluationConfig()
    refs = reference_behaviours(scenario, scenario.references, automatic=evaluation.automatic)
    return measure_competence(scenario, refs, seed=seed, alpha=evaluation.gate.alpha)


def _run_suite(run_dir: Path, scenario: Scenario, record: RunRecord) -> Suite:
    """The run's suite, refused unless it was built for the scenario (the version that made the run)."""
    path = run_dir / "suite.json"
    suite = Suite.load(path)
    if record.fingerprint is None or suite.fingerprint is None:
        suite.check_for(scenario, where=str(path))
        return suite
    suite.check_for(scenario, fingerprint=suite.fingerprint, where=str(path))  # the scenario's name
    found = changes(suite.fingerprint, record.fingerprint)
    if found:
        raise SuiteMismatchError(
            f"{path} and {run_dir / 'config.json'} were made by different versions of {scenario.slug!r} (what "
            f"differs: {describe_changes(found)}); make both anew with `proxy-sandbox run {record.config.scenario} "
            f"--out {run_dir}`."
        )
    return suite


def other_suite_attribution(run_dir: Path, suite_path: Path) -> Path:
    """Where ``attribute RUN_DIR --suite FILE`` writes: ``RUN_DIR/attribution-<FILE's stem>.json``, beside
    (never over) the run's own ``attribution.json``."""
    return Path(run_dir) / f"attribution-{Path(suite_path).stem}.json"


def _other_suite(run_dir: Path, suite_path: Path, scenario: Scenario, record: RunRecord) -> tuple[Suite, Path]:
    """A suite given for a run, refused unless it was built for the run's scenario (the version that trained
    its model), and the file its attribution goes to; refused if that file holds another suite's attribution."""
    suite = Suite.load(suite_path, scenario, fingerprint=record.fingerprint)
    out = other_suite_attribution(run_dir, suite_path)
    if out.is_file():
        try:
            data = read_json_file(out, "")
        except ProxiesError:
            data = None
        theirs = data.get("suite") if isinstance(data, dict) else None
        if theirs != str(Path(suite_path).resolve()):  # only an attribution on this very suite file is replaced
            what = f"the attribution on another suite ({theirs})" if isinstance(theirs, str) else "something else"
            raise RunDirError(
                f"{out} holds {what}; attributing on {suite_path} would replace it. Rename the suite file (the "
                "output is named attribution-<suite file name>.json), or move that file away first."
            )
    return suite, out


SCHEMA_VERSION = 3
"""Version of ``attribution.json``'s layout (docs/schemas.md); 2 added it, and ``runs`` for several runs; 3 added
``cue_probe`` (the cue-invariance probe, for a scenario with cue-only factors)."""


def attribution_document(
    scenario: Scenario,
    suite: Suite,
    outcome: AgentOutcome,
    *,
    probe: dict[str, Any] | None = None,
    runs: list[str] | None = None,
    suite_path: Path | None = None,
) -> dict[str, Any]:
    """The content of ``attribution.json`` for one run, or for several runs (seeds) of one agent.

    ``outcome`` is :func:`~proxies.evaluate.agents._attribute_policy`'s (its ``extra``, the cue-invariance
    probe, is kept under its keys); ``probe`` the critic's value probe
    (:meth:`~proxies.evaluate.probe.ValueProbe.to_dict`); ``runs`` names the runs when there are several;
    ``suite_path`` the suite file when it is not the run's own (``attribute RUN_DIR --suite FILE``).
    """
    agent_returns, random_returns = outcome.agent.mean(axis=1), outcome.random.mean(axis=1)
    refs = outcome.references.mean(axis=2)
    data = {
        "schema_version": SCHEMA_VERSION, "scenario": scenario.slug, **outcome.attribution.to_dict(),
        "in_distribution_score": outcome.in_distribution_score,
    }
    if suite_path is not None:
        data["suite"] = str(Path(suite_path).resolve())
    data["relations"] = [r.to_dict() for r in scenario.graph.relations]
    data["seconds"] = outcome.seconds
    if probe is not None:
        data["value_probe"] = probe
    data.update(outcome.extra)
    if runs is not None:
        data["runs"] = runs
    own = np.stack([refs[j, :, j] for j in range(len(scenario.objectives))], axis=1)
    agent_n = normalise(agent_returns, own, random_returns)
    data["scenes"] = []
    for i, scene in enumerate(suite.scenes):
        outcomes = {"agent": dict(zip(scenario.objectives, map(float, agent_returns[i])))}
        for o in scenario.objectives:
            outcomes[f"reference:{o}"] = scene.reference_returns[o]
        outcomes["random"] = dict(zip(scenario.objectives, map(float, random_returns[i])))
        data["scenes"].append({
            "id": scene.id, "separates": list(scene.separates), "interventions": scene.interventions,
            "outcomes": outcomes, "agent_normalised": dict(zip(scenario.objectives, map(float, agent_n[i]))),
            **({"image": f"images/scene-{scene.id}.png"} if suite_path is None else {}),  # the run's pictures
        })
    return data


def _attribute(
    scenario: Scenario, suite: Suite, model: Any, config: RunConfig, console: Console, suite_path: Path | None = None
) -> dict[str, Any]:
    """Attribute a trained model on its suite, with its critic probed: ``attribution.json``'s content."""
    agent = lambda: ModelPolicy(model)  # noqa: E731 - a factory per episode
    evaluation = config.evaluation
    with status(console, "running the agent and the random baseline on the suite (several jostled episodes per scene)"):
        outcome = _attribute_policy(
            scenario, suite, agent, seed=config.seed, episodes=evaluation.episodes, n_boot=evaluation.n_boot
        )
    if scenario.graph.cues:
        with status(console, "probing the cue-only factors on scenes paired by the cue alone"):
            outcome = with_cue_probe(outcome, scenario, agent, config.seed)
    probe = None
    if has_critic(model) and evaluation.probe_pairs > 0:
        with status(console, "probing the critic on scenes paired by one intervention"):
            probe = value_probe(
                scenario, suite, model, reward=config.train.objective, seed=config.seed, pairs=evaluation.probe_pairs
            ).to_dict()
    return attribution_document(scenario, suite, outcome, probe=probe, suite_path=suite_path)


def _attribute_run(
    run_dir: Path, *, console: Console | None = None, strict: bool = False, suite_path: Path | None = None
) -> dict[str, Any]:
    """Attribute the agent of a run on its suite; writes and returns ``attribution.json``'s content
    (:func:`proxies.api.attribute` of one run directory).

    With ``suite_path``, on that suite instead (it must be one of the run's scenario, of the version
    that trained the model, else :class:`~proxies.errors.SuiteMismatchError`), written to
    :func:`other_suite_attribution`'s file (recording the suite's path); the run's ``attribution.json``
    is left as it is. A run made by an earlier version of its scenario (see :mod:`proxies.scenario.fingerprint`)
    gets a warning on ``console``, or, with ``strict``, a :class:`~proxies.errors.StaleRunError`.
    """
    console = console or Console(stderr=True)
    record = load_record(run_dir)
    scenario = get_scenario(record.config.scenario)
    warning = check_fingerprint(run_dir, scenario, strict=strict, record=record)
    if warning:
        console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    path = require(run_dir, "model.zip")
    # the suite before unpickling the model: a run without a suite, or a suite of another scenario, fails cheaply
    if suite_path is None:
        suite, out = _run_suite(run_dir, scenario, record), run_dir / "attribution.json"
    else:
        suite, out = _other_suite(run_dir, suite_path, scenario, record)
    check_writable(run_dir, "RUN_DIR")
    quiet_torch_cache()
    model = load_model_zip(path, scenario, record.config.algorithm)
    data = _attribute(scenario, suite, model, record.run_config, console, suite_path)
    write_json(out, data)
    return data


def _is_run_dir(source: Any) -> bool:
    return isinstance(source, (str, Path)) and Path(source).is_dir()


def _attribute_runs(
    sources: Sequence[Any], scenario: str | Scenario | None = None, *, suite: Suite | Path | None = None,
    algorithm: str | None = None, strict: bool = False, seed: int = 0, console: Console | None = None,
) -> dict[str, Any]:
    """Several runs, model zips, models or callables of one agent, attributed together: ``attribution.json``'s
    content, written nowhere (:func:`proxies.api.attribute` of anything but one run directory).

    Run directories name their scenario and algorithm; ``scenario`` is needed for the others, ``algorithm`` for
    their model zips only. ``suite`` is a :class:`~proxies.evaluate.suite.Suite` or a ``suite.json``; by default the
    first run directory's, else one is built (with ``seed``).
    """
    console = console or Console(stderr=True)
    dirs = [Path(s) for s in sources if _is_run_dir(s)]
    others = [s for s in sources if not _is_run_dir(s)]
    scenarios = {}
    if scenario is not None:
        sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
        scenarios[sc.slug] = sc
    records = []
    for source in dirs:
        record = load_record(source)
        sc = get_scenario(record.config.scenario)
        scenarios.setdefault(sc.slug, sc)
        records.append((source, record))
    if len(scenarios) != 1:
        raise ConfigError(
            f"Cannot tell which scenario to attribute in (runs of {sorted(scenarios) or 'no known scenario'}); give "
            "runs of one scenario, and --scenario NAME with model zips."
        )
    (sc,) = scenarios.values()
    for source, record in records:
        warning = check_fingerprint(source, sc, strict=strict, record=record)
        if warning:
            console.print(f"[bold yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if suite is None:
        found = [(source / "suite.json", record.fingerprint) for source, record in records if (source / "suite.json").is_file()]
        if found:
            suite = Suite.load(found[0][0], sc, fingerprint=found[0][1])
    elif not isinstance(suite, Suite):
        suite = Suite.load(suite, sc)
    quiet_torch_cache()
    agents = [load_model_zip(require(source, "model.zip"), sc, record.config.algorithm) for source, record in records]
    agents += others
    with status(console, f"attributing {len(agents)} model(s) on the counterfactual suite"):
        outcome = _attribute_agents(agents, sc, suite=suite, algorithm=algorithm, seed=seed)
    names = [str(s) if isinstance(s, (str, Path)) else f"<{type(s).__name__}>" for s in (*dirs, *others)]
    return attribution_document(sc, outcome.suite, outcome, runs=names)


def _pictures(scenario: Scenario, run_dir: Path, suite: Suite, seed: int, model: Any, data: dict[str, Any]) -> None:
    """The graph, a training scene, every suite scene and one film per intervened factor; adds the films to ``data``."""
    images = run_dir / "images"
    draw_graph(scenario.graph, images / "graph.png", title=scenario.name)
    save_png(render_spec(scenario.sample_spec(np.random.default_rng(seed))), images / "train.png")
    filmed: dict[str, tuple[Any, dict[str, Any]]] = {}  # one film per intervened factor keeps the report light
    for scene, entry in zip(suite.scenes, data["scenes"]):
        save_png(render_spec(scene.spec), images / f"scene-{scene.id}.png")
        filmed.setdefault(next(iter(scene.interventions)), (scene, entry))
    films: list[list[np.ndarray]] = [[] for _ in filmed]

    def film(i: int, env: Any, obs: np.ndarray, done: bool) -> None:
        if env.world.steps % 2 == 0 or done:
            films[i].append(env.render())

    scenes = [scene for scene, _ in filmed.values()]
    play(
        scenario, [s.spec for s in scenes], lambda: ModelPolicy(model), [s.seed for s in scenes],
        env={"render_mode": "rgb_array"}, watch=film,
    )
    for (scene, entry), frames in zip(filmed.values(), films):
        entry["gif"] = f"images/agent-{scene.id}.gif"
        save_gif(frames, run_dir / entry["gif"])


def _reusable_model(run_dir: Path, scenario: Scenario, old: RunRecord | None, console: Console) -> bool:
    """Whether the run's ``model.zip`` is whole and was trained by today's scenario; says why not.

    A truncated or damaged zip (an interrupted copy, a full disk) or a model of an edited scenario is
    removed, so that it is trained again (a later run never mistakes it for this scenario's model).
    """
    path = run_dir / "model.zip"
    if not path.is_file():
        return False
    problem = model_zip_problem(path)
    if problem is not None:
        console.print(f"[yellow]{escape(str(path))} is damaged ({escape(problem)}); training it again[/]", soft_wrap=True)
    elif old is None:
        problem = "no config.json records what trained it"
        console.print(
            f"[yellow]{escape(str(run_dir))} holds a model.zip but no config.json recording what trained it; training it "
            "again[/]",
            soft_wrap=True,
        )
    elif old.fingerprint is None:
        console.print(
            f"[yellow]reusing the trained model in {escape(str(run_dir))}; it records no fingerprint of its scenario "
            "(an older proxy-sandbox made it), so whether the scenario changed since cannot be checked[/]",
            soft_wrap=True,
        )
        return True
    else:
        found = changes(old.fingerprint, scenario)
        if not found:
            console.print(f"[green]reusing the trained model in {escape(str(run_dir))}[/]", soft_wrap=True)
            return True
        problem = describe_changes(found)
        console.print(
            f"[yellow]{escape(scenario.slug)} changed since the model in {escape(str(run_dir))} was trained "
            f"({escape(problem)}); training it again[/]",
            soft_wrap=True,
        )
    try:
        path.unlink()
    except OSError as exc:
        raise RunDirError(f"{path} ({problem}) cannot be removed ({exc.strerror or exc}); delete it by hand.") from None
    return False


def run(
    scenario: str | Scenario, config: TrainConfig | RunConfig, run_dir: Path, *, console: Console | None = None,
    report: bool = True, progress: bool = True,
) -> dict[str, Any]:
    """All stages for one run, in memory: train (or resume, or reuse), suite, attribution, pictures, report.

    The scenario is resolved once, and the model, suite and attribution are passed on as objects;
    each file is written once, atomically. An existing ``model.zip`` is reused only when it is a whole
    zip and the scenario has not changed since it was trained (same fingerprint); otherwise the model is
    trained again, resuming from the last checkpoint of this config if there is one. ``report=False``
    skips the pictures and the HTML report; ``progress=False`` the training's progress bar (or lines).
    It ends by printing the attribution's story (:func:`~proxies.present.story.story`: competence in training,
    behaviour in the counterfactual scenes, verdict), then where the report and ``attribution.json`` are.
    Returns the attribution.

    Examples
    --------
    >>> from pathlib import Path
    >>> from proxies.run.pipeline import run
    >>> from proxies.run.training import TrainConfig
    >>> data = run("cleaning-robot", TrainConfig("cleaning-robot", steps=50_000), Path("runs/demo"))  # doctest: +SKIP
    >>> data["verdict"]  # doctest: +SKIP
    'intended'
    """
    console = console or Console(stderr=True)
    config = config if isinstance(config, RunConfig) else RunConfig(config)
    scenario = get_scenario(scenario) if isinstance(scenario, str) else scenario
    if config.train.objective is not None:
        scenario.check_objective(config.train.objective)
    check_writable(run_dir)  # a bad --out is refused before any work
    old: RunRecord | None = None
    if (run_dir / "config.json").is_file():
        try:
            old = load_record(run_dir)
        except RunDirError:
            old = None  # prepare() says what is wrong with it
    with status(console, "measuring the references against random in training scenes (before training)"):
        competence = references_competence(scenario, config.seed, config.evaluation)  # refused before any file is written
    prepare(run_dir, config, scenario)
    if _reusable_model(run_dir, scenario, old, console):
        quiet_torch_cache()
        model = load_model_zip(run_dir / "model.zip", scenario, config.train.algorithm)
    else:
        model = train(scenario, config.train, run_dir, progress=progress)
    with progress_display(console, *_BAR, transient=True) as bar:
        suite = build_run_suite(scenario, run_dir, config, progress=bar, competence=competence)
    console.print(f"suite: {len(suite.scenes)} scenes, coverage {suite.coverage}")
    data = _attribute(scenario, suite, model, config, console)
    if report:
        with status(console, "drawing pictures"):
            _pictures(scenario, run_dir, suite, config.seed, model, data)
    write_json(run_dir / "attribution.json", data)
    docs = glossary(scenario)
    for line in story(data, docs):
        console.print(escape(line), soft_wrap=True)
    if report:
        console.print(f"report: {write_report(run_dir, docs)}", soft_wrap=True)
    console.print(f"attribution: {run_dir / 'attribution.json'}", soft_wrap=True)
    return data
