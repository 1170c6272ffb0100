"""A large run in chunks of replicates, on every core: the same tables for any number of workers.

The rule (docs/MODEL.md, "Random streams"): a run of at most ``CHUNK`` replicates is one model
seeded with ``seed``, as it always was. A larger run is split into chunks of ``CHUNK``
replicates (the last one smaller), whatever the number of workers, and takes its random
streams from ``numpy.random.SeedSequence(seed).spawn(chunks + 1)``:

- stream 0 draws the uncertain parameters of the whole run, once (``sim.draws`` draws over all
  its replicates, ``escalation.config.sampling.draw_parameters``), so draw ids never collide
  between chunks and a draw's replicates may span two chunks;
- chunk ``c`` is a model of its replicates seeded with stream ``c + 1`` and given its slice of
  the run's parameters (every one of them, as fixed ``uncertainties``); its tables are numbered
  with the run's replicates and draws.

The chunks run in this process one after the other (``sim.workers=1``, or a sweep's job) or in
worker processes (``sim.workers``: 0 means one per core available, at most one per chunk), and
their tables are joined in chunk order, so the tables do not depend on the number of workers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.sampling import draw_parameters
from escalation.config.schema import Settings
from escalation.run.processes import in_processes, processes_for

#: Replicates a chunk holds: large enough that numpy's cost per call is spread over many
#: replicates (the engine runs 25,000 replicates at about the rate of 100,000, while 1,000 run
#: at half of it, docs/PERFORMANCE.md), small enough that 100,000 replicates give every one of
#: two or four cores the same share. Tests lower it to exercise chunked runs quickly.
CHUNK = 25_000

Tables = tuple[pd.DataFrame, pd.DataFrame | None]


def chunk_sizes(replicates: int) -> list[int]:
    """The replicates of each chunk of a run: ``CHUNK`` each, the remainder last."""
    whole, rest = divmod(replicates, CHUNK)
    return [CHUNK] * whole + ([rest] if rest else [])


def chunk_count(replicates: int) -> int:
    """How many chunks a run of ``replicates`` is split into (without listing them)."""
    return max(1, -(-replicates // CHUNK))


def worker_count(settings: Settings) -> int:
    """Processes that simulate the run's chunks at once: ``sim.workers`` (0: every core).

    At most one per chunk: a run of one chunk is simulated in this process.
    """
    chunks = chunk_count(settings.sim.replicates)
    return max(1, min(processes_for(settings.sim.workers), chunks))


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """What a process needs to simulate one chunk of a run."""

    settings: Settings
    stream: np.random.SeedSequence
    first: int
    draw: np.ndarray
    parameters: Mapping[str, np.ndarray]
    trajectories: bool


def simulate_chunked(
    settings: Settings, *, trajectories: bool, workers: int, progress: Any
) -> Tables:
    """Simulate a run of more than ``CHUNK`` replicates chunk by chunk (the module's rule).

    Args:
        settings: The run's validated settings.
        trajectories: Whether to build the trajectories table (else None in its place).
        workers: Processes to simulate the chunks in; 1 simulates them here, in order.
        progress: A tqdm-like bar over the chunks (``update(1)`` as each one ends).

    Returns:
        The run's outcomes and trajectories tables, as ``EscalationModel.outcomes`` and
        ``trajectories`` lay them out, over all the run's replicates.
    """
    chunks = _chunks(settings, trajectories=trajectories)
    if workers <= 1:
        results = []
        for chunk in chunks:
            results.append(_simulate_chunk(chunk))
            progress.update(1)
    else:
        from escalation.model import EscalationModel  # noqa: F401 - once here, not per worker

        results = in_processes(_simulate_chunk, chunks, workers, progress)
    outcomes = pd.concat([result[0] for result in results], ignore_index=True)
    if not trajectories:
        return outcomes, None
    return outcomes, pd.concat([result[1] for result in results], ignore_index=True)


def _chunks(settings: Settings, *, trajectories: bool) -> list[_Chunk]:
    """The run's chunks: their settings, streams and slices of the run's parameter draws."""
    sizes = chunk_sizes(settings.sim.replicates)
    streams = np.random.SeedSequence(settings.seed).spawn(len(sizes) + 1)
    draw, parameters = draw_parameters(
        settings, np.random.default_rng(streams[0]), settings.sim.replicates
    )
    chunks, first = [], 0
    for size, stream in zip(sizes, streams[1:], strict=True):
        mine = slice(first, first + size)
        # The chunk's model is given every parameter, so how it would draw them does not
        # matter: plain uniform draws need neither a Sobol' design nor the posterior file.
        sim = dataclasses.replace(
            settings.sim, replicates=size, sampling="uniform", parameters="prior", draws=1
        )
        chunks.append(
            _Chunk(
                settings=dataclasses.replace(settings, sim=sim),
                stream=stream,
                first=first,
                draw=draw[mine],
                parameters={name: values[mine] for name, values in parameters.items()},
                trajectories=trajectories,
            )
        )
        first += size
    return chunks


def _simulate_chunk(chunk: _Chunk) -> Tables:
    """One chunk's tables, numbered with the run's replicates and draws."""
    from escalation.model import EscalationModel

    model = EscalationModel(
        chunk.settings, rng=chunk.stream, uncertainties=dict(chunk.parameters)
    ).run()
    outcomes = model.outcomes()
    outcomes["replicate"] += chunk.first
    outcomes["draw"] = chunk.draw
    if not chunk.trajectories:
        return outcomes, None
    table = model.trajectories()
    table["replicate"] += chunk.first
    return outcomes, table
