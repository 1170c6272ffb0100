"""Figures of a run: the data behind each figure, and the drawing.

Results flow one way: the model writes the trajectories and outcomes tables, this module reads
them. It never imports the model, and matplotlib is imported lazily inside the drawing functions
(with the non-interactive ``Agg`` backend), so that importing ``escalation.plots`` stays cheap.

Each figure has a pure data function (``ladder_distribution``, ``median_rung``,
``position_bands``, ``outcome_probabilities``) that tests can check number by number, and a
drawing function that only lays that data out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.changes import changes_words
from escalation.files import atomic_write
from escalation.ladder import Rung, rung_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FIGSIZE: tuple[float, float] = (10.0, 6.0)
"""Figure size in inches: readable on a projector."""

DPI: int = 120
"""Resolution of saved figures, in dots per inch."""

STYLE: dict[str, Any] = {"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 12}
"""Matplotlib settings for the figures: fonts large enough for a projector."""

LADDER_FILE = "escalation_ladder.png"
OUTCOMES_FILE = "outcome_probabilities.png"
POSITION_FILE = "ukraine_position.png"

BAND_QUANTILES: dict[str, float] = {"p5": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}
"""Quantiles of Ukraine's position drawn in the fan chart, by column name."""


# --------------------------------------------------------------------------------------------
# Data behind the figures
# --------------------------------------------------------------------------------------------


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
    """Outcome probabilities of a run with their 95% intervals, in the summary's order.

    Args:
        summary: Run summary with a ``probabilities`` mapping from outcome name to a mapping with
            keys ``label``, ``p``, ``low`` and ``high`` (probabilities in 0..1).

    Returns:
        A frame with columns ``outcome``, ``label``, ``p``, ``low`` and ``high``, one row per
        outcome, in the order given in the summary. A missing label falls back to the outcome
        name.
    """
    rows = [
        {
            "outcome": outcome,
            "label": entry.get("label", outcome),
            "p": float(entry["p"]),
            "low": float(entry["low"]),
            "high": float(entry["high"]),
        }
        for outcome, entry in summary["probabilities"].items()
    ]
    return pd.DataFrame(rows, columns=["outcome", "label", "p", "low", "high"])


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
    "Direct conflict or worse (11-13)": Rung.DIRECT_CONFLICT,
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


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------

STYLES: dict[str, dict[str, Any]] = {
    "default": {**STYLE, "lines.linewidth": 1.5},
    "slides": {
        "font.size": 15,
        "axes.titlesize": 17,
        "axes.labelsize": 16,
        "xtick.labelsize": 14,
        "ytick.labelsize": 14,
        "legend.fontsize": 14,
        "figure.titlesize": 19,
        "lines.linewidth": 3.0,
        "axes.linewidth": 1.5,
        "errorbar.capsize": 6,
    },
}
"""Matplotlib settings by ``plots.style``: ``slides`` has larger type and thicker lines."""

FIGSIZES: dict[str, tuple[float, float]] = {"default": FIGSIZE, "slides": (13.333, 7.5)}
"""Figure size in inches by style: ``slides`` is a 16:9 slide."""

TITLE_CHAR_WIDTH = 0.5
"""Lower estimate of a character's width in DejaVu Sans, in ems: where title wrapping starts."""


