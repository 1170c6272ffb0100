"""The Python API: run a scenario without the command line, as EMA Workbench or a notebook would.

``simulate`` composes the scenario as the ``escalation`` command does
(``escalation.config.scenarios.load_settings``: the same packaged Hydra configs), applies lever and
uncertainty values, and returns the outcomes table. ``simulate_many`` runs a whole design table
(one row per point), many points in one model, one world each (``escalation.model.levers``).
"""

from __future__ import annotations

import dataclasses
import os
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.dates import never_in_force, unused_timings
from escalation.config.scenarios import load_settings
from escalation.config.schema import (
    ConfigError,
    Policy,
    Settings,
    lever_names,
    uncertainty_names,
)
from escalation.config.validation import with_levers
from escalation.model import EscalationModel
from escalation.model.world import SEED_FROM_SETTINGS
from escalation.run import parallel, processes, worlds
from escalation.run.runs import (
    MEMORY_BASE,
    MEMORY_PER_REPLICATE,
    available_memory,
    check_memory,
    simulate_run,
)


class ScenarioModel(EscalationModel):
    """``EscalationModel`` composed from a scenario and parameters, as ``mesa.batch_run`` builds it.

    ``ScenarioModel(scenario="status_quo", troops="combat", rng=1)`` is ``EscalationModel`` with
    the settings that ``escalation.simulate`` would compose from the same arguments, one
    replicate unless ``replicates`` says otherwise (Mesa's way: one world per model).

    Args:
        scenario: A scenario name or the path of a scenario file.
        rng: Seed or generator; omitted: the scenario's seed; None: fresh entropy (Mesa's way).
        **params: ``replicates``, ``months``, ``seed``, levers, uncertainties or dotted keys, as
            ``escalation.simulate`` takes them.
    """

    def __init__(
        self, scenario: str = "status_quo", *, rng: Any = SEED_FROM_SETTINGS, **params: Any
    ):
        params.setdefault("replicates", 1)
        _check_arguments(**params)
        super().__init__(load_settings(scenario=scenario, **params), rng=rng)


