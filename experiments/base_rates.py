"""Base rates, history and pathways of model v3 (docs/MODEL.md §7.5, §7.7, §9-§11), as Markdown.

Run: ``.venv/bin/python experiments/base_rates.py`` (20,000 replicates per scenario, seed 1, a few
minutes). ``experiments/v3_numbers.py`` measures the numbers MODEL.md cites; this script prints
the same kind of tables by pathway (which Russian act a NATO answer met), for a quick look after
a change to the model. Russia may take several actions a month (model v3): ``russian_action``
holds their names joined by "+", read here with ``escalation.model.actions.has``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import POINT
from _common import load_point_settings as load_settings

from escalation.model import EscalationModel
from escalation.model.actions import ACTION_NAMES, RussianAction, has
from escalation.run.results import mean_interval, wilson_interval

SCENARIOS = ("status_quo", "instructors", "troops", "deep_strikes")


def share(events: np.ndarray) -> str:
    """``p% [low, high]`` with the 95% Wilson interval."""
    count, trials = int(events.sum()), events.size
    low, high = wilson_interval(count, trials)
    digits = 2 if count / trials < 0.01 else 1
    return f"{count / trials:.{digits}%} [{100 * low:.{digits}f}, {100 * high:.{digits}f}]"


MASK_OF_NAMES = {name: mask for mask, name in enumerate(ACTION_NAMES)}
"""The bit mask of each ``russian_action`` value ("" none, "a+b" two actions)."""


def holds(actions: np.ndarray, action: RussianAction) -> np.ndarray:
    """Whether each month's ``russian_action`` ("+"-joined names) holds ``action``."""
    masks = np.vectorize(MASK_OF_NAMES.__getitem__, otypes=[np.int16])(actions)
    return has(masks, action)


def clash_episodes(model: EscalationModel) -> tuple[int, int, int]:
    """Clash episodes (runs of consecutive months of hostilities), those reaching a NATO-Russia
    war, and those opened by an Article 5 answer."""
    frame = model.trajectories()
    months = model.month
    hostile = (frame["contained_clash"] | frame["direct_conflict"]).to_numpy().reshape(-1, months)
    war = frame["direct_conflict"].to_numpy().reshape(-1, months)
    article5 = frame["article5_response"].to_numpy().reshape(-1, months)
    episodes = reached = by_article5 = 0
    for replicate in range(hostile.shape[0]):
        month = 0
        while month < months:
            if not hostile[replicate, month]:
                month += 1
                continue
            start = month
            while month < months and hostile[replicate, month]:
                month += 1
            episodes += 1
            reached += bool(war[replicate, start:month].any())
            by_article5 += bool(article5[replicate, start])
    return episodes, reached, by_article5


def base_rates(replicates: int, seed: int) -> None:
    """§10: 36-month probabilities per scenario, and P(war | clash) per episode."""
    print(
        "| scenario | NATO–Russia clash (any) | lethal engagement | NATO–Russia war | "
        "nuclear use (any) | of which in Ukraine | war \\| clash episode |"
    )
    print("|---|---|---|---|---|---|---|")
    for scenario in SCENARIOS:
        model = EscalationModel(load_settings(scenario, replicates=replicates, seed=seed)).run()
        outcomes = model.outcomes()
        episodes, reached, by_article5 = clash_episodes(model)
        in_ukraine = outcomes["nuclear_use_in_ukraine"].mean()
        print(
            f"| `{scenario}` | {share(outcomes['contained_clash'].to_numpy())} "
            f"| {share(outcomes['lethal_engagement'].to_numpy())} "
            f"| {share(outcomes['direct_conflict'].to_numpy())} "
            f"| {share(outcomes['nuclear_use'].to_numpy())} | {in_ukraine:.2%} "
            f"| {reached / episodes:.1%} of {episodes:,} ({by_article5} opened by Article 5) |"
        )


def horizon(replicates: int, seed: int) -> None:
    """§7.7: nuclear use given a NATO-Russia war at 36 and 120 months."""
    for scenario in ("status_quo", "troops"):
        for months in (36, 120):
            settings = load_settings(scenario, replicates=replicates, months=months, seed=seed)
            outcomes = EscalationModel(settings).run().outcomes()
            war = outcomes["direct_conflict"]
            against_nato = outcomes["nuclear_use"] & ~outcomes["nuclear_use_in_ukraine"]
            print(
                f"- `{scenario}`, {months} months: P(nuclear use | NATO–Russia war) "
                f"{outcomes.loc[war, 'nuclear_use'].mean():.1%}, against NATO "
                f"{against_nato[war].mean():.1%} ({int(war.sum()):,} wars)"
            )


