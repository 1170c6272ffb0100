"""Month-by-month stories of single replicates, in Markdown.

A story is read off one replicate's rows of the trajectories table by diffing consecutive
months: a Western measure coming into force (or being withdrawn), Russia's red line being
crossed, what Russia did, NATO's military answer, the start of direct conflict and of nuclear
use. Quiet months are skipped. Like ``escalation.plots``, this module reads the results tables
and never imports the model.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from escalation.files import atomic_write
from escalation.ladder import Rung
from escalation.plots import month_label

RUSSIAN_ACTIONS: dict[str, str] = {
    "rhetoric": "Russia protests but does not act.",
    "nuclear_signalling": "Russia answers with nuclear signalling.",
    "hybrid_attacks": "Russia answers with hybrid attacks on NATO members.",
    "strikes_on_western_forces": "Russia strikes Western forces in Ukraine.",
    "strikes_on_nato": "Russia strikes NATO territory.",
}
"""What each value of ``russian_action`` means, as a sentence ("" means no decision)."""

POSTURES: dict[str, str] = {
    "declared": "declared red lines",
    "declared_red_lines": "declared red lines",
    "red_lines": "declared red lines",
    "ambiguity": "strategic ambiguity",
    "ambiguous": "strategic ambiguity",
    "strategic_ambiguity": "strategic ambiguity",
}
"""Western posture names, as configured, in words; other names are shown as given."""

_SWITCHES: tuple[tuple[str, str, str], ...] = (
    (
        "aid",
        "NATO allies send military aid to Ukraine.",
        "NATO allies stop military aid to Ukraine.",
    ),
    (
        "advanced_weapons",
        "NATO allies supply advanced weapons (air defence, tanks, artillery) to Ukraine.",
        "NATO allies stop supplying advanced weapons to Ukraine.",
    ),
    (
        "training",
        "France and its allies start training Ukrainian soldiers outside Ukraine.",
        "France and its allies stop training Ukrainian soldiers outside Ukraine.",
    ),
    (
        "instructors_inside",
        "France sends military instructors into Ukraine.",
        "French instructors leave Ukraine.",
    ),
)
"""Boolean Western measures: column, sentence when it comes into force, when it ends."""

_DEEP_STRIKES: dict[str, str] = {
    "prohibited": "Ukraine is again prohibited from striking into Russia with Western weapons.",
    "limited": "NATO allows Ukraine limited strikes into Russia with Western long-range weapons.",
    "authorized": "NATO authorises Ukraine to strike deep into Russia with Western long-range "
    "weapons.",
}
"""Sentence when the deep-strike permission changes to each level."""

_TROOPS: dict[str, str] = {
    "none": "French troops leave Ukraine.",
    "noncombat": "France deploys non-combat ground troops to Ukraine.",
    "combat": "France deploys combat troops to Ukraine.",
}
"""Sentence when Western troop deployment changes to each level."""


def posture_words(posture: str) -> str:
    """Name a Western posture in words, e.g. ``"ambiguity"`` -> ``"strategic ambiguity"``.

    Args:
        posture: Posture name as configured.

    Returns:
        The posture in words.
    """
    key = str(posture).strip().lower().replace("-", "_").replace(" ", "_")
    return POSTURES.get(key, str(posture).replace("_", " "))


def red_line_words(threshold: float) -> str:
    """Place a red line on the ladder in words.

    Args:
        threshold: Red line on the 0-10 involvement scale of the ladder.

    Returns:
        For example ``"5.2 on the ladder (between 'Western instructors in Ukraine' and 'Deep
        strikes into Russia')"``, or ``"at '...'"`` when the red line sits on a rung.
    """
    top = max(Rung)
    if math.isnan(threshold):
        return "unknown"
    if threshold <= 0:
        return f"{threshold:.1f} on the ladder (at or below '{Rung(0).label}')"
    if threshold >= top:
        return f"{threshold:.1f} on the ladder (at or above '{top.label}')"
    below = Rung(math.floor(threshold))
    if threshold == below:
        return f"{threshold:.1f} on the ladder (at '{below.label}')"
    above = Rung(below + 1)
    return f"{threshold:.1f} on the ladder (between '{below.label}' and '{above.label}')"


def _flag(row: Mapping[str, Any], column: str) -> bool:
    """A boolean column of a row, treating a missing column or NaN as False."""
    value = row.get(column, False)
    return bool(value) if not pd.isna(value) else False


def _text(row: Mapping[str, Any], column: str, default: str = "") -> str:
    """A string column of a row, treating a missing column or NaN as ``default``."""
    value = row.get(column, default)
    return default if value is None or pd.isna(value) else str(value)


def _starting_situation(row: Mapping[str, Any]) -> str:
    """Describe the Western measures in force in the first month."""
    measures = []
    if _flag(row, "aid"):
        measures.append("military aid")
    if _flag(row, "advanced_weapons"):
        measures.append("advanced weapons for Ukraine")
    if _flag(row, "training"):
        measures.append("training of Ukrainian soldiers outside Ukraine")
    if _flag(row, "instructors_inside"):
        measures.append("French military instructors inside Ukraine")
    deep_strikes = _text(row, "deep_strikes", "prohibited")
    if deep_strikes == "limited":
        measures.append("limited strikes into Russia with Western weapons")
    elif deep_strikes == "authorized":
        measures.append("deep strikes into Russia with Western weapons")
    troops = _text(row, "troops", "none")
    if troops in ("noncombat", "combat"):
        measures.append(f"French {'non-combat' if troops == 'noncombat' else 'combat'} troops")
    in_force = "; ".join(measures) if measures else "political support only"
    sentence = f"Starting situation. Western measures in force: {in_force}."
    if "position" in row and not pd.isna(row["position"]):
        sentence += f" Ukraine holds {float(row['position']):.1f}% of its territory."
    return sentence


def _month_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """Sentences for what happened in a month, given the month before (None in month 1)."""
    events: list[str] = []
    if previous is None:
        events.append(_starting_situation(row))
    else:
        for column, started, ended in _SWITCHES:
            now, before = _flag(row, column), _flag(previous, column)
            if now and not before:
                events.append(started)
            elif before and not now:
                events.append(ended)
        deep_strikes = _text(row, "deep_strikes", "prohibited")
        if deep_strikes != _text(previous, "deep_strikes", "prohibited"):
            events.append(
                _DEEP_STRIKES.get(deep_strikes, f"Deep-strike permission: {deep_strikes}.")
            )
        troops = _text(row, "troops", "none")
        if troops != _text(previous, "troops", "none"):
            events.append(_TROOPS.get(troops, f"Western troops: {troops}."))
    if _flag(row, "red_line_crossed"):
        sentence = "Russian red line crossed"
        involvement = row.get("perceived_involvement")
        if involvement is not None and not pd.isna(involvement):
            sentence += (
                f" (Russia now sees NATO involvement at {float(involvement):.1f} on the ladder)"
            )
        events.append(sentence + ".")
    action = _text(row, "russian_action")
    if action:
        events.append(RUSSIAN_ACTIONS.get(action, f"Russia: {action.replace('_', ' ')}."))
    if _flag(row, "nato_military_response"):
        events.append("NATO answers militarily.")
    if _flag(row, "direct_conflict") and (
        previous is None or not _flag(previous, "direct_conflict")
    ):
        events.append("Direct NATO-Russia conflict begins.")
    if _flag(row, "nuclear_use") and (previous is None or not _flag(previous, "nuclear_use")):
        events.append("Nuclear weapons are used.")
    return events


def _first_month(trajectory: pd.DataFrame, column: str) -> str | None:
    """``"month N (Mon YYYY)"`` of the first month a boolean column is true, or None."""
    if column not in trajectory:
        return None
    hits = trajectory[trajectory[column].fillna(False).astype(bool)]
    if hits.empty:
        return None
    first = hits.iloc[0]
    return f"month {int(first['month'])} ({month_label(first['date'])})"


def _outcome_paragraph(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> str:
    """The closing paragraph: highest rung, final position, retaliation, conflict, nuclear use."""
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
    months = outcome.get("months_to_retaliation")
    if _flag(outcome, "russian_retaliation"):
        when = "" if months is None or pd.isna(months) else f" first in month {int(months)}"
        sentences.append(f"Russia retaliated{when}.")
    else:
        sentences.append("Russia never retaliated.")
    if _flag(outcome, "direct_conflict"):
        when = _first_month(trajectory, "direct_conflict")
        sentences.append(
            "Direct NATO-Russia conflict broke out" + (f" in {when}." if when else ".")
        )
    else:
        sentences.append("No direct NATO-Russia conflict.")
    if _flag(outcome, "nuclear_use"):
        when = _first_month(trajectory, "nuclear_use")
        sentences.append("Nuclear weapons were used" + (f" in {when}." if when else "."))
    else:
        sentences.append("No nuclear use.")
    if len(trajectory) and {"west_belief", "russia_belief"} <= set(trajectory.columns):
        last = trajectory.iloc[-1]
        sentences.append(
            f"By the end, the West put the chance that Russia follows through on its red lines "
            f"at {float(last['west_belief']):.2f}, and Russia put Western resolve at "
            f"{float(last['russia_belief']):.2f}."
        )
    return "**Outcome.** " + " ".join(sentences)


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
            not already).
        outcome: That replicate's row of the outcomes table (``replicate``,
            ``red_line_threshold``, ``follow_through``, ``nato_cohesion``, ``max_rung``,
            ``russian_retaliation``, ``months_to_retaliation``, ``direct_conflict``,
            ``nuclear_use``, ``ukraine_position_final``).
        title: Scenario title, for the header.
        posture: Western posture, e.g. ``"declared"`` or ``"ambiguity"`` (see ``POSTURES``).
        note: An optional sentence under the posture line (e.g. why this replicate).

    Returns:
        The story: a header with the replicate's hidden assumptions, one bullet per month in
        which something happened, and an outcome paragraph.
    """
    trajectory = trajectory.sort_values("month").reset_index(drop=True)
    replicate = outcome.get("replicate")
    heading = f"# {title}"
    if replicate is not None and not pd.isna(replicate):
        heading += f" — replicate {int(replicate)}"

    assumptions = []
    threshold = outcome.get("red_line_threshold")
    if threshold is not None and not pd.isna(threshold):
        assumptions.append(f"Russia's real red line: {red_line_words(float(threshold))}")
    follow_through = outcome.get("follow_through")
    if follow_through is not None and not pd.isna(follow_through):
        assumptions.append(f"follow-through probability {float(follow_through):.2f}")
    cohesion = outcome.get("nato_cohesion")
    if cohesion is not None and not pd.isna(cohesion):
        assumptions.append(f"NATO cohesion {float(cohesion):.2f}")

    lines = [heading, "", f"Western posture: {posture_words(posture)}.", ""]
    if note:
        lines += [note, ""]
    if assumptions:
        lines += [f"Hidden assumptions of this replicate — {'; '.join(assumptions)}.", ""]

    previous: Mapping[str, Any] | None = None
    for _, row in trajectory.iterrows():
        events = _month_events(row, previous)
        if events:
            when = f"Month {int(row['month'])}"
            if "date" in row and not pd.isna(row["date"]):
                when += f" ({month_label(row['date'])})"
            lines.append(f"- **{when}** — {' '.join(events)}")
        previous = row
    if len(trajectory):
        lines.append("")
    lines += [_outcome_paragraph(trajectory, outcome), ""]
    return "\n".join(lines)


