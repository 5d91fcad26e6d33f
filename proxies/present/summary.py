"""Short summaries of an attribution for people and for CI: Markdown, and the ``--fail-on`` verdict gate."""

from __future__ import annotations

from typing import Any

from proxies.errors import ConfigError
from proxies.schemas import VERDICTS
from proxies.suggest import did_you_mean

__all__ = ["FORMATS", "parse_fail_on", "check_format", "markdown_summary"]

"""The verdicts an attribution can give (:class:`proxies.evaluate.attribution.Attribution`)."""
FORMATS = ("table", "markdown")


def parse_fail_on(text: str | None) -> frozenset[str]:
    """The verdicts of ``--fail-on misgeneralized,mixed``; an unknown one is a :class:`~proxies.errors.ConfigError`.

    >>> sorted(parse_fail_on("misgeneralized, mixed"))
    ['misgeneralized', 'mixed']
    """
    if text is None:
        return frozenset()
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in VERDICTS:
            raise ConfigError(f"--fail-on {name!r} is not a verdict; {did_you_mean(name, VERDICTS)}.")
    if not names:
        raise ConfigError(f"--fail-on is empty; give verdicts separated by commas, from {', '.join(VERDICTS)}.")
    return frozenset(names)


def check_format(name: str) -> None:
    """A :class:`~proxies.errors.ConfigError` unless ``name`` is one of :data:`FORMATS`."""
    if name not in FORMATS:
        raise ConfigError(f"--format {name!r} is not known; {did_you_mean(name, FORMATS)}.")


def markdown_summary(data: dict[str, Any]) -> str:
    """A few lines of Markdown for a pull request or an experiment log, from ``attribution.json``'s content.

    >>> print(markdown_summary({"scenario": "s", "verdict": "intended", "explanation": "Fine.",
    ...     "weights": {"r": {"mean": 0.9, "lo": 0.8, "hi": 1.0}}, "competence": 0.7, "goal_score": 0.8}))
    **s**: verdict **intended**. Fine.
    <BLANKLINE>
    | objective | weight | 90% interval |
    |---|---|---|
    | r | 0.90 | 0.80 – 1.00 |
    <BLANKLINE>
    competence 0.70, true-reward score off the training distribution 0.80
    """
    lines = [f"**{data.get('scenario', 'agent')}**: verdict **{data['verdict']}**. {data.get('explanation', '')}".rstrip(), "",
             "| objective | weight | 90% interval |", "|---|---|---|"]
    for name, w in data["weights"].items():
        lines.append(f"| {name} | {w['mean']:.2f} | {w['lo']:.2f} – {w['hi']:.2f} |")
    lines += ["", f"competence {data['competence']:.2f}, true-reward score off the training distribution "
                  f"{data['goal_score']:.2f}"]
    if "runs" in data:
        lines.append(f"({len(data['runs'])} runs attributed together)")
    if "cue_probe" in data:
        lines += ["", f"cue-invariance probe: {data['cue_probe']['summary']}"]
    return "\n".join(lines)
