"""Tests of the month-by-month story of one replicate, on scripted replicates and a real run."""

from __future__ import annotations

import itertools
import math
import re

import pandas as pd
import pytest

from escalation.ladder import Rung
from escalation.run.narrative import story as narrative
from escalation.run.narrative import words as narrative_words
from escalation.scope import CAVEAT, EXCLUDED_PATHWAYS, scope_markdown

BASE = {
    "rung": 3,
    "western_rung": 3,
    "aid": True,
    "advanced_weapons": True,
    "new_weapons": 0,
    "training": True,
    "instructors_inside": False,
    "deep_strikes": "prohibited",
    "deep_strikes_share": 0.0,
    "troops": "none",
    "domestic_strikes": False,
    "incursion": False,
    "involvement": 3.0,
    "perceived_involvement": 3.0,
    "red_line_crossed": False,
    "above_red_line": False,
    "russian_action": "",
    "retaliation": False,
    "spillover": False,
    "lethal_engagement": False,
    "nato_military_response": False,
    "article5_response": False,
    "contained_clash": False,
    "direct_conflict": False,
    "nuclear_use_in_ukraine": False,
    "nuclear_use": False,
    "west_belief": 0.5,
    "russia_belief": 0.5,
    "russia_belief_low": 0.3,
    "russia_belief_high": 0.7,
    "law_enforcement_response": False,
}

# What changes from BASE, month by month (changes persist unless they are one-month events).
SCRIPT = {
    1: {"domestic_strikes": True},  # starting situation
    2: {"domestic_strikes": False},  # quiet
    3: {
        "rung": 7,
        "western_rung": 6,
        "deep_strikes": "limited",
        "deep_strikes_share": 0.5,
        "russian_action": "hybrid_attacks",  # baseline campaign: no red line crossed
    },
    4: {
        "rung": 7,
        "instructors_inside": True,
        "involvement": 5.5,
        "perceived_involvement": 6.1,
        "red_line_crossed": True,
        "above_red_line": True,
        "incursion": True,
        "russian_action": "nuclear_signalling",
        "russia_belief": 0.42,
        "russia_belief_low": 0.25,
        "russia_belief_high": 0.6,
    },
    5: {"russian_action": "nuclear_signalling+retaliation", "retaliation": True},
    6: {
        "rung": 10,
        "nato_military_response": True,
        "lethal_engagement": True,
        "contained_clash": True,
        # Above the red line but not retaliation (e.g. a replicate where Russia does not enforce).
        "russian_action": "hybrid_attacks",
        "russia_belief": 0.5,
        "russia_belief_low": 0.33,
        "russia_belief_high": 0.66,
    },
    7: {"rung": 11, "contained_clash": False, "direct_conflict": True, "incursion": False},
    8: {"rung": 7, "direct_conflict": False, "west_belief": 0.81},
}
ONE_MONTH_EVENTS = (
    "law_enforcement_response",
    "red_line_crossed",
    "russian_action",
    "retaliation",
    "spillover",
    "lethal_engagement",
    "nato_military_response",
    "article5_response",
)
DATES = [f"{2024 + (9 + i) // 12}-{(9 + i) % 12 + 1:02d}" for i in range(12)]


def scripted_trajectory(script: dict | None = None, replicate: int = 7) -> pd.DataFrame:
    """One replicate following a script of changes to BASE."""
    rows = []
    state = dict(BASE)
    for month, changes in (SCRIPT if script is None else script).items():
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
            "red_line_threshold": 6.5,
            "follow_through": 0.63,
            "western_resolve": 0.7,
            "nato_cohesion": 0.8,
            "ambiguity_aversion": 0.25,
            "ambiguity_width": 0.2,
            "max_rung": 11,
            "final_rung": 7,
            "direct_conflict": True,
            "nuclear_use": False,
            "russian_retaliation": True,
            "months_to_retaliation": 5.0,
            "ukraine_position_final": 78.5,
        }
    )


def story(script: dict | None = None) -> str:
    return narrative.tell(
        scripted_trajectory(script),
        scripted_outcome(),
        title="French instructors inside Ukraine",
        posture="ambiguity",
    )


