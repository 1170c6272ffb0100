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
report, the figures and the files are made by ``escalation.analyze``.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config import uncertainty_names
from escalation.errors import first_line
from escalation.sampling import INSTALL_HINT, sobol_base_size, sobol_problem

DEFAULT_OUTCOME = "direct_conflict"

YES_NO_PHRASES: dict[str, str] = {
    "direct_conflict": "direct NATO-Russia conflict",
    "nuclear_use": "nuclear use",
    "russian_retaliation": "Russian retaliation",
    "nuclear_signalling": "Russian nuclear signalling",
}
"""How the report names each yes/no outcome inside a sentence."""

LEVERS: tuple[str, ...] = ("instructors", "troops", "deep_strikes", "posture")

RESAMPLES = 10
"""Bootstrap resamples of the runs on which the feature scores are refitted."""

TREES = 100
"""Trees per extra-trees forest (EMA Workbench's default)."""

MAX_SCORED_RUNS = 20_000
"""Feature scores of a policy with more runs use a random subset of this many (the scores
change little beyond it, and the forests' cost grows with the runs)."""

SPREAD = (0.025, 0.975)
"""Quantiles of the resampled scores reported as their spread (95% of resamples)."""

MAX_DIMENSIONS = 3
"""Most assumptions a PRIM box may restrict: a box is meant to be read."""

SIGNIFICANCE = 0.05
"""A box is accepted only if every restriction's quasi-p value (Bryant and Lempert 2010) is
below this."""

PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05
"""PRIM's parameters (EMA Workbench's defaults): share of runs peeled or pasted per step, and the
smallest share of runs a box may hold."""

FEW_CASES = 10
"""Below this many runs with the outcome, the report warns that boxes and scores are fragile."""


class AnalysisError(ValueError):
    """The folder or the options cannot be analysed; the message is one line saying why."""


# --------------------------------------------------------------------------------------------
# What is analysed: the policies of a run or a sweep folder, and the outcome
# --------------------------------------------------------------------------------------------


@dataclass
class Policy:
    """One policy's runs: a run folder, or one job of a sweep.

    Attributes:
        job: The job number in a sweep; None for a run folder.
        label: How the report names the policy (the swept levers, or the run's title).
        rows: The policy's rows of ``outcomes.csv``, sorted by replicate.
        ranges: ``(low, high)`` of every uncertainty, from the run's config.
        sampling: ``sim.sampling`` of the run (``uniform`` or ``sobol``).
    """

    job: int | None
    label: str
    rows: pd.DataFrame
    ranges: dict[str, tuple[float, float]]
    sampling: str = "uniform"

    @property
    def assumptions(self) -> list[str]:
        """The uncertainties that vary in this policy's runs (``low < high``), in schema order."""
        return [name for name, (low, high) in self.ranges.items() if low < high]

    @property
    def fixed(self) -> dict[str, float]:
        """The uncertainties fixed in this policy's runs, with their value."""
        return {name: low for name, (low, high) in self.ranges.items() if low >= high}

    @property
    def title(self) -> str:
        """``"job 2: posture=red_lines, troops=noncombat"``, or the label of a run."""
        if self.job is None:
            return self.label
        return f"job {self.job}: {self.label}" if self.label else f"job {self.job}"


@dataclass
class Study:
    """What ``escalation-analyze`` reads from a folder."""

    folder: Path
    kind: str
    policies: list[Policy]
    scenario: str = ""

    @property
    def columns(self) -> list[str]:
        """Columns of the outcomes table."""
        return list(self.policies[0].rows.columns)


