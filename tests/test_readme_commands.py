"""Every command the README and the site's pages show runs as written, from a fresh empty folder.

The commands are read from the fenced code blocks of the README and of every page under
``docs/``, so a new command is covered as soon as it is
written there. Commands are written as typed once the environment is active
(``source .venv/bin/activate``, which this test's PATH stands for). The rules, each narrow and
named:

- A line whose program is ``escalation`` or ``escalation-*`` (also as ``.venv/bin/escalation``,
  which is this environment's bin folder) runs verbatim; ``escalation`` gets ``SHORTEN``
  appended (a later override wins), only to keep the run short; a Sobol' design
  (``sim.sampling=sobol``) gets ``SHORTEN_SOBOL`` instead, its smallest size. Lines joined by
  ``\\`` are one command; a trailing ``# comment`` is not part of it.
- ``make run ARGS="..."`` runs what the Makefile runs: ``escalation ARGS``.
- ``escalation-dashboard`` is a server: it runs verbatim until it serves its page on
  127.0.0.1 (port from ``--server.port``, else 8501), then it is stopped.
- A transcript line ``$ command`` followed by ``escalation: error: ...`` must exit with status 2
  and print exactly that line on stderr; any other command must exit with status 0.
- A code block preceded by ``<!-- readme-commands: not run: REASON -->`` is not run. It may only
  hold, each kind checked: commands for a cluster (``hydra/launcher=ray_cluster`` or ``slurm``),
  whose stand-ins on this machine tests/sweep/test_cluster.py runs; full-size runs of the
  calibration and the refit (``FULL_SIZE``), each shown again at a small size in a block that
  runs; or a transcript of errors (every command ``$ ...`` followed by ``PROGRAM: error: ...``)
  on prepared folders, whose messages the tests of the command check.
- Other programs are not run, each kind by a rule in ``OTHER_PROGRAMS`` (they have their own
  tests); a command line matching no rule fails the test.

Each code block runs in a fresh empty folder of its own, its commands in README order, so that a
command using an earlier one's output (``escalation-analyze multirun/avr`` after the sweep into
it) finds it; a block never depends on another. The blocks are separate tests, so pytest-xdist
runs them on every core.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: The README, then the site's pages, in a stable order.
DOCUMENTS = [
    README,
    *sorted(path for path in (ROOT / "docs").rglob("*.md") if "includes" not in path.parts),
]
BIN = Path(sys.executable).parent
#: Appended to every ``escalation`` command: 112 = 8 x (12 + 2) replicates, the smallest Saltelli
#: design over the 12 uncertainties.
SHORTEN = ["sim.replicates=112"]
#: Appended instead to a Sobol' design: 264 = 8 x (31 + 2) draws of one replicate, the smallest
#: Saltelli design over the 12 uncertainties and the 19 doctrine priors.
SHORTEN_SOBOL = ["sim.replicates=264", "sim.draws=264"]
SKIP_MARKER = re.compile(r"<!--\s*readme-commands:\s*not run:\s*(?P<reason>.+?)\s*-->")
CLUSTER_LAUNCHERS = ("hydra/launcher=ray_cluster", "hydra/launcher=slurm")
#: Commands at their full default size (minutes each), the only ones a marked block may hold
#: besides cluster commands and error transcripts.
FULL_SIZE = ("escalation-calibrate", "escalation-backtest --refit")
#: Programs the README shows that this test does not run, and why.
OTHER_PROGRAMS = {
    "make test": "runs this very test suite",
    "make docs": "serves the site until Ctrl-C; tests/test_docs.py builds it",
    "make dashboard": "installs the dashboard extra and serves escalation-dashboard, which the "
    "escalation-dashboard lines run; tests/classroom/test_classroom.py checks the target",
    "source .venv/bin/activate": "puts .venv/bin on the PATH, as this test's PATH does",
    "python benchmarks/": "benchmarks take minutes; tests/ covers what they measure",
    "python experiments/": "experiments are run briefly by tests/test_experiments.py",
    "pip install": "installs what this environment already has",
    "ray start": "starts a Ray cluster (tests/sweep/test_cluster.py starts one on loopback)",
}
#: Programs whose lines are matched by ``OTHER_PROGRAMS`` (or run, for ``make run``).
LISTED_PROGRAMS = ("make", "ray", "python", "pip", "source")


#: Shell programs the README shows to set up a scenario of one's own; they run as written.
SHELL_PROGRAMS = ("mkdir", "sed")


@dataclass
class Command:
    """A command from the README: its words, what it must print on error, and its source."""

    words: list[str]
    line: str
    error: str | None = None
    #: Run by bash as written (a shell program, or output redirected into a file).
    shell: bool = False


def code_blocks(text: str) -> list[tuple[str | None, list[str]]]:
    """Each fenced code block: the skip reason from a marker just before it, and its lines."""
    blocks, lines, inside, reason, previous = [], [], False, None, ""
    for line in text.splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append((reason, lines))
                lines, reason = [], None
            else:
                match = SKIP_MARKER.search(previous)
                reason = match["reason"] if match else None
            inside = not inside
        elif inside:
            lines.append(line)
        if line.strip():
            previous = line
    return blocks


def joined(lines: list[str]) -> list[str]:
    """Lines with ``\\`` continuations joined."""
    result, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
        else:
            result.append(pending + line)
            pending = ""
    return result


def program_words(line: str) -> list[str]:
    """A command line as words, without the prompt and the trailing comment."""
    return shlex.split(line.removeprefix("$ "), comments=True)


def is_escalation(word: str) -> bool:
    return re.fullmatch(r"(\.venv/bin/)?escalation(-[a-z]+)?", word) is not None


def readme_blocks(
    documents: list[Path] | None = None,
) -> tuple[list[list[Command]], list[tuple[str, str]]]:
    """The commands to run, a list per code block that has any, and the command lines not run
    with the rule that says why (all documents unless given)."""
    blocks, not_run = [], []
    blocks_of = [
        block
        for document in documents or DOCUMENTS
        for block in code_blocks(document.read_text(encoding="utf-8"))
    ]
    for reason, block in blocks_of:
        lines = joined(block)
        commands: list[Command] = []
        blocks.append(commands)
        for index, line in enumerate(lines):
            text = line.strip()
            first = text.removeprefix("$ ").split(" ")[0]
            if first in SHELL_PROGRAMS:
                commands.append(Command(program_words(text), text, shell=True))
                continue
            if not (is_escalation(first) or first in LISTED_PROGRAMS or first.startswith(".venv/")):
                continue  # prose, output, or code in another language
            words = program_words(text)
            if reason is not None and is_escalation(first):
                following = lines[index + 1].strip() if index + 1 < len(lines) else ""
                transcript = text.startswith("$ ") and following.startswith(f"{first}: error:")
                full_size = program_words(text) in [c.split() for c in FULL_SIZE]
                cluster = any(launcher in text for launcher in CLUSTER_LAUNCHERS)
                if not (transcript or full_size or cluster):
                    pytest.fail(f"a command in a block marked not run may not be: {text}")
                not_run.append((text, reason))
                continue
            if words[:2] == ["make", "run"]:
                arguments = [w.removeprefix("ARGS=") for w in words[2:]]
                words = ["escalation", *(a for w in arguments for a in w.split())]
            if is_escalation(words[0]):
                following = lines[index + 1].strip() if index + 1 < len(lines) else ""
                error = (
                    following
                    if text.startswith("$ ") and following.startswith("escalation: error:")
                    else None
                )
                commands.append(Command(words, text, error, shell=">" in words))
                continue
            rule = next(
                (
                    r
                    for prefix, r in OTHER_PROGRAMS.items()
                    if text.removeprefix(".venv/bin/").startswith(prefix)
                ),
                None,
            )
            if rule is None:
                pytest.fail(f"command with no rule in this test: {text}")
            not_run.append((text, rule))
    return [commands for commands in blocks if commands], not_run


def readme_commands() -> tuple[list[Command], list[tuple[str, str]]]:
    """Every command to run, in README order, and the command lines not run with their rule."""
    blocks, not_run = readme_blocks()
    return [command for commands in blocks for command in commands], not_run


def test_readme_commands_are_found_and_every_other_line_has_a_rule():
    commands, not_run = readme_commands()
    programs = {Path(c.words[0]).name for c in commands}
    assert {"escalation", "escalation-analyze"} <= programs
    assert any("-m" in c.words for c in commands)
    assert [c.error for c in commands if c.error] == [
        "escalation: error: policy.troops: invalid value 'banana'; allowed: none, noncombat, "
        "combat",
        "escalation: error: unknown scenario 'nope'; available: deep_strikes, history, "
        "instructors, status_quo, template, troops",
    ]
    assert all(reason for _, reason in not_run)


def serves(program: Path, arguments: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Start a server command, wait until it serves its page on 127.0.0.1, then stop it."""
    port = "8501"
    for index, word in enumerate(arguments):
        if word.startswith("--server.port"):
            port = word.split("=", 1)[1] if "=" in word else arguments[index + 1]
    server = subprocess.Popen(
        [str(program), *arguments],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    assert answer.status == 200
                    return
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.5)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


