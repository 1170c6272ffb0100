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
    """alpha 1, alarm 0: the worst case deters. Measured (model v3, 20,000 paired replicates,
    12 months): clash or war 31.6% -> 23.5%, -8.1 points [-8.4, -7.7]; retaliation 44.5% ->
    34.4%, -10.1 points [-10.5, -9.7]."""
    rows = regime(posture_table, "A")
    for outcome, margin in (("contained_clash", 0.01), ("russian_retaliation", 0.05)):
        assert rows.loc[outcome, "high"] < -margin  # the whole 95% interval below 0, by a margin
        assert rows.loc[outcome, "low"] <= rows.loc[outcome, "change"] <= rows.loc[outcome, "high"]


def test_regime_b_ambiguity_escalates_more(posture_table):
    """alpha 0, alarm 0.5: the best case emboldens and what is not excluded alarms. Measured
    (model v3, 12 months): clash or war 31.8% -> 46.7%, +14.8 points [+14.4, +15.3];
    retaliation 44.5% -> 60.2%, +15.7 points [+15.2, +16.2].

    Retaliation needs Russia to enforce its line (follow-through 0.8), so it stays below 80%
    under either posture (experiments/posture_regimes.py, ``MONTHS``)."""
    rows = regime(posture_table, "B")
    for outcome, margin in (("contained_clash", 0.01), ("russian_retaliation", 0.05)):
        assert rows.loc[outcome, "low"] > margin  # the whole 95% interval above 0, by a margin
        assert rows.loc[outcome, "low"] <= rows.loc[outcome, "change"] <= rows.loc[outcome, "high"]
    assert rows.loc["russian_retaliation", "ambiguity"] <= 0.8 + 0.01  # within follow-through


def test_regimes_differ_only_in_the_assumptions_that_decide_the_sign():
    regimes = list(load("posture_regimes").REGIMES.values())
    differing = {name for name in regimes[0] if regimes[0][name] != regimes[1][name]}
    assert differing == {"ambiguity_aversion", "ambiguity_alarm"}


def test_regimes_lie_within_the_configured_ranges():
    """Both regimes are values the model samples (conf/uncertainty/default.yaml), not outside
    them: the signs they show are reachable by the default runs."""
    from escalation.config.sampling import uncertainty_ranges
    from escalation.config.scenarios import load_settings

    ranges = uncertainty_ranges(load_settings("instructors"))
    for assumptions in load("posture_regimes").REGIMES.values():
        for name, value in assumptions.items():
            low, high = ranges[name]
            assert low <= value <= high


def test_instructors_cross_the_regimes_red_line_and_the_record_does_not():
    """The regimes' premise: Russia's measured involvement stays below the red line until the
    instructors arrive (month 4), then lies above it in every replicate."""
    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    regimes = load("posture_regimes")
    (assumptions, *_) = regimes.REGIMES.values()
    settings = load_settings(
        "instructors", replicates=500, seed=1, posture="red_lines", **assumptions, **regimes.POINT
    )
    model = EscalationModel(settings)
    threshold = assumptions["red_line_threshold"]
    for month in range(1, regimes.MONTHS + 1):
        model.step()
        if month < 4:
            assert model.russia.involvement.max() < threshold
        else:
            assert model.russia.involvement.min() > threshold


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
    assert result.returncode == 0
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
    """The headline figure's alpha x alarm map (36 months, 20,000 paired replicates per cell,
    the other assumptions sampled). Without alarm, alpha decides the sign: alpha 1 -> ambiguity
    fewer clashes, alpha 0 -> more; at the top of the alarm's range ambiguity escalates more even
    at alpha 1, since what is not excluded makes Russia see more involvement, and retaliation
    too. Measured (model v3): -4.7, +4.8 and +13.7 points of clash or war; +18.4 points of
    retaliation."""
    module = load("ambiguity_vs_red_lines")
    low_alarm, high_alarm = module.AXES["ambiguity_alarm"][0][[0, -1]]

    def cell(alpha: float, alarm: float) -> dict:
        return module.posture_change(
            20000, 20241001, ambiguity_aversion=alpha, ambiguity_alarm=alarm
        )

    averse, bold, alarmed = cell(1.0, low_alarm), cell(0.0, low_alarm), cell(1.0, high_alarm)
    assert averse["contained_clash"]["high"] < 0
    assert bold["contained_clash"]["low"] > 0
    assert alarmed["contained_clash"]["low"] > 0
    assert alarmed["russian_retaliation"]["low"] > 0


def test_policy_differences_writes_the_readme_headline_between_its_markers(tmp_path):
    """The README's headline table is written by the experiment, never typed: one row per French
    option but the status quo (the baseline), each change = P(option) − P(status quo)."""
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- headline:start -->\nold table\n<!-- headline:end -->\n\nrest\n")
    result = subprocess.run(
        [
            sys.executable,
            str(EXPERIMENTS / "policy_differences.py"),
            *("--replicates", "40", "--draws", "4", "--readme", str(readme)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    text = readme.read_text()
    assert text.startswith("# x\n\n<!-- headline:start -->\nChange in P(NATO-Russia war)")
    assert text.endswith("<!-- headline:end -->\n\nrest\n")
    assert "old table" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ")][1:]  # after the header
    options = load("policy_differences").OPTIONS
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == list(options)[1:]
    status_quo = float(text.split("Status quo: P(war) ")[1].split("%")[0])
    for row in rows:
        cells = row.split(" | ")
        assert float(cells[2]) == pytest.approx(float(cells[1].rstrip("%")) - status_quo, abs=0.11)
