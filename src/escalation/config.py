"""Structured configuration: the typed schema Hydra validates against, and range checks.

The dataclasses below are registered with Hydra's ConfigStore as ``base_config``; the YAML files in
``conf/`` fill them in. Hydra rejects unknown keys and wrong types while composing; the range checks
here (``validate``) reject what types cannot express: probabilities outside [0, 1], non-positive
months or replicates, inverted ranges. Only the entry points touch ``DictConfig``: library code
receives the plain ``Settings`` dataclass returned by ``settings_from_dictconfig``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, lru_cache
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
    below ``position_below`` (no condition when ``position_below`` is null). ``month`` is a
    month number (1 = ``sim.start``) or a ``YYYY-MM`` date; ``settings_from_dictconfig`` turns a
    date into its number (``escalation.dates``), so validated settings always hold a number.
    """

    month: Any = 1
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
    new_weapons: list[int] = field(default_factory=list)
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
    """A named scenario: what it represents and the passages it rests on.

    ``timeline``, when set (``shipped`` or a CSV path), replays its dated Western and Ukrainian
    events instead of the policy's measures (``escalation.model.replay``).
    """

    name: str = MISSING
    title: str = MISSING
    description: str = MISSING
    sources: list[str] = field(default_factory=list)
    timeline: str | None = None


@dataclass
class Range:
    """A uniform distribution from ``low`` to ``high``; equal ends fix the value."""

    low: float = MISSING
    high: float = MISSING


@dataclass
class Uncertainties:
    """Assumptions nobody knows, sampled per replicate (see docs/MODEL.md for each source).

    Each is a ``Range``; the config may also give one number, shorthand for ``low = high``
    (``uncertainty.red_line_threshold=6`` fixes it, ``uncertainty.red_line_threshold=5.5,7``
    sweeps fixed values). The fields are typed ``Any`` so that Hydra accepts that number;
    ``settings_from_dictconfig`` turns it into a ``Range`` before checking types.
    """

    red_line_threshold: Any = field(default_factory=Range, metadata={"bounds": (0.0, 12.0)})
    follow_through: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    western_resolve: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    nato_cohesion: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    ambiguity_aversion: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    ambiguity_width: Any = field(default_factory=Range, metadata={"bounds": (0.0, 0.5)})
    ambiguity_alarm: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})
    cost_sensitivity: Any = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    russian_pressure: Any = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    measure_effectiveness: Any = field(default_factory=Range, metadata={"bounds": (0.0, None)})
    collapse_gain: Any = field(default_factory=Range, metadata={"bounds": (0.0, 100.0)})
    nuclear_use_in_conflict: Any = field(default_factory=Range, metadata={"bounds": (0.0, 1.0)})


@dataclass
class PerMeasure:
    """A number for each Western measure (battlefield effect, involvement as Russia reads it)."""

    aid: float = MISSING
    advanced_weapons: float = MISSING
    new_weapons: float = MISSING
    training: float = MISSING
    instructors: float = MISSING
    deep_strikes_limited: float = MISSING
    deep_strikes_authorized: float = MISSING
    troops_noncombat: float = MISSING
    troops_combat: float = MISSING


@dataclass
class DomesticStrikes:
    """Ukraine's own long-range drone strikes into Russia, whatever the West permits."""

    rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    effect: float = field(default=MISSING, metadata={"bounds": (0.0, None)})


@dataclass
class Incursion:
    """Ukrainian ground incursions into Russia (Kursk, August 2024)."""

    rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    margin: float = field(default=MISSING, metadata={"bounds": (0.0, 100.0)})
    months: int = field(default=MISSING, metadata={"bounds": (1, None)})


@dataclass
class UkraineDoctrine:
    """Ukraine's front, its requests and its own operations."""

    position_start: float = field(default=MISSING, metadata={"bounds": (0.0, 100.0)})
    position_noise: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    request_drop: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    effects: PerMeasure = field(default_factory=PerMeasure, metadata={"bounds": (0.0, None)})
    domestic_strikes: DomesticStrikes = field(default_factory=DomesticStrikes)
    incursion: Incursion = field(default_factory=Incursion)


@dataclass
class Member:
    """A NATO member government: its caution and its share of long-range strike weapons."""

    caution: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    strike_share: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})


@dataclass
class ResponseWeights:
    """How strongly the West answers each Russian attack below Article 5 (times resolve)."""

    kinetic_incursions: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    strikes_on_western_forces: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})


@dataclass
class Conflict:
    """How a NATO-Russia clash grows into direct conflict, and how both end."""

    clash_escalation: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    clash_end: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    article5_war: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    war_end: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})


@dataclass
class NatoDoctrine:
    """NATO's member governments, their answers to Russian attacks and the course of a clash."""

    members: dict[str, Member] = field(default_factory=dict)
    request_boost: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    belief_prior: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    learning_rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    kinetic_share: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    response_weight: ResponseWeights = field(default_factory=ResponseWeights)
    article5_answer: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    conflict: Conflict = field(default_factory=Conflict)