def month_line(text: str, month: int) -> str:
    """The bullet telling a month (alone, or in a run of months), or '' if it was skipped."""
    lines = []
    for line in text.splitlines():
        told = re.match(r"- \*\*Months? (\d+)(?:–(\d+))?[ *]", line)
        if told and int(told[1]) <= month <= int(told[2] or told[1]):
            lines.append(line)
    assert len(lines) <= 1
    return lines[0] if lines else ""


def tells(text: str, sentence: str, month: int) -> bool:
    """Whether a story tells a sentence for a month: on its line, or once for a run covering it."""
    if sentence in month_line(text, month):
        return True
    run = re.escape(sentence[:-1]) + r" \(each month, months (\d+)–(\d+)\)\."
    return any(int(a) <= month <= int(b) for a, b in re.findall(run, text))


def bullets(text: str) -> list[tuple[int, int, str]]:
    """Each month bullet of a story as (first month, last month, what it tells)."""
    found = re.findall(r"^- \*\*Months? (\d+)(?:–(\d+))?[^*]*\*\* — (.*)$", text, re.MULTILINE)
    return [(int(a), int(b or a), told) for a, b, told in found]


def sentences(told: str) -> list[str]:
    """The sentences of a bullet's text."""
    return re.split(r"(?<=\.)\s+(?=[A-Z])", told)


def outcome_paragraph(text: str) -> str:
    return text[text.index("**Outcome.**") :]


def test_header_states_title_posture_and_hidden_assumptions():
    text = story()
    assert text.startswith("### French instructors inside Ukraine — replicate 7\n")
    assert "Western posture: strategic ambiguity." in text
    assert "Russia's real red line: 6.5 on the involvement scale (above the status quo" in text
    assert "follow-through probability 0.63" in text
    assert "the West's true resolve 0.70 (unknown to Russia)" in text
    assert "NATO cohesion 0.80" in text
    assert "ambiguity widens Russia's beliefs by ±0.20" in text
    assert "ambiguity aversion 0.25 (1: it fears the worst case)" in text


def test_declared_red_lines_mark_the_ambiguity_assumptions_as_idle():
    text = narrative.tell(scripted_trajectory(), scripted_outcome(), title="T", posture="red_lines")
    assert "Western posture: declared red lines." in text
    assert "ambiguity aversion 0.25 (1: it fears the worst case) (acts only under strategic" in text
    assert "the West's true resolve 0.70" in text


def test_the_story_lists_every_sampled_assumption_of_its_replicate():
    from escalation.config.scenarios import load_settings
    from escalation.config.schema import uncertainty_names
    from escalation.model import EscalationModel

    model = EscalationModel(load_settings("instructors", replicates=3, seed=5)).run()
    outcomes, trajectories = model.outcomes(), model.trajectories()
    text = narrative.tell(
        trajectories[trajectories["replicate"] == 1],
        outcomes.iloc[1],
        title="T",
        posture="ambiguity",
    )
    header = text[text.index("Hidden assumptions") : text.index("- **Month")]
    listed = [line for line in header.splitlines() if line.startswith("  - ")]
    assert len(listed) == len(uncertainty_names())
    for name, words in narrative_words.ASSUMPTION_WORDS.items():
        assert words(float(outcomes.iloc[1][name])) in header
    assert set(narrative_words.ASSUMPTION_WORDS) == set(uncertainty_names())


def test_month_one_lists_the_starting_situation():
    line = month_line(story(), 1)
    assert line.startswith("- **Month 1 (Oct 2024)** — Starting situation")
    assert "advanced weapons for Ukraine" in line
    assert "training of Ukrainian soldiers outside Ukraine" in line
    assert "instructors" not in line
    assert "82.0%" in line


def test_quiet_months_are_told_as_such():
    text = story()
    assert month_line(text, 2) == "- **Month 2 (Nov 2024)** — No new event."
    assert [first for first, _, _ in bullets(text)] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_baseline_hybrid_attack_is_not_told_as_retaliation():
    line = month_line(story(), 3)
    assert "A first NATO member permits limited strikes into Russia" in line
    assert "(50% of Western long-range weapons cleared)" in line
    # no police answer in month 4: the operation was a kinetic incursion
    assert narrative_words.KINETIC_INCURSION in line
    assert "retaliat" not in line
    assert "red line" not in line


