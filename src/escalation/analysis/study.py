"""What ``escalation-analyze`` analyses: the policies of a run or sweep folder, and the outcome.

Reads the rows runs wrote (``outcomes.csv`` or ``outcomes.parquet``, ``summary.json``,
``multirun.yaml``) into a ``Study`` of ``Policy`` objects, each with its own parameter ranges from
its job's config, and turns ``--outcome``/``--above``/``--below`` into a ``Target``. A run's
replicates are grouped into parameter draws (``sim.draws``): the replicates of a draw share every
uncertain parameter (the assumptions of ``conf/uncertainty`` and, with ``sim.parameters=prior`` or
``posterior``, the doctrine priors of ``conf/prior``), so a draw is a design point and
``draw_table`` gives the outcome's probability (or mean) at each. The statistics are in
``escalation.analysis.methods``; ``escalation.analysis.analyse`` runs them policy by policy.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.sampling import INSTALL_HINT
from escalation.config.schema import uncertainty_names
from escalation.files import read_text
from escalation.run.results import OUTCOME_COLUMNS
from escalation.run.tables import find_table, malformed, read_table
from escalation.sweep.figures import policy_label, swept_columns

DEFAULT_OUTCOME = "direct_conflict"

YES_NO_PHRASES: dict[str, str] = {
    "direct_conflict": "NATO-Russia war",
    "lethal_engagement": "a lethal NATO-Russia engagement",
    "nuclear_use": "nuclear use",
    "russian_retaliation": "Russian retaliation",
    "nuclear_signalling": "Russian nuclear signalling",
    "contained_clash": "a NATO-Russia military clash",
    "nuclear_use_in_ukraine": "nuclear use in Ukraine",
}
"""How the report names each yes/no outcome inside a sentence."""

LEVERS: tuple[str, ...] = ("instructors", "troops", "deep_strikes", "posture")

FEW_CASES = 10
"""Below this many runs with the outcome, the report warns that boxes and scores are fragile."""

MIN_DRAWS = 20
"""Fewest parameter draws a policy must have: below it no score can stand out of the noise."""

PARAMETER_KINDS = {"assumption": "assumption", "prior": "doctrine prior"}
"""How the report names each kind of parameter: an assumption of ``conf/uncertainty``, or a
doctrine constant with a prior in ``conf/prior``."""


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
        ranges: ``(low, high)`` of every uncertain parameter, from the run's config, in the
            order of ``escalation.config.sampling.parameter_ranges``: the uncertainties in
            schema order, then the doctrine priors in config order (with
            ``sim.parameters=point`` a prior is fixed at its doctrine value, low = high).
        sampling: ``sim.sampling`` of the run (``uniform`` or ``sobol``).
        mode: ``sim.parameters`` of the run (``prior``, ``posterior`` or ``point``).
        priors: The names among ``ranges`` that are doctrine priors.
    """

    job: int | None
    label: str
    rows: pd.DataFrame
    ranges: dict[str, tuple[float, float]]
    sampling: str = "uniform"
    mode: str = "point"
    priors: tuple[str, ...] = ()

    @property
    def varying(self) -> list[str]:
        """The parameters that vary across this policy's draws (``low < high``), in order."""
        return [name for name, (low, high) in self.ranges.items() if low < high]

    @property
    def fixed(self) -> dict[str, float]:
        """The parameters fixed in this policy's runs, with their value."""
        return {name: low for name, (low, high) in self.ranges.items() if low >= high}

    @property
    def draws(self) -> int:
        """Number of parameter draws (design points) among the policy's runs."""
        return int(self.rows["draw"].nunique())

    def kind(self, name: str) -> str:
        """``"assumption"`` (``conf/uncertainty``) or ``"doctrine prior"`` (``conf/prior``)."""
        return PARAMETER_KINDS["prior" if name in self.priors else "assumption"]

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
    #: The outcomes table read (``outcomes.csv`` or ``outcomes.parquet``).
    table: str = "outcomes.csv"

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
        """The outcome inside a sentence: ``"NATO-Russia war"``, ``"max_rung > 8"``."""
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


