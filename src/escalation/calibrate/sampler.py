"""pyABC, batched and seeded: many particles per engine run, the same posterior on any workers.

pyABC's samplers call the model once per particle; the engine is fast per replicate only in
large batches (1 particle of 20 replicates: ~40 ms; 200 particles of 20: ~0.5 ms each, measured
by ``benchmarks/bench_calibrate.py``). ``BatchedSampler`` keeps pyABC's algorithm (its proposals,
weights, thresholds and database) and changes only how a generation's particles are simulated:

1. the tasks of a round are cut into chunks of ``chunk`` particles, by rule, not by worker;
2. in each chunk, pyABC's ``simulate_one`` is called once per task with the global generators
   seeded from (seed, call, round, chunk, task): ``BatchModel`` records the proposed parameters
   and stops there;
3. one engine run replays the record for all the chunk's particles (``record.replay_particles``,
   seeded from (seed, call, round, chunk));
4. ``simulate_one`` is called again per task with the same seeds, so pyABC proposes the same
   parameters, and ``BatchModel`` answers with that particle's statistics: pyABC computes the
   distance, accepts or rejects and weights as usual;
5. the particles are taken in task order until the generation has its ``n`` accepted.

Chunks run through any ``map``: the built-in one (one process), a process pool, or a Dask client
(``client.map``), and give the same particles in the same order on each. ``PriorOrKernel`` is
the proposal: a Gaussian kernel on the parameters the record has narrowed, each other parameter
drawn from its prior, so that weights do not collapse over the many parameters the record does
not inform (Filippi et al. 2013, "On optimality of kernels for ABC-SMC", SAGMB 12; Beaumont et al.
2009, "Adaptive approximate Bayesian computation", Biometrika 96).
"""

from __future__ import annotations

import math
import random
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import Sampler
from pyabc.transition import MultivariateNormalTransition, Transition
from scipy import special
from tqdm import tqdm

from escalation.calibrate.record import occurrence_statistics, replay_particles
from escalation.calibrate.sizes import CalibrationError
from escalation.config.schema import Settings
from escalation.timeline import Timeline

PRIOR_SD = math.pi / math.sqrt(3)
"""Standard deviation of every prior on the logit scale (the standard logistic)."""
NARROWED = 0.8
"""A parameter is perturbed by the kernel once its weighted sd is below this share of its
prior's (on the logit scale); until then it is drawn from its prior."""
FIRST_RATE = 0.5
"""Acceptance rate assumed before any is measured (pyABC's default threshold is the median)."""
LOWEST_RATE = 0.002
"""Lowest acceptance rate a round's size is planned for."""
MAX_CHUNKS = 64
"""Most chunks in one round."""

_STATE = threading.local()


class _Recorded(Exception):
    """A proposal was recorded; it is simulated later with the rest of its chunk."""


def to_natural(z: Any, low: float, high: float) -> Any:
    """A parameter's value from its logit-scale value: low + (high − low) · logistic(z)."""
    return low + (high - low) * special.expit(z)


def to_logit(value: Any, low: float, high: float) -> Any:
    """A parameter's logit-scale value (the inverse of ``to_natural``)."""
    return special.logit((np.asarray(value, dtype=float) - low) / (high - low))


class LogisticPrior(pyabc.Distribution):
    """Every parameter's prior on the logit scale: independent standard logistics.

    pyABC's ``Distribution`` of ``RV("logistic", 0, 1)``, with its density and draws computed
    at once for all parameters (scipy's per-parameter calls took half the calibration's time).
    """

    def __init__(self, names: list[str]):
        super().__init__(**{name: pyabc.RV("logistic", 0, 1) for name in names})
        self.names = list(names)

    def rvs(self, *args: Any, **kwargs: Any) -> pyabc.Parameter:
        """One draw of every parameter."""
        del args, kwargs
        draws = np.random.logistic(size=len(self.names))
        return pyabc.Parameter(dict(zip(self.names, draws.tolist(), strict=True)))

    def pdf(self, x: Any) -> float:
        """The joint density at ``x``: the product of the standard logistic's."""
        return logistic_density(np.array([x[name] for name in self.names], dtype=float))


