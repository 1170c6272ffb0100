"""The analyses behind ``escalation-analyze``: what drives an outcome, and where it happens.

A run's replicates are grouped into parameter draws (``sim.draws``): the replicates of a draw
share every uncertain parameter (the assumptions of ``conf/uncertainty`` and, with
``sim.parameters=prior`` or ``posterior``, the doctrine priors of ``conf/prior``) and differ only
by the model's own randomness. A draw is a design point: this module reads the rows of a run
folder or a gathered sweep folder, turns them into the outcome's probability (or mean) at each
draw (``draw_table``) and, for one outcome and each policy (each job of a sweep), asks:

- **which parameters matter**: feature scores of the per-draw probability from extra trees (EMA
  Workbench's ``get_ex_feature_scores``), with their spread over bootstrap resamples of the
  draws and a no-effect reference from fits on the probability shuffled across draws: a
  parameter *stands out* only above that reference;
- **where the outcome happens**: scenario discovery with PRIM (EMA Workbench's ``Prim``) on the
  runs, each with its draw's parameters: the box of parameter ranges in which the outcome
  concentrates, with its coverage and density;
- **how much of the per-draw probability's variance each parameter explains** (runs made with
  ``sim.sampling=sobol`` only, whose draws follow Saltelli's design): Sobol' first-order and
  total indices with confidence intervals (SALib's ``analyze.sobol``), against the Monte Carlo
  noise of the per-draw estimates.

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
    CONFIDENCE,
    MASS_MIN,
    MAX_DIMENSIONS,
    MAX_SCORED_DRAWS,
    PASTE_ALPHA,
    PEEL_ALPHA,
    PERMUTATIONS,
    RESAMPLES,
    SIGNIFICANCE,
    SPREAD,
    TREES,
    Box,
    Sobol,
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
    MIN_DRAWS,
    YES_NO_PHRASES,
    AnalysisError,
    Policy,
    Study,
    Target,
    draw_table,
    join_and,
    load_study,
    make_target,
    percent,
    require_libraries,
)
from escalation.run.results import parameter_band

__all__ = [
    "CONFIDENCE",
    "DEFAULT_OUTCOME",
    "FEW_CASES",
    "LEVERS",
    "MASS_MIN",
    "MAX_DIMENSIONS",
    "MAX_SCORED_DRAWS",
    "MIN_DRAWS",
    "PASTE_ALPHA",
    "PEEL_ALPHA",
    "PERMUTATIONS",
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
    "Sobol",
    "Study",
    "Target",
    "analyse",
    "boxes_table",
    "choose_box",
    "describe_limit",
    "discover",
    "draw_table",
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
    """What the analyses found for one policy.

    Attributes:
        policy: The policy analysed.
        runs: Its runs (replicates).
        cases: Runs in which the outcome happened (counted as a case).
        draws: Its ``draw_table`` (None when skipped before it was made).
        band: 5-95% of the outcome's per-draw value across the draws, Monte Carlo noise taken
            out (``escalation.run.results.parameter_band``); None with one run per draw.
        noise_share: Share of the variance of the per-draw values that is Monte Carlo noise
            (mean noise variance over the variance across draws); None with one run per draw.
        scores: Feature scores (``feature_scores``' table), or None.
        reference: The feature scores' no-effect reference, or None.
        boxes: PRIM's boxes, best first.
        sobol: Sobol indices (``sobol`` runs), or None.
        skipped: Why the policy was not analysed, or None.
        notes: Remarks for the report, in order.
        steps: Seconds each step took (``feature scores``, ``PRIM``, ``Sobol``), in order.
    """

    policy: Policy
    runs: int
    cases: int
    draws: pd.DataFrame | None = field(default=None, repr=False)
    band: tuple[float, float] | None = None
    noise_share: float | None = None
    scores: pd.DataFrame | None = None
    reference: float | None = None
    boxes: list[Box] = field(default_factory=list)
    sobol: Sobol | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)

    def steps_line(self) -> str:
        """``feature scores 0.41 s, PRIM 0.12 s``, or ``skipped: <reason>``."""
        if self.skipped is not None:
            return f"skipped: {self.skipped}"
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.steps.items())

    @property
    def rate(self) -> float:
        """Share of the runs in which the outcome happened."""
        return self.cases / self.runs if self.runs else 0.0

    @property
    def standing_out(self) -> list[str]:
        """The parameters whose feature score is above the no-effect reference, best first."""
        if self.scores is None:
            return []
        return list(self.scores.index[self.scores["stands_out"].to_numpy(dtype=bool)])


@dataclass
class Analysis:
    """The analyses of one outcome over every policy of a folder."""

    study: Study
    target: Target
    results: list[PolicyResult]
    resamples: int
    seed: int
    max_dimensions: int
    permutations: int = PERMUTATIONS

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
    permutations: int = PERMUTATIONS,
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
        resamples: Bootstrap resamples of the draws for the feature scores' spread.
        permutations: Fits on the shuffled outcome for the no-effect reference.
        boxes: Most PRIM boxes per policy.
        max_dimensions: Most parameters a box may restrict.
        seed: Seeds every random choice of the analyses (same folder and seed, same report).
        progress: Called with one line per policy once it is analysed, e.g.
            ``[policy 2/4] job 1: troops=none: feature scores 0.41 s, PRIM 0.12 s``.
    """
    seeds = np.random.SeedSequence(seed).spawn(len(study.policies))
    results = []
    total = len(study.policies)
    for number, (policy, sequence) in enumerate(zip(study.policies, seeds, strict=True), 1):
        policy_seed = int(sequence.generate_state(1)[0])
        result = _analyse_policy(
            policy, target, resamples, permutations, boxes, max_dimensions, policy_seed
        )
        results.append(result)
        if progress is not None:
            progress(f"[policy {number}/{total}] {policy.title}: {result.steps_line()}")
    return Analysis(study, target, results, resamples, seed, max_dimensions, permutations)


def _analyse_policy(
    policy: Policy,
    target: Target,
    resamples: int,
    permutations: int,
    boxes: int,
    max_dimensions: int,
    seed: int,
) -> PolicyResult:
    rows = policy.rows
    cases = target.cases(rows)
    result = PolicyResult(policy, runs=len(rows), cases=int(cases.sum()))
    count = f"{result.cases:,} of {result.runs:,} runs"
    if not policy.varying:
        result.skipped = "every parameter is fixed: nothing to explain"
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
    draws = draw_table(policy, target)
    result.draws = draws
    _noise(result, rows, cases, target)
    known = draws.dropna(subset=["value"])
    if len(known) > MAX_SCORED_DRAWS:
        picked = np.random.default_rng(seed).choice(len(known), MAX_SCORED_DRAWS, replace=False)
        known = known.iloc[np.sort(picked)]
        result.notes.append(
            f"Feature scores from a random {MAX_SCORED_DRAWS:,} of the {len(draws):,} draws."
        )
    started = time.perf_counter()
    values = known["value"].to_numpy(dtype=float)
    if len(known) < MIN_DRAWS or np.ptp(values) == 0:
        result.notes.append(
            f"{target.outcome} does not vary across the draws where it has a value: no "
            "feature scores."
        )
    else:
        if len(known) < len(draws):
            result.notes.append(
                f"Feature scores use the {len(known):,} draws where {target.outcome} has a "
                "value in at least one run."
            )
        result.scores, result.reference = feature_scores(
            known[policy.varying],
            values,
            resamples=resamples,
            permutations=permutations,
            seed=seed,
        )
    result.steps["feature scores"] = time.perf_counter() - started
    started = time.perf_counter()
    x = rows[policy.varying].astype(float)
    result.boxes = discover(
        x, cases, boxes=boxes, max_dimensions=max_dimensions, ranges=policy.ranges
    )
    result.steps["PRIM"] = time.perf_counter() - started
    if not result.boxes:
        result.notes.append(
            f"PRIM found no box of at most {max_dimensions} parameters, each significant, in "
            f"which {target.phrase} concentrates."
        )
    if policy.sampling == "sobol":
        started = time.perf_counter()
        result.sobol, note = sobol_indices(policy, draws, seed=seed % (2**31 - 1) + 1)
        result.steps["Sobol"] = time.perf_counter() - started
        result.notes.append(note + ".")
    return result


def _noise(result: PolicyResult, rows: pd.DataFrame, cases: np.ndarray, target: Target) -> None:
    """The outcome's spread across draws without Monte Carlo noise, and the noise's share.

    With one run per draw neither can be told apart from the parameters' effect: a note says so.
    """
    draws = result.draws
    values = cases.astype(float) if target.yes_no else rows[target.outcome].to_numpy(float)
    finite = np.isfinite(values)
    low, high = parameter_band(
        values[finite],
        rows["draw"].to_numpy()[finite],
        bounds=(0.0, 1.0) if target.yes_no else None,
    )
    if low is not None and high is not None:
        result.band = (low, high)
    spread = float(np.nanvar(draws["value"], ddof=1))
    if not draws["noise"].isna().all() and spread > 0:
        result.noise_share = float(min(1.0, np.nanmean(draws["noise"]) / spread))
    if (draws["runs"] < 2).any():
        result.notes.append(
            "Some draws have a single run: its outcome is all the draw tells, and its noise "
            "cannot be told from the parameters' effect (more runs per draw: raise "
            "sim.replicates or lower sim.draws)."
        )


# --------------------------------------------------------------------------------------------
# Tables and the report
# --------------------------------------------------------------------------------------------


def _per_policy_table(
    analysis: Analysis, tables: dict[int, pd.DataFrame], columns: list[str]
) -> pd.DataFrame:
    """Stack per-policy tables (index: parameter), keyed by position in ``analysis.analysed``."""
    frames = []
    for number, result in enumerate(analysis.analysed):
        table = tables.get(number)
        if table is None:
            continue
        frame = table.reset_index()
        frame.insert(1, "kind", [result.policy.kind(name) for name in frame["parameter"]])
        frame.insert(0, "policy", result.policy.label)
        frame.insert(0, "job", result.policy.job)
        frame.insert(0, "outcome", analysis.target.outcome)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def scores_table(analysis: Analysis) -> pd.DataFrame:
    """Feature scores of every analysed policy, long: one row per (policy, parameter).

    Columns: ``outcome``, ``job``, ``policy``, ``parameter``, ``kind`` (assumption or doctrine
    prior), ``rank``, ``score``, ``sd``, ``low``, ``high``, ``reference`` (the policy's
    no-effect reference) and ``stands_out`` (score above it).
    """
    columns = [
        "outcome", "job", "policy", "parameter", "kind", "rank", "score", "sd", "low", "high",
        "reference", "stands_out",
    ]  # fmt: skip
    tables = {
        number: result.scores.assign(reference=result.reference)
        for number, result in enumerate(analysis.analysed)
        if result.scores is not None
    }
    return _per_policy_table(analysis, tables, columns)


def boxes_table(analysis: Analysis) -> pd.DataFrame:
    """PRIM boxes of every analysed policy, long: one row per (policy, box, parameter)."""
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
                        "parameter": name,
                        "kind": result.policy.kind(name),
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
        "outcome", "job", "policy", "box", "parameter", "kind", "low", "high", "range_low",
        "range_high", "quasi_p_low", "quasi_p_high", "coverage", "density", "mass", "runs",
        "cases", "base_rate",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def sobol_table(analysis: Analysis) -> pd.DataFrame:
    """Sobol indices of every policy that has them, long: one row per (policy, parameter).

    Columns: ``outcome``, ``job``, ``policy``, ``parameter``, ``kind``, ``S1``, ``S1_conf``,
    ``ST``, ``ST_conf`` (half-widths of the 95% intervals), ``noise`` (the total indices'
    no-effect reference, empty with one run per draw) and ``stands_out``.
    """
    columns = [
        "outcome", "job", "policy", "parameter", "kind", "S1", "S1_conf", "ST", "ST_conf",
        "noise", "stands_out",
    ]  # fmt: skip
    tables = {
        number: result.sobol.table.assign(noise=result.sobol.noise)
        for number, result in enumerate(analysis.analysed)
        if result.sobol is not None
    }
    return _per_policy_table(analysis, tables, columns)


def leaders(analysis: Analysis, top: int = 2) -> pd.DataFrame:
    """How often each parameter stands out or ranks among the ``top`` of a policy.

    Returns:
        Index: parameter. Columns ``stands_out`` (policies where its score is above the
        no-effect reference), ``first`` (policies where it ranks first), ``top`` (policies where
        it ranks within ``top``), ``score`` (mean score over the analysed policies); sorted by
        ``stands_out``, ``first``, ``top``, then ``score``, all decreasing.
    """
    table = scores_table(analysis)
    columns = ["stands_out", "first", "top", "score"]
    if table.empty:
        return pd.DataFrame(columns=columns)
    grouped = table.groupby("parameter", sort=False)
    summary = pd.DataFrame(
        {
            "stands_out": grouped["stands_out"].apply(lambda out: int(out.astype(bool).sum())),
            "first": grouped["rank"].apply(lambda ranks: int((ranks == 1).sum())),
            "top": grouped["rank"].apply(lambda ranks: int((ranks <= top).sum())),
            "score": grouped["score"].mean(),
        }
    )
    return summary.sort_values(columns, ascending=False, kind="stable")
