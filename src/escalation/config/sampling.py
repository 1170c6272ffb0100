"""How the uncertain assumptions are drawn per replicate: uniformly, or on a Sobol' design.

``sim.sampling`` chooses the mode:

- ``uniform`` (default): each assumption is drawn independently and uniformly in ``[low, high]``,
  one vector each, in schema order (docs/MODEL.md §5). This is what every run did before the
  mode existed, draw for draw, so outputs stay byte-identical.
- ``sobol``: the assumptions with ``low < high`` (``D`` of them) are placed on Saltelli's
  extension of a scrambled Sobol' sequence (SALib ``sample.sobol``, first and total order only),
  so that ``escalation-analyze`` can estimate Sobol' indices with SALib ``analyze.sobol``. The
  base sample size is ``N = replicates // (D + 2)``; the design fills the first ``N * (D + 2)``
  replicates, in SALib's order (for each base point: A, then A with column i from B for each i,
  then B). The few replicates left over (fewer than ``D + 2``) are drawn uniformly and are not
  part of the design. Assumptions fixed with ``low == high`` keep their value in every replicate.
  The scrambling is seeded from the model's generator only. SALib is imported only in this mode.

The model's own randomness (monthly noise, Russia's choices) still comes from the model's
generator, so a replicate is one stochastic run at the sampled assumptions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from escalation.config.schema import ConfigError, uncertainty_names

if TYPE_CHECKING:
    from escalation.config.schema import Settings

MIN_BASE_SAMPLES = 8
"""Smallest Sobol' base sample size ``N`` accepted (fewer gives meaningless indices)."""

INSTALL_HINT = "install the analysis extra: pip install -e '.[analysis]'"
"""What to do when SALib or EMA Workbench is missing."""


def uncertainty_ranges(settings: Settings) -> dict[str, tuple[float, float]]:
    """The ``(low, high)`` range of every uncertainty, in schema order."""
    return {
        name: (float(bounds.low), float(bounds.high))
        for name in uncertainty_names()
        for bounds in [getattr(settings.uncertainty, name)]
    }


def sobol_problem(ranges: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """SALib's problem definition: the assumptions that vary (``low < high``), in order.

    Args:
        ranges: ``(low, high)`` per uncertainty name, in schema order.

    Returns:
        ``{"num_vars": D, "names": [...], "bounds": [[low, high], ...]}``.
    """
    varying = {name: bounds for name, bounds in ranges.items() if bounds[0] < bounds[1]}
    return {
        "num_vars": len(varying),
        "names": list(varying),
        "bounds": [list(bounds) for bounds in varying.values()],
    }


def sobol_base_size(replicates: int, dimensions: int) -> int:
    """Base sample size ``N`` of the Sobol' design: ``replicates // (dimensions + 2)``.

    Raises:
        ConfigError: No assumption varies, or ``N`` is below ``MIN_BASE_SAMPLES``.
    """
    if dimensions == 0:
        raise ConfigError(
            "sim.sampling=sobol needs at least one uncertainty with low < high; all are fixed"
        )
    base = replicates // (dimensions + 2)
    if base < MIN_BASE_SAMPLES:
        raise ConfigError(
            f"sim.sampling=sobol needs sim.replicates >= {MIN_BASE_SAMPLES * (dimensions + 2)} "
            f"({MIN_BASE_SAMPLES} x (D + 2) with D = {dimensions} varying uncertainties); "
            f"got {replicates}. Best: a power of two times {dimensions + 2}, "
            f"e.g. {512 * (dimensions + 2)}"
        )
    return base


def check_sobol(settings: Settings) -> None:
    """Check that a ``sobol`` design fits in ``sim.replicates`` and that SALib imports.

    Raises:
        ConfigError: One line naming ``sim.sampling`` and what it needs.
    """
    problem = sobol_problem(uncertainty_ranges(settings))
    sobol_base_size(settings.sim.replicates, problem["num_vars"])
    _salib_sobol_sampler()


def draw_uncertainties(
    settings: Settings, rng: np.random.Generator, replicates: int
) -> dict[str, np.ndarray]:
    """Draw every uncertain assumption for each replicate, as ``sim.sampling`` says.

    Args:
        settings: The run's settings (``uncertainty`` ranges, ``sim.sampling``).
        rng: The model's generator, the only source of randomness.
        replicates: Number of replicates.

    Returns:
        One array of ``replicates`` values per uncertainty name, in schema order.
    """
    ranges = uncertainty_ranges(settings)
    if settings.sim.sampling != "sobol":
        return {name: rng.uniform(low, high, replicates) for name, (low, high) in ranges.items()}
    return _draw_sobol(ranges, rng, replicates)


def _draw_sobol(
    ranges: Mapping[str, tuple[float, float]], rng: np.random.Generator, replicates: int
) -> dict[str, np.ndarray]:
    """Saltelli's design in the first ``N * (D + 2)`` replicates, uniform draws after it."""
    problem = sobol_problem(ranges)
    base = sobol_base_size(replicates, problem["num_vars"])
    sample = _salib_sobol_sampler()
    with warnings.catch_warnings():
        # SciPy warns unless N is a power of two; docs/ANALYSIS.md recommends one.
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        design = sample(problem, base, calc_second_order=False, scramble=True, seed=rng)
    leftover = replicates - design.shape[0]
    columns = dict(zip(problem["names"], design.T, strict=True))
    values = {}
    for name, (low, high) in ranges.items():
        if name in columns:
            values[name] = np.concatenate([columns[name], rng.uniform(low, high, leftover)])
        else:
            values[name] = np.full(replicates, low)
    return values


def _salib_sobol_sampler() -> Any:
    """SALib's Saltelli sampler, or a ``ConfigError`` saying how to install it."""
    try:
        from SALib.sample.sobol import sample
    except ImportError:
        raise ConfigError(f"sim.sampling=sobol needs SALib: {INSTALL_HINT}") from None
    return sample
