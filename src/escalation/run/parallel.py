"""A large run in chunks of replicates, on every core: the same tables for any number of workers.

The rule (docs/MODEL.md, "Random streams"): a run of at most ``CHUNK`` replicates is one model
seeded with ``seed``, as it always was. A larger run is split into chunks of ``CHUNK``
replicates (the last one smaller), whatever the number of workers, and takes its random
streams from ``numpy.random.SeedSequence(seed).spawn(chunks + 1)``:

- stream 0 draws the uncertain parameters of the whole run, once (``sim.draws`` draws over all
  its replicates, ``escalation.config.sampling.draw_parameters``), so draw ids never collide
  between chunks and a draw's replicates may span two chunks;
- chunk ``c`` is a model of its replicates seeded with stream ``c + 1`` and given its slice of
  the run's parameters (every one of them, as fixed ``uncertainties``); its tables are numbered
  with the run's replicates and draws.

``Processes`` and ``in_processes`` are the module's forked workers, for any work: a batched
sweep's parts and figures and the calibration's particles run on them too.

The chunks run in this process one after the other (``sim.workers=1``, or a sweep's job) or in
worker processes (``sim.workers``: 0 means one per core available, at most one per chunk), and
their tables are joined in chunk order, so the tables do not depend on the number of workers.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.sampling import draw_parameters
from escalation.config.schema import Settings

#: Replicates a chunk holds: large enough that numpy's cost per call is spread over many
#: replicates (the engine runs 25,000 replicates at about the rate of 100,000, while 1,000 run
#: at half of it, docs/PERFORMANCE.md), small enough that 100,000 replicates give every one of
#: two or four cores the same share. Tests lower it to exercise chunked runs quickly.
CHUNK = 25_000

#: How often, in seconds, a worker checks that the run that started it is still there.
PARENT_CHECK = 1.0

#: Python's warning on a fork in a process that runs other threads (``in_processes``).
FORK_WARNING = r".*multi-threaded, use of fork\(\) may lead to deadlocks"

Tables = tuple[pd.DataFrame, pd.DataFrame | None]


def chunk_sizes(replicates: int) -> list[int]:
    """The replicates of each chunk of a run: ``CHUNK`` each, the remainder last."""
    whole, rest = divmod(replicates, CHUNK)
    return [CHUNK] * whole + ([rest] if rest else [])


def chunk_count(replicates: int) -> int:
    """How many chunks a run of ``replicates`` is split into (without listing them)."""
    return max(1, -(-replicates // CHUNK))


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_count(settings: Settings) -> int:
    """Processes that simulate the run's chunks at once: ``sim.workers`` (0: every core).

    At most one per chunk: a run of one chunk is simulated in this process.
    """
    chunks = chunk_count(settings.sim.replicates)
    wanted = settings.sim.workers or available_cores()
    return max(1, min(wanted, chunks))


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """What a process needs to simulate one chunk of a run."""

    settings: Settings
    stream: np.random.SeedSequence
    first: int
    draw: np.ndarray
    parameters: Mapping[str, np.ndarray]
    trajectories: bool


def simulate_chunked(
    settings: Settings, *, trajectories: bool, workers: int, progress: Any
) -> Tables:
    """Simulate a run of more than ``CHUNK`` replicates chunk by chunk (the module's rule).

    Args:
        settings: The run's validated settings.
        trajectories: Whether to build the trajectories table (else None in its place).
        workers: Processes to simulate the chunks in; 1 simulates them here, in order.
        progress: A tqdm-like bar over the chunks (``update(1)`` as each one ends).

    Returns:
        The run's outcomes and trajectories tables, as ``EscalationModel.outcomes`` and
        ``trajectories`` lay them out, over all the run's replicates.
    """
    chunks = _chunks(settings, trajectories=trajectories)
    if workers <= 1:
        results = []
        for chunk in chunks:
            results.append(_simulate_chunk(chunk))
            progress.update(1)
    else:
        from escalation.model import EscalationModel  # noqa: F401 - once here, not per worker

        results = in_processes(_simulate_chunk, chunks, workers, progress)
    outcomes = pd.concat([result[0] for result in results], ignore_index=True)
    if not trajectories:
        return outcomes, None
    return outcomes, pd.concat([result[1] for result in results], ignore_index=True)


def _chunks(settings: Settings, *, trajectories: bool) -> list[_Chunk]:
    """The run's chunks: their settings, streams and slices of the run's parameter draws."""
    sizes = chunk_sizes(settings.sim.replicates)
    streams = np.random.SeedSequence(settings.seed).spawn(len(sizes) + 1)
    draw, parameters = draw_parameters(
        settings, np.random.default_rng(streams[0]), settings.sim.replicates
    )
    chunks, first = [], 0
    for size, stream in zip(sizes, streams[1:], strict=True):
        mine = slice(first, first + size)
        # The chunk's model is given every parameter, so how it would draw them does not
        # matter: plain uniform draws need neither a Sobol' design nor the posterior file.
        sim = dataclasses.replace(
            settings.sim, replicates=size, sampling="uniform", parameters="prior", draws=1
        )
        chunks.append(
            _Chunk(
                settings=dataclasses.replace(settings, sim=sim),
                stream=stream,
                first=first,
                draw=draw[mine],
                parameters={name: values[mine] for name, values in parameters.items()},
                trajectories=trajectories,
            )
        )
        first += size
    return chunks


def _simulate_chunk(chunk: _Chunk) -> Tables:
    """One chunk's tables, numbered with the run's replicates and draws."""
    from escalation.model import EscalationModel

    model = EscalationModel(
        chunk.settings, rng=chunk.stream, uncertainties=dict(chunk.parameters)
    ).run()
    outcomes = model.outcomes()
    outcomes["replicate"] += chunk.first
    outcomes["draw"] = chunk.draw
    if not chunk.trajectories:
        return outcomes, None
    table = model.trajectories()
    table["replicate"] += chunk.first
    return outcomes, table


def in_processes[Item, Result](
    function: Callable[[Item], Result],
    items: Sequence[Item],
    workers: int,
    progress: Any = None,
) -> list[Result]:
    """``[function(item) for item in items]``, computed in ``workers`` processes, in order.

    Args:
        function: A module-level function (it and the items are pickled to the workers).
        items: Its arguments, one call each.
        workers: Processes at most (no more than there are items).
        progress: A tqdm-like bar, ``update(1)`` as each item ends; None for none.
    """
    with Processes(min(workers, len(items))) as processes:
        futures = [processes.submit(function, item) for item in items]
        return processes.results(futures, progress)


class Processes:
    """Worker processes for calls submitted one by one, while this process goes on.

    The processes are forked from this one where the system allows it (they start at once,
    with everything imported), at the first call. A worker ignores Ctrl-C (the caller stops
    it) and ends when the process that started it is gone. Leaving the ``with`` block waits for
    the calls; an error (in a call, or in the block) stops the workers at once.

    Args:
        workers: Processes at most (at least one).
    """

    def __init__(self, workers: int):
        for stream in (sys.stdout, sys.stderr):  # nothing buffered here is printed twice
            stream.flush()
        self.executor = ProcessPoolExecutor(
            max_workers=max(1, workers),
            mp_context=_context(),
            initializer=_watch_parent,
            initargs=(os.getpid(),),
        )

    def submit[Item, Result](
        self, function: Callable[[Item], Result], item: Item
    ) -> Future[Result]:
        """Start ``function(item)`` in a worker."""
        with warnings.catch_warnings():
            # The process's only other threads are native pools (OpenBLAS, jemalloc) that
            # handle a fork; the workers are forked at the first submission.
            warnings.filterwarnings("ignore", FORK_WARNING, DeprecationWarning)
            return self.executor.submit(function, item)

    @staticmethod
    def results[Result](futures: Sequence[Future[Result]], progress: Any = None) -> list[Result]:
        """The calls' results, in order; the first error raised as the worker raised it.

        Args:
            futures: Calls submitted here.
            progress: A tqdm-like bar, ``update(1)`` as each call ends; None for none.
        """
        pending: set[Future[Result]] = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # raises the call's error
                if progress is not None:
                    progress.update(1)
        return [future.result() for future in futures]

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if error is not None:
            _stop(self.executor)
        else:
            self.executor.shutdown()


def _context() -> Any:
    """``fork`` where the system has it (workers start at once, with the model imported)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the workers now: no chunk is left to finish once the run has failed or is stopped."""
    # Python 3.14 has ``terminate_workers``; before it, the processes are only reachable here
    # (and no longer once the executor is shut down).
    manager = getattr(executor, "_executor_manager_thread", None)
    executor.shutdown(wait=False, cancel_futures=True)
    # The executor may start a worker while it shuts down: end those seen, until its manager
    # thread (which joins every worker it started) is gone too.
    while True:
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        if manager is None or not manager.is_alive():
            break
        manager.join(PARENT_CHECK)


def _watch_parent(parent: int) -> None:
    """In a worker: ignore Ctrl-C (the run handles it) and exit once the run's process is gone.

    A killed run must not leave workers computing on; each one checks, every ``PARENT_CHECK``
    seconds, whether its parent is still the run that started it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-run", daemon=True).start()
