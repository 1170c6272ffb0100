"""A sweep folder: its config, its jobs, and whether a job's results belong to it.

Hydra runs one job per point of a sweep, possibly in other processes or on other machines, so
everything about a sweep is read from its folder: the config Hydra saved (``multirun.yaml``),
the jobs recomputed from it exactly as Hydra's basic sweeper numbers them (so stale folders of an
earlier, different sweep are ignored), and the check that a job's ``summary.json`` records this
job's overrides and the sweep's config (``foreign``). ``escalation.sweep.gather`` gathers the jobs.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from escalation.config.dates import DateError, resolve_timing_months
from escalation.config.schema import ConfigError
from escalation.config.stored import load_stored
from escalation.errors import first_line

MULTIRUN_FILE = "multirun.yaml"


#: A sweep with more jobs than this is refused (the basic launcher costs 0.26 s a job).
MAX_JOBS = 100_000


class SweepError(RuntimeError):
    """A sweep folder cannot be gathered; the message says what is missing or malformed."""


@dataclass
class Job:
    """One job of a sweep: its number, overrides and folder."""

    number: int
    overrides: list[str]
    folder: Path

    @property
    def label(self) -> str:
        """``job N (overrides)`` for messages."""
        return f"job {self.number} ({' '.join(self.overrides)})"


def sweep_jobs(folder: Path, multirun: DictConfig | None = None) -> list[Job]:
    """The jobs of the sweep in ``folder``, numbered as Hydra's basic sweeper numbers them.

    Args:
        folder: The sweep folder.
        multirun: The sweep's config (with its ``hydra`` node); read from ``multirun.yaml`` when
            omitted.

    Raises:
        SweepError: ``multirun.yaml`` is missing or unreadable, or asks for too many jobs.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    if multirun is None:
        multirun = load_multirun(folder)
    try:
        overrides = sweep_overrides(multirun)
    except Exception as error:  # Hydra's parser raises its own exceptions
        raise SweepError(f"{folder / MULTIRUN_FILE} is malformed: {first_line(error)}") from None
    if count_jobs(overrides) > MAX_JOBS:
        raise SweepError(f"{folder / MULTIRUN_FILE} asks for more than {MAX_JOBS:,} jobs")
    (batch,) = BasicSweeper.split_arguments(overrides, None)
    return [Job(number, list(job), folder / str(number)) for number, job in enumerate(batch)]


