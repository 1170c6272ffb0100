"""A chunk of a batched sweep (``hydra/sweeper=batched``): many points in one Hydra job.

The batched sweeper (``hydra_plugins.escalation_batched_sweeper``) launches one job per chunk
of points, with the overrides all points share and ``hydra.sweeper.points=[start, stop]``.
Here, inside that job, each point's config is composed by applying its own overrides to the
chunk's config with Hydra's override rules (OmegaConf, no new Hydra job), and the point runs
as a job of the basic sweeper would: into ``<sweep dir>/<point number>``, with its overrides in
``summary.json`` and its config in ``.hydra/``, so gathering, resuming and
``escalation-report`` treat it exactly as a basic job. A point that selects other config group
options (``scenario=a,b``) is composed by Hydra's config loader, once per distinct choice.

Under Hydra's basic launcher a chunk's points are split over ``sim.workers`` processes (every
core by default; ``chunk_processes``), and the points that differ only in their policy run as
the worlds of one model (``escalation.run.worlds``); a point's files are the same either way.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import functools
import gc
import itertools
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from escalation.config.dates import DateError, resolve_timing_months
from escalation.config.schema import LEVERS
from escalation.config.validation import (
    resolved_config,
    settings_from_dictconfig,
    settings_with_sections,
    with_levers,
)
from escalation.run.processes import in_processes, processes_for
from escalation.run.runs import is_complete, record_failure
from escalation.run.worlds import simulate_worlds
from escalation.sweep.folder import Job, sweep_jobs
from escalation.sweep.progress import SweepProgress, override_key, print_line, varying_keys

if TYPE_CHECKING:
    from escalation.config.schema import Settings


def chunk_points(hydra_cfg: DictConfig) -> tuple[int, int] | None:
    """The ``[start, stop)`` point numbers of a batched sweeper's chunk job; None otherwise."""
    points = OmegaConf.select(hydra_cfg, "sweeper.points", default=None)
    if points is None:
        return None
    start, stop = (int(number) for number in points)
    return start, stop


@dataclasses.dataclass(frozen=True)
class Point:
    """A sweep point's config, in the forms its job records."""

    #: Unresolved, enums as their names: what ``.hydra/config.yaml`` holds.
    container: dict[str, Any]
    #: Resolved, timing dates as month numbers (``resolved_config``): what ``summary.json`` holds.
    config: dict[str, Any]
    #: The whole composed config; None when only the sections it changes were composed.
    cfg: DictConfig | None = None


