"""Synthetic tables with known answers, shared by the figure tests of runs and sweeps."""

from __future__ import annotations

import itertools

import pandas as pd

from escalation.ladder import Rung
from escalation.run.results import MEANS, PROBABILITIES

DATES = ["2024-10", "2024-11", "2024-12"]

# Three replicates over three months, with hand-picked rungs and positions.
RUNGS = {
    0: [3, 3, 5],
    1: [3, 5, Rung.CONTAINED_CLASH],
    2: [3, 4, Rung.NUCLEAR_USE],
}
POSITIONS = {
    0: [82.0, 81.0, 80.0],
    1: [82.0, 79.0, 70.0],
    2: [82.0, 83.0, 90.0],
}


def synthetic_trajectories() -> pd.DataFrame:
    """Three replicates, three months, known rungs and positions."""
    rows = [
        {
            "replicate": replicate,
            "month": month,
            "date": DATES[month - 1],
            "rung": RUNGS[replicate][month - 1],
            "position": POSITIONS[replicate][month - 1],
        }
        for replicate in RUNGS
        for month in (1, 2, 3)
    ]
    # Shuffle the rows so nothing relies on the table being sorted.
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0).reset_index(drop=True)


def run_summary() -> dict:
    """A run summary with three outcomes in a deliberate, non-alphabetical order."""
    return {
        "scenario": "instructors",
        "title": "French instructors inside Ukraine",
        "replicates": 3,
        "months": 3,
        "seed": 1,
        "start": "2024-10",
        "probabilities": {
            "russian_retaliation": {
                "label": "Russian retaliation",
                "p": 0.30,
                "low": 0.27,
                "high": 0.33,
                "count": 300,
            },
            "direct_conflict": {
                "label": "NATO-Russia war",
                "p": 0.05,
                "low": 0.04,
                "high": 0.066,
                "count": 50,
            },
            "nuclear_use": {
                "label": "Nuclear use",
                "p": 0.0,
                "low": 0.0,
                "high": 0.0038,
                "count": 0,
            },
        },
        "means": {},
    }


ORDER = {
    "instructors": ["none", "outside", "inside"],
    "troops": ["none", "noncombat", "combat"],
    "deep_strikes": ["prohibited", "limited", "authorized"],
    "posture": ["red_lines", "ambiguity"],
}
FIXED = {
    "instructors": "outside",
    "troops": "none",
    "deep_strikes": "prohibited",
    "posture": "ambiguity",
}
SCALED_OUTCOMES = [
    "direct_conflict",
    "nuclear_use",
    *(name for name in PROBABILITIES if name not in ("direct_conflict", "nuclear_use")),
]
"""Synthetic probabilities: NATO-Russia war is ``conflict(policy)``, the n-th outcome n times it."""
FIGURES = [
    "heatmap_direct_conflict.png",
    "heatmap_russian_retaliation.png",
    "tradeoff.png",
    "ranking_direct_conflict.png",
]


def conflict(policy: dict[str, str]) -> float:
    """P(NATO-Russia war) of a synthetic policy: each lever value adds a distinct amount."""
    step = {"troops": 0.1, "instructors": 0.02, "deep_strikes": 0.005, "posture": 0.001}
    return 0.01 + sum(step[lever] * ORDER[lever].index(policy[lever]) for lever in step)


def position(policy: dict[str, str]) -> float:
    """Ukraine's final position (% held) of a synthetic policy."""
    return (
        78.0
        + 2.0 * ORDER["deep_strikes"].index(policy["deep_strikes"])
        + ORDER["troops"].index(policy["troops"])
    )


def sweep_summary(swept: list[str], *, seed: int = 0) -> pd.DataFrame:
    """A sweep summary over the given levers (others fixed), rows shuffled, known values."""
    rows = []
    for job, values in enumerate(itertools.product(*(ORDER[lever] for lever in swept))):
        policy = {**FIXED, **dict(zip(swept, values, strict=True))}
        row = {"job": job, "scenario": "status_quo", "replicates": 1000, "months": 36, "seed": 7}
        row.update(policy)
        for index, name in enumerate(SCALED_OUTCOMES):
            p = min(1.0, conflict(policy) * (index + 1))
            row.update({name: p, f"{name}_low": 0.8 * p, f"{name}_high": min(1.0, 1.2 * p + 0.01)})
        for name in MEANS:
            mean = position(policy) if name == "ukraine_position_final" else 1.0
            row.update({f"{name}_mean": mean, f"{name}_mean_low": mean - 0.5})
            row[f"{name}_mean_high"] = mean + 0.5
        rows.append(row)
    return pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def full_grid() -> pd.DataFrame:
    return sweep_summary(["instructors", "troops", "deep_strikes", "posture"])


def differences_table(
    summary: pd.DataFrame, *, baseline: int = 0, half: float = 0.03
) -> pd.DataFrame:
    """A ``differences.csv`` table for a synthetic sweep: job ``baseline`` is the baseline, each
    difference's 95% interval is the difference ± ``half`` (so within noise when |diff| <= half).
    """
    table = summary[["job"]].copy()
    table["baseline_job"] = baseline
    base = summary.set_index("job")
    for name in SCALED_OUTCOMES:
        diff = summary[name] - base.loc[baseline, name]
        table[f"{name}_diff"] = diff
        table[f"{name}_diff_low"] = diff - half
        table[f"{name}_diff_high"] = diff + half
    return table