def test_month_four_instructors_incursion_red_line_and_learning_in_order():
    line = month_line(story(), 4)
    instructors = line.index("France sends military instructors into Ukraine.")
    incursion = line.index("Ukraine mounts a ground incursion into Russia")
    red_line = line.index("Russian red line crossed: Russia reads NATO involvement at 6.1")
    signalling = line.index("Russia engages in nuclear signalling (each month, months 4–5).")
    learning = line.index("NATO leaves last month's attack unanswered.")
    assert instructors < incursion < red_line < signalling < learning
    assert "(5.5 from the measures in force, 0.6 from what the West has not excluded)" in line
    assert "falls to 0.42 (from 0.50; its set of beliefs spans 0.25-0.60)" in line
    # Measures already in force are not repeated.
    assert "advanced weapons" not in line


def test_two_actions_in_a_month_are_two_sentences_and_retaliation_is_told_as_retaliation():
    five = month_line(story(), 5)
    assert tells(story(), "Russia engages in nuclear signalling.", 5)
    assert "signalling" not in five  # told once, in month 4, for months 4-5
    assert (
        "Russia retaliates for the crossed red line with an attack on a frontline NATO member."
        in five
    )
    assert "hybrid" not in five
    six = month_line(story(), 6)
    assert narrative_words.KINETIC_INCURSION in six
    assert "Russia retaliates" not in six


def test_an_answer_to_retaliation_kills_and_starts_a_clash_that_grows_into_war_and_ends():
    text = story()
    six = month_line(text, 6)
    answer = six.index(
        "The NATO member Russia struck last month in retaliation answers militarily."
    )
    lethal = six.index("The exchange of fire kills: a lethal NATO-Russia engagement.")
    assert answer < lethal < six.index("A contained NATO-Russia clash begins.")
    assert "rises to 0.50 (from 0.42" in six
    assert "unanswered" not in six
    seven = month_line(text, 7)
    assert "The clash grows into NATO-Russia war." in seven
    assert "Ukraine's incursion into Russia ends." in seven
    assert "NATO-Russia war begins." not in seven
    assert "The NATO-Russia war ends in a ceasefire." in month_line(text, 8)
    assert "direct" not in text.lower()


def test_spillover_and_the_military_answer_to_a_deadly_one_are_told():
    script = {
        1: {},
        2: {"spillover": True, "russian_action": "hybrid_attacks"},
        # Month 2's operation was sabotage (the police answer it): the fire is the spill-over's.
        3: {
            "rung": 10,
            "spillover": True,
            "law_enforcement_response": True,
            "nato_military_response": True,
            "contained_clash": True,
        },
    }
    text = narrative.tell(scripted_trajectory(script), scripted_outcome(), title="T", posture="x")
    two = month_line(text, 2)
    assert (
        "A stray Russian missile or drone, aimed at Ukraine, lands on NATO territory (each "
        "month, months 2–3)." in two
    )
    assert narrative_words.SABOTAGE in two
    three = month_line(text, 3)
    assert narrative_words.SPILLOVER not in three
    fire = three.index("The NATO member hit by a deadly stray missile fires on its launchers.")
    assert fire < three.index("A contained NATO-Russia clash begins.")
    assert narrative_words.ANSWERS["hybrid_attacks"] not in three
    assert narrative_words.LAW_ENFORCEMENT in three
    assert "Stray Russian missiles or drones landed on NATO territory in 2 months." in text


def test_a_strike_on_western_forces_is_a_lethal_engagement_the_month_after():
    script = {
        1: {},
        2: {"russian_action": "strikes_on_western_forces"},
        3: {"lethal_engagement": True},
    }
    outcome = scripted_outcome()
    text = narrative.tell(scripted_trajectory(script), outcome, title="T", posture="x")
    assert "Russia strikes Western forces in Ukraine." in month_line(text, 2)
    assert (
        month_line(text, 3)
        == "- **Month 3 (Dec 2024)** — Last month's Russian strike killed: a lethal NATO-Russia "
        "engagement."
    )
    assert "A first lethal NATO-Russia engagement came in month 3 (Dec 2024)." in text


