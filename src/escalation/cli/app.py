"""The ``escalation`` command: a Hydra app that runs one configured scenario and writes its files.

Hydra hands this module the composed ``DictConfig``; it turns it into ``Settings`` (through
``escalation.config.validation``; a batched chunk through ``escalation.sweep.batched``) and hands
plain values to the model, the results writer, the figures and the narrative. Every check
that can be made before Hydra creates a folder is made first (``escalation.cli.preflight``). Bad
input (unknown key or scenario, wrong type, out-of-range value, an output folder that holds other
files) ends with one line on stderr naming the key and what is allowed, exit status 2, and nothing
written; a fault while writing (a full disk) ends with one line and status 1; Ctrl-C with one
line and status 130.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from escalation.cli.folders import hold
from escalation.cli.preflight import prepare
from escalation.config.dates import never_in_force, unused_timings
from escalation.config.scenarios import available_scenarios
from escalation.config.schema import ConfigError, register_configs
from escalation.config.userconf import config_dir_argument, read_config, user_scenarios
from escalation.config.validation import (
    describe_error,
    resolved_config,
    settings_from_dictconfig,
    unknown_option,
)
from escalation.errors import describe_os_error, error_line, first_line
from escalation.run.results import FILES, summary_table
from escalation.run.runs import (
    TABLES,
    figure_workers,
    is_complete,
    record_failure,
    simulate_run,
    write_run,
)
from escalation.run.tables import TABLE_FORMATS, table_file
from escalation.sweep.batched import chunk_points, run_chunk
from escalation.sweep.progress import point_label, print_line, sweep_progress

if TYPE_CHECKING:
    from escalation.config.schema import Settings

register_configs()

EXIT_CONFIG_ERROR = 2
EXIT_FAULT = 1
#: The shell's status for a command ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
#: The shell's status for a command whose output's reader has gone (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141
#: Set by the launching process, so that a sweep's worker processes can tell when it is gone.
PARENT_ENV = "ESCALATION_PARENT_PID"


class _Run:
    """What the checks before Hydra found out about a single run, for the run itself."""

    #: The run's changes from its scenario (``escalation.config.changes``), from ``preflight``.
    changes: list[str] | None = None
    #: The measures whose timing the user set (``escalation.config.changes.retimed``).
    timed: frozenset[str] | set[str] = frozenset()


_run = _Run()


@hydra.main(version_base="1.3", config_path="pkg://escalation.conf", config_name="config")
def _app(cfg: DictConfig) -> None:
    hydra_cfg = HydraConfig.get()
    folder = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        _multirun_job(cfg, hydra_cfg, folder)
        return
    try:
        settings = settings_from_dictconfig(cfg)
    except ConfigError as error:  # checked before Hydra made the folder; kept as a safeguard
        _fail(str(error))
    for warning in [*never_in_force(settings), *unused_timings(settings, _run.timed)]:
        print(f"escalation: warning: {warning}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:  # Hydra would print a line of its own before re-raising: end here, with one line
        outcomes, trajectories = simulate_run(
            settings, trajectories=settings.sim.trajectories, progress=_on_terminal()
        )
        summary = write_run(
            folder,
            settings,
            resolved_config(cfg),
            outcomes,
            trajectories,
            figures=settings.sim.figures,
            changes=_run.changes,
            workers=figure_workers(settings),
        )
    except ConfigError as error:
        _fail(str(error))
    except Exception as error:
        _fault(error)
    try:
        print(summary_table(summary))
        print(f"Wrote {_written(folder)} to")
        print(f"  {folder}   ({time.perf_counter() - started:.1f} s)", flush=True)
    except BrokenPipeError:
        _reader_gone()


def _on_terminal() -> bool:
    """Whether the command's output goes to a terminal (else no progress bar)."""
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _written(folder: Path) -> str:
    """The run's files that exist, as a list for the terminal."""
    names = []
    for key, name in FILES.items():  # a table in the format it was written (sim.tables)
        names += [table_file(key, tables) for tables in TABLE_FORMATS] if key in TABLES else [name]
    names = [name for name in names if (folder / name).exists()]
    names = [f"{name}/" if (folder / name).is_dir() else name for name in names]
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _multirun_job(cfg: DictConfig, hydra_cfg: DictConfig, folder: Path) -> None:
    """A job of a multirun: a chunk of points (batched sweeper) or one point (other sweepers)."""
    if chunk_points(hydra_cfg) is not None:
        run_chunk(cfg, hydra_cfg, _sweep_job)
        return
    number = int(hydra_cfg.job.num)
    progress = sweep_progress(folder, number)
    overrides = list(hydra_cfg.overrides.task)
    config = resolved_config(cfg)
    settings = functools.partial(settings_from_dictconfig, cfg)
    _sweep_job(folder, f"job {number}", config, settings, overrides, progress)


