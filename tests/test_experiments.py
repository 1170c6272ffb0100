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
    table = load("posture_regimes").compare(replicates=20000, seed=11)
    return table.set_index(["regime", "outcome"])


def regime(table: pd.DataFrame, letter: str) -> pd.DataFrame:
    (name,) = [r for r in table.index.levels[0] if r.startswith(letter)]
    return table.loc[name]


def test_regime_a_ambiguity_escalates_less(posture_table):
    """alpha 1, alarm 0: the worst case deters. Measured (20,000 paired replicates, 12 months):
    clash or conflict 5.2% -> 3.4%, -1.8 points [-2.0, -1.6]; retaliation 71.3% -> 61.4%, -9.9
    points [-10.3, -9.5]."""
    rows = regime(posture_table, "A")
    for outcome, margin in (("contained_clash", 0.01), ("russian_retaliation", 0.05)):
        assert rows.loc[outcome, "high"] < -margin  # the whole 95% interval below 0, by a margin
        assert rows.loc[outcome, "low"] <= rows.loc[outcome, "change"] <= rows.loc[outcome, "high"]


def test_regime_b_ambiguity_escalates_more(posture_table):
    """alpha 0, alarm 0.5: the best case emboldens and what is not excluded alarms. Measured
    (12 months): clash or conflict 5.0% -> 7.8%, +2.8 points [+2.6, +3.1]; retaliation 70.0% ->
    78.1%, +8.1 points [+7.7, +8.4].

    Retaliation needs Russia to enforce its line (follow-through 0.8), so it stays below 80%
    under either posture; over 36 months it reaches 79.8% under both, and the posture moves it by
    less than half a point (experiments/posture_regimes.py, ``MONTHS``)."""
    rows = regime(posture_table, "B")
    for outcome, margin in (("contained_clash", 0.01), ("russian_retaliation", 0.05)):
        assert rows.loc[outcome, "low"] > margin  # the whole 95% interval above 0, by a margin
        assert rows.loc[outcome, "low"] <= rows.loc[outcome, "change"] <= rows.loc[outcome, "high"]
    assert rows.loc["russian_retaliation", "ambiguity"] <= 0.8 + 0.01  # within follow-through


def test_regimes_differ_only_in_the_assumptions_that_decide_the_sign():
    regimes = list(load("posture_regimes").REGIMES.values())
    differing = {name for name in regimes[0] if regimes[0][name] != regimes[1][name]}
    assert differing == {"ambiguity_aversion", "ambiguity_alarm"}


def test_posture_regimes_command_prints_the_table():
    result = subprocess.run(
        [sys.executable, str(EXPERIMENTS / "posture_regimes.py"), "--replicates", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    header = ["regime", "outcome", "red_lines", "ambiguity", "change", "low", "high"]
    assert lines[0].split() == header
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("instructors_step", ["**instructors inside**", "What each step adds to the one before"]),
        (
            "ambiguity_vs_red_lines",
            [
                "**Instructors inside Ukraine.**",
                "cells of assumptions",
                "by α and cost_sensitivity",
            ],
        ),
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
    assert result.returncode == 0
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


def test_policy_grid_redraws_the_readme_figures_and_quotes_the_gathered_summary(tmp_path):
    out, docs = tmp_path / "policy_grid", tmp_path / "docs"
    command = [sys.executable, str(EXPERIMENTS / "policy_grid.py"), "--replicates", "30"]
    command += ["--launcher", "basic", "--out", str(out), "--docs", str(docs)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(path.name for path in docs.iterdir()) == [
        "policy_grid_heatmap.png",
        "policy_grid_tradeoff.png",
    ]
    assert (docs / "policy_grid_tradeoff.png").read_bytes() == (
        out / "figures" / "tradeoff.png"
    ).read_bytes()
    summary = pd.read_csv(out / "summary.csv")
    reading = (out / "reading.md").read_text()
    low = summary["direct_conflict"].min()
    assert f"ranges from {low:.1%}" in reading
    job = summary.loc[summary["job"] == 12].iloc[0]
    assert f"[job 12/54] instructors={job['instructors']} troops={job['troops']}" in reading
    combat = summary.loc[summary["troops"] == "combat", "direct_conflict"].mean()
    assert f"combat troops {combat:.1%}" in reading


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


def test_posture_map_cells_show_both_signs_of_the_effect_on_clashes():
    """The headline figure's corners at cost sensitivity 3 (20,000 paired replicates each):
    alpha 1 -> ambiguity fewer clashes; alpha 0 -> more. Measured -4.7 and +6.3 points."""
    module = load("ambiguity_vs_red_lines")
    averse = module.posture_change(20000, 20241001, ambiguity_aversion=1.0, cost_sensitivity=3.0)
    bold = module.posture_change(20000, 20241001, ambiguity_aversion=0.0, cost_sensitivity=3.0)
    assert averse["contained_clash"]["high"] < 0
    assert bold["contained_clash"]["low"] > 0
    assert bold["russian_retaliation"]["low"] > 0
