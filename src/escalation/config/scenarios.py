"""Scenarios and their settings: compose a scenario, by name or file, with values set by keyword.

``load_settings`` composes the same packaged Hydra configs as the ``escalation`` command
(through Hydra's compose API, so there is one source of truth), or a scenario file of your own,
and applies lever, uncertainty, timing and doctrine values; the result is validated
``Settings``. The model (``EscalationModel(scenario=...)``), the Python API (``escalation.api``),
the dashboard and the back-test all compose their runs here.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from escalation.config.schema import (
    ConfigError,
    Scenario,
    Settings,
    lever_names,
    register_configs,
    uncertainty_names,
)
from escalation.config.userconf import (
    check_file,
    check_files,
    check_folder,
    read_config,
    selected_files,
    user_scenarios,
)
from escalation.config.validation import (
    allowed_keys,
    check_scenario,
    describe_error,
    did_you_mean,
    settings_from_dictconfig,
    unknown_key,
    unknown_option,
)
from escalation.errors import first_line
from escalation.timeline import Timeline, month_index

CONFIG_MODULE = "escalation.conf"
#: How many distinct argument sets ``load_settings`` remembers.
SETTINGS_CACHE_SIZE = 256
_settings_cache: dict[tuple, Settings] = {}


def available_scenarios(config_dir: str | os.PathLike[str] | None = None) -> dict[str, DictConfig]:
    """The scenarios by name, each with its ``scenario`` block (title, description).

    Args:
        config_dir: A user's config folder (``--config-dir``): its ``scenario/*.yaml`` are listed
            too, and one named like a packaged scenario replaces it (as Hydra's search path does).
            A file that cannot be used is listed with the one-line reason as its description;
            nothing in it is resolved (no interpolation reads the environment).
    """
    from importlib.resources import files

    folder = files(CONFIG_MODULE) / "scenario"
    scenarios = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenarios[entry.name.removesuffix(".yaml")] = OmegaConf.create(
                entry.read_text()
            ).scenario
    if config_dir is not None:
        for name, path in user_scenarios(config_dir).items():
            scenarios[name] = _user_scenario_block(path, config_dir)
    return dict(sorted(scenarios.items()))


def _user_scenario_block(path: Path, config_dir: str | os.PathLike[str]) -> DictConfig:
    """A user's scenario file's ``scenario`` block, or a stand-in saying why it is unusable.

    The file passes ``check_file`` first (a regular file inside ``config_dir``, no alias, no
    interpolation), and its texts ``check_scenario`` (lengths, control characters).
    """
    import yaml

    try:
        block = yaml.safe_load(check_file(path, "scenario", config_dir))["scenario"]
        title, description = str(block["title"]), str(block["description"])
        sources = [str(source) for source in block.get("sources") or []]
        check_scenario(Scenario(path.stem, title, description, sources))
    except ConfigError as error:
        title, description = "(cannot be used)", str(error)
    except Exception:  # a listing names the file instead of failing
        title, description = (
            "(cannot be used)",
            f"{path}: no scenario: block with title: and description:",
        )
    literal = {"title": str(title), "description": str(description)}  # "${" stays as written
    return OmegaConf.create({key: text.replace("${", "\\${") for key, text in literal.items()})


@lru_cache(maxsize=32)
def _compose(scenario: str) -> DictConfig:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    names = list(available_scenarios())
    if scenario not in names:
        raise ConfigError(unknown_option("scenario", scenario, names))
    register_configs()
    if GlobalHydra.instance().is_initialized():
        cfg = compose("config", overrides=[f"scenario={scenario}"])
    else:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            cfg = compose("config", overrides=[f"scenario={scenario}"])
    cfg = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
    OmegaConf.set_readonly(cfg, True)
    return cfg


def load_settings(
    scenario: str | os.PathLike[str] = "status_quo",
    *,
    replicates: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    timing: Mapping[str, Any] | None = None,
    doctrine: Mapping[str, Any] | None = None,
    **params: Any,
) -> Settings:
    """Compose a scenario's validated settings, with levers and uncertainties set by keyword.

    Args:
        scenario: A scenario name (see ``available_scenarios``), or the path of a scenario
            file (``myconf/scenario/mine.yaml``).
        replicates: Monte Carlo replicates (default: the config's).
        months: Months to simulate (default: the scenario's).
        seed: Seed of the model's generator (default: the config's).
        config_dir: A folder of your own configs, as ``escalation --config-dir DIR`` takes it
            (``DIR/scenario/NAME.yaml``).
        timing: Month each measure comes, by measure: a month number or a ``YYYY-MM`` date
            (``{"troops": "2025-03"}``), or the whole timing block
            (``{"troops": {"month": 6, "position_below": 80.0}}``).
        doctrine: Doctrine parameters, by dotted name below ``doctrine``
            (``{"russia.rationality": 2.0}``) or nested.
        **params: Lever names (``instructors``, ``troops``, ``deep_strikes``, ``posture``) with
            their values, uncertainty names with a fixed value, or any config key by its dotted
            name (``**{"policy.timing.troops.position_below": 80.0}``).

    Raises:
        ConfigError: Unknown scenario, unknown parameter or invalid value; a malformed file of
            your own (named with its line).

    Composing and validating settings takes about 30 ms, several times a one-replicate run, so
    settings are remembered per arguments (``mesa.batch_run`` and EMA Workbench build many
    models with the same ones); every call returns its own copy, free to change. Settings from
    your own files are composed afresh each time (the files may have changed).
    """
    if config_dir is not None or _is_path(scenario) or timing or doctrine:
        return _load_own_settings(
            scenario, replicates, months, seed, config_dir, timing, doctrine, params
        )
    key = _cache_key(str(scenario), replicates, months, seed, params)
    if key is None:
        return _load_settings(str(scenario), replicates, months, seed, params)
    settings = _settings_cache.get(key)
    if settings is None:
        settings = _load_settings(str(scenario), replicates, months, seed, params)
        if len(_settings_cache) >= SETTINGS_CACHE_SIZE:
            del _settings_cache[next(iter(_settings_cache))]
        _settings_cache[key] = settings
    return copy.deepcopy(settings)


def _cache_key(
    scenario: str, replicates: Any, months: Any, seed: Any, params: dict[str, Any]
) -> tuple | None:
    """The arguments as a hashable key, each value with its type (1, 1.0 and True differ)."""
    named = [("scenario", scenario), ("replicates", replicates), ("months", months)]
    named += [("seed", seed), *sorted(params.items())]
    key = tuple((name, type(value).__name__, value) for name, value in named)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _load_settings(
    scenario: str,
    replicates: Any,
    months: Any,
    seed: Any,
    params: dict[str, Any],
    composed: DictConfig | None = None,
) -> Settings:
    cfg = OmegaConf.to_container(composed if composed is not None else _compose(scenario))
    assert isinstance(cfg, dict)
    for key, value in (("replicates", replicates), ("months", months)):
        if value is not None:
            cfg["sim"][key] = _plain(value)
    if seed is not None:
        cfg["seed"] = _plain(seed)
    for name, value in params.items():
        value = _plain(value)
        if "." in name:
            _set_dotted(cfg, name, value)
        elif name in lever_names():
            cfg["policy"][name] = value
        elif name in uncertainty_names():
            cfg["uncertainty"][name] = {"low": value, "high": value}
        else:
            allowed = [*lever_names(), *uncertainty_names()]
            suggestion = did_you_mean(name, allowed)
            raise ConfigError(
                f"unknown parameter {name!r}; {suggestion}allowed: {', '.join(allowed)}"
            )
    return settings_from_dictconfig(cfg)


def _is_path(scenario: Any) -> bool:
    """Whether ``scenario`` names a file rather than a scenario."""
    return isinstance(scenario, os.PathLike) or str(scenario).endswith((".yaml", ".yml"))


def _load_own_settings(
    scenario: str | os.PathLike[str],
    replicates: Any,
    months: Any,
    seed: Any,
    config_dir: Any,
    timing: Mapping[str, Any] | None,
    doctrine: Mapping[str, Any] | None,
    params: dict[str, Any],
) -> Settings:
    """``load_settings`` with a config folder, a scenario file, timing or doctrine values."""
    import tempfile

    params = dict(params)
    for measure, when in (timing or {}).items():
        if isinstance(when, Mapping):
            for key, value in when.items():
                params[f"policy.timing.{measure}.{key}"] = value
        else:
            params[f"policy.timing.{measure}.month"] = when
    for key, value in _dotted(doctrine or {}):
        params[f"doctrine.{key}"] = value
    if not _is_path(scenario):
        composed = _compose_own(str(scenario), config_dir)
        return _load_settings(str(scenario), replicates, months, seed, params, composed)
    path = Path(scenario)
    if not path.exists():
        raise ConfigError(f"scenario file {path}: no such file")
    files = {Path("scenario") / f"{path.stem}.yaml": check_file(path, "scenario")}
    if config_dir is not None:  # the files of config_dir the composition reads, checked
        check_folder(config_dir)
        for own in selected_files(config_dir, {"scenario": [path.stem]}):
            relative = own.relative_to(config_dir)
            files.setdefault(relative, read_config(own, config_dir))
    with tempfile.TemporaryDirectory(prefix="escalation-scenario-") as folder:
        for relative, text in files.items():
            (Path(folder) / relative).parent.mkdir(parents=True, exist_ok=True)
            (Path(folder) / relative).write_text(text, encoding="utf-8")
        composed = _compose_own(path.stem, folder)
    return _load_settings(path.stem, replicates, months, seed, params, composed)


def compose_scenario(
    scenario: str, config_dir: Any = None, groups: Mapping[str, str] | None = None
) -> DictConfig:
    """A scenario's config as the command composes it (without Hydra's node).

    Args:
        scenario: The scenario's name.
        config_dir: A user's config folder searched first (``--config-dir``), or None.
        groups: Other config group choices (``{"policy": "default"}``).
    """
    return _compose_own(scenario, config_dir, groups)


def _compose_own(
    scenario: str, config_dir: Any, groups: Mapping[str, str] | None = None
) -> DictConfig:
    """Compose ``scenario`` on the command's search path, with ``config_dir`` first if given.

    The files of ``config_dir`` the composition reads are checked line by line first
    (``escalation.config.userconf``); Hydra's global state is left as it was.
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.config_search_path import SearchPathQuery
    from hydra.core.utils import setup_globals
    from hydra.errors import HydraException
    from hydra.types import RunMode

    check_files(config_dir, {"scenario": [scenario]})
    names = available_scenarios(config_dir)
    if scenario not in names:
        raise ConfigError(unknown_option("scenario", scenario, names))
    register_configs()
    setup_globals()
    search_path = create_config_search_path(f"pkg://{CONFIG_MODULE}")
    if config_dir is not None:
        search_path.prepend(
            provider="command-line",
            path=f"file://{os.path.abspath(config_dir)}",
            anchor=SearchPathQuery(provider="schema"),
        )
    loader = ConfigLoaderImpl(config_search_path=search_path)
    try:
        overrides = [f"{group}={option}" for group, option in (groups or {}).items()]
        cfg = loader.load_configuration(
            "config", overrides=[*overrides, f"scenario={scenario}"], run_mode=RunMode.RUN
        )
    except HydraException as error:
        raise ConfigError(describe_error(error) or first_line(error)) from None
    return OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])


