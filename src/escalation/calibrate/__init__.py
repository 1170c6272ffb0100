"""Calibration: the uncertain parameters fitted to the dated record by ABC-SMC (pyABC).

``escalation-calibrate`` (``cli``) runs ``fit.calibrate`` and writes the posterior, a report and
figures (``outputs``); ``sim.parameters=posterior`` draws each replicate's parameters from a
posterior it made (``escalation.config.posterior``), ``escalation-backtest --refit`` refits with
it at rolling origins. ``record`` holds what is fitted (the record, the batched replay, the
distance), ``sampler`` the pieces that make pyABC batched and seeded, ``sizes`` the defaults and
checks. ``calibrate`` and ``Calibration`` need the ``calibrate`` extra (pyABC; Dask for a
cluster) and import it on first use.
"""

from __future__ import annotations

from typing import Any

from escalation.calibrate.sizes import (
    DEFAULT_GENERATIONS,
    DEFAULT_PARTICLES,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    CalibrationError,
)

__all__ = [
    "DEFAULT_GENERATIONS",
    "DEFAULT_PARTICLES",
    "DEFAULT_REPLICATES",
    "DEFAULT_SEED",
    "Calibration",
    "CalibrationError",
    "calibrate",
]


def __getattr__(name: str) -> Any:
    """``calibrate`` and ``Calibration``, imported with pyABC on first use."""
    if name in ("calibrate", "Calibration"):
        from escalation.calibrate import fit

        return getattr(fit, name)
    raise AttributeError(f"module 'escalation.calibrate' has no attribute {name!r}")
