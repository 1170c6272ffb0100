"""One run's files: simulate, write, check for completion, record a failure, rebuild from disk.

A run folder holds ``outcomes.csv``, ``trajectories.csv``, ``narrative.md``, ``figures/`` and,
written last as the mark of a complete run, ``summary.json``. A job of a sweep that failed holds
``error.txt`` instead. Every file is written atomically.
"""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from escalation import __version__
from escalation.config import Settings
from escalation.files import atomic_write
from escalation.results import FILES, summarize, write_summary, write_tables

ERROR_FILE = "error.txt"
HYDRA_CONFIG = Path(".hydra") / "config.yaml"


class RunFolderError(RuntimeError):
    """A run folder cannot be rebuilt; the message names what is missing or malformed."""


def simulate_run(
    settings: Settings, *, trajectories: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run the model; return its outcomes and trajectories tables.

    Args:
        settings: The run's validated settings.
        trajectories: Whether to build the trajectories table (one row per replicate and
            month); None is returned in its place when False, e.g. for a sweep job that does
            not write it.
    """
    from escalation.model import EscalationModel

    model = EscalationModel(settings).run()
    return model.outcomes(), model.trajectories() if trajectories else None


def run_meta(settings: Settings, config: dict[str, Any]) -> dict[str, Any]:
    """What ``summary.json`` records about a run besides its results."""
    return {
        "scenario": settings.scenario.name,
        "title": settings.scenario.title,
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
) -> dict[str, Any]:
    """Write a run's files into ``folder``; ``summary.json`` last, as the completion mark.

    Args:
        folder: The run folder (created if missing).
        settings: The run's validated settings.
        config: The resolved config, recorded in ``summary.json``.
        outcomes: One row per replicate.
        trajectories: One row per replicate and month, or None to skip ``trajectories.csv``
            and the figures that need it (the narrative is then not written either).
        figures: Whether to draw ``figures/*.png``.
        tables: Whether to write the two tables (False when they are already on disk).

    Returns:
        The summary written to ``summary.json``.
    """
    from escalation.narrative import write_narrative

    summary = summarize(outcomes, run_meta(settings, config))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ERROR_FILE).unlink(missing_ok=True)
    if tables:
        write_tables(folder, outcomes, trajectories)
    if trajectories is not None:
        write_narrative(
            trajectories,
            outcomes,
            settings.sim.narrative_replicate,
            folder / FILES["narrative"],
            title=settings.scenario.title,
            posture=settings.policy.posture.value,
        )
        if figures:
            from escalation.plots import draw_run_figures

            draw_run_figures(
                trajectories,
                summary,
                folder / FILES["figures"],
                style=settings.plots.style,
                formats=settings.plots.formats,
            )
    write_summary(folder, summary)
    return summary


def is_complete(folder: Path, config: dict[str, Any]) -> bool:
    """Whether ``folder`` holds a complete run of exactly this config (so it can be skipped)."""
    path = folder / FILES["summary"]
    if not path.is_file() or not (folder / FILES["outcomes"]).is_file():
        return False
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
        RunFolderError: The saved config or ``outcomes.csv`` is missing or malformed.
    """
    from omegaconf import OmegaConf

    from escalation.config import ConfigError, settings_from_dictconfig
    from escalation.results import OUTCOME_COLUMNS

    config_path = folder / HYDRA_CONFIG
    if not config_path.is_file():
        raise RunFolderError(f"{folder} is not a run folder: {HYDRA_CONFIG} is missing")
    try:
        cfg = OmegaConf.load(config_path)
        settings = settings_from_dictconfig(cfg)
    except (ConfigError, ValueError) as error:
        raise RunFolderError(f"{config_path} is malformed: {error}") from None
    config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    outcomes_path = folder / FILES["outcomes"]
    if not outcomes_path.is_file():
        raise RunFolderError(f"{outcomes_path} is missing: nothing to rebuild from")
    try:
        outcomes = pd.read_csv(outcomes_path)
    except (ValueError, pd.errors.ParserError) as error:
        raise RunFolderError(f"{outcomes_path} is malformed: {error}") from None
    lacking = [c for c in ["replicate", *OUTCOME_COLUMNS] if c not in outcomes.columns]
    if lacking:
        raise RunFolderError(f"{outcomes_path} is malformed: no column {', '.join(lacking)}")
    notes = []
    trajectories = None
    trajectories_path = folder / FILES["trajectories"]
    if trajectories_path.is_file():
        trajectories = pd.read_csv(
            trajectories_path, keep_default_na=False, dtype={"russian_action": str}
        )
    else:
        notes.append(f"{trajectories_path} is missing: narrative and figures not rebuilt")
    assert isinstance(config, dict)
    summary = write_run(
        folder, settings, config, outcomes, trajectories, figures=True, tables=False
    )
    return summary, notes