def draw_table(policy: Policy, target: Target) -> pd.DataFrame:
    """One row per parameter draw (design point), in draw order: the outcome at that draw.

    The replicates of a draw share every parameter and differ only by the model's own
    randomness, so the share of them in which a yes/no outcome happened estimates its
    probability at the draw's parameters, with binomial noise.

    Args:
        policy: The policy's runs (every draw's replicates share its parameters).
        target: The outcome, and which runs count as cases.

    Returns:
        Index ``draw``. Columns: every parameter of ``policy.ranges``; ``runs`` (replicates);
        ``value``, the outcome at the draw: the probability of a yes/no outcome (share of runs),
        the mean of a numeric one over the runs where it has a value (NaN when none has);
        ``noise``, the Monte Carlo variance of ``value`` (the runs' variance over their number,
        NaN with fewer than two); ``share``, the share of runs that are cases (``value`` for a
        yes/no outcome; above ``--above`` or below ``--below`` for a numeric one).
    """
    rows = policy.rows
    codes, first, index = np.unique(rows["draw"].to_numpy(), return_index=True, return_inverse=True)
    count = len(codes)
    table = rows[list(policy.ranges)].iloc[first].astype(float).reset_index(drop=True)
    table.index = pd.Index(codes, name="draw")
    table["runs"] = np.bincount(index, minlength=count)
    cases = target.cases(rows).astype(float)
    share, _ = _group_mean(cases, index, count)
    if target.yes_no:
        value, noise = _group_mean(cases, index, count)
    else:
        value, noise = _group_mean(rows[target.outcome].to_numpy(dtype=float), index, count)
    table["value"], table["noise"], table["share"] = value, noise, share
    return table


def _group_mean(values: np.ndarray, index: np.ndarray, count: int) -> tuple[np.ndarray, ...]:
    """Per group: the mean of the finite values and its variance (sample variance over n)."""
    finite = np.isfinite(values)
    groups, kept = index[finite], values[finite]
    sizes = np.bincount(groups, minlength=count).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(groups, weights=kept, minlength=count) / sizes
        squares = np.bincount(groups, weights=(kept - means[groups]) ** 2, minlength=count)
        noise = np.where(sizes > 1, squares / (sizes - 1) / sizes, np.nan)
    return means, noise


