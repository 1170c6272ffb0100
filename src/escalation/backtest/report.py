"""The plain-words report of a back-test (``backtest.md``) and the terminal table."""

from __future__ import annotations

import math

import pandas as pd

from escalation.backtest.figures import LABELS, RELIABILITY_FILE, TIMELINE_FILE
from escalation.scope import scope_markdown

#: A Brier skill closer to 0 than this is read as a tie: over a few dozen months, one month more
#: or less moves the skill by more.
TIE = 0.05
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
