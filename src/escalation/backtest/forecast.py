"""The replay: history's Western and Ukrainian events drive the model; Russia is forecast.

``escalation.timeline.replay_events`` turns a timeline into the model's replay argument (events
by 1-based month from the timeline's first month), ``replay_settings`` composes the ``history``
scenario over the timeline's span, and ``forecast`` runs the replay and returns, per month and
scored event class, the model's probability that the class occurs and whether it did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from escalation.config.scenarios import replay_settings
from escalation.model import EscalationModel
from escalation.model.actions import ACTION_NAMES
from escalation.model.replay import OCCURRENCE_COLUMNS, scored_occurrences
from escalation.timeline import (
    SCORED_EVENTS,
    Timeline,
    month_index,
    month_name,
    month_range,
    replay_events,
)

FORECAST_COLUMNS = ("month", "event", "p", "observed")
"""Columns of ``forecast.csv``."""


def forecast(
    timeline: Timeline, *, replicates: int, seed: int, until: str | None = None
) -> pd.DataFrame:
    """Replay the timeline and forecast every scored event class, month by month.

    Rules: p(class, month) = share of replicates in which the class occurs that month: Russia's
    action for ``nuclear_signalling``, ``hybrid_attacks``, ``strikes_on_western_forces`` and
    ``strikes_on_nato``; Russia's nuclear use in Ukraine or a first nuclear use against NATO that
    month for ``nuclear_use``; NATO-Russia war for ``direct_conflict``; a
    NATO military answer to a Russian attack (below Article 5 or under it) for
    ``nato_military_response``. ``observed`` is whether the timeline has that class that month.

    Returns:
        One row per (month, class), months in order and classes in ``SCORED_EVENTS`` order,
        with columns ``month`` (``YYYY-MM``), ``event``, ``p`` and ``observed`` (bool).
    """
    settings = replay_settings(timeline, replicates=replicates, seed=seed, until=until)
    model = EscalationModel(settings, replay=replay_events(timeline, until=until)).run()
    return forecast_table(scored_occurrences(model.record()), settings.sim.start, timeline)


def class_occurrences(trajectories: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per scored class, a (months, replicates) boolean array read off a trajectories table.

    The rules are ``escalation.model.replay.scored_occurrences``'s; this reads the same columns
    from ``trajectories.csv``'s long table (one row per (replicate, month), replicate-major).
    """
    months = int(trajectories["month"].max())
    replicates = len(trajectories) // months

    def grid(column: str) -> np.ndarray:
        return trajectories[column].to_numpy().reshape(replicates, months).T

    masks = {name: mask for mask, name in enumerate(ACTION_NAMES)}
    names = pd.Series(trajectories["russian_action"], dtype=object).fillna("").astype(str)
    action = names.map(masks).to_numpy(dtype=np.int64).reshape(replicates, months).T
    columns = {name: grid(name) for name in OCCURRENCE_COLUMNS if name != "russian_action"}
    return scored_occurrences({"russian_action": action, **columns})


def forecast_table(occurs: dict[str, np.ndarray], start: str, timeline: Timeline) -> pd.DataFrame:
    """The forecast table from the classes' (months, replicates) occurrences from ``start``."""
    months = month_range(start, month_name(month_index(start) + len(occurs[SCORED_EVENTS[0]]) - 1))
    rows = []
    for row, month in enumerate(months):
        for name in SCORED_EVENTS:
            rows.append((month, name, float(occurs[name][row].mean()), False))
    table = pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
    observed = {name: timeline.observed(name) for name in SCORED_EVENTS}
    pairs = zip(table["month"], table["event"], strict=True)
    table["observed"] = [month in observed[event] for month, event in pairs]
    return table
