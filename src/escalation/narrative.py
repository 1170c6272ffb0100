"""Month-by-month stories of single replicates, in Markdown.

A story is read off one replicate's rows of the trajectories table (docs/MODEL.md §8) by diffing
consecutive months: a Western measure coming into force, a Ukrainian incursion, Russia's red line
being crossed, NATO's answers, contained clashes and direct conflict starting and ending, what
Russia did, and how Russia's view of Western resolve moved. Quiet months are skipped. A hybrid
attack is told as retaliation for a crossed red line only in a month whose ``retaliation`` column
is true; otherwise it is Russia's ongoing hybrid campaign. Like ``escalation.plots``, this module
reads the results tables and never imports the model.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import pandas as pd

from escalation.files import atomic_write
from escalation.ladder import Rung
from escalation.plots import month_label

RUSSIAN_ACTIONS: dict[str, str] = {
    "nuclear_signalling": "Russia engages in nuclear signalling.",
    "hybrid_attacks": "Russia's hybrid campaign against NATO members continues.",
    "strikes_on_western_forces": "Russia strikes Western forces in Ukraine.",
    "strikes_on_nato": "Russia strikes NATO territory.",
    "nuclear_use_in_ukraine": "Russia uses a nuclear weapon in Ukraine as its front collapses.",
}
"""Each value of ``russian_action`` as a sentence, when it is not retaliation ("" = nothing)."""

RETALIATIONS: dict[str, str] = {
    "hybrid_attacks": "Russia retaliates for the crossed red line with hybrid attacks on NATO "
    "members.",
    "strikes_on_western_forces": "Russia retaliates for the crossed red line by striking "
    "Western forces in Ukraine.",
    "strikes_on_nato": "Russia retaliates for the crossed red line by striking NATO territory.",
}
"""Material actions as sentences, in a month whose ``retaliation`` column is true."""

POSTURES: dict[str, str] = {
    "declared": "declared red lines",
    "declared_red_lines": "declared red lines",
    "red_lines": "declared red lines",
    "ambiguity": "strategic ambiguity",
    "ambiguous": "strategic ambiguity",
    "strategic_ambiguity": "strategic ambiguity",
}
"""Western posture names, as configured, in words; other names are shown as given."""

BELIEF_STEP = 0.05
"""Smallest move of Russia's estimate of Western resolve that a month's story mentions."""

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

_DEEP_STRIKE_KINDS: dict[str, str] = {
    "limited": "limited strikes into Russia",
    "authorized": "deep strikes into Russia",
}
"""What each deep-strike permission level allows, in words."""

_TROOPS: dict[str, str] = {
    "none": "French troops leave Ukraine.",
    "noncombat": "France deploys non-combat ground troops to Ukraine.",
    "combat": "France deploys combat troops to Ukraine.",
}
"""Sentence when Western troop deployment changes to each level."""

_ANSWERS: dict[str, str] = {
    "hybrid_attacks": "The NATO member whose airspace Russia violated last month answers "
    "militarily.",
    "strikes_on_western_forces": "France answers last month's strike on its forces militarily.",
}
"""NATO's military answer, by the Russian action of the month before (a hybrid operation is
answered militarily only when it was a kinetic incursion; docs/MODEL.md §7.6)."""

LAW_ENFORCEMENT = (
    "The NATO member hit answers last month's sabotage with arrests and charges, not force."
)
"""A hybrid operation that was not a kinetic incursion: police and prosecutors answer it."""

_PROVOCATIONS = ("hybrid_attacks", "strikes_on_western_forces")
"""Russian attacks whose answer, or its absence, Russia learns from the next month."""

#: Reference points of the involvement scale: a name and the measures whose weights add up.
_REFERENCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the status quo (aid, advanced weapons, training abroad)", ()),
    ("the status quo plus instructors in Ukraine", ("instructors",)),
    ("instructors plus non-combat troops", ("instructors", "troops_noncombat")),
    ("instructors plus combat troops", ("instructors", "troops_combat")),
    (
        "everything at its highest (instructors, combat troops, authorised deep strikes)",
        ("instructors", "troops_combat", "deep_strikes_authorized"),
    ),
)
_STATUS_QUO = ("aid", "advanced_weapons", "training")


@lru_cache(maxsize=1)
def packaged_involvement() -> dict[str, float]:
    """How much NATO involvement Russia reads in each measure, from the packaged doctrine.

    Returns:
        ``doctrine.russia.involvement`` of ``conf/doctrine/default.yaml`` (measure -> units on
        the 0-12 involvement scale).
    """
    from importlib.resources import files

    from omegaconf import OmegaConf

    text = (files("escalation.conf") / "doctrine" / "default.yaml").read_text(encoding="utf-8")
    involvement = OmegaConf.create(text).russia.involvement
    return {str(name): float(value) for name, value in involvement.items()}


def involvement_references(weights: Mapping[str, float] | None = None) -> list[tuple[str, float]]:
    """Landmarks of the 0-12 involvement scale: what the status quo and each step add up to.

    Args:
        weights: Involvement per measure (``doctrine.russia.involvement``); the packaged
            doctrine when omitted.

    Returns:
        ``(description, involvement)`` pairs, lowest first: the status quo, then the status quo
        plus instructors, plus non-combat or combat troops, and every measure at its highest.
    """
    weights = packaged_involvement() if weights is None else weights
    status_quo = sum(weights[name] for name in _STATUS_QUO)
    return [
        (name, status_quo + sum(weights[measure] for measure in added))
        for name, added in _REFERENCES
    ]


def posture_words(posture: str) -> str:
    """Name a Western posture in words, e.g. ``"ambiguity"`` -> ``"strategic ambiguity"``.

    Args:
        posture: Posture name as configured.

    Returns:
        The posture in words.
    """
    key = str(posture).strip().lower().replace("-", "_").replace(" ", "_")
    return POSTURES.get(key, str(posture).replace("_", " "))


def red_line_words(threshold: float, weights: Mapping[str, float] | None = None) -> str:
    """Place a red line on the 0-12 involvement scale, relative to what the measures add up to.

    Involvement is the sum of what Russia reads in every measure in force (docs/MODEL.md §7),
    not a ladder rung, so the line is placed between landmarks of that sum: the status quo,
    instructors, troops (see ``involvement_references``).

    Args:
        threshold: Russia's real red line on the involvement scale.
        weights: Involvement per measure; the packaged doctrine when omitted.

    Returns:
        For example ``"6.5 on the 0-12 involvement scale (above the status quo plus instructors
        in Ukraine, 5.0; below instructors plus non-combat troops, 8.0)"``.
    """
    if math.isnan(threshold):
        return "unknown"
    scale = f"{threshold:.1f} on the 0-12 involvement scale"
    references = involvement_references(weights)
    for name, level in references:
        if math.isclose(threshold, level, abs_tol=0.05):
            return f"{scale} (at {name}, {level:.1f})"
    below = [(name, level) for name, level in references if level < threshold]
    above = [(name, level) for name, level in references if level > threshold]
    if not below:
        name, level = above[0]
        return f"{scale} (below {name}, {level:.1f}: crossed from the start)"
    if not above:
        name, level = below[-1]
        return f"{scale} (above {name}, {level:.1f}: no measure alone crosses it)"
    (low_name, low), (high_name, high) = below[-1], above[0]
    return f"{scale} (above {low_name}, {low:.1f}; below {high_name}, {high:.1f})"


def _flag(row: Mapping[str, Any] | None, column: str) -> bool:
    """A boolean column of a row, treating a missing row, column or NaN as False."""
    if row is None:
        return False
    value = row.get(column, False)
    return bool(value) if not pd.isna(value) else False


def _text(row: Mapping[str, Any] | None, column: str, default: str = "") -> str:
    """A string column of a row, treating a missing row, column or NaN as ``default``."""
    if row is None:
        return default
    value = row.get(column, default)
    return default if value is None or pd.isna(value) else str(value)


def _number(row: Mapping[str, Any] | None, column: str) -> float | None:
    """A numeric column of a row, or None when the row or column is missing or NaN."""
    if row is None:
        return None
    value = row.get(column)
    if value is None or pd.isna(value):
        return None
    return float(value)


def _hostilities(row: Mapping[str, Any] | None) -> str:
    """NATO-Russia hostilities in a month: ``"war"``, ``"clash"`` or ``""``."""
    if _flag(row, "direct_conflict"):
        return "war"
    return "clash" if _flag(row, "contained_clash") else ""


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
    kind = _DEEP_STRIKE_KINDS.get(_text(row, "deep_strikes", "prohibited"))
    if kind:
        measures.append(f"{kind} with Western weapons")
    troops = _text(row, "troops", "none")
    if troops in ("noncombat", "combat"):
        measures.append(f"French {'non-combat' if troops == 'noncombat' else 'combat'} troops")
    in_force = "; ".join(measures) if measures else "political support only"
    sentence = f"Starting situation. Western measures in force: {in_force}."
    position = _number(row, "position")
    if position is not None:
        sentence += f" Ukraine holds {position:.1f}% of its territory."
    return sentence


def _measure_events(row: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """Western measures that came into force or ended this month."""
    events = []
    for column, started, ended in _SWITCHES:
        now, before = _flag(row, column), _flag(previous, column)
        if now and not before:
            events.append(started)
        elif before and not now:
            events.append(ended)
    weapons, weapons_before = _number(row, "new_weapons"), _number(previous, "new_weapons")
    if weapons is not None and weapons_before is not None and weapons > weapons_before:
        events.append(f"NATO allies deliver a new weapon system to Ukraine ({weapons:.0f} so far).")
    events += _deep_strike_events(row, previous)
    troops = _text(row, "troops", "none")
    if troops != _text(previous, "troops", "none"):
        events.append(_TROOPS.get(troops, f"Western troops: {troops}."))
    return events


def _deep_strike_events(row: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """NATO members permitting strikes into Russia with their own long-range weapons."""
    level, level_before = (
        _text(row, "deep_strikes", "prohibited"),
        _text(previous, "deep_strikes", "prohibited"),
    )
    share, share_before = (
        _number(row, "deep_strikes_share"),
        _number(previous, "deep_strikes_share"),
    )
    widened = share is not None and share_before is not None and share > share_before + 1e-9
    if level == level_before and not widened:
        return []
    kind = _DEEP_STRIKE_KINDS.get(level)
    if kind is None:
        return ["Ukraine is again prohibited from striking into Russia with Western weapons."]
    cleared = f" ({share:.0%} of Western long-range weapons cleared)" if share is not None else ""
    if level_before == "prohibited":
        return [f"A first NATO member permits {kind} with its long-range weapons{cleared}."]
    return [f"More NATO members permit {kind} with their long-range weapons{cleared}."]


def _red_line_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """Russia's red line being crossed, or perceived involvement falling back below it."""
    if _flag(row, "red_line_crossed"):
        sentence = "Russian red line crossed"
        if previous is None:
            sentence += " by what is already in force"
        perceived = _number(row, "perceived_involvement")
        if perceived is not None:
            sentence += f": Russia reads NATO involvement at {perceived:.1f} on its 0-12 scale"
            measured = _number(row, "involvement")
            if measured is not None and perceived - measured >= 0.05:
                sentence += (
                    f" ({measured:.1f} from the measures in force, {perceived - measured:.1f} "
                    "from what the West has not excluded)"
                )
        return [sentence + "."]
    fell_back = "above_red_line" in row and not _flag(row, "above_red_line")
    if _flag(previous, "above_red_line") and fell_back:
        return ["NATO involvement as Russia perceives it falls back below its red line."]
    return []


