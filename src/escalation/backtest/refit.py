"""Refit at rolling origins: calibrate before each origin, score the months from it.

``escalation-backtest --refit`` answers the review's objection to the back-test (the model side
was never refitted, ``../shared/REVIEW.md`` §2.1, §2.3): for each origin (default
``DEFAULT_ORIGINS``)

1. a fit function calibrates the parameters on the record's months *before* the origin
   (``fit(until)``, ``until`` the month before the origin; by default ``escalation.calibrate``'s
   ABC-SMC, imported only when a refit runs) and returns the posterior: one row per particle, a
   column per parameter, and ``weight``;
2. the record is replayed once with ``draws`` particles drawn from that posterior by weight,
   ``replicates`` replicates each (``EscalationModel(settings, replay=...,
   uncertainties=...)``), and the posterior-predictive probability of each scored class in each
   month is the share of all replicates in which it occurs;
3. the months from the origin to the end of the record are scored (Brier) against three
   real-time baselines (``escalation.backtest.baselines``), each forecasting a month from the
   months before it only, with moving-block bootstrap intervals on every skill score, per origin
   and pooled over the origins.

What the model sees after the origin: the West's and Ukraine's recorded events (the replay
drives them, as in every back-test: the forecast is of Russia given what the West did), never
Russia's or the joint rows, which are what is scored.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from escalation.backtest.baselines import (
    BLOCK,
    RESAMPLES,
    block_indices,
    expanding_rate,
    skill_interval,
    trailing_rate,
    trend_rate,
)
from escalation.backtest.scores import NEVER_OBSERVED, POOLED, brier_score, brier_skill
from escalation.config.posterior import effective_sample_size
from escalation.config.sampling import parameter_ranges
from escalation.config.scenarios import replay_settings
from escalation.config.schema import Settings
from escalation.model import EscalationModel
from escalation.model.replay import scored_occurrences
from escalation.run.results import parameter_band
from escalation.timeline import (
    SCORED_EVENTS,
    Timeline,
    is_month,
    month_index,
    month_name,
    month_range,
    replay_events,
)

DEFAULT_ORIGINS = ("2023-04", "2023-10", "2024-04")
"""The origins the review asked for (§2.4): a year apart or less, each with ≥ 12 months before."""
MIN_TRAINING_MONTHS = 12
"""Fewest months before an origin: the fit and the trailing baseline need a year of record."""
PREDICTIVE_DRAWS = 400
"""Particles drawn from each origin's posterior for the posterior-predictive replay."""
DRAW_REPLICATES = 5
"""Replicates of the replay per drawn particle (so 2,000 replicates per origin by default)."""
BASELINES = ("expanding", "trailing12", "trend")
"""The real-time baselines, in the order of the tables' columns."""
BASELINE_NAMES = {
    "expanding": "expanding-window rate",
    "trailing12": "trailing-12-month rate",
    "trend": "logistic time trend",
}
"""How the reports name the baselines."""
INSTALL_HINT = (
    "--refit calibrates with escalation.calibrate (pyABC), which is not installed; install the "
    "calibrate extra: .venv/bin/pip install -e '.[calibrate]'"
)
"""What to do when the calibration cannot be imported."""

FORECAST_COLUMNS = (
    "origin",
    "month",
    "event",
    "p",
    "band_low",
    "band_high",
    "observed",
    *(f"p_{name}" for name in BASELINES),
)
"""Columns of ``refit_forecast.csv``."""
SCORE_COLUMNS = (
    "origin",
    "event",
    "months",
    "observed_months",
    "note",
    "brier",
    *(f"brier_{name}" for name in BASELINES),
    *(
        column
        for name in BASELINES
        for column in (f"skill_{name}", f"skill_{name}_low", f"skill_{name}_high")
    ),
)
"""Columns of ``refit_scores.csv``."""

FitFunction = Callable[[str], pd.DataFrame]
"""``fit(until) -> posterior``: calibrate on the record's months up to ``until`` (``YYYY-MM``,
inclusive) and return one row per particle, a column per parameter name (see
``escalation.config.sampling.parameter_ranges``) and ``weight``."""


class RefitError(ValueError):
    """Input a refit cannot use; the message is one line."""


