"""Every size a user can type is bounded before work starts; every traceback is one line.

In-process where possible: ``escalation``'s checks through ``escalation.cli.preflight.prepare``,
``escalation-analyze`` and ``escalation-backtest`` through their ``main`` (exit status and the
one stderr line). Each case runs in an empty working folder that must stay as it was. A few
end-to-end cases run the installed commands: a sweep asking for 100,000 workers, Ctrl-C while
``escalation`` starts up, and a back-test on a full disk.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bad_input import _can_mount, _full, snapshot

from escalation.analysis.cli import main as analyze
from escalation.backtest.cli import main as backtest
from escalation.cli.preflight import prepare
from escalation.config.limits import MAX_MONTHS, WORKERS_PER_CORE
from escalation.config.schema import ConfigError, uncertainty_names

BIN = Path(sys.executable).parent
CORES = os.cpu_count() or 1
WORKERS = (
    f"allowed: 1 to {WORKERS_PER_CORE * CORES} ({WORKERS_PER_CORE} per core, {CORES} cores "
    f"here), or -1 (all cores) down to -{CORES}"
)
SWEEP = ["-m", "policy.troops=none,combat", "sim.replicates=10"]
HEADER = "month,actor,event,description,source"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder for the command; the test checks it is left as it was."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------------------------
# escalation: the checks before Hydra starts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            [*SWEEP, "hydra/launcher=joblib", "hydra.launcher.n_jobs=100000"],
            f"hydra.launcher.n_jobs=100000 is out of range; {WORKERS}",
        ),
        (
            [*SWEEP, "hydra/launcher=joblib", "hydra.launcher.n_jobs=-100000"],
            f"hydra.launcher.n_jobs=-100000 is out of range; {WORKERS}",
        ),
        (
            [
                *SWEEP,
                "hydra/launcher=joblib",
                f"hydra.launcher.n_jobs={WORKERS_PER_CORE * CORES + 1}",
            ],
            f"hydra.launcher.n_jobs={WORKERS_PER_CORE * CORES + 1} is out of range; {WORKERS}",
        ),
        (
            [*SWEEP, "hydra/sweeper=batched", "hydra.sweeper.chunk=0"],
            "hydra.sweeper.chunk=0 is out of range; allowed: an integer >= 1",
        ),
        (["sim.months=601"], "sim.months=601 is out of range: must be between 1 and 600"),
        (["sim.months=95000"], "sim.months=95000 is out of range: must be between 1 and 600"),
        (
            ["-m", "sim.months=1,1000", "sim.replicates=10"],
            "sim.months=1000 is out of range: must be between 1 and 600",
        ),
        (["sim.months=0"], "sim.months=0 is out of range: must be between 1 and 600"),
    ],
    ids=[
        "workers-huge",
        "workers-negative",
        "workers-one-too-many",
        "chunk-zero",
        "months-601",
        "months-95000",
        "months-swept",
        "months-zero",
    ],
)
def test_escalation_refuses_a_size_out_of_bounds_before_anything(home, arguments, message):
    before = snapshot(home)
    with pytest.raises(ConfigError) as caught:
        prepare(arguments)
    assert str(caught.value) == message
    assert snapshot(home) == before


def test_replicates_are_held_to_the_memory_available(home):
    with pytest.raises(ConfigError, match=r"^sim\.replicates=100,000,000,000 x sim\.months=36 "):
        prepare(["sim.replicates=100000000000"])
    assert snapshot(home) == {}


def test_the_largest_sizes_allowed_pass_the_checks(home):
    plan = prepare([f"sim.months={MAX_MONTHS}", "sim.replicates=10"])
    assert plan.folder is not None and not plan.folder.exists()
    plan = prepare([*SWEEP, "hydra/launcher=joblib", f"hydra.launcher.n_jobs=-{CORES}"])
    assert plan.multirun and not plan.folder.exists()


def test_a_sweep_asking_for_100000_workers_ends_with_one_line_and_writes_nothing(home):
    before = snapshot(home)
    command = [str(BIN / "escalation"), *SWEEP, "hydra/launcher=joblib"]
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    result = subprocess.run(
        [*command, "hydra.launcher.n_jobs=100000"],
        cwd=home,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (result.returncode, result.stderr.splitlines()) == (
        2,
        [f"escalation: error: hydra.launcher.n_jobs=100000 is out of range; {WORKERS}"],
    )
    assert snapshot(home) == before


@pytest.mark.parametrize("delay", [0.2, 0.5])
def test_ctrl_c_while_escalation_starts_up_is_one_line(home, delay):
    process = subprocess.Popen(
        [str(BIN / "escalation"), "hydra.run.dir=run"],
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the signal reaches this process group only
    )
    time.sleep(delay)  # still importing Hydra, pandas and Mesa (about a second)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    (line,) = stderr.splitlines()
    assert line.startswith("escalation: interrupted")
    assert not list(home.rglob("*.tmp"))


# --------------------------------------------------------------------------------------------
# escalation-analyze: its options
# --------------------------------------------------------------------------------------------

ASSUMPTIONS = len(uncertainty_names())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--seed", "-1"],
            "--seed -1 is out of range; allowed: an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            ["--seed", "9223372036854775808"],
            "--seed 9223372036854775808 is out of range; allowed: an integer from 0 to "
            "9,223,372,036,854,775,807",
        ),
        (
            ["--resamples", str(10**8)],
            "--resamples 100000000 is out of range; allowed: an integer from 2 to 1,000",
        ),
        (
            ["--resamples", "1"],
            "--resamples 1 is out of range; allowed: an integer from 2 to 1,000",
        ),
        (
            ["--resamples", "-3"],
            "--resamples -3 is out of range; allowed: an integer from 2 to 1,000",
        ),
        (["--boxes", "0"], "--boxes 0 is out of range; allowed: an integer from 1 to 20"),
        (
            ["--boxes", str(10**8)],
            "--boxes 100000000 is out of range; allowed: an integer from 1 to 20",
        ),
        (
            ["--max-dims", "0"],
            f"--max-dims 0 is out of range; allowed: an integer from 1 to {ASSUMPTIONS}",
        ),
        (
            ["--max-dims", str(ASSUMPTIONS + 1)],
            f"--max-dims {ASSUMPTIONS + 1} is out of range; allowed: an integer from 1 to "
            f"{ASSUMPTIONS}",
        ),
        (["--resamples", "many"], "argument --resamples: invalid int value: 'many'"),
        (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
        (["--boxes", ""], "argument --boxes: invalid int value: ''"),
        (["--above", "inf"], "--above=inf must be a finite number"),
        (["--below", "x"], "argument --below: invalid float value: 'x'"),
        (["--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_analyze_refuses_a_bad_number_in_one_line(home, monkeypatch, capsys, options, message):
    monkeypatch.setattr(sys, "argv", ["escalation-analyze", "run", *options])
    with pytest.raises(SystemExit) as stopped:
        analyze()
    assert stopped.value.code == 2
    assert capsys.readouterr().err == f"escalation-analyze: error: {message}\n"
    assert snapshot(home) == {}


# --------------------------------------------------------------------------------------------
# escalation-backtest: its options, its timeline's span, faults while writing
# --------------------------------------------------------------------------------------------


def _timeline(home: Path, *months: str) -> str:
    path = home / "mine.csv"
    path.write_text(HEADER + "\n" + "".join(f"{m},us,aid,x,y\n" for m in months))
    return path.name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--replicates", "0"], "--replicates 0 is out of range; allowed: an integer >= 1"),
        (["--replicates", "-7"], "--replicates -7 is out of range; allowed: an integer >= 1"),
        (
            ["--seed", "-1"],
            "--seed -1 is out of range; allowed: an integer from 0 to 9,223,372,036,854,775,807",
        ),
        (
            ["--seed", str(10**30)],
            f"--seed {10**30} is out of range; allowed: an integer from 0 to "
            "9,223,372,036,854,775,807",
        ),
        (["--replicates", "1e3"], "argument --replicates: invalid int value: '1e3'"),
        (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["--to", "2024-13"], "--to '2024-13' is not a month; allowed: YYYY-MM, e.g. 2023-10"),
    ],
)
def test_backtest_refuses_a_bad_number_in_one_line(home, monkeypatch, capsys, options, message):
    monkeypatch.setattr(sys, "argv", ["escalation-backtest", *options])
    with pytest.raises(SystemExit) as stopped:
        backtest()
    assert stopped.value.code == 2
    assert capsys.readouterr().err == f"escalation-backtest: error: {message}\n"
    assert snapshot(home) == {}


def test_backtest_replicates_are_held_to_the_memory_available(home, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["escalation-backtest", "--replicates", str(10**11)])
    with pytest.raises(SystemExit) as stopped:
        backtest()
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "escalation-backtest: error: --replicates 100000000000 over 32 months needs about "
    )
    assert line.endswith("available; lower --replicates or --to")
    assert snapshot(home) == {}


@pytest.mark.parametrize(
    ("months", "options", "message"),
    [
        (("0000-10", "0001-02"), [], "mine.csv: the timeline starts in 0000-10; allowed: months "),
        (
            ("1950-01", "2024-10"),
            [],
            "the replay from 1950-01 to 2024-10 spans 898 months; at most 600 are replayed: give "
            "--to 1999-12 or earlier (mine.csv)",
        ),
        (
            ("1950-01", "2024-10"),
            ["--to", "2000-01"],
            "the replay from 1950-01 to 2000-01 spans 601 months; at most 600 are replayed: give "
            "--to 1999-12 or earlier (mine.csv)",
        ),
    ],
    ids=["year-0", "span-898-months", "span-601-months"],
)
def test_backtest_refuses_a_replay_out_of_the_calendar_or_too_long(
    home, monkeypatch, capsys, months, options, message
):
    name = _timeline(home, *months)
    before = snapshot(home)
    monkeypatch.setattr(sys, "argv", ["escalation-backtest", name, *options])
    with pytest.raises(SystemExit) as stopped:
        backtest()
    assert stopped.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"escalation-backtest: error: {message}")
    assert snapshot(home) == before


def test_a_backtest_of_600_months_passes_the_checks(home):
    from escalation.backtest.cli import check_run
    from escalation.timeline import load_timeline

    timeline = load_timeline(Path(_timeline(home, "1950-01", "2024-10")))
    check_run(timeline, replicates=1, seed=0, until="1999-12")  # raises nothing


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "out/forecast.csv"),
            "out/forecast.csv: No space left on device",
        ),
        (OSError(errno.EROFS, "Read-only file system", "out"), "out: Read-only file system"),
        (KeyboardInterrupt(), None),
    ],
    ids=["full-disk", "read-only", "ctrl-c"],
)
def test_a_fault_while_the_backtest_writes_is_one_line(home, monkeypatch, capsys, error, message):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("escalation.backtest.cli.write_backtest", fail)
    monkeypatch.setattr(
        sys, "argv", ["escalation-backtest", "--replicates", "5", "--to", "2022-03", "--out", "out"]
    )
    with pytest.raises(SystemExit) as stopped:
        backtest()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("Replaying 2022-02 to 2022-03")  # progress, then the one line
    if message is None:
        assert (stopped.value.code, lines[1:]) == (130, ["escalation-backtest: interrupted"])
    else:
        assert (stopped.value.code, lines[1:]) == (1, [f"escalation-backtest: error: {message}"])


def test_a_backtest_on_a_full_disk_ends_with_one_line(home):
    (home / "disk").mkdir()
    if not _can_mount():
        pytest.skip("simulating a full disk needs a mount namespace (root)")
    command = [str(BIN / "escalation-backtest"), "--replicates", "5", "--to", "2022-06"]
    result = subprocess.run(
        [*_full("disk"), *command, "--out", "disk/out"],
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    progress, line = result.stderr.splitlines()
    assert result.returncode == 1
    assert progress.startswith("Replaying 2022-02 to 2022-06")
    assert line.startswith("escalation-backtest: error: ")
    assert line.endswith(": No space left on device")
    assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(home) == {"disk": "folder"}
