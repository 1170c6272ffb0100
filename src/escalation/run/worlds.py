"""Many runs as worlds of one model: the points of a sweep that differ only in their policy.

Points whose settings are equal but for ``policy`` (levers, timings, aid) run side by side as
the worlds of one ``EscalationModel(policies=...)`` with common random numbers, so each point's
tables are, number for number, those of its own run (``simulate_run``) and the batch costs
about one engine run of all their replicates (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import pandas as pd

from escalation.config.schema import Policy, Settings
from escalation.run.parallel import chunk_count
from escalation.run.runs import check_memory, simulate_run

#: Replicate-months of the worlds run in one model: about 0.4 GB of the engine's arrays. The
#: worlds' numbers do not depend on it.
WORLD_BATCH = 3_600_000


def shared_settings(settings: Settings) -> Settings:
    """What points must share to be worlds of one model: their settings without the policy.

    Only the new weapon systems stay (the record's deliveries, the same in every world).
    """
    policy = Policy(new_weapons=list(settings.policy.new_weapons))
    return dataclasses.replace(settings, policy=policy)


def worlds_per_model(replicates: int, months: int) -> int:
    """How many worlds of ``replicates`` x ``months`` one model holds (``WORLD_BATCH``; >= 1)."""
    return max(1, WORLD_BATCH // (replicates * months))


def world_groups(points: Sequence[Settings]) -> list[list[int]]:
    """The points, by position, in groups that can be worlds of one model, in first-seen order.

    A group holds points with the same ``shared_settings``, at most ``WORLD_BATCH``
    replicate-months of them (at least one point). A point of more than one chunk of
    replicates (``escalation.run.parallel``) is a group of its own: it runs as its chunks.
    """
    groups: list[tuple[Settings | None, list[int]]] = []
    for index, settings in enumerate(points):
        if chunk_count(settings.sim.replicates) > 1:
            groups.append((None, [index]))
            continue
        key = shared_settings(settings)
        room = worlds_per_model(settings.sim.replicates, settings.sim.months)
        group = next((g for k, g in groups if k is not None and k == key and len(g) < room), None)
        if group is None:
            groups.append((key, [index]))
        else:
            group.append(index)
    return [group for _, group in groups]


def simulate_worlds(
    points: Sequence[Settings], *, trajectories: bool = True
) -> Iterator[tuple[int, pd.DataFrame, pd.DataFrame | None]]:
    """Run points as worlds of shared models; yield each point's position and tables.

    Args:
        points: Validated settings, one per point.
        trajectories: Whether to build each point's trajectories table (None in its place).

    Yields:
        ``(position, outcomes, trajectories)`` for every point, a group at a time; each table is
        the one ``simulate_run`` gives for that point alone (on one worker: a batched
        sweep splits its points over processes, not a point's chunks).

    Raises:
        ConfigError: A point too large for memory (``check_memory``), before its group runs.
    """
    from escalation.model import EscalationModel

    for group in world_groups(points):
        first = points[group[0]]
        if chunk_count(first.sim.replicates) > 1:  # its chunks, one after the other
            outcomes, table = simulate_run(first, trajectories=trajectories, workers=1)
            yield group[0], outcomes, table
            continue
        check_memory(first)
        model = EscalationModel(first, policies=[points[i].policy for i in group]).run()
        for world, index in enumerate(group):
            yield index, model.outcomes(world), model.trajectories(world) if trajectories else None
