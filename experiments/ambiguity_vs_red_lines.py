"""Experiment (b): strategic ambiguity versus declared red lines, assumption by assumption.

Run: ``.venv/bin/python experiments/ambiguity_vs_red_lines.py [--replicates N] [--out DIR]``

Haddad: "We should stop setting red lines and rely on what we call strategic ambiguity." In model
v3 ambiguity is a belief (docs/MODEL.md §7.4, §9): Russia holds a set of priors about Western
resolve, one under declared red lines and a set of half-width ``ambiguity_width`` under ambiguity,
learns from the West's answers to its tests, and acts on ``r_α = α · r_high + (1 − α) · r_low``.
With a high ``ambiguity_aversion`` (α) the worst case deters; with a low one the best case
emboldens; and ``ambiguity_alarm`` makes Russia count part of what the West has not excluded as
involvement already, which feeds its proxy-war pressure (more hybrid operations) and makes it
see more red lines crossed.

This experiment runs ``sweep=ambiguity_vs_red_lines`` (each posture, with instructors inside
Ukraine, and with non-combat troops too) for the overall paired changes, then maps the change
over the assumptions that decide its sign: α against ``ambiguity_alarm`` and α against
``cost_sensitivity``, each cell a pair of runs of the instructors policy that differ only in the
posture (same seed, same replicates, the other assumptions sampled over their ranges). Writes
``figures/ambiguity_vs_red_lines.png``, ``posture_map.csv`` and ``reading.md`` into the sweep
folder (and, with ``--docs docs/figures``, the README's copy of the figure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _common import (
    arguments,
    docs_copy,
    job_of,
    paired_difference,
    percent,
    points,
    run_sweep,
    write_reading,
)

import escalation
from escalation.figure_style import DPI, STYLE, pyplot, save_figure
from escalation.run.results import mean_interval

NAME = "ambiguity_vs_red_lines"
CASES = {"none": "instructors inside Ukraine", "noncombat": "instructors and non-combat troops"}
OUTCOMES = {
    "contained_clash": "P(NATO-Russia clash or war)",
    "russian_retaliation": "P(Russian retaliation)",
}
ALPHAS = np.linspace(0.0, 1.0, 5)
AXES = {
    "ambiguity_alarm": (np.linspace(0.0, 0.5, 5), "Russia's alarm at what is not excluded"),
    "cost_sensitivity": (
        np.linspace(0.5, 3.0, 5),
        "Russia's cost sensitivity (log-odds per unit of expected answer)",
    ),
}
POLICY = {"instructors": "inside", "troops": "none", "deep_strikes": "prohibited"}
"""The policy of the map: the first case of the sweep."""


def posture_change(replicates: int, seed: int | None = None, **assumptions: float) -> dict:
    """Paired change, ambiguity minus red lines, of each outcome for fixed ``assumptions``.

    Both runs use the same seed and replicates, so replicate i meets the same sampled values of
    the other assumptions under both postures (common random numbers).
    """
    runs = {
        posture: escalation.simulate(
            "status_quo",
            replicates=replicates,
            seed=seed,
            posture=posture,
            **POLICY,
            **assumptions,
        )
        for posture in ("red_lines", "ambiguity")
    }
    changes = {}
    for outcome in OUTCOMES:
        before = runs["red_lines"][outcome].to_numpy(dtype=float)
        after = runs["ambiguity"][outcome].to_numpy(dtype=float)
        changes[outcome] = mean_interval(pd.Series(after - before))
    return changes


def posture_map(replicates: int, seed: int | None = None) -> pd.DataFrame:
    """One row per (second assumption, its value, α, outcome): the paired change (``mean``)
    with its 95% interval (``low``, ``high``)."""
    rows = []
    for assumption, (values, _) in AXES.items():
        for value in values:
            for alpha in ALPHAS:
                changes = posture_change(
                    replicates, seed, ambiguity_aversion=alpha, **{assumption: value}
                )
                for outcome, change in changes.items():
                    rows.append(
                        {
                            "assumption": assumption,
                            "value": value,
                            "ambiguity_aversion": alpha,
                            "outcome": outcome,
                            "mean": change["mean"],
                            "low": change["low"],
                            "high": change["high"],
                        }
                    )
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path, replicates: int) -> Path:
    """Heatmaps of the paired change, ambiguity minus red lines: rows are the second
    assumption, columns the outcome; blue cells are where ambiguity escalates less."""
    plt = pyplot()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(AXES), len(OUTCOMES), figsize=(13, 11), dpi=DPI, layout="constrained"
        )
        for row, (assumption, (values, label)) in enumerate(AXES.items()):
            for column, (outcome, title) in enumerate(OUTCOMES.items()):
                ax = axes[row, column]
                cells = table[(table["assumption"] == assumption) & (table["outcome"] == outcome)]
                limit = float(np.abs(table.loc[table["outcome"] == outcome, "mean"]).max())
                limit = limit * 100 or 1.0
                grid = cells.pivot(index="value", columns="ambiguity_aversion", values="mean")
                low = cells.pivot(index="value", columns="ambiguity_aversion", values="low")
                high = cells.pivot(index="value", columns="ambiguity_aversion", values="high")
                image = ax.imshow(
                    grid.to_numpy() * 100,
                    cmap="RdBu_r",
                    vmin=-limit,
                    vmax=limit,
                    origin="lower",
                    aspect="auto",
                )
                for (i, j), value in np.ndenumerate(grid.to_numpy() * 100):
                    sure = low.iloc[i, j] > 0 or high.iloc[i, j] < 0
                    ax.text(
                        j,
                        i,
                        f"{value:+.1f}",
                        ha="center",
                        va="center",
                        fontsize=10,
                        color="black" if sure else "dimgrey",
                        fontweight="bold" if sure else "normal",
                    )
                ax.set_xticks(range(len(ALPHAS)), [f"{a:.2f}" for a in ALPHAS])
                ax.set_yticks(range(len(values)), [f"{v:.2f}" for v in values])
                ax.set_xlabel("Russia's ambiguity aversion α (1: the worst case deters)")
                ax.set_ylabel(label)
                ax.set_title(f"{title}\nby α and {assumption}")
                if row == len(AXES) - 1:
                    colourbar = fig.colorbar(image, ax=axes[:, column], shrink=0.6)
                    colourbar.set_label("Change, ambiguity − red lines (percentage points)")
        fig.suptitle(
            "Strategic ambiguity versus declared red lines, instructors inside Ukraine: "
            "blue = ambiguity escalates less\n"
            f"{replicates:,} paired replicates per cell (other assumptions sampled); "
            "bold: 95% interval excludes 0, grey: it does not"
        )
        save_figure(fig, path)
        plt.close(fig)
    return path


def reading(summary: pd.DataFrame, outcomes: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """The numbers in words."""
    lines = []
    for troops, case in CASES.items():
        red = job_of(summary, posture="red_lines", troops=troops)
        amb = job_of(summary, posture="ambiguity", troops=troops)
        parts = []
        for outcome, label in (
            ("contained_clash", "a NATO-Russia clash or war"),
            ("lethal_engagement", "a lethal engagement"),
            ("direct_conflict", "a NATO-Russia war"),
            ("russian_retaliation", "Russian retaliation"),
        ):
            change = paired_difference(outcomes, outcome, amb["job"], red["job"])
            parts.append(
                f"{label} {percent(red, outcome)} under declared red lines, "
                f"{percent(amb, outcome)} under ambiguity ({points(change)})"
            )
        text = "; ".join(parts)
        lines.append(f"**{case[0].upper() + case[1:]}.** {text[0].upper() + text[1:]}.")
    for outcome, title in OUTCOMES.items():
        for assumption in AXES:
            cells = table[(table["outcome"] == outcome) & (table["assumption"] == assumption)]
            less = cells[cells["high"] < 0]
            more = cells[cells["low"] > 0]
            best = cells.loc[cells["mean"].idxmin()]
            worst = cells.loc[cells["mean"].idxmax()]
            lines.append(
                f"**{title}, by α and {assumption}.** Over the {len(cells)} cells of "
                f"assumptions, ambiguity escalates less in {len(less)} and more in {len(more)} "
                "(95% intervals excluding 0). The change runs from "
                f"{points(best)} at α = {best['ambiguity_aversion']:.2f}, "
                f"{assumption} = {best['value']:.2f}, to {points(worst)} at "
                f"α = {worst['ambiguity_aversion']:.2f}, {assumption} = {worst['value']:.2f}."
            )
    lines.append(
        "Reading: ambiguity escalates less only where Russia is ambiguity-averse (α near 1: the "
        "worst case of its beliefs deters it) and hardly alarmed by what the West has not "
        "excluded; it escalates more where α is low (the best case emboldens it) and wherever "
        "the alarm is high, since what is not excluded adds to the involvement Russia reads "
        "(more proxy-war pressure, more red lines seen crossed). Over 36 months retaliation "
        "moves with the alarm, which decides whether a line is seen crossed; α moves it within "
        "the first year. Nobody knows these perceptions; experiments/posture_regimes.py fixes "
        "one set of values of each kind and shows both answers with their intervals."
    )
    return lines


def main() -> None:
    """Run the sweep and the map, draw the figure, write the reading."""
    args = arguments(NAME, __doc__.splitlines()[0], replicates=20000, docs_copy=True)
    summary, outcomes = run_sweep(
        NAME, replicates=args.replicates, out=args.out, launcher=args.launcher
    )
    seed = int(summary["seed"].iloc[0])
    cell_replicates = max(args.replicates // 2, 10)
    table = posture_map(cell_replicates, seed)
    table.to_csv(args.out / "posture_map.csv", index=False, lineterminator="\n")
    docs_copy(plot(table, args.out / "figures" / f"{NAME}.png", cell_replicates), args.docs)
    write_reading(
        args.out, "Strategic ambiguity versus declared red lines", reading(summary, outcomes, table)
    )


if __name__ == "__main__":
    main()
