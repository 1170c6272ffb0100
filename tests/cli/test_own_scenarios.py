"""Students' own scenarios (issue 14): the docs' recipe, one-line errors, dates, what was run.

- A scenario written from the how-to page "Write your own scenario" runs first time.
- Each mistake in a user's YAML is one line naming the file, the line and what is allowed (one
  table, one row per case), with status 2 and nothing written.
- ``policy.timing.<measure>.month`` as ``YYYY-MM`` gives the same bytes as the month number.
- The run folder, summary header, figure titles and narrative heading show the changes.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest

import escalation
from escalation.cli import app as cli
from escalation.config.changes import folder_name, run_changes
from escalation.config.dates import month_date, month_number
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.config.schema import ConfigError
from escalation.run.figure_data import run_title
from escalation.run.runs import progress_bar

RECIPE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "own-scenario.md"
BIN = Path(sys.executable).parent
ENV = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
ENV["PATH"] = f"{BIN}{os.pathsep}{ENV.get('PATH', '')}"

GOOD = """\
# @package _global_
scenario:
  name: mine
  title: "My scenario"
  description: "France sends non-combat troops in March 2025 while declaring red lines."
policy:
  troops: noncombat
  posture: red_lines
  timing:
    troops: {month: 2025-03}
"""


def run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "escalation"), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def recipe() -> str:
    """The how-to page "Write your own scenario"."""
    text = RECIPE.read_text(encoding="utf-8")
    assert text.startswith("# Write your own scenario\n")
    return text


# -- the docs' recipe -----------------------------------------------------------------------------


def test_a_scenario_written_from_the_readme_runs_first_time(tmp_path):
    section = recipe()
    block = re.search(r"```bash\n(.*?)```", section, re.S)[1]
    script = "\n".join(
        f"{line} sim.replicates=100" if "scenario=mine" in line else line
        for line in block.splitlines()
    )
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert result.returncode == 0
    assert result.stderr == ""
    scenario = tmp_path / "myconf" / "scenario" / "mine.yaml"
    assert scenario.read_text().startswith("# @package _global_\n")
    (folder,) = (tmp_path / "outputs").iterdir()
    assert folder.name == "mine-replicates=100"
    (run_folder,) = folder.iterdir()
    assert (run_folder / "summary.json").is_file()
    assert "French non-combat troops in March 2025" in result.stdout
    # --list-scenarios with --config-dir lists the packaged scenarios and the new one.
    assert re.search(r"^mine: French non-combat troops", result.stdout, re.M)
    assert re.search(r"^instructors: ", result.stdout, re.M)
    assert "escalation --config-dir myconf scenario=NAME" in result.stdout


def test_every_line_of_the_template_scenario_is_commented():
    text = (files("escalation.conf") / "scenario" / "template.yaml").read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    keys = [line for line in lines if re.match(r"\s*[a-z_]+:", line)]
    uncommented = [line for line in keys if "#" not in line and not line.startswith("    - ")]
    assert uncommented == []
    settings = load_settings("template", replicates=5)
    assert settings.policy.timing.troops.month == 6  # 2025-03 from 2024-10


# -- one-line errors -------------------------------------------------------------------------------


@dataclass
class Bad:
    """A user config folder with one mistake, and the one line that must name it."""

    name: str
    file: str | None  # myconf/scenario/mine.yaml's text; None: no folder at all
    arguments: list[str]
    message: str  # a regular expression the line must match after "escalation: error: "


HEADERLESS = GOOD.removeprefix("# @package _global_\n")
BAD = [
    Bad(
        "unknown key",
        GOOD.replace("  troops: noncombat", "  troop: noncombat"),
        [],
        r"myconf/scenario/mine\.yaml:7: unknown key 'policy\.troop'; did you mean "
        r"'policy\.troops'\? allowed keys here: "
        r"instructors, troops, deep_strikes, posture, aid, advanced_weapons, new_weapons, timing$",
    ),
    Bad(
        "missing header",
        HEADERLESS,
        [],
        r"myconf/scenario/mine\.yaml:1: the first line must be '# @package _global_'",
    ),
    Bad(
        "yaml syntax",
        GOOD.replace('title: "My scenario"', 'title: "My scenario'),
        [],
        r"myconf/scenario/mine\.yaml:\d+: YAML syntax error: ",
    ),
    Bad(
        "unclosed list",
        GOOD + "  new_weapons: [3, 5\n",
        [],
        r"myconf/scenario/mine\.yaml:\d+: YAML syntax error: .*flow sequence",
    ),
    Bad("no config dir", None, [], r"--config-dir myconf: no such folder$"),
    Bad(
        "lever value",
        GOOD.replace("posture: red_lines", "posture: redlines"),
        [],
        r"myconf/scenario/mine\.yaml:8: policy\.posture: invalid value 'redlines'; "
        r"did you mean 'red_lines'\? allowed: red_lines, ambiguity$",
    ),
    Bad(
        "name is not the file's",
        GOOD.replace("name: mine", "name: template"),
        [],
        r"myconf/scenario/mine\.yaml:3: scenario\.name is 'template' but the file is mine\.yaml",
    ),
    Bad(
        "not a month",
        GOOD.replace("2025-03", "2025-13"),
        [],
        r"policy\.timing\.troops\.month='2025-13': not a month; give YYYY-MM",
    ),
    Bad(
        "before the start",
        GOOD.replace("2025-03", "2023-03"),
        [],
        r"policy\.timing\.troops\.month=2023-03: before sim\.start \(2024-10\)",
    ),
    Bad(
        "unknown scenario",
        GOOD,
        ["scenario=mien"],
        r"unknown scenario 'mien'; did you mean 'mine'\? available: .*\bmine\b",
    ),
    Bad(
        "wrong type",
        GOOD + "sim:\n  months: two\n",
        [],
        r"myconf/scenario/mine\.yaml:12: sim\.months: invalid value 'two'; "
        r"allowed: a whole number$",
    ),
    Bad(
        "wrong type, optional",
        GOOD.replace("{month: 2025-03}", "{month: 2025-03, position_below: most}"),
        [],
        r"myconf/scenario/mine\.yaml:10: policy\.timing\.troops\.position_below: invalid value "
        r"'most'; allowed: a number or null$",
    ),
    Bad(
        "wrong type in a list",
        GOOD + "  new_weapons: [3, soon]\n",
        [],
        r"myconf/scenario/mine\.yaml:11: policy\.new_weapons\[1\]: invalid value 'soon'; "
        r"allowed: a whole number$",
    ),
]


@pytest.mark.parametrize("case", BAD, ids=[case.name for case in BAD])
def test_a_mistake_in_ones_own_yaml_is_one_line(case, tmp_path, monkeypatch, capsys):
    if case.file is not None:
        (tmp_path / "myconf" / "scenario").mkdir(parents=True)
        (tmp_path / "myconf" / "scenario" / "mine.yaml").write_text(case.file)
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    arguments = ["--config-dir", "myconf", "scenario=mine", *case.arguments]
    monkeypatch.setattr(sys, "argv", ["escalation", *arguments])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert re.fullmatch(r"escalation: error: .+", line)
    assert re.search(case.message, line.removeprefix("escalation: error: "))
    assert sorted(tmp_path.rglob("*")) == before  # nothing written


def test_the_api_refuses_the_same_mistakes_naming_the_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myconf" / "scenario").mkdir(parents=True)
    path = tmp_path / "myconf" / "scenario" / "mine.yaml"
    path.write_text(GOOD.replace("  troops: noncombat", "  troop: noncombat"))
    for call in (
        lambda: escalation.simulate("mine", config_dir="myconf", replicates=5),
        lambda: escalation.simulate("myconf/scenario/mine.yaml", replicates=5),
    ):
        with pytest.raises(ConfigError, match=r"mine\.yaml:7: unknown key 'policy\.troop'"):
            call()


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "number"), [("2024-10", 1), ("2025-03", 6), ("2025-10", 13), ("2027-09", 36)]
)
def test_a_date_is_its_month_number_from_the_start(date, number):
    assert month_number(date, "2024-10", "k") == number
    assert month_date(number, "2024-10") == date


def test_the_date_form_and_the_number_form_write_identical_bytes(tmp_path):
    folders = {}
    for month in ("2025-03", "6"):
        folders[month] = tmp_path / month
        result = run(
            [
                "scenario=troops",
                f"policy.timing.troops.month={month}",
                "policy.timing.troops.position_below=null",
                "sim.replicates=150",
                f"hydra.run.dir={folders[month]}",
            ],
            tmp_path,
        )
        assert result.returncode == 0
    names = sorted(
        str(path.relative_to(folders["6"]))
        for path in folders["6"].rglob("*")
        if path.is_file() and ".hydra" not in path.parts
    )
    assert {"outcomes.csv", "summary.json", "narrative.md", "trajectories.csv"} <= set(names)
    assert "figures/escalation_ladder.png" in names
    for name in names:
        assert (folders["2025-03"] / name).read_bytes() == (folders["6"] / name).read_bytes()
    summary = (folders["6"] / "summary.json").read_text()
    assert '"changes": [\n    "timing.troops.month=2025-03",' in summary


def test_the_api_takes_dates_and_dotted_keys_alike():
    by_date = escalation.simulate("troops", replicates=60, seed=2, timing={"troops": "2025-03"})
    by_number = escalation.simulate(
        "troops", replicates=60, seed=2, **{"policy.timing.troops.month": 6}
    )
    pd.testing.assert_frame_equal(by_date, by_number)
    later = escalation.simulate("troops", replicates=60, seed=2, timing={"troops": "2026-06"})
    assert not by_date.equals(later)


def test_a_measure_timed_after_the_last_month_warns_it_never_comes(tmp_path):
    with pytest.warns(UserWarning, match=r"troops will never come into force"):
        _, months = escalation.simulate(
            "troops",
            replicates=20,
            months=12,
            seed=1,
            timing={"troops": "2026-01"},
            trajectories=True,
        )
    assert months["troops"].eq("none").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        escalation.simulate("troops", replicates=20, months=12, seed=1, timing={"troops": 12})
    result = run(
        [
            "scenario=troops",
            "policy.timing.troops.month=2028-01",
            "sim.replicates=20",
            "sim.figures=false",
            "hydra.run.dir=late",
        ],
        tmp_path,
    )
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "escalation: warning: policy.timing.troops.month=2028-01 (month 40) is after the last "
        "simulated month (2027-09, month 36): troops will never come into force"
    ]
    # sim.figures=false: the run says what it wrote, and figures are not among it.
    assert "figures" not in result.stdout
    assert not (tmp_path / "late" / "figures").exists()
    assert re.search(
        r"^Wrote outcomes\.csv, trajectories\.csv, summary\.json and narrative\.md",
        result.stdout,
        re.M,
    )


# -- what was run is visible -----------------------------------------------------------------------


def test_changes_are_the_keys_that_differ_from_the_scenario():
    base = {
        "policy": {"posture": "ambiguity", "timing": {"troops": {"month": 1}}},
        "sim": {"start": "2024-10", "replicates": 1000, "figures": True},
        "seed": 1,
    }
    same = {
        "policy": {"posture": "ambiguity", "timing": {"troops": {"month": 1}}},
        "sim": {"start": "2024-10", "replicates": 1000, "figures": False},
        "seed": 1,
    }
    assert run_changes(base, same) == []  # sim.figures changes no number
    changed = {
        "policy": {"posture": "red_lines", "timing": {"troops": {"month": 6}}},
        "sim": {"start": "2024-10", "replicates": 200, "figures": True},
        "seed": 7,
    }
    assert run_changes(base, changed) == [
        "posture=red_lines",
        "timing.troops.month=2025-03",
        "sim.replicates=200",
        "seed=7",
    ]


@pytest.mark.parametrize(
    ("scenario", "changes", "name"),
    [
        ("instructors", [], "instructors"),
        ("instructors", ["posture=red_lines"], "instructors-posture=red_lines"),
        ("troops", ["timing.troops.month=2025-03", "seed=7"], "troops-troops.month=2025-03,seed=7"),
        ("status_quo", ["timing.aid.until=2025-02"], "status_quo-aid.until=2025-02"),
        ("x", ["doctrine.russia.rationality=2", "a=b c/d"], "x-rationality=2,a=b_c_d"),
        ("..", ["seed=1"], "run-seed=1"),
        ("x", [f"doctrine.a.k{i}=1" for i in range(30)], None),
    ],
)
def test_run_folder_names_are_short_and_filesystem_safe(scenario, changes, name):
    result = folder_name(scenario, changes)
    if name is not None:
        assert result == name
    assert len(result) <= 100
    assert re.fullmatch(r"[A-Za-z0-9._=+,-]+", result)
    assert "/" not in result and result not in (".", "..")
    if len(changes) == 30:
        assert re.search(r",\+\d+$", result)


def test_a_run_shows_its_changes_in_folder_summary_titles_and_narrative(tmp_path):
    result = run(
        [
            "scenario=instructors",
            "policy.posture=red_lines",
            "policy.instructors=inside",
            "sim.replicates=100",
        ],
        tmp_path,
    )
    assert result.returncode == 0
    (folder,) = (tmp_path / "outputs").iterdir()
    assert folder.name == "instructors-posture=red_lines,replicates=100"
    first = result.stdout.splitlines()[0]
    assert first.startswith("French military instructors inside Ukraine, with posture=red_lines  (")
    (run_folder,) = folder.iterdir()
    heading = (run_folder / "narrative.md").read_text().splitlines()[0]
    assert heading.startswith(
        "### French military instructors inside Ukraine, with posture=red_lines"
    )
    title = run_title({"title": "T", "changes": ["posture=red_lines", "seed=3"]}, "ladder")
    assert title.splitlines()[:2] == ["T: ladder", "Changed from the scenario: posture=red_lines"]


# -- the API explains itself -----------------------------------------------------------------------


def test_simulate_shows_its_real_signature_and_docstring():
    signature = inspect.signature(escalation.simulate)
    assert list(signature.parameters) == [
        "scenario",
        "replicates",
        "months",
        "seed",
        "config_dir",
        "timing",
        "doctrine",
        "trajectories",
        "params",
    ]
    assert "timing" in escalation.simulate.__doc__
    assert "simulate" in dir(escalation)


def test_simulate_sets_doctrine_and_returns_trajectories_on_request():
    outcomes, trajectories = escalation.simulate(
        "troops",
        replicates=30,
        months=6,
        seed=3,
        doctrine={"russia.rationality": 2.0},
        trajectories=True,
    )
    assert len(outcomes) == 30 and len(trajectories) == 30 * 6
    settings = load_settings("troops", doctrine={"russia": {"rationality": 2.0}})
    assert settings.doctrine.russia.rationality == 2.0
    with pytest.raises(ConfigError, match=r"unknown key 'doctrine\.russia\.rationalty'"):
        load_settings("troops", doctrine={"russia.rationalty": 1.0})


def test_user_scenarios_are_listed_beside_the_packaged_ones(tmp_path):
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "mine.yaml").write_text(GOOD)
    (tmp_path / "scenario" / "broken.yaml").write_text(HEADERLESS.replace("mine", "broken"))
    listed = available_scenarios(tmp_path)
    assert {"mine", "broken", "status_quo", "template"} <= set(listed)
    assert listed["mine"].title == "My scenario"
    assert "first line must be '# @package _global_'" in listed["broken"].description


# -- progress --------------------------------------------------------------------------------------


def test_the_progress_bar_counts_months_and_is_silent_when_disabled(capsys, monkeypatch):
    monkeypatch.setattr("escalation.run.runs.PROGRESS_DELAY", 0.0)
    with progress_bar(4, enabled=False) as bar:
        for _ in range(4):
            bar.update(1)
    assert capsys.readouterr().err == ""
    with progress_bar(4, enabled=True) as bar:
        for _ in range(4):
            time.sleep(0.12)  # tqdm redraws at most every 0.1 s
            bar.update(1)
    err = capsys.readouterr().err
    assert "month 4/4" in err
    assert "left" in err


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path):
    result = run(["sim.replicates=50", "hydra.run.dir=quiet"], tmp_path)
    assert result.returncode == 0
    assert "simulating" not in result.stderr and result.stderr == ""
