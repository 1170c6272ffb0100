"""One large run on every core: its speed-up on 2 workers against the machine's parallel capacity.

    .venv/bin/python benchmarks/parallel.py                  # 100,000 replicates, 3 rounds
    .venv/bin/python benchmarks/parallel.py --replicates 50000 --repeats 5

What is timed: ``escalation.run.runs.simulate_run`` (the engine path of the ``escalation``
command: the run's parameter draws, its chunks of ``CHUNK`` replicates, their outcomes joined
in order; ``sim.trajectories=false``) in this process, on 1 worker (the chunks one after the
other, here) and on 2 (``sim.workers=2``: forked worker processes), alternated round by round so
that both see the same load; the fastest of each is kept, beside the median. The machine's
parallel capacity (``_common.parallel_capacity``: a CPU-bound loop in one process per core at
once, against one alone) is measured before and after the rounds, and the speed-up is set
against their mean: the share of the capacity the run gains (issue 25's target: 85%). Both
worker counts give the same outcomes (checked here, byte for byte). The load average is printed
before and after: on a shared machine every number moves with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from _common import fmt_seconds, header, parallel_capacity, table

TARGET_SHARE = 0.85


def load_average() -> str:
    """The 1, 5 and 15-minute load averages (``/proc/loadavg``), or what is known."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    """Measure and print the speed-up table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of 1 then 2 workers")
    parser.add_argument("--chunk", type=int, default=None, help="replicates a chunk (tests)")
    args = parser.parse_args()

    from escalation.config.scenarios import load_settings
    from escalation.run import parallel
    from escalation.run.runs import simulate_run

    if args.chunk:
        parallel.CHUNK = args.chunk
    settings = load_settings(
        "status_quo", replicates=args.replicates, **{"sim.trajectories": False}
    )
    chunks = len(parallel.chunk_sizes(args.replicates))
    header(
        f"One run of {args.replicates:,} replicates x {settings.sim.months} months on 1 and 2 "
        f"workers ({chunks} chunks of at most {parallel.CHUNK:,})"
    )
    print(f"load average before: {load_average()}\n", flush=True)
    capacity_before = parallel_capacity()
    times: dict[int, list[float]] = {1: [], 2: []}
    outcomes = {}
    simulate_run(settings, trajectories=False, workers=1)  # warms caches and the allocator
    for _ in range(args.repeats):
        for workers in (1, 2):
            started = time.perf_counter()
            outcomes[workers], _ = simulate_run(settings, trajectories=False, workers=workers)
            times[workers].append(time.perf_counter() - started)
    capacity_after = parallel_capacity()
    capacity = (capacity_before + capacity_after) / 2
    identical = outcomes[1].to_csv() == outcomes[2].to_csv()
    rows = [
        [
            workers,
            len(times[workers]),
            fmt_seconds(min(times[workers])),
            fmt_seconds(statistics.median(times[workers])),
            f"{min(times[1]) / min(times[workers]):.2f}x",
        ]
        for workers in (1, 2)
    ]
    print(table(["workers", "runs", "fastest", "median", "speed-up (fastest)"], rows))
    speed_up = min(times[1]) / min(times[2])
    median_speed_up = statistics.median(times[1]) / statistics.median(times[2])
    share = speed_up / capacity
    print(
        f"\nParallel capacity: {capacity_before:.2f} cores' worth before the runs, "
        f"{capacity_after:.2f} after (mean {capacity:.2f}).\n"
        f"Speed-up on 2 workers: {speed_up:.2f}x fastest against fastest "
        f"({median_speed_up:.2f}x median against median): {share:.0%} of the parallel "
        f"capacity (target {TARGET_SHARE:.0%}: {'met' if share >= TARGET_SHARE else 'missed'}).\n"
        f"Outcomes on 1 and 2 workers identical: {'yes' if identical else 'NO'}.\n"
        f"load average after: {load_average()}"
    )


if __name__ == "__main__":
    main()