def month_one(replicates: int, seed: int) -> None:
    """§7.5: P(signalling), P(hybrid attacks) and P(both) in month 1 of the status quo."""
    model = EscalationModel(load_settings("status_quo", replicates=replicates, seed=seed))
    model.step()
    action = model.trajectories()["russian_action"].to_numpy()
    signalling = holds(action, RussianAction.NUCLEAR_SIGNALLING)
    hybrid = holds(action, RussianAction.HYBRID_ATTACKS)
    print(
        f"- status quo, month 1: P(signalling) {signalling.mean():.1%}, "
        f"P(hybrid attacks) {hybrid.mean():.1%}, P(both) {(signalling & hybrid).mean():.1%}"
    )


def history(replicates: int, seed: int) -> None:
    """§11: the history scenario's outcomes."""
    model = EscalationModel(load_settings("history", replicates=replicates, seed=seed)).run()
    outcomes = model.outcomes()
    print("| outcome | model |")
    print("|---|---|")
    for column in (
        "direct_conflict",
        "contained_clash",
        "nuclear_use",
        "nuclear_signalling",
        "hybrid_attacks",
        "russian_retaliation",
    ):
        print(f"| `{column}` | {share(outcomes[column].to_numpy())} |")
    crossed = (outcomes["red_lines_crossed"] > 0).to_numpy()
    print(f"| red line crossed | {share(crossed)} |")
    months = mean_interval(outcomes["signalling_months"])
    print(
        f"| `signalling_months` (mean of {model.month}) | {months['mean']:.1f} "
        f"[{months['low']:.1f}, {months['high']:.1f}] |"
    )