def logistic_density(z: np.ndarray) -> Any:
    """The joint standard logistic density of the last axis of ``z``."""
    z = np.abs(np.asarray(z, dtype=float))
    return np.exp(np.sum(-z - 2.0 * np.log1p(np.exp(-z)), axis=-1))


class BatchModel(pyabc.Model):
    """The model pyABC calls: it records a proposal, then answers with its batch's statistics."""

    def sample(self, pars: Any) -> dict[str, np.ndarray]:
        """Record ``pars`` (first pass) or return the statistics simulated for them (second)."""
        state = _STATE.chunk
        if state.recording:
            state.proposals.append({name: float(pars[name]) for name in state.names})
            raise _Recorded
        return state.answer


@dataclass(frozen=True)
class Engine:
    """Replays the record for a chunk of particles given on the logit scale.

    Attributes:
        settings: The replay's settings over the months fitted (``sim.parameters=prior``).
        timeline: The record.
        ranges: ``(low, high)`` of each calibrated parameter, in order.
        replicates: Replicates per particle.
    """

    settings: Settings
    timeline: Timeline
    ranges: dict[str, tuple[float, float]]
    replicates: int

    def __call__(self, proposals: list[dict[str, float]], seed: list[int]) -> list[dict]:
        """Each proposal's statistics (``record.occurrence_statistics``) from one replay."""
        values = {
            name: to_natural(np.array([p[name] for p in proposals]), low, high)
            for name, (low, high) in self.ranges.items()
        }
        occurs = replay_particles(
            self.settings, self.timeline, values, replicates=self.replicates, seed=seed
        )
        return occurrence_statistics(occurs, len(proposals))


@dataclass
class _Chunk:
    """What a worker needs to simulate one chunk (pickled to it)."""

    simulate_one: bytes
    engine: Engine
    seeds: list[list[int]]
    seed: list[int]
    names: list[str]
    recording: bool = True
    proposals: list = field(default_factory=list)
    answer: Any = None


def _seed_globals(seed: list[int]) -> None:
    """Seed the generators pyABC draws its proposals from (numpy's and Python's global ones)."""
    state = np.random.SeedSequence(seed).generate_state(2)
    np.random.seed(state)
    random.seed(int(state[0]) << 32 | int(state[1]))


def run_chunk(chunk: _Chunk) -> list:
    """Propose, simulate in one engine run, and evaluate one chunk's particles, in task order."""
    simulate_one = cloudpickle.loads(chunk.simulate_one)
    _STATE.chunk = chunk
    try:
        for seed in chunk.seeds:
            _seed_globals(seed)
            try:
                simulate_one()
            except _Recorded:
                continue
            raise RuntimeError("pyABC evaluated a particle without calling the model")
        answers = chunk.engine(chunk.proposals, chunk.seed)
        chunk.recording = False
        particles = []
        for seed, answer in zip(chunk.seeds, answers, strict=True):
            _seed_globals(seed)
            chunk.answer = answer
            particles.append(simulate_one())
        return particles
    finally:
        del _STATE.chunk


