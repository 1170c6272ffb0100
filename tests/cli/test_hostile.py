"""A generated set of hostile inputs: each gets one line, status 2, and touches nothing.

The cases are built from the classes of issue 20 (Hydra's own keys, interpolations, values,
group options as paths, output folders, timelines and config files that are not what they say,
every command's options), each class crossed with the keys or options it applies to. Every case
runs a command's ``main`` in this process (about 0.1-0.5 s where a subprocess costs 1-3 s) from a
home folder beside a ``victim`` folder holding a user's files, and checks:

- exit status 2 and exactly one line on stderr, ``PROGRAM: error: ...``, naming what it refuses
  where the case says what that is (a listing of a user's scenarios, which reads only their
  names and titles and resolves nothing, exits 0 and prints no error);
- no secret (a file's content, an environment variable) in anything printed;
- every file under the case's folder, inside the home folder and out of it, byte-identical:
  nothing written, deleted or truncated, no run folder left behind.

Commands that pass the checks would run here, in this process, and fail the snapshot; the end-to-
end versions of the worst cases (a process of their own) are in ``test_bad_input.py``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_bad_input import snapshot

from escalation.analysis.cli import main as analyze_main
from escalation.backtest.cli import main as backtest_main
from escalation.cli.app import main as escalation_main
from escalation.cli.report import main as report_main

SECRET = "TOPSECRET-7f3a"
MAINS: dict[str, Callable[[], None]] = {
    "escalation": escalation_main,
    "escalation-report": report_main,
    "escalation-backtest": backtest_main,
    "escalation-analyze": analyze_main,
}


@dataclass(frozen=True)
class Case:
    """A command line, what to prepare in the home folder, and a word its error must name."""

    id: str
    program: str
    arguments: tuple[str, ...]
    names: str = ""
    prepare: Callable[[Path], None] | None = None
    #: 2 (refused); 0 for a listing, which reads only names and titles and resolves nothing.
    status: int = 2


# --- what the cases prepare -------------------------------------------------------------------


def _victim(root: Path) -> None:
    """A user's folder beside the home folder, with files the tool writes and cleans up."""
    victim = root / "victim"
    victim.mkdir()
    for name in ("outcomes.csv", "summary.json", "error.txt", ".x.tmp", "config.yaml", "a.log"):
        (victim / name).write_text(f"the user's {name}\n")


def _secret_file(home: Path) -> None:
    (home / "secret.txt").write_text(f"{SECRET},{SECRET}\n{SECRET}\n")


def _fifo(home: Path) -> None:
    os.mkfifo(home / "pipe.csv")


def _big_timeline(home: Path) -> None:
    header = "date,actor,event,source,description\n"
    row = "2022-03,russia,signalling,https://example.org,padding\n"
    (home / "big.csv").write_text(header + row * 400_000)


def _binary(home: Path) -> None:
    (home / "binary.csv").write_bytes(bytes(range(256)) * 64)


def _link_out(home: Path) -> None:
    (home / "link.csv").symlink_to(home.parent / "victim" / "outcomes.csv")


def _scenario_file(name: str, text: str) -> Callable[[Path], None]:
    """A user's config folder ``mine/`` holding ``scenario/NAME.yaml`` with ``text``."""

    def prepare(home: Path) -> None:
        folder = home / "mine" / "scenario"
        folder.mkdir(parents=True)
        (folder / f"{name}.yaml").write_text(text)

    return prepare


def _scenario(name: str, body: str) -> Callable[[Path], None]:
    """A scenario ``name`` whose file holds ``body`` (its own ``scenario:`` block if it has one)."""
    header = "# @package _global_\n"
    if not body.startswith("scenario:"):
        header += f"scenario: {{name: {name}, title: T, description: D}}\n"
    return _scenario_file(name, header + body)


def _sweep_preset(body: str) -> Callable[[Path], None]:
    def prepare(home: Path) -> None:
        folder = home / "mine" / "sweep"
        folder.mkdir(parents=True)
        (folder / "evil.yaml").write_text("# @package _global_\n" + body)

    return prepare


def _full_folder(home: Path) -> None:
    folder = home / "taken"
    folder.mkdir()
    (folder / "thesis.tex").write_text("a user's thesis\n")


