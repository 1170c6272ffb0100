"""How each run's uncertain parameters are drawn: per parameter draw, as ``sim.parameters`` says.

The replicates of a run are split into ``sim.draws`` groups (at most one per replicate; replicate
``r`` of ``R`` belongs to draw ``r * D // R``), and the replicates of one draw share every
uncertain parameter: the assumptions of ``conf/uncertainty`` and the doctrine constants with a
prior in ``conf/prior``. Within a draw only the model's own randomness differs, so the spread of
a probability across draws is what the parameters leave unknown (its *parameter band*,
``escalation.run.results``) and the spread within a draw is Monte Carlo noise.

``sim.parameters`` chooses where a draw's values come from:

- ``posterior``: a particle of the calibrated posterior (``sim.posterior``, written by
  ``escalation-calibrate``), drawn with replacement by weight; a parameter fixed in the config
  (``low == high``) keeps its value.
- ``prior``: each parameter uniformly in its range.
- ``point``: the doctrine constants at their values in ``conf/doctrine`` (for teaching), the
  assumptions uniformly in their ranges.

``sim.sampling`` chooses how the ``prior`` and ``point`` modes fill the draws:

- ``uniform`` (default): independently and uniformly, one vector per parameter, in order
  (the uncertainties in schema order, then the priors).
- ``sobol``: the parameters with ``low < high`` (``D`` of them) are placed on Saltelli's
  extension of a scrambled Sobol' sequence (SALib ``sample.sobol``, first and total order only),
  so that ``escalation-analyze`` can estimate Sobol' indices with SALib ``analyze.sobol``. The
  base sample size is ``N = draws // (D + 2)``; the design fills the first ``N * (D + 2)``
  draws, in SALib's order (for each base point: A, then A with column i from B for each i, then
  B). The few draws left over (fewer than ``D + 2``) are drawn uniformly and are not part of the
  design. The scrambling is seeded from the model's generator only. SALib is imported only in
  this mode.

The model's own randomness (monthly noise, Russia's choices) still comes from the model's
generator, so a replicate is one stochastic run at its draw's parameters.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from escalation.config.posterior import load_posterior
from escalation.config.schema import ConfigError, uncertainty_names

if TYPE_CHECKING:
    from escalation.config.schema import Doctrine, Settings

MIN_BASE_SAMPLES = 8
"""Smallest Sobol' base sample size ``N`` accepted (fewer gives meaningless indices)."""

INSTALL_HINT = "install the analysis extra: pip install -e '.[analysis]'"
"""What to do when SALib or EMA Workbench is missing."""

PARAMETER_MODES = ("posterior", "prior", "point")
"""Allowed values of ``sim.parameters``."""


def uncertainty_ranges(settings: Settings) -> dict[str, tuple[float, float]]:
    """The ``(low, high)`` range of every uncertainty, in schema order."""
    return {
        name: (float(bounds.low), float(bounds.high))
        for name in uncertainty_names()
        for bounds in [getattr(settings.uncertainty, name)]
    }


def doctrine_value(doctrine: Doctrine, key: str) -> Any:
    """The doctrine's value at a dotted ``key`` (``russia.stimuli.memory``), or KeyError."""
    node: Any = doctrine
    for part in key.split("."):
        if isinstance(node, Mapping):
            node = node[part]
        elif dataclasses.is_dataclass(node) and part in {f.name for f in dataclasses.fields(node)}:
            node = getattr(node, part)
        else:
            raise KeyError(key)
    return node


def with_doctrine_values(doctrine: Doctrine, values: Mapping[str, Any]) -> Doctrine:
    """A copy of ``doctrine`` with each dotted key set to its value (arrays allowed)."""
    copy = _copy_tree(doctrine)
    for key, value in values.items():
        *path, last = key.split(".")
        node: Any = copy
        for part in path:
            node = node[part] if isinstance(node, Mapping) else getattr(node, part)
        if isinstance(node, dict):
            node[last] = value
        else:
            setattr(node, last, value)
    return copy


