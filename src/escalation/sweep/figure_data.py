"""The data behind the sweep figures, from a sweep's ``summary.csv``: pure functions, no drawing.

Which columns tell the rows apart (``swept_columns``: levers, then every other swept key), which
go on a heatmap's axes and facets, the grid of values, the Pareto front (one per assumption
value) and the ranking; tests check these number by number. Drawing is in
``escalation.sweep.heatmap``, ``escalation.sweep.tradeoff`` and ``escalation.sweep.figures``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from escalation.config import schema as config
from escalation.run.results import PROBABILITIES

LEVERS: dict[str, tuple[str, ...]] = {
    lever: tuple(member.value for member in values) for lever, values in config.LEVERS.items()
}
"""The policy levers in their canonical order, each with its values from least to most engaged
(from ``escalation.config.schema``)."""

RISK = "direct_conflict"
"""Outcome on the risk axis of the trade-off figure (a probability column)."""

BENEFIT = "ukraine_position_final_mean"
"""Column on the support axis of the trade-off figure: Ukraine's mean final position (%)."""

HEATMAP_OUTCOMES: tuple[str, ...] = ("direct_conflict", "russian_retaliation")
"""Outcomes drawn as heatmaps by ``draw_sweep_figures``."""

RANKING_OUTCOME = "direct_conflict"
"""Outcome by which ``draw_sweep_figures`` ranks the policies."""

TRADEOFF_FILE = "tradeoff.png"

NOISE_MARK = "≈"
"""Prefix of a heatmap cell whose paired difference from the baseline is within noise."""

NOISE_LABEL = (
    f"{NOISE_MARK}, hatched: within noise of the baseline policy (the 95% Monte Carlo interval "
    "of the paired difference holds 0)"
)
BASELINE_LABEL = "Outlined: the baseline policy the differences are taken from"
"""Legend entries of the heatmaps' marks."""

PROBABILITY_LABEL = "Probability over the run (%)"
"""Label of every probability axis and colour bar, in %."""

FRONT_LABEL = "Non-dominated policy (numbered as in the key), 95% intervals"
DOMINATED_LABEL = "Dominated policy (numbered as in the key), 95% intervals"
FRONT_COLOUR = "tab:red"
DOMINANCE_RULE = (
    "Dominated: another policy has both less risk and a better position, its 95% intervals "
    "clear of this policy's on both axes; overlapping intervals leave both non-dominated."
)
KEY_HEADER = (
    f"Non-dominated policies by increasing risk (P({PROBABILITIES[RISK]}), Ukraine's position):"
)
OTHERS_HEADER = "Dominated policies by increasing risk:"
NO_OTHERS = "Dominated policies: none (every policy's intervals overlap those of each better one)."
"""Legend entries, the dominance rule and the key's headers of the trade-off figure."""

EXTRA_DIMENSIONS: tuple[str, ...] = ("scenario", "seed", "months", "replicates")
"""Columns besides the levers that a sweep may vary, in the order figures name them."""

ALL = "all"
"""Index label standing for a heatmap axis when fewer than two levers are swept."""

NO_POLICY_SWEPT = "the only policy"
"""Label of a policy when no lever is swept."""


# --------------------------------------------------------------------------------------------
# Data behind the figures
# --------------------------------------------------------------------------------------------


def lever_values(summary: pd.DataFrame, lever: str) -> list[str]:
    """The values a lever (or another column of the summary) takes in a sweep, in order, as text.

    Args:
        summary: Sweep summary, one row per policy, with a column per lever.
        lever: Lever name, e.g. ``"troops"``, or another column such as ``"seed"``.

    Returns:
        The distinct values present as strings: a lever's in the order of ``LEVERS`` (values it
        does not know last, sorted); a numeric column's in numeric order; others sorted.
    """
    values = summary[lever].dropna()
    if lever not in LEVERS and pd.api.types.is_numeric_dtype(values):
        return [str(value) for value in sorted(values.unique())]
    present = set(values.astype(str))
    known = [value for value in LEVERS.get(lever, ()) if value in present]
    return known + sorted(present - set(known))


