"""Figures of a sweep: outcome probabilities across policies, from the sweep's ``summary.csv``.

A Hydra multirun sweeps the four policy levers; its gathering step writes one row per lever
combination (per job) with the outcome probabilities, their 95% Wilson intervals, and the means
of the numeric outcomes with their 95% intervals. This module reads that table: it never imports
the model, and matplotlib is imported lazily (with the ``Agg`` backend) inside the drawing
functions, as in ``escalation.plots``.

Each figure has pure data functions that tests check number by number (``swept_levers``,
``heatmap_layout``, ``heatmap_grid``, ``pareto_front``, ``ranking``), and a drawing function that
only lays that data out:

* ``plot_heatmap``: P(outcome) over the two most varied swept levers, faceted by the others;
* ``plot_tradeoff``: Ukraine's final position against P(direct conflict), with the policies that
  no other policy beats on both highlighted;
* ``plot_ranking``: policies sorted by P(outcome), with their intervals.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation import config
from escalation.plots import FIGSIZES, _pyplot, _save_atomically, check_style, set_title
from escalation.results import PROBABILITIES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LEVERS: dict[str, tuple[str, ...]] = {
    lever: tuple(member.value for member in values) for lever, values in config.LEVERS.items()
}
"""The policy levers in their canonical order, each with its values from least to most engaged
(from ``escalation.config``)."""

RISK = "direct_conflict"
"""Outcome on the risk axis of the trade-off figure (a probability column)."""

BENEFIT = "ukraine_position_final_mean"
"""Column on the support axis of the trade-off figure: Ukraine's mean final position (%)."""

HEATMAP_OUTCOMES: tuple[str, ...] = ("direct_conflict", "russian_retaliation")
"""Outcomes drawn as heatmaps by ``draw_sweep_figures``."""

RANKING_OUTCOME = "direct_conflict"
"""Outcome by which ``draw_sweep_figures`` ranks the policies."""

TRADEOFF_FILE = "tradeoff.png"

PROBABILITY_LABEL = "Probability over the run (%)"
"""Label of every probability axis and colour bar, in %."""

FRONT_LABEL = "Non-dominated policy (numbered as in the key), 95% intervals"
DOMINATED_LABEL = "Dominated policy, 95% intervals"
STEP_LABEL = "Best position reachable at that risk"
FRONT_COLOUR = "tab:red"
KEY_HEADER = "Non-dominated policies by increasing risk (P(direct conflict), Ukraine's position):"
"""Legend entries and key header of the trade-off figure."""

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


def policy_label(row: Mapping[str, Any] | pd.Series, levers: Sequence[str]) -> str:
    """Short label of a policy naming only the given (swept) levers.

    Args:
        row: A row of the sweep summary (or any mapping from lever to value).
        levers: The levers (or other columns) to name, usually ``swept_columns(summary)``.

    Returns:
        ``"lever=value"`` pairs joined by ``", "``, e.g. ``"instructors=inside, troops=combat"``;
        ``NO_POLICY_SWEPT`` when ``levers`` is empty.
    """
    if not levers:
        return NO_POLICY_SWEPT
    return ", ".join(f"{lever}={row[lever]}" for lever in levers)


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


