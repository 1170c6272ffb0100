"""What Russia can do in a month, and what each action means on the ladder."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from escalation.ladder import Rung


class RussianAction(IntEnum):
    """What Russia does in a month; NONE means nothing beyond its usual rhetoric."""

    NONE = 0
    NUCLEAR_SIGNALLING = 1
    HYBRID_ATTACKS = 2
    STRIKES_ON_WESTERN_FORCES = 3
    STRIKES_ON_NATO = 4
    NUCLEAR_USE_IN_UKRAINE = 5


def action_table(values: dict[RussianAction, float | bool], dtype: type, default=0) -> np.ndarray:
    """A lookup table indexed by action code: ``table[actions]`` maps an int8 action array."""
    table = np.full(len(RussianAction), default, dtype=dtype)
    for action, value in values.items():
        table[action] = value
    return table


MATERIAL = (
    RussianAction.HYBRID_ATTACKS,
    RussianAction.STRIKES_ON_WESTERN_FORCES,
    RussianAction.STRIKES_ON_NATO,
)
"""Material actions: retaliation when taken while a Russian red line is crossed."""
#: Per action code: whether it is material / its ladder rung (-1: none).
IS_RETALIATION = action_table(dict.fromkeys(MATERIAL, True), bool)
RUNG_OF_ACTION = action_table(
    {
        RussianAction.NONE: -1,
        RussianAction.NUCLEAR_SIGNALLING: int(Rung.NUCLEAR_SIGNALLING),
        RussianAction.HYBRID_ATTACKS: int(Rung.HYBRID_ATTACKS),
        RussianAction.STRIKES_ON_WESTERN_FORCES: int(Rung.STRIKES_ON_WESTERN_FORCES),
        RussianAction.STRIKES_ON_NATO: int(Rung.CONTAINED_CLASH),
        RussianAction.NUCLEAR_USE_IN_UKRAINE: int(Rung.NUCLEAR_USE_IN_UKRAINE),
    },
    np.int64,
)
#: Options of Russia's choice over the war in Ukraine, in utility-column order; doing nothing
#: new is column 0 (utility 0). A strike on NATO territory is a separate decision.
THEATRE_OPTIONS = (
    RussianAction.NONE,
    RussianAction.NUCLEAR_SIGNALLING,
    RussianAction.HYBRID_ATTACKS,
    RussianAction.STRIKES_ON_WESTERN_FORCES,
    RussianAction.NUCLEAR_USE_IN_UKRAINE,
)
ACTION_NAMES = np.array(
    ["" if a is RussianAction.NONE else a.name.lower() for a in RussianAction], dtype=object
)
"""Names in ``trajectories.csv``'s ``russian_action`` column ("" for NONE)."""
