"""What Russia can do in a month, and what each action means on the ladder.

Model v3: Russia decides on each option separately every month (docs/MODEL.md §7.5), so one
month may hold several actions (nuclear signalling and sabotage in the same month: March 2023,
March and May 2024 in ``timeline.csv``). A month's actions are stored as a bit mask, one bit per
action (``ACTION_BIT``); ``trajectories.csv`` writes them as names joined by ``+``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
import pandas as pd

from escalation.ladder import Rung


class RussianAction(IntEnum):
    """What Russia can do in a month; NONE means nothing beyond its usual rhetoric."""

    NONE = 0
    NUCLEAR_SIGNALLING = 1
    HYBRID_ATTACKS = 2
    STRIKES_ON_WESTERN_FORCES = 3
    STRIKES_ON_NATO = 4
    NUCLEAR_USE_IN_UKRAINE = 5
    RETALIATION = 6


ACTIONS = tuple(action for action in RussianAction if action is not RussianAction.NONE)
"""Every action, in bit order (bit ``i`` of a month's mask is ``ACTIONS[i]``)."""
ACTION_BIT = {action: np.int16(1 << index) for index, action in enumerate(ACTIONS)}
"""The bit of each action in a month's mask."""

#: Options of Russia's own choice over the war in Ukraine, each decided separately by a logit
#: against doing nothing (utility 0). A strike on NATO territory is a separate decision too.
THEATRE_OPTIONS = (
    RussianAction.NUCLEAR_SIGNALLING,
    RussianAction.HYBRID_ATTACKS,
    RussianAction.RETALIATION,
    RussianAction.STRIKES_ON_WESTERN_FORCES,
    RussianAction.NUCLEAR_USE_IN_UKRAINE,
)

RUNG_OF_ACTION = {
    RussianAction.NUCLEAR_SIGNALLING: Rung.NUCLEAR_SIGNALLING,
    RussianAction.HYBRID_ATTACKS: Rung.HYBRID_ATTACKS,
    RussianAction.RETALIATION: Rung.HYBRID_ATTACKS,
    RussianAction.STRIKES_ON_WESTERN_FORCES: Rung.STRIKES_ON_WESTERN_FORCES,
    RussianAction.STRIKES_ON_NATO: Rung.CONTAINED_CLASH,
    RussianAction.NUCLEAR_USE_IN_UKRAINE: Rung.NUCLEAR_USE_IN_UKRAINE,
}
"""The ladder rung each action stands on (retaliation: an attack on a NATO member)."""

_MASKS = 1 << len(ACTIONS)


def has(mask: np.ndarray, action: RussianAction) -> np.ndarray:
    """Whether each month's mask holds ``action``."""
    return (np.asarray(mask) & ACTION_BIT[action]) != 0


def _names(mask: int) -> str:
    return "+".join(a.name.lower() for a in ACTIONS if mask & (1 << ACTIONS.index(a)))


#: Per mask: the highest rung of its actions (-1: none), and its names joined by "+" ("": none).
RUNG_OF_MASK = np.array(
    [
        max((int(RUNG_OF_ACTION[a]) for a in ACTIONS if m & ACTION_BIT[a]), default=-1)
        for m in range(_MASKS)
    ],
    dtype=np.int8,
)
ACTION_NAMES = np.array([_names(mask) for mask in range(_MASKS)], dtype=object)
"""Names in ``trajectories.csv``'s ``russian_action`` column ("" for none, "a+b" for two)."""


def holds(names: Any, action: str) -> np.ndarray:
    """Whether each month's ``russian_action`` (names joined by ``+``) holds ``action``.

    Args:
        names: ``ACTION_NAMES`` values, e.g. a ``trajectories.csv`` column; missing: none.
        action: An action's name, e.g. ``"hybrid_attacks"``.
    """
    text = np.asarray(pd.Series(names, dtype=object).fillna("").astype(str), dtype=str)
    return np.char.find(np.char.add(np.char.add("+", text), "+"), f"+{action}+") >= 0


def action_mask(chosen: dict[RussianAction, np.ndarray], replicates: int) -> np.ndarray:
    """The bit mask of a month's actions from one boolean array per action."""
    mask = np.zeros(replicates, dtype=np.int16)
    for action, taken in chosen.items():
        mask |= np.where(taken, ACTION_BIT[action], np.int16(0))
    return mask
