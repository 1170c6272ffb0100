"""Policy differences: each job of a sweep against a baseline job, paired replicate by replicate.

The jobs of one sweep share the seed, so replicate r of every job meets the same parameter draw
and the same random numbers until the policies make the runs diverge (common random numbers).
The difference ``P(policy) − P(baseline)`` is then estimated from the per-replicate differences
``y_policy − y_baseline``, which are 0 wherever both policies led to the same outcome: its Monte
Carlo interval is much tighter than either probability's own, and its parameter band says how
much the difference itself depends on the uncertain parameters.

``differences.csv`` at the sweep root holds one row per job (the key columns of ``summary.csv``,
then ``draws`` and ``baseline_job``), then, for each yes/no outcome NAME of
``escalation.run.results.PROBABILITIES``:

- ``NAME_diff``: P(policy) − P(baseline), as a fraction (0.025 is 2.5 percentage points);
- ``NAME_diff_low``, ``NAME_diff_high``: its 95% Monte Carlo interval, normal with the
  clustered variance of the paired differences (``clustered_variance``);
- ``NAME_diff_band_low``, ``NAME_diff_band_high``: its parameter band (``parameter_band``),
  blank with a single draw or a draw of one replicate;
- ``NAME_policy``, ``NAME_baseline``: the two probabilities.

The baseline is the first job unless ``sweep.baseline`` names another (``choose_baseline``).
Jobs that differ in seed, replicates or draws cannot be paired: no table, and a line says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from escalation.files import FileRefused, atomic_write, formula_safe
from escalation.run.results import (
    PROBABILITIES,
    Z_95,
    clustered_variance,
    parameter_band,
)
from escalation.sweep.figure_data import policy_header, policy_label, swept_columns
from escalation.sweep.folder import Job, SweepError, override_parser
from escalation.sweep.progress import KEY_COLUMNS, override_values, varying_keys

DIFFERENCES_FILE = "differences.csv"
#: The config key naming the baseline policy.
BASELINE_KEY = "sweep.baseline"
#: The outcome policies are ranked by: P(NATO-Russia war).
RANK_OUTCOME = "direct_conflict"
#: The outcomes of the differences figure, in its panel order.
KEY_OUTCOMES: tuple[str, ...] = (
    "direct_conflict",
    "lethal_engagement",
    "contained_clash",
    "nuclear_use",
)
#: The columns each outcome gets, after its name and an underscore.
OUTCOME_COLUMNS = (
    "diff",
    "diff_low",
    "diff_high",
    "diff_band_low",
    "diff_band_high",
    "policy",
    "baseline",
)
#: A ranking of more than twice this many policies shows only the lowest and highest.
RANKING_ENDS = 10
#: What the two intervals of a difference mean (under the terminal ranking).
DIFFERENCE_NOTE = (
    "95% interval: Monte Carlo error of the paired difference (same seed: same parameter draws "
    "and random numbers); parameter band: 5-95% of the difference across the parameter draws"
)


class BaselineError(SweepError):
    """``sweep.baseline`` names no job of the sweep; the message says what is allowed."""


class Unpaired(ValueError):
    """The jobs cannot be paired replicate by replicate; the message says why."""


@dataclass
class Differences:
    """A sweep's policy differences, or why there are none.

    Attributes:
        baseline: The baseline job's number (None when it could not be chosen).
        label: The baseline policy in words (``troops=none``).
        table: ``differences.csv``'s rows, one per gathered job; None when refused.
        refused: Why no table was made; "" when it was.
    """

    baseline: int | None
    label: str
    table: pd.DataFrame | None = None
    refused: str = ""


# --------------------------------------------------------------------------------------------
# The baseline
# --------------------------------------------------------------------------------------------


def baseline_spec(config: DictConfig) -> Any:
    """The value of ``sweep.baseline`` in a sweep's config, as plain Python (None if absent)."""
    value = OmegaConf.select(config, BASELINE_KEY, default=None)
    if isinstance(value, DictConfig):
        return OmegaConf.to_container(value, resolve=False)
    return value


