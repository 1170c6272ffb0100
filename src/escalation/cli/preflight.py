"""Checks before Hydra creates anything: the command line, the composed config, the output folder.

``escalation`` composes its config here once, exactly as Hydra will (same search path, same
overrides), and refuses bad input with a ``ConfigError`` naming the key before Hydra writes a
single file. What it checks:

- the command line cannot touch the machine (docs/SAFETY.md): Hydra's flags that read or write
  files of their own (``--experimental-rerun``, ``--shell-completion install``, ``--config-path``,
  ``--config-name``) are refused; config group options are names, not paths; of Hydra's own
  settings only the allow-list of ``escalation.config.userconf.hydra_setting_allowed`` may be
  given, on the command line or in a user's files, and the composed ``hydra`` node is compared
  with the packaged one to make sure (``_check_hydra_settings``); ``hydra.callbacks``,
  ``_target_`` and logging factories (``()``) come only from the packaged config; no value
  interpolates (``${...}``: environment variables would end up in ``summary.json``) but the
  output folders' ``${now:...}`` and ``${scenario.name}``;
- values are what they say: no key is deleted (``~sim``), no unknown key added (``+sim.foo``),
  booleans are ``true``/``false``, numbers have no underscores, an empty mapping replaces
  nothing; a sweep neither sweeps the ``sweep`` presets nor shuffles or globs (its job numbers
  must be the same when it is gathered);
- the settings of a run, and of every value a sweep takes, pass
  ``escalation.config.validation.validate`` and fit in memory
  (``escalation.run.runs.check_memory``); a sweep has at most ``MAX_JOBS`` jobs;
- the output folder: a run folder is new or empty (a run never mixes its files with others', and
  never deletes what it did not create); a sweep folder is new, empty, or holds the same sweep
  (which is then resumed); both lie where files can be written.

The output folder is then handed to Hydra as an absolute path, so that Hydra uses the very folder
checked here (a timestamp could otherwise move on by a second), and jobs on other machines or in
other working directories write into it.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from escalation.cli.folders import (
    absolute,
    check_writable,
    holds_files,
    running_sweep,
    some_names,
    unused,
    with_override,
)
from escalation.config.changes import folder_name, retimed, run_changes
from escalation.config.dates import MEASURES, DateError, resolve_timing_months
from escalation.config.limits import check_sweep_sizes
from escalation.config.schema import ConfigError, Timing, register_configs
from escalation.config.userconf import (
    HYDRA_FOLDERS,
    HYDRA_GROUPS,
    check_files,
    hydra_refusal,
    hydra_setting_allowed,
    selected_files,
)
from escalation.config.validation import (
    check_value,
    describe_omegaconf_error,
    is_interpolation,
    schema_type,
    settings_from_dictconfig,
    settings_with_sections,
    shown_value,
    underscored_number,
    unknown_key,
    unknown_option,
)
from escalation.errors import first_line
from escalation.run.runs import check_memory, check_timeline
from escalation.sweep.folder import (
    MAX_JOBS,
    MULTIRUN_FILE,
    SweepError,
    count_jobs,
    load_multirun,
    same_sweep,
    sweep_overrides,
)

CONFIG_MODULE = "pkg://escalation.conf"
CONFIG_NAME = "config"
#: The only callback: gathering a sweep (conf/config.yaml).
CALLBACKS = {"gather": "escalation.sweep.gather.GatherSweep"}
#: Where a ``_target_`` may point, by config node: Hydra's own plugins and installed launchers.
PLUGIN_PREFIXES = ("hydra._internal.core_plugins.", "hydra_plugins.")
#: A config group option: a name, never a path.
OPTION_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: Sweeps without ``hydra.sweep.dir`` go to ``multirun/<date_time>/`` under the working folder.
SWEEP_ROOT = "multirun"
TIME_FORMAT = "%Y-%m-%d_%H-%M-%S"
RUN_DIR = "hydra.run.dir"
SWEEP_DIR = "hydra.sweep.dir"
#: The interpolations an output folder may hold, as the packaged config's do.
FOLDER_INTERPOLATION = re.compile(r"\$\{(?:now:[^${}]*|scenario\.name)\}")
#: Config groups whose file of one's own (``--config-dir``) sets timings the user chose.
OWN_TIMINGS = ("scenario", "policy")
#: Hydra settings filled in while composing (the overrides given, the choices made).
COMPOSED = ("hydra.overrides.", "hydra.runtime.", "hydra.job.override_dirname")
#: Hydra's flags that read or write files of their own, and why each is refused.
REFUSED_FLAGS = {
    "experimental_rerun": "--experimental-rerun loads a pickle file, which can run any code; "
    "run the command again instead",
    "config_path": "--config-path replaces escalation's config; give your own configs with "
    "--config-dir DIR",
    "config_name": "--config-name replaces escalation's config; give your own configs with "
    "--config-dir DIR",
}


@dataclass
class Plan:
    """What ``escalation`` will do: the arguments for Hydra and the checked output folder."""

    arguments: list[str]
    folder: Path | None = None
    multirun: bool = False
    #: Whether the user chose the output folder (else ``escalation`` did).
    chosen: bool = False
    #: A single run's changes from its scenario (``escalation.config.changes.run_changes``).
    changes: list[str] | None = None
    #: The measures whose timing the user set (``escalation.config.changes.retimed``).
    timed: set[str] = field(default_factory=set)


def prepare(arguments: list[str]) -> Plan:
    """Check a command line; return the arguments to run it with.

    Args:
        arguments: The command line after the program name (Hydra flags and overrides).

    Returns:
        The plan: ``arguments`` with the output folder made absolute (and chosen, when the user
        gave none), or unchanged for ``--help``, ``--cfg`` and the like, which write nothing.

    Raises:
        ConfigError: A refused override, an invalid value, an unusable output folder.
        hydra.errors.HydraException: Composition failed (unknown key, scenario, ...); the
            command turns it into one line.
    """
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = _parse_flags(get_args_parser(), arguments)
    _check_flags(args)
    overrides = OverridesParser.create().parse_overrides(args.overrides)
    hydra = _create_hydra(args.config_dir, args.config_path)
    try:
        _check_overrides(overrides, hydra.config_loader.repository)
        _check_user_files(args.config_dir, overrides, hydra.config_loader.repository)
        if args.shell_completion:
            return Plan(arguments)
        cfg = _compose(hydra, args, overrides)
        multirun = bool(args.multirun) or str(cfg.hydra.mode) == "RunMode.MULTIRUN"
        if args.config_dir is not None:  # the command line's Hydra keys were checked by name
            _check_hydra_settings(cfg)
        _check_machine_access(cfg)
        if args.help or args.hydra_help or args.cfg or args.info:
            return Plan(arguments)
        check_timeline(OmegaConf.select(cfg, "scenario.timeline"))
        if multirun:
            return _prepare_sweep(arguments, cfg, overrides, hydra.config_loader.repository)
        changes, timed = _changes(hydra, args, overrides, cfg)
        plan = _prepare_run(arguments, cfg, overrides, changes)
        plan.timed = timed
        return plan
    finally:
        from hydra.core.global_hydra import GlobalHydra

        GlobalHydra.instance().clear()


def _parse_flags(parser: Any, arguments: list[str]) -> Any:
    """Hydra's flags parsed; an unknown or incomplete flag is one line, not argparse's usage."""

    def refuse(message: str) -> None:
        raise ConfigError(f"{message}; escalation --help lists the flags")

    parser.error = refuse
    return parser.parse_args(arguments)


def _create_hydra(config_dir: str | None, config_path: str | None) -> Any:
    """A Hydra instance with the search path ``hydra.main`` builds for ``escalation``."""
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.utils import setup_globals

    register_configs()
    setup_globals()
    search_path = create_config_search_path(config_path or CONFIG_MODULE)
    if config_dir is not None:
        if not config_dir.strip():
            raise ConfigError("--config-dir: give the path of a folder of your own configs")
        folder = os.path.abspath(config_dir)
        if not os.path.isdir(folder):
            raise ConfigError(f"--config-dir {config_dir}: no such folder")
        search_path.prepend(
            provider="command-line",
            path=f"file://{folder}",
            anchor=SearchPathQuery(provider="schema"),
        )
    return Hydra.create_main_hydra2(task_name="escalation", config_search_path=search_path)


def _compose(hydra: Any, args: Any, overrides: list[Any]) -> DictConfig:
    """The config as Hydra will compose it (for a sweep: without the swept values)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.types import RunMode

    name = args.config_name or CONFIG_NAME
    sweeping = any(override.is_sweep_override() for override in overrides)
    if not (args.multirun or sweeping):
        return hydra.compose_config(name, args.overrides, run_mode=RunMode.RUN)
    cfg = hydra.compose_config(
        name, args.overrides, run_mode=RunMode.MULTIRUN, validate_sweep_overrides=args.multirun
    )
    if not args.multirun and cfg.hydra.mode != RunMode.MULTIRUN:
        ConfigLoaderImpl.validate_sweep_overrides_legal(overrides, RunMode.RUN, from_shell=True)
    return cfg