def parse_origins(text: str) -> tuple[str, ...]:
    """The origins of ``--origins`` (comma-separated months), in order, without repeats.

    Raises:
        RefitError: An empty list or a word that is not a ``YYYY-MM`` month.
    """
    words = [word.strip() for word in text.split(",")]
    if not any(words):
        raise RefitError(f"--origins {text!r}: give months, e.g. --origins 2023-04,2023-10,2024-04")
    for word in words:
        if not is_month(word):
            raise RefitError(
                f"--origins: {word!r} is not a month; allowed: YYYY-MM months separated by "
                "commas, e.g. 2023-04,2023-10,2024-04"
            )
    return tuple(sorted(set(words)))


def check_origins(timeline: Timeline, origins: Sequence[str], end: str) -> tuple[str, ...]:
    """The origins, sorted, each with ≥ ``MIN_TRAINING_MONTHS`` months before it and ≥ 1 from it.

    Args:
        timeline: The record.
        origins: First scored month of each refit, ``YYYY-MM``.
        end: Last scored month.

    Raises:
        RefitError: One line naming the origin and the months allowed.
    """
    first = timeline.first_month
    earliest = month_name(month_index(first) + MIN_TRAINING_MONTHS)
    if not origins:
        raise RefitError("--origins: give at least one origin, e.g. 2023-10")
    for origin in origins:
        if not is_month(origin):
            raise RefitError(f"--origins: {origin!r} is not a month; allowed: YYYY-MM")
        if not month_index(earliest) <= month_index(origin) <= month_index(end):
            raise RefitError(
                f"--origins {origin}: an origin needs at least {MIN_TRAINING_MONTHS} months of "
                f"record before it to fit on and at least one from it to score; allowed: "
                f"{earliest} to {end} ({timeline.path} runs from {first} to {timeline.last_month})"
            )
    return tuple(sorted(set(origins)))


def fit_until(origin: str) -> str:
    """The last month a refit at ``origin`` fits: the month before it."""
    return month_name(month_index(origin) - 1)


