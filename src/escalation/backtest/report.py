"""The plain-words report of a back-test (``backtest.md``) and the terminal table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from escalation.backtest.figures import LABELS, REFIT_FILE, RELIABILITY_FILE, TIMELINE_FILE
from escalation.backtest.refit import BASELINE_NAMES, fit_until
from escalation.backtest.scores import NEVER_OBSERVED, POOLED
from escalation.scope import scope_markdown

if TYPE_CHECKING:
    from escalation.backtest.refit import Refit

#: A Brier skill closer to 0 than this is read as a tie: over a few dozen months, one month more
#: or less moves the skill by more.
TIE = 0.05
#: A posterior whose effective sample size (Kish) is below this is called thin in ``refit.md``:
#: its forecast rests on a few particles.
LOW_ESS = 20
#: The last month of the window on which seven doctrine parameters were set (conf/doctrine,
#: "set with the back-test"; docs/BACKTEST.md): a scored month up to it is not out-of-sample.
FITTED_UNTIL = "2024-09"


def _number(value: float, digits: int = 3) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


def scores_markdown(scores: pd.DataFrame) -> str:
    """The scores as a Markdown table (the README and ``backtest.md`` show it)."""
    lines = [
        "| event | months | observed | Brier | Brier (base rate) | Brier skill "
        "| log score | log score (base rate) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in scores.itertuples():
        lines.append(
            f"| {row.event} | {row.months} | {row.observed_months} | {_number(row.brier)} "
            f"| {_number(row.brier_baseline)} | {_number(row.brier_skill, 2)} "
            f"| {_number(row.log_score)} | {_number(row.log_score_baseline)} |"
        )
    return "\n".join(lines)


def verdicts(forecast: pd.DataFrame, scores: pd.DataFrame, scored: pd.Series) -> list[str]:
    """One sentence per class: does the model beat the base rate, and why (calibration, sharpness).

    Args:
        forecast: The forecast table.
        scores: The scores table.
        scored: Boolean mask of ``forecast`` rows in the scored window.
    """
    sentences = []
    window = forecast[scored]
    for row in scores.itertuples():
        rows = window[window["event"] == row.event]
        name = LABELS[row.event]
        mean_p, rate = rows["p"].mean(), rows["observed"].mean()
        seen, unseen = rows.loc[rows["observed"], "p"], rows.loc[~rows["observed"], "p"]
        if row.observed_months == 0 and row.brier_baseline == 0:
            sentences.append(
                f"- **{name}**: never happened in the window and the base rate is 0, which "
                f"cannot be beaten; the model's Brier {row.brier:.1e} is the cost of "
                f"allowing for it (monthly p at most {rows['p'].max():.3f})."
            )
            continue
        beats = not math.isnan(row.brier_skill) and row.brier_skill >= TIE
        if not math.isnan(row.brier_skill) and abs(row.brier_skill) < TIE:
            verdict = "about ties the base rate"
        else:
            verdict = "beats the base rate" if beats else "does not beat the base rate"
        detail = f"mean monthly p {mean_p:.2f} against an observed rate of {rate:.2f}"
        if mean_p > rate + 0.05:
            detail += " (the model expects it too often)"
        elif mean_p < rate - 0.05:
            detail += " (the model expects it too rarely)"
        if len(seen) and len(unseen):
            detail += (
                f"; p averages {seen.mean():.2f} in the months it happened and "
                f"{unseen.mean():.2f} in the others"
            )
            if seen.mean() <= unseen.mean() + 0.01:
                detail += ", so it does not pick out the months in which it happened"
                if beats:
                    detail += " (its edge over the base rate is in the level, not the timing)"
        sentences.append(
            f"- **{name}**: {verdict} (Brier skill {_number(row.brier_skill, 2)}): {detail}."
        )
    return sentences


def backtest_markdown(
    forecast: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    scored: pd.Series,
    command: str,
    timeline: str,
    window: tuple[str, str],
    replicates: int,
    seed: int,
) -> str:
    """The ``backtest.md`` report in plain words."""
    label = scores["baseline"].iloc[0]
    in_sample = label.startswith("in-sample")
    baseline = (
        f"the constant monthly rate of each class over the scored window itself ({label}): "
        "in-sample, so it knows the answer's frequency and is hard to beat"
        if in_sample
        else f"the constant monthly rate of each class in the training window ({label})"
    )
    return "\n".join(
        [
            "# Back-test against dated history",
            "",
            f"Command: `{command}`  ",
            f"Timeline: `{timeline}`  ",
            f"Scored months: {window[0]} to {window[1]}; {replicates} replicates, seed {seed}.",
            "",
            "The replay drives the timeline's Western and Ukrainian events on their months in "
            "every replicate; Russia, NATO's answers, clashes, conflict and nuclear use are "
            "simulated. Each month the model's probability of an event class is the share of "
            "replicates in which it occurs. The baseline is " + baseline + ".",
            "",
            scores_markdown(scores),
            "",
            "Brier: mean squared error, lower is better. Brier skill = 1 − Brier / Brier(base "
            "rate): above 0 the model beats the base rate. Log score: mean natural log of the "
            f"probability given to what happened, higher (closer to 0) is better, with "
            f"probabilities clipped to [1/(2N), 1 − 1/(2N)] = [{1 / (2 * replicates):.2g}, "
            f"{1 - 1 / (2 * replicates):.6g}].",
            "",
            "## In plain words",
            "",
            *verdicts(forecast, scores, scored),
            "",
            *(
                [
                    "Not out-of-sample evidence: seven of the model's parameters (marked \"set "
                    'with the back-test" in conf/doctrine/default.yaml) were chosen on the '
                    f"record up to {FITTED_UNTIL}, which this window overlaps. A skill above 0 "
                    "shows that the model can reproduce the record, not that it forecasts it; "
                    f"score months after {FITTED_UNTIL} for that.",
                    "",
                ]
                if window[0] <= FITTED_UNTIL
                else []
            ),
            "These are a few dozen months of one war: a handful of observed months per class, "
            "so one month more or less moves a score a lot. Dates are to the month. Each class "
            "is scored on its own (the model lets Russia take several actions a month, as it "
            "did). See docs/BACKTEST.md for the method and its limits.",
            "",
            f"Figures: `figures/{TIMELINE_FILE}` (monthly p per class, observed months marked), "
            f"`figures/{RELIABILITY_FILE}` (reliability over all scored classes).",
            "",
            scope_markdown(),
        ]
    )


def _signed(value: float, digits: int = 2) -> str:
    """A skill with its sign (``+0.15``, ``−0.06``), or ``n/a``."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:+.{digits}f}".replace("-", "−")