def load_study(folder: Path) -> Study:
    """Read a run folder or a gathered sweep folder.

    A run folder holds ``outcomes.csv`` and ``summary.json``; a sweep folder holds
    ``multirun.yaml`` and, once gathered, ``outcomes.csv`` with a ``job`` column; either table
    may be ``outcomes.parquet`` instead (``sim.tables=parquet``).

    Raises:
        AnalysisError: Neither kind of folder, or a table without the assumption columns.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise AnalysisError(f"{folder}: no such folder")
    is_sweep = (folder / "multirun.yaml").is_file()
    try:
        outcomes_path = find_table(folder, "outcomes")
    except ValueError as error:
        raise AnalysisError(str(error)) from None
    if outcomes_path is None:
        if is_sweep:
            raise AnalysisError(
                f"{folder} is a sweep folder without outcomes.csv: gather it first with "
                f"escalation-report {folder}"
            )
        raise AnalysisError(
            f"{folder} has no outcomes.csv: not a run folder (outcomes.csv, summary.json) nor a "
            "sweep folder (multirun.yaml, outcomes.csv)"
        )

    try:
        table = read_table(outcomes_path)
    except ValueError as error:
        raise AnalysisError(malformed(outcomes_path, error)) from None
    lacking = [name for name in ["replicate", *uncertainty_names()] if name not in table.columns]
    if lacking:
        raise AnalysisError(
            f"{outcomes_path} is not an escalation outcomes table: no column {', '.join(lacking)}"
        )
    if "draw" not in table.columns:
        raise AnalysisError(
            f"{outcomes_path} has no draw column: it was made before parameter draws (model v3); "
            "run it again with this version, e.g. escalation sim.draws=1000 sim.replicates=20000"
        )
    if table.empty:
        raise AnalysisError(f"{outcomes_path} has no rows")
    numeric = ["replicate", "draw", *uncertainty_names(), "job"]
    for column in [c for c in numeric if c in table.columns]:
        if not pd.api.types.is_numeric_dtype(table[column]) or table[column].isna().any():
            raise AnalysisError(f"{outcomes_path} is malformed: column {column} holds non-numbers")
    if is_sweep:
        if "job" not in table.columns:
            raise AnalysisError(f"{outcomes_path} has no job column: gather the sweep again")
        study = _sweep_study(folder, table)
    elif not (folder / "summary.json").is_file():
        raise AnalysisError(
            f"{folder} has {outcomes_path.name} but no summary.json (a run folder has both; a "
            "sweep folder has multirun.yaml)"
        )
    else:
        study = _run_study(folder, table)
    for policy in study.policies:
        _check_draws(policy, outcomes_path)
    study.table = outcomes_path.name
    return study


def _check_draws(policy: Policy, path: Path) -> None:
    """At least ``MIN_DRAWS`` draws, each a block of replicates that share every parameter.

    Raises:
        AnalysisError: Too few draws, or a parameter that differs between a draw's replicates.
    """
    where = "" if policy.job is None else f" in job {policy.job}"
    if policy.draws < MIN_DRAWS:
        raise AnalysisError(
            f"{path} holds {policy.draws} parameter draw{'s' if policy.draws != 1 else ''}"
            f"{where}; the analysis needs at least {MIN_DRAWS} (the probability is analysed per "
            "draw): run more, e.g. sim.draws=1000 sim.replicates=20000"
        )
    rows = policy.rows
    _, first, index = np.unique(rows["draw"].to_numpy(), return_index=True, return_inverse=True)
    for name in policy.ranges:
        values = rows[name].to_numpy(dtype=float)
        differs = values != values[first[index]]
        if differs.any():
            draw = rows["draw"].iloc[int(np.argmax(differs))]
            raise AnalysisError(
                f"{path} is malformed: {name} differs between the replicates of draw {draw}"
                f"{where} (a draw's replicates share every parameter)"
            )


def _run_study(folder: Path, table: pd.DataFrame) -> Study:
    summary = _read_json(folder / "summary.json", folder)
    config = _mapping(summary, "config", folder / "summary.json")
    policy = _mapping(config, "policy", folder / "summary.json")
    levers = ", ".join(f"{lever}={policy[lever]}" for lever in LEVERS if lever in policy)
    title = summary.get("title") or summary.get("scenario") or "run"
    label = f"{title} ({levers})" if levers else title
    rows = table.sort_values("replicate", kind="stable").reset_index(drop=True)
    return Study(
        folder=folder,
        kind="run",
        policies=[_policy(None, label, rows, config, folder / "summary.json")],
        scenario=str(summary.get("scenario", "")),
    )


def _sweep_study(folder: Path, table: pd.DataFrame) -> Study:
    fallback = _multirun_config(folder)
    firsts = table.groupby("job", sort=True).head(1).reset_index(drop=True)
    labelled = [column for column in swept_columns(firsts) if column != "job"]
    groups = table.groupby("job", sort=True)
    policies = []
    for (job, rows), (_, first) in zip(groups, firsts.iterrows(), strict=True):
        summary_path = folder / str(job) / "summary.json"
        config = fallback
        if summary_path.is_file():
            config = _mapping(_read_json(summary_path, folder), "config", summary_path) or fallback
        rows = rows.sort_values("replicate", kind="stable").reset_index(drop=True)
        label = policy_label(first, labelled) if labelled else ""
        policies.append(_policy(int(job), label, rows, config, summary_path))
    scenarios = table["scenario"].astype(str).unique() if "scenario" in table.columns else []
    return Study(folder, "sweep", policies, scenario=", ".join(sorted(scenarios)))


def _mapping(node: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    """``node[key]`` when it is a mapping, {} when absent; anything else is malformed."""
    value = node.get(key, {})
    if not isinstance(value, Mapping):
        raise AnalysisError(f"{path} is malformed: {key} is {value!r}, not a mapping")
    return value


def _read_json(path: Path, folder: Path) -> dict[str, Any]:
    """A JSON file read back as a regular file inside ``folder`` (``escalation.files``)."""
    try:
        data = json.loads(read_text(path, folder))
    except (OSError, ValueError) as error:
        raise AnalysisError(f"{path} is malformed: {error}") from None
    return data if isinstance(data, dict) else {}


def _multirun_config(folder: Path) -> dict[str, Any]:
    """The sweep's composed config from ``multirun.yaml`` (without Hydra's node), or {}."""
    from omegaconf import OmegaConf

    try:
        text = read_text(folder / "multirun.yaml", folder)
        config = OmegaConf.to_container(OmegaConf.create(text), resolve=False)
    except Exception:  # a malformed file only loses the fallback config
        return {}
    if not isinstance(config, dict):
        return {}
    config.pop("hydra", None)
    return config


def _policy(
    job: int | None, label: str, rows: pd.DataFrame, config: Mapping[str, Any], path: Path
) -> Policy:
    """A ``Policy`` from its rows and its run's config (ranges, ``sim.sampling``, mode)."""
    sim = config.get("sim") or {}
    sim = sim if isinstance(sim, Mapping) else {}
    mode = str(sim.get("parameters", "point"))
    priors = _mapping(config, "prior", path)
    ranges = _ranges(config, rows, mode)
    return Policy(
        job,
        label,
        rows,
        ranges,
        sampling=str(sim.get("sampling", "uniform")),
        mode=mode,
        priors=tuple(name for name in priors if name in ranges),
    )