def calibration_fit(
    timeline: Timeline,
    *,
    particles: int | None = None,
    generations: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> FitFunction:
    """The default fit: ``escalation.calibrate.calibrate`` on the record up to ``until``.

    The calibration is imported here, not at the top of the module: it is an optional extra
    (pyABC). A size left None takes the calibration's default.

    Raises:
        RefitError: The calibration or pyABC is not installed (one line: the install command).
    """
    try:
        from escalation.calibrate import CalibrationError, calibrate
    except ImportError:
        raise RefitError(INSTALL_HINT) from None
    if importlib.util.find_spec("pyabc") is None:
        raise RefitError(INSTALL_HINT)
    sizes = {
        "particles": particles,
        "generations": generations,
        "replicates": replicates,
        "seed": seed,
        "workers": workers,
    }
    given = {name: value for name, value in sizes.items() if value is not None}

    def fit(until: str) -> pd.DataFrame:
        try:
            result = calibrate(timeline=timeline, until=until, progress=progress, **given)
        except CalibrationError as error:
            raise RefitError(f"calibrating up to {until}: {error}") from None
        return result.posterior

    return fit


def predictive_settings(
    timeline: Timeline, *, end: str, draws: int, replicates: int, seed: int
) -> Settings:
    """The replay's settings: ``draws`` times ``replicates`` replicates in ``draws`` draws.

    ``sim.parameters=prior``: a parameter the posterior leaves out is drawn from its prior.
    """
    return replay_settings(
        timeline,
        replicates=draws * replicates,
        seed=seed,
        until=end,
        **{"sim.parameters": "prior", "sim.draws": draws},
    )


def check_posterior(posterior: Any, ranges: dict[str, tuple[float, float]], until: str) -> tuple:
    """Check what a fit returned; the particles by parameter and their normalised weights.

    Raises:
        RefitError: Not a table, no particle, no ``weight``, an unknown parameter, a value that is
            not a number or lies outside its prior, or weights that are not ≥ 0 with a positive
            sum.
    """
    where = f"the fit up to {until} returned"
    if not isinstance(posterior, pd.DataFrame) or "weight" not in posterior.columns:
        raise RefitError(f"{where} {type(posterior).__name__}; give a table with a 'weight' column")
    if posterior.empty:
        raise RefitError(f"{where} no particle; give at least one row")
    names = [str(name) for name in posterior.columns if name != "weight"]
    unknown = [name for name in names if name not in ranges]
    if unknown:
        raise RefitError(
            f"{where} an unknown parameter {unknown[0]!r}; allowed: {', '.join(ranges)}"
        )
    try:
        values = posterior[names].to_numpy(dtype=float)
        weights = posterior["weight"].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise RefitError(f"{where} values that are not numbers") from None
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
        raise RefitError(f"{where} weights that are not numbers >= 0 with a positive sum")
    for column, name in enumerate(names):
        low, high = ranges[name]
        if not np.all(np.isfinite(values[:, column])) or not (
            np.all(values[:, column] >= low) and np.all(values[:, column] <= high)
        ):
            raise RefitError(
                f"{where} {name} outside its prior; allowed: numbers from {low:g} to {high:g}"
            )
    return {name: values[:, column] for column, name in enumerate(names)}, weights / weights.sum()


def posterior_predictive(
    timeline: Timeline,
    posterior: pd.DataFrame,
    *,
    origin: str,
    end: str,
    draws: int = PREDICTIVE_DRAWS,
    replicates: int = DRAW_REPLICATES,
    seed: int,
) -> pd.DataFrame:
    """The posterior-predictive forecast of every scored class, months ``origin`` to ``end``.

    Rule: ``draws`` particles are drawn with replacement in proportion to their weights (a
    generator seeded by the seed and the origin); each is repeated for ``replicates`` replicates
    of one replay of the record from its first month to ``end``; p(class, month) is the share of
    all replicates in which the class occurs (the rules of ``model.replay.scored_occurrences``), the
    posterior-predictive probability. ``band_low``/``band_high`` are the 5-95% parameter band of
    p across the drawn particles, Monte Carlo noise taken out (``run.results.parameter_band``).

    Returns:
        One row per (month, class): ``month, event, p, band_low, band_high, observed``.

    Raises:
        RefitError: A posterior the model cannot use (``check_posterior``).
    """
    settings = predictive_settings(timeline, end=end, draws=draws, replicates=replicates, seed=seed)
    values, weights = check_posterior(posterior, parameter_ranges(settings), fit_until(origin))
    rng = np.random.default_rng([seed, month_index(origin)])
    rows = rng.choice(len(weights), size=draws, p=weights)
    fixed = {name: np.repeat(column[rows], replicates) for name, column in values.items()}
    events = replay_events(timeline, until=end)
    model = EscalationModel(settings, replay=events, uncertainties=fixed).run()
    occurs = scored_occurrences(model.record())
    months = month_range(timeline.first_month, end)
    start = month_index(origin) - month_index(timeline.first_month)
    observed = {name: timeline.observed(name) for name in SCORED_EVENTS}
    table = []
    for row in range(start, len(months)):
        for name in SCORED_EVENTS:
            happened = occurs[name][row].astype(float)
            low, high = parameter_band(happened, model.draw, bounds=(0.0, 1.0))
            table.append(
                {
                    "month": months[row],
                    "event": name,
                    "p": float(happened.mean()),
                    "band_low": math.nan if low is None else low,
                    "band_high": math.nan if high is None else high,
                    "observed": months[row] in observed[name],
                }
            )
    return pd.DataFrame(table, columns=["month", "event", "p", "band_low", "band_high", "observed"])


def baseline_forecasts(timeline: Timeline, *, origin: str, end: str) -> pd.DataFrame:
    """Every real-time baseline's forecast of every scored class, months ``origin`` to ``end``.

    Each forecast of month m uses the record's months before m only (the trend: before the
    origin only); see ``escalation.backtest.baselines``.

    Returns:
        One row per (month, class): ``month, event`` and ``p_<baseline>`` per ``BASELINES``.
    """
    months = month_range(timeline.first_month, end)
    start = month_index(origin) - month_index(timeline.first_month)
    forecasts = {}
    for name in SCORED_EVENTS:
        happened = timeline.observed(name)
        y = np.array([month in happened for month in months], dtype=bool)
        forecasts[name] = {
            "expanding": expanding_rate(y, start),
            "trailing12": trailing_rate(y, start),
            "trend": trend_rate(y, start),
        }
    rows = []
    for offset, month in enumerate(months[start:]):
        for name in SCORED_EVENTS:
            row: dict[str, Any] = {"month": month, "event": name}
            for baseline in BASELINES:
                row[f"p_{baseline}"] = float(forecasts[name][baseline][offset])
            rows.append(row)
    return pd.DataFrame(rows, columns=["month", "event", *(f"p_{b}" for b in BASELINES)])


def never_observed(timeline: Timeline, end: str) -> set[str]:
    """Scored classes that never happened in the record up to ``end``."""
    last = month_index(end)
    return {
        name
        for name in SCORED_EVENTS
        if not any(month_index(month) <= last for month in timeline.observed(name))
    }


def score_rows(
    rows: pd.DataFrame, *, scope: str, seed: int, never: set[str], block: int, resamples: int
) -> list[dict[str, Any]]:
    """Brier scores and skills with intervals of one scope (an origin, or pooled), per class.

    Rule: the skill against a baseline is 1 − Brier(model) / Brier(baseline) over the scope's
    rows; its interval is the moving-block bootstrap (``baselines.block_indices``) of the
    calendar months the scope scores, each resampled month bringing every row that scores it
    (one per origin, pooled), so that months scored by several origins stay together. The same
    resamples serve every class and baseline of the scope, seeded by the seed and the scope.
    """
    months = sorted(set(rows["month"]), key=month_index)
    where = {month: number for number, month in enumerate(months)}
    code = 0 if scope == POOLED else month_index(scope)
    rng = np.random.default_rng([seed, code])
    indices = block_indices(len(months), rng, block=block, resamples=resamples)
    results = []
    for name in SCORED_EVENTS:
        mine = rows[rows["event"] == name]
        y = mine["observed"].to_numpy(dtype=bool)
        slot = mine["month"].map(where).to_numpy()
        row: dict[str, Any] = {
            "origin": scope,
            "event": name,
            "months": len(mine),
            "observed_months": int(y.sum()),
            "note": NEVER_OBSERVED if name in never else "",
            "brier": brier_score(mine["p"], y),
        }
        model_loss = np.bincount(slot, (mine["p"].to_numpy() - y) ** 2, minlength=len(months))
        for baseline in BASELINES:
            p = mine[f"p_{baseline}"].to_numpy(dtype=float)
            base = brier_score(p, y)
            row[f"brier_{baseline}"] = base
            row[f"skill_{baseline}"] = brier_skill(row["brier"], base)
            base_loss = np.bincount(slot, (p - y) ** 2, minlength=len(months))
            low, high = skill_interval(model_loss, base_loss, indices)
            row[f"skill_{baseline}_low"], row[f"skill_{baseline}_high"] = low, high
        results.append(row)
    return results


def refit_scores(
    forecast: pd.DataFrame,
    *,
    seed: int,
    never: set[str],
    block: int = BLOCK,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """The scores table: pooled over the origins first, then per origin, classes in order.

    Args:
        forecast: ``refit_forecast.csv``'s table (``FORECAST_COLUMNS``).
        seed: Seeds the bootstrap.
        never: Classes never observed in the record (``note`` = ``NEVER_OBSERVED``).
        block: Months per bootstrap block.
        resamples: Bootstrap resamples.

    Returns:
        Columns ``SCORE_COLUMNS``.
    """
    rows = score_rows(
        forecast, scope=POOLED, seed=seed, never=never, block=block, resamples=resamples
    )
    for origin in dict.fromkeys(forecast["origin"]):
        mine = forecast[forecast["origin"] == origin]
        rows += score_rows(
            mine, scope=origin, seed=seed, never=never, block=block, resamples=resamples
        )
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


@dataclass(frozen=True)
class Refit:
    """What a refit computed.

    Attributes:
        forecast: ``FORECAST_COLUMNS``: every origin's scored months.
        scores: ``SCORE_COLUMNS``: pooled, then per origin.
        posteriors: Every origin's posterior as the fit returned it, with an ``origin`` column
            first.
        origins: The origins, in order.
        end: The last scored month.
        timeline: The record.
        draws: Particles drawn per origin for the replay.
        replicates: Replicates per drawn particle.
        seed: The seed.
        block: Months per bootstrap block.
        resamples: Bootstrap resamples.
        unfitted: Per origin, the parameters the posterior left out (drawn from their prior).
    """

    forecast: pd.DataFrame
    scores: pd.DataFrame
    posteriors: pd.DataFrame
    origins: tuple[str, ...]
    end: str
    timeline: Timeline
    draws: int
    replicates: int
    seed: int
    block: int
    resamples: int
    unfitted: dict[str, list[str]] = field(default_factory=dict)

    @property
    def never(self) -> set[str]:
        """Classes never observed in the record up to ``end``."""
        return set(self.scores.loc[self.scores["note"] == NEVER_OBSERVED, "event"])

    def ess(self) -> dict[str, float]:
        """Effective sample size of each origin's posterior (Kish)."""
        return {
            origin: effective_sample_size(
                self.posteriors.loc[self.posteriors["origin"] == origin, "weight"].to_numpy(float)
            )
            for origin in self.origins
        }


def run_refit(
    timeline: Timeline,
    *,
    fit: FitFunction,
    origins: Sequence[str] = DEFAULT_ORIGINS,
    end: str | None = None,
    draws: int = PREDICTIVE_DRAWS,
    replicates: int = DRAW_REPLICATES,
    seed: int,
    block: int = BLOCK,
    resamples: int = RESAMPLES,
    progress: Callable[[str], None] | None = None,
) -> Refit:
    """Refit at each origin and score the months from it to ``end``.

    Args:
        timeline: The record.
        fit: ``fit(until) -> posterior`` (``FitFunction``); ``calibration_fit`` is the
            calibration's.
        origins: First scored month of each refit.
        end: Last scored month (default: the timeline's last).
        draws: Particles drawn from each posterior for the replay.
        replicates: Replicates per drawn particle.
        seed: Seeds the particles' draw, the replay and the bootstrap.
        block: Months per bootstrap block.
        resamples: Bootstrap resamples.
        progress: Called with one line per step (an origin's fit, its replay).

    Raises:
        RefitError: Bad origins, or a posterior the model cannot use.
    """
    end = end or timeline.last_month
    origins = check_origins(timeline, origins, end)
    settings = predictive_settings(timeline, end=end, draws=draws, replicates=replicates, seed=seed)
    ranges = parameter_ranges(settings)
    varying = [name for name, (low, high) in ranges.items() if low < high]
    say = progress or (lambda line: None)
    forecasts, posteriors, unfitted = [], [], {}
    for number, origin in enumerate(origins, 1):
        until = fit_until(origin)
        say(
            f"Origin {origin} ({number} of {len(origins)}): calibrating on "
            f"{timeline.first_month} to {until} ..."
        )
        posterior = fit(until)
        _, weights = check_posterior(posterior, ranges, until)
        say(
            f"Origin {origin}: a posterior of {len(weights)} particles, effective sample size "
            f"{effective_sample_size(weights):.1f}; replaying {draws} of them x {replicates} "
            f"replicates, scoring {origin} to {end}"
        )
        model = posterior_predictive(
            timeline,
            posterior,
            origin=origin,
            end=end,
            draws=draws,
            replicates=replicates,
            seed=seed,
        )
        baselines = baseline_forecasts(timeline, origin=origin, end=end)
        table = model.merge(baselines, on=["month", "event"], how="left", validate="one_to_one")
        table.insert(0, "origin", origin)
        forecasts.append(table[list(FORECAST_COLUMNS)])
        names = {str(name) for name in posterior.columns}
        unfitted[origin] = [name for name in varying if name not in names]
        frame = posterior.reset_index(drop=True).copy()
        frame.insert(0, "origin", origin)
        posteriors.append(frame)
    forecast = pd.concat(forecasts, ignore_index=True)
    never = never_observed(timeline, end)
    scores = refit_scores(forecast, seed=seed, never=never, block=block, resamples=resamples)
    return Refit(
        forecast=forecast,
        scores=scores,
        posteriors=pd.concat(posteriors, ignore_index=True),
        origins=origins,
        end=end,
        timeline=timeline,
        draws=draws,
        replicates=replicates,
        seed=seed,
        block=block,
        resamples=resamples,
        unfitted=unfitted,
    )