def pareto_front(
    summary: pd.DataFrame,
    risk: str = RISK,
    benefit: str = BENEFIT,
    *,
    by: Sequence[str] = (),
) -> pd.Series[bool]:
    """Which policies no other policy beats on both risk and benefit.

    A policy is dominated when another has a risk no higher and a benefit no lower, and is
    strictly better on at least one. Policies with identical risk and benefit do not dominate
    each other, so ties on the front all stay on it. A policy with a missing risk or benefit is
    neither on the front nor counted against others. With ``by``, policies are only compared
    with those sharing their values of these columns (one front per assumption value: an
    assumption is not a choice, so a low threshold must not "beat" a policy under a high one).

    Args:
        summary: Sweep summary, one row per policy.
        risk: Column to minimise, e.g. the probability ``"direct_conflict"``.
        benefit: Column to maximise, e.g. ``"ukraine_position_final_mean"``.
        by: Columns whose values split the policies into groups, each with its own front.

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
    front = valid.copy()
    for i in np.flatnonzero(valid):
        no_worse = valid & (group == group[i]) & (risks <= risks[i]) & (benefits >= benefits[i])
        better = (risks < risks[i]) | (benefits > benefits[i])
        front[i] = not (no_worse & better).any()
    return pd.Series(front, index=summary.index, name="pareto_front", dtype=bool)


def ranking(summary: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Policies sorted by an outcome's probability, lowest first.

    Ties keep the summary's order; policies with a missing probability come last.

    Args:
        summary: Sweep summary, one row per policy, with columns ``outcome``,
            ``outcome_low`` and ``outcome_high``.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.

    Returns:
        A frame with columns ``job`` (when the summary has it), ``label`` (``policy_label`` over
        ``swept_columns``), ``p``, ``low`` and ``high`` (0..1), indexed 0..n-1 in rank order.
    """
    levers = swept_columns(summary)
    table = pd.DataFrame(
        {
            "label": [policy_label(row, levers) for _, row in summary.iterrows()],
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


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


def _nice_ceiling(percent: float) -> float:
    """Smallest round upper bound (1, 2, 5, 10, 20, ..., 100 %) at or above a value."""
    for bound in (1.0, 2.0, 5.0, *np.arange(10.0, 101.0, 10.0)):
        if percent <= bound:
            return float(bound)
    return 100.0


def _facet_title(levers: Sequence[str], values: Sequence[str]) -> str:
    """Panel title naming the facet values, one lever per line."""
    return "\n".join(f"{lever}={value}" for lever, value in zip(levers, values, strict=True))


def plot_heatmap(
    summary: pd.DataFrame,
    outcome: str,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    vmax: float | None = None,
    style: str = "default",
) -> Path:
    """Draw P(outcome) in % over two swept levers, one panel per combination of the others.

    The axes and facets come from ``heatmap_layout``: the facet with the most values (ties: the
    first) runs across the columns of panels, the combinations of the others down the rows. Each
    cell shows its %, the colour scale is shared by all panels and runs from 0 to a round bound
    above the highest probability; a combination absent from the sweep is grey, marked "no data".

    Args:
        summary: Sweep summary, one row per policy.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        path: Where to write the image (format from the suffix, PNG by default).
        sweep_name: Name of the sweep, for the title.
        vmax: Top of the colour scale in %, shared by the heatmaps of one sweep (default: a
            round bound above this outcome's highest probability; see ``shared_colour_top``).
        style: ``plots.style``.

    Returns:
        The path written.
    """
    import matplotlib

    path = Path(path)
    figsize = FIGSIZES[style]
    x, y, facets = heatmap_layout(summary)
    grids = heatmap_grid(summary, outcome, x, y, facets)
    facet_values = {facet: lever_values(summary, facet) for facet in facets}
    # The facet with the most values (ties: first) runs across, the others' product down.
    across = max(facets, key=lambda facet: len(facet_values[facet])) if facets else None
    column_values = facet_values[across] if across else [None]
    down = [facet for facet in facets if facet != across]
    row_values = list(product(*(facet_values[facet] for facet in down)))

    first = next(iter(grids.values()))
    cells_y, cells_x = first.shape
    panels_y, panels_x = len(row_values), len(column_values)
    panel_width = max(2.6, 1.15 * cells_x + 1.2)
    panel_height = max(1.9, 0.9 * cells_y + 1.3)
    width = max(figsize[0], panel_width * panels_x + 2.4)
    height = max(4.5, panel_height * panels_y + 1.6)
    if panels_y == 1 and cells_y == 1:
        height = 4.5

    if vmax is None:
        vmax = shared_colour_top(summary, [outcome])
    cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="lightgrey")
    norm = matplotlib.colors.Normalize(vmin=0.0, vmax=vmax)

    plt = _pyplot()
    with plt.rc_context(check_style(style)):
        fig, axes = plt.subplots(
            panels_y,
            panels_x,
            figsize=(width, height),
            layout="constrained",
            sharex=True,
            sharey=True,
            squeeze=False,
        )
        try:
            image = None
            for (row, row_value), (column, column_value) in product(
                enumerate(row_values), enumerate(column_values)
            ):
                ax = axes[row, column]
                named = dict(zip(down, row_value, strict=True)) | {across: column_value}
                key = tuple(named[facet] for facet in facets)
                grid = grids[key]
                image = _draw_grid(ax, grid * 100.0, cmap, norm)
                if facets:
                    ax.set_title(_facet_title(facets, key), fontsize="medium")
                if row == panels_y - 1:
                    ax.set_xlabel(x if x is not None else "")
                if column == 0:
                    ax.set_ylabel(y if y is not None else "")
            colourbar = fig.colorbar(image, ax=axes, shrink=0.9 if panels_y > 1 else 1.0)
            colourbar.set_label(PROBABILITY_LABEL)
            levers = [lever for lever in (y, x) if lever is not None]
            what = f"{_outcome_label(outcome)} {_swept_phrase(levers)}"
            if facets:
                what += f", by {_and(facets)}"
            set_title(fig, _title(summary, what, sweep_name))
            _save_atomically(fig, path)
        finally:
            plt.close(fig)
    return path


def shared_colour_top(summary: pd.DataFrame, outcomes: Sequence[str]) -> float:
    """One colour-scale top (%) for the heatmaps of several outcomes of one sweep.

    Args:
        summary: Sweep summary, one row per policy.
        outcomes: The outcomes drawn as heatmaps.

    Returns:
        The smallest round bound (1, 2, 5, 10, 20, ... 100 %) at or above the highest
        probability of any of them, so that equal colours mean equal probabilities across
        the heatmaps.
    """
    values = summary[[outcome for outcome in outcomes]].to_numpy(dtype=float) * 100.0
    top = float(np.nanmax(values, initial=0.0)) if values.size else 0.0
    return _nice_ceiling(top if np.isfinite(top) else 0.0)


def _draw_grid(ax: Axes, percent: pd.DataFrame, cmap: Any, norm: Any) -> Any:
    """Draw one heatmap panel of percentages with each cell annotated; returns the image."""
    values = percent.to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=cmap,
        norm=norm,
        aspect="auto",
        interpolation="nearest",
        origin="lower",
    )
    for (i, j), value in np.ndenumerate(values):
        if math.isnan(value):
            text, colour = "no data", "black"
        else:
            text = f"{value:.1f}%"
            colour = "white" if norm(value) > 0.6 else "black"
        ax.text(j, i, text, ha="center", va="center", color=colour, fontsize="large", weight="bold")
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([str(c) if c != ALL else "" for c in percent.columns])
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels([str(r) if r != ALL else "" for r in percent.index])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    return image


