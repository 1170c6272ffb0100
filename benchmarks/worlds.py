"""Issue 25's targets, as ratios measured in one run: many policies as worlds of one batch.

Run: ``.venv/bin/python benchmarks/worlds.py [--replicates 1000] [--repeats 3]`` (about two
minutes at the defaults). Each pair below is timed alternately, ``--repeats`` times, and the
medians compared, so that both sides see the same load (printed before and after):

1. ``escalation -m sweep=policy_grid`` (54 policies x R replicates, the batched sweeper, whose
   points run as worlds of one model) against one ``escalation`` run of 54 x R replicates, with
   the same outputs switched on (figures on; trajectories off, as a sweep's jobs write none).
   Target: at most 1.5x.
2. ``escalation.simulate_many`` over the 54 lever combinations x R replicates against one engine
   run of 54 x R replicates (``EscalationModel(...).run().outcomes()``). Target: at most 1.3x.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command, header, table

LEVERS = {
    "instructors": ["none", "outside", "inside"],
    "troops": ["none", "noncombat", "combat"],
    "deep_strikes": ["prohibited", "limited", "authorized"],
    "posture": ["red_lines", "ambiguity"],
}


def load() -> str:
    """The 1-minute load average."""
    return Path("/proc/loadavg").read_text().split()[0]


def command_seconds(*args: str) -> float:
    """Wall time of ``escalation ARGS`` in a fresh folder."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = subprocess.run(
            [command("escalation"), *args], cwd=tmp, capture_output=True, text=True
        )
        seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"escalation {' '.join(args)} failed: {result.stderr.strip()}")
    return seconds


def design() -> list[dict[str, str]]:
    """The 54 lever combinations, as ``simulate_many`` design rows."""
    combinations = itertools.product(*LEVERS.values())
    return [dict(zip(LEVERS, values, strict=True)) for values in combinations]


def main() -> None:
    """Time both pairs alternately and print their ratios against the targets."""
    parser = argparse.ArgumentParser(prog="benchmarks/worlds.py")
    parser.add_argument("--replicates", type=int, default=1000, help="per policy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header("Many worlds in one batch (issue 25)")
    import escalation
    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    replicates, total = args.replicates, 54 * args.replicates
    before = load()
    sweep, single = [], []
    for _ in range(args.repeats):
        sweep.append(command_seconds("-m", "sweep=policy_grid", f"sim.replicates={replicates}"))
        single.append(command_seconds(f"sim.replicates={total}", "sim.trajectories=false"))
    many, engine = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        escalation.simulate_many(design(), replicates=replicates, seed=1)
        many.append(time.perf_counter() - started)
        started = time.perf_counter()
        EscalationModel(load_settings("status_quo", replicates=total, seed=1)).run().outcomes()
        engine.append(time.perf_counter() - started)
    after = load()
    rows = []
    for name, mine, theirs, base, target in (
        (
            "`policy_grid` sweep (batched) / one `escalation` run",
            sweep,
            single,
            f"{total:,} replicates, figures, no trajectories",
            1.5,
        ),
        (
            "`simulate_many`, 54 policies / one engine run",
            many,
            engine,
            f"{total:,} replicates, outcomes",
            1.3,
        ),
    ):
        ratio = statistics.median(mine) / statistics.median(theirs)
        rows.append(
            [
                name,
                base,
                f"{statistics.median(mine):.2f} s",
                f"{statistics.median(theirs):.2f} s",
                f"{ratio:.2f}x",
                f"<= {target}x: {'yes' if ratio <= target else 'no'}",
            ]
        )
    print(
        table(
            ["comparison", "the one run", "many (median)", "one (median)", "ratio", "target"],
            rows,
        )
    )
    print(f"\n{args.repeats} alternating repeats; load average {before} before, {after} after")


if __name__ == "__main__":
    main()
