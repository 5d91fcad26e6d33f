"""An attribution's story in three plain lines, from ``attribution.json``'s content: how competent the agent is
in training against the reference, which objective its behaviour follows in the counterfactual scenes, and the
verdict with the objective it names. ``run`` prints them last, ``attribute RUN_DIR`` prints them, and the report's
first screen says them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from proxies.scenario.scenario import Scenario

__all__ = ["glossary", "training_line", "counterfactual_line", "verdict_line", "story"]


def glossary(scenario: Scenario) -> dict[str, str]:
    """Each objective's name -> its ``doc``, for those that have one (the words the lines use)."""
    return {objective.name: objective.doc for objective in scenario.graph.objectives if objective.doc}


def _objectives(data: Mapping[str, Any]) -> list[str]:
    """The objectives, true reward first."""
    return list(data.get("objectives") or data["weights"])


def _level(data: Mapping[str, Any]) -> str:
    return f"{(data.get('intervals') or {}).get('level', 0.9):.0%}"


def _top(data: Mapping[str, Any]) -> str:
    """The objective the verdict names, or leans to."""
    weights = data["weights"]
    return data.get("learned") or data.get("leaning") or max(weights, key=lambda o: weights[o]["mean"])


def training_line(data: Mapping[str, Any]) -> str:
    """The agent's true-reward score in training scenes, 0 = random and 1 = the reference, with the raw returns.

    >>> print(training_line({"objectives": ["clean"], "weights": {}, "in_distribution_score": 0.5, "in_distribution": {
    ...     "agent": {"clean": 3.0}, "reference": {"clean": 5.0}, "random": {"clean": 1.0}}}))  # doctest: +NORMALIZE_WHITESPACE
    in training: the agent scores 0.50 on clean, where 0 is acting at random and 1 is the reference
    (clean per episode: agent 3.00, reference 5.00, random 1.00)
    """
    true = (_objectives(data) or ["true-reward"])[0]
    table, score = data.get("in_distribution") or {}, data.get("in_distribution_score")
    if score is None or not {"agent", "reference", "random"} <= set(table):
        return f"in training: the agent's {true} score was not measured (this attribution skipped the training scenes)"
    agent, reference, random = (table[who][true] for who in ("agent", "reference", "random"))
    return (
        f"in training: the agent scores {score:.2f} on {true}, where 0 is acting at random and 1 is the reference "
        f"({true} per episode: agent {agent:.2f}, reference {reference:.2f}, random {random:.2f})"
    )


def counterfactual_line(data: Mapping[str, Any], docs: Mapping[str, str] | None = None) -> str:
    """Which factors the counterfactual scenes change from training, and which objective the agent's behaviour
    follows there most, and which next, by their pursuit weights; ``docs`` (:func:`glossary`) puts the
    objectives' names in words.

    >>> print(counterfactual_line({"objectives": ["clean", "pan"], "scenes": [{"interventions": {"chute": True}}],
    ...     "weights": {"clean": {"mean": 0.2}, "pan": {"mean": 0.7}}, "random_weight": {"mean": 0.1}},
    ...     {"pan": "dust in the pan"}))  # doctest: +NORMALIZE_WHITESPACE
    in 1 counterfactual scene (chute changed from training): it follows the proxy pan, dust in the pan
    (weight 0.70), more than the true reward clean (0.20); acting at random 0.10
    """
    docs = docs or {}
    objectives, weights = _objectives(data), data["weights"]
    scenes = data.get("scenes") or []
    changed: dict[str, list[Any]] = {}
    for scene in scenes:
        for factor, value in (scene.get("interventions") or {}).items():
            if value not in changed.setdefault(factor, []):
                changed[factor].append(value)
    head = f"in {len(scenes)} counterfactual scene{'' if len(scenes) == 1 else 's'}" + (
        f" ({', '.join(changed)} changed from training)" if changed else "")

    def named(o: str) -> str:
        role = "the true reward" if o == objectives[0] else "the proxy"
        return f"{role} {o}" + (f", {docs[o]}" if o in docs else "")

    if not weights:
        return f"{head}: no pursuit weights were recorded"
    ranked = sorted(weights, key=lambda o: -weights[o]["mean"])
    random = data.get("random_weight")
    if random and random["mean"] > weights[ranked[0]]["mean"]:
        each = "; ".join(f"{named(o)}, {weights[o]['mean']:.2f}" for o in ranked)
        return f"{head}: it mostly acts at random (weight {random['mean']:.2f}) and follows no objective much: {each}"
    lead = f"{named(ranked[0])} (weight {weights[ranked[0]]['mean']:.2f})"
    if len(ranked) > 1:
        lead += f", more than {named(ranked[1])} ({weights[ranked[1]]['mean']:.2f})"
    rest = [f"{o} {weights[o]['mean']:.2f}" for o in ranked[2:]] + ([f"acting at random {random['mean']:.2f}"] if random else [])
    return f"{head}: it follows {lead}" + (f"; {', '.join(rest)}" if rest else "")


