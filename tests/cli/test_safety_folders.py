"""Folders and files held to the run (issue 20: own folders, files read back, timelines, CSVs).

Each case runs a command against a folder holding files the user owns (``notes.log``,
``L/app.log``, ``secret.txt``) and checks the exit status, the one stderr line, that the secret
appears in no output, and that every file outside the run's own folder is byte-identical. The
commands run in-process where they can (``escalation``'s pre-run checks through
``escalation.cli.preflight.prepare``; ``escalation-report``, ``-backtest`` and ``-analyze``
through their ``main``); a few ends to end run the installed command.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf
from test_bad_input import BIN, SMALL, run, snapshot
from test_hostile import MAINS

import escalation
from escalation.cli.folders import hold
from escalation.cli.preflight import prepare
from escalation.config.schema import ConfigError
from escalation.files import (
    LOCK_FILE,
    MARKER,
    FileRefused,
    formula_safe,
    formula_safe_text,
    own_folder,
)
from escalation.run.results import write_tables
from escalation.timeline import COLUMNS, MAX_TIMELINE_BYTES

SECRET = "SECRET-TOKEN-4242"


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """The working folder, holding the user's files, and the secret in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.log").write_text("my notes\n")
    (home / "L").mkdir()
    (home / "L" / "app.log").write_text("x\n")
    (home / "secret.txt").write_text(f"{SECRET},x,y\n")
    monkeypatch.chdir(home)
    monkeypatch.setenv("ESCALATION_TEST_SECRET", SECRET)
    return home