def _pyplot() -> Any:
    """Import pyplot lazily with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_style(style: str) -> dict[str, Any]:
    """The matplotlib settings of a style, or ValueError naming the styles allowed."""
    if style not in STYLES:
        raise ValueError(f"unknown plots.style {style!r}; allowed: {', '.join(STYLES)}")
    return STYLES[style]


def set_title(fig: Figure, title: str) -> Any:
    """Set a figure's title, each line wrapped to the canvas width so that none is clipped.

    The wrap width starts from an estimate of the characters that fit and narrows until the
    title, as laid out by the renderer, is at most 96% of the canvas wide.

    Returns:
        The title's ``Text``.
    """
    import textwrap

    text = fig.suptitle(title)
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox.width * 0.96
    size = text.get_fontsize()
    characters = max(20, int(fig.get_figwidth() * 72.0 / (size * TITLE_CHAR_WIDTH)))
    while text.get_window_extent(renderer).width > canvas and characters > 20:
        characters = max(20, int(characters * 0.92))
        text.set_text(
            "\n".join(
                wrapped
                for line in title.splitlines()
                for wrapped in (textwrap.wrap(line, characters) or [""])
            )
        )
    return text


def _save_atomically(fig: Figure, path: Path) -> None:
    """Save a figure to a temporary file beside ``path``, then move it into place."""
    with atomic_write(path, "wb") as stream:
        fig.savefig(stream, format=path.suffix.lstrip(".") or "png", dpi=DPI)


def _date_ticks(ax: Axes, months: Sequence[int], dates: Sequence[str]) -> None:
    """Label a month axis with dates, at most about a dozen ticks, on whole quarters or years."""
    months = list(months)
    dates = list(dates)
    step = next((s for s in (1, 2, 3, 6, 12, 24) if len(months) / s <= 12), 48)
    positions = months[::step]
    ax.set_xticks(positions)
    ax.set_xticklabels([month_label(d) for d in dates[::step]], rotation=45, ha="right")


def _dates_by_month(trajectories: pd.DataFrame) -> pd.Series:
    """The date label of each month, indexed by month (sorted)."""
    return trajectories.groupby("month")["date"].first().sort_index()


def ladder_figure(trajectories: pd.DataFrame, title: str, *, style: str = "default") -> Figure:
    """The escalation ladder: a heatmap of rungs over months above a panel of the rare rungs.

    Months run along the x axis (labelled with dates), rungs up the y axis (labelled with rung
    names), colour is the % of replicates at that rung that month, and a line shows the median
    rung. Rare rungs (a clash, direct conflict, nuclear use) are pale on a 0-100% scale, so a
    second panel below draws the % of replicates at or above each of them on its own scale.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``rung``.
        title: Figure title (wrapped to the canvas width).
        style: ``plots.style``: ``default`` or ``slides``.

    Returns:
        The figure (the caller closes it); its first axes is the heatmap.
    """
    import matplotlib
    import matplotlib.patheffects as path_effects

    shares = ladder_distribution(trajectories)
    median = median_rung(trajectories)
    rare = rare_rung_shares(trajectories) * 100.0
    dates = _dates_by_month(trajectories)
    months = [int(month) for month in shares.columns]
    plt = _pyplot()
    with plt.rc_context(check_style(style)):
        width, height = FIGSIZES[style]
        fig, (ax, rare_ax) = plt.subplots(
            2,
            1,
            figsize=(width, height * 1.3),
            layout="constrained",
            sharex=True,
            height_ratios=[3.0, 1.3],
        )
        cmap = matplotlib.colormaps["YlOrRd"].with_extremes(bad="white")
        image = ax.imshow(
            np.ma.masked_equal(shares.to_numpy() * 100.0, 0.0),
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            cmap=cmap,
            vmin=0.0,
            vmax=100.0,
            extent=(months[0] - 0.5, months[-1] + 0.5, -0.5, len(shares) - 0.5),
        )
        colourbar = fig.colorbar(image, ax=ax, pad=0.02)
        colourbar.set_label("Replicates at this rung (%; white = none)")
        linewidth = matplotlib.rcParams["lines.linewidth"] + 1.0
        (line,) = ax.plot(
            median.index.to_numpy(),
            median.to_numpy(),
            color="navy",
            linewidth=linewidth,
            drawstyle="steps-mid",
            label="Median rung across replicates",
        )
        line.set_path_effects(
            [
                path_effects.Stroke(linewidth=linewidth + 2.0, foreground="white"),
                path_effects.Normal(),
            ]
        )
        ax.set_yticks(range(len(shares)))
        ax.set_yticklabels(rung_tick_labels())
        ax.set_ylabel("Escalation rung (highest in force)")
        ax.tick_params(axis="x", labelbottom=False)

        colours = ["tab:orange", "tab:red", "black"]
        for (label, column), colour in zip(rare.items(), colours, strict=True):
            rare_ax.plot(column.index.to_numpy(), column.to_numpy(), color=colour, label=label)
        top = float(np.nanmax(rare.to_numpy(), initial=0.0))
        rare_ax.set_ylim(0.0, max(1.0, top) * 2.0)  # headroom above the data for the legend
        rare_ax.set_ylabel("Replicates\nat or above (%)")
        rare_ax.grid(alpha=0.3)
        _date_ticks(rare_ax, months, list(dates.reindex(months)))
        rare_ax.set_xlim(months[0] - 0.5, months[-1] + 0.5)
        rare_ax.set_xlabel("Month of the simulation (date)")
        # Legends off the data: the median's above the heatmap, the rare rungs' in the headroom.
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False, borderaxespad=0.2)
        rare_ax.legend(loc="upper left", ncols=2, frameon=False, fontsize="small")
        set_title(fig, title)
    return fig


def plot_ladder(
    trajectories: pd.DataFrame,
    title: str,
    path: str | os.PathLike[str],
    *,
    style: str = "default",
) -> Path:
    """Draw the escalation ladder (``ladder_figure``) into ``path``.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``rung``.
        title: Figure title.
        path: Where to write the image (format from the suffix, PNG by default).
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(ladder_figure(trajectories, title, style=style), Path(path), style)


