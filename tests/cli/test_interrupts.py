"""Interrupts: Ctrl-C stops a sweep with one line and status 130; a killed sweep's workers end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

BIN = Path(sys.executable).parent
#: Ten jobs of about half a second each: long enough to interrupt one in the middle.
SLOW_SWEEP = ["-m", "seed=range(0,10)", "sim.replicates=20000", "sim.months=24"]


def start(arguments: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.Popen(
        [str(BIN / "escalation"), *arguments],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # signals sent by the test reach this process group only
    )


def wait_for_line(process: subprocess.Popen[str], text: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if text in line:
            return
        assert line
    raise AssertionError(f"no line with {text!r} within {timeout} s")


def test_ctrl_c_stops_a_sweep_with_one_line_and_the_same_command_resumes(tmp_path):
    arguments = [*SLOW_SWEEP, "hydra.sweep.dir=sweep"]
    process = start(arguments, tmp_path)
    wait_for_line(process, "[job 1/")
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130
    assert stderr.splitlines() == ["escalation: interrupted; re-run the same command to resume"]
    assert not list(tmp_path.rglob("*.tmp"))
    done = sorted(int(p.parent.name) for p in (tmp_path / "sweep").glob("*/summary.json"))
    assert 2 <= len(done) < 10

    resumed = subprocess.run(
        [str(BIN / "escalation"), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0
    assert resumed.stdout.count("already complete, skipped") == len(done)
    assert sorted(pd.read_csv(tmp_path / "sweep" / "summary.csv")["job"]) == list(range(10))


def test_ctrl_c_in_a_sweep_without_a_folder_names_the_folder_to_resume(tmp_path):
    process = start(SLOW_SWEEP, tmp_path)
    wait_for_line(process, "[job 0/")
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    (folder,) = (tmp_path / "multirun").iterdir()
    assert process.returncode == 130
    assert stderr.splitlines() == [
        f"escalation: interrupted; re-run the same command with hydra.sweep.dir={folder} to resume"
    ]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux ``/proc``)."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                children.append(int(entry.name))
    return children


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_joblib_workers_end_when_the_sweep_is_killed(tmp_path):
    arguments = [*SLOW_SWEEP, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]
    process = start([*arguments, "hydra.sweep.dir=sweep"], tmp_path)
    wait_for_line(process, "[job 0/")
    workers = _children(process.pid)
    assert workers
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.2)
    assert [pid for pid in workers if _alive(pid)] == []
