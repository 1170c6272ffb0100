"""A calibration's sizes and the months it fits: defaults and checks (no pyABC needed).

``escalation-calibrate`` checks its input with these before it imports pyABC, so that a typo
gets its one-line answer at once, with or without the ``calibrate`` extra.
"""

from __future__ import annotations

import os

from escalation.config.limits import MAX_SEED
from escalation.timeline import Timeline, is_month, month_index, month_name


class CalibrationError(ValueError):
    """Input or a run a calibration cannot use; the message is one line."""


DEFAULT_PARTICLES = 1000
"""Accepted particles per generation."""
DEFAULT_GENERATIONS = 8
"""Generations after the prior sample."""
DEFAULT_REPLICATES = 20
"""Replicates of the record's replay per particle."""
DEFAULT_SEED = 2024
"""The shipped posterior's seed."""
DEFAULT_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
"""Local worker processes of the command: every core this process may use."""
MIN_MONTHS = 12
"""Fewest months a calibration fits: a year of record."""
MAX_PARTICLES = 20_000
"""Most particles per generation (memory of pyABC's population tables)."""
MAX_REPLICATES = 1_000
"""Most replicates per particle."""


def check_until(timeline: Timeline, until: str | None) -> str:
    """The last month fitted: ``until`` or the timeline's last month.

    Raises:
        CalibrationError: Not a month, or outside the timeline's months less the first year.
    """
    last = until or timeline.last_month
    earliest = month_name(month_index(timeline.first_month) + MIN_MONTHS - 1)
    if not is_month(last):
        raise CalibrationError(f"--until {last!r}: not a month; allowed: YYYY-MM")
    if not month_index(earliest) <= month_index(last) <= month_index(timeline.last_month):
        raise CalibrationError(
            f"--until {last}: the record must hold at least {MIN_MONTHS} months up to it; "
            f"allowed: {earliest} to {timeline.last_month} ({timeline.path} runs from "
            f"{timeline.first_month} to {timeline.last_month})"
        )
    return last


def check_sizes(particles: int, generations: int, replicates: int, workers: int, seed: int) -> None:
    """Raise ``CalibrationError`` naming the first size out of range and what is allowed."""
    for name, value, low, high in (
        ("particles", particles, 10, MAX_PARTICLES),
        ("generations", generations, 1, 50),
        ("replicates", replicates, 1, MAX_REPLICATES),
        ("workers", workers, 1, 256),
        ("seed", seed, 0, MAX_SEED),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CalibrationError(
                f"--{name} {value!r}: allowed: a whole number from {low} to {high}"
            )
