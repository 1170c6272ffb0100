"""Structured configuration: the typed schema Hydra validates against, and range checks.

The dataclasses below are registered with Hydra's ConfigStore as ``base_config``; the YAML files in
``conf/`` fill them in. Hydra rejects unknown keys and wrong types while composing; the range checks
here (``validate``) reject what types cannot express: probabilities outside [0, 1], non-positive
months or replicates, inverted ranges. Only the entry points touch ``DictConfig``: library code
receives the plain ``Settings`` dataclass returned by ``settings_from_dictconfig``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from escalation.errors import first_line


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key and what is allowed."""


class Instructors(Enum):
    """Lever: Western training of Ukrainian soldiers."""

    none = "none"
    outside = "outside"
    inside = "inside"


class Troops(Enum):
    """Lever: Western ground troops in Ukraine."""

    none = "none"
    noncombat = "noncombat"
    combat = "combat"


class DeepStrikes(Enum):
    """Lever: permission to strike inside Russia with Western long-range weapons."""

    prohibited = "prohibited"
    limited = "limited"
    authorized = "authorized"


class Posture(Enum):
    """Lever: the West's declaratory posture."""

    red_lines = "red_lines"
    ambiguity = "ambiguity"


LEVERS: dict[str, type[Enum]] = {
    "instructors": Instructors,
    "troops": Troops,
    "deep_strikes": DeepStrikes,
    "posture": Posture,
}


@dataclass
class Timing:
    """When a measure the policy allows is adopted.

    The measure comes into force in the first month ``>= month`` at which Ukraine's position is
    below ``position_below`` (no condition when ``position_below`` is null).
    """

    month: int = 1
    position_below: float | None = None


@dataclass
class PolicyTiming:
    """Timing of each Western measure."""

    aid: Timing = field(default_factory=Timing)
    advanced_weapons: Timing = field(default_factory=Timing)
    training: Timing = field(default_factory=Timing)
    instructors: Timing = field(default_factory=Timing)
    deep_strikes: Timing = field(default_factory=Timing)
    troops: Timing = field(default_factory=Timing)


@dataclass
class Policy:
    """The policy levers and the measures below them."""

    instructors: Instructors = Instructors.outside
    troops: Troops = Troops.none
    deep_strikes: DeepStrikes = DeepStrikes.prohibited
    posture: Posture = Posture.ambiguity
    aid: bool = True
    advanced_weapons: bool = True
    timing: PolicyTiming = field(default_factory=PolicyTiming)


@dataclass
class Sim:
    """Run length, batch size and outputs."""

    replicates: int = 1000
    months: int = 36
    start: str = "2024-10"
    narrative_replicate: int | None = None
    figures: bool = True
    sampling: str = "uniform"
    trajectories: bool = True


@dataclass
class Sweep:
    """A preset sweep (``escalation -m sweep=NAME``) and what each of its jobs writes."""

    name: str = ""
    description: str = ""
    job_figures: bool = False
    job_trajectories: bool = False


@dataclass
class Scenario:
    """A named scenario: what it represents and the passages it rests on."""

    name: str = MISSING
    title: str = MISSING
    description: str = MISSING
    sources: list[str] = field(default_factory=list)


@dataclass
class Range:
    """A uniform distribution from ``low`` to ``high``; equal ends fix the value."""

    low: float = MISSING
    high: float = MISSING


@dataclass
class Uncertainties:
    """Assumptions nobody knows, sampled per replicate (see docs/MODEL.md for each source)."""

    red_line_threshold: Range = field(default_factory=Range, metadata={"bounds": (0.0, 10.0)})
    follow_through: Range = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    nato_cohesion: Range = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    nato_resolve: Range = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    ambiguity_alarm: Range = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    cost_sensitivity: Range = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    russian_pressure: Range = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    measure_effectiveness: Range = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    nuclear_use_in_conflict: Range = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})


@dataclass
class PerMeasure:
    """A number for each Western measure (battlefield effect, perceived involvement, rung)."""

    aid: float = MISSING
    advanced_weapons: float = MISSING
    training: float = MISSING
    instructors: float = MISSING
    deep_strikes_limited: float = MISSING
    deep_strikes_authorized: float = MISSING
    troops_noncombat: float = MISSING
    troops_combat: float = MISSING


@dataclass
class UkraineDoctrine:
    """Ukraine's front and its requests."""

    position_start: float = field(default=MISSING, metadata={"bounds": (0.0, 100.0)})
    position_noise: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    request_drop: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    effects: PerMeasure = field(default_factory=PerMeasure, metadata={"bounds": (0.0, None)})


