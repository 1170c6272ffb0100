"""What a calibration writes: the posterior, its metadata, the report and three figures.

Files (in the output folder): ``posterior.csv`` (one row per particle: a column per parameter,
``weight``) and ``posterior.json`` (model version, priors, command, seed, sizes: what
``sim.posterior`` reads, ``escalation.config.posterior``); ``summary.csv`` (per parameter: prior,
posterior median and 90% interval, identification); ``generations.csv``; ``predictive.csv``
(the record month by month under the posterior and the prior); ``calibration.md``; and
``figures/marginals.png``, ``figures/pairs.png``, ``figures/predictive.png``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from escalation import __version__
from escalation.calibrate.fit import Calibration
from escalation.calibrate.record import JOINT_CLASSES, JOINT_STATES
from escalation.config.posterior import MODEL_VERSION, POSTERIOR_FILE
from escalation.figure_style import DPI, STYLE, pyplot
from escalation.files import atomic_write, formula_safe

REPORT_FILE = "calibration.md"
SUMMARY_FILE = "summary.csv"
GENERATIONS_FILE = "generations.csv"
PREDICTIVE_FILE = "predictive.csv"
MARGINALS_FILE = "marginals.png"
PAIRS_FILE = "pairs.png"
PREDICTIVE_FIGURE = "predictive.png"
MAX_PAIRS = 5
"""Most parameters in the pair plot: the best identified."""
EVENT_LABELS = {
    "nuclear_signalling": "Nuclear signalling",
    "hybrid_attacks": "Hybrid operations on NATO members",
    "strikes_on_western_forces": "Strikes on Western forces",
    "strikes_on_nato": "Strikes on NATO territory",
    "nuclear_use": "Nuclear use",
    "nato_military_response": "NATO military answer",
    "direct_conflict": "NATO-Russia war",
}


def metadata(
    result: Calibration, *, command: str, timeline: str, timeline_bytes: bytes
) -> dict[str, Any]:
    """``posterior.json``: what the posterior is of and how it was made."""
    return {
        "model_version": MODEL_VERSION,
        "priors": {name: [low, high] for name, (low, high) in result.priors.items()},
        "command": command,
        "seed": result.seed,
        "fitted": [result.record.months[0], result.until],
        "timeline": timeline,
        "timeline_sha256": hashlib.sha256(timeline_bytes).hexdigest(),
        "sizes": result.sizes,
        "effective_sample_size": round(result.ess(), 1),
        "distance": "negative mean log predictive score of the monthly record",
        "version": __version__,
    }


def write_outputs(
    result: Calibration, folder: Path, *, command: str, timeline: str, timeline_bytes: bytes
) -> list:
    """Write every file into ``folder`` (a fresh staging folder); return their names.

    ``timeline`` names the record as the user gave it (``posterior.json``), ``timeline_bytes``
    are its contents (hashed).
    """
    posterior = result.posterior.copy()
    posterior.to_csv(folder / POSTERIOR_FILE, index=False, float_format="%.8g", lineterminator="\n")
    meta = metadata(result, command=command, timeline=timeline, timeline_bytes=timeline_bytes)
    (folder / POSTERIOR_FILE).with_suffix(".json").write_text(
        json.dumps(meta, indent=2) + "\n", encoding="utf-8"
    )
    summary = result.summary()
    formula_safe(summary).to_csv(
        folder / SUMMARY_FILE, index=False, float_format="%.6g", lineterminator="\n"
    )
    result.generations.to_csv(
        folder / GENERATIONS_FILE, index=False, float_format="%.6g", lineterminator="\n"
    )
    result.predictive.to_csv(
        folder / PREDICTIVE_FILE, index=False, float_format="%.6f", lineterminator="\n"
    )
    (folder / "figures").mkdir(exist_ok=True)
    plot_marginals(result, folder / "figures" / MARGINALS_FILE)
    plot_pairs(result, folder / "figures" / PAIRS_FILE)
    plot_predictive(result, folder / "figures" / PREDICTIVE_FIGURE)
    (folder / REPORT_FILE).write_text(report(result, command=command), encoding="utf-8")
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def report(result: Calibration, *, command: str) -> str:
    """``calibration.md``: the priors against the posteriors, identification, convergence."""
    summary = result.summary()
    first, last = result.record.months[0], result.until
    sizes = result.sizes
    identified = summary[summary["identified"] == "yes"]["parameter"].tolist()
    weakly = summary[summary["identified"] == "weakly"]["parameter"].tolist()
    counts = np.bincount(result.record.joint, minlength=len(JOINT_STATES))
    lines = [
        "# Calibration",
        "",
        f"`{command}`: ABC-SMC (pyABC) of {len(result.priors)} parameters on the record from "
        f"{first} to {last} ({len(result.record.months)} months: "
        + ", ".join(f"{state} {n}" for state, n in zip(JOINT_STATES, counts, strict=True))
        + f" of {' and '.join(JOINT_CLASSES)}; no strike on Western forces or NATO, no nuclear "
        "use, no NATO military answer, no war). "
        f"{sizes['particles']} particles x {sizes['generations']} generations, "
        f"{sizes['replicates']} replicates per particle, seed {result.seed}, "
        f"{sizes['workers']} worker(s); {result.seconds:.0f} s.",
        "",
        "The distance is the negative mean log predictive score of the monthly record (lower is "
        "better); each generation's threshold is the median distance of the one before. "
        f"The posterior's effective sample size is {result.ess():.0f} of "
        f"{len(result.posterior)} particles.",
        "",
        "## What the record identifies",
        "",
        (
            f"Identified (90% posterior interval under 0.75 of the prior's): "
            f"{', '.join(identified) or 'none'}. Weakly (0.75 to 0.9): "
            f"{', '.join(weakly) or 'none'}. The others are not identified by the record: their "
            "posterior is about their prior, and every number drawn from the posterior carries "
            "their full prior width."
        ),
        "",
        "| parameter | prior | posterior median | 90% interval | width / prior's | identified |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary.sort_values("width_ratio").itertuples():
        lines.append(
            f"| {row.parameter} | {row.prior_low:g} to {row.prior_high:g} | {row.median:.3g} | "
            f"{row.q05:.3g} to {row.q95:.3g} | {row.width_ratio:.2f} | {row.identified} |"
        )
    lines += [
        "",
        "## Convergence by generation",
        "",
        "| generation | threshold | simulations | acceptance | effective sample size |",
        "|---|---|---|---|---|",
    ]
    for row in result.generations.itertuples():
        lines.append(
            f"| {row.generation + 1} | {row.epsilon:.4f} | {row.simulations} | "
            f"{row.acceptance:.1%} | {row.ess:.0f} |"
        )
    predictive = result.predictive
    lines += [
        "",
        "## Posterior-predictive check",
        "",
        "Share of the record's months in which each class happened, and its mean monthly "
        "probability under the prior and the posterior (replays of the record; "
        "`predictive.csv` has every month, `figures/predictive.png` shows them):",
        "",
        "| class | months it happened | prior | posterior |",
        "|---|---|---|---|",
    ]
    for event, rows in predictive.groupby("event", sort=False):
        lines.append(
            f"| {EVENT_LABELS[event]} | {rows['observed'].mean():.1%} | "
            f"{rows['p_prior'].mean():.1%} | {rows['p'].mean():.1%} |"
        )
    lines += [
        "",
        "Files: `posterior.csv` (what `sim.posterior` reads), `posterior.json`, `summary.csv`, "
        "`generations.csv`, `predictive.csv`, `figures/marginals.png`, `figures/pairs.png`, "
        "`figures/predictive.png`.",
        "",
    ]
    return "\n".join(lines)


def _save(fig: Any, path: Path) -> None:
    with atomic_write(path, "wb") as stream:
        fig.savefig(stream, format="png", dpi=DPI, metadata={"Software": None})


def plot_marginals(result: Calibration, path: Path) -> None:
    """Each parameter's posterior histogram over its uniform prior, identified ones first."""
    plt = pyplot()
    summary = result.summary().sort_values("width_ratio")
    names = summary["parameter"].tolist()
    columns = 6
    rows = math.ceil(len(names) / columns)
    weights = result.posterior["weight"].to_numpy()
    with plt.rc_context(STYLE | {"font.size": 8, "axes.titlesize": 9}):
        fig, axes = plt.subplots(
            rows, columns, figsize=(15, 2.1 * rows + 1), squeeze=False, layout="constrained"
        )
        for ax, row in zip(axes.ravel(), summary.itertuples(), strict=False):
            low, high = row.prior_low, row.prior_high
            bins = np.linspace(low, high, 21)
            ax.hist(
                result.posterior[row.parameter],
                bins=bins,
                weights=weights,
                density=True,
                color="tab:blue",
                alpha=0.7,
                label="posterior",
            )
            ax.axhline(1.0 / (high - low), color="black", linestyle="--", label="prior")
            ax.set_title(f"{row.parameter} ({row.width_ratio:.2f})")
            ax.set_yticks([])
        for ax in axes.ravel()[len(names) :]:
            ax.set_axis_off()
        axes[0, 0].legend(loc="upper left", fontsize=7)
        fig.suptitle(
            "Calibrated parameters: posterior (bars) against the uniform prior (dashed), on each "
            "prior's range\n(in brackets: the posterior's 90% interval over the prior's; "
            f"record {result.record.months[0]} to {result.until}, seed {result.seed})",
            fontsize=11,
        )
        _save(fig, path)
        plt.close(fig)


