"""A Hydra sweeper that launches one job per chunk of sweep points instead of one per point.

Hydra's basic sweeper launches one job per point: the launcher composes its config, sets up
its logging and folder, and copies the config repository, about 0.26 s a job before any work.
This sweeper expands the sweep once, exactly as the basic sweeper does (same points, same
numbers), saves ``multirun.yaml`` as it does, and launches one job per chunk of consecutive
points through whatever launcher is configured (basic, joblib, Ray, submitit). Each chunk job
(``escalation.sweep.batched.run_chunk``) composes its points by applying their overrides to its own
config with OmegaConf and runs them one after the other, each into its own job folder
``<sweep dir>/<point number>``, as a basic job would. The chunk's own Hydra folder is
``<sweep dir>/.chunks/<chunk number>``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

#: Where chunk jobs keep Hydra's own files, under the sweep folder.
CHUNKS_FOLDER = ".chunks"


class BatchedSweeper(Sweeper):
    """Expand a sweep once; launch one Hydra job per chunk of points.

    Args:
        params: Swept keys and values (``hydra.sweeper.params``), as for the basic sweeper.
        chunk: Points per chunk; None for one chunk per worker of the launcher.
        points: Ignored here: set on the chunk jobs it launches.
    """

    def __init__(
        self,
        params: dict[str, str] | None = None,
        chunk: int | None = None,
        points: list[int] | None = None,
    ) -> None:
        self.params = dict(params or {})
        self.chunk = chunk
        self.config: DictConfig | None = None
        self.launcher: Any = None
        self.hydra_context: HydraContext | None = None

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        """Keep the context and instantiate the configured launcher (as the basic sweeper)."""
        from hydra.core.plugins import Plugins

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def points(self, arguments: list[str]) -> list[list[str]]:
        """Every point's overrides, numbered as Hydra's basic sweeper numbers its jobs."""
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

        assert self.hydra_context is not None
        lines = [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        (points,) = BasicSweeper.split_arguments(parser.parse_overrides(lines), None)
        return points

    def chunk_size(self, count: int) -> int:
        """Points per chunk: ``chunk``, or the points split evenly over the launcher's workers."""
        if self.chunk is not None:
            if self.chunk < 1:
                raise ValueError(f"hydra.sweeper.chunk={self.chunk}: give a number >= 1")
            return self.chunk
        return max(1, math.ceil(count / workers(self.config)))

    def sweep(self, arguments: list[str]) -> Any:
        """Save ``multirun.yaml``, then launch the chunks; return the launcher's results."""
        assert self.config is not None and self.launcher is not None
        points = self.points(arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        size = self.chunk_size(len(points))
        common = [line for line in points[0] if all(line in point for point in points)]
        jobs = []
        for number, start in enumerate(range(0, len(points), size)):
            stop = min(start + size, len(points))
            jobs.append(
                [
                    *common,
                    f"hydra.sweeper.points=[{start},{stop}]",
                    f"hydra.sweep.subdir={CHUNKS_FOLDER}/{number}",
                ]
            )
        results = self.launcher.launch(jobs, initial_job_idx=0)
        for result in results:
            _ = result.return_value  # raises if the chunk job failed
        return [results]


def workers(config: DictConfig | None) -> int:
    """How many jobs the configured launcher runs at once (1 when it does not say)."""
    launcher = OmegaConf.select(config, "hydra.launcher", default=None) if config else None
    if launcher is None:
        return 1
    n_jobs = OmegaConf.select(launcher, "n_jobs", default=None)
    if isinstance(n_jobs, int) and n_jobs != 0:
        cores = os.cpu_count() or 1
        return max(1, n_jobs if n_jobs > 0 else cores + 1 + n_jobs)
    parallel = OmegaConf.select(launcher, "array_parallelism", default=None)
    if isinstance(parallel, int) and parallel > 0:
        return parallel
    return 1
