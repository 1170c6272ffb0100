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

from escalation.config import ConfigError, Posture
from escalation.timeline import DRIVEN_EVENTS

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
    of beliefs. Events that are not driven (Russian, joint; not in ``DRIVEN_EVENTS``) are
    ignored here.

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
            france.posture = (
                Posture.ambiguity if event == "posture_ambiguity" else Posture.red_lines
            )
            if hasattr(model, "russia"):
                model.russia.read_posture()
        elif event == "domestic_deep_strikes":
            ukraine.drone_campaign[:] = True
        elif event == "incursion":
            ukraine.incursion_ordered[:] = True


def _members(model: EscalationModel, actor: str) -> list:
    members = list(model.nato.members)
    if actor in COLLECTIVE_ACTORS:
        return members
    named = [member for member in members if member.name == actor]
    if not named:
        names = ", ".join([*COLLECTIVE_ACTORS, *(m.name for m in members)])
        raise ConfigError(f"deep-strike permission by unknown actor {actor!r}; allowed: {names}")
    return named