@dataclass
class ResponseWeights:
    """How strongly NATO answers each Russian attack (multiplies ``nato_resolve``)."""

    hybrid_attacks: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    strikes_on_western_forces: float = field(default=MISSING, metadata={"bounds": (0.0, None)})


@dataclass
class NatoDoctrine:
    """NATO's consensus on deep strikes and its answers to Russian attacks."""

    caution: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    request_boost: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    belief_prior: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    learning_rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    response_weight: ResponseWeights = field(default_factory=ResponseWeights)


@dataclass
class ResponseOption:
    """A Russian response: the deterrence it buys and the Western answer it provokes."""

    gain: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    provocation: float = field(default=MISSING, metadata={"bounds": (0.0, None)})


@dataclass
class Responses:
    """Russia's response options above plain rhetoric (whose utility is 0)."""

    nuclear_signalling: ResponseOption = field(default_factory=ResponseOption)
    hybrid_attacks: ResponseOption = field(default_factory=ResponseOption)
    strikes_on_western_forces: ResponseOption = field(default_factory=ResponseOption)
    strikes_on_nato: ResponseOption = field(default_factory=ResponseOption)


@dataclass
class RussiaDoctrine:
    """Russia's perception of involvement and its choice of response."""

    involvement: PerMeasure = field(default_factory=PerMeasure, metadata={"bounds": (0.0, 10.0)})
    responses: Responses = field(default_factory=Responses)
    combat_clash_gain: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    rationality: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    reconsider: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    resolve_prior: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    learning_rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    response_months: int = field(default=MISSING, metadata={"bounds": (1, None)})


@dataclass
class Doctrine:
    """Doctrine parameters of the actors (France's doctrine is the policy itself)."""

    ukraine: UkraineDoctrine = field(default_factory=UkraineDoctrine)
    nato: NatoDoctrine = field(default_factory=NatoDoctrine)
    russia: RussiaDoctrine = field(default_factory=RussiaDoctrine)


@dataclass
class Settings:
    """Everything one run needs: the root of the configuration."""

    scenario: Scenario = field(default_factory=Scenario)
    policy: Policy = field(default_factory=Policy)
    sim: Sim = field(default_factory=Sim)
    uncertainty: Uncertainties = field(default_factory=Uncertainties)
    doctrine: Doctrine = field(default_factory=Doctrine)
    sweep: Sweep = field(default_factory=Sweep)
    seed: int = 20241001


_SIM_BOUNDS = {"replicates": (1, None), "months": (1, None), "narrative_replicate": (0, None)}
#: The last calendar year a run may reach (the calendar of ``pandas.Period``).
LAST_YEAR = 9999
#: Allowed values of ``sim.sampling``: how the uncertainties are drawn (``escalation.sampling``).
SAMPLING_MODES = ("uniform", "sobol")


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore as ``base_config``."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Settings)


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
        raise ConfigError(f"{key}={value:g} is out of range: must be {_describe_bounds(low, high)}")


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
    year, month = (int(part) for part in settings.sim.start.split("-"))
    last_year = year + (month - 1 + settings.sim.months - 1) // 12
    if year < 1 or last_year > LAST_YEAR:
        raise ConfigError(
            f"sim.start={settings.sim.start!r} with sim.months={settings.sim.months} must lie "
            f"between years 0001 and {LAST_YEAR}"
        )
    for name in dataclasses.fields(settings.policy.timing):
        timing = getattr(settings.policy.timing, name.name)
        key = f"policy.timing.{name.name}"
        _check_bounds(f"{key}.month", timing.month, (1, None))
        _check_bounds(f"{key}.position_below", timing.position_below, (0.0, 100.0))
    if settings.sim.sampling not in SAMPLING_MODES:
        raise ConfigError(
            f"sim.sampling: invalid value {settings.sim.sampling!r}; "
            f"allowed: {', '.join(SAMPLING_MODES)}"
        )
    if settings.sim.sampling == "sobol":
        from escalation.sampling import check_sobol

        check_sobol(settings)
    return settings


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
        merged = OmegaConf.merge(_schema(), cfg)
        settings = OmegaConf.to_object(merged)
    except OmegaConfBaseException as error:
        raise ConfigError(describe_omegaconf_error(error)) from None
    assert isinstance(settings, Settings)
    return validate(settings)


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
    """Resolve a dataclass field annotation (a string under postponed evaluation)."""
    if isinstance(annotation, str):
        return globals().get(annotation)
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


def lever_names() -> list[str]:
    """Names of the four policy levers."""
    return list(LEVERS)


def uncertainty_names() -> list[str]:
    """Names of the sampled uncertainties, in schema order."""
    return [f.name for f in dataclasses.fields(Uncertainties)]
