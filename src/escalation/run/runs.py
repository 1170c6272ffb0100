"""One run's files: simulate, write, check for completion, record a failure, rebuild from disk.

A run folder holds ``outcomes.csv``, ``trajectories.csv`` (``.parquet`` both, with
``sim.tables=parquet``), ``narrative.md``, ``figures/`` and, written last as the mark of a complete
run, ``summary.json``. A job of a sweep that failed holds
``error.txt`` instead. Every file is written atomically.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from escalation import __version__
from escalation.config.changes import changes_words
from escalation.config.schema import ConfigError, Settings
from escalation.config.stored import recorded_changes, stored_settings
from escalation.files import atomic_write, read_text, subfolder, temporary_names
from escalation.run import parallel, processes
from escalation.run.figures import draw_run_figures
from escalation.run.narrative.story import COMMAND_LINE_HINT, write_narrative
from escalation.run.parallel import chunk_count, simulate_chunked, worker_count
from escalation.run.results import (
    FILES,
    read_outcomes,
    read_trajectories,
    summarize,
    write_summary,
    write_tables,
)
from escalation.run.tables import TABLE_FORMATS, count_rows, find_table, malformed, table_file
from escalation.timeline import TimelineError, load_timeline

ERROR_FILE = "error.txt"
#: The tables of a run folder, each written as CSV or Parquet (``escalation.run.tables``).
TABLES = ("outcomes", "trajectories")
HYDRA_CONFIG = Path(".hydra") / "config.yaml"


#: Memory a run needs, from peak resident sizes measured at 100 and 40,000 replicates x 36
#: months (127 MiB; 61 bytes a replicate-month without trajectories, 200 with), rounded up: the
#: command itself (Python, numpy, pandas, Hydra, matplotlib), each replicate-month of the
#: engine's per-month arrays, each replicate-month of the trajectories table and its CSV, and
#: each replicate (sampled assumptions, outcomes).
MEMORY_BASE = 200 * 2**20
MEMORY_PER_REPLICATE_MONTH = {"engine": 70, "trajectories": 150}
MEMORY_PER_REPLICATE = 500
#: What each process simulating a chunk of a larger run adds (``escalation.run.parallel``): a
#: forked worker's own pages, and its chunk's engine arrays and tables, the tables twice (built,
#: then sent to the run); the run then holds every chunk's tables and their joined copy.
MEMORY_PER_WORKER = 100 * 2**20


class RunFolderError(RuntimeError):
    """A run folder cannot be rebuilt; the message names what is missing or malformed."""


def memory_estimate(settings: Settings) -> int:
    """Bytes a run of these settings needs at its peak, roughly (``MEMORY_*``).

    A run of several chunks holds its tables twice (the chunks', then joined) besides what each
    process simulating a chunk holds (``MEMORY_PER_WORKER``, one chunk's engine and tables).
    """
    months, replicates = settings.sim.months, settings.sim.replicates
    engine = MEMORY_PER_REPLICATE_MONTH["engine"]
    table = MEMORY_PER_REPLICATE_MONTH["trajectories"] if settings.sim.trajectories else 0
    if chunk_count(replicates) == 1:
        return MEMORY_BASE + replicates * (months * (engine + table) + MEMORY_PER_REPLICATE)
    chunk = parallel.CHUNK * (months * (engine + 2 * table) + 2 * MEMORY_PER_REPLICATE)
    whole = 2 * replicates * (months * table + MEMORY_PER_REPLICATE)
    return MEMORY_BASE + whole + worker_count(settings) * (MEMORY_PER_WORKER + chunk)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(settings: Settings) -> None:
    """Refuse a run that would not fit in the memory available, before allocating anything.

    Raises:
        ConfigError: The estimate exceeds the memory available; the message gives both and the
            ways out.
    """
    needed, available = memory_estimate(settings), available_memory()
    if available is None or needed <= available:
        return
    way_out = "lower sim.replicates or sim.months"
    if settings.sim.trajectories:
        way_out += ", or set sim.trajectories=false"
    raise ConfigError(
        f"sim.replicates={settings.sim.replicates:,} x sim.months={settings.sim.months:,} needs "
        f"about {_gib(needed)} of memory, more than the {_gib(available)} available; {way_out}"
    )


def check_timeline(source: Any) -> None:
    """Refuse a ``scenario.timeline`` that cannot be read as a timeline, before any folder exists.

    Raises:
        ConfigError: ``scenario.timeline: FILE...: what is wrong`` (``escalation.timeline``).
    """
    if source is None or source == "shipped":
        return
    try:
        load_timeline(str(source))
    except TimelineError as error:
        raise ConfigError(f"scenario.timeline: {error}") from None


def _gib(size: int) -> str:
    return f"{size / 2**30:,.1f} GiB"


#: Seconds a run goes on before its progress bar appears (shorter runs show none).
PROGRESS_DELAY = 5.0


def simulate_run(
    settings: Settings,
    *,
    trajectories: bool = True,
    progress: bool = False,
    workers: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run the model; return its outcomes and trajectories tables.

    A run of more than ``escalation.run.parallel.CHUNK`` replicates is simulated in chunks, on
    several processes when ``workers`` allows (that module's rule: the tables do not depend on
    the number of workers).

    Args:
        settings: The run's validated settings.
        trajectories: Whether to build the trajectories table (one row per replicate and
            month); None is returned in its place when False, e.g. for a sweep job that does
            not write it.
        progress: Whether to show a progress bar (months done, time left) on the terminal once
            the run has taken ``PROGRESS_DELAY`` seconds; it is removed when the run ends.
        workers: Processes for the chunks of a large run; None: as ``sim.workers`` says (a
            sweep's job gives 1: its launcher already keeps the cores busy).
    """
    # Mesa costs half a second: only a run that simulates pays it (not --help, errors, reports).
    from escalation.model import EscalationModel

    check_memory(settings)
    chunks = chunk_count(settings.sim.replicates)
    if chunks > 1:
        workers = worker_count(settings) if workers is None else max(1, min(workers, chunks))
        with progress_bar(chunks, enabled=progress, unit="chunk") as bar:
            return simulate_chunked(
                settings, trajectories=trajectories, workers=workers, progress=bar
            )
    model = EscalationModel(settings)
    with progress_bar(settings.sim.months, enabled=progress) as bar:
        while model.running:
            model.step()
            bar.update(1)
    return model.outcomes(), model.trajectories() if trajectories else None


def progress_bar(months: int, *, enabled: bool, unit: str = "month") -> Any:
    """A tqdm bar over a run's months, on stderr, shown after ``PROGRESS_DELAY`` seconds.

    Args:
        months: The run's months (or its chunks, with ``unit="chunk"``).
        enabled: False gives a bar that draws nothing (a pipe, a sweep job, a test).
        unit: What the bar counts: ``month``, or ``chunk`` for a run in chunks.
    """
    from tqdm import tqdm

    return tqdm(
        total=months,
        desc="simulating",
        unit=unit,
        delay=PROGRESS_DELAY,
        disable=not enabled,
        leave=False,
        dynamic_ncols=True,
        bar_format=f"{{desc}}: {unit} {{n_fmt}}/{{total_fmt}} {{bar}} {{elapsed}} elapsed, "
        "{remaining} left",
    )


def run_meta(
    settings: Settings,
    config: dict[str, Any],
    overrides: list[str] | None = None,
    title: str | None = None,
    changes: list[str] | None = None,
) -> dict[str, Any]:
    """What ``summary.json`` records about a run besides its results.

    Args:
        settings: The run's validated settings.
        config: The resolved config.
        overrides: A sweep job's overrides (what makes it this job of its sweep), or None.
        title: The run's title; default the scenario's (a sweep job names its own policy).
        changes: A single run's changes from its scenario (``escalation.config.changes``), or None.
    """
    sweep = {} if overrides is None else {"overrides": list(overrides)}
    changed = {} if changes is None else {"changes": list(changes)}
    return {
        **sweep,
        **changed,
        "scenario": settings.scenario.name,
        "title": title or settings.scenario.title,
        "seed": settings.seed,
        "replicates": settings.sim.replicates,
        "months": settings.sim.months,
        "start": settings.sim.start,
        "version": __version__,
        "config": config,
    }


def write_run(
    folder: Path,
    settings: Settings,
    config: dict[str, Any],
    outcomes: pd.DataFrame,
    trajectories: pd.DataFrame | None,
    *,
    figures: bool,
    tables: bool = True,
    overrides: list[str] | None = None,
    title: str | None = None,
    changes: list[str] | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Write a run's files into ``folder``; ``summary.json`` last, as the completion mark.

    Args:
        folder: The run folder (created if missing).
        settings: The run's validated settings.
        config: The resolved config, recorded in ``summary.json``.
        outcomes: One row per replicate.
        trajectories: One row per replicate and month, or None to skip the trajectories table
            and the figures that need it (the narrative is then not written either).
        figures: Whether to draw ``figures/*.png``.
        tables: Whether to write the two tables (False when they are already on disk), in the
            format ``settings.sim.tables`` names.
        overrides: A sweep job's overrides, recorded in ``summary.json``.
        title: Title of the figures and narrative; default the scenario's.
        changes: A single run's changes from its scenario, recorded in ``summary.json`` and
            shown in the narrative's heading and the figures' titles.
        workers: Processes to draw the figures in, while this one writes the tables and the
            story (``figure_workers``).

    Returns:
        The summary written to ``summary.json``.

    Raises:
        FileRefused: ``figures/`` is a symbolic link (the figures would be written out of the
            folder); nothing is written.
    """
    summary = summarize(
        outcomes, run_meta(settings, config, overrides, title=title, changes=changes)
    )
    title = summary["title"]
    if changes_words(changes):
        title += f", with {changes_words(changes)}"
    folder.mkdir(parents=True, exist_ok=True)
    figures_folder = subfolder(folder, FILES["figures"])
    _remove_leftovers(folder, job=overrides is not None)

    def write_files() -> None:
        """The tables and the story, written while the figures are drawn."""
        if tables:
            write_tables(folder, outcomes, trajectories, settings.sim.tables)
        if trajectories is not None:
            write_narrative(
                trajectories,
                outcomes,
                settings.sim.narrative_replicate,
                folder / FILES["narrative"],
                title=title,
                posture=settings.policy.posture.value,
                hint=COMMAND_LINE_HINT,
            )

    if figures and trajectories is not None:
        draw_run_figures(
            trajectories,
            summary,
            figures_folder,
            style=settings.plots.style,
            formats=settings.plots.formats,
            workers=workers,
            meanwhile=write_files,
        )
    else:
        write_files()
    write_summary(folder, summary)
    return summary


def figure_workers(settings: Settings) -> int:
    """Processes a run's figures are drawn in: ``sim.workers`` (0: every core).

    One, here, for a run of more than one chunk of replicates (``escalation.run.parallel``):
    handing its trajectories to each worker would cost more memory than drawing saves time.
    """
    if settings.sim.replicates > parallel.CHUNK:
        return 1
    return processes.processes_for(settings.sim.workers)


def _remove_leftovers(folder: Path, *, job: bool) -> None:
    """Remove what an earlier attempt at this run left, and nothing else.

    That is the partial files of ``atomic_write`` for the run's own files and, in a sweep's job,
    its ``error.txt``; a user's ``error.txt`` or other temporary files stay.
    """
    names = [name for key, name in FILES.items() if key not in ("figures", *TABLES)]
    names += [table_file(key, tables) for key in TABLES for tables in TABLE_FORMATS]
    if job:
        (folder / ERROR_FILE).unlink(missing_ok=True)
        names.append(ERROR_FILE)
    for name in names:
        for leftover in folder.glob(temporary_names(name)):
            leftover.unlink(missing_ok=True)


def is_complete(folder: Path, config: dict[str, Any], overrides: list[str] | None = None) -> bool:
    """Whether ``folder`` holds a complete run of exactly this config (so it can be skipped).

    Complete means: ``summary.json`` records this config (and, for a sweep job, these
    overrides), and its outcomes table (CSV or Parquet) holds one row per replicate (a CSV
    ends with a whole line).
    """
    path = folder / FILES["summary"]
    if not path.is_file() or folder.is_symlink():
        return False
    try:
        stored = json.loads(read_text(path))
        path = find_table(folder, "outcomes")
        rows = None if path is None else count_rows(path)
    except (OSError, ValueError):
        return False
    if not isinstance(stored, dict) or rows is None or rows != stored.get("replicates"):
        return False
    if overrides is not None and stored.get("overrides") != list(overrides):
        return False
    return stored.get("config") == json.loads(json.dumps(config, default=str))


def record_failure(folder: Path, error: BaseException) -> str:
    """Write ``error.txt`` (the one-line error, then the traceback); return the one line."""
    line = f"{type(error).__name__}: {error}".splitlines()[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / FILES["summary"]).unlink(missing_ok=True)
    with atomic_write(folder / ERROR_FILE) as stream:
        stream.write(line + "\n\n")
        stream.write("".join(traceback.format_exception(error)))
    return line


def rebuild_run(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """Rewrite a run's summary, narrative and figures from its tables and Hydra's saved config.

    Returns:
        The summary and notes on what could not be rebuilt (e.g. no trajectories).

    Raises:
        RunFolderError: The saved config or the outcomes table is missing or malformed.
    """
    config_path = folder / HYDRA_CONFIG
    if not config_path.is_file():
        raise RunFolderError(f"{folder} is not a run folder: {HYDRA_CONFIG} is missing")
    try:
        settings, config = stored_settings(config_path, folder)
    except ConfigError as error:
        raise RunFolderError(f"{config_path} is malformed: {error}") from None
    try:
        outcomes_path = find_table(folder, "outcomes")
        trajectories_path = find_table(folder, "trajectories")
    except ValueError as error:
        raise RunFolderError(str(error)) from None
    if outcomes_path is None:
        raise RunFolderError(
            f"{folder / FILES['outcomes']} is missing (nor is there "
            f"{table_file('outcomes', 'parquet')}): nothing to rebuild from"
        )
    replicates = settings.sim.replicates
    recorded = _recorded_replicates(folder / FILES["summary"])
    if recorded not in (None, replicates):
        raise RunFolderError(
            f"{folder / FILES['summary']} records {recorded} replicates but "
            f"{config_path} has sim.replicates={replicates}"
        )
    try:
        outcomes = read_outcomes(outcomes_path, replicates)
    except ValueError as error:
        raise RunFolderError(f"{folder}: {error}") from None
    notes = []
    trajectories = None
    if trajectories_path is not None:
        try:
            trajectories = read_trajectories(trajectories_path)
        except ValueError as error:
            raise RunFolderError(malformed(trajectories_path, error)) from None
        if len(trajectories) != replicates * settings.sim.months:
            raise RunFolderError(
                f"{trajectories_path} is malformed: {len(trajectories)} rows, expected "
                f"{replicates * settings.sim.months} (replicates x months)"
            )
    else:
        notes.append(
            f"{folder / FILES['trajectories']} is missing: narrative and figures not rebuilt"
        )
    summary = write_run(
        folder,
        settings,
        config,
        outcomes,
        trajectories,
        figures=True,
        tables=False,
        changes=_rebuilt_changes(folder, config),
        workers=figure_workers(settings),
    )
    return summary, notes


def _rebuilt_changes(folder: Path, config: dict[str, Any]) -> list[str] | None:
    """A rebuilt run's changes from its scenario: as ``summary.json`` recorded them, or anew.

    Without ``summary.json`` they are found again from Hydra's record of the run
    (``escalation.config.stored.recorded_changes``); None if that fails.
    """
    stored = _recorded(folder / FILES["summary"], "changes")
    if stored is not None or not (folder / ".hydra" / "hydra.yaml").is_file():
        return stored
    return recorded_changes(folder / ".hydra" / "hydra.yaml", config, folder)


def _recorded_replicates(path: Path) -> Any:
    """The replicates a ``summary.json`` records; None when it is absent or unreadable."""
    return _recorded(path, "replicates")


def _recorded(path: Path, key: str) -> Any:
    """What a ``summary.json`` records under ``key``; None when it is absent or unreadable."""
    try:
        stored = json.loads(read_text(path))
    except (OSError, ValueError):
        return None
    return stored.get(key) if isinstance(stored, dict) else None
