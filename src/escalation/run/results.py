"""From a finished run to its files: outcome probabilities with intervals, tables, the summary.

Results flow one way: the model produces the outcomes and trajectories tables; this module
summarises and writes them; ``plots`` and ``narrative`` draw from what is written here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.changes import changes_words
from escalation.files import atomic_write
from escalation.ladder import OUTCOME_COLUMNS
from escalation.run.tables import read_table, write_table
from escalation.scope import CAVEAT, EXCLUDED_PATHWAYS, scope_lines

#: Yes/no outcomes reported as probabilities, with their labels for tables and figures.
PROBABILITIES = {
    "contained_clash": "NATO-Russia military clash",
    "lethal_engagement": "Lethal NATO-Russia engagement",
    "direct_conflict": "NATO-Russia war",
    "nuclear_use": "Nuclear use",
    "russian_retaliation": "Russian retaliation for a crossed red line",
    "red_line_crossed": "A Russian red line crossed",
}
#: What each yes/no outcome of ``PROBABILITIES`` counts, in a line (docs/MODEL.md §8, the
#: outcomes table), for the figures: a clash is any exchange of fire, a war only the state of
#: war, and nuclear use in Ukraine needs no NATO war.
DEFINITIONS = {
    "contained_clash": "any NATO-Russia military clash, contained or grown into war",
    "lethal_engagement": "a deadly NATO-Russia exchange: a lethal clash, a strike on Western "
    "forces or NATO territory, or war",
    "direct_conflict": "sustained NATO-Russia war, not a contained clash",
    "nuclear_use": "in Ukraine or against NATO (use in Ukraine needs no NATO war)",
    "russian_retaliation": "Russia strikes back for a red line it enforces, once crossed",
    "red_line_crossed": "Western involvement as Russia perceives it rose above a red line",
}
#: Numeric outcomes reported as means over replicates.
MEANS = [
    "signalling_months",
    "max_rung",
    "final_rung",
    "ukraine_position_final",
    "months_to_retaliation",
    "red_lines_crossed",
    "escalation_score",
]
#: What each mean is, in words (docs/MODEL.md §8, the outcomes table).
MEAN_DEFINITIONS = {
    "signalling_months": "months with Russian nuclear signalling",
    "max_rung": "highest rung of the 14-rung ladder (0-13) over the months",
    "final_rung": "rung of the ladder in the last month",
    "ukraine_position_final": "% of Ukraine's territory held in the last month",
    "months_to_retaliation": "first month of Russian retaliation, over the replicates with one",
    "red_lines_crossed": "times a red line was newly crossed",
    "escalation_score": "rungs summed over the months, in rung-months (a picture, not a measure)",
}
#: Outcomes keep full precision (they feed analyses); trajectories keep 6 significant digits,
#: in CSV and Parquet alike (``escalation.run.tables``).
FLOAT_FORMAT = {"outcomes": None, "trajectories": "%.6g"}
#: A run's files; the two tables under their CSV names, ``outcomes.parquet`` and
#: ``trajectories.parquet`` instead with ``sim.tables=parquet`` (``escalation.run.tables``).
FILES = {
    "outcomes": "outcomes.csv",
    "trajectories": "trajectories.csv",
    "summary": "summary.json",
    "narrative": "narrative.md",
    "figures": "figures",
}


#: The standard normal quantile of 0.975, ``scipy.special.ndtri(0.975)`` to the last bit: the
#: z of every 95% interval (tests check it against SciPy). Importing SciPy's statistics for it
#: would cost a third of a second at each start.
Z_95 = 1.959963984540054


def normal_quantile(confidence: float) -> float:
    """The standard normal quantile z with P(-z < Z < z) = ``confidence``."""
    if confidence == 0.95:
        return Z_95
    from scipy.special import ndtri

    return float(ndtri(0.5 + 0.5 * confidence))


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    The arithmetic is SciPy's (``binomtest(k, n).proportion_ci(method="wilson")``, after
    Newcombe 1998), operation for operation, so the bounds are the same to the last bit.
    """
    k, n = float(successes), float(trials)
    z = normal_quantile(confidence)
    p = k / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    q = 1 - p
    delta = z / denom * math.sqrt(4 * n * p * q + z**2)
    low = 0.0 if k == 0 else center - delta
    high = 1.0 if k == n else center + delta
    return low, high


#: What a table shows for a band shrunk to a point: the draws differ no more than their noise.
WITHIN_NOISE = "within noise"
#: The quantiles of a parameter band: 5% to 95% of a probability across parameter draws.
BAND_QUANTILES = (0.05, 0.95)
#: One line under every table of probabilities: what its two intervals mean.
BAND_NOTE = (
    "95% interval: Monte Carlo error of the estimate; parameter band: 5-95% of the probability "
    "across the run's parameter draws (what the uncertain parameters leave unknown); "
    f"'{WITHIN_NOISE}': the draws differ no more than their Monte Carlo error (too few events "
    "to tell)"
)


