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
import difflib
import math
import re
import types
import typing
from collections.abc import Collection, Iterable
from enum import Enum
from functools import cache, lru_cache
from typing import Any

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from escalation.config import schema
from escalation.config.dates import DateError, resolve_timing_months
from escalation.config.limits import MAX_MONTHS, MAX_SEED
from escalation.config.sampling import check_parameters, doctrine_value, with_doctrine_values
from escalation.config.schema import (
    LEVERS,
    ConfigError,
    Member,
    Range,
    Settings,
    validate_plots,
    validate_tables,
)
from escalation.errors import first_line
from escalation.timeline import month_index

_SIM_BOUNDS = {
    "replicates": (1, None),
    "months": (1, MAX_MONTHS),
    "narrative_replicate": (0, None),
    "draws": (1, None),
    "workers": (0, None),
}

#: A scenario's name is a file name (``scenario=NAME``, the run folder ``outputs/NAME/``).
SCENARIO_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
#: The longest title, description and source passage a scenario may have, in characters: the
#: title heads the summary, figures and story; the longest packaged texts are 58, 786 and 277.
TEXT_LIMITS = {"title": 200, "description": 4000, "sources": 2000}
#: The most source passages a scenario may cite.
MAX_SOURCES = 100
#: A value quoted in an error message is cut to this many characters.
SHOWN_CHARACTERS = 60
#: A number written with underscores (``1_000``, ``1e-3_0``): YAML and Hydra read it as a
#: number, but in a config it is far more often a typo.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\.?\d[\d_]*(?:\.[\d_]*)?(?:[eE][-+]?[\d_]+)?(?![\w.])")
#: Control characters (C0, DEL, C1): never printed in a message, refused in a scenario's texts.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


#: The last calendar year a run may reach (the calendar of ``pandas.Period``).
LAST_YEAR = 9999


#: Allowed values of ``sim.sampling``: how the uncertainties are drawn
#: (``escalation.config.sampling``).
SAMPLING_MODES = ("uniform", "sobol")


def shown_value(value: Any) -> str:
    """A value as an error message quotes it: ``repr``, control characters escaped, cut short."""
    text = repr(value)
    if len(text) > SHOWN_CHARACTERS:
        text = f"{text[: SHOWN_CHARACTERS - 5]}...{text[-2:]}"
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def underscored_number(text: str) -> bool:
    """Whether ``text`` is, or holds outside quotes, a number written with underscores.

    ``1_000.5e-3_0`` and ``range(1_0,20)`` do; ``policy_grid`` and ``'1_000'`` (a string) do not.
    """
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", " ", text)
    return any("_" in match.group() for match in _NUMBER.finditer(unquoted))


def is_interpolation(value: Any) -> bool:
    """Whether a config value is, or holds, an OmegaConf interpolation or resolver (``${...}``)."""
    return isinstance(value, str) and "${" in value


def schema_type(key: str) -> Any:
    """The schema's type at a dotted key (``sim.trajectories`` -> ``bool``), or None if unknown.

    NATO's members take any name; an uncertainty is a ``Range`` (its number shorthand aside).
    """
    node: Any = Settings
    for part in key.split("."):
        if typing.get_origin(node) is dict:
            node = typing.get_args(node)[1]
            continue
        fields = _field_types(node)
        if fields is None or part not in fields:
            return None
        node = fields[part]
    return node


@cache
def _field_types(node: Any) -> dict[str, Any] | None:
    """A dataclass's field types by name (an ``Any`` field with a dataclass default: that class).

    Forward references are resolved; the uncertainties, typed ``Any``, are ``Range`` here.
    Not a dataclass: None.
    """
    if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
        return None
    hints = typing.get_type_hints(node)
    types = {}
    for item in dataclasses.fields(node):
        factory = item.default_factory
        dataclass_default = isinstance(factory, type) and dataclasses.is_dataclass(factory)
        types[item.name] = (
            factory if hints[item.name] is Any and dataclass_default else hints[item.name]
        )
    return types


#: What a value of each scalar type of the schema is, in an error message's words.
_TYPE_WORDS = {int: "a whole number", float: "a number", str: "text", bool: "true, false"}


