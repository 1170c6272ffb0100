"""The story's words: what each Russian action, posture, measure and assumption is called.

The vocabulary ``escalation.run.narrative.story`` tells a replicate's story with, and the landmarks
of Russia's involvement scale that place a red line in words (``red_line_words``): the status quo
is the record's state at the end of the shipped timeline (September 2024), counted as the model
counts it (``escalation.model.replay.recorded_involvement``). The classroom and report pages name
postures and red lines with the same words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from escalation.model.replay import recorded_involvement
from escalation.run.figure_data import month_label

if TYPE_CHECKING:
    from escalation.config.schema import Doctrine

RUSSIAN_ACTIONS: dict[str, str] = {
    "nuclear_signalling": "Russia engages in nuclear signalling.",
    "hybrid_attacks": "Russia's hybrid campaign against NATO members continues.",
    "retaliation": "Russia retaliates for the crossed red line with an attack on a frontline "
    "NATO member.",
    "strikes_on_western_forces": "Russia strikes Western forces in Ukraine.",
    "strikes_on_nato": "Russia strikes NATO territory.",
    "nuclear_use_in_ukraine": "Russia uses a nuclear weapon in Ukraine as its front collapses.",
}
"""Each of Russia's actions as a sentence; a month's ``russian_action`` joins them with ``+``."""

KINETIC_INCURSION = (
    "Russia's hybrid campaign against NATO members continues: Russian drones or aircraft violate "
    "a frontline NATO member's airspace in a kinetic incursion."
)
"""A hybrid operation that was a kinetic incursion (docs/MODEL.md §7.6): the member hit may answer
it militarily next month, and no police answer follows (``law_enforcement_response``)."""

SABOTAGE = (
    "Russia's hybrid campaign against NATO members continues: sabotage, arson or a plot on NATO "
    "territory."
)
"""A hybrid operation that was not a kinetic incursion (docs/MODEL.md §7.6): the police answer it
next month (``law_enforcement_response``)."""

SPILLOVER = "A stray Russian missile or drone, aimed at Ukraine, lands on NATO territory."
"""A spill-over incident (``spillover`` column): an accident of the war, not a Russian decision."""

POSTURES: dict[str, str] = {
    "declared": "declared red lines",
    "declared_red_lines": "declared red lines",
    "red_lines": "declared red lines",
    "ambiguity": "strategic ambiguity",
    "ambiguous": "strategic ambiguity",
    "strategic_ambiguity": "strategic ambiguity",
}
"""Western posture names, as configured, in words; other names are shown as given."""

BELIEF_STEP = 0.05
"""Smallest move of Russia's estimate of Western resolve that a month's story mentions."""

SWITCHES: tuple[tuple[str, str, str], ...] = (
    (
        "aid",
        "NATO allies send military aid to Ukraine.",
        "NATO allies stop military aid to Ukraine.",
    ),
    (
        "advanced_weapons",
        "NATO allies supply advanced weapons (air defence, tanks, artillery) to Ukraine.",
        "NATO allies stop supplying advanced weapons to Ukraine.",
    ),
    (
        "training",
        "France and its allies start training Ukrainian soldiers outside Ukraine.",
        "France and its allies stop training Ukrainian soldiers outside Ukraine.",
    ),
    (
        "instructors_inside",
        "France sends military instructors into Ukraine.",
        "French instructors leave Ukraine.",
    ),
)
"""Boolean Western measures: column, sentence when it comes into force, when it ends."""

DEEP_STRIKE_KINDS: dict[str, str] = {
    "limited": "limited strikes into Russia",
    "authorized": "deep strikes into Russia",
}
"""What each deep-strike permission level allows, in words."""

TROOP_CHANGES: dict[str, str] = {
    "none": "French troops leave Ukraine.",
    "noncombat": "France deploys non-combat ground troops to Ukraine.",
    "combat": "France deploys combat troops to Ukraine.",
}
"""Sentence when Western troop deployment changes to each level."""

ANSWERS: dict[str, str] = {
    "strikes_on_western_forces": "France answers last month's strike on its forces militarily.",
    "retaliation": "The NATO member Russia struck last month in retaliation answers militarily.",
    "hybrid_attacks": "The NATO member whose airspace Russia violated last month answers "
    "militarily.",
}
"""NATO's military answer, by the Russian action of the month before, the first that applies (a
hybrid operation is answered militarily only when it was a kinetic incursion; docs/MODEL.md
§7.6); a deadly stray missile answered by force is told by ``SPILLOVER_ANSWER``."""

SPILLOVER_ANSWER = "The NATO member hit by a deadly stray missile fires on its launchers."
"""A military answer in a month with no Russian attack to answer: the spill-over's."""