@dataclass(frozen=True)
class Target:
    """The outcome analysed, and which runs count as "it happened" (the cases of interest).

    A yes/no outcome happened when it is true. A numeric outcome happened when it is above
    ``above`` or below ``below`` (exactly one is set); a missing value (``months_to_*`` when the
    event never came) never counts.
    """

    outcome: str
    yes_no: bool
    above: float | None = None
    below: float | None = None

    @property
    def phrase(self) -> str:
        """The outcome inside a sentence: ``"direct NATO-Russia conflict"``, ``"max_rung > 8"``."""
        if self.yes_no:
            return YES_NO_PHRASES.get(self.outcome, self.outcome.replace("_", " "))
        if self.above is not None:
            return f"{self.outcome} > {self.above:g}"
        return f"{self.outcome} < {self.below:g}"

    def cases(self, rows: pd.DataFrame) -> np.ndarray:
        """Whether the outcome happened in each row."""
        values = rows[self.outcome]
        if self.yes_no:
            return values.to_numpy(dtype=bool)
        numbers = values.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            if self.above is not None:
                return numbers > self.above
            return numbers < self.below


def load_study(folder: Path) -> Study:
    """Read a run folder or a gathered sweep folder.

    A run folder holds ``outcomes.csv`` and ``summary.json``; a sweep folder holds
    ``multirun.yaml`` and, once gathered, ``outcomes.csv`` with a ``job`` column.

    Raises:
        AnalysisError: Neither kind of folder, or a table without the assumption columns.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AnalysisError(f"{folder}: no such folder")
    outcomes_path = folder / "outcomes.csv"
    is_sweep = (folder / "multirun.yaml").is_file()
    if not outcomes_path.is_file():
        if is_sweep:
            raise AnalysisError(
                f"{folder} is a sweep folder without outcomes.csv: gather it first with "
                f"escalation-report {folder}"
            )
        raise AnalysisError(
            f"{folder} has no outcomes.csv: not a run folder (outcomes.csv, summary.json) nor a "
            "sweep folder (multirun.yaml, outcomes.csv)"
        )
    from escalation.results import table_rows

    try:
        complete = table_rows(outcomes_path) is not None
        table = pd.read_csv(outcomes_path)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise AnalysisError(f"{outcomes_path} is malformed: {first_line(error)}") from None
    if not complete:
        raise AnalysisError(f"{outcomes_path} is malformed: cut short (no final line break)")
    lacking = [name for name in ["replicate", *uncertainty_names()] if name not in table.columns]
    if lacking:
        raise AnalysisError(
            f"{outcomes_path} is not an escalation outcomes table: no column {', '.join(lacking)}"
        )
    if table.empty:
        raise AnalysisError(f"{outcomes_path} has no rows")
    numeric = ["replicate", *uncertainty_names(), "job"]
    for column in [c for c in numeric if c in table.columns]:
        if not pd.api.types.is_numeric_dtype(table[column]) or table[column].isna().any():
            raise AnalysisError(f"{outcomes_path} is malformed: column {column} holds non-numbers")
    if is_sweep:
        if "job" not in table.columns:
            raise AnalysisError(f"{outcomes_path} has no job column: gather the sweep again")
        return _sweep_study(folder, table)
    if not (folder / "summary.json").is_file():
        raise AnalysisError(
            f"{folder} has outcomes.csv but no summary.json (a run folder has both; a sweep "
            "folder has multirun.yaml)"
        )
    return _run_study(folder, table)


def _run_study(folder: Path, table: pd.DataFrame) -> Study:
    summary = _read_json(folder / "summary.json")
    config = _mapping(summary, "config", folder / "summary.json")
    policy = _mapping(config, "policy", folder / "summary.json")
    levers = ", ".join(f"{lever}={policy[lever]}" for lever in LEVERS if lever in policy)
    title = summary.get("title") or summary.get("scenario") or "run"
    label = f"{title} ({levers})" if levers else title
    rows = table.sort_values("replicate", kind="stable").reset_index(drop=True)
    return Study(
        folder=folder,
        kind="run",
        policies=[Policy(None, label, rows, _ranges(config, rows), _sampling(config))],
        scenario=str(summary.get("scenario", "")),
    )


def _sweep_study(folder: Path, table: pd.DataFrame) -> Study:
    from escalation.sweep_plots import policy_label, swept_columns

    fallback = _multirun_config(folder)
    firsts = table.groupby("job", sort=True).head(1).reset_index(drop=True)
    labelled = [column for column in swept_columns(firsts) if column != "job"]
    groups = table.groupby("job", sort=True)
    policies = []
    for (job, rows), (_, first) in zip(groups, firsts.iterrows(), strict=True):
        summary_path = folder / str(job) / "summary.json"
        config = fallback
        if summary_path.is_file():
            config = _mapping(_read_json(summary_path), "config", summary_path) or fallback
        rows = rows.sort_values("replicate", kind="stable").reset_index(drop=True)
        label = policy_label(first, labelled) if labelled else ""
        policies.append(Policy(int(job), label, rows, _ranges(config, rows), _sampling(config)))
    scenarios = table["scenario"].astype(str).unique() if "scenario" in table.columns else []
    return Study(folder, "sweep", policies, scenario=", ".join(sorted(scenarios)))


def _mapping(node: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    """``node[key]`` when it is a mapping, {} when absent; anything else is malformed."""
    value = node.get(key, {})
    if not isinstance(value, Mapping):
        raise AnalysisError(f"{path} is malformed: {key} is {value!r}, not a mapping")
    return value


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnalysisError(f"{path} is malformed: {error}") from None
    return data if isinstance(data, dict) else {}


def _multirun_config(folder: Path) -> dict[str, Any]:
    """The sweep's composed config from ``multirun.yaml`` (without Hydra's node), or {}."""
    from omegaconf import OmegaConf

    try:
        config = OmegaConf.to_container(OmegaConf.load(folder / "multirun.yaml"), resolve=False)
    except Exception:  # a malformed file only loses the fallback config
        return {}
    if not isinstance(config, dict):
        return {}
    config.pop("hydra", None)
    return config


def _ranges(config: Mapping[str, Any], rows: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Each uncertainty's configured range; the observed one when the config lacks it."""
    configured = config.get("uncertainty") or {}
    ranges = {}
    for name in uncertainty_names():
        bounds = configured.get(name) if isinstance(configured, Mapping) else None
        try:
            low, high = float(bounds["low"]), float(bounds["high"])
        except (TypeError, KeyError, ValueError):
            low, high = float(rows[name].min()), float(rows[name].max())
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise AnalysisError(
                f"the range of {name} is [{low:g}, {high:g}]; need finite numbers, low <= high"
            )
        ranges[name] = (low, high)
    return ranges


