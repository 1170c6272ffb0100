"""Proper scores of monthly forecasts against what happened, and the base-rate baseline.

Both scores are *proper*: a forecaster expecting to be scored by them does best by stating the
probability it believes (Gneiting & Raftery 2007). The baseline forecasts each class at its
constant monthly rate in the training window (the months before the scored window); with no
training window it uses the scored window's own rate, which is in-sample and flatters it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from escalation.timeline import SCORED_EVENTS, month_index

SCORE_COLUMNS = (
    "event",
    "months",
    "observed_months",
    "brier",
    "brier_baseline",
    "brier_skill",
    "log_score",
    "log_score_baseline",
    "baseline",
)
"""Columns of ``scores.csv``; ``baseline`` says which months the base rate comes from."""
POOLED = "pooled"
"""The ``origin`` of a refit's scores pooled over every origin's scored months."""
NEVER_OBSERVED = "never observed"
"""The ``note`` of a class that never happened in the record: nothing can be learnt from it."""


def clip_floor(replicates: int) -> float:
    """Probabilities are clipped to [1/(2N), 1 − 1/(2N)] for the log score, N = replicates.

    With N replicates the model cannot state a probability below 1/N other than 0; half of
    that is the smallest it could mean, and keeps one unforeseen month from scoring −∞.
    """
    return 1.0 / (2.0 * replicates)


def brier_score(p: Sequence[float] | np.ndarray, observed: Sequence[bool] | np.ndarray) -> float:
    """Mean squared error of the probabilities: mean((p − y)²), 0 best, 1 worst (Brier 1950)."""
    p, y = np.asarray(p, dtype=float), np.asarray(observed, dtype=float)
    return float(np.mean((p - y) ** 2))


def log_score(
    p: Sequence[float] | np.ndarray, observed: Sequence[bool] | np.ndarray, floor: float
) -> float:
    """Mean natural log of the probability given to what happened: mean(y ln p + (1−y) ln(1−p)).

    Positively oriented: 0 is a perfect forecast, higher (closer to 0) is better. ``p`` is
    clipped to [floor, 1 − floor] first (see ``clip_floor``).
    """
    p = np.clip(np.asarray(p, dtype=float), floor, 1.0 - floor)
    y = np.asarray(observed, dtype=bool)
    return float(np.mean(np.where(y, np.log(p), np.log1p(-p))))


def brier_skill(brier: float, baseline: float) -> float:
    """Brier skill score 1 − Brier/Brier(baseline): > 0 beats the baseline, 1 is perfect.

    Undefined (NaN) when the baseline is perfect (Brier 0: a class it never saw and that never
    happened); then compare the Brier scores themselves.
    """
    return float("nan") if baseline == 0 else 1.0 - brier / baseline


def score_table(
    forecast: pd.DataFrame, *, scored_from: str, scored_to: str, replicates: int
) -> pd.DataFrame:
    """One row per scored class: the model's and the baseline's scores over the scored window.

    Args:
        forecast: ``month, event, p, observed`` for every replayed month (``forecast``).
        scored_from: First scored month; earlier months of ``forecast`` are the training window.
        scored_to: Last scored month.
        replicates: Replicates behind ``p`` (sets the log-score clipping, ``clip_floor``).

    Returns:
        Columns ``SCORE_COLUMNS``, classes in ``SCORED_EVENTS`` order.
    """
    index = forecast["month"].map(month_index)
    first, last = month_index(scored_from), month_index(scored_to)
    training = forecast[index < first]
    scored = forecast[(index >= first) & (index <= last)]
    in_sample = training.empty
    reference = scored if in_sample else training
    months = reference["month"]
    window = f"{months.min()}..{months.max()}"
    label = f"in-sample {window}" if in_sample else f"training {window}"
    floor = clip_floor(replicates)
    rows = []
    for event in SCORED_EVENTS:
        mine = scored[scored["event"] == event]
        rate = float(reference.loc[reference["event"] == event, "observed"].mean())
        y = mine["observed"].to_numpy(dtype=bool)
        base = np.full(len(mine), rate)
        brier, brier_base = brier_score(mine["p"], y), brier_score(base, y)
        rows.append(
            {
                "event": event,
                "months": len(mine),
                "observed_months": int(y.sum()),
                "brier": brier,
                "brier_baseline": brier_base,
                "brier_skill": brier_skill(brier, brier_base),
                "log_score": log_score(mine["p"], y, floor),
                "log_score_baseline": log_score(base, y, floor),
                "baseline": label,
            }
        )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def baseline_rates(forecast: pd.DataFrame, scored_from: str) -> pd.Series:
    """Each class's monthly rate in the training window (months before ``scored_from``)."""
    training = forecast[forecast["month"].map(month_index) < month_index(scored_from)]
    return training.groupby("event", sort=False)["observed"].mean()


def reliability(forecast: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Reliability of the forecasts pooled over classes: per bin of p, mean p and observed rate.

    Args:
        forecast: ``p`` and ``observed`` columns (the scored months).
        bins: Equal-width bins over [0, 1]; p = 1 falls in the last.

    Returns:
        One row per non-empty bin: ``low``, ``high``, ``count``, ``mean_p``, ``observed_rate``.
    """
    edges = np.linspace(0.0, 1.0, bins + 1)
    p = forecast["p"].to_numpy(dtype=float)
    y = forecast["observed"].to_numpy(dtype=float)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "low": edges[b],
                    "high": edges[b + 1],
                    "count": int(mask.sum()),
                    "mean_p": float(p[mask].mean()),
                    "observed_rate": float(y[mask].mean()),
                }
            )
    return pd.DataFrame(rows, columns=["low", "high", "count", "mean_p", "observed_rate"])
