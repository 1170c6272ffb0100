"""The ``escalation-calibrate`` command: fit the uncertain parameters to the dated record.

Usage: ``escalation-calibrate [TIMELINE.csv] [--until YYYY-MM] [--particles N]
[--generations G] [--replicates R] [--workers W | --dask ADDRESS] [--seed S] [--out DIR]``.
Everything is checked before the calibration starts; bad input ends with one line on stderr and
exit status 2. ``--out`` (default ``calibration/<date_time>``) is new, empty or a folder
escalation made; the files are built in a temporary folder inside it and moved into place at the
end, so an interrupted run leaves no half-written output. pyABC is imported only once the input
is checked (it is the ``calibrate`` extra): without it the command says how to install it.
"""

from __future__ import annotations

import argparse
import importlib.util
import shlex
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from escalation.calibrate.sizes import (
    DEFAULT_GENERATIONS,
    DEFAULT_PARTICLES,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    DEFAULT_WORKERS,
    CalibrationError,
    check_sizes,
    check_until,
)
from escalation.config.limits import MAX_SEED, OneLineParser
from escalation.errors import describe_os_error, error_line
from escalation.files import (
    FileRefused,
    check_output_folder,
    move_into_place,
    own_folder,
    read_regular,
)
from escalation.timeline import (
    MAX_TIMELINE_BYTES,
    TimelineError,
    load_timeline,
    shipped_timeline_path,
)

PROGRAM = "escalation-calibrate"
EXIT_BAD_INPUT = 2
EXIT_FAULT = 1
EXIT_INTERRUPTED = 130
INSTALL_HINT = (
    "escalation-calibrate needs pyABC, the calibrate extra; from the clone: "
    ".venv/bin/pip install -e '.[calibrate]'"
)
DEFAULTS = {
    "particles": DEFAULT_PARTICLES,
    "generations": DEFAULT_GENERATIONS,
    "replicates": DEFAULT_REPLICATES,
    "workers": DEFAULT_WORKERS,
}
SHIPPED = "escalation/data/timeline.csv (shipped)"
"""How ``posterior.json`` names the shipped timeline (never this machine's path)."""
SIZES = {
    "particles": "accepted particles per generation",
    "generations": "generations after the prior sample",
    "replicates": "replays of the record per particle",
    "workers": "local worker processes; default: every core (the same posterior on any number)",
}


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROGRAM,
        description="Fit the model's uncertain parameters (the sampled assumptions and the "
        "doctrine priors) to the dated record of 2022-24 by ABC-SMC (pyABC), and write the "
        "posterior that sim.parameters=posterior draws from, a report and figures.",
    )
    parser.add_argument(
        "timeline",
        nargs="?",
        type=Path,
        help="timeline CSV (month,actor,event,description,source); default: the shipped one",
    )
    parser.add_argument(
        "--until",
        metavar="YYYY-MM",
        help="last month fitted (default: the timeline's last; at least 12 months of record)",
    )
    for name, what in SIZES.items():
        default = DEFAULTS[name]
        parser.add_argument(  # None: not given (--workers is refused beside --dask)
            f"--{name}", type=int, metavar="N", default=None, help=f"{what} (default {default})"
        )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run the simulations on a Dask cluster's workers (scheduler address, e.g. "
        "tcp://127.0.0.1:8786) instead of --workers: the same posterior for the same seed",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="S",
        help=f"seed, 0 to {MAX_SEED} (default %(default)s, the shipped posterior's)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: calibration/<date_time>/ under the current folder)",
    )
    return parser


def _command(args: argparse.Namespace) -> str:
    """The command as typed, without ``--out`` and ``--dask`` (where is not what)."""
    words = [PROGRAM]
    if args.timeline is not None:
        words.append(str(args.timeline))
    if args.until is not None:
        words += ["--until", args.until]
    for name in SIZES:
        value = getattr(args, name)
        if value != DEFAULTS[name] and name != "workers":
            words += [f"--{name}", str(value)]
    if args.seed != DEFAULT_SEED:
        words += ["--seed", str(args.seed)]
    return shlex.join(words)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-calibrate``; a fault or Ctrl-C ends with one line."""
    try:
        _main(argv)
    except OSError as error:  # a full disk, a read-only folder
        print(error_line(PROGRAM, describe_os_error(error)), file=sys.stderr)
        sys.exit(EXIT_FAULT)
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)


def _fail(message: str) -> None:
    print(error_line(PROGRAM, message), file=sys.stderr)
    sys.exit(EXIT_BAD_INPUT)


def _main(argv: list[str] | None) -> None:
    """Parse, check, calibrate and write; bad input ends with one line and status 2."""
    args = _parser().parse_args(argv)
    given_workers = args.workers is not None
    for name, default in DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    try:
        timeline = load_timeline(args.timeline)
        until = check_until(timeline, args.until)
        check_sizes(args.particles, args.generations, args.replicates, args.workers, args.seed)
        workers = 1 if args.dask is not None else args.workers
        if args.dask is not None and given_workers:
            raise CalibrationError("--dask runs on the cluster's workers: leave out --workers")
        out = args.out or Path("calibration") / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        check_output_folder(out, f"--out {out}")
    except (TimelineError, CalibrationError, FileRefused) as error:
        _fail(str(error))
        return
    if importlib.util.find_spec("pyabc") is None:
        _fail(INSTALL_HINT)
    from escalation.calibrate.fit import calibrate
    from escalation.calibrate.outputs import REPORT_FILE, write_outputs

    print(
        f"Calibrating on {timeline.first_month} to {until}: {args.particles} particles x "
        f"{args.generations} generations, {args.replicates} replicates each, seed {args.seed} ...",
        file=sys.stderr,
    )
    try:
        result = calibrate(
            timeline,
            until=until,
            particles=args.particles,
            generations=args.generations,
            replicates=args.replicates,
            seed=args.seed,
            workers=workers,
            dask=args.dask,
            progress=True,
        )
    except CalibrationError as error:
        _fail(str(error))
        return
    source = args.timeline or shipped_timeline_path()
    data = read_regular(source, follow=True, limit=MAX_TIMELINE_BYTES)
    try:
        with own_folder(out, f"--out {out}") as folder:
            staging = Path(tempfile.mkdtemp(dir=folder, prefix=".staging.", suffix=".tmp"))
            try:
                write_outputs(
                    result,
                    staging,
                    command=_command(args),
                    timeline=SHIPPED if args.timeline is None else str(args.timeline),
                    timeline_bytes=data,
                )
                move_into_place(staging, folder)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except FileRefused as error:
        _fail(str(error))
    summary = result.summary()
    named = summary[summary["identified"] != "no"].sort_values("width_ratio")
    print(
        f"Effective sample size {result.ess():.0f} of {len(result.posterior)}; identified by the "
        f"record: {', '.join(named['parameter']) or 'none'} ({len(summary) - len(named)} others "
        "stay about their prior)."
    )
    print(f"Wrote posterior.csv, posterior.json, {REPORT_FILE}, tables and figures/ in {out}")


if __name__ == "__main__":
    main()