def allowed_type(key: str) -> str | None:
    """What the schema allows at a dotted key, in words (``sim.months`` -> ``a whole number``).

    A list's item (``policy.new_weapons[0]``) is its item type; an optional value adds ``or
    null``. None for a key that is no scalar of the schema.
    """
    kind = schema_type(re.sub(r"\[\d+\]", "", key))
    if typing.get_origin(kind) is list and key.endswith("]"):
        kind = typing.get_args(kind)[0]
    kinds = typing.get_args(kind) if isinstance(kind, types.UnionType) else (kind,)
    words = [_TYPE_WORDS[item] for item in kinds if item in _TYPE_WORDS]
    if len(words) != len([item for item in kinds if item is not type(None)]) or not words:
        return None
    return " or ".join(words) + (" or null" if type(None) in kinds else "")


def check_value(key: str, value: Any) -> None:
    """Refuse a value the schema would coerce or resolve: booleans and interpolations.

    A boolean is ``true`` or ``false``, never ``2`` or ``yes``; no value interpolates
    (``${...}``: environment variables, dates, decoders, any resolver).

    Raises:
        ConfigError: Naming the key and what is allowed.
    """
    if is_interpolation(value):
        raise ConfigError(
            f"{key}: interpolations (${{...}}) are not allowed in the model's config; give the "
            "value itself"
        )
    if schema_type(key) is bool and not isinstance(value, bool):
        raise ConfigError(f"{key}: invalid value {shown_value(value)}; allowed: true, false")