class PointComposer:
    """Composes the config of each point of a sweep from the config of its chunk.

    A point whose own overrides set values in some sections of the config (``policy.troops``,
    ``uncertainty.x.high``) has only those sections copied and overridden, by Hydra's rules,
    and shares the chunk's others: a copy of the whole config (the doctrine and the priors are
    most of it) would cost more than the point's simulation. Any other point (a config group
    option, an added or removed key, an override the section cannot take) is composed whole,
    as Hydra composes a job, and fails with Hydra's own message.

    Args:
        cfg: The chunk job's config (Hydra's node removed), composed with the overrides all
            points share.
        hydra_cfg: The chunk job's Hydra node.
    """

    def __init__(self, cfg: DictConfig, hydra_cfg: DictConfig):
        from hydra.core.global_hydra import GlobalHydra
        from hydra.core.override_parser.overrides_parser import OverridesParser

        self.cfg = cfg
        self.shared = set(hydra_cfg.overrides.task)
        self.hydra_overrides = list(hydra_cfg.overrides.hydra)
        self.config_name = hydra_cfg.job.config_name
        self.loader = GlobalHydra.instance().config_loader()
        self.parser = OverridesParser.create()
        self._bases: dict[tuple[str, ...], DictConfig] = {}
        self._container: dict[str, Any] | None = None  # the chunk's, when it has no interpolation
        self._yaml: dict[str, str] = {}  # the YAML of the chunk's sections the points share

    def sections(self, overrides: list[str]) -> set[str] | None:
        """Top-level sections a point's own overrides change (``policy``, ``uncertainty``).

        None when the point selects config group options or adds or removes keys: its settings
        are then validated in full.
        """
        own = self.own(overrides)
        if any(line.startswith(("+", "~")) or self._is_group(line) for line in own):
            return None
        return {override_key(line).split(".")[0] for line in own}

    def own(self, overrides: list[str]) -> list[str]:
        """A point's own overrides: those all points of the chunk do not share."""
        return [line for line in overrides if line not in self.shared]

    def compose(self, overrides: list[str]) -> Point:
        """The config of a point with these overrides, as Hydra would compose its job.

        Raises:
            hydra.errors.HydraException: An override the config cannot take.
        """
        from hydra._internal.config_loader_impl import ConfigLoaderImpl

        own = self.own(overrides)
        sections = self.sections(overrides)
        if sections is not None:
            point = self._compose_sections(own, sections)
            if point is not None:
                return point
        groups = tuple(line for line in own if self._is_group(line))
        cfg = copy.deepcopy(self._base(groups, overrides) if groups else self.cfg)
        values = [line for line in own if line not in groups]
        ConfigLoaderImpl._apply_overrides_to_config(self.parser.parse_overrides(values), cfg)
        container = OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)
        assert isinstance(container, dict)
        return Point(container=container, config=resolved_config(cfg), cfg=cfg)

    def _compose_sections(self, own: list[str], sections: set[str]) -> Point | None:
        """The point with only ``sections`` copied and overridden; None if it must be whole.

        Whole: a section that is not a mapping (``seed``), a key that is a section, a value that
        interpolates, or any error (the whole composition then raises it as Hydra words it).
        """
        from hydra._internal.config_loader_impl import ConfigLoaderImpl

        chunk = self._chunk_container()
        if chunk is None or any("${" in line for line in own):
            return None
        nodes = {}
        try:
            for name in sections:
                if not isinstance(self.cfg.get(name), DictConfig):
                    return None
                nodes[name] = copy.deepcopy(self.cfg[name])
            for override in self.parser.parse_overrides(own):
                section, _, key = override.key_or_group.partition(".")
                relative = dataclasses.replace(override, key_or_group=key)
                ConfigLoaderImpl._apply_overrides_to_config([relative], nodes[section])
        except Exception:
            return None
        container = dict(chunk)  # no interpolation in the chunk's nor in the values set
        for name, node in nodes.items():
            container[name] = OmegaConf.to_container(node, resolve=False, enum_to_str=True)
        config = {**container, "policy": copy.deepcopy(container.get("policy"))}
        with contextlib.suppress(DateError):  # refused with its key when the settings are read
            resolve_timing_months(config)
        return Point(container=container, config=config)

    def yaml(self, point: Point) -> str:
        """The point's ``.hydra/config.yaml``: ``to_yaml(point.container)``.

        Written section by section (a top-level key's block does not depend on the others'),
        each section the point shares with the chunk emitted once for all points.
        """
        chunk = self._container or {}
        blocks = []
        for name, value in point.container.items():
            if name in chunk and value is chunk[name]:
                if name not in self._yaml:
                    self._yaml[name] = to_yaml({name: value})
                blocks.append(self._yaml[name])
            else:
                blocks.append(to_yaml({name: value}))
        return "".join(blocks)

    def _chunk_container(self) -> dict[str, Any] | None:
        """The chunk's config as a plain container, once; None if a value interpolates."""
        if self._container is None:
            container = OmegaConf.to_container(self.cfg, resolve=False, enum_to_str=True)
            assert isinstance(container, dict)
            self._container = {} if _interpolates(container) else container
        return self._container or None

    def _is_group(self, line: str) -> bool:
        key = override_key(line)
        return "/" in key or self.loader.repository.group_exists(key)

    def _base(self, groups: tuple[str, ...], overrides: list[str]) -> DictConfig:
        """The config of a choice of config group options (without value overrides), cached."""
        from hydra.types import RunMode

        if groups not in self._bases:
            lines = [line for line in overrides if line in self.shared or line in groups]
            loaded = self.loader.load_configuration(
                self.config_name, self.hydra_overrides + lines, run_mode=RunMode.RUN
            )
            with_hydra = OmegaConf.to_container(loaded, resolve=False)
            assert isinstance(with_hydra, dict)
            keep = [key for key in loaded if key != "hydra"]
            self._bases[groups] = OmegaConf.masked_copy(loaded, keep)
        return self._bases[groups]


