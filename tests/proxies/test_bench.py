"""The benchmark's figures: present, positive, and ratios of the rates printed beside them.

Timings are not asserted (the machine running the tests may be slow and noisy); the targets are
checked by reading ``proxy-sandbox bench --json``.
"""

import pytest

from proxies.bench import run_bench


@pytest.fixture(scope="module")
def figures():
    return run_bench(steps=1024, repeats=1)


def test_bench_reports_every_figure_as_a_positive_rate(figures):
    assert set(figures) == {
        "env_steps_per_s", "physics_steps_per_s", "env_overhead_ratio",
        "ppo_steps_per_s", "ppo_cartpole_steps_per_s", "ppo_ratio",
    }
    assert all(value > 0 for value in figures.values())


def test_bench_ratios_are_the_ratios_of_its_rates(figures):
    assert figures["env_overhead_ratio"] == pytest.approx(figures["env_steps_per_s"] / figures["physics_steps_per_s"])
    assert figures["ppo_ratio"] == pytest.approx(figures["ppo_steps_per_s"] / figures["ppo_cartpole_steps_per_s"])