def _check_plain(node: Any, prefix: str = "") -> None:
    """``check_value`` on every value of a plain config (mappings and lists walked)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for name, value in items:
        key = f"{prefix}{name}"
        if isinstance(value, dict | list):
            _check_plain(value, f"{key}.")
        else:
            check_value(key, value)


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
                if dataclasses.is_dataclass(item):
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
    if not 0 <= settings.seed <= MAX_SEED:
        raise ConfigError(
            f"seed={settings.seed} is out of range: must be between 0 and {MAX_SEED} (2**63-1, "
            "the largest number the tables' seed column holds)"
        )
    check_scenario(settings.scenario)
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
    _validate_policy(settings)
    _validate_members(settings.doctrine.nato.members)
    _validate_targets(settings.doctrine.nato)
    validate_plots(settings.plots)
    if settings.sim.sampling not in SAMPLING_MODES:
        raise ConfigError(
            f"sim.sampling: invalid value {settings.sim.sampling!r}; "
            f"allowed: {', '.join(SAMPLING_MODES)}"
        )
    validate_tables(settings.sim.tables)
    _validate_priors(settings)
    check_parameters(settings)
    return settings


def _validate_policy(settings: Settings) -> None:
    """The timing months are whole numbers from 1 (after dates are resolved), positions in range.

    Raises:
        ConfigError: Names the timing key, the value and what is allowed.
    """
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
        if timing.until is not None:
            if isinstance(timing.until, bool) or not isinstance(timing.until, int):
                raise ConfigError(
                    f"{key}.until={timing.until!r}: give a month number (1 = sim.start, "
                    f"{settings.sim.start}), a date YYYY-MM, or null (never withdrawn)"
                )
            _check_bounds(f"{key}.until", timing.until, (1, None))
    for month in settings.policy.new_weapons:
        _check_bounds("policy.new_weapons", month, (1, None))


def _validate_priors(settings: Settings) -> None:
    """Each prior names a number of the doctrine, once, with a range inside that number's bounds.

    Raises:
        ConfigError: An unknown or non-numeric key, a key with two priors, an inverted range or
            one with no mass inside the key's allowed values ("a prior with no mass").
    """
    seen: dict[str, str] = {}
    for name, prior in settings.prior.items():
        key = f"prior.{name}"
        try:
            value = doctrine_value(settings.doctrine, prior.key)
        except KeyError:
            raise ConfigError(
                f"{key}.key={shown_value(prior.key)}: not a key of the doctrine; give a dotted "
                "doctrine key such as russia.stimuli.memory (escalation --cfg job shows them)"
            ) from None
        if not isinstance(value, float):
            raise ConfigError(
                f"{key}.key={prior.key}: not a real number of the doctrine (a prior draws a "
                "real number; whole numbers, names and tables cannot be drawn)"
            )
        if prior.key in seen:
            raise ConfigError(f"{key}.key={prior.key}: already drawn by prior.{seen[prior.key]}")
        seen[prior.key] = name
        for end in ("low", "high"):
            if not math.isfinite(getattr(prior, end)):
                raise ConfigError(f"{key}.{end}: NaN and infinity are not allowed; give a number")
        if prior.low > prior.high:
            raise ConfigError(
                f"{key}: low={prior.low:g} is above high={prior.high:g}; need low <= high"
            )
        for end in ("low", "high"):
            try:
                _validate_node(
                    with_doctrine_values(settings.doctrine, {prior.key: getattr(prior, end)}),
                    "doctrine.",
                )
            except ConfigError as error:
                raise ConfigError(
                    f"{key}: [{prior.low:g}, {prior.high:g}] reaches outside the values "
                    f"doctrine.{prior.key} allows ({first_line(error).split(': ', 1)[-1]})"
                ) from None


def check_scenario(scenario: schema.Scenario) -> None:
    """A scenario's name is a file name; its texts are bounded and hold no control characters.

    Lengths: ``TEXT_LIMITS`` and ``MAX_SOURCES``; a title has no line break either.
    """
    if not SCENARIO_NAME.fullmatch(scenario.name) or ".." in scenario.name:
        raise ConfigError(
            f"scenario.name={shown_value(scenario.name)}: a scenario's name is a file name of "
            "at most 100 letters, digits, '_', '.' and '-'"
        )
    if len(scenario.sources) > MAX_SOURCES:
        raise ConfigError(
            f"scenario.sources: {len(scenario.sources)} passages; at most {MAX_SOURCES} allowed"
        )
    texts = [("title", scenario.title), ("description", scenario.description)]
    texts += [(f"sources.{index}", text) for index, text in enumerate(scenario.sources)]
    for name, text in texts:
        limit = TEXT_LIMITS[name.partition(".")[0]]
        if len(text) > limit:
            raise ConfigError(
                f"scenario.{name}: {len(text):,} characters; at most {limit:,} allowed"
            )
        control = _CONTROL.search(text if name == "title" else text.replace("\n", ""))
        if control is not None:
            raise ConfigError(
                f"scenario.{name}: holds a control character "
                f"({shown_value(control.group())}); write plain text"
            )


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


def _validate_targets(nato: schema.NatoDoctrine) -> None:
    """Target weights name members, are at least 0, and some are above 0."""
    key = "doctrine.nato.targets"
    for name, weight in nato.targets.items():
        if name not in nato.members:
            raise ConfigError(f"{key}.{name}: not a member; allowed: {', '.join(nato.members)}")
        _check_bounds(f"{key}.{name}", weight, (0.0, None))
    if not any(weight > 0 for weight in nato.targets.values()):
        raise ConfigError(f"{key}: give at least one member a weight above 0")


@lru_cache(maxsize=1)
def schema_config() -> DictConfig:
    """The schema as a read-only config, built once (it costs milliseconds per build)."""
    schema = OmegaConf.structured(Settings)
    OmegaConf.set_readonly(schema, True)
    return schema


def settings_from_dictconfig(cfg: DictConfig | dict) -> Settings:
    """Turn a composed config into validated, typed ``Settings``.

    The config is merged into the schema again, so keys added with Hydra's ``+key=value`` and any
    wrongly typed value are rejected here even if composition let them through; so are values the
    schema would coerce and interpolations (``check_value``).

    Raises:
        ConfigError: Unknown key, wrong type or out-of-range value; the message names the key.
    """
    try:
        if isinstance(cfg, DictConfig):
            # A plain container: keys added with ``+key=value`` are then checked against the
            # schema. Unresolved: no value may interpolate (``check_value``).
            cfg = OmegaConf.to_container(cfg, resolve=False)
        else:
            cfg = copy.deepcopy(cfg)
        if isinstance(cfg, dict):
            _check_plain(cfg)
        resolve_timing_months(cfg)
        merged = OmegaConf.merge(schema_config(), fixed_uncertainties(cfg))
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
    whole result is then checked by ``validate`` as always, except that a point changing only
    its policy has only its policy checked (and shares the base's other sections, not copies).
    Any error is reported exactly as ``settings_from_dictconfig`` reports it.

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
    if isinstance(cfg, DictConfig):
        container = OmegaConf.to_container(cfg, resolve=True)
    elif isinstance(cfg, dict):  # only the policy is changed below (its timing months)
        container = {**cfg, **{key: copy.deepcopy(cfg[key]) for key in ("policy",) if key in cfg}}
    else:
        container = cfg
    if not isinstance(container, dict):
        return settings_from_dictconfig(cfg)
    try:
        container = fixed_uncertainties(resolve_timing_months(container))
    except DateError:
        return settings_from_dictconfig(cfg)  # the same error, named as always
    policy_only = set(sections) <= {"policy"}
    # a point that changes only its policy shares the base's other (validated) sections
    settings = dataclasses.replace(base) if policy_only else copy.deepcopy(base)
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
    if policy_only:  # the rest is the base's, validated in full already
        _check_finite(settings.policy, "policy.")
        _validate_policy(settings)
        return settings
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


def with_levers(settings: Settings, **levers: Any) -> Settings:
    """A copy of validated ``settings`` with some levers changed; nothing composed.

    The levers are checked against their allowed values; the rest of the settings is shared
    with ``settings``, validated already (a lever's value is valid with any other setting).

    Args:
        settings: Validated settings (``escalation.config.scenarios.load_settings``).
        **levers: Lever values by lever name (``troops="combat"``), as strings or members.

    Raises:
        ConfigError: An unknown lever or value, with the closest allowed one suggested.
    """
    changes = {}
    for name, value in levers.items():
        if name not in LEVERS:
            raise ConfigError(
                f"unknown lever {name!r}; {did_you_mean(name, LEVERS)}allowed: {', '.join(LEVERS)}"
            )
        allowed = [member.value for member in LEVERS[name]]
        text = getattr(value, "value", value)
        if text not in allowed:
            raise ConfigError(
                f"policy.{name}: invalid value {shown_value(text)}; "
                f"{did_you_mean(text, allowed)}allowed: {', '.join(allowed)}"
            )
        changes[name] = LEVERS[name](text)
    return dataclasses.replace(settings, policy=dataclasses.replace(settings.policy, **changes))


def did_you_mean(value: Any, choices: Iterable[str], prefix: str = "") -> str:
    """``"did you mean 'X'? "`` for the choice closest to ``value`` (``difflib``), else ``""``.

    Args:
        value: What the user gave (a value, a name or a key's last part).
        choices: What is allowed in its place.
        prefix: Put before the suggestion (a key's place, ``"policy."``).
    """
    matches = difflib.get_close_matches(str(value), list(choices), n=1)
    return f"did you mean '{prefix}{matches[0]}'? " if matches else ""


def unknown_option(group: str, name: Any, options: Iterable[str]) -> str:
    """``unknown GROUP 'NAME'; available: ...``, with the closest option suggested if any."""
    options = list(options)
    return (
        f"unknown {group} {shown_value(name)}; {did_you_mean(name, options)}"
        f"available: {', '.join(options)}"
    )


def unknown_key(key: str) -> str:
    """``unknown key 'KEY'; allowed keys here: ...``, with the closest key suggested if any."""
    allowed = allowed_keys(key)
    if not allowed:
        return f"unknown key '{key}'"
    place, _, last = key.rpartition(".")
    suggestion = did_you_mean(last, allowed, f"{place}." if place else "")
    return f"unknown key '{key}'; {suggestion}allowed keys here: {', '.join(allowed)}"


def invalid_choice(key: str, value: Any, allowed: Iterable[str]) -> str:
    """``KEY: invalid value 'V'; allowed: ...``, with the closest allowed value suggested if any."""
    allowed = list(allowed)
    return (
        f"{key}: invalid value {shown_value(value)}; {did_you_mean(value, allowed)}"
        f"allowed: {', '.join(allowed)}"
    )


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
        return unknown_key(key)
    if isinstance(error, ValidationError) and key:
        enum = _enum_for_key(key)
        if enum is not None:
            value = getattr(error, "value", None)
            return invalid_choice(key, value, (e.name for e in enum))
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
        return unknown_option(group or "config", name, error.options or [])
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
