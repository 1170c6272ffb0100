"""Gathering a sweep: the jobs' files become one tidy table, a summary per policy and figures.

Hydra runs one job per lever combination, possibly in other processes or on other machines
(joblib, Ray, Slurm), so gathering reads what the jobs wrote into the sweep folder, never their
memory. The jobs of a sweep are recomputed from ``multirun.yaml`` exactly as Hydra's basic
sweeper numbers them, so stale folders of an earlier, different sweep are ignored
(``escalation.sweep.folder``).

At the sweep root:

- ``outcomes.csv`` (``outcomes.parquet`` with ``sim.tables=parquet``, ``escalation.run.tables``):
  every replicate of every job; columns ``job``, the four levers, every other
  key that varies across the jobs under its dotted name (``uncertainty.red_line_threshold.high``,
  ``policy.timing.troops.month``; a config group under its name), ``scenario``, ``seed``, then the
  job's outcomes columns (sampled assumptions, outcomes). Each job's table is read in whichever
  format it was written.
- ``summary.csv``: one row per job: ``job``, ``scenario``, ``replicates``, ``months``, ``seed``,
  the levers, the other varying keys, then ``NAME``/``NAME_low``/``NAME_high`` for each
  probability and ``NAME_mean``/``NAME_mean_low``/``NAME_mean_high`` for each mean (95%
  intervals). No two rows share all of these key columns.
- ``differences.csv``: each job against the baseline job (the first, or ``sweep.baseline``),
  paired replicate by replicate: the change in each probability with its Monte Carlo interval
  and parameter band (``escalation.sweep.differences``); not written, with a line saying why,
  when the jobs differ in seed, replicates or draws.
- ``figures/``: the differences first (``differences.png``), then heatmaps, the
  support-versus-risk trade-off and a ranking.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from escalation.config.schema import ConfigError, Plots, validate_plots, validate_tables
from escalation.errors import describe_os_error, error_line, first_line
from escalation.files import (
    FileRefused,
    atomic_write,
    formula_safe,
    open_regular,
    read_text,
    shown,
    subfolder,
)
from escalation.run.processes import processes_for
from escalation.run.results import FILES, read_outcomes, summary_row
from escalation.run.runs import ERROR_FILE
from escalation.run.tables import find_table, table_file, write_table
from escalation.scope import scope_lines
from escalation.sweep.difference_figure import DIFFERENCES_FIGURE, plot_differences
from escalation.sweep.differences import (
    BASELINE_KEY,
    DIFFERENCES_FILE,
    BaselineError,
    Differences,
    baseline_spec,
    choose_baseline,
    ranking_lines,
    sweep_differences,
    write_differences,
)
from escalation.sweep.figures import Drawing, draw_sweep_figures
from escalation.sweep.folder import (
    Job,
    SweepError,
    foreign,
    load_multirun,
    sweep_jobs,
    task_config,
)
from escalation.sweep.progress import KEY_COLUMNS, config_value, override_values, varying_keys

LEVERS = ["instructors", "troops", "deep_strikes", "posture"]
SWEEP_FILES = {
    "outcomes": "outcomes.csv",
    "summary": "summary.csv",
    "differences": DIFFERENCES_FILE,
    "figures": "figures",
}


@dataclass
class Gathered:
    """What gathering found: the tables, and the jobs that failed or are missing."""

    outcomes: pd.DataFrame
    summary: pd.DataFrame
    jobs: int
    failed: list[tuple[Job, str]] = field(default_factory=list)
    missing: list[tuple[Job, str]] = field(default_factory=list)
    #: Each gathered job's own ``outcomes.csv`` text (None for a Parquet table), in the order
    #: of ``outcomes``' rows.
    texts: list[str | None] = field(default_factory=list)
    #: Each job against the baseline (``escalation.sweep.differences``), or why not.
    differences: Differences | None = None
    #: The format of the sweep's outcomes table (``sim.tables``: ``csv`` or ``parquet``).
    tables: str = "csv"

    @property
    def complete(self) -> bool:
        """Whether every job of the sweep has results."""
        return not self.failed and not self.missing

    def error_line(self) -> str:
        """One line for stderr when jobs have no results (they are named in ``report``)."""
        lacking = len(self.failed) + len(self.missing)
        return f"{lacking} of {self.jobs} jobs have no results (named above)"

    def report(self, folder: Path) -> str:
        """Lines for the terminal: what was gathered, each job without results, what is left out."""
        done = self.jobs - len(self.failed) - len(self.missing)
        written = self.differences is not None and self.differences.table is not None
        files = [table_file("outcomes", self.tables), SWEEP_FILES["summary"]]
        files += [SWEEP_FILES["differences"]] if written else []
        lines = [
            f"Gathered {done} of {self.jobs} jobs ({len(self.outcomes):,} replicates) into "
            f"{folder}: {', '.join(files)}, figures/"
        ]
        lines += [f"  FAILED {job.label}: {why}" for job, why in self.failed]
        lines += [f"  MISSING {job.label}: {why}" for job, why in self.missing]
        if not self.complete:
            lines.append(
                "  Re-run the same command with hydra.sweep.dir=" + str(folder) + " to "
                "compute only the jobs without results."
            )
        if self.differences is not None:
            lines += ranking_lines(self.differences)
        return "\n".join([*lines, *scope_lines()])


def extra_keys(jobs: list[Job]) -> list[str]:
    """The keys besides levers, scenario, seed, months and replicates that vary across jobs."""
    return [key for key in varying_keys(job.overrides for job in jobs) if key not in KEY_COLUMNS]


def _read_job(
    job: Job,
    base: dict[str, Any] | None,
    keys: list[str] = (),  # type: ignore[assignment]
) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    """A job's outcomes, summary and ``outcomes.csv`` text; raises why.

    The summary's ``front`` holds the values of the key columns the job's rows get in front
    of its outcomes in the sweep's table (``with_keys``).

    The text is None when the job wrote its table as Parquet.

    ``keys`` are the sweep's other varying keys (``extra_keys``): each becomes a column after
    the levers, holding the job's value (from its config, else as its override wrote it).

    Raises:
        FileNotFoundError: The job has no results.
        ValueError: Its results are malformed or belong to another sweep.
    """
    summary_path = job.folder / FILES["summary"]
    if job.folder.is_symlink():
        raise ValueError(f"{job.folder.name} is a symbolic link, not this sweep's job folder")
    if not summary_path.is_file():
        raise FileNotFoundError(f"no {FILES['summary']} (the job did not finish)")
    outcomes_path = find_table(job.folder, "outcomes")
    if outcomes_path is None:
        raise FileNotFoundError(f"no {FILES['outcomes']}")
    try:
        summary = json.loads(read_text(summary_path))
        policy = summary["config"]["policy"]
        if not isinstance(policy, dict):
            raise TypeError(f"config.policy is {policy!r}, not a mapping")
        levers = {lever: str(policy[lever]) for lever in LEVERS}
        written = override_values(job.overrides)
        swept = {key: config_value(summary["config"], key, written.get(key)) for key in keys}
        summary["keys"] = swept
        front = {"job": job.number, **levers, **swept}
        front.update(scenario=str(summary["scenario"]), seed=int(summary["seed"]))
        replicates = int(summary["replicates"])
        summary["months"] = int(summary["months"])
        for part in ("probabilities", "means"):  # the sweep's summary row (``summary_row``)
            if not isinstance(summary[part], dict):
                raise TypeError(f"{part} is {summary[part]!r}, not a mapping")
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"malformed {FILES['summary']}: {error}") from None
    other = foreign(job, summary, base)
    if other:
        raise ValueError(f"results of another sweep ({other}); re-run the sweep to recompute")
    text = _read_text(outcomes_path) if outcomes_path.suffix == ".csv" else None
    outcomes = read_outcomes(outcomes_path, replicates, text=text)
    summary["front"] = front
    return outcomes, summary, text


def _read_text(path: Path) -> str:
    """A job's ``outcomes.csv`` as text (a regular file); ValueError naming it if it is not."""
    try:
        return read_text(path, limit=None)
    except (UnicodeDecodeError, FileRefused) as error:
        raise ValueError(f"malformed {path.name}: {first_line(error)}") from None


