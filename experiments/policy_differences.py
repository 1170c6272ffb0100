"""The README's headline: each French option's change in P(war) against the status quo.

Run: ``.venv/bin/python experiments/policy_differences.py`` (20,000 replicates in 500 parameter
draws per policy, seed 1, the shipped scenarios' default ``sim.parameters``; ``--readme
README.md`` also writes the block between the README's headline markers). Every policy runs
with the same seed, so replicate r of every policy shares its parameter draw and its random
numbers; the differences are ``escalation.sweep.differences.paired_differences``, as a sweep's
``differences.csv`` computes them. Prints the Markdown table the README leads with.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import escalation
from escalation.files import atomic_write
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
    parser.add_argument(
        "--readme", type=Path, default=None, help="write the block between its headline markers"
    )
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
    block = headline(table, args)
    print(block)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.readme is not None:
        write_headline(args.readme, block)
        print(f"Wrote the headline block into {args.readme}")


def headline(table: pd.DataFrame, args: argparse.Namespace) -> str:
    """The README's headline block: what was run, the table, what its intervals mean."""
    name = "direct_conflict"
    lines = [
        "Change in P(NATO-Russia war) over 36 months from October 2024 against the status quo, "
        "in percentage points, paired replicate by replicate (model v3, parameters drawn from "
        "the calibrated posterior; `python experiments/policy_differences.py`: "
        f"{args.replicates:,} replicates in {args.draws} parameter draws per option, "
        f"seed {args.seed}):",
        "",
        "| French option | P(war) | change | 95% interval | parameter band "
        "| change in P(lethal engagement), 95% interval |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for _, row in table.iloc[1:].iterrows():
        lines.append(
            f"| {row['policy']} | {100 * row[f'{name}_policy']:.1f}% "
            f"| {points(row[f'{name}_diff'])}"
            f" | [{points(row[f'{name}_diff_low'])}, {points(row[f'{name}_diff_high'])}]"
            f" | [{points(row[f'{name}_diff_band_low'])}, {points(row[f'{name}_diff_band_high'])}]"
            f" | {points(row['lethal_engagement_diff'])}"
            f" [{points(row['lethal_engagement_diff_low'])},"
            f" {points(row['lethal_engagement_diff_high'])}] |"
        )
    baseline = table.iloc[0]
    lines += [
        "",
        f"Status quo: P(war) {100 * baseline[f'{name}_policy']:.1f}%. The 95% interval is Monte "
        "Carlo error of the paired change; the parameter band, 5-95% of the change across the "
        "posterior's parameter draws, is what the calibration leaves unknown.",
    ]
    return "\n".join(lines)


def write_headline(readme: Path, block: str) -> None:
    """Replace what lies between the README's headline markers by ``block``."""
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- headline:start -->\n", "<!-- headline:end -->"
    if text.count(start) != 1 or text.count(end) != 1:
        raise SystemExit(f"{readme}: needs one {start.strip()} and one {end} line")
    before, rest = text.split(start)
    after = rest.split(end)[1]
    with atomic_write(readme) as file:
        file.write(f"{before}{start}{block}\n{end}{after}")


if __name__ == "__main__":
    main()
