"""Real-time baselines and the moving-block bootstrap of a Brier skill score.

A real-time baseline forecasts a month from the months before it only, as a forecaster standing
in that month could have (the review of model v2, ``../shared/REVIEW.md`` §2.2, found that the
constant training-window rate is the weakest such forecaster in a period with a trend):

- **expanding**: the class's rate over every month from the record's first to the month before,
  with Laplace's rule of succession, (k + 1) / (n + 2), updated each month;
- **trailing12**: the same over the 12 months before (fewer at the record's start);
- **trend**: a logistic regression of the class on time, fitted once on the months before the
  origin and extrapolated (``fit_logistic_trend``: lightly penalised so that a separable record
  gives finite coefficients).

The skill of the model against a baseline, 1 − Brier(model) / Brier(baseline), gets a 95%
interval from a moving-block bootstrap of the scored months (Künsch 1989): months are resampled
in runs of ``BLOCK`` consecutive months, so that the dependence between neighbouring months
(a signalling spell, a sabotage wave) is kept inside a block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

TRAILING_MONTHS = 12
"""Window of the trailing baseline, in months."""
TREND_SLOPE_SD = 2.0
"""Prior standard deviation of the trend's slope, in log-odds per year (a light ridge penalty)."""
BLOCK = 3
"""Months per block of the moving-block bootstrap."""
RESAMPLES = 2000
"""Bootstrap resamples of each skill score."""
INTERVAL = (0.025, 0.975)
"""Quantiles of the bootstrap interval (95%)."""
NEWTON_TOLERANCE = 1e-10
"""The trend's Newton iterations stop when no coefficient moves by more than this."""
NEWTON_STEPS = 100
"""Most Newton iterations of the trend fit (it converges in fewer than 10 on the record)."""


def laplace(successes: float, trials: float) -> float:
    """Laplace's rule of succession, (k + 1) / (n + 2): 1/2 with no data, never 0 or 1."""
    return (successes + 1.0) / (trials + 2.0)


def expanding_rate(observed: Sequence[bool] | np.ndarray, start: int) -> np.ndarray:
    """The expanding-window forecast of months ``start`` to the end.

    Rule: month t (0-based) is forecast at (k + 1) / (n + 2), k of the n = t months before it
    having the event (Laplace's rule of succession).

    Args:
        observed: Whether the class happened, one value per month from the record's first.
        start: First forecast month (0-based).

    Returns:
        One probability per month from ``start`` to the last.
    """
    y = np.asarray(observed, dtype=float)
    before = np.concatenate([[0.0], np.cumsum(y)])
    t = np.arange(start, len(y))
    return (before[t] + 1.0) / (t + 2.0)


def trailing_rate(
    observed: Sequence[bool] | np.ndarray, start: int, window: int = TRAILING_MONTHS
) -> np.ndarray:
    """The trailing-window forecast of months ``start`` to the end.

    Rule: month t is forecast at (k + 1) / (n + 2) over the n = min(window, t) months before it
    (Laplace's rule of succession on the last ``window`` months).
    """
    y = np.asarray(observed, dtype=float)
    before = np.concatenate([[0.0], np.cumsum(y)])
    t = np.arange(start, len(y))
    first = np.maximum(t - window, 0)
    return (before[t] - before[first] + 1.0) / (t - first + 2.0)


