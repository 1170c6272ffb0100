"""Worker processes for any work, forked from this one: the same results for any number.

``in_processes`` maps a function over items in order; ``Processes`` takes calls one by one
while the calling process goes on (``escalation.run.figures.draw`` writes the tables while the
figures are drawn). The large runs' chunks (``escalation.run.parallel``), a batched sweep's
parts and figures, ``simulate_many``'s batches and the calibration's particles all run on them.
Nothing here imports the model: the figures use it too.

Workers are forked where the system allows it (they start at once, with everything the caller
imported), ignore Ctrl-C (the caller stops them) and end when the process that started them is
gone; an error in one call stops the others and is raised in the caller as the worker raised it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from typing import Any

#: How often, in seconds, a worker checks that the process that started it is still there.
PARENT_CHECK = 1.0

#: Python's warning on a fork in a process that runs other threads (``in_processes``).
FORK_WARNING = r".*multi-threaded, use of fork\(\) may lead to deadlocks"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


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
