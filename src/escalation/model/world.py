"""The escalation model: a Mesa model whose agents advance all replicates together.

Every state variable is a numpy array with one entry per Monte Carlo replicate, so a month of
1,000 worlds is a handful of array operations; a single world is a batch of one. All randomness
comes from ``self.rng`` (Mesa's numpy generator).
"""

from __future__ import annotations

import functools
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from escalation.config.sampling import draw_parameters, with_doctrine_values
from escalation.config.schema import ConfigError, Policy, Settings, uncertainty_names
from escalation.ladder import Rung
from escalation.model.actions import ACTION_NAMES, RussianAction, has
from escalation.model.levers import policy_levers
from escalation.model.measures import levels_in_force, western_rung
from escalation.model.replay import (
    Events,
    apply_events,
    involvement_added_before,
    permission_hazards,
)
from escalation.model.russia import Russia
from escalation.model.ukraine import Ukraine
from escalation.model.west import CLASH, NO_CONFLICT, WAR, France, Nato, NatoMember
from escalation.timeline import (
    Timeline,
    TimelineError,
    load_timeline,
    month_index,
    month_name,
    replay_events,
)

# Object arrays: indexing them shares one string per label instead of making one per row.
DEEP_STRIKE_NAMES = np.array(["prohibited", "limited", "authorized"], dtype=object)
TROOP_NAMES = np.array(["none", "noncombat", "combat"], dtype=object)
SEED_FROM_SETTINGS = object()