def sweep_overrides(multirun: DictConfig) -> list[Any]:
    """The sweep's parsed overrides: the preset's ``hydra.sweeper.params``, then the command's."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = OmegaConf.select(multirun, "hydra.sweeper.params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()]
    arguments += list(multirun.hydra.overrides.task)
    return OverridesParser.create().parse_overrides(arguments)


def count_jobs(overrides: list[Any]) -> int:
    """How many jobs the overrides make, counted no further than ``MAX_JOBS + 1``."""
    jobs = 1
    for override in overrides:
        if override.is_sweep_override():
            values = override.sweep_string_iterator()
            values = sum(1 for _ in itertools.islice(values, MAX_JOBS + 1))
            jobs = min(jobs * values, MAX_JOBS + 1)
    return jobs


def same_sweep(stored: DictConfig, current: DictConfig) -> str:
    """What makes two sweeps different (their overrides or swept parameters); "" if nothing."""
    for key in ("hydra.overrides.task", "hydra.sweeper.params"):
        before = OmegaConf.to_container(OmegaConf.select(stored, key) or OmegaConf.create({}))
        after = OmegaConf.to_container(OmegaConf.select(current, key) or OmegaConf.create({}))
        if before != after:
            return f"made with {key} {_brief(before)!r}; this command has {_brief(after)!r}"
    return ""


def _brief(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "none"
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items()) or "none"
    return str(value)


#: The parts of Hydra's node in ``multirun.yaml`` that are read back (the rest is never resolved).
MULTIRUN_READ = ("hydra.sweeper.params", "hydra.overrides")


def load_multirun(folder: Path) -> DictConfig:
    """The sweep's config as Hydra saved it in ``multirun.yaml``, read as a stored config.

    It is a regular file inside the folder, and what is read back of it calls no resolver
    (``escalation.config.stored.load_stored``).

    Raises:
        SweepError: The file is missing or malformed.
    """
    path = folder / MULTIRUN_FILE
    if not path.is_file():
        raise SweepError(f"{folder} is not a sweep folder: {MULTIRUN_FILE} is missing")
    try:
        multirun = load_stored(path, folder, MULTIRUN_READ)
    except ConfigError as error:
        raise SweepError(f"{path} is malformed: {error}") from None
    try:
        multirun.hydra.overrides.task  # noqa: B018 - fails early on a file without it
    except Exception as error:
        raise SweepError(f"{path} is malformed: {first_line(error)}") from None
    return multirun


def foreign(job: Job, summary: dict[str, Any], base: dict[str, Any] | None) -> str:
    """Why a job's summary does not belong to this sweep; "" when it does.

    The job must record this job's overrides; unless a config group is swept, its whole config
    must also be the sweep's (``multirun.yaml``) with the job's overrides applied.
    """
    recorded = summary.get("overrides")
    if recorded != job.overrides:
        return f"made with {_brief(recorded or [])}"
    expected = _job_config(base, job.overrides) if base is not None else None
    if expected is None:
        return ""
    try:  # a job stores its timing dates as month numbers, as every run does
        expected = resolve_timing_months(expected)
    except DateError as error:
        return first_line(error)
    stored = summary.get("config")
    for key in sorted(set(expected) | set(stored or {})):
        if not isinstance(stored, dict) or expected.get(key) != stored.get(key):
            return f"config {key} differs from {MULTIRUN_FILE}"
    return ""


def _job_config(base: dict[str, Any], overrides: list[str]) -> dict[str, Any] | None:
    """The sweep's config with a job's overrides applied, as JSON; None if a group is swept.

    Plain values are set into a copy of the (resolved, plain) config directly, as
    ``OmegaConf.update`` would set them; anything else (a mapping or list value, a key under a
    non-mapping) goes through OmegaConf.
    """
    parsed = [parsed_override(line) for line in overrides]
    for override in parsed:
        key = override.key_or_group
        if "/" in key or ("." not in key and isinstance(base.get(key), dict)):
            return None  # a config group: its options are not visible here
    config = copy.deepcopy(base)
    for override in parsed:
        key = override.key_or_group
        value = override.value()
        node: Any = config
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if not isinstance(node, dict) or isinstance(value, dict | list):
            return _job_config_omegaconf(base, overrides)
        node[last] = value
    return json.loads(json.dumps(config, default=str))


def _job_config_omegaconf(base: dict[str, Any], overrides: list[str]) -> dict[str, Any] | None:
    """``_job_config`` through OmegaConf, for overrides that are not plain values."""
    config = OmegaConf.create(base)
    for override in map(parsed_override, overrides):
        try:
            OmegaConf.update(config, override.key_or_group, override.value(), force_add=True)
        except Exception:  # an override the config cannot take: compare overrides only
            return None
    return json.loads(json.dumps(OmegaConf.to_container(config), default=str))


@lru_cache(maxsize=4096)
def parsed_override(line: str) -> Any:
    """One override line, parsed by Hydra's parser once (lines repeat across a sweep's jobs)."""
    (override,) = override_parser().parse_overrides([line])
    return override


@lru_cache(maxsize=1)
def override_parser() -> Any:
    """Hydra's override parser, built once (building it costs milliseconds)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    return OverridesParser.create()


def task_config(multirun: DictConfig) -> dict[str, Any] | None:
    """The sweep's config without Hydra's node, resolved; None if it cannot be resolved alone."""
    try:
        task = OmegaConf.masked_copy(multirun, [key for key in multirun if key != "hydra"])
        config = OmegaConf.to_container(task, resolve=True, enum_to_str=True)
    except Exception:  # e.g. an interpolation into the hydra node
        return None
    return config if isinstance(config, dict) else None
