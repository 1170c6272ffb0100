"""The experiments in experiments/ run, in a reduced form, and show what they claim."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
sys.path.insert(0, str(EXPERIMENTS))  # the experiments import their _common module


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def posture_table():
    table = load("posture_regimes").compare(replicates=1500, seed=11)
    return table.set_index(["regime", "posture"])["russian_retaliation"]


def test_regime_a_ambiguity_deters_retaliation(posture_table):
    """Regime A (no alarm, high cost sensitivity): measured 0.28 vs 0.86 at 4000 replicates."""
    (regime,) = [r for r in posture_table.index.levels[0] if r.startswith("A")]
    ambiguity, red_lines = posture_table[regime, "ambiguity"], posture_table[regime, "red_lines"]
    assert ambiguity < 0.40
    assert red_lines > 0.75


def test_regime_b_ambiguity_alarms_and_provokes_retaliation(posture_table):
    """Regime B (strong alarm, low cost sensitivity): measured 0.91 vs 0.00 at 4000 replicates."""
    (regime,) = [r for r in posture_table.index.levels[0] if r.startswith("B")]
    ambiguity, red_lines = posture_table[regime, "ambiguity"], posture_table[regime, "red_lines"]
    assert ambiguity > 0.80
    assert red_lines < 0.05


def test_posture_regimes_command_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / "posture_regimes.py"), "--replicates", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["regime", "posture", "russian_retaliation", "direct_conflict"]
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("instructors_step", ["**instructors inside**", "What each step adds to the one before"]),
        ("ambiguity_vs_red_lines", ["**Instructors inside Ukraine.**", "cells of assumptions"]),
        ("deep_strikes", ["**Under declared red lines.**", "Authorized strikes add"]),
    ],
)
def test_experiment_runs_its_sweep_and_writes_figure_and_reading(tmp_path, name, expected):
    out = tmp_path / name
    result = subprocess.run(
        [
            sys.executable,
            str(EXPERIMENTS / f"{name}.py"),
            "--replicates",
            "60",
            "--launcher",
            "basic",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    reading = (out / "reading.md").read_text()
    for text in expected:
        assert text in reading
    assert (out / "figures" / f"{name}.png").stat().st_size > 10_000
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["replicates"] == 60).all()
    # the first policy's probability, as the reading quotes it, comes from the gathered summary
    column = "russian_retaliation" if name == "ambiguity_vs_red_lines" else "direct_conflict"
    first = summary.iloc[0]
    quoted = f"{first[column]:.1%} [{first[column + '_low']:.1%}, {first[column + '_high']:.1%}]"
    assert quoted in reading


def test_instructors_step_increments_are_paired_differences(tmp_path):
    module = load("instructors_step")
    common = load("_common")
    outcomes = pd.DataFrame(
        {
            "job": [0, 0, 0, 1, 1, 1],
            "replicate": [0, 1, 2, 0, 1, 2],
            "direct_conflict": [0, 0, 1, 1, 0, 1],
        }
    )
    change = common.paired_difference(outcomes, "direct_conflict", after=1, before=0)
    assert change["mean"] == pytest.approx(1 / 3)
    assert change["low"] < change["mean"] < change["high"]
    assert [step for step, *_ in module.STEPS][2] == "instructors inside"
