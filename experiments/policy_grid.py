"""The README's sweep figures and numbers: all 54 policies, ``escalation -m sweep=policy_grid``.

Run: ``.venv/bin/python experiments/policy_grid.py [--replicates N] [--out DIR]``

Runs the preset sweep (1,000 replicates per policy, the README's command), copies its
``tradeoff.png`` and ``heatmap_direct_conflict.png`` to ``docs/figures/policy_grid_*.png`` and
writes ``reading.md`` with every number the README's Sweeps section quotes: the range of
P(NATO-Russia war) (the ``direct_conflict`` column) over the policies, with the safest and the
riskiest, each lever's effect averaged over the others, how often the posture changes nothing,
and the progress line of job 12.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from _common import arguments, percent, run_sweep, write_reading

NAME = "policy_grid"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "figures"
FIGURES = {
    "tradeoff.png": "policy_grid_tradeoff.png",
    "heatmap_direct_conflict.png": "policy_grid_heatmap.png",
}
LEVERS = ["instructors", "troops", "deep_strikes", "posture"]


def lever_means(summary: pd.DataFrame) -> dict[str, dict[str, float]]:
    """P(NATO-Russia war) of each lever value, averaged over the other levers' 18-27 policies."""
    return {
        lever: summary.groupby(lever)["direct_conflict"].mean().to_dict()
        for lever in ("troops", "deep_strikes", "instructors")
    }


def describe(row: pd.Series) -> str:
    """A policy by its four levers."""
    return ", ".join(f"{lever}={row[lever]}" for lever in LEVERS)


def reading(summary: pd.DataFrame, replicates: int) -> list[str]:
    """The paragraphs of ``reading.md``: the numbers the README quotes."""
    ranked = summary.sort_values("direct_conflict", kind="stable")
    safest, riskiest = ranked.iloc[0], ranked.iloc[-1]
    means = lever_means(summary)
    job = summary.loc[summary["job"] == 12].iloc[0]
    levers = " ".join(f"{lever}={job[lever]}" for lever in LEVERS)
    conflict = job["direct_conflict"], job["direct_conflict_low"], job["direct_conflict_high"]
    postures = summary.pivot_table(
        index=[lever for lever in LEVERS if lever != "posture"],
        columns="posture",
        values="direct_conflict",
    )
    same = int((postures["red_lines"] == postures["ambiguity"]).sum())
    paragraphs = [
        f"{len(summary)} policies x {replicates:,} replicates (seed {int(job['seed'])}).",
        f"P(NATO-Russia war) ranges from {safest['direct_conflict']:.1%} "
        f"({describe(safest)}: {percent(safest, 'direct_conflict')}) to "
        f"{riskiest['direct_conflict']:.1%} ({describe(riskiest)}: "
        f"{percent(riskiest, 'direct_conflict')}); P(lethal engagement) from "
        f"{summary['lethal_engagement'].min():.1%} to {summary['lethal_engagement'].max():.1%}.",
        "Averaged over the other levers: "
        f"combat troops {means['troops']['combat']:.1%} against {means['troops']['none']:.1%} "
        f"without troops; authorised deep strikes {means['deep_strikes']['authorized']:.1%} "
        f"against {means['deep_strikes']['prohibited']:.1%} prohibited; instructors inside "
        f"{means['instructors']['inside']:.1%} against {means['instructors']['none']:.1%} "
        "without.",
        f"The posture leaves P(NATO-Russia war) exactly unchanged in {same} of the "
        f"{len(postures)} pairs of policies that differ only in it.",
        f"Progress line of job 12: `[job 12/{len(summary)}] {levers}: P(NATO-Russia war) "
        f"{conflict[0]:.1%} [{conflict[1]:.1%}, {conflict[2]:.1%}]`.",
    ]
    return paragraphs


def main() -> None:
    """Run the sweep, copy its figures into docs/figures, write the reading."""
    args = arguments(NAME, __doc__.splitlines()[0], replicates=1000, docs=DOCS)
    summary, _ = run_sweep(NAME, replicates=args.replicates, out=args.out, launcher=args.launcher)
    args.docs.mkdir(parents=True, exist_ok=True)
    for source, target in FIGURES.items():
        shutil.copyfile(args.out / "figures" / source, args.docs / target)
    paragraphs = reading(summary, args.replicates)
    write_reading(args.out, "All 54 policies (sweep=policy_grid)", paragraphs)


if __name__ == "__main__":
    main()
