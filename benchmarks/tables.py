"""Writing and reading a run's tables: CSV against Parquet (``sim.tables``), as ratios in one run.

    .venv/bin/python benchmarks/tables.py
    .venv/bin/python benchmarks/tables.py --sizes 1000 10000 --repeats 5

For each size, one default run (status quo, 36 months) is simulated once; then its outcomes and
trajectories tables are written as ``escalation`` writes them (``escalation.run.results.
write_tables``, atomic, CSV text cells escaped, Parquet's real numbers rounded as CSV writes
them), alternately in each format, into a temporary folder, and read back as ``escalation-report``
reads them. The best of the repeats is shown (the least disturbed); the ratio is CSV's time over
Parquet's. Needs the parquet extra (pyarrow).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from _common import fmt_seconds, header, table, timed

TABLES = ("outcomes", "trajectories")


def main() -> None:
    """Time writing and reading the tables in both formats at each size; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()

    from escalation.config.scenarios import load_settings
    from escalation.run.results import read_outcomes, read_trajectories, write_tables
    from escalation.run.runs import simulate_run
    from escalation.run.tables import table_file

    header("Writing a run's tables: CSV against Parquet (sim.tables)")
    rows = []
    for replicates in arguments.sizes:
        outcomes, trajectories = simulate_run(load_settings(replicates=replicates))
        best = {}
        sizes = {}
        with tempfile.TemporaryDirectory() as folder:
            for tables in ("csv", "parquet"):  # warm-up: imports, pyarrow's first call
                write_tables(Path(folder) / tables, outcomes, trajectories, tables)
            for _ in range(arguments.repeats):
                for tables in ("csv", "parquet"):
                    where = Path(folder) / tables
                    (write,) = timed(
                        lambda: write_tables(where, outcomes, trajectories, tables),  # noqa: B023
                        1,
                    )
                    paths = [where / table_file(name, tables) for name in TABLES]
                    (read,) = timed(
                        lambda: (read_outcomes(paths[0]), read_trajectories(paths[1])),  # noqa: B023
                        1,
                    )
                    old = best.get(tables, (float("inf"), float("inf")))
                    best[tables] = (min(old[0], write), min(old[1], read))
                    sizes[tables] = sum(os.path.getsize(path) for path in paths)
        rows.append(
            [
                f"{replicates:,} x 36 months",
                fmt_seconds(best["csv"][0]),
                fmt_seconds(best["parquet"][0]),
                f"{best['csv'][0] / best['parquet'][0]:.1f}x",
                fmt_seconds(best["csv"][1]),
                fmt_seconds(best["parquet"][1]),
                f"{best['csv'][1] / best['parquet'][1]:.1f}x",
                f"{sizes['csv'] / 2**20:.1f} / {sizes['parquet'] / 2**20:.1f} MiB",
            ]
        )
    columns = [
        "replicates", "write CSV", "write Parquet", "write ratio", "read CSV", "read Parquet",
        "read ratio", "size CSV / Parquet",
    ]  # fmt: skip
    print(table(columns, rows))
    print(
        f"\nBest of {arguments.repeats}; ratio = CSV's time / Parquet's; load average "
        f"{' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
