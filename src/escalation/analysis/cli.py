"""The ``escalation-analyze DIR`` command: which parameters drive an outcome, and where it happens.

For a run or a gathered sweep folder, and one outcome (``--outcome``, default
``direct_conflict``: NATO-Russia war), it analyses the outcome's probability (or mean) at each
parameter draw, over every parameter that varies across the draws (the assumptions and, with
``sim.parameters=prior`` or ``posterior``, the doctrine priors), and writes into DIR (or
``--out``):

- ``analysis.md``: the report, policy by policy, in words a student can read;
- ``analysis_feature_scores.csv``, ``analysis_boxes.csv`` and, for runs made with
  ``sim.sampling=sobol``, ``analysis_sobol.csv``: the numbers behind it;
- ``figures/analysis_feature_scores.png``, ``figures/analysis_prim.png`` (a run) or
  ``figures/analysis_prim_<job>.png`` (each job of a sweep), and ``figures/analysis_sobol.png``.

The statistics are ``escalation.analysis.analyse``'s (EMA Workbench and SALib); this module parses
the options, writes the report in words and draws the figures, each file written atomically. Bad
input ends with one line on stderr and exit status 2. The output folder (DIR or ``--out``) is
new, empty or one escalation made (``escalation.files.own_folder``), checked before any work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from escalation.analysis.analyse import (
    DEFAULT_OUTCOME,
    MAX_DIMENSIONS,
    PERMUTATIONS,
    RESAMPLES,
    Analysis,
    AnalysisError,
    analyse,
    boxes_table,
    load_study,
    make_target,
    percent,
    require_libraries,
    scores_table,
    sobol_table,
)
from escalation.analysis.figures import draw_figures
from escalation.analysis.report import report_markdown
from escalation.config.limits import (
    MAX_BOXES,
    MAX_RESAMPLES,
    MAX_SEED,
    OneLineParser,
    check_whole,
)
from escalation.config.schema import ConfigError, uncertainty_names
from escalation.errors import describe_os_error, error_line
from escalation.files import (
    MARKER,
    FileRefused,
    atomic_write,
    check_output_folder,
    formula_safe,
    made_by_escalation,
    own_folder,
    real,
    subfolder,
)

EXIT_BAD_INPUT = 2
EXIT_FAULT = 1
EXIT_INTERRUPTED = 130
REPORT_FILE = "analysis.md"
TABLE_FILES = {
    "feature_scores": "analysis_feature_scores.csv",
    "boxes": "analysis_boxes.csv",
    "sobol": "analysis_sobol.csv",
}


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-analyze DIR [--outcome NAME] [options]``."""
    parser = OneLineParser(
        prog="escalation-analyze",
        description=(
            "Which uncertain parameters drive an outcome's probability at each parameter draw "
            "(feature scoring, against a no-effect reference), under which of them it happens "
            "(PRIM scenario discovery), and Sobol indices for runs made with sim.sampling=sobol. "
            "Needs the analysis extra: pip install -e '.[analysis]'."
        ),
    )
    parser.add_argument("folder", type=Path, help="a run folder or a gathered sweep folder")
    parser.add_argument(
        "--outcome",
        default=DEFAULT_OUTCOME,
        help=(
            "outcome column to explain (default: direct_conflict, NATO-Russia war), e.g. "
            "lethal_engagement or russian_retaliation"
        ),
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
        help=f"bootstrap resamples for the feature scores, 2 to {MAX_RESAMPLES:,} "
        f"(default {RESAMPLES})",
    )
    parser.add_argument(
        "--permutations",
        type=int,
        default=PERMUTATIONS,
        help=f"fits on the outcome shuffled across draws for the no-effect reference, 1 to "
        f"{MAX_RESAMPLES:,} (default {PERMUTATIONS}: a parameter with no effect stands out "
        "with probability 1 in 20)",
    )
    parser.add_argument(
        "--boxes",
        type=int,
        default=1,
        help=f"most PRIM boxes per policy, 1 to {MAX_BOXES} (default 1)",
    )
    parser.add_argument(
        "--max-dims",
        type=int,
        default=MAX_DIMENSIONS,
        help=f"most parameters a box may restrict, 1 to {len(uncertainty_names())} "
        f"(default {MAX_DIMENSIONS})",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help=f"seed of the analysis, 0 to {MAX_SEED} (default 0)"
    )
    parser.add_argument("--no-figures", action="store_true", help="write no figures")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        analysis = run_analysis(args)
        out = args.out or args.folder
        step = time.perf_counter()
        _say(f"Writing the report, tables{'' if args.no_figures else ' and figures'} to {out} ...")
        with own_folder(out, _out_name(args)):
            written = write_analysis(analysis, out, figures=not args.no_figures)
        _say(f"Written ({time.perf_counter() - step:.1f} s)")
    except (AnalysisError, FileRefused) as error:
        print(error_line("escalation-analyze", error), file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
    except OSError as error:
        print(error_line("escalation-analyze", describe_os_error(error)), file=sys.stderr)
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
    check_options(args)
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
    check_out(args)
    require_libraries()
    _say(f"Analysing {target.phrase}: feature scores, PRIM boxes, Sobol indices (sobol runs)")
    return analyse(
        study,
        target,
        resamples=args.resamples,
        permutations=args.permutations,
        boxes=args.boxes,
        max_dimensions=args.max_dims,
        seed=args.seed,
        progress=_say,
    )


def _out_name(args: argparse.Namespace) -> str:
    """How messages name the output folder: ``--out DIR``, or the analysed folder."""
    return f"--out {args.out}" if args.out is not None else str(args.folder)


def check_out(args: argparse.Namespace) -> None:
    """The output folder is new, empty or escalation's own (the analysed folder: made by it).

    Raises:
        AnalysisError: It holds files escalation did not make, or is a file.
    """
    if args.out is None:
        if args.folder.is_dir() and not made_by_escalation(real(args.folder)):
            raise AnalysisError(
                f"{args.folder}: not a folder escalation made (no {MARKER} in it); give "
                "--out DIR to write the analysis into a new folder"
            )
        return
    try:
        check_output_folder(args.out, _out_name(args))
    except FileRefused as error:
        raise AnalysisError(str(error)) from None


def check_options(args: argparse.Namespace) -> None:
    """Each numeric option is a whole number within its bounds (``escalation.config.limits``).

    Raises:
        AnalysisError: Names the option and the allowed range.
    """
    bounds = {
        "resamples": (2, MAX_RESAMPLES),
        "permutations": (1, MAX_RESAMPLES),
        "boxes": (1, MAX_BOXES),
        "max_dims": (1, len(uncertainty_names())),
        "seed": (0, MAX_SEED),
    }
    for name, (low, high) in bounds.items():
        try:
            check_whole(f"--{name.replace('_', '-')} ", getattr(args, name), low, high)
        except ConfigError as error:
            raise AnalysisError(str(error)) from None


def _say(line: str) -> None:
    """Print one progress line at once (a long analysis shows where it is)."""
    print(line, flush=True)


def write_analysis(analysis: Analysis, out: Path, *, figures: bool = True) -> list[str]:
    """Write the report, its tables and (optionally) its figures into ``out``.

    Text cells of the tables that a spreadsheet would run as formulas are escaped
    (``escalation.files.formula_safe``).

    Returns:
        The names written, relative to ``out``.

    Raises:
        FileRefused: ``out/figures`` is a symbolic link.
    """
    out.mkdir(parents=True, exist_ok=True)
    figures_folder = subfolder(out, "figures")
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
            formula_safe(table).to_csv(stream, index=False, lineterminator="\n")
        written.append(TABLE_FILES[kind])
    links: dict[str, str] = {}
    if figures:
        links = draw_figures(analysis, figures_folder)
        written += sorted(set(links.values()))
    with atomic_write(out / REPORT_FILE) as stream:
        stream.write(report_markdown(analysis, links))
    return [REPORT_FILE, *written]


def summary_lines(analysis: Analysis) -> str:
    """A few lines for the terminal: per policy, what stands out and the first box."""
    target = analysis.target
    lines = [f"What drives {target.phrase} ({analysis.study.folder}):"]
    for result in analysis.results:
        title = result.policy.title
        if result.skipped:
            lines.append(f"- {title}: skipped, {result.skipped}")
            continue
        parts = [f"{percent(result.rate)} of runs"]
        if result.scores is not None:
            out = result.standing_out
            if out:
                scores = result.scores["score"]
                named = ", ".join(f"{name} {scores[name]:.2f}" for name in out[:3])
                more = f" (+{len(out) - 3})" if len(out) > 3 else ""
                parts.append(
                    f"stand out: {named}{more} (no-effect reference {result.reference:.2f})"
                )
            else:
                parts.append(
                    f"no parameter stands out (top score {result.scores['score'].iloc[0]:.2f}, "
                    f"no-effect reference {result.reference:.2f})"
                )
        if result.boxes:
            box = result.boxes[0]
            where = " and ".join(box.conditions())
            parts.append(
                f"box {where}: {percent(box.density)} of its runs, {percent(box.coverage)} of all"
            )
        lines.append(f"- {title}: " + "; ".join(parts))
    return "\n".join(lines)
