"""The Western measures: which a policy allows, how far each is in force, what it adds up to.

A measure's *level* in a replicate is how much of it is in force: 0 or 1 for most measures, the
share of long-range strike weapons whose owners permit strikes for the deep-strike measures, and
the number of systems delivered for ``new_weapons``. Battlefield effects and the involvement
Russia reads are sums of ``value x level`` over the measures, so every measure counts
(docs/MODEL.md §7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escalation.config.schema import DeepStrikes, PerMeasure, Troops
from escalation.ladder import Rung

if TYPE_CHECKING:
    from escalation.model.levers import Levers
    from escalation.model.world import EscalationModel

TROOP_LEVELS = {Troops.none: 0, Troops.noncombat: 1, Troops.combat: 2}
DEEP_STRIKE_LEVELS = {DeepStrikes.prohibited: 0, DeepStrikes.limited: 1, DeepStrikes.authorized: 2}
#: The ladder rung each Western measure stands on.
WESTERN_RUNGS = PerMeasure(
    aid=Rung.MILITARY_AID,
    advanced_weapons=Rung.ADVANCED_WEAPONS,
    new_weapons=Rung.ADVANCED_WEAPONS,
    training=Rung.TRAINING_OUTSIDE,
    instructors=Rung.INSTRUCTORS_INSIDE,
    deep_strikes_limited=Rung.DEEP_STRIKES,
    deep_strikes_authorized=Rung.DEEP_STRIKES,
    troops_noncombat=Rung.GROUND_TROOPS,
    troops_combat=Rung.GROUND_TROOPS,
)
MEASURES = tuple(WESTERN_RUNGS.__dataclass_fields__)
"""Measure names, in ``PerMeasure`` order."""


def allowed_levels(levers: Levers, new_weapons: int) -> dict[str, np.ndarray | float]:
    """The highest level of each measure each replicate's policy ever allows (1 = in force).

    ``new_weapons`` is the number of new systems the policy delivers (the same in every world).
    """
    return {
        "aid": levers.aid.astype(float),
        "advanced_weapons": levers.advanced_weapons.astype(float),
        "new_weapons": float(new_weapons),
        "training": (levers.instructors > 0).astype(float),
        "instructors": (levers.instructors == 2).astype(float),
        "deep_strikes_limited": (levers.deep_strikes == 1).astype(float),
        "deep_strikes_authorized": (levers.deep_strikes == 2).astype(float),
        "troops_noncombat": (levers.troops == 1).astype(float),
        "troops_combat": (levers.troops == 2).astype(float),
    }


EXCLUSIVE = (
    ("deep_strikes_limited", "deep_strikes_authorized"),
    ("troops_noncombat", "troops_combat"),
)
"""Measures that exclude each other: (lower, higher) levels of one measure."""


def most_possible_levels() -> dict[str, float]:
    """The highest level of every measure short of nothing excluded: the ambiguity ceiling.

    Measures that exclude each other (limited and authorised strikes, non-combat and combat
    troops) count once, at their higher level.
    """
    return dict(
        aid=1.0,
        advanced_weapons=1.0,
        new_weapons=0.0,
        training=1.0,
        instructors=1.0,
        deep_strikes_limited=0.0,
        deep_strikes_authorized=1.0,
        troops_noncombat=0.0,
        troops_combat=1.0,
    )


def levels_in_force(model: EscalationModel) -> dict[str, np.ndarray]:
    """How far each Western measure is in force, per replicate (see the module docstring)."""
    nato, france = model.nato, model.france
    limited, authorized = nato.strike_shares()
    return {
        "aid": nato.aid.astype(float),
        "advanced_weapons": nato.advanced_weapons.astype(float),
        "new_weapons": nato.new_weapons.astype(float),
        "training": france.training.astype(float),
        "instructors": france.instructors_inside.astype(float),
        "deep_strikes_limited": limited,
        "deep_strikes_authorized": authorized,
        "troops_noncombat": (france.troops == 1).astype(float),
        "troops_combat": (france.troops == 2).astype(float),
    }


def weighted_sum(values: PerMeasure, levels: dict[str, np.ndarray | float]) -> np.ndarray:
    """Σ value(measure) x level(measure): a battlefield effect or an involvement."""
    total = 0.0
    for name in MEASURES:
        level = levels[name]
        if np.any(level):
            total = total + getattr(values, name) * level
    return np.asarray(total, dtype=float)


def western_rung(levels: dict[str, np.ndarray]) -> np.ndarray:
    """The highest ladder rung of the Western measures in force (0 = political support)."""
    rung = None
    for name in MEASURES:
        on = np.asarray(levels[name]) > 0
        value = np.where(on, int(getattr(WESTERN_RUNGS, name)), 0)
        rung = value if rung is None else np.maximum(rung, value)
    return np.asarray(rung, dtype=np.int8)
