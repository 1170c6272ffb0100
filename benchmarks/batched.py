"""Issue 12's targets, as ratios measured in one run: batched sweeps, design tables, EMA.

Run: ``.venv/bin/python benchmarks/batched.py [--quick]`` (about three minutes; ``--quick``
times 100 of the 1,000 single ``simulate`` calls and 100 of the 400 sequential EMA experiments
and scales them up). Prints a Markdown table for docs/PERFORMANCE.md:

1. ``escalation -m sweep=policy_grid`` (54 points x 1,000 replicates) with Hydra's basic sweeper
   and with the batched sweeper (the presets' default), wall time of the whole command;
2. ``escalation.simulate_many`` on 1,000 design points x 100 replicates against one
   ``escalation.simulate`` call per point;
3. EMA Workbench's ``perform_experiments`` on 400 experiments (100 scenarios x 4 policies, 100
   replicates each) with its ``SequentialEvaluator`` and with
``escalation.analysis.ema.BatchEvaluator``; 4. a 540-point sweep (policy_grid x 10 fixed red-line
   thresholds) x 1,000 replicates, batched, with the basic launcher and with the joblib launcher
(one chunk per core).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command, cpu_model

THRESHOLDS = ",".join(f"{value:g}" for value in np.linspace(5.0, 9.5, 10))


def sweep_seconds(*args: str) -> tuple[float, int]:
    """Wall time of ``escalation -m ARGS`` in a fresh folder, and its job lines."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = subprocess.run(
            [command("escalation"), "-m", *args], cwd=tmp, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"escalation -m {' '.join(args)} failed: {result.stderr.strip()}")
        jobs = sum(line.startswith("[job ") for line in result.stdout.splitlines())
        return seconds, jobs


def design(points: int, seed: int = 12) -> pd.DataFrame:
    """A design table: two levers and two fixed uncertainties per point."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "troops": rng.choice(["none", "noncombat", "combat"], points),
            "posture": rng.choice(["red_lines", "ambiguity"], points),
            "follow_through": rng.uniform(0.2, 0.8, points),
            "red_line_threshold": rng.uniform(4.5, 10.0, points),
        }
    )


def design_seconds(
    quick: bool, points: int = 1000, replicates: int = 100
) -> tuple[float, float, int]:
    """``simulate_many`` on 1,000 points x 100, and ``simulate`` per point (scaled if quick)."""
    import escalation

    table = design(points)
    escalation.simulate(replicates=10)  # compose once, outside both timings
    started = time.perf_counter()
    escalation.simulate_many(table, replicates=replicates, seed=1)
    many = time.perf_counter() - started
    timed = table.head(max(1, points // 10)) if quick else table
    started = time.perf_counter()
    for point in timed.to_dict("records"):
        escalation.simulate(replicates=replicates, seed=1, **point)
    single = (time.perf_counter() - started) * len(table) / len(timed)
    return many, single, len(timed)


def ema_seconds(
    quick: bool, scenarios: int = 100, replicates: int = 100
) -> tuple[float, float, int]:
    """EMA Workbench on 400 experiments: batch evaluator, sequential (scaled if quick)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import Sample, SequentialEvaluator, perform_experiments

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))
    from ema_workbench_example import POLICIES, ema_model

    from escalation.analysis.ema import BatchEvaluator

    model = ema_model(replicates=replicates, months=36, seed=1)
    policies = [Sample(name, **levers) for name, levers in POLICIES.items()]
    sequential = max(1, scenarios // 4) if quick else scenarios
    times = []
    for evaluator, count in (
        (BatchEvaluator(model), scenarios),
        (SequentialEvaluator(model), sequential),
    ):
        started = time.perf_counter()
        with evaluator:
            perform_experiments(
                model,
                scenarios=count,
                policies=policies,
                evaluator=evaluator,
                uncertainty_sampling_kwargs={"rng": 1},
            )
        times.append((time.perf_counter() - started) * scenarios / count)
    return times[0], times[1], sequential * len(policies)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time fewer single calls, scale")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes: checks that the script runs (tests)"
    )
    args = parser.parse_args()
    quick = args.quick or args.smoke
    print(f"Machine: {cpu_model()}; Python {sys.version.split()[0]}\n", flush=True)
    grid, thresholds = ["sweep=policy_grid"], THRESHOLDS
    if args.smoke:  # 4 points x 10 replicates x 4 months, then x 2 thresholds
        grid = ["policy.troops=none,combat", "policy.posture=red_lines,ambiguity"]
        grid += ["sim.replicates=10", "sim.months=4"]
        thresholds = "5,9"
    basic, basic_jobs = sweep_seconds(*grid, "hydra/sweeper=basic")
    batched, _batched_jobs = sweep_seconds(*grid, "hydra/sweeper=batched")
    large_grid = [*grid, "hydra/sweeper=batched", f"uncertainty.red_line_threshold={thresholds}"]
    large, large_jobs = sweep_seconds(*large_grid)
    large_joblib, _ = sweep_seconds(*large_grid, "hydra/launcher=joblib")
    many, single, timed = design_seconds(quick, *((20, 10) if args.smoke else ()))
    batch_ema, sequential_ema, ema_timed = ema_seconds(quick, *((2, 10) if args.smoke else ()))
    rows = [
        (
            "`escalation -m sweep=policy_grid`, basic sweeper",
            f"{basic:.1f} s",
            f"{basic_jobs} jobs",
        ),
        (
            "same, batched sweeper (presets' default)",
            f"{batched:.1f} s",
            f"{basic / batched:.1f}x faster",
        ),
        (
            "540 points (policy_grid x 10 thresholds) x 1,000, batched",
            f"{large:.1f} s",
            f"{large_jobs} progress lines",
        ),
        (
            "same 540 points, `hydra/launcher=joblib` (one chunk per core)",
            f"{large_joblib:.1f} s",
            f"{large / large_joblib:.1f}x faster",
        ),
        (
            "`simulate` once per point, 1,000 points x 100",
            f"{single:.1f} s",
            f"timed {timed} points",
        ),
        ("`simulate_many`, same design", f"{many:.2f} s", f"{single / many:.0f}x faster"),
        (
            "EMA Workbench, SequentialEvaluator, 400 experiments",
            f"{sequential_ema:.1f} s",
            f"timed {ema_timed}",
        ),
        (
            "EMA Workbench, escalation.analysis.ema.BatchEvaluator, 400",
            f"{batch_ema:.2f} s",
            f"{sequential_ema / batch_ema:.0f}x faster",
        ),
    ]
    print("| measurement | time | ratio / note |\n|---|---|---|")
    for row in rows:
        print(f"| {' | '.join(row)} |")


if __name__ == "__main__":
    main()
