"""The policy of each replicate: lever values and timings as arrays, one policy per world.

A model may hold several *worlds*: the same ``sim.replicates`` replicates under several policies
side by side (``EscalationModel(settings, policies=[...])``), world ``k`` holding replicates
``k * R`` to ``(k + 1) * R - 1``. Every world draws the same random numbers and parameter values
(``EscalationModel.uniform``), so world ``k`` is, number for number, the run of its policy alone
with the same seed: one engine run holds a whole sweep of policies, with common random numbers
between them as the sweep's paired differences assume.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from escalation.config.schema import ConfigError, Instructors, Policy, PolicyTiming, Posture
from escalation.model.measures import DEEP_STRIKE_LEVELS, TROOP_LEVELS

#: The timed measures (``policy.timing``), in schema order.
TIMED = tuple(field.name for field in dataclasses.fields(PolicyTiming))

#: ``until`` of a measure never withdrawn: after any month a run can have.
NEVER = np.iinfo(np.int32).max

INSTRUCTOR_CODES = {Instructors.none: 0, Instructors.outside: 1, Instructors.inside: 2}


@dataclasses.dataclass(frozen=True)
class Levers:
    """Each replicate's policy, as arrays of ``worlds x replicates`` values.

    Attributes:
        instructors: 0 none, 1 training outside Ukraine, 2 instructors inside too.
        troops: 0 none, 1 non-combat, 2 combat.
        deep_strikes: The highest permission allowed: 0 prohibited, 1 limited, 2 authorised.
        ambiguity: Whether France declares strategic ambiguity (else red lines).
        aid: Whether aid is allowed.
        advanced_weapons: Whether advanced weapons are allowed.
        month: By timed measure, the month it may come into force from.
        position_below: By timed measure, the position Ukraine must hold less than (inf: none).
        until: By timed measure, the month it is withdrawn from (``NEVER``: never).
    """

    instructors: np.ndarray
    troops: np.ndarray
    deep_strikes: np.ndarray
    ambiguity: np.ndarray
    aid: np.ndarray
    advanced_weapons: np.ndarray
    month: dict[str, np.ndarray]
    position_below: dict[str, np.ndarray]
    until: dict[str, np.ndarray]


def policy_levers(policies: Sequence[Policy], replicates: int) -> Levers:
    """The arrays of ``policies`` side by side, each repeated over its ``replicates``.

    Raises:
        ConfigError: No policy, or policies whose new weapon systems differ (they are the
            record's deliveries, the same in every world).
    """
    if not policies:
        raise ConfigError("policies: give at least one policy")
    weapons = {tuple(policy.new_weapons) for policy in policies}
    if len(weapons) > 1:
        raise ConfigError(
            "policies differ in policy.new_weapons; worlds of one run share the record's "
            f"deliveries: {sorted(weapons)}"
        )

    def spread(values: list, dtype: type) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=dtype), replicates)

    def timing(name: str, part: str, none: float) -> np.ndarray:
        values = [getattr(getattr(policy.timing, name), part) for policy in policies]
        dtype = float if part == "position_below" else np.int64
        return spread([none if value is None else value for value in values], dtype)

    return Levers(
        instructors=spread([INSTRUCTOR_CODES[p.instructors] for p in policies], np.int8),
        troops=spread([TROOP_LEVELS[p.troops] for p in policies], np.int8),
        deep_strikes=spread([DEEP_STRIKE_LEVELS[p.deep_strikes] for p in policies], np.int8),
        ambiguity=spread([p.posture is Posture.ambiguity for p in policies], bool),
        aid=spread([p.aid for p in policies], bool),
        advanced_weapons=spread([p.advanced_weapons for p in policies], bool),
        month={name: timing(name, "month", 1) for name in TIMED},
        position_below={name: timing(name, "position_below", np.inf) for name in TIMED},
        until={name: timing(name, "until", NEVER) for name in TIMED},
    )