#: Hydra's launcher that runs a sweep's jobs one after the other, in the launching process.
BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


def chunk_processes(cfg: DictConfig, hydra_cfg: DictConfig, points: int) -> int:
    """Processes a chunk's points are run in: ``sim.workers`` (0: every core), at most ``points``.

    Only under Hydra's basic launcher, which runs the chunks one after the other: any other
    launcher runs chunks side by side (joblib's ``n_jobs``, a cluster's nodes), one process
    each.
    """
    if OmegaConf.select(hydra_cfg, "launcher._target_", default=None) != BASIC_LAUNCHER:
        return 1
    wanted = processes_for(OmegaConf.select(cfg, "sim.workers", default=0))
    return max(1, min(wanted, points))


def run_chunk(cfg: DictConfig, hydra_cfg: DictConfig, run_point: Callable[..., None]) -> None:
    """Run the points of a batched sweeper's chunk job, each into its own job folder.

    The chunk's points are split into consecutive parts, one per process
    (``chunk_processes``); each part runs as ``run_points`` in a process of its own (forked:
    Hydra's state comes with it). A point's folder does not depend on the part it is in: the
    worlds of one model share their random numbers, so each is its point's run alone.

    Args:
        cfg: The chunk job's config.
        hydra_cfg: Its Hydra node (``sweeper.points``, ``sweep.dir``).
        run_point: Runs one point into its folder and prints its progress line
            (``escalation.cli.app._sweep_job``), called with the folder, the job's name, its
            resolved config, a function that validates its settings, its overrides and progress.
    """
    points = chunk_points(hydra_cfg)
    assert points is not None
    start, stop = points
    jobs = sweep_jobs(Path(hydra_cfg.sweep.dir))
    chunk = functools.partial(_Part, cfg, hydra_cfg, run_point, jobs)
    processes = chunk_processes(cfg, hydra_cfg, stop - start)
    if processes == 1:
        run_points(chunk(start, stop))
        return
    from escalation.model import EscalationModel  # noqa: F401 - once here, not per process

    bounds = np.linspace(start, stop, processes + 1).round().astype(int).tolist()
    parts = [chunk(first, end) for first, end in itertools.pairwise(bounds)]
    in_processes(run_points, parts, processes)


@dataclasses.dataclass(frozen=True)
class _Part:
    """Consecutive points of a chunk, run in one process (``run_points``)."""

    cfg: DictConfig
    hydra_cfg: DictConfig
    run_point: Callable[..., None]
    jobs: list[Job]  # the sweep's, in point order
    start: int
    stop: int