class EscalationModel(mesa.Model):
    """Ukraine, France and the other NATO members, and Russia, over ``sim.months`` months.

    Args:
        settings: A validated configuration (``escalation.config.scenarios.load_settings``);
            ``escalation.ScenarioModel(scenario=..., **params)`` composes it for you, as
            ``mesa.batch_run`` needs.
        rng: Seed or generator for the model's randomness. Omitted: ``settings.seed``; None:
            fresh entropy, as in ``mesa.Model`` (``mesa.batch_run(..., rng=[None] * 20)`` gives
            20 independent runs).
        replay: Dated Western and Ukrainian events by month (1 = ``sim.start``) that drive
            those actors instead of the policy levers (``escalation.model.replay``).
        uncertainties: Fixed values per replicate for some uncertain parameters (assumptions
            or doctrine priors): by name, an array of one value per replicate (of every world)
            used instead of the drawn ones (NaN keeps the drawn value; the others are still
            drawn, and the generator draws as it would without them), so that one batch can
            hold many design points (``escalation.simulate_many``).
        policies: Several policies side by side, one *world* each (``escalation.model.levers``):
            the model holds ``len(policies) x sim.replicates`` replicates, world ``k`` the
            replicates ``k * sim.replicates`` onwards. None: the one policy of ``settings``.
        common_random_numbers: Whether every world draws the same random numbers and parameter
            values, so that world ``k`` equals the run of ``policies[k]`` alone with the same
            seed (the sweeps' paired comparisons); False: the worlds' replicates draw as one
            batch, independent of each other (a design of experiments, ``simulate_many``).

    Raises:
        ConfigError: An ``rng`` numpy cannot seed from, malformed ``uncertainties``, or
            ``policies`` that differ in their new weapon systems.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        rng: Any = SEED_FROM_SETTINGS,
        replay: Events | None = None,
        uncertainties: Mapping[str, np.ndarray] | None = None,
        policies: Sequence[Policy] | None = None,
        common_random_numbers: bool = True,
        **params: Any,
    ):
        if settings is None or params:
            raise TypeError(
                f"EscalationModel takes validated settings, not {sorted(params) or 'nothing'}; "
                "escalation.ScenarioModel(scenario=..., **params) composes them from a scenario"
            )
        super().__init__(rng=settings.seed if rng is SEED_FROM_SETTINGS else _checked_rng(rng))
        self.settings = settings
        self.world_replicates = settings.sim.replicates
        self.worlds = 1 if policies is None else len(policies)
        self.replicates = self.worlds * self.world_replicates
        # replicates a draw is made for: one world's, repeated for every world (``_tiled``)
        self.drawn_replicates = self.world_replicates if common_random_numbers else self.replicates
        self.levers = policy_levers(
            [settings.policy] if policies is None else policies, self.world_replicates
        )
        self.months = settings.sim.months
        self.month = 0
        self.draw, self.parameters = self._draw_parameters(uncertainties or {})
        self.uncertain = {name: self.parameters[name] for name in uncertainty_names()}
        self.doctrine = with_doctrine_values(
            settings.doctrine,
            {prior.key: self.parameters[name] for name, prior in settings.prior.items()},
        )
        record = _war_record(settings) if replay is None else _shipped_timeline()
        # A forward run first replays the record from the war's first month to ``sim.start``
        # (the warm-up), so Russia's reference is the war's start, never the levers, and the
        # forward run carries the replay's end state: beliefs, pressure, incursions.
        self.involvement_before_start = 0.0
        warm_up: dict[int, list[tuple[str, str]]] = {}
        warm_up_months = 0
        before_start = month_name(month_index(settings.sim.start) - 1)
        if replay is None and settings.scenario.timeline is not None:
            # Russia's proxy-war grievance counts what the record adds from the war's start to
            # ``sim.start`` (none in a replay from the timeline's first month, as the back-test's).
            self.involvement_before_start = involvement_added_before(
                record, settings.sim.start, self.doctrine
            )
            replay = replay_events(record, start=settings.sim.start)
        elif replay is None:
            warm_up_months = month_index(settings.sim.start) - month_index(record.first_month)
            if warm_up_months > 0:
                warm_up = replay_events(record, until=before_start)
        self.warm_up_months = max(warm_up_months, 0)
        self.replay = {int(month): list(events) for month, events in (replay or {}).items()}
        self.replaying = replay is not None or self.warm_up_months > 0
        self.permission_hazards = permission_hazards(
            record, max(before_start, record.first_month), self.doctrine.nato.members
        )
        self.conflict = np.zeros(self.replicates, dtype=np.int8)
        self.war_months = np.zeros(self.replicates, dtype=np.int32)
        self.nuclear_use_in_ukraine = np.zeros(self.replicates, dtype=bool)
        self.nuclear_use_on_nato = np.zeros(self.replicates, dtype=bool)
        self.ukraine = Ukraine(self)
        members = []
        for name, member in self.doctrine.nato.members.items():
            kind = France if name == "france" else NatoMember
            members.append(kind(self, name, member))
        self.france = next(m for m in members if isinstance(m, France))
        self.nato = Nato(self, members)
        # What the record has in force in its first month is Russia's reference.
        apply_events(self, (warm_up if self.warm_up_months else self.replay).get(1, ()))
        self.russia = Russia(self)
        if self.warm_up_months:
            self._warm_up(warm_up)
        self._trajectory = {
            name: np.zeros((self.months, self.replicates), dtype=dtype)
            for name, dtype in _TRAJECTORY_DTYPES.items()
        }
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "escalation_level": lambda m: float(m.level.mean()),
                "ukraine_position": lambda m: float(m.ukraine.position.mean()),
                "direct_conflict": lambda m: float(m.direct_conflict.mean()),
            }
        )
        self.level = self._level(levels_in_force(self))

    def _draw_parameters(
        self, fixed: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Draw the uncertain parameters per draw (``escalation.config.sampling``).

        Args:
            fixed: Values per replicate that replace the drawn ones, by name.

        Returns:
            The draw of each replicate and each parameter's value per replicate.

        Raises:
            ConfigError: Not a mapping, an unknown name, values that are not numbers, or an
                array of the wrong shape.
        """
        if not isinstance(fixed, Mapping):
            raise ConfigError(
                f"uncertainties={reprlib.repr(fixed)}: give a mapping of parameter names to "
                f"arrays of {self.replicates} values"
            )
        draw, drawn = draw_parameters(self.settings, self.rng, self.drawn_replicates)
        draw = self._tiled(draw)
        drawn = {name: self._tiled(values) for name, values in drawn.items()}
        for name, given in fixed.items():
            if name not in drawn:
                raise ConfigError(f"unknown parameter {name!r}; allowed: {', '.join(drawn)}")
            try:
                values = np.asarray(given, dtype=float)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"uncertainties[{name!r}]: give numbers, one per replicate ({self.replicates})"
                ) from None
            if values.shape != (self.replicates,):
                raise ConfigError(
                    f"uncertainties[{name!r}] has shape {values.shape}; give one value per "
                    f"replicate, shape ({self.replicates},)"
                )
            drawn[name] = np.where(np.isnan(values), drawn[name], values)
        return draw, drawn

    def _tiled(self, values: np.ndarray) -> np.ndarray:
        """Values drawn for ``drawn_replicates`` (last axis), repeated to every replicate."""
        copies = self.replicates // self.drawn_replicates
        if copies == 1:
            return values
        return np.tile(values, (1,) * (values.ndim - 1) + (copies,))

    def uniform(self, rows: int | None = None) -> np.ndarray:
        """Uniform draws in [0, 1), one per replicate (``rows`` of them).

        Every random number of a month is drawn here or in ``standard_normal``, from
        ``self.rng``, whatever the state. With common random numbers they are drawn for one
        world's replicates and serve every world, so a world of a many-policy run draws what
        the run of its policy alone draws.
        """
        shape = (self.drawn_replicates,) if rows is None else (rows, self.drawn_replicates)
        return self._tiled(self.rng.random(shape))

    def standard_normal(self) -> np.ndarray:
        """Standard normal draws, one per replicate (see ``uniform``)."""
        return self._tiled(self.rng.standard_normal(self.drawn_replicates))

    @property
    def direct_conflict(self) -> np.ndarray:
        """Whether NATO and Russia are in direct conflict this month."""
        return self.conflict == WAR

    @property
    def nuclear_use(self) -> np.ndarray:
        """Whether nuclear weapons have been used, in Ukraine or against NATO."""
        return self.nuclear_use_in_ukraine | self.nuclear_use_on_nato

    def _level(self, levels: dict[str, np.ndarray]) -> np.ndarray:
        """Escalation level = the highest rung in force (Western, Russian, conflict, nuclear)."""
        level = np.maximum(western_rung(levels), self.russia.rung_in_force)
        level = np.where(self.conflict == CLASH, np.maximum(level, Rung.CONTAINED_CLASH), level)
        level = np.where(self.conflict == WAR, Rung.DIRECT_CONFLICT, level)
        level = np.where(self.nuclear_use_in_ukraine, Rung.NUCLEAR_USE_IN_UKRAINE, level)
        return np.where(self.nuclear_use_on_nato, Rung.NUCLEAR_USE, level).astype(np.int8)

    def _warm_up(self, events: dict[int, list[tuple[str, str]]]) -> None:
        """Replay the record up to ``sim.start``, then hand over to the policy levers.

        Rules: the record's Western and Ukrainian events drive those actors month by month
        (``escalation.model.replay``) while Russia and NATO's answers are simulated, as in the
        ``history`` scenario; months are numbered up to 0 (month 1 is ``sim.start``). At
        ``sim.start`` the front is set to the record's (``ukraine.position_start``: the replay
        does not reproduce the 2022 counter-offensives), clashes, war and nuclear use are set to
        none (the record had none), France declares the policy's posture if it differs from the
        record's (Russia's set of beliefs re-shapes, ``Russia.read_posture``), and everything else
        carries over: Russia's beliefs, red-line state and mobilisation, the West's belief, the
        measures in force (systems, permissions), an incursion under way (Kursk, August 2024).
        """
        for month in range(1, self.warm_up_months + 1):
            self.month = month - self.warm_up_months
            if month > 1:
                apply_events(self, events.get(month, ()))
            self._advance()
        self.month = 0
        self.replaying = False
        self.nato.recorded_weapons[:] = self.nato.new_weapons
        self.nato.belief_at_start = self.nato.west_belief.copy()
        self.ukraine.set_front(self.doctrine.ukraine.position_start)
        self.conflict[:] = NO_CONFLICT
        self.war_months[:] = 0
        self.nuclear_use_in_ukraine[:] = False
        self.nuclear_use_on_nato[:] = False
        changed = self.france.ambiguity != self.levers.ambiguity
        self.france.ambiguity[:] = self.levers.ambiguity
        if changed.any():
            self.russia.read_posture(None if changed.all() else changed)
        else:
            self.russia.ceiling = self.france.ceiling()  # the policy's, no longer the record's

    def _advance(self) -> None:
        """One month of the actors: Ukraine, the NATO members (France first), NATO, Russia."""
        self.ukraine.step()
        self.nato.members.do("step")
        self.nato.step()
        self.russia.step()

    def step(self) -> None:
        """Advance one month: Ukraine, the NATO members (France first), NATO, Russia; record.

        Raises:
            ValueError: All ``sim.months`` months are simulated already.
        """
        if self.month >= self.months:
            raise ValueError(
                f"the run is over: all {self.months} months are simulated; build a new model to "
                "run again"
            )
        self.month += 1
        if self.month > 1:
            apply_events(self, self.replay.get(self.month, ()))
        self._advance()
        levels = levels_in_force(self)
        self.level = self._level(levels)
        self._record(levels)
        self.datacollector.collect(self)
        self.running = self.month < self.months

    def run(self) -> EscalationModel:
        """Run all months; return the model for chaining."""
        while self.running:
            self.step()
        return self

    def _record(self, levels: dict[str, np.ndarray]) -> None:
        """Copy this month's state into the preallocated (months, replicates) arrays."""
        row = self.month - 1
        traj = self._trajectory
        nato, france, russia, ukraine = self.nato, self.france, self.russia, self.ukraine
        deep = np.zeros(self.replicates, dtype=np.int8)
        for member in nato.members:
            np.maximum(deep, member.deep_strikes, out=deep)
        values = {
            "rung": self.level,
            "position": ukraine.position,
            "western_rung": western_rung(levels),
            "aid": nato.aid,
            "advanced_weapons": nato.advanced_weapons,
            "new_weapons": nato.new_weapons,
            "training": france.training,
            "instructors_inside": france.instructors_inside,
            "deep_strikes": deep,
            "deep_strikes_share": levels["deep_strikes_limited"]
            + levels["deep_strikes_authorized"],
            "troops": france.troops,
            "domestic_strikes": ukraine.domestic_strikes,
            "incursion": ukraine.incursion,
            "involvement": russia.involvement,
            "perceived_involvement": russia.perceived_involvement,
            "red_line_crossed": russia.red_line_crossed,
            "above_red_line": russia.crossed,
            "russian_action": russia.action,
            "retaliation": russia.retaliation,
            "spillover": nato.spillover,
            "lethal_engagement": nato.lethal | self.direct_conflict,
            "nato_military_response": nato.military_response,
            "law_enforcement_response": nato.law_enforcement_response,
            "article5_response": nato.article5_response,
            "contained_clash": self.conflict == CLASH,
            "direct_conflict": self.direct_conflict,
            "nuclear_use_in_ukraine": self.nuclear_use_in_ukraine,
            "nuclear_use": self.nuclear_use,
            "west_belief": nato.west_belief,
            "russia_belief": russia.resolve_belief,
            "russia_belief_low": russia.beliefs.low,
            "russia_belief_high": russia.beliefs.high,
        }
        for name, value in values.items():
            traj[name][row] = value

    def _world(self, world: int | None) -> slice:
        """The replicates of one world (all of them for None).

        Raises:
            ValueError: No such world.
        """
        if world is None:
            return slice(None)
        if not 0 <= world < self.worlds:
            raise ValueError(f"world={world!r}: this model has worlds 0 to {self.worlds - 1}")
        return slice(world * self.world_replicates, (world + 1) * self.world_replicates)

    def outcomes(self, world: int | None = None) -> pd.DataFrame:
        """One row per replicate: its draw and drawn parameters, then its outcomes.

        With ``world``, that world's replicates only, numbered from 0 as in the run of its
        policy alone (of a many-policy model, ``policies``).

        ``russian_retaliation`` means Russia decided to retaliate for a crossed red line (its own
        option, open only while a line it enforces is crossed; the baseline hybrid campaign is
        not retaliation). ``contained_clash`` means any NATO-Russia military clash (contained or
        not); ``direct_conflict`` means NATO-Russia war; ``lethal_engagement`` a deadly exchange
        between NATO and Russian forces (a lethal clash, a Russian strike on Western forces or on
        NATO territory, or war), comparable with the public forecasting questions on "direct
        conflict"; ``spillover_incidents`` counts stray missiles and drones on NATO territory;
        ``signalling_months`` counts the months of Russian nuclear signalling. Months count from
        1; ``months_to_*`` is NaN when it never happened.
        """
        done, mine = self.month, self._world(world)
        traj = {name: values[:done, mine] for name, values in self._trajectory.items()}
        action = traj["russian_action"]
        replicates = traj["rung"].shape[1]
        columns: dict[str, np.ndarray] = {"replicate": np.arange(replicates)}
        columns["draw"] = self.draw[mine]
        columns.update({name: values[mine] for name, values in self.parameters.items()})
        columns["max_rung"] = traj["rung"].max(axis=0)
        columns["final_rung"] = traj["rung"][-1]
        columns["direct_conflict"] = traj["direct_conflict"].any(axis=0)
        columns["nuclear_use"] = traj["nuclear_use"].any(axis=0)
        columns["russian_retaliation"] = traj["retaliation"].any(axis=0)
        columns["months_to_retaliation"] = _first_month(traj["retaliation"])
        columns["ukraine_position_final"] = traj["position"][-1]
        signalling = has(action, RussianAction.NUCLEAR_SIGNALLING)
        columns["nuclear_signalling"] = signalling.any(axis=0)
        columns["red_lines_crossed"] = traj["red_line_crossed"].sum(axis=0)
        columns["months_to_direct_conflict"] = _first_month(traj["direct_conflict"])
        columns["escalation_score"] = traj["rung"].sum(axis=0, dtype=np.int64)
        columns["contained_clash"] = (traj["contained_clash"] | traj["direct_conflict"]).any(axis=0)
        columns["nuclear_use_in_ukraine"] = traj["nuclear_use_in_ukraine"].any(axis=0)
        columns["hybrid_attacks"] = has(action, RussianAction.HYBRID_ATTACKS).any(axis=0)
        columns["strikes_on_nato"] = has(action, RussianAction.STRIKES_ON_NATO).any(axis=0)
        columns["signalling_months"] = signalling.sum(axis=0)
        columns["lethal_engagement"] = traj["lethal_engagement"].any(axis=0)
        columns["spillover_incidents"] = traj["spillover"].sum(axis=0)
        return pd.DataFrame(columns)

    def record(self) -> dict[str, np.ndarray]:
        """The months simulated so far: one (months, replicates) array per trajectory column.

        Codes, not names (``russian_action`` is a bit mask, ``escalation.model.actions``);
        ``trajectories`` gives the same as a long table.
        """
        return {name: values[: self.month] for name, values in self._trajectory.items()}

    def trajectories(self, world: int | None = None) -> pd.DataFrame:
        """The per-month trajectories, one row per (replicate, month); see docs/MODEL.md §8.

        With ``world``, that world's replicates only, numbered from 0 (see ``outcomes``).
        """
        done, mine = self.month, self._world(world)
        replicates = self._trajectory["rung"][:, mine].shape[1]
        dates = pd.period_range(self.settings.sim.start, periods=done, freq="M").strftime("%Y-%m")
        columns: dict[str, Any] = {
            "replicate": np.repeat(np.arange(replicates), done),
            "month": np.tile(np.arange(1, done + 1), replicates),
            "date": np.tile(np.asarray(dates), replicates),
        }
        for name, values in self._trajectory.items():
            flat = values[:done, mine].T.ravel()
            if name == "deep_strikes":
                flat = DEEP_STRIKE_NAMES[flat]
            elif name == "troops":
                flat = TROOP_NAMES[flat]
            elif name == "russian_action":
                flat = ACTION_NAMES[flat]
            columns[name] = flat
        return pd.DataFrame(columns)


