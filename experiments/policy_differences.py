"""The README's headline: each French option's change in P(war) against the status quo.

Run: ``.venv/bin/python experiments/policy_differences.py`` (20,000 replicates in 500 parameter
draws per policy, seed 1, the shipped scenarios' default ``sim.parameters``). Every policy runs
with the same seed, so replicate r of every policy shares its parameter draw and its random
numbers; the differences are ``escalation.sweep.differences.paired_differences``, as a sweep's
``differences.csv`` computes them. Prints the Markdown table the README leads with.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import escalation
from escalation.run.results import summarize
from escalation.sweep.differences import paired_differences

#: The French options of the article, each as the scenario and levers that make it.
OPTIONS = {
    "status quo (strategic ambiguity, limited deep strikes)": ("status_quo", {}),
    "instructors inside Ukraine (from Jan 2025)": ("instructors", {}),
    "instructors and non-combat troops (if the front falls below 81%)": ("troops", {}),
    "instructors and combat troops (same trigger)": ("troops", {"troops": "combat"}),
    "deep strikes authorised without geographic limits": ("deep_strikes", {}),
    "declared red lines instead of strategic ambiguity": ("status_quo", {"posture": "red_lines"}),
}
OUTCOMES = {"direct_conflict": "NATO-Russia war", "lethal_engagement": "lethal engagement"}


def points(value: float) -> str:
    """A difference in percentage points with its sign."""
    return f"{100 * value:+.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="experiments/policy_differences.py")
    parser.add_argument("--replicates", type=int, default=20_000)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    frames, rows = [], []
    for job, (label, (scenario, levers)) in enumerate(OPTIONS.items()):
        outcomes = escalation.simulate(
            scenario,
            replicates=args.replicates,
            seed=args.seed,
            **levers,
            **{"sim.draws": args.draws},
        )
        frames.append(outcomes.assign(job=job))
        summary = summarize(outcomes, {})
        rows.append({"job": job, "policy": label, "seed": args.seed, "replicates": len(outcomes)})
        rows[-1].update({name: summary["probabilities"][name]["p"] for name in OUTCOMES})
    table = paired_differences(
        pd.concat(frames, ignore_index=True), pd.DataFrame(rows), 0, ["job", "policy"]
    )
    print(
        f"{args.replicates:,} replicates in {args.draws} parameter draws per policy, seed "
        f"{args.seed}, {time.perf_counter() - started:.0f} s\n"
    )
    print(
        "| French option | P(war), 36 months | change in P(war), points | 95% interval "
        "| parameter band | change in P(lethal engagement) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for _, row in table.iterrows():
        name = "direct_conflict"
        print(
            f"| {row['policy']} | {100 * row[f'{name}_policy']:.1f}% "
            f"| {points(row[f'{name}_diff'])}"
            f" | [{points(row[f'{name}_diff_low'])}, {points(row[f'{name}_diff_high'])}]"
            f" | [{points(row[f'{name}_diff_band_low'])}, {points(row[f'{name}_diff_band_high'])}]"
            f" | {points(row['lethal_engagement_diff'])}"
            f" [{points(row['lethal_engagement_diff_band_low'])},"
            f" {points(row['lethal_engagement_diff_band_high'])}] |"
        )


if __name__ == "__main__":
    main()