#: The most characters of a job's ``error.txt`` first line that are shown.
ERROR_LINE = 1000


def _first_line(path: Path) -> str:
    """The first line of a job's ``error.txt`` (its one-line error), control characters escaped."""
    try:
        with open_regular(path) as stream:
            lines = stream.readline(ERROR_LINE).decode("utf-8", errors="replace").splitlines()
    except FileRefused as error:
        return f"{path.name} unreadable: {error}"
    except OSError as error:
        return f"{path.name} unreadable: {error.strerror}"
    return shown(lines[0]) if lines else f"{path.name} is empty"


def gather(folder: Path, multirun: DictConfig | None = None, *, baseline: Any = None) -> Gathered:
    """Read every job's results; build the sweep's outcomes, summary and differences tables.

    Args:
        folder: The sweep folder.
        multirun: Its config (``multirun.yaml``, read when omitted).
        baseline: The baseline policy (as ``sweep.baseline`` takes it), instead of the config's.

    Raises:
        SweepError: Not a sweep folder, or no job has results.
    """
    if multirun is None:
        multirun = load_multirun(folder)
    tables = table_format(multirun)
    spec = baseline_spec(multirun) if baseline is None else baseline
    jobs = sweep_jobs(folder, multirun)
    keys = extra_keys(jobs)
    base = task_config(multirun)
    frames, rows, texts, fronts = [], [], [], []
    failed, missing = [], []
    for job in jobs:
        error_path = job.folder / ERROR_FILE
        try:
            outcomes, job_summary, text = _read_job(job, base, keys)
        except FileNotFoundError as reason:
            if error_path.is_file():
                failed.append((job, _first_line(error_path)))
            else:
                missing.append((job, str(reason)))
            continue
        except ValueError as reason:
            missing.append((job, str(reason)))
            continue
        frames.append(outcomes)
        texts.append(text)
        fronts.append(meta := job_summary["front"])
        rows.append(
            {
                "job": job.number,
                "scenario": meta["scenario"],
                "replicates": len(outcomes),
                "months": job_summary["months"],
                "seed": meta["seed"],
                **{lever: meta[lever] for lever in LEVERS},
                **job_summary["keys"],
                **summary_row(job_summary),
            }
        )
    if not frames:
        raise SweepError(f"no job in {folder} has results ({len(jobs)} expected)")
    outcomes = with_keys(frames, fronts)
    summary = pd.DataFrame(rows)
    front = ["job", "scenario", "replicates", "months", "seed", *LEVERS, *keys]
    return Gathered(
        outcomes=outcomes,
        summary=summary,
        jobs=len(jobs),
        failed=failed,
        missing=missing,
        texts=texts,
        differences=sweep_differences(outcomes, summary, jobs, spec, front),
        tables=tables,
    )


