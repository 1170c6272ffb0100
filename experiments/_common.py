"""What the experiments share: run a preset sweep, pair replicates, write the reading."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from escalation.files import atomic_write
from escalation.run.results import mean_interval

RESULTS = Path(__file__).resolve().parent / "results"


#: The doctrine at its stated values, as docs/MODEL.md documents the model (the shipped scenarios
#: draw them from the calibrated posterior by default; the README's headline table uses that).
POINT = {"sim.parameters": "point"}


def load_point_settings(scenario: str, **params: Any) -> Any:
    """``escalation.config.scenarios.load_settings`` with the doctrine's point values."""
    from escalation.config.scenarios import load_settings

    return load_settings(scenario, **{**POINT, **params})


DOCS_WIDTH = 1000
"""Width in pixels of the copies of the experiments' figures in docs/figures (the README's)."""


def arguments(
    name: str,
    description: str,
    replicates: int,
    docs: Path | None = None,
    *,
    docs_copy: bool = False,
) -> argparse.Namespace:
    """Command-line options every experiment takes, and ``--docs``: where it redraws docs
    (default ``docs``), or, with ``docs_copy``, where it also writes a reduced copy of its figure
    (none by default; ``--docs docs/figures`` for the README's)."""
    parser = argparse.ArgumentParser(prog=f"experiments/{name}.py", description=description)
    parser.add_argument("--replicates", type=int, default=replicates, help="per policy")
    parser.add_argument("--out", type=Path, default=RESULTS / name, help="the sweep folder")
    parser.add_argument("--launcher", choices=["joblib", "basic"], default="joblib")
    if docs is not None:
        parser.add_argument("--docs", type=Path, default=docs, help="where the figures go")
    elif docs_copy:
        parser.add_argument(
            "--docs",
            type=Path,
            default=None,
            help=f"also write a copy of the figure, {DOCS_WIDTH} px wide, into this folder",
        )
    return parser.parse_args()


def docs_copy(figure: Path, folder: Path | None) -> Path | None:
    """Write a copy of ``figure`` ``DOCS_WIDTH`` pixels wide into ``folder`` (if given)."""
    if folder is None:
        return None
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / figure.name
    with Image.open(figure) as image:
        height = round(image.height * DOCS_WIDTH / image.width)
        image.resize((DOCS_WIDTH, height), Image.Resampling.LANCZOS).save(target, optimize=True)
    return target


def run_sweep(
    name: str, *, replicates: int, out: Path, launcher: str, extra: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the preset sweep ``name`` into ``out`` (resuming it); return its summary and outcomes."""
    command = [
        sys.executable,
        "-m",
        "escalation",
        "-m",
        f"sweep={name}",
        f"sim.replicates={replicates}",
        f"hydra.sweep.dir={out}",
        f"hydra/launcher={launcher}",
        *extra,
    ]
    subprocess.run(command, check=True)
    return pd.read_csv(out / "summary.csv"), pd.read_csv(out / "outcomes.csv")


def paired_difference(outcomes: pd.DataFrame, column: str, after: int, before: int) -> dict:
    """Mean change of ``column`` from job ``before`` to job ``after``, replicate by replicate.

    Every job of a sweep uses the same seed, so replicate i meets the same sampled assumptions
    in both jobs (common random numbers); the interval is mean ± 1.96·sd/√n of the paired
    differences, much narrower than comparing two independent estimates.
    """
    first = outcomes.loc[outcomes["job"] == before].sort_values("replicate")[column]
    second = outcomes.loc[outcomes["job"] == after].sort_values("replicate")[column]
    return mean_interval(pd.Series(second.to_numpy(dtype=float) - first.to_numpy(dtype=float)))


def job_of(summary: pd.DataFrame, **levers: str) -> pd.Series:
    """The summary row of the policy with these lever values."""
    mask = np.logical_and.reduce([summary[k] == v for k, v in levers.items()])
    (index,) = np.flatnonzero(mask)
    return summary.iloc[index]


def points(change: dict, scale: float = 100.0, digits: int = 1) -> str:
    """A paired change as "+4.1 points [+3.2, +5.0]" (percentage points by default)."""
    mean, low, high = (change[k] * scale for k in ("mean", "low", "high"))
    return f"{mean:+.{digits}f} points [{low:+.{digits}f}, {high:+.{digits}f}]"


def percent(row: pd.Series, name: str) -> str:
    """A probability from a summary row with its interval: "12.0% [10.1, 14.2]"."""
    return f"{row[name]:.1%} [{row[name + '_low']:.1%}, {row[name + '_high']:.1%}]"


def write_reading(out: Path, title: str, paragraphs: Sequence[str]) -> Path:
    """Write ``reading.md`` (title, paragraphs) atomically, print it, return its path."""
    text = "\n\n".join([f"# {title}", *paragraphs]) + "\n"
    with atomic_write(out / "reading.md") as stream:
        stream.write(text)
    print(text)
    return out / "reading.md"
