"""How long the classroom dashboard takes to redraw after a control changes.

    .venv/bin/python benchmarks/dashboard.py            # 1,000 replicates, 5 redraws per mode
    .venv/bin/python benchmarks/dashboard.py --replicates 5000 --runs 3

The page runs through Streamlit's ``AppTest`` (the script as the server runs it, without a
browser). Each redraw changes the seed, so nothing comes from the cache: the model runs, the
figures are drawn and the page is laid out again. The target is under 2 s for 1,000 replicates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from _common import fmt_seconds, header, table

TARGET_SECONDS = 2.0
APP = Path(__file__).resolve().parent.parent / "src" / "escalation" / "classroom" / "app.py"


def redraws(mode: str, replicates: int, runs: int) -> list[float]:
    """Wall times of ``runs`` redraws after a seed change, in one mode."""
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_file(str(APP), default_timeout=120)
    test.query_params.update({"mode": mode, "scenario": "instructors"})
    test.query_params["replicates"] = str(replicates)
    test.run()
    times = []
    for seed in range(1, runs + 1):
        started = time.perf_counter()
        test.number_input(key="instructors:seed").set_value(seed).run()
        times.append(time.perf_counter() - started)
        if test.exception:
            raise SystemExit(f"the page failed: {test.exception[0].message}")
    return times


def main() -> None:
    """Time redraws of one policy and of two compared, and print them against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    header("Dashboard redraw after a control changes")
    rows = []
    for mode in ("single", "compare"):
        times = redraws(mode, arguments.replicates, arguments.runs)
        median = statistics.median(times)
        rows.append(
            [
                mode,
                f"{arguments.replicates:,}",
                fmt_seconds(median),
                fmt_seconds(max(times)),
                f"{median / TARGET_SECONDS:.2f}",
            ]
        )
    print(table(["mode", "replicates", "median", "slowest", "median / 2 s target"], rows))


if __name__ == "__main__":
    main()