def plot_pairs(result: Calibration, path: Path) -> None:
    """Pair plot of the best-identified parameters: weighted histograms and scatter."""
    plt = pyplot()
    summary = result.summary().sort_values("width_ratio")
    names = summary["parameter"].tolist()[:MAX_PAIRS]
    weights = result.posterior["weight"].to_numpy()
    size = len(names)
    with plt.rc_context(STYLE | {"font.size": 8}):
        fig, axes = plt.subplots(size, size, figsize=(11, 10), squeeze=False, layout="constrained")
        for i, y in enumerate(names):
            for j, x in enumerate(names):
                ax = axes[i, j]
                bounds_x = result.priors[x]
                if i == j:
                    ax.hist(result.posterior[x], bins=20, range=bounds_x, weights=weights)
                    ax.set_yticks([])
                else:
                    ax.scatter(
                        result.posterior[x],
                        result.posterior[y],
                        s=4 + 200 * weights / weights.max() / math.sqrt(len(weights)),
                        alpha=0.4,
                    )
                    ax.set_ylim(*result.priors[y])
                ax.set_xlim(*bounds_x)
                if i == size - 1:
                    ax.set_xlabel(x)
                if j == 0 and i != j:
                    ax.set_ylabel(y)
        fig.suptitle(
            f"Posterior of the {size} best-identified parameters (each axis: its prior's range; "
            f"dot size: weight)\nrecord {result.record.months[0]} to {result.until}",
            fontsize=12,
        )
        _save(fig, path)
        plt.close(fig)