def test_outcome_paragraph():
    outcome = outcome_paragraph(story())
    assert "Highest rung reached: 'NATO-Russia war' (rung 11)." in outcome
    assert "Ukraine ends holding 78.5% of its territory (82.0% at the start)." in outcome
    assert "Ukraine struck Russia with its own drones in 1 of 8 months." in outcome
    assert "nuclear signalling in 2 months and in hybrid attacks in 2 months" in outcome
    assert "Russia retaliated for a crossed red line, first in month 5." in outcome
    assert "Stray Russian missiles or drones landed on NATO territory in 0 months." in outcome
    assert "A first lethal NATO-Russia engagement came in month 6 (Mar 2025)." in outcome
    assert "1 NATO-Russia clash; 1 reached war." in outcome
    assert "broke out in month 7 (Apr 2025) and ended in a ceasefire." in outcome
    assert "No nuclear use." in outcome
    assert "moved from 0.50 in month 1 to 0.50 (its set of beliefs ending at 0.33-0.66)" in outcome
    assert (
        "the West's true resolve was 0.70, so Russia's final estimate was an underestimate"
        in outcome
    )
    assert "red lines at 0.81." in outcome


def test_article5_answer_direct_conflict_and_nuclear_use_against_nato():
    script = {
        1: {},
        2: {"russian_action": "strikes_on_nato"},
        3: {"rung": 11, "article5_response": True, "direct_conflict": True},
        4: {"rung": int(Rung.NUCLEAR_USE), "nuclear_use": True},
    }
    trajectory = scripted_trajectory(script)
    text = narrative.tell(trajectory, scripted_outcome(), title="T", posture="red_lines")
    assert "Russia strikes NATO territory." in month_line(text, 2)
    three = month_line(text, 3)
    assert three.index("NATO invokes Article 5") < three.index("NATO-Russia war begins.")
    assert "contained" not in three
    assert "Russia uses nuclear weapons against NATO." in month_line(text, 4)
    outcome = outcome_paragraph(text)
    assert "Russia used nuclear weapons against NATO in month 4 (Jan 2025)." in outcome
    assert "in Ukraine" not in outcome
    assert "and was still under way at the end." in outcome


def test_nuclear_use_in_ukraine_is_not_told_as_use_against_nato():
    script = {
        1: {},
        2: {
            "rung": int(Rung.NUCLEAR_USE_IN_UKRAINE),
            "russian_action": "nuclear_use_in_ukraine",
            "nuclear_use_in_ukraine": True,
            "nuclear_use": True,
        },
    }
    outcome = scripted_outcome()
    outcome["nuclear_use"] = True
    text = narrative.tell(scripted_trajectory(script), outcome, title="T", posture="ambiguity")
    line = month_line(text, 2)
    assert "Russia uses a nuclear weapon in Ukraine as its front collapses." in line
    assert "against NATO" not in text
    assert "Russia used a nuclear weapon in Ukraine in month 2 (Nov 2024)." in text


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
    assert [line for line in text.splitlines() if line.startswith("- **")] == [
        month_line(text, 1),
        "- **Months 2–8 (Nov 2024 – May 2025)** — No new event.",
    ]
    assert "Western posture: declared red lines." in text
    assert "Russia never retaliated for a crossed red line." in text
    assert "No NATO-Russia clash, no war." in text
    assert "No lethal NATO-Russia engagement." in text


def test_unsorted_rows_tell_the_same_story():
    shuffled = scripted_trajectory().sample(frac=1.0, random_state=0)
    text = narrative.tell(
        shuffled,
        scripted_outcome(),
        title="French instructors inside Ukraine",
        posture="ambiguity",
    )
    assert text == story()