def _sampling(config: Mapping[str, Any]) -> str:
    sim = config.get("sim") or {}
    return str(sim.get("sampling", "uniform")) if isinstance(sim, Mapping) else "uniform"


def make_target(
    study: Study, outcome: str, *, above: float | None = None, below: float | None = None
) -> Target:
    """Check the outcome's name and choose its cases of interest.

    A numeric outcome without ``above`` or ``below`` counts runs above the median of all the
    study's runs (the same threshold for every policy).

    Raises:
        AnalysisError: Unknown outcome, a threshold on a yes/no outcome, or both thresholds.
    """
    from escalation.results import OUTCOME_COLUMNS

    if outcome not in OUTCOME_COLUMNS:
        raise AnalysisError(f"unknown outcome {outcome!r}; available: {', '.join(OUTCOME_COLUMNS)}")
    if outcome not in study.columns:
        raise AnalysisError(f"{study.folder / 'outcomes.csv'} has no column {outcome!r}")
    values = pd.concat([policy.rows[outcome] for policy in study.policies], ignore_index=True)
    yes_no = pd.api.types.is_bool_dtype(values)
    if above is not None and below is not None:
        raise AnalysisError("give --above or --below, not both")
    if yes_no:
        if above is not None or below is not None:
            raise AnalysisError(f"--above/--below apply to numeric outcomes; {outcome} is yes/no")
        return Target(outcome, yes_no=True)
    if above is None and below is None:
        median = values.median()
        above = float(median) if pd.notna(median) else 0.0
    return Target(outcome, yes_no=False, above=above, below=below)


