"""Ukraine: it fights, asks for more, strikes Russia with its own drones and mounts incursions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from escalation.model.measures import levels_in_force, weighted_sum

if TYPE_CHECKING:
    from escalation.model.world import EscalationModel

ADVANCE_WINDOW = 3
"""Months over which Russia measures Ukraine's advance (docs/MODEL.md §7.3)."""


class Ukraine(mesa.Agent):
    """Ukraine fights and decides; every state variable has one entry per replicate."""

    model: EscalationModel

    def __init__(self, model: EscalationModel) -> None:
        super().__init__(model)
        doctrine = model.doctrine.ukraine
        replicates = model.replicates
        self.position = np.full(replicates, doctrine.position_start, dtype=float)
        self.recent = np.full((ADVANCE_WINDOW, replicates), doctrine.position_start)
        self.request = np.zeros(replicates, dtype=bool)
        self.domestic_strikes = np.zeros(replicates, dtype=bool)
        self.incursion_months_left = np.zeros(replicates, dtype=np.int32)
        self.drone_campaign = np.zeros(replicates, dtype=bool)
        self.incursion_ordered = np.zeros(replicates, dtype=bool)
        self.russian_line = np.full(replicates, doctrine.position_start)
        self.collapse_months_left = np.zeros(replicates, dtype=np.int32)
        self.collapse_onset = np.zeros(replicates, dtype=bool)

    def set_front(self, position: float) -> None:
        """Put the front at ``position`` (the record's at ``sim.start``), no collapse under way."""
        self.position[:] = position
        self.recent[:] = position
        self.russian_line[:] = position
        self.collapse_months_left[:] = 0
        self.collapse_onset[:] = False
        self.request[:] = False

    @property
    def incursion(self) -> np.ndarray:
        """Whether a Ukrainian incursion holds Russian territory this month."""
        return self.incursion_months_left > 0

    @property
    def advance(self) -> np.ndarray:
        """Points of territory regained over the last ``ADVANCE_WINDOW`` months (0 if lost)."""
        return np.maximum(self.position - self.recent[0], 0.0)

    @property
    def collapse(self) -> np.ndarray:
        """Whether Russia's front is collapsing this month (see ``update_collapse``)."""
        return self.collapse_months_left > 0

    def update_collapse(self) -> None:
        """Russia's front collapses when Ukraine regains ``collapse_gain`` points beyond its line.

        Rule: Russia's line starts at Ukraine's starting position; once Ukraine holds
        ``collapse_gain`` points more, the front is collapsing for ``ADVANCE_WINDOW`` months and
        Russia re-forms its line where the front now is (as it did behind the Dnipro in November
        2022). Source: US officials feared Russian nuclear use if its lines collapsed in autumn
        2022 (CNN, 9 March 2024); the threshold is an assumption (swept).
        """
        self.collapse_months_left = np.maximum(self.collapse_months_left - 1, 0)
        onset = self.position >= self.russian_line + self.model.uncertain["collapse_gain"]
        self.russian_line[onset] = self.position[onset]
        self.collapse_months_left[onset] = ADVANCE_WINDOW
        self.collapse_onset = onset

    def support(self) -> np.ndarray:
        """Points of territory per month the Western measures in force add, per replicate."""
        effects = self.model.doctrine.ukraine.effects
        total = weighted_sum(effects, levels_in_force(self.model))
        return total * self.model.uncertain["measure_effectiveness"]

    def step(self) -> None:
        """Fight, then decide on drone strikes and incursions; ask for more once losing.

        Rules: Δposition = effectiveness · Σ effect · level + drone effect − (pressure + what
        Russia's mobilisations add) + N(0, σ²), clipped to [0, 100]. Ukraine strikes Russia
        with its own drones with monthly probability ``domestic_strikes.rate``, whatever the
        West permits (article: Ukraine's need "to strike deep inside Russia"). While it holds
        more than its start minus ``incursion.margin`` and no incursion is under way, it mounts
        one with probability ``incursion.rate``, lasting ``incursion.months`` (Kursk, August
        2024). It requests more once it has lost ``request_drop`` points since the start. In a
        replay of history, drone strikes and incursions come from the timeline
        (``escalation.model.replay``).
        """
        model = self.model
        doctrine = model.doctrine.ukraine
        noise = doctrine.position_noise * model.standard_normal()
        drone_draw = model.uniform()
        incursion_draw = model.uniform()

        self.domestic_strikes = drone_draw < doctrine.domestic_strikes.rate
        if model.replaying:
            self.domestic_strikes = self.drone_campaign.copy()
        drones = doctrine.domestic_strikes.effect * self.domestic_strikes
        pressure = model.uncertain["russian_pressure"] + model.russia.mobilised
        change = self.support() + drones - pressure + noise
        self.recent = np.roll(self.recent, -1, axis=0)
        self.recent[-1] = self.position
        np.clip(self.position + change, 0.0, 100.0, out=self.position)

        self.incursion_months_left = np.maximum(self.incursion_months_left - 1, 0)
        front_allows = self.position > doctrine.position_start - doctrine.incursion.margin
        start = front_allows & ~self.incursion & (incursion_draw < doctrine.incursion.rate)
        if model.replaying:
            start = self.incursion_ordered & ~self.incursion
            self.incursion_ordered[:] = False
        self.incursion_months_left[start] = doctrine.incursion.months
        self.update_collapse()
        self.request = self.position < doctrine.position_start - doctrine.request_drop
