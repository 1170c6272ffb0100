"""Experiment (c): what deep strikes buy Ukraine's position, and at what escalation cost.

Run: ``.venv/bin/python experiments/deep_strikes.py [--replicates N] [--out DIR]``

Advocates say strikes on Russian bases and supply lines "would significantly weaken Moscow's
ability to sustain its war effort"; opponents fear "a dangerous response from Russia, including
potential retaliation against NATO members". This experiment runs ``sweep=deep_strikes``
(prohibited, limited, authorized, under each posture, on top of the status quo) and sets what each
permission adds to Ukraine's final position against what it adds to the risk of Russian
retaliation, of a lethal engagement and of a NATO-Russia war. Writes ``figures/deep_strikes.png``
and ``reading.md`` (and, with ``--docs docs/figures``, the README's copy of the figure).

Model v3: the forward run starts from the record of September 2024, where the US, Germany and
France permitted limited strikes; ``prohibited`` withdraws those permissions in month 1, and each
member grants its own permission at its hazard fitted to the 2022-24 record (docs/MODEL.md §7.1).
"""

from __future__ import annotations

from pathlib import Path

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

from escalation.figure_style import DPI, STYLE, pyplot, save_figure

NAME = "deep_strikes"
LEVELS = ["prohibited", "limited", "authorized"]
POSTURES = {"red_lines": "declared red lines", "ambiguity": "strategic ambiguity"}
LABEL_OFFSETS = {"red_lines": (8, -14), "ambiguity": (8, 6)}


def plot(summary: pd.DataFrame, path: Path, replicates: int) -> Path:
    """Ukraine's final position against P(NATO-Russia war), one path per posture."""
    plt = pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(10, 6.5), dpi=DPI)
        for (posture, label), colour in zip(
            POSTURES.items(), ("tab:purple", "tab:green"), strict=True
        ):
            rows = pd.DataFrame(
                [job_of(summary, posture=posture, deep_strikes=level) for level in LEVELS]
            )
            x = rows["direct_conflict"] * 100
            y = rows["ukraine_position_final_mean"]
            ax.errorbar(
                x,
                y,
                xerr=[
                    x - rows["direct_conflict_low"] * 100,
                    rows["direct_conflict_high"] * 100 - x,
                ],
                yerr=[
                    y - rows["ukraine_position_final_mean_low"],
                    rows["ukraine_position_final_mean_high"] - y,
                ],
                marker="o",
                capsize=4,
                color=colour,
                label=f"{label} (95% intervals)",
            )
            for level, xi, yi in zip(LEVELS, x, y, strict=True):
                ax.annotate(
                    level, (xi, yi), textcoords="offset points", xytext=(8, -12), color=colour
                )
        ax.set_xlabel("P(NATO-Russia war) over the run (%)")
        ax.set_ylabel("Ukraine's final position (% of territory held, mean)")
        ax.set_title(
            "Deep strikes: what they buy and what they risk\n"
            f"scenario {summary['scenario'].iloc[0]}, {replicates:,} replicates per policy, "
            f"{summary['months'].iloc[0]} months"
        )
        ax.grid(alpha=0.3)
        ax.legend(title="Western posture")
        fig.tight_layout()
        save_figure(fig, path)
        plt.close(fig)
    return path


def reading(summary: pd.DataFrame, outcomes: pd.DataFrame) -> list[str]:
    """The numbers in words."""
    lines = []
    for posture, label in POSTURES.items():
        base = job_of(summary, posture=posture, deep_strikes="prohibited")
        items = [
            f"**Under {label}.** With deep strikes prohibited: NATO-Russia war "
            f"{percent(base, 'direct_conflict')}, lethal engagement "
            f"{percent(base, 'lethal_engagement')}, retaliation "
            f"{percent(base, 'russian_retaliation')}, Ukraine holds "
            f"{base['ukraine_position_final_mean']:.2f}% at the end."
        ]
        for level in LEVELS[1:]:
            row = job_of(summary, posture=posture, deep_strikes=level)
            changes = {
                column: paired_difference(outcomes, column, row["job"], base["job"])
                for column in (
                    "ukraine_position_final",
                    "direct_conflict",
                    "lethal_engagement",
                    "russian_retaliation",
                )
            }
            items.append(
                f"{level.capitalize()} strikes add "
                f"{points(changes['ukraine_position_final'], scale=1.0, digits=2)} of territory, "
                f"{points(changes['direct_conflict'])} of war risk, "
                f"{points(changes['lethal_engagement'])} of lethal-engagement risk and "
                f"{points(changes['russian_retaliation'])} of retaliation risk."
            )
        lines.append(" ".join(items))
    lines.append(
        "Reading: in the model, deep strikes buy territory slowly (their effect is a few "
        "hundredths of a point a month, an assumption) and, as each member government grants "
        "its own permission, every permission registers with Russia as new involvement (a "
        "month-1 permission too: model v3). Retaliation needs Russia to see a red line crossed "
        "(6.5 at the lowest; the record's measures stand at 5.75), so it comes mostly from "
        "authorised strikes and, under ambiguity, from what Russia counts of what is not "
        "excluded; a war needs a clash to grow. Experiment (b) shows where the posture's sign "
        "turns."
    )
    return lines


def main() -> None:
    """Run the sweep, draw the figure, write the reading."""
    args = arguments(NAME, __doc__.splitlines()[0], replicates=4000, docs_copy=True)
    summary, outcomes = run_sweep(
        NAME, replicates=args.replicates, out=args.out, launcher=args.launcher
    )
    docs_copy(plot(summary, args.out / "figures" / f"{NAME}.png", args.replicates), args.docs)
    write_reading(args.out, "Deep strikes: gain and cost", reading(summary, outcomes))


if __name__ == "__main__":
    main()
