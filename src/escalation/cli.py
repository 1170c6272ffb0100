"""The ``escalation`` command: a Hydra app that runs one configured scenario and writes its files.

Only this module touches ``DictConfig``; it validates the composed config into ``Settings`` and
hands plain values to the model, the results writer, the figures and the narrative. Bad input
(unknown key or scenario, wrong type, out-of-range value) ends with one line on stderr naming the
key and what is allowed, exit status 2, and no output folder left behind.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from escalation import __version__
from escalation.config import ConfigError, Settings, register_configs, settings_from_dictconfig

register_configs()

EXIT_CONFIG_ERROR = 2


def run_scenario(settings: Settings, folder: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Simulate, then write outcomes, trajectories, summary, figures and narrative to ``folder``.

    Args:
        settings: Validated settings.
        folder: The run folder (created if missing).
        config: The resolved config, recorded in ``summary.json``.

    Returns:
        The summary written to ``summary.json``.
    """
    from escalation.model import EscalationModel
    from escalation.narrative import write_narrative
    from escalation.results import FILES, summarize, write_summary, write_tables

    model = EscalationModel(settings).run()
    outcomes, trajectories = model.outcomes(), model.trajectories()
    summary = summarize(
        outcomes,
        {
            "scenario": settings.scenario.name,
            "title": settings.scenario.title,
            "seed": settings.seed,
            "replicates": settings.sim.replicates,
            "months": settings.sim.months,
            "start": settings.sim.start,
            "version": __version__,
            "config": config,
        },
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_tables(folder, outcomes, trajectories)
    write_summary(folder, summary)
    write_narrative(
        trajectories,
        outcomes,
        settings.sim.narrative_replicate,
        folder / FILES["narrative"],
        title=settings.scenario.title,
        posture=settings.policy.posture.value,
    )
    if settings.sim.figures:
        from escalation.plots import draw_run_figures

        draw_run_figures(trajectories, summary, folder / FILES["figures"])
    return summary


def _discard(folder: Path) -> None:
    """Remove a run folder that holds nothing but Hydra's bookkeeping, and empty parents."""
    if not folder.is_dir():
        return
    if any(p.name not in {".hydra"} and p.suffix != ".log" for p in folder.iterdir()):
        return
    shutil.rmtree(folder)
    cwd = Path.cwd().resolve()
    parent = folder.resolve().parent
    while parent != cwd and cwd in parent.parents and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


@hydra.main(version_base="1.3", config_path="pkg://escalation.conf", config_name="config")
def _app(cfg: DictConfig) -> None:
    folder = Path(HydraConfig.get().runtime.output_dir)
    try:
        settings = settings_from_dictconfig(cfg)
    except ConfigError as error:
        _discard(folder)
        _fail(str(error))
    started = time.perf_counter()
    config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(config, dict)
    summary = run_scenario(settings, folder, config)
    from escalation.results import summary_table

    print(summary_table(summary))
    print("Wrote outcomes.csv, trajectories.csv, summary.json, narrative.md and figures/ to")
    print(f"  {folder}   ({time.perf_counter() - started:.1f} s)")


def _fail(message: str) -> None:
    """Report a configuration error in one line and exit with status 2."""
    print(f"escalation: error: {message}", file=sys.stderr)
    sys.exit(EXIT_CONFIG_ERROR)


def list_scenarios() -> str:
    """The packaged scenarios with their titles and descriptions, for ``--list-scenarios``."""
    import textwrap

    from escalation.api import available_scenarios

    blocks = []
    for name, scenario in available_scenarios().items():
        text = textwrap.fill(
            scenario.description, width=96, initial_indent="    ", subsequent_indent="    "
        )
        blocks.append(f"{name}: {scenario.title}\n{text}")
    return "\n\n".join(blocks) + "\n\nRun one with: escalation scenario=NAME"


def describe_error(error: Exception) -> str | None:
    """One line naming the key and what is allowed, for a configuration error; else None."""
    from hydra.errors import (
        ConfigCompositionException,
        MissingConfigException,
        OverrideParseException,
    )
    from omegaconf.errors import OmegaConfBaseException

    from escalation.config import describe_omegaconf_error

    if isinstance(error, MissingConfigException) and error.missing_cfg_file:
        group, _, name = error.missing_cfg_file.rpartition("/")
        options = ", ".join(error.options or [])
        return f"unknown {group or 'config'} {name!r}; available: {options}"
    cause = error.__cause__
    if isinstance(error, ConfigCompositionException) and isinstance(cause, OmegaConfBaseException):
        return describe_omegaconf_error(cause)
    if isinstance(error, ConfigCompositionException | OverrideParseException):
        return " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return None


def main() -> None:
    """Console entry point: ``escalation [--list-scenarios] [hydra overrides ...]``."""
    if "--list-scenarios" in sys.argv[1:]:
        print(list_scenarios())
        return
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        _app()
        return
    # Let Hydra raise instead of printing a multi-line report, so errors become one line.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    try:
        _app()
    except Exception as error:
        message = describe_error(error)
        if message is None:
            raise
        _fail(message)
    finally:
        os.environ.pop("HYDRA_FULL_ERROR", None)