def _check_flags(args: Any) -> None:
    """Refuse Hydra's flags that read or write files of their own (``REFUSED_FLAGS``).

    ``--shell-completion`` only answers a completion ``query``: installing it changes the shell's
    set-up, which is not escalation's to change.
    """
    for flag, reason in REFUSED_FLAGS.items():
        if getattr(args, flag) is not None:
            raise ConfigError(reason)
    if args.shell_completion and not all(o.startswith("query=") for o in args.overrides):
        raise ConfigError(
            "--shell-completion: escalation does not install or remove shell completion (it "
            "would change your shell's set-up); only query=SHELL is answered"
        )


def _check_overrides(overrides: list[Any], repository: Any) -> None:
    """Refuse overrides that reach beyond the model's config, or whose values are not plain.

    Beyond the model: paths, callbacks, targets, Hydra settings off the allow-list,
    interpolations. Not plain: deletions, unknown added keys, shuffled or globbed sweeps, a
    sweep over presets, booleans other than true/false, numbers with underscores, ``{}``.
    """
    for override in overrides:
        key = override.key_or_group
        line = override.input_line
        parts = set(re.split(r"[./]", key))
        if key.startswith("hydra.callbacks") or key == "hydra/callbacks":
            raise ConfigError(f"{line}: hydra.callbacks cannot be set; escalation runs its own")
        if parts & {"_target_", "()", "_args_", "_partial_"}:
            raise ConfigError(f"{line}: {key} cannot be set: configs never name Python code")
        _check_override_form(override)
        _check_hydra_override(override)
        _check_override_values(override)
        if repository.group_exists(key):
            available = ", ".join(sorted(repository.get_group_options(key)))
            for option in _option_values(override):
                if option is None or not OPTION_NAME.fullmatch(option) or ".." in option:
                    shown = "null" if option is None else option
                    raise ConfigError(
                        f"{key}={shown}: {key} takes a name, not a path or null; "
                        f"available: {available} (own configs: --config-dir DIR)"
                    )
                if not repository.config_exists(f"{key}/{option}"):
                    options = sorted(repository.get_group_options(key))
                    raise ConfigError(unknown_option(key, option, options))


