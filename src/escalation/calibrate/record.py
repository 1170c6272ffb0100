"""The record a calibration fits, the replay of a batch of particles, and the distance between them.

The record is the timeline's scored classes month by month (``escalation.timeline``), from its
first month to the last month fitted. What the model is asked to reproduce (the review's
§2.3): in each month, which of four joint states Russia was in (neither nuclear signalling nor a
hybrid operation, signalling only, hybrid only, both), and whether each of the five rarer
classes happened (strikes on Western forces, strikes on NATO, nuclear use, a NATO military
answer, NATO-Russia war: none did in 2022-24). The record has no front line, so front movement
is not fitted (the model's front is driven by Ukraine's replayed events, not scored).

The distance is the negative mean log predictive score of the record: for each month, minus
the log of the replay's probability of the observed joint state, minus the log of each rarer
class's probability of what happened, averaged over months. Each probability is the share of the
particle's replicates with that outcome, smoothed by Jeffreys' rule ((k + 1/2) / (R + 1)) so that
no finite batch gives an infinite distance. It is a proper score (the smaller, the better the
particle predicts each month of the record); ABC-SMC with a shrinking quantile threshold on it
approximates the posterior under this composite likelihood (Wood 2010, "Statistical inference
for noisy nonlinear ecological dynamic systems", Nature 466; Sisson, Fan & Beaumont 2018,
*Handbook of ABC*, ch. 1).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from escalation.config.schema import Settings
from escalation.model import EscalationModel
from escalation.model.replay import scored_occurrences
from escalation.timeline import (
    SCORED_EVENTS,
    Timeline,
    month_index,
    month_name,
    month_range,
    replay_events,
)

JOINT_CLASSES = ("nuclear_signalling", "hybrid_attacks")
"""The two classes the record holds often enough to fit jointly."""
JOINT_STATES = ("neither", "signalling only", "hybrid only", "both")
"""The joint states of ``JOINT_CLASSES`` a month can be in (code = signalling + 2 x hybrid)."""
RARE_CLASSES = tuple(name for name in SCORED_EVENTS if name not in JOINT_CLASSES)
"""The other scored classes, each fitted as happened or not."""
SMOOTHING = 0.5
"""Jeffreys' pseudo-count: a share of k in R is read as (k + 1/2) / (R + 1)."""


@dataclass(frozen=True)
class Record:
    """The observed record of the months fitted.

    Attributes:
        months: ``YYYY-MM`` of each month fitted, in order.
        joint: The joint state code of each month (``JOINT_STATES``).
        rare: Per rare class, whether it happened in each month.
    """

    months: tuple[str, ...]
    joint: np.ndarray
    rare: dict[str, np.ndarray]

    def statistics(self) -> dict[str, np.ndarray]:
        """The record as a particle's statistics look (one replicate that did what happened)."""
        joint = np.zeros((len(self.months), len(JOINT_STATES)), dtype=np.int32)
        joint[np.arange(len(self.months)), self.joint] = 1
        rare = np.column_stack([self.rare[name] for name in RARE_CLASSES]).astype(np.int32)
        return {"joint": joint, "rare": rare, "replicates": np.array(1)}


def observed_record(timeline: Timeline, until: str) -> Record:
    """The record from the timeline's first month to ``until`` (inclusive)."""
    months = tuple(month_range(timeline.first_month, until))
    seen = {name: timeline.observed(name) for name in SCORED_EVENTS}
    happened = {name: np.array([m in seen[name] for m in months]) for name in SCORED_EVENTS}
    joint = happened["nuclear_signalling"].astype(int) + 2 * happened["hybrid_attacks"]
    return Record(months, joint, {name: happened[name] for name in RARE_CLASSES})


def occurrence_statistics(occurs: Mapping[str, np.ndarray], particles: int) -> list[dict]:
    """Each particle's statistics from the classes' (months, particles x R) occurrences.

    Replicates are grouped by particle in contiguous blocks of R.

    Returns:
        Per particle: ``joint`` (months, 4) counts of each joint state, ``rare`` (months, 5)
        counts of each rare class, ``replicates`` R.
    """
    months, total = occurs[SCORED_EVENTS[0]].shape
    size = total // particles
    code = occurs["nuclear_signalling"].astype(np.int64) + 2 * occurs["hybrid_attacks"]
    code = code.reshape(months, particles, size)
    joint = np.stack([(code == state).sum(axis=2) for state in range(len(JOINT_STATES))], axis=2)
    rare = np.stack(
        [occurs[name].reshape(months, particles, size).sum(axis=2) for name in RARE_CLASSES],
        axis=2,
    )
    return [
        {
            "joint": joint[:, p].astype(np.int32),
            "rare": rare[:, p].astype(np.int32),
            "replicates": np.array(size),
        }
        for p in range(particles)
    ]


def log_score_distance(simulated: Mapping[str, np.ndarray], observed: Mapping) -> float:
    """Negative mean log predictive score of the observed record under a particle's replays.

    Rule: per month, −log p(observed joint state) − Σ over rare classes of −log p(what
    happened), p the particle's smoothed share ((k + 1/2) / (R + 1)); the mean over months.
    """
    size = float(simulated["replicates"])
    joint = (simulated["joint"] + SMOOTHING) / (size + 2 * SMOOTHING)
    rare = (simulated["rare"] + SMOOTHING) / (size + 2 * SMOOTHING)
    seen_joint = np.asarray(observed["joint"]).astype(bool)
    seen_rare = np.asarray(observed["rare"]).astype(bool)
    score = -np.log(joint[seen_joint]).sum()
    score -= np.log(np.where(seen_rare, rare, 1.0 - rare)).sum()
    return float(score / len(joint))


def replay_particles(
    base: Settings,
    timeline: Timeline,
    values: Mapping[str, np.ndarray],
    *,
    replicates: int,
    seed: int | list[int],
) -> dict[str, np.ndarray]:
    """Replay the record once for a batch of particles, ``replicates`` replicates each.

    Args:
        base: The replay's settings (``config.scenarios.replay_settings``) over the months fitted,
            with ``sim.parameters=prior``; copied, never changed.
        timeline: The record whose Western and Ukrainian events drive the replay.
        values: Per parameter, one value per particle; a parameter left out is drawn from its
            prior per particle.
        replicates: Replicates per particle.
        seed: The replay's seed.

    Returns:
        Per scored class, a (months, particles x ``replicates``) boolean array, particles in
        contiguous blocks (``model.replay.scored_occurrences``).
    """
    particles = len(next(iter(values.values())))
    settings = copy.deepcopy(base)
    settings.sim.replicates = particles * replicates
    settings.sim.draws = particles
    settings.seed = seed
    fixed = {
        name: np.repeat(np.asarray(column, dtype=float), replicates)
        for name, column in values.items()
    }
    last = month_name(month_index(timeline.first_month) + settings.sim.months - 1)
    events = replay_events(timeline, until=last)
    model = EscalationModel(settings, replay=events, uncertainties=fixed).run()
    return scored_occurrences(model.record())
