"""The ``escalation-analyze DIR`` command: which assumptions drive an outcome, and where it happens.

For a run folder or a gathered sweep folder, and one outcome (``--outcome``, default
``direct_conflict``), it writes into DIR (or ``--out``):

- ``analysis.md``: the report, policy by policy, in words a student can read;
- ``analysis_feature_scores.csv``, ``analysis_boxes.csv`` and, for runs made with
  ``sim.sampling=sobol``, ``analysis_sobol.csv``: the numbers behind it;
- ``figures/analysis_feature_scores.png``, ``figures/analysis_prim.png`` (a run) or
  ``figures/analysis_prim_<job>.png`` (each job of a sweep), and ``figures/analysis_sobol.png``.

The statistics are ``escalation.analysis``'s (EMA Workbench and SALib); this module parses the
options, writes the report in words and draws the figures, each file written atomically. Bad input
ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from escalation.analysis import (
    DEFAULT_OUTCOME,
    MASS_MIN,
    MAX_DIMENSIONS,
    PEEL_ALPHA,
    RESAMPLES,
    SIGNIFICANCE,
    TREES,
    Analysis,
    AnalysisError,
    Policy,
    PolicyResult,
    analyse,
    boxes_table,
    join_and,
    leaders,
    percent,
    scores_table,
    sobol_table,
)
from escalation.errors import describe_os_error
from escalation.files import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes

EXIT_BAD_INPUT = 2
EXIT_FAULT = 1
EXIT_INTERRUPTED = 130
REPORT_FILE = "analysis.md"
TABLE_FILES = {
    "feature_scores": "analysis_feature_scores.csv",
    "boxes": "analysis_boxes.csv",
    "sobol": "analysis_sobol.csv",
}
FEATURE_SCORES_FIGURE = "analysis_feature_scores.png"
SOBOL_FIGURE = "analysis_sobol.png"
MAX_PANELS = 12
"""Above this many policies the feature scores are drawn as one heatmap instead of panels."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-analyze DIR [--outcome NAME] [options]``."""
    parser = argparse.ArgumentParser(
        prog="escalation-analyze",
        description=(
            "Which uncertain assumptions drive an outcome (feature scoring), under which of them "
            "it happens (PRIM scenario discovery), and Sobol indices for runs made with "
            "sim.sampling=sobol. Needs the analysis extra: pip install -e '.[analysis]'."
        ),
    )
    parser.add_argument("folder", type=Path, help="a run folder or a gathered sweep folder")
    parser.add_argument(
        "--outcome",
        default=DEFAULT_OUTCOME,
        help="outcome column to explain (default: direct_conflict), e.g. russian_retaliation",
    )
    threshold = parser.add_mutually_exclusive_group()
    threshold.add_argument(
        "--above", type=float, help="numeric outcome: a run counts when above this value"
    )
    threshold.add_argument(
        "--below", type=float, help="numeric outcome: a run counts when below this value"
    )
    parser.add_argument("--out", type=Path, help="write here instead of into the folder")
    parser.add_argument(
        "--resamples",
        type=int,
        default=RESAMPLES,
        help=f"bootstrap resamples for the feature scores (default {RESAMPLES})",
    )
    parser.add_argument(
        "--boxes", type=int, default=1, help="most PRIM boxes per policy (default 1)"
    )
    parser.add_argument(
        "--max-dims",
        type=int,
        default=MAX_DIMENSIONS,
        help=f"most assumptions a box may restrict (default {MAX_DIMENSIONS})",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the analysis (default 0)")
    parser.add_argument("--no-figures", action="store_true", help="write no figures")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        analysis = run_analysis(args)
        out = args.out or args.folder
        step = time.perf_counter()
        _say(f"Writing the report, tables{'' if args.no_figures else ' and figures'} to {out} ...")
        written = write_analysis(analysis, out, figures=not args.no_figures)
        _say(f"Written ({time.perf_counter() - step:.1f} s)")
    except AnalysisError as error:
        print(f"escalation-analyze: error: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as error:
        print(f"escalation-analyze: error: {describe_os_error(error)}", file=sys.stderr)
        sys.exit(EXIT_FAULT)
    except KeyboardInterrupt:
        print("escalation-analyze: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    print(summary_lines(analysis))
    prim_figures = [name for name in written if name.startswith("figures/analysis_prim_")]
    if len(prim_figures) > 3:
        written = [name for name in written if name not in prim_figures]
        written.append(f"figures/analysis_prim_<job>.png ({len(prim_figures)} policies)")
    print(f"Wrote {', '.join(written)} to")
    print(f"  {out}   ({time.perf_counter() - started:.1f} s)")


def run_analysis(args: argparse.Namespace) -> Analysis:
    """Load the folder, check the options, import the libraries, analyse.

    Raises:
        AnalysisError: Bad folder or option, or the analysis extra is missing.
    """
    from escalation.analysis import load_study, make_target, require_libraries

    for name, least in (("resamples", 2), ("boxes", 1), ("max_dims", 1)):
        if getattr(args, name) < least:
            flag = "--" + name.replace("_", "-")
            raise AnalysisError(f"{flag}={getattr(args, name)} must be at least {least}")
    for name in ("above", "below"):
        value = getattr(args, name)
        if value is not None and not np.isfinite(value):
            raise AnalysisError(f"--{name}={value} must be a finite number")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise AnalysisError(f"--out {args.out} is a file; give a folder")
    step = time.perf_counter()
    _say(f"Loading {args.folder} ...")
    study = load_study(args.folder)
    runs = sum(len(policy.rows) for policy in study.policies)
    count = len(study.policies)
    _say(
        f"Loaded {count:,} {'policy' if count == 1 else 'policies'}, {runs:,} runs "
        f"({time.perf_counter() - step:.1f} s)"
    )
    target = make_target(study, args.outcome, above=args.above, below=args.below)
    require_libraries()
    _say(f"Analysing {target.phrase}: feature scores, PRIM boxes, Sobol indices (sobol runs)")
    return analyse(
        study,
        target,
        resamples=args.resamples,
        boxes=args.boxes,
        max_dimensions=args.max_dims,
        seed=args.seed,
        progress=_say,
    )


def _say(line: str) -> None:
    """Print one progress line at once (a long analysis shows where it is)."""
    print(line, flush=True)


def write_analysis(analysis: Analysis, out: Path, *, figures: bool = True) -> list[str]:
    """Write the report, its tables and (optionally) its figures into ``out``.

    Returns:
        The names written, relative to ``out``.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tables = {
        "feature_scores": scores_table(analysis),
        "boxes": boxes_table(analysis),
        "sobol": sobol_table(analysis),
    }
    for kind, table in tables.items():
        if kind == "sobol" and table.empty:
            continue
        with atomic_write(out / TABLE_FILES[kind]) as stream:
            table.to_csv(stream, index=False, lineterminator="\n")
        written.append(TABLE_FILES[kind])
    links: dict[str, str] = {}
    if figures:
        links = draw_figures(analysis, out / "figures")
        written += sorted(set(links.values()))
    with atomic_write(out / REPORT_FILE) as stream:
        stream.write(report_markdown(analysis, links))
    return [REPORT_FILE, *written]


def summary_lines(analysis: Analysis) -> str:
    """A few lines for the terminal: per policy, the top assumptions and the first box."""
    target = analysis.target
    lines = [f"What drives {target.phrase} ({analysis.study.folder}):"]
    for result in analysis.results:
        title = result.policy.title
        if result.skipped:
            lines.append(f"- {title}: skipped, {result.skipped}")
            continue
        parts = [f"{percent(result.rate)} of runs"]
        if result.scores is not None:
            top = ", ".join(result.scores.index[:2])
            parts.append(f"top assumptions {top}")
        if result.boxes:
            box = result.boxes[0]
            where = " and ".join(box.conditions())
            parts.append(
                f"box {where}: {percent(box.density)} of its runs, {percent(box.coverage)} of all"
            )
        lines.append(f"- {title}: " + "; ".join(parts))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _range(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.3g}–{bounds[1]:.3g}"


def report_markdown(analysis: Analysis, figures: Mapping[str, str] | None = None) -> str:
    """The analysis as a short Markdown report a student can read.

    Args:
        analysis: What ``analyse`` returned.
        figures: Relative paths of the figures drawn, by kind (``feature_scores``, ``sobol``, and
            ``prim:<job>`` for each policy's box figure), to link them.
    """
    from escalation import __version__

    figures = dict(figures or {})
    study, target = analysis.study, analysis.target
    results = analysis.results
    runs = _number_range([result.runs for result in results])
    what = (
        f"a sweep of {len(results)} policies, {runs} runs each"
        if study.kind == "sweep"
        else f"one run folder, {runs} runs"
    )
    scenario = f", scenario {study.scenario}" if study.scenario else ""
    lines = [
        f"# What drives {target.phrase}",
        "",
        f"Analysis of `{study.folder}` ({what}{scenario}) by `escalation-analyze` "
        f"(escalation {__version__}). A run is one Monte Carlo replicate: one draw of the "
        "uncertain assumptions and one history of the model. Everything below is a consequence "
        "of the model's assumptions (docs/MODEL.md), not a forecast.",
        "",
    ]
    if not target.yes_no:
        lines += [
            f"The outcome is numeric: a run counts as a case of {target.phrase} "
            f"(`--above`/`--below` choose the threshold). Feature scores explain "
            f"{target.outcome} itself.",
            "",
        ]
    lines += _assumption_lines([result.policy for result in results])
    lines.append("")
    lines += _overview(analysis, figures)
    for result in analysis.analysed:
        lines += _policy_section(analysis, result, figures)
    if analysis.skipped:
        lines += ["## Policies skipped", ""]
        lines += [f"- {result.policy.title}: {result.skipped}." for result in analysis.skipped]
        lines.append("")
    lines += _method(analysis)
    return "\n".join(lines).rstrip() + "\n"


def _assumption_lines(policies: Sequence[Policy]) -> list[str]:
    """Which assumptions were sampled and over which ranges: once, or per job when they differ.

    A sweep over an uncertainty bound (``uncertainty.red_line_threshold.high=6.5,9.0``) gives
    each job its own range; the report then states every job's ranges.
    """

    def ranges_of(policy: Policy) -> str:
        sampled = ", ".join(
            f"`{name}` ({_range(policy.ranges[name])})" for name in policy.assumptions
        )
        fixed = ", ".join(f"`{name}` = {value:g}" for name, value in policy.fixed.items())
        return sampled + (f"; fixed: {fixed}" if fixed else "")

    first = policies[0]
    if all(policy.ranges == first.ranges for policy in policies):
        ranges = ", ".join(f"`{name}` ({_range(first.ranges[name])})" for name in first.assumptions)
        lines = [f"Assumptions sampled in every run: {ranges}."]
        if first.fixed:
            fixed = ", ".join(f"`{name}` = {value:g}" for name, value in first.fixed.items())
            lines += [f"Fixed: {fixed}."]
        return lines
    lines = ["The assumptions' ranges differ between the jobs:", ""]
    lines += [f"- {policy.title}: {ranges_of(policy)}." for policy in policies]
    return lines


def _number_range(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _overview(analysis: Analysis, figures: Mapping[str, str]) -> list[str]:
    analysed = analysis.analysed
    if not analysed:
        return [
            "## Overview",
            "",
            f"No policy could be analysed: {analysis.target.phrase} never or always happens.",
            "",
        ]
    table = leaders(analysis)
    lines = ["## Overview", ""]
    with_scores = [r for r in analysed if r.scores is not None]
    if with_scores and not table.empty:
        named = []
        for name, row in table.head(3).iterrows():
            first, top = int(row["first"]), int(row["top"])
            policies = len(with_scores)
            if first:
                named.append(f"**{name}** (first in {first} of {policies} policies)")
            elif top:
                named.append(f"**{name}** (in the top two in {top} of {policies})")
        if named:
            lines += [f"The assumptions that matter most for {analysis.target.phrase}: "
                      f"{join_and(named)}.", ""]  # fmt: skip
    if len(analysed) > 1 and with_scores:
        lines += [
            "Feature score of each assumption by policy (mean over resamples; the two highest "
            "of each policy in bold):",
            "",
        ]
        lines += _overview_table(with_scores, list(table.index))
        if len(with_scores) <= MAX_PANELS:
            keys = "; ".join(f"job {r.policy.job}: {r.policy.label}" for r in with_scores)
            lines += [f"Policies: {keys}.", ""]
    if "feature_scores" in figures:
        lines += [f"![Feature scores]({figures['feature_scores']})", ""]
    return lines


def _overview_table(results: Sequence[PolicyResult], order: Sequence[str]) -> list[str]:
    """The overview's table of mean scores, the two highest of each policy in bold.

    Assumptions go down the rows; with more than ``MAX_PANELS`` policies, policies do.
    """

    def cell(result: PolicyResult, name: str) -> str:
        score = result.scores.loc[name]
        text = f"{score['mean']:.2f}"
        return f"**{text}**" if score["rank"] <= 2 else text

    if len(results) > MAX_PANELS:
        rows = [
            [f"{r.policy.job}", r.policy.label, *[cell(r, name) for name in order]] for r in results
        ]
        header = ["job", "policy", *[f"`{name}`" for name in order]]
    else:
        rows = [[f"`{name}`", *[cell(r, name) for r in results]] for name in order]
        header = ["assumption", *[f"job {r.policy.job}" for r in results]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _policy_section(
    analysis: Analysis, result: PolicyResult, figures: Mapping[str, str]
) -> list[str]:
    target = analysis.target
    policy = result.policy
    heading = policy.title if analysis.study.kind == "sweep" else policy.label
    lines = [
        f"## {heading[0].upper()}{heading[1:]}",
        "",
        f"{target.phrase[0].upper()}{target.phrase[1:]} happens in {percent(result.rate)} of "
        f"runs ({result.cases:,} of {result.runs:,}).",
        "",
    ]
    if result.scores is not None:
        top = list(result.scores.index[:2])
        lines += [
            f"**Which assumptions matter.** {join_and([f'`{n}`' for n in top])} "
            f"{'rank' if len(top) > 1 else 'ranks'} first "
            f"(extra-trees feature scores, mean over {analysis.resamples} bootstrap resamples; "
            "scores sum to 1):",
            "",
            "| rank | assumption | score | 95% of resamples |",
            "|---|---|---|---|",
        ]
        for name, row in result.scores.iterrows():
            lines.append(
                f"| {int(row['rank'])} | `{name}` | {row['mean']:.3f} | "
                f"{row['low']:.3f}–{row['high']:.3f} |"
            )
        lines.append("")
    for number, box in enumerate(result.boxes, start=1):
        title = "Where it happens." if number == 1 else f"Box {number}, among the other runs."
        lines += [f"**{title}** {box.sentence(target, result.rate)}", ""]
        lines += [
            "| assumption | full range | box | quasi-p |",
            "|---|---|---|---|",
        ]
        for name, limits in box.limits.items():
            p = ", ".join(f"{v:.2g}" for v in box.quasi_p[name] if v is not None)
            lines.append(f"| `{name}` | {_range(policy.ranges[name])} | {_range(limits)} | {p} |")
        lines.append("")
    key = f"prim:{policy.job}"
    if key in figures:
        lines += [f"![PRIM box and peeling trajectory]({figures[key]})", ""]
    if result.sobol is not None:
        table = result.sobol.sort_values("ST", ascending=False)
        lines += [
            "**Sobol indices** (SALib; 95% confidence intervals): the first-order index is the "
            "share of the outcome's variance an assumption explains alone; the total index adds "
            "its interactions, and here also the model's own randomness (see Method).",
            "",
            "| assumption | first order S1 | total ST |",
            "|---|---|---|",
        ]
        for name, row in table.iterrows():
            lines.append(
                f"| `{name}` | {row['S1']:.3f} ± {row['S1_conf']:.3f} | "
                f"{row['ST']:.3f} ± {row['ST_conf']:.3f} |"
            )
        lines += [
            "",
            f"Sum of first-order indices: {result.sobol['S1'].sum():.2f}; the rest of the "
            "variance comes from interactions and from the model's own randomness. The lowest "
            f"total index, {result.sobol['ST'].min():.2f}, is an upper bound (in expectation) on "
            "the share of that randomness.",
            "",
        ]
    for note in result.notes:
        lines += [f"*{note}*", ""]
    return lines


def _method(analysis: Analysis) -> list[str]:
    lines = [
        "## Method",
        "",
        f"- **Feature scores**: EMA Workbench's extra-trees scorer (`get_ex_feature_scores`, "
        f"{TREES} trees, {'classification' if analysis.target.yes_no else 'regression'}), "
        f"refitted on {analysis.resamples} bootstrap resamples of each policy's runs; the table "
        "gives the mean and the range of the middle 95% of resamples. A score is the share of "
        "the forest's fit an assumption accounts for, interactions included. Trees also fit each "
        "run's own randomness, which gives every assumption some score: within a policy, scores "
        "close to the lowest ones mean little or no effect.",
        f"- **Scenario discovery**: EMA Workbench's PRIM (peel and paste {PEEL_ALPHA}, smallest "
        f"box {MASS_MIN:.0%} of the runs). On its peeling trajectory the box chosen restricts "
        f"at most {analysis.max_dimensions} assumptions, each with a quasi-p value below "
        f"{SIGNIFICANCE}, and has the highest harmonic mean of coverage and density. "
        "*Coverage*: share of all runs with the outcome that fall in the box. *Density*: share "
        "of the runs in the box that have the outcome.",
    ]
    if any(result.sobol is not None for result in analysis.results):
        lines.append(
            "- **Sobol indices**: the run drew its assumptions on Saltelli's design "
            "(`sim.sampling=sobol`, SALib), and SALib's `analyze.sobol` estimated the indices. "
            "Each run also has its own random history; that randomness is variance no "
            "assumption explains, which lowers the sum of first-order indices and raises every "
            "total index by the same amount. Compare total indices with each other, not with 0."
        )
    lines += [
        f"- Seed of the analysis: {analysis.seed} (same folder and seed, same report).",
        "",
    ]
    return lines


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def prim_figure_name(result: PolicyResult) -> str:
    """``analysis_prim.png`` for a run, ``analysis_prim_<job>.png`` for a job of a sweep."""
    job = result.policy.job
    return "analysis_prim.png" if job is None else f"analysis_prim_{job}.png"


def draw_figures(analysis: Analysis, folder: Path) -> dict[str, str]:
    """Draw every figure of the analysis into ``folder``.

    Returns:
        Paths relative to the report's folder, by kind: ``feature_scores``, ``sobol`` and
        ``prim:<job>`` for each policy with a box.
    """
    links = {}
    with_scores = [r for r in analysis.analysed if r.scores is not None]
    if with_scores:
        plot_feature_scores(analysis, folder / FEATURE_SCORES_FIGURE)
        links["feature_scores"] = f"{folder.name}/{FEATURE_SCORES_FIGURE}"
    for result in analysis.analysed:
        if result.boxes:
            name = prim_figure_name(result)
            plot_prim(analysis, result, folder / name)
            links[f"prim:{result.policy.job}"] = f"{folder.name}/{name}"
    if any(result.sobol is not None for result in analysis.analysed):
        plot_sobol(analysis, folder / SOBOL_FIGURE)
        links["sobol"] = f"{folder.name}/{SOBOL_FIGURE}"
    return links


def _panel_title(result: PolicyResult, width: int = 38) -> str:
    text = f"{result.policy.title} — {percent(result.rate)} of runs"
    return "\n".join(textwrap.wrap(text, width))


def _grid(count: int, columns: int = 3) -> tuple[int, int]:
    columns = min(columns, count)
    return -(-count // columns), columns


def plot_feature_scores(analysis: Analysis, path: Path) -> Path:
    """Feature scores with their spread over resamples: one panel per policy (or a heatmap).

    Assumptions are in the same order in every panel, the most important overall first.
    """
    from escalation.analysis import leaders
    from escalation.plots import STYLE, _pyplot

    plt = _pyplot()
    results = [r for r in analysis.analysed if r.scores is not None]
    order = list(leaders(analysis).sort_values("mean", ascending=False).index)
    title = f"What drives {analysis.target.phrase}: importance of each assumption"
    with plt.rc_context(STYLE):
        if len(results) > MAX_PANELS:
            fig = _feature_heatmap(plt, results, order, title)
        else:
            rows, columns = _grid(len(results))
            fig, axes = plt.subplots(
                rows,
                columns,
                figsize=(4.6 * columns + 1.5, 0.32 * len(order) * rows + 1.6 * rows + 0.8),
                sharex=True,
                squeeze=False,
                layout="constrained",
            )
            top = max(float(r.scores["high"].max()) for r in results)
            for ax, result in zip(axes.flat, results, strict=False):
                scores = result.scores.reindex(order)
                y = np.arange(len(order))
                ax.barh(y, scores["mean"], color="#4c72b0", label="mean over resamples")
                ax.errorbar(
                    scores["mean"],
                    y,
                    xerr=[scores["mean"] - scores["low"], scores["high"] - scores["mean"]],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    label="95% of resamples",
                )
                ax.set_yticks(y, order)
                ax.invert_yaxis()
                ax.set_xlim(0, top * 1.1)
                ax.set_title(_panel_title(result), fontsize=10)
                ax.set_xlabel("feature score (share of the fit)")
            _finish_panels(
                fig,
                axes,
                len(results),
                2,
                f"{title}\n(extra trees, {analysis.resamples} bootstrap resamples)",
            )
        _save_and_close(plt, fig, path)
    return path


def _finish_panels(fig: Any, axes: Any, used: int, legend_columns: int, title: str) -> None:
    """Hide the unused panels; one legend under them all (from the first panel); the title."""
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=legend_columns)
    fig.suptitle(title, fontsize=12)


def _save_and_close(plt: Any, fig: Any, path: Path) -> None:
    """Save the figure atomically and close it, whatever happens."""
    from escalation.plots import _save_atomically

    try:
        _save_atomically(fig, path)
    finally:
        plt.close(fig)


def _feature_heatmap(plt: Any, results: list[PolicyResult], order: list[str], title: str) -> Any:
    """Many policies: mean feature scores as a heatmap, assumptions by policy."""
    values = np.array([[r.scores.loc[name, "mean"] for r in results] for name in order])
    fig, ax = plt.subplots(
        figsize=(max(8.0, 0.35 * len(results) + 4), 0.45 * len(order) + 2.5), layout="constrained"
    )
    image = ax.imshow(values, aspect="auto", cmap="viridis")
    ax.set_yticks(np.arange(len(order)), order)
    ax.set_xticks(np.arange(len(results)), [str(r.policy.job) for r in results], fontsize=8)
    ax.set_xlabel("job (policy; names in analysis.md)")
    ax.set_ylabel("assumption")
    ax.set_title(f"{title}\n(mean extra-trees score over bootstrap resamples)")
    fig.colorbar(image, ax=ax, label="feature score (share of the fit)")
    return fig


def plot_prim(analysis: Analysis, result: PolicyResult, path: Path) -> Path:
    """One policy's PRIM result: the peeling trajectory and the chosen box(es)' limits.

    Left: every box on the first peeling trajectory by coverage and density, coloured by how
    many assumptions it restricts, with the chosen box ringed. Right: each restricted
    assumption's full range (grey) and the box's range (coloured), with their numbers.
    """
    from escalation.plots import STYLE, _pyplot

    plt = _pyplot()
    target = analysis.target
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(13, 5.2), layout="constrained", width_ratios=[1, 1.25]
        )
        _plot_trajectory(left, result)
        _plot_limits(right, result)
        fig.suptitle(
            f"Where {target.phrase} happens: {result.policy.title}\n"
            f"PRIM scenario discovery over {result.runs:,} runs "
            f"({percent(result.rate)} with {target.phrase})",
            fontsize=12,
        )
        _save_and_close(plt, fig, path)
    return path


def _plot_trajectory(ax: Axes, result: PolicyResult) -> None:
    box = result.boxes[0]
    trajectory = box.trajectory
    dims = trajectory["res_dim"].astype(int)
    colours = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=dims,
        cmap="viridis",
        vmin=0,
        vmax=max(int(dims.max()), 1),
        s=22,
    )
    ax.scatter(
        [box.coverage],
        [box.density],
        s=180,
        facecolors="none",
        edgecolors="red",
        linewidths=2,
        label="chosen box",
    )
    ax.axhline(result.rate, color="grey", linestyle="--", label="share over all runs")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of the outcome's runs in the box)")
    ax.set_ylabel("density (share of the box's runs with the outcome)")
    ax.set_title("Peeling trajectory", fontsize=11)
    ax.legend(loc="lower left", fontsize=9)
    ax.figure.colorbar(colours, ax=ax, label="assumptions restricted")


def _plot_limits(ax: Axes, result: PolicyResult) -> None:
    ranges = result.policy.ranges
    names: list[str] = []
    for box in result.boxes:
        names += [name for name in box.limits if name not in names]
    colours = ["#c44e52", "#4c72b0", "#55a868", "#8172b2"]
    ax.barh(range(len(names)), 1.0, color="#dddddd", height=0.6, label="full range")
    for number, box in enumerate(result.boxes):
        offset = (number - (len(result.boxes) - 1) / 2) * 0.18
        label = (
            f"box {number + 1}: density {percent(box.density)}, coverage {percent(box.coverage)}"
        )
        for row, name in enumerate(names):
            if name not in box.limits:
                continue
            low, high = box.limits[name]
            full_low, full_high = ranges[name]
            span = full_high - full_low
            start, end = (low - full_low) / span, (high - full_low) / span
            ax.barh(
                row + offset,
                end - start,
                left=start,
                height=0.6 / len(result.boxes),
                color=colours[number % len(colours)],
                label=label,
            )
            label = None
            ax.text(start, row + offset + 0.05, f"{low:.3g}", ha="right", va="center", fontsize=9)
            ax.text(end, row + offset + 0.05, f"{high:.3g}", ha="left", va="center", fontsize=9)
    labels = [f"{name}\n(range {ranges[name][0]:.3g} to {ranges[name][1]:.3g})" for name in names]
    ax.set_yticks(range(len(names)), labels)
    ax.invert_yaxis()
    ax.set_xlim(-0.08, 1.08)
    ax.set_xlabel("position in the assumption's range (0 = low end, 1 = high end)")
    ax.set_title("Box limits", fontsize=11)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9, ncols=1)


def plot_sobol(analysis: Analysis, path: Path) -> Path:
    """Sobol first-order and total indices with 95% confidence intervals, one panel per policy."""
    from escalation.plots import STYLE, _pyplot

    plt = _pyplot()
    results = [r for r in analysis.analysed if r.sobol is not None]
    order = list(
        pd.concat([r.sobol["ST"] for r in results], axis=1)
        .mean(axis=1)
        .sort_values(ascending=False)
        .index
    )
    with plt.rc_context(STYLE):
        rows, columns = _grid(len(results))
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(max(9.0, 4.8 * columns + 1.5), 0.4 * len(order) * rows + 1.6 * rows + 1.2),
            sharex=True,
            squeeze=False,
            layout="constrained",
        )
        for ax, result in zip(axes.flat, results, strict=False):
            table = result.sobol.reindex(order)
            y = np.arange(len(order))
            for shift, (key, colour, label) in enumerate(
                (
                    ("S1", "#4c72b0", "first order S1: the assumption alone"),
                    ("ST", "#dd8452", "total ST: with interactions and the run's randomness"),
                )
            ):
                ax.barh(
                    y + (shift - 0.5) * 0.4,
                    table[key],
                    height=0.4,
                    xerr=table[f"{key}_conf"],
                    color=colour,
                    capsize=2,
                    label=label,
                )
            ax.axvline(0, color="black", linewidth=0.8)
            ax.axvline(
                float(table["ST"].min()),
                color="grey",
                linestyle="--",
                label="lowest total index: at most the share of the run's randomness",
            )
            ax.set_yticks(y, order)
            ax.invert_yaxis()
            ax.set_title(_panel_title(result), fontsize=10)
            ax.set_xlabel("Sobol index (share of the variance)")
        _finish_panels(
            fig,
            axes,
            len(results),
            1,
            f"Sobol indices of {analysis.target.phrase}\n(SALib, 95% confidence intervals)",
        )
        _save_and_close(plt, fig, path)
    return path
