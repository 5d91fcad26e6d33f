"""The cue-invariance probe on training-cue's true-reward reference and on the planted green-lamp agent.

Run from the repository root: ``.venv/bin/python docs/benchmarks/cue_probe.py`` (prints a Markdown table;
deterministic: seed 0, 24 pairs per cue value, 90 % intervals, 1000 bootstrap replicates).
"""

from __future__ import annotations

from proxies import get_scenario
from proxies.evaluate.cue import cue_probe
from scenarios.training_cue import GoToGoal, GreenLampOnly


def main() -> None:
    scenario = get_scenario("training-cue")
    print("| agent | cue | pairs | " + " | ".join(f"{o} change [90 %]" for o in scenario.objectives) + " | finding |")
    print("|---|---|---|" + "---|" * len(scenario.objectives) + "---|")
    for name, make in (("GoToGoal (true-reward reference)", GoToGoal), ("GreenLampOnly (planted)", GreenLampOnly)):
        probe = cue_probe(scenario, make)
        for c in probe.cues:
            cells = [f"{c.changes[o]['mean']:+.2f} [{c.changes[o]['lo']:+.2f}, {c.changes[o]['hi']:+.2f}]"
                     for o in scenario.objectives]
            print(f"| {name} | {c.factor}={c.value} | {c.pairs} | " + " | ".join(cells) + f" | {'yes' if c.finding else 'no'} |")


if __name__ == "__main__":
    main()
