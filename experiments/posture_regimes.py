"""Strategic ambiguity versus declared red lines: two assumption regimes, opposite answers.

Run: ``.venv/bin/python experiments/posture_regimes.py [--replicates N] [--seed S] [--months M]``

In model v3 the posture shapes Russia's beliefs about Western resolve (docs/MODEL.md §7.4, §9):
ambiguity widens its set of priors, and Russia's ambiguity aversion α decides whether the worst
case deters it or the best case emboldens it (it acts on r_α = α r_high + (1 − α) r_low, in the
expected Western answer of every attack below Article 5); ``ambiguity_alarm`` makes it count part
of what the West has not excluded as involvement already (perceived involvement + alarm · r_α ·
(ceiling − involvement), the ceiling 12 under ambiguity). This script fixes the assumptions at two
sets of values, each inside its configured range (conf/uncertainty/default.yaml), that differ
only in α and in the alarm, runs the ``instructors`` scenario under each posture with the same
seed and replicates (common random numbers) over the first year (``MONTHS``), and prints, per
regime and outcome, the probability under each posture and the paired change with its 95%
interval.
"""

from __future__ import annotations

import argparse

import pandas as pd
from _common import POINT

import escalation
from escalation.run.results import mean_interval

SHARED = {
    "cost_sensitivity": 3.0,  # Russia weighs the expected Western answer heavily (range's top)
    "ambiguity_width": 0.4,  # ambiguity leaves Russia a wide set of beliefs (range's top)
    "red_line_threshold": 7.5,  # the record (5.75-6.0) stays below it; instructors (7.75) cross it
    "follow_through": 0.8,  # and Russia mostly enforces it (range's top)
    "russian_pressure": 0.2,  # Ukraine keeps losing ground (0.2 points a month) ...
    "measure_effectiveness": 0.5,  # ... and Western measures help it little: no setback motive
}
"""Assumptions both regimes share, each inside its configured range. The instructors arrive in
month 4 (January 2025): with the record's measures of September 2024 in force (involvement 5.75,
6.0 once every member permits limited strikes) they bring Russia's measured involvement to 7.75,
just above the line at 7.5, so Russia's crossing motive stays small and retaliation within
``MONTHS`` is far from certain under either posture: the posture can move it. P(retaliation)
stays below follow_through (retaliation needs a line Russia enforces; docs/MODEL.md §7.5)."""
MONTHS = 12
"""The first year, October 2024 to September 2025. Over 36 months an enforcing Russia whose line
the instructors cross retaliates at least once in most replicates under either posture, so the
posture has less room to move retaliation (``--months 36`` prints it)."""
REGIMES = {
    "A (deterrence): alpha 1, alarm 0": {
        "ambiguity_aversion": 1.0,
        "ambiguity_alarm": 0.0,
        **SHARED,
    },
    "B (emboldening and alarm): alpha 0, alarm 0.5": {
        "ambiguity_aversion": 0.0,
        "ambiguity_alarm": 0.5,
        **SHARED,
    },
}
# The regimes run at the doctrine's stated values (``POINT``, not posterior draws): their
# premise, involvement 5.75 then 7.75 against a line at 7.5, is arithmetic on those values.
OUTCOMES = ("contained_clash", "russian_retaliation")
"""P(NATO-Russia clash or direct conflict) and P(Russian retaliation)."""


def compare(replicates: int = 20000, seed: int = 11, months: int = MONTHS) -> pd.DataFrame:
    """Per regime and outcome: P under each posture and the paired change with its interval."""
    rows = []
    for regime, assumptions in REGIMES.items():
        runs = {
            posture: escalation.simulate(
                "instructors",
                replicates=replicates,
                months=months,
                seed=seed,
                posture=posture,
                **assumptions,
                **POINT,
            )
            for posture in ("red_lines", "ambiguity")
        }
        for outcome in OUTCOMES:
            red = runs["red_lines"][outcome].to_numpy(dtype=float)
            amb = runs["ambiguity"][outcome].to_numpy(dtype=float)
            change = mean_interval(pd.Series(amb - red))
            rows.append(
                {
                    "regime": regime,
                    "outcome": outcome,
                    "red_lines": red.mean(),
                    "ambiguity": amb.mean(),
                    "change": change["mean"],
                    "low": change["low"],
                    "high": change["high"],
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--months", type=int, default=MONTHS)
    args = parser.parse_args()
    table = compare(args.replicates, args.seed, args.months)
    print(table.to_string(index=False, float_format=lambda p: f"{p:.4f}"))


if __name__ == "__main__":
    main()