def parse_baseline(text: str, key: str = BASELINE_KEY) -> Any:
    """A baseline written as on the command line (``3``, ``{troops:none}``), as a value.

    Args:
        text: The value as written.
        key: How the user gave it, for the message (``sweep.baseline``, ``--baseline``).

    Raises:
        BaselineError: Not one value in Hydra's override grammar.
    """
    try:
        (override,) = override_parser().parse_overrides([f"{BASELINE_KEY}={text}"])
    except Exception as error:  # Hydra's parser raises its own exceptions
        raise BaselineError(
            f"{key}={text}: not a value ({type(error).__name__}); {_allowed_forms((), key)}"
        ) from None
    if override.is_sweep_override():
        raise BaselineError(f"{key}={text}: give one policy; {_allowed_forms((), key)}")
    return override.value()


def _allowed_forms(jobs: Sequence[Job], key: str) -> str:
    """What a baseline may be, with this sweep's job numbers and swept values."""
    numbers = f"from 0 to {len(jobs) - 1}" if jobs else "of the sweep"
    swept = _swept_values(jobs)
    first = override_values(jobs[0].overrides) if jobs else {}
    example = "{" + ",".join(f"{k}:{first[k]}" for k in swept if k in first) + "}"
    example = example if len(example) > 2 else "{policy.troops:none}"
    written = f"{key} '{example}'" if key.startswith("-") else f"'{key}={example}'"
    text = (
        f"allowed: null (the first job), a job number {numbers}, or the swept values of one job "
        f"({written})"
    )
    if swept:
        text += "; swept: " + ", ".join(f"{k}={'|'.join(v)}" for k, v in swept.items())
    return text


def _swept_values(jobs: Sequence[Job]) -> dict[str, list[str]]:
    """Each key that varies across the jobs, with its values as written, in job order."""
    values: dict[str, list[str]] = {}
    for key in varying_keys(job.overrides for job in jobs):
        for job in jobs:
            value = override_values(job.overrides).get(key)
            if value is not None and value not in values.setdefault(key, []):
                values[key].append(value)
    return values


def _swept_key(name: str, swept: Sequence[str]) -> str | None:
    """The swept key a baseline names: as written, a lever (``troops``) or a column (``seed``)."""
    if name in swept:
        return name
    for key in swept:
        if KEY_COLUMNS.get(key) == name:
            return key
    return None


def _typed(text: str) -> Any:
    """An override's value as written (``5.5``, ``none``), typed as Hydra types it."""
    try:
        return override_parser().parse_overrides([f"key={text}"])[0].value()
    except Exception:  # a value the grammar cannot read alone: compare it as text
        return text


def _same(given: Any, written: str) -> bool:
    """Whether a baseline value equals a job's override value (``7`` equals ``7.0``)."""
    value = _typed(written)
    if isinstance(given, bool) or isinstance(value, bool):
        return given is value
    if isinstance(given, int | float) and isinstance(value, int | float):
        return float(given) == float(value)
    return str(given) == str(value)