@dataclass
class ResponseOption:
    """A Russian option: its baseline appeal, how motives raise it, the answer it provokes."""

    base: float = field(default=MISSING, metadata={"bounds": (None, None)})
    warn_gain: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    act_gain: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    provocation: float = field(default=MISSING, metadata={"bounds": (0.0, None)})


@dataclass
class Responses:
    """Russia's options besides doing nothing new (whose utility is 0)."""

    nuclear_signalling: ResponseOption = field(default_factory=ResponseOption)
    hybrid_attacks: ResponseOption = field(default_factory=ResponseOption)
    strikes_on_western_forces: ResponseOption = field(default_factory=ResponseOption)
    nuclear_use_in_ukraine: ResponseOption = field(default_factory=ResponseOption)
    strikes_on_nato: ResponseOption = field(default_factory=ResponseOption)


@dataclass
class Stimuli:
    """What moves Russia to act, in log-odds per unit (see docs/MODEL.md, Russia)."""

    new_measure: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    involvement: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    memory: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    crossing: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    advance: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    incursion: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    domestic_strikes: float = field(default=MISSING, metadata={"bounds": (0.0, None)})


@dataclass
class RussiaDoctrine:
    """Russia's reading of Western involvement, its beliefs and its choice of action."""

    involvement: PerMeasure = field(default_factory=PerMeasure, metadata={"bounds": (0.0, 12.0)})
    responses: Responses = field(default_factory=Responses)
    stimuli: Stimuli = field(default_factory=Stimuli)
    combat_clash_gain: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    rationality: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    resolve_prior: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    prior_strength: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    red_lines_width: float = field(default=MISSING, metadata={"bounds": (0.0, 0.5)})
    measure_evidence: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    nuclear_answer: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    mobilisation: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    response_months: int = field(default=MISSING, metadata={"bounds": (1, None)})


@dataclass
class Doctrine:
    """Doctrine parameters of the actors (France's doctrine is the policy itself)."""

    ukraine: UkraineDoctrine = field(default_factory=UkraineDoctrine)
    nato: NatoDoctrine = field(default_factory=NatoDoctrine)
    russia: RussiaDoctrine = field(default_factory=RussiaDoctrine)


#: Allowed values of ``plots.style`` and ``plots.format``.
PLOT_STYLES = ("default", "slides")
PLOT_FORMATS = ("png", "svg", "pdf")


@dataclass
class Plots:
    """How figures are drawn: ``style=slides`` for a projector, and the file formats to write.

    ``format`` is one format or several separated by commas (``png,svg,pdf``).
    """

    style: str = "default"
    format: str = "png"

    @property
    def formats(self) -> list[str]:
        """The formats as a list, in the order given, without repeats."""
        names = [name.strip().lower() for name in str(self.format).split(",")]
        return list(dict.fromkeys(name for name in names if name))


def validate_plots(plots: Plots) -> None:
    """``plots.style`` is a known style; ``plots.format`` names known formats only."""
    if plots.style not in PLOT_STYLES:
        raise ConfigError(
            f"plots.style: invalid value {plots.style!r}; allowed: {', '.join(PLOT_STYLES)}"
        )
    unknown = [name for name in plots.formats if name not in PLOT_FORMATS]
    if unknown or not plots.formats:
        raise ConfigError(
            f"plots.format: invalid value {plots.format!r}; allowed: one or more of "
            f"{', '.join(PLOT_FORMATS)} separated by commas"
        )


@dataclass
class Settings:
    """Everything one run needs: the root of the configuration."""

    scenario: Scenario = field(default_factory=Scenario)
    policy: Policy = field(default_factory=Policy)
    sim: Sim = field(default_factory=Sim)
    uncertainty: Uncertainties = field(default_factory=Uncertainties)
    doctrine: Doctrine = field(default_factory=Doctrine)
    sweep: Sweep = field(default_factory=Sweep)
    plots: Plots = field(default_factory=Plots)
    seed: int = 20241001


_SIM_BOUNDS = {"replicates": (1, None), "months": (1, None), "narrative_replicate": (0, None)}
#: The last calendar year a run may reach (the calendar of ``pandas.Period``).
LAST_YEAR = 9999
#: Allowed values of ``sim.sampling``: how the uncertainties are drawn (``escalation.sampling``).
SAMPLING_MODES = ("uniform", "sobol")


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore as ``base_config``, and our sweeper.

    Hydra finds the batched sweeper (``hydra/sweeper=batched``) by scanning the
    ``hydra_plugins`` namespace package, which works for a regular install; an editable install
    hides it from that scan, so its config and class are registered here as well (Hydra
    scans its plugins whenever it composes a config, so this costs nothing more).
    """
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    import hydra_plugins.escalation_batched_sweeper.config  # noqa: F401 - registers batched
    from hydra_plugins.escalation_batched_sweeper.batched_sweeper import BatchedSweeper

    Plugins.instance().register(BatchedSweeper)

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
    from escalation.timeline import month_index

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
        from escalation.sampling import check_sobol

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
    from escalation.dates import DateError, resolve_timing_months

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
"""Top-level sections of ``Settings`` that are dataclasses (``seed`` is a plain number)."""


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
