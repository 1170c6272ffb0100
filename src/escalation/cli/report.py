"""The ``escalation-report DIR`` command: rebuild a run's or a sweep's tables and figures.

Everything is rebuilt from what is on disk (the jobs' outcomes tables, CSV or Parquet, and
``summary.json``, Hydra's saved config), never by simulating again; what is missing or malformed is
named. Only a folder escalation made (``escalation.files.MARKER``) is rewritten, while no other
escalation holds it; files are read back only from inside it (``escalation.files.open_regular``).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

from escalation.classroom.report_page import ReportPageError, write_report_page
from escalation.errors import describe_os_error, error_line
from escalation.files import MARKER, FileRefused, made_by_escalation, own_folder, real
from escalation.run.results import summary_table
from escalation.run.runs import HYDRA_CONFIG, RunFolderError, rebuild_run
from escalation.sweep.differences import BASELINE_KEY, parse_baseline
from escalation.sweep.folder import MULTIRUN_FILE, SweepError
from escalation.sweep.gather import rebuild_sweep

#: The flag that chooses a sweep's baseline, as its messages name it.
BASELINE_FLAG = "--baseline"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-report DIR``."""
    parser = argparse.ArgumentParser(
        prog="escalation-report",
        description="Rebuild the tables and figures of a run folder or a sweep folder from disk.",
    )
    parser.add_argument("folder", type=Path, help="a run folder or a sweep (multirun) folder")
    parser.add_argument(
        "--html",
        action="store_true",
        help="also write report.html: one self-contained page (figures embedded) to project",
    )
    parser.add_argument(
        BASELINE_FLAG,
        metavar="POLICY",
        help=f"a sweep's baseline policy in differences.csv, written as {BASELINE_KEY} takes it: "
        "a job number or one job's swept values, e.g. '{policy.troops:none}' (default: the "
        f"sweep's {BASELINE_KEY}, else its first job)",
    )
    arguments = parser.parse_args(argv)
    folder = arguments.folder

    def fail(message: str) -> None:
        print(error_line("escalation-report", message), file=sys.stderr)
        sys.exit(2)

    if not folder.is_dir():
        fail(f"{folder}: no such folder")
    if not ((folder / MULTIRUN_FILE).is_file() or (folder / HYDRA_CONFIG).is_file()):
        fail(
            f"{folder} is neither a run folder ({HYDRA_CONFIG} missing) nor a sweep folder "
            f"({MULTIRUN_FILE} missing)"
        )
    if not made_by_escalation(real(folder)):
        fail(
            f"{folder}: not a folder escalation made (no {MARKER} in it); escalation-report "
            "rewrites files only in escalation's run and sweep folders"
        )
    with ExitStack() as held:
        try:
            held.enter_context(own_folder(folder, str(folder)))
        except FileRefused as error:
            fail(str(error))
        _report(folder, arguments.html, fail, arguments.baseline)


#: What the command says before it rewrites anything in a run folder (also with ``--html``,
#: whose page is drawn from the rebuilt files).
REBUILDING_RUN = (
    "Rebuilding summary.json, narrative.md and figures/ from the outcomes and trajectories "
    "tables in"
)
#: What it says before it rewrites a sweep's gathered files.
REBUILDING_SWEEP = (
    "Rebuilding the outcomes table, summary.csv, differences.csv and figures/ from the jobs' "
    "folders in"
)


def _report(folder: Path, html: bool, fail, baseline: str | None = None) -> None:
    """Rebuild the run or sweep in ``folder`` (and its page); print what was done.

    A sweep's report ends with the ranking of its policies' differences from the baseline.
    """
    try:
        if (folder / MULTIRUN_FILE).is_file():
            spec = None if baseline is None else parse_baseline(baseline, BASELINE_FLAG)
            print(f"{REBUILDING_SWEEP} {folder} ...", flush=True)
            gathered = rebuild_sweep(folder, baseline=spec, key=BASELINE_FLAG)
            print(gathered.report(folder), flush=True)
            if not gathered.complete:
                print(error_line("escalation-report", gathered.error_line()), file=sys.stderr)
                sys.exit(1)
        else:
            if baseline is not None:
                fail(f"{BASELINE_FLAG}: {folder} is a run folder; a baseline is chosen for a sweep")
            print(f"{REBUILDING_RUN} {folder} ...", flush=True)
            summary, notes = rebuild_run(folder)
            print(summary_table(summary))
            for note in notes:
                print(f"note: {note}")
            print(f"Rebuilt summary.json, narrative.md and figures/ in {folder}")
    except (RunFolderError, SweepError, FileRefused) as error:
        fail(str(error))
    except OSError as error:
        print(error_line("escalation-report", describe_os_error(error)), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("escalation-report: interrupted", file=sys.stderr)
        sys.exit(130)
    if html:
        _write_page(folder, fail)


def _write_page(folder: Path, fail) -> None:
    """Write ``report.html`` (``escalation.classroom.report_page``) and say where."""
    try:
        print(f"Wrote {write_report_page(folder)}")
    except (ReportPageError, FileRefused) as error:
        fail(str(error))
