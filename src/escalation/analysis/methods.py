"""The statistics of ``escalation-analyze``: feature scores, PRIM boxes and Sobol indices.

EMA Workbench's extra-trees feature scoring of the outcome at each parameter draw (refitted on
bootstrap resamples of the draws, with a no-effect reference from fits on the outcome shuffled
across draws), its PRIM with the box chosen on the peeling trajectory by one rule
(``choose_box``), and SALib's Sobol' analysis of the draws of a run made with
``sim.sampling=sobol``. The libraries are imported lazily.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from escalation.analysis.study import (
    Policy,
    Target,
    _ema,
    _quiet,
    join_and,
    percent,
)
from escalation.config.sampling import sobol_base_size, sobol_problem
from escalation.config.schema import ConfigError
from escalation.run.results import normal_quantile

RESAMPLES = 10
"""Bootstrap resamples of the draws on which the feature scores are refitted (their spread)."""

PERMUTATIONS = 19
"""Fits on the outcome shuffled across draws that make the no-effect reference: with 19, a
parameter with no effect scores above the reference with probability at most 1/20 (the highest
of 20 exchangeable maxima), whatever the number of parameters."""

TREES = 100
"""Trees per extra-trees forest (EMA Workbench's default)."""

MAX_SCORED_DRAWS = 10_000
"""Feature scores of a policy with more draws use a random subset of this many (the scores
change little beyond it, and the forests' cost grows with the draws)."""

SPREAD = (0.025, 0.975)
"""Quantiles of the resampled scores reported as their spread (95% of resamples)."""

CONFIDENCE = 0.95
"""Confidence of SALib's intervals on the Sobol indices, and the family-wise level at which an
index stands out (Bonferroni over the parameters)."""

MAX_DIMENSIONS = 3
"""Most parameters a PRIM box may restrict: a box is meant to be read."""

SIGNIFICANCE = 0.05
"""A box is accepted only if every restriction's quasi-p value (Bryant and Lempert 2010) is
below this."""

PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05
"""PRIM's parameters (EMA Workbench's defaults): share of runs peeled or pasted per step, and the
smallest share of runs a box may hold."""


# --------------------------------------------------------------------------------------------
# The analyses
# --------------------------------------------------------------------------------------------


def feature_scores(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    resamples: int = RESAMPLES,
    permutations: int = PERMUTATIONS,
    seed: int = 0,
) -> tuple[pd.DataFrame, float]:
    """Extra-trees feature scores of each parameter, their spread and a no-effect reference.

    Rule: EMA Workbench's extra-trees regressor is fitted on ``resamples`` bootstrap resamples
    of the draws; a parameter's score is its mean impurity-based importance over them (scores
    sum to 1) and its spread the 2.5% and 97.5% quantiles. The no-effect reference is the
    highest score any parameter gets over ``permutations`` fits, each on a bootstrap resample of
    the outcome shuffled across the draws (so that no parameter has an effect, and the noise of
    each draw's estimate stays): a parameter *stands out* when its score is above it. This is a
    permutation test on the highest score (Altmann et al. 2010, Bioinformatics 26:1340) at level
    at most 1 / (permutations + 1), family-wise over the parameters (a mean over resamples
    varies less than the single fits that set the reference, so the test is conservative). The
    fits run in threads (scikit-learn's trees release the GIL), each with its own rows and seed,
    so the result does not depend on the number of cores.

    Args:
        x: One column per parameter, one row per draw.
        y: The outcome at each draw (its probability, or its mean), without missing values.
        resamples: Bootstrap resamples (at least 2).
        permutations: Fits on the shuffled outcome (at least 1).
        seed: Seeds the resampling, the shuffles and the forests.

    Returns:
        ``(table, reference)``. The table's index is the parameter, sorted by decreasing score;
        columns ``score`` (mean over the resamples), ``sd``, ``low`` and ``high``, ``rank``
        (1 = most important) and ``stands_out``; ``reference`` is the no-effect reference.
    """
    feature_scoring, rule_induction, _ = _ema()
    target = np.asarray(y, dtype=float)
    from joblib import Parallel, delayed

    rng = np.random.default_rng(seed)
    draws = len(x)
    fits = []
    for shuffled in [False] * resamples + [True] * permutations:
        outcome = rng.permutation(target) if shuffled else target
        fits.append((rng.integers(0, draws, draws), outcome, int(rng.integers(2**31 - 1))))

    def score(picked: np.ndarray, outcome: np.ndarray, random_state: int) -> pd.Series:
        table, _ = feature_scoring.get_ex_feature_scores(
            x.iloc[picked],
            outcome[picked],
            mode=rule_induction.REGRESSION,
            nr_trees=TREES,
            max_features=max(1, round(x.shape[1] / 3)),
            bootstrap=False,  # the resampling is already a bootstrap
            oob_score=False,
            random_state=random_state,
        )
        return table[1].reindex(list(x.columns))

    scores = Parallel(n_jobs=-1, prefer="threads")(delayed(score)(*fit) for fit in fits)
    resampled = pd.concat(scores[:resamples], axis=1)
    reference = float(max(null.max() for null in scores[resamples:]))
    summary = pd.DataFrame(
        {
            "score": resampled.mean(axis=1),
            "sd": resampled.std(axis=1, ddof=1),
            "low": resampled.quantile(SPREAD[0], axis=1),
            "high": resampled.quantile(SPREAD[1], axis=1),
        }
    )
    summary.index.name = "parameter"
    summary = summary.sort_values("score", ascending=False, kind="stable")
    summary["rank"] = np.arange(1, len(summary) + 1)
    summary["stands_out"] = summary["score"] > reference
    return summary, reference


@dataclass
class Box:
    """A box of parameter ranges found by PRIM, and how well it holds the outcome.

    Attributes:
        limits: For each restricted parameter, ``(low, high)`` of the box; a side left
            unrestricted is at the end of the parameter's full range.
        quasi_p: For each restricted parameter, the quasi-p value of each restricted side
            (lower, upper; None for a side left unrestricted).
        coverage: Share of all runs with the outcome that fall in the box.
        density: Share of the runs in the box that have the outcome.
        mass: Share of all runs that fall in the box.
        runs: Runs in the box.
        cases: Runs in the box with the outcome.
        trajectory: PRIM's peeling trajectory (``coverage``, ``density``, ``res_dim``, ...)
            from which the box was chosen.
        chosen: Row of ``trajectory`` that is the box.
    """

    limits: dict[str, tuple[float, float]]
    quasi_p: dict[str, tuple[float | None, float | None]]
    coverage: float
    density: float
    mass: float
    runs: int
    cases: int
    trajectory: pd.DataFrame = field(repr=False)
    chosen: int = 0

    def conditions(self) -> list[str]:
        """Each restriction in words: ``"follow_through above 0.6"``, ``"... below 0.4"``."""
        return [
            describe_limit(name, low, high, *(p is not None for p in self.quasi_p[name]))
            for name, (low, high) in self.limits.items()
        ]

    def sentence(self, target: Target, base_rate: float) -> str:
        """The box in words a student can read.

        ``"With follow_through above 0.6 and nato_cohesion below 0.4, NATO-Russia war happens
        in 71% of runs (against 43% over all runs); this box holds 80% of all runs with
        NATO-Russia war, and 25% of all runs fall in it."``
        """
        return (
            f"With {join_and(self.conditions())}, {target.phrase} happens in "
            f"{percent(self.density)} of runs "
            f"(against {percent(base_rate)} over all runs); this box holds "
            f"{percent(self.coverage)} of all runs with {target.phrase}, and "
            f"{percent(self.mass)} of all runs fall in it."
        )


def describe_limit(name: str, low: float, high: float, raised: bool, lowered: bool) -> str:
    """``"follow_through above 0.6"``, ``"... below 0.4"`` or ``"... between 0.3 and 0.5"``.

    Args:
        name: The parameter.
        low: Lower limit of the box.
        high: Upper limit of the box.
        raised: Whether the box restricts the lower end.
        lowered: Whether the box restricts the upper end.
    """
    if raised and lowered:
        return f"{name} between {low:.3g} and {high:.3g}"
    if raised:
        return f"{name} above {low:.3g}"
    return f"{name} below {high:.3g}"


def choose_box(
    trajectory: pd.DataFrame,
    quasi_p: Sequence[Mapping[str, Sequence[float]]],
    *,
    max_dimensions: int = MAX_DIMENSIONS,
    significance: float = SIGNIFICANCE,
) -> int | None:
    """Choose a box on PRIM's peeling trajectory.

    Rule: among the boxes that restrict between 1 and ``max_dimensions`` parameters and whose
    every restriction has a quasi-p value below ``significance``, the one with the highest
    harmonic mean of coverage and density (the F1 score: a box must both hold most of the
    outcome's runs and hold mostly such runs); ties go to fewer restrictions, then to the
    earlier (larger) box.

    Args:
        trajectory: PRIM's peeling trajectory, with columns ``coverage``, ``density`` and
            ``res_dim``.
        quasi_p: Per row of the trajectory, the quasi-p values of each restricted parameter
            (EMA Workbench's ``p_values``: ``[lower, upper]``, -1 for an unrestricted side).
        max_dimensions: Most restrictions a box may have.
        significance: Threshold of the quasi-p values.

    Returns:
        The chosen row, or None when no box qualifies.
    """
    best: tuple[float, int, int] | None = None
    for row, (stats, values) in enumerate(zip(trajectory.to_dict("records"), quasi_p, strict=True)):
        dims = int(stats["res_dim"])
        if not 1 <= dims <= max_dimensions:
            continue
        sides = [p for pair in values.values() for p in pair if p != -1]
        if any(not (p < significance) for p in sides):
            continue
        coverage, density = float(stats["coverage"]), float(stats["density"])
        score = 0.0 if coverage + density == 0 else 2 * coverage * density / (coverage + density)
        key = (score, -dims, -row)
        if best is None or key > best:
            best = key
    return None if best is None else -best[2]


def discover(
    x: pd.DataFrame,
    cases: np.ndarray,
    *,
    boxes: int = 1,
    max_dimensions: int = MAX_DIMENSIONS,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> list[Box]:
    """Scenario discovery: PRIM boxes in which the outcome concentrates.

    EMA Workbench's ``Prim`` peels and pastes; ``choose_box`` picks the box on each trajectory.
    After a box is found, PRIM looks for the next one among the runs outside it; it stops when
    no box qualifies or a box is no denser than the runs left.

    Args:
        x: One column per parameter (its draw's value), one row per run.
        cases: Whether the outcome happened in each run.
        boxes: Most boxes to find.
        max_dimensions: Most parameters a box may restrict.
        ranges: Each parameter's full range, for the unrestricted sides of a box (default:
            the range of ``x``).

    Returns:
        The boxes, best first (maybe none).
    """
    _, _, prim = _ema()
    y = np.asarray(cases, dtype=int)
    with _quiet():
        algorithm = prim.Prim(
            x.reset_index(drop=True),
            y,
            peel_alpha=PEEL_ALPHA,
            paste_alpha=PASTE_ALPHA,
            mass_min=MASS_MIN,
        )
    found: list[Box] = []
    total_cases = int(y.sum())
    for _ in range(boxes):
        remaining = algorithm.yi_remaining if found else np.arange(len(y))
        rate_left = y[remaining].mean() if len(remaining) else 0.0
        with _quiet():
            box = algorithm.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory.reset_index(drop=True)
        row = choose_box(trajectory, box.p_values, max_dimensions=max_dimensions)
        if row is None or trajectory.loc[row, "density"] <= rate_left:
            break
        box.select(row)
        found.append(_box(box, row, x, total_cases, ranges))
    return found


def _box(
    box: Any,
    row: int,
    x: pd.DataFrame,
    total_cases: int,
    ranges: Mapping[str, tuple[float, float]] | None,
) -> Box:
    """A ``Box`` from EMA Workbench's ``PrimBox`` with ``row`` selected."""
    stats = box.peeling_trajectory.iloc[row]
    lims = box.box_lims[row]
    restricted = list(box.p_values[row])
    limits = {
        name: (float(lims.loc[0, name]), float(lims.loc[1, name]))
        for name in x.columns
        if name in restricted
    }
    quasi_p = {
        name: tuple(None if p == -1 else float(p) for p in box.p_values[row][name])
        for name in limits
    }
    for name, (low_p, high_p) in quasi_p.items():
        full = ranges[name] if ranges else (float(x[name].min()), float(x[name].max()))
        limits[name] = (
            limits[name][0] if low_p is not None else full[0],
            limits[name][1] if high_p is not None else full[1],
        )
    cases = int(stats["k"])
    return Box(
        limits=limits,
        quasi_p=quasi_p,  # type: ignore[arg-type]
        coverage=cases / total_cases if total_cases else 0.0,
        density=float(stats["density"]),
        mass=float(stats["mass"]),
        runs=int(stats["n"]),
        cases=cases,
        trajectory=box.peeling_trajectory.reset_index(drop=True)[
            ["coverage", "density", "res_dim", "mass"]
        ].astype(float),
        chosen=row,
    )


@dataclass
class Sobol:
    """Sobol' indices over a ``sobol`` run's draws, and what stands out of the noise.

    Attributes:
        table: Index: parameter, in the design's order. Columns ``S1``, ``S1_conf``, ``ST``,
            ``ST_conf`` (SALib; half-widths of the ``CONFIDENCE`` intervals) and
            ``stands_out``.
        noise: The no-effect reference of the total indices: the share of the variance of the
            per-draw values that is Monte Carlo noise (None with one run per draw, where it
            cannot be estimated).
        note: What was done, in words.
        base: The design's base sample size N.
    """

    table: pd.DataFrame
    noise: float | None
    note: str
    base: int = 0


def sobol_indices(
    policy: Policy, draws: pd.DataFrame, *, seed: int = 1
) -> tuple[Sobol | None, str]:
    """Sobol' first-order and total indices of the outcome at each draw of a ``sobol`` run.

    ``sim.sampling=sobol`` places SALib's Saltelli design over the run's draws
    (``escalation.config.sampling``): its base size and order follow from the number of draws
    and the ranges of the parameters that vary. The draws are checked against the design's
    structure (each "A with column i from B" draw equals its "A" draw outside column i) before
    SALib's ``analyze.sobol`` estimates the indices of the per-draw values, in draw order, and
    their bootstrap confidence intervals.

    Rule (no-effect reference): each draw's value carries Monte Carlo noise of variance w (its
    runs' variance over their number), independent between draws; it adds nothing to a
    first-order index in expectation (Saltelli et al. 2010's estimator) and w / Var(values) to
    every total index (Jansen's). An index stands out when its interval at ``CONFIDENCE``,
    family-wise over the D parameters (Bonferroni: two-sided 1 - (1 - CONFIDENCE) / D), lies above
    that reference: S1 above 0, ST above the noise share.

    Args:
        policy: A policy whose runs used ``sim.sampling=sobol``.
        draws: Its ``draw_table``, in draw order.
        seed: Seeds SALib's bootstrap (must not be 0, which SALib treats as unseeded).

    Returns:
        ``(result, note)``: the indices (None when they cannot be computed) and a note saying
        what was done or why not.
    """
    from SALib.analyze import sobol

    problem = sobol_problem(policy.ranges)
    dims = problem["num_vars"]
    try:
        base = sobol_base_size(len(draws), dims)
    except ConfigError as error:
        return None, f"Sobol indices not computed: {error}"
    size = base * (dims + 2)
    design = draws[problem["names"]].to_numpy(dtype=float)[:size]
    if not _follows_saltelli(design, dims):
        return None, "Sobol indices not computed: the draws do not follow the Saltelli design"
    y = draws["value"].to_numpy(dtype=float)[:size]
    if np.isnan(y).any():
        return None, "Sobol indices not computed: the outcome is missing in every run of a draw"
    if np.ptp(y) == 0:
        return None, "Sobol indices not computed: the outcome has the same value at every draw"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            problem, y, calc_second_order=False, conf_level=CONFIDENCE, seed=seed or 1
        )
    table = pd.DataFrame(
        {key: np.asarray(result[key], dtype=float) for key in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(problem["names"], name="parameter"),
    )
    noise_values = draws["noise"].to_numpy(dtype=float)[:size]
    noise = None
    if not np.isnan(noise_values).any():
        noise = float(min(1.0, noise_values.mean() / np.var(y, ddof=1)))
    widen = normal_quantile(1 - (1 - CONFIDENCE) / dims) / normal_quantile(CONFIDENCE)
    first = table["S1"] - widen * table["S1_conf"] > 0
    total = table["ST"] - widen * table["ST_conf"] > (noise if noise is not None else np.inf)
    table["stands_out"] = first | total
    runs = int(draws["runs"].iloc[:size].sum())
    note = (
        f"Sobol indices from the first {size:,} draws ({runs:,} runs; base sample N = {base}, "
        f"{dims} parameters, N x (D + 2) draws)"
    )
    return Sobol(table, noise, note, base), note


def _follows_saltelli(design: np.ndarray, dims: int) -> bool:
    """Whether each block A, AB_1..AB_D, B has AB_i equal to A outside column i."""
    blocks = design.reshape(-1, dims + 2, dims)
    first = blocks[:, 0, :]
    for i in range(dims):
        others = [j for j in range(dims) if j != i]
        if not np.allclose(blocks[:, i + 1, others], first[:, others], rtol=1e-12, atol=0.0):
            return False
    return True
