"""Engine throughput: replicate-months per second of the batched model, by number of replicates.

    .venv/bin/python benchmarks/engine.py                  # 1, 100, 1,000, 10,000, 100,000
    .venv/bin/python benchmarks/engine.py --sizes 1000 10000 --scenario troops

What is timed: building ``EscalationModel(settings)`` (sampling the uncertainties, the four
agents, the preallocated trajectory arrays and, since model v3, the warm-up: the 32 months of the
record from February 2022 replayed before ``sim.start``) and its 36 monthly steps, in this
process, on one core; settings are composed once beforehand. Each size runs until about a second
has been spent (at least 3 times); the fastest run is reported, beside the median. Replicate-months
count the 36 recorded months only. A second table splits the same runs: building the model (the
warm-up included) against its 36 steps, and the whole run against the 36 steps alone (what the
warm-up costs, as a ratio measured in this run).
"""

from __future__ import annotations

import argparse
import time

from _common import best_and_median, fmt_rate, fmt_seconds, header, table, timed

TARGET_REPLICATES = 10_000
TARGET_RATE = 2e6


def main() -> None:
    """Measure and print the throughput table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000, 10_000, 100_000])
    parser.add_argument("--scenario", default="status_quo")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds to spend per size")
    args = parser.parse_args()

    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    header(f"Engine throughput ({args.scenario}, one core)")
    rows = []
    split_rows = []
    rates = {}
    for replicates in args.sizes:
        settings = load_settings(args.scenario, replicates=replicates)
        months = settings.sim.months

        def run(settings=settings) -> None:
            EscalationModel(settings).run()

        first = timed(run, 1)[0]  # also warms up caches and the allocator
        repeats = max(3, min(200, int(args.budget / max(first, 1e-6))))
        best, median = best_and_median(timed(run, repeats))
        builds, steps = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            model = EscalationModel(settings)
            built = time.perf_counter()
            model.run()
            builds.append(built - started)
            steps.append(time.perf_counter() - built)
        build, step = sorted(builds)[len(builds) // 2], sorted(steps)[len(steps) // 2]
        split_rows.append(
            [
                f"{replicates:,}",
                repeats,
                fmt_seconds(build),
                fmt_seconds(step),
                f"{(build + step) / step:.2f}x",
            ]
        )
        rate = replicates * months / best
        rates[replicates] = rate
        rows.append(
            [
                f"{replicates:,}",
                months,
                repeats,
                fmt_seconds(best),
                fmt_seconds(median),
                fmt_seconds(best / months),
                fmt_rate(rate),
            ]
        )
    print(
        table(
            [
                "replicates",
                "months",
                "runs",
                "fastest run",
                "median run",
                "per month step",
                "replicate-months/s",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            [
                "replicates",
                "runs",
                "build + warm-up (median)",
                "36 months (median)",
                "whole run / 36 months",
            ],
            split_rows,
        )
    )
    if TARGET_REPLICATES in rates:
        rate = rates[TARGET_REPLICATES]
        verdict = "met" if rate >= TARGET_RATE else "MISSED"
        print(
            f"\nAt {TARGET_REPLICATES:,} replicates: {fmt_rate(rate)} replicate-months/s "
            f"(target >= {fmt_rate(TARGET_RATE)}: {verdict}, x{rate / TARGET_RATE:.1f})."
        )


if __name__ == "__main__":
    main()