def _sweep_folder(home: Path) -> None:
    """A folder that looks like a sweep to a careless reader: tables beside a user's file."""
    folder = home / "fake"
    folder.mkdir()
    (folder / "summary.csv").write_text("job,p\n0,0.5\n")
    (folder / "thesis.tex").write_text("a user's thesis\n")


def _all(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def prepare(home: Path) -> None:
        for step in steps:
            step(home)

    return prepare


# --- the classes ----------------------------------------------------------------------------

#: Hydra's own keys that reach the file system, the environment or Python code.
HYDRA_KEYS = {
    "hydra.output_subdir": "../victim",
    "hydra.sweep.subdir": "../victim",
    "hydra.job.name": "../../victim/log",
    "hydra.job.env_set.LD_PRELOAD": "/tmp/evil.so",
    "hydra.job.chdir": "true",
    "hydra.job_logging.handlers.file.filename": "../victim/a.log",
    "hydra.job_logging.root.level": "DEBUG",
    "hydra.hydra_logging.root.level": "DEBUG",
    "hydra.callbacks.evil._target_": "os.system",
    "hydra.searchpath": "[file:///etc]",
    "hydra.job.override_dirname": "x",
    "hydra.runtime.output_dir": "../victim",
    "hydra.job.config.override_dirname.kv_sep": "/",
    "hydra.run.dir_extra": "x",
    "hydra.foo": "1",
}
HYDRA_GROUPS = [
    "hydra/job_logging=disabled",
    "hydra/hydra_logging=disabled",
    "hydra/output=default",
    "hydra/help=default",
    "hydra/env=default",
    "hydra/callbacks=x",
]
FLAGS = [
    ("--nope", "1"),
    ("--config-dir", ""),
    ("--cfg", "everything"),
    ("--experimental-rerun", "run.pickle"),
    ("-sc", "install=bash"),
    ("--shell-completion", "install=fish"),
    ("-sc", "uninstall=bash"),
]
INTERPOLATIONS = [
    "${oc.env:HOME}",
    "${oc.env:SECRET_VALUE}",
    "${oc.env:SECRET_VALUE,x}",
    "${oc.decode:'${oc.env:SECRET_VALUE}'}",
    "${now:%Y}",
    "${oc.create:{}}",
    "${oc.select:seed,1}",
    "${hydra:runtime.cwd}",
    "${hydra:job.name}",
]
INTERPOLATED_KEYS = ["seed", "scenario.title", "sim.months", "scenario.description"]
BOOLEAN_KEYS = ["sim.trajectories", "sim.figures", "policy.advanced_weapons"]
NOT_BOOLEANS = ["2", "yes", "on", "1", "0", "1.5", "maybe", "[]"]
REQUIRED = [
    "sim",
    "seed",
    "plots",
    "scenario",
    "policy",
    "doctrine",
    "uncertainty",
    "sim.months",
    "sim.replicates",
    "scenario.name",
]
UNKNOWN = ["+foo=1", "+sim.foo=1", "+policy.foo=2", "+doctrine.foo=1", "++foo=1", "+plots.x=1"]
NUMBER_KEYS = ["sim.replicates", "sim.months", "seed", "sim.narrative_replicate"]
NOT_NUMBERS = ["nan", "inf", "-inf", "1e309", "1_000", "0x1F", "''", "{}", "1_0.5e-3_0"]
SEEDS = ["-1", "18446744073709551616", "9223372036854775808", str(10**30), "1.5", "abc"]
GROUPS = ["scenario", "policy", "sweep", "hydra/launcher", "uncertainty", "plots"]
PATHS = ["../x", "/etc/passwd", "../../victim/config"]
TIMELINES = {
    "shadow": ("/etc/shadow", None),
    "environ": ("/proc/self/environ", None),
    "zero": ("/dev/zero", None),
    "folder": ("/etc", None),
    "missing": ("nowhere.csv", None),
    "secret": ("secret.csv", _secret_file),
    "fifo": ("pipe.csv", _fifo),
    "big": ("big.csv", _big_timeline),
    "binary": ("binary.csv", _binary),
    "link-out": ("link.csv", _link_out),
}
SCENARIO_HYDRA = {
    "job-logging": "hydra:\n  job_logging:\n    handlers:\n      file:\n"
    "        filename: ../victim/a.log\n        mode: w\n",
    "output-subdir": "hydra:\n  output_subdir: ../../victim\n",
    "env-set": "hydra:\n  job:\n    env_set:\n      LD_PRELOAD: /tmp/evil.so\n",
    "run-dir": "hydra:\n  run:\n    dir: ../victim\n",
    "sweep-subdir": "hydra:\n  sweep:\n    subdir: ../victim\n",
    "job-name": "hydra:\n  job:\n    name: ../../victim/log\n",
    "callbacks": "hydra:\n  callbacks:\n    evil:\n      _target_: os.system\n",
    "searchpath": "hydra:\n  searchpath: [file:///etc]\n",
    "hydra-logging": "hydra:\n  hydra_logging:\n    root:\n      level: DEBUG\n",
    "target": "policy:\n  _target_: os.system\n",
    "env-title": "scenario:\n  name: mine\n  title: ${oc.env:SECRET_VALUE}\n  description: D\n",
    "decode": "scenario:\n  name: mine\n  title: ${oc.decode:'1'}\n  description: D\n",
    "now": "seed: ${now:%Y}\n",
    "long-title": "scenario:\n  name: mine\n  description: D\n  title: " + "x" * 120_000 + "\n",
    "alias-bomb": "scenario:\n  name: mine\n  title: T\n  description: D\n  sources:\n"
    + "    - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"    - &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
    "boolean": "sim:\n  trajectories: 2\n",
    "seed": "seed: -5\n",
    "months": "sim:\n  months: 95000\n",
}
BACKTEST_OPTIONS = {
    "--replicates": ["-1", "0", str(10**11), "abc", "1.5", "1e3"],
    "--from": ["0000-01", "2030-01", "abc", "2022-13", "-1"],
    "--seed": ["-1", "abc", str(2**64)],
}
ANALYZE_OPTIONS = {
    "--resamples": ["-1", "0", str(10**8), "x"],
    "--seed": ["-1", str(2**64), "x"],
    "--boxes": ["-1", "0", str(10**6)],
}
OUT_FOLDERS = [("/", None), ("taken", _full_folder), ("../victim", None), ("/etc", None)]
#: Terminal escape sequences and other control characters typed into keys, values and names.
ESCAPES = [
    ("escalation", ("policy.troops=\x1b[31mred",)),
    ("escalation", ("scenario=\x1b]0;title\x07",)),
    ("escalation", ("scenario.title=a\x1b[2Jb",)),
    ("escalation", ("hydra.run.dir=\x1b[2J/x", "sim.replicates=0")),
    ("escalation-backtest", ("\x1b[2J.csv",)),
    ("escalation-backtest", ("--from", "\x1b[2J")),
    ("escalation-analyze", ("\x1b[2Jdir",)),
    ("escalation-analyze", ("taken", "--outcome", "\x1b[2J")),
    ("escalation-report", ("\x1b[2Jdir",)),
]
REPORT_FOLDERS = [
    ("/", None),
    ("/etc", None),
    ("nowhere", None),
    ("../victim", None),
    ("taken", _full_folder),
    ("fake", _sweep_folder),
    ("secret.txt", _secret_file),
]


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append
    for key, value in HYDRA_KEYS.items():
        for prefix in ("", "+", "++"):
            add(Case(f"hydra-{prefix}{key}", "escalation", (f"{prefix}{key}={value}",), key))
        add(Case(f"hydra-sweep-{key}", "escalation", ("-m", f"{key}={value}", "seed=1,2"), key))
    for group in HYDRA_GROUPS:
        add(Case(f"hydra-group-{group}", "escalation", (group,), group.split("=")[0]))
    for flag, value in FLAGS:
        long = "--shell-completion" if flag == "-sc" else flag
        add(Case(f"flag{flag}-{value}", "escalation", (flag, value), long))
    for key in INTERPOLATED_KEYS:
        for index, value in enumerate(INTERPOLATIONS):
            add(Case(f"interpolation-{key}-{index}", "escalation", (f"{key}={value}",), key))
    for key in BOOLEAN_KEYS:
        for value in NOT_BOOLEANS:
            add(Case(f"boolean-{key}-{value}", "escalation", (f"{key}={value}",), key))
    for key in REQUIRED:
        add(Case(f"delete-{key}", "escalation", (f"~{key}",), key))
    for override in UNKNOWN:
        add(Case(f"unknown-{override}", "escalation", (override,)))
    for key in NUMBER_KEYS:
        for value in NOT_NUMBERS:
            add(Case(f"number-{key}-{value}", "escalation", (f"{key}={value}",), key))
    for value in SEEDS:
        add(Case(f"seed-{value[:12]}", "escalation", (f"seed={value}",), "seed"))
    for group in GROUPS:
        for path in PATHS:
            add(Case(f"group-{group}-{path}", "escalation", (f"{group}={path}",), group))
    add(Case("sweep-of-presets", "escalation", ("-m", "sweep=policy_grid,deep_strikes"), "sweep"))
    add(Case("members-empty", "escalation", ("doctrine.nato.members={}",), "members"))
    for name, (path, prepare) in TIMELINES.items():
        add(
            Case(
                f"timeline-{name}",
                "escalation",
                (f"scenario.timeline={path}",),
                "scenario.timeline",
                prepare,
            )
        )
        add(Case(f"backtest-timeline-{name}", "escalation-backtest", (path,), "", prepare))
    for name, body in SCENARIO_HYDRA.items():
        prepare = _scenario("mine", body)
        add(
            Case(
                f"scenario-file-{name}",
                "escalation",
                ("--config-dir", "mine", "scenario=mine"),
                "",
                prepare,
            )
        )
        listing = ("--config-dir", "mine", "--list-scenarios")
        add(Case(f"scenario-list-{name}", "escalation", listing, "", prepare, status=0))
    for name in ("run-dir", "output-subdir", "sweep-subdir", "job-logging", "env-set"):
        add(
            Case(
                f"sweep-preset-{name}",
                "escalation",
                ("--config-dir", "mine", "-m", "sweep=evil"),
                "evil",
                _sweep_preset(SCENARIO_HYDRA[name]),
            )
        )
    for index, (folder, prepare) in enumerate(OUT_FOLDERS):
        add(Case(f"run-dir-{index}", "escalation", (f"hydra.run.dir={folder}",), "", prepare))
        add(
            Case(
                f"sweep-dir-{index}",
                "escalation",
                ("-m", "seed=1,2", f"hydra.sweep.dir={folder}"),
                "",
                prepare,
            )
        )
        add(Case(f"backtest-out-{index}", "escalation-backtest", ("--out", folder), "", prepare))
    for option, values in BACKTEST_OPTIONS.items():
        for value in values:
            add(Case(f"backtest{option}-{value[:12]}", "escalation-backtest", (option, value)))
    for option, values in ANALYZE_OPTIONS.items():
        for value in values:
            add(
                Case(
                    f"analyze{option}-{value[:12]}",
                    "escalation-analyze",
                    ("taken", option, value),
                    "",
                    _full_folder,
                )
            )
    for index, (folder, prepare) in enumerate(REPORT_FOLDERS):
        add(Case(f"report-{index}", "escalation-report", (folder,), "", prepare))
        add(Case(f"report-html-{index}", "escalation-report", (folder, "--html"), "", prepare))
        add(Case(f"analyze-{index}", "escalation-analyze", (folder,), "", prepare))
    for index, (program, arguments) in enumerate(ESCAPES):
        add(Case(f"escape-{index}", program, arguments, "", _full_folder))
    return cases


CASES = _cases()


def test_the_hostile_set_has_at_least_300_distinct_cases():
    assert sum(case.status == 2 for case in CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_is_refused_in_one_line_and_touches_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.log").write_text("my notes\n")
    _victim(tmp_path)
    if case.prepare is not None:
        case.prepare(home)
    before = snapshot(tmp_path)
    monkeypatch.chdir(home)
    monkeypatch.setenv("SECRET_VALUE", SECRET)
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    monkeypatch.setattr(sys, "argv", [case.program, *case.arguments])

    if case.status == 0:
        MAINS[case.program]()
    else:
        with pytest.raises(SystemExit) as ended:
            MAINS[case.program]()

    printed = capsys.readouterr()
    lines = printed.err.splitlines()
    if case.status == 0:
        assert lines == []
    else:
        assert (ended.value.code, len(lines)) == (case.status, 1)
        assert lines[0].startswith(f"{case.program}: error: ")
        assert case.names in lines[0]
    assert SECRET not in printed.err + printed.out
    assert "\x1b" not in printed.err
    assert snapshot(tmp_path) == before
