"""Every benchmark script runs and prints its table (tiny sizes: checks the script, not speed).

The benchmarks are run by hand (docs/PERFORMANCE.md), so nothing else would notice when a change
breaks one: ``benchmarks/startup.py`` and ``benchmarks/sweep.py`` both did, silently. Speed is
never asserted here (a shared machine is noisy); each script's table and key lines are.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

# script, tiny arguments, lines its output must hold
SMOKE = [
    ("engine", ["--sizes", "10", "100", "--budget", "0.02"], ["| 100 |", "replicate-months/s"]),
    ("mesa_way", ["--replicates", "20"], ["batch_run", "slower than batched"]),
    ("memory", ["--sizes", "1000", "--cli-sizes"], ["Peak memory", "| 1,000 |"]),
    (
        "startup",
        [
            "--runs",
            "1",
            "--phase-runs",
            "1",
            "--import-repeats",
            "1",
            "sim.replicates=20",
            "sim.months=6",
        ],
        ["escalation sim.replicates=20 sim.months=6", "import"],
    ),
    (
        "sweep",
        [
            *("--replicates", "10", "--launchers", "basic", "--sample", "2"),
            *("--sweep", "ambiguity_vs_red_lines"),
        ],
        ["ambiguity_vs_red_lines", "| basic |", " 4 in ", "Hydra: compose the job's config"],
    ),
    ("dashboard", ["--replicates", "50", "--runs", "1"], ["| single |", "| compare |"]),
    ("setup", ["--installs", "0", "--runs", "1", "--out", "-"], ["a default run", "load average"]),
    (
        "calibrate",
        ["--particles", "12", "--generations", "1", "--replicates", "2", "--repeats", "1"],
        ["wall time", "batching gain"],
    ),
    (
        "parallel",
        ["--replicates", "300", "--chunk", "100", "--repeats", "1"],
        ["| 2 | 1 |", "of the parallel capacity", "identical: yes"],
    ),
    (
        "tables",
        ["--sizes", "50", "--repeats", "1"],
        ["| 50 x 36 months |", "write ratio", "load average"],
    ),
    (
        "worlds",
        ["--replicates", "20", "--repeats", "1"],
        ["`policy_grid` sweep (batched)", "`simulate_many`, 54 policies", "1 alternating repeats"],
    ),
    (
        "batched",
        ["--smoke"],
        ["basic sweeper", "`simulate_many`", "BatchEvaluator", "`hydra/launcher=joblib`"],
    ),
]


def test_every_benchmark_script_is_smoke_tested():
    scripts = {path.stem for path in BENCHMARKS.glob("*.py") if not path.stem.startswith("_")}
    assert scripts - {"all"} == {name for name, _, _ in SMOKE}


@pytest.mark.parametrize(("name", "arguments", "expected"), SMOKE, ids=[s[0] for s in SMOKE])
def test_benchmark_script_runs_and_prints_its_table(name, arguments, expected, tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0
    assert "|---" in result.stdout
    printed = re.sub(r" +", " ", result.stdout)  # table columns are padded to their width
    missing = [line for line in expected if line not in printed]
    assert missing == []
    assert list(tmp_path.iterdir()) == []  # scratch folders are the scripts' own, and removed
