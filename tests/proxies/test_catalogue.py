"""The bad-input catalogue: scenario files with one mistake each, run through the command line.

Each case writes a small scenario file (most reuse the cleaning robot's parts) into an empty folder and runs
``proxy-sandbox`` on it in a subprocess, as a user would. Every case must end with the expected exit code and
a typed message that names the problem and the fix (and, where the culprit is the user's code, its file and
line), without a traceback, leaving every file that was there before unchanged. Cases that part A's tests
already run (bad options, damaged JSON files, unwritable folders) are in ``test_cli.py``, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from proxies.cli import app; app(prog_name='proxy-sandbox')"]

BASE = '''
import dataclasses
import math

import numpy as np

from proxies import Measurement, Objective, RewardGraph, Scenario
from sandbox import Factor, SceneSpec
from sandbox.layout import scatter
from scenarios import cleaning_robot as robot
from scenarios.cleaning_robot import DUST, FACTORS, GRAPH, SCENARIO as ROBOT, build_scene, observe


def measurements(sweeps=robot.sweeps):
    """The cleaning robot's measurements, with another sweeps function."""
    return (
        Measurement.of(sweeps, causes=("dust", "stains", "outside_dust"), unit="contacts"),
        Measurement.of(robot.cleanliness, causes=("sweeps", "dust", "chute", "pan_wall", "pan_offset")),
        Measurement.of(robot.dust_in_pan, causes=("cleanliness", "outside_dust", "chute", "pan_wall", "pan_offset")),
    )


def graph(factors=FACTORS, sweeps=robot.sweeps):
    return RewardGraph(factors=factors, measurements=measurements(sweeps), true_reward=GRAPH.true_reward, proxies=GRAPH.proxies)


def robot_like(**changes):
    return dataclasses.replace(ROBOT, name="BadRobot", slug="bad-robot", **changes)
'''
"""What every case file starts with: the cleaning robot's parts, and helpers to swap one of them."""


@dataclass(frozen=True)
class Case:
    """One bad input: the scenario file's own lines, the commands, and what each must say."""

    id: str
    body: str
    runs: tuple[tuple[tuple[str, ...], int, tuple[str, ...]], ...]
    """``(arguments after the file, exit code, fragments the message must hold)`` per command."""
    outcome: str
    """``typed error`` (exit 2, a typed message), ``refused`` (refused before any work), or ``handled``
    (``check`` reports the failure: exit 1)."""
    writes_nothing: bool = True
    """Whether the command must leave no new file either (refused before writing anything)."""
    extra: dict = field(default_factory=dict)


TRAIN = ("train", "--steps", "64", "--out", "run")

CASES = [
    Case(
        "cue-factor-listed-as-a-cause",
        '''
LAMP = Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=True)
wired = (dataclasses.replace(measurements()[0], causes=("dust", "stains", "outside_dust", "lamp")), *measurements()[1:])
SCENARIO = robot_like(graph=RewardGraph(factors=(*FACTORS, LAMP), measurements=wired, true_reward=GRAPH.true_reward,
                                        proxies=GRAPH.proxies))
''',
        ((("check", "--json"), 2, ("Measurement 'sweeps' lists as a cause the cue-only factor 'lamp'",
                                    "Remove 'lamp' from the causes of 'sweeps'", "declare the factor without cue=True")),),
        "refused",
    ),
    Case(
        "cue-factor-that-moves-the-robot",
        '''
LAMP = Factor.choice("lamp", train=("green",), intervene=("green", "red"), cue=True)


def moved(factors, rng):
    spec = build_scene(factors, rng)
    if factors["lamp"] != "red":
        return spec
    return dataclasses.replace(spec, entities=tuple(e.at(2.0, 2.0) if e is spec.agent else e for e in spec.entities))


SCENARIO = robot_like(graph=graph(factors=(*FACTORS, LAMP)), build_scene=moved)
''',
        ((("check", "--json"), 1, ("cue-only factors", "CueFactorError", "'lamp' set to 'red' changes the scene's layout",
                                    "declare it without cue=True")),),
        "handled",
    ),
    Case(
        "measurement-returns-a-string",
        '''
def sweeps(world):
    return "1.0"


SCENARIO = robot_like(graph=graph(sweeps=sweeps))
''',
        ((TRAIN, 2, ("Measurement 'sweeps' (", "case.py:", "returned '1.0' (a str) at the episode's start",
                     "return a number (int or float), not a string")),),
        "typed error",
    ),
    Case(
        "measurement-returns-inf",
        '''
def sweeps(world):
    return math.inf


SCENARIO = robot_like(graph=graph(sweeps=sweeps))
''',
        ((("check", "--json"), 1, ("measurements and observations", "MeasurementError: Measurement 'sweeps' (",
                                    "case.py:", "returned inf (not a finite number)", "return a finite number")),
         (TRAIN, 2, ("Measurement 'sweeps'", "returned inf"))),
        "handled",
    ),
    Case(
        "measurement-returns-nan-during-training",
        '''
def sweeps(world):
    return math.nan if world.steps >= 3 else 0.0