def _dotted(node: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The leaves of a nested mapping as (dotted key, value); dotted keys are kept as given.

    An empty mapping is a leaf: it replaces what was there (then the checks say what is missing).
    """
    leaves = []
    for key, value in node.items():
        if isinstance(value, Mapping) and value:
            leaves += _dotted(value, f"{prefix}{key}.")
        else:
            leaves.append((f"{prefix}{key}", value))
    return leaves


def _set_dotted(cfg: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` (dotted) in a plain config; an unknown key is refused with the allowed ones."""
    node: Any = cfg
    parts = key.split(".")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if not isinstance(node, dict) or (part not in node and not _open_mapping(parts[:index])):
            if last:
                raise ConfigError(unknown_key(key))
            allowed = allowed_keys(".".join(parts[: index + 1]))
            hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
            raise ConfigError(f"unknown key '{key}'{hint}")
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def _open_mapping(parts: list[str]) -> bool:
    """Whether the config node at ``parts`` takes any key (NATO's members by name)."""
    return parts == ["doctrine", "nato", "members"]


def _plain(value: Any) -> Any:
    """A plain Python value for the config: enums by value, numpy scalars (EMA Workbench) too."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    return value


def replay_settings(
    timeline: Timeline, *, replicates: int, seed: int, until: str | None = None, **params: Any
) -> Settings:
    """The ``history`` scenario's settings over the timeline's span.

    ``sim.start`` is the timeline's first month and ``sim.months`` runs to ``until`` (default:
    the timeline's last month). ``params`` are more config keys by dotted name
    (``{"sim.parameters": "prior"}``), validated as the config is.

    Raises:
        ConfigError: Replicates or seed out of range, or a key the config refuses.
    """
    last = until or timeline.last_month
    months = month_index(last) - month_index(timeline.first_month) + 1
    settings = load_settings("history", replicates=replicates, months=months, seed=seed, **params)
    settings.sim.start = timeline.first_month
    settings.sim.figures = False
    return settings
