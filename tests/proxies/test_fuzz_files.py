"""Property-based fuzzing of every JSON file the tool reads back (Hypothesis, bounded for CI).

Random garbage in ``config.json``, ``suite.json``, ``attribution.json`` and a scene spec — raw bytes, any JSON
value, and valid files with a few fields replaced, removed or added — gives a typed error (a
:class:`~proxies.errors.ProxiesError` or a :class:`~sandbox.errors.SandboxError`), never another exception.
What a file that still parses feeds is run too: a scene spec is built into a world and stepped, an
``attribution.json`` is rendered into the report.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_run import make_run_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import proxies
from proxies.errors import ProxiesError
from proxies.evaluate.suite import Suite
from proxies.present.report import write_report
from proxies.run.rundir import load_record, prepare, read_json
from proxies.run.training import TrainConfig
from sandbox import SceneSpec, World
from sandbox.errors import SandboxError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
"""Examples per property: 25 in CI (the same ones every run); ``FUZZ_EXAMPLES=2000`` searches longer, and afresh."""
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TYPED = (ProxiesError, SandboxError)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["", "0", "1.0", "nan", "cleaning-robot", "PPO", "body", "circle", "red", "$\\frac{$"]),
)
keys = st.text(max_size=8) | st.sampled_from(["mean", "lo", "hi", "$\\frac{$", "kind", "x"])
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)
"""Any JSON value (NaN and infinities included: Python's json reads them)."""


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value (the root included)."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw, valid: Any) -> Any:
    """``valid`` with one to three places replaced by any JSON value, removed, or given an unknown key."""
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        if not path:
            return draw(values)
        *head, last = path
        parent = data
        for key in head:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        if action == "replace":
            parent[last] = draw(values)
        elif action == "remove":
            del parent[last]
        elif isinstance(parent[last], dict):
            parent[last][draw(st.text(min_size=1, max_size=8))] = draw(values)
        else:
            parent[last] = [parent[last], draw(values)]
    return data


def garbage(valid: Any) -> st.SearchStrategy[bytes]:
    """Raw bytes, any JSON value, or ``valid`` mutated, as the bytes of a file."""
    encode = lambda data: json.dumps(data).encode()  # noqa: E731
    return st.one_of(st.binary(max_size=64), values.map(encode), mutated(valid).map(encode), mutated(valid).map(encode))


def _typed(read) -> Any:
    """``read()``'s value, or None if it raised a typed error; any other exception fails the test."""
    try:
        return read()
    except TYPED:
        return None


@pytest.fixture(scope="module")
def robot():
    return proxies.get_scenario("cleaning-robot")


@pytest.fixture(scope="module")
def valid_spec(robot) -> dict:
    return json.loads(robot.sample_spec(np.random.default_rng(3), "intervene", chute=True, stains=2).to_json())


# -- scene specs ----------------------------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_garbage_scene_specs_give_typed_errors(valid_spec, data):
    content = data.draw(garbage(valid_spec))
    spec = _typed(lambda: SceneSpec.from_json(content.decode("utf-8", errors="replace")))
    if spec is None:
        return
    problems = _typed(spec.geometry_problems)  # what check and the env do with a scene they are given
    world = _typed(lambda: World(spec))
    if world is not None and spec.agent is not None and problems == []:
        space = spec.agent.action_space
        for _ in range(3):
            world.step(0 if space.__class__.__name__ == "Discrete" else (0.5,) * space.shape[0])


# -- config.json, suite.json, attribution.json ------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, robot) -> Path:
    run = make_run_dir(tmp_path_factory.mktemp("fuzz"))
    prepare(run / "prepared", TrainConfig("cleaning-robot", steps=256), robot)  # a config.json with a fingerprint
    return run


@FUZZ
@given(data=st.data())
def test_garbage_config_json_gives_a_typed_error(run_dir, data):
    valid = json.loads((run_dir / "prepared" / "config.json").read_text())
    folder = run_dir / "config-fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_bytes(data.draw(garbage(valid)))
    _typed(lambda: load_record(folder))


@FUZZ
@given(data=st.data())
def test_garbage_suite_json_gives_a_typed_error(run_dir, robot, valid_spec, data):
    scene = {"id": "chute-0", "seed": 3, "interventions": {"chute": True}, "separates": ["dust_in_pan"], "margin": 0.4,
             "p_value": 0.01, "gate": {}, "reference_returns": {"cleanliness": {"cleanliness": 3.0}},
             "reference_episodes": {"cleanliness": [[3.0, 1.0, 2.0]]}, "spec": valid_spec}
    valid = {"scenario": "cleaning-robot", "scenes": [scene], "competence": {}, "gate": {"episodes": 6}, "candidates": 4,
             "admitted": {"dust_in_pan": 1}, "seconds": 1.5}
    path = run_dir / "suite-fuzz.json"
    path.write_bytes(data.draw(garbage(valid)))
    _typed(lambda: Suite.load(path))
    _typed(lambda: Suite.load(path, robot))


@FUZZ
@given(data=st.data())
def test_garbage_attribution_json_gives_a_typed_error(run_dir, data):
    valid = json.loads((run_dir / "attribution.json").read_text())
    folder = run_dir / "attribution-fuzz"
    if not folder.exists():
        import shutil

        shutil.copytree(run_dir, folder, ignore=shutil.ignore_patterns("prepared", "*-fuzz*"))
    (folder / "attribution.json").write_bytes(data.draw(garbage(valid)))
    if _typed(lambda: read_json(folder, "attribution.json")) is not None:
        _typed(lambda: write_report(folder))  # what reads it: the report