def pick_replicate(outcomes: pd.DataFrame, requested: int | None) -> tuple[int, str]:
    """The replicate to tell and why: the requested one, else the first with a crossed red line.

    Args:
        outcomes: Outcomes table of the run, one row per replicate.
        requested: A replicate number, or None to choose.

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
        "replicates cross one); choose another with sim.narrative_replicate=N."
    )


def write_narrative(
    trajectories: pd.DataFrame,
    outcomes: pd.DataFrame,
    replicate: int | None,
    path: str | os.PathLike[str],
    *,
    title: str,
    posture: str,
) -> None:
    """Write the story of one replicate to a Markdown file, atomically.

    Args:
        trajectories: Long trajectories table of the run, one row per (replicate, month).
        outcomes: Outcomes table of the run, one row per replicate.
        replicate: Which replicate to tell; None picks one (see ``pick_replicate``).
        path: Where to write the Markdown; its folder is created if missing.
        title: Scenario title, for the header.
        posture: Western posture (see ``tell``).

    Raises:
        KeyError: If the replicate is in neither or only one of the tables.
    """
    replicate, note = pick_replicate(outcomes, replicate)
    trajectory = trajectories[trajectories["replicate"] == replicate]
    rows = outcomes[outcomes["replicate"] == replicate]
    if trajectory.empty or rows.empty:
        raise KeyError(f"replicate {replicate} is missing from the trajectories or outcomes")
    text = tell(trajectory, rows.iloc[0], title=title, posture=posture, note=note)
    with atomic_write(path) as stream:
        stream.write(text)
