"""Month-by-month stories of single replicates, in Markdown.

A story is read off one replicate's rows of the trajectories table (docs/MODEL.md §8) by diffing
consecutive months: a Western measure coming into force, a Ukrainian incursion, Russia's red line
being crossed, NATO's answers, stray missiles on NATO territory, lethal engagements, clashes and
NATO-Russia war starting and ending, each of Russia's actions of the month (``russian_action``
joins them with ``+``; retaliation for a crossed red line is an action of its own, the hybrid
campaign another), and how Russia's view of Western resolve moved. A sentence that recurs in
consecutive months is told once, with the months it covers (``summarise_repeats``), and months in
which nothing new happened are told as such, so every month is accounted for.
Like ``escalation.run.figures``, this module reads the results tables and never imports the
model. ``narrative.md`` ends with the pathways the model leaves out (``escalation.scope``).

The words are ``escalation.run.narrative.words``' and one month's sentences
``escalation.run.narrative.months``'; here the story is put together (``tell``): the hidden
assumptions, the months, the outcome paragraph, and which replicate to tell.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from escalation.config.schema import uncertainty_names
from escalation.files import atomic_write
from escalation.ladder import Rung
from escalation.model.actions import holds
from escalation.run.figure_data import month_label
from escalation.run.narrative.months import (
    belief_moved,
    flag,
    hostilities,
    month_events,
    nuclear_use_against_nato,
    number,
)
from escalation.run.narrative.words import (
    AMBIGUITY_ONLY,
    ASSUMPTION_WORDS,
    BELIEF_STEP,
    posture_words,
)
from escalation.scope import scope_markdown

QUIET = "No new event."
"""A month in which nothing new happened (what goes on is told with the months it covers)."""

COMMAND_LINE_HINT = "Choose another with sim.narrative_replicate=N."
"""How to tell another replicate from the command line (``escalation`` writes ``narrative.md``)."""


def _first_month(trajectory: pd.DataFrame, column: str) -> str | None:
    """``"month N (Mon YYYY)"`` of the first month a boolean column is true, or None."""
    if column not in trajectory:
        return None
    hits = trajectory[trajectory[column].fillna(False).astype(bool)]
    if hits.empty:
        return None
    first = hits.iloc[0]
    return f"month {int(first['month'])} ({month_label(first['date'])})"


def _episodes(trajectory: pd.DataFrame) -> list[tuple[int, int, bool]]:
    """NATO-Russia hostilities as (first row, last row, reached war) episodes."""
    states = [hostilities(row) for _, row in trajectory.iterrows()]
    episodes = []
    start = None
    for index, state in enumerate([*states, ""]):
        if state and start is None:
            start = index
        elif not state and start is not None:
            episodes.append((start, index - 1, "war" in states[start:index]))
            start = None
    return episodes


def _count(n: int, one: str, many: str) -> str:
    """``"1 clash"`` / ``"3 clashes"``."""
    return f"{n} {one if n == 1 else many}"


def _hostility_summary(trajectory: pd.DataFrame) -> list[str]:
    """Sentences on clashes and NATO-Russia war over the whole run."""
    episodes = _episodes(trajectory)
    if not episodes:
        return ["No NATO-Russia clash, no war."]
    wars = sum(war for _, _, war in episodes)
    sentences = [
        f"{_count(len(episodes), 'NATO-Russia clash', 'NATO-Russia clashes')}; "
        + ("none grew into war." if not wars else f"{_count(wars, 'reached', 'reached')} war.")
    ]
    if wars:
        when = _first_month(trajectory, "direct_conflict")
        sentence = "NATO-Russia war broke out" + (f" in {when}" if when else "")
        last = trajectory.iloc[-1]
        sentence += (
            " and was still under way at the end."
            if flag(last, "direct_conflict")
            else " and ended in a ceasefire."
        )
        sentences.append(sentence)
    else:
        sentences.append("No NATO-Russia war.")
    return sentences


def _engagement_summary(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> list[str]:
    """Sentences on stray missiles on NATO territory and lethal NATO-Russia engagements."""
    sentences = []
    if "spillover" in trajectory:
        strays = int(trajectory["spillover"].fillna(False).astype(bool).sum())
        sentences.append(
            f"Stray Russian missiles or drones landed on NATO territory in "
            f"{_count(strays, 'month', 'months')}."
        )
    when = _first_month(trajectory, "lethal_engagement")
    if when:
        sentences.append(f"A first lethal NATO-Russia engagement came in {when}.")
    elif "lethal_engagement" in trajectory or "lethal_engagement" in outcome:
        sentences.append(
            "There was a lethal NATO-Russia engagement."
            if flag(outcome, "lethal_engagement")
            else "No lethal NATO-Russia engagement."
        )
    return sentences


def _nuclear_summary(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> list[str]:
    """Sentences on nuclear use in Ukraine and against NATO."""
    sentences = []
    in_ukraine = _first_month(trajectory, "nuclear_use_in_ukraine")
    if in_ukraine:
        sentences.append(f"Russia used a nuclear weapon in Ukraine in {in_ukraine}.")
    rows = [row for _, row in trajectory.iterrows() if nuclear_use_against_nato(row)]
    if rows:
        first = rows[0]
        sentences.append(
            f"Russia used nuclear weapons against NATO in month {int(first['month'])} "
            f"({month_label(first['date'])})."
        )
    if not sentences:
        if flag(outcome, "nuclear_use"):
            sentences.append("Nuclear weapons were used.")
        else:
            sentences.append("No nuclear use.")
    return sentences


def _belief_summary(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> list[str]:
    """How Russia's and the West's beliefs moved over the run."""
    if not len(trajectory) or "russia_belief" not in trajectory:
        return []
    first, last = trajectory.iloc[0], trajectory.iloc[-1]
    start, end = float(first["russia_belief"]), float(last["russia_belief"])
    sentence = (
        f"Russia's estimate of Western resolve moved from {start:.2f} in month 1 to {end:.2f}"
    )
    low, high = number(last, "russia_belief_low"), number(last, "russia_belief_high")
    if low is not None and high is not None and high - low >= 0.005:
        sentence += f" (its set of beliefs ending at {low:.2f}-{high:.2f})"
    resolve = number(outcome, "western_resolve")
    if resolve is not None:
        verdict = (
            "about right"
            if abs(end - resolve) < BELIEF_STEP
            else ("an overestimate" if end > resolve else "an underestimate")
        )
        sentence += (
            f"; the West's true resolve was {resolve:.2f}, so Russia's final estimate was {verdict}"
        )
    sentences = [sentence + "."]
    if "west_belief" in trajectory:
        sentences.append(
            "The West ended putting the chance that Russia follows through on its red lines at "
            f"{float(last['west_belief']):.2f}."
        )
    return sentences


def _outcome_paragraph(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> str:
    """The closing paragraph: rung, position, Russia's actions, hostilities, nuclear, beliefs."""
    sentences = []
    max_rung = outcome.get("max_rung")
    if max_rung is None or pd.isna(max_rung):
        max_rung = trajectory["rung"].max() if len(trajectory) else None
    if max_rung is not None and not pd.isna(max_rung):
        rung = Rung(int(max_rung))
        sentences.append(f"Highest rung reached: '{rung.label}' (rung {int(rung)}).")
    final = outcome.get("ukraine_position_final")
    if (final is None or pd.isna(final)) and len(trajectory) and "position" in trajectory:
        final = trajectory["position"].iloc[-1]
    if final is not None and not pd.isna(final):
        sentence = f"Ukraine ends holding {float(final):.1f}% of its territory"
        if len(trajectory) and "position" in trajectory:
            sentence += f" ({float(trajectory['position'].iloc[0]):.1f}% at the start)"
        sentences.append(sentence + ".")
    if len(trajectory) and "domestic_strikes" in trajectory:
        strikes = int(trajectory["domestic_strikes"].fillna(False).astype(bool).sum())
        sentences.append(
            f"Ukraine struck Russia with its own drones in {strikes} of {len(trajectory)} months."
        )
    if len(trajectory) and "russian_action" in trajectory:
        actions = trajectory["russian_action"]
        signalling = int(holds(actions, "nuclear_signalling").sum())
        hybrid = int(holds(actions, "hybrid_attacks").sum())
        sentences.append(
            f"Russia engaged in nuclear signalling in "
            f"{_count(signalling, 'month', 'months')} and in hybrid attacks in "
            f"{_count(hybrid, 'month', 'months')}."
        )
    months = outcome.get("months_to_retaliation")
    if flag(outcome, "russian_retaliation"):
        when = "" if months is None or pd.isna(months) else f", first in month {int(months)}"
        sentences.append(f"Russia retaliated for a crossed red line{when}.")
    else:
        sentences.append("Russia never retaliated for a crossed red line.")
    sentences += _engagement_summary(trajectory, outcome)
    sentences += _hostility_summary(trajectory)
    sentences += _nuclear_summary(trajectory, outcome)
    sentences += _belief_summary(trajectory, outcome)
    return "**Outcome.** " + " ".join(sentences)