def _hostility_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """NATO's answers, and contained clashes and direct conflict starting and ending."""
    events = []
    before, now = _hostilities(previous), _hostilities(row)
    if before == "clash" and now != "clash":
        events.append(
            "The clash grows into direct NATO-Russia conflict."
            if now == "war"
            else "The NATO-Russia clash ends without wider war."
        )
    if before == "war" and now != "war":
        events.append("Direct NATO-Russia conflict ends in a ceasefire.")
    if _flag(row, "article5_response"):
        events.append("NATO invokes Article 5 and answers the strike on its territory militarily.")
    if _flag(row, "nato_military_response"):
        last_action = _text(previous, "russian_action")
        events.append(_ANSWERS.get(last_action, "NATO answers militarily."))
    if _flag(row, "law_enforcement_response"):
        events.append(LAW_ENFORCEMENT)
    if now == "clash" and before != "clash":
        events.append("A contained NATO-Russia clash begins.")
    if now == "war" and before not in ("war", "clash"):
        events.append("Direct NATO-Russia conflict begins.")
    return events


def _russian_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """What Russia did this month, and nuclear use against NATO."""
    events = []
    action = _text(row, "russian_action")
    if action:
        if _flag(row, "retaliation") and action in RETALIATIONS:
            events.append(RETALIATIONS[action])
        else:
            events.append(RUSSIAN_ACTIONS.get(action, f"Russia: {action.replace('_', ' ')}."))
    if _nuclear_use_against_nato(row) and not _nuclear_use_against_nato(previous):
        events.append("Russia uses nuclear weapons against NATO.")
    return events


