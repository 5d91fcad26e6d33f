"""The whole path: train -> counterfactual suite -> attribution -> pictures -> report."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from proxies.agents import attribute_policy, load_model_zip
from proxies.attribution import normalise
from proxies.policies import ModelPolicy, Policy, RandomPolicy
from proxies.probe import has_critic, value_probe
from proxies.registry import get_scenario
from proxies.rollout import episode_returns, play
from proxies.rundir import load_config, prepare, read_json, require, write_json
from proxies.scenario import Scenario
from proxies.suite import Suite, build_suite
from proxies.training import TrainConfig, seeds_for, train

__all__ = ["run", "attribute_run", "build_run_suite", "in_distribution"]

IN_DISTRIBUTION_EPISODES = 16
"""Training-domain episodes for the in-distribution comparison."""


def _references(scenario: Scenario) -> dict[str, Callable[[], Policy]]:
    """Every objective's reference: the scenario's scripted one, else an automatic planner."""
    from proxies.references import reference_behaviours

    return {o: ref.make for o, ref in reference_behaviours(scenario).items()}


def in_distribution(scenario: Scenario, agent: Callable[[], Policy], seed: int) -> tuple[dict[str, Any], float]:
    """Mean returns of the agent, the true-reward reference and random on training scenes, and
    the agent's true-reward score on them (0 = random, 1 = reference)."""
    seeds = seeds_for(seed + 1, IN_DISTRIBUTION_EPISODES)
    specs = [scenario.sample_spec(np.random.default_rng(s)) for s in seeds]
    rows = {
        "agent": episode_returns(scenario, specs, agent, seeds),
        "reference": episode_returns(scenario, specs, _references(scenario)[scenario.true_reward], seeds),
        "random": episode_returns(scenario, specs, RandomPolicy, seeds),
    }
    table = {name: dict(zip(scenario.objectives, map(float, r.mean(axis=0)))) for name, r in rows.items()}
    true = scenario.true_reward
    span = max(table["reference"][true] - table["random"][true], 1e-9)
    return table, (table["agent"][true] - table["random"][true]) / span


def build_run_suite(scenario: Scenario, run_dir: Path, seed: int) -> Suite:
    """Build the counterfactual suite and save it as ``suite.json``."""
    suite = build_suite(scenario, _references(scenario), seed=seed)
    suite.save(run_dir / "suite.json")
    return suite


def attribute_run(run_dir: Path, *, console: Console | None = None) -> dict[str, Any]:
    """Attribute the agent of a run on its suite; writes and returns ``attribution.json``'s content."""
    console = console or Console(stderr=True)
    config = load_config(run_dir)
    scenario = get_scenario(config.scenario)
    path = require(run_dir, "model.zip")
    suite = Suite.load(run_dir / "suite.json")  # before unpickling the model: a run without a suite fails cheaply
    model = load_model_zip(path, scenario, config.algorithm)
    start = time.perf_counter()
    agent = lambda: ModelPolicy(model)  # noqa: E731 - a factory per episode
    with console.status("running the agent and the random baseline on the suite (several jostled episodes per scene)"):
        outcome = attribute_policy(scenario, suite, agent, seed=config.seed)
    result, score = outcome.attribution, outcome.in_distribution_score
    agent_returns, random_returns = outcome.agent.mean(axis=1), outcome.random.mean(axis=1)
    refs = outcome.references.mean(axis=2)
    data = {"scenario": scenario.slug, **result.to_dict(), "in_distribution_score": score}
    data["relations"] = [r.to_dict() for r in scenario.graph.relations]
    data["seconds"] = time.perf_counter() - start
    if has_critic(model):
        with console.status("probing the critic on scenes paired by one intervention"):
            probe = value_probe(scenario, suite, model, reward=config.objective, seed=config.seed)
        data["value_probe"] = probe.to_dict()
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
            "image": f"images/scene-{scene.id}.png", "outcomes": outcomes,
            "agent_normalised": dict(zip(scenario.objectives, map(float, agent_n[i]))),
        })
    write_json(run_dir / "attribution.json", data)
    return data


def _pictures(scenario: Scenario, run_dir: Path, suite: Suite, seed: int) -> None:
    from proxies.drawing import draw_graph, save_gif, save_png
    from sandbox.render import render_spec

    images = run_dir / "images"
    draw_graph(scenario.graph, images / "graph.png", title=scenario.name)
    save_png(render_spec(scenario.sample_spec(np.random.default_rng(seed))), images / "train.png")
    config = load_config(run_dir)
    model = load_model_zip(require(run_dir, "model.zip"), scenario, config.algorithm)
    data = read_json(run_dir, "attribution.json")
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
    write_json(run_dir / "attribution.json", data)


def run(scenario_name: str, config: TrainConfig, run_dir: Path, *, console: Console | None = None) -> dict[str, Any]:
    """All stages for one run; returns the attribution. Prints where the report is."""
    from proxies.report import write_report

    console = console or Console(stderr=True)
    scenario = get_scenario(scenario_name)
    if config.objective is not None:
        scenario.check_objective(config.objective)
    prepare(run_dir, config)
    if (run_dir / "model.zip").is_file():
        console.print(f"[green]reusing the trained model in {run_dir}[/]")
    else:
        train(scenario, config, run_dir)
    with console.status("building the counterfactual suite (reference behaviours on each scene)"):
        suite = build_run_suite(scenario, run_dir, config.seed)
    console.print(f"suite: {len(suite.scenes)} scenes, coverage {suite.coverage}")
    data = attribute_run(run_dir, console=console)
    with console.status("drawing pictures"):
        _pictures(scenario, run_dir, suite, config.seed)
    report = write_report(run_dir)
    console.print(f"[bold]verdict:[/] {data['explanation']}")
    console.print(f"report: {report}\nattribution: {run_dir / 'attribution.json'}")
    return data