def skill_cell(row: Any, baseline: str) -> str:
    """A skill and its 95% interval: ``+0.15 [−0.08, +0.28]``."""
    skill = getattr(row, f"skill_{baseline}")
    low, high = getattr(row, f"skill_{baseline}_low"), getattr(row, f"skill_{baseline}_high")
    if math.isnan(skill):
        return "n/a"
    return f"{_signed(skill)} [{_signed(low)}, {_signed(high)}]"


def refit_table(scores: pd.DataFrame, baselines: dict[str, str]) -> str:
    """The refit's scores as a Markdown table (the classes that happened)."""
    head = " | ".join(f"skill vs {name} [95%]" for name in baselines.values())
    briers = " | ".join(f"Brier ({name})" for name in baselines.values())
    lines = [
        f"| scored | event | months | observed | Brier (model) | {briers} | {head} |",
        "|---|---|---:|---:|---:|" + "---:|" * (2 * len(baselines)),
    ]
    for row in scores.itertuples():
        cells = [
            row.origin if row.origin == POOLED else f"from {row.origin}",
            row.event,
            str(row.months),
            str(row.observed_months),
            _number(row.brier),
            *(_number(getattr(row, f"brier_{key}")) for key in baselines),
            *(skill_cell(row, key) for key in baselines),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def skill_verdict(skill: float, low: float, high: float) -> str:
    """In words: better than the baseline, worse, or not told apart (the interval holds 0)."""
    if math.isnan(skill):
        return "cannot be scored against"
    if math.isnan(low) or low <= 0 <= high:
        return "cannot be told apart from"
    return "beats" if low > 0 else "does worse than"


def refit_verdicts(scores: pd.DataFrame, baselines: dict[str, str]) -> list[str]:
    """One bullet per class that happened: the pooled skill against each baseline, in words."""
    bullets = []
    pooled = scores[(scores["origin"] == POOLED) & (scores["note"] != NEVER_OBSERVED)]
    origins = [origin for origin in dict.fromkeys(scores["origin"]) if origin != POOLED]
    for row in pooled.itertuples():
        parts = []
        for key, name in baselines.items():
            skill = getattr(row, f"skill_{key}")
            low, high = getattr(row, f"skill_{key}_low"), getattr(row, f"skill_{key}_high")
            parts.append(f"{skill_verdict(skill, low, high)} the {name} ({skill_cell(row, key)})")
        per_origin = scores[(scores["event"] == row.event) & (scores["origin"] != POOLED)]
        counts = ", ".join(
            f"{int((per_origin[f'skill_{key}'] > 0).sum())} against the {name}"
            for key, name in baselines.items()
        )
        bullets.append(
            f"- **{LABELS[row.event]}** ({row.observed_months} of {row.months} origin-months "
            f"observed; Brier {row.brier:.3f}): pooled, the refitted model "
            + "; ".join(parts)
            + f". Of the {len(origins)} origins, the skill is above 0 at {counts}."
        )
    return bullets


def refit_markdown(result: Refit, *, command: str, timeline: str, fit: str) -> str:
    """The ``refit.md`` report in plain words, whatever the scores show.

    Args:
        result: The refit.
        command: The command as typed.
        timeline: How to name the timeline.
        fit: What fitted each origin's posterior (the calibration and its sizes).
    """
    scores = result.scores
    baselines = dict(BASELINE_NAMES)
    never = scores[(scores["origin"] == POOLED) & (scores["note"] == NEVER_OBSERVED)]
    informative = scores[scores["note"] != NEVER_OBSERVED]
    ess = result.ess()
    fits = ", ".join(
        f"{origin} (fitted {result.timeline.first_month} to {fit_until(origin)}, "
        f"{int((result.posteriors['origin'] == origin).sum())} particles, effective sample "
        f"size {ess[origin]:.0f})"
        for origin in result.origins
    )
    unfitted = sorted({name for names in result.unfitted.values() for name in names})
    thin = [origin for origin in result.origins if ess[origin] < LOW_ESS]
    never_lines = [
        f"- {LABELS[row.event]}: model Brier {row.brier:.1e}; baselines "
        + ", ".join(f"{getattr(row, f'brier_{key}'):.1e}" for key in baselines)
        for row in never.itertuples()
    ]
    return "\n".join(
        [
            "# Back-test refitted at rolling origins",
            "",
            f"Command: `{command}`  ",
            f"Timeline: `{timeline}`  ",
            f"Origins: {fits}. Each origin's months up to {result.end} are scored.  ",
            f"Fit: {fit}.  ",
            f"Forecast: {result.draws} particles drawn by weight from each posterior, "
            f"{result.replicates} replicates each, seed {result.seed}. Intervals: moving-block "
            f"bootstrap of the scored months, {result.block}-month blocks, "
            f"{result.resamples:,} resamples.",
            "",
            "At each origin the model's parameters are calibrated on the record's months before "
            "it only; the months from the origin on are then forecast with the "
            "posterior-predictive probability (the share of replicates, over the posterior's "
            "particles, in which each Russian move occurs), given the West's and Ukraine's "
            "recorded moves, and scored against three forecasters that use only the months "
            "before the month they forecast: the expanding-window rate and the trailing "
            "12-month rate (both (k + 1) / (n + 2)), and a logistic time trend fitted on the "
            "months before the origin.",
            "",
            refit_table(informative, baselines),
            "",
            "Brier: mean squared error, lower is better. Skill = 1 − Brier(model) / "
            "Brier(baseline): above 0 the model is better. In brackets the 95% interval; "
            "pooled rows count a month once per origin that scores it.",
            "",
            "## In plain words",
            "",
            *refit_verdicts(scores, baselines),
            "",
            "An interval that holds 0 means these months cannot tell the model from the "
            "baseline: with a handful of observed months per class, only a large difference "
            "shows.",
            "",
            *(
                [
                    "Never observed in the record (reported in `refit_scores.csv`, marked "
                    f'"{NEVER_OBSERVED}"): a Laplace rate never forecasts 0, so the model\'s '
                    "skill against it is positive by construction and says nothing; the Brier "
                    "scores say what allowing for them costs (pooled):",
                    "",
                    *never_lines,
                    "",
                ]
                if len(never)
                else []
            ),
            "## What this shows and what it does not",
            "",
            *(
                [
                    f"- **Thin posteriors**: at {', '.join(thin)} the posterior's effective "
                    f"sample size is below {LOW_ESS} "
                    f"({', '.join(f'{ess[origin]:.1f}' for origin in thin)}): the forecast rests "
                    "on a few particles, so it understates what the parameters leave unknown "
                    "and its scores are those of nearly one parameter set. Calibrate with more "
                    "particles or generations before reading them."
                ]
                if thin
                else []
            ),
            "- Out-of-sample for the calibrated parameters only: the doctrine constants without "
            "a prior (conf/prior) keep their values, chosen with the whole record in view.",
            "- The forecast is conditional on what the West and Ukraine did after the origin "
            "(the replay drives their recorded moves); it tests Russia's side of the model.",
            *(
                [
                    "- Parameters the fit left out were drawn from their prior: "
                    + ", ".join(unfitted)
                    + "."
                ]
                if unfitted
                else []
            ),
            "- Few months: one month coded differently moves a Brier score over n months by up "
            "to 1/n (0.08 over 12). Each class is scored on its own.",
            "",
            f"Files: `refit_forecast.csv` (every origin's monthly p, its parameter band and the "
            f"baselines' p), `refit_scores.csv`, `refit_posteriors.csv`, `figures/{REFIT_FILE}` "
            "(skill against each baseline with its interval, per class).",
            "",
            scope_markdown(),
        ]
    )
