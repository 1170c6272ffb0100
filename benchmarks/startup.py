"""End-to-end wall time of a default ``escalation`` run, and where it goes.

    .venv/bin/python benchmarks/startup.py                  # 5 timed runs, 3 instrumented
    .venv/bin/python benchmarks/startup.py --runs 10 -- scenario=troops sim.replicates=5000

Three tables:

1. the wall time of the ``escalation`` command (1,000 replicates, 36 months, figures), each run
   a fresh process writing into a temporary folder, exactly as a user runs it;
2. where the time goes: the same run in a fresh process whose phases are timed in-process
   (the project's functions wrapped with clocks; its figures drawn in that process, after the
   tables, where the command draws them on every core while it writes the tables); interpreter
   start-up and exit are the gaps between the parent's clock and the child's first and last
   readings; median of the runs;
3. what importing each heavy package costs on its own, in a fresh interpreter (for the detail
   of an import, use ``python -X importtime -c "import mesa"``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import command, fmt_seconds, header, table

TARGET_SECONDS = 4.0

#: Runs ``escalation`` in-process with its phases timed; prints one JSON line at the end.
#: ``simulate_run`` is re-stated here (import, engine, tables) so that its three parts are timed
#: apart; it does what ``escalation.run.runs.simulate_run`` does.
DRIVER = r"""
import time
wall_start, clock_start = time.time(), time.perf_counter()
import json, sys
marks = []
def mark(label):
    marks.append((label, time.perf_counter()))
import escalation.cli.app as cli
import escalation.run.figures as plots
import escalation.run.runs as runs
mark("import escalation.cli.app (Hydra, OmegaConf, pandas)")

def wrap(module, name, before, after):
    original = getattr(module, name)
    def wrapper(*args, **kwargs):
        mark(before)
        result = original(*args, **kwargs)
        mark(after)
        return result
    setattr(module, name, wrapper)

def simulate_run(settings, *, trajectories=True, **options):
    mark("other")
    from escalation.model import EscalationModel
    mark("import Mesa (and SciPy, networkx) and the model")
    model = EscalationModel(settings).run()
    mark("simulate 1,000 replicates x 36 months")
    result = model.outcomes(), model.trajectories() if trajectories else None
    mark("build the outcomes and trajectories tables")
    return result

def draw_run_figures(*args, **kwargs):
    mark("other")
    plots.pyplot()
    mark("import matplotlib")
    # in this process, one phase after the other: the tables and the story first (their own
    # clocks), then the figures
    result = original_draw(*args, **{**kwargs, "workers": 1})
    mark("draw and save the 3 figures")
    return result

cli.simulate_run = simulate_run
wrap(
    cli,
    "settings_from_dictconfig",
    "Hydra: compose the config, make the run folder, set up logging",
    "validate the settings (escalation.config.validation)",
)
original_draw = runs.draw_run_figures
runs.draw_run_figures = draw_run_figures
wrap(runs, "summarize", "other", "summary statistics (intervals)")
wrap(runs, "write_tables", "other", "write outcomes.csv and trajectories.csv")
wrap(runs, "write_narrative", "other", "write narrative.md")
wrap(runs, "write_summary", "other", "other")
sys.argv = ["escalation", *sys.argv[1:]]
try:
    cli.main()
except SystemExit as stop:
    if stop.code:
        raise
mark("other")
phases = {}
previous = clock_start
for label, clock in marks:
    phases[label] = phases.get(label, 0.0) + clock - previous
    previous = clock
print(json.dumps({"wall_start": wall_start, "wall_end": time.time(), "phases": phases}))
"""

IMPORTS = {
    "numpy": "import numpy",
    "pandas": "import pandas",
    "Hydra and OmegaConf": "import hydra, omegaconf",
    "escalation.cli.app (all of the above)": "import escalation.cli.app",
    "mesa (pulls in SciPy, networkx)": "import mesa",
    "matplotlib and pyplot": "import matplotlib as m; m.use('Agg'); import matplotlib.pyplot",
    "scipy.stats (no longer imported by a run)": "import scipy.stats",
}


def wall_times(arguments: list[str], runs: int, folder: Path) -> list[float]:
    """Wall times of ``escalation ARGUMENTS`` in fresh processes."""
    times = []
    for number in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [command("escalation"), *arguments, f"hydra.run.dir={folder}/wall{number}"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return times


def phase_times(arguments: list[str], runs: int, folder: Path) -> dict[str, float]:
    """Median duration of each phase over instrumented runs in fresh processes."""
    samples: dict[str, list[float]] = {}
    for number in range(runs):
        started = time.time()
        result = subprocess.run(
            [sys.executable, "-c", DRIVER, *arguments, f"hydra.run.dir={folder}/phases{number}"],
            check=True,
            capture_output=True,
            text=True,
        )
        ended = time.time()
        report = json.loads(result.stdout.strip().splitlines()[-1])
        phases = {"interpreter start-up": report["wall_start"] - started}
        phases.update(report["phases"])
        phases["interpreter exit"] = ended - report["wall_end"]
        phases["total"] = ended - started
        for label, seconds in phases.items():
            samples.setdefault(label, []).append(seconds)
    medians = {label: statistics.median(values) for label, values in samples.items()}
    other = medians.pop("other", 0.0)
    total = medians.pop("total")
    medians["other (printing, atomic renames, bookkeeping)"] = other
    medians["total"] = total
    return medians


def import_times(repeats: int) -> dict[str, float]:
    """Fastest time to import each heavy package in a fresh interpreter."""
    results = {}
    for label, statement in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        results[label] = min(
            float(
                subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(repeats)
        )
    return results


def main() -> None:
    """Measure and print the three tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the command")
    parser.add_argument("--phase-runs", type=int, default=3, help="instrumented runs")
    parser.add_argument(
        "--import-repeats", type=int, default=3, help="fresh interpreters per package import"
    )
    parser.add_argument("arguments", nargs="*", help="overrides passed to escalation")
    args = parser.parse_args()

    shown = " ".join(args.arguments) or "(defaults: status_quo, 1,000 replicates, 36 months)"
    header(f"End-to-end `escalation {shown}`")
    with tempfile.TemporaryDirectory(prefix="escalation-bench-") as tmp:
        folder = Path(tmp)
        walls = wall_times(args.arguments, args.runs, folder)
        phases = phase_times(args.arguments, args.phase_runs, folder)
    best, median = min(walls), statistics.median(walls)
    print(
        table(
            ["command", "runs", "fastest", "median", "slowest"],
            [
                [
                    f"escalation {' '.join(args.arguments)}".strip(),
                    len(walls),
                    fmt_seconds(best),
                    fmt_seconds(median),
                    fmt_seconds(max(walls)),
                ]
            ],
        )
    )
    verdict = "met" if median < TARGET_SECONDS else "MISSED"
    print(f"\nMedian {median:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict}).\n")

    total = phases["total"]
    rows = [
        [label, fmt_seconds(seconds), f"{100 * seconds / total:.0f}%"]
        for label, seconds in phases.items()
        if label != "total"
    ]
    rows.append(["total (instrumented run)", fmt_seconds(total), "100%"])
    print(f"Where a run's time goes (median of {args.phase_runs} instrumented runs):\n")
    print(table(["phase", "time", "share"], rows))

    print("\nImporting each package alone, in a fresh interpreter (fastest of 3):\n")
    print(
        table(
            ["import", "time"],
            [
                [label, fmt_seconds(seconds)]
                for label, seconds in import_times(args.import_repeats).items()
            ],
        )
    )


if __name__ == "__main__":
    main()
