"""The classroom: the dashboard's logic, its page through Streamlit's AppTest, the launcher."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from escalation.classroom import launcher, session
from escalation.classroom.intervals import headline, intervals, span
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.config.schema import ConfigError, uncertainty_names
from escalation.config.validation import with_levers
from escalation.run.results import BAND_NOTE, NO_BAND, clustered_variance, parameter_band
from escalation.scope import CAVEAT, EXCLUDED_PATHWAYS, SCOPE_HEADING

APP = Path(session.__file__).with_name("app.py")


@pytest.fixture(scope="module")
def pair() -> tuple[session.Run, session.Run]:
    first = session.build_settings(
        "instructors", replicates=400, seed=11, levers={"posture": "red_lines"}
    )
    return session.run(first), session.run(with_levers(first, posture="ambiguity"))


def test_two_postures_on_one_seed_share_every_replicates_assumptions(pair):
    first, second = pair
    names = uncertainty_names()
    np.testing.assert_array_equal(first.outcomes[names], second.outcomes[names])
    assert first.settings.policy.posture.value == "red_lines"
    assert second.settings.policy.posture.value == "ambiguity"


def test_paired_differences_are_the_mean_of_replicate_differences(pair):
    first, second = pair
    table = session.paired_differences(first, second).set_index("outcome")
    expected = second.outcomes["russian_retaliation"].astype(float) - first.outcomes[
        "russian_retaliation"
    ].astype(float)
    row = table.loc["russian_retaliation"]
    assert row["difference"] == pytest.approx(expected.mean())
    assert row["first"] == pytest.approx(first.outcomes["russian_retaliation"].mean())
    # the Monte Carlo interval counts the replicates that share a parameter draw as clusters
    draw = first.outcomes["draw"].to_numpy()
    half = 1.959963984540054 * np.sqrt(clustered_variance(expected.to_numpy(), draw))
    assert (row["low"], row["high"]) == pytest.approx(
        (expected.mean() - half, expected.mean() + half)
    )
    assert row["low"] <= row["difference"] <= row["high"]
    # the parameter band of the difference: y_second - y_first across the shared draws
    assert (row["band_low"], row["band_high"]) == pytest.approx(
        parameter_band(expected.to_numpy(), draw)
    )
    assert row["band_low"] < row["band_high"]
    assert np.array_equal(draw, second.outcomes["draw"].to_numpy())
    assert set(table["kind"]) == {"probability", "mean"}
    assert table[["band_low", "band_high"]].notna().all().all()


def test_paired_differences_of_one_draw_have_no_band():
    settings = session.build_settings("instructors", replicates=40, months=6, seed=11)
    settings.sim.draws = 1
    first = session.run(settings)
    second = session.run(with_levers(settings, posture="red_lines"))
    table = session.paired_differences(first, second)
    assert table["band_low"].isna().all() and table["band_high"].isna().all()
    assert table["low"].notna().all()


def test_a_headline_probability_gives_both_intervals_in_one_phrase():
    item = {"p": 0.035, "low": 0.029, "high": 0.042, "band_low": 0.01, "band_high": 0.083}
    dash = "\u2013"
    assert headline(item) == (f"3.5% (95% MC 2.9{dash}4.2%; parameter band 1.0{dash}8.3%)")
    assert intervals({**item, "band_low": None}) == f"95% MC 2.9{dash}4.2%; no parameter band"
    assert intervals({"p": 0.5, "low": 0.4, "high": 0.6}).endswith("no parameter band")
    assert span(0.01, 0.083) == "1.0% to 8.3%"
    assert span(float("nan"), 0.2) == NO_BAND


def test_differences_refuse_runs_on_different_seeds(pair):
    first, _ = pair
    other = session.run(session.build_settings("instructors", replicates=400, seed=12))
    with pytest.raises(ValueError, match="same seed"):
        session.paired_differences(first, other)


def test_contrasting_replicate_differs_in_the_outcome_it_names(pair):
    first, second = pair
    contrast = session.contrasting_replicate(first, second, labels=("red lines", "ambiguity"))
    assert contrast is not None
    a = first.outcomes.set_index("replicate").loc[contrast.replicate, contrast.outcome]
    b = second.outcomes.set_index("replicate").loc[contrast.replicate, contrast.outcome]
    assert a != b
    assert contrast.sentence.startswith(f"Replicate {contrast.replicate}: ")
    stories = [session.story(run, contrast.replicate) for run in pair]
    assert stories[0] != stories[1]
    assert "declared red lines" in stories[0] and "strategic ambiguity" in stories[1]


def test_identical_runs_have_no_contrasting_replicate(pair):
    first, _ = pair
    assert session.contrasting_replicate(first, first, labels=("a", "b")) is None


def test_build_settings_applies_timing_and_ranges():
    settings = session.build_settings(
        "troops",
        timing={"troops": 7},
        ranges={"follow_through": (0.9, 0.9)},
        replicates=5,
        seed=1,
    )
    assert settings.policy.timing.troops.month == 7
    assert (settings.uncertainty.follow_through.low, settings.uncertainty.follow_through.high) == (
        0.9,
        0.9,
    )
    outcomes = session.run(settings).outcomes
    assert (outcomes["follow_through"] == 0.9).all()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"ranges": {"follow_through": (0.2, 1.5)}}, "uncertainty.follow_through.high=1.5"),
        ({"ranges": {"follow_through": (0.8, 0.2)}}, "need low <= high"),
        ({"timing": {"troops": 0}}, "policy.timing.troops.month=0 is out of range"),
        ({"levers": {"posture": "vague"}}, "policy.posture: invalid value 'vague'"),
        ({"replicates": 10**6}, "at most 20000"),
    ],
)
def test_bad_values_give_one_line_naming_the_key(arguments, message):
    with pytest.raises(ConfigError) as caught:
        session.build_settings("status_quo", **arguments)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_query_keeps_good_values_and_names_bad_ones():
    values, errors = session.read_query(
        {"scenario": "troops", "posture": "red_lines", "seed": "7", "troops": "many", "x": "1"},
        ["status_quo", "troops"],
    )
    assert values == {"scenario": "troops", "posture": "red_lines", "seed": 7}
    assert errors == [
        "troops: invalid value 'many'; allowed: none, noncombat, combat",
        "unknown parameter 'x'; allowed: mode, scenario, instructors, troops, deep_strikes, "
        "posture, replicates, months, seed",
    ]


def test_a_views_link_reads_back_as_the_same_view():
    chosen = {
        "mode": "compare",
        "scenario": "troops",
        "levers": {
            "instructors": "inside",
            "troops": "combat",
            "deep_strikes": "authorized",
            "posture": "red_lines",
        },
        "replicates": 400,
        "months": 24,
        "seed": 7,
    }
    link = session.view_query(chosen)
    assert all(isinstance(value, str) for value in link.values())
    values, errors = session.read_query(link, ["status_quo", "troops"])
    assert errors == []
    assert values == {
        "mode": "compare",
        "scenario": "troops",
        **chosen["levers"],
        "replicates": 400,
        "months": 24,
        "seed": 7,
    }


def test_a_slider_shows_its_bounds_as_they_are():
    assert session.slider_format(0.0, 1.0, 0.2, 0.8) == "%.2f"
    assert session.slider_format(0.0, 0.15, 0.005, 0.05) == "%.3f"  # not "0.01"
    assert session.slider_format(0.0, 0.0625) == "%.4f"
    assert session.slider_format(1 / 3) == "%.6f"


def test_assumption_bounds_follow_the_schema():
    assert session.assumption_bounds("follow_through", 0.2, 0.8) == (0.0, 1.0)
    assert session.assumption_bounds("cost_sensitivity", 0.5, 3.0) == (0.0, 8.0)
    assert session.assumption_bounds("russian_pressure", 0.17, 0.31) == (0.0, 0.59)
    assert session.assumption_bounds("nuclear_use_in_conflict", 0.005, 0.05) == (0.0, 0.14)
    assert session.assumption_bounds("cost_sensitivity", 2.0, 2.0) == (1.0, 3.0)


def test_every_assumption_slider_lets_its_two_handles_be_dragged_apart():
    """A configured range fills at least a fifth of its slider (handles ~50 px apart, not 10)."""
    for scenario in available_scenarios():
        for name, value in vars(load_settings(scenario).uncertainty).items():
            lower, upper = session.assumption_bounds(name, value.low, value.high)
            assert lower <= value.low < value.high <= upper
            assert (value.high - value.low) / (upper - lower) >= 0.2


def test_launcher_serves_localhost_without_usage_stats_and_lets_options_win():
    line = launcher.command_line(["--server.port", "8601", "--server.address=0.0.0.0"])
    assert line[:2] == ["run", str(launcher.APP)]
    assert launcher.APP.is_file()
    assert line[2:5] == ["--server.port", "8601", "--server.address=0.0.0.0"]
    assert "--server.address" not in line  # the user's --server.address=0.0.0.0 wins
    assert line[line.index("--browser.gatherUsageStats") + 1] == "false"
    default = dict(zip(*[iter(launcher.command_line([])[2:])] * 2, strict=True))
    assert default["--server.address"] == "127.0.0.1"
    assert default["--browser.gatherUsageStats"] == "false"


# --------------------------------------------------------------------------------------------
# The page, through Streamlit's AppTest (no browser)
# --------------------------------------------------------------------------------------------


def app(**query: str):
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in {"replicates": "300", **query}.items():
        test.query_params[key] = value
    return test.run()


def metric(test, label: str) -> str:
    return next(m.value for m in test.metric if m.label == label)


def test_the_pages_address_follows_the_controls():
    test = app(scenario="troops", posture="red_lines", seed="9")
    assert not test.exception
    test.sidebar.selectbox(key="troops:posture").set_value("ambiguity").run()
    link = {
        key: value[0] if isinstance(value, list) else value
        for key, value in test.query_params.items()
    }
    assert (link["scenario"], link["posture"], link["seed"]) == ("troops", "ambiguity", "9")
    assert link["replicates"] == "300"


def test_the_page_says_the_replicates_limit_in_words_and_shows_small_bounds_exactly():
    test = app(scenario="status_quo")
    limit = f"At most {session.MAX_REPLICATES:,} replicates"
    assert any(caption.value.startswith(limit) for caption in test.sidebar.caption)
    nuclear = next(s for s in test.slider if s.label == "nuclear use in conflict")
    assert nuclear.proto.format == "%.3f"


def test_page_shows_numbers_figures_table_and_a_story():
    test = app(scenario="instructors")
    assert not test.exception
    assert not test.error
    assert metric(test, "NATO-Russia war").endswith("%")
    assert metric(test, "Lethal engagement").endswith("%")
    scope = next(m.value for m in test.markdown if SCOPE_HEADING in m.value)
    assert all(pathway in scope for pathway in EXCLUDED_PATHWAYS)
    assert CAVEAT in scope
    assert len(test.image) == 3  # ladder, outcomes, position
    table = test.table[0].value
    assert list(table.columns) == [
        "Outcome",
        "Probability",
        "95% interval",
        "Parameter band",
        "Replicates",
    ]
    bands = table["Parameter band"].tolist()
    assert all(re.fullmatch(r"\d+\.\d% to \d+\.\d%", band) for band in bands)
    assert BAND_NOTE in [c.value for c in test.caption]
    # each headline probability has both intervals under it
    shown = [c.value for c in test.caption if c.value.startswith("95% MC ")]
    assert len(shown) == 4
    assert all("; parameter band " in text for text in shown)
    assert any("Hidden assumptions of this replicate" in m.value for m in test.markdown)


def metrics(test) -> list[str]:
    """Every headline number, in page order (one may round to the same value by chance)."""
    return [m.value for m in test.metric]


def test_changing_a_control_changes_the_results():
    test = app(scenario="instructors", posture="ambiguity")
    before = metrics(test)
    test.selectbox(key="instructors:posture").set_value("red_lines").run()
    after = metrics(test)
    assert before != after
    test.number_input(key="instructors:seed").set_value(5).run()
    assert metrics(test) != after
    assert not test.exception


def test_compare_mode_finds_a_contrasting_pair_of_stories():
    test = app(mode="compare", scenario="instructors", posture="red_lines")
    assert not test.exception
    sentence = test.info[0].value
    assert sentence.startswith("Replicate ")
    replicate = int(sentence.split()[1].rstrip(":"))
    stories = [
        m.value
        for m in test.markdown
        if m.value.startswith("### ") and "Hidden assumptions" in m.value
    ]
    assert len(stories) == 2
    assert all(f"replicate {replicate}" in story for story in stories)
    assert "declared red lines" in stories[0] and "strategic ambiguity" in stories[1]
    differences = test.table[0].value
    assert list(differences.columns) == [
        "Outcome",
        "First",
        "Second",
        "Difference",
        "95% interval",
        "Parameter band",
    ]
    war = differences.set_index("Outcome").loc["NATO-Russia war"]
    assert re.fullmatch(r"[+-]\d+\.\d to [+-]\d+\.\d pp", war["Parameter band"])
    assert re.fullmatch(r"[+-]\d+\.\d to [+-]\d+\.\d pp", war["95% interval"])
    assert [c.value for c in test.caption].count(BAND_NOTE) == 1
    assert len([c for c in test.caption if c.value.startswith("95% MC ")]) == 8


def test_bad_values_in_a_link_get_a_message_and_the_page_still_runs():
    test = app(scenario="atlantis", seed="minus one")
    messages = [e.value for e in test.error]
    assert any("scenario: invalid value 'atlantis'; allowed:" in m for m in messages)
    assert any("seed: 'minus one' is not a whole number" in m for m in messages)
    assert not test.exception
    assert metric(test, "Nuclear use").endswith("%")


def test_the_page_draws_its_figures_in_the_slides_style_on_request(monkeypatch):
    import escalation.run.figures as figures

    test = app(scenario="instructors")
    drawn = []
    original = figures.check_style
    monkeypatch.setattr(
        figures, "check_style", lambda style: drawn.append(style) or original(style)
    )
    test.sidebar.radio(key="style").set_value("slides").run()
    assert not test.exception
    assert len(test.image) == 3
    assert set(drawn) == {"slides"}
    assert len(drawn) >= 3  # ladder, outcomes, position


def test_every_assumption_slider_says_what_it_is():
    from escalation.config.schema import uncertainty_names

    meanings = session.assumption_help()
    assert set(meanings) == set(uncertainty_names())
    assert meanings["nuclear_use_in_conflict"] == (
        "monthly chance of Russian nuclear use against NATO during direct conflict"
    )
    assert meanings["russian_pressure"].startswith("points of territory per month")
    test = app(scenario="status_quo")
    slider = next(s for s in test.slider if s.label == "red line threshold")
    assert slider.help == meanings["red_line_threshold"]


def test_timing_is_chosen_by_date():
    assert session.timing_label(4, "2024-10") == "Jan 2025 (month 4)"
    assert session.timing_label(1, "2022-02") == "Feb 2022 (month 1)"
    test = app(scenario="instructors")
    control = test.sidebar.selectbox(key="instructors:timing:instructors")
    assert control.value == 4  # the scenario's month: January 2025
    assert control.options[:2] == ["Oct 2024 (month 1)", "Nov 2024 (month 2)"]
    control.set_value(7).run()
    assert not test.exception
    assert test.sidebar.selectbox(key="instructors:timing:instructors").value == 7


def test_a_measure_timed_after_the_run_gets_a_warning():
    test = app(scenario="instructors", months="3")
    assert any("policy.timing.instructors.month=4" in w.value for w in test.warning)


def test_without_a_terminal_the_dashboard_starts_headless(monkeypatch):
    """Streamlit's first-run e-mail prompt would end a dashboard started without a terminal."""
    from escalation.classroom.launcher import command_line

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    words = command_line([])
    assert words[words.index("--server.headless") + 1] == "true"
    assert words.count("--server.headless") == 1
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    words = command_line([])
    assert words[words.index("--server.headless") + 1] == "false"


def test_without_streamlit_the_launcher_names_commands_that_work_from_a_clone(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "streamlit.web", None)  # importing it raises ImportError
    with pytest.raises(SystemExit) as stopped:
        launcher.main([])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines() == [launcher.MISSING_STREAMLIT]
    assert "make dashboard" in launcher.MISSING_STREAMLIT
    assert ".venv/bin/pip install -e '.[dashboard]'" in launcher.MISSING_STREAMLIT


def test_make_dashboard_installs_the_extra_when_missing_then_serves_localhost(tmp_path):
    root = Path(__file__).resolve().parents[2]
    stamp = tmp_path / "no-stamp"
    planned = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "dashboard",
            f"DASHBOARD_STAMP={stamp}",
            "RUN_STAMP=pyproject.toml",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert any("-e '.[dashboard]'" in line for line in planned)
    assert planned[-2:] == [
        f"touch {stamp}",
        ".venv/bin/escalation-dashboard --server.address 127.0.0.1 ",
    ]
