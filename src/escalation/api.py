"""The Python API: run a scenario without the command line, as EMA Workbench or a notebook would.

``simulate`` composes the same packaged Hydra configs as the ``escalation`` command (through
Hydra's compose API, so there is one source of truth), applies lever and uncertainty values, and
returns the outcomes table.
"""

from __future__ import annotations

import copy
from enum import Enum
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from escalation.config import (
    ConfigError,
    Settings,
    lever_names,
    settings_from_dictconfig,
    uncertainty_names,
)

CONFIG_MODULE = "escalation.conf"
#: How many distinct argument sets ``load_settings`` remembers.
SETTINGS_CACHE_SIZE = 256
_settings_cache: dict[tuple, Settings] = {}


def available_scenarios() -> dict[str, DictConfig]:
    """The packaged scenarios by name, each with its ``scenario`` block (title, description)."""
    from importlib.resources import files

    folder = files(CONFIG_MODULE) / "scenario"
    scenarios = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenarios[entry.name.removesuffix(".yaml")] = OmegaConf.create(
                entry.read_text()
            ).scenario
    return scenarios


@lru_cache(maxsize=32)
def _compose(scenario: str) -> DictConfig:
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from escalation.config import register_configs

    names = list(available_scenarios())
    if scenario not in names:
        raise ConfigError(f"unknown scenario {scenario!r}; available: {', '.join(names)}")
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
    scenario: str = "status_quo",
    *,
    replicates: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    **params: Any,
) -> Settings:
    """Compose a scenario's validated settings, with levers and uncertainties set by keyword.

    Args:
        scenario: A scenario name (see ``available_scenarios``).
        replicates: Monte Carlo replicates (default: the config's).
        months: Months to simulate (default: the scenario's).
        seed: Seed of the model's generator (default: the config's).
        **params: Lever names (``instructors``, ``troops``, ``deep_strikes``, ``posture``) with
            their values, or uncertainty names with a fixed value.

    Raises:
        ConfigError: Unknown scenario, unknown parameter or invalid value.

    Composing and validating settings takes about 30 ms, several times a one-replicate run, so
    settings are remembered per arguments (``mesa.batch_run`` and EMA Workbench build many
    models with the same ones); every call returns its own copy, free to change.
    """
    key = _cache_key(scenario, replicates, months, seed, params)
    if key is None:
        return _load_settings(scenario, replicates, months, seed, params)
    settings = _settings_cache.get(key)
    if settings is None:
        settings = _load_settings(scenario, replicates, months, seed, params)
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
    scenario: str, replicates: Any, months: Any, seed: Any, params: dict[str, Any]
) -> Settings:
    cfg = OmegaConf.to_container(_compose(scenario))
    assert isinstance(cfg, dict)
    for key, value in (("replicates", replicates), ("months", months)):
        if value is not None:
            cfg["sim"][key] = _plain(value)
    if seed is not None:
        cfg["seed"] = _plain(seed)
    for name, value in params.items():
        value = _plain(value)
        if name in lever_names():
            cfg["policy"][name] = value
        elif name in uncertainty_names():
            cfg["uncertainty"][name] = {"low": value, "high": value}
        else:
            allowed = ", ".join([*lever_names(), *uncertainty_names()])
            raise ConfigError(f"unknown parameter {name!r}; allowed: {allowed}")
    return settings_from_dictconfig(cfg)


def _plain(value: Any) -> Any:
    """A plain Python value for the config: enums by value, numpy scalars (EMA Workbench) too."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, np.generic):
        return value.item()
    return value


def simulate(
    scenario: str = "status_quo",
    *,
    replicates: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Run a scenario and return its outcomes, one row per replicate.

    Args:
        scenario: A scenario name, e.g. ``"status_quo"`` or ``"instructors"``.
        replicates: Monte Carlo replicates (default 1000).
        months: Months to simulate (default: the scenario's, 36 from October 2024).
        seed: Seed of the model's generator; same seed and arguments give identical rows.
        **params: Levers (``instructors="inside"``, ``troops="combat"``,
            ``deep_strikes="authorized"``, ``posture="red_lines"``) or uncertainties with a
            fixed value (``follow_through=0.9``).

    Returns:
        A DataFrame with the sampled uncertainties and the outcome columns ``max_rung``,
        ``final_rung``, ``direct_conflict``, ``nuclear_use``, ``russian_retaliation``,
        ``months_to_retaliation``, ``ukraine_position_final`` and more (docs/MODEL.md §8).

    Raises:
        ConfigError: Unknown scenario or parameter, an invalid value (NaN and infinity
            included), or a run too large for the memory available.

    Example:
        >>> import escalation
        >>> df = escalation.simulate("troops", replicates=200, seed=1, posture="red_lines")
        >>> df["direct_conflict"].mean()  # doctest: +SKIP
    """
    from escalation.model import EscalationModel
    from escalation.runs import check_memory

    settings = load_settings(scenario, replicates=replicates, months=months, seed=seed, **params)
    check_memory(settings)
    return EscalationModel(settings).run().outcomes()
