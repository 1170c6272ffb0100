"""One month of a replicate's story: what changed since the month before, in sentences.

Each month of one replicate's trajectory rows (docs/MODEL.md §8) is compared with the month
before: Western measures and Ukraine's operations, NATO's answers and the course of hostilities,
Russia's red line, what Russia did, and how its view of Western resolve moved. The row readers
treat a missing row, column or NaN as nothing happened, so older tables still tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from escalation.ladder import Rung
from escalation.run.narrative.words import (
    ANSWER_AT_START,
    ANSWERS,
    BELIEF_STEP,
    DEEP_STRIKE_KINDS,
    KINETIC_INCURSION,
    LAW_ENFORCEMENT,
    LAW_ENFORCEMENT_AT_START,
    LETHAL_ANSWER,
    LETHAL_STRIKE,
    PROVOCATIONS,
    RUSSIAN_ACTIONS,
    SABOTAGE,
    SPILLOVER,
    SPILLOVER_ANSWER,
    STRIKES,
    SWITCHES,
    TROOP_CHANGES,
)


def flag(row: Mapping[str, Any] | None, column: str) -> bool:
    """A boolean column of a row, treating a missing row, column or NaN as False."""
    if row is None:
        return False
    value = row.get(column, False)
    return bool(value) if not pd.isna(value) else False


def text(row: Mapping[str, Any] | None, column: str, default: str = "") -> str:
    """A string column of a row, treating a missing row, column or NaN as ``default``."""
    if row is None:
        return default
    value = row.get(column, default)
    return default if value is None or pd.isna(value) else str(value)


def number(row: Mapping[str, Any] | None, column: str) -> float | None:
    """A numeric column of a row, or None when the row or column is missing or NaN."""
    if row is None:
        return None
    value = row.get(column)
    if value is None or pd.isna(value):
        return None
    return float(value)


def hostilities(row: Mapping[str, Any] | None) -> str:
    """NATO-Russia hostilities in a month: ``"war"``, ``"clash"`` or ``""``."""
    if flag(row, "direct_conflict"):
        return "war"
    return "clash" if flag(row, "contained_clash") else ""


def _starting_situation(row: Mapping[str, Any]) -> str:
    """Describe the Western measures in force in the first month."""
    measures = []
    if flag(row, "aid"):
        measures.append("military aid")
    if flag(row, "advanced_weapons"):
        weapons = number(row, "new_weapons") or 0
        systems = f" ({weapons:.0f} new weapon systems since the first)" if weapons else ""
        measures.append(f"advanced weapons for Ukraine{systems}")
    if flag(row, "training"):
        measures.append("training of Ukrainian soldiers outside Ukraine")
    if flag(row, "instructors_inside"):
        measures.append("French military instructors inside Ukraine")
    kind = DEEP_STRIKE_KINDS.get(text(row, "deep_strikes", "prohibited"))
    if kind:
        measures.append(f"{kind} with Western weapons{_cleared(number(row, 'deep_strikes_share'))}")
    troops = text(row, "troops", "none")
    if troops in ("noncombat", "combat"):
        measures.append(f"French {'non-combat' if troops == 'noncombat' else 'combat'} troops")
    in_force = "; ".join(measures) if measures else "political support only"
    sentence = f"Starting situation. Western measures in force: {in_force}."
    position = number(row, "position")
    if position is not None:
        sentence += f" Ukraine holds {position:.1f}% of its territory."
    if flag(row, "incursion"):
        sentence += " Its incursion into Russia holds ground (as at Kursk since August 2024)."
    return sentence


def _measure_events(row: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """Western measures that came into force or ended this month."""
    events = []
    for column, started, ended in SWITCHES:
        now, before = flag(row, column), flag(previous, column)
        if now and not before:
            events.append(started)
        elif before and not now:
            events.append(ended)
    weapons, weapons_before = number(row, "new_weapons"), number(previous, "new_weapons")
    if weapons is not None and weapons_before is not None and weapons > weapons_before:
        events.append(f"NATO allies deliver a new weapon system to Ukraine ({weapons:.0f} so far).")
    events += _deep_strike_events(row, previous)
    troops = text(row, "troops", "none")
    if troops != text(previous, "troops", "none"):
        events.append(TROOP_CHANGES.get(troops, f"Western troops: {troops}."))
    return events


def _deep_strike_events(row: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    """NATO members permitting strikes into Russia with their own long-range weapons."""
    level, level_before = (
        text(row, "deep_strikes", "prohibited"),
        text(previous, "deep_strikes", "prohibited"),
    )
    share, share_before = (
        number(row, "deep_strikes_share"),
        number(previous, "deep_strikes_share"),
    )
    widened = share is not None and share_before is not None and share > share_before + 1e-9
    if level == level_before and not widened:
        return []
    kind = DEEP_STRIKE_KINDS.get(level)
    if kind is None:
        return ["Ukraine is again prohibited from striking into Russia with Western weapons."]
    cleared = _cleared(share)
    if level_before == "prohibited":
        return [f"A first NATO member permits {kind} with its long-range weapons{cleared}."]
    return [f"More NATO members permit {kind} with their long-range weapons{cleared}."]


def _cleared(share: float | None) -> str:
    """`` (75% of Western long-range weapons cleared)``; empty without a share."""
    return f" ({share:.0%} of Western long-range weapons cleared)" if share is not None else ""


def _red_line_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """Russia's red line being crossed, or perceived involvement falling back below it."""
    if flag(row, "red_line_crossed"):
        sentence = "Russian red line crossed"
        if previous is None:
            sentence += " by what is already in force"
        perceived = number(row, "perceived_involvement")
        if perceived is not None:
            sentence += f": Russia reads NATO involvement at {perceived:.1f} on its scale"
            measured = number(row, "involvement")
            if measured is not None and perceived - measured >= 0.05:
                sentence += (
                    f" ({measured:.1f} from the measures in force, {perceived - measured:.1f} "
                    "from what the West has not excluded)"
                )
        return [sentence + "."]
    fell_back = "above_red_line" in row and not flag(row, "above_red_line")
    if flag(previous, "above_red_line") and fell_back:
        return ["NATO involvement as Russia perceives it falls back below its red line."]
    return []


