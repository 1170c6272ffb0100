"""Replaying dated history: Western and Ukrainian events drive the model on their months.

The ``history`` scenario (``scenario.timeline: shipped``) replays ``escalation/data/timeline.csv``;
``escalation-backtest`` replays a timeline file and scores Russia's simulated moves.

In a replay (``EscalationModel(settings, replay={month: [(actor, event), ...]})``) the policy
levers, the members' stochastic deep-strike decisions and Ukraine's stochastic drone strikes and
incursions are switched off: those actors do what the timeline says, on its months, in every
replicate. Russia, NATO's answers to Russian attacks, clashes, conflict and nuclear use are
simulated, so that what Russia did can be scored against what the model expected
(``escalation-backtest``). Month 1 is ``sim.start``; events of month 1 are in force from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from escalation.config.schema import ConfigError, Doctrine
from escalation.model.actions import RussianAction, has
from escalation.model.measures import MEASURES, weighted_sum
from escalation.timeline import (
    DRIVEN_EVENTS,
    SCORED_EVENTS,
    WITHDRAWALS,
    Timeline,
    month_index,
    replay_events,
)

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel

Events = Mapping[int, Iterable[tuple[str, str]]]
"""Timeline events by month (1-based from ``sim.start``): ``(actor, event)`` pairs."""

COLLECTIVE_ACTORS = ("west", "nato")
"""Actors that stand for every member, e.g. a permission granted by all."""


def apply_events(model: EscalationModel, events: Iterable[tuple[str, str]]) -> None:
    """Put one month's Western and Ukrainian events in force, in every replicate.

    Rules: ``advanced_weapons`` puts advanced weapons in force, and each later one adds a new
    weapon system; a deep-strike permission is the named member's own (``west``/``nato``: every
    member's); ``domestic_deep_strikes`` starts Ukraine's monthly drone campaign; ``incursion``
    starts an incursion; a posture event changes France's declared posture and so Russia's set
    of beliefs; ``<measure>_withdrawn`` takes the measure out of force (model v3). Events that
    are not driven (Russian, joint; not in ``DRIVEN_EVENTS``) are ignored here.

    Raises:
        ConfigError: A deep-strike permission names an actor that is not a member.
    """
    nato, france, ukraine = model.nato, model.france, model.ukraine
    for actor, event in events:
        if event not in DRIVEN_EVENTS:
            continue
        if event == "aid":
            nato.aid[:] = True
        elif event == "advanced_weapons":
            if nato.advanced_weapons.all():
                nato.new_weapons += 1
            nato.advanced_weapons[:] = True
        elif event == "training":
            france.training[:] = True
        elif event == "instructors":
            france.instructors_inside[:] = True
        elif event in ("troops_noncombat", "troops_combat"):
            france.troops[:] = 1 if event == "troops_noncombat" else 2
        elif event in ("deep_strikes_limited", "deep_strikes_authorized"):
            level = 1 if event == "deep_strikes_limited" else 2
            for member in _members(model, actor):
                member.deep_strikes[:] = max(level, int(member.deep_strikes.max()))
        elif event in ("posture_ambiguity", "posture_red_lines"):
            france.ambiguity[:] = event == "posture_ambiguity"
            if hasattr(model, "russia"):
                model.russia.read_posture()
        elif event == "domestic_deep_strikes":
            ukraine.drone_campaign[:] = True
        elif event == "incursion":
            ukraine.incursion_ordered[:] = True
        elif event in WITHDRAWALS:
            _withdraw(model, actor, event.removesuffix("_withdrawn"))


def _withdraw(model: EscalationModel, actor: str, measure: str) -> None:
    """Take a measure out of force in every replicate (a deep-strike permission: the actor's)."""
    nato, france = model.nato, model.france
    if measure == "aid":
        nato.aid[:] = False
    elif measure == "advanced_weapons":
        nato.advanced_weapons[:] = False
        nato.new_weapons[:] = 0
    elif measure == "training":
        france.training[:] = False
    elif measure == "instructors":
        france.instructors_inside[:] = False
    elif measure == "troops":
        france.troops[:] = 0
    else:
        for member in _members(model, actor):
            member.deep_strikes[:] = 0


def _members(model: EscalationModel, actor: str) -> list:
    members = list(model.nato.members)
    if actor in COLLECTIVE_ACTORS:
        return members
    named = [member for member in members if member.name == actor]
    if not named:
        names = ", ".join([*COLLECTIVE_ACTORS, *(m.name for m in members)])
        raise ConfigError(f"deep-strike permission by unknown actor {actor!r}; allowed: {names}")
    return named


def recorded_involvement(events: Iterable[tuple[str, str]], doctrine: Doctrine) -> np.ndarray:
    """Involvement Russia reads in a record's Western events, counted as ``apply_events`` does.

    Rules: as in ``apply_events`` (the first ``advanced_weapons`` puts advanced weapons in force,
    each later one adds a new weapon system; a deep-strike permission is the named member's,
    ``west``/``nato`` every member's), weighted by ``doctrine.russia.involvement`` and, for the
    deep-strike measures, by the members' ``strike_share``. Members the doctrine does not list
    hold no share and are skipped.
    """
    members = doctrine.nato.members
    levels = dict.fromkeys(MEASURES, 0.0)
    permission: dict[str, int] = dict.fromkeys(members, 0)
    for actor, event in events:
        if event in ("aid", "training", "instructors"):
            levels[event] = 1.0
        elif event == "advanced_weapons":
            if levels["advanced_weapons"]:
                levels["new_weapons"] += 1.0
            levels["advanced_weapons"] = 1.0
        elif event in ("troops_noncombat", "troops_combat"):
            levels["troops_noncombat"] = float(event == "troops_noncombat")
            levels["troops_combat"] = float(event == "troops_combat")
        elif event in ("deep_strikes_limited", "deep_strikes_authorized"):
            level = 1 if event == "deep_strikes_limited" else 2
            for name in members if actor in COLLECTIVE_ACTORS else [actor]:
                if name in permission:
                    permission[name] = max(level, permission[name])
        elif event == "deep_strikes_withdrawn":
            for name in members if actor in COLLECTIVE_ACTORS else [actor]:
                if name in permission:
                    permission[name] = 0
        elif event == "troops_withdrawn":
            levels["troops_noncombat"] = levels["troops_combat"] = 0.0
        elif event == "advanced_weapons_withdrawn":
            levels["advanced_weapons"] = levels["new_weapons"] = 0.0
        elif event in WITHDRAWALS:
            levels[event.removesuffix("_withdrawn")] = 0.0
    for measure, level in (("deep_strikes_limited", 1), ("deep_strikes_authorized", 2)):
        levels[measure] = sum(
            member.strike_share for name, member in members.items() if permission[name] == level
        )
    return weighted_sum(doctrine.russia.involvement, levels)


def involvement_added_before(
    timeline: Timeline, start: str, doctrine: Doctrine
) -> np.ndarray | float:
    """Involvement the record adds from the war's first month to ``start``: 0 if none.

    Rule: the record's involvement in force at ``start`` (its events up to that month, as a
    replay from ``start`` puts them in force in month 1) minus that in force in its first month,
    when the war began (the shipped timeline: February 2022). Article: "From the outset of the
    conflict, Russian officials have portrayed the war as a proxy battle between Russia and
    NATO".
    """
    first = month_index(timeline.first_month)
    if month_index(start) <= first:
        return 0.0
    until_start = replay_events(timeline, until=start)
    at_war_start = replay_events(timeline, until=timeline.first_month)
    added = recorded_involvement(
        [event for month in sorted(until_start) for event in until_start[month]], doctrine
    ) - recorded_involvement(at_war_start.get(1, ()), doctrine)
    return np.maximum(added, 0.0)


JEFFREYS = 0.5
"""Pseudo-events of the Jeffreys prior behind every rate fitted to the record."""


def permission_hazards(
    timeline: Timeline, until: str, members: Iterable[str]
) -> dict[str, tuple[float, float]]:
    """Each member's monthly hazard of granting limited / deep strikes, fitted to the record.

    Rule: for each level, (grants + 1/2) / (months at risk + 1), the Jeffreys posterior mean of
    a monthly hazard: a member is at risk from the record's first month to the month it granted
    that level (or any higher one), or to ``until`` if it never did; ``west``/``nato`` grant for
    every member. Only events up to ``until`` count (the shipped record: US, Germany and France
    limited strikes in May 2024, the 28th month of 32; no strikes deep into Russia).
    """
    first = month_index(timeline.first_month)
    last = month_index(until)
    granted: dict[str, list[int | None]] = {name: [None, None] for name in members}
    for event in timeline.events:
        index = month_index(event.month)
        if index > last or event.event not in ("deep_strikes_limited", "deep_strikes_authorized"):
            continue
        level = 1 if event.event == "deep_strikes_limited" else 2
        names = granted if event.actor in COLLECTIVE_ACTORS else [event.actor]
        for name in names:
            if name in granted:
                for lower in range(level):
                    if granted[name][lower] is None:
                        granted[name][lower] = index
    hazards = {}
    for name, months in granted.items():
        rates = []
        for month in months:
            at_risk = (month if month is not None else last) - first + 1
            grants = 0 if month is None else 1
            rates.append((grants + JEFFREYS) / (max(at_risk, 0) + 2 * JEFFREYS))
        hazards[name] = (rates[0], rates[1])
    return hazards


#: Scored classes read off Russia's monthly actions (a bit mask; one month may hold several).
ACTION_CLASSES = {
    "nuclear_signalling": RussianAction.NUCLEAR_SIGNALLING,
    "hybrid_attacks": RussianAction.HYBRID_ATTACKS,
    "strikes_on_western_forces": RussianAction.STRIKES_ON_WESTERN_FORCES,
    "strikes_on_nato": RussianAction.STRIKES_ON_NATO,
    "nuclear_use": RussianAction.NUCLEAR_USE_IN_UKRAINE,
}
OCCURRENCE_COLUMNS = (
    "russian_action",
    "nuclear_use",
    "direct_conflict",
    "nato_military_response",
    "article5_response",
)
"""The monthly records ``scored_occurrences`` reads."""


def scored_occurrences(record: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per scored class, a (months, replicates) boolean array: did it occur that month.

    Rules (the back-test's and the calibration's, as the timeline records each class): Russia's
    action for ``nuclear_signalling``, ``hybrid_attacks``, ``strikes_on_western_forces`` and
    ``strikes_on_nato``; nuclear use in Ukraine or a first nuclear use (the record is cumulative)
    for ``nuclear_use``; NATO-Russia war for ``direct_conflict``; a NATO military answer below
    Article 5 or under it for ``nato_military_response``.

    Args:
        record: ``EscalationModel.record()`` or the same (months, replicates) arrays:
            ``OCCURRENCE_COLUMNS``, ``russian_action`` as action bit masks.
    """
    action = np.asarray(record["russian_action"])
    occurs = {name: has(action, code) for name, code in ACTION_CLASSES.items()}
    used = np.asarray(record["nuclear_use"]).astype(bool)
    first_use = used.copy()
    first_use[1:] &= ~used[:-1]
    occurs["nuclear_use"] = occurs["nuclear_use"] | first_use
    occurs["direct_conflict"] = np.asarray(record["direct_conflict"]).astype(bool)
    occurs["nato_military_response"] = np.asarray(record["nato_military_response"]).astype(
        bool
    ) | np.asarray(record["article5_response"]).astype(bool)
    return {name: occurs[name] for name in SCORED_EVENTS}