def _copy_tree(node: Any) -> Any:
    """Copy the dataclasses and dicts of a tree, sharing its leaves."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return dataclasses.replace(
            node, **{f.name: _copy_tree(getattr(node, f.name)) for f in dataclasses.fields(node)}
        )
    if isinstance(node, dict):
        return {name: _copy_tree(item) for name, item in node.items()}
    return node


def prior_ranges(settings: Settings) -> dict[str, tuple[float, float]]:
    """``(low, high)`` of every doctrine prior in config order; ``point`` mode: its value twice."""
    if settings.sim.parameters == "point":
        return {
            name: (value, value)
            for name, prior in settings.prior.items()
            for value in [float(doctrine_value(settings.doctrine, prior.key))]
        }
    return {name: (float(prior.low), float(prior.high)) for name, prior in settings.prior.items()}


def parameter_ranges(settings: Settings) -> dict[str, tuple[float, float]]:
    """The range of every uncertain parameter: the uncertainties, then the doctrine priors."""
    return uncertainty_ranges(settings) | prior_ranges(settings)


def draw_count(settings: Settings, replicates: int) -> int:
    """Parameter draws in a run of ``replicates``: ``sim.draws``, at most one per replicate."""
    return max(1, min(int(settings.sim.draws), replicates))


def draw_of_replicate(draws: int, replicates: int) -> np.ndarray:
    """The draw each replicate belongs to: ``r * draws // replicates`` (contiguous groups)."""
    return (np.arange(replicates, dtype=np.int64) * draws // replicates).astype(np.int32)


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


def sobol_base_size(points: int, dimensions: int) -> int:
    """Base sample size ``N`` of the Sobol' design: ``points // (dimensions + 2)``.

    Args:
        points: Design points available: the run's parameter draws.
        dimensions: Parameters that vary.

    Raises:
        ConfigError: No assumption varies, or ``N`` is below ``MIN_BASE_SAMPLES``.
    """
    if dimensions == 0:
        raise ConfigError(
            "sim.sampling=sobol needs at least one parameter with low < high; all are fixed"
        )
    base = points // (dimensions + 2)
    if base < MIN_BASE_SAMPLES:
        raise ConfigError(
            f"sim.sampling=sobol needs sim.draws >= {MIN_BASE_SAMPLES * (dimensions + 2)} "
            f"({MIN_BASE_SAMPLES} x (D + 2) with D = {dimensions} varying parameters; the draws "
            f"are at most sim.replicates); got {points}. Best: a power of two times "
            f"{dimensions + 2}, e.g. {512 * (dimensions + 2)}"
        )
    return base


def check_parameters(settings: Settings) -> None:
    """Check that the parameters can be drawn as ``sim.parameters`` and ``sim.sampling`` say.

    Raises:
        ConfigError: One line naming the key: an unknown mode, a ``sobol`` design that does not
            fit in the draws or without SALib, or a posterior that does not match the config.
    """
    mode = settings.sim.parameters
    if mode not in PARAMETER_MODES:
        raise ConfigError(
            f"sim.parameters: invalid value {mode!r}; allowed: {', '.join(PARAMETER_MODES)}"
        )
    if settings.sim.sampling == "sobol":
        if mode == "posterior":
            raise ConfigError(
                "sim.sampling=sobol places the draws on a design over the priors: "
                "set sim.parameters=prior (or point)"
            )
        problem = sobol_problem(parameter_ranges(settings))
        sobol_base_size(draw_count(settings, settings.sim.replicates), problem["num_vars"])
        _salib_sobol_sampler()
    if mode == "posterior":
        _posterior_columns(settings)


def _posterior_columns(settings: Settings) -> list[str]:
    """The varying parameters the posterior gives; each must match the prior it was made from.

    Raises:
        ConfigError: A varying parameter the posterior lacks or whose range differs.
    """
    posterior = load_posterior(settings.sim.posterior)
    ranges = parameter_ranges(settings)
    varying = [name for name, (low, high) in ranges.items() if low < high]
    for name in varying:
        section = "uncertainty" if name in settings.uncertainty.__dict__ else "prior"
        if name not in posterior.priors:
            raise ConfigError(
                f"{section}.{name} is not in the posterior (sim.posterior="
                f"{settings.sim.posterior!r}): fix it (low = high), use sim.parameters=prior, or "
                "recalibrate with escalation-calibrate"
            )
        if tuple(ranges[name]) != posterior.priors[name]:
            low, high = posterior.priors[name]
            raise ConfigError(
                f"{section}.{name}: range [{ranges[name][0]:g}, {ranges[name][1]:g}] differs from "
                f"the prior [{low:g}, {high:g}] the posterior was calibrated with: fix it "
                "(low = high), use sim.parameters=prior, or recalibrate with escalation-calibrate"
            )
    return varying


def draw_parameters(
    settings: Settings, rng: np.random.Generator, replicates: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Draw every uncertain parameter per draw, as ``sim.parameters`` and ``sim.sampling`` say.

    Args:
        settings: The run's settings (ranges, priors, ``sim``).
        rng: The model's generator, the only source of randomness.
        replicates: Number of replicates.

    Returns:
        The draw of each replicate, and one array of ``replicates`` values per parameter (the
        uncertainties in schema order, then the priors), equal within a draw.
    """
    draws = draw_count(settings, replicates)
    ranges = parameter_ranges(settings)
    if settings.sim.parameters == "posterior":
        varying = _posterior_columns(settings)
        particles = load_posterior(settings.sim.posterior).resample(rng, draws)
        values = {
            name: particles[name].to_numpy(dtype=float) if name in varying else np.full(draws, low)
            for name, (low, _) in ranges.items()
        }
    elif settings.sim.sampling == "sobol":
        values = _draw_sobol(ranges, rng, draws)
    else:
        values = {name: rng.uniform(low, high, draws) for name, (low, high) in ranges.items()}
    draw = draw_of_replicate(draws, replicates)
    return draw, {name: column[draw] for name, column in values.items()}


def _draw_sobol(
    ranges: Mapping[str, tuple[float, float]], rng: np.random.Generator, draws: int
) -> dict[str, np.ndarray]:
    """Saltelli's design in the first ``N * (D + 2)`` draws, uniform draws after it."""
    problem = sobol_problem(ranges)
    base = sobol_base_size(draws, problem["num_vars"])
    sample = _salib_sobol_sampler()
    with warnings.catch_warnings():
        # SciPy warns unless N is a power of two; docs/ANALYSIS.md recommends one.
        warnings.filterwarnings("ignore", message=".*balance properties of Sobol.*")
        design = sample(problem, base, calc_second_order=False, scramble=True, seed=rng)
    leftover = draws - design.shape[0]
    columns = dict(zip(problem["names"], design.T, strict=True))
    values = {}
    for name, (low, high) in ranges.items():
        if name in columns:
            values[name] = np.concatenate([columns[name], rng.uniform(low, high, leftover)])
        else:
            values[name] = np.full(draws, low)
    return values


def _salib_sobol_sampler() -> Any:
    """SALib's Saltelli sampler, or a ``ConfigError`` saying how to install it."""
    try:
        from SALib.sample.sobol import sample
    except ImportError:
        raise ConfigError(f"sim.sampling=sobol needs SALib: {INSTALL_HINT}") from None
    return sample
