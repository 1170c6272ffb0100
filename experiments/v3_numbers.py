"""The model-v3 numbers of docs/MODEL.md §7, §9, §10, §11 and "Changes from model v2", as Markdown.

Run: ``.venv/bin/python experiments/v3_numbers.py`` (20,000 replicates per run, seed 1). Parts:
``--part base`` (§10 base rates, annualised, and the checks of §7), ``--part posture`` (§9,
paired posture runs), ``--part history`` (§11), ``--part kinetic`` (§10, the kinetic share and
the spill-over rate swept), ``--part start`` (§5, §6.1, §7.2, §7.5, §7.6, §7.9: the hand-over at
``sim.start``, the levers in month 1) or ``all``. Every run is
``EscalationModel(load_settings(scenario, replicates=..., seed=..., **params)).run()``: a forward
run replays the record from February 2022 to September 2024 first (the warm-up), then runs 36
months from October 2024.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from _common import load_point_settings as load_settings

from escalation.model import EscalationModel
from escalation.model.actions import ACTION_BIT, RussianAction
from escalation.run.results import wilson_interval

SCENARIOS = ("status_quo", "instructors", "troops", "deep_strikes")
ACTION_BIT_FORCES = ACTION_BIT[RussianAction.STRIKES_ON_WESTERN_FORCES]
METACULUS_MONTHS = 27
"""Months from October 2024 to the end of 2026 (Metaculus: direct conflict before 2027)."""


def share(events: np.ndarray) -> str:
    """``p% [low, high]`` with the 95% Wilson interval."""
    events = np.asarray(events, dtype=bool)
    count, trials = int(events.sum()), events.size
    low, high = wilson_interval(count, trials)
    digits = 2 if count / trials < 0.01 else 1
    return f"{count / trials:.{digits}%} [{100 * low:.{digits}f}, {100 * high:.{digits}f}]"


def per_year(p: float, months: int) -> float:
    """Annualised probability at a constant hazard: 1 - (1 - p)^(12 / months)."""
    return 1.0 - (1.0 - p) ** (12.0 / months)


def run(scenario: str, replicates: int, seed: int, months: int | None = None, **params):
    """A run of ``scenario``, stepped month by month; also counts collapse episodes."""
    settings = load_settings(scenario, replicates=replicates, seed=seed, months=months, **params)
    model = EscalationModel(settings)
    episodes = np.zeros(replicates, dtype=int)
    while model.running:
        model.step()
        episodes += model.ukraine.collapse_onset
    return model, episodes


def base(replicates: int, seed: int) -> None:
    """§10: 36-month and annualised rates per scenario, P(nuclear | war), per-episode use."""
    print(
        "| scenario | clash | lethal engagement | NATO–Russia war | nuclear use | in Ukraine "
        "| against NATO | retaliation | red line newly crossed | above the line (any month) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    annual = {}
    for scenario in SCENARIOS:
        started = time.perf_counter()
        model, episodes = run(scenario, replicates, seed)
        seconds = time.perf_counter() - started
        out = model.outcomes()
        traj = model._trajectory  # (months, replicates) arrays
        on_nato = model.nuclear_use_on_nato
        cells = [
            share(out["contained_clash"]),
            share(out["lethal_engagement"]),
            share(out["direct_conflict"]),
            share(out["nuclear_use"]),
            share(out["nuclear_use_in_ukraine"]),
            share(on_nato),
            share(out["russian_retaliation"]),
            share(out["red_lines_crossed"] > 0),
            share(traj["above_red_line"].any(axis=0)),
        ]
        print(f"| `{scenario}` | {' | '.join(cells)} |")
        war = out["direct_conflict"].to_numpy()
        lethal_27 = traj["lethal_engagement"][:METACULUS_MONTHS].any(axis=0)
        actions = traj["russian_action"]
        several = np.zeros(actions.shape, dtype=int)
        for bit in ACTION_BIT.values():
            several += (actions & bit) != 0
        in_ukraine = out["nuclear_use_in_ukraine"].to_numpy()
        belief = traj["russia_belief"][-1]
        annual[scenario] = {
            "seconds": seconds,
            "clash/yr": per_year(out["contained_clash"].mean(), 36),
            "lethal/yr": per_year(out["lethal_engagement"].mean(), 36),
            "war/yr": per_year(war.mean(), 36),
            "nuclear/yr": per_year(out["nuclear_use"].mean(), 36),
            "nuclear in Ukraine/yr": per_year(in_ukraine.mean(), 36),
            "nuclear on NATO/yr": per_year(on_nato.mean(), 36),
            "lethal by Dec 2026": lethal_27.mean(),
            "P(nuclear on NATO | war)": on_nato[war].mean() if war.any() else math.nan,
            "P(nuclear any | war)": out["nuclear_use"][war].mean() if war.any() else math.nan,
            "wars": int(war.sum()),
            "collapse episodes": int(episodes.sum()),
            "replicates with a collapse": float((episodes > 0).mean()),
            "use in Ukraine per episode": in_ukraine.sum() / max(episodes.sum(), 1),
            "months with 2+ actions": float((several >= 2).mean()),
            "signalling months": float(out["signalling_months"].mean()),
            "hybrid attacks (any)": float(out["hybrid_attacks"].mean()),
            "spill-over incidents": float(out["spillover_incidents"].mean()),
            "strikes on NATO": float(out["strikes_on_nato"].mean()),
            "position final": float(out["ukraine_position_final"].mean()),
            "corr(r_alpha, resolve) m36": float(
                np.corrcoef(belief, model.uncertain["western_resolve"])[0, 1]
            ),
            "mean r_alpha m36": float(belief.mean()),
            "involvement m1": float(traj["involvement"][0].mean()),
            "perceived m1": float(traj["perceived_involvement"][0].mean()),
        }
    print()
    for scenario, values in annual.items():
        print(
            f"- `{scenario}`: "
            + "; ".join(
                f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
            )
        )


def war_horizon(replicates: int, seed: int) -> None:
    """§7.7: P(nuclear use against NATO | war) at 36 and 120 months."""
    for scenario in ("status_quo", "troops"):
        for months in (36, 120):
            model, _ = run(scenario, replicates, seed, months=months)
            war = model.outcomes()["direct_conflict"].to_numpy()
            on_nato = model.nuclear_use_on_nato
            print(
                f"- `{scenario}`, {months} months: P(war) {war.mean():.2%}, P(nuclear use "
                f"against NATO | war) {on_nato[war].mean():.1%} of {int(war.sum()):,} wars"
            )


def month_one(replicates: int, seed: int) -> None:
    """§7.5: month 1 of the status quo against the replay's September 2024."""
    model = EscalationModel(load_settings("status_quo", replicates=replicates, seed=seed))
    model.step()
    forward = model._trajectory["russian_action"][0]
    replay, _ = run("history", replicates, seed)
    last = replay._trajectory["russian_action"][-1]
    for name, bit in (("signalling", "NUCLEAR_SIGNALLING"), ("hybrid", "HYBRID_ATTACKS")):
        b = next(v for k, v in ACTION_BIT.items() if k.name == bit)
        print(
            f"- P({name}): status quo month 1 {((forward & b) != 0).mean():.1%}, "
            f"history Sep 2024 {((last & b) != 0).mean():.1%}"
        )