LETHAL_STRIKE = "Last month's Russian strike killed: a lethal NATO-Russia engagement."
"""A month whose ``lethal_engagement`` is true short of war after a Russian strike on Western
forces or NATO territory (NATO's side of a month reads Russia's acts of the month before)."""

LETHAL_ANSWER = "The exchange of fire kills: a lethal NATO-Russia engagement."
"""A month whose ``lethal_engagement`` is true short of war otherwise: NATO's answer killed."""

STRIKES = ("strikes_on_western_forces", "strikes_on_nato")
"""Russian strikes that kill whenever they happen (a lethal engagement the month after)."""

LAW_ENFORCEMENT = (
    "The NATO member hit answers last month's sabotage with arrests and charges, not force."
)
"""A hybrid operation that was not a kinetic incursion: police and prosecutors answer it."""

LAW_ENFORCEMENT_AT_START = (
    "The NATO member hit by Russian sabotage the month before this story begins answers with "
    "arrests and charges, not force."
)
"""``LAW_ENFORCEMENT`` in month 1, whose sabotage came before the story and is not told in it."""

ANSWER_AT_START = (
    "A NATO member answers militarily a Russian attack of the month before this story begins."
)
"""A military answer in month 1 to a Russian attack that came before the story (no stray
weapon killed this month)."""

PROVOCATIONS = ("hybrid_attacks", "retaliation", "strikes_on_western_forces")
"""Russian attacks whose answer, or its absence, Russia learns from the next month."""

STATUS_QUO_MONTH = "2024-09"
"""The status quo's month: the end of the shipped record, the month before the packaged
``sim.start`` (a forward run starts from the record's state then; docs/MODEL.md)."""

#: Reference points of the involvement scale: a name and the timeline events (actor, event) that
#: the status quo adds, counted with the record as a replay counts them.
_REFERENCES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (f"the status quo (the Western measures in force in {month_label(STATUS_QUO_MONTH)})", ()),
    ("the status quo plus instructors in Ukraine", (("france", "instructors"),)),
    (
        "instructors plus non-combat troops",
        (("france", "instructors"), ("france", "troops_noncombat")),
    ),
    (
        "instructors plus combat troops",
        (("france", "instructors"), ("france", "troops_combat")),
    ),
    (
        "everything at its highest (instructors, combat troops, deep strikes authorised by "
        "every member)",
        (
            ("france", "instructors"),
            ("france", "troops_combat"),
            ("nato", "deep_strikes_authorized"),
        ),
    ),
)


@lru_cache(maxsize=1)
def packaged_doctrine() -> Doctrine:
    """The packaged doctrine (``conf/doctrine/default.yaml``) as the model reads it.

    Returns:
        The doctrine: the involvement Russia reads in each measure, the members' strike shares.
    """
    from importlib.resources import files

    from omegaconf import OmegaConf

    from escalation.config.schema import Doctrine

    text = (files("escalation.conf") / "doctrine" / "default.yaml").read_text(encoding="utf-8")
    merged = OmegaConf.merge(OmegaConf.structured(Doctrine), OmegaConf.create(text))
    return OmegaConf.to_object(merged)


@lru_cache(maxsize=1)
def status_quo_events() -> tuple[tuple[str, str], ...]:
    """The shipped record's Western and Ukrainian events up to ``STATUS_QUO_MONTH``, in order."""
    from escalation.timeline import load_timeline, replay_events

    by_month = replay_events(load_timeline(), until=STATUS_QUO_MONTH)
    return tuple(event for month in sorted(by_month) for event in by_month[month])


def involvement_references(doctrine: Doctrine | None = None) -> list[tuple[str, float]]:
    """Landmarks of the involvement scale: the status quo and what each step adds to it.

    The status quo is the record's state in ``STATUS_QUO_MONTH`` (the shipped timeline's
    events); each step adds timeline events to it, and the involvement is counted as the model
    counts a replay (``escalation.model.replay.recorded_involvement``: a measure's weight, a
    deep-strike permission's weight times the permitting members' strike share).

    Args:
        doctrine: The doctrine (``doctrine.russia.involvement``, the members' strike shares);
            the packaged one when omitted.

    Returns:
        ``(description, involvement)`` pairs, lowest first: the status quo, then the status quo
        plus instructors, plus non-combat or combat troops, and every measure at its highest.
    """
    doctrine = packaged_doctrine() if doctrine is None else doctrine
    record = status_quo_events()
    return [
        (name, float(recorded_involvement([*record, *added], doctrine)))
        for name, added in _REFERENCES
    ]


