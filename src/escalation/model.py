"""The escalation model: a Mesa model whose four agents advance all replicates together.

Every state variable is a numpy array with one entry per Monte Carlo replicate, so a month of
1,000 worlds is a handful of array operations; a single world is simply a batch of one. All
randomness comes from ``self.rng`` (Mesa's numpy generator), seeded from the config.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from escalation.agents import (
    IS_RETALIATION,
    WESTERN_RUNGS,
    France,
    Nato,
    Russia,
    RussianAction,
    Ukraine,
    max_in_force,
)
from escalation.config import Settings, uncertainty_names
from escalation.ladder import Rung
from escalation.results import OUTCOME_COLUMNS as OUTCOME_COLUMNS  # re-exported

# Object arrays: indexing them shares one string per label instead of making one per row.
DEEP_STRIKE_NAMES = np.array(["prohibited", "limited", "authorized"], dtype=object)
TROOP_NAMES = np.array(["none", "noncombat", "combat"], dtype=object)
ACTION_NAMES = np.array(
    ["" if a is RussianAction.NONE else a.name.lower() for a in RussianAction], dtype=object
)


class EscalationModel(mesa.Model):
    """France, NATO, Russia and Ukraine over ``sim.months`` months, ``sim.replicates`` worlds.

    Args:
        settings: A validated configuration; when omitted it is composed from the packaged
            configs with ``scenario`` and ``params`` (as ``escalation.simulate`` does), which is
            how ``mesa.batch_run`` builds the model.
        rng: Seed for the model's generator; defaults to ``settings.seed``.
        **params: ``scenario``, ``replicates``, ``months`` or lever/uncertainty names, used only
            when ``settings`` is omitted.
    """

    def __init__(self, settings: Settings | None = None, *, rng: Any = None, **params: Any):
        if settings is None:
            from escalation.api import load_settings

            params.setdefault("replicates", 1)
            settings = load_settings(**params)
        elif params:
            raise TypeError(f"unexpected parameters with explicit settings: {sorted(params)}")
        super().__init__(rng=settings.seed if rng is None else rng)
        self.settings = settings
        self.replicates = settings.sim.replicates
        self.months = settings.sim.months
        self.month = 0
        self.uncertain = self._sample_uncertainties()
        self.direct_conflict = np.zeros(self.replicates, dtype=bool)
        self.nuclear_use = np.zeros(self.replicates, dtype=bool)
        self.ukraine = Ukraine(self)
        self.france = France(self)
        self.nato = Nato(self)
        self.russia = Russia(self)
        self._trajectory = {
            name: np.zeros((self.months, self.replicates), dtype=dtype)
            for name, dtype in _TRAJECTORY_DTYPES.items()
        }
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "escalation_level": lambda m: float(m.level.mean()),
                "ukraine_position": lambda m: float(m.ukraine.position.mean()),
                "direct_conflict": lambda m: float(m.direct_conflict.mean()),
            }
        )
        self.level = self._level()

    def _sample_uncertainties(self) -> dict[str, np.ndarray]:
        """Draw each uncertain assumption per replicate, as ``sim.sampling`` says.

        ``uniform``: independently in [low, high]; ``sobol``: on a Saltelli design
        (``escalation.sampling``). The result is in schema order, the order of the columns of
        ``outcomes``.
        """
        from escalation.sampling import draw_uncertainties

        drawn = draw_uncertainties(self.settings, self.rng, self.replicates)
        return {name: drawn[name] for name in uncertainty_names()}

    def western_rung(self) -> np.ndarray:
        """Highest Western measure in force, as a ladder rung (0 = political support)."""
        return max_in_force(WESTERN_RUNGS, self).astype(np.int8)

    def _level(self, western_rung: np.ndarray | None = None) -> np.ndarray:
        """Escalation level = the highest rung in force (Western, Russian, conflict, nuclear)."""
        if western_rung is None:
            western_rung = self.western_rung()
        level = np.maximum(western_rung, self.russia.rung_in_force)
        level = np.where(self.direct_conflict, Rung.DIRECT_CONFLICT, level)
        return np.where(self.nuclear_use, Rung.NUCLEAR_USE, level).astype(np.int8)

    def step(self) -> None:
        """Advance one month: Ukraine, France, NATO, Russia act in turn; record the month."""
        if self.month >= self.months:
            raise RuntimeError(f"the run is over: all {self.months} months are simulated")
        self.month += 1
        self.ukraine.step()
        self.france.step()
        self.nato.step()
        self.russia.step()
        western_rung = self.western_rung()
        self.level = self._level(western_rung)
        self._record(western_rung)
        self.datacollector.collect(self)
        self.running = self.month < self.months

    def run(self) -> EscalationModel:
        """Run all months; return the model for chaining."""
        while self.running:
            self.step()
        return self

    def _record(self, western_rung: np.ndarray) -> None:
        """Copy this month's state into the preallocated (months, replicates) arrays."""
        row = self.month - 1
        traj = self._trajectory
        traj["rung"][row] = self.level
        traj["position"][row] = self.ukraine.position
        traj["western_rung"][row] = western_rung
        traj["aid"][row] = self.nato.aid
        traj["advanced_weapons"][row] = self.nato.advanced_weapons
        traj["training"][row] = self.france.training
        traj["instructors_inside"][row] = self.france.instructors_inside
        traj["deep_strikes"][row] = self.nato.deep_strikes
        traj["troops"][row] = self.france.troops
        traj["perceived_involvement"][row] = self.russia.perceived_involvement
        traj["red_line_crossed"][row] = self.russia.red_line_crossed
        traj["russian_action"][row] = self.russia.action
        traj["nato_military_response"][row] = self.nato.military_response
        traj["direct_conflict"][row] = self.direct_conflict
        traj["nuclear_use"][row] = self.nuclear_use
        traj["west_belief"][row] = self.nato.west_belief
        traj["russia_belief"][row] = self.russia.russia_belief

    def outcomes(self) -> pd.DataFrame:
        """One row per replicate: its sampled assumptions, then its outcomes.

        ``russian_retaliation`` means a material response (hybrid attacks, strikes on Western
        forces or on NATO); nuclear signalling is reported separately. Months count from 1;
        ``months_to_*`` is NaN when it never happened.
        """
        done = self.month
        traj = {name: values[:done] for name, values in self._trajectory.items()}
        retaliation = IS_RETALIATION[traj["russian_action"]]
        columns: dict[str, np.ndarray] = {"replicate": np.arange(self.replicates)}
        columns.update(self.uncertain)
        columns["max_rung"] = traj["rung"].max(axis=0)
        columns["final_rung"] = traj["rung"][-1]
        columns["direct_conflict"] = traj["direct_conflict"].any(axis=0)
        columns["nuclear_use"] = traj["nuclear_use"].any(axis=0)
        columns["russian_retaliation"] = retaliation.any(axis=0)
        columns["months_to_retaliation"] = _first_month(retaliation)
        columns["ukraine_position_final"] = traj["position"][-1]
        columns["nuclear_signalling"] = (
            traj["russian_action"] == RussianAction.NUCLEAR_SIGNALLING
        ).any(axis=0)
        columns["red_lines_crossed"] = traj["red_line_crossed"].sum(axis=0)
        columns["months_to_direct_conflict"] = _first_month(traj["direct_conflict"])
        columns["escalation_score"] = traj["rung"].sum(axis=0, dtype=np.int64)
        return pd.DataFrame(columns)

    def trajectories(self) -> pd.DataFrame:
        """The per-month trajectories, one row per (replicate, month); see docs/MODEL.md §8."""
        done = self.month
        dates = pd.period_range(self.settings.sim.start, periods=done, freq="M").strftime("%Y-%m")
        columns: dict[str, Any] = {
            "replicate": np.repeat(np.arange(self.replicates), done),
            "month": np.tile(np.arange(1, done + 1), self.replicates),
            "date": np.tile(np.asarray(dates), self.replicates),
        }
        for name, values in self._trajectory.items():
            flat = values[:done].T.ravel()
            if name == "deep_strikes":
                flat = DEEP_STRIKE_NAMES[flat]
            elif name == "troops":
                flat = TROOP_NAMES[flat]
            elif name == "russian_action":
                flat = ACTION_NAMES[flat]
            columns[name] = flat
        return pd.DataFrame(columns)


def _first_month(events: np.ndarray) -> np.ndarray:
    """First month (1-based) in which an event happened per replicate; NaN if never."""
    happened = events.any(axis=0)
    return np.where(happened, events.argmax(axis=0) + 1.0, np.nan)


_TRAJECTORY_DTYPES = {
    "rung": np.int8,
    "position": np.float64,
    "western_rung": np.int8,
    "aid": bool,
    "advanced_weapons": bool,
    "training": bool,
    "instructors_inside": bool,
    "deep_strikes": np.int8,
    "troops": np.int8,
    "perceived_involvement": np.float64,
    "red_line_crossed": bool,
    "russian_action": np.int8,
    "nato_military_response": bool,
    "direct_conflict": bool,
    "nuclear_use": bool,
    "west_belief": np.float64,
    "russia_belief": np.float64,
}