BLOCKS = readme_blocks()[0]


@pytest.mark.parametrize(
    "commands", BLOCKS, ids=[f"{i}:{commands[0].line[:40]}" for i, commands in enumerate(BLOCKS)]
)
def test_every_readme_command_runs_as_written_from_an_empty_folder(commands, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    for command in commands:
        program = BIN / Path(command.words[0]).name
        if program.name == "escalation-dashboard":
            started = time.perf_counter()
            serves(program, command.words[1:], tmp_path, env)
            print(f"{time.perf_counter() - started:5.1f} s  {command.line}  (served, stopped)")
            continue
        extra = []
        if program.name == "escalation" and command.error is None:
            extra = SHORTEN_SOBOL if "sim.sampling=sobol" in command.words else SHORTEN
        arguments = [str(program), *command.words[1:], *extra]
        if command.shell:
            arguments = ["bash", "-c", command.line.removeprefix("$ ")]
        started = time.perf_counter()
        result = subprocess.run(
            arguments,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        print(f"{time.perf_counter() - started:5.1f} s  {command.line}")
        if command.error is None:
            assert result.returncode == 0
            assert "Traceback" not in result.stderr
        else:
            assert (result.returncode, result.stderr.splitlines()) == (2, [command.error])
    # Every sweep the block shows lands in its folder: hydra.sweep.dir if given, else
    # multirun/<date_time>/; each holds its gathered summary.
    sweeps = [
        c
        for c in commands
        if c.error is None and ("-m" in c.words or any(w.startswith("sweep=") for w in c.words))
    ]
    named = {
        w.split("=", 1)[1] for c in sweeps for w in c.words if w.startswith("hydra.sweep.dir=")
    }
    folders = sorted(p.name for p in (tmp_path / "multirun").iterdir()) if sweeps else []
    dated = [n for n in folders if re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d+)?", n)]
    assert len(dated) == len(sweeps) - len(named)
    assert {f"multirun/{name}" for name in set(folders) - set(dated)} == named
    for name in folders:
        assert (tmp_path / "multirun" / name / "summary.csv").is_file()


def test_the_readme_shows_sweeps_into_named_and_dated_folders():
    """The README shows both where a sweep goes by default and how to name its folder."""
    sweeps = [c for c in readme_commands()[0] if "-m" in c.words and c.error is None]
    named = [c for c in sweeps if any(w.startswith("hydra.sweep.dir=") for w in c.words)]
    assert len(named) >= 2
    assert len(sweeps) - len(named) >= 2
