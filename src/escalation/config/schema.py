"""Structured configuration: the typed schema Hydra validates against.

The dataclasses below are registered with Hydra's ConfigStore as ``base_config``; the YAML files in
``conf/`` fill them in. Hydra rejects unknown keys and wrong types while composing; the range
checks (``escalation.config.validation.validate``) reject what types cannot express. Each field's
``bounds`` metadata states its allowed range.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import MISSING


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
    date into its number (``escalation.config.dates``), so validated settings always hold a number.
    ``until`` (a month number or date, null: never) withdraws the measure from that month on,
    whether the policy or the record put it in force (model v3: measures can be withdrawn).
    """

    month: Any = 1
    position_below: float | None = None
    until: Any = None


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
    """The policy levers and the measures below them.

    Attributes:
        new_weapons: Months (numbers) in which a new Western weapon system arrives, each adding
            its battlefield effect and its involvement as Russia reads it (the history replay
            fills it in; ``[]``: none).
    """

    instructors: Instructors = Instructors.outside
    troops: Troops = Troops.none
    deep_strikes: DeepStrikes = DeepStrikes.limited
    posture: Posture = Posture.ambiguity
    aid: bool = True
    advanced_weapons: bool = True
    new_weapons: list[int] = field(default_factory=list)
    timing: PolicyTiming = field(default_factory=PolicyTiming)


@dataclass
class Sim:
    """Run length, batch size and outputs.

    Attributes:
        tables: The format of the outcomes and trajectories tables (``TABLE_FORMATS``): ``csv``
            for spreadsheets, ``parquet`` for pandas, DuckDB or Polars (``escalation.run.tables``).
    """

    replicates: int = 1000
    months: int = 36
    start: str = "2024-10"
    narrative_replicate: int | None = None
    figures: bool = True
    sampling: str = "uniform"
    trajectories: bool = True
    tables: str = "csv"
    parameters: str = "posterior"
    draws: int = 100
    posterior: str = "shipped"
    workers: int = 0


@dataclass
class Sweep:
    """A preset sweep (``escalation -m sweep=NAME``) and what each of its jobs writes.

    ``baseline`` is the policy every job is compared with in ``differences.csv``: null for the
    first job, a job number, or the swept values of one job (``{policy.troops:none}``); typed
    ``Any`` so that Hydra takes a number or a mapping (``escalation.sweep.differences``).

    Attributes:
        name: The preset's name (``policy_grid``); empty outside a preset sweep.
        description: What the preset sweeps, in one line.
        job_figures: Whether each job of a sweep draws its run figures too (the sweep's own
            figures are always drawn).
        job_trajectories: Whether each job of a sweep writes ``trajectories.csv`` too.
        baseline: The policy ``differences.csv`` compares every job with: null (the first job),
            a job number, or one job's swept values (``'sweep.baseline={policy.troops:none}'``).
    """

    name: str = ""
    description: str = ""
    job_figures: bool = False
    job_trajectories: bool = False
    baseline: Any = None


@dataclass
class Scenario:
    """A named scenario: what it represents and the passages it rests on.

    ``timeline``, when set (``shipped`` or a CSV path), replays its dated Western and Ukrainian
    events instead of the policy's measures (``escalation.model.replay``).

    Attributes:
        timeline: Null for a forward scenario; ``shipped`` (``src/escalation/data/timeline.csv``)
            or the path of a CSV timeline replays its dated events instead of the policy.
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
class Prior:
    """A doctrine constant drawn from a uniform prior: its doctrine ``key`` and ``[low, high]``."""

    key: str = MISSING
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
    nato_cohesion: Any = field(default_factory=Range, metadata={"bounds": (0.0, 10.0)})
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
    spillover: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})


@dataclass
class Conflict:
    """How a NATO-Russia clash grows into war, and how both end."""

    clash_escalation: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    clash_end: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    article5_war: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    war_end: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    war_escalation: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    lethal_clash: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})


@dataclass
class NatoDoctrine:
    """NATO's member governments, their answers to Russian attacks and the course of a clash."""

    members: dict[str, Member] = field(default_factory=dict)
    request_boost: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    belief_prior: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    learning_rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    kinetic_share: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    response_weight: ResponseWeights = field(default_factory=ResponseWeights)
    targets: dict[str, float] = field(default_factory=dict)
    spillover_rate: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    spillover_lethal: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
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
    retaliation: ResponseOption = field(default_factory=ResponseOption)
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
    spillover_evidence: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    nuclear_answer: float = field(default=MISSING, metadata={"bounds": (0.0, 1.0)})
    mobilisation: float = field(default=MISSING, metadata={"bounds": (0.0, None)})
    response_months: int = field(default=MISSING, metadata={"bounds": (1, None)})


@dataclass
class Doctrine:
    """Doctrine parameters of the actors (France's doctrine is the policy itself)."""

    ukraine: UkraineDoctrine = field(default_factory=UkraineDoctrine)
    nato: NatoDoctrine = field(default_factory=NatoDoctrine)
    russia: RussiaDoctrine = field(default_factory=RussiaDoctrine)


#: Allowed values of ``sim.tables``: the format of a run's and a sweep's outcomes and
#: trajectories tables, each its file suffix (``outcomes.csv``, ``outcomes.parquet``).
TABLE_FORMATS = ("csv", "parquet")
#: How to get what ``sim.tables=parquet`` needs (pyarrow).
PARQUET_HINT = "install the parquet extra: pip install -e '.[parquet]'"


def validate_tables(tables: str) -> None:
    """``sim.tables`` is a known format; ``parquet`` only with pyarrow installed.

    Raises:
        ConfigError: One line naming the key and the allowed values, or the extra to install.
    """
    if tables not in TABLE_FORMATS:
        raise ConfigError(
            f"sim.tables: invalid value {tables!r}; allowed: {', '.join(TABLE_FORMATS)}"
        )
    if tables == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise ConfigError(f"sim.tables=parquet needs pyarrow: {PARQUET_HINT}")


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
    prior: dict[str, Prior] = field(default_factory=dict)
    sweep: Sweep = field(default_factory=Sweep)
    plots: Plots = field(default_factory=Plots)
    seed: int = 20241001


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore as ``base_config``, and our sweeper.

    Hydra finds the batched sweeper (``hydra/sweeper=batched``) by scanning the
    ``hydra_plugins`` namespace package, which works for a regular install; an editable install
    hides it from that scan, so its config and class are registered here as well (Hydra
    scans its plugins whenever it composes a config, so this costs nothing more).
    """
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    # Hydra's sweeper machinery (0.1 s) is needed only to compose, not to read results.
    import hydra_plugins.escalation_batched_sweeper.config  # noqa: F401 - registers batched
    from hydra_plugins.escalation_batched_sweeper.batched_sweeper import BatchedSweeper

    Plugins.instance().register(BatchedSweeper)

    ConfigStore.instance().store(name="base_config", node=Settings)


"""Top-level sections of ``Settings`` that are dataclasses (``seed`` is a plain number)."""


def lever_names() -> list[str]:
    """Names of the four policy levers."""
    return list(LEVERS)


def uncertainty_names() -> list[str]:
    """Names of the sampled uncertainties, in schema order."""
    return [f.name for f in dataclasses.fields(Uncertainties)]
