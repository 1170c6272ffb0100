"""What a sweep job prints and how it names itself: ``[job 12/54] <keys>: ... (0.2 s, ETA 9 s)``.

A job names the four levers and every other key that varies across the jobs of its sweep
(an uncertainty bound, a timing, the scenario, the seed), so two jobs never print the same
line. The count and the start of the sweep come from ``multirun.yaml``, which every sweeper
writes into the sweep folder before launching a job, so a job in another process or on
another machine finds them too; a batched chunk passes its own.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from escalation.sweep.folder import MULTIRUN_FILE, SweepError, sweep_jobs

LEVERS = ("instructors", "troops", "deep_strikes", "posture")
#: Sweep keys that every sweep table already has a column for, with that column's name.
KEY_COLUMNS: dict[str, str] = {
    "scenario": "scenario",
    "seed": "seed",
    "sim.months": "months",
    "sim.replicates": "replicates",
    **{f"policy.{lever}": lever for lever in LEVERS},
}


def print_line(text: str, file: TextIO | None = None) -> None:
    """Print one line in one write: the lines of processes sharing a stream never mix.

    ``print`` writes the text and the line break apart, which an unbuffered stream
    (``PYTHONUNBUFFERED``) passes on as two writes, between which another process may write.
    """
    stream = sys.stdout if file is None else file
    stream.write(text + "\n")
    stream.flush()


def override_key(override: str) -> str:
    """The key of an override line (``+a.b=1`` gives ``a.b``)."""
    return override.partition("=")[0].lstrip("+~")


def override_values(overrides: Iterable[str]) -> dict[str, str]:
    """``{key: value as written}`` of a job's override lines."""
    return {override_key(line): line.partition("=")[2] for line in overrides}


def varying_keys(jobs_overrides: Iterable[Sequence[str]]) -> list[str]:
    """The keys whose value differs between the jobs of a sweep, in override order.

    Args:
        jobs_overrides: Each job's override lines.

    Returns:
        Keys as written in the overrides (``policy.troops``, ``uncertainty.x.high``).
    """
    seen: dict[str, set[str]] = {}
    for overrides in jobs_overrides:
        for key, value in override_values(overrides).items():
            seen.setdefault(key, set()).add(value)
    return [key for key, values in seen.items() if len(values) > 1]


def key_column(key: str) -> str:
    """The column a varying key gets in the sweep tables (``policy.troops`` is ``troops``)."""
    return KEY_COLUMNS.get(key, key)


def config_value(config: Mapping[str, Any], key: str, fallback: Any) -> Any:
    """A dotted key's value in a resolved config when it is a plain value; else ``fallback``.

    A config group (``scenario=troops``) selects a node: its option name, the override's value,
    says which.
    """
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return fallback
        node = node[part]
    return fallback if isinstance(node, Mapping | list) else node


def point_label(config: Mapping[str, Any], overrides: Sequence[str], keys: Sequence[str]) -> str:
    """The levers and the other varying keys of one job, as ``name=value`` words.

    Args:
        config: The job's resolved config (for the levers).
        overrides: The job's override lines.
        keys: The sweep's varying keys.
    """
    policy = config.get("policy") or {}
    words = [f"{lever}={policy.get(lever)}" for lever in LEVERS]
    values = override_values(overrides)
    words += [
        f"{key}={values[key]}" for key in keys if key in values and key_column(key) not in LEVERS
    ]
    return " ".join(words)


@dataclass
class SweepProgress:
    """How far a sweep is: its job count, its varying keys and when it started.

    Attributes:
        total: Jobs in the sweep.
        keys: Keys that vary across its jobs.
        started: When it started (``time.time()``), or this process's part of it.
        first: Jobs done before ``started`` (a chunk's first point number).
        done: Jobs done so far, counted as job numbers.
        end: Where this process's part ends (default ``total``).
    """

    total: int
    keys: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    first: int = 0
    done: int = 0
    end: int | None = None

    def prefix(self, number: int) -> str:
        """``job 12/54``."""
        return f"job {number}/{self.total}"

    def eta(self) -> str:
        """``, ETA 9 s`` after one more job is done, from the mean pace so far."""
        self.done += 1
        left = max((self.total if self.end is None else self.end) - self.done, 0)
        if not left:
            return ""
        elapsed = time.time() - self.started
        return f", ETA {_duration(elapsed / max(self.done - self.first, 1) * left)}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return (
        f"{minutes} min {seconds:02d} s"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60:02d} min"
    )


def sweep_progress(folder: Path, number: int) -> SweepProgress:
    """The progress of the sweep whose job ``number`` runs in ``folder`` (its ``multirun.yaml``).

    Read once per process and sweep; jobs done so far are counted as ``number`` (the basic
    sweeper and joblib run jobs in order), so the ETA holds for them. A sweep folder that
    cannot be read gives a progress of one job.
    """
    progress = _read_progress(folder.parent)
    progress.done = max(progress.done, number)
    return progress


@lru_cache(maxsize=4)
def _read_progress(root: Path) -> SweepProgress:
    try:
        jobs = sweep_jobs(root)
        started = (root / MULTIRUN_FILE).stat().st_mtime
    except (SweepError, OSError):
        return SweepProgress(total=1)
    return SweepProgress(len(jobs), varying_keys(job.overrides for job in jobs), started)
