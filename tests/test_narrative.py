"""Tests of the month-by-month story of one replicate, on a scripted six-month replicate."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from escalation import narrative

BASE = {
    "rung": 3,
    "western_rung": 3,
    "advanced_weapons": True,
    "training": True,
    "instructors_inside": False,
    "deep_strikes": "prohibited",
    "troops": "none",
    "perceived_involvement": 3.0,
    "red_line_crossed": False,
    "russian_action": "",
    "nato_military_response": False,
    "direct_conflict": False,
    "nuclear_use": False,
    "west_belief": 0.5,
    "russia_belief": 0.5,
}

# What changes from BASE, month by month (changes persist unless they are one-month events).
SCRIPT = {
    1: {},  # starting situation
    2: {},  # quiet
    3: {"rung": 6, "western_rung": 6, "deep_strikes": "limited", "russian_action": "rhetoric"},
    4: {
        "instructors_inside": True,
        "perceived_involvement": 5.6,
        "red_line_crossed": True,
        "russian_action": "hybrid_attacks",
        "rung": 7,
    },
    5: {"rung": 7},  # quiet: nothing new in force, no decision
    6: {
        "rung": 10,
        "russian_action": "strikes_on_western_forces",
        "nato_military_response": True,
        "direct_conflict": True,
        "west_belief": 0.81,
        "russia_belief": 0.27,
    },
}
ONE_MONTH_EVENTS = ("red_line_crossed", "russian_action", "nato_military_response")
DATES = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]


def scripted_trajectory(replicate: int = 7) -> pd.DataFrame:
    """Six months of one replicate following SCRIPT."""
    rows = []
    state = dict(BASE)
    for month, changes in SCRIPT.items():
        for event in ONE_MONTH_EVENTS:
            state[event] = BASE[event]
        state.update(changes)
        rows.append(
            {
                "replicate": replicate,
                "month": month,
                "date": DATES[month - 1],
                "position": 82.0 - 0.5 * (month - 1),
                **state,
            }
        )
    return pd.DataFrame(rows)


def scripted_outcome(replicate: int = 7) -> pd.Series:
    """The outcomes row of the scripted replicate."""
    return pd.Series(
        {
            "replicate": replicate,
            "red_line_threshold": 5.2,
            "follow_through": 0.63,
            "nato_cohesion": 0.8,
            "max_rung": 10,
            "final_rung": 10,
            "direct_conflict": True,
            "nuclear_use": False,
            "russian_retaliation": True,
            "months_to_retaliation": 4.0,
            "ukraine_position_final": 79.5,
        }
    )


def story() -> str:
    return narrative.tell(
        scripted_trajectory(),
        scripted_outcome(),
        title="French instructors inside Ukraine",
        posture="ambiguity",
    )


def month_line(text: str, month: int) -> str:
    """The bullet of a month, or '' if the month was skipped."""
    lines = [line for line in text.splitlines() if line.startswith(f"- **Month {month} ")]
    assert len(lines) <= 1
    return lines[0] if lines else ""


def test_header_states_title_posture_and_hidden_assumptions():
    text = story()
    assert text.startswith("# French instructors inside Ukraine — replicate 7\n")
    assert "Western posture: strategic ambiguity." in text
    assert (
        "Russia's real red line: 5.2 on the ladder (between 'Western instructors in Ukraine' "
        "and 'Deep strikes into Russia')" in text
    )
    assert "follow-through probability 0.63" in text
    assert "NATO cohesion 0.80" in text


def test_month_one_lists_the_starting_situation():
    line = month_line(story(), 1)
    assert line.startswith("- **Month 1 (Oct 2024)** — Starting situation")
    assert "advanced weapons for Ukraine" in line
    assert "training of Ukrainian soldiers outside Ukraine" in line
    assert "instructors" not in line
    assert "82.0%" in line


def test_quiet_months_are_skipped():
    text = story()
    assert month_line(text, 2) == ""
    assert month_line(text, 5) == ""
    months_told = [int(line.split()[2]) for line in text.splitlines() if line.startswith("- **")]
    assert months_told == [1, 3, 4, 6]


def test_month_three_deep_strikes_and_rhetoric():
    line = month_line(story(), 3)
    assert line.startswith("- **Month 3 (Dec 2024)** — ")
    assert "NATO allows Ukraine limited strikes into Russia" in line
    assert "Russia protests but does not act." in line
    assert "red line" not in line


def test_month_four_instructors_red_line_and_hybrid_attacks_in_order():
    line = month_line(story(), 4)
    assert line.startswith("- **Month 4 (Jan 2025)** — ")
    instructors = line.index("France sends military instructors into Ukraine.")
    red_line = line.index("Russian red line crossed")
    answer = line.index("Russia answers with hybrid attacks on NATO members.")
    assert instructors < red_line < answer
    assert "5.6 on the ladder" in line
    # Measures already in force are not repeated.
    assert "advanced weapons" not in line


def test_month_six_strikes_response_and_direct_conflict():
    line = month_line(story(), 6)
    assert line.startswith("- **Month 6 (Mar 2025)** — ")
    assert "Russia strikes Western forces in Ukraine." in line
    assert "NATO answers militarily." in line
    assert "Direct NATO-Russia conflict begins." in line
    assert "Nuclear" not in line


def test_outcome_paragraph():
    text = story()
    outcome = text[text.index("**Outcome.**") :]
    assert "Highest rung reached: 'Direct NATO-Russia conflict' (rung 10)." in outcome
    assert "Ukraine ends holding 79.5% of its territory (82.0% at the start)." in outcome
    assert "Russia retaliated first in month 4." in outcome
    assert "Direct NATO-Russia conflict broke out in month 6 (Mar 2025)." in outcome
    assert "No nuclear use." in outcome
    assert "at 0.81" in outcome
    assert "at 0.27" in outcome


def test_a_calm_replicate_says_nothing_happened():
    calm = scripted_trajectory()
    for column, value in BASE.items():
        calm[column] = value
    outcome = scripted_outcome()
    outcome["russian_retaliation"] = False
    outcome["months_to_retaliation"] = math.nan
    outcome["direct_conflict"] = False
    outcome["max_rung"] = 3
    text = narrative.tell(calm, outcome, title="Calm", posture="declared")
    assert [line for line in text.splitlines() if line.startswith("- **")] == [month_line(text, 1)]
    assert "Western posture: declared red lines." in text
    assert "Russia never retaliated." in text
    assert "No direct NATO-Russia conflict." in text


def test_unsorted_rows_tell_the_same_story():
    shuffled = scripted_trajectory().sample(frac=1.0, random_state=0)
    text = narrative.tell(
        shuffled,
        scripted_outcome(),
        title="French instructors inside Ukraine",
        posture="ambiguity",
    )
    assert text == story()


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (5.2, "5.2 on the ladder (between 'Western instructors in Ukraine' and "),
        (6.0, "6.0 on the ladder (at 'Deep strikes into Russia')"),
        (0.0, "0.0 on the ladder (at or below 'Political support & sanctions')"),
        (11.5, "11.5 on the ladder (at or above 'Nuclear use')"),
    ],
)
def test_red_line_words(threshold, expected):
    assert narrative.red_line_words(threshold).startswith(expected)


def test_write_narrative_selects_the_replicate_and_leaves_no_temporary_file(tmp_path):
    trajectories = pd.concat([scripted_trajectory(3), scripted_trajectory(7)], ignore_index=True)
    trajectories.loc[trajectories["replicate"] == 3, "position"] = 50.0
    outcomes = pd.DataFrame([scripted_outcome(3), scripted_outcome(7)])
    outcomes.loc[outcomes["replicate"] == 3, "ukraine_position_final"] = 50.0
    path = tmp_path / "stories" / "replicate_7.md"

    narrative.write_narrative(
        trajectories,
        outcomes,
        7,
        path,
        title="French instructors inside Ukraine",
        posture="ambiguity",
    )

    expected = story().replace(
        "strategic ambiguity.\n", "strategic ambiguity.\n\nReplicate 7, as requested.\n", 1
    )
    assert path.read_text(encoding="utf-8") == expected
    assert list(path.parent.iterdir()) == [path]


def test_pick_replicate_prefers_the_first_crossed_red_line():
    outcomes = pd.DataFrame({"replicate": [0, 1, 2, 3], "red_lines_crossed": [0, 0, 2, 1]})
    replicate, note = narrative.pick_replicate(outcomes, None)
    assert replicate == 2
    assert "(50% of replicates cross one)" in note
    assert narrative.pick_replicate(outcomes, 1) == (1, "Replicate 1, as requested.")
    quiet = outcomes.assign(red_lines_crossed=0)
    assert narrative.pick_replicate(quiet, None)[0] == 0


def test_write_narrative_rejects_an_unknown_replicate(tmp_path):
    with pytest.raises(KeyError, match="replicate 99"):
        narrative.write_narrative(
            scripted_trajectory(),
            pd.DataFrame([scripted_outcome()]),
            99,
            tmp_path / "story.md",
            title="T",
            posture="declared",
        )
    assert list(tmp_path.iterdir()) == []