def _ranges(
    config: Mapping[str, Any], rows: pd.DataFrame, mode: str = "point"
) -> dict[str, tuple[float, float]]:
    """Each parameter's range, as ``escalation.config.sampling.parameter_ranges`` gives it.

    The uncertainties in schema order, then the doctrine priors of the config (those with a
    column in the table) in config order; a range the config lacks is the observed one. With
    ``sim.parameters=point`` a prior is fixed at its doctrine value (the value in the table).
    """
    configured = config.get("uncertainty") or {}
    priors = config.get("prior") or {}
    names = [*uncertainty_names()]
    if isinstance(priors, Mapping):
        names += [name for name in priors if name in rows.columns and name not in names]
    ranges = {}
    for name in names:
        column = rows[name]
        if not pd.api.types.is_numeric_dtype(column) or column.isna().any():
            raise AnalysisError(f"outcomes.csv is malformed: column {name} holds non-numbers")
        section = priors if name in priors else configured
        bounds = section.get(name) if isinstance(section, Mapping) else None
        try:
            low, high = float(bounds["low"]), float(bounds["high"])
        except (TypeError, KeyError, ValueError):
            low, high = float(rows[name].min()), float(rows[name].max())
        if name in priors and mode == "point":
            low = high = float(rows[name].iloc[0])
        if not (np.isfinite(low) and np.isfinite(high) and low <= high):
            raise AnalysisError(
                f"the range of {name} is [{low:g}, {high:g}]; need finite numbers, low <= high"
            )
        ranges[name] = (low, high)
    return ranges


def make_target(
    study: Study, outcome: str, *, above: float | None = None, below: float | None = None
) -> Target:
    """Check the outcome's name and choose its cases of interest.

    A numeric outcome without ``above`` or ``below`` counts runs above the median of all the
    study's runs (the same threshold for every policy).

    Raises:
        AnalysisError: Unknown outcome, a threshold on a yes/no outcome, or both thresholds.
    """
    if outcome not in OUTCOME_COLUMNS:
        raise AnalysisError(f"unknown outcome {outcome!r}; available: {', '.join(OUTCOME_COLUMNS)}")
    if outcome not in study.columns:
        raise AnalysisError(f"{study.folder / study.table} has no column {outcome!r}")
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
