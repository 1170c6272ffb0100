"""The config a run folder recorded: read back into ``Settings`` for ``escalation-report``.

Hydra saves each run's composed config as ``.hydra/config.yaml`` and its own settings as
``.hydra/hydra.yaml``; rebuilding a run's summary and figures starts from them. This is the one
place that turns a stored config into ``Settings``, as ``load_settings`` is for a scenario.

A stored config is data read back from a folder, never a program: it is read as a regular file
inside its folder (``escalation.files.read_text``), and one holding a resolver interpolation
(``${oc.env:...}``, ``${now:...}``: anything that would read the environment, the clock or
another file when resolved) is refused (``resolver_key``) before anything is resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from escalation.config.changes import run_changes
from escalation.config.dates import resolve_timing_months
from escalation.config.scenarios import compose_scenario
from escalation.config.schema import ConfigError, Settings
from escalation.config.validation import settings_from_dictconfig
from escalation.errors import first_line
from escalation.files import read_text, shown

#: An interpolation that calls a resolver (``${oc.env:X}``, ``${now:%Y}``), nested ones included;
#: a plain reference to another key (``${scenario.name}``) reads only the config itself.
RESOLVER = re.compile(r"\$\{[^}:]*:")


def resolver_key(node: Any, prefix: str = "") -> str | None:
    """The first key of a plain (unresolved) container whose value calls a resolver, or None."""
    for key, value in _leaves(node, prefix):
        if isinstance(value, str) and RESOLVER.search(value):
            return key
    return None


def _leaves(node: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) leaf of a nested container (keys that are strings included)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = f"{prefix}{key}"
        if isinstance(key, str) and RESOLVER.search(key):
            yield path, key
        if isinstance(value, dict | list):
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def load_stored(path: Path, root: Path | None = None, nodes: tuple[str, ...] = ()) -> Any:
    """A stored YAML config, unresolved: a regular file inside ``root``, with no resolver calls.

    Args:
        path: The file.
        root: The folder it is read from; no symbolic link may lead out of it.
        nodes: The dotted keys under Hydra's own node (``hydra``) that are read, and so checked,
            besides everything outside it; the rest of Hydra's node is never resolved.

    Raises:
        ConfigError: It cannot be read, is malformed, or calls a resolver where it is read
            (named by key; its value is not shown).
    """
    try:
        cfg = OmegaConf.create(read_text(path, root))
        plain = OmegaConf.to_container(cfg, resolve=False)
        parts = [(key, value) for key, value in plain.items() if key != "hydra"]
        parts += [(node, _at(plain, node)) for node in nodes]
    except Exception as error:  # OmegaConf and YAML raise many kinds; all mean malformed
        raise ConfigError(first_line(error)) from None
    key = resolver_key(dict(parts))
    if key is not None:
        raise ConfigError(
            f"{shown(key)} holds an interpolation that calls a resolver (${{name:...}}); a stored "
            "config is read as plain values, never resolved"
        )
    return cfg


def _at(plain: Any, node: str) -> Any:
    """The value at a dotted key of a plain container; None when there is none."""
    for part in node.split("."):
        plain = plain.get(part) if isinstance(plain, dict) else None
    return plain


def stored_settings(path: Path, root: Path | None = None) -> tuple[Settings, dict[str, Any]]:
    """A run's recorded config (``.hydra/config.yaml``): its settings and its resolved container.

    Args:
        path: The file.
        root: The run folder it is read from (``load_stored``).

    Raises:
        ConfigError: The file is malformed, calls a resolver, or its settings are invalid (one
            line).
    """
    cfg = load_stored(path, root)
    try:
        settings = settings_from_dictconfig(cfg)
        config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    except Exception as error:  # OmegaConf and YAML raise many kinds; all mean malformed
        raise ConfigError(first_line(error)) from None
    assert isinstance(config, dict)
    return settings, config


def recorded_changes(
    hydra_yaml: Path, config: dict[str, Any], root: Path | None = None
) -> list[str] | None:
    """A run's changes from its scenario, found again from Hydra's record of the run.

    The scenario is composed with the config groups and the config folder that Hydra recorded
    (``.hydra/hydra.yaml``, read by ``load_stored`` from ``root``); None when that fails (a
    folder from elsewhere).
    """
    try:
        runtime = load_stored(hydra_yaml, root, ("hydra.runtime",)).hydra.runtime
        sources = [s for s in runtime.config_sources if s.provider == "command-line"]
        config_dir = sources[0].path if sources else None
        choices = {g: runtime.choices[g] for g in ("policy", "doctrine", "uncertainty")}
        base = compose_scenario(runtime.choices.scenario, config_dir, choices)
        plain = OmegaConf.to_container(base, resolve=True, enum_to_str=True)
        return run_changes(resolve_timing_months(plain), resolve_timing_months(dict(config)))
    except Exception:  # a folder from elsewhere: its changes are not shown, nothing else lost
        return None