SCENARIO = robot_like(graph=graph(sweeps=sweeps))
''',
        ((TRAIN, 2, ("Measurement 'sweeps' (", "case.py:", "returned nan (not a finite number) after step 3",
                     "guard divisions by zero")),),
        "typed error",
        writes_nothing=False,  # caught in training, after the run directory was made
        extra={"not": ("torch", "ValueError", "Expected parameter")},
    ),
    Case(
        "robot-outside-the-walls",
        '''
def outside(factors, rng):
    spec = build_scene(factors, rng)
    return dataclasses.replace(spec, entities=tuple(e.at(-1.0, 1.5) if e is spec.agent else e for e in spec.entities))


SCENARIO = robot_like(build_scene=outside)
''',
        ((("check", "--json"), 1, ("scene layout", "Driver 'agent'", "at (-1, 1.5)", "outside the floor [0, 4] x [0, 4.5] m",
                                    "built by build_scene (", "case.py:", "Place every entity inside the floor")),
         (TRAIN, 2, ("the scene built by build_scene (", "case.py:",
                     "outside the floor [0, 4] x [0, 4.5] m", "Place every entity inside the floor"))),
        "refused",
    ),
    Case(
        "particles-outside-the-walls",
        '''
def spilled(factors, rng):
    spec = build_scene(factors, rng)
    dust = [DUST.at(x, y) for x, y in scatter(rng, 3, (4.5, 1.0, 6.0, 2.0), gap=0.3)]
    return dataclasses.replace(spec, entities=(*spec.entities, *dust))


SCENARIO = robot_like(build_scene=spilled)
''',
        ((("check", "--json"), 1, ("scene layout", "Body 'particle'", "outside the floor [0, 4] x [0, 4.5] m")),
         (TRAIN, 2, ("the scene built by build_scene (", "case.py:", "Body 'particle'", "outside the floor"))),
        "refused",
    ),
    Case(
        "no-dust-in-the-observation",
        '''
NO_DUST = (Factor.integer("dust", train=(0, 0), intervene=(0, 16), doc="no dust in training"), *FACTORS[1:])

SCENARIO = robot_like(graph=graph(factors=NO_DUST))
''',
        ((("check", "--json"), 1, ("observe() (", "cleaning_robot.py:", "no entity of this scene has the tag 'particle'",
                                    "pass required=False")),
         (TRAIN, 2, ("observe() (", "cleaning_robot.py:", "no entity of this scene has the tag 'particle'"))),
        "refused",
    ),
    Case(
        "no-dust-to-clean",
        '''
NO_DUST = (Factor.integer("dust", train=(0, 0), intervene=(0, 16), doc="no dust in training"), *FACTORS[1:])


def observe_any(world):
    """The robot's observation (no chute in training), with the particles' slots allowed to be empty."""
    from sandbox.observe import agent_features, nearest, offsets

    out = agent_features(world, width=robot.WIDTH, height=robot.HEIGHT, speed=robot.ROBOT.max_speed)
    out += world.agent.command
    out += (*offsets(world, (world.regions["dustpan"].centre,), robot.OBS_SCALE), 0.0, 0.0, 0.0)
    out += nearest(world, "particle", robot.NEAREST, scale=robot.OBS_SCALE, required=False)
    return np.array(out, dtype=np.float32)


SCENARIO = robot_like(graph=graph(factors=NO_DUST), observe=observe_any)
''',
        ((("check", "--json"), 1, ("reference cleanliness", "training scenes: own 0 vs random 0",
                                    "the training scenes give it nothing to do", "Check the recipe (build_scene)")),
         (("run", "--steps", "64", "--out", "run"), 2, ("Neither the scripted reference for 'cleanliness' nor a random "
                                                        "policy ever earns any", "the training scenes give it nothing to do",
                                                        "Check the scene recipe (build_scene)"))),
        "refused",
    ),
    Case(
        "integer-factor-with-fractional-bounds",
        '''
FEW = Factor.integer("dust", train=(0.5, 3.5), intervene=(0, 16))
''',
        ((TRAIN, 2, ("case.py failed: SpecError: Factor 'dust' is an integer factor", "(0.5, 3.5)",
                     "give whole bounds, e.g. (1, 3), or declare it with Factor.real", "(line {line} of the file)")),),
        "typed error",
    ),
    Case(
        "factor-kind-typo",
        '''
DUSTY = Factor("dust", "integr", (10, 14), (1, 16))
''',
        ((TRAIN, 2, ("Factor 'dust' has the kind 'integr'; did you mean 'integer'?", "(line {line} of the file)")),),
        "typed error",
    ),
    Case(
        "max-steps-zero",
        '''
SCENARIO = robot_like(max_steps=0)
''',
        ((TRAIN, 2, ("max_steps must be a whole number >= 1, got 0",)),),
        "typed error",
    ),
    Case(
        "sys-exit-at-import",
        '''
import sys

sys.exit(0)
''',
        ((TRAIN, 2, ("case.py called sys.exit(0) (SystemExit): a scenario file must not exit",
                     'keep script code under `if __name__ == "__main__":`')),),
        "typed error",
    ),
    Case(
        "build-scene-returns-none",
        '''
