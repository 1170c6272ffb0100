"""Calibrate the uncertain parameters on the dated record with ABC-SMC (pyABC).

``calibrate`` fits every uncertain parameter with a range (the 12 sampled assumptions of
``conf/uncertainty`` and the doctrine priors of ``conf/prior``) to the record from the
timeline's first month to ``until`` (``record``: the joint monthly states of nuclear signalling
and hybrid operations and the rarer classes, scored by the negative mean log predictive score).
Each prior is uniform on its range; pyABC works on the logit scale, where it is the standard
logistic and proposals never leave the range. The threshold of each generation is the median
distance of the last (pyABC's ``MedianEpsilon``); the proposal is ``sampler.PriorOrKernel``.
The result carries the weighted particles of the last generation (the posterior), the
generations' thresholds, acceptance rates and effective sample sizes, and a
posterior-predictive replay of the record month by month with its parameter band.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from escalation.calibrate.record import (
    RARE_CLASSES,
    Record,
    log_score_distance,
    observed_record,
    replay_particles,
)
from escalation.calibrate.sampler import (
    BatchedSampler,
    BatchModel,
    Engine,
    LogisticPrior,
    PriorOrKernel,
    to_natural,
)
from escalation.calibrate.sizes import (
    DEFAULT_GENERATIONS,
    DEFAULT_PARTICLES,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    CalibrationError,
    check_sizes,
    check_until,
)
from escalation.config.posterior import effective_sample_size
from escalation.config.sampling import parameter_ranges
from escalation.config.scenarios import replay_settings
from escalation.config.schema import ConfigError
from escalation.run.processes import Processes
from escalation.run.results import parameter_band
from escalation.timeline import (
    SCORED_EVENTS,
    Timeline,
    load_timeline,
)

CHUNK = 100
"""Particles per engine run (a rule: the same on any number of workers)."""
MAX_EVALUATIONS = 200
"""Most simulated particles per accepted one in a generation before the run stops."""
PREDICTIVE_DRAWS = 400
"""Particles drawn from the posterior (and the prior) for the predictive check."""
PREDICTIVE_REPLICATES = 10
"""Replicates per drawn particle in the predictive check."""


@dataclass(frozen=True)
class Calibration:
    """What a calibration found.

    Attributes:
        posterior: One row per particle of the last generation: a column per calibrated
            parameter (natural scale) and ``weight`` (normalised).
        priors: ``(low, high)`` of each calibrated parameter.
        generations: One row per generation: ``generation`` (0 = the first from the prior),
            ``epsilon``, ``simulations``, ``acceptance``, ``ess``.
        predictive: One row per (month, class): ``month, event, observed``, ``p`` and its
            ``band_low``/``band_high`` under the posterior, ``p_prior`` under the prior.
        record: The record fitted.
        sizes: ``particles``, ``generations``, ``replicates``, ``workers``.
        seed: The seed.
        timeline: The timeline's path.
        seconds: Wall time of the ABC-SMC run.
    """

    posterior: pd.DataFrame
    priors: dict[str, tuple[float, float]]
    generations: pd.DataFrame
    predictive: pd.DataFrame
    record: Record
    sizes: dict[str, int]
    seed: int
    timeline: str
    seconds: float

    @property
    def until(self) -> str:
        """The last month fitted."""
        return self.record.months[-1]

    def ess(self) -> float:
        """Kish's effective sample size of the posterior's weights."""
        return effective_sample_size(self.posterior["weight"].to_numpy())

    def summary(self) -> pd.DataFrame:
        """Per parameter: prior range, posterior median and 90% interval, identification.

        ``width_ratio`` is the posterior's 90% interval over the prior's (0.9 of its range): 1
        means the record taught nothing; ``identified`` is ``yes`` below 0.75, ``weakly`` to 0.9,
        else ``no``.
        """
        weights = self.posterior["weight"].to_numpy()
        rows = []
        for name, (low, high) in self.priors.items():
            q05, q50, q95 = weighted_quantiles(self.posterior[name].to_numpy(), weights)
            ratio = (q95 - q05) / (0.9 * (high - low))
            rows.append(
                {
                    "parameter": name,
                    "prior_low": low,
                    "prior_high": high,
                    "median": q50,
                    "q05": q05,
                    "q95": q95,
                    "width_ratio": ratio,
                    "identified": "yes" if ratio < 0.75 else "weakly" if ratio < 0.9 else "no",
                }
            )
        return pd.DataFrame(rows)


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, quantiles: tuple[float, ...] = (0.05, 0.5, 0.95)
) -> list[float]:
    """Quantiles of a weighted sample (inverse of the weighted empirical distribution)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / np.sum(weights)
    return [float(values[order][np.searchsorted(cumulative, q)]) for q in quantiles]