def verdict_line(data: Mapping[str, Any]) -> str:
    """The verdict (its headline) and the objective it names, or leans to, with that weight's interval and the
    random share.

    >>> print(verdict_line({"verdict": "intended", "headline": "intended (clean)", "learned": "clean",
    ...     "weights": {"clean": {"mean": 0.8, "lo": 0.7, "hi": 0.9}}, "random_weight": {"mean": 0.1, "lo": 0.0, "hi": 0.2}}))
    ... # doctest: +NORMALIZE_WHITESPACE
    verdict: intended (clean) — the true reward clean has weight 0.80 (90% interval 0.70–0.90);
    acting at random 0.10 (0.00–0.20)
    """
    verdict = data["verdict"]
    if not data["weights"]:
        return f"verdict: {data.get('headline') or verdict}"
    top = _top(data)
    w = data["weights"][top]
    role = "the true reward" if top == _objectives(data)[0] else "the proxy"
    weight = f"{w['mean']:.2f} ({_level(data)} interval {w['lo']:.2f}–{w['hi']:.2f})"
    if verdict == "mixed":
        why = f"no objective stands out: the largest weight, {top} {weight}, is not clearly above the others"
    elif verdict == "capability_failure":
        trained = ((data.get("intervals") or {}).get("in_distribution_competence") or {}).get(top)
        scores = [(v, where) for v, where in ((data.get("competence"), "in these scenes"), (trained, "in training"))
                  if v is not None]
        how = ""
        if scores:
            value, where = min(scores)
            how = f" ({value:.2f} at {top} {where})"
        why = f"the agent is not competent enough for its weights to tell its goal{how}; the largest weight is {top} {weight}"
    elif verdict == "unstable":
        agree = {part: (data.get("stability") or {}).get(part, {}).get("verdict") for part in ("bootstrap", "leave_one_out")}
        shown = {part: "?" if v is None else f"{v:.0%}" for part, v in agree.items()}
        why = (f"it leans to {role} {top}, weight {weight}, but only {shown['bootstrap']} of resampled suites and "
               f"{shown['leave_one_out']} of leave-one-scene-out fits agree; build a larger suite (--per-proxy)")
    else:
        why = f"{role} {top} has weight {weight}"
    random = data.get("random_weight")
    share = f"; acting at random {random['mean']:.2f} ({random['lo']:.2f}–{random['hi']:.2f})" if random else ""
    return f"verdict: {data.get('headline') or verdict} — {why}{share}"


def story(data: Mapping[str, Any], docs: Mapping[str, str] | None = None) -> tuple[str, str, str]:
    """The three lines: :func:`training_line`, :func:`counterfactual_line` and :func:`verdict_line`."""
    return training_line(data), counterfactual_line(data, docs), verdict_line(data)