class BatchedSampler(Sampler):
    """pyABC's sampler interface over chunks of particles run through ``map_``.

    Args:
        engine: Replays a chunk.
        seed: The calibration's seed; every proposal and replay derives from it by rule.
        chunk: Particles per engine run.
        map_: ``map(function, chunks)`` returning results in order (built-in ``map``, a process
            pool's ``map``, a Dask client's ``map`` then ``gather``).
        max_evaluations: Most particles one generation may simulate before the run stops.
        progress: Show a progress bar per generation (stderr).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        seed: int,
        chunk: int,
        map_: Callable[[Callable, Iterable], Iterable] = map,
        max_evaluations: int,
        progress: bool = False,
    ):
        super().__init__()
        self.engine = engine
        self.seed = seed
        self.chunk = chunk
        self.map_ = map_
        self.max_evaluations = max_evaluations
        self.show_progress = progress
        self.calls = 0
        self.rate = FIRST_RATE

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable,
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """Simulate rounds of chunks until ``n`` particles are accepted; keep them in task order.

        Raises:
            CalibrationError: More than ``max_evaluations`` particles without ``n`` accepted.
        """
        del max_eval, ana_vars
        call = self.calls
        self.calls += 1
        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        rate = 1.0 if all_accepted else self.rate
        label = "prior sample" if t < 0 or all_accepted else f"generation {t + 1}"
        bar = tqdm(
            total=n, desc=label, unit="particle", file=sys.stderr, disable=not self.show_progress
        )
        round_ = 0
        with bar:
            while accepted < n:
                wanted = math.ceil((n - accepted) / max(rate, LOWEST_RATE) * 1.1)
                count = min(MAX_CHUNKS, max(1, math.ceil(wanted / self.chunk)))
                chunks = [
                    self._chunk(payload, [self.seed, call, round_, index]) for index in range(count)
                ]
                round_accepted = round_total = 0
                for particles in self.map_(run_chunk, chunks):
                    for particle in particles:
                        round_total += 1
                        round_accepted += bool(particle.accepted)
                        if accepted < n:
                            sample.append(particle)
                            evaluated += 1
                            accepted += bool(particle.accepted)
                            bar.update(int(particle.accepted))
                rate = max(round_accepted, 1) / round_total
                round_ += 1
                if accepted < n and evaluated >= self.max_evaluations:
                    raise CalibrationError(
                        f"{label}: {accepted} of {n} particles accepted after {evaluated} "
                        "simulations; the threshold fell below what the model can reach: give "
                        "fewer generations or more replicates"
                    )
        if not all_accepted:
            self.rate = accepted / evaluated
        self.nr_evaluations_ = evaluated
        return sample

    def _chunk(self, payload: bytes, key: list[int]) -> _Chunk:
        """One chunk's task: its particles' seeds and its replay's seed, all from ``key``."""
        return _Chunk(
            simulate_one=payload,
            engine=self.engine,
            seeds=[[*key, task] for task in range(self.chunk)],
            seed=[*key, self.chunk],
            names=list(self.engine.ranges),
        )


class PriorOrKernel(Transition):
    """A Gaussian kernel on the parameters the record narrowed, prior draws for the others.

    A parameter counts as narrowed when its weighted standard deviation in the last population
    is below ``NARROWED`` of its prior's (logit scale). The kernel is pyABC's
    ``MultivariateNormalTransition`` (Silverman's bandwidth) on those parameters; the others are
    drawn from the standard logistic, their prior on the logit scale, so their prior density
    cancels from every weight.
    """

    def __init__(self) -> None:
        self.kernel = MultivariateNormalTransition()
        self.narrowed: list[str] = []
        self.free: list[str] = []

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        """Choose the narrowed parameters and fit the kernel on them."""
        mean = X.to_numpy().T @ w
        sd = np.sqrt(((X.to_numpy() - mean) ** 2).T @ w)
        self.narrowed = [
            name for name, s in zip(X.columns, sd, strict=True) if s < NARROWED * PRIOR_SD
        ]
        self.free = [name for name in X.columns if name not in self.narrowed]
        if self.narrowed:
            self.kernel.fit(X[self.narrowed], w)

    def rvs_single(self) -> pyabc.Parameter:
        """One proposal: the kernel's values where narrowed, prior draws elsewhere."""
        values = dict(self.kernel.rvs_single()) if self.narrowed else {}
        for name in self.free:
            values[name] = float(np.random.logistic())
        return pyabc.Parameter({name: values[name] for name in self.X.columns})

    def pdf(self, x: pd.Series | pd.DataFrame) -> float | np.ndarray:
        """The proposal's density at ``x`` (one parameter or a table of them)."""
        if isinstance(x, pd.DataFrame):
            density = logistic_density(x[self.free].to_numpy())
            if self.narrowed:
                density = density * self.kernel.pdf(x[self.narrowed])
            return density
        density = float(logistic_density([x[name] for name in self.free]))
        if self.narrowed:
            density *= float(self.kernel.pdf(pd.Series({n: x[n] for n in self.narrowed})))
        return density