def posture(replicates: int, seed: int) -> None:
    """§9: paired effect of ambiguity (ambiguity minus red lines), points, 95% interval."""
    cases = [(1.0, 0.0), (0.5, 0.0), (0.0, 0.0), (1.0, 0.5), (0.0, 0.5), (None, None)]
    columns = {
        "newly crossed": lambda m, o: (o["red_lines_crossed"] > 0).to_numpy(),
        "above line": lambda m, o: m._trajectory["above_red_line"].any(axis=0),
        "retaliation": lambda m, o: o["russian_retaliation"].to_numpy(),
        "clash": lambda m, o: o["contained_clash"].to_numpy(),
        "war": lambda m, o: o["direct_conflict"].to_numpy(),
        "nuclear": lambda m, o: o["nuclear_use"].to_numpy(),
        "signalling": lambda m, o: o["nuclear_signalling"].to_numpy(),
        "strike on NATO": lambda m, o: o["strikes_on_nato"].to_numpy(),
    }
    print(
        "| scenario | α | alarm | "
        + " | ".join(f"Δ {c}" for c in columns)
        + " | Δ signalling months |"
    )
    print("|---|---|---|" + "---|" * (len(columns) + 1))
    only = {}
    for scenario in SCENARIOS:
        for alpha, alarm in cases:
            params = {}
            if alpha is not None:
                params = {"ambiguity_aversion": alpha, "ambiguity_alarm": alarm}
            results = {}
            for stance in ("red_lines", "ambiguity"):
                model = EscalationModel(
                    load_settings(
                        scenario, replicates=replicates, seed=seed, posture=stance, **params
                    )
                ).run()
                out = model.outcomes()
                results[stance] = (
                    {c: f(model, out) for c, f in columns.items()},
                    out["signalling_months"].to_numpy(),
                )
            cells = []
            for column in columns:
                red, amb = results["red_lines"][0][column], results["ambiguity"][0][column]
                diff = amb.astype(float) - red.astype(float)
                half = 1.96 * diff.std(ddof=1) / math.sqrt(diff.size)
                cells.append(
                    f"{100 * diff.mean():+.2f} [{100 * (diff.mean() - half):+.2f}, "
                    f"{100 * (diff.mean() + half):+.2f}]"
                )
                key = (scenario, column)
                lo, hi = only.get(key, (0, 0))
                only[key] = (lo + int((red & ~amb).sum()), hi + int((amb & ~red).sum()))
            months = results["ambiguity"][1] - results["red_lines"][1]
            cells.append(f"{months.mean():+.2f}")
            label = "swept" if alpha is None else f"{alpha:g} | {alarm:g}"
            if alpha is None:
                label = "swept | swept"
            print(f"| {scenario} | {label} | {' | '.join(cells)} |")
    print()
    print(
        "Paired replicates (all six cases): with the outcome only under red lines / only "
        "under ambiguity"
    )
    for (scenario, column), (red_only, amb_only) in only.items():
        print(f"- {scenario}, {column}: {red_only} / {amb_only}")


