"""Shared helpers: settings and models built from the packaged configs, with overrides.

The ``make_settings`` fixture composes a scenario through the public ``load_settings`` (levers
and fixed uncertainties by keyword), then applies ``overrides``: dotted paths into the ``Settings``
dataclass (``{"doctrine.ukraine.position_noise": 0.0}``) for doctrine numbers and measures the
keyword interface does not reach. Overrides skip validation on purpose, so tests can script
extreme values (e.g. ``rationality=1e6``).

Settings are built with ``sim.parameters=point`` unless a test names another mode
(``**{"sim.parameters": "posterior"}``): a mechanism test scripts doctrine values and must get
them, where the shipped default would replace each one with a posterior draw.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from escalation.config.scenarios import load_settings
from escalation.config.schema import Settings
from escalation.model import EscalationModel


def _set_path(settings: Settings, path: str, value: Any) -> None:
    """Set ``settings.a.b.c = value`` for ``path == "a.b.c"``; the attribute must exist."""
    *parents, last = path.split(".")
    node = functools.reduce(getattr, parents, settings)
    if not hasattr(node, last):
        raise AttributeError(f"{type(node).__name__} has no field {last!r} (path {path!r})")
    setattr(node, last, value)


def _make_settings(
    scenario: str = "status_quo",
    *,
    replicates: int = 8,
    months: int | None = None,
    seed: int = 1,
    overrides: Mapping[str, Any] | None = None,
    **params: Any,
) -> Settings:
    """Validated settings of ``scenario`` with ``params`` (point mode unless named), then
    ``overrides``."""
    params = {"sim.parameters": "point", **params}
    settings = load_settings(scenario, replicates=replicates, months=months, seed=seed, **params)
    for path, value in (overrides or {}).items():
        _set_path(settings, path, value)
    return settings


def _make_model(
    scenario: str = "status_quo",
    *,
    replicates: int = 8,
    months: int | None = None,
    seed: int = 1,
    overrides: Mapping[str, Any] | None = None,
    **params: Any,
) -> EscalationModel:
    """An ``EscalationModel`` built from ``_make_settings`` (same arguments), not yet stepped."""
    settings = _make_settings(
        scenario,
        replicates=replicates,
        months=months,
        seed=seed,
        overrides=overrides,
        **params,
    )
    return EscalationModel(settings)


def _run_outcomes(scenario: str = "status_quo", **kwargs: Any):
    """Outcomes table of a full run of ``_make_model(scenario, **kwargs)``."""
    return _make_model(scenario, **kwargs).run().outcomes()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator for test-side draws (never the model's)."""
    return np.random.default_rng(12345)


@pytest.fixture
def make_settings():
    """``make_settings(scenario, *, replicates, months, seed, overrides, **params)``."""
    return _make_settings


@pytest.fixture
def make_model():
    """``make_model(scenario, *, replicates, months, seed, overrides, **params)``."""
    return _make_model


@pytest.fixture
def run_outcomes():
    """Run a model to the end and return its outcomes: same arguments as ``make_model``."""
    return _run_outcomes


#: Test files whose tests take tens of seconds each (subprocess sweeps, benchmarks, a Ray head);
#: they run first, so that with pytest-xdist no worker starts one while the others have finished.
SLOW_FIRST = (
    "test_readme_commands.py",
    "test_benchmarks.py",
    "test_experiments.py",
    "sweep/test_cluster.py",
    "cli/test_interrupts.py",
    "sweep/test_batched_sweeper.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow test files first (a stable sort: their order among themselves is kept)."""
    items.sort(key=lambda item: not item.nodeid.split("::")[0].endswith(SLOW_FIRST))
