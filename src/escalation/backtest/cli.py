"""The ``escalation-backtest`` command: replay dated history and score Russia's forecast moves.

Usage: ``escalation-backtest [TIMELINE.csv] [--from YYYY-MM] [--to YYYY-MM] [--replicates N]
[--seed S] [--out DIR]``, or with ``--refit [--origins YYYY-MM,...] [--particles N]
[--generations G] [--replicates N] [--workers W] [--draws K]``: calibrate on the months before
each origin and score the months from it (``escalation.backtest.refit``). Everything is checked
before anything is written; bad input ends with one line on stderr and exit status 2. ``--out``
is new, empty or a folder escalation made, held while the files are written
(``escalation.files.own_folder``); they are built in a temporary folder inside it and moved into
place at the end, so an interrupted run leaves no half-written output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from escalation import __version__
from escalation.backtest.figures import (
    REFIT_FILE,
    RELIABILITY_FILE,
    TIMELINE_FILE,
    plot_refit,
    plot_reliability,
    plot_timeline,
)
from escalation.backtest.forecast import forecast
from escalation.backtest.refit import (
    BASELINE_NAMES,
    DEFAULT_ORIGINS,
    DRAW_REPLICATES,
    PREDICTIVE_DRAWS,
    Refit,
    RefitError,
    calibration_fit,
    check_origins,
    parse_origins,
    predictive_settings,
    run_refit,
)
from escalation.backtest.report import (
    backtest_markdown,
    refit_markdown,
    refit_table,
    scores_markdown,
)
from escalation.backtest.scores import NEVER_OBSERVED, POOLED, score_table
from escalation.config.limits import MAX_MONTHS, MAX_SEED, OneLineParser, check_whole
from escalation.config.scenarios import replay_settings
from escalation.config.schema import ConfigError, Settings
from escalation.errors import describe_os_error, error_line
from escalation.files import (
    FileRefused,
    check_output_folder,
    formula_safe,
    move_into_place,
    own_folder,
    read_regular,
)
from escalation.run.runs import available_memory, memory_estimate
from escalation.timeline import (
    MAX_TIMELINE_BYTES,
    SHIPPED_TIMELINE,
    Timeline,
    TimelineError,
    is_month,
    load_timeline,
    month_index,
    month_name,
    shipped_timeline_path,
)

EXIT_BAD_INPUT = 2
EXIT_FAULT = 1
EXIT_INTERRUPTED = 130
DEFAULT_REPLICATES = 1000
DEFAULT_SEED = 20241001
FORECAST_FILE = "forecast.csv"
SCORES_FILE = "scores.csv"
REPORT_FILE = "backtest.md"
RUN_FILE = "backtest.json"
REFIT_FORECAST_FILE = "refit_forecast.csv"
REFIT_SCORES_FILE = "refit_scores.csv"
REFIT_POSTERIORS_FILE = "refit_posteriors.csv"
REFIT_REPORT_FILE = "refit.md"
REFIT_RUN_FILE = "refit.json"
#: Options of ``--refit`` only (dest → flag).
REFIT_OPTIONS = {
    "origins": "--origins",
    "particles": "--particles",
    "generations": "--generations",
    "workers": "--workers",
    "draws": "--draws",
}


class BadInput(ValueError):
    """Input the back-test cannot use; the message is one line."""


@dataclass(frozen=True)
class Backtest:
    """What a back-test computed: the forecast of every replayed month and the scores."""

    forecast: pd.DataFrame
    scores: pd.DataFrame
    scored: pd.Series
    window: tuple[str, str]
    timeline: Timeline
    replicates: int
    seed: int


def scoring_window(timeline: Timeline, scored_from: str | None, scored_to: str | None) -> tuple:
    """The scored window (first, last month), checked against the timeline's span.

    Raises:
        BadInput: A month that is not ``YYYY-MM``, outside the timeline, or ``--from`` > ``--to``.
    """
    first, last = timeline.first_month, timeline.last_month
    for flag, value in (("--from", scored_from), ("--to", scored_to)):
        if value is None:
            continue
        if not is_month(value):
            raise BadInput(f"{flag} {value!r} is not a month; allowed: YYYY-MM, e.g. 2023-10")
        if not month_index(first) <= month_index(value) <= month_index(last):
            raise BadInput(
                f"{flag} {value} is outside the timeline; allowed: {first} to {last} "
                f"({timeline.path})"
            )
    window = (scored_from or first, scored_to or last)
    if month_index(window[0]) > month_index(window[1]):
        raise BadInput(f"--from {window[0]} is after --to {window[1]}")
    return window


def check_run(timeline: Timeline, *, replicates: int, seed: int, until: str) -> None:
    """Check replicates, seed and the replayed span (and that the settings compose) before any work.

    Raises:
        BadInput: Replicates below 1 or too many for the memory available, a seed outside 0 to
            ``MAX_SEED``, or a replay that starts before year 1 or spans more than
            ``MAX_MONTHS`` months.
    """
    try:
        check_whole("--replicates ", replicates, 1)
        check_whole("--seed ", seed, 0, MAX_SEED)
        check_span(timeline, until)
        settings = replay_settings(timeline, replicates=replicates, seed=seed, until=until)
    except ConfigError as error:
        raise BadInput(str(error)) from None
    check_memory_fits(settings)


def check_span(timeline: Timeline, until: str) -> None:
    """The replay runs from year 1 on, for at most ``MAX_MONTHS`` months (the model's bound).

    Raises:
        BadInput: Names the timeline, its first month and what is allowed.
    """
    first = timeline.first_month
    if month_index(first) < month_index("0001-01"):
        raise BadInput(
            f"{timeline.path}: the timeline starts in {first}; allowed: months from 0001-01 on"
        )
    months = month_index(until) - month_index(first) + 1
    if months > MAX_MONTHS:
        last = month_name(month_index(first) + MAX_MONTHS - 1)
        raise BadInput(
            f"the replay from {first} to {until} spans {months:,} months; at most {MAX_MONTHS} "
            f"are replayed: give --to {last} or earlier ({timeline.path})"
        )


def check_memory_fits(settings: Settings) -> None:
    """Refuse a replay that would not fit in the memory available (``run.runs.memory_estimate``).

    Raises:
        BadInput: Gives the memory needed and available, and the way out.
    """
    needed, available = memory_estimate(settings), available_memory()
    if available is None or needed <= available:
        return
    raise BadInput(
        f"--replicates {settings.sim.replicates} over {settings.sim.months} months needs about "
        f"{needed / 2**30:,.1f} GiB of memory, more than the {available / 2**30:,.1f} GiB "
        "available; lower --replicates or --to"
    )


def run_backtest(
    timeline: Timeline,
    *,
    scored_from: str | None = None,
    scored_to: str | None = None,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
) -> Backtest:
    """Replay the timeline up to the window's end and score the window.

    Raises:
        BadInput: Bad window, replicates or seed.
    """
    window = scoring_window(timeline, scored_from, scored_to)
    check_run(timeline, replicates=replicates, seed=seed, until=window[1])
    table = forecast(timeline, replicates=replicates, seed=seed, until=window[1])
    scores = score_table(table, scored_from=window[0], scored_to=window[1], replicates=replicates)
    scored = table["month"].map(month_index) >= month_index(window[0])
    return Backtest(table, scores, scored, window, timeline, replicates, seed)


def _timeline_name(timeline: Timeline, shipped: bool) -> str:
    return f"escalation/data/{SHIPPED_TIMELINE} (shipped)" if shipped else timeline.path


def write_backtest(result: Backtest, out: Path, *, command: str, shipped: bool) -> list[Path]:
    """Write every output into ``out`` via a temporary folder inside it; return the files.

    Text cells of the tables that a spreadsheet would run as formulas are escaped.

    Raises:
        FileRefused: ``out`` holds files escalation did not make, or another command holds it.
    """
    with own_folder(out, f"--out {out}"):
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging.", suffix=".tmp"))
        try:
            return _write_staged(result, staging, out, command=command, shipped=shipped)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _write_staged(
    result: Backtest, staging: Path, out: Path, *, command: str, shipped: bool
) -> list[Path]:
    """Write every output into ``staging``, then move them into ``out``; return the files."""
    window = result.window
    name = _timeline_name(result.timeline, shipped)
    forecast = result.forecast.copy()
    forecast["p"] = forecast["p"].round(6)
    formula_safe(forecast).to_csv(staging / FORECAST_FILE, index=False, lineterminator="\n")
    formula_safe(result.scores).to_csv(
        staging / SCORES_FILE, index=False, float_format="%.6f", lineterminator="\n"
    )
    (staging / "figures").mkdir()
    span = f"{window[0]} to {window[1]}"
    plot_timeline(
        result.forecast,
        staging / "figures" / TIMELINE_FILE,
        scored_from=window[0],
        baseline=_baseline_rates(result),
        title=f"Back-test: the model's monthly probability of each Russian move vs "
        f"history\n(scored {span}; {result.replicates} replicates, seed {result.seed})",
    )
    plot_reliability(
        result.forecast[result.scored],
        staging / "figures" / RELIABILITY_FILE,
        f"Reliability of the back-test forecasts\n(all scored classes, {span})",
    )
    report = backtest_markdown(
        result.forecast,
        result.scores,
        scored=result.scored,
        command=command,
        timeline=name,
        window=window,
        replicates=result.replicates,
        seed=result.seed,
    )
    (staging / REPORT_FILE).write_text(report, encoding="utf-8")
    digest = hashlib.sha256(
        _timeline_bytes(result.timeline.path) if not shipped else _shipped_bytes()
    ).hexdigest()
    run = {
        "command": command,
        "timeline": name,
        "timeline_sha256": digest,
        "replayed": [result.timeline.first_month, window[1]],
        "scored": list(window),
        "replicates": result.replicates,
        "seed": result.seed,
        "scenario": "history",
        "version": __version__,
    }
    (staging / RUN_FILE).write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
    return move_into_place(staging, out)


def check_refit(
    timeline: Timeline, *, end: str, draws: int, seed: int, sizes: dict[str, int | None]
) -> None:
    """Check the sizes and seed (and that the replay's settings compose) before any fit.

    The calibration checks its own sizes again (it may want more than 1, e.g. particles).

    Raises:
        BadInput: A size or ``--draws`` below 1, a seed outside 0 to ``MAX_SEED``, a replay too
            long, or more replicates than fit in memory.
    """
    try:
        for name, value in sizes.items():
            if value is not None and name != "seed":
                check_whole(f"--{name} ", value, 1)
        check_whole("--draws ", draws, 1)
        check_whole("--seed ", seed, 0, MAX_SEED)
        check_span(timeline, end)
        settings = predictive_settings(
            timeline, end=end, draws=draws, replicates=DRAW_REPLICATES, seed=seed
        )
    except ConfigError as error:
        raise BadInput(str(error)) from None
    check_memory_fits(settings)


def write_refit(
    result: Refit, out: Path, *, command: str, shipped: bool, fit: str, sizes: dict
) -> list[Path]:
    """Write a refit's outputs into ``out`` via a temporary folder inside it; return the files.

    Args:
        result: The refit.
        out: The output folder (``escalation.files.own_folder``).
        command: The command as typed, for the report.
        shipped: Whether the timeline is the shipped one.
        fit: What fitted the posteriors, in words, for the report.
        sizes: The calibration's sizes as given (None: its default), for ``refit.json``.

    Raises:
        FileRefused: ``out`` holds files escalation did not make, or another command holds it.
    """
    with own_folder(out, f"--out {out}"):
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging.", suffix=".tmp"))
        try:
            name = _timeline_name(result.timeline, shipped)
            table = result.forecast.copy()
            for column in ("p", "band_low", "band_high", *(f"p_{b}" for b in BASELINE_NAMES)):
                table[column] = table[column].round(6)
            formula_safe(table).to_csv(
                staging / REFIT_FORECAST_FILE, index=False, lineterminator="\n"
            )
            formula_safe(result.scores).to_csv(
                staging / REFIT_SCORES_FILE, index=False, float_format="%.6f", lineterminator="\n"
            )
            formula_safe(result.posteriors).to_csv(
                staging / REFIT_POSTERIORS_FILE, index=False, lineterminator="\n"
            )
            (staging / "figures").mkdir()
            plot_refit(
                result.scores,
                staging / "figures" / REFIT_FILE,
                baselines=BASELINE_NAMES,
                title="Back-test refitted at rolling origins: the model's Brier skill against "
                f"real-time baselines\n(origins {', '.join(result.origins)}, scored to "
                f"{result.end}; seed {result.seed})",
            )
            report = refit_markdown(result, command=command, timeline=name, fit=fit)
            (staging / REFIT_REPORT_FILE).write_text(report, encoding="utf-8")
            digest = hashlib.sha256(
                _timeline_bytes(result.timeline.path) if not shipped else _shipped_bytes()
            ).hexdigest()
            run = {
                "command": command,
                "timeline": name,
                "timeline_sha256": digest,
                "origins": list(result.origins),
                "scored_to": result.end,
                "fit": fit,
                "calibration": sizes,
                "effective_sample_size": {k: round(v, 1) for k, v in result.ess().items()},
                "unfitted": result.unfitted,
                "draws": result.draws,
                "replicates_per_draw": result.replicates,
                "seed": result.seed,
                "bootstrap": {"block": result.block, "resamples": result.resamples},
                "scenario": "history",
                "version": __version__,
            }
            (staging / REFIT_RUN_FILE).write_text(
                json.dumps(run, indent=2) + "\n", encoding="utf-8"
            )
            return move_into_place(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _baseline_rates(result: Backtest) -> dict[str, float]:
    """The baseline's constant rate per class (training window, or in-sample)."""
    forecast = result.forecast
    reference = forecast[~result.scored] if (~result.scored).any() else forecast[result.scored]
    return reference.groupby("event")["observed"].mean().to_dict()


def _timeline_bytes(path: str) -> bytes:
    """A user's timeline file again, read as ``load_timeline`` reads it (a regular file, capped)."""
    return read_regular(path, follow=True, limit=MAX_TIMELINE_BYTES)


def _shipped_bytes() -> bytes:
    return shipped_timeline_path().read_bytes()


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="escalation-backtest",
        description="Replay the dated Western and Ukrainian events of a timeline and score the "
        "model's monthly forecasts of Russia's moves against what happened (Brier and log "
        "scores, against a base-rate baseline).",
    )
    parser.add_argument(
        "timeline",
        nargs="?",
        type=Path,
        help="timeline CSV (month,actor,event,description,source); default: the shipped one",
    )
    parser.add_argument(
        "--from",
        dest="scored_from",
        metavar="YYYY-MM",
        help="first scored month; the months before it are the baseline's training window "
        "(default: the timeline's first month, with an in-sample baseline)",
    )
    parser.add_argument(
        "--to",
        dest="scored_to",
        metavar="YYYY-MM",
        help="last scored and replayed month (default: the timeline's last month)",
    )
    parser.add_argument(
        "--replicates",
        type=int,
        metavar="N",
        help=f"Monte Carlo replicates, as many as fit in memory (default {DEFAULT_REPLICATES}); "
        "with --refit: the calibration's replays per particle (default: the calibration's)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="S",
        help=f"seed, 0 to {MAX_SEED} (default %(default)s)",
    )
    refit = parser.add_argument_group(
        "refit at rolling origins",
        "calibrate on the months before each origin, score the months from it against "
        "real-time baselines (docs/BACKTEST.md, 'Refit at rolling origins')",
    )
    refit.add_argument(
        "--refit",
        action="store_true",
        help="refit the model at each origin (needs the calibrate extra: pyABC)",
    )
    refit.add_argument(
        "--origins",
        metavar="YYYY-MM,...",
        help=f"first scored month of each refit, at least 12 months into the timeline "
        f"(default {','.join(DEFAULT_ORIGINS)})",
    )
    for flag, what in (
        ("--particles", "the calibration's particles per generation"),
        ("--generations", "the calibration's generations"),
        ("--workers", "the calibration's worker processes"),
    ):
        refit.add_argument(flag, type=int, metavar="N", help=f"{what} (default: the calibration's)")
    refit.add_argument(
        "--draws",
        type=int,
        metavar="K",
        help=f"particles drawn from each posterior for the forecast, {DRAW_REPLICATES} "
        f"replicates each (default {PREDICTIVE_DRAWS})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: backtest/<date_time>/ under the current folder)",
    )
    return parser


def _command(args: argparse.Namespace) -> str:
    """The command as typed, without ``--out`` (so the report does not depend on where)."""
    words = ["escalation-backtest"]
    if args.timeline is not None:
        words.append(str(args.timeline))
    if args.refit:
        words.append("--refit")
    for flag, value in (
        ("--from", args.scored_from),
        ("--to", args.scored_to),
        ("--origins", args.origins),
        ("--particles", args.particles),
        ("--generations", args.generations),
        ("--replicates", args.replicates),
        ("--workers", args.workers),
        ("--draws", args.draws),
    ):
        if value is not None:
            words += [flag, str(value)]
    if args.seed != DEFAULT_SEED:
        words += ["--seed", str(args.seed)]
    return shlex.join(words)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-backtest``; a fault or Ctrl-C ends with one line."""
    try:
        _main(argv)
    except OSError as error:  # a full disk, a read-only folder
        print(error_line("escalation-backtest", describe_os_error(error)), file=sys.stderr)
        sys.exit(EXIT_FAULT)
    except KeyboardInterrupt:
        print("escalation-backtest: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


def _main(argv: list[str] | None) -> None:
    """Parse, check, replay and write; bad input ends with one line and status 2."""
    parser = _parser()
    args = parser.parse_args(argv)

    def fail(message: str) -> None:
        print(error_line("escalation-backtest", message), file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)

    if args.refit:
        _main_refit(args, fail)
        return
    for dest, flag in REFIT_OPTIONS.items():
        if getattr(args, dest) is not None:
            fail(f"{flag} needs --refit")
    if args.replicates is None:
        args.replicates = DEFAULT_REPLICATES
    try:
        timeline = load_timeline(args.timeline)
        out = _out(args)
        window = scoring_window(timeline, args.scored_from, args.scored_to)
        check_run(timeline, replicates=args.replicates, seed=args.seed, until=window[1])
        print(
            f"Replaying {timeline.first_month} to {window[1]} ({args.replicates} replicates, "
            f"seed {args.seed}); scoring {window[0]} to {window[1]} ...",
            file=sys.stderr,
        )
        result = run_backtest(
            timeline,
            scored_from=args.scored_from,
            scored_to=args.scored_to,
            replicates=args.replicates,
            seed=args.seed,
        )
    except (TimelineError, BadInput, FileRefused) as error:
        fail(str(error))
        return

    try:
        write_backtest(result, out, command=_command(args), shipped=args.timeline is None)
    except FileRefused as error:
        fail(str(error))
    print(scores_markdown(result.scores))
    print(f"Baseline: {result.scores['baseline'].iloc[0]}")
    print(f"Wrote {FORECAST_FILE}, {SCORES_FILE}, {REPORT_FILE}, {RUN_FILE} and figures/ in {out}")


def _out(args: argparse.Namespace) -> Path:
    """The output folder (default ``backtest/<date_time>``), checked before any work.

    Raises:
        BadInput: It exists and is not a folder.
        FileRefused: It holds files escalation did not make.
    """
    out = args.out or Path("backtest") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a folder")
    check_output_folder(out, f"--out {out}")
    return out


def _main_refit(args: argparse.Namespace, fail: Any) -> None:
    """``--refit``: check everything, calibrate and score at each origin, write the outputs."""
    sizes = {
        "particles": args.particles,
        "generations": args.generations,
        "replicates": args.replicates,
        "workers": args.workers,
        "seed": args.seed,
    }
    draws = PREDICTIVE_DRAWS if args.draws is None else args.draws
    try:
        if args.scored_from is not None:
            raise BadInput(
                "--from does not apply with --refit: the origins are the first scored "
                "months; give --origins"
            )
        timeline = load_timeline(args.timeline)
        out = _out(args)
        end = scoring_window(timeline, None, args.scored_to)[1]
        origins = parse_origins(args.origins) if args.origins is not None else DEFAULT_ORIGINS
        origins = check_origins(timeline, origins, end)
        check_refit(timeline, end=end, draws=draws, seed=args.seed, sizes=sizes)
        fit = calibration_fit(timeline, **sizes, progress=True)
        print(
            f"Refitting at {len(origins)} origins ({', '.join(origins)}) on {timeline.first_month} "
            f"to {end}: a calibration per origin, then {draws} particles x {DRAW_REPLICATES} "
            f"replicates (seed {args.seed}) ...",
            file=sys.stderr,
        )
        result = run_refit(
            timeline,
            fit=fit,
            origins=origins,
            end=end,
            draws=draws,
            seed=args.seed,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )
    except (TimelineError, BadInput, RefitError, FileRefused) as error:
        fail(str(error))
        return
    given = ", ".join(f"{name} {value}" for name, value in sizes.items() if value is not None)
    described = (
        "escalation.calibrate (ABC-SMC, pyABC) on the months before each origin; "
        f"{given}; other sizes: the calibration's defaults"
    )
    try:
        write_refit(
            result,
            out,
            command=_command(args),
            shipped=args.timeline is None,
            fit=described,
            sizes=sizes,
        )
    except FileRefused as error:
        fail(str(error))
    scores = result.scores
    pooled = scores[(scores["origin"] == POOLED) & (scores["note"] != NEVER_OBSERVED)]
    print(refit_table(pooled, dict(BASELINE_NAMES)))
    print(
        f"Wrote {REFIT_FORECAST_FILE}, {REFIT_SCORES_FILE}, {REFIT_POSTERIORS_FILE}, "
        f"{REFIT_REPORT_FILE}, {REFIT_RUN_FILE} and figures/{REFIT_FILE} in {out}"
    )


if __name__ == "__main__":
    main()