def test_the_status_quo_is_the_records_september_2024_counted_from_the_packaged_doctrine():
    doctrine = narrative_words.packaged_doctrine()
    weights, members = doctrine.russia.involvement, doctrine.nato.members
    limited = sum(members[name].strike_share for name in ("us", "germany", "france"))
    everyone = sum(member.strike_share for member in members.values())
    status_quo = (
        weights.aid
        + weights.advanced_weapons
        + weights.training
        + 8 * weights.new_weapons
        + limited * weights.deep_strikes_limited
    )
    assert status_quo == pytest.approx(5.75)
    highest = (
        status_quo
        - limited * weights.deep_strikes_limited
        + everyone * weights.deep_strikes_authorized
        + weights.instructors
        + weights.troops_combat
    )
    names, levels = zip(*narrative_words.involvement_references(), strict=True)
    assert names == (
        "the status quo (the Western measures in force in Sep 2024)",
        "the status quo plus instructors in Ukraine",
        "instructors plus non-combat troops",
        "instructors plus combat troops",
        "everything at its highest (instructors, combat troops, deep strikes authorised by "
        "every member)",
    )
    assert levels == pytest.approx(
        [
            status_quo,
            status_quo + weights.instructors,
            status_quo + weights.instructors + weights.troops_noncombat,
            status_quo + weights.instructors + weights.troops_combat,
            highest,
        ]
    )


def test_the_status_quo_events_end_in_september_2024():
    events = narrative_words.status_quo_events()
    assert narrative_words.STATUS_QUO_MONTH == "2024-09"
    assert sum(event == "advanced_weapons" for _, event in events) == 9  # the first and 8 new
    assert {actor for actor, event in events if event == "deep_strikes_limited"} == {
        "us",
        "germany",
        "france",
    }


def test_packaged_references_use_the_models_doctrine():
    from escalation.config.scenarios import load_settings

    doctrine = load_settings("status_quo").doctrine
    assert narrative_words.involvement_references() == narrative_words.involvement_references(
        doctrine
    )


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (
            6.5,
            "6.5 on the involvement scale (above the status quo (the Western measures in force "
            "in Sep 2024), 5.75; below the status quo plus instructors in Ukraine, 7.75)",
        ),
        (
            7.75,
            "7.8 on the involvement scale (at the status quo plus instructors in Ukraine, 7.75)",
        ),
        (
            5.0,
            "5.0 on the involvement scale (below the status quo (the Western measures in force in "
            "Sep 2024), 5.75: crossed from the start)",
        ),
        (15.0, "15.0 on the involvement scale (above everything at its highest"),
        (math.nan, "unknown"),
    ],
)
def test_red_line_words_place_the_line_on_the_involvement_scale(threshold, expected):
    words = narrative_words.red_line_words(threshold)
    assert words.startswith(expected)
    assert "ladder" not in words


def test_real_run_tells_every_action_retaliation_and_spillover_of_each_month():
    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    model = EscalationModel(load_settings("troops", replicates=60, seed=11)).run()
    trajectories, outcomes = model.trajectories(), model.outcomes()
    retaliations = pairs = spillovers = 0
    for replicate in range(60):
        trajectory = trajectories[trajectories["replicate"] == replicate]
        text = narrative.tell(
            trajectory, outcomes.iloc[replicate], title="Troops", posture="ambiguity"
        )
        for _, row in trajectory.iterrows():
            month = int(row["month"])
            taken = [name for name in str(row["russian_action"]).split("+") if name]
            for name in taken:
                said = narrative_words.RUSSIAN_ACTIONS[name]
                assert tells(text, said, month) or (
                    name == "hybrid_attacks"
                    and any(
                        tells(text, kind, month)
                        for kind in (narrative_words.KINETIC_INCURSION, narrative_words.SABOTAGE)
                    )
                )
            pairs += len(taken) >= 2
            retaliation = narrative_words.RUSSIAN_ACTIONS["retaliation"]
            assert tells(text, retaliation, month) == bool(row["retaliation"])
            retaliations += bool(row["retaliation"])
            assert tells(text, narrative_words.SPILLOVER, month) == bool(row["spillover"])
            spillovers += bool(row["spillover"])
    # Each kind of month occurs, so the checks above are not vacuous.
    assert retaliations > 0
    assert pairs > 0
    assert spillovers > 0


def test_write_narrative_selects_the_replicate_and_leaves_no_temporary_file(tmp_path):
    trajectories = pd.concat(
        [scripted_trajectory(replicate=3), scripted_trajectory(replicate=7)], ignore_index=True
    )
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
    written = path.read_text(encoding="utf-8")
    assert written == f"{expected}\n{scope_markdown()}"
    end = written[written.index("## What the model leaves out") :]
    assert all(f"- {pathway}\n" in end for pathway in EXCLUDED_PATHWAYS)
    assert end.rstrip().endswith(CAVEAT)
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