def plot_tradeoff(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
) -> Path:
    """Draw support against risk: Ukraine's final position versus P(direct conflict), per policy.

    Each policy is a point with its 95% intervals (horizontal: Wilson interval of the
    probability; vertical: interval of the mean position). The policies on the Pareto front
    (``pareto_front``: no other policy has both less risk and more territory) are highlighted,
    joined by a step line, numbered on the plot and named in a key below it.

    Args:
        summary: Sweep summary, one row per policy, with ``direct_conflict`` (and ``_low``,
            ``_high``) and ``ukraine_position_final_mean`` (and ``_low``, ``_high``).
        path: Where to write the image.
        sweep_name: Name of the sweep, for the title.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    path = Path(path)
    figsize = FIGSIZES[style]
    groups = assumption_columns(summary)
    levers = [column for column in swept_columns(summary) if column not in groups]
    front = pareto_front(summary, RISK, BENEFIT, by=groups)
    group_of = (
        summary.groupby(groups, sort=False, dropna=False).ngroup().to_numpy()
        if groups
        else np.zeros(len(summary), dtype=int)
    )
    group_names = {
        int(g): policy_label(summary.iloc[int(np.flatnonzero(group_of == g)[0])], groups)
        for g in np.unique(group_of)
    }
    colours = [FRONT_COLOUR] if not groups else [f"C{n % 10}" for n in range(len(group_names))]
    risk = summary[RISK].to_numpy(dtype=float) * 100.0
    risk_errors = _errors(
        risk,
        summary[f"{RISK}_low"].to_numpy(dtype=float) * 100.0,
        summary[f"{RISK}_high"].to_numpy(dtype=float) * 100.0,
    )
    benefit = summary[BENEFIT].to_numpy(dtype=float)
    benefit_errors = _errors(
        benefit,
        summary[f"{BENEFIT}_low"].to_numpy(dtype=float),
        summary[f"{BENEFIT}_high"].to_numpy(dtype=float),
    )
    on_front = front.to_numpy()
    order = np.flatnonzero(on_front)
    # by assumption group, then risk, then best position
    order = order[np.lexsort((-benefit[order], risk[order], group_of[order]))]
    key_lines = [
        f"{number}.  {policy_label(summary.iloc[i], levers)}"
        + (f"  [{group_names[int(group_of[i])]}]" if groups else "")
        + f"   ({risk[i]:.1f}%, {benefit[i]:.1f}% held)"
        for number, i in enumerate(order, start=1)
    ]

    missing = int((np.isnan(risk) | np.isnan(benefit)).sum())
    missing_line = (
        [f"Not drawn: {missing:,} {'policy' if missing == 1 else 'policies'} lacking an estimate."]
        if missing
        else []
    )
    plt = _pyplot()
    key_height = 0.24 * (max(1, len(key_lines)) + len(missing_line)) + 0.45
    with plt.rc_context(check_style(style)):
        fig, (ax, key_ax) = plt.subplots(
            2,
            1,
            figsize=(figsize[0] + 1.0, figsize[1] + 1.0 + key_height),
            layout="constrained",
            height_ratios=[figsize[1] + 1.0, key_height],
        )
        try:
            others = ~on_front & ~np.isnan(risk) & ~np.isnan(benefit)
            if others.any():
                ax.errorbar(
                    risk[others],
                    benefit[others],
                    xerr=risk_errors[:, others],
                    yerr=benefit_errors[:, others],
                    fmt="o",
                    color="tab:gray",
                    ecolor="darkgray",
                    markersize=6,
                    elinewidth=1,
                    alpha=0.8,
                    label=DOMINATED_LABEL,
                )
            for g, name in group_names.items():
                mine = order[group_of[order] == g]
                if not mine.size:
                    continue
                colour = colours[g]
                ax.errorbar(
                    risk[mine],
                    benefit[mine],
                    xerr=risk_errors[:, mine],
                    yerr=benefit_errors[:, mine],
                    fmt="D",
                    color=colour,
                    ecolor=colour,
                    markersize=9,
                    elinewidth=1.5,
                    capsize=3,
                    zorder=3,
                    label=FRONT_LABEL if not groups else f"{FRONT_LABEL}: {name}",
                )
                ax.plot(
                    risk[mine],
                    benefit[mine],
                    drawstyle="steps-post",
                    color=colour,
                    linewidth=2,
                    alpha=0.7,
                    zorder=2,
                    label=STEP_LABEL if not groups else "_nolegend_",
                )
            numbers: dict[tuple[float, float], list[str]] = {}  # policies at the same point
            for number, i in enumerate(order, start=1):
                numbers.setdefault((risk[i], benefit[i]), []).append(str(number))
            for point, names in numbers.items():
                ax.annotate(
                    ", ".join(names),
                    point,
                    xytext=(7, 7),
                    textcoords="offset points",
                    fontsize="large",
                    weight="bold",
                    color="darkred",
                    zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )
            ax.set_xlabel(f"P({_outcome_label(RISK)}) over the run (%)")
            ax.set_ylabel("Ukraine's final position\n(% of territory held, mean)")
            ax.set_xlim(left=-0.02 * ax.get_xlim()[1])  # from 0 %, whole markers at 0 % shown
            ax.grid(alpha=0.3)
            if not order.size:
                ax.text(
                    0.5,
                    0.5,
                    "No policy has estimates on both axes",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize="x-large",
                )
            else:
                handles, labels = ax.get_legend_handles_labels()
                order_of = {label: rank for rank, label in enumerate(labels)}
                wanted = [label for label in labels if label != DOMINATED_LABEL] + [DOMINATED_LABEL]
                if not groups:
                    wanted = [FRONT_LABEL, STEP_LABEL, DOMINATED_LABEL]
                ax.legend(
                    [handles[order_of[label]] for label in wanted if label in order_of],
                    [label for label in wanted if label in order_of],
                    loc="lower left",
                    bbox_to_anchor=(0.0, 1.0),  # above the axes: never over a policy
                    frameon=False,
                    fontsize="small",
                )
            what = f"Support versus risk {_swept_phrase(levers)}"
            if groups:
                what += f", one front per {_and(groups)}"
            set_title(fig, _title(summary, what, sweep_name))

            key_ax.axis("off")
            key_ax.text(
                0.0,
                1.0,
                "\n".join([KEY_HEADER, *(key_lines or ["(none)"]), *missing_line]),
                transform=key_ax.transAxes,
                va="top",
                ha="left",
                fontsize="medium",
                linespacing=1.5,
            )
            _save_atomically(fig, path)
        finally:
            plt.close(fig)
    return path


def _errors(centre: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths (2 x n, never negative) from an interval around a centre."""
    return np.clip(np.vstack([centre - low, high - centre]), 0.0, None)


