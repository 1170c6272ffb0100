"""MkDocs hook: the site's reference pages, generated from the code at every build.

Nothing here is written twice: the pages are made from what the program itself holds.

- ``reference/config.md``: every config key with its type (the structured schema,
  ``escalation.config.schema``), its default (the config ``escalation`` composes), its allowed
  values (the schema's enums and ``bounds``, the validation's constants) and its description
  and source (the comment on its line in ``conf/``, or the schema's ``Attributes:``). A key with
  neither fails the build, naming the key.
- ``reference/commands.md``: each console script of ``pyproject.toml`` run with ``--help``, its
  output as the user sees it. A command that fails fails the build.

- ``reference/api.md``: one ``mkdocstrings`` directive per public name of ``escalation``.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import subprocess
import sys
import tomllib
import types
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from escalation.config.comments import yaml_comments

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "conf"
#: The files whose line comments describe the keys, each with the config path it fills in.
#: ``scenario/template.yaml`` is the scenario file commented line by line.
COMMENTED_FILES = {
    "config.yaml": "",
    "policy/default.yaml": "policy.",
    "doctrine/default.yaml": "doctrine.",
    "uncertainty/default.yaml": "uncertainty.",
    "prior/default.yaml": "prior.",
    "scenario/template.yaml": "",
}
#: Config groups listed on the page, each option described by its title, description or
#: first comment line.
GROUPS = ("scenario", "sweep", "hydra/launcher")


class ReferenceError(RuntimeError):
    """The reference cannot be generated: a key has no description, or a command failed."""


@dataclasses.dataclass
class Described:
    """Where a key is described: its text, and the file and line it comes from."""

    text: str
    source: str


@dataclasses.dataclass
class Row:
    """One config key of the reference."""

    key: str
    type: str
    default: str
    allowed: str
    description: str
    source: str


# -- descriptions -----------------------------------------------------------------------------


def attribute_docs(cls: type) -> dict[str, str]:
    """The ``Attributes:`` section of a dataclass's Google-style docstring, by field name."""
    docs: dict[str, str] = {}
    lines = (cls.__doc__ or "").splitlines()
    inside, name = False, None
    for line in lines:
        if line.strip() == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        if line.strip() and not line.startswith(" " * 8):
            break  # the next section, or the end of this one
        match = re.match(r"^ {8}(\w+)(?: \([^)]*\))?: (.*)$", line)
        if match:
            name = match[1]
            docs[name] = match[2].strip()
        elif name and line.strip():
            docs[name] += " " + line.strip()
    return docs


# -- types and allowed values -----------------------------------------------------------------


def type_name(annotation: Any) -> str:
    """A schema annotation in words: ``int``, ``int or null``, ``list of int``, ``one of ...``."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return "any"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "str"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in typing.get_args(annotation))
    if origin is list:
        return f"list of {type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"mapping of {type_name(key)} to {type_name(value)}"
    if dataclasses.is_dataclass(annotation):
        return "{" + ", ".join(f.name for f in dataclasses.fields(annotation)) + "}"
    return getattr(annotation, "__name__", str(annotation))


def bounds_text(bounds: tuple[Any, Any] | None) -> str:
    """A field's ``bounds`` metadata in words: ``0 to 1``, ``>= 0``, ``any number``."""
    if not bounds:
        return ""
    low, high = bounds
    if low is None and high is None:
        return "any number"
    if high is None:
        return f">= {low:g}"
    return f"{low:g} to {high:g}"


def allowed_values() -> dict[str, str]:
    """Allowed values the validation states for keys the schema types as plain strings."""
    from escalation.config import sampling, schema, validation

    allowed = {
        "sim.sampling": " | ".join(validation.SAMPLING_MODES),
        "sim.parameters": " | ".join(sampling.PARAMETER_MODES),
        "sim.tables": " | ".join(schema.TABLE_FORMATS),
        "plots.style": " | ".join(schema.PLOT_STYLES),
        "plots.format": "one or more of " + ", ".join(schema.PLOT_FORMATS) + " (commas)",
    }
    for name, bounds in validation._SIM_BOUNDS.items():
        allowed[f"sim.{name}"] = bounds_text(bounds)
    return allowed


# -- the config reference ---------------------------------------------------------------------


@dataclasses.dataclass
class SchemaField:
    """A key of the schema: its annotation, its bounds and the dataclass that declares it."""

    annotation: Any
    bounds: tuple[Any, Any] | None
    owner: type | None
    name: str


def schema_fields(cls: type, prefix: str = "", inherited: Any = None) -> dict[str, SchemaField]:
    """Every field of the schema by dotted key, nested dataclasses included.

    A field's ``bounds`` cover the unbounded fields below it, as validation applies them.
    """
    fields: dict[str, SchemaField] = {}
    hints = typing.get_type_hints(cls)
    for item in dataclasses.fields(cls):
        key = prefix + item.name
        bounds = item.metadata.get("bounds", inherited)
        annotation = hints[item.name]
        fields[key] = SchemaField(annotation, bounds, cls, item.name)
        if dataclasses.is_dataclass(annotation):
            fields.update(schema_fields(annotation, key + ".", bounds))
    return fields