def test_perceived_involvement_falling_back_below_the_red_line_is_told():
    script = {
        1: {"red_line_crossed": True, "above_red_line": True, "perceived_involvement": 6.0},
        2: {},
        3: {"above_red_line": False, "perceived_involvement": 4.0},
    }
    text = narrative.tell(scripted_trajectory(script), scripted_outcome(), title="T", posture="x")
    assert "Russian red line crossed by what is already in force" in month_line(text, 1)
    assert month_line(text, 2) == "- **Month 2 (Nov 2024)** — No new event."
    assert "falls back below its red line" in month_line(text, 3)


def test_sabotage_met_by_law_enforcement_is_told_and_is_not_an_unanswered_attack():
    script = {month: dict(changes) for month, changes in SCRIPT.items()}
    script[4]["law_enforcement_response"] = True  # month 3's baseline operation was sabotage
    text = story(script)
    four = month_line(text, 4)
    assert narrative_words.LAW_ENFORCEMENT in four
    assert "unanswered" not in four
    assert "A contained NATO-Russia clash begins." not in four
    # month 6 has a military answer instead
    assert narrative_words.LAW_ENFORCEMENT not in month_line(text, 6)


def test_consecutive_months_that_tell_the_same_share_one_bullet():
    told = [
        (3, "Dec 2024", "Russia engages in nuclear signalling."),
        (4, "Jan 2025", "Russia engages in nuclear signalling."),
        (5, "Feb 2025", "Russia engages in nuclear signalling."),
        (6, "Mar 2025", "Russia's hybrid campaign against NATO members continues."),
        (8, "May 2025", "Russia's hybrid campaign against NATO members continues."),
        (9, "Jun 2025", "Russia engages in nuclear signalling."),
    ]
    assert narrative.month_bullets(told) == [
        "- **Months 3–5 (Dec 2024 – Feb 2025)** — Each month: Russia engages in nuclear "
        "signalling.",
        "- **Month 6 (Mar 2025)** — Russia's hybrid campaign against NATO members continues.",
        "- **Month 8 (May 2025)** — Russia's hybrid campaign against NATO members continues.",
        "- **Month 9 (Jun 2025)** — Russia engages in nuclear signalling.",
    ]
    text = "\n".join(narrative.month_bullets(told))
    assert month_line(text, 4).startswith("- **Months 3–5 ")
    assert month_line(text, 7) == ""


@pytest.fixture(scope="module")
def instructors_stories() -> list[tuple[pd.DataFrame, str]]:
    """Every replicate's trajectory and story of a 200-replicate run of the instructors scenario."""
    from escalation.config.scenarios import load_settings
    from escalation.model import EscalationModel

    model = EscalationModel(load_settings("instructors", replicates=200, seed=3)).run()
    trajectories, outcomes = model.trajectories(), model.outcomes()
    stories = []
    for replicate in range(200):
        trajectory = trajectories[trajectories["replicate"] == replicate]
        text = narrative.tell(
            trajectory, outcomes.iloc[replicate], title="Instructors", posture="ambiguity"
        )
        stories.append((trajectory, text))
    return stories


def test_every_military_answer_follows_a_month_that_told_its_cause(instructors_stories):
    causes = {
        narrative_words.ANSWERS["hybrid_attacks"]: narrative_words.KINETIC_INCURSION,
        narrative_words.ANSWERS["retaliation"]: narrative_words.RUSSIAN_ACTIONS["retaliation"],
        narrative_words.ANSWERS["strikes_on_western_forces"]: narrative_words.RUSSIAN_ACTIONS[
            "strikes_on_western_forces"
        ],
        narrative_words.LAW_ENFORCEMENT: narrative_words.SABOTAGE,
    }
    answered = dict.fromkeys(causes, 0)
    for trajectory, text in instructors_stories:
        assert not any(answer in month_line(text, 1) for answer in causes)
        for month in range(2, len(trajectory) + 1):
            for answer, cause in causes.items():
                if answer in month_line(text, month):
                    assert tells(text, cause, month - 1)
                    answered[answer] += 1
        for month in range(1, len(trajectory)):
            if tells(text, narrative_words.KINETIC_INCURSION, month):
                assert narrative_words.LAW_ENFORCEMENT not in month_line(text, month + 1)
    assert all(count > 0 for count in answered.values())


