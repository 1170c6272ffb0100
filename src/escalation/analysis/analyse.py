"""The analyses behind ``escalation-analyze``: what drives an outcome, and where it happens.

Every run samples the assumptions nobody knows (``conf/uncertainty/``) and writes them beside its
outcomes, one row per replicate. This module reads those rows from a run folder or a gathered
sweep folder and, for one outcome and each policy (each job of a sweep), asks:

- **which assumptions matter**: feature scores from extra trees (EMA Workbench's
  ``get_ex_feature_scores``), refitted on bootstrap resamples of the runs, reported as the mean
  score and the range covering 95% of the resamples;
- **where the outcome happens**: scenario discovery with PRIM (EMA Workbench's ``Prim``), the box
  of assumption ranges in which the outcome concentrates, with its coverage and density;
- **how much of the outcome's variance each assumption explains** (runs made with
  ``sim.sampling=sobol`` only): Sobol' first-order and total indices with confidence intervals
  (SALib's ``analyze.sobol``).

The statistics are the libraries'; this module prepares their inputs, chooses a box on PRIM's
peeling trajectory, and turns the results into tables. The libraries are imported lazily
(``pip install -e '.[analysis]'``), so the simulator itself never needs them. Results flow one
way: this module reads what runs wrote (it takes only the outcome names from the model); the
report, the figures and the files are made by ``escalation.analysis.cli``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from escalation.analysis.methods import (
    MASS_MIN,
    MAX_DIMENSIONS,
    MAX_SCORED_RUNS,
    PASTE_ALPHA,
    PEEL_ALPHA,
    RESAMPLES,
    SIGNIFICANCE,
    SPREAD,
    TREES,
    Box,
    choose_box,
    describe_limit,
    discover,
    feature_scores,
    sobol_indices,
)
from escalation.analysis.study import (
    DEFAULT_OUTCOME,
    FEW_CASES,
    LEVERS,
    YES_NO_PHRASES,
    AnalysisError,
    Policy,
    Study,
    Target,
    join_and,
    load_study,
    make_target,
    percent,
    require_libraries,
)

__all__ = [
    "DEFAULT_OUTCOME",
    "FEW_CASES",
    "LEVERS",
    "MASS_MIN",
    "MAX_DIMENSIONS",
    "MAX_SCORED_RUNS",
    "PASTE_ALPHA",
    "PEEL_ALPHA",
    "RESAMPLES",
    "SIGNIFICANCE",
    "SPREAD",
    "TREES",
    "YES_NO_PHRASES",
    "Analysis",
    "AnalysisError",
    "Box",
    "Policy",
    "PolicyResult",
    "Study",
    "Target",
    "analyse",
    "boxes_table",
    "choose_box",
    "describe_limit",
    "discover",
    "feature_scores",
    "join_and",
    "leaders",
    "load_study",
    "make_target",
    "percent",
    "require_libraries",
    "scores_table",
    "sobol_indices",
    "sobol_table",
]


# --------------------------------------------------------------------------------------------
# One analysis: every policy, one outcome
# --------------------------------------------------------------------------------------------


@dataclass
class PolicyResult:
    """What the analyses found for one policy."""

    policy: Policy
    runs: int
    cases: int
    scores: pd.DataFrame | None = None
    boxes: list[Box] = field(default_factory=list)
    sobol: pd.DataFrame | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds each step took (``feature scores``, ``PRIM``, ``Sobol``), in the order run."""

    def steps_line(self) -> str:
        """``feature scores 0.41 s, PRIM 0.12 s``, or ``skipped: <reason>``."""
        if self.skipped is not None:
            return f"skipped: {self.skipped}"
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.steps.items())

    @property
    def rate(self) -> float:
        """Share of the runs in which the outcome happened."""
        return self.cases / self.runs if self.runs else 0.0