def pathways(replicates: int, seed: int) -> None:
    """§11: by which pathway the first clash opens (history, status quo, instructors, troops).

    NATO answers last month's acts (it moves before Russia in a month): a military answer after
    a month with strikes on Western forces is France's answer for its forces, after a month with
    retaliation the answer to it, after a month with hybrid operations only a kinetic incursion;
    a military answer after none of these is fire after a deadly stray missile or drone
    (spill-over, this month); an Article 5 answer meets a strike on NATO territory.
    """
    print(
        "| scenario | any clash | first clash opened by: answer to a kinetic incursion | "
        "answer to retaliation | French answer for its forces | fire after a deadly stray | "
        "Article 5 answer | Russian strikes on Western forces (any month) | "
        "hybrid operations met by law enforcement | retaliation (any) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for scenario in ("history", "status_quo", "instructors", "troops"):
        print(f"| `{scenario}` | {' | '.join(pathway_cells(scenario, replicates, seed))} |")


def pathway_cells(scenario: str, replicates: int, seed: int) -> list[str]:
    """The cells of one row of ``pathways``."""
    model = EscalationModel(load_settings(scenario, replicates=replicates, seed=seed)).run()
    frame = model.trajectories().sort_values(["replicate", "month"])
    shape = (replicates, model.month)

    def table(name: str) -> np.ndarray:
        return frame[name].to_numpy().reshape(shape)

    action = table("russian_action")
    before = np.pad(action, ((0, 0), (1, 0)), constant_values="")[:, :-1]
    military, article5 = table("nato_military_response"), table("article5_response")
    hostile = table("contained_clash") | table("direct_conflict")
    hybrid = holds(before, RussianAction.HYBRID_ATTACKS)
    retaliated = holds(before, RussianAction.RETALIATION)
    forces = holds(before, RussianAction.STRIKES_ON_WESTERN_FORCES)
    opened = hostile.any(axis=1)
    first = hostile.argmax(axis=1)
    rows = np.arange(replicates)

    def opened_by(events: np.ndarray) -> str:
        return share(opened & events[rows, first])

    hybrid_months = hybrid.sum()
    return [
        share(opened),
        opened_by(military & hybrid & ~retaliated & ~forces),
        opened_by(military & retaliated & ~forces),
        opened_by(military & forces),
        opened_by(military & ~hybrid & ~retaliated & ~forces),
        opened_by(article5 & ~military),
        share(holds(action, RussianAction.STRIKES_ON_WESTERN_FORCES).any(axis=1)),
        f"{table('law_enforcement_response').sum() / hybrid_months:.1%} of {hybrid_months:,}",
        share(table("retaliation").any(axis=1)),
    ]


def kinetic_share(replicates: int, seed: int) -> None:
    """§10: the swept kinetic share against the history replay and the status quo."""
    print(
        "| `nato.kinetic_share` | history: clash (any) | history: NATO–Russia war | "
        "status quo: clash (any) | status quo: NATO–Russia war |"
    )
    print("|---|---|---|---|---|")
    for value in (0.0, 0.0625, 1 / 9, 0.25, 0.5):
        cells = []
        for scenario in ("history", "status_quo"):
            settings = load_settings(
                scenario,
                replicates=replicates,
                seed=seed,
                doctrine={"nato.kinetic_share": value},
            )
            outcomes = EscalationModel(settings).run().outcomes()
            cells += [
                share(outcomes["contained_clash"].to_numpy()),
                share(outcomes["direct_conflict"].to_numpy()),
            ]
        print(f"| {value:.4g} | {' | '.join(cells)} |")


def posture(replicates: int, seed: int) -> None:
    """§9: paired effect of ambiguity (ambiguity minus red lines), in points, with 95% intervals."""
    from escalation import simulate
    from escalation.run.results import Z_95

    cases = [
        ("instructors", 1.0, 0.0),
        ("instructors", 0.5, 0.0),
        ("instructors", 0.0, 0.0),
        ("instructors", 1.0, 0.5),
        ("instructors", 0.0, 0.5),
        ("instructors", None, None),
        ("troops", 1.0, 0.0),
        ("troops", 0.0, 0.0),
        ("troops", None, None),
        ("deep_strikes", 1.0, 0.0),
        ("deep_strikes", 0.0, 0.0),
        ("deep_strikes", None, None),
    ]
    columns = ("contained_clash", "lethal_engagement", "direct_conflict", "russian_retaliation")
    print(
        "| scenario | α | alarm | Δ P(NATO–Russia clash) | Δ P(lethal engagement) | "
        "Δ P(NATO–Russia war) | Δ P(retaliation) | P(strike on NATO), both postures |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for scenario, aversion, alarm in cases:
        fixed = {}
        if aversion is not None:
            fixed = {"ambiguity_aversion": aversion, "ambiguity_alarm": alarm}
        runs = {
            name: simulate(
                scenario, replicates=replicates, seed=seed, posture=name, **fixed, **POINT
            )
            for name in ("red_lines", "ambiguity")
        }
        cells = []
        for column in columns:
            difference = runs["ambiguity"][column].astype(float) - runs["red_lines"][column].astype(
                float
            )
            half = Z_95 * difference.std(ddof=1) / np.sqrt(len(difference))
            mean = difference.mean()
            cells.append(
                f"{100 * mean:+.2f} [{100 * (mean - half):+.2f}, {100 * (mean + half):+.2f}]"
            )
        nato = [
            f"{runs[name]['strikes_on_nato'].mean():.2%}" for name in ("red_lines", "ambiguity")
        ]
        label_a = "swept" if aversion is None else f"{aversion:g}"
        label_alarm = "swept" if alarm is None else f"{alarm:g}"
        print(
            f"| {scenario} | {label_a} | {label_alarm} | {' | '.join(cells)} | {' / '.join(nato)} |"
        )


def main() -> None:
    """Print every table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("## §7.5 month 1\n")
    month_one(args.replicates, args.seed)
    print("\n## §7.7 horizon\n")
    horizon(args.replicates, args.seed)
    print("\n## §9 posture\n")
    posture(args.replicates, args.seed)
    print("\n## §10 base rates\n")
    base_rates(args.replicates, args.seed)
    print("\n## §10 kinetic share (swept)\n")
    kinetic_share(args.replicates, args.seed)
    print("\n## §11 history\n")
    history(args.replicates, args.seed)
    print("\n## §11 pathways\n")
    pathways(args.replicates, args.seed)


if __name__ == "__main__":
    main()
