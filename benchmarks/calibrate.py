"""The calibration's cost: the default ``escalation-calibrate`` run, and why it batches particles.

Run: ``.venv/bin/python benchmarks/calibrate.py`` (the default size: 1,000 particles x 8
generations x 20 replicates, on every core; 3 to 8 minutes on 2 cores). Smaller:
``--particles 200 --generations 3``. Prints a Markdown table for docs/CALIBRATION.md:

1. the wall time of ``escalation-calibrate`` at the size given (default: its default), against
   the issue's bound of 15 minutes on 2 cores, with the simulations it ran;
2. the engine's time per particle replaying the record (20 replicates each) when particles run
   one per engine call (as pyABC's samplers would call a model) and 100 per call (the chunks of
   ``escalation.calibrate.sampler.BatchedSampler``): the ratio is why it batches.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command, header

BOUND_SECONDS = 15 * 60


def engine_per_particle(particles: int, replicates: int, repeats: int) -> float:
    """Seconds per particle replaying the record, ``particles`` per engine call (best of runs)."""
    from escalation.calibrate.record import replay_particles
    from escalation.config.sampling import parameter_ranges
    from escalation.config.scenarios import replay_settings
    from escalation.timeline import load_timeline

    timeline = load_timeline()
    settings = replay_settings(timeline, replicates=1, seed=1, **{"sim.parameters": "prior"})
    ranges = parameter_ranges(settings)
    rng = np.random.default_rng(0)
    values = {name: rng.uniform(low, high, particles) for name, (low, high) in ranges.items()}
    best = float("inf")
    for repeat in range(repeats):
        started = time.perf_counter()
        replay_particles(settings, timeline, values, replicates=replicates, seed=repeat)
        best = min(best, time.perf_counter() - started)
    return best / particles


def main() -> None:
    """Time the command at the size given, then the engine per particle; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, help="default: the command's")
    parser.add_argument("--generations", type=int, help="default: the command's")
    parser.add_argument("--replicates", type=int, help="default: the command's")
    parser.add_argument("--repeats", type=int, default=5, help="engine timings, best of (5)")
    args = parser.parse_args()
    header("escalation-calibrate: the default run and the engine's batching")
    sizes = []
    for name in ("particles", "generations", "replicates"):
        if getattr(args, name) is not None:
            sizes += [f"--{name}", str(getattr(args, name))]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = subprocess.run(
            [command("escalation-calibrate"), *sizes, "--out", str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(result.stderr[-2000:])
        generations = pd.read_csv(Path(tmp) / "out" / "generations.csv")
    simulations = int(generations["simulations"].sum())
    shown = " ".join(sizes) or "(default size)"
    print("| measure | value |")
    print("|---|---|")
    print(f"| `escalation-calibrate {shown}` wall time | {seconds:.0f} s |")
    print(f"| share of the 15-minute bound | {seconds / BOUND_SECONDS:.0%} |")
    print(f"| particles simulated (all generations) | {simulations:,} |")
    print(f"| wall time per simulated particle | {seconds / simulations * 1000:.2f} ms |")
    one = engine_per_particle(1, 20, args.repeats)
    many = engine_per_particle(100, 20, args.repeats)
    print(f"| engine, 1 particle per call (20 replicates) | {one * 1000:.2f} ms per particle |")
    print(f"| engine, 100 particles per call | {many * 1000:.2f} ms per particle |")
    print(f"| batching gain | {one / many:.0f}x |")


if __name__ == "__main__":
    main()