def _write(fig: Figure, path: Path, style: str) -> Path:
    """Save a figure under its style atomically, and close it whatever happens."""
    plt = _pyplot()
    try:
        with plt.rc_context(check_style(style)):
            _save_atomically(fig, path)
    finally:
        plt.close(fig)
    return path


def outcomes_figure(summary: Mapping[str, Any], *, style: str = "default") -> Figure:
    """Outcome probabilities as horizontal bars in % with 95% Wilson interval error bars.

    Args:
        summary: Run summary with ``title`` (or ``scenario``), ``replicates``, ``months``,
            ``config`` and ``probabilities`` (see ``outcome_probabilities``).
        style: ``plots.style``.

    Returns:
        The figure (the caller closes it).
    """
    table = outcome_probabilities(summary)
    percent = table["p"].to_numpy() * 100.0
    low = table["low"].to_numpy() * 100.0
    high = table["high"].to_numpy() * 100.0
    errors = np.clip(np.vstack([percent - low, high - percent]), 0.0, None)
    positions = np.arange(len(table))
    top = float(np.nanmax(high)) if len(table) and not np.all(np.isnan(high)) else 0.0
    right = min(112.0, max(5.0, top * 1.25 + 2.0))  # room for the value labels
    plt = _pyplot()
    with plt.rc_context(check_style(style)):
        fig, ax = plt.subplots(figsize=FIGSIZES[style], layout="constrained")
        ax.barh(positions, percent, color="tab:red", alpha=0.75, label="Estimated probability")
        ax.errorbar(
            percent,
            positions,
            xerr=errors,
            fmt="none",
            ecolor="black",
            elinewidth=1.5,
            capsize=5,
            label="95% Wilson interval",
        )
        for y, p, h in zip(positions, percent, high, strict=True):
            if not math.isnan(p):
                end = h if not math.isnan(h) else p
                ax.text(end + right * 0.01, y, f"{p:.1f}%", va="center")
        ax.set_yticks(positions)
        ax.set_yticklabels(table["label"].tolist())
        ax.invert_yaxis()
        ax.set_xlim(0.0, right)
        ax.set_xticks([tick for tick in ax.get_xticks() if 0.0 <= tick <= min(right, 100.0)])
        ax.set_xlabel("Probability over the run (%)")
        set_title(fig, run_title(summary, "outcome probabilities"))
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
        ax.grid(axis="x", alpha=0.3)
    return fig


