"""A user's own config files (``--config-dir DIR``): find them, list them, check them line by line.

Hydra reports a mistake in a user's YAML as an OmegaConf error without the file's line, or as a
YAML parser traceback. ``check_file`` reads the file itself first and refuses it in one line
naming the file, the line and what is allowed:

- a YAML syntax error (``myconf/scenario/mine.yaml:7: YAML syntax error: ...``);
- a scenario file without its ``# @package _global_`` first line (its keys would otherwise land
  under ``scenario.``);
- an unknown key (``troop:``), with the keys allowed at that place;
- a lever value that does not exist (``troops: some``), with the allowed values;
- what could reach beyond the model (docs/SAFETY.md): a file that is not a regular file inside
  the folder or is larger than ``MAX_CONFIG_BYTES``, YAML aliases, interpolations (``${...}``),
  Hydra settings outside ``HYDRA_SETTINGS`` (``hydra_setting_allowed``), a ``defaults`` list
  choosing anything but a launcher or a sweeper, a ``@package`` outside the model's config, a
  root ``config.yaml`` or a ``hydra/`` folder;
- values the schema would coerce: a boolean other than ``true``/``false``, a number written with
  underscores (``1_000``), an empty mapping where the schema wants keys.

Values the schema cannot see at a line (ranges, dates) are checked later by
``escalation.config.validation.validate``, naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import typing
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from escalation.config.schema import ConfigError, Settings
from escalation.config.validation import (
    allowed_type,
    did_you_mean,
    fixed_uncertainties,
    invalid_choice,
    schema_config,
    shown_value,
    underscored_number,
)
from escalation.errors import first_line

#: The header that puts a file's keys at the root of the config.
GLOBAL_HEADER = "# @package _global_"
#: Keys every config file may hold besides the schema's: Hydra's defaults list and settings.
HYDRA_KEYS = ("defaults", "hydra")
#: The largest config file of one's own, in bytes (the largest packaged one has 12 KiB).
MAX_CONFIG_BYTES = 256 * 1024
#: Hydra's output folders: set on the command line only (a config file may not move the output).
HYDRA_FOLDERS = ("hydra.run.dir", "hydra.sweep.dir")
#: Hydra's other settings a user may give, on the command line or in a sweep preset of their own
#: (``hydra.sweeper.params`` takes the swept keys below it).
HYDRA_SETTINGS = (
    "hydra.mode",
    "hydra.verbose",
    "hydra.sweeper.params",
    "hydra.sweeper.chunk",
    "hydra.sweeper.max_batch_size",
)
_JOBLIB = ("n_jobs", "backend", "prefer", "require", "verbose", "timeout", "pre_dispatch")
_JOBLIB += ("batch_size", "max_nbytes", "mmap_mode")
_RAY = ("ray.init.address", "ray.init.num_cpus", "ray.init.num_gpus", "ray.init.include_dashboard")
_RAY += ("ray.init.object_store_memory", "ray.remote.num_cpus", "ray.remote.num_gpus")
_RAY += ("ray.remote.memory",)
_SUBMITIT = ("timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb", "nodes")
_SLURM = (*_SUBMITIT, "partition", "qos", "account", "constraint", "exclude", "gres", "comment")
_SLURM += ("cpus_per_gpu", "gpus_per_task", "mem_per_gpu", "mem_per_cpu", "signal_delay_s")
_SLURM += ("max_num_timeout", "array_parallelism")
#: The launchers a user may choose (``hydra/launcher=NAME``) and the options of each they may set
#: (``hydra.launcher.OPTION``): the resources and the queue. Left out: options that name files or
#: folders (``temp_folder``, ``submitit_folder``), run commands (``setup``) or pass anything on
#: (``additional_parameters``, ``ray.init.runtime_env``); ``ray_aws`` starts machines.
LAUNCHERS: dict[str, tuple[str, ...]] = {
    "basic": (),
    "joblib": _JOBLIB,
    "ray": _RAY,
    "ray_cluster": _RAY,
    "submitit_local": _SUBMITIT,
    "submitit_slurm": _SLURM,
    "slurm": _SLURM,
}
#: The sweepers a user may choose (``hydra/sweeper=NAME``).
SWEEPERS = ("basic", "batched")
#: Hydra's config groups a user may choose an option of.
HYDRA_GROUPS = {"hydra/launcher": tuple(LAUNCHERS), "hydra/sweeper": SWEEPERS}
#: A YAML value that is a number alone (digits, sign, point, exponent; underscores between).
_NUMBER_TEXT = re.compile(r"[-+]?[\d_]*\.?[\d_]*(?:[eE][-+]?[\d_]+)?")
#: A defaults-list entry a file of one's own may hold besides ``_self_``.
_DEFAULTS_ENTRY = re.compile(r"override /?(hydra/launcher|hydra/sweeper)")
#: The packaged root config's group choices (conf/config.yaml), when the user gives no other.
DEFAULT_CHOICES = {
    "policy": "default",
    "doctrine": "default",
    "uncertainty": "default",
    "scenario": "status_quo",
}


def hydra_setting_allowed(key: str, launcher: str | None = None, in_file: bool = False) -> bool:
    """Whether a user may set Hydra's dotted ``key`` (the allow-list; see docs/SAFETY.md).

    Allowed: ``HYDRA_FOLDERS`` (not from a file), ``HYDRA_SETTINGS`` and the ``launcher``'s
    options (``LAUNCHERS``; any launcher's when None).
    """
    if key in HYDRA_FOLDERS:
        return not in_file
    if key in HYDRA_SETTINGS or key.startswith("hydra.sweeper.params."):
        return True
    option = key.removeprefix("hydra.launcher.")
    options = LAUNCHERS.get(launcher, ()) if launcher is not None else _all_launcher_options()
    return option != key and option in options


def _all_launcher_options() -> set[str]:
    return {option for options in LAUNCHERS.values() for option in options}


def hydra_refusal(key: str, launcher: str | None = None, in_file: bool = False) -> str:
    """Why Hydra's ``key`` cannot be set, and what can (for ``hydra_setting_allowed``'s no)."""
    if key in HYDRA_FOLDERS:
        return (
            f"{key} cannot be set in a config file (it would move the output); give it on the "
            "command line"
        )
    if key.startswith("hydra.launcher.") and launcher in LAUNCHERS:
        options = ", ".join(LAUNCHERS[launcher]) or "none"
        return f"{key} cannot be set; the {launcher} launcher's options: {options}"
    if key.startswith("hydra.launcher."):
        return f"{key} cannot be set: no launcher's option escalation allows (docs/SAFETY.md)"
    folders = "" if in_file else "hydra.run.dir, hydra.sweep.dir, "
    return (
        f"{key} cannot be set: escalation lets you set only {folders}hydra.mode, hydra.verbose, "
        "hydra/launcher, hydra/sweeper, hydra.sweeper.params, .chunk, .max_batch_size and the "
        "launchers' options listed in docs/SAFETY.md"
    )


def config_dir_argument(arguments: Iterable[str]) -> str | None:
    """The ``--config-dir`` (or ``-cd``) a command line gives, or None."""
    arguments = list(arguments)
    for index, argument in enumerate(arguments):
        for flag in ("--config-dir", "-cd"):
            if argument == flag and index + 1 < len(arguments):
                return arguments[index + 1]
            if argument.startswith(f"{flag}="):
                return argument.partition("=")[2]
    return None


def shown_path(path: Path) -> str:
    """``path`` relative to the working folder when it lies below it, else as it is."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_config(path: Path, root: str | os.PathLike[str] | None = None) -> str:
    """A config file's text: a regular UTF-8 file of at most ``MAX_CONFIG_BYTES``.

    Args:
        path: The file.
        root: The folder it was found in (``--config-dir``): a link out of it is refused.

    Raises:
        ConfigError: Naming the file and what is wrong with it, never its content.
    """
    where = shown_path(path)
    try:
        real = path.resolve()
        if root is not None and not real.is_relative_to(Path(root).resolve()):
            raise ConfigError(
                f"{where}: a link out of --config-dir {root}; keep your config files inside it"
            )
        handle = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, RuntimeError) as error:
        reason = getattr(error, "strerror", None) or "cannot be resolved"
        raise ConfigError(f"{where}: cannot be read: {reason}") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise ConfigError(f"{where}: not a regular file (a folder, device or pipe)")
    with os.fdopen(handle, "rb") as file:
        data = file.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{where}: larger than {MAX_CONFIG_BYTES // 1024} KiB; a config file is a short text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{where}: not UTF-8 text (byte {error.start + 1})") from None


def user_scenarios(config_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """The scenario files of a user's config folder, by name (``DIR/scenario/NAME.yaml``)."""
    folder = Path(config_dir) / "scenario"
    if not folder.is_dir():
        return {}
    return {path.stem: path for path in sorted(folder.glob("*.yaml")) if path.is_file()}


def selected_files(config_dir: str | os.PathLike[str], choices: dict[str, list[str]]) -> list[Path]:
    """The files of ``config_dir`` a run with these group choices reads.

    Args:
        config_dir: The user's config folder.
        choices: Options chosen per config group on the command line (several for a sweep);
            groups not named take the packaged defaults (``DEFAULT_CHOICES``).

    Returns:
        ``DIR/config.yaml`` if present, then ``DIR/<group>/<option>.yaml`` for each chosen
        option that the folder provides.
    """
    folder = Path(config_dir)
    files = [folder / "config.yaml"] if (folder / "config.yaml").is_file() else []
    merged = {group: [option] for group, option in DEFAULT_CHOICES.items()}
    merged.update(choices)
    for group, options in merged.items():
        for option in options:
            path = folder / group / f"{option}.yaml"
            if path.is_file():
                files.append(path)
    return files


def check_files(config_dir: str | os.PathLike[str] | None, choices: dict[str, list[str]]) -> None:
    """Check every file of the user's config folder that a run with ``choices`` reads.

    Raises:
        ConfigError: The folder does not exist, or a file it provides is malformed (see
            ``check_file``).
    """
    if config_dir is None:
        return
    check_folder(config_dir)
    for path in selected_files(config_dir, choices):
        check_file(path, path.parent.name, config_dir)


def check_folder(config_dir: str | os.PathLike[str]) -> None:
    """A ``--config-dir`` adds configs: it replaces neither the root config nor Hydra's own.

    Raises:
        ConfigError: The folder does not exist, or holds ``config.yaml`` or ``hydra/``.
    """
    folder = Path(config_dir)
    if not folder.is_dir():
        raise ConfigError(f"--config-dir {config_dir}: no such folder")
    for name, what in (("config.yaml", "the root config"), ("hydra", "Hydra's own configs")):
        if os.path.lexists(folder / name):
            raise ConfigError(
                f"{shown_path(folder / name)}: a --config-dir cannot replace {what}; it holds "
                "scenario/NAME.yaml, sweep/NAME.yaml, policy/, doctrine/, uncertainty/ files"
            )


def check_file(path: Path, group: str, folder: str | os.PathLike[str] | None = None) -> str:
    """Refuse a malformed or unsafe config file in one line: file, line and what is allowed.

    Args:
        path: The YAML file.
        group: Its config group (``scenario``, ``policy``, ...), or ``""`` for a root config.
        folder: The ``--config-dir`` it lies in (a link out of it is refused), or None.

    Returns:
        The file's text, as checked.

    Raises:
        ConfigError: See the module's docstring; never quoting more of the file than a value.
    """
    import yaml

    where = shown_path(path)
    text = read_config(path, folder)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise ConfigError(
                    f"{where}:{event.start_mark.line + 1}: YAML aliases (*name) are not allowed "
                    "in a config file; write the value out"
                )
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise ConfigError(f"{where}{line}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: YAML syntax error: {error}") from None
    if root is None:
        return text
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            f"{where}:{root.start_mark.line + 1}: a config file holds keys (name: value), "
            f"found {type(root).__name__.removesuffix('Node').lower()}"
        )
    _check_scalars(root, where)
    package = _package(text)
    if package == "_group_":
        package = group.replace("/", ".")
    if package not in (None, "_global_") and _node_at(package.split("."))[0] is None:
        raise ConfigError(
            f"{where}:1: @package {shown_value(package)[1:-1]} is not a place in the model's "
            f"config; write '{GLOBAL_HEADER}'"
        )
    _check_top(root, where, global_=package == "_global_" or (package is None and not group))
    if package is None and group:
        node_type, prefix = _node_at(group.split("/"))
        if node_type is not None and not _fits(root, node_type) and _fits(root, Settings):
            raise ConfigError(
                f"{where}:1: the first line must be '{GLOBAL_HEADER}': this {group} file sets "
                "keys from the root of the config (scenario:, policy:, ...)"
            )
    else:
        parts = [] if package in (None, "_global_") else package.split(".")
        node_type, prefix = _node_at(parts)
    if node_type is not None:
        _check_mapping(root, node_type, prefix, where, top=True)
        _check_types(text, root, prefix, where)
    if group == "scenario" and package == "_global_":
        _check_scenario_name(root, path, where)
    return text


def _check_scalars(node: Any, where: str) -> None:
    """No value of a file interpolates (``${...}``) or is a number written with underscores."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 1
        if "${" in node.value:
            raise ConfigError(
                f"{where}:{line}: interpolations (${{...}}) are not allowed in a config file of "
                "your own; give the value itself"
            )
        if node.style is None and _is_underscored_number(node.value):
            raise ConfigError(
                f"{where}:{line}: {shown_value(node.value)}: write numbers without underscores"
            )
        return
    children = node.value if isinstance(node, yaml.SequenceNode) else []
    if isinstance(node, yaml.MappingNode):
        children = [item for pair in node.value for item in pair]
    for child in children:
        _check_scalars(child, where)


def _is_underscored_number(text: str) -> bool:
    """Whether a YAML value is a number written with underscores (YAML reads ``1_000`` as 1000)."""
    return underscored_number(text) and _NUMBER_TEXT.fullmatch(text.strip()) is not None


def _check_top(root: Any, where: str, global_: bool) -> None:
    """A file's ``defaults`` choose a launcher or sweeper; its ``hydra:`` sets allowed keys only.

    ``hydra:`` is Hydra's config only in a file whose keys are at the root of the config.
    """
    import yaml

    for key, value in _pairs(root):
        if key.value == "defaults":
            entries = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for entry in entries:
                _check_defaults_entry(entry, where)
        elif key.value == "hydra" and global_:
            for name, node in _leaves(value, "hydra"):
                if not hydra_setting_allowed(name, in_file=True):
                    line = node.start_mark.line + 1
                    raise ConfigError(f"{where}:{line}: {hydra_refusal(name, in_file=True)}")


def _check_defaults_entry(entry: Any, where: str) -> None:
    """``_self_``, or ``override /hydra/launcher: NAME`` / ``override /hydra/sweeper: NAME``."""
    import yaml

    pairs = list(_pairs(entry)) if isinstance(entry, yaml.MappingNode) else []
    if isinstance(entry, yaml.ScalarNode) and entry.value == "_self_":
        return
    if len(pairs) == 1 and isinstance(pairs[0][1], yaml.ScalarNode):
        match = _DEFAULTS_ENTRY.fullmatch(pairs[0][0].value)
        if match is not None and pairs[0][1].value in HYDRA_GROUPS[match.group(1)]:
            return
    launchers, sweepers = ", ".join(LAUNCHERS), ", ".join(SWEEPERS)
    raise ConfigError(
        f"{where}:{entry.start_mark.line + 1}: a defaults list of your own holds only _self_, "
        f"'override /hydra/launcher: NAME' ({launchers}) and 'override /hydra/sweeper: NAME' "
        f"({sweepers})"
    )


def _leaves(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """The dotted keys and value nodes of a YAML mapping's leaves (empty mappings included)."""
    import yaml

    if not isinstance(node, yaml.MappingNode) or not node.value:
        yield prefix, node
        return
    for key, value in node.value:
        yield from _leaves(value, f"{prefix}.{key.value}")


def _check_scenario_name(root: Any, path: Path, where: str) -> None:
    """A scenario's ``scenario.name`` is its file's name (what ``scenario=NAME`` selects)."""
    import yaml

    for key, value in _pairs(root):
        if key.value != "scenario" or not isinstance(value, yaml.MappingNode):
            continue
        for item_key, item in _pairs(value):
            named = item_key.value == "name" and isinstance(item, yaml.ScalarNode)
            if named and item.value != path.stem:
                raise ConfigError(
                    f"{where}:{item.start_mark.line + 1}: scenario.name is "
                    f"{shown_value(item.value)} but the file is {path.name}; write name: "
                    f"{path.stem}"
                )


def _package(text: str) -> str | None:
    """The ``@package`` a file's leading comments declare, as Hydra reads it, or None."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
        body = stripped.lstrip("#").strip()
        if body.startswith("@package"):
            return body.removeprefix("@package").strip()
    return None


def _node_at(parts: list[str]) -> tuple[Any, str]:
    """The schema type at a dotted place (``["policy"]`` → ``Policy``) and its key prefix."""
    node: Any = Settings
    for part in parts:
        fields = _fields(node)
        if fields is None or part not in fields:
            return None, ""
        node = fields[part]
    return node, "".join(f"{part}." for part in parts)


def _fields(node: Any) -> dict[str, Any] | None:
    """A dataclass's field types by name (forward references resolved), or None."""
    if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
        return None
    hints = typing.get_type_hints(node)
    return {field.name: hints[field.name] for field in dataclasses.fields(node)}


def _fits(mapping: Any, node_type: Any) -> bool:
    """Whether every top-level key of a YAML mapping is a key of ``node_type``."""
    fields = _fields(node_type) or {}
    return all(key.value in fields or key.value in HYDRA_KEYS for key, _ in _pairs(mapping))


def _pairs(mapping: Any) -> Iterator[tuple[Any, Any]]:
    for key, value in mapping.value:
        if hasattr(key, "value") and isinstance(key.value, str):
            yield key, value


def _check_mapping(mapping: Any, node_type: Any, prefix: str, where: str, top: bool) -> None:
    """Walk a YAML mapping against the schema; the first unknown key or lever value ends it."""
    import yaml

    fields = _fields(node_type)
    if fields is None:
        return
    for key, value in _pairs(mapping):
        name = key.value
        line = key.start_mark.line + 1
        if top and name in HYDRA_KEYS:
            continue
        if name not in fields:
            allowed = ", ".join(fields)
            suggestion = did_you_mean(name, fields, prefix)
            raise ConfigError(
                f"{where}:{line}: unknown key '{prefix}{name}'; {suggestion}"
                f"allowed keys here: {allowed}"
            )
        field_type = fields[name]
        if isinstance(value, yaml.MappingNode) and not value.value:
            raise ConfigError(
                f"{where}:{line}: {prefix}{name}: an empty mapping changes nothing; give its "
                "keys, or leave it out"
            )
        if field_type is bool:
            _check_bool(value, f"{prefix}{name}", where)
        elif isinstance(field_type, type) and issubclass(field_type, Enum):
            _check_enum(value, field_type, f"{prefix}{name}", where)
        elif isinstance(value, yaml.MappingNode):
            if typing.get_origin(field_type) is dict:
                item_type = typing.get_args(field_type)[1]
                for item_key, item in _pairs(value):
                    if isinstance(item, yaml.MappingNode):
                        _check_mapping(
                            item, item_type, f"{prefix}{name}.{item_key.value}.", where, False
                        )
            else:
                _check_mapping(value, field_type, f"{prefix}{name}.", where, False)


def _check_types(text: str, root: Any, prefix: str, where: str) -> None:
    """Each value has its key's type, as Hydra will read it (``sim.months: two`` is refused).

    The file is read as Hydra reads it and merged into the schema; a value OmegaConf cannot
    convert is refused with its line and what the key allows (``allowed_type``).
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException, ValidationError

    try:
        values = OmegaConf.to_container(OmegaConf.create(text), resolve=False)
    except Exception:  # YAML and OmegaConf raise many kinds; Hydra reports them as it loads
        return
    if not isinstance(values, dict):
        return
    values = {key: value for key, value in values.items() if key not in HYDRA_KEYS}
    for part in reversed(prefix.split(".")[:-1]):
        values = {part: values}
    try:
        OmegaConf.merge(schema_config(), fixed_uncertainties(values))
    except ValidationError as error:
        key = str(error.full_key)
        if not key:  # a mapping's place given a value: Hydra names it as it loads
            return
        node = _value_node(root, re.findall(r"[^.\[\]]+", key.removeprefix(prefix)))
        allowed = allowed_type(key)
        reason = f"allowed: {allowed}" if allowed else first_line(error)
        value = shown_value(getattr(error, "value", None))
        line = node.start_mark.line + 1
        raise ConfigError(f"{where}:{line}: {key}: invalid value {value}; {reason}") from None
    except OmegaConfBaseException:  # unknown keys: refused above, with their line
        return


def _value_node(root: Any, parts: list[str]) -> Any:
    """The YAML node at a key's parts (mapping keys, list indices), or the deepest one found.

    ``follow_through: x`` is ``follow_through.low`` once read: its line is ``follow_through``'s.
    """
    import yaml

    node = root
    for part in parts:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in _pairs(node) if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            child = node.value[int(part)]
        if child is None:
            return node
        node = child
    return node


def _check_bool(value: Any, key: str, where: str) -> None:
    """A boolean is written ``true`` or ``false`` (YAML would also read ``yes``, ``on``, ...)."""
    import yaml

    plain = isinstance(value, yaml.ScalarNode) and value.style is None
    if plain and value.value.lower() in ("true", "false"):
        return
    shown = shown_value(value.value) if isinstance(value, yaml.ScalarNode) else "a collection"
    raise ConfigError(
        f"{where}:{value.start_mark.line + 1}: {key}: invalid value {shown}; allowed: true, false"
    )


def _check_enum(value: Any, enum: type[Enum], key: str, where: str) -> None:
    import yaml

    if not isinstance(value, yaml.ScalarNode) or value.value in {e.value for e in enum}:
        return
    raise ConfigError(
        f"{where}:{value.start_mark.line + 1}: "
        + invalid_choice(key, value.value, [e.value for e in enum])
    )