def _hostility_events(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> list[str]:
    """NATO's answers, spill-over, lethal engagements, and clashes and war starting and ending."""
    events = []
    before, now = hostilities(previous), hostilities(row)
    if before == "clash" and now != "clash":
        events.append(
            "The clash grows into NATO-Russia war."
            if now == "war"
            else "The NATO-Russia clash ends without wider war."
        )
    if before == "war" and now != "war":
        events.append("The NATO-Russia war ends in a ceasefire.")
    if flag(row, "article5_response"):
        events.append("NATO invokes Article 5 and answers the strike on its territory militarily.")
    if flag(row, "spillover"):
        events.append(SPILLOVER)
    if flag(row, "nato_military_response"):
        events.append(_military_answer(row, previous))
    if flag(row, "law_enforcement_response"):
        events.append(LAW_ENFORCEMENT if previous is not None else LAW_ENFORCEMENT_AT_START)
    if flag(row, "lethal_engagement") and now != "war":
        struck = any(name in STRIKES for name in actions(previous))
        events.append(LETHAL_STRIKE if struck else LETHAL_ANSWER)
    if now == "clash" and before != "clash":
        events.append("A contained NATO-Russia clash begins.")
    if now == "war" and before not in ("war", "clash"):
        events.append("NATO-Russia war begins.")
    return events


def _military_answer(row: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str:
    """What NATO answered militarily this month: last month's Russian attack, or a spill-over.

    In month 1 last month's attack came before the story (``ANSWER_AT_START``).

    Last month's hybrid operation was sabotage, not an incursion, when the police answer it this
    month (``law_enforcement_response``); only a kinetic incursion is answered by force.
    """
    answerable = actions(previous)
    if flag(row, "law_enforcement_response"):
        answerable = [name for name in answerable if name != "hybrid_attacks"]
    answer = next((sentence for name, sentence in ANSWERS.items() if name in answerable), None)
    if answer:
        return answer
    if flag(row, "spillover"):
        return SPILLOVER_ANSWER
    return "NATO answers militarily." if previous is not None else ANSWER_AT_START


def _russian_events(
    row: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    following: Mapping[str, Any] | None,
) -> list[str]:
    """What Russia did this month, and nuclear use against NATO."""
    events = []
    for action in actions(row):
        if action == "hybrid_attacks":
            events.append(_hybrid_operation(following))
        else:
            events.append(RUSSIAN_ACTIONS.get(action, f"Russia: {action.replace('_', ' ')}."))
    if nuclear_use_against_nato(row) and not nuclear_use_against_nato(previous):
        events.append("Russia uses nuclear weapons against NATO.")
    return events


def _hybrid_operation(following: Mapping[str, Any] | None) -> str:
    """A hybrid operation told as what it was: sabotage or a kinetic incursion (MODEL.md §7.6).

    The model draws the kind the month after, when NATO answers: sabotage is met by the police
    then (``law_enforcement_response`` of the following month), a kinetic incursion is not.
    Without a following month or that column the kind is unknown and not told.
    """
    if following is None or "law_enforcement_response" not in following:
        return RUSSIAN_ACTIONS["hybrid_attacks"]
    return SABOTAGE if flag(following, "law_enforcement_response") else KINETIC_INCURSION


def actions(row: Mapping[str, Any] | None) -> list[str]:
    """A month's Russian actions: ``russian_action`` split on ``+`` (none: an empty list)."""
    return [name for name in text(row, "russian_action").split("+") if name]


def nuclear_use_against_nato(row: Mapping[str, Any] | None) -> bool:
    """Whether nuclear weapons have been used against NATO by this month.

    The ladder's top rung stands for exactly that; without a rung column, nuclear use that is
    not nuclear use in Ukraine.
    """
    if row is None:
        return False
    rung = number(row, "rung")
    if rung is not None:
        return int(rung) == Rung.NUCLEAR_USE
    return flag(row, "nuclear_use") and not flag(row, "nuclear_use_in_ukraine")


def belief_moved(belief: float | None, before: float | None) -> bool:
    """Whether Russia's estimate moved by ``BELIEF_STEP`` or more from ``before`` (both known)."""
    return belief is not None and before is not None and abs(belief - before) >= BELIEF_STEP


def _belief_event(
    row: Mapping[str, Any], previous: Mapping[str, Any] | None, since: float | None
) -> list[str]:
    """How Russia's estimate of Western resolve moved, when it moved by ``BELIEF_STEP``.

    The move is from ``since``, the estimate the story last gave (the month before's when None),
    so that each line starts from the number the one before ended on.
    """
    if previous is None:
        return []
    belief = number(row, "russia_belief")
    before = number(previous, "russia_belief") if since is None else since
    if not belief_moved(belief, before):
        return []
    direction = "rises" if belief > before else "falls"
    sentence = (
        f"Russia's estimate of Western resolve {direction} to {belief:.2f} (from {before:.2f}"
    )
    low, high = number(row, "russia_belief_low"), number(row, "russia_belief_high")
    if low is not None and high is not None and high - low >= 0.005:
        sentence += f"; its set of beliefs spans {low:.2f}-{high:.2f}"
    sentence += ")."
    provoked = any(action in PROVOCATIONS for action in actions(previous))
    answered = flag(row, "nato_military_response") or flag(row, "law_enforcement_response")
    if belief < before and provoked and not answered:
        sentence = "NATO leaves last month's attack unanswered. " + sentence
    return [sentence]


def month_events(
    row: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    following: Mapping[str, Any] | None = None,
    *,
    belief_since: float | None = None,
) -> list[str]:
    """Sentences for what happened in a month, given the month before (None in month 1).

    The order follows the model's schedule: Western measures and Ukraine's operations, NATO's
    answers and the course of hostilities, then Russia's reading and its action.

    Args:
        row: The month's trajectory row.
        previous: The month before's row; None in month 1.
        following: The month after's row, which tells what a hybrid operation was (None in the
            last month).
        belief_since: Russia's estimate of Western resolve as the story last gave it; None for
            the month before's.

    Returns:
        The month's sentences, in order.
    """
    events: list[str] = []
    if previous is None:
        events.append(_starting_situation(row))
    else:
        events += _measure_events(row, previous)
    if flag(row, "incursion") and previous is not None and not flag(previous, "incursion"):
        events.append("Ukraine mounts a ground incursion into Russia (as at Kursk, August 2024).")
    elif flag(previous, "incursion") and "incursion" in row and not flag(row, "incursion"):
        events.append("Ukraine's incursion into Russia ends.")
    events += _hostility_events(row, previous)
    events += _red_line_events(row, previous)
    events += _russian_events(row, previous, following)
    events += _belief_event(row, previous, belief_since)
    return events
