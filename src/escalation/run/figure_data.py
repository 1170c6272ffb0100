"""The data behind a run's figures, and their titles: tables that tests check number by number.

Each run figure (``escalation.run.figures``) has a pure data function here that reads the results
tables (``ladder_distribution``, ``median_rung``, ``position_bands``, ``outcome_probabilities``,
``rare_rung_shares``), and every figure, page and story names a run the same way
(``policy_words``, ``run_title``, ``month_label``). Nothing here imports matplotlib or the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from escalation.config.changes import changes_words
from escalation.ladder import Rung, rung_labels
from escalation.run.results import DEFINITIONS

BAND_QUANTILES: dict[str, float] = {"p5": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}
"""Quantiles of Ukraine's position drawn in the fan chart, by column name."""


def ladder_distribution(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Share of replicates at each rung of the ladder, month by month.

    Args:
        trajectories: Long table, one row per (replicate, month), with columns ``month`` and
            ``rung``.

    Returns:
        A frame indexed by every rung of ``escalation.ladder.Rung`` (0 to 13, including rungs
        never reached), with one column per month (sorted), holding the share of replicates
        (0..1) at that rung in that month. Each column sums to 1.

    Raises:
        ValueError: A rung in the table is not on the ladder (the shares would not sum to 1).
    """
    counts = pd.crosstab(trajectories["rung"], trajectories["month"])
    rungs = [int(rung) for rung in Rung]
    unknown = sorted(set(counts.index.astype(int)) - set(rungs))
    if unknown:
        raise ValueError(f"rungs {unknown} are not on the ladder (0 to {max(rungs)})")
    counts = counts.reindex(index=rungs, fill_value=0).sort_index(axis=1)
    shares = counts / counts.sum(axis=0)
    shares.index.name = "rung"
    shares.columns.name = "month"
    return shares.astype(float)


#: The Western measures the ladder's colour can hide (a higher rung in force covers them): by
#: rung, a short label, the trajectory column and the test of a row that has it in force.
MEASURES_IN_FORCE = {
    Rung.INSTRUCTORS_INSIDE: (
        "Instructors in Ukraine",
        "instructors_inside",
        lambda column: column.astype(bool),
    ),
    Rung.DEEP_STRIKES: (
        "Deep strikes",
        "deep_strikes",
        lambda column: column.astype(str) != "prohibited",
    ),
    Rung.GROUND_TROOPS: ("Ground troops", "troops", lambda column: column.astype(str) != "none"),
}


def measure_shares(trajectories: pd.DataFrame) -> pd.DataFrame | None:
    """Share of replicates (0..1) with each Western measure in force, month by month.

    Rule: a measure is in force in a replicate-month when its trajectory column says so
    (instructors inside Ukraine; deep strikes limited or authorised; ground troops of either
    kind), whatever higher rung is in force (the ladder's colour shows only the highest).

    Args:
        trajectories: Long table with ``month`` and the measures' columns (``trajectories.csv``).

    Returns:
        A frame indexed by month (sorted), a column per measure labelled with its rung
        (``"Instructors in Ukraine (5)"``); None when a column is missing (an older table).
    """
    if any(column not in trajectories for _, column, _ in MEASURES_IN_FORCE.values()):
        return None
    shares = pd.DataFrame(
        {
            f"{label} ({int(rung)})": in_force(trajectories[column])
            for rung, (label, column, in_force) in MEASURES_IN_FORCE.items()
        }
    )
    return shares.groupby(trajectories["month"].to_numpy()).mean().sort_index().astype(float)


def rung_tick_labels() -> list[str]:
    """Labels of the rung axis, lowest rung first: each rung's name and number.

    Returns:
        One label per rung of the ladder, e.g. ``"Contained NATO-Russia clash (10)"``, taken
        from ``escalation.ladder.rung_labels()``.
    """
    return [f"{label} ({rung})" for rung, label in enumerate(rung_labels())]


def median_rung(trajectories: pd.DataFrame) -> pd.Series:
    """Median escalation rung across replicates, month by month.

    Args:
        trajectories: Long table with columns ``month`` and ``rung``.

    Returns:
        A series indexed by month (sorted) with the median rung that month. With an even number
        of replicates the median may fall half-way between two rungs.
    """
    return trajectories.groupby("month")["rung"].median().sort_index().astype(float)


def position_bands(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of Ukraine's battlefield position across replicates, month by month.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position`` (% of
            Ukraine's internationally recognised territory held by Ukraine).

    Returns:
        One row per month (sorted) with columns ``month``, ``date``, ``p5``, ``p25``, ``p50``,
        ``p75`` and ``p95`` (% territory held), using linear interpolation between replicates.
    """
    by_month = trajectories.groupby("month")
    bands = pd.DataFrame(
        {name: by_month["position"].quantile(q) for name, q in BAND_QUANTILES.items()}
    )
    bands.insert(0, "date", by_month["date"].first())
    bands = bands.sort_index().reset_index()
    return bands[["month", "date", *BAND_QUANTILES]]


def outcome_probabilities(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Outcome probabilities of a run with both intervals, in the summary's order.

    Args:
        summary: Run summary with a ``probabilities`` mapping from outcome name to a mapping with
            keys ``label``, ``p``, ``low``, ``high`` (the 95% Monte Carlo interval), ``band_low``
            and ``band_high`` (the parameter band; None, or absent in a summary written before
            the bands, when there is none); probabilities in 0..1.

    Returns:
        A frame with columns ``outcome``, ``label``, ``p``, ``low``, ``high``, ``band_low``,
        ``band_high`` (NaN for no band) and ``definition`` (what the outcome counts, from
        ``escalation.run.results.DEFINITIONS``; "" for an outcome it does not define), one row
        per outcome, in the order given in the summary. A missing label falls back to the
        outcome name.
    """
    rows = [
        {
            "outcome": outcome,
            "label": entry.get("label", outcome),
            "p": float(entry["p"]),
            "low": float(entry["low"]),
            "high": float(entry["high"]),
            "band_low": _number(entry.get("band_low")),
            "band_high": _number(entry.get("band_high")),
            "definition": DEFINITIONS.get(outcome, ""),
        }
        for outcome, entry in summary["probabilities"].items()
    ]
    return pd.DataFrame(
        rows,
        columns=["outcome", "label", "p", "low", "high", "band_low", "band_high", "definition"],
    )


DEFINITION_WIDTH = 50
"""Characters per line of an outcome's definition under its name on the outcomes figure."""

LADDER_NOTE = "Colour: the highest rung in force; lower rungs in force are not shown"
"""The ladder figure's note on what its colour leaves out (deep strikes under troops, ...)."""


def outcome_tick_labels(table: pd.DataFrame, width: int = DEFINITION_WIDTH) -> list[str]:
    """The outcomes figure's row labels: each outcome's name, then its definition below it.

    Args:
        table: ``outcome_probabilities``'s table (columns ``label`` and ``definition``).
        width: Characters per line of the definition, wrapped at spaces.

    Returns:
        One label per row: the name alone when the definition is empty, else the name and, on
        the lines below, the definition in parentheses.
    """
    import textwrap

    return [
        "\n".join([label, *textwrap.wrap(f"({definition})", width)]) if definition else label
        for label, definition in zip(table["label"], table["definition"], strict=True)
    ]


def _number(value: Any) -> float:
    """A float, NaN for None."""
    return float("nan") if value is None else float(value)


def month_label(date: str) -> str:
    """Turn a ``"YYYY-MM"`` date into a short label such as ``"Oct 2024"``.

    Args:
        date: Month as ``"YYYY-MM"``.

    Returns:
        The month's abbreviated English name and year; the input unchanged if it is not
        ``"YYYY-MM"``.
    """
    try:
        return datetime.strptime(str(date), "%Y-%m").strftime("%b %Y")
    except ValueError:
        return str(date)


RARE_RUNGS: dict[str, Rung] = {
    "Clash or worse (rungs 10-13)": Rung.CONTAINED_CLASH,
    "NATO-Russia war or worse (11-13)": Rung.DIRECT_CONFLICT,
    "Nuclear use (12-13)": Rung.NUCLEAR_USE_IN_UKRAINE,
}
"""The rare but important rungs of the ladder's lower panel: label -> lowest rung counted."""


def rare_rung_shares(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Share of replicates at or above each rare rung (``RARE_RUNGS``), month by month.

    Args:
        trajectories: Long table with columns ``month`` and ``rung``.

    Returns:
        A frame indexed by month (sorted), one column per label of ``RARE_RUNGS``, holding the
        share of replicates (0..1) at that rung or above in that month.
    """
    rungs = trajectories["rung"].to_numpy()
    months = trajectories["month"]
    shares = pd.DataFrame(
        {
            label: pd.Series(rungs >= low, index=trajectories.index).groupby(months).mean()
            for label, low in RARE_RUNGS.items()
        }
    )
    return shares.sort_index().astype(float)


POLICY_WORDS: dict[str, dict[str, str]] = {
    "instructors": {
        "none": "no training",
        "outside": "training outside Ukraine",
        "inside": "instructors inside Ukraine",
    },
    "troops": {"none": "no troops", "noncombat": "non-combat troops", "combat": "combat troops"},
    "deep_strikes": {
        "prohibited": "deep strikes prohibited",
        "limited": "limited deep strikes",
        "authorized": "deep strikes authorised",
    },
    "posture": {"red_lines": "declared red lines", "ambiguity": "strategic ambiguity"},
}
"""Each lever value in words, for titles."""


def policy_words(policy: Mapping[str, Any]) -> str:
    """The four levers of a run in words, posture last.

    Args:
        policy: The run's ``policy`` config (``instructors``, ``troops``, ``deep_strikes``,
            ``posture``); missing levers are left out.

    Returns:
        For example ``"instructors inside Ukraine, no troops, deep strikes prohibited;
        posture: declared red lines"``.
    """
    words = [
        POLICY_WORDS[lever].get(str(policy[lever]), f"{lever}={policy[lever]}")
        for lever in ("instructors", "troops", "deep_strikes")
        if lever in policy
    ]
    text = ", ".join(words)
    if "posture" in policy:
        posture = POLICY_WORDS["posture"].get(str(policy["posture"]), str(policy["posture"]))
        text += f"; posture: {posture}" if text else f"posture: {posture}"
    return text


def run_title(summary: Mapping[str, Any], what: str) -> str:
    """A run figure's title: scenario and what is drawn, the policy actually run, the run's size.

    Args:
        summary: Run summary (``title`` or ``scenario``, ``replicates``, ``months``, ``start``,
            ``seed``, and ``config`` with the ``policy`` that was run).
        what: What the figure shows, e.g. ``"escalation ladder"``.

    Returns:
        Up to three lines: ``"<title>: <what>"``, the policy in words, and replicates, months,
        start and seed.
    """
    name = summary.get("title") or summary.get("scenario") or "Scenario"
    lines = [f"{name}: {what}"]
    if changes_words(summary.get("changes")):
        lines.append(f"Changed from the scenario: {changes_words(summary.get('changes'))}")
    policy = (summary.get("config") or {}).get("policy")
    if policy:
        lines.append(policy_words(policy))
    details = []
    if summary.get("replicates") is not None:
        details.append(f"{int(summary['replicates']):,} replicates")
    if summary.get("months") is not None:
        details.append(f"{int(summary['months'])} months")
    if summary.get("start"):
        details.append(f"from {month_label(summary['start'])}")
    if summary.get("seed") is not None:
        details.append(f"seed {summary['seed']}")
    if details:
        lines.append(", ".join(details))
    return "\n".join(lines)