def with_keys(frames: list[pd.DataFrame], fronts: list[dict[str, Any]]) -> pd.DataFrame:
    """The jobs' outcomes in one table, each row behind its job's key columns (``front``).

    A key column holds, for each job's rows, the job's value, typed as pandas types that value
    alone (as ``DataFrame.insert`` would), then joined as ``pandas.concat`` joins the jobs.
    """
    sizes = [len(frame) for frame in frames]
    keys = {
        name: pd.concat(
            [
                pd.Series([None] * size, dtype=object)  # None, not NaN, as insert holds it
                if front[name] is None
                else pd.Series(front[name], index=pd.RangeIndex(size))
                for front, size in zip(fronts, sizes, strict=True)
            ],
            ignore_index=True,
        )
        for name in fronts[0]
    }
    return pd.concat([pd.DataFrame(keys), pd.concat(frames, ignore_index=True)], axis=1)


def write_gathered(
    folder: Path,
    gathered: Gathered,
    *,
    sweep_name: str,
    plots: Plots | None = None,
    workers: int = 1,
) -> None:
    """Write the gathered tables and figures at the sweep root, atomically.

    Args:
        folder: The sweep root.
        gathered: The gathered tables.
        sweep_name: Name of the sweep, for the figure titles.
        plots: Style and formats of the figures (``plots`` config); default PNG, default style.
        workers: Processes to draw the figures in (``figure_workers``).
    """
    plots = plots or Plots()
    try:
        figures = subfolder(folder, SWEEP_FILES["figures"])
    except FileRefused as error:
        raise SweepError(str(error)) from None
    first = []
    if gathered.differences is not None:
        first = _difference_figures(figures, gathered.differences, sweep_name, plots)
    draw_sweep_figures(
        gathered.summary,
        figures,
        sweep_name=sweep_name,
        style=plots.style,
        formats=plots.formats,
        differences=gathered.differences.table if gathered.differences is not None else None,
        first=first,
        workers=workers,
        meanwhile=functools.partial(_write_tables, folder, gathered),
    )


