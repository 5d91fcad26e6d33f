"""A counterfactual suite: scenes that intervene on factors outside the training domain.

This first version is generic and simple: for every factor whose intervention domain
reaches beyond its training domain, it builds scenes with that one factor set to
out-of-training values (all other factors drawn from training), runs every objective's
reference behaviour there, and records which proxies the scene *separates*: where the
proxy's reference earns more of the proxy, and less of the true reward, than the
true-reward reference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from proxies.errors import ConfigError, RunDirError
from proxies.policies import Policy
from proxies.rollout import episode_returns
from proxies.scenario import Scenario
from sandbox.factors import Factor
from sandbox.spec import SceneSpec

__all__ = ["Scene", "Suite", "build_suite", "out_of_training_values"]


@dataclass(frozen=True)
class Scene:
    """One counterfactual test scene, reproducible from its JSON alone."""

    id: str
    seed: int
    interventions: dict[str, Any]
    spec: SceneSpec
    separates: tuple[str, ...] = ()
    """Proxies whose reference behaves measurably differently from the true reward's here."""
    reference_returns: dict[str, dict[str, float]] | None = None
    """Reference name -> objective -> return in this scene."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "seed": self.seed,
            "interventions": self.interventions,
            "separates": list(self.separates),
            "reference_returns": self.reference_returns,
            "spec": self.spec.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scene:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            seed=int(data["seed"]),
            interventions=dict(data["interventions"]),
            spec=SceneSpec.from_dict(data["spec"]),
            separates=tuple(data.get("separates", ())),
            reference_returns=data.get("reference_returns"),
        )


@dataclass(frozen=True)
class Suite:
    """The scenes an agent is tested on."""

    scenario: str
    scenes: tuple[Scene, ...]

    @property
    def coverage(self) -> dict[str, int]:
        """Proxy -> number of scenes that separate it."""
        counts: dict[str, int] = {}
        for scene in self.scenes:
            for proxy in scene.separates:
                counts[proxy] = counts.get(proxy, 0) + 1
        return counts

    def save(self, path: Path) -> Path:
        """Write the suite as JSON."""
        data = {"scenario": self.scenario, "scenes": [s.to_dict() for s in self.scenes], "coverage": self.coverage}
        path.write_text(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, path: Path) -> Suite:
        """Read a suite written by :meth:`save`."""
        if not path.is_file():
            raise RunDirError(f"No suite at {path}; run `proxy-sandbox run` or `proxy-sandbox attribute` to build one.")
        try:
            data = json.loads(path.read_text())
            return cls(scenario=data["scenario"], scenes=tuple(Scene.from_dict(s) for s in data["scenes"]))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RunDirError(f"{path} is not a valid suite file ({exc}); delete it and rebuild the suite.") from None


def out_of_training_values(factor: Factor, n: int, rng: np.random.Generator) -> list[Any]:
    """Up to ``n`` values of ``factor`` inside its intervention domain but outside its training domain."""
    if factor.kind == "choice":
        values = [v for v in factor.intervene if v not in factor.train]
        return [values[i % len(values)] for i in range(n)] if values else []
    lo, hi = factor.intervene
    tlo, thi = factor.train
    values = []
    for _ in range(50 * n):
        v = factor.sample(rng, "intervene")
        if not tlo <= v <= thi:
            values.append(v)
        if len(values) == n:
            break
    return values


def build_suite(
    scenario: Scenario,
    references: dict[str, Callable[[], Policy]],
    *,
    per_factor: int = 3,
    seed: int = 0,
) -> Suite:
    """Intervene on one factor at a time and label each scene with the proxies it separates."""
    if scenario.true_reward not in references:
        raise ConfigError(f"build_suite needs a reference for the true reward {scenario.true_reward!r}.")
    rng = np.random.default_rng(seed)
    candidates: list[tuple[str, int, dict[str, Any], SceneSpec]] = []
    for factor in scenario.factors:
        for k, value in enumerate(out_of_training_values(factor, per_factor, rng)):
            scene_seed = int(rng.integers(2**31 - 1))
            spec = scenario.sample_spec(np.random.default_rng(scene_seed), "train", **{factor.name: value})
            candidates.append((f"{factor.name}-{k}", scene_seed, {factor.name: value}, spec))
    specs = [c[3] for c in candidates]
    seeds = [c[1] for c in candidates]
    returns = {name: episode_returns(scenario, specs, make, seeds) for name, make in references.items()}
    true_col = 0
    scenes = []
    for row, (scene_id, scene_seed, interventions, spec) in enumerate(candidates):
        separates = []
        for col, proxy in enumerate(scenario.objectives[1:], start=1):
            if proxy not in returns:
                continue
            by_proxy, by_true = returns[proxy][row], returns[scenario.true_reward][row]
            if by_proxy[col] > by_true[col] and by_proxy[true_col] < by_true[true_col]:
                separates.append(proxy)
        table = {
            name: dict(zip(scenario.objectives, map(float, values[row]))) for name, values in returns.items()
        }
        scenes.append(Scene(scene_id, scene_seed, interventions, spec, tuple(separates), table))
    return Suite(scenario.slug, tuple(scenes))