def require_libraries() -> None:
    """Import EMA Workbench and SALib, or say how to install them.

    Raises:
        AnalysisError: ``install the analysis extra: pip install -e '.[analysis]'``.
    """
    try:
        _ema()
        import SALib.analyze.sobol  # noqa: F401
    except ImportError:
        raise AnalysisError(INSTALL_HINT) from None


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the deprecation warnings the libraries raise about their own use of pandas."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _ema() -> tuple[Any, Any, Any]:
    """EMA Workbench's feature scoring, rule-induction modes and PRIM, imported quietly."""
    import logging

    with warnings.catch_warnings():
        # The package warns at import about optional parallel back-ends it does not need here.
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return feature_scoring, RuleInductionType, prim


# --------------------------------------------------------------------------------------------
# The analyses
# --------------------------------------------------------------------------------------------


def feature_scores(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    yes_no: bool,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> pd.DataFrame:
    """Extra-trees feature scores of each assumption, refitted on bootstrap resamples.

    Each resample draws the runs with replacement and fits EMA Workbench's extra-trees scorer
    (classification for a yes/no outcome, regression otherwise) with its own seed. Scores are
    the forest's impurity-based importances and sum to 1 over the assumptions. The resamples
    are fitted in threads (scikit-learn's trees release the GIL); each has its own runs and seed,
    so the result does not depend on the number of cores.

    Args:
        x: One column per assumption, one row per run.
        y: The outcome per run (yes/no, or numeric without missing values).
        yes_no: Whether ``y`` is yes/no.
        resamples: Number of bootstrap resamples (at least 2).
        seed: Seeds the resampling and the forests.

    Returns:
        Index: assumption, sorted by decreasing mean. Columns ``mean``, ``sd``, ``low`` and
        ``high`` (the 2.5% and 97.5% quantiles over the resamples) and ``rank`` (1 = most
        important).
    """
    feature_scoring, rule_induction, _ = _ema()
    mode = rule_induction.CLASSIFICATION if yes_no else rule_induction.REGRESSION
    target = np.asarray(y, dtype=int if yes_no else float)
    from joblib import Parallel, delayed

    rng = np.random.default_rng(seed)
    runs = len(x)
    draws = [(rng.integers(0, runs, runs), int(rng.integers(2**31 - 1))) for _ in range(resamples)]

    def score(picked: np.ndarray, random_state: int) -> pd.Series:
        table, _ = feature_scoring.get_ex_feature_scores(
            x.iloc[picked],
            target[picked],
            mode=mode,
            nr_trees=TREES,
            max_features=max(1, round(x.shape[1] / 3)),
            bootstrap=False,  # the resampling is already a bootstrap
            oob_score=False,
            random_state=random_state,
        )
        return table[1]

    scores = Parallel(n_jobs=-1, prefer="threads")(delayed(score)(*draw) for draw in draws)
    resampled = pd.concat(scores, axis=1).reindex(list(x.columns))
    summary = pd.DataFrame(
        {
            "mean": resampled.mean(axis=1),
            "sd": resampled.std(axis=1, ddof=1),
            "low": resampled.quantile(SPREAD[0], axis=1),
            "high": resampled.quantile(SPREAD[1], axis=1),
        }
    )
    summary.index.name = "assumption"
    summary = summary.sort_values("mean", ascending=False, kind="stable")
    summary["rank"] = np.arange(1, len(summary) + 1)
    return summary


@dataclass
class Box:
    """A box of assumption ranges found by PRIM, and how well it holds the outcome.

    Attributes:
        limits: For each restricted assumption, ``(low, high)`` of the box; a side left
            unrestricted is at the end of the assumption's full range.
        quasi_p: For each restricted assumption, the quasi-p value of each restricted side
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

        ``"With follow_through above 0.6 and nato_cohesion below 0.4, direct NATO-Russia
        conflict happens in 71% of runs (against 43% over all runs); this box holds 80% of all
        runs with direct NATO-Russia conflict, and 25% of all runs fall in it."``
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
        name: The assumption.
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

    Rule: among the boxes that restrict between 1 and ``max_dimensions`` assumptions and whose
    every restriction has a quasi-p value below ``significance``, the one with the highest
    harmonic mean of coverage and density (the F1 score: a box must both hold most of the
    outcome's runs and hold mostly such runs); ties go to fewer restrictions, then to the
    earlier (larger) box.

    Args:
        trajectory: PRIM's peeling trajectory, with columns ``coverage``, ``density`` and
            ``res_dim``.
        quasi_p: Per row of the trajectory, the quasi-p values of each restricted assumption
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
        x: One column per assumption, one row per run.
        cases: Whether the outcome happened in each run.
        boxes: Most boxes to find.
        max_dimensions: Most assumptions a box may restrict.
        ranges: Each assumption's full range, for the unrestricted sides of a box (default:
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


def sobol_indices(
    policy: Policy, values: np.ndarray, *, seed: int = 1
) -> tuple[pd.DataFrame | None, str]:
    """Sobol' first-order and total indices of an outcome over a ``sobol`` run's design.

    The design is SALib's (``escalation.sampling``): its base size and order follow from the
    run's replicates and uncertainty ranges. The rows are checked against the design's structure
    (each "A with column i from B" row equals its "A" row outside column i) before SALib's
    ``analyze.sobol`` estimates the indices and their 95% bootstrap confidence intervals.

    Args:
        policy: A policy whose runs used ``sim.sampling=sobol``.
        values: The outcome per run, in replicate order (yes/no as 0/1).
        seed: Seeds SALib's bootstrap (must not be 0, which SALib treats as unseeded).

    Returns:
        ``(table, note)``: the table (index: assumption; columns ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf``) or None, and a note saying what was done or why not.
    """
    from SALib.analyze import sobol

    problem = sobol_problem(policy.ranges)
    dims = problem["num_vars"]
    try:
        base = sobol_base_size(len(policy.rows), dims)
    except ValueError as error:
        return None, f"Sobol indices not computed: {error}"
    size = base * (dims + 2)
    design = policy.rows[problem["names"]].to_numpy(dtype=float)[:size]
    if not _follows_saltelli(design, dims):
        return None, "Sobol indices not computed: the rows do not follow the Saltelli design"
    y = np.asarray(values, dtype=float)[:size]
    if np.isnan(y).any():
        return None, "Sobol indices not computed: the outcome is missing in some runs"
    if np.ptp(y) == 0:
        return None, "Sobol indices not computed: the outcome has the same value in every run"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = sobol.analyze(problem, y, calc_second_order=False, seed=seed or 1)
    table = pd.DataFrame(
        {key: np.asarray(result[key], dtype=float) for key in ("S1", "S1_conf", "ST", "ST_conf")},
        index=pd.Index(problem["names"], name="assumption"),
    )
    return table, (
        f"Sobol indices from the first {size:,} runs (base sample N = {base}, "
        f"{dims} assumptions, N x (D + 2) runs)"
    )


def _follows_saltelli(design: np.ndarray, dims: int) -> bool:
    """Whether each block A, AB_1..AB_D, B has AB_i equal to A outside column i."""
    blocks = design.reshape(-1, dims + 2, dims)
    first = blocks[:, 0, :]
    for i in range(dims):
        others = [j for j in range(dims) if j != i]
        if not np.allclose(blocks[:, i + 1, others], first[:, others], rtol=1e-12, atol=0.0):
            return False
    return True


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


def percent(value: float) -> str:
    """``"71%"``, or ``"5.4%"`` below 10% (and ``"0.05%"`` below 0.1%)."""
    if value >= 0.1 or value == 0:
        return f"{value:.0%}"
    if value >= 0.001:
        return f"{value:.1%}"
    return f"{value:.2%}"


def join_and(items: Sequence[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = list(items)
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)
