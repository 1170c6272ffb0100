"""Bad input and faults, as a hostile user or a failing machine would bring them.

Every case runs a command in a folder holding files the user owns (``notes.log``, ``L/app.log``)
and checks: the exit status; exactly one line on stderr, naming the key or file; no traceback;
and that nothing the user owned changed. Bad input (status 2) must also leave nothing behind;
a fault while writing (status 1) may leave only what the run itself created.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
SMALL = ("sim.replicates=40", "sim.months=6", "sim.figures=false")
#: Overrides whose run needs more memory than any machine has (the guard refuses it).
HUGE = "1000000000"


def run(command: list[str], cwd: Path, wrap: list[str] | None = None):
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    program = [str(BIN / command[0]), *command[1:]]
    return subprocess.run(
        [*(wrap or []), *program], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: files by content hash, folders and links by kind."""
    state = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            state[name] = f"link to {os.readlink(path)}"
        elif path.is_fifo():
            state[name] = "fifo"
        elif path.is_file():
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[name] = "folder"
    return state


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _cut(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _header_only(path: Path) -> None:
    path.write_text(path.read_text().splitlines()[0] + "\n")


def _replace_first_field(path: Path, value: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = value + lines[1][lines[1].index(",") :]
    path.write_text("".join(lines))


def _drop_last_row(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))


def _user_callback_config(home: Path) -> None:
    scenario = home / "mine" / "scenario"
    scenario.mkdir(parents=True)
    (scenario / "evil.yaml").write_text(
        "# @package _global_\n"
        "scenario: {name: evil, title: Evil, description: deletes notes.log}\n"
        "hydra:\n  callbacks:\n    evil:\n      _target_: pathlib.Path.unlink\n"
        "      self: notes.log\n"
    )


def _user_env_config(home: Path) -> None:
    scenario = home / "mine" / "scenario"
    scenario.mkdir(parents=True)
    (scenario / "env.yaml").write_text(
        "# @package _global_\n"
        "scenario: {name: env, title: '${oc.env:HOME}', description: reads the environment}\n"
    )


def _readonly(folder: str) -> list[str]:
    """Run in a mount namespace where ``folder`` (under the working folder) is read-only.

    As root, permission bits do not stop writes; a read-only bind mount does.
    """
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" "{folder}"'
    return ["unshare", "-m", "sh", "-c", f'{script} && exec "$0" "$@"']


def _full(folder: str) -> list[str]:
    """Run in a mount namespace where ``folder`` is a 64 KiB file system: the disk fills up."""
    return [
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount -t tmpfs -o size=64k tmpfs "{folder}" && exec "$0" "$@"',
    ]


@functools.cache
def _can_mount() -> bool:
    """Whether this process may make a mount namespace with a tmpfs (root, CAP_SYS_ADMIN)."""
    probe = ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"]
    try:
        return subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass
class Case:
    """A command, what to prepare, the exit status and what its one stderr line says."""

    id: str
    command: list[str]
    status: int
    says: str
    prepare: Callable[[Path], None] | None = None
    wrap: list[str] | None = None
    #: A folder the command may write into (a fault while writing may leave what the run
    #: created there; a resumed sweep rewrites Hydra's records); everything else must not change.
    writes: str = ""


def _copy(name: str, edit: Callable[[Path], None] | None = None):
    """Prepare by copying the finished ``run`` or ``sweep`` folder into ``case``, then editing."""

    def prepare(home: Path, finished: Path) -> None:
        shutil.copytree(finished / name, home / "case", symlinks=True)
        if edit is not None:
            edit(home / "case")

    prepare.copies = True
    return prepare


CASES = [
    # --- escalation: values ---
    Case(
        "seed-negative",
        ["escalation", "seed=-1"],
        2,
        "seed=-1 is out of range: must be between 0 and 9223372036854775807",
    ),
    Case("start-year-0", ["escalation", "sim.start=0000-01"], 2, "sim.start='0000-01'"),
    Case(
        "scenario-null", ["escalation", "scenario=null"], 2, "scenario=null: scenario takes a name"
    ),
    Case(
        "scenario-path", ["escalation", "scenario=../../x"], 2, "scenario=../../x: scenario takes"
    ),
    Case("launcher-path", ["escalation", "hydra/launcher=../x"], 2, "hydra/launcher=../x"),
    Case("huge-integer", ["escalation", "sim.replicates=99999999999999999999999"], 2, "of memory"),
    Case(
        "narrative-huge",
        ["escalation", "sim.narrative_replicate=99999999999999999999"],
        2,
        "sim.narrative_replicate=99999999999999999999 must be below sim.replicates=1000",
    ),
    Case(
        "replicates-memory",
        ["escalation", f"sim.replicates={HUGE}"],
        2,
        "sim.replicates=1,000,000,000 x sim.months=36 needs about",
    ),
    Case(
        "months-memory",
        ["escalation", "sim.months=600", "sim.replicates=100000000"],
        2,
        "sim.replicates=100,000,000 x sim.months=600 needs about",
    ),
    Case(
        "months-calendar",
        ["escalation", "sim.start=9990-01", "sim.months=600"],
        2,
        "sim.start='9990-01' with sim.months=600",
    ),
    Case(
        "months-huge",
        ["escalation", "sim.months=1000000"],
        2,
        "sim.months=1000000 is out of range: must be between 1 and 600",
    ),
    Case(
        "self-reference", ["escalation", "seed=${seed}"], 2, "seed: interpolations (${...}) are not"
    ),
    Case(
        "run-dir-self-reference",
        ["escalation", "hydra.run.dir=${hydra.run.dir}"],
        2,
        "hydra.run.dir: interpolations (${...}) are not allowed",
    ),
    Case(
        "nan-range",
        ["escalation", "uncertainty.follow_through.low=nan"],
        2,
        "follow_through.low=nan",
    ),
    Case(
        "inf-range",
        ["escalation", "uncertainty.cost_sensitivity.high=inf"],
        2,
        "cost_sensitivity.high=inf",
    ),
    Case(
        "inf-doctrine",
        ["escalation", "doctrine.russia.rationality=inf"],
        2,
        "doctrine.russia.rationality=inf",
    ),
    Case(
        "nan-trigger",
        ["escalation", "policy.timing.troops.position_below=nan"],
        2,
        "policy.timing.troops.position_below=nan",
    ),
    Case("trajectories-not-bool", ["escalation", "sim.trajectories=maybe"], 2, "sim.trajectories"),
    # --- escalation: the machine ---
    Case(
        "callback-override",
        [
            "escalation",
            "+hydra.callbacks.e._target_=pathlib.Path.unlink",
            "+hydra.callbacks.e.self=notes.log",
        ],
        2,
        "hydra.callbacks cannot be set",
    ),
    Case(
        "target-override",
        ["escalation", "+hydra.job_logging.handlers.x._target_=os.system"],
        2,
        "_target_ cannot be set",
    ),
    Case(
        "callback-in-user-yaml",
        ["escalation", "--config-dir", "mine", "scenario=evil"],
        2,
        "mine/scenario/evil.yaml:6: hydra.callbacks.evil._target_ cannot be set",
        prepare=_user_callback_config,
    ),
    Case(
        "env-override",
        ["escalation", "scenario.title=${oc.env:HOME}"],
        2,
        "scenario.title: interpolations",
    ),
    Case(
        "env-in-user-yaml",
        ["escalation", "--config-dir", "mine", "scenario=env"],
        2,
        "mine/scenario/env.yaml:2: interpolations (${...}) are not allowed",
        prepare=_user_env_config,
    ),
    # --- escalation: output folders ---
    Case(
        "run-dir-dev-null",
        ["escalation", "hydra.run.dir=/dev/null"],
        2,
        "hydra.run.dir=/dev/null is not a folder",
    ),
    Case("run-dir-file", ["escalation", "hydra.run.dir=notes.log/run"], 2, "notes.log is a file"),
    Case(
        "invalid-into-user-folder",
        ["escalation", "hydra.run.dir=L", "sim.replicates=0"],
        2,
        "sim.replicates=0",
    ),
    Case(
        "run-into-user-folder",
        ["escalation", "hydra.run.dir=L"],
        2,
        "L already holds files (app.log)",
    ),
    Case("run-into-cwd", ["escalation", "hydra.run.dir=.", "sim.months=0"], 2, "sim.months=0"),
    Case(
        "valid-run-into-cwd",
        ["escalation", "hydra.run.dir=."],
        2,
        "already holds files (L, notes.log)",
    ),
    Case(
        "run-dir-read-only",
        ["escalation", *SMALL, "hydra.run.dir=ro/run"],
        2,
        "cannot write in",
        prepare=lambda home: (home / "ro").mkdir(),
        wrap=_readonly("ro"),
    ),
    Case(
        "run-dir-full",
        ["escalation", "sim.replicates=2000", "sim.figures=false", "hydra.run.dir=disk/run"],
        1,
        "No space left on device",
        prepare=lambda home: (home / "disk").mkdir(),
        wrap=_full("disk"),
        writes="disk",
    ),
    # --- escalation: sweeps ---
    Case(
        "n-jobs-0",
        [
            "escalation",
            "-m",
            "policy.troops=none,combat",
            "hydra/launcher=joblib",
            "hydra.launcher.n_jobs=0",
        ],
        2,
        "hydra.launcher.n_jobs=0",
    ),
    Case("jobs-1e8", ["escalation", "-m", "seed=range(0,100000000)"], 2, "more than 100,000 jobs"),
    Case(
        "sweep-unknown-option",
        ["escalation", "-m", "scenario=troops,nope"],
        2,
        "unknown scenario 'nope'",
    ),
    Case(
        "sweep-bad-value",
        ["escalation", "-m", "policy.troops=none,banana"],
        2,
        "policy.troops: invalid value 'banana'",
    ),
    Case("sweep-huge-value", ["escalation", "-m", f"sim.replicates=10,{HUGE}"], 2, "needs about"),
    Case(
        "sweep-into-user-folder",
        ["escalation", "-m", "policy.troops=none,combat", "hydra.sweep.dir=L"],
        2,
        "L already holds files (app.log) but no sweep",
    ),
    Case(
        "gather-figures-is-a-file",
        ["escalation", "-m", "policy.troops=none,combat", *SMALL, "hydra.sweep.dir=case"],
        1,
        "figures",
        prepare=_copy(
            "sweep", lambda d: (shutil.rmtree(d / "figures"), (d / "figures").write_text("x"))
        ),
        writes="case",
    ),
    Case(
        "sweep-symlinked-job",
        ["escalation", "-m", "policy.troops=none,combat", *SMALL, "hydra.sweep.dir=case"],
        2,
        "1 is a symbolic link",
        prepare=_copy("sweep", lambda d: (shutil.rmtree(d / "1"), (d / "1").symlink_to("0"))),
    ),
    # --- escalation-report ---
    Case(
        "report-wrong-type",
        ["escalation-report", "case"],
        2,
        "case: malformed outcomes.csv: column replicate holds non-numbers",
        prepare=_copy("run", lambda d: _replace_first_field(d / "outcomes.csv", "abc")),
    ),
    Case(
        "report-header-only",
        ["escalation-report", "case"],
        2,
        "malformed outcomes.csv: no rows",
        prepare=_copy("run", lambda d: _header_only(d / "outcomes.csv")),
    ),
    Case(
        "report-truncated",
        ["escalation-report", "case"],
        2,
        "malformed outcomes.csv: cut short",
        prepare=_copy("run", lambda d: _cut(d / "outcomes.csv", -7)),
    ),
    Case(
        "report-row-count",
        ["escalation-report", "case"],
        2,
        "malformed outcomes.csv: 39 rows, expected 40",
        prepare=_copy("run", lambda d: _drop_last_row(d / "outcomes.csv")),
    ),
    Case(
        "report-policy-null",
        ["escalation-report", "case"],
        1,
        "1 of 2 jobs have no results",
        prepare=_copy(
            "sweep",
            lambda d: _edit_json(
                d / "0" / "summary.json", lambda s: s["config"].update(policy=None)
            ),
        ),
        writes="case",
    ),
    Case(
        "report-sweep-truncated-job",
        ["escalation-report", "case"],
        1,
        "1 of 2 jobs have no results",
        prepare=_copy("sweep", lambda d: _cut(d / "1" / "outcomes.csv", -7)),
        writes="case",
    ),
    Case(
        "report-1e8-jobs",
        ["escalation-report", "case"],
        2,
        "multirun.yaml asks for more than 100,000 jobs",
        prepare=_copy(
            "sweep",
            lambda d: (d / "multirun.yaml").write_text(
                (d / "multirun.yaml")
                .read_text()
                .replace("policy.troops=none,combat", "seed=range(0,100000000)")
            ),
        ),
    ),
    Case(
        "report-figures-is-a-file",
        ["escalation-report", "case"],
        1,
        "figures",
        prepare=_copy(
            "sweep", lambda d: (shutil.rmtree(d / "figures"), (d / "figures").write_text("x"))
        ),
        writes="case",
    ),
    # --- escalation-analyze ---
    Case(
        "analyze-wrong-type",
        ["escalation-analyze", "case"],
        2,
        "outcomes.csv is malformed: column replicate holds non-numbers",
        prepare=_copy("run", lambda d: _replace_first_field(d / "outcomes.csv", "abc")),
    ),
    Case(
        "analyze-header-only",
        ["escalation-analyze", "case"],
        2,
        "outcomes.csv has no rows",
        prepare=_copy("run", lambda d: _header_only(d / "outcomes.csv")),
    ),
    Case(
        "analyze-truncated",
        ["escalation-analyze", "case"],
        2,
        "outcomes.csv is malformed: cut short",
        prepare=_copy("run", lambda d: _cut(d / "outcomes.csv", -7)),
    ),
    Case(
        "analyze-policy-null",
        ["escalation-analyze", "case"],
        2,
        "summary.json is malformed: policy is None, not a mapping",
        prepare=_copy(
            "run",
            lambda d: _edit_json(d / "summary.json", lambda s: s["config"].update(policy=None)),
        ),
    ),
    Case(
        "analyze-job-not-a-number",
        ["escalation-analyze", "case"],
        2,
        "outcomes.csv is malformed: column job holds non-numbers",
        prepare=_copy("sweep", lambda d: _replace_first_field(d / "outcomes.csv", "x")),
    ),
    Case(
        "analyze-out-is-a-file",
        ["escalation-analyze", "case", "--out", "notes.log"],
        2,
        "--out notes.log is a file",
        prepare=_copy("run"),
    ),
    Case(
        "analyze-above-nan",
        ["escalation-analyze", "case", "--outcome", "max_rung", "--above", "nan"],
        2,
        "--above=nan",
        prepare=_copy("run"),
    ),
    Case(
        "analyze-inverted-range",
        ["escalation-analyze", "case"],
        2,
        "the range of follow_through is [0.9, 0.1]",
        prepare=_copy(
            "run",
            lambda d: _edit_json(
                d / "summary.json",
                lambda s: s["config"]["uncertainty"].update(
                    follow_through={"low": 0.9, "high": 0.1}
                ),
            ),
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_and_faults_end_with_one_line(case: Case, tmp_path: Path, finished: Path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.log").write_text("my notes\n")
    (home / "L").mkdir()
    (home / "L" / "app.log").write_text("x\n")
    if case.prepare is not None:
        if getattr(case.prepare, "copies", False):
            case.prepare(home, finished)
        else:
            case.prepare(home)
    before = snapshot(home)
    if case.wrap and not _can_mount():
        pytest.skip("simulating a read-only or full disk needs a mount namespace (root)")

    result = run(case.command, cwd=home, wrap=case.wrap)

    lines = result.stderr.splitlines()
    assert (result.returncode, len(lines)) == (case.status, 1)
    program = case.command[0]
    assert lines[0].startswith(f"{program}: error: ")
    assert case.says in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    after = snapshot(home)
    if case.writes:
        before = {k: v for k, v in before.items() if not k.startswith(case.writes)}
        after = {k: v for k, v in after.items() if not k.startswith(case.writes)}
    assert after == before
    assert not [name for name in snapshot(home) if name.endswith(".tmp")]


def test_summary_json_is_strict_json(tmp_path: Path):
    from escalation.run.results import write_summary

    write_summary(tmp_path, {"p": float("nan"), "means": [1.5, float("inf")], "n": 3})
    text = (tmp_path / "summary.json").read_text()
    refuse = {"parse_constant": lambda token: pytest.fail(f"non-strict JSON token {token}")}
    assert json.loads(text, **refuse) == {"p": None, "means": [1.5, None], "n": 3}