def _write_tables(folder: Path, gathered: Gathered) -> None:
    """The sweep's outcomes, summary and differences tables, each written atomically."""
    if gathered.tables == "parquet":
        write_table(folder, "outcomes", gathered.outcomes, "parquet")
    else:
        with atomic_write(folder / SWEEP_FILES["outcomes"]) as stream:
            stream.writelines(outcomes_csv(gathered))
        (folder / table_file("outcomes", "parquet")).unlink(missing_ok=True)
    with atomic_write(folder / SWEEP_FILES["summary"]) as stream:
        formula_safe(gathered.summary).to_csv(stream, index=False, lineterminator="\n")
    if gathered.differences is not None:
        write_differences(folder, gathered.differences)


def _difference_figures(
    figures: Path, differences: Differences, sweep_name: str, plots: Plots
) -> list[Drawing]:
    """The drawings of ``differences.<format>`` (the sweep's first figure); a stale one removed."""
    drawings: list[Drawing] = []
    for suffix in plots.formats:
        path = figures / f"{DIFFERENCES_FIGURE}.{suffix}"
        if differences.table is None:
            if path.is_symlink() or path.is_file():
                path.unlink()
            continue
        assert differences.baseline is not None
        drawings.append(
            functools.partial(
                plot_differences,
                differences.table,
                path,
                baseline=differences.baseline,
                baseline_label=differences.label,
                sweep_name=sweep_name,
                style=plots.style,
            )
        )
    return drawings


def outcomes_csv(gathered: Gathered) -> Iterator[str]:
    """The sweep's ``outcomes.csv``, piece by piece: each job's key columns, then its own rows.

    The jobs wrote their rows already: when every job's table has the same header, each row is
    copied as written, behind the job's key values (formatted once per job, as pandas formats
    them). The result is the text ``gathered.outcomes.to_csv`` would write, without formatting
    every number again (0.7 s of a 54-job sweep). Otherwise pandas writes the gathered table.
    Text cells a spreadsheet would run as formulas are escaped (``escalation.files.formula_safe``).
    """
    table = gathered.outcomes
    texts = [text for text in gathered.texts if text is not None]
    headers = {text.partition("\n")[0] for text in texts}
    sizes = table.groupby("job", sort=False).size().tolist() if "job" in table else []
    copyable = len(headers) == 1 and len(sizes) == len(texts) == len(gathered.texts)
    copyable = copyable and all(  # one line a row: no blank lines, no carriage returns
        "\r" not in text and "\n\n" not in text and text.count("\n") - 1 == size
        for text, size in zip(texts, sizes, strict=False)
    )
    if not copyable:
        yield formula_safe(table).to_csv(index=False, lineterminator="\n")
        return
    (header,) = headers
    front = table.columns[: len(table.columns) - len(header.split(","))]
    yield _csv_line(front) + "," + header + "\n"
    start = 0
    for text in texts:
        keys = formula_safe(table.loc[start, front].to_frame().T).to_csv(index=False, header=False)
        prefix = keys.rstrip("\r\n") + ","
        rows = text.partition("\n")[2].splitlines(keepends=True)
        yield "".join(prefix + row for row in rows)
        start += len(rows)


def _csv_line(values: Any) -> str:
    """One CSV line of these values (quoted where needed), without its line break."""
    return pd.DataFrame(columns=list(values)).to_csv(index=False).rstrip("\r\n")