def _check_override_form(override: Any) -> None:
    """An override is plain: no deletion, interpolation, underscored number, odd sweep.

    Output folders may interpolate ``${now:...}`` and ``${scenario.name}``; a sweep may not
    shuffle or glob, nor sweep the ``sweep`` presets.
    """
    from hydra.core.override_parser.types import Glob

    key = override.key_or_group
    if override.is_delete():
        raise ConfigError(f"~{key}: keys cannot be deleted; give a value instead")
    text = override.input_line.partition("=")[2]
    if "${" in text and not (key in HYDRA_FOLDERS and _folder_interpolations_only(text)):
        allowed = " (an output folder may use ${now:...} and ${scenario.name})"
        raise ConfigError(
            f"{key}: interpolations (${{...}}) are not allowed on the command line"
            f"{allowed if key in HYDRA_FOLDERS else ''}; give the value itself"
        )
    if underscored_number(text):
        raise ConfigError(f"{key}: write numbers without underscores ({shown_value(text)})")
    value = override.value()
    if isinstance(value, Glob) or getattr(value, "shuffle", False):
        raise ConfigError(
            f"{key}: glob() and shuffle() sweeps are not supported (a sweep's jobs must be "
            "numbered the same when it is gathered); list the values: key=a,b,c"
        )
    if key == "sweep" and override.is_sweep_override():
        raise ConfigError(
            "sweep: one preset sweep at a time (sweep=NAME); run each preset with its own command"
        )


def _folder_interpolations_only(text: str) -> bool:
    """Whether an output folder's interpolations are all ``FOLDER_INTERPOLATION``'s."""
    return "${" not in FOLDER_INTERPOLATION.sub("", text)


def _check_hydra_override(override: Any) -> None:
    """Of Hydra's own settings, only the allow-list (``userconf.hydra_setting_allowed``)."""
    key = override.key_or_group
    if key.startswith("hydra/"):
        options = HYDRA_GROUPS.get(key)
        if options is None:
            raise ConfigError(f"{override.input_line}: {hydra_refusal(key)}")
        for option in _option_values(override):
            if option not in options:
                raise ConfigError(
                    f"{key}={option}: not available to escalation; available: {', '.join(options)}"
                )
    elif (key == "hydra" or key.startswith("hydra.")) and not hydra_setting_allowed(key):
        raise ConfigError(hydra_refusal(key))


