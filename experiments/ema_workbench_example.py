"""EMA Workbench drives the escalation model through its Python API: experiments, then PRIM.

Run: ``.venv/bin/python experiments/ema_workbench_example.py [--scenarios 200] [--replicates 100]``
(needs the analysis extra: ``pip install -e '.[analysis]'``; about 30 s with the defaults).

``escalation.simulate`` is wrapped as an EMA Workbench ``Model``: the four levers are its levers,
the twelve uncertainties (with the ranges of ``conf/uncertainty/default.yaml``) its uncertainties,
and each experiment fixes every uncertainty and runs ``--replicates`` replicates of one world,
returning the probability of a NATO-Russia war (``direct_conflict``), of a clash and of Russian
retaliation and Ukraine's mean final position. ``escalation.analysis.ema.BatchEvaluator`` evaluates
all experiments in one ``escalation.simulate_many`` call (many experiments in one model, one world
each; without it, EMA Workbench's sequential evaluator calls ``escalation_model`` once per
experiment, about ten times slower: docs/PERFORMANCE.md). EMA Workbench samples the scenarios
(Latin hypercube), crosses them with four policies (each posture, with instructors inside Ukraine,
with and without non-combat troops), runs every experiment with ``perform_experiments``, and its
PRIM finds where Russian retaliation for a crossed red line is more likely than not; the box is
chosen on the peeling trajectory by ``escalation.analysis.analyse.choose_box``. In model v3
instructors and non-combat troops bring Russia's measured involvement to 10, the top of the red
line's range, so with them every line is crossed and retaliation turns on whether Russia enforces
its line (``follow_through``); without troops it needs a low line or a high alarm under ambiguity.
Writes, into ``--out`` (default ``experiments/results/ema_workbench/``): ``experiments.csv`` (one
row per experiment: its uncertainties, levers and outcomes), ``box.csv``, ``reading.md`` and
``prim_box.png``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

import escalation
from escalation.config.scenarios import load_settings
from escalation.config.schema import LEVERS, uncertainty_names

RESULTS = Path(__file__).resolve().parent / "results" / "ema_workbench"
SCENARIO = "status_quo"
POLICIES = {
    f"{posture.replace('_', ' ')}, {'no' if troops == 'none' else 'non-combat'} troops": {
        "instructors": "inside",
        "troops": troops,
        "deep_strikes": "prohibited",
        "posture": posture,
    }
    for posture in ("red_lines", "ambiguity")
    for troops in ("none", "noncombat")
}
OUTCOMES = ("direct_conflict", "contained_clash", "russian_retaliation", "ukraine_position_final")
CASE = "russian_retaliation"
"""The outcome PRIM explains."""
LIKELY = 0.5
"""An experiment is a case of interest when ``CASE`` is at least this likely."""
PARAMETERS = "point"
"""``sim.parameters`` of the experiments: the doctrine at its stated values, so that the box
PRIM finds speaks of the twelve assumptions EMA Workbench varies, not of posterior draws of the
doctrine riding along as noise."""


def escalation_model(
    replicates: int,
    months: int,
    seed: int,
    parameters: str = PARAMETERS,
    **levers_and_uncertainties: object,
) -> dict[str, float]:
    """One EMA Workbench experiment: the outcomes of one fixed world over ``replicates`` runs.

    EMA Workbench passes the constants (``replicates``, ``months``, ``seed``, ``parameters``),
    the levers and the uncertainties as keyword arguments, numpy scalars included;
    ``escalation.simulate`` takes them as they are.
    """
    outcomes = escalation.simulate(
        SCENARIO,
        replicates=replicates,
        months=months,
        seed=seed,
        **{"sim.parameters": parameters},
        **levers_and_uncertainties,
    )
    return {name: float(outcomes[name].mean()) for name in OUTCOMES}


def ema_model(replicates: int, months: int, seed: int) -> Any:
    """The escalation model declared the EMA Workbench way (an ``ema_workbench.Model``)."""
    from ema_workbench import CategoricalParameter, Constant, Model, RealParameter, ScalarOutcome

    settings = load_settings(SCENARIO, **{"sim.parameters": PARAMETERS})
    model = Model("escalation", function=escalation_model)
    model.uncertainties = [
        RealParameter(name, bounds.low, bounds.high)
        for name in uncertainty_names()
        for bounds in [getattr(settings.uncertainty, name)]
    ]
    model.levers = [
        CategoricalParameter(lever, [member.value for member in values])
        for lever, values in LEVERS.items()
    ]
    model.constants = [
        Constant("replicates", replicates),
        Constant("months", months),
        Constant("seed", seed),
        Constant("parameters", PARAMETERS),
    ]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOMES]
    return model


def run(
    scenarios: int = 200, replicates: int = 100, months: int = 36, seed: int = 1
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Perform the experiments and PRIM.

    Returns:
        The experiments table (uncertainties, levers, ``policy``, outcomes), and the PRIM box:
        ``limits`` (assumption -> (low, high)), ``coverage``, ``density``, ``ema_box`` (EMA
        Workbench's ``PrimBox``) and ``row`` (its chosen row), or ``{}`` if no box qualifies.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optional parallel back-ends EMA Workbench lacks here
        from ema_workbench import Sample, perform_experiments
        from ema_workbench.analysis import prim

    from escalation.analysis.analyse import choose_box
    from escalation.analysis.ema import BatchEvaluator

    model = ema_model(replicates, months, seed)
    policies = [Sample(name, **levers) for name, levers in POLICIES.items()]
    with BatchEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(
            model,
            scenarios=scenarios,
            policies=policies,
            uncertainty_sampling_kwargs={"rng": seed},
            evaluator=evaluator,
        )
    table = experiments.drop(columns=["model", "scenario"]).assign(**outcomes)

    x = experiments[[*uncertainty_names(), "troops", "posture"]]
    cases = outcomes[CASE] >= LIKELY
    if not 0 < cases.sum() < len(cases):
        return table, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # its own use of pandas
        algorithm = prim.Prim(x, cases.astype(int))
        box = algorithm.find_box()
    row = choose_box(box.peeling_trajectory.reset_index(drop=True), box.p_values)
    if row is None:
        return table, {}
    box.select(row)
    stats = box.peeling_trajectory.iloc[row]
    limits = box.box_lims[row]
    found = {
        "limits": {name: _limits(limits[name], p) for name, p in box.p_values[row].items()},
        "coverage": float(stats["coverage"]),
        "density": float(stats["density"]),
        "ema_box": box,
        "row": row,
    }
    return table, found


def _limits(column: pd.Series, quasi_p: list[float]) -> tuple[object, object]:
    """A box's (low, high) for a number (None for a side left unrestricted, whose quasi-p
    value EMA Workbench gives as -1), or (the values kept, None) for a lever."""
    low, high = column.iloc[0], column.iloc[1]
    if isinstance(low, set):
        return sorted(low), None
    return (
        None if quasi_p[0] == -1 else float(low),
        None if quasi_p[1] == -1 else float(high),
    )


def reading(table: pd.DataFrame, box: dict[str, object], replicates: int) -> str:
    """A short reading of the experiments and the box."""
    by_policy = table.groupby("policy", sort=False)[CASE]
    lines = [
        "# EMA Workbench on the escalation model",
        "",
        f"{len(table):,} experiments: {table['policy'].nunique()} policies x "
        f"{len(table) // table['policy'].nunique()} scenarios (Latin hypercube over the "
        f"{len(uncertainty_names())} uncertainties), each one fixed world run {replicates} times.",
        "",
        f"Mean P(NATO-Russia war) over all experiments: {table['direct_conflict'].mean():.1%}; "
        f"mean P(NATO-Russia clash or war): {table['contained_clash'].mean():.1%}.",
        "",
        "| policy | mean P(Russian retaliation) | experiments with P >= 0.5 |",
        "|---|---|---|",
    ]
    for policy, values in by_policy:
        lines.append(f"| {policy} | {values.mean():.1%} | {(values >= LIKELY).mean():.0%} |")
    lines.append("")
    if box:
        from escalation.analysis.analyse import describe_limit

        parts = []
        for name, (low, high) in box["limits"].items():  # type: ignore[union-attr]
            if isinstance(low, list):
                parts.append(f"`{name}` {' or '.join(low)}")
            else:
                parts.append(
                    describe_limit(f"`{name}`", low, high, low is not None, high is not None)
                )
        lines += [
            f"PRIM: where {' and '.join(parts)}, Russian retaliation is more likely than not in "
            f"{box['density']:.0%} of the experiments; the box holds {box['coverage']:.0%} of "
            "all such experiments.",
            "",
        ]
    else:
        lines += ["PRIM found no box (too few experiments, or none with P >= 0.5).", ""]
    return "\n".join(lines)


def write(out: Path, table: pd.DataFrame, box: dict[str, object], replicates: int) -> None:
    """Write the experiments, the box, the reading and the box figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "experiments.csv", index=False, lineterminator="\n")
    rows = [
        {"assumption": name, "low": str(low), "high": str(high)}
        for name, (low, high) in (box.get("limits") or {}).items()  # type: ignore[union-attr]
    ]
    pd.DataFrame(rows, columns=["assumption", "low", "high"]).to_csv(
        out / "box.csv", index=False, lineterminator="\n"
    )
    (out / "reading.md").write_text(reading(table, box, replicates), encoding="utf-8")
    if box:
        ema_box = box["ema_box"]
        figure = ema_box.inspect(box["row"], style="graph")[0]  # type: ignore[attr-defined]
        figure.set_size_inches(10, 4)
        figure.suptitle("PRIM box: where Russian retaliation is more likely than not")
        figure.savefig(out / "prim_box.png", dpi=120, bbox_inches="tight")
        plt.close("all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200, help="sampled scenarios")
    parser.add_argument("--replicates", type=int, default=100, help="runs per experiment")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    table, box = run(args.scenarios, args.replicates, args.months, args.seed)
    write(args.out, table, box, args.replicates)
    print(reading(table, box, args.replicates))
    print(f"Wrote experiments.csv, box.csv, reading.md and prim_box.png to {args.out}")


if __name__ == "__main__":
    main()
