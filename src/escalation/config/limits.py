"""The bounds of every size a user can type, checked before any work starts (docs/SAFETY.md).

A value outside its bounds is refused with one line naming the option and the allowed range
(``ConfigError``), so that no run, sweep, back-test or analysis can take unbounded time or
memory, and no library fails deep inside with an allocation traceback. The number of replicates
has no fixed bound: it is held to the memory available (``escalation.run.runs.check_memory``).
``OneLineParser`` is the argument parser of ``escalation-analyze`` and ``escalation-backtest``:
its errors are one line too.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from omegaconf import DictConfig, OmegaConf

from escalation.config.schema import ConfigError
from escalation.errors import error_line

MAX_MONTHS = 600
"""Most months a run simulates (``sim.months``): 50 years, far beyond any scenario's horizon."""

MAX_SEED = 2**63 - 1
"""Largest seed of every command, the API and the dashboard: seeds are stored in the tables'
int64 ``seed`` column, whose largest value this is (numpy's generator would take any
non-negative integer, but the tables could not)."""

MAX_RESAMPLES = 1_000
"""Most bootstrap resamples of ``escalation-analyze --resamples`` (one forest fit each)."""

MAX_BOXES = 20
"""Most PRIM boxes per policy (``--boxes``): each box holds at least 5% of the runs
(``escalation.analysis.methods.MASS_MIN``), so no more than 20 can be found."""

WORKERS_PER_CORE = 4
"""Most parallel jobs of a sweep per core of this machine (``hydra.launcher.n_jobs``)."""

EXIT_BAD_INPUT = 2


def check_whole(option: str, value: Any, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is a whole number from ``low`` to ``high``; else raise.

    Args:
        option: The option as the user typed it, with its separator: ``"--seed "`` or
            ``"hydra.sweeper.chunk="``.
        value: The value given.
        low: The smallest value allowed.
        high: The largest value allowed; None: no upper bound.

    Raises:
        ConfigError: ``value`` is not a whole number or lies outside the bounds.
    """
    allowed = f"an integer >= {low}" if high is None else f"an integer from {low} to {high:,}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{option}{value!r} is not a whole number; allowed: {allowed}")
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{option}{value} is out of range; allowed: {allowed}")
    return value


def check_sweep_sizes(cfg: DictConfig) -> None:
    """A sweep runs at most ``WORKERS_PER_CORE`` jobs per core at once, in chunks of >= 1 point.

    ``hydra.launcher.n_jobs`` (joblib) is 1 to ``WORKERS_PER_CORE`` x the cores, or -1 (all
    cores) down to minus the cores (all but some); ``hydra.sweeper.chunk`` (batched sweeper),
    when given, is at least 1.

    Raises:
        ConfigError: Names the key and the allowed range.
    """
    n_jobs = OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=None)
    if isinstance(n_jobs, int) and not isinstance(n_jobs, bool):
        count = os.cpu_count() or 1
        most = WORKERS_PER_CORE * count
        if not (1 <= n_jobs <= most or -count <= n_jobs <= -1):
            raise ConfigError(
                f"hydra.launcher.n_jobs={n_jobs} is out of range; allowed: 1 to {most} "
                f"({WORKERS_PER_CORE} per core, {count} cores here), or -1 (all cores) down to "
                f"-{count}"
            )
    chunk = OmegaConf.select(cfg, "hydra.sweeper.chunk", default=None)
    if chunk is not None:
        check_whole("hydra.sweeper.chunk=", chunk, 1)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``PROG: error: MESSAGE`` and exit 2 (argparse prints the usage as well)."""
        self.exit(EXIT_BAD_INPUT, error_line(self.prog, message) + "\n")
