"""Experiment (a): instructors as a middle step between training abroad and troops.

Run: ``.venv/bin/python experiments/instructors_step.py [--replicates N] [--out DIR]``

The article calls instructors inside Ukraine "a compromise between full deployment and continued
military support". This experiment climbs the ladder one step at a time (aid only, training
abroad, instructors inside Ukraine, then non-combat and combat troops) and asks, for each step,
how much escalation risk it adds and what Ukraine gains. It runs the preset sweep
``sweep=instructors_step`` (9 policies), then writes ``figures/instructors_step.png`` and
``reading.md`` into the sweep folder (and, with ``--docs docs/figures``, the README's copy of the
figure).

Model v3: the forward run starts from the record of September 2024 (aid, advanced weapons, eight
new systems, training abroad, the US/German/French limited deep-strike permissions: involvement
5.75 on Russia's 0-12 scale), and the levers are the policy from the first month: "aid only"
withdraws the record's training in month 1, every other step keeps it; instructors (2 units)
and troops (3 or 5) come into force in month 1 (``sweep=instructors_step`` keeps the timing).
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

NAME = "instructors_step"
STEPS = [
    ("aid only", "none", "none"),
    ("training abroad", "outside", "none"),
    ("instructors inside", "inside", "none"),
    ("+ non-combat troops", "inside", "noncombat"),
    ("+ combat troops", "inside", "combat"),
]


def ladder(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of the five steps, in order, with a ``step`` column."""
    rows = [
        job_of(summary, instructors=instructors, troops=troops).rename(step)
        for step, instructors, troops in STEPS
    ]
    return pd.DataFrame(rows).rename_axis("step").reset_index()


def increments(steps: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """What each step adds to the one before, replicate by replicate (paired differences)."""
    rows = []
    for before, after in zip(steps.itertuples(), steps.iloc[1:].itertuples(), strict=False):
        row = {"step": after.step}
        for column in (
            "contained_clash",
            "lethal_engagement",
            "direct_conflict",
            "russian_retaliation",
            "ukraine_position_final",
        ):
            row[column] = paired_difference(outcomes, column, after.job, before.job)
        rows.append(row)
    return pd.DataFrame(rows)


def plot(steps: pd.DataFrame, path: Path, replicates: int) -> Path:
    """Risk (left) and Ukraine's position (right) at each step, with 95% intervals."""
    plt = pyplot()
    x = range(len(steps))
    with plt.rc_context(STYLE):
        fig, (risk, gain) = plt.subplots(1, 2, figsize=(13, 5.5), dpi=DPI)
        for name, label, colour in (
            ("contained_clash", "NATO-Russia clash or war", "tab:purple"),
            ("lethal_engagement", "Lethal NATO-Russia engagement", "tab:brown"),
            ("direct_conflict", "NATO-Russia war", "tab:red"),
            ("russian_retaliation", "Russian retaliation", "tab:orange"),
        ):
            p = steps[name] * 100
            errors = [p - steps[f"{name}_low"] * 100, steps[f"{name}_high"] * 100 - p]
            risk.errorbar(x, p, yerr=errors, marker="o", capsize=4, color=colour, label=label)
        risk.set_ylabel("Probability over the run (%)")
        risk.set_title("Escalation risk")
        risk.legend(title="95% Wilson intervals", loc="upper left")
        mean = steps["ukraine_position_final_mean"]
        errors = [
            mean - steps["ukraine_position_final_mean_low"],
            steps["ukraine_position_final_mean_high"] - mean,
        ]
        gain.errorbar(
            x,
            mean,
            yerr=errors,
            marker="s",
            capsize=4,
            color="tab:blue",
            label="mean, 95% interval",
        )
        gain.set_ylabel("Ukraine's final position (% of territory held)")
        gain.set_title("What Ukraine holds after the run")
        gain.legend()
        for ax in (risk, gain):
            ax.set_xticks(list(x), steps["step"], rotation=20, ha="right")
            ax.set_xlabel("Step up the ladder")
            ax.grid(alpha=0.3)
        fig.suptitle(
            "Instructors as a middle step: what each step adds\n"
            f"scenario {steps['scenario'].iloc[0]}, {replicates:,} replicates per step, "
            f"{steps['months'].iloc[0]} months"
        )
        fig.tight_layout()
        save_figure(fig, path)
        plt.close(fig)
    return path


def reading(steps: pd.DataFrame, added: pd.DataFrame) -> list[str]:
    """The numbers in words."""
    lines = [
        f"Each step's probability over {steps['months'].iloc[0]} months, with 95% intervals "
        f"({int(steps['replicates'].iloc[0]):,} replicates per step; every step meets the same "
        "sampled assumptions, so the changes below are paired, replicate by replicate):",
        "\n".join(
            f"- **{row.step}**: NATO-Russia war {percent(row, 'direct_conflict')}; lethal "
            f"engagement {percent(row, 'lethal_engagement')}; clash or war "
            f"{percent(row, 'contained_clash')}; "
            f"retaliation {percent(row, 'russian_retaliation')}; Ukraine holds "
            f"{row.ukraine_position_final_mean:.2f}% of its territory at the end"
            for _, row in steps.iterrows()
        ),
        "What each step adds to the one before:",
        "\n".join(
            f"- **{row.step}**: NATO-Russia war {points(row.direct_conflict)}, lethal "
            f"engagement {points(row.lethal_engagement)}, clash or war "
            f"{points(row.contained_clash)}, retaliation "
            f"{points(row.russian_retaliation)}, Ukraine's position "
            f"{points(row.ukraine_position_final, scale=1.0, digits=2)} of territory"
            for row in added.itertuples()
        ),
    ]
    instructors, troops = added.iloc[1], added.iloc[2]
    lines.append(
        "Reading: instructors inside Ukraine add "
        f"{instructors.direct_conflict['mean'] * 100:.1f} points of NATO-Russia war risk and "
        f"{instructors.lethal_engagement['mean'] * 100:.1f} of lethal-engagement risk for "
        f"{instructors.ukraine_position_final['mean']:.2f} points of territory, and "
        f"{instructors.russian_retaliation['mean'] * 100:.1f} points of retaliation risk "
        "(Russia's own decision to strike back while a red line it enforces is crossed); the "
        f"next step, non-combat troops, adds {troops.direct_conflict['mean'] * 100:.1f} points "
        f"of war risk, {troops.lethal_engagement['mean'] * 100:.1f} of lethal-engagement risk "
        f"and {troops.russian_retaliation['mean'] * 100:.1f} of retaliation risk for "
        f"{troops.ukraine_position_final['mean']:.2f} points of territory. These are "
        "consequences of the model's assumptions (docs/MODEL.md), not forecasts."
    )
    return lines


def main() -> None:
    """Run the sweep, draw the figure, write the reading."""
    args = arguments(NAME, __doc__.splitlines()[0], replicates=4000, docs_copy=True)
    summary, outcomes = run_sweep(
        NAME, replicates=args.replicates, out=args.out, launcher=args.launcher
    )
    steps = ladder(summary)
    docs_copy(plot(steps, args.out / "figures" / f"{NAME}.png", args.replicates), args.docs)
    write_reading(
        args.out, "Instructors as a middle step", reading(steps, increments(steps, outcomes))
    )


if __name__ == "__main__":
    main()
