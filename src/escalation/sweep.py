"""Gathering a sweep: the jobs' files become one tidy table, a summary per policy and figures.

Hydra runs one job per lever combination, possibly in other processes or on other machines
(joblib, Ray, Slurm), so gathering reads what the jobs wrote into the sweep folder, never their
memory. The jobs of a sweep are recomputed from ``multirun.yaml`` exactly as Hydra's basic
sweeper numbers them, so stale folders of an earlier, different sweep are ignored.

At the sweep root:

- ``outcomes.csv``: every replicate of every job; columns ``job``, the four levers, ``scenario``,
  ``seed``, then the job's ``outcomes.csv`` columns (sampled assumptions, outcomes).
- ``summary.csv``: one row per job (lever combination): ``job``, ``scenario``, ``replicates``,
  ``months``, ``seed``, the levers, then ``NAME``/``NAME_low``/``NAME_high`` for each probability
  and ``NAME_mean``/``NAME_mean_low``/``NAME_mean_high`` for each mean (95% intervals).
- ``figures/``: heatmaps, the support-versus-risk trade-off and a ranking.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from escalation.config import ConfigError, Plots, validate_plots
from escalation.files import atomic_write
from escalation.results import FILES, summarize, summary_row
from escalation.runs import ERROR_FILE

LEVERS = ["instructors", "troops", "deep_strikes", "posture"]
SWEEP_FILES = {"outcomes": "outcomes.csv", "summary": "summary.csv", "figures": "figures"}
MULTIRUN_FILE = "multirun.yaml"


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


@dataclass
class Gathered:
    """What gathering found: the tables, and the jobs that failed or are missing."""

    outcomes: pd.DataFrame
    summary: pd.DataFrame
    jobs: int
    failed: list[tuple[Job, str]] = field(default_factory=list)
    missing: list[tuple[Job, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every job of the sweep has results."""
        return not self.failed and not self.missing

    def report(self, folder: Path) -> str:
        """A few lines for the terminal: what was gathered, and every job without results."""
        done = self.jobs - len(self.failed) - len(self.missing)
        lines = [
            f"Gathered {done} of {self.jobs} jobs ({len(self.outcomes):,} replicates) into "
            f"{folder}: {SWEEP_FILES['outcomes']}, {SWEEP_FILES['summary']}, figures/"
        ]
        lines += [f"  FAILED {job.label}: {why}" for job, why in self.failed]
        lines += [f"  MISSING {job.label}: {why}" for job, why in self.missing]
        if not self.complete:
            lines.append(
                "  Re-run the same command with hydra.sweep.dir=" + str(folder) + " to "
                "compute only the jobs without results."
            )
        return "\n".join(lines)


def sweep_jobs(folder: Path, multirun: DictConfig | None = None) -> list[Job]:
    """The jobs of the sweep in ``folder``, numbered as Hydra's basic sweeper numbers them.

    Args:
        folder: The sweep folder.
        multirun: The sweep's config (with its ``hydra`` node); read from ``multirun.yaml`` when
            omitted.

    Raises:
        SweepError: ``multirun.yaml`` is missing or unreadable.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if multirun is None:
        multirun = load_multirun(folder)
    params = multirun.hydra.sweeper.get("params") or {}
    arguments = [f"{key}={value}" for key, value in params.items()]
    arguments += list(multirun.hydra.overrides.task)
    overrides = OverridesParser.create().parse_overrides(arguments)
    (batch,) = BasicSweeper.split_arguments(overrides, None)
    return [Job(number, list(job), folder / str(number)) for number, job in enumerate(batch)]


def load_multirun(folder: Path) -> DictConfig:
    """The sweep's config as Hydra saved it in ``multirun.yaml``.

    Raises:
        SweepError: The file is missing or malformed.
    """
    path = folder / MULTIRUN_FILE
    if not path.is_file():
        raise SweepError(f"{folder} is not a sweep folder: {MULTIRUN_FILE} is missing")
    try:
        multirun = OmegaConf.load(path)
        multirun.hydra.overrides.task  # noqa: B018 - fails early on a file without it
    except Exception as error:
        first = str(error).strip().splitlines()[0]
        raise SweepError(f"{path} is malformed: {first}") from None
    return multirun


def _read_job(job: Job) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A job's outcomes (with lever columns in front) and its summary; raises with the reason."""
    summary_path = job.folder / FILES["summary"]
    outcomes_path = job.folder / FILES["outcomes"]
    if not summary_path.is_file():
        raise FileNotFoundError(f"no {FILES['summary']} (the job did not finish)")
    if not outcomes_path.is_file():
        raise FileNotFoundError(f"no {FILES['outcomes']}")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        policy = summary["config"]["policy"]
        outcomes = pd.read_csv(outcomes_path)
    except (ValueError, KeyError, TypeError, pd.errors.ParserError) as error:
        raise ValueError(f"malformed results: {error}") from None
    from escalation.results import OUTCOME_COLUMNS

    lacking = [c for c in ["replicate", *OUTCOME_COLUMNS] if c not in outcomes.columns]
    if lacking:
        raise ValueError(f"malformed {FILES['outcomes']}: no column {', '.join(lacking)}")
    if len(outcomes) != summary["replicates"]:
        raise ValueError(
            f"malformed {FILES['outcomes']}: {len(outcomes)} rows, expected {summary['replicates']}"
        )
    front = {"job": job.number, **{lever: policy[lever] for lever in LEVERS}}
    front.update(scenario=summary["scenario"], seed=summary["seed"])
    outcomes.insert(0, "job", job.number)
    for position, (name, value) in enumerate(list(front.items())[1:], start=1):
        outcomes.insert(position, name, value)
    return outcomes, summary


