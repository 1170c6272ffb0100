"""``policy_grid`` (54 jobs) with Hydra's basic sweeper, basic and joblib launchers; one job's time.

    .venv/bin/python benchmarks/sweep.py                      # 1,000 replicates per job
    .venv/bin/python benchmarks/sweep.py --replicates 200 --launchers basic
    .venv/bin/python benchmarks/sweep.py --sweep ambiguity_vs_red_lines   # another preset

Two tables:

1. each launcher's wall time for ``escalation -m sweep=policy_grid hydra/sweeper=basic
   sim.replicates=N`` (one Hydra job per point; ``batched.py`` measures the presets' batched
   sweeper, which launches one job per chunk of points), split by
   the time stamps of the command's output lines: start-up (imports, the sweep's config, and
   Hydra's basic sweeper composing all 54 job configs once to validate them), the jobs, the
   gathering at the sweep root (``outcomes.csv``, ``summary.csv``, figures), and exit;
2. where one job's time goes, measured in this process over a sample of the 54 jobs: Hydra
   composing the job's config, then each part of ``escalation.cli.app._sweep_job``; Hydra's own job
   set-up (run folder, ``.hydra/*.yaml``, logging) is what remains of the basic launcher's time
   per job.

The sweeps run one after the other, never at once, and their gathered tables are compared byte
for byte (same config and seed, same outputs, whatever the launcher).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import command, fmt_seconds, header, parallel_capacity, table

TARGET_SECONDS = 30.0
LAUNCHER_OVERRIDES = {"basic": [], "joblib": ["hydra/launcher=joblib"]}


def run_sweep(launcher: str, replicates: int, folder: Path, sweep: str) -> dict[str, float]:
    """Run the sweep once; return the wall time of each phase, from output time stamps."""
    arguments = [
        command("escalation"),
        "-m",
        f"sweep={sweep}",
        "hydra/sweeper=basic",  # one Hydra job per point: batched.py measures the batched sweeper
        f"sim.replicates={replicates}",
        f"hydra.sweep.dir={folder}",
        *LAUNCHER_OVERRIDES[launcher],
    ]
    started = time.perf_counter()
    stamps: list[tuple[float, str]] = []
    with subprocess.Popen(
        arguments, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            stamps.append((time.perf_counter() - started, line))
    ended = time.perf_counter() - started
    if process.returncode:
        output = "".join(line for _, line in stamps[-20:])
        raise RuntimeError(f"the {launcher} sweep failed:\n{output}")
    launched = next(t for t, line in stamps if re.search(r"Launching|is launching", line))
    jobs = [t for t, line in stamps if re.match(r"\[job \d+/\d+\]", line)]
    gathered = next(t for t, line in stamps if line.startswith("Gathered"))
    return {
        "start-up": launched,
        "all jobs": jobs[-1] - launched,
        "gather": gathered - jobs[-1],
        "exit": ended - gathered,
        "total": ended,
        "jobs": len(jobs),
    }


def job_parts(replicates: int, sample: int) -> dict[str, float]:
    """Median time of each part of one sweep job, over ``sample`` of the 54 jobs, in-process."""
    from hydra import compose, initialize_config_module

    import escalation.cli.app as cli
    import escalation.run.runs as runs
    import escalation.sweep.gather  # noqa: F401 - imported as a sweep imports it
    from escalation.config.validation import resolved_config, settings_from_dictconfig

    clock: dict[str, list[float]] = {}

    def wrap(module, name: str, label: str) -> None:
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            result = original(*args, **kwargs)
            clock.setdefault(label, []).append(time.perf_counter() - started)
            return result

        setattr(module, name, wrapper)

    wrap(cli, "settings_from_dictconfig", "validate the settings (escalation.config.validation)")
    wrap(cli, "simulate_run", f"simulate {replicates:,} x 36 months, outcomes table")
    wrap(runs, "summarize", "summary statistics")
    wrap(runs, "write_tables", "write outcomes.csv")
    wrap(runs, "write_summary", "write summary.json")

    levers = {
        "instructors": ["none", "outside", "inside"],
        "troops": ["none", "noncombat", "combat"],
        "deep_strikes": ["prohibited", "limited", "authorized"],
        "posture": ["red_lines", "ambiguity"],
    }
    combos = [
        (i, t, d, p)
        for i in levers["instructors"]
        for t in levers["troops"]
        for d in levers["deep_strikes"]
        for p in levers["posture"]
    ]
    step = max(1, len(combos) // sample)
    with (
        tempfile.TemporaryDirectory(prefix="escalation-bench-") as tmp,
        initialize_config_module(config_module="escalation.conf", version_base="1.3"),
    ):
        for number, (i, t, d, p) in enumerate(combos[::step][:sample]):
            overrides = [
                "sweep=policy_grid",
                f"sim.replicates={replicates}",
                f"policy.instructors={i}",
                f"policy.troops={t}",
                f"policy.deep_strikes={d}",
                f"policy.posture={p}",
            ]
            started = time.perf_counter()
            cfg = compose("config", overrides=overrides, return_hydra_config=True)
            composed = time.perf_counter()
            job_cfg = type(cfg)({k: cfg[k] for k in cfg if k != "hydra"})
            with contextlib.redirect_stdout(io.StringIO()):
                cli._sweep_job(
                    Path(tmp) / str(number),
                    f"job {number}",
                    resolved_config(job_cfg),
                    lambda cfg=job_cfg: settings_from_dictconfig(cfg),
                )
            ended = time.perf_counter()
            clock.setdefault("Hydra: compose the job's config", []).append(composed - started)
            clock.setdefault("escalation: the whole job (_sweep_job)", []).append(ended - composed)
    return {label: statistics.median(values) for label, values in clock.items()}


def main() -> None:
    """Run the sweeps and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--sweep", default="policy_grid", help="the preset sweep to run")
    parser.add_argument("--launchers", nargs="+", default=["basic", "joblib"])
    parser.add_argument("--sample", type=int, default=18, help="jobs timed in-process")
    parser.add_argument(
        "--repeats", type=int, default=1, help="sweeps per launcher, alternated; median kept"
    )
    args = parser.parse_args()

    header(f"Sweep {args.sweep} x {args.replicates:,} replicates x 36 months")
    print(
        f"Parallel capacity: {parallel_capacity():.1f} cores' worth (a CPU-bound loop in one "
        "process per core at once, against one alone); parallel launchers cannot do better.\n"
    )
    runs: dict[str, list[dict[str, float]]] = {launcher: [] for launcher in args.launchers}
    identical = True
    with tempfile.TemporaryDirectory(prefix="escalation-bench-") as tmp:
        for repeat in range(args.repeats):
            for launcher in args.launchers:
                folder = Path(tmp) / f"{launcher}{repeat}"
                runs[launcher].append(run_sweep(launcher, args.replicates, folder, args.sweep))
            first = Path(tmp) / f"{args.launchers[0]}{repeat}"
            identical &= all(
                (first / name).read_bytes() == (Path(tmp) / f"{other}{repeat}" / name).read_bytes()
                for other in args.launchers[1:]
                for name in ("outcomes.csv", "summary.csv")
            )
    # The run with the median total, per launcher (all its phases from that one run).
    results = {
        launcher: sorted(done, key=lambda phases: phases["total"])[(len(done) - 1) // 2]
        for launcher, done in runs.items()
    }
    if args.repeats > 1:
        print(f"Median of {args.repeats} sweeps per launcher, run alternately:\n")
    rows = []
    for launcher, phases in results.items():
        per_job = phases["all jobs"] / phases["jobs"]
        rows.append(
            [
                launcher,
                " / ".join(fmt_seconds(run["total"]) for run in runs[launcher])
                if args.repeats > 1
                else fmt_seconds(phases["total"]),
                fmt_seconds(phases["start-up"]),
                f"{phases['jobs']:.0f} in {fmt_seconds(phases['all jobs'])}",
                fmt_seconds(per_job),
                fmt_seconds(phases["gather"]),
                fmt_seconds(phases["exit"]),
            ]
        )
    print(
        table(
            [
                "launcher",
                "total" + (" (each sweep)" if args.repeats > 1 else ""),
                "start-up",
                "jobs",
                "per job",
                "gather",
                "exit",
            ],
            rows,
        )
    )
    if len(args.launchers) > 1:
        print(f"\nGathered outcomes.csv and summary.csv identical across launchers: {identical}")
    if "joblib" in results and args.sweep == "policy_grid":
        total = results["joblib"]["total"]
        verdict = "met" if total < TARGET_SECONDS else "MISSED"
        print(f"joblib: {total:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict}).")

    parts = job_parts(args.replicates, args.sample)
    print(f"\nOne job's time, median over {args.sample} of the 54 jobs, in-process:\n")
    compose_time = parts.pop("Hydra: compose the job's config")
    whole = parts.pop("escalation: the whole job (_sweep_job)")
    rows = [
        [
            "Hydra: compose the config to validate it (before any job; in start-up)",
            fmt_seconds(compose_time),
        ],
        ["Hydra: compose the job's config again, to run it", fmt_seconds(compose_time)],
    ]
    if "basic" in results:
        per_job = results["basic"]["all jobs"] / results["basic"]["jobs"]
        rows.append(
            [
                "Hydra: run folder, .hydra/*.yaml, logging (derived: the rest)",
                fmt_seconds(per_job - compose_time - whole),
            ]
        )
    rows.append(["escalation: the whole job (_sweep_job), of which", fmt_seconds(whole)])
    rows += [[f"- {label}", fmt_seconds(seconds)] for label, seconds in parts.items()]
    if "basic" in results:
        rows.append(["basic launcher: wall time per job (table above)", fmt_seconds(per_job)])
    print(table(["part", "time per job"], rows))


if __name__ == "__main__":
    main()