def plot_predictive(result: Calibration, path: Path) -> None:
    """The record month by month against the posterior- and prior-predictive probabilities."""
    plt = pyplot()
    table = result.predictive
    events = list(dict.fromkeys(table["event"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(
            len(events), 1, figsize=(11, 1.6 * len(events) + 1.5), sharex=True, layout="constrained"
        )
        for ax, event in zip(axes, events, strict=True):
            rows = table[table["event"] == event]
            x = np.arange(len(rows))
            ax.fill_between(
                x,
                rows["band_low"].fillna(rows["p"]),
                rows["band_high"].fillna(rows["p"]),
                color="tab:blue",
                alpha=0.25,
                step="mid",
                label="posterior 5-95% parameter band",
            )
            ax.step(x, rows["p"], where="mid", color="tab:blue", label="posterior")
            ax.step(x, rows["p_prior"], where="mid", color="grey", linestyle="--", label="prior")
            seen = x[rows["observed"].to_numpy()]
            ax.scatter(
                seen, np.ones(len(seen)), marker="v", color="black", zorder=3, label="happened"
            )
            ax.set_ylim(0, 1.08)
            ax.set_ylabel("P / month")
            ax.set_title(EVENT_LABELS[event], loc="left", fontsize=10)
        months = table["month"].drop_duplicates().tolist()
        ticks = list(range(0, len(months), 3))
        axes[-1].set_xticks(ticks, [months[i] for i in ticks], rotation=45)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=9)
        fig.suptitle(
            "Posterior-predictive check: the model's monthly probability of each Russian move "
            f"replaying the record\n(posterior vs prior; triangles: months it happened; seed "
            f"{result.seed})",
            fontsize=12,
        )
        _save(fig, path)
        plt.close(fig)
