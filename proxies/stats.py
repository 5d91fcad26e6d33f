"""Statistics shared by every stage: the Welch t-test of the gate and the references, and aggregates over
runs: the interquartile mean and stratified percentile bootstrap intervals.

Follows rliable (Agarwal et al., "Deep Reinforcement Learning at the Edge of the Statistical
Precipice", NeurIPS 2021): the interquartile mean (IQM) is the 25 % trimmed mean, robust to a few
outlier seeds and more efficient than the median; its interval is a percentile bootstrap that
resamples runs within each stratum (here: each training mix α). Written in numpy rather than
depending on ``rliable``, whose install breaks with pandas 3.

>>> import numpy as np
>>> iqm(np.array([0.0, 1.0, 2.0, 3.0, 100.0, 4.0, 5.0, 6.0]))
3.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

from proxies.errors import ConfigError

__all__ = ["welch_greater", "iqm", "bootstrap_interval", "stratified_bootstrap", "knee", "signed_interval"]


def welch_greater(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """One-sided Welch t-test p-value for "mean of ``a`` > mean of ``b``".

    Samples without spread give 0.0 when ``a``'s mean is larger and 1.0 otherwise.

    >>> welch_greater([3.0, 4.0, 5.0], [0.0, 1.0, 2.0]) < 0.05
    True
    >>> welch_greater([1.0, 1.0], [1.0, 1.0])
    1.0
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ConfigError("A Welch t-test needs at least 2 samples per group.")
    diff = a.mean() - b.mean()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 <= 1e-24 * max(1.0, diff * diff):
        return 0.0 if diff > 0 else 1.0
    df = se2 * se2 / ((va * va / (len(a) - 1) if va else 0.0) + (vb * vb / (len(b) - 1) if vb else 0.0))
    return float(stats.t.sf(diff / math.sqrt(se2), df))


def iqm(values: np.ndarray | Sequence[float]) -> float:
    """The interquartile mean: the mean of the middle 50 % of ``values`` (rliable's 25 % trimmed mean).

    With ``n`` values, ``floor(n / 4)`` are cut from each end (as ``scipy.stats.trim_mean(x, 0.25)``);
    fewer than 4 values keep them all.

    >>> iqm([1.0, 2.0, 3.0])
    2.0
    """
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        raise ValueError("iqm of no values")
    cut = x.size // 4
    return float(x[cut: x.size - cut].mean())


def stratified_bootstrap(
    strata: Sequence[np.ndarray],
    statistic: Callable[[list[np.ndarray]], float],
    rng: np.random.Generator,
    n_boot: int = 2000,
) -> np.ndarray:
    """``n_boot`` values of ``statistic`` on resamples that draw, within each stratum, as many runs as it has.

    ``strata[k]`` holds the runs of stratum ``k`` along its first axis (any trailing shape).
    """
    out = np.empty(n_boot)
    for b in range(n_boot):
        out[b] = statistic([s[rng.integers(0, len(s), len(s))] for s in strata])
    return out


def bootstrap_interval(
    values: np.ndarray | Sequence[float], rng: np.random.Generator, *, level: float = 0.95, n_boot: int = 2000,
    statistic: Callable[[np.ndarray], float] = iqm,
) -> dict[str, float]:
    """The point estimate (``mean``: the statistic of ``values``) and its percentile bootstrap interval.

    >>> import numpy as np
    >>> ci = bootstrap_interval([0.2, 0.3, 0.4, 0.5, 0.6], np.random.default_rng(0))
    >>> ci["lo"] <= ci["mean"] <= ci["hi"]
    True
    """
    x = np.asarray(values, dtype=float)
    boots = stratified_bootstrap([x], lambda s: statistic(s[0]), rng, n_boot)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(boots, [tail, 100 - tail])
    return {"mean": statistic(x), "lo": float(lo), "hi": float(hi)}


def knee(
    alphas: Sequence[float], intended: Sequence[np.ndarray], rng: np.random.Generator, *, threshold: float = 0.8,
    level: float = 0.95, n_boot: int = 2000,
) -> dict[str, float | None]:
    """The smallest α at which at least ``threshold`` of the seeds are ``intended``, with a bootstrap interval.

    ``intended[k]`` holds one boolean per seed at ``alphas[k]`` (sorted increasing). Seeds are resampled
    within each α (stratified), and the knee found anew on each resample; the interval is the
    percentiles of those knees. ``None`` (point or ``hi``) means no α of the grid reaches the threshold
    (on the data, or on more than the upper tail of the resamples).

    >>> import numpy as np
    >>> k = knee([0.0, 0.1, 1.0], [np.array([0, 0, 0]), np.array([1, 1, 1]), np.array([1, 1, 1])],
    ...          np.random.default_rng(0))
    >>> k["alpha"], k["lo"], k["hi"]
    (0.1, 0.1, 0.1)
    """
    grid = np.asarray(alphas, dtype=float)
    if np.any(np.diff(grid) <= 0):
        raise ValueError("alphas must be sorted increasing and distinct")
    strata = [np.asarray(x, dtype=float) for x in intended]

    def index(samples: list[np.ndarray]) -> float:
        reached = [k for k, s in enumerate(samples) if s.mean() >= threshold]
        return float(reached[0]) if reached else np.inf

    point = index(strata)
    boots = stratified_bootstrap(strata, index, rng, n_boot)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(boots, [tail, 100 - tail], method="inverted_cdf")

    def at(i: float) -> float | None:
        return None if not np.isfinite(i) else float(grid[int(i)])

    return {"alpha": at(point), "lo": at(lo), "hi": at(hi), "threshold": threshold, "level": level}


def signed_interval(change: dict[str, float]) -> str:
    """``mean [lo, hi]`` with signs and three significant digits, so a small change that is not zero does not read
    as zero: ``-0.0032 [-0.0045, -0.0019]``.

    >>> signed_interval({"mean": -1.0, "lo": -1.0, "hi": -0.5})
    '-1 [-1, -0.5]'
    """
    return f"{change['mean']:+.3g} [{change['lo']:+.3g}, {change['hi']:+.3g}]"
