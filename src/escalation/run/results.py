"""From a finished run to its files: outcome probabilities with intervals, tables, the summary.

Results flow one way: the model produces the outcomes and trajectories tables; this module
summarises and writes them; ``plots`` and ``narrative`` draw from what is written here.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.changes import changes_words
from escalation.errors import first_line
from escalation.files import atomic_write, formula_safe, open_regular
from escalation.ladder import OUTCOME_COLUMNS
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
#: Outcomes keep full precision (they feed analyses); trajectories keep 6 significant digits.
FLOAT_FORMAT = {"outcomes": None, "trajectories": "%.6g"}
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


def summarize(outcomes: pd.DataFrame, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Probabilities with 95% Wilson intervals and means, beside the run's metadata.

    Args:
        outcomes: One row per replicate (``EscalationModel.outcomes``).
        meta: Scenario name and title, seed, replicates, months, start, version, config.

    Returns:
        The summary as a JSON-ready dict, ending with the pathways the model excludes
        (``excluded_pathways``) and what its probabilities mean (``caveat``).
    """
    events = outcomes.assign(red_line_crossed=outcomes["red_lines_crossed"] > 0)
    trials = len(outcomes)
    probabilities = {}
    for name, label in PROBABILITIES.items():
        count = int(events[name].sum())
        low, high = wilson_interval(count, trials)
        probabilities[name] = {
            "label": label,
            "p": count / trials,
            "low": low,
            "high": high,
            "count": count,
        }
    means = {name: mean_interval(outcomes[name]) for name in MEANS}
    return {
        **meta,
        "probabilities": probabilities,
        "means": means,
        "excluded_pathways": list(EXCLUDED_PATHWAYS),
        "caveat": CAVEAT,
    }


def mean_interval(values: pd.Series, confidence: float = 0.95) -> dict[str, Any]:
    """Mean of the finite values with its normal-approximation interval (mean ± z·sd/√n).

    Returns:
        ``{"mean", "low", "high", "count"}``; the numbers are None when no value is finite.
    """
    finite = values.dropna().to_numpy(dtype=float)
    if finite.size == 0:
        return {"mean": None, "low": None, "high": None, "count": 0}
    mean = float(finite.mean())
    half = 0.0
    if finite.size > 1:
        z = normal_quantile(confidence)
        half = float(np.float64(z) * finite.std(ddof=1) / np.sqrt(finite.size))
    return {"mean": mean, "low": mean - half, "high": mean + half, "count": int(finite.size)}


def summary_row(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a summary into one table row (the columns of a sweep's ``summary.csv``).

    Each probability gives ``NAME``, ``NAME_low`` and ``NAME_high``; each mean gives
    ``NAME_mean``, ``NAME_mean_low`` and ``NAME_mean_high``.
    """
    row: dict[str, Any] = {}
    for name, item in summary["probabilities"].items():
        row.update({name: item["p"], f"{name}_low": item["low"], f"{name}_high": item["high"]})
    for name, item in summary["means"].items():
        row.update(
            {
                f"{name}_mean": item["mean"],
                f"{name}_mean_low": item["low"],
                f"{name}_mean_high": item["high"],
            }
        )
    return row


def summary_table(summary: Mapping[str, Any]) -> str:
    """A compact terminal table: each probability with its interval, key means, what is left out."""
    width = max(len(item["label"]) for item in summary["probabilities"].values())
    title = summary["title"]
    if changes_words(summary.get("changes")):
        title += f", with {changes_words(summary.get('changes'))}"
    lines = [
        f"{title}  ({summary['replicates']:,} replicates x {summary['months']} months,"
        f" seed {summary['seed']})",
        f"{'outcome':<{width}}  {'p':>6}  95% interval",
    ]
    for item in summary["probabilities"].values():
        lines.append(
            f"{item['label']:<{width}}  {item['p']:>6.1%}  [{item['low']:.1%}, {item['high']:.1%}]"
        )
    means = summary["means"]
    lines.append(
        f"mean highest rung {means['max_rung']['mean']:.2f}; Ukraine's final position "
        f"{means['ukraine_position_final']['mean']:.1f}% of territory; Russian nuclear "
        f"signalling in {means['signalling_months']['mean']:.1f} months"
    )
    return "\n".join([*lines, *scope_lines()])


def table_rows(path: Path) -> int | None:
    """The number of rows of a CSV table after its header; None if it is cut short.

    A table cut short (a killed writer, a full disk) lacks its final line break. Counting
    lines assumes no line break inside a field, which holds for the tables written here. The
    table is a regular file, not a symbolic link (``escalation.files.open_regular``), and holds
    no NUL byte.

    Raises:
        OSError: The file cannot be read.
        ValueError: It is not a regular file (``escalation.files.FileRefused``), or holds a NUL
            byte.
    """
    lines, last = 0, b"\n"
    with open_regular(path) as stream:
        while block := stream.read(1 << 20):
            if b"\0" in block:
                raise ValueError("holds a NUL byte, not text")
            lines += block.count(b"\n")
            last = block[-1:]
    if lines == 0 or last != b"\n":
        return None
    return lines - 1


def read_outcomes(path: Path, replicates: Any = None, *, text: str | None = None) -> pd.DataFrame:
    """Read an ``outcomes.csv`` and check it: every outcome column, numeric, one row a replicate.

    Args:
        path: The table.
        replicates: The number of rows expected (from ``summary.json`` or the config), if known.
        text: The table's text, when it has been read already (``path`` then names it).

    Raises:
        ValueError: The table is unreadable, cut short, lacks a column, holds text where numbers
            belong, or has another number of rows; the message says which in one line.
    """
    try:
        if text is None:
            cut_short = table_rows(path) is None
            table = pd.read_csv(path)
        else:
            if "\0" in text:
                raise ValueError("holds a NUL byte, not text")
            cut_short = not text.endswith("\n")
            table = pd.read_csv(io.StringIO(text))
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise ValueError(f"malformed {path.name}: {first_line(error)}") from None
    if cut_short:
        raise ValueError(f"malformed {path.name}: cut short (no line break at its end)")
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


def write_tables(
    folder: Path, outcomes: pd.DataFrame, trajectories: pd.DataFrame | None = None
) -> None:
    """Write ``outcomes.csv`` and, when given, ``trajectories.csv`` atomically.

    Text cells a spreadsheet would run as formulas are escaped (``escalation.files.formula_safe``).
    """
    for name, frame in (("outcomes", outcomes), ("trajectories", trajectories)):
        if frame is None:
            continue
        with atomic_write(folder / FILES[name]) as stream:
            formula_safe(frame).to_csv(
                stream, index=False, lineterminator="\n", float_format=FLOAT_FORMAT[name]
            )


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
