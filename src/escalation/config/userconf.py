"""A user's own config files (``--config-dir DIR``): find them, list them, check them line by line.

Hydra reports a mistake in a user's YAML as an OmegaConf error without the file's line, or as a
YAML parser traceback. ``check_file`` reads the file itself first and refuses it in one line
naming the file, the line and what is allowed:

- a YAML syntax error (``myconf/scenario/mine.yaml:7: YAML syntax error: ...``);
- a scenario file without its ``# @package _global_`` first line (its keys would otherwise land
  under ``scenario.``);
- an unknown key (``troop:``), with the keys allowed at that place;
- a lever value that does not exist (``troops: some``), with the allowed values.

Values the schema cannot see at a line (ranges, dates) are checked later by
``escalation.config.validation.validate``, naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from escalation.config.schema import ConfigError, Settings

#: The header that puts a file's keys at the root of the config.
GLOBAL_HEADER = "# @package _global_"
#: Keys every config file may hold besides the schema's: Hydra's defaults list and settings.
HYDRA_KEYS = ("defaults", "hydra")
#: The packaged root config's group choices (conf/config.yaml), when the user gives no other.
DEFAULT_CHOICES = {
    "policy": "default",
    "doctrine": "default",
    "uncertainty": "default",
    "scenario": "status_quo",
}


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
    if not Path(config_dir).is_dir():
        raise ConfigError(f"--config-dir {config_dir}: no such folder")
    for path in selected_files(config_dir, choices):
        group = path.parent.name if path.parent != Path(config_dir) else ""
        check_file(path, group)


def check_file(path: Path, group: str) -> None:
    """Refuse a malformed config file in one line: file, line and what is allowed.

    Args:
        path: The YAML file.
        group: Its config group (``scenario``, ``policy``, ...), or ``""`` for a root config.

    Raises:
        ConfigError: A YAML syntax error, a missing ``# @package _global_`` header, an unknown
            key or an unknown lever value.
    """
    import yaml

    where = shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{where}: cannot be read: {error}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise ConfigError(f"{where}{line}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{where}: YAML syntax error: {error}") from None
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(
            f"{where}:{root.start_mark.line + 1}: a config file holds keys (name: value), "
            f"found {type(root).__name__.removesuffix('Node').lower()}"
        )
    package = _package(text)
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
    if group == "scenario" and package == "_global_":
        _check_scenario_name(root, path, where)


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
                    f"{where}:{item.start_mark.line + 1}: scenario.name is {item.value!r} "
                    f"but the file is {path.name}; write name: {path.stem}"
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
            raise ConfigError(
                f"{where}:{line}: unknown key '{prefix}{name}'; allowed keys here: {allowed}"
            )
        field_type = fields[name]
        if isinstance(field_type, type) and issubclass(field_type, Enum):
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


def _check_enum(value: Any, enum: type[Enum], key: str, where: str) -> None:
    import yaml

    if not isinstance(value, yaml.ScalarNode) or value.value in {e.value for e in enum}:
        return
    if value.value.startswith("${"):
        return  # an interpolation: checked once resolved
    allowed = ", ".join(e.value for e in enum)
    raise ConfigError(
        f"{where}:{value.start_mark.line + 1}: {key}: invalid value {value.value!r}; "
        f"allowed: {allowed}"
    )