def schema_field(fields: dict[str, SchemaField], key: str) -> SchemaField | None:
    """The schema field of a key; a key inside a ``dict[str, X]`` field is typed by ``X``."""
    if key in fields:
        return fields[key]
    parent, _, name = key.rpartition(".")
    owner = fields.get(parent)
    if owner is not None and typing.get_origin(owner.annotation) is dict:
        item = typing.get_args(owner.annotation)[1]
        return SchemaField(item, owner.bounds, None, name)
    grand, _, _ = parent.rpartition(".")
    holder = fields.get(grand)
    if holder is not None and typing.get_origin(holder.annotation) is dict:
        item = typing.get_args(holder.annotation)[1]
        if dataclasses.is_dataclass(item):
            hints = typing.get_type_hints(item)
            meta = {f.name: f.metadata.get("bounds") for f in dataclasses.fields(item)}
            return SchemaField(hints[name], meta.get(name) or holder.bounds, item, name)
    return None


def shown(value: Any) -> str:
    """A default as YAML would write it on one line."""
    from omegaconf import OmegaConf

    if OmegaConf.is_config(value):
        value = OmegaConf.to_container(value)
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def config_keys(cfg: Any, flow: set[str], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each key of the composed config that the reference lists, with its default.

    A key is listed where it is a value, or a mapping written on one line in ``conf/``
    (``uncertainty.follow_through: {low: 0.2, high: 0.8}``): its parts are described with it.
    """
    from omegaconf import DictConfig

    for name in cfg:
        key = f"{prefix}{name}"
        value = cfg[name]
        if isinstance(value, DictConfig) and key not in flow:
            yield from config_keys(value, flow, key + ".")
        else:
            yield key, value


def composed_config() -> Any:
    """The default config, as ``escalation`` composes it (Hydra's own node left out)."""
    from escalation.config.scenarios import compose_scenario

    return compose_scenario("status_quo")


def config_rows() -> list[Row]:
    """Every config key of the default config, described; raises if one has no description.

    Raises:
        ReferenceError: Naming every key with no comment in ``conf/`` and no ``Attributes:``
            entry in the schema.
    """
    from escalation.config.schema import Settings

    comments: dict[str, tuple[str, str, bool]] = {}
    for name, prefix in COMMENTED_FILES.items():
        for key, (text, line, flow) in yaml_comments(CONF / name, prefix).items():
            if name == "scenario/template.yaml" and not key.startswith("scenario."):
                continue  # the template's other comments describe its own values
            if key not in comments or not comments[key][0]:
                comments[key] = (text, f"conf/{name}:{line}", flow)
    flow = {key for key, (_, _, is_flow) in comments.items() if is_flow}
    fields = schema_fields(Settings)
    allowed = allowed_values()
    rows, undescribed = [], []
    for key, value in config_keys(composed_config(), flow):
        field = schema_field(fields, key)
        text, source, _ = comments.get(key, ("", "", False))
        if not text and field is not None and field.owner is not None:
            text = attribute_docs(field.owner).get(field.name, "")
            module = field.owner.__module__.replace(".", "/")
            source = f"src/{module}.py ({field.owner.__name__})" if text else ""
            text = text.replace("``", "`")
        if not text:
            undescribed.append(key)
            continue
        rows.append(
            Row(
                key=key,
                type=key_type(key, field),
                default=shown(value),
                allowed=key_allowed(key, field, allowed),
                description=text,
                source=source,
            )
        )
    if undescribed:
        raise ReferenceError(
            "config keys with no description (a comment on their line in conf/, or an "
            "Attributes: entry in the schema): " + ", ".join(undescribed)
        )
    return rows


def key_type(key: str, field: SchemaField | None) -> str:
    """The type of a key in words; an uncertainty is a range or one number."""
    if key.startswith("uncertainty."):
        return "{low, high} or number"
    return type_name(field.annotation) if field is not None else "any"


def key_allowed(key: str, field: SchemaField | None, allowed: dict[str, str]) -> str:
    """The values a key allows: an enum's members, the schema's bounds, or a named constant."""
    if key in allowed:
        return allowed[key]
    if field is None:
        return ""
    if isinstance(field.annotation, type) and issubclass(field.annotation, enum.Enum):
        return " | ".join(member.value for member in field.annotation)
    if field.annotation is bool:
        return "true | false"
    return bounds_text(field.bounds)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def group_options(group: str) -> list[tuple[str, str]]:
    """The options of a config group in ``conf/``, each with its description."""
    patterns = {
        "scenario": r'^  title: "?(?P<text>.*?)"?\s*(#.*)?$',
        "sweep": r"^  description: (?P<text>.*)$",
        "hydra/launcher": r"^# (?P<text>.*)$",
    }
    options = []
    for path in sorted((CONF / group).glob("*.yaml")):
        match = re.search(patterns[group], path.read_text(encoding="utf-8"), re.M)
        if match is None:
            raise ReferenceError(f"conf/{group}/{path.name}: no description of the option")
        options.append((path.stem, match["text"]))
    return options


def config_page() -> str:
    """The Markdown of ``reference/config.md``."""
    rows = config_rows()
    lines = [
        "# Configuration keys",
        "",
        "Every key of the configuration, generated from the structured schema",
        "(`src/escalation/config/schema.py`) and the files of `conf/` at every build of this",
        "site. *Default* is the value `escalation` runs with (the `status_quo` scenario);",
        "*allowed* is what validation accepts; *source* is the line that sets and describes the",
        "key. Set any key on the command line (`escalation sim.months=24`), in a scenario file of",
        "your own, or as a keyword of `escalation.simulate`. Hydra's own keys (`hydra.*`) are",
        "listed with what is refused in [Safety](../how-to/safety.md).",
        "",
        "## Config groups",
        "",
        "Choose one option of a group with `group=option` (`escalation scenario=troops`,",
        "`escalation -m sweep=policy_grid`, `hydra/launcher=joblib`).",
        "",
        "| group | option | what it is |",
        "|---|---|---|",
    ]
    for group in GROUPS:
        for option, text in group_options(group):
            lines.append(f"| `{group}` | `{option}` | {cell(text)} |")
    lines.append("| `hydra/launcher` | `joblib` | Hydra's joblib launcher: jobs on every core |")
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.key.split(".")[0] if "." in row.key else "seed", []).append(row)
    for section, items in sections.items():
        lines += [
            "",
            f"## `{section}`",
            "",
            "| key | type | default | allowed | description | source |",
            "|---|---|---|---|---|---|",
        ]
        for row in items:
            lines.append(
                f"| `{row.key}` | {cell(row.type)} | `{cell(row.default)}` | {cell(row.allowed)} "
                f"| {cell(row.description)} | `{row.source}` |"
            )
    return "\n".join(lines) + "\n"


# -- the commands reference -------------------------------------------------------------------


def console_scripts() -> list[str]:
    """The console scripts ``pyproject.toml`` declares, in its order."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(project["project"]["scripts"])


def command_help(name: str) -> str:
    """What ``NAME --help`` prints, run from this environment's bin folder.

    Raises:
        ReferenceError: The command is missing or exits with an error.
    """
    program = Path(sys.executable).parent / name
    env = {**os.environ, "COLUMNS": "100", "HYDRA_FULL_ERROR": "0"}
    try:
        result = subprocess.run(
            [str(program), "--help"], capture_output=True, text=True, env=env, timeout=120
        )
    except OSError as error:
        raise ReferenceError(f"{name} --help: {error}") from error
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ReferenceError(f"{name} --help exited with status {result.returncode}: {last}")
    return result.stdout


def commands_page() -> str:
    """The Markdown of ``reference/commands.md``."""
    names = console_scripts()
    with ThreadPoolExecutor(max_workers=3) as pool:
        helps = list(pool.map(command_help, names))
    lines = [
        "# Commands",
        "",
        "What each command prints with `--help`, captured at every build of this site. The",
        "commands are on your PATH once the environment is active (`source .venv/bin/activate`).",
    ]
    for name, text in zip(names, helps, strict=True):
        lines += ["", f"## `{name}`", "", "```text", text.rstrip(), "```"]
    return "\n".join(lines) + "\n"


# -- the Python API reference ----------------------------------------------------------------


def api_page() -> str:
    """The Markdown of ``reference/api.md``: one mkdocstrings directive per public name.

    The names are ``escalation.__all__``; each is documented where it is defined (the package
    imports them on first use, which static analysis cannot follow).
    """
    import escalation

    lines = [
        "# Python API",
        "",
        "The public names of the `escalation` package (`escalation.__all__`), from their",
        "docstrings; each is imported as `escalation.NAME`. How to use them, with examples:",
        "[Use the Python API](../how-to/python-api.md).",
    ]
    for name in escalation.__all__:
        if name.startswith("__"):
            continue
        module = escalation._LAZY.get(name, "escalation")
        lines += ["", f"::: {module}.{name}", "    options:", "      members: false"]
    return "\n".join(lines) + "\n"


# -- the MkDocs hook --------------------------------------------------------------------------

PAGES = {
    "reference/config.md": config_page,
    "reference/commands.md": commands_page,
    "reference/api.md": api_page,
}


def on_files(files: Any, config: Any) -> Any:
    """Add the generated reference pages to the site's files (MkDocs event)."""
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    for uri, page in PAGES.items():
        try:
            content = page()
        except ReferenceError as error:
            raise PluginError(f"{uri}: {error}") from error
        files.append(File.generated(config, uri, content=content))
    return files