def history(replicates: int, seed: int) -> None:
    """§11: the history scenario's outcomes."""
    model, episodes = run("history", replicates, seed)
    out = model.outcomes()
    for column in (
        "direct_conflict",
        "contained_clash",
        "lethal_engagement",
        "nuclear_use",
        "nuclear_signalling",
        "hybrid_attacks",
        "russian_retaliation",
        "strikes_on_nato",
    ):
        print(f"| `{column}` | {share(out[column])} |")
    print(f"| red line newly crossed | {share(out['red_lines_crossed'] > 0)} |")
    above = model._trajectory["above_red_line"].any(axis=0)
    print(f"| above the red line (any month) | {share(above)} |")
    print(f"| signalling months (mean of {model.month}) | {out['signalling_months'].mean():.1f} |")
    actions = model._trajectory["russian_action"]
    several = sum(((actions & bit) != 0).astype(int) for bit in ACTION_BIT.values())
    print(f"| months with two or more actions | {(several >= 2).mean():.1%} |")
    print(
        f"| spill-over incidents (mean of {model.month} months) | "
        f"{out['spillover_incidents'].mean():.1f} |"
    )
    print(f"| position Sep 2024 | {out['ukraine_position_final'].mean():.2f} |")
    print(f"| collapse episodes per replicate | {episodes.mean():.3f} |")