def simulate(
    scenario: str | os.PathLike[str] = "status_quo",
    *,
    replicates: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    timing: Mapping[str, Any] | None = None,
    doctrine: Mapping[str, Any] | None = None,
    trajectories: bool = False,
    **params: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Run a scenario and return its outcomes, one row per replicate.

    Args:
        scenario: A scenario name, e.g. ``"status_quo"`` or ``"instructors"``, one of your own
            in ``config_dir``, or the path of a scenario file (``"myconf/scenario/mine.yaml"``).
        replicates: Monte Carlo replicates (default 1000).
        months: Months to simulate (default: the scenario's, 36 from October 2024).
        seed: Seed of the model's generator; same seed and arguments give identical rows, and
            the rows of the ``escalation`` command (a run of more than 25,000 replicates runs
            in chunks, on every core as ``sim.workers`` says: ``escalation.run.parallel``).
        config_dir: A folder of your own configs, as ``escalation --config-dir DIR`` takes it.
        timing: Month each measure comes, as a number (1 = October 2024) or a ``YYYY-MM`` date:
            ``timing={"troops": "2025-03"}``; or a measure's whole block,
            ``{"troops": {"month": "2025-03", "position_below": 80.0}}``.
        doctrine: Doctrine parameters by dotted name below ``doctrine``:
            ``doctrine={"russia.rationality": 2.0}`` (or nested dicts).
        trajectories: Also return the trajectories table (one row per replicate and month).
        **params: Levers (``instructors="inside"``, ``troops="combat"``,
            ``deep_strikes="authorized"``, ``posture="red_lines"``), uncertainties with a fixed
            value (``follow_through=0.9``), or any config key by its dotted name
            (``**{"doctrine.russia.rationality": 2.0}``).

    Returns:
        A DataFrame with the sampled uncertainties and the outcome columns ``max_rung``,
        ``final_rung``, ``direct_conflict`` (NATO-Russia war), ``lethal_engagement``,
        ``nuclear_use``, ``russian_retaliation``, ``months_to_retaliation``,
        ``ukraine_position_final`` and more (docs/MODEL.md §8);
        with ``trajectories=True``, the pair ``(outcomes, trajectories)``.

    Raises:
        ConfigError: Unknown scenario or parameter, an invalid value (NaN and infinity
            included), a malformed file of your own (named with its line), or a run too large
            for the memory available.

    Example:
        >>> import escalation
        >>> df = escalation.simulate("troops", replicates=200, seed=1, posture="red_lines")
        >>> df["direct_conflict"].mean()  # doctest: +SKIP
        >>> df, months = escalation.simulate(
        ...     "troops", timing={"troops": "2025-03"}, trajectories=True
        ... )  # doctest: +SKIP
    """
    import warnings

    _check_arguments(config_dir=config_dir, timing=timing, doctrine=doctrine)
    settings = load_settings(
        scenario,
        replicates=replicates,
        months=months,
        seed=seed,
        config_dir=config_dir,
        timing=timing,
        doctrine=doctrine,
        **params,
    )
    if not trajectories:
        settings.sim.trajectories = False
    timed = {*(timing or {}), *(k.split(".")[2] for k in params if k.startswith("policy.timing."))}
    for message in [*never_in_force(settings), *unused_timings(settings, timed)]:
        warnings.warn(message, UserWarning, stacklevel=2)
    outcomes, table = simulate_run(settings, trajectories=trajectories)
    return (outcomes, table) if trajectories else outcomes


def simulate_many(
    design: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    replicates: int,
    months: int | None = None,
    seed: int | None = None,
    scenario: str = "status_quo",
    parameters: str | None = None,
    common_random_numbers: bool = False,
    workers: int | None = None,
) -> pd.DataFrame:
    """Run a table of design points; return one row per point and replicate.

    Every point is a world of one model (``EscalationModel(policies=...)``): its policy's levers
    over its replicates, its fixed uncertainty values set per replicate
    (``EscalationModel(uncertainties=...)``), the other assumptions drawn. Consecutive points
    run as one model, a batch, of at most ``escalation.run.parallel.CHUNK`` replicates (and
    ``WORLD_BATCH`` replicate-months; at least one point), the batches on ``workers``
    processes; by default every point's replicates are independent of every other point's, the
    batch ``c`` drawing from the ``c``-th stream spawned from ``seed``, so the table is the same
    on any number of workers. With ``common_random_numbers``, every point draws the same random
    numbers and parameter values, so a point's rows are those of the point alone (and of
    ``simulate`` with its levers, when it fixes no uncertainty and has at most
    ``escalation.run.parallel.CHUNK`` replicates) and two points differ only by what they
    set: a paired comparison, whose average over points keeps the Monte Carlo error of one
    point.

    Args:
        design: One row per design point (a DataFrame, or a list of dicts); its columns are any
            subset of the lever names and the uncertainty names. A lever not given (or missing,
            NaN, in a row) keeps the scenario's value; an uncertainty not given is drawn as
            ``sim.parameters`` says (by default from the calibrated posterior).
        replicates: Monte Carlo replicates per point.
        months: Months to simulate (default: the scenario's).
        seed: Seed of every point's random numbers. None: the config's seed.
        scenario: The scenario the points start from.
        parameters: Where the doctrine priors and the assumptions a point leaves out come
            from: ``posterior``, ``prior`` or ``point`` (``sim.parameters``; default the
            config's, the calibrated posterior).
        common_random_numbers: Draw the same random numbers for every point (see above).
        workers: Processes the batches run on (``sim.workers``: 0 or None, every core).

    Returns:
        Columns ``point`` (the design row's position), the design's columns, ``replicate`` (0
        to ``replicates - 1`` within the point), then the sampled assumptions and the outcome
        columns, as ``simulate`` returns them; rows in design order.

    Raises:
        ConfigError: A design that is not a table of at least one row, an unknown column, an
            invalid value, or a point too large for memory (checked before any point runs).

    Example:
        >>> import escalation
        >>> design = [{"troops": "none", "follow_through": 0.2}, {"troops": "combat"}]
        >>> table = escalation.simulate_many(design, replicates=100, seed=1)  # doctest: +SKIP
    """
    table = _design_table(design)
    levers = [name for name in table.columns if name in lever_names()]
    fixed = [name for name in table.columns if name in uncertainty_names()]
    unknown = [name for name in table.columns if name not in levers + fixed]
    if unknown:
        allowed = ", ".join([*lever_names(), *uncertainty_names()])
        raise ConfigError(f"unknown design column {unknown[0]!r}; allowed: {allowed}")
    whole = isinstance(replicates, int | np.integer) and not isinstance(replicates, bool)
    if not whole or replicates < 1:
        raise ConfigError(f"replicates={replicates!r}: give a whole number >= 1")
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or workers < 0
    ):
        raise ConfigError(f"workers={workers!r}: give a whole number >= 0 (0: every core)")
    _check_fixed_values(table, fixed, scenario)
    mode = {} if parameters is None else {"sim.parameters": parameters}
    base = load_settings(scenario, replicates=int(replicates), months=months, seed=seed, **mode)
    check_memory(base)  # one point; a batch holds as many as WORLD_BATCH allows
    _check_table_memory(len(table), int(replicates))
    policies: dict[tuple, Policy] = {}  # one validated policy per lever combination
    chosen = []
    for values in table[levers].itertuples(index=False, name=None):
        key = tuple(None if pd.isna(value) else value for value in values)
        if key not in policies:
            given = {lever: value for lever, value in zip(levers, key, strict=True) if value}
            try:
                policies[key] = with_levers(base, **given).policy
            except ConfigError as error:
                raise ConfigError(f"design row {len(chosen)}: {error}") from None
        chosen.append(policies[key])
    per_batch = min(
        max(1, parallel.CHUNK // int(replicates)),
        worlds.worlds_per_model(replicates, base.sim.months),
    )
    starts = range(0, len(table), per_batch)
    streams = np.random.SeedSequence(base.seed).spawn(len(starts))
    batches = [
        _Batch(
            settings=base,
            rows=table.iloc[start : start + per_batch],
            policies=chosen[start : start + per_batch],
            fixed=fixed,
            replicates=int(replicates),
            rng=base.seed if common_random_numbers else stream,
            common_random_numbers=common_random_numbers,
        )
        for stream, start in zip(streams, starts, strict=True)
    ]
    wanted = processes.processes_for(base.sim.workers if workers is None else workers)
    if wanted <= 1 or len(batches) == 1:
        frames = [_simulate_batch(batch) for batch in batches]
    else:
        frames = processes.in_processes(_simulate_batch, batches, wanted)
    return pd.concat(frames, ignore_index=True)


@dataclasses.dataclass(frozen=True)
class _Batch:
    """Consecutive design points run as the worlds of one model (``simulate_many``)."""

    settings: Settings
    rows: pd.DataFrame
    policies: list[Policy]
    fixed: list[str]
    replicates: int
    rng: Any
    common_random_numbers: bool


def _simulate_batch(batch: _Batch) -> pd.DataFrame:
    """A batch's rows: its points' columns, then each replicate's assumptions and outcomes."""
    rows, replicates = batch.rows, batch.replicates
    values = {name: np.repeat(rows[name].to_numpy(dtype=float), replicates) for name in batch.fixed}
    model = EscalationModel(
        batch.settings,
        rng=batch.rng if batch.common_random_numbers else np.random.default_rng(batch.rng),
        policies=batch.policies,
        uncertainties=values,
        common_random_numbers=batch.common_random_numbers,
    )
    outcomes = model.run().outcomes()
    points = np.repeat(rows.index.to_numpy(), replicates)
    front = rows.loc[points].reset_index(drop=True)
    front.insert(0, "point", points)
    front["replicate"] = outcomes["replicate"].to_numpy() % replicates
    for name in batch.fixed:  # the values used: a point's own, or sampled where it gave none
        front[name] = outcomes[name].to_numpy()
    rest = outcomes.drop(columns=["replicate", *batch.fixed])
    return pd.concat([front, rest], axis=1)


def _check_table_memory(points: int, replicates: int) -> None:
    """Refuse a design whose returned table would not fit in memory, before any point runs.

    Raises:
        ConfigError: Gives the rows, the memory needed and available, and the way out.
    """
    rows = points * replicates
    needed, available = MEMORY_BASE + rows * MEMORY_PER_REPLICATE, available_memory()
    if available is not None and needed > available:
        raise ConfigError(
            f"the design's {points:,} points x {replicates:,} replicates ({rows:,} rows) need "
            f"about {needed / 2**30:,.1f} GiB of memory, more than the "
            f"{available / 2**30:,.1f} GiB available; run fewer points or replicates per call"
        )


def _check_arguments(
    config_dir: Any = None, timing: Any = None, doctrine: Any = None, **_: Any
) -> None:
    """``config_dir`` is a path, ``timing`` and ``doctrine`` are mappings, when given.

    Raises:
        ConfigError: Names the argument, the value given (shortened) and what is allowed.
    """
    if config_dir is not None and not isinstance(config_dir, str | os.PathLike):
        raise ConfigError(f"config_dir={reprlib.repr(config_dir)}: give a folder's path")
    examples = {"timing": "{'troops': '2025-03'}", "doctrine": "{'russia.rationality': 2.0}"}
    for name, value in (("timing", timing), ("doctrine", doctrine)):
        if value is not None and not isinstance(value, Mapping):
            raise ConfigError(
                f"{name}={reprlib.repr(value)}: give a dict, e.g. {name}={examples[name]}"
            )


def _design_table(design: Any) -> pd.DataFrame:
    """The design as a table of at least one row: a DataFrame, or an iterable of mappings.

    Raises:
        ConfigError: Any other design (a string, a mapping, a list of other things), or none.
    """
    if isinstance(design, pd.DataFrame):
        table = design
    else:
        rows = None
        if isinstance(design, Iterable) and not isinstance(design, str | bytes | Mapping):
            rows = list(design)
        if rows is None or not all(isinstance(row, Mapping) for row in rows):
            raise ConfigError(
                f"design={reprlib.repr(design)}: give a DataFrame or a list of dicts, one per "
                "design point, e.g. [{'troops': 'none'}, {'troops': 'combat'}]"
            )
        table = pd.DataFrame(rows)
    if len(table) == 0:
        raise ConfigError("the design has no rows: give at least one design point")
    return table.reset_index(drop=True)


def _check_fixed_values(table: pd.DataFrame, fixed: list[str], scenario: str) -> None:
    """Each fixed uncertainty column holds finite numbers within its allowed bounds.

    Raises:
        ConfigError: Names the column, the design row and what is allowed.
    """
    for name in fixed:
        try:
            values = table[name].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"design column {name!r} must hold numbers") from None
        bad = np.flatnonzero(np.isinf(values))
        if bad.size:
            raise ConfigError(
                f"design column {name!r}, row {bad[0]}: {values[bad[0]]} is not finite"
            )
        if np.isnan(values).all():
            continue
        for row in (int(np.nanargmin(values)), int(np.nanargmax(values))):
            try:
                load_settings(scenario, replicates=1, **{name: float(values[row])})
            except ConfigError as error:
                raise ConfigError(f"design row {row}: {error}") from None