def _war_record(settings: Settings) -> Timeline:
    """The dated record of the war: the scenario's timeline if it has one, else the shipped one.

    Raises:
        ConfigError: The scenario's timeline cannot be read or is invalid.
    """
    source = settings.scenario.timeline
    if source is None or source == "shipped":
        return _shipped_timeline()
    try:
        return load_timeline(source)
    except TimelineError as error:
        raise ConfigError(f"scenario.timeline: {error}") from None


@functools.cache
def _shipped_timeline() -> Timeline:
    """The shipped timeline, read and validated once per process."""
    return load_timeline()


def _checked_rng(rng: Any) -> Any:
    """``rng`` is what ``numpy.random.default_rng`` takes (None, seeds >= 0, a generator).

    Raises:
        ConfigError: Names the value given and what is allowed.
    """
    try:
        np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise ConfigError(
            f"rng={reprlib.repr(rng)}: give None (fresh entropy), a seed (a whole number >= 0 "
            "or a list of them), or a numpy Generator, SeedSequence or BitGenerator"
        ) from None
    return rng


def _first_month(events: np.ndarray) -> np.ndarray:
    """First month (1-based) in which an event happened per replicate; NaN if never."""
    happened = events.any(axis=0)
    return np.where(happened, events.argmax(axis=0) + 1.0, np.nan)


_TRAJECTORY_DTYPES = {
    "rung": np.int8,
    "position": np.float64,
    "western_rung": np.int8,
    "aid": bool,
    "advanced_weapons": bool,
    "new_weapons": np.int16,
    "training": bool,
    "instructors_inside": bool,
    "deep_strikes": np.int8,
    "deep_strikes_share": np.float64,
    "troops": np.int8,
    "domestic_strikes": bool,
    "incursion": bool,
    "involvement": np.float64,
    "perceived_involvement": np.float64,
    "red_line_crossed": bool,
    "above_red_line": bool,
    "russian_action": np.int16,
    "retaliation": bool,
    "spillover": bool,
    "lethal_engagement": bool,
    "nato_military_response": bool,
    "law_enforcement_response": bool,
    "article5_response": bool,
    "contained_clash": bool,
    "direct_conflict": bool,
    "nuclear_use_in_ukraine": bool,
    "nuclear_use": bool,
    "west_belief": np.float64,
    "russia_belief": np.float64,
    "russia_belief_low": np.float64,
    "russia_belief_high": np.float64,
}
