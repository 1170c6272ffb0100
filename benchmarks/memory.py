"""Peak memory against the number of replicates: the engine, its tables, the whole command.

    .venv/bin/python benchmarks/memory.py
    .venv/bin/python benchmarks/memory.py --sizes 1000 10000 100000 --cli-sizes 1000

Each measurement is a fresh process that reads its peak resident set size (``ru_maxrss``):

- engine: ``EscalationModel(settings).run()`` (state arrays and the preallocated trajectories);
- engine + tables: then the outcomes and trajectories DataFrames, as ``escalation`` holds them
  before writing;
- command: the whole ``escalation sim.replicates=N`` (writing files, figures), through a
  wrapper process that reads its child's peak.

"Added" is the peak minus the same process's resident size after its imports; bytes per
replicate are the least-squares slope of the added memory against replicates, so fixed costs
fall into the intercept.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from _common import command, header, table

LIMIT_BYTES = 2 * 1024**3

ENGINE = r"""
import json, resource, sys
from escalation.config.scenarios import load_settings
from escalation.model import EscalationModel
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
replicates, tables = int(sys.argv[1]), sys.argv[2] == "tables"
settings = load_settings("status_quo", replicates=replicates)
before = peak()
model = EscalationModel(settings).run()
if tables:
    outcomes, trajectories = model.outcomes(), model.trajectories()
print(json.dumps({"before": before, "peak": peak()}))
"""

CLI = r"""
import json, resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))
"""


def measure(code: str, *arguments: str) -> dict[str, int]:
    """Run ``code`` in a fresh interpreter; return the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of y against x."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in points)
    variance = sum((x - mean_x) ** 2 for x, _ in points)
    return covariance / variance if variance else float("nan")


def mib(size: float) -> str:
    """Bytes in MiB."""
    return f"{size / 1024**2:,.0f} MiB"


def trajectory_bytes_per_replicate(months: int) -> int:
    """What the preallocated trajectory arrays hold per replicate (their dtypes' sizes)."""
    import numpy as np

    from escalation.model.world import _TRAJECTORY_DTYPES

    return months * sum(np.dtype(dtype).itemsize for dtype in _TRAJECTORY_DTYPES.values())


def main() -> None:
    """Measure and print the memory table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 300_000])
    parser.add_argument("--cli-sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    args = parser.parse_args()

    header("Peak memory against replicates (36 months)")
    rows = []
    fits: dict[str, list[tuple[int, float]]] = {"engine": [], "engine + tables": []}
    for replicates in args.sizes:
        engine = measure(ENGINE, str(replicates), "engine")
        tables = measure(ENGINE, str(replicates), "tables")
        engine_added = engine["peak"] - engine["before"]
        tables_added = tables["peak"] - tables["before"]
        fits["engine"].append((replicates, engine_added))
        fits["engine + tables"].append((replicates, tables_added))
        rows.append(
            [
                f"{replicates:,}",
                mib(engine["before"]),
                mib(engine["peak"]),
                mib(engine_added),
                f"{engine_added / replicates:,.0f}",
                mib(tables["peak"]),
                mib(tables_added),
                f"{tables_added / replicates:,.0f}",
            ]
        )
    print(
        table(
            [
                "replicates",
                "after imports",
                "engine peak",
                "engine added",
                "B/replicate",
                "engine + tables peak",
                "added",
                "B/replicate",
            ],
            rows,
        )
    )
    stored = trajectory_bytes_per_replicate(36)
    print(
        f"\nSlope (least squares): engine {slope(fits['engine']):,.0f} bytes per replicate "
        f"({slope(fits['engine']) / 36:,.0f} per replicate-month; the trajectory arrays alone "
        f"hold {stored:,}); engine + tables {slope(fits['engine + tables']):,.0f} bytes per "
        "replicate."
    )

    if args.cli_sizes:
        rows = []
        with tempfile.TemporaryDirectory(prefix="escalation-bench-") as tmp:
            for replicates in args.cli_sizes:
                peak = measure(
                    CLI,
                    command("escalation"),
                    f"sim.replicates={replicates}",
                    f"hydra.run.dir={tmp}/run{replicates}",
                )["peak"]
                verdict = "yes" if peak < LIMIT_BYTES else "NO"
                rows.append([f"escalation sim.replicates={replicates}", mib(peak), verdict])
        print("\nThe whole command (tables written, figures drawn):\n")
        print(table(["command", "peak", "within 2 GiB"], rows))


if __name__ == "__main__":
    main()
