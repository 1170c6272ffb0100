"""A calibrated posterior: particles of the uncertain parameters with weights, and where from.

``escalation-calibrate`` writes ``posterior.csv`` (one row per particle: a column per parameter,
then ``weight``) beside ``posterior.json`` (the model version, the priors it started from, the
command and seed that made it). ``sim.parameters=posterior`` draws each parameter draw's values
from a posterior read here: ``shipped`` (``src/escalation/data/posterior.csv``) or a path.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.schema import ConfigError

MODEL_VERSION = 3
"""The model whose parameters a posterior describes: a posterior made for another is refused."""

POSTERIOR_FILE = "posterior.csv"
"""A posterior's particles; its metadata is the ``.json`` file of the same name."""


@dataclass(frozen=True)
class Posterior:
    """Weighted particles and the priors they were calibrated from.

    Attributes:
        particles: One row per particle, a column per parameter (no ``weight`` column).
        weights: Normalised weights, one per particle.
        priors: ``(low, high)`` per parameter, as calibrated.
        meta: Everything ``posterior.json`` holds (command, seed, model version, ...).
    """

    particles: pd.DataFrame
    weights: np.ndarray
    priors: dict[str, tuple[float, float]]
    meta: dict[str, Any]

    def resample(self, rng: np.random.Generator, count: int) -> pd.DataFrame:
        """``count`` particles drawn with replacement, in proportion to their weights."""
        rows = rng.choice(len(self.particles), size=count, p=self.weights)
        return self.particles.iloc[rows].reset_index(drop=True)


def posterior_path(source: str) -> Path:
    """The ``posterior.csv`` that ``sim.posterior`` names: ``shipped``, a file or its folder."""
    if source == "shipped":
        return Path(str(resources.files("escalation.data").joinpath(POSTERIOR_FILE)))
    path = Path(source).expanduser()
    return path / POSTERIOR_FILE if path.is_dir() else path


def load_posterior(source: str = "shipped") -> Posterior:
    """Read and check a posterior (cached per path and modification time).

    Raises:
        ConfigError: One line naming ``sim.posterior`` and what is wrong: a missing or
            unreadable file, no metadata, another model version, no particles, weights that
            are not positive numbers, or a value outside its prior.
    """
    path = posterior_path(source)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise ConfigError(
            f"sim.posterior={source!r}: no posterior at {path}; give 'shipped', an "
            "escalation-calibrate folder or its posterior.csv"
        ) from None
    return _read(path, stamp, source)


@functools.cache
def _read(path: Path, stamp: int, source: str) -> Posterior:
    """The checked posterior at ``path`` (``stamp`` only keys the cache)."""
    del stamp
    where = f"sim.posterior={source!r} ({path})"
    meta_path = path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise ConfigError(
            f"{where}: cannot read the posterior or {meta_path.name}: {error}"
        ) from None
    version = meta.get("model_version") if isinstance(meta, dict) else None
    if version != MODEL_VERSION:
        raise ConfigError(
            f"{where}: made for model version {version}; "
            f"this is model version {MODEL_VERSION}: recalibrate with escalation-calibrate"
        )
    priors = {
        str(name): (float(bounds[0]), float(bounds[1]))
        for name, bounds in dict(meta.get("priors") or {}).items()
    }
    if "weight" not in table or len(table) == 0:
        raise ConfigError(f"{where}: needs at least one particle and a 'weight' column")
    names = [name for name in table.columns if name != "weight"]
    missing = [name for name in names if name not in priors]
    if missing:
        raise ConfigError(f"{where}: no prior recorded for {', '.join(missing)}")
    weights = pd.to_numeric(table["weight"], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ConfigError(f"{where}: weights must be numbers >= 0, not all 0")
    particles = table[names].apply(pd.to_numeric, errors="coerce")
    for name in names:
        low, high = priors[name]
        values = particles[name].to_numpy(dtype=float)
        if (
            not np.all(np.isfinite(values))
            or values.min() < low - 1e-12
            or values.max() > high + 1e-12
        ):
            raise ConfigError(f"{where}: {name} has values outside its prior [{low:g}, {high:g}]")
    return Posterior(particles, weights / weights.sum(), priors, meta)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights: 1 / Σ w²."""
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    return float(total**2 / np.sum(weights**2)) if total > 0 else math.nan