def _hidden_assumptions(outcome: Mapping[str, Any], posture: str) -> list[str]:
    """Every sampled assumption of the replicate, in words, in the schema's order.

    Assumptions that act only under strategic ambiguity are marked as idle under declared red
    lines; an assumption not in ``ASSUMPTION_WORDS`` is shown by name and value.
    """
    ambiguity = posture_words(posture) == "strategic ambiguity"
    assumptions = []
    for name in uncertainty_names():
        value = number(outcome, name)
        if value is None:
            continue
        words = ASSUMPTION_WORDS.get(name, lambda v, name=name: f"{name} {v:g}")(value)
        if name in AMBIGUITY_ONLY and not ambiguity:
            words += " (acts only under strategic ambiguity)"
        assumptions.append(words)
    return assumptions


def tell(
    trajectory: pd.DataFrame,
    outcome: Mapping[str, Any] | pd.Series,
    *,
    title: str,
    posture: str,
    note: str = "",
) -> str:
    """Tell the month-by-month story of one replicate in Markdown.

    Args:
        trajectory: That replicate's rows of the trajectories table (sorted by month here if
            not already); columns as ``EscalationModel.trajectories`` writes them.
        outcome: That replicate's row of the outcomes table (``replicate``, the sampled
            assumptions such as ``red_line_threshold`` and ``western_resolve``, ``max_rung``,
            ``russian_retaliation``, ``months_to_retaliation``, ``direct_conflict``,
            ``lethal_engagement``, ``nuclear_use``, ``ukraine_position_final``).
        title: Scenario title, for the header.
        posture: Western posture, e.g. ``"red_lines"`` or ``"ambiguity"`` (see ``POSTURES``).
        note: An optional sentence under the posture line (e.g. why this replicate).

    Returns:
        The story: a header with the replicate's hidden assumptions, one bullet per month (a
        sentence recurring in consecutive months told once, ``summarise_repeats``; a run of
        months that tell the same, or nothing new, sharing one bullet, ``month_bullets``), and
        an outcome paragraph.
    """
    trajectory = trajectory.sort_values("month").reset_index(drop=True)
    replicate = outcome.get("replicate")
    heading = f"### {title}"
    if replicate is not None and not pd.isna(replicate):
        heading += f" — replicate {int(replicate)}"

    lines = [heading, "", f"Western posture: {posture_words(posture)}.", ""]
    if note:
        lines += [note, ""]
    assumptions = _hidden_assumptions(outcome, posture)
    if assumptions:
        lines += ["Hidden assumptions of this replicate (sampled, as written in outcomes.csv):"]
        lines += [*(f"  - {assumption}" for assumption in assumptions), ""]

    rows = [row for _, row in trajectory.iterrows()]
    months = [int(row["month"]) for row in rows]
    events: list[list[str]] = []
    since = number(rows[0], "russia_belief") if rows else None  # the estimate last given
    for index, row in enumerate(rows):
        previous = rows[index - 1] if index else None
        following = rows[index + 1] if index + 1 < len(rows) else None
        events.append(month_events(row, previous, following, belief_since=since))
        if previous is not None and belief_moved(number(row, "russia_belief"), since):
            since = number(row, "russia_belief")
    told = [
        (month, _date_label(row), " ".join(sentences))
        for month, row, sentences in zip(
            months, rows, summarise_repeats(months, events), strict=True
        )
    ]
    lines += month_bullets(told)
    if len(trajectory):
        lines.append("")
    lines += [_outcome_paragraph(trajectory, outcome), ""]
    return "\n".join(lines)