def plot_options(multirun: DictConfig) -> Plots:
    """The sweep's ``plots`` settings (style and formats), validated.

    Raises:
        SweepError: An unknown style or format.
    """
    plots = Plots(
        style=str(OmegaConf.select(multirun, "plots.style", default="default")),
        format=str(OmegaConf.select(multirun, "plots.format", default="png")),
    )
    try:
        validate_plots(plots)
    except ConfigError as error:
        raise SweepError(str(error)) from None
    return plots


def table_format(multirun: DictConfig) -> str:
    """The format of the sweep's outcomes table (``sim.tables``), validated.

    Raises:
        SweepError: An unknown format, or Parquet without pyarrow.
    """
    tables = str(OmegaConf.select(multirun, "sim.tables", default="csv"))
    try:
        validate_tables(tables)
    except ConfigError as error:
        raise SweepError(str(error)) from None
    return tables


def figure_workers(multirun: DictConfig) -> int:
    """Processes the sweep's figures are drawn in: ``sim.workers``, 0 (the default) every core."""
    return processes_for(OmegaConf.select(multirun, "sim.workers", default=0))


def sweep_name(multirun: DictConfig) -> str:
    """The preset sweep's name, or ``custom`` for a sweep given on the command line."""
    return OmegaConf.select(multirun, "sweep.name", default="") or "custom"


def rebuild_sweep(folder: Path, baseline: Any = None, key: str = BASELINE_KEY) -> Gathered:
    """Gather a sweep folder again from disk and rewrite its tables and figures.

    Args:
        folder: The sweep folder.
        baseline: The baseline policy (as ``sweep.baseline`` takes it) instead of the sweep's.
        key: How the user gave ``baseline``, for the message (``--baseline``).

    Raises:
        SweepError: Not a sweep folder, no job has results, or ``baseline`` names no job
            (``BaselineError``).
    """
    multirun = load_multirun(folder)
    if baseline is not None:
        choose_baseline(sweep_jobs(folder, multirun), baseline, key)
    gathered = gather(folder, multirun, baseline=baseline)
    write_gathered(
        folder,
        gathered,
        sweep_name=sweep_name(multirun),
        plots=plot_options(multirun),
        workers=figure_workers(multirun),
    )
    return gathered


class GatherSweep(Callback):
    """Hydra callback: when a multirun ends, gather its jobs' results at the sweep root.

    It runs in the launching process after every job has ended, whatever the launcher. Jobs
    without results are named with their reason, and the command exits with status 1. Before
    any job runs, it checks that ``sweep.baseline`` names a job of the sweep.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        """Refuse a ``sweep.baseline`` that names no job: one line, status 2, no job run."""
        try:
            choose_baseline(sweep_jobs(Path(config.hydra.sweep.dir), config), baseline_spec(config))
        except BaselineError as error:
            _exit(str(error), status=2)
        except SweepError:
            pass  # a sweep the folder module cannot read fails, with its reason, when gathered

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Gather, write, report; exit 1 if a job failed or is missing, or gathering failed.

        Hydra turns a callback's exception into a warning, so every failure here ends the
        command itself, with one line on stderr.
        """
        folder = Path(config.hydra.sweep.dir)
        try:
            plots = plot_options(config)
            gathered = gather(folder, config)
            write_gathered(
                folder,
                gathered,
                sweep_name=sweep_name(config),
                plots=plots,
                workers=figure_workers(config),
            )
        except SweepError as error:
            _exit(str(error))
        except OSError as error:
            _exit(f"cannot write the gathered results: {describe_os_error(error)}")
        except Exception as error:  # any other failure must not pass as a warning
            _exit(f"gathering {folder} failed: {type(error).__name__}: {first_line(error)}")
        print(gathered.report(folder), flush=True)
        if not gathered.complete:
            _exit(gathered.error_line())


def _exit(message: str, status: int = 1) -> None:
    """End the command with one line on stderr and ``status`` (1; 2 for a configuration error)."""
    print(error_line("escalation", message), file=sys.stderr, flush=True)
    raise SystemExit(status)