def call(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run a command's ``main`` in-process: its exit status, stdout and stderr."""
    program, *arguments = argv
    try:
        MAINS[program](arguments)
        status = 0
    except SystemExit as end:
        status = end.code if isinstance(end.code, int) else int(end.code is not None)
    out, err = capsys.readouterr()
    return status, out, err


def outside(state: dict[str, str], own: str) -> dict[str, str]:
    """A snapshot without the run's own folder (``own``; "" keeps everything)."""
    return {k: v for k, v in state.items() if not own or not (k == own or k.startswith(own + "/"))}


def secret_nowhere(home: Path, printed: str) -> None:
    """The secret is in no output: not printed, not in any file but its own."""
    assert SECRET not in printed
    for path in home.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name != "secret.txt":
            assert SECRET.encode() not in path.read_bytes()


# --- preparing the folders the cases break ----------------------------------------------------


def copy(name: str, *edits: Callable[[Path], None]):
    """Prepare by copying the finished ``run`` or ``sweep`` folder into ``case``, then editing."""

    def prepare_case(home: Path, finished: Path) -> None:
        shutil.copytree(finished / name, home / "case", symlinks=True)
        for edit in edits:
            edit(home / "case")

    return prepare_case


def unmark(case: Path) -> None:
    (case / MARKER).unlink()


def link(name: str, target: str) -> Callable[[Path], None]:
    """Replace ``case/name`` by a symbolic link to ``target`` (relative to the home folder)."""

    def edit(case: Path) -> None:
        path = case / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.parent.mkdir(exist_ok=True)
        path.symlink_to(Path("..", *(".." for _ in Path(name).parts[1:]), target))

    return edit


def moved_figures(case: Path) -> None:
    """The run's figures/ becomes a link to the user's own picture folder ``pics``."""
    pics = case.parent / "pics"
    pics.mkdir()
    (pics / "holiday.png").write_bytes(b"user's picture")
    shutil.rmtree(case / "figures", ignore_errors=True)  # the run drew none (sim.figures=false)
    (case / "figures").symlink_to(Path("..", "pics"))


def env_title(case: Path) -> None:
    """The stored config's title reads an environment variable (the secret) when resolved."""
    path = case / ".hydra" / "config.yaml"
    title = "  title: ${oc.env:ESCALATION_TEST_SECRET}"
    text = re.sub(r"(?m)^  title: .*$", title, path.read_text(), count=1)
    path.write_text(text)


def copied_hydra(case: Path) -> None:
    """A copy of the run's ``.hydra`` folder outside it, as ``cfg``."""
    shutil.copytree(case / ".hydra", case.parent / "cfg")


def env_sweep_name(case: Path) -> None:
    """The sweep's stored ``sweep.name`` reads an environment variable (the secret)."""
    path = case / "multirun.yaml"
    multirun = OmegaConf.load(path)
    multirun.sweep.name = "${oc.env:ESCALATION_TEST_SECRET}"
    OmegaConf.save(multirun, path)


def nul(name: str) -> Callable[[Path], None]:
    def edit(case: Path) -> None:
        path = case / name
        data = path.read_bytes()
        cut = data.index(b"\n") + 3
        path.write_bytes(data[:cut] + b"\0" + data[cut:])

    return edit


def failed_job_error_link(case: Path) -> None:
    """Job 1 failed, and its ``error.txt`` is a link to the secret."""
    (case / "1" / "summary.json").unlink()
    (case / "1" / "error.txt").symlink_to(Path("..", "..", "secret.txt"))


def locked(case: Path) -> None:
    """Another escalation (process 1, always running) holds the folder."""
    (case / LOCK_FILE).write_text("1\n")


def formula_scenario(case: Path) -> None:
    """Each job of the sweep records a scenario name that is a spreadsheet formula."""
    for job in ("0", "1"):
        path = case / job / "summary.json"
        summary = json.loads(path.read_text())
        summary["scenario"] = '=HYPERLINK("http://x","y")'
        path.write_text(json.dumps(summary))


@dataclass
class Case:
    """A command, what to prepare, the exit status and what its one stderr line says."""

    id: str
    command: list[str]
    status: int
    says: str
    prepare: Callable[[Path, Path], None] | None = None
    #: The run's own folder, which the command may rewrite; everything else must not change.
    own: str = ""
    #: What the command's report on stdout says (a sweep's jobs without results).
    prints: str = ""


CASES = [
    # --- 1. a command writes only into its own folder ---
    Case("backtest-out-root", ["escalation-backtest", "--out", "/"], 2, "--out /: holds files"),
    Case(
        "backtest-out-user-folder",
        ["escalation-backtest", "--out", "L"],
        2,
        "--out L: holds files escalation did not make (app.log)",
    ),
    Case(
        "analyze-out-user-folder",
        ["escalation-analyze", "case", "--out", "L"],
        2,
        "--out L: holds files escalation did not make (app.log)",
        copy("run"),
    ),
    Case(
        "analyze-into-unmarked-folder",
        ["escalation-analyze", "case"],
        2,
        "case: not a folder escalation made (no .escalation in it); give --out DIR",
        copy("run", unmark),
    ),
    Case(
        "report-unmarked-folder",
        ["escalation-report", "case"],
        2,
        "case: not a folder escalation made (no .escalation in it)",
        copy("run", unmark),
    ),
    Case(
        "report-folder-in-use",
        ["escalation-report", "case"],
        2,
        "case: in use by another escalation (process 1)",
        copy("run", locked),
    ),
    # --- 2. files read back are regular files inside the folder ---
    Case(
        "report-html-figure-link",
        ["escalation-report", "case", "--html"],
        2,
        "case/figures/zz.png is a symbolic link",
        copy("run", link("figures/zz.png", "secret.txt")),
        own="case",
    ),
    Case(
        "report-figures-folder-link",
        ["escalation-report", "case"],
        2,
        "case/figures is a symbolic link: escalation writes only inside case",
        copy("run", moved_figures),
    ),
    Case(
        "report-hydra-folder-link",
        ["escalation-report", "case"],
        2,
        "case/.hydra is a symbolic link",
        copy("run", copied_hydra, link(".hydra", "cfg")),
    ),
    Case(
        "report-env-in-stored-config",
        ["escalation-report", "case", "--html"],
        2,
        "scenario.title holds an interpolation that calls a resolver",
        copy("run", env_title),
    ),
    Case(
        "report-multirun-link",
        ["escalation-report", "case"],
        2,
        "case/multirun.yaml is malformed: case/multirun.yaml is a symbolic link",
        copy("sweep", link("multirun.yaml", "secret.txt")),
    ),
    Case(
        "report-job-summary-link",
        ["escalation-report", "case"],
        1,
        "1 of 2 jobs have no results",
        copy("sweep", link("0/summary.json", "secret.txt")),
        own="case",
        prints="malformed summary.json: case/0/summary.json is a symbolic link",
    ),
    Case(
        "report-job-error-link",
        ["escalation-report", "case"],
        1,
        "1 of 2 jobs have no results",
        copy("sweep", failed_job_error_link),
        own="case",
        prints="error.txt unreadable: case/1/error.txt is a symbolic link",
    ),
    Case(
        "report-multirun-env",
        ["escalation-report", "case"],
        2,
        "multirun.yaml is malformed: sweep.name holds an interpolation that calls a resolver",
        copy("sweep", env_sweep_name),
    ),
    # --- 4. a NUL byte in a results table read back ---
    Case(
        "report-nul-in-outcomes",
        ["escalation-report", "case"],
        2,
        "malformed outcomes.csv: holds a NUL byte, not text",
        copy("run", nul("outcomes.csv")),
    ),
    Case(
        "report-nul-in-trajectories",
        ["escalation-report", "case"],
        2,
        "trajectories.csv is malformed: holds a NUL byte, not text",
        copy("run", nul("trajectories.csv")),
    ),
    Case(
        "analyze-nul-in-outcomes",
        ["escalation-analyze", "case"],
        2,
        "outcomes.csv is malformed: holds a NUL byte, not text",
        copy("run", nul("outcomes.csv")),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_refused_in_one_line_and_nothing_outside_changes(case, home, finished, capsys):
    if case.prepare is not None:
        case.prepare(home, finished)
    before = snapshot(home)

    status, out, err = call(case.command, capsys)

    lines = err.splitlines()
    assert (status, len(lines)) == (case.status, 1)
    assert lines[0].startswith(f"{case.command[0]}: error: ")
    assert case.says in lines[0]
    assert case.prints in out
    assert "Traceback" not in out + err
    after = snapshot(home)
    assert outside(after, case.own) == outside(before, case.own)
    secret_nowhere(home, out + err)
    assert not [name for name in set(after) - set(before) if name.endswith((".tmp", LOCK_FILE))]


def test_report_says_what_it_rebuilds_before_it_rebuilds_it(home, finished, capsys):
    """``escalation-report RUN --html`` first says which files of the run folder it rewrites."""
    from escalation.cli.report import REBUILDING_RUN, REBUILDING_SWEEP

    copy("run")(home, finished)
    status, out, _ = call(["escalation-report", "case", "--html"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"{REBUILDING_RUN} case ..."
    assert lines[-2].startswith("Rebuilt summary.json, narrative.md and figures/ in case")
    assert lines[-1] == f"Wrote {Path('case') / 'report.html'}"
    shutil.rmtree(home / "case")
    copy("sweep")(home, finished)
    status, out, _ = call(["escalation-report", "case"], capsys)
    assert (status, out.splitlines()[0]) == (0, f"{REBUILDING_SWEEP} case ...")


def test_report_removes_only_what_a_run_made(home, finished, capsys):
    """``escalation-report RUN`` keeps the user's ``error.txt`` and ``.*.tmp`` in the run folder."""
    copy("run")(home, finished)
    case = home / "case"
    (case / "error.txt").write_text("the user's own notes\n")
    (case / ".draft.tmp").write_text("the user's draft\n")
    (case / ".outcomes.csv.abc123.tmp").write_text("an interrupted rebuild's partial file\n")
    kept = {name: (case / name).read_bytes() for name in ("error.txt", ".draft.tmp")}

    status, _, _ = call(["escalation-report", "case", "--html"], capsys)

    assert status == 0
    assert {name: (case / name).read_bytes() for name in kept} == kept
    assert not (case / ".outcomes.csv.abc123.tmp").exists()
    assert (case / "report.html").stat().st_size > 10_000


def test_the_report_page_reads_no_file_through_a_link(home, finished):
    """``report.html`` (the command and the dashboard's page) refuses a linked summary."""
    from escalation.classroom.report_page import ReportPageError, write_report_page

    copy("run", link("summary.json", "secret.txt"))(home, finished)
    before = snapshot(home)
    with pytest.raises(ReportPageError, match=r"case/summary\.json is a symbolic link"):
        write_report_page(Path("case"))
    assert snapshot(home) == before


# --- 1. two runs cannot share a folder --------------------------------------------------------


def test_two_runs_given_one_new_folder_one_is_refused(home):
    """Started together into the same new ``hydra.run.dir``: one runs, one is refused."""
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    before = snapshot(home)
    commands = [
        [str(BIN / "escalation"), *SMALL, f"seed={seed}", "hydra.run.dir=shared"] for seed in (1, 2)
    ]
    started = [
        subprocess.Popen(c, cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    ends = [(p.wait(timeout=120), p.stderr.read().decode()) for p in started]
    for p in started:
        p.stdout.close()
        p.stderr.close()

    statuses = sorted(status for status, _ in ends)
    assert statuses == [0, 2]
    ran = next(seed for (status, _), seed in zip(ends, (1, 2), strict=True) if status == 0)
    refused = next(err for status, err in ends if status == 2)
    assert len(refused.splitlines()) == 1 and "hydra.run.dir" in refused
    assert json.loads((home / "shared" / "summary.json").read_text())["seed"] == ran
    assert "seed: " + str(ran) in (home / "shared" / ".hydra" / "config.yaml").read_text()
    assert outside(snapshot(home), "shared") == before


def test_a_run_folder_is_claimed_once(tmp_path):
    folder = tmp_path / "out"
    refused = pytest.raises(ConfigError, match=r"^hydra\.run\.dir=.*out: already holds files")
    with hold(folder, sweep=False), refused, hold(folder, sweep=False):
        pytest.fail("the folder was claimed twice")
    assert (folder / MARKER).is_file()


HOLDER = """
import sys
from pathlib import Path
from escalation.cli.folders import hold
with hold(Path(sys.argv[1]), sweep=True):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_sweep_folder_held_by_another_process_is_refused(tmp_path):
    folder = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        message = (
            rf"^hydra\.sweep\.dir=.*out: in use by another escalation \(process {holder.pid}\)"
        )
        with pytest.raises(ConfigError, match=message), hold(folder, sweep=True):
            pytest.fail("the folder was held twice")
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == [MARKER]  # the lock went with its holder


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / MARKER).write_text("")
    dead = subprocess.Popen(["true"])
    dead.wait()
    (folder / LOCK_FILE).write_text(f"{dead.pid}\n")
    with own_folder(folder, "--out out"):
        assert (folder / LOCK_FILE).read_text() == f"{os.getpid()}\n"
    assert not (folder / LOCK_FILE).exists()


def test_a_failed_command_leaves_no_folder_it_created(tmp_path):
    folder = tmp_path / "new" / "out"
    with pytest.raises(KeyboardInterrupt), own_folder(folder, "--out new/out"):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argument", "says"),
    [
        ("hydra.run.dir=link", "/L already holds files (app.log)"),  # a link to the user's L
        ("hydra.run.dir=empty/../L", "/L already holds files (app.log)"),
        ("hydra.sweep.dir=link", "holds files (app.log) but no sweep"),
    ],
)
def test_output_paths_are_resolved_before_the_checks(home, argument, says):
    (home / "link").symlink_to("L")
    (home / "empty").mkdir()
    before = snapshot(home)
    multirun = ["-m", "policy.troops=none,combat"] if "sweep" in argument else []
    with pytest.raises(ConfigError) as refused:
        prepare([*multirun, *SMALL, argument])
    assert says in str(refused.value) and str(home / "L") in str(refused.value)
    assert snapshot(home) == before


def test_a_sweep_folder_escalation_did_not_make_is_not_resumed(home, finished):
    """A folder holding a sweep's files but no marker passes the checks, then is refused."""
    copy("sweep", unmark)(home, finished)
    before = snapshot(home)
    refused = pytest.raises(ConfigError, match="holds files escalation did not make")
    with refused, hold(home / "case", sweep=True):
        pytest.fail("the folder was held")
    assert snapshot(home) == before


# --- 3. timelines are read as what they are ---------------------------------------------------


def _fifo(home: Path) -> str:
    os.mkfifo(home / "pipe")
    return "pipe"


def _huge(home: Path) -> str:
    row = "2024-10,us,aid,x,y\n"
    text = ",".join(COLUMNS) + "\n" + row * (MAX_TIMELINE_BYTES // len(row) + 1)
    (home / "huge.csv").write_text(text)
    return "huge.csv"


TIMELINES = [
    ("dev-zero", lambda home: "/dev/zero", "/dev/zero is a device, not a regular file"),
    ("fifo", _fifo, "pipe is a pipe (FIFO), not a regular file"),
    ("proc-environ", lambda home: "/proc/self/environ", "a system file whose size is not known"),
    ("folder", lambda home: "L", "L is a folder, not a regular file"),
    ("secret-file", lambda home: "secret.txt", "secret.txt:1: header must be exactly month,"),
    ("too-large", _huge, f"more than the {MAX_TIMELINE_BYTES:,} read at most"),
]


@pytest.mark.parametrize(("name", "make", "says"), TIMELINES, ids=[t[0] for t in TIMELINES])
@pytest.mark.parametrize("entry", ["escalation", "escalation-backtest", "api"])
def test_a_timeline_that_is_not_one_is_refused_in_one_line(home, capsys, entry, name, make, says):
    path = make(home)
    before = snapshot(home)
    if entry == "escalation":
        with pytest.raises(ConfigError) as refused:
            prepare([f"scenario.timeline={path}", "hydra.run.dir=run"])
        line = str(refused.value)
        assert line.startswith(f"scenario.timeline: {path}")
    elif entry == "api":
        with pytest.raises(ConfigError) as refused:
            escalation.simulate("history", replicates=2, months=2, **{"scenario.timeline": path})
        line = str(refused.value)
    else:
        status, out, err = call(["escalation-backtest", path, "--out", "out"], capsys)
        assert (status, len(err.splitlines())) == (2, 1)
        line = err
        assert SECRET not in out
    assert "\n" not in line.strip() and says in line
    assert SECRET not in line and "PATH=" not in line
    assert snapshot(home) == before


def test_a_refused_timeline_leaves_no_run_folder(home):
    """End to end: one line, status 2, no run folder, nothing else touched, no secret shown."""
    before = snapshot(home)
    result = run(["escalation", "scenario.timeline=secret.txt", "hydra.run.dir=run"], cwd=home)
    assert (result.returncode, len(result.stderr.splitlines())) == (2, 1)
    assert result.stderr.startswith("escalation: error: scenario.timeline: secret.txt:1: header")
    assert SECRET not in result.stdout + result.stderr
    assert snapshot(home) == before


# --- 4. spreadsheet formulas are escaped in every CSV written ---------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-0.5", "-0.5"),
        ("+3", "+3"),
        ("none", "none"),
        (-0.5, -0.5),
    ],
)
def test_a_formula_cell_gets_a_leading_quote_and_a_number_stays(cell, written):
    assert formula_safe_text(cell) == written


def _cells(path: Path) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(path.read_text(), newline="")) for cell in row]


def _is_formula(cell: str) -> bool:
    return cell.startswith(("=", "+", "@", "\t", "\r")) or (
        cell.startswith("-") and formula_safe_text(cell) != cell
    )


def test_run_tables_escape_formulas_in_text_columns_only(tmp_path):
    outcomes = pd.DataFrame({"replicate": [0, 1], "score": [-0.5, 1.0]})
    trajectories = pd.DataFrame({"replicate": [0, 1], "note": ["=cmd|x", "plain"], "x": [-1, 2]})
    write_tables(tmp_path, outcomes, trajectories)
    assert (tmp_path / "outcomes.csv").read_text() == "replicate,score\n0,-0.5\n1,1.0\n"
    assert (tmp_path / "trajectories.csv").read_text() == (
        "replicate,note,x\n0,'=cmd|x,-1\n1,plain,2\n"
    )
    assert formula_safe(outcomes) is outcomes  # nothing to escape: the table as it is


def test_a_gathered_sweep_escapes_a_formula_scenario_name(home, finished, capsys):
    copy("sweep", formula_scenario)(home, finished)
    before = snapshot(home)
    status, _, _ = call(["escalation-report", "case"], capsys)
    assert status == 0
    for name in ("outcomes.csv", "summary.csv"):
        cells = _cells(home / "case" / name)
        assert '\'=HYPERLINK("http://x","y")' in cells
        assert not [cell for cell in cells if _is_formula(cell)]
    assert outside(snapshot(home), "case") == outside(before, "case")


def test_read_back_refuses_what_is_not_a_regular_file(tmp_path):
    from escalation.files import read_regular

    (tmp_path / "real").write_text("x")
    (tmp_path / "link").symlink_to("real")
    with pytest.raises(FileRefused, match="link is a symbolic link"):
        read_regular(tmp_path / "link")
    assert read_regular(tmp_path / "link", follow=True) == b"x"
    with pytest.raises(FileRefused, match="is a folder"):
        read_regular(tmp_path)