def choose_baseline(jobs: Sequence[Job], spec: Any, key: str = BASELINE_KEY) -> Job:
    """The baseline job of a sweep: the first, a job number, or the job with given swept values.

    Rule: ``null`` is job 0; a number is that job (Hydra's job number, the job's folder name); a
    mapping ``{key: value}`` names swept keys (``policy.troops`` or ``troops``, ``scenario``,
    ``seed``, ``uncertainty.x.high``) and must match exactly one job's overrides.

    Args:
        jobs: The sweep's jobs (``escalation.sweep.folder.sweep_jobs``).
        spec: The baseline: None, a job number or a mapping.
        key: How the user gave it, for the message (``sweep.baseline``, ``--baseline``).

    Raises:
        BaselineError: One line naming the value and what is allowed.
    """
    if not jobs:
        raise BaselineError("the sweep has no jobs")
    shown = _shown(spec)
    if spec is None:
        return jobs[0]
    if isinstance(spec, int) and not isinstance(spec, bool):
        if 0 <= spec < len(jobs):
            return jobs[spec]
        raise BaselineError(f"{key}={shown}: no such job; {_allowed_forms(jobs, key)}")
    if not isinstance(spec, Mapping):
        raise BaselineError(f"{key}={shown}: {_allowed_forms(jobs, key)}")
    swept = _swept_values(jobs)
    wanted = {}
    for name, value in spec.items():
        swept_key = _swept_key(str(name), list(swept))
        if swept_key is None:
            raise BaselineError(
                f"{key}={shown}: {name} is not a key this sweep varies; {_allowed_forms(jobs, key)}"
            )
        wanted[swept_key] = value
    matches = [job for job in jobs if _matches(job, wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BaselineError(f"{key}={shown}: no job has these values; {_allowed_forms(jobs, key)}")
    numbers = ", ".join(str(job.number) for job in matches)
    open_keys = [k for k in swept if k not in wanted]
    raise BaselineError(
        f"{key}={shown} matches jobs {numbers}: give a value for "
        f"{', '.join(open_keys)} too; {_allowed_forms(jobs, key)}"
    )


def _matches(job: Job, wanted: Mapping[str, Any]) -> bool:
    """Whether a job's overrides give each wanted key its value."""
    values = override_values(job.overrides)
    return all(key in values and _same(value, values[key]) for key, value in wanted.items())


def _shown(spec: Any) -> str:
    """A baseline value as it would be written on the command line."""
    if spec is None:
        return "null"
    if isinstance(spec, Mapping):
        return "{" + ",".join(f"{key}:{value}" for key, value in spec.items()) + "}"
    return str(spec)


# --------------------------------------------------------------------------------------------
# The paired differences
# --------------------------------------------------------------------------------------------


def paired_differences(
    outcomes: pd.DataFrame, summary: pd.DataFrame, baseline: int, front: Sequence[str]
) -> pd.DataFrame:
    """Each gathered job's differences from the baseline job, outcome by outcome.

    Rule: with y the 0/1 outcome per replicate, the difference is P(policy) − P(baseline), each
    the share of replicates in which the outcome happened; its 95% interval is the difference
    ± z·√v, v the clustered variance (``clustered_variance``) of y_policy − y_baseline over the
    parameter draws, clipped to [−1, 1]; its band is ``parameter_band`` of the same values. The
    pairing is common random numbers (Law, *Simulation Modeling and Analysis*, 5th ed., 2015,
    §11.2): replicate r of both jobs shares its draw and random stream.

    Args:
        outcomes: Every replicate of every gathered job (the sweep's ``outcomes.csv`` table),
            with ``job``, ``replicate`` and ``draw`` columns.
        summary: One row per gathered job (the sweep's ``summary.csv`` table).
        baseline: The baseline job's number.
        front: The summary's key columns, written first.

    Returns:
        The ``differences.csv`` table, one row per job of ``summary``, in its order.

    Raises:
        Unpaired: The baseline has no results, or the jobs differ in seed, replicates or draws.
    """
    if baseline not in set(summary["job"]):
        raise Unpaired(f"the baseline, job {baseline}, has no results")
    for column, what in (("seed", "seed"), ("replicates", "sim.replicates")):
        values = list(dict.fromkeys(summary[column].tolist()))
        if len(values) > 1:
            raise Unpaired(
                f"the jobs differ in {what} ({', '.join(map(str, values))}); a paired "
                "difference needs one seed and the same replicates and draws in every job"
            )
    events = outcomes.assign(red_line_crossed=outcomes["red_lines_crossed"] > 0)
    jobs = {
        int(job): frame.sort_values("replicate", kind="mergesort")
        for job, frame in events.groupby("job", sort=False)
    }
    reference = jobs[baseline]
    draw = _draws(reference)
    counts = sorted({int(np.unique(_draws(frame)).size) for frame in jobs.values()})
    if len(counts) > 1:
        raise Unpaired(
            f"the jobs differ in sim.draws ({', '.join(map(str, counts))}); a paired difference "
            "needs the same draws in every job"
        )
    for frame in jobs.values():
        same_rows = np.array_equal(frame["replicate"].to_numpy(), reference["replicate"].to_numpy())
        if not same_rows or not np.array_equal(_draws(frame), draw):
            raise Unpaired(
                "the jobs' replicates do not share their parameter draws; a paired difference "
                "needs one seed and the same replicates and draws in every job"
            )
    rows = []
    for _, job_row in summary.iterrows():
        frame = jobs[int(job_row["job"])]
        row = {column: job_row[column] for column in front}
        row.update(draws=counts[0], baseline_job=baseline)
        for name in PROBABILITIES:
            row.update(_difference(name, frame[name], reference[name], draw))
        rows.append(row)
    return pd.DataFrame(rows)


def _draws(frame: pd.DataFrame) -> np.ndarray:
    """The parameter draw of each replicate (all 0 for a table without a ``draw`` column)."""
    if "draw" in frame:
        return frame["draw"].to_numpy()
    return np.zeros(len(frame), dtype=int)


def _difference(name: str, policy: pd.Series, base: pd.Series, draw: np.ndarray) -> dict:
    """The ``NAME_*`` columns of one job's difference in one outcome."""
    happened = policy.to_numpy(dtype=float)
    reference = base.to_numpy(dtype=float)
    trials = happened.size
    p_policy = int(happened.sum()) / trials  # as summarize() computes p, to the last bit
    p_base = int(reference.sum()) / trials
    difference = p_policy - p_base
    paired = happened - reference
    half = Z_95 * math.sqrt(clustered_variance(paired, draw)) if trials > 1 else 0.0
    band_low, band_high = parameter_band(paired, draw, bounds=(-1.0, 1.0))
    return {
        f"{name}_diff": difference,
        f"{name}_diff_low": max(-1.0, difference - half),
        f"{name}_diff_high": min(1.0, difference + half),
        f"{name}_diff_band_low": band_low,
        f"{name}_diff_band_high": band_high,
        f"{name}_policy": p_policy,
        f"{name}_baseline": p_base,
    }


def sweep_differences(
    outcomes: pd.DataFrame,
    summary: pd.DataFrame,
    jobs: Sequence[Job],
    spec: Any,
    front: Sequence[str],
) -> Differences:
    """The sweep's differences from its baseline, or why they cannot be computed.

    Args:
        outcomes: Every replicate of every gathered job.
        summary: One row per gathered job.
        jobs: Every job of the sweep (gathered or not).
        spec: ``sweep.baseline``'s value.
        front: The summary's key columns.
    """
    try:
        chosen = choose_baseline(jobs, spec)
    except BaselineError as error:
        return Differences(None, "", refused=str(error))
    rows = summary[summary["job"] == chosen.number]
    label = _label(summary, rows.iloc[0]) if len(rows) else chosen.label
    try:
        table = paired_differences(outcomes, summary, chosen.number, front)
    except Unpaired as error:
        return Differences(chosen.number, label, refused=str(error))
    return Differences(chosen.number, label, table=table)


def _label(table: pd.DataFrame, row: pd.Series) -> str:
    """A policy in words: its swept levers and keys (``troops=none, posture=red_lines``)."""
    return policy_label(row, swept_columns(table))


# --------------------------------------------------------------------------------------------
# Files and the ranking
# --------------------------------------------------------------------------------------------


def write_differences(folder: Path, differences: Differences) -> None:
    """Write ``differences.csv`` atomically, or remove a stale one when there is no table.

    Text cells a spreadsheet would run as formulas are escaped (``escalation.files.formula_safe``).
    """
    path = folder / DIFFERENCES_FILE
    if differences.table is None:
        if path.is_symlink() or path.is_file():
            path.unlink()
        return
    if path.is_symlink():
        raise FileRefused(f"{path} is a symbolic link; escalation does not write through it")
    with atomic_write(path) as stream:
        formula_safe(differences.table).to_csv(stream, index=False, lineterminator="\n")


def ranked(table: pd.DataFrame, outcome: str = RANK_OUTCOME) -> pd.DataFrame:
    """The differences sorted by the change in ``outcome``, smallest first (ties: job order)."""
    return table.sort_values(f"{outcome}_diff", kind="mergesort").reset_index(drop=True)


def _points(value: Any) -> str:
    """A difference in percentage points, signed, to one decimal (``+2.5``; never ``-0.0``)."""
    return f"{round(float(value) * 100, 1) + 0.0:+.1f}"


def _interval(low: Any, high: Any) -> str:
    """``[+0.1, +4.9]`` in points; ``n/a`` when missing (a band from a single draw)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "n/a"
    return f"[{_points(low)}, {_points(high)}]"


#: The outcomes the report page's table of differences shows, the ranking outcome first.
PAGE_OUTCOMES = (RANK_OUTCOME, "lethal_engagement", "contained_clash", "nuclear_use")


def difference_rows(table: pd.DataFrame) -> pd.DataFrame:
    """``differences.csv`` as text for a page, a row per policy ranked by the change in war.

    The first column is the policy, its header naming the levers (``policy_header``), each row
    their values.

    For each of ``PAGE_OUTCOMES``: its change in points with its 95% interval; for
    ``RANK_OUTCOME`` also its parameter band.
    """
    rows = []
    levers = swept_columns(table)
    for _, row in ranked(table).iterrows():
        baseline = int(row["job"]) == int(row["baseline_job"])
        label = policy_label(row, levers, values_only=True)
        cells = {policy_header(levers): label + (" (baseline)" if baseline else "")}
        for outcome in PAGE_OUTCOMES:
            if f"{outcome}_diff" not in row:
                continue
            interval = _interval(row[f"{outcome}_diff_low"], row[f"{outcome}_diff_high"])
            cells[f"{PROBABILITIES[outcome]}: change"] = (
                f"{_points(row[f'{outcome}_diff'])} {interval}"
            )
            if outcome == RANK_OUTCOME:
                cells[f"{PROBABILITIES[outcome]}: parameter band"] = _interval(
                    row[f"{outcome}_diff_band_low"], row[f"{outcome}_diff_band_high"]
                )
        rows.append(cells)
    return pd.DataFrame(rows)


def ranking_lines(differences: Differences, outcome: str = RANK_OUTCOME) -> list[str]:
    """The terminal ranking: policies by the change in P(outcome), with both intervals.

    More than ``2 * RANKING_ENDS`` policies show the lowest and highest ``RANKING_ENDS``.
    """
    if differences.table is None:
        return [f"No {DIFFERENCES_FILE}: {differences.refused}"]
    table = ranked(differences.table, outcome)
    label = PROBABILITIES.get(outcome, outcome)
    labels = [
        _label(differences.table, row)
        + (" (baseline)" if int(row["job"]) == differences.baseline else "")
        for _, row in table.iterrows()
    ]
    width = max(len("policy"), *(len(text) for text in labels))
    lines = [
        f"Change in P({label}) from the baseline, job {differences.baseline} "
        f"({differences.label}), in percentage points, paired by replicate "
        f"({DIFFERENCES_FILE} has every outcome):",
        f"     {'policy':<{width}}  {'P':>6}  {'change':>6}  {'95% interval':<16}  parameter band",
    ]
    shown = range(len(table))
    if len(table) > 2 * RANKING_ENDS:
        shown = [*range(RANKING_ENDS), *range(len(table) - RANKING_ENDS, len(table))]
    for rank in shown:
        row = table.iloc[rank]
        if rank == len(table) - RANKING_ENDS and len(table) > 2 * RANKING_ENDS:
            lines.append(f"     ... {len(table) - 2 * RANKING_ENDS} policies not shown ...")
        interval = _interval(row[f"{outcome}_diff_low"], row[f"{outcome}_diff_high"])
        band = _interval(row[f"{outcome}_diff_band_low"], row[f"{outcome}_diff_band_high"])
        lines.append(
            f"{rank + 1:>3}. {labels[rank]:<{width}}  {row[f'{outcome}_policy']:>6.1%}  "
            f"{_points(row[f'{outcome}_diff']):>6}  {interval:<16}  {band}"
        )
    lines.append(DIFFERENCE_NOTE)
    if table[f"{outcome}_diff_band_low"].isna().any():
        lines.append(
            "parameter band n/a: a single parameter draw, or draws of one replicate (raise "
            "sim.replicates or lower sim.draws)"
        )
    return lines