def swept_levers(summary: pd.DataFrame) -> list[str]:
    """The levers that take more than one value in a sweep.

    Args:
        summary: Sweep summary, one row per policy, with a column per lever.

    Returns:
        The swept levers in the order instructors, troops, deep_strikes, posture. A lever missing
        from the table counts as not swept.
    """
    return [
        lever
        for lever in LEVERS
        if lever in summary.columns and summary[lever].dropna().nunique() > 1
    ]


def key_columns(summary: pd.DataFrame) -> list[str]:
    """The summary's columns for swept keys that are neither levers nor ``EXTRA_DIMENSIONS``.

    A sweep's gathering gives every other varying key (an uncertainty bound, a doctrine number,
    a timing) a column named by its dotted key, e.g. ``uncertainty.red_line_threshold.high``;
    outcome columns never hold a dot.

    Args:
        summary: Sweep summary, one row per job.

    Returns:
        Those columns, in the summary's order.
    """
    return [column for column in summary.columns if "." in str(column)]


def swept_columns(summary: pd.DataFrame) -> list[str]:
    """What tells the rows of a sweep apart: the swept levers, then other varying keys.

    A sweep may also vary the scenario, the seed, the months or the replicates, or any other key
    (an uncertainty bound, a doctrine number: ``key_columns``); the figures name them all.

    Args:
        summary: Sweep summary, one row per policy.

    Returns:
        ``swept_levers(summary)``, then those of ``EXTRA_DIMENSIONS`` and of ``key_columns`` with
        more than one value; then ``"job"`` only if rows still share all of these values (a
        swept setting the summary has no column for) and the summary has ``job``.
    """
    columns = swept_levers(summary) + [
        column
        for column in [*EXTRA_DIMENSIONS, *key_columns(summary)]
        if column in summary.columns and summary[column].dropna().nunique() > 1
    ]
    shared = summary.duplicated(columns).any() if columns else len(summary) > 1
    if shared and "job" in summary.columns:
        columns.append("job")
    return columns


def assumption_columns(summary: pd.DataFrame) -> list[str]:
    """The swept columns that are not policy levers: assumptions, scenario, seed, timing.

    A trade-off between policies only compares policies under the same values of these, so the
    trade-off figure draws one front per combination of them (``pareto_front(..., by=...)``).

    Args:
        summary: Sweep summary, one row per policy.

    Returns:
        ``swept_columns(summary)`` without the levers (and without ``job``).
    """
    return [c for c in swept_columns(summary) if c not in LEVERS and c != "job"]


def policy_label(
    row: Mapping[str, Any] | pd.Series, levers: Sequence[str], *, values_only: bool = False
) -> str:
    """Short label of a policy naming only the given (swept) levers.

    Args:
        row: A row of the sweep summary (or any mapping from lever to value).
        levers: The levers (or other columns) to name, usually ``swept_columns(summary)``.
        values_only: Give the values without the levers' names (for a key whose header names
            the levers once).

    Returns:
        ``"lever=value"`` pairs joined by ``", "``, e.g. ``"instructors=inside, troops=combat"``
        (``"inside, combat"`` with ``values_only``); ``NO_POLICY_SWEPT`` when ``levers`` is
        empty.
    """
    if not levers:
        return NO_POLICY_SWEPT
    if values_only:
        return ", ".join(str(row[lever]) for lever in levers)
    return ", ".join(f"{lever}={row[lever]}" for lever in levers)


def policy_header(levers: Sequence[str]) -> str:
    """The header of a table column of ``policy_label(..., values_only=True)`` labels.

    ``"Policy (instructors, troops)"``: the levers named once, so that each row gives only its
    values; ``"Policy"`` when no lever is swept.
    """
    return f"Policy ({', '.join(levers)})" if levers else "Policy"