RANKING_ENDS = 10
"""A ranking of more than twice this many policies shows only the lowest and highest ten."""


def ranking_ends(table: pd.DataFrame, ends: int = RANKING_ENDS) -> tuple[pd.DataFrame, int]:
    """The first and last ``ends`` rows of a ranking, and how many rows are left out between.

    Args:
        table: A ranking (``ranking``), lowest probability first.
        ends: Rows kept at each end.

    Returns:
        The rows kept (in rank order, with a ``rank`` column from 1) and the count left out.
    """
    ranked = table.assign(rank=np.arange(1, len(table) + 1))
    if len(ranked) <= 2 * ends:
        return ranked, 0
    kept = pd.concat([ranked.head(ends), ranked.tail(ends)], ignore_index=True)
    return kept, len(ranked) - 2 * ends


def plot_ranking(
    summary: pd.DataFrame,
    outcome: str,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
) -> Path:
    """Draw policies ranked by P(outcome) in %, lowest at the top, with 95% Wilson intervals.

    The figure is a 16:9 slide: with more than 20 policies (a 54-policy grid) it shows the ten
    lowest and the ten highest, with a line saying how many are left out between them.

    Args:
        summary: Sweep summary, one row per policy.
        outcome: Yes/no outcome name, e.g. ``"direct_conflict"``.
        path: Where to write the image.
        sweep_name: Name of the sweep, for the title.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    path = Path(path)
    table, hidden = ranking_ends(ranking(summary, outcome))
    levers = swept_columns(summary)
    percent = table["p"].to_numpy() * 100.0
    low = table["low"].to_numpy() * 100.0
    high = table["high"].to_numpy() * 100.0
    positions = np.arange(len(table), dtype=float)
    if hidden:
        positions[RANKING_ENDS:] += 1.0  # a blank row for the policies left out
    top = float(np.nanmax(high)) if len(table) and not np.all(np.isnan(high)) else 0.0
    right = min(112.0, max(5.0, top * 1.15 + 2.0))  # room for the value labels
    rows = len(positions) + (1 if hidden else 0)
    width, height = FIGSIZES["slides"]
    if style == "default":
        width, height = 12.8, 7.2  # a 16:9 slide at the default type size

    plt = _pyplot()
    with plt.rc_context(check_style(style)):
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
        try:
            ax.barh(positions, percent, height=0.6, color="tab:red", alpha=0.6, label="Estimate")
            ax.errorbar(
                percent,
                positions,
                xerr=_errors(percent, low, high),
                fmt="none",
                ecolor="black",
                elinewidth=1.3,
                capsize=3,
                label="95% Wilson interval",
            )
            for y, p, h in zip(positions, percent, high, strict=True):
                if not math.isnan(p):
                    end = h if not math.isnan(h) else p
                    ax.text(end + right * 0.01, y, f"{p:.1f}%", va="center", fontsize="small")
            if hidden:
                ax.text(
                    right / 2,
                    RANKING_ENDS,
                    f"... {hidden} policies ranked {RANKING_ENDS + 1}-{RANKING_ENDS + hidden} "
                    "not shown ...",
                    ha="center",
                    va="center",
                    style="italic",
                )
            ax.set_yticks(positions)
            ax.set_yticklabels(
                [
                    f"{rank}. {label}"
                    for rank, label in zip(table["rank"], table["label"], strict=True)
                ],
                fontsize="small" if rows > 12 else "medium",
            )
            ax.set_ylim(rows - 0.5, -0.5)  # lowest probability at the top
            ax.set_xlim(0.0, right)
            ax.set_xticks([tick for tick in ax.get_xticks() if 0.0 <= tick <= min(right, 100.0)])
            ax.set_xlabel(PROBABILITY_LABEL)
            ax.grid(axis="x", alpha=0.3)
            fig.legend(loc="outside lower center", ncols=2, frameon=False)
            what = f"{_outcome_label(outcome)}: policies ranked {_swept_phrase(levers)}"
            if hidden:
                what += f" (lowest and highest {RANKING_ENDS})"
            set_title(fig, _title(summary, what, sweep_name))
            _save_atomically(fig, path)
        finally:
            plt.close(fig)
    return path


def draw_sweep_figures(
    summary: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Draw the figures of a sweep into a folder, each written atomically.

    Writes ``heatmap_direct_conflict``, ``heatmap_russian_retaliation`` (on one shared colour
    scale), ``tradeoff`` and ``ranking_direct_conflict``, in each format asked for.

    Args:
        summary: Sweep summary, one row per policy (the sweep's ``summary.csv``).
        folder: Output folder, created if missing.
        sweep_name: Name of the sweep, for the titles.
        style: ``plots.style``: ``default`` or ``slides``.
        formats: File formats, e.g. ``("png", "svg", "pdf")``.

    Returns:
        The paths written, in the order above, for each format in turn.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    check_style(style)
    vmax = shared_colour_top(summary, HEATMAP_OUTCOMES)
    paths = []
    for suffix in formats:
        paths += [
            plot_heatmap(
                summary,
                outcome,
                folder / f"heatmap_{outcome}.{suffix}",
                sweep_name=sweep_name,
                vmax=vmax,
                style=style,
            )
            for outcome in HEATMAP_OUTCOMES
        ]
        paths.append(
            plot_tradeoff(
                summary,
                (folder / TRADEOFF_FILE).with_suffix(f".{suffix}"),
                sweep_name=sweep_name,
                style=style,
            )
        )
        paths.append(
            plot_ranking(
                summary,
                RANKING_OUTCOME,
                folder / f"ranking_{RANKING_OUTCOME}.{suffix}",
                sweep_name=sweep_name,
                style=style,
            )
        )
    return paths