def gather(folder: Path, multirun: DictConfig | None = None) -> Gathered:
    """Read every job's results; build the sweep's outcomes and summary tables.

    Raises:
        SweepError: Not a sweep folder, or no job has results.
    """
    jobs = sweep_jobs(folder, multirun)
    frames, rows = [], []
    failed, missing = [], []
    for job in jobs:
        error_path = job.folder / ERROR_FILE
        try:
            outcomes, job_summary = _read_job(job)
        except FileNotFoundError as reason:
            if error_path.is_file():
                failed.append((job, error_path.read_text(encoding="utf-8").splitlines()[0]))
            else:
                missing.append((job, str(reason)))
            continue
        except ValueError as reason:
            missing.append((job, str(reason)))
            continue
        frames.append(outcomes)
        meta = outcomes.iloc[0]
        rows.append(
            {
                "job": job.number,
                "scenario": meta["scenario"],
                "replicates": len(outcomes),
                "months": int(job_summary["months"]),
                "seed": int(meta["seed"]),
                **{lever: meta[lever] for lever in LEVERS},
                **summary_row(summarize(outcomes, {})),
            }
        )
    if not frames:
        raise SweepError(f"no job in {folder} has results ({len(jobs)} expected)")
    return Gathered(
        outcomes=pd.concat(frames, ignore_index=True),
        summary=pd.DataFrame(rows),
        jobs=len(jobs),
        failed=failed,
        missing=missing,
    )


def write_gathered(
    folder: Path, gathered: Gathered, *, sweep_name: str, plots: Plots | None = None
) -> None:
    """Write the gathered tables and figures at the sweep root, atomically.

    Args:
        folder: The sweep root.
        gathered: The gathered tables.
        sweep_name: Name of the sweep, for the figure titles.
        plots: Style and formats of the figures (``plots`` config); default PNG, default style.
    """
    from escalation.sweep_plots import draw_sweep_figures

    plots = plots or Plots()
    for name, frame in (("outcomes", gathered.outcomes), ("summary", gathered.summary)):
        with atomic_write(folder / SWEEP_FILES[name]) as stream:
            frame.to_csv(stream, index=False, lineterminator="\n")
    draw_sweep_figures(
        gathered.summary,
        folder / SWEEP_FILES["figures"],
        sweep_name=sweep_name,
        style=plots.style,
        formats=plots.formats,
    )


def plot_options(multirun: DictConfig) -> Plots:
    """The sweep's ``plots`` settings (style and formats), validated.

    Raises:
        SweepError: An unknown style or format.
    """
    plots = Plots(
        style=str(OmegaConf.select(multirun, "plots.style", default="default")),
        format=str(OmegaConf.select(multirun, "plots.format", default="png")),
    )
    try:
        validate_plots(plots)
    except ConfigError as error:
        raise SweepError(str(error)) from None
    return plots


def sweep_name(multirun: DictConfig) -> str:
    """The preset sweep's name, or ``custom`` for a sweep given on the command line."""
    return OmegaConf.select(multirun, "sweep.name", default="") or "custom"


def rebuild_sweep(folder: Path) -> Gathered:
    """Gather a sweep folder again from disk and rewrite its tables and figures."""
    multirun = load_multirun(folder)
    gathered = gather(folder, multirun)
    write_gathered(folder, gathered, sweep_name=sweep_name(multirun), plots=plot_options(multirun))
    return gathered


class GatherSweep(Callback):
    """Hydra callback: when a multirun ends, gather its jobs' results at the sweep root.

    It runs in the launching process after every job has ended, whatever the launcher. Jobs
    without results are named with their reason, and the command exits with status 1.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Gather, write, report; exit 1 if a job failed or is missing."""
        folder = Path(config.hydra.sweep.dir)
        try:
            gathered = gather(folder, config)
        except SweepError as error:
            print(f"escalation: error: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        try:
            plots = plot_options(config)
        except SweepError as error:
            print(f"escalation: error: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        write_gathered(folder, gathered, sweep_name=sweep_name(config), plots=plots)
        print(gathered.report(folder), flush=True)
        if not gathered.complete:
            raise SystemExit(1)
