"""Validation: settings from a composed config, range checks, and errors that name the key.

Hydra rejects unknown keys and wrong types while composing against the schema
(``escalation.config.schema``); the checks here (``validate``) reject what types cannot express:
probabilities outside [0, 1], non-positive replicates, months outside 1 to
``MAX_MONTHS`` (``escalation.config.limits``), inverted ranges, NaN. Only the
entry points touch ``DictConfig``: library code receives the plain ``Settings`` dataclass
returned by ``settings_from_dictconfig``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import re
from collections.abc import Collection
from enum import Enum
from functools import cache, lru_cache
from typing import Any

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from escalation.config import schema
from escalation.config.dates import DateError, resolve_timing_months
from escalation.config.limits import MAX_MONTHS
from escalation.config.sampling import check_sobol
from escalation.config.schema import (
    LEVERS,
    ConfigError,
    Member,
    Range,
    Settings,
    validate_plots,
)
from escalation.errors import first_line
from escalation.timeline import month_index

_SIM_BOUNDS = {
    "replicates": (1, None),
    "months": (1, MAX_MONTHS),
    "narrative_replicate": (0, None),
}


#: The last calendar year a run may reach (the calendar of ``pandas.Period``).
LAST_YEAR = 9999


#: Allowed values of ``sim.sampling``: how the uncertainties are drawn
#: (``escalation.config.sampling``).
SAMPLING_MODES = ("uniform", "sobol")


def _describe_bounds(low: float | None, high: float | None) -> str:
    if high is None:
        return f">= {low:g}" if low else ">= 0"
    return f"between {low:g} and {high:g}"


def _check_bounds(key: str, value: float | None, bounds: tuple[float | None, float | None]):
    low, high = bounds
    if value is None:
        return
    if not math.isfinite(value):
        raise ConfigError(f"{key}={value} is not a number: must be {_describe_bounds(low, high)}")
    if (low is not None and value < low) or (high is not None and value > high):
        shown = value if isinstance(value, int) else f"{value:g}"  # a whole number in full
        raise ConfigError(f"{key}={shown} is out of range: must be {_describe_bounds(low, high)}")


def _validate_node(node: Any, prefix: str, inherited: tuple | None = None) -> None:
    """Check every field's ``bounds`` metadata; a node's bounds cover its unbounded fields."""
    for f in dataclasses.fields(node):
        key = f"{prefix}{f.name}"
        value = getattr(node, f.name)
        bounds = f.metadata.get("bounds", inherited)
        if isinstance(value, Range):
            if bounds:
                _check_bounds(f"{key}.low", value.low, bounds)
                _check_bounds(f"{key}.high", value.high, bounds)
            if value.low > value.high:
                raise ConfigError(
                    f"{key}: low={value.low:g} is above high={value.high:g}; need low <= high"
                )
        elif dataclasses.is_dataclass(value):
            _validate_node(value, f"{key}.", bounds)
        elif isinstance(value, dict):
            for name, item in value.items():
                _validate_node(item, f"{key}.{name}.", bounds)
        elif bounds:
            _check_bounds(key, value, bounds)


def _check_finite(node: Any, prefix: str = "") -> None:
    """Refuse NaN and infinity in every number of the settings, naming the first such key."""
    for f in dataclasses.fields(node):
        key = f"{prefix}{f.name}"
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            _check_finite(value, f"{key}.")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key}={value}: NaN and infinity are not allowed; give a number")


def validate(settings: Settings) -> Settings:
    """Check the ranges types cannot express; raise ``ConfigError`` naming the first bad key.

    Args:
        settings: A fully typed configuration.

    Returns:
        The same settings, for chaining.

    Raises:
        ConfigError: A value is outside its allowed range, or a number is NaN or infinite.
    """
    _check_finite(settings)
    _check_bounds("seed", settings.seed, (0, None))
    _validate_node(settings.uncertainty, "uncertainty.")
    _validate_node(settings.doctrine, "doctrine.")
    for key, bounds in _SIM_BOUNDS.items():
        _check_bounds(f"sim.{key}", getattr(settings.sim, key), bounds)
    narrative = settings.sim.narrative_replicate
    if narrative is not None and narrative >= settings.sim.replicates:
        raise ConfigError(
            f"sim.narrative_replicate={settings.sim.narrative_replicate} must be below "
            f"sim.replicates={settings.sim.replicates}"
        )
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", settings.sim.start):
        raise ConfigError(f"sim.start={settings.sim.start!r} must be a month like '2024-10'")

    first = month_index(settings.sim.start)
    if first // 12 < 1 or (first + settings.sim.months - 1) // 12 > LAST_YEAR:
        raise ConfigError(
            f"sim.start={settings.sim.start!r} with sim.months={settings.sim.months} must lie "
            f"between years 0001 and {LAST_YEAR}"
        )
    for name in dataclasses.fields(settings.policy.timing):
        timing = getattr(settings.policy.timing, name.name)
        key = f"policy.timing.{name.name}"
        if isinstance(timing.month, bool) or not isinstance(timing.month, int):
            raise ConfigError(
                f"{key}.month={timing.month!r}: give a month number (1 = sim.start, "
                f"{settings.sim.start}) or a date YYYY-MM, e.g. 2025-03"
            )
        _check_bounds(f"{key}.month", timing.month, (1, None))
        _check_bounds(f"{key}.position_below", timing.position_below, (0.0, 100.0))
    for month in settings.policy.new_weapons:
        _check_bounds("policy.new_weapons", month, (1, None))
    _validate_members(settings.doctrine.nato.members)
    validate_plots(settings.plots)
    if settings.sim.sampling not in SAMPLING_MODES:
        raise ConfigError(
            f"sim.sampling: invalid value {settings.sim.sampling!r}; "
            f"allowed: {', '.join(SAMPLING_MODES)}"
        )
    if settings.sim.sampling == "sobol":
        check_sobol(settings)
    return settings


def _validate_members(members: dict[str, Member]) -> None:
    """NATO needs France among its members, and strike shares that add up to at most 1."""
    if "france" not in members:
        raise ConfigError(
            "doctrine.nato.members must include 'france' (France is a NATO member and the "
            f"article's protagonist); found: {', '.join(members) or 'none'}"
        )
    total = sum(member.strike_share for member in members.values())
    if total > 1.0 + 1e-9:
        raise ConfigError(
            f"doctrine.nato.members: strike_share values add up to {total:g}; must be at most 1"
        )


@lru_cache(maxsize=1)
def _schema() -> DictConfig:
    """The schema as a read-only config, built once (it costs milliseconds per build)."""
    schema = OmegaConf.structured(Settings)
    OmegaConf.set_readonly(schema, True)
    return schema


def settings_from_dictconfig(cfg: DictConfig | dict) -> Settings:
    """Turn a composed config into validated, typed ``Settings``.

    The config is merged into the schema again, so keys added with Hydra's ``+key=value`` and any
    wrongly typed value are rejected here even if composition let them through.

    Raises:
        ConfigError: Unknown key, wrong type or out-of-range value; the message names the key.
    """
    try:
        if isinstance(cfg, DictConfig):
            # A plain container: keys added with ``+key=value`` are then checked against the
            # schema.
            cfg = OmegaConf.to_container(cfg, resolve=True)
        else:
            cfg = copy.deepcopy(cfg)
        resolve_timing_months(cfg)
        merged = OmegaConf.merge(_schema(), fixed_uncertainties(cfg))
        settings = OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        raise ConfigError(describe_omegaconf_error(error)) from None
    except DateError as error:
        raise ConfigError(str(error)) from None
    assert isinstance(settings, Settings)
    return validate(settings)


@cache
def _section_schema(section: str) -> DictConfig:
    """The schema of one top-level section (``policy``, ``uncertainty``...), read-only, cached."""
    node = OmegaConf.structured(type(getattr(Settings(), section)))
    OmegaConf.set_readonly(node, True)
    return node


SECTIONS = tuple(item.name for item in dataclasses.fields(Settings) if item.name not in ("seed",))


def settings_with_sections(
    base: Settings, cfg: DictConfig | dict, sections: Collection[str]
) -> Settings:
    """Validated ``Settings`` of a config that differs from ``base``'s only in some sections.

    Equivalent to ``settings_from_dictconfig(cfg)`` when every other section of ``cfg`` equals
    ``base``'s, at a fraction of the cost: only the named sections are merged into their schema
    (a sweep point overriding ``policy.troops`` re-checks ``policy``, not the doctrine). The
    whole result is then checked by ``validate`` as always. Any error is reported exactly as
    ``settings_from_dictconfig`` reports it.

    Args:
        base: The validated settings of the sweep's base config.
        cfg: The point's composed config.
        sections: Top-level sections its overrides touch (``SECTIONS`` members, or ``seed``).

    Raises:
        ConfigError: As ``settings_from_dictconfig``.
    """
    unknown = [name for name in sections if name not in SECTIONS and name != "seed"]
    if unknown:
        return settings_from_dictconfig(cfg)
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    container = fixed_uncertainties(container)
    if not isinstance(container, dict):
        return settings_from_dictconfig(cfg)
    settings = copy.deepcopy(base)
    try:
        for name in sections:
            if name == "seed":
                seed = container["seed"]
                if not isinstance(seed, int) or isinstance(seed, bool):
                    return settings_from_dictconfig(cfg)
                settings.seed = seed
                continue
            merged = OmegaConf.merge(_section_schema(name), container.get(name) or {})
            setattr(settings, name, OmegaConf.to_object(merged))
    except (OmegaConfBaseException, KeyError):
        return settings_from_dictconfig(cfg)  # the same error, named as always
    return validate(settings)


def fixed_uncertainties(cfg: Any) -> Any:
    """The config with each uncertainty given as one number written as ``{low: v, high: v}``.

    Args:
        cfg: A plain (container) config; returned unchanged when it is not a mapping.

    Returns:
        A shallow copy whose ``uncertainty`` node holds only ranges; other nodes are shared.
    """
    if not isinstance(cfg, dict) or not isinstance(cfg.get("uncertainty"), dict):
        return cfg
    uncertainty = {
        name: {"low": value, "high": value} if _is_scalar(value) else value
        for name, value in cfg["uncertainty"].items()
    }
    return {**cfg, "uncertainty": uncertainty}


def _is_scalar(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def allowed_keys(full_key: str) -> list[str]:
    """The keys the schema allows beside ``full_key`` (its siblings), for error messages."""
    node: Any = Settings
    for part in full_key.split(".")[:-1]:
        fields = {f.name: f for f in dataclasses.fields(node)}
        if part not in fields:
            return []
        node = fields[part].type
        node = _resolve_type(node)
        if node is None:
            return []
    if not dataclasses.is_dataclass(node):
        return []
    return [f.name for f in dataclasses.fields(node)]


def _resolve_type(annotation: Any) -> Any:
    """Resolve a dataclass field annotation (a string under postponed evaluation).

    The schema's annotations name classes of ``escalation.config.schema``, so they resolve there.
    """
    if isinstance(annotation, str):
        return getattr(schema, annotation, None)
    return annotation if dataclasses.is_dataclass(annotation) else None


def describe_omegaconf_error(error: OmegaConfBaseException) -> str:
    """One line naming the key and what is allowed, from an OmegaConf validation error."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, ValidationError

    key = getattr(error, "full_key", None) or ""
    first = first_line(error)
    if isinstance(error, ConfigKeyError | ConfigAttributeError) and key:
        allowed = allowed_keys(key)
        hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
        return f"unknown key '{key}'{hint}"
    if isinstance(error, ValidationError) and key:
        enum = _enum_for_key(key)
        if enum is not None:
            value = getattr(error, "value", None)
            return f"{key}: invalid value {value!r}; allowed: {', '.join(e.name for e in enum)}"
        return f"{key}: {first}"
    return f"{key}: {first}" if key else first


def _enum_for_key(key: str) -> type[Enum] | None:
    parts = key.split(".")
    if len(parts) == 2 and parts[0] == "policy":
        return LEVERS.get(parts[1])
    return None


def describe_error(error: Exception) -> str | None:
    """One line naming the key and what is allowed, for a configuration error; else None."""
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


def resolved_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as recorded in ``summary.json``: timing dates as month numbers."""
    config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(config, dict)
    with contextlib.suppress(DateError):  # refused with its key when the settings are read
        resolve_timing_months(config)
    return config