def _check_override_values(override: Any) -> None:
    """A model key's values: ``check_value``; ``+key`` only for a key the schema has; no ``{}``."""
    key = override.key_or_group
    if key == "hydra" or key.startswith(("hydra.", "hydra/")) or "/" in key:
        return
    kind = schema_type(key)
    if kind is None and (override.is_add() or override.is_force_add()):
        raise ConfigError(f"{override.input_line}: {unknown_key(key)}")
    value = override.value()
    values = list(value.list) if hasattr(value, "list") else [value]
    for item in values:
        if item == {} and kind is not None and kind not in (Any, str):
            raise ConfigError(
                f"{key}={{}}: an empty mapping changes nothing; give the keys and their values"
            )
        check_value(key, item)


def _check_user_files(config_dir: str | None, overrides: list[Any], repository: Any) -> None:
    """Check, line by line, the files of ``--config-dir`` this command reads (``userconf``)."""
    choices = {
        override.key_or_group: [str(option) for option in _option_values(override)]
        for override in overrides
        if repository.group_exists(override.key_or_group) and not override.is_delete()
    }
    check_files(config_dir, choices)


def _option_values(override: Any) -> Iterator[str | None]:
    """The values a group override selects (several for a sweep)."""
    if override.is_delete():
        yield None
    elif override.is_sweep_override():
        yield from itertools.islice(override.sweep_string_iterator(), MAX_JOBS)
    else:
        value = override.value()
        yield None if value is None else override.get_value_element_as_str()


def _check_machine_access(cfg: DictConfig) -> None:
    """Refuse code targets the packaged config does not name, and ``oc.env`` in the model's config.

    A user YAML given with ``--config-dir`` could bring either: callbacks and ``_target_`` run
    Python code when Hydra instantiates them; logging factories (``()``) too.
    """
    container = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(container, dict)
    callbacks = container["hydra"].get("callbacks") or {}
    for name, callback in callbacks.items():
        target = callback.get("_target_") if isinstance(callback, dict) else None
        if CALLBACKS.get(name) != target:
            raise ConfigError(f"hydra.callbacks.{name}: callbacks cannot be added or replaced")
    for key, value in _walk(container):
        last = key.rpartition(".")[2]
        if last in ("_target_", "()") and not _allowed_target(key, value):
            raise ConfigError(f"{key}={value}: configs may not name Python code here")
        if is_interpolation(value) and not key.startswith("hydra."):
            check_value(key, value)


def _check_hydra_settings(cfg: DictConfig) -> None:
    """Refuse any Hydra setting that differs from the packaged config's and is not allowed.

    The composed ``hydra`` node, with the user's overrides and files, is compared key by key with
    the packaged config composed with the same launcher and sweeper and nothing else; whatever
    differs must be on the allow-list (``userconf.hydra_setting_allowed``), however it got there.
    Needed with ``--config-dir`` only (about 0.2 s): the command line's keys are checked by name,
    and without a folder of one's own every other config is packaged.
    """
    choices = cfg.hydra.runtime.choices
    launcher, sweeper = choices.get("hydra/launcher"), choices.get("hydra/sweeper")
    for group, choice in (("hydra/launcher", launcher), ("hydra/sweeper", sweeper)):
        if choice not in HYDRA_GROUPS[group]:
            available = ", ".join(HYDRA_GROUPS[group])
            raise ConfigError(
                f"{group}={choice}: not available to escalation; available: {available}"
            )
    given = dict(_hydra_leaves(OmegaConf.to_container(cfg.hydra, resolve=False), "hydra."))
    packaged = _packaged_hydra(launcher, sweeper)
    absent = object()
    for key in sorted(given.keys() | packaged.keys()):
        if key.startswith(COMPOSED) or given.get(key, absent) == packaged.get(key, absent):
            continue
        if not hydra_setting_allowed(key, launcher):
            raise ConfigError(hydra_refusal(key, launcher))
        value = given.get(key)
        if is_interpolation(value) and not (
            key in HYDRA_FOLDERS and _folder_interpolations_only(value)
        ):
            raise ConfigError(f"{key}: interpolations (${{...}}) are not allowed here")