def heatmap_layout(summary: pd.DataFrame) -> tuple[str | None, str | None, list[str]]:
    """Which swept levers go on a heatmap's x and y axes, and which facet it.

    The two swept levers with the most values go on the axes (ties broken by the lever order);
    the first of them on x, the second on y. The remaining swept levers facet the figure. Other
    varying columns (``swept_columns``: scenario, seed, ...) come after the levers.

    Args:
        summary: Sweep summary, one row per policy.

    Returns:
        ``(x, y, facets)``: ``y`` is ``None`` with a single swept lever, and ``x`` too with none;
        ``facets`` lists the other swept columns in the order of ``swept_columns``.
    """
    swept = swept_columns(summary)
    by_size = sorted(swept, key=lambda column: -len(lever_values(summary, column)))  # stable
    axes = by_size[:2]
    x = axes[0] if axes else None
    y = axes[1] if len(axes) > 1 else None
    facets = [column for column in swept if column not in axes]
    return x, y, facets


def heatmap_grid(
    summary: pd.DataFrame,
    outcome: str,
    x: str | None,
    y: str | None,
    facets: Sequence[str],
) -> dict[tuple[str, ...], pd.DataFrame]:
    """Tables of an outcome's probability over two levers, one per combination of facet values.

    Args:
        summary: Sweep summary, one row per policy, with a column per lever and the probability
            column ``outcome``.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        x: Lever (or other column, e.g. ``"seed"``) on the columns of each table; ``None`` for a
            single column labelled ``ALL``.
        y: Lever on the rows of each table; ``None`` for a single row labelled ``ALL``.
        facets: Levers whose values select the tables (values compared as text).

    Returns:
        A dict keyed by the tuple of facet values (in ``facets`` order; ``()`` without facets),
        facet values in lever order, each holding a y-by-x table of the probability (0..1) with
        index and columns in lever value order. A combination absent from the sweep is NaN.

    Raises:
        ValueError: Two rows of the summary have the same values of ``x``, ``y`` and ``facets``.
    """
    table = summary.copy()
    for name, lever in (("column", x), ("row", y)):
        if lever is None:
            table[f"__{name}"] = ALL
        else:
            table[f"__{name}"] = table[lever].astype(str)
    for lever in facets:
        table[lever] = table[lever].astype(str)
    cells = [*facets, "__row", "__column"]
    duplicated = table.duplicated(cells, keep=False)
    if duplicated.any():
        first = table.loc[duplicated, cells].iloc[0].to_dict()
        raise ValueError(f"several rows of the sweep summary for the same cell: {first}")

    columns = lever_values(summary, x) if x is not None else [ALL]
    rows = lever_values(summary, y) if y is not None else [ALL]
    facet_values = [lever_values(summary, lever) for lever in facets]
    grids: dict[tuple[str, ...], pd.DataFrame] = {}
    for key in product(*facet_values):
        selected = table
        for lever, value in zip(facets, key, strict=True):
            selected = selected[selected[lever] == value]
        grid = (
            selected.set_index(["__row", "__column"])[outcome]
            .astype(float)
            .unstack("__column")
            .reindex(index=rows, columns=columns)
        )
        grid.index.name = y
        grid.columns.name = x
        grids[tuple(key)] = grid
    return grids


