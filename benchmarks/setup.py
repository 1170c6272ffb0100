"""The set-up times and sizes the docs quote, measured on this machine and written as ranges.

    .venv/bin/python benchmarks/setup.py                  # writes docs/includes/setup-times.md
    .venv/bin/python benchmarks/setup.py --installs 1 --runs 2 --out -    # print it only

A fresh clone of this repository's committed state (``git clone``) runs ``make run`` with empty
pip and uv caches, ``--installs`` times; each time the wall time of ``make run`` (install and
the default run) and the size of ``.venv`` are measured. Then the default ``escalation`` run
(1,000 replicates, 36 months, figures) is timed ``--runs`` times from that clone. The page
snippet gives each as a range (fewest to most), with the machine, its cores and its load average
before and after, since a shared machine's load moves every number (the docs include it with
``--8<-- "setup-times.md"``). ``--installs 0`` skips the clone and times this environment's
runs only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, table

SNIPPET = ROOT / "docs" / "includes" / "setup-times.md"


def folder_size(path: Path) -> int:
    """Bytes of every regular file under ``path`` (symbolic links not followed)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def span(values: list[float], unit: str, digits: int = 0) -> str:
    """``"12-15 s"``: the fewest and most of the values, or one value."""
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f} {unit}"
    return f"{low:.{digits}f}-{high:.{digits}f} {unit}"


def load() -> str:
    """The 1-minute load average."""
    return f"{os.getloadavg()[0]:.1f}"


def fresh_install(scratch: Path) -> tuple[float, int, Path]:
    """Clone the repository, run ``make run`` with empty caches; its seconds, .venv bytes, clone."""
    clone = scratch / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {
        **os.environ,
        "PIP_CACHE_DIR": str(scratch / "pip-cache"),
        "UV_CACHE_DIR": str(scratch / "uv-cache"),
    }
    for cache in ("pip-cache", "uv-cache"):
        shutil.rmtree(scratch / cache, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["make", "run"], cwd=clone, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    return seconds, folder_size(clone / ".venv"), clone


def default_runs(program: Path, runs: int, scratch: Path) -> list[float]:
    """Wall seconds of ``escalation`` with the default config, each into a new folder."""
    times = []
    for index in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [str(program), f"hydra.run.dir={scratch / f'run{index}'}"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    """Measure, then write (or print) the snippet."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installs", type=int, default=2, help="fresh clones installed (2)")
    parser.add_argument("--runs", type=int, default=3, help="default runs timed (3)")
    parser.add_argument("--out", default=str(SNIPPET), help="snippet file, or - to print only")
    options = parser.parse_args()
    before = load()
    rows = []
    with tempfile.TemporaryDirectory(prefix="escalation-setup-") as name:
        scratch = Path(name)
        program = Path(sys.executable).parent / "escalation"
        installs = [fresh_install(scratch) for _ in range(options.installs)]
        if installs:
            seconds = [s for s, _, _ in installs]
            sizes = [b / 2**20 for _, b, _ in installs]
            rows.append(["`make run` on a fresh clone (install and first run)", span(seconds, "s")])
            rows.append(["size of `.venv` after `make run`", span(sizes, "MB")])
            program = installs[-1][2] / ".venv" / "bin" / "escalation"
        runs = default_runs(program, options.runs, scratch)
        rows.append(
            ["a default run, `escalation` (1,000 replicates, 36 months)", span(runs, "s", 1)]
        )
    text = (
        table(["what", "took"], rows)
        + f"\n\nMeasured by `python benchmarks/setup.py` ({options.installs} fresh installs with "
        f"empty caches, {options.runs} runs) on {machine()}; load average {before} before, "
        f"{load()} after. Expect other numbers on another machine or under another load.\n"
    )
    if options.out == "-":
        print(text, end="")
        return
    Path(options.out).write_text(text, encoding="utf-8")
    print(text, end="")
    print(f"Wrote {options.out}")


if __name__ == "__main__":
    main()
