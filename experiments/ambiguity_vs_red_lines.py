"""Experiment (b): strategic ambiguity versus declared red lines, assumption by assumption.

Run: ``.venv/bin/python experiments/ambiguity_vs_red_lines.py [--replicates N] [--out DIR]``

Haddad: "We should stop setting red lines and rely on what we call strategic ambiguity." Does
ambiguity lead to less Russian retaliation than declared red lines? In the model it deters
(Russia cannot rule out a Western escalation, so every response costs more) and it alarms (Russia
counts part of what the West has not excluded as involvement already). This experiment runs
``sweep=ambiguity_vs_red_lines`` (each posture, with instructors inside Ukraine, and with
non-combat troops too) and, since replicate i meets the same sampled assumptions under both
postures, maps the change in retaliation over the two assumptions that decide which channel wins:
Russia's alarm at what is not excluded and its sensitivity to the expected Western answer.
Writes ``figures/ambiguity_vs_red_lines.png`` and ``reading.md`` into the sweep folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from _common import arguments, job_of, paired_difference, percent, points, run_sweep, write_reading

from escalation.plots import DPI, STYLE, _pyplot, _save_atomically

NAME = "ambiguity_vs_red_lines"
CASES = {"none": "instructors inside Ukraine", "noncombat": "instructors and non-combat troops"}
BINS = 5


def posture_effect(outcomes: pd.DataFrame, summary: pd.DataFrame, troops: str) -> pd.DataFrame:
    """Per replicate: sampled assumptions and retaliation under ambiguity minus red lines."""
    red = job_of(summary, posture="red_lines", troops=troops)["job"]
    amb = job_of(summary, posture="ambiguity", troops=troops)["job"]
    first = outcomes[outcomes["job"] == red].sort_values("replicate").reset_index(drop=True)
    second = outcomes[outcomes["job"] == amb].sort_values("replicate").reset_index(drop=True)
    frame = first[["replicate", "ambiguity_alarm", "cost_sensitivity"]].copy()
    frame["change"] = second["russian_retaliation"].astype(float) - first[
        "russian_retaliation"
    ].astype(float)
    return frame


def binned(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean change in retaliation over equal-width bins of alarm (rows) and cost sensitivity."""
    rows = pd.cut(frame["ambiguity_alarm"], BINS)
    columns = pd.cut(frame["cost_sensitivity"], BINS)
    return frame.groupby([rows, columns], observed=False)["change"].mean().unstack()


def plot(grids: dict[str, pd.DataFrame], path: Path, replicates: int) -> Path:
    """Heatmaps of the change in P(retaliation) from red lines to ambiguity, per case."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            1, len(grids), figsize=(6.5 * len(grids), 6.0), dpi=DPI, layout="constrained"
        )
        limit = max(np.nanmax(np.abs(g.to_numpy())) for g in grids.values()) * 100 or 1.0
        for ax, (case, grid) in zip(np.atleast_1d(axes), grids.items(), strict=True):
            values = grid.to_numpy() * 100
            image = ax.imshow(
                values, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="lower", aspect="auto"
            )
            for (i, j), value in np.ndenumerate(values):
                if np.isfinite(value):
                    ax.text(j, i, f"{round(value):+d}", ha="center", va="center", fontsize=10)
            ax.set_xticks(range(grid.shape[1]), [f"{c.mid:.1f}" for c in grid.columns])
            ax.set_yticks(range(grid.shape[0]), [f"{r.mid:.2f}" for r in grid.index])
            ax.set_xlabel("Russia's cost sensitivity\n(weight of the expected Western answer)")
            ax.set_ylabel("Russia's alarm at what is not excluded (share)")
            ax.set_title(CASES[case])
        colourbar = fig.colorbar(image, ax=axes, shrink=0.85)
        colourbar.set_label("Change in P(Russian retaliation), ambiguity - red lines (points)")
        fig.suptitle(
            "Strategic ambiguity versus declared red lines: blue = ambiguity escalates less\n"
            f"{replicates:,} paired replicates per case, bins of the sampled assumptions"
        )
        _save_atomically(fig, path)
        plt.close(fig)
    return path


def reading(summary: pd.DataFrame, outcomes: pd.DataFrame, grids: dict) -> list[str]:
    """The numbers in words."""
    lines = []
    for troops, case in CASES.items():
        red = job_of(summary, posture="red_lines", troops=troops)
        amb = job_of(summary, posture="ambiguity", troops=troops)
        change = paired_difference(outcomes, "russian_retaliation", amb["job"], red["job"])
        grid = grids[troops]
        lower = int((grid < 0).to_numpy().sum())
        higher = int((grid > 0).to_numpy().sum())
        lines.append(
            f"**{case[0].upper() + case[1:]}.** Russian retaliation under declared red lines "
            f"{percent(red, 'russian_retaliation')}, under ambiguity "
            f"{percent(amb, 'russian_retaliation')}: ambiguity changes it by "
            f"{points(change)}. Over the {grid.size} cells of assumptions in the figure, "
            f"ambiguity escalates less in {lower} and more in {higher}."
        )
    lines.append(
        "Reading: where Russia is sensitive to the expected Western answer and little alarmed "
        "by what is not excluded (blue cells), ambiguity deters; where it is alarmed and cares "
        "little about the answer (red cells), ambiguity provokes. Which posture escalates less "
        "is a question about Russia's perceptions, which nobody knows; "
        "experiments/posture_regimes.py fixes two such sets of values and shows both answers."
    )
    return lines


def main() -> None:
    """Run the sweep, draw the figure, write the reading."""
    args = arguments(NAME, __doc__.splitlines()[0], replicates=20000)
    summary, outcomes = run_sweep(
        NAME, replicates=args.replicates, out=args.out, launcher=args.launcher
    )
    grids = {troops: binned(posture_effect(outcomes, summary, troops)) for troops in CASES}
    plot(grids, args.out / "figures" / f"{NAME}.png", args.replicates)
    write_reading(
        args.out, "Strategic ambiguity versus declared red lines", reading(summary, outcomes, grids)
    )


if __name__ == "__main__":
    main()
