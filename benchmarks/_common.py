"""Helpers shared by the benchmark scripts: the machine, tables, timing, the project's commands.

Every script measures speed as numbers from one run on one machine; compare ratios within a run,
not absolute times across machines (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# The engine is measured on one core: numpy's element-wise operations are single-threaded, and
# no BLAS call should start threads behind the measurement's back.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def command(name: str) -> str:
    """Path of a console script installed beside this Python (``escalation``)."""
    path = BIN / name
    if not path.exists():
        sys.exit(f"{path} not found: install the project first (make test, or pip install -e .)")
    return str(path)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or what the platform says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    """One line describing the machine and the versions that matter for speed."""
    from importlib.metadata import version

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("numpy", "pandas", "mesa", "hydra-core")
    )
    return (
        f"{cores} cores ({cpu_model()}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {packages}"
    )


def header(title: str) -> None:
    """Print a benchmark's title and the machine it runs on."""
    print(f"## {title}\n")
    print(f"machine: {machine()}\n", flush=True)


#: A CPU-bound loop that prints its own duration.
SPIN = "import time\nt = time.perf_counter()\nfor i in range(5_000_000): pass\n" + (
    "print(time.perf_counter() - t)"
)


def parallel_capacity() -> float:
    """Cores' worth of throughput: how much work all cores do at once, relative to one alone.

    Times a CPU-bound loop in one process, then in one process per core at once. A machine
    whose cores are shared (a virtual machine on a busy host) can show fewer than ``nproc``.
    """
    import subprocess

    def spin(processes: int) -> list[float]:
        children = [
            subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
            for _ in range(processes)
        ]
        return [float(child.communicate()[0]) for child in children]

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    alone = min(spin(1)[0] for _ in range(2))
    together = max(spin(cores or 1))
    return (cores or 1) * alone / together


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: the first column left-aligned, numbers right-aligned."""
    cells = [[str(c) for c in columns], *[[str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]

    def line(row: Sequence[str]) -> str:
        first = [row[0].ljust(widths[0])]
        rest = [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        return "| " + " | ".join(first + rest) + " |"

    rule = "|:" + "-" * (widths[0] + 1) + "|" + "|".join("-" * (w + 1) + ":" for w in widths[1:])
    rule += "|"
    return "\n".join([line(cells[0]), rule, *[line(row) for row in cells[1:]]])


def timed(function: Callable[[], object], repeats: int) -> list[float]:
    """Wall times in seconds of ``repeats`` calls of ``function``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def best_and_median(times: Sequence[float]) -> tuple[float, float]:
    """The fastest and the median of repeated timings (the fastest is the least disturbed)."""
    return min(times), statistics.median(times)


def fmt_seconds(seconds: float) -> str:
    """A duration with a sensible unit."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(per_second: float) -> str:
    """A rate in thousands or millions per second."""
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f} k"
    return f"{per_second:.0f}"