def nothing(factors, rng):
    build_scene(factors, rng)


SCENARIO = robot_like(build_scene=nothing)
''',
        ((TRAIN, 2, ("build_scene (", "case.py:", "returned NoneType, not a SceneSpec", "make it return SceneSpec(")),),
        "typed error",
    ),
    Case(
        "observation-shape-varies",
        '''
def every_particle(world):
    return np.asarray(world.where("particle").ravel(), dtype=np.float32)


SCENARIO = robot_like(observe=every_particle)
''',
        ((TRAIN, 2, ("observe() (", "case.py:", "returned an observation of shape", "has shape",
                     "an observation must have the same size in every scene", "presence flag")),),
        "typed error",
        extra={"not": ("broadcast",)},
    ),
    Case(
        "objective-name-with-mathtext",
        '''
SCENARIO = robot_like(graph=RewardGraph(
    factors=FACTORS, measurements=measurements(), true_reward=GRAPH.true_reward,
    proxies=(Objective("$\\\\frac{$", measurement="sweeps"), GRAPH.proxies[1]),
))
''',
        ((TRAIN, 2, ("Objective name '$\\\\frac{$' is not a Python identifier", "name it e.g. 'frac'")),
         (("graph", "--png", "graph.png"), 2, ("Objective name '$\\\\frac{$' is not a Python identifier",))),
        "typed error",
    ),
    Case(
        "scenario-name-with-a-space",
        '''
SCENARIO = dataclasses.replace(ROBOT, name="My Scenario", slug="my-scenario")
''',
        ((TRAIN, 2, ("Scenario name 'My Scenario' cannot be a gymnasium id", "name it e.g. 'MyScenario'")),),
        "typed error",
    ),
    Case(
        "twenty-thousand-particles",
        '''
def crowded(factors, rng):
    spec = build_scene(factors, rng)
    dust = [DUST.at(x, y) for x, y in scatter(rng, 20_000, (0.5, 0.5, 3.5, 2.5), gap=0.0)]
    return dataclasses.replace(spec, entities=(*spec.entities, *dust))


SCENARIO = robot_like(build_scene=crowded)
''',
        ((TRAIN, 2, ("build_scene (", "case.py:", "scatter's n=20,000 is more than the 2,000 entities a scene may hold")),
         (("check", "--json"), 1, ("scene layout", "more than the 2,000 entities a scene may hold"))),
        "refused",
    ),
    Case(
        "twenty-thousand-bodies-without-scatter",
        '''
def crowded(factors, rng):
    spec = build_scene(factors, rng)
    xs, ys = rng.uniform(0.5, 3.5, 20_000), rng.uniform(0.5, 2.5, 20_000)
    return dataclasses.replace(spec, entities=(*spec.entities, *(DUST.at(x, y) for x, y in zip(xs, ys))))


SCENARIO = robot_like(build_scene=crowded)
''',
        ((TRAIN, 2, ("build_scene (", "case.py:", "The scene has 20,0", "entities, more than the 2,000 a scene may hold",
                     "use fewer, larger bodies")),),
        "refused",
    ),
]


def _snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the CLI; the timeout only guards against a hang (speed is the benchmark's to measure)."""
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "SB3_LOGDIR": str(cwd / "sb3"), "TMPDIR": str(cwd / "tmp"),
        "COLUMNS": "200",
    }
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _message(result: subprocess.CompletedProcess, args: tuple[str, ...]) -> str:
    """What the command said: stderr, or for ``check --json`` the details of its failed checks."""
    text = result.stderr
    if "--json" in args and result.stdout.strip():
        checks = json.loads(result.stdout)["checks"]
        text += " ".join(f"{c['name']}: {c['detail']}" for c in checks if not c["passed"])
    return " ".join(text.split())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_gets_a_typed_message_and_changes_nothing(tmp_path, case):
    work = tmp_path / "work"
    (work / "tmp").mkdir(parents=True)
    (work / "case.py").write_text(BASE + case.body)
    (work / "notes.txt").write_text("a file that was here before")
    for args, code, fragments in case.runs:
        before = _snapshot(work)
        result = _run([args[0], "case.py", *args[1:]], work)
        said = _message(result, args)
        assert result.returncode == code, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        line = (BASE + case.body).splitlines().index(case.body.strip().splitlines()[0]) + 1  # the case's first line
        for fragment in (f.replace("{line}", str(line)) for f in fragments):
            assert fragment in said, f"{args}: {fragment!r} not in {said!r}"
        for fragment in case.extra.get("not", ()):
            assert fragment not in said, f"{args}: {fragment!r} in {said!r}"
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        after = _snapshot(work)
        assert {k: after.get(k) for k in before} == before, f"{args} changed files that were there before"
        if case.writes_nothing:
            new = sorted(set(after) - set(before))
            assert new == [], f"{args} wrote {new}"


def test_the_catalogue_counts_its_outcomes():
    counts = {kind: sum(c.outcome == kind for c in CASES) for kind in ("typed error", "refused", "handled")}
    assert sum(counts.values()) == len(CASES) == 19
    assert counts == {"typed error": 10, "refused": 7, "handled": 2}