def _date_label(row: Mapping[str, Any]) -> str:
    """A row's month as ``"Jan 2025"``; empty without a date."""
    date = row.get("date")
    return "" if date is None or pd.isna(date) else month_label(date)


def summarise_repeats(months: list[int], events: list[list[str]]) -> list[list[str]]:
    """Tell a sentence that recurs in consecutive months once, in the first month of its run.

    A run of two or more consecutive months telling the same sentence keeps it in its first
    month as ``"Russia engages in nuclear signalling (each month, months 3–9)."`` and drops it
    from the others, so that a long signalling campaign is not told on every line.

    Args:
        months: Month numbers, in order.
        events: Each month's sentences, in the same order.

    Returns:
        Each month's sentences with the repeats summarised.
    """
    kept: list[list[str]] = [[] for _ in events]
    for index, sentences in enumerate(events):
        for sentence in sentences:
            starts = not (
                index and months[index - 1] == months[index] - 1 and sentence in events[index - 1]
            )
            if not starts:
                continue
            last = index
            while (
                last + 1 < len(events)
                and months[last + 1] == months[last] + 1
                and sentence in events[last + 1]
            ):
                last += 1
            if last > index:
                sentence = f"{sentence[:-1]} (each month, months {months[index]}–{months[last]})."
            kept[index].append(sentence)
    return kept


