"""A run in chunks (``escalation.run.parallel``): the same tables for any number of workers.

A 100,000-replicate run is too slow for a test, so ``CHUNK`` is lowered: the rule is the same at
any chunk size.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.config.sampling import draw_of_replicate
from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError, uncertainty_names
from escalation.model import EscalationModel
from escalation.run import parallel
from escalation.run.processes import PARENT_CHECK, Processes, in_processes
from escalation.run.results import summarize
from escalation.run.runs import memory_estimate, simulate_run

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 15 replicates: a run of 40 is three chunks (15, 15, 10)."""
    monkeypatch.setattr(parallel, "CHUNK", 15)


def settings_of(replicates=40, months=6, seed=5, **params):
    return load_settings("status_quo", replicates=replicates, months=months, seed=seed, **params)


def test_chunk_sizes_hold_every_replicate_whatever_the_workers(small_chunks):
    assert parallel.chunk_sizes(40) == [15, 15, 10]
    assert parallel.chunk_sizes(45) == [15, 15, 15]
    assert parallel.chunk_sizes(15) == [15]
    assert parallel.worker_count(settings_of(**{"sim.workers": 8})) == 3
    assert parallel.worker_count(settings_of(replicates=15, **{"sim.workers": 8})) == 1


def test_one_and_two_workers_give_identical_tables(small_chunks):
    settings = settings_of(**{"sim.draws": 7})
    alone = simulate_run(settings, workers=1)
    shared = simulate_run(settings, workers=2)
    pd.testing.assert_frame_equal(alone[0], shared[0])
    pd.testing.assert_frame_equal(alone[1], shared[1])
    assert alone[0]["replicate"].tolist() == list(range(40))
    replicates = alone[1]["replicate"].to_numpy()
    assert replicates.tolist() == np.repeat(np.arange(40), 6).tolist()
    assert multiprocessing.active_children() == []


def test_chunks_draw_their_own_random_numbers(small_chunks):
    # Same parameters everywhere: only the chunks' streams can make their outcomes differ.
    settings = settings_of(months=12, **{"sim.parameters": "point", "sim.draws": 1})
    outcomes, _ = simulate_run(settings, trajectories=False, workers=1)
    scores = outcomes["ukraine_position_final"].to_numpy()
    assert not np.array_equal(scores[:10], scores[15:25])


def test_a_run_of_one_chunk_is_the_model_run_as_before(monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 40)
    settings = settings_of(**{"sim.draws": 7, "sim.workers": 2})
    outcomes, trajectories = simulate_run(settings)
    model = EscalationModel(settings).run()
    pd.testing.assert_frame_equal(outcomes, model.outcomes())
    pd.testing.assert_frame_equal(trajectories, model.trajectories())


def test_draw_ids_name_one_parameter_set_across_chunks(small_chunks):
    settings = settings_of(**{"sim.parameters": "prior", "sim.draws": 7})
    outcomes, _ = simulate_run(settings, trajectories=False, workers=2)
    names = list(uncertainty_names()) + list(settings.prior)
    # The whole run's draws: replicate r of R in draw r * D // R, across the chunks' edges.
    assert outcomes["draw"].tolist() == draw_of_replicate(7, 40).tolist()
    sets = outcomes.groupby("draw")[names].nunique()
    assert (sets == 1).all().all()
    distinct = outcomes.drop_duplicates("draw")[names]
    assert len(distinct.drop_duplicates()) == 7


def test_summary_of_a_chunked_run_counts_the_runs_draws(small_chunks):
    settings = settings_of(replicates=60, **{"sim.parameters": "prior", "sim.draws": 6})
    outcomes, _ = simulate_run(settings, trajectories=False, workers=2)
    summary = summarize(outcomes, {"replicates": 60})
    assert summary["draws"] == 6
    for probability in summary["probabilities"].values():
        assert 0.0 <= probability["low"] <= probability["p"] <= probability["high"] <= 1.0
        if probability["band_low"] is not None:
            assert 0.0 <= probability["band_low"] <= probability["band_high"] <= 1.0


def test_a_sobol_design_spans_the_whole_run(monkeypatch):
    # Chunks of 100, 100 and 80 replicates: too few for a design of their own (264 draws).
    monkeypatch.setattr(parallel, "CHUNK", 100)
    pytest.importorskip("SALib")
    settings = settings_of(
        replicates=280,
        months=3,
        **{"sim.parameters": "prior", "sim.sampling": "sobol", "sim.draws": 280},
    )
    outcomes, _ = simulate_run(settings, trajectories=False, workers=1)
    assert outcomes["draw"].tolist() == list(range(280))


