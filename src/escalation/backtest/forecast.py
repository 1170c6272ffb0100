"""The replay: history's Western and Ukrainian events drive the model; Russia is forecast.

``escalation.timeline.replay_events`` turns a timeline into the model's replay argument (events
by 1-based month from the timeline's first month), ``replay_settings`` composes the ``history``
scenario over the timeline's span, and ``forecast`` runs the replay and returns, per month and
scored event class, the model's probability that the class occurs and whether it did.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from escalation.config.scenarios import load_settings
from escalation.config.schema import Settings
from escalation.model import EscalationModel
from escalation.model.actions import holds
from escalation.timeline import SCORED_EVENTS, Timeline, month_index, replay_events

FORECAST_COLUMNS = ("month", "event", "p", "observed")
"""Columns of ``forecast.csv``."""

#: Scored classes read off Russia's monthly actions (``russian_action`` in the trajectories:
#: names joined by ``+``, as one month may hold several).
ACTION_CLASSES = {
    "nuclear_signalling": ("nuclear_signalling",),
    "hybrid_attacks": ("hybrid_attacks",),
    "strikes_on_western_forces": ("strikes_on_western_forces",),
    "strikes_on_nato": ("strikes_on_nato",),
    "nuclear_use": ("nuclear_use_in_ukraine",),
}


def replay_settings(
    timeline: Timeline, *, replicates: int, seed: int, until: str | None = None, **params: Any
) -> Settings:
    """The ``history`` scenario's settings over the timeline's span.

    ``sim.start`` is the timeline's first month and ``sim.months`` runs to ``until`` (default:
    the timeline's last month). ``params`` are more config keys by dotted name
    (``{"sim.parameters": "prior"}``), validated as the config is.

    Raises:
        ConfigError: Replicates or seed out of range, or a key the config refuses.
    """
    last = until or timeline.last_month
    months = month_index(last) - month_index(timeline.first_month) + 1
    settings = load_settings("history", replicates=replicates, months=months, seed=seed, **params)
    settings.sim.start = timeline.first_month
    settings.sim.figures = False
    return settings


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
    return forecast_from_trajectories(model.trajectories(), timeline)


def class_occurrences(trajectories: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per scored class, a (months, replicates) boolean array: did it occur that month.

    Args:
        trajectories: The model's long table (``EscalationModel.trajectories``), one row per
            (replicate, month), replicate-major.
    """
    months = int(trajectories["month"].max())
    replicates = len(trajectories) // months

    def grid(column: str) -> np.ndarray:
        return trajectories[column].to_numpy().reshape(replicates, months).T

    action = grid("russian_action")
    occurs = {
        name: np.any([holds(action.ravel(), code).reshape(action.shape) for code in codes], axis=0)
        for name, codes in ACTION_CLASSES.items()
    }
    used = grid("nuclear_use").astype(bool)
    first_use = used & ~np.vstack([np.zeros((1, replicates), dtype=bool), used[:-1]])
    occurs["nuclear_use"] = occurs["nuclear_use"] | first_use
    occurs["direct_conflict"] = grid("direct_conflict").astype(bool)
    occurs["nato_military_response"] = grid("nato_military_response").astype(bool) | grid(
        "article5_response"
    ).astype(bool)
    return {name: occurs[name] for name in SCORED_EVENTS}


def forecast_from_trajectories(trajectories: pd.DataFrame, timeline: Timeline) -> pd.DataFrame:
    """The forecast table from the model's trajectories and the timeline's observed events."""
    dates = trajectories.loc[trajectories["replicate"] == trajectories["replicate"].iloc[0]]
    dates = dates.sort_values("month")["date"].tolist()
    occurs = class_occurrences(trajectories)
    rows = []
    for row, month in enumerate(dates):
        for name in SCORED_EVENTS:
            rows.append((month, name, float(occurs[name][row].mean()), False))
    table = pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))
    observed = {name: timeline.observed(name) for name in SCORED_EVENTS}
    pairs = zip(table["month"], table["event"], strict=True)
    table["observed"] = [month in observed[event] for month, event in pairs]
    return table
