"""Russia's beliefs about Western resolve: a set of Beta priors, updated prior by prior.

Strategic ambiguity is a belief, not a scalar (docs/MODEL.md §7.4). Russia does not know the
West's resolve ``r`` (its chance of answering an attack militarily). It holds a *set* of Beta
priors with the same strength ``n`` and means in ``[m - w, m + w]``: declared red lines leave one
prior (``w = red_lines_width``, 0 by default: what is declared is known); ambiguity widens the set
(``w = ambiguity_width``). Each prior is updated by Bayes' rule from what Russia observes: an
attack answered counts as a success, an attack left unanswered as a failure, and a new Western
measure as ``measure_evidence`` of a success per unit of involvement (a resolute West adds
measures). Russia decides by α-maxmin expected utility over the set (Gilboa & Schmeidler 1989;
Ghirardato, Maccheroni & Marinacci 2004): every utility here is linear in ``r``, so the worst and
best cases are the extreme priors and Russia acts on ``r_α = α r_high + (1 - α) r_low``, where
"high" is the worst case for Russia (a more resolute West answers and climbs more).

Two priors suffice: Beta posteriors with equal counts keep their order, so the extreme priors
stay the extremes after any sequence of observations.
"""

from __future__ import annotations

import numpy as np


class ResolveBeliefs:
    """The lowest and the highest of Russia's Beta priors, per replicate.

    Args:
        mean: Prior mean of resolve, the centre of the set.
        width: Half-width of the set of prior means, per replicate.
        strength: Pseudo-observations behind each prior (``a + b``).
        aversion: Russia's α per replicate: 1 weighs the worst case only, 0 the best.
    """

    def __init__(
        self, mean: float, width: np.ndarray, strength: float, aversion: np.ndarray
    ) -> None:
        means = np.clip(np.stack([mean - width, mean + width]), 0.01, 0.99)
        self.successes = means * strength
        self.failures = (1.0 - means) * strength
        self.aversion = np.asarray(aversion, dtype=float)

    def set_width(self, width: np.ndarray, where: np.ndarray | None = None) -> None:
        """Re-centre the set on its mid-point with a new half-width, keeping each prior's counts.

        A change of declared posture (Macron's "nothing should be excluded", February 2024)
        widens or narrows the set without erasing what Russia has observed. ``where`` (None:
        every replicate) limits the change to the replicates whose posture changed.
        """
        counts = self.successes[0] + self.failures[0]  # the same for every prior of the set
        centre = 0.5 * (self.low + self.high)
        means = np.clip(np.stack([centre - width, centre + width]), 0.01, 0.99)
        if where is None:
            self.successes = means * counts
            self.failures = (1.0 - means) * counts
        else:
            self.successes = np.where(where, means * counts, self.successes)
            self.failures = np.where(where, (1.0 - means) * counts, self.failures)

    def observe(self, successes: np.ndarray, failures: np.ndarray) -> None:
        """Bayes' rule for each prior: Beta(a, b) -> Beta(a + successes, b + failures)."""
        self.successes += successes
        self.failures += failures

    @property
    def low(self) -> np.ndarray:
        """Posterior mean of resolve under the least resolute prior of the set."""
        return self.successes[0] / (self.successes[0] + self.failures[0])

    @property
    def high(self) -> np.ndarray:
        """Posterior mean of resolve under the most resolute prior of the set."""
        return self.successes[1] / (self.successes[1] + self.failures[1])

    @property
    def acted_on(self) -> np.ndarray:
        """The resolve Russia acts on, α-maxmin: ``α · high + (1 - α) · low``."""
        return self.aversion * self.high + (1.0 - self.aversion) * self.low