def kinetic(replicates: int, seed: int) -> None:
    """§10: the swept kinetic share of hybrid operations, history replay and status quo."""
    print(
        "| `nato.kinetic_share` | history: clash | history: war | status quo: clash | "
        "status quo: lethal engagement | status quo: war |"
    )
    print("|---|---|---|---|---|---|")
    for value in (0.0, 0.0625, 0.25):
        cells = []
        for scenario in ("history", "status_quo"):
            settings = load_settings(
                scenario, replicates=replicates, seed=seed, doctrine={"nato.kinetic_share": value}
            )
            out = EscalationModel(settings).run().outcomes()
            cells.append(share(out["contained_clash"]))
            if scenario == "status_quo":
                cells.append(share(out["lethal_engagement"]))
            cells.append(share(out["direct_conflict"]))
        print(f"| {value:.4g} | {' | '.join(cells)} |")
    print()
    print(
        "| `nato.spillover_rate` | status quo: clash | status quo: lethal engagement | "
        "status quo: war |"
    )
    print("|---|---|---|---|")
    for value in (0.0, 0.227):
        settings = load_settings(
            "status_quo", replicates=replicates, seed=seed, doctrine={"nato.spillover_rate": value}
        )
        out = EscalationModel(settings).run().outcomes()
        cells = [share(out[c]) for c in ("contained_clash", "lethal_engagement", "direct_conflict")]
        print(f"| {value:g} | {' | '.join(cells)} |")


def start(replicates: int, seed: int) -> None:
    """§5, §6.1, §7.2, §7.5, §7.9: the state handed over at ``sim.start`` and month 1."""
    for stance in ("ambiguity", "red_lines"):
        model = EscalationModel(
            load_settings("status_quo", replicates=replicates, seed=seed, posture=stance)
        )
        russia = model.russia
        start_i, start_p = russia.reference
        print(
            f"- `status_quo`, {stance}, at hand-over: ceiling {np.mean(russia.ceiling):.2f}; "
            f"I {russia.involvement.mean():.2f}; mean r_alpha {russia.resolve_belief.mean():.3f}; "
            f"above the line {russia.crossed.mean():.1%}; West's belief "
            f"{model.nato.west_belief.mean():.3f}; reference I {start_i.mean():.2f}, "
            f"P {start_p.mean():.2f}; incursion months left "
            f"{model.ukraine.incursion_months_left.max()}; mobilised "
            f"{(russia.mobilised > 0).mean():.2%} of replicates"
        )
        model.step()
        traj = model._trajectory
        print(
            f"  month 1: I {traj['involvement'][0].mean():.2f}, P "
            f"{traj['perceived_involvement'][0].mean():.2f}, P - P_ref "
            f"{(traj['perceived_involvement'][0] - start_p).mean():.2f}"
        )
    for params in (
        {"instructors": "none"},
        {"deep_strikes": "prohibited"},
        {"policy.aid": False},
        {"policy.advanced_weapons": False},
        {"deep_strikes": "authorized"},
        {"instructors": "inside"},
    ):
        model = EscalationModel(
            load_settings("status_quo", replicates=replicates, seed=seed, **params)
        )
        model.step()
        print(
            f"- `status_quo` with {params}: I in month 1 "
            f"{model._trajectory['involvement'][0].mean():.2f}, "
            f"ceiling {np.mean(model.russia.ceiling):.2f}"
        )
    model = EscalationModel(load_settings("status_quo", replicates=replicates, seed=seed))
    fired = total = 0
    while model.running:
        model.step()
        fired += int(model.nato.spillover_answered.sum())
        total += int(model.nato.spillover.sum())
    print(f"- `status_quo`: stray weapons fired on {fired} of {total} ({fired / total:.1%})")
    model, _ = run("instructors", replicates, seed)
    forces = (model._trajectory["russian_action"] & ACTION_BIT_FORCES) != 0
    print(f"- `instructors`: a strike on Western forces in {forces.any(axis=0).mean():.1%} of runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--part", choices=["base", "posture", "history", "kinetic", "start", "all"], default="all"
    )
    args = parser.parse_args()
    if args.part in ("base", "all"):
        base(args.replicates, args.seed)
        war_horizon(args.replicates, args.seed)
        month_one(args.replicates, args.seed)
    if args.part in ("history", "all"):
        history(args.replicates, args.seed)
    if args.part in ("kinetic", "all"):
        kinetic(args.replicates, args.seed)
    if args.part in ("start", "all"):
        start(args.replicates, args.seed)
    if args.part in ("posture", "all"):
        posture(args.replicates, args.seed)


if __name__ == "__main__":
    main()