def posture_words(posture: str) -> str:
    """Name a Western posture in words, e.g. ``"ambiguity"`` -> ``"strategic ambiguity"``.

    Args:
        posture: Posture name as configured.

    Returns:
        The posture in words.
    """
    key = str(posture).strip().lower().replace("-", "_").replace(" ", "_")
    return POSTURES.get(key, str(posture).replace("_", " "))


def red_line_words(threshold: float, doctrine: Doctrine | None = None) -> str:
    """Place a red line on the involvement scale, relative to what the measures add up to.

    Involvement is the sum of what Russia reads in every measure in force (docs/MODEL.md §7),
    not a ladder rung, so the line is placed between landmarks of that sum: the status quo,
    instructors, troops (see ``involvement_references``).

    Args:
        threshold: Russia's real red line on the involvement scale.
        doctrine: The doctrine; the packaged one when omitted.

    Returns:
        For example ``"8.0 on the involvement scale (above the status quo plus instructors in
        Ukraine, 7.8; below instructors plus non-combat troops, 10.8)"``.
    """
    if math.isnan(threshold):
        return "unknown"
    scale = f"{threshold:.1f} on the involvement scale"
    references = involvement_references(doctrine)
    for name, level in references:
        if math.isclose(threshold, level, abs_tol=0.05):
            return f"{scale} (at {name}, {_level(level)})"
    below = [(name, level) for name, level in references if level < threshold]
    above = [(name, level) for name, level in references if level > threshold]
    if not below:
        name, level = above[0]
        return f"{scale} (below {name}, {_level(level)}: crossed from the start)"
    if not above:
        name, level = below[-1]
        return f"{scale} (above {name}, {_level(level)}: no measure alone crosses it)"
    (low_name, low), (high_name, high) = below[-1], above[0]
    return f"{scale} (above {low_name}, {_level(low)}; below {high_name}, {_level(high)})"


def _level(involvement: float) -> str:
    """A landmark's involvement to two decimals at most: ``5.75``, ``14``."""
    return f"{round(involvement, 2):g}"


#: Each sampled assumption in words, given its value (``uncertainty_names()``, schema order).
ASSUMPTION_WORDS: dict[str, Callable[[float], str]] = {
    "red_line_threshold": lambda v: f"Russia's real red line: {red_line_words(v)}",
    "follow_through": lambda v: (
        f"follow-through probability {v:.2f} (Russia acts once its red line is crossed)"
    ),
    "western_resolve": lambda v: f"the West's true resolve {v:.2f} (unknown to Russia)",
    "nato_cohesion": lambda v: (
        f"NATO cohesion {v:.2f} (times each member's 2022-24 pace of granting strike permissions)"
    ),
    "ambiguity_aversion": lambda v: (
        f"Russia's ambiguity aversion {v:.2f} (1: it fears the worst case)"
    ),
    "ambiguity_width": lambda v: f"ambiguity widens Russia's beliefs by ±{v:.2f}",
    "ambiguity_alarm": lambda v: f"Russia's alarm at what the West has not excluded {v:.2f}",
    "cost_sensitivity": lambda v: (
        f"Russia's sensitivity to the expected Western answer {v:.2f} (log-odds per unit)"
    ),
    "russian_pressure": lambda v: f"Russian pressure {v:.2f} points of territory a month",
    "measure_effectiveness": lambda v: f"Western measures {v:.2f} times as effective as assumed",
    "collapse_gain": lambda v: f"Russia's front collapses once Ukraine regains {v:.1f} points",
    "nuclear_use_in_conflict": lambda v: (
        f"monthly chance of nuclear use in a NATO-Russia war {v:.1%} (in its first month; it "
        "grows as the war goes on)"
    ),
}
#: Assumptions that act only under strategic ambiguity (docs/MODEL.md, Russia's beliefs).
AMBIGUITY_ONLY = ("ambiguity_width", "ambiguity_aversion")