@dataclass
class Analysis:
    """The analyses of one outcome over every policy of a folder."""

    study: Study
    target: Target
    results: list[PolicyResult]
    resamples: int
    seed: int
    max_dimensions: int

    @property
    def analysed(self) -> list[PolicyResult]:
        """The policies that were analysed (not skipped)."""
        return [result for result in self.results if result.skipped is None]

    @property
    def skipped(self) -> list[PolicyResult]:
        """The policies skipped, each with its reason."""
        return [result for result in self.results if result.skipped is not None]


def analyse(
    study: Study,
    target: Target,
    *,
    resamples: int = RESAMPLES,
    boxes: int = 1,
    max_dimensions: int = MAX_DIMENSIONS,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Feature scores, PRIM boxes and (for ``sobol`` runs) Sobol indices, policy by policy.

    A policy in which the outcome never or always happens is skipped with the reason.

    Args:
        study: The folder's policies (``load_study``).
        target: The outcome and its cases of interest (``make_target``).
        resamples: Bootstrap resamples for the feature scores.
        boxes: Most PRIM boxes per policy.
        max_dimensions: Most assumptions a box may restrict.
        seed: Seeds every random choice of the analyses (same folder and seed, same report).
        progress: Called with one line per policy once it is analysed, e.g.
            ``[policy 2/4] job 1: troops=none: feature scores 0.41 s, PRIM 0.12 s``.
    """
    seeds = np.random.SeedSequence(seed).spawn(len(study.policies))
    results = []
    total = len(study.policies)
    for number, (policy, sequence) in enumerate(zip(study.policies, seeds, strict=True), 1):
        policy_seed = int(sequence.generate_state(1)[0])
        result = _analyse_policy(policy, target, resamples, boxes, max_dimensions, policy_seed)
        results.append(result)
        if progress is not None:
            progress(f"[policy {number}/{total}] {policy.title}: {result.steps_line()}")
    return Analysis(study, target, results, resamples, seed, max_dimensions)


def _analyse_policy(
    policy: Policy, target: Target, resamples: int, boxes: int, max_dimensions: int, seed: int
) -> PolicyResult:
    rows = policy.rows
    cases = target.cases(rows)
    result = PolicyResult(policy, runs=len(rows), cases=int(cases.sum()))
    count = f"{result.cases:,} of {result.runs:,} runs"
    if not policy.assumptions:
        result.skipped = "every assumption is fixed: nothing to explain"
        return result
    if result.cases == 0:
        result.skipped = f"{target.phrase} never happens ({count}): nothing to explain"
        return result
    if result.cases == result.runs:
        result.skipped = f"{target.phrase} happens in every run ({count}): nothing to explain"
        return result
    if result.cases < FEW_CASES:
        result.notes.append(
            f"Only {result.cases} run{'s' if result.cases > 1 else ''} with {target.phrase}: "
            "the scores and the box are fragile."
        )
    x = rows[policy.assumptions].astype(float)
    scored = np.ones(len(rows), dtype=bool)
    if len(rows) > MAX_SCORED_RUNS:
        picked = np.random.default_rng(seed).choice(len(rows), MAX_SCORED_RUNS, replace=False)
        scored = np.isin(np.arange(len(rows)), picked)
        result.notes.append(
            f"Feature scores from a random {MAX_SCORED_RUNS:,} of the {len(rows):,} runs."
        )
    started = time.perf_counter()
    if target.yes_no:
        result.scores = feature_scores(
            x[scored], cases[scored], yes_no=True, resamples=resamples, seed=seed
        )
    else:
        values = rows[target.outcome].to_numpy(dtype=float)
        known = ~np.isnan(values) & scored
        if known.sum() < 2 or np.ptp(values[known]) == 0:
            result.notes.append(f"{target.outcome} does not vary: no feature scores.")
        else:
            if known.sum() < scored.sum():
                result.notes.append(
                    f"Feature scores use the {int(known.sum()):,} runs where {target.outcome} "
                    "has a value."
                )
            result.scores = feature_scores(
                x[known], values[known], yes_no=False, resamples=resamples, seed=seed
            )
    result.steps["feature scores"] = time.perf_counter() - started
    started = time.perf_counter()
    result.boxes = discover(
        x, cases, boxes=boxes, max_dimensions=max_dimensions, ranges=policy.ranges
    )
    result.steps["PRIM"] = time.perf_counter() - started
    if not result.boxes:
        result.notes.append(
            f"PRIM found no box of at most {max_dimensions} assumptions, each significant, in "
            f"which {target.phrase} concentrates."
        )
    if policy.sampling == "sobol":
        values = cases.astype(float) if target.yes_no else rows[target.outcome].to_numpy(float)
        started = time.perf_counter()
        result.sobol, note = sobol_indices(policy, values, seed=seed % (2**31 - 1) + 1)
        result.steps["Sobol"] = time.perf_counter() - started
        result.notes.append(note + ".")
    return result


# --------------------------------------------------------------------------------------------
# Tables and the report
# --------------------------------------------------------------------------------------------


def _per_policy_table(analysis: Analysis, attribute: str, columns: list[str]) -> pd.DataFrame:
    """Stack one per-policy table (``scores`` or ``sobol``) of every policy that has it."""
    frames = []
    for result in analysis.analysed:
        table = getattr(result, attribute)
        if table is None:
            continue
        frame = table.reset_index()
        frame.insert(0, "policy", result.policy.label)
        frame.insert(0, "job", result.policy.job)
        frame.insert(0, "outcome", analysis.target.outcome)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def scores_table(analysis: Analysis) -> pd.DataFrame:
    """Feature scores of every analysed policy, long: one row per (policy, assumption)."""
    columns = ["outcome", "job", "policy", "assumption", "rank", "mean", "sd", "low", "high"]
    return _per_policy_table(analysis, "scores", columns)


def boxes_table(analysis: Analysis) -> pd.DataFrame:
    """PRIM boxes of every analysed policy, long: one row per (policy, box, assumption)."""
    rows = []
    for result in analysis.analysed:
        for number, box in enumerate(result.boxes, start=1):
            for name, (low, high) in box.limits.items():
                full_low, full_high = result.policy.ranges[name]
                qp_low, qp_high = box.quasi_p[name]
                rows.append(
                    {
                        "outcome": analysis.target.outcome,
                        "job": result.policy.job,
                        "policy": result.policy.label,
                        "box": number,
                        "assumption": name,
                        "low": low,
                        "high": high,
                        "range_low": full_low,
                        "range_high": full_high,
                        "quasi_p_low": qp_low,
                        "quasi_p_high": qp_high,
                        "coverage": box.coverage,
                        "density": box.density,
                        "mass": box.mass,
                        "runs": box.runs,
                        "cases": box.cases,
                        "base_rate": result.rate,
                    }
                )
    columns = [
        "outcome", "job", "policy", "box", "assumption", "low", "high", "range_low",
        "range_high", "quasi_p_low", "quasi_p_high", "coverage", "density", "mass", "runs",
        "cases", "base_rate",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def sobol_table(analysis: Analysis) -> pd.DataFrame:
    """Sobol indices of every policy that has them, long: one row per (policy, assumption)."""
    columns = ["outcome", "job", "policy", "assumption", "S1", "S1_conf", "ST", "ST_conf"]
    return _per_policy_table(analysis, "sobol", columns)


def leaders(analysis: Analysis, top: int = 2) -> pd.DataFrame:
    """How often each assumption ranks among the ``top`` of a policy, and its mean score.

    Returns:
        Index: assumption. Columns ``first`` (policies where it ranks first), ``top`` (policies
        where it ranks within ``top``), ``mean`` (mean score over the analysed policies); sorted
        by ``first``, ``top``, then ``mean``, all decreasing.
    """
    table = scores_table(analysis)
    if table.empty:
        return pd.DataFrame(columns=["first", "top", "mean"])
    grouped = table.groupby("assumption")
    summary = pd.DataFrame(
        {
            "first": grouped["rank"].apply(lambda ranks: int((ranks == 1).sum())),
            "top": grouped["rank"].apply(lambda ranks: int((ranks <= top).sum())),
            "mean": grouped["mean"].mean(),
        }
    )
    return summary.sort_values(["first", "top", "mean"], ascending=False, kind="stable")