@functools.lru_cache(maxsize=8)
def _packaged_hydra(launcher: str, sweeper: str) -> dict[str, Any]:
    """The packaged config's Hydra settings with this launcher and sweeper, as dotted leaves."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.types import RunMode

    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(CONFIG_MODULE))
    overrides = [f"hydra/launcher={launcher}", f"hydra/sweeper={sweeper}"]
    cfg = loader.load_configuration(CONFIG_NAME, overrides=overrides, run_mode=RunMode.RUN)
    return dict(_hydra_leaves(OmegaConf.to_container(cfg.hydra, resolve=False), "hydra."))


def _hydra_leaves(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """A mapping's leaves by dotted key: values that are not mappings, and empty mappings."""
    for key, value in node.items():
        if isinstance(value, dict) and value:
            yield from _hydra_leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _allowed_target(key: str, value: Any) -> bool:
    if key.startswith("hydra.callbacks."):
        return True  # checked against CALLBACKS above
    return (
        key.startswith(("hydra.launcher.", "hydra.sweeper."))
        and key.endswith("._target_")
        and isinstance(value, str)
        and value.startswith(PLUGIN_PREFIXES)
    )


def _walk(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) pair of a nested container, leaves and nodes alike."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = f"{prefix}{key}"
        yield path, value
        if isinstance(value, dict | list):
            yield from _walk(value, f"{path}.")


def _task_config(cfg: DictConfig) -> DictConfig:
    return OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])


def _changes(
    hydra: Any, args: Any, overrides: list[Any], cfg: DictConfig
) -> tuple[list[str], set[str]]:
    """A run's changes from its scenario, and the measures whose timing the user set.

    The scenario's config is composed with the same config group choices and no other
    override; timing dates are compared as month numbers. A timing the user set is one that
    differs from the scenario's, or, when the scenario or the policy is a file of their own
    (``--config-dir``), from the packaged default (``Timing``).
    """
    from hydra.types import RunMode

    repository = hydra.config_loader.repository
    groups = [o.input_line for o in overrides if repository.group_exists(o.key_or_group)]
    base = hydra.compose_config(args.config_name or CONFIG_NAME, groups, run_mode=RunMode.RUN)
    configs = []
    for config in (cfg, base):
        try:
            plain = OmegaConf.to_container(_task_config(config), resolve=True, enum_to_str=True)
            assert isinstance(plain, dict)
            configs.append(resolve_timing_months(plain))
        except OmegaConfBaseException as error:
            raise ConfigError(describe_omegaconf_error(error)) from None
        except DateError as error:
            raise ConfigError(str(error)) from None
    run, scenario = configs
    reference = scenario
    if args.config_dir is not None:
        choices = {group: [str(cfg.hydra.runtime.choices[group])] for group in OWN_TIMINGS}
        own = selected_files(args.config_dir, choices)
        if any(path.parent.name in OWN_TIMINGS for path in own):
            default = asdict(Timing())
            reference = {"policy": {"timing": {measure: default for measure in MEASURES}}}
    return run_changes(scenario, run), retimed(reference, run)


def _named_folder(folder: Path, cfg: DictConfig, changes: list[str]) -> Path:
    """The default ``outputs/<scenario>/<date_time>`` with the changes in the scenario's part."""
    scenario = str(OmegaConf.select(cfg, "scenario.name", default=""))
    if not changes or folder.parent.name != scenario:
        return folder
    return folder.parent.with_name(folder_name(scenario, changes)) / folder.name


def _prepare_run(
    arguments: list[str], cfg: DictConfig, overrides: list[Any], changes: list[str] | None = None
) -> Plan:
    check_memory(settings_from_dictconfig(_task_config(cfg)))
    given = _given(overrides, RUN_DIR)
    folder = absolute(_select(cfg, RUN_DIR))
    if not given:
        folder = _named_folder(folder, cfg, changes or [])
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{RUN_DIR}={folder} is not a folder; give a new folder's path")
    if holds_files(folder):
        if given:
            raise ConfigError(
                f"{RUN_DIR}={folder} already holds files ({some_names(folder)}): a run folder "
                "holds one run; give a new folder, or remove that one first"
            )
        folder = unused(folder)
    check_writable(folder, RUN_DIR)
    return Plan(with_override(arguments, RUN_DIR, folder), folder, False, given, changes)