def month_bullets(told: list[tuple[int, str, str]]) -> list[str]:
    """One bullet per month; a run of consecutive months that tell the same shares one.

    ``- **Month 4 (Jan 2025)** — ...``, or for months 11 to 18 with the same events
    ``- **Months 11–18 (Aug 2025 – Mar 2026)** — Each month: ...``; a month that tells nothing
    (empty text) is ``No new event.``, and a run of them shares one bullet too, so that every
    month is accounted for.
    """
    runs: list[list[tuple[int, str, str]]] = []
    for entry in told:
        last = runs[-1][-1] if runs else None
        if last is not None and entry[0] == last[0] + 1 and entry[2] == last[2]:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    bullets = []
    for run in runs:
        (first, first_label, text), (last, last_label, _) = run[0], run[-1]
        if not text:
            text = QUIET
        elif len(run) > 1:
            text = f"Each month: {text}"
        if len(run) == 1:
            when = f"Month {first}" + (f" ({first_label})" if first_label else "")
            bullets.append(f"- **{when}** — {text}")
            continue
        when = f"Months {first}–{last}"
        if first_label and last_label:
            when += f" ({first_label} – {last_label})"
        bullets.append(f"- **{when}** — {text}")
    return bullets


def pick_replicate(
    outcomes: pd.DataFrame, requested: int | None, *, hint: str = ""
) -> tuple[int, str]:
    """The replicate to tell and why: the requested one, else the first with a crossed red line.

    Args:
        outcomes: Outcomes table of the run, one row per replicate.
        requested: A replicate number, or None to choose.
        hint: How to choose another, added to the sentence when one was chosen (e.g.
            ``COMMAND_LINE_HINT``); none by default, as the dashboard has its own control.

    Returns:
        The replicate number and a sentence saying how it was chosen.
    """
    if requested is not None:
        return requested, f"Replicate {requested}, as requested."
    crossed = outcomes.loc[outcomes["red_lines_crossed"] > 0, "replicate"]
    if crossed.empty:
        return int(outcomes["replicate"].iloc[0]), (
            "No replicate crossed a Russian red line; this is the first replicate."
        )
    share = len(crossed) / len(outcomes)
    return int(crossed.iloc[0]), (
        f"The first replicate in which a Russian red line was crossed ({share:.0%} of "
        "replicates cross one)." + (f" {hint}" if hint else "")
    )


def write_narrative(
    trajectories: pd.DataFrame,
    outcomes: pd.DataFrame,
    replicate: int | None,
    path: str | os.PathLike[str],
    *,
    title: str,
    posture: str,
    hint: str = "",
) -> None:
    """Write the story of one replicate, then what the model leaves out, to a Markdown file.

    The file is written atomically; the excluded pathways end it (``escalation.scope``).

    Args:
        trajectories: Long trajectories table of the run, one row per (replicate, month).
        outcomes: Outcomes table of the run, one row per replicate.
        replicate: Which replicate to tell; None picks one (see ``pick_replicate``).
        path: Where to write the Markdown; its folder is created if missing.
        title: Scenario title, for the header.
        posture: Western posture (see ``tell``).
        hint: How to choose another replicate, when one was chosen (see ``pick_replicate``).

    Raises:
        KeyError: If the replicate is in neither or only one of the tables.
    """
    replicate, note = pick_replicate(outcomes, replicate, hint=hint)
    trajectory = trajectories[trajectories["replicate"] == replicate]
    rows = outcomes[outcomes["replicate"] == replicate]
    if trajectory.empty or rows.empty:
        raise KeyError(f"replicate {replicate} is missing from the trajectories or outcomes")
    text = tell(trajectory, rows.iloc[0], title=title, posture=posture, note=note)
    with atomic_write(path) as stream:
        stream.write(f"{text}\n{scope_markdown()}")