def within_noise(
    summary: pd.DataFrame, differences: pd.DataFrame | None, outcome: str
) -> pd.Series:
    """Whether each policy's paired difference from the baseline in an outcome is within noise.

    Rule: within noise when the 95% Monte Carlo interval of the paired difference
    (``NAME_diff_low`` to ``NAME_diff_high`` of the sweep's ``differences.csv``,
    ``escalation.sweep.differences``) holds 0; the baseline policy itself is not marked.

    Args:
        summary: Sweep summary, one row per policy, with a ``job`` column.
        differences: The sweep's differences table (``job``, ``baseline_job`` and the
            ``NAME_diff_low``/``NAME_diff_high`` columns), or None when there is none.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        values_only: Label each policy by its values alone (``policy_header`` names the levers).

    Returns:
        A float series on the summary's index: 1.0 within noise, 0.0 beyond it, NaN for the
        baseline and for a policy without a difference (no table, no row, no ``job``).
    """
    marks = pd.Series(np.nan, index=summary.index, name="within_noise", dtype=float)
    if differences is None or "job" not in summary.columns or "job" not in differences.columns:
        return marks
    table = differences.set_index("job")
    low = summary["job"].map(table[f"{outcome}_diff_low"]).astype(float)
    high = summary["job"].map(table[f"{outcome}_diff_high"]).astype(float)
    known = low.notna() & high.notna() & ~is_baseline(summary, differences)
    marks[known] = ((low[known] <= 0.0) & (high[known] >= 0.0)).astype(float)
    return marks


def is_baseline(summary: pd.DataFrame, differences: pd.DataFrame | None) -> pd.Series:
    """Which row of the summary is the baseline policy of the sweep's differences.

    Args:
        summary: Sweep summary, one row per policy, with a ``job`` column.
        differences: The sweep's differences table (with ``baseline_job``), or None.

    Returns:
        A boolean series on the summary's index; all False without a table or a ``job`` column.
    """
    if differences is None or "job" not in summary.columns or differences.empty:
        return pd.Series(False, index=summary.index, name="baseline", dtype=bool)
    baselines = set(differences["baseline_job"].dropna().astype(int))
    return summary["job"].isin(baselines).rename("baseline")


def pareto_front(
    summary: pd.DataFrame,
    risk: str = RISK,
    benefit: str = BENEFIT,
    *,
    by: Sequence[str] = (),
    intervals: bool = False,
) -> pd.Series[bool]:
    """Which policies no other policy beats on both risk and benefit.

    On point estimates (``intervals=False``) a policy is dominated when another has a risk no
    higher and a benefit no lower, and is strictly better on at least one; policies with
    identical risk and benefit do not dominate each other, so ties on the front all stay on it.
    With ``intervals=True`` (the trade-off figure's rule, ``DOMINANCE_RULE``) a policy is
    dominated only when another is better on both axes beyond the 95% intervals: the other's
    risk interval lies wholly below this one's (its ``_high`` under this ``_low``) and its
    benefit interval wholly above (its ``_low`` over this ``_high``); a missing bound counts as
    the estimate. A policy with a missing risk or benefit is neither on the front nor counted
    against others. With ``by``, policies are only compared with those sharing their values of
    these columns (one front per assumption value: an assumption is not a choice, so a low
    threshold must not "beat" a policy under a high one).

    Args:
        summary: Sweep summary, one row per policy (with ``risk_low``, ``risk_high``,
            ``benefit_low`` and ``benefit_high`` when ``intervals``).
        risk: Column to minimise, e.g. the probability ``"direct_conflict"``.
        benefit: Column to maximise, e.g. ``"ukraine_position_final_mean"``.
        by: Columns whose values split the policies into groups, each with its own front.
        intervals: Compare the 95% intervals rather than the estimates.

    Returns:
        A boolean series on the summary's index, True for the non-dominated policies.
    """
    risks = summary[risk].to_numpy(dtype=float)
    benefits = summary[benefit].to_numpy(dtype=float)
    valid = ~(np.isnan(risks) | np.isnan(benefits))
    if by:
        group = summary.groupby(list(by), sort=False, dropna=False).ngroup().to_numpy()
    else:
        group = np.zeros(len(summary), dtype=int)
    if intervals:
        risk_low, risk_high = (_bound(summary, risk, side) for side in ("low", "high"))
        benefit_low, benefit_high = (_bound(summary, benefit, side) for side in ("low", "high"))
    front = valid.copy()
    for i in np.flatnonzero(valid):
        if intervals:
            beats = (risk_high < risk_low[i]) & (benefit_low > benefit_high[i])
        else:
            no_worse = (risks <= risks[i]) & (benefits >= benefits[i])
            beats = no_worse & ((risks < risks[i]) | (benefits > benefits[i]))
        front[i] = not (valid & (group == group[i]) & beats).any()
    return pd.Series(front, index=summary.index, name="pareto_front", dtype=bool)