def _prepare_sweep(
    arguments: list[str], cfg: DictConfig, overrides: list[Any], repository: Any
) -> Plan:
    _check_sweep_values(cfg, repository)
    _check_launcher(cfg)
    given = _given(overrides, SWEEP_DIR)
    if given:
        folder = absolute(_select(cfg, SWEEP_DIR))
    else:
        folder = unused(Path.cwd() / SWEEP_ROOT / datetime.now().strftime(TIME_FORMAT))
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{SWEEP_DIR}={folder} is not a folder; give a new folder's path")
    if (folder / MULTIRUN_FILE).is_file():
        _check_same_sweep(folder, cfg)
        running = running_sweep(folder)
        if running is not None:
            raise ConfigError(
                f"{SWEEP_DIR}={folder} is in use by another escalation (process {running}); "
                "wait for it to end, or give another folder"
            )
    elif holds_files(folder):
        raise ConfigError(
            f"{SWEEP_DIR}={folder} already holds files ({some_names(folder)}) but no sweep; "
            "give a new folder, or remove that one first"
        )
    check_writable(folder, SWEEP_DIR)
    return Plan(with_override(arguments, SWEEP_DIR, folder), folder, True, given)


def _check_sweep_values(cfg: DictConfig, repository: Any) -> None:
    """Refuse a sweep with too many jobs, or with a value no job could run with.

    The sweep's config is checked, then each swept value of a key on its own (for numbers, the
    smallest and the largest): a combination of values that is invalid only together fails its
    job alone, which records why.
    """
    overrides = sweep_overrides(cfg)
    _check_overrides(overrides, repository)  # a preset's swept keys, as the command line's
    if count_jobs(overrides) > MAX_JOBS:
        raise ConfigError(f"the sweep asks for more than {MAX_JOBS:,} jobs; sweep fewer values")
    task = OmegaConf.to_container(_task_config(cfg), resolve=True)
    base = settings_from_dictconfig(task)
    check_memory(base)
    for override in overrides:
        key = override.key_or_group
        if not override.is_sweep_override() or repository.group_exists(key):
            continue  # a config group's options were checked by name
        for value in _values_to_check(override):
            point = OmegaConf.create(task)
            try:
                OmegaConf.update(point, key, value, force_add=True)
            except OmegaConfBaseException as error:
                raise ConfigError(f"{key}={value}: {error}") from None
            # validated as the sweep's base with this key's section changed
            check_memory(settings_with_sections(base, point, {key.split(".")[0]}))


def _values_to_check(override: Any) -> list[Any]:
    """A swept key's values: the smallest and largest number, and every other kind of value."""
    values = list(itertools.islice(override.sweep_iterator(), MAX_JOBS))
    numbers = [v for v in values if _is_number(v)]
    others = {repr(v): v for v in values if not _is_number(v)}
    extremes = [min(numbers), max(numbers)] if numbers else []
    return [*extremes, *others.values()]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_launcher(cfg: DictConfig) -> None:
    """Refuse launcher settings the launcher would fail on after creating the sweep folder."""
    n_jobs = OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=None)
    if n_jobs is not None and (not isinstance(n_jobs, int) or n_jobs == 0):
        raise ConfigError(
            f"hydra.launcher.n_jobs={n_jobs}: give a number of parallel jobs >= 1, or -1 for "
            "all cores"
        )
    check_sweep_sizes(cfg)


def _check_same_sweep(folder: Path, cfg: DictConfig) -> None:
    """A sweep folder is resumed only by the sweep that made it, and holds only its own jobs."""
    try:
        stored = load_multirun(folder)
    except SweepError as error:
        raise ConfigError(f"{SWEEP_DIR}: {error}; give a new folder") from None
    difference = same_sweep(stored, cfg)
    if difference:
        raise ConfigError(
            f"{SWEEP_DIR}={folder} holds another sweep ({difference}): re-run that sweep's "
            "command to resume it, or give a new folder"
        )
    for entry in folder.iterdir():
        if entry.is_symlink():
            raise ConfigError(
                f"{entry} is a symbolic link: a sweep folder holds only its own job folders; "
                "remove the link"
            )


def _select(cfg: DictConfig, key: str) -> str:
    """A Hydra setting resolved as Hydra will resolve it (``${now:...}``, ``${scenario.name}``)."""
    from hydra.core.hydra_config import HydraConfig

    try:
        HydraConfig.instance().set_config(cfg)
        value = OmegaConf.select(cfg, key, throw_on_missing=True)
    except OmegaConfBaseException as error:
        raise ConfigError(f"{key}: {first_line(error)}") from None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}={value}: give a folder path")
    return value


def _given(overrides: list[Any], key: str) -> bool:
    return any(override.key_or_group == key for override in overrides)
