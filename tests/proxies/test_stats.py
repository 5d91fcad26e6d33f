"""IQM and stratified percentile bootstrap intervals (rliable's definitions), and the knee of a dose-response."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from proxies.stats import bootstrap_interval, iqm, knee, stratified_bootstrap


@pytest.mark.parametrize("n", [4, 5, 7, 8, 13, 40])
def test_iqm_is_the_25_percent_trimmed_mean(n):
    x = np.random.default_rng(n).normal(size=n)
    assert iqm(x) == pytest.approx(scipy_stats.trim_mean(x, 0.25))


def test_iqm_ignores_an_outlier_seed_and_refuses_no_values():
    assert iqm([0.5, 0.5, 0.5, 0.5, 50.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        iqm([])


def test_the_bootstrap_interval_covers_the_estimate_and_narrows_with_more_seeds():
    rng = np.random.default_rng(0)
    few = bootstrap_interval(rng.normal(size=5), np.random.default_rng(1))
    many = bootstrap_interval(rng.normal(size=200), np.random.default_rng(1))
    assert few["lo"] <= few["mean"] <= few["hi"] and many["lo"] <= many["mean"] <= many["hi"]
    assert many["hi"] - many["lo"] < few["hi"] - few["lo"]
    assert bootstrap_interval([0.3] * 5, np.random.default_rng(0)) == {"mean": 0.3, "lo": 0.3, "hi": 0.3}


def test_the_stratified_bootstrap_resamples_within_each_stratum_only():
    strata = [np.zeros(3), np.ones(4)]
    means = stratified_bootstrap(strata, lambda s: s[1].mean() - s[0].mean(), np.random.default_rng(0), 50)
    assert np.all(means == 1.0)  # a run is never drawn into another stratum


def test_the_knee_is_the_first_alpha_where_most_seeds_are_intended():
    alphas = [0.0, 0.01, 0.03, 1.0]
    seeds = [np.zeros(5), np.array([1, 0, 0, 0, 0]), np.array([1, 1, 1, 1, 0]), np.ones(5)]
    k = knee(alphas, seeds, np.random.default_rng(0))
    assert k["alpha"] == 0.03
    assert k["lo"] <= 0.03 and k["hi"] in (0.03, 1.0)  # 4 of 5 is borderline: resamples move it up the grid
    none = knee(alphas, [np.zeros(5)] * 4, np.random.default_rng(0))
    assert none["alpha"] is None and none["hi"] is None
    with pytest.raises(ValueError, match="sorted"):
        knee([0.1, 0.0], [np.ones(2), np.ones(2)], np.random.default_rng(0))