def _sweep_job(
    folder: Path,
    name: str,
    config: dict[str, Any],
    make_settings: Callable[[], Settings],
    overrides: list[str] | None = None,
    progress: Any = None,
    simulated: tuple[Any, Any] | None = None,
) -> None:
    """One job of a sweep: skip it if complete; on failure record ``error.txt`` and go on.

    Jobs print one line each, ``[job 12/54] <levers and other swept keys>: ... (0.2 s, ETA 9 s)``,
    so a long sweep shows its progress; figures and trajectories are written only when
    ``sweep.job_figures`` / ``sweep.job_trajectories`` ask for them. The job's overrides are
    recorded in its ``summary.json``: gathering checks them. ``progress`` is the sweep's
    ``escalation.sweep.progress.SweepProgress`` (job count, varying keys, start).
    ``config`` is the job's resolved config (recorded in ``summary.json``); ``make_settings()``
    validates its settings (a batched chunk re-checks only what the point's overrides change).
    ``simulated`` is the job's outcomes and trajectories when they are already simulated (a
    batched chunk runs its points as worlds of one model, ``escalation.run.worlds``).
    """
    _exit_with_parent()
    started = time.perf_counter()
    levers = point_label(config, overrides or [], progress.keys if progress else [])
    if progress is not None:
        name = f"{name}/{progress.total}"
    if is_complete(folder, config, overrides):
        if progress is not None:
            progress.eta()
        print_line(f"[{name}] {levers}: already complete, skipped")
        return
    try:
        settings = make_settings()
        timed = {o.split(".")[2] for o in overrides or [] if o.startswith("policy.timing.")}
        for warning in unused_timings(settings, timed):  # this job's policy never takes it
            print_line(f"escalation: warning: [{name}] {warning}", file=sys.stderr)
        keep = (settings.sweep.job_trajectories or settings.sweep.job_figures) and (
            settings.sim.trajectories
        )
        if simulated is None:
            outcomes, trajectories = simulate_run(settings, trajectories=keep, workers=1)
        else:
            outcomes, trajectories = simulated[0], simulated[1] if keep else None
        summary = write_run(
            folder,
            settings,
            config,
            outcomes,
            trajectories,
            figures=settings.sim.figures and settings.sweep.job_figures,
            overrides=overrides,
            title=f"{settings.scenario.name} {name.partition('/')[0]}: {levers}",
        )
    except Exception as error:  # a failed job is recorded; the sweep goes on
        eta = progress.eta() if progress is not None else ""
        print_line(f"[{name}] {levers}: FAILED: {record_failure(folder, error)}{eta}")
        return
    conflict = summary["probabilities"]["direct_conflict"]
    eta = progress.eta() if progress is not None else ""
    print_line(
        f"[{name}] {levers}: P({conflict['label']}) {conflict['p']:.1%} "
        f"[{conflict['low']:.1%}, {conflict['high']:.1%}] "
        f"({time.perf_counter() - started:.1f} s{eta})"
    )


_watching = threading.Event()


def _exit_with_parent() -> None:
    """In a worker process of the launching command (joblib), exit when that command is gone.

    A killed sweep must not leave workers computing on; each worker watches, once a second,
    whether its parent process is still the command that launched it.
    """
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit() or int(parent) == os.getpid() or os.getppid() != int(parent):
        return
    if _watching.is_set():
        return
    _watching.set()

    def watch() -> None:
        while os.getppid() == int(parent):
            time.sleep(1.0)
        os._exit(EXIT_INTERRUPTED)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _reader_gone() -> None:
    """End quietly when the output's reader has gone (``escalation ... | head``).

    As Unix tools do: status 141 (128 + SIGPIPE), no message; the run's files are complete.
    """
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def _fail(message: str) -> None:
    """Report a configuration error in one line and exit with status 2."""
    print(error_line("escalation", message), file=sys.stderr)
    sys.exit(EXIT_CONFIG_ERROR)


def list_scenarios(config_dir: str | None = None) -> str:
    """The scenarios with their titles and descriptions, for ``--list-scenarios``.

    Args:
        config_dir: The ``--config-dir`` given, whose ``scenario/*.yaml`` are listed too.
    """
    import textwrap

    blocks = []
    for name, scenario in available_scenarios(config_dir).items():
        text = textwrap.fill(
            scenario.description, width=96, initial_indent="    ", subsequent_indent="    "
        )
        blocks.append(f"{name}: {scenario.title}\n{text}")
    run = (
        "escalation scenario=NAME"
        if config_dir is None
        else (f"escalation --config-dir {config_dir} scenario=NAME")
    )
    return "\n\n".join(blocks) + f"\n\nRun one with: {run}"


