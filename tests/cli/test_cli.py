"""The `escalation` command as a user runs it: scenarios, files, determinism, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from escalation.config.scenarios import available_scenarios
from escalation.run.results import PROBABILITIES
from escalation.scope import EXCLUDED_PATHWAYS, scope_lines, scope_markdown

ESCALATION = shutil.which("escalation", path=str(Path(sys.executable).parent))
RUN_FILES = [
    "outcomes.csv",
    "trajectories.csv",
    "summary.json",
    "narrative.md",
    "figures/escalation_ladder.png",
    "figures/outcome_probabilities.png",
    "figures/ukraine_position.png",
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [ESCALATION, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_console_script_is_installed():
    assert ESCALATION is not None


@pytest.mark.parametrize("scenario", sorted(available_scenarios()))
def test_every_scenario_runs_and_writes_every_file(tmp_path, scenario):
    result = run_cli(f"scenario={scenario}", "sim.replicates=40", "hydra.run.dir=run", cwd=tmp_path)
    assert result.returncode == 0
    run = tmp_path / "run"
    for name in RUN_FILES:
        assert (run / name).is_file()
        assert (run / name).stat().st_size > 0
    assert not list(run.rglob("*.tmp"))
    outcomes = pd.read_csv(run / "outcomes.csv")
    assert len(outcomes) == 40
    summary = json.loads((run / "summary.json").read_text())
    assert summary["scenario"] == scenario
    assert summary["replicates"] == 40
    assert summary["config"]["scenario"]["name"] == scenario
    assert set(summary["probabilities"]) == set(PROBABILITIES)
    conflict = summary["probabilities"]["direct_conflict"]
    assert conflict["p"] == pytest.approx(outcomes["direct_conflict"].mean())
    assert conflict["low"] <= conflict["p"] <= conflict["high"]
    trajectories = pd.read_csv(run / "trajectories.csv")
    assert len(trajectories) == 40 * summary["months"]
    assert "NATO-Russia war" in result.stdout
    assert "Lethal NATO-Russia engagement" in result.stdout
    assert "\n".join(scope_lines()) in result.stdout
    assert summary["excluded_pathways"] == list(EXCLUDED_PATHWAYS)
    assert (run / "narrative.md").read_text(encoding="utf-8").endswith(scope_markdown())
    assert str(run.resolve()) in result.stdout or "run" in result.stdout


def test_same_seed_gives_byte_identical_outcomes_and_another_seed_differs(tmp_path):
    args = ("scenario=instructors", "sim.replicates=200", "sim.figures=false")
    for folder, seed in (("a", 5), ("b", 5), ("c", 6)):
        result = run_cli(*args, f"seed={seed}", f"hydra.run.dir={folder}", cwd=tmp_path)
        assert result.returncode == 0
    first = (tmp_path / "a" / "outcomes.csv").read_bytes()
    assert first == (tmp_path / "b" / "outcomes.csv").read_bytes()
    assert first != (tmp_path / "c" / "outcomes.csv").read_bytes()
    trajectories = (tmp_path / "a" / "trajectories.csv").read_bytes()
    assert trajectories == (tmp_path / "b" / "trajectories.csv").read_bytes()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("policy.troops=banana", "policy.troops: invalid value 'banana'; allowed: none, noncombat"),
        ("sim.replicates=0", "sim.replicates=0 is out of range: must be >= 1"),
        ("scenario=nope", "unknown scenario 'nope'; available: deep_strikes, history, instructors"),
        ("seed=abc", "seed: Value 'abc' of type 'str' could not be converted to Integer"),
        (
            "uncertainty.follow_through.high=1.5",
            "uncertainty.follow_through.high=1.5 is out of range: must be between 0 and 1",
        ),
        ("policy.colour=blue", "unknown key 'policy.colour'; allowed keys here: instructors"),
        ("+policy.colour=blue", "unknown key 'policy.colour'; allowed keys here: instructors"),
        ("sim.months=-1", "sim.months=-1 is out of range: must be between 1 and 600"),
        ("uncertainty.nato_cohesion.low=2.5", "uncertainty.nato_cohesion: low=2.5 is above high"),
    ],
)
def test_bad_input_gives_one_line_and_leaves_nothing(tmp_path, override, expected):
    result = run_cli(override, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"escalation: error: {lines[0].removeprefix('escalation: error: ')}"]
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_list_scenarios_shows_names_and_descriptions(tmp_path):
    result = run_cli("--list-scenarios", cwd=tmp_path)
    assert result.returncode == 0
    for name, scenario in available_scenarios().items():
        assert f"{name}: {scenario.title}" in result.stdout
    assert "Le Monde" in result.stdout


def test_cfg_job_prints_the_composed_config_without_running(tmp_path):
    result = run_cli("scenario=troops", "policy.posture=red_lines", "--cfg", "job", cwd=tmp_path)
    assert result.returncode == 0
    assert "posture: red_lines" in result.stdout
    assert "troops: noncombat" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_help_lists_scenarios_and_levers(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert (
        "scenario: deep_strikes, history, instructors, status_quo, template, troops"
        in result.stdout
    )
    assert "policy.troops (none|noncombat|combat)" in result.stdout


def test_trajectories_false_writes_the_same_outcomes_without_trajectories(tmp_path):
    args = ("scenario=troops", "sim.replicates=100", "seed=3")
    for folder, keep in (("with", "true"), ("without", "false")):
        result = run_cli(*args, f"sim.trajectories={keep}", f"hydra.run.dir={folder}", cwd=tmp_path)
        assert result.returncode == 0
    without = tmp_path / "without"
    assert sorted(p.name for p in without.iterdir()) == [
        ".escalation",  # the mark of a folder escalation made (escalation.files.MARKER)
        ".hydra",
        "escalation.log",
        "outcomes.csv",
        "summary.json",
    ]
    outcomes = (without / "outcomes.csv").read_bytes()
    assert outcomes == (tmp_path / "with" / "outcomes.csv").read_bytes()
    assert f"Wrote outcomes.csv and summary.json to\n  {without}" in result.stdout


def test_api_refuses_nan_and_runs_too_large_for_memory():
    from escalation.api import simulate
    from escalation.config.schema import ConfigError

    with pytest.raises(ConfigError, match=r"^follow_through|uncertainty.follow_through.low=nan"):
        simulate(replicates=10, follow_through=float("nan"))
    with pytest.raises(ConfigError, match=r"sim.replicates=1,000,000,000 x sim.months=36 needs"):
        simulate(replicates=10**9)
