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

#: A worker's exit status when ``_stop`` ends it.
EXIT_STOPPED = 143

#: How often, in seconds, a process waiting for its workers lets a signal (Ctrl-C) through.
SIGNAL_CHECK = 0.1

#: Python's warning on a fork in a process that runs other threads (``in_processes``).
FORK_WARNING = r".*multi-threaded, use of fork\(\) may lead to deadlocks"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def processes_for(workers: Any) -> int:
    """The processes ``sim.workers`` asks for: that many, or one per core for 0.

    A value that is not a whole number gives 1 (where the settings are validated, its error
    names it).
    """
    try:
        count = int(workers or 0)
    except (TypeError, ValueError):
        return 1
    return count if count > 0 else available_cores()


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
            return self.executor.submit(_call, function, item)

    @staticmethod
    def results[Result](futures: Sequence[Future[Result]], progress: Any = None) -> list[Result]:
        """The calls' results, in order; the first error raised as the worker raised it.

        Args:
            futures: Calls submitted here.
            progress: A tqdm-like bar, ``update(1)`` as each call ends; None for none.
        """
        pending: set[Future[Result]] = set(futures)
        while pending:
            # A timed wait: Ctrl-C (KeyboardInterrupt) is raised here within it, not once
            # every call has ended (an untimed wait does not wake for a signal)
            done, pending = wait(pending, timeout=SIGNAL_CHECK, return_when=FIRST_EXCEPTION)
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
    """End the workers now: nothing is left to finish once the caller has failed or is stopped.

    Each worker is sent SIGTERM, on which it raises ``KeyboardInterrupt`` in the call it runs
    (``_call``, ``_interrupted``): a file it was writing is removed as an interrupted write
    removes it (``escalation.files.atomic_write``), and it exits; an idle worker exits at once.
    The executor forgets its processes when it shuts down, so they are taken from its manager
    thread (Python 3.14 has ``terminate_workers``); the signal is sent again until every one
    has ended.
    """
    manager = getattr(executor, "_executor_manager_thread", None)
    processes = getattr(manager, "processes", None) or getattr(executor, "_processes", None) or {}
    executor.shutdown(wait=False, cancel_futures=True)
    while True:
        alive = [process for process in list(processes.values()) if process.is_alive()]
        for process in alive:
            process.terminate()
        for process in alive:
            process.join(PARENT_CHECK)
        if not alive and (manager is None or not manager.is_alive()):
            break
        if manager is not None:
            manager.join(SIGNAL_CHECK)


#: Whether this worker is running a call (``_call``), which ``_stop``'s SIGTERM interrupts.
_calling = False


def _call[Item, Result](function: Callable[[Item], Result], item: Item) -> Result:
    """In a worker: ``function(item)``; on ``_stop``'s SIGTERM, exit once it has cleaned up."""
    global _calling
    try:
        _calling = True
        return function(item)
    except KeyboardInterrupt:  # raised by _interrupted: what it was writing is removed by now
        os._exit(EXIT_STOPPED)
    finally:
        _calling = False


def _interrupted(number: int, frame: Any) -> None:
    """In a worker, on SIGTERM from ``_stop``: interrupt the call it runs, or exit at once."""
    if _calling:
        raise KeyboardInterrupt
    os._exit(EXIT_STOPPED)


def _watch_parent(parent: int) -> None:
    """In a worker: leave Ctrl-C to the caller, stop on ``_stop``'s SIGTERM, end with the caller.

    A killed run must not leave workers computing on; each one checks, every ``PARENT_CHECK``
    seconds, whether its parent is still the run that started it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _interrupted)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-run", daemon=True).start()
