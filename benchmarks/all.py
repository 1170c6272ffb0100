"""Run every benchmark, one after the other (never two at once), printing each table.

    .venv/bin/python benchmarks/all.py            # about 7 minutes on 2 cores
    .venv/bin/python benchmarks/all.py engine memory

``dashboard.py`` is left out: it needs the dashboard extra (``make test`` installs it); run it
on its own.

The tables are Markdown, as pasted into docs/PERFORMANCE.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "engine",
    "mesa_way",
    "startup",
    "sweep",
    "batched",
    "worlds",
    "parallel",
    "memory",
    "tables",
]


def main() -> None:
    """Run the named benchmarks (all by default) in order."""
    names = sys.argv[1:] or ORDER
    unknown = [name for name in names if name not in ORDER]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; available: {', '.join(ORDER)}")
    failed = []
    for name in names:
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(HERE / f"{name}.py")])
        if result.returncode:
            failed.append(name)
        print(f"\n({name}.py took {time.perf_counter() - started:.0f} s)\n", flush=True)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