def _list_scenarios(arguments: list[str]) -> str:
    """``--list-scenarios``, honouring ``--config-dir``; a missing folder ends the command."""
    config_dir = config_dir_argument(arguments)
    if config_dir is not None and not os.path.isdir(config_dir):
        _fail(f"--config-dir {config_dir}: no such folder")
    return list_scenarios(config_dir)


def _show_scenario(arguments: list[str]) -> str:
    """``--show-scenario NAME``: the scenario's YAML file as it is, to copy and edit.

    ``escalation --show-scenario template > myconf/scenario/mine.yaml`` starts a scenario of
    your own; ``--config-dir DIR`` shows your own scenarios too.
    """
    from importlib.resources import files

    index = arguments.index("--show-scenario")
    config_dir = config_dir_argument(arguments)
    packaged = {
        entry.name.removesuffix(".yaml"): entry
        for entry in (files("escalation.conf") / "scenario").iterdir()
        if entry.name.endswith(".yaml")
    }
    own = user_scenarios(config_dir) if config_dir is not None else {}
    names = sorted({*packaged, *own})
    if index + 1 >= len(arguments) or arguments[index + 1].startswith("-"):
        _fail(f"--show-scenario needs a scenario name; available: {', '.join(names)}")
    name = arguments[index + 1]
    if name in own:  # a regular file inside the folder, of a bounded size
        return read_config(own[name], config_dir)
    if name not in packaged:
        _fail(unknown_option("scenario", name, names))
    return packaged[name].read_text(encoding="utf-8")


def _quote_formats(arguments: list[str]) -> list[str]:
    """Quote ``plots.format=a,b``: several formats in one run, not a sweep over formats."""
    quoted = []
    for argument in arguments:
        key, equals, value = argument.partition("=")
        if equals and key == "plots.format" and "," in value and value[0] not in "'\"[":
            argument = f"{key}='{value}'"
        quoted.append(argument)
    return quoted


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
    except KeyboardInterrupt:  # while listing or showing scenarios (a run says more)
        _interrupted(None)
    finally:
        gc.set_threshold(*thresholds)
        gc.freeze()


def _main() -> None:
    if "--show-scenario" in sys.argv[1:]:
        try:
            print(_show_scenario(sys.argv[1:]), end="", flush=True)
        except BrokenPipeError:
            _reader_gone()
        except ConfigError as error:
            _fail(str(error))
        return
    if "--list-scenarios" in sys.argv[1:]:
        try:
            print(_list_scenarios(sys.argv[1:]), flush=True)
        except BrokenPipeError:
            _reader_gone()
        return
    # Ray (hydra/launcher=ray_cluster) reports usage statistics unless told not to.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ[PARENT_ENV] = str(os.getpid())
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        plan = _prepare(sys.argv[1:])
        sys.argv[1:] = plan.arguments
        _run.changes, _run.timed = plan.changes, plan.timed
        with hold(plan.folder, sweep=plan.multirun):
            _app()
        return
    # Let Hydra raise instead of printing a multi-line report, so errors become one line.
    os.environ["HYDRA_FULL_ERROR"] = "1"
    plan = None
    try:
        plan = _prepare(sys.argv[1:])
        sys.argv[1:] = plan.arguments
        _run.changes, _run.timed = plan.changes, plan.timed
        with hold(plan.folder, sweep=plan.multirun):
            _app()
    except KeyboardInterrupt:
        _interrupted(plan)
    except ConfigError as error:  # the output folder was taken since the checks (hold)
        _fail(str(error))
    except Exception as error:
        message = describe_error(error)
        if message is not None:
            _fail(message)
        _fault(error)
    finally:
        os.environ.pop("HYDRA_FULL_ERROR", None)


def _fault(error: Exception) -> None:
    """An environment fault (a full disk, an unwritable folder) or a bug: one line, status 1."""
    if isinstance(error, OSError) and error.strerror:
        message = describe_os_error(error)
    else:
        message = (
            f"{type(error).__name__}: {first_line(error)} (HYDRA_FULL_ERROR=1 shows the traceback)"
        )
    print(error_line("escalation", message), file=sys.stderr)
    sys.exit(EXIT_FAULT)


def _prepare(arguments: list[str]) -> Any:
    """The checked plan (``escalation.cli.preflight.prepare``); bad input ends the command."""
    try:
        return prepare(_quote_formats(arguments))
    except ConfigError as error:
        _fail(str(error))


def _interrupted(plan: Any) -> None:
    """Ctrl-C: one line saying how to go on, and status 130."""
    if plan is not None and plan.multirun:
        where = "" if plan.chosen else f" with hydra.sweep.dir={plan.folder}"
        message = f"interrupted; re-run the same command{where} to resume"
    elif plan is not None and plan.folder is not None:
        message = f"interrupted; the run in {plan.folder} is incomplete (no summary.json)"
    else:
        message = "interrupted"
    print(f"escalation: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_INTERRUPTED)