def fit_logistic_trend(
    observed: Sequence[bool] | np.ndarray, slope_sd: float = TREND_SLOPE_SD
) -> tuple[float, float, float]:
    """A logistic time trend of a monthly event, lightly penalised (Newton's method).

    Rule: logit p_t = a + b (t − c) / 12, t the month (0-based), c the months' mean, so ``b`` is
    the change in log-odds per year. The coefficients maximise the log-likelihood of the months
    plus one success and one failure at the centre c (so that with no trend the fit is
    Laplace's (k + 1) / (n + 2) and a class never, or always, seen keeps a finite level) minus
    b² / (2 ``slope_sd``²) (a normal prior on the slope, so that a record separable in time,
    all 0 then all 1, keeps a finite slope). The objective is strictly concave: Newton's method
    with step halving finds its one maximum.

    Args:
        observed: Whether the event happened, one value per month of the fitted window.
        slope_sd: Prior standard deviation of the slope, log-odds per year.

    Returns:
        ``(a, b, c)``: the level at the centre (log-odds), the slope (log-odds per year) and the
        centre (0-based month).

    Raises:
        ValueError: No month to fit on, or a slope_sd that is not positive.
    """
    y = np.asarray(observed, dtype=float)
    if len(y) == 0:
        raise ValueError("the logistic trend needs at least one month to fit on")
    if not slope_sd > 0:
        raise ValueError(f"slope_sd {slope_sd!r}: give a positive number")
    centre = (len(y) - 1) / 2.0
    x = (np.arange(len(y)) - centre) / 12.0
    penalty = 1.0 / slope_sd**2

    def objective(beta: np.ndarray) -> float:
        eta = beta[0] + beta[1] * x
        # log p = −log(1 + e^−η), log(1 − p) = −log(1 + e^η)
        loglik = float(np.sum(-y * np.logaddexp(0.0, -eta) - (1 - y) * np.logaddexp(0.0, eta)))
        pseudo = -np.logaddexp(0.0, -beta[0]) - np.logaddexp(0.0, beta[0])
        return loglik + pseudo - 0.5 * penalty * beta[1] ** 2

    beta = np.array([math.log(laplace(y.sum(), len(y)) / (1 - laplace(y.sum(), len(y)))), 0.0])
    value = objective(beta)
    for _ in range(NEWTON_STEPS):
        p = _sigmoid(beta[0] + beta[1] * x)
        centre_p = _sigmoid(beta[0])
        gradient = np.array(
            [np.sum(y - p) + 1.0 - 2.0 * centre_p, np.sum(x * (y - p)) - penalty * beta[1]]
        )
        w = p * (1 - p)
        information = np.array(
            [
                [np.sum(w) + 2.0 * centre_p * (1 - centre_p), np.sum(w * x)],
                [np.sum(w * x), np.sum(w * x * x) + penalty],
            ]
        )
        step = np.linalg.solve(information, gradient)
        size = 1.0
        while size > 1e-8:
            trial = beta + size * step
            trial_value = objective(trial)
            if trial_value >= value - 1e-12:
                break
            size /= 2.0
        beta, value = trial, trial_value
        if np.max(np.abs(size * step)) < NEWTON_TOLERANCE:
            break
    return float(beta[0]), float(beta[1]), centre


def trend_rate(
    observed: Sequence[bool] | np.ndarray, start: int, slope_sd: float = TREND_SLOPE_SD
) -> np.ndarray:
    """The logistic-trend forecast of months ``start`` to the end, fitted on the months before.

    Rule: ``fit_logistic_trend`` on months 0 to ``start`` − 1 only, extrapolated to each later
    month; the fit is not updated as the scored months pass.
    """
    y = np.asarray(observed, dtype=float)
    a, b, centre = fit_logistic_trend(y[:start], slope_sd)
    t = np.arange(start, len(y))
    return _sigmoid(a + b * (t - centre) / 12.0)


def _sigmoid(eta: np.ndarray | float) -> np.ndarray:
    """The logistic function, stable for any argument."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(eta, dtype=float)))


def block_indices(
    months: int, rng: np.random.Generator, *, block: int = BLOCK, resamples: int = RESAMPLES
) -> np.ndarray:
    """Month indices of a moving-block bootstrap: ``(resamples, months)``.

    Rule: each resample strings together ceil(months / block) runs of ``block`` consecutive
    months (a run starts at a month drawn uniformly among the months − block + 1 possible
    starts) and keeps its first ``months`` indices (Künsch 1989). With fewer months than
    ``block``, a run is the whole window.
    """
    block = max(1, min(block, months))
    runs = -(-months // block)
    starts = rng.integers(0, months - block + 1, size=(resamples, runs))
    indices = (starts[:, :, None] + np.arange(block)).reshape(resamples, runs * block)
    return indices[:, :months]


def skill_interval(
    model_loss: Sequence[float] | np.ndarray,
    baseline_loss: Sequence[float] | np.ndarray,
    indices: np.ndarray,
) -> tuple[float, float]:
    """The 95% bootstrap interval of the skill 1 − Σ model loss / Σ baseline loss.

    Args:
        model_loss: Per month, the model's summed squared error (over the classes' rows scored
            that month: one per origin that scores it).
        baseline_loss: The same for the baseline.
        indices: Resampled month indices (``block_indices``).

    Returns:
        ``(low, high)``, the 2.5% and 97.5% percentiles of the resampled skills; a resample whose
        baseline loss is 0 has no skill and is left out; NaN when every resample is.
    """
    model = np.asarray(model_loss, dtype=float)[indices].sum(axis=1)
    base = np.asarray(baseline_loss, dtype=float)[indices].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        skills = np.where(base > 0, 1.0 - model / base, np.nan)
    if np.all(np.isnan(skills)):
        return math.nan, math.nan
    low, high = np.nanquantile(skills, INTERVAL)
    return float(low), float(high)


def block_bootstrap_skill(
    model_loss: Sequence[float] | np.ndarray,
    baseline_loss: Sequence[float] | np.ndarray,
    *,
    seed: int,
    block: int = BLOCK,
    resamples: int = RESAMPLES,
) -> tuple[float, float]:
    """``skill_interval`` over a moving-block bootstrap seeded by ``seed`` (reproducible)."""
    rng = np.random.default_rng(seed)
    indices = block_indices(len(model_loss), rng, block=block, resamples=resamples)
    return skill_interval(model_loss, baseline_loss, indices)