def test_a_hybrid_operation_is_told_as_what_the_month_after_shows_it_was():
    script = {
        1: {},
        2: {"russian_action": "hybrid_attacks"},
        3: {"law_enforcement_response": True, "russian_action": "hybrid_attacks"},
        4: {"russian_action": "hybrid_attacks", "nato_military_response": True},
        5: {"russian_action": "hybrid_attacks"},
    }
    text = narrative.tell(scripted_trajectory(script), scripted_outcome(), title="T", posture="x")
    assert narrative_words.SABOTAGE in month_line(text, 2)
    assert tells(text, narrative_words.KINETIC_INCURSION, 3)
    assert tells(text, narrative_words.KINETIC_INCURSION, 4)
    assert narrative_words.ANSWERS["hybrid_attacks"] in month_line(text, 4)
    # month 5's operation is answered after the run ends: its kind is not known
    assert month_line(text, 5).endswith(
        "— Russia's hybrid campaign against NATO members continues."
    )


def test_no_sentence_is_broken(instructors_stories):
    verdicts = 0
    for _, text in instructors_stories:
        for line in text.splitlines():
            assert "  " not in line.lstrip(" ")
            assert not re.search(r"\(\)|\( |\s[.,;:]|\.\.|\bwith about\b|\babout\s*[.,;)]", line)
            assert not re.search(r"\b(nan|None)\b", line)
        verdicts += "so Russia's final estimate was about right." in text
    assert verdicts > 0


def test_each_belief_line_starts_from_the_value_the_one_before_ended_on(instructors_stories):
    moves = 0
    for trajectory, text in instructors_stories:
        last = f"{trajectory['russia_belief'].iloc[0]:.2f}"
        for _, _, told in bullets(text):
            for to, since in re.findall(
                r"resolve (?:rises|falls) to (\d\.\d\d) \(from (\d\.\d\d)", told
            ):
                assert since == last
                last = to
                moves += 1
        assert f"moved from {trajectory['russia_belief'].iloc[0]:.2f} in month 1" in text
    assert moves > 100


def test_no_sentence_repeats_on_consecutive_lines_and_every_month_is_told(instructors_stories):
    summarised = 0
    for trajectory, text in instructors_stories:
        told = bullets(text)
        covered = [month for first, last, _ in told for month in range(first, last + 1)]
        assert covered == list(range(1, len(trajectory) + 1))
        for (_, _, before), (_, _, after) in itertools.pairwise(told):
            assert not set(sentences(before)) & set(sentences(after))
        summarised += "(each month, months " in text
    assert summarised > 100


def test_the_replicate_note_names_the_command_line_key_only_when_asked(tmp_path):
    outcomes = pd.DataFrame({"replicate": [0, 1], "red_lines_crossed": [0, 2]})
    first = "The first replicate in which a Russian red line was crossed (50% of replicates"
    assert narrative.pick_replicate(outcomes, None) == (1, f"{first} cross one).")
    _, note = narrative.pick_replicate(outcomes, None, hint=narrative.COMMAND_LINE_HINT)
    assert note.endswith(
        "(50% of replicates cross one). Choose another with sim.narrative_replicate=N."
    )
    trajectories = scripted_trajectory(replicate=1)
    path = tmp_path / "story.md"
    narrative.write_narrative(
        trajectories,
        pd.DataFrame([{**scripted_outcome(1), "red_lines_crossed": 2}]),
        None,
        path,
        title="T",
        posture="x",
        hint=narrative.COMMAND_LINE_HINT,
    )
    assert "sim.narrative_replicate=N" in path.read_text(encoding="utf-8")
    assert "sim." not in narrative.tell(
        trajectories, scripted_outcome(1), title="T", posture="x", note=note.split(" Choose")[0]
    )