def draw_means(values: np.ndarray, draw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per parameter draw: the mean of ``values``, the variance of that mean, the replicates.

    The variance of a draw's mean is its replicates' sample variance over their number (NaN
    for a draw of one replicate): the Monte Carlo noise in that draw's estimate.
    """
    values = np.asarray(values, dtype=float)
    codes, draw = np.unique(np.asarray(draw), return_inverse=True)
    sizes = np.bincount(draw, minlength=len(codes)).astype(float)
    sums = np.bincount(draw, weights=values, minlength=len(codes))
    squares = np.bincount(draw, weights=values**2, minlength=len(codes))
    means = sums / sizes
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.maximum(squares - sizes * means**2, 0.0) / (sizes - 1)
    return means, np.where(sizes > 1, spread / sizes, np.nan), sizes


def parameter_band(
    values: np.ndarray, draw: np.ndarray, *, bounds: tuple[float, float] | None = None
) -> tuple[float | None, float | None]:
    """5-95% of a quantity across parameter draws, with the Monte Carlo noise taken out.

    Rule: each draw's estimate m_d is moved toward the mean m̄ by the factor
    sqrt(max(0, s² − w) / s²), where s² is the variance of the m_d across draws and w the mean
    Monte Carlo variance of one m_d (method of moments: s² estimates the parameters' variance
    plus w), so that a band from a few replicates per draw is not widened by their noise
    (Efron & Morris 1975); the band is the quantiles ``BAND_QUANTILES`` of the moved estimates.

    Args:
        values: One value per replicate (0/1 for a probability, a paired difference...).
        draw: The parameter draw of each replicate (``outcomes.csv``'s ``draw``).
        bounds: Clip the band to these, e.g. (0, 1) for a probability.

    Returns:
        ``(low, high)``; ``(None, None)`` with fewer than two draws or a draw of one replicate,
        where the noise cannot be told from the parameters.
    """
    means, noise, sizes = draw_means(values, draw)
    if len(means) < 2 or np.any(sizes < 2):
        return None, None
    centre = float(np.average(means, weights=sizes))
    spread = float(np.var(means, ddof=1))
    factor = math.sqrt(max(spread - float(np.mean(noise)), 0.0) / spread) if spread > 0 else 0.0
    low, high = np.quantile(centre + factor * (means - centre), BAND_QUANTILES)
    if bounds is not None:
        low, high = np.clip([low, high], *bounds)
    return float(low), float(high)


def clustered_variance(values: np.ndarray, draw: np.ndarray) -> float:
    """Monte Carlo variance of the mean of ``values`` when replicates share parameter draws.

    Rule: with the draws a random sample of the posterior (or prior), the mean's variance is
    the variance of the draws' means over their number (the cluster-robust estimate); with a
    single draw, the replicates' variance over their number.
    """
    means, _, sizes = draw_means(values, draw)
    if len(means) < 2:
        values = np.asarray(values, dtype=float)
        return float(np.var(values, ddof=1) / values.size) if values.size > 1 else 0.0
    weights = sizes / sizes.sum()
    centre = float(np.sum(weights * means))
    return float(np.sum(weights**2 * (means - centre) ** 2) * len(means) / (len(means) - 1))


def probability_interval(
    happened: np.ndarray, draw: np.ndarray | None, confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson interval for a probability estimated from replicates grouped by parameter draw.

    Rule: the Wilson score interval (Wilson 1927) at the effective number of replicates,
    p(1 − p) / (clustered variance of the estimate), at most their number (Kish's design
    effect): replicates that share a draw count for less than independent ones.
    """
    happened = np.asarray(happened, dtype=float)
    trials = happened.size
    count = float(happened.sum())
    p = count / trials
    effective = float(trials)
    if draw is not None and 0 < p < 1:
        variance = clustered_variance(happened, draw)
        if variance > 0:
            effective = min(trials, p * (1 - p) / variance)
    return wilson_interval(p * effective, effective, confidence)


def summarize(outcomes: pd.DataFrame, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Probabilities and means with both intervals, beside the run's metadata.

    Every probability gives its Monte Carlo interval (``low``, ``high``: Wilson at the
    effective number of replicates, ``probability_interval``) and its parameter band
    (``band_low``, ``band_high``: ``parameter_band`` across the ``draw`` column; None for a
    table without draws).

    Args:
        outcomes: One row per replicate (``EscalationModel.outcomes``).
        meta: Scenario name and title, seed, replicates, months, start, version, config.

    Returns:
        The summary as a JSON-ready dict, ending with what the two intervals mean
        (``intervals``), the pathways the model excludes (``excluded_pathways``) and what its
        probabilities mean (``caveat``).
    """
    events = outcomes.assign(red_line_crossed=outcomes["red_lines_crossed"] > 0)
    draw = outcomes["draw"].to_numpy() if "draw" in outcomes else None
    trials = len(outcomes)
    probabilities = {}
    for name, label in PROBABILITIES.items():
        happened = events[name].to_numpy(dtype=float)
        count = int(happened.sum())
        low, high = probability_interval(happened, draw)
        band_low, band_high = (
            parameter_band(happened, draw, bounds=(0.0, 1.0)) if draw is not None else (None, None)
        )
        probabilities[name] = {
            "label": label,
            "p": count / trials,
            "low": low,
            "high": high,
            "band_low": band_low,
            "band_high": band_high,
            "count": count,
        }
    means = {name: mean_interval(outcomes[name], draw) for name in MEANS}
    return {
        **meta,
        "draws": int(np.unique(draw).size) if draw is not None else None,
        "probabilities": probabilities,
        "means": means,
        "intervals": BAND_NOTE,
        "excluded_pathways": list(EXCLUDED_PATHWAYS),
        "caveat": CAVEAT,
    }


def mean_interval(
    values: pd.Series, draw: np.ndarray | None = None, confidence: float = 0.95
) -> dict[str, Any]:
    """Mean of the finite values with its Monte Carlo interval and parameter band.

    Rule: mean ± z·SE, SE from ``clustered_variance`` when the replicates' draws are given,
    else sd/√n; the band is ``parameter_band`` over the draws (None without draws).

    Returns:
        ``{"mean", "low", "high", "band_low", "band_high", "count"}``; the numbers are None
        when no value is finite.
    """
    finite_rows = values.notna().to_numpy()
    finite = values.to_numpy(dtype=float)[finite_rows]
    if finite.size == 0:
        return {
            "mean": None, "low": None, "high": None, "band_low": None, "band_high": None,
            "count": 0,
        }  # fmt: skip
    mean = float(finite.mean())
    groups = None if draw is None else np.asarray(draw)[finite_rows]
    half = 0.0
    if finite.size > 1:
        z = normal_quantile(confidence)
        variance = (
            clustered_variance(finite, groups)
            if groups is not None
            else float(finite.var(ddof=1) / finite.size)
        )
        half = float(np.float64(z) * math.sqrt(variance))
    band_low, band_high = parameter_band(finite, groups) if groups is not None else (None, None)
    return {
        "mean": mean,
        "low": mean - half,
        "high": mean + half,
        "band_low": band_low,
        "band_high": band_high,
        "count": int(finite.size),
    }


def summary_row(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a summary into one table row (the columns of a sweep's ``summary.csv``).

    Each probability gives ``NAME``, ``NAME_low``, ``NAME_high`` (its 95% Monte Carlo
    interval), ``NAME_band_low`` and ``NAME_band_high`` (its parameter band); each mean gives
    ``NAME_mean``, ``NAME_mean_low``, ``NAME_mean_high``, ``NAME_mean_band_low`` and
    ``NAME_mean_band_high``. A band that cannot be told (one draw) is None (an empty cell).
    """
    row: dict[str, Any] = {}
    for name, item in summary["probabilities"].items():
        row.update(
            {
                name: item["p"],
                f"{name}_low": item["low"],
                f"{name}_high": item["high"],
                f"{name}_band_low": item.get("band_low"),
                f"{name}_band_high": item.get("band_high"),
            }
        )
    for name, item in summary["means"].items():
        row.update(
            {
                f"{name}_mean": item["mean"],
                f"{name}_mean_low": item["low"],
                f"{name}_mean_high": item["high"],
                f"{name}_mean_band_low": item.get("band_low"),
                f"{name}_mean_band_high": item.get("band_high"),
            }
        )
    return row


#: What the terminal table shows for a band that cannot be told (fewer than two draws).
NO_BAND = "\u2013"


def band_text(item: Mapping[str, Any], form: str = "{:.1%}") -> str:
    """A probability's (or mean's) parameter band as ``[low, high]``, or ``NO_BAND`` if None.

    Args:
        item: One entry of a summary's ``probabilities`` or ``means`` (a summary written before
            the bands has no ``band_low``: no band).
        form: The format of each end.
    """
    low, high = item.get("band_low"), item.get("band_high")
    if low is None or high is None:
        return NO_BAND
    if high - low <= 1e-12:
        return WITHIN_NOISE
    return f"[{form.format(low)}, {form.format(high)}]"


def size_words(summary: Mapping[str, Any]) -> str:
    """A run's size in words: ``1,000 replicates in 100 parameter draws x 36 months``.

    A summary without ``draws`` (written before them) gives ``1,000 replicates x 36 months``.
    """
    words = f"{summary['replicates']:,} replicates"
    draws = summary.get("draws")
    if draws is not None:
        words += f" in {draws:,} parameter draw{'' if draws == 1 else 's'}"
    return f"{words} x {summary['months']} months"


def summary_table(summary: Mapping[str, Any]) -> str:
    """A compact terminal table: each probability with both intervals, key means, what is left out.

    The columns are ``p``, its ``95% interval`` (Monte Carlo error) and its ``parameter band``
    (``NO_BAND`` when None); the line under the table says what the two mean (``BAND_NOTE``).
    """
    items = list(summary["probabilities"].values())
    width = max(len(item["label"]) for item in items)
    intervals = [f"[{item['low']:.1%}, {item['high']:.1%}]" for item in items]
    span = max(len("95% interval"), *(len(text) for text in intervals))
    title = summary["title"]
    if changes_words(summary.get("changes")):
        title += f", with {changes_words(summary.get('changes'))}"
    lines = [
        f"{title}  ({size_words(summary)}, seed {summary['seed']})",
        f"{'outcome':<{width}}  {'p':>6}  {'95% interval':<{span}}  parameter band",
    ]
    for item, interval in zip(items, intervals, strict=True):
        lines.append(
            f"{item['label']:<{width}}  {item['p']:>6.1%}  {interval:<{span}}  {band_text(item)}"
        )
    lines.append(BAND_NOTE)
    means = summary["means"]
    lines.append(
        f"mean highest rung {means['max_rung']['mean']:.2f}; Ukraine's final position "
        f"{means['ukraine_position_final']['mean']:.1f}% of territory; Russian nuclear "
        f"signalling in {means['signalling_months']['mean']:.1f} months"
    )
    return "\n".join([*lines, *scope_lines()])


def read_outcomes(
    path: Path, replicates: Any = None, *, text: str | None = None, root: Path | None = None
) -> pd.DataFrame:
    """Read an outcomes table and check it: every outcome column, numeric, one row a replicate.

    Args:
        path: The table, CSV or Parquet (``escalation.run.tables.find_table``).
        replicates: The number of rows expected (from ``summary.json`` or the config), if known.
        text: A CSV table's text, when it has been read already (``path`` then names it).
        root: The folder it is read from (no symbolic link on the way).

    Raises:
        ValueError: The table is unreadable, cut short, lacks a column, holds text where numbers
            belong, or has another number of rows; the message says which in one line.
    """
    table = read_table(path, root=root, text=text)
    lacking = [c for c in ["replicate", *OUTCOME_COLUMNS] if c not in table.columns]
    if lacking:
        raise ValueError(f"malformed {path.name}: no column {', '.join(lacking)}")
    if table.empty:
        raise ValueError(f"malformed {path.name}: no rows")
    for column in ["replicate", *OUTCOME_COLUMNS]:
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise ValueError(f"malformed {path.name}: column {column} holds non-numbers")
    if replicates is not None and len(table) != replicates:
        raise ValueError(f"malformed {path.name}: {len(table)} rows, expected {replicates}")
    return table


def read_trajectories(path: Path) -> pd.DataFrame:
    """Read a trajectories table, CSV or Parquet; ``russian_action`` stays text (``""``: none).

    Raises:
        ValueError: ``malformed NAME: reason`` (``escalation.run.tables.read_table``).
    """
    return read_table(path, keep_default_na=False, dtype={"russian_action": str})


def write_tables(
    folder: Path,
    outcomes: pd.DataFrame,
    trajectories: pd.DataFrame | None = None,
    tables: str = "csv",
) -> None:
    """Write the outcomes table and, when given, the trajectories table, atomically.

    ``tables`` is their format (``sim.tables``: ``csv`` or ``parquet``;
    ``escalation.run.tables.write_table``). In CSV, text cells a spreadsheet would run as
    formulas are escaped (``escalation.files.formula_safe``).
    """
    for name, frame in (("outcomes", outcomes), ("trajectories", trajectories)):
        if frame is not None:
            write_table(folder, name, frame, tables, float_format=FLOAT_FORMAT[name])


def write_summary(folder: Path, summary: Mapping[str, Any]) -> None:
    """Write ``summary.json`` atomically."""
    with atomic_write(folder / FILES["summary"]) as stream:
        json.dump(strict_json(summary), stream, indent=2, default=str, allow_nan=False)
        stream.write("\n")


def strict_json(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None, so that JSON stays strict."""
    if isinstance(value, Mapping):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value
