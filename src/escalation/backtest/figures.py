"""Figures of a back-test: monthly forecasts against observed months, and reliability.

Like ``escalation.run.figures``, this module reads tables (the forecast), never the model, and
imports matplotlib lazily with the non-interactive Agg backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.backtest.scores import NEVER_OBSERVED, POOLED, reliability
from escalation.figure_style import DPI, STYLE
from escalation.files import atomic_write
from escalation.run.figure_data import month_label
from escalation.timeline import SCORED_EVENTS, month_index

TIMELINE_FILE = "backtest_timeline.png"
RELIABILITY_FILE = "reliability.png"
LABELS = {
    "nuclear_signalling": "Nuclear signalling",
    "hybrid_attacks": "Hybrid attacks on NATO members",
    "strikes_on_western_forces": "Strikes on Western forces",
    "strikes_on_nato": "Strikes on NATO territory",
    "nuclear_use": "Nuclear use",
    "nato_military_response": "NATO military response",
    "direct_conflict": "NATO-Russia war",
}
"""Readable names of the scored classes, for figure legends and reports."""


@contextmanager
def _figure(nrows: int = 1, figsize: tuple[float, float] = (10.0, 6.0)) -> Iterator[Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            nrows, 1, figsize=figsize, sharex=True, squeeze=False, layout="constrained"
        )
        try:
            yield fig, axes[:, 0]
        finally:
            plt.close(fig)


def _save(fig: Any, path: Path) -> Path:
    with atomic_write(path, "wb") as stream:
        fig.savefig(stream, format="png", dpi=DPI, metadata={"Software": None})
    return path


def plot_timeline(
    forecast: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    scored_from: str,
    title: str,
    baseline: Mapping[str, float] | None = None,
) -> Path:
    """One panel per scored class: the monthly p, observed months marked, training shaded.

    ``baseline`` (class → constant monthly rate) is drawn as a dashed line over the scored
    window.
    """
    months = list(dict.fromkeys(forecast["month"]))
    x = np.arange(len(months))
    start = month_index(scored_from) - month_index(months[0])
    with _figure(len(SCORED_EVENTS), (11.0, 1.55 * len(SCORED_EVENTS) + 1.2)) as (fig, axes):
        for ax, event in zip(axes, SCORED_EVENTS, strict=True):
            rows = forecast[forecast["event"] == event]
            p = rows["p"].to_numpy(dtype=float)
            seen = rows["observed"].to_numpy(dtype=bool)
            ax.plot(x, p, color="tab:blue", lw=1.8, label="model p (share of replicates)")
            if baseline is not None and event in baseline:
                ax.hlines(
                    baseline[event],
                    start - 0.5,
                    len(months) - 0.5,
                    color="0.35",
                    ls="--",
                    lw=1.2,
                    label="base rate (baseline forecast)",
                )
            ax.scatter(
                x[seen], p[seen], color="tab:red", zorder=3, s=36, label="observed that month"
            )
            for xi in x[seen]:
                ax.axvline(xi, color="tab:red", alpha=0.25, lw=3)
            if start > 0:
                ax.axvspan(-0.5, start - 0.5, color="0.85", alpha=0.6, label="training window")
            top = max(0.05, float(p.max()) * 1.15, (baseline or {}).get(event, 0.0) * 1.15)
            ax.set_ylim(0, min(1.0, top) if top < 1 else 1.0)
            ax.set_ylabel("p", rotation=0, labelpad=12)
            ax.set_title(LABELS[event], fontsize=11, loc="left")
            ax.grid(alpha=0.3)
        step = max(1, len(months) // 11)
        axes[-1].set_xticks(x[::step], [month_label(m) for m in months[::step]], rotation=30)
        axes[-1].set_xlabel("Month")
        axes[-1].set_xlim(-0.5, len(months) - 0.5)
        handles, labels = axes[0].get_legend_handles_labels()
        for ax in axes[1:]:
            more_h, more_l = ax.get_legend_handles_labels()
            for h, label in zip(more_h, more_l, strict=True):
                if label not in labels:
                    handles.append(h)
                    labels.append(label)
        fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
        fig.suptitle(title)
        return _save(fig, Path(path))


def plot_reliability(forecast: pd.DataFrame, path: str | os.PathLike[str], title: str) -> Path:
    """Reliability diagram over all scored classes: observed rate against mean forecast p."""
    table = reliability(forecast)
    with _figure(1, (7.5, 6.5)) as (fig, axes):
        ax = axes[0]
        ax.plot([0, 1], [0, 1], color="0.5", ls="--", label="perfect reliability")
        sizes = 20 + 280 * table["count"] / max(1, int(table["count"].max()))
        ax.scatter(
            table["mean_p"],
            table["observed_rate"],
            s=sizes,
            color="tab:blue",
            zorder=3,
            label="bin of forecasts (area ~ number of class-months)",
        )
        for row in table.itertuples():
            ax.annotate(
                f"n={row.count}",
                (row.mean_p, row.observed_rate),
                textcoords="offset points",
                xytext=(6, -12),
                fontsize=9,
            )
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("Forecast probability (mean of the bin)")
        ax.set_ylabel("Observed frequency in the bin")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
        return _save(fig, Path(path))


REFIT_FILE = "refit.png"
#: Colours of the real-time baselines in the refit figure.
BASELINE_COLOURS = {"expanding": "tab:blue", "trailing12": "tab:orange", "trend": "tab:green"}


def plot_refit(
    scores: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    baselines: Mapping[str, str],
    title: str,
) -> Path:
    """Skill of the refitted model against each baseline, with 95% intervals, per class.

    One panel per class that happened in the record (the classes marked ``never observed`` in
    ``scores['note']`` are left out: against a Laplace rate the skill is positive by
    construction); in each, the pooled score and each origin's, one point per baseline with its
    bootstrap interval, and the no-skill line at 0.

    Args:
        scores: ``refit_scores.csv``'s table.
        path: Where to write the PNG.
        baselines: Column suffix → readable name, in legend order (``refit.BASELINE_NAMES``).
        title: The figure's title.
    """
    never = set(scores.loc[scores["note"] == NEVER_OBSERVED, "event"])
    shown = [event for event in SCORED_EVENTS if event not in never]
    events = shown or list(SCORED_EVENTS)
    scopes = list(dict.fromkeys(scores["origin"]))
    x = np.arange(len(scopes))
    offsets = np.linspace(-0.22, 0.22, len(baselines))
    height = 2.6 * len(events) + 1.6
    with _figure(len(events), (10.0, height)) as (fig, axes):
        for ax, event in zip(axes, events, strict=True):
            rows = scores[scores["event"] == event].set_index("origin").loc[scopes]
            for offset, (key, name) in zip(offsets, baselines.items(), strict=True):
                skill = rows[f"skill_{key}"].to_numpy(dtype=float)
                low = rows[f"skill_{key}_low"].to_numpy(dtype=float)
                high = rows[f"skill_{key}_high"].to_numpy(dtype=float)
                ax.errorbar(
                    x + offset,
                    skill,
                    yerr=[np.maximum(skill - low, 0), np.maximum(high - skill, 0)],
                    fmt="o",
                    color=BASELINE_COLOURS.get(key),
                    capsize=4,
                    lw=1.5,
                    label=f"vs {name} (95% block-bootstrap interval)",
                )
            ax.axhline(0.0, color="0.2", lw=1.2, ls="--", label="no skill (model = baseline)")
            ax.set_title(
                f"{LABELS[event]} ({int(rows['observed_months'].iloc[0])} of "
                f"{int(rows['months'].iloc[0])} pooled origin-months observed)",
                fontsize=11,
                loc="left",
            )
            ax.set_ylabel("Brier skill, unitless\n(1 − model / baseline; > 0: model better)")
            ax.grid(alpha=0.3, axis="y")
            if len(shown) == 0:
                ax.text(0.5, 0.9, NEVER_OBSERVED, transform=ax.transAxes, ha="center")
        axes[-1].set_xticks(
            x, [f"from {s}" if s != POOLED else "pooled (all origins)" for s in scopes]
        )
        axes[-1].set_xlabel("Scored months: pooled over the origins, and from each origin on")
        axes[-1].set_xlim(-0.6, len(scopes) - 0.4)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        fig.suptitle(title)
        return _save(fig, Path(path))
