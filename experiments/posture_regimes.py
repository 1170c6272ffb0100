"""Strategic ambiguity versus declared red lines: two assumption regimes, opposite answers.

Run: ``.venv/bin/python experiments/posture_regimes.py [--replicates N] [--seed S]``

The posture changes two things in the model (docs/MODEL.md §9): ambiguity raises the headroom
Russia expects the West to still have (deterrence: every Russian option costs more) and, through
``ambiguity_alarm``, raises the involvement Russia perceives (alarm: more red lines crossed).
Which channel wins depends on assumptions nobody knows. This script fixes them at two sets of
values on the ``instructors`` scenario and prints the probability of Russian retaliation and of
direct conflict under each posture.
"""

from __future__ import annotations

import argparse

import pandas as pd

import escalation

REGIMES = {
    "A (deterrence): alarm 0, cost sensitivity 3, red line 4.8": {
        "ambiguity_alarm": 0.0,
        "cost_sensitivity": 3.0,
        "red_line_threshold": 4.8,
    },
    "B (alarm): alarm 0.5, cost sensitivity 0.5, red line 6.0": {
        "ambiguity_alarm": 0.5,
        "cost_sensitivity": 0.5,
        "red_line_threshold": 6.0,
    },
}


def compare(replicates: int = 4000, seed: int = 11) -> pd.DataFrame:
    """P(retaliation) and P(direct conflict) per regime and posture on ``instructors``."""
    rows = []
    for regime, assumptions in REGIMES.items():
        for posture in ("red_lines", "ambiguity"):
            outcomes = escalation.simulate(
                "instructors", replicates=replicates, seed=seed, posture=posture, **assumptions
            )
            rows.append(
                {
                    "regime": regime,
                    "posture": posture,
                    "russian_retaliation": outcomes["russian_retaliation"].mean(),
                    "direct_conflict": outcomes["direct_conflict"].mean(),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    table = compare(args.replicates, args.seed)
    print(table.to_string(index=False, float_format=lambda p: f"{p:.3f}"))


if __name__ == "__main__":
    main()
