"""Students' near misses (issue 24): suggestions, booleans and timings that cannot take effect.

- A near miss of a scenario, a lever value or a key is answered with the closest name
  (``did you mean 'X'?`` before the list of what is allowed); with no close match the line is
  as it always was.
- A boolean key takes only ``true`` or ``false``.
- A timing given for a measure the policy never takes warns, in one line, that it has no effect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import escalation
from escalation.cli import app as cli
from escalation.config.changes import run_changes
from escalation.config.dates import absent_measures
from escalation.config.schema import ConfigError
from escalation.config.validation import did_you_mean

BIN = Path(sys.executable).parent
SCENARIOS = "deep_strikes, history, instructors, status_quo, template, troops"
POLICY_KEYS = (
    "instructors, troops, deep_strikes, posture, aid, advanced_weapons, new_weapons, timing"
)


def refusal(arguments: list[str], monkeypatch, capsys) -> str:
    """The one line ``escalation ARGUMENTS`` refuses with (status 2, nothing on stdout)."""
    monkeypatch.setattr(sys, "argv", ["escalation", *arguments])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    return line


# -- did you mean ----------------------------------------------------------------------------------

NEAR_MISSES = [
    (
        ["scenario=instructor"],
        f"unknown scenario 'instructor'; did you mean 'instructors'? available: {SCENARIOS}",
    ),
    (
        ["policy.troops=combt"],
        "policy.troops: invalid value 'combt'; did you mean 'combat'? allowed: none, noncombat, "
        "combat",
    ),
    (
        ["policy.trops=none"],
        f"unknown key 'policy.trops'; did you mean 'policy.troops'? allowed keys here: "
        f"{POLICY_KEYS}",
    ),
    (
        ["policy.posture=redlines"],
        "policy.posture: invalid value 'redlines'; did you mean 'red_lines'? allowed: red_lines, "
        "ambiguity",
    ),
    (
        ["--show-scenario", "troop"],
        f"unknown scenario 'troop'; did you mean 'troops'? available: {SCENARIOS}",
    ),
    # No close match: the line the docs show, unchanged.
    (
        ["policy.troops=banana"],
        "policy.troops: invalid value 'banana'; allowed: none, noncombat, combat",
    ),
    (["scenario=nope"], f"unknown scenario 'nope'; available: {SCENARIOS}"),
    (["policy.xyz=1"], f"unknown key 'policy.xyz'; allowed keys here: {POLICY_KEYS}"),
]


@pytest.mark.parametrize(("arguments", "message"), NEAR_MISSES, ids=lambda a: str(a))
def test_a_near_miss_is_answered_with_the_closest_name(arguments, message, monkeypatch, capsys):
    assert refusal(arguments, monkeypatch, capsys) == f"escalation: error: {message}"


def test_the_api_suggests_the_same_names():
    with pytest.raises(ConfigError) as error:
        escalation.simulate("instructor", replicates=5)
    assert str(error.value) == (
        f"unknown scenario 'instructor'; did you mean 'instructors'? available: {SCENARIOS}"
    )
    with pytest.raises(ConfigError) as error:
        escalation.simulate("status_quo", replicates=5, troops="combt")
    assert str(error.value) == (
        "policy.troops: invalid value 'combt'; did you mean 'combat'? allowed: none, noncombat, "
        "combat"
    )
    with pytest.raises(ConfigError) as error:
        escalation.simulate("status_quo", replicates=5, **{"policy.trops": "none"})
    assert str(error.value) == (
        f"unknown key 'policy.trops'; did you mean 'policy.troops'? allowed keys here: "
        f"{POLICY_KEYS}"
    )


@pytest.mark.parametrize(
    ("value", "choices", "prefix", "said"),
    [
        ("combt", ["none", "noncombat", "combat"], "", "did you mean 'combat'? "),
        ("trops", ["troops", "timing"], "policy.", "did you mean 'policy.troops'? "),
        ("banana", ["none", "noncombat", "combat"], "", ""),
        ("", ["none"], "", ""),
    ],
)
def test_did_you_mean_names_the_closest_choice_only(value, choices, prefix, said):
    assert did_you_mean(value, choices, prefix) == said


# -- booleans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"), [("2", "2"), ("1", "1"), ("0", "0"), ("yes", "'yes'"), ("on", "'on'")]
)
def test_a_boolean_takes_only_true_or_false(given, shown, monkeypatch, capsys):
    line = refusal([f"policy.advanced_weapons={given}"], monkeypatch, capsys)
    assert line == (
        f"escalation: error: policy.advanced_weapons: invalid value {shown}; allowed: true, false"
    )


# -- a timing for a measure the policy never takes -------------------------------------------------

SMALL = ["sim.replicates=20", "sim.months=6", "sim.figures=false"]
TROOPS_UNUSED = (
    "policy.timing.troops is set but policy.troops=none: no troops are sent, the timing has no "
    "effect"
)


def run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [str(BIN / "escalation"), *arguments, *SMALL],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_timing_for_an_absent_measure_warns_once_and_is_no_change(tmp_path):
    timed = run(["policy.timing.troops.month=2025-03", "hydra.run.dir=timed"], tmp_path)
    plain = run(["hydra.run.dir=plain"], tmp_path)
    assert timed.returncode == plain.returncode == 0
    assert timed.stderr.splitlines() == [f"escalation: warning: {TROOPS_UNUSED}"]
    assert plain.stderr == ""
    summary = json.loads((tmp_path / "timed" / "summary.json").read_text())
    assert summary["changes"] == ["sim.replicates=20", "sim.months=6"]
    assert "timing" not in timed.stdout.splitlines()[0]
    for name in ("outcomes.csv", "trajectories.csv"):
        assert (tmp_path / "timed" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


def test_a_sweeps_timing_given_as_a_date_warns_for_the_jobs_without_the_measure(tmp_path):
    """A sweep with a timing date gathers every job (jobs store the date as a month number) and
    warns, once, for the job whose policy never takes the measure."""
    sweep = ["-m", "policy.troops=none,combat", "policy.timing.troops.month=2025-03"]
    result = run([*sweep, "hydra.sweep.dir=sweep"], tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [f"escalation: warning: [job 0/2] {TROOPS_UNUSED}"]
    assert "Gathered 2 of 2 jobs" in result.stdout


def test_a_scenarios_own_timing_of_an_absent_measure_is_not_warned_about(tmp_path):
    default = run(["scenario=instructors", "policy.instructors=outside"], tmp_path)
    assert default.returncode == 0
    assert default.stderr == ""
    given = run(
        ["scenario=instructors", "policy.instructors=outside", "policy.timing.instructors.month=2"],
        tmp_path,
    )
    assert given.returncode == 0
    assert given.stderr.splitlines() == [
        "escalation: warning: policy.timing.instructors is set but policy.instructors=outside: "
        "no instructors go into Ukraine, the timing has no effect"
    ]


def test_a_timing_in_ones_own_scenario_for_an_absent_measure_warns(tmp_path):
    (tmp_path / "myconf" / "scenario").mkdir(parents=True)
    scenario = tmp_path / "myconf" / "scenario" / "mine.yaml"
    header = "# @package _global_\nscenario:\n  name: mine\n  title: Mine\n  description: D.\n"
    scenario.write_text(header + "policy:\n  timing:\n    troops: {month: 2025-03}\n")
    result = run(["--config-dir", "myconf", "scenario=mine", "hydra.run.dir=a"], tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [f"escalation: warning: {TROOPS_UNUSED}"]
    scenario.write_text(header)
    result = run(["--config-dir", "myconf", "scenario=mine", "hydra.run.dir=b"], tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""


def test_the_api_warns_of_a_timing_for_an_absent_measure():
    with pytest.warns(UserWarning) as caught:
        escalation.simulate("status_quo", replicates=5, months=3, timing={"troops": "2025-03"})
    assert [str(warning.message) for warning in caught] == [TROOPS_UNUSED]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        escalation.simulate("troops", replicates=5, months=12, timing={"troops": "2025-03"})
        escalation.simulate("instructors", replicates=5, months=3, instructors="outside")


def test_absent_measures_follow_the_levers():
    policy = {
        "aid": False,
        "advanced_weapons": False,
        "instructors": "none",
        "deep_strikes": "prohibited",
        "troops": "none",
    }
    assert absent_measures(policy) == {
        "aid": "policy.aid=false: no military aid is given",
        "advanced_weapons": "policy.advanced_weapons=false: no advanced weapons are sent",
        "training": "policy.instructors=none: no Ukrainian soldiers are trained",
        "instructors": "policy.instructors=none: no instructors go into Ukraine",
        "deep_strikes": "policy.deep_strikes=prohibited: no strikes into Russia are permitted",
        "troops": "policy.troops=none: no troops are sent",
    }
    allowing = {"aid": True, "instructors": "outside", "deep_strikes": "limited"}
    assert absent_measures({**allowing, "troops": "combat"}) == {
        "instructors": "policy.instructors=outside: no instructors go into Ukraine"
    }
    assert absent_measures({}) == {}


def test_a_timing_for_an_absent_measure_is_no_change():
    base = {"policy": {"troops": "none", "timing": {"troops": {"month": 1}}}}
    run_ = {"policy": {"troops": "none", "timing": {"troops": {"month": 6}}}}
    assert run_changes(base, run_) == []
    run_["policy"]["troops"] = "combat"
    assert run_changes(base, run_) == ["troops=combat", "timing.troops.month=2025-03"]
