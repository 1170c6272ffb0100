"""The ``escalation`` command: a Hydra app that runs one configured scenario and writes its files.

Only this module touches ``DictConfig``; it validates the composed config into ``Settings`` and
hands plain values to the model, the results writer, the figures and the narrative. Bad input
(unknown key or scenario, wrong type, out-of-range value) ends with one line on stderr naming the
key and what is allowed, exit status 2, and no output folder left behind.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from escalation.config import ConfigError, register_configs, settings_from_dictconfig
from escalation.results import summary_table
from escalation.runs import is_complete, record_failure, simulate_run, write_run

register_configs()

EXIT_CONFIG_ERROR = 2


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
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        _sweep_job(cfg, folder, f"job {hydra_cfg.job.num}")
        return
    try:
        settings = settings_from_dictconfig(cfg)
    except ConfigError as error:
        _discard(folder)
        _fail(str(error))
    started = time.perf_counter()
    outcomes, trajectories = simulate_run(settings)
    summary = write_run(
        folder, settings, _resolved(cfg), outcomes, trajectories, figures=settings.sim.figures
    )
    print(summary_table(summary))
    print("Wrote outcomes.csv, trajectories.csv, summary.json, narrative.md and figures/ to")
    print(f"  {folder}   ({time.perf_counter() - started:.1f} s)")


def _resolved(cfg: DictConfig) -> dict[str, Any]:
    config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(config, dict)
    return config


def _sweep_job(cfg: DictConfig, folder: Path, name: str) -> None:
    """One job of a sweep: skip it if complete; on failure record ``error.txt`` and go on.

    Jobs print one line each, so a long sweep shows its progress; figures and trajectories are
    written only when ``sweep.job_figures`` / ``sweep.job_trajectories`` ask for them.
    """
    started = time.perf_counter()
    config = _resolved(cfg)
    levers = " ".join(
        f"{k}={config['policy'][k]}" for k in ("instructors", "troops", "deep_strikes", "posture")
    )
    if is_complete(folder, config):
        print(f"[{name}] {levers}: already complete, skipped", flush=True)
        return
    try:
        settings = settings_from_dictconfig(cfg)
        keep = settings.sweep.job_trajectories or settings.sweep.job_figures
        outcomes, trajectories = simulate_run(settings, trajectories=keep)
        summary = write_run(
            folder,
            settings,
            config,
            outcomes,
            trajectories,
            figures=settings.sim.figures and settings.sweep.job_figures,
        )
    except Exception as error:  # a failed job is recorded; the sweep goes on
        print(f"[{name}] {levers}: FAILED: {record_failure(folder, error)}", flush=True)
        return
    conflict = summary["probabilities"]["direct_conflict"]
    print(
        f"[{name}] {levers}: P(direct conflict) {conflict['p']:.1%} "
        f"[{conflict['low']:.1%}, {conflict['high']:.1%}] ({time.perf_counter() - started:.1f} s)",
        flush=True,
    )


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


def _absolute_output_dirs(arguments: list[str]) -> list[str]:
    """Make ``hydra.run.dir`` and ``hydra.sweep.dir`` absolute; quote ``plots.format=a,b``.

    Jobs launched on Ray workers or Slurm nodes do not start in this folder, so a relative sweep
    folder would scatter their results.
    """
    absolute = []
    for argument in arguments:
        key, equals, value = argument.partition("=")
        if equals and key in ("hydra.run.dir", "hydra.sweep.dir") and value:
            value = str(Path(value).expanduser().absolute())
        if equals and key == "plots.format" and "," in value and value[0] not in "'\"[":
            value = f"'{value}'"  # several formats in one run, not a sweep over formats
        absolute.append(f"{key}={value}" if equals else argument)
    return absolute


#: Allocations between two young-generation garbage collections while the command runs
#: (Python's default is 2,000).
GC_THRESHOLD = 50_000


def main() -> None:
    """Console entry point: ``escalation [--list-scenarios] [hydra overrides ...]``.

    The command imports Hydra, pandas, Mesa and matplotlib: a few hundred thousand objects that
    live until it exits. The cyclic garbage collector runs less often meanwhile, and the objects
    are frozen at the end, so that exiting does not walk them all once more (together about
    half a second of what was a 2.6 s run; docs/PERFORMANCE.md).
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        _main()
    finally:
        gc.set_threshold(*thresholds)
        gc.freeze()


def _main() -> None:
    if "--list-scenarios" in sys.argv[1:]:
        print(list_scenarios())
        return
    sys.argv[1:] = _absolute_output_dirs(sys.argv[1:])
    # Ray (hydra/launcher=ray_cluster) reports usage statistics unless told not to.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
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
