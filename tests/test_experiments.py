"""The experiments in experiments/ run, in a reduced form, and show what they claim."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


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
