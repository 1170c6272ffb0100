"""Batched versus the usual Mesa way: N replicates at once, or one replicate per model.

    .venv/bin/python benchmarks/mesa_way.py                 # 1,000 replicates
    .venv/bin/python benchmarks/mesa_way.py --replicates 300

Four ways to get N replicates of the default scenario, 36 months each, timed in this process:

- batched: one ``EscalationModel`` whose arrays hold all N replicates (what ``escalation`` and
  ``escalation.simulate`` do);
- ``mesa.batch_run``: one model per seed, built by Mesa from ``scenario=`` and ``rng=``, one
  process (``number_processes=1``), data collected at the end;
- a plain loop building ``ScenarioModel(scenario="status_quo", rng=seed)`` per replicate;
- a plain loop reusing one composed ``Settings`` (only the engine: the fairest to single runs).

Speed-ups are ratios measured in the same run, so the machine's load cancels out.
"""

from __future__ import annotations

import argparse
import time

from _common import best_and_median, fmt_rate, fmt_seconds, header, table, timed

TARGET_SPEEDUP = 100


def main() -> None:
    """Measure and print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--scenario", default="status_quo")
    args = parser.parse_args()
    n, scenario = args.replicates, args.scenario

    import mesa

    from escalation.api import ScenarioModel
    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    header(f"Batched versus one replicate at a time ({n:,} replicates, {scenario})")
    batch_settings = load_settings(scenario, replicates=n)
    one_settings = load_settings(scenario, replicates=1)
    months = batch_settings.sim.months
    seeds = list(range(n))

    def batched() -> None:
        EscalationModel(batch_settings).run()

    def batch_run() -> None:
        rows = mesa.batch_run(
            ScenarioModel,
            parameters={"scenario": scenario},
            rng=seeds,
            max_steps=months,
            number_processes=1,
            data_collection_period=-1,
            display_progress=False,
        )
        assert len(rows) == n

    def loop_kwargs() -> None:
        for seed in seeds:
            ScenarioModel(scenario=scenario, rng=seed).run()

    def loop_settings() -> None:
        for seed in seeds:
            EscalationModel(one_settings, rng=seed).run()

    batched()  # warm-up: imports, caches
    ScenarioModel(scenario=scenario, rng=0).run()
    started = time.perf_counter()
    results = {"batched (one model, N replicates)": best_and_median(timed(batched, 7))}
    for name, function in (
        ("mesa.batch_run (one model per replicate)", batch_run),
        ("loop of ScenarioModel(scenario=..., rng=seed)", loop_kwargs),
        ("loop of EscalationModel(settings, rng=seed)", loop_settings),
    ):
        results[name] = best_and_median(timed(function, 1))
    fastest_batched = results["batched (one model, N replicates)"][0]
    rows = []
    for name, (best, _median) in results.items():
        rows.append(
            [
                name,
                fmt_seconds(best),
                fmt_seconds(best / n),
                fmt_rate(n * months / best),
                f"{best / fastest_batched:,.0f}x" if best != fastest_batched else "1x",
            ]
        )
    print(
        table(
            [
                "way",
                "time for all replicates",
                "per replicate",
                "replicate-months/s",
                "slower than batched",
            ],
            rows,
        )
    )
    fastest_single = min(best for name, (best, _) in results.items() if "batched" not in name)
    speedup = fastest_single / fastest_batched
    verdict = "met" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(
        f"\nBatched is {speedup:,.0f}x faster than the fastest one-replicate-at-a-time way "
        f"(target >= {TARGET_SPEEDUP}x: {verdict}); measured in {time.perf_counter() - started:.0f}"
        " s. Batched: fastest of 7 runs; the others: one pass over all replicates."
    )


if __name__ == "__main__":
    main()