def _nuclear_use_against_nato(row: Mapping[str, Any] | None) -> bool:
    """Whether nuclear weapons have been used against NATO by this month.

    The ladder's top rung stands for exactly that; without a rung column, nuclear use that is
    not nuclear use in Ukraine.
    """
    if row is None:
        return False
    rung = _number(row, "rung")
    if rung is not None:
        return int(rung) == Rung.NUCLEAR_USE
    return _flag(row, "nuclear_use") and not _flag(row, "nuclear_use_in_ukraine")


def _belief_event(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """How Russia's estimate of Western resolve moved, when it moved by ``BELIEF_STEP``."""
    belief, before = _number(row, "russia_belief"), _number(previous, "russia_belief")
    if belief is None or before is None or abs(belief - before) < BELIEF_STEP:
        return []
    direction = "rises" if belief > before else "falls"
    sentence = (
        f"Russia's estimate of Western resolve {direction} to {belief:.2f} (from {before:.2f}"
    )
    low, high = _number(row, "russia_belief_low"), _number(row, "russia_belief_high")
    if low is not None and high is not None and high - low >= 0.005:
        sentence += f"; its set of beliefs spans {low:.2f}-{high:.2f}"
    sentence += ")."
    last_action = _text(previous, "russian_action")
    answered = _flag(row, "nato_military_response") or _flag(row, "law_enforcement_response")
    if belief < before and last_action in _PROVOCATIONS and not answered:
        sentence = "NATO leaves last month's attack unanswered. " + sentence
    return [sentence]


def _month_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """Sentences for what happened in a month, given the month before (None in month 1).

    The order follows the model's schedule: Western measures and Ukraine's operations, NATO's
    answers and the course of hostilities, then Russia's reading and its action.
    """
    events: list[str] = []
    if previous is None:
        events.append(_starting_situation(row))
    else:
        events += _measure_events(row, previous)
    if _flag(row, "incursion") and not _flag(previous, "incursion"):
        events.append("Ukraine mounts a ground incursion into Russia (as at Kursk, August 2024).")
    elif _flag(previous, "incursion") and "incursion" in row and not _flag(row, "incursion"):
        events.append("Ukraine's incursion into Russia ends.")
    events += _hostility_events(row, previous)
    events += _red_line_events(row, previous)
    events += _russian_events(row, previous)
    events += _belief_event(row, previous)
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


def _episodes(trajectory: pd.DataFrame) -> list[tuple[int, int, bool]]:
    """NATO-Russia hostilities as (first row, last row, reached direct conflict) episodes."""
    states = [_hostilities(row) for _, row in trajectory.iterrows()]
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
    """Sentences on clashes and direct conflict over the whole run."""
    episodes = _episodes(trajectory)
    if not episodes:
        return ["No NATO-Russia clash, no direct conflict."]
    wars = sum(war for _, _, war in episodes)
    sentences = [
        f"{_count(len(episodes), 'NATO-Russia clash', 'NATO-Russia clashes')}; "
        + (
            "none grew into direct conflict."
            if not wars
            else f"{_count(wars, 'reached', 'reached')} direct conflict."
        )
    ]
    if wars:
        when = _first_month(trajectory, "direct_conflict")
        sentence = "Direct NATO-Russia conflict broke out" + (f" in {when}" if when else "")
        last = trajectory.iloc[-1]
        sentence += (
            " and was still under way at the end."
            if _flag(last, "direct_conflict")
            else " and ended in a ceasefire."
        )
        sentences.append(sentence)
    else:
        sentences.append("No direct NATO-Russia conflict.")
    return sentences


def _nuclear_summary(trajectory: pd.DataFrame, outcome: Mapping[str, Any]) -> list[str]:
    """Sentences on nuclear use in Ukraine and against NATO."""
    sentences = []
    in_ukraine = _first_month(trajectory, "nuclear_use_in_ukraine")
    if in_ukraine:
        sentences.append(f"Russia used a nuclear weapon in Ukraine in {in_ukraine}.")
    rows = [row for _, row in trajectory.iterrows() if _nuclear_use_against_nato(row)]
    if rows:
        first = rows[0]
        sentences.append(
            f"Russia used nuclear weapons against NATO in month {int(first['month'])} "
            f"({month_label(first['date'])})."
        )
    if not sentences:
        if _flag(outcome, "nuclear_use"):
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
    low, high = _number(last, "russia_belief_low"), _number(last, "russia_belief_high")
    if low is not None and high is not None and high - low >= 0.005:
        sentence += f" (its set of beliefs ending at {low:.2f}-{high:.2f})"
    resolve = _number(outcome, "western_resolve")
    if resolve is not None:
        verdict = (
            "about right"
            if abs(end - resolve) < BELIEF_STEP
            else ("an overestimate" if end > resolve else "an underestimate")
        )
        sentence += f"; the West's true resolve was {resolve:.2f}, so Russia ended with {verdict}"
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
        actions = trajectory["russian_action"].fillna("").astype(str)
        sentences.append(
            f"Russia engaged in nuclear signalling in "
            f"{_count(int((actions == 'nuclear_signalling').sum()), 'month', 'months')} and in "
            f"hybrid attacks in "
            f"{_count(int((actions == 'hybrid_attacks').sum()), 'month', 'months')}."
        )
    months = outcome.get("months_to_retaliation")
    if _flag(outcome, "russian_retaliation"):
        when = "" if months is None or pd.isna(months) else f", first in month {int(months)}"
        sentences.append(f"Russia retaliated for a crossed red line{when}.")
    else:
        sentences.append("Russia never retaliated for a crossed red line.")
    sentences += _hostility_summary(trajectory)
    sentences += _nuclear_summary(trajectory, outcome)
    sentences += _belief_summary(trajectory, outcome)
    return "**Outcome.** " + " ".join(sentences)


#: Each sampled assumption in words, given its value (``uncertainty_names()``, schema order).
ASSUMPTION_WORDS: dict[str, Callable[[float], str]] = {
    "red_line_threshold": lambda v: f"Russia's real red line: {red_line_words(v)}",
    "follow_through": lambda v: (
        f"follow-through probability {v:.2f} (Russia acts once its red line is crossed)"
    ),
    "western_resolve": lambda v: f"the West's true resolve {v:.2f} (unknown to Russia)",
    "nato_cohesion": lambda v: (
        f"NATO cohesion {v:.2f} (monthly chance a member uses a strike permission)"
    ),
    "ambiguity_aversion": lambda v: (
        f"Russia's ambiguity aversion {v:.2f} (1: it fears the worst case)"
    ),
    "ambiguity_width": lambda v: f"ambiguity widens Russia's beliefs by ±{v:.2f}",
    "ambiguity_alarm": lambda v: f"Russia's alarm at what the West has not excluded {v:.2f}",
    "cost_sensitivity": lambda v: (
        f"Russia's sensitivity to the expected Western answer {v:.2f} (log-odds per unit)"
    ),
    "russian_pressure": lambda v: f"Russian pressure {v:.2f} points of territory a month",
    "measure_effectiveness": lambda v: f"Western measures {v:.2f} times as effective as assumed",
    "collapse_gain": lambda v: f"Russia's front collapses once Ukraine regains {v:.1f} points",
    "nuclear_use_in_conflict": lambda v: (
        f"monthly chance of nuclear use in direct conflict {v:.1%}"
    ),
}
#: Assumptions that act only under strategic ambiguity (docs/MODEL.md, Russia's beliefs).
AMBIGUITY_ONLY = ("ambiguity_width", "ambiguity_aversion")


def _hidden_assumptions(outcome: Mapping[str, Any], posture: str) -> list[str]:
    """Every sampled assumption of the replicate, in words, in the schema's order.

    Assumptions that act only under strategic ambiguity are marked as idle under declared red
    lines; an assumption not in ``ASSUMPTION_WORDS`` is shown by name and value.
    """
    from escalation.config import uncertainty_names

    ambiguity = posture_words(posture) == "strategic ambiguity"
    assumptions = []
    for name in uncertainty_names():
        value = _number(outcome, name)
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
            ``nuclear_use``, ``ukraine_position_final``).
        title: Scenario title, for the header.
        posture: Western posture, e.g. ``"red_lines"`` or ``"ambiguity"`` (see ``POSTURES``).
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

    lines = [heading, "", f"Western posture: {posture_words(posture)}.", ""]
    if note:
        lines += [note, ""]
    assumptions = _hidden_assumptions(outcome, posture)
    if assumptions:
        lines += ["Hidden assumptions of this replicate (sampled, as written in outcomes.csv):"]
        lines += [*(f"  - {assumption}" for assumption in assumptions), ""]

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