def plot_outcomes(
    summary: Mapping[str, Any], path: str | os.PathLike[str], *, style: str = "default"
) -> Path:
    """Draw the outcome probabilities (``outcomes_figure``) into ``path``.

    Args:
        summary: Run summary (see ``outcomes_figure``).
        path: Where to write the image.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(outcomes_figure(summary, style=style), Path(path), style)


def position_figure(trajectories: pd.DataFrame, title: str, *, style: str = "default") -> Figure:
    """A fan chart of Ukraine's battlefield position: median, 50% and 90% bands.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position`` (% of
            Ukraine's internationally recognised territory held by Ukraine).
        title: Figure title.
        style: ``plots.style``.

    Returns:
        The figure (the caller closes it).
    """
    bands = position_bands(trajectories)
    months = bands["month"].to_numpy()
    plt = _pyplot()
    with plt.rc_context(check_style(style)):
        fig, ax = plt.subplots(figsize=FIGSIZES[style], layout="constrained")
        ax.fill_between(
            months,
            bands["p5"],
            bands["p95"],
            color="tab:blue",
            alpha=0.18,
            linewidth=0,
            label="90% of replicates (5th-95th percentile)",
        )
        ax.fill_between(
            months,
            bands["p25"],
            bands["p75"],
            color="tab:blue",
            alpha=0.38,
            linewidth=0,
            label="50% of replicates (25th-75th percentile)",
        )
        ax.plot(months, bands["p50"], color="navy", label="Median")
        _date_ticks(ax, months.tolist(), bands["date"].tolist())
        if len(months) > 1:
            ax.set_xlim(months[0], months[-1])
        ax.set_xlabel("Month of the simulation (date)")
        ax.set_ylabel("Territory held by Ukraine\n(% of internationally recognised territory)")
        set_title(fig, title)
        fig.legend(loc="outside lower center", ncols=3, frameon=False)
        ax.grid(alpha=0.3)
    return fig


def plot_position(
    trajectories: pd.DataFrame,
    title: str,
    path: str | os.PathLike[str],
    *,
    style: str = "default",
) -> Path:
    """Draw the fan chart of Ukraine's position (``position_figure``) into ``path``.

    Args:
        trajectories: Long table with columns ``month``, ``date`` and ``position``.
        title: Figure title.
        path: Where to write the image.
        style: ``plots.style``.

    Returns:
        The path written.
    """
    return _write(position_figure(trajectories, title, style=style), Path(path), style)


def _summary_title(summary: Mapping[str, Any], what: str) -> str:
    """The title of a run figure (``run_title``)."""
    return run_title(summary, what)


def draw_run_figures(
    trajectories: pd.DataFrame,
    summary: Mapping[str, Any],
    folder: str | os.PathLike[str],
    *,
    style: str = "default",
    formats: Sequence[str] = ("png",),
) -> list[Path]:
    """Draw the three figures of a run into a folder, each written atomically.

    Writes ``escalation_ladder``, ``outcome_probabilities`` and ``ukraine_position``, each in
    every format asked for (``plots.format``).

    Args:
        trajectories: Long table of the run, one row per (replicate, month).
        summary: Run summary (``title``, ``replicates``, ``months``, ``probabilities``, ...).
        folder: Output folder, created if missing.
        style: ``plots.style``: ``default`` or ``slides``.
        formats: File formats, e.g. ``("png", "svg", "pdf")``.

    Returns:
        The paths written: ladder, outcomes, position, for each format in turn.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    check_style(style)
    paths = []
    for suffix in formats:
        paths += [
            plot_ladder(
                trajectories,
                run_title(summary, "escalation ladder"),
                (folder / LADDER_FILE).with_suffix(f".{suffix}"),
                style=style,
            ),
            plot_outcomes(summary, (folder / OUTCOMES_FILE).with_suffix(f".{suffix}"), style=style),
            plot_position(
                trajectories,
                run_title(summary, "Ukraine's battlefield position"),
                (folder / POSITION_FILE).with_suffix(f".{suffix}"),
                style=style,
            ),
        ]
    return paths
