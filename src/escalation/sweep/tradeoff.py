"""The trade-off figure of a sweep: Ukraine's position against P(NATO-Russia war), per policy.

One Pareto front per combination of the swept assumptions (a threshold is not a choice); a
policy is dominated only beyond the 95% intervals (``DOMINANCE_RULE``), and every policy is
numbered on the plot (where it covers no other number or marker) and named in the key below it.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from escalation.figure_style import (
    FIGSIZES,
    TITLE_CHAR_WIDTH,
    check_style,
    pyplot,
    save_figure,
    set_title,
)
from escalation.sweep.figure_data import (
    BENEFIT,
    DOMINANCE_RULE,
    DOMINATED_LABEL,
    FRONT_COLOUR,
    FRONT_LABEL,
    KEY_HEADER,
    NO_OTHERS,
    OTHERS_HEADER,
    RISK,
    _and,
    _outcome_label,
    _swept_phrase,
    _title,
    assumption_columns,
    pareto_front,
    policy_label,
    swept_columns,
)

#: A character's width in ems that the key's lines are wrapped for (a little over the average
#: of DejaVu Sans, so that no line runs off the figure).
KEY_CHAR_WIDTH = TITLE_CHAR_WIDTH + 0.08


def plot_tradeoff(
    summary: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sweep_name: str,
    style: str = "default",
) -> Path:
    """Draw support against risk: Ukraine's final position versus P(NATO-Russia war), per policy.

    Each policy is a point with its 95% intervals (horizontal: Wilson interval of the
    probability; vertical: interval of the mean position). The rule (``DOMINANCE_RULE``, written
    on the figure): a policy is dominated only when another policy has both less risk and a
    better position beyond the intervals, i.e. the other's risk interval lies wholly below this
    one's and its position interval wholly above (``pareto_front(..., intervals=True)``); with
    overlapping intervals neither dominates. The non-dominated policies are highlighted and
    numbered first (by increasing risk), the dominated ones after them in grey; every number is
    on the plot, where it covers no other number or marker (``place_labels``), and named in the
    key below it.

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
    front = pareto_front(summary, RISK, BENEFIT, by=groups, intervals=True)
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
    number_of, key_lines = front_key(summary, on_front, levers, groups)
    other_numbers, other_lines = others_key(summary, on_front, levers, groups, len(key_lines) + 1)
    number_of |= other_numbers
    others = ~on_front & ~np.isnan(risk) & ~np.isnan(benefit)
    dominated = np.flatnonzero(others)

    missing = int((np.isnan(risk) | np.isnan(benefit)).sum())
    missing_line = (
        [f"Not drawn: {missing:,} {'policy' if missing == 1 else 'policies'} lacking an estimate."]
        if missing
        else []
    )
    plt = pyplot()
    from matplotlib.font_manager import FontProperties

    with plt.rc_context(check_style(style)):
        width = figsize[0] + 1.0
        characters = int(width * 72.0 / (plt.rcParams["font.size"] * KEY_CHAR_WIDTH))
        header = KEY_HEADER
        if groups:  # one number per policy, whatever the assumption values
            header = KEY_HEADER.replace(
                "by increasing risk", f"for some {_and(groups)}, by lowest risk"
            ).replace("):", "; ranges over those values):")
        named = [f"Each policy named by its {', '.join(levers)}.", ""] if len(levers) > 1 else []
        sections = [
            [DOMINANCE_RULE, *named],
            [header, *(key_lines or ["(none)"])],
            ["", OTHERS_HEADER, *other_lines] if other_lines else ["", NO_OTHERS],
            missing_line,
        ]
        lines = [line for section in sections for line in section]
        columns = 1 if len(lines) <= 24 else 2
        wrap = characters // columns - 2
        if columns > 1:  # a smaller type in two columns
            wrap = int(wrap * plt.rcParams["font.size"] / FontProperties(size="small").get_size())
        key_lines = [
            wrapped
            for line in lines
            for wrapped in (textwrap.wrap(line, wrap, subsequent_indent=" " * 8) or [""])
        ]
        rows = -(-len(key_lines) // columns)
        key_height = 0.24 * rows + 0.45
        fig, (ax, key_ax) = plt.subplots(
            2,
            1,
            figsize=(width, figsize[1] + 1.0 + key_height),
            layout="constrained",
            height_ratios=[figsize[1] + 1.0, key_height],
        )
        try:
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
            drawn: dict[tuple, str] = {}  # each front's points -> the value first drawn for
            for g, name in group_names.items():
                mine = order[group_of[order] == g]
                if not mine.size:
                    continue
                colour = colours[g]
                points = tuple(zip(risk[mine].round(6), benefit[mine].round(6), strict=True))
                if points in drawn:  # drawn over an identical front: say so, or its colour hides
                    name = f"{name} (the same front as {drawn[points]})"
                drawn.setdefault(points, name)
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
                    wanted = [FRONT_LABEL, DOMINATED_LABEL]
                shown = [label for label in wanted if label in order_of]
                ax.legend(  # one entry per assumption value, its name only, under one title
                    [handles[order_of[label]] for label in shown],
                    [label.removeprefix(f"{FRONT_LABEL}: ") for label in shown],
                    title=f"{FRONT_LABEL}, one colour per value:" if groups else None,
                    title_fontsize="small",
                    alignment="left",
                    ncols=1 if len(shown) <= 4 else 3,
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
            for column in range(columns):
                key_ax.text(
                    column / columns,
                    1.0,
                    "\n".join(key_lines[column * rows : (column + 1) * rows]),
                    transform=key_ax.transAxes,
                    va="top",
                    ha="left",
                    fontsize="medium" if columns == 1 else "small",
                    linespacing=1.5 if columns == 1 else 1.9,
                )
            spans = (np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim()))
            numbers = label_groups(
                risk[order], benefit[order], [number_of[i] for i in order], spans=spans
            )
            grey = label_groups(
                risk[dominated], benefit[dominated], [number_of[i] for i in dominated], spans=spans
            )
            fig.draw_without_rendering()  # the axes where they will be saved, then the numbers
            markers = list(zip(risk[others | on_front], benefit[others | on_front], strict=True))
            taken = marker_boxes(ax, markers)
            place_labels(
                ax,
                {point: ", ".join(names) for point, names in numbers.items()},
                taken,
                fontsize="large" if len(numbers) <= 12 else "medium",
                weight="bold",
                color="darkred",
                zorder=4,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
            place_labels(
                ax,
                {point: ",".join(names) for point, names in grey.items()},
                taken,
                fontsize="small",
                color="0.3",
                zorder=3.5,
            )
            save_figure(fig, path)
        finally:
            plt.close(fig)
    return path


#: Where a policy's number may go around its point, in points, in order of preference: up and
#: to the left first (on a front, risk and position rising together, no other non-dominated
#: policy lies there), then the other corners and sides, then farther out with a leader line.
LABEL_OFFSETS = [
    (dx * ring, dy * ring)
    for ring in (1.0, 2.5, 4.0, 5.5, 7.0, 8.5, 10.0)
    for dx, dy in ((-8, 6), (8, 6), (8, -6), (-8, -6), (0, 9), (0, -9), (-12, 0), (12, 0))
]

#: Half the side of the square each marker keeps free of numbers, in points.
MARKER_HALF = 5.0


def marker_boxes(ax, points: list[tuple[float, float]]) -> list:
    """The display boxes of the markers at ``points``, which no number may cover."""
    from matplotlib.transforms import Bbox

    half = MARKER_HALF * ax.figure.dpi / 72.0
    return [
        Bbox.from_extents(x - half, y - half, x + half, y + half)
        for x, y in ax.transData.transform(np.asarray(points, dtype=float).reshape(-1, 2))
        if np.isfinite(x) and np.isfinite(y)
    ]


def place_labels(ax, labels: dict[tuple[float, float], str], taken: list, **style) -> list:
    """Put each label beside its point where it covers no other label or marker.

    Each label takes the first offset of ``LABEL_OFFSETS`` at which its box lies inside the axes
    and overlaps no box in ``taken`` (markers and labels placed before it), with a leader line
    beyond the first ring; if none is free it takes the first. The axes must be laid out
    (``Figure.draw_without_rendering``) and the labels stay out of later layout, so that what
    was checked is what is saved.

    Args:
        ax: The axes, laid out.
        labels: The text of each point, by its data coordinates.
        taken: Display boxes already covered; each placed label's box is appended.
        **style: Text properties of the labels.

    Returns:
        The annotations, in the order of ``labels``.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed = []
    for point, text in labels.items():
        for offset in LABEL_OFFSETS:
            annotation = _annotate(ax, text, point, offset, style)
            box = _text_box(annotation, renderer)
            if _within(box, frame) and not any(box.overlaps(other) for other in taken):
                break
            annotation.remove()
        else:  # nowhere free: the preferred place
            annotation = _annotate(ax, text, point, LABEL_OFFSETS[0], style)
            box = _text_box(annotation, renderer)
        taken.append(box)
        placed.append(annotation)
    return placed


def _annotate(ax, text: str, point: tuple[float, float], offset: tuple[float, float], style):
    """A label ``offset`` points from its point, aligned away from it, out of the layout."""
    dx, dy = offset
    near = abs(dx) <= abs(LABEL_OFFSETS[0][0]) * 1.5 and abs(dy) <= abs(LABEL_OFFSETS[0][1]) * 1.5
    annotation = ax.annotate(
        text,
        point,
        xytext=offset,
        textcoords="offset points",
        ha="right" if dx < 0 else "left" if dx > 0 else "center",
        va="bottom" if dy > 0 else "top" if dy < 0 else "center",
        arrowprops=None if near else {"arrowstyle": "-", "color": style["color"], "lw": 0.6},
        **style,
    )
    annotation.set_in_layout(False)
    return annotation


def _text_box(annotation, renderer):
    """The display box of a label's text, a little padded, without its leader line."""
    from matplotlib.text import Text

    annotation.update_positions(renderer)
    return Text.get_window_extent(annotation, renderer).padded(2.0)


def _within(box, frame) -> bool:
    """Whether display box ``box`` lies wholly inside ``frame``."""
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def front_key(
    summary: pd.DataFrame, on_front: np.ndarray, levers: list[str], groups: list[str]
) -> tuple[dict[int, int], list[str]]:
    """Number each policy on a front once and write its line of the key.

    Without swept assumptions each non-dominated row is a policy, numbered by increasing risk.
    With them (one front per assumption value) a policy is numbered once, by the lowest risk at
    which it is on any front, and its line says for which values it is and the ranges of its
    risk and position there, so that a sweep of ten thresholds lists each policy once, not ten
    times.

    Args:
        summary: Sweep summary, one row per point.
        on_front: Whether each row is on its front (``pareto_front(..., by=groups)``).
        levers: The swept levers, which name a policy.
        groups: The swept assumption columns (one front per combination).

    Returns:
        The number of each row on a front (by row position), and the key's lines in order.
    """
    every = summary.groupby(groups, sort=False, dropna=False).ngroups if groups else 0
    return _key(summary, np.flatnonzero(on_front), levers, groups, 1, every)


def others_key(
    summary: pd.DataFrame,
    on_front: np.ndarray,
    levers: list[str],
    groups: list[str],
    start: int,
) -> tuple[dict[int, int], list[str]]:
    """Number the policies on no front, after those on one, and write their lines of the key.

    A policy on its front for some assumption value keeps its ``front_key`` number for all its
    rows; the others are numbered from ``start`` by their lowest risk, each line giving the
    ranges of their risk and position over the assumption values.

    Args:
        summary: Sweep summary, one row per point.
        on_front: Whether each row is on its front.
        levers: The swept levers, which name a policy.
        groups: The swept assumption columns.
        start: The first number (one more than the last of ``front_key``).

    Returns:
        The number of each row of a policy on no front (by row position, every row of such a
        policy with both estimates), and those lines of the key in order.
    """
    names = [policy_label(summary.iloc[i], levers) for i in range(len(summary))]
    fronted = {name for name, on in zip(names, on_front, strict=True) if on}
    risk = summary[RISK].to_numpy(dtype=float)
    benefit = summary[BENEFIT].to_numpy(dtype=float)
    drawn = ~(np.isnan(risk) | np.isnan(benefit))
    rows = np.array([i for i, name in enumerate(names) if name not in fronted and drawn[i]])
    return _key(summary, rows.astype(int), levers, groups, start, 0)


def _key(
    summary: pd.DataFrame,
    rows: np.ndarray,
    levers: list[str],
    groups: list[str],
    start: int,
    every: int,
) -> tuple[dict[int, int], list[str]]:
    """Number the policies of some rows from ``start`` by their lowest risk, one key line each.

    With ``every`` (the number of assumption combinations, 0 for none) a line says at which
    assumption values the policy's rows are, ``[at every ...]`` when at all of them.
    """
    risk = summary[RISK].to_numpy(dtype=float) * 100.0
    benefit = summary[BENEFIT].to_numpy(dtype=float)
    rows = rows[np.lexsort((-benefit[rows], risk[rows]))] if rows.size else rows
    policies: dict[str, list[int]] = {}
    for i in rows:
        policies.setdefault(policy_label(summary.iloc[i], levers), []).append(int(i))
    number_of: dict[int, int] = {}
    lines = []
    for number, mine in enumerate(policies.values(), start=start):
        number_of.update(dict.fromkeys(mine, number))
        name = policy_label(summary.iloc[mine[0]], levers, values_only=len(levers) > 1)
        where = ""
        if groups and every:
            values = [policy_label(summary.iloc[i], groups) for i in sorted(mine)]  # sweep order
            if len(set(values)) == every:
                where = f"every {_and(groups)}"
            elif len(groups) == 1:  # "threshold = 5.0, 6.5", not the name before each value
                where = f"{groups[0]} = " + ", ".join(v.partition("=")[2] for v in values)
            else:
                where = "; ".join(values)
            where = f"  [at {where}]"
        spans = f"{_span(risk[mine], '%')}, {_span(benefit[mine], '% held')}"
        lines.append(f"{number}.  {name}{where}   ({spans})")
    return number_of, lines


def label_groups(
    x: np.ndarray,
    y: np.ndarray,
    numbers: list[int],
    *,
    spans: tuple[float, float] | None = None,
    closeness: float = 0.05,
) -> dict[tuple[float, float], list[str]]:
    """Numbers of the points drawn (nearly) on top of each other, labelled once per group.

    Points closer than ``closeness`` of each axis' span (``spans``: the axes' ranges, by default
    the points') to a group's first point (in risk order) join its label ("7, 8"): about a
    label's size, so that two labels never hide each other. A number appears once per group.
    """
    if not len(x):
        return {}
    if spans is None:
        spans = (float(np.ptp(x)), float(np.ptp(y)))
    spans = (float(spans[0]) or 1.0, float(spans[1]) or 1.0)
    groups: dict[tuple[float, float], list[str]] = {}
    for i in np.argsort(x, kind="stable"):
        anchor = next(
            (
                key
                for key in groups
                if abs(x[i] - key[0]) <= closeness * spans[0]
                and abs(y[i] - key[1]) <= closeness * spans[1]
            ),
            (float(x[i]), float(y[i])),
        )
        names = groups.setdefault(anchor, [])
        if str(numbers[i]) not in names:
            names.append(str(numbers[i]))
    return groups


def _span(values: np.ndarray, unit: str) -> str:
    """``4.2%`` for one value, ``4.2–9.9%`` for a range (one decimal)."""
    low, high = f"{np.min(values):.1f}", f"{np.max(values):.1f}"
    return f"{low}{unit}" if low == high else f"{low}–{high}{unit}"


def _errors(centre: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths (2 x n, never negative) from an interval around a centre."""
    return np.clip(np.vstack([centre - low, high - centre]), 0.0, None)