def _failing_chunk(chunk):
    if chunk.first > 0:
        raise ValueError(f"chunk from replicate {chunk.first} failed")
    return parallel_simulate_chunk(chunk)


parallel_simulate_chunk = parallel._simulate_chunk


def test_an_error_in_a_worker_is_raised_by_the_run(small_chunks, monkeypatch):
    monkeypatch.setattr(parallel, "_simulate_chunk", _failing_chunk)
    # whichever failing chunk (15 or 30) ends first
    with pytest.raises(ValueError, match=r"^chunk from replicate (15|30) failed$"):
        simulate_run(settings_of(), workers=2)
    assert multiprocessing.active_children() == []


def test_workers_must_be_a_count():
    with pytest.raises(ConfigError, match=r"sim\.workers"):
        settings_of(**{"sim.workers": -1})


def test_memory_estimate_counts_each_workers_chunk(small_chunks):
    one, two, three = (memory_estimate(settings_of(**{"sim.workers": n})) for n in (1, 2, 3))
    assert three - two == two - one > parallel.CHUNK * 6 * 70


RUN = """
import sys
import escalation.run.parallel as parallel
parallel.CHUNK = int(sys.argv[1])
from escalation.__main__ import main
sys.argv = ["escalation", *sys.argv[2:]]
main()
"""


def _command(chunk: int, *overrides: str) -> list[str]:
    return [sys.executable, "-c", RUN, str(chunk), *overrides]


def _environment() -> dict[str, str]:
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def test_the_command_writes_the_same_files_on_one_or_two_workers(tmp_path):
    for workers in (1, 2):
        overrides = ["sim.replicates=40", "sim.months=6", "sim.figures=false"]
        result = subprocess.run(
            _command(15, *overrides, f"sim.workers={workers}", f"hydra.run.dir=run{workers}"),
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert (result.returncode, result.stderr) == (0, "")
    for name in ("outcomes.csv", "trajectories.csv", "narrative.md"):
        assert (tmp_path / "run1" / name).read_bytes() == (tmp_path / "run2" / name).read_bytes()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_workers_end_when_the_run_is_killed(tmp_path):
    overrides = ["sim.replicates=200000", "sim.months=36", "sim.trajectories=false"]
    run = subprocess.Popen(
        _command(100_000, *overrides, "sim.workers=2", "hydra.run.dir=run"),
        cwd=tmp_path,
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    deadline = time.monotonic() + 120
    try:
        while len(children) < 2 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
            children = _children(run.pid)
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    assert len(children) == 2
    deadline = time.monotonic() + 5 * PARENT_CHECK
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _square(value: int) -> int:
    return value * value


def _fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("item 3 failed")
    return value


def test_processes_compute_in_order_while_this_process_works():
    written = []
    with Processes(2) as processes:
        futures = [processes.submit(_square, value) for value in range(6)]
        written.append("meanwhile")
        assert processes.results(futures) == [0, 1, 4, 9, 16, 25]
    assert written == ["meanwhile"]
    assert in_processes(_square, [3, 4], workers=5) == [9, 16]


def test_an_error_in_processes_is_raised_and_stops_the_workers():
    workers = []
    with pytest.raises(ValueError, match="item 3 failed"), Processes(2) as processes:
        futures = [processes.submit(_fail_on_three, value) for value in range(5)]
        workers += processes.executor._processes.values()
        processes.results(futures)
    with (
        pytest.raises(RuntimeError, match="this process failed"),
        Processes(2) as processes,
    ):
        processes.submit(_square, 2)
        workers += processes.executor._processes.values()
        raise RuntimeError("this process failed")
    assert len(workers) == 4
    assert not any(process.is_alive() for process in workers)


def _write_slowly(path: str) -> int:
    from escalation.files import atomic_write

    with atomic_write(Path(path)) as stream:
        stream.write("partial")
        time.sleep(30)
    return 0


def test_stopped_workers_end_at_once_and_leave_no_partial_file(tmp_path):
    # Ctrl-C (or a failed call) stops the workers in the middle of their calls: each removes the
    # file it was writing, as an interrupted write does, and ends
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stopped"), Processes(2) as processes:
        for name in ("a.csv", "b.csv"):
            processes.submit(_write_slowly, str(tmp_path / name))
        workers = list(processes.executor._processes.values())
        deadline = time.monotonic() + 10
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        raise RuntimeError("stopped")
    assert time.monotonic() - started < 10
    assert not any(process.is_alive() for process in workers)
    assert list(tmp_path.iterdir()) == []