def run_points(part: _Part) -> None:
    """Compose, validate, simulate and write the points ``[part.start, part.stop)`` of a chunk.

    Points are composed and validated first; those that differ only in their policy then run
    as the worlds of one model (``escalation.run.worlds``), and each is written as its job. A
    point that cannot be composed, or whose settings fail, fails alone.
    """
    cfg, hydra_cfg, run_point, jobs = part.cfg, part.hydra_cfg, part.run_point, part.jobs
    start, stop = part.start, part.stop
    keys = varying_keys(job.overrides for job in jobs)
    progress = SweepProgress(len(jobs), keys, time.time(), first=start, done=start, end=stop)
    composer = PointComposer(cfg, hydra_cfg)
    base: list[Settings] = []  # the chunk's settings, validated in full once, when first needed

    def point_settings(point: Point, overrides: list[str]) -> Settings:
        """A point's settings: only the sections its overrides change are validated again."""
        sections = composer.sections(overrides)
        if sections is None:
            return settings_from_dictconfig(point.cfg if point.cfg is not None else point.container)
        if not base:
            base.append(settings_from_dictconfig(cfg))
        levers = lever_overrides(composer.own(overrides))
        if levers is not None:  # composed already: its values are among the levers' options
            values = {lever: point.container["policy"][lever] for lever in levers}
            return with_levers(base[0], **values)
        return settings_with_sections(base[0], point.container, sections)

    ready: list[tuple[Any, str, dict, Settings]] = []
    for job in jobs[start:stop]:
        try:
            point = composer.compose(job.overrides)
            _save_hydra_files(job.folder, composer.yaml(point), job.overrides)
        except Exception as error:  # a point that cannot be composed fails alone
            line = record_failure(job.folder, error)
            print_line(f"[job {job.number}/{len(jobs)}] FAILED: {line}{progress.eta()}")
            continue
        settings = functools.partial(point_settings, point, job.overrides)
        name, config = f"job {job.number}", point.config
        try:
            valid = None if is_complete(job.folder, config, job.overrides) else settings()
        except Exception:  # the job records its failure as a job of the basic sweeper would
            valid = None
        if valid is None:
            run_point(job.folder, name, config, settings, job.overrides, progress)
            continue
        ready.append((job, name, config, valid))
    with_trajectories = any(
        (v.sweep.job_trajectories or v.sweep.job_figures) and v.sim.trajectories for *_, v in ready
    )
    # A model is a web of agents referring to each other, freed only by the cyclic collector,
    # which ``escalation`` runs rarely: collect after each model, then freeze what is still
    # alive (modules and caches), so that each collection looks only at the last model's own.
    gc.freeze()
    worlds = simulate_worlds([valid for *_, valid in ready], trajectories=with_trajectories)
    for index, outcomes, trajectories in worlds:
        job, name, config, valid = ready[index]
        run_point(
            job.folder,
            name,
            config,
            functools.partial(_same, valid),
            job.overrides,
            progress,
            simulated=(outcomes, trajectories),
        )
        gc.collect()
        gc.freeze()


def lever_overrides(overrides: list[str]) -> list[str] | None:
    """The levers these overrides set (``policy.troops=combat``), when they set nothing else."""
    keys = [line.partition("=")[0] for line in overrides]
    levers = [key.partition("policy.")[2] for key in keys if key.startswith("policy.")]
    if not keys or len(levers) < len(keys) or not all(lever in LEVERS for lever in levers):
        return None
    return levers


def _interpolates(node: Any) -> bool:
    """Whether a plain container holds an interpolation (``${...}``) anywhere."""
    if isinstance(node, dict):
        return any(_interpolates(value) for value in node.values())
    if isinstance(node, list):
        return any(_interpolates(value) for value in node)
    return isinstance(node, str) and "${" in node


def _same(settings: Settings) -> Settings:
    """The settings already validated (a point's, for its job)."""
    return settings


def _save_hydra_files(folder: Path, config_yaml: str, overrides: list[str]) -> None:
    """``.hydra/config.yaml`` and ``.hydra/overrides.yaml``, as Hydra writes them for a job."""
    hydra_folder = folder / ".hydra"
    hydra_folder.mkdir(parents=True, exist_ok=True)
    (hydra_folder / "config.yaml").write_text(config_yaml, encoding="utf-8")
    (hydra_folder / "overrides.yaml").write_text(to_yaml(list(overrides)), encoding="utf-8")


def to_yaml(container: Any) -> str:
    """The YAML ``OmegaConf.save`` writes for a plain container, emitted by libyaml.

    The same dumper settings and string rule as OmegaConf's (strings that read as numbers or
    booleans are quoted), on PyYAML's C emitter when it has one: a third of the time per point.
    """
    import yaml

    return yaml.dump(
        container, default_flow_style=False, allow_unicode=True, sort_keys=False, Dumper=_dumper()
    )


@lru_cache(maxsize=1)
def _dumper() -> type:
    """PyYAML's (C) dumper with OmegaConf's representation of strings."""
    import yaml
    from omegaconf._utils import OmegaConfDumper

    class Dumper(getattr(yaml, "CDumper", yaml.Dumper)):  # type: ignore[misc]
        """PyYAML's dumper with OmegaConf's representation of strings."""

    Dumper.add_representer(str, OmegaConfDumper.str_representer)
    return Dumper