def calibrate(
    timeline: Timeline | None = None,
    *,
    until: str | None = None,
    particles: int = DEFAULT_PARTICLES,
    generations: int = DEFAULT_GENERATIONS,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
    dask: Any = None,
    progress: bool = False,
) -> Calibration:
    """Fit the uncertain parameters to the record up to ``until`` by ABC-SMC.

    Args:
        timeline: The record (default: the shipped timeline).
        until: Last month fitted (default: the timeline's last).
        particles: Accepted particles per generation.
        generations: Generations after the prior sample.
        replicates: Replicates of the replay per particle.
        seed: Every proposal and replay derives from it: the same seed gives the same posterior
            on any number of workers and on a Dask cluster.
        workers: Local worker processes (1: this process).
        dask: A ``distributed.Client`` or a scheduler address to run the chunks on instead.
        progress: Show a progress bar per generation (stderr).

    Raises:
        CalibrationError: One line: a month outside the record, a size out of range, a config
            the replay refuses, or a threshold the model cannot reach.
    """
    timeline = timeline or load_timeline()
    until = check_until(timeline, until)
    check_sizes(particles, generations, replicates, workers, seed)
    try:
        base = replay_settings(
            timeline, replicates=1, seed=seed, until=until, **{"sim.parameters": "prior"}
        )
    except ConfigError as error:
        raise CalibrationError(str(error)) from None
    priors = {name: r for name, r in parameter_ranges(base).items() if r[0] < r[1]}
    if not priors:
        raise CalibrationError("every parameter is fixed (low = high): nothing to calibrate")
    record = observed_record(timeline, until)
    engine = Engine(base, timeline, priors, replicates)
    started = time.perf_counter()
    with (
        _quiet("ABC"),
        _mapper(workers, dask) as map_,
        tempfile.TemporaryDirectory() as folder,
    ):
        sampler = BatchedSampler(
            engine,
            seed=seed,
            chunk=CHUNK,
            map_=map_,
            max_evaluations=MAX_EVALUATIONS * particles,
            progress=progress,
        )
        abc = pyabc.ABCSMC(
            BatchModel(),
            LogisticPrior(list(priors)),
            log_score_distance,
            population_size=particles,
            transitions=PriorOrKernel(),
            eps=pyabc.MedianEpsilon(),
            sampler=sampler,
        )
        np.random.seed(seed)
        random.seed(seed)
        history = abc.new(f"sqlite:///{Path(folder) / 'pyabc.db'}", record.statistics())
        history.stores_sum_stats = False  # the particles' statistics are not read back
        history = abc.run(max_nr_populations=generations)
        posterior, table = _read_history(history, priors)
    seconds = time.perf_counter() - started
    predictive = posterior_predictive(engine, record, posterior, seed=seed)
    return Calibration(
        posterior=posterior,
        priors=priors,
        generations=table,
        predictive=predictive,
        record=record,
        sizes={
            "particles": particles,
            "generations": generations,
            "replicates": replicates,
            "workers": workers,
        },
        seed=seed,
        timeline=timeline.path,
        seconds=seconds,
    )


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Keep a logger's INFO lines (pyABC's, one per generation) off the terminal meanwhile."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _mapper(workers: int, dask: Any) -> Iterator[Any]:
    """A ``map`` over chunks: this process, ``workers`` forked processes, or Dask."""
    if dask is not None:
        client = dask
        if isinstance(dask, str):
            from distributed import Client

            client = Client(dask)
        try:
            yield lambda function, items: client.gather(client.map(function, items, pure=False))
        finally:
            if isinstance(dask, str):
                client.close()
        return
    if workers == 1:
        yield map
        return
    with Processes(workers) as processes:  # forked, stopped with the run (escalation.run)
        yield lambda function, items: processes.results(
            [processes.submit(function, item) for item in items]
        )


def _read_history(history: Any, priors: dict[str, tuple[float, float]]) -> tuple:
    """The last generation's particles (natural scale, normalised weights) and the generations."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = pd.DataFrame(
        {name: to_natural(frame[name].to_numpy(), *bounds) for name, bounds in priors.items()}
    )
    posterior["weight"] = weights / weights.sum()
    populations = history.get_all_populations()
    rows = []
    for _, row in populations[populations["t"] >= 0].iterrows():
        t = int(row["t"])
        _, w = history.get_distribution(m=0, t=t)
        rows.append(
            {
                "generation": t,
                "epsilon": float(row["epsilon"]),
                "simulations": int(row["samples"]),
                "acceptance": float(row["particles"]) / float(row["samples"]),
                "ess": effective_sample_size(w / w.sum()),
            }
        )
    return posterior, pd.DataFrame(rows)


def posterior_predictive(
    engine: Engine, record: Record, posterior: pd.DataFrame, *, seed: int
) -> pd.DataFrame:
    """Replay the record under the posterior and under the prior, month by month.

    Rule: ``PREDICTIVE_DRAWS`` particles drawn by weight (and as many from the prior), each for
    ``PREDICTIVE_REPLICATES`` replicates; p(class, month) is the share of replicates in which the
    class occurs, with its 5–95% parameter band across the drawn particles
    (``run.results.parameter_band``).
    """
    rng = np.random.default_rng([seed, 1])
    weights = posterior["weight"].to_numpy()
    rows = rng.choice(len(posterior), size=PREDICTIVE_DRAWS, p=weights / weights.sum())
    names = list(engine.ranges)
    drawn = {name: posterior[name].to_numpy()[rows] for name in names}
    prior = {
        name: rng.uniform(low, high, PREDICTIVE_DRAWS)
        for name, (low, high) in engine.ranges.items()
    }
    size = PREDICTIVE_REPLICATES
    after = replay_particles(
        engine.settings, engine.timeline, drawn, replicates=size, seed=[seed, 2]
    )
    before = replay_particles(
        engine.settings, engine.timeline, prior, replicates=size, seed=[seed, 3]
    )
    draw = np.repeat(np.arange(PREDICTIVE_DRAWS), size)
    observed = {**{name: record.rare[name] for name in RARE_CLASSES}}
    observed["nuclear_signalling"] = np.isin(record.joint, (1, 3))
    observed["hybrid_attacks"] = np.isin(record.joint, (2, 3))
    table = []
    for row, month in enumerate(record.months):
        for name in SCORED_EVENTS:
            happened = after[name][row].astype(float)
            low, high = parameter_band(happened, draw, bounds=(0.0, 1.0))
            table.append(
                {
                    "month": month,
                    "event": name,
                    "observed": bool(observed[name][row]),
                    "p": float(happened.mean()),
                    "band_low": math.nan if low is None else low,
                    "band_high": math.nan if high is None else high,
                    "p_prior": float(before[name][row].mean()),
                }
            )
    return pd.DataFrame(table)