def _bound(summary: pd.DataFrame, column: str, side: str) -> np.ndarray:
    """A column's ``_low`` or ``_high`` bound, the estimate where the bound is missing."""
    estimate = summary[column].to_numpy(dtype=float)
    name = f"{column}_{side}"
    if name not in summary.columns:
        return estimate
    bound = summary[name].to_numpy(dtype=float)
    return np.where(np.isnan(bound), estimate, bound)


def ranking(summary: pd.DataFrame, outcome: str, *, values_only: bool = False) -> pd.DataFrame:
    """Policies sorted by an outcome's probability, lowest first.

    Ties keep the summary's order; policies with a missing probability come last.

    Args:
        summary: Sweep summary, one row per policy, with columns ``outcome``,
            ``outcome_low`` and ``outcome_high``.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        values_only: Label each policy by its values alone (``policy_header`` names the levers).

    Returns:
        A frame with columns ``job`` (when the summary has it), ``label`` (``policy_label`` over
        ``swept_columns``), ``p``, ``low`` and ``high`` (0..1), indexed 0..n-1 in rank order.
    """
    levers = swept_columns(summary)
    table = pd.DataFrame(
        {
            "label": [
                policy_label(row, levers, values_only=values_only) for _, row in summary.iterrows()
            ],
            "p": summary[outcome].astype(float),
            "low": summary[f"{outcome}_low"].astype(float),
            "high": summary[f"{outcome}_high"].astype(float),
        },
        index=summary.index,
    )
    if "job" in summary.columns:
        table.insert(0, "job", summary["job"])
    table = table.sort_values("p", kind="mergesort", na_position="last")
    return table.reset_index(drop=True)


def sweep_description(summary: pd.DataFrame, sweep_name: str) -> str:
    """One line naming a sweep, its scenario, its policies, replicates and months.

    Args:
        summary: Sweep summary, one row per policy, with ``scenario``, ``replicates`` and
            ``months`` columns (each optional).
        sweep_name: Name of the sweep, e.g. ``"policy_grid"``.

    Returns:
        E.g. ``"policy_grid sweep of status_quo: 54 policies x 1,000 replicates, 36 months"``;
        a column with several values gives them all (scenarios) or their range (numbers).
    """
    count = len(summary)
    text = f"{sweep_name} sweep"
    if "scenario" in summary.columns:
        scenarios = list(dict.fromkeys(summary["scenario"].dropna().astype(str)))
        if scenarios:
            text += f" of {', '.join(scenarios)}"
    text += f": {count:,} {'policy' if count == 1 else 'policies'}"
    if "replicates" in summary.columns and summary["replicates"].notna().any():
        text += f" x {_number_range(summary['replicates'])} replicates"
    if "months" in summary.columns and summary["months"].notna().any():
        text += f", {_number_range(summary['months'])} months"
    return text


def _number_range(values: pd.Series) -> str:
    """``"1,000"`` for one distinct value, ``"500-1,000"`` for several."""
    low, high = int(values.min()), int(values.max())
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _outcome_label(outcome: str) -> str:
    """Label of a yes/no outcome for titles and axes."""
    return PROBABILITIES.get(outcome, outcome.replace("_", " "))


def _swept_phrase(levers: Sequence[str]) -> str:
    """``"over troops x instructors"``, or ``"(no lever swept)"``."""
    return f"over {' x '.join(levers)}" if levers else "(no lever swept)"


def _and(names: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _title(summary: pd.DataFrame, what: str, sweep_name: str) -> str:
    """Two-line figure title: what is drawn and over which levers, then the sweep's size."""
    return f"{what}\n{sweep_description(summary, sweep_name)}"
