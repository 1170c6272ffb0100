"""The back-test: the shipped timeline, the replay mapping, proper scores, and the command."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.backtest.cli import (
    FORECAST_FILE,
    REPORT_FILE,
    SCORES_FILE,
    BadInput,
    main,
    run_backtest,
)
from escalation.backtest.forecast import FORECAST_COLUMNS, class_occurrences
from escalation.backtest.scores import (
    SCORE_COLUMNS,
    brier_score,
    brier_skill,
    clip_floor,
    log_score,
    reliability,
    score_table,
)
from escalation.config.scenarios import replay_settings
from escalation.scope import EXCLUDED_PATHWAYS, scope_markdown
from escalation.timeline import (
    ACTORS,
    ACTORS_OF_EVENT,
    COLUMNS,
    EVENTS,
    SCORED_EVENTS,
    TimelineError,
    load_timeline,
    month_range,
    parse_timeline,
    replay_events,
    shipped_timeline_path,
)

HEADER = ",".join(COLUMNS)
SMALL = 40  # replicates for the end-to-end runs: enough for every class's p, fast


# --------------------------------------------------------------------------------------------
# The shipped timeline
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_timeline()


def test_shipped_timeline_validates_and_spans_feb_2022_to_sep_2024(shipped):
    assert len(shipped.events) >= 30
    assert shipped.first_month == "2022-02"
    assert shipped.last_month == "2024-09"
    months = [event.month for event in shipped.events]
    assert months == sorted(months)
    for event in shipped.events:
        assert event.actor in ACTORS
        assert event.event in EVENTS
        assert event.actor in ACTORS_OF_EVENT[event.event]
        assert "2022-02" <= event.month <= "2024-09"
        assert len(event.description) > 20
        assert "http" in event.source


def test_shipped_timeline_has_the_file_header_exactly():
    first_line = shipped_timeline_path().read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "month,actor,event,description,source"


def test_shipped_timeline_holds_the_key_dated_events(shipped):
    signalling = shipped.observed("nuclear_signalling")
    for month in ("2022-02", "2022-09", "2023-02", "2023-03", "2023-11", "2024-02", "2024-05"):
        assert month in signalling
    assert "2024-09" in signalling
    assert len(shipped.observed("hybrid_attacks") & set(month_range("2024-03", "2024-07"))) >= 3
    pairs = {(e.month, e.actor, e.event) for e in shipped.events}
    assert ("2024-02", "france", "posture_ambiguity") in pairs
    assert ("2024-08", "ukraine", "incursion") in pairs
    assert ("2024-05", "us", "deep_strikes_limited") in pairs
    # What did not happen is not in the timeline: no clash, conflict or nuclear use.
    for event in ("direct_conflict", "nuclear_use", "strikes_on_nato", "nato_military_response"):
        assert not shipped.observed(event)


def test_the_shipped_timeline_ships_as_package_data():
    path = shipped_timeline_path()
    assert path.is_file()
    assert path.parent.name == "data"


# --------------------------------------------------------------------------------------------
# Loading: one-line errors naming file, line and column
# --------------------------------------------------------------------------------------------

GOOD_ROW = "2024-10,us,deep_strikes_limited,ATACMS into Kursk,Reuters 17 Nov"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        ("month,actor,event,description\n" + GOOD_ROW, ":1: header"),
        (f"{HEADER}\n", "no events"),
        (f"{HEADER}\n2024-13,us,aid,x,y", ":2: column 'month': '2024-13' is not a month"),
        (f"{HEADER}\nOct 2024,us,aid,x,y", "allowed: YYYY-MM"),
        (f"{HEADER}\n2024-10,poland,aid,x,y", ":2: column 'actor': unknown actor 'poland'"),
        (f"{HEADER}\n2024-10,us,sanctions,x,y", ":2: column 'event': unknown event 'sanctions'"),
        (f"{HEADER}\n2024-10,us,nuclear_signalling,x,y", "column 'actor': 'us' cannot take"),
        (f"{HEADER}\n2024-10,russia,aid,x,y", "column 'actor': 'russia' cannot take"),
        (f"{HEADER}\n2024-10,us,aid,x,", ":2: column 'source': empty"),
        (f"{HEADER}\n2024-10,us,aid, ,y", ":2: column 'description': empty"),
        (f"{HEADER}\n2024-10,us,aid,x", ":2: 4 fields; expected 5"),
        (f"{HEADER}\n2024-10,us,aid,x,y\n2024-09,us,aid,x,y", ":3: column 'month': 2024-09"),
        (f'{HEADER}\n2024-10,us,aid,"unclosed,y', "malformed CSV"),
    ],
)
def test_a_malformed_timeline_gets_one_line_naming_row_and_column(text, expected):
    with pytest.raises(TimelineError) as error:
        parse_timeline(text, "mine.csv")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("mine.csv")
    assert expected in message


def test_unknown_vocabulary_errors_list_what_is_allowed():
    with pytest.raises(TimelineError, match=r"allowed: aid, advanced_weapons, training"):
        parse_timeline(f"{HEADER}\n2024-10,us,sanctions,x,y", "mine.csv")
    with pytest.raises(TimelineError, match=r"allowed: west, nato, us, uk, france, germany"):
        parse_timeline(f"{HEADER}\n2024-10,poland,aid,x,y", "mine.csv")


def test_quoted_fields_blank_lines_and_multiline_rows_are_read(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        f'{HEADER}\n2024-10,us,aid,"aid, more aid","Reuters, 1 Oct"\n\n'
        '2024-11,russia,nuclear_signalling,"two\nlines",TASS\n'
        "2024-12,uk,aid,x,y\n",
        encoding="utf-8",
    )
    timeline = load_timeline(path)
    assert [e.month for e in timeline.events] == ["2024-10", "2024-11", "2024-12"]
    assert timeline.events[0].description == "aid, more aid"
    assert [e.line for e in timeline.events] == [2, 4, 6]


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(TimelineError, match="no such file"):
        load_timeline(tmp_path / "none.csv")
    with pytest.raises(TimelineError, match="is a folder"):
        load_timeline(tmp_path)


# --------------------------------------------------------------------------------------------
# Replay: the timeline as the model's replay argument and settings
# --------------------------------------------------------------------------------------------


def test_replay_events_are_driven_events_by_one_based_month():
    timeline = parse_timeline(
        f"{HEADER}\n"
        "2022-02,us,aid,x,y\n"
        "2022-02,russia,nuclear_signalling,x,y\n"
        "2022-06,us,advanced_weapons,x,y\n"
        "2022-06,uk,training,x,y\n"
        "2023-01,west,advanced_weapons,x,y\n"
        "2023-01,nato,nato_military_response,x,y\n"
        "2023-02,ukraine,incursion,x,y\n"
    )
    assert replay_events(timeline) == {
        1: [("us", "aid")],
        5: [("us", "advanced_weapons"), ("uk", "training")],
        12: [("west", "advanced_weapons")],
        13: [("ukraine", "incursion")],
    }
    assert replay_events(timeline, until="2022-12") == {
        1: [("us", "aid")],
        5: [("us", "advanced_weapons"), ("uk", "training")],
    }


def test_replay_settings_are_the_history_scenario_over_the_span(shipped):
    settings = replay_settings(shipped, replicates=7, seed=3)
    assert (settings.sim.start, settings.sim.months) == ("2022-02", 32)
    assert (settings.sim.replicates, settings.seed) == (7, 3)
    assert settings.scenario.name == "history"
    assert replay_settings(shipped, replicates=7, seed=3, until="2023-01").sim.months == 12


def _trajectories(columns: dict[str, list[list]]) -> pd.DataFrame:
    """A long trajectories table from per-replicate lists of monthly values."""
    first = next(iter(columns.values()))
    replicates, months = len(first), len(first[0])
    frame = {
        "replicate": np.repeat(np.arange(replicates), months),
        "month": np.tile(np.arange(1, months + 1), replicates),
        "date": np.tile(month_range("2024-01", f"2024-{months:02d}"), replicates),
    }
    defaults = {
        "russian_action": "",
        "nuclear_use": False,
        "direct_conflict": False,
        "nato_military_response": False,
        "article5_response": False,
    }
    for name, default in defaults.items():
        values = columns.get(name, [[default] * months] * replicates)
        frame[name] = np.asarray(values, dtype=object).ravel()
    return pd.DataFrame(frame)


def test_class_occurrences_read_actions_first_nuclear_use_and_any_nato_answer():
    trajectories = _trajectories(
        {
            "russian_action": [
                ["nuclear_signalling", "", "nuclear_use_in_ukraine"],
                ["hybrid_attacks", "strikes_on_nato", ""],
            ],
            "nuclear_use": [[False, False, True], [False, True, True]],
            "nato_military_response": [[False, True, False], [False, False, False]],
            "article5_response": [[False, False, False], [False, False, True]],
            "direct_conflict": [[False, False, False], [False, True, True]],
        }
    )
    occurs = class_occurrences(trajectories)
    assert list(occurs) == list(SCORED_EVENTS)
    assert occurs["nuclear_signalling"][:, 0].tolist() == [True, False, False]
    assert occurs["hybrid_attacks"][:, 1].tolist() == [True, False, False]
    assert occurs["strikes_on_nato"][:, 1].tolist() == [False, True, False]
    # nuclear use counts in its first month only (the column is cumulative)
    assert occurs["nuclear_use"][:, 0].tolist() == [False, False, True]
    assert occurs["nuclear_use"][:, 1].tolist() == [False, True, False]
    assert occurs["nato_military_response"].mean(axis=1).tolist() == [0.0, 0.5, 0.5]
    assert occurs["direct_conflict"].mean(axis=1).tolist() == [0.0, 0.5, 0.5]


# --------------------------------------------------------------------------------------------
# Scores: proper, computed right, against the right baseline
# --------------------------------------------------------------------------------------------


def test_brier_and_log_scores_on_hand_made_forecasts():
    assert brier_score([0.5, 1.0, 0.2], [True, True, False]) == pytest.approx(
        (0.25 + 0.0 + 0.04) / 3
    )
    assert brier_score([1.0], [False]) == 1.0
    assert log_score([0.5, 0.9], [True, False], floor=0.01) == pytest.approx(
        (math.log(0.5) + math.log(0.1)) / 2
    )
    # clipped at the floor: p = 0 for an event that happened costs ln(floor), not -inf
    floor = clip_floor(1000)
    assert floor == 0.0005
    assert log_score([0.0], [True], floor) == pytest.approx(math.log(0.0005))
    assert log_score([1.0], [False], floor) == pytest.approx(math.log(0.0005))
    assert log_score([0.0, 1.0], [False, True], floor) == pytest.approx(math.log(1 - 0.0005))


def test_brier_skill_is_relative_to_the_baseline_and_undefined_when_it_is_perfect():
    assert brier_skill(0.1, 0.2) == pytest.approx(0.5)
    assert brier_skill(0.3, 0.2) == pytest.approx(-0.5)
    assert math.isnan(brier_skill(0.01, 0.0))


@pytest.mark.parametrize("truth", [0.1, 0.3, 0.75])
def test_both_scores_are_proper_stating_the_true_probability_is_best(truth):
    grid = np.linspace(0.01, 0.99, 99)
    expected_brier = truth * (1 - grid) ** 2 + (1 - truth) * grid**2
    expected_log = truth * np.log(grid) + (1 - truth) * np.log1p(-grid)
    assert grid[np.argmin(expected_brier)] == pytest.approx(truth)
    assert grid[np.argmax(expected_log)] == pytest.approx(truth)
    # and the scoring functions agree with these expectations on a large sample
    outcomes = np.r_[np.ones(int(truth * 100)), np.zeros(100 - int(truth * 100))].astype(bool)
    assert brier_score(np.full(100, truth), outcomes) < brier_score(np.full(100, 0.5), outcomes)


def _forecast(rows: dict[str, list[tuple[float, bool]]], months: list[str]) -> pd.DataFrame:
    """A forecast table: the given classes' (p, observed) per month, others p = 0, unseen."""
    records = []
    for index, month in enumerate(months):
        for event in SCORED_EVENTS:
            p, seen = rows.get(event, [(0.0, False)] * len(months))[index]
            records.append((month, event, p, seen))
    return pd.DataFrame(records, columns=list(FORECAST_COLUMNS))


def test_score_table_uses_the_training_window_rate_as_baseline():
    months = month_range("2020-01", "2020-06")
    forecast = _forecast(
        {
            # training 2020-01..03: observed 1 of 3 -> base rate 1/3
            "nuclear_signalling": [
                (0.9, True),
                (0.1, False),
                (0.1, False),
                (0.8, True),
                (0.2, False),
                (0.6, True),
            ],
            # training: never -> base rate 0; then once in the scored window
            "hybrid_attacks": [(0.1, False)] * 4 + [(0.5, True), (0.1, False)],
        },
        months,
    )
    scores = score_table(forecast, scored_from="2020-04", scored_to="2020-06", replicates=10)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert scores["event"].tolist() == list(SCORED_EVENTS)
    row = scores.set_index("event").loc["nuclear_signalling"]
    assert row["months"] == 3
    assert row["observed_months"] == 2
    assert row["brier"] == pytest.approx((0.2**2 + 0.2**2 + 0.4**2) / 3)
    base = 1 / 3
    brier_base = ((1 - base) ** 2 * 2 + base**2) / 3
    assert row["brier_baseline"] == pytest.approx(brier_base)
    assert row["brier_skill"] == pytest.approx(1 - row["brier"] / brier_base)
    assert row["log_score"] == pytest.approx((math.log(0.8) + math.log(0.8) + math.log(0.6)) / 3)
    assert row["log_score_baseline"] == pytest.approx((2 * math.log(base) + math.log(1 - base)) / 3)
    assert row["baseline"] == "training 2020-01..2020-03"
    hybrid = scores.set_index("event").loc["hybrid_attacks"]
    assert hybrid["brier_baseline"] == pytest.approx(1 / 3)  # base rate 0, one miss in three
    floor = clip_floor(10)
    assert hybrid["log_score_baseline"] == pytest.approx(
        (math.log(floor) + 2 * math.log(1 - floor)) / 3
    )
    quiet = scores.set_index("event").loc["direct_conflict"]
    assert quiet["brier"] == 0.0
    assert math.isnan(quiet["brier_skill"])


def test_without_a_training_window_the_baseline_is_in_sample_and_labelled():
    months = month_range("2020-01", "2020-04")
    forecast = _forecast(
        {"hybrid_attacks": [(0.5, True), (0.5, False), (0.5, False), (0.5, True)]}, months
    )
    scores = score_table(forecast, scored_from="2020-01", scored_to="2020-04", replicates=10)
    row = scores.set_index("event").loc["hybrid_attacks"]
    assert row["baseline"] == "in-sample 2020-01..2020-04"
    assert row["brier_baseline"] == pytest.approx(0.25)
    assert row["brier"] == pytest.approx(0.25)
    assert row["brier_skill"] == pytest.approx(0.0)


def test_reliability_bins_pool_the_forecasts():
    forecast = pd.DataFrame(
        {"p": [0.05, 0.05, 0.15, 0.95, 1.0], "observed": [False, True, False, True, True]}
    )
    table = reliability(forecast, bins=10)
    assert table["count"].tolist() == [2, 1, 2]
    assert table["observed_rate"].tolist() == [0.5, 0.0, 1.0]
    assert table["mean_p"].iloc[2] == pytest.approx(0.975)


# --------------------------------------------------------------------------------------------
# The replay against history
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(shipped):
    return run_backtest(shipped, replicates=200, seed=11)


def test_history_forecast_covers_every_month_and_class(history):
    forecast = history.forecast
    assert len(forecast) == 32 * len(SCORED_EVENTS)
    assert forecast["p"].between(0, 1).all()
    assert forecast.loc[forecast["observed"], "p"].gt(0).all()
    for event in ("direct_conflict", "nuclear_use"):
        assert forecast.loc[forecast["event"] == event, "p"].max() < 0.05


def test_rolling_origin_scores_only_after_the_origin(shipped):
    result = run_backtest(shipped, scored_from="2023-10", replicates=SMALL, seed=1)
    assert (result.scores["months"] == 12).all()
    assert (result.scores["baseline"] == "training 2022-02..2023-09").all()
    assert int(result.scored.sum()) == 12 * len(SCORED_EVENTS)


def test_bad_windows_are_refused(shipped):
    with pytest.raises(BadInput, match="outside the timeline; allowed: 2022-02 to 2024-09"):
        run_backtest(shipped, scored_from="2021-12", replicates=SMALL)
    with pytest.raises(BadInput, match="is after --to"):
        run_backtest(shipped, scored_from="2024-01", scored_to="2023-01", replicates=SMALL)
    with pytest.raises(BadInput, match="not a month"):
        run_backtest(shipped, scored_to="2024/01", replicates=SMALL)


# --------------------------------------------------------------------------------------------
# The command, end to end
# --------------------------------------------------------------------------------------------


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_command_writes_every_output_into_a_dated_folder_under_the_cwd(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["--replicates", str(SMALL), "--seed", "5"], capsys)
    assert code == 0
    (folder,) = (tmp_path / "backtest").iterdir()
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == [
        ".escalation",  # the mark of a folder escalation made (escalation.files.MARKER)
        "backtest.json",
        "backtest.md",
        "figures/backtest_timeline.png",
        "figures/reliability.png",
        "forecast.csv",
        "scores.csv",
    ]
    forecast = pd.read_csv(folder / FORECAST_FILE)
    assert list(forecast.columns) == ["month", "event", "p", "observed"]
    assert forecast["month"].iloc[0] == "2022-02" and forecast["month"].iloc[-1] == "2024-09"
    scores = pd.read_csv(folder / SCORES_FILE)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert scores["baseline"].str.startswith("in-sample").all()
    report = (folder / REPORT_FILE).read_text(encoding="utf-8")
    assert re.search(r"(beats|about ties|does not beat) the base rate", report)
    assert "nuclear_signalling" in report
    assert "Not out-of-sample evidence" in report  # the window six parameters were set on
    assert report.endswith(scope_markdown())
    assert all(f"- {pathway}\n" in report for pathway in EXCLUDED_PATHWAYS)
    assert "| nuclear_signalling | 32 | 14 |" in out
    assert not list(tmp_path.glob("backtest/.*"))  # no staging folder left behind


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path, capsys):
    args = ["--replicates", str(SMALL), "--from", "2023-10"]
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert _run([*args, "--seed", seed, "--out", str(tmp_path / name)], capsys)[0] == 0
    for path in (tmp_path / "a").rglob("*"):
        if path.is_file():
            twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
            assert path.read_bytes() == twin.read_bytes()
    a_forecast = (tmp_path / "a" / FORECAST_FILE).read_text()
    assert a_forecast != (tmp_path / "c" / FORECAST_FILE).read_text()


def test_a_user_timeline_of_later_events_gets_the_same_outputs(tmp_path, capsys):
    later = (
        "2024-11,us,deep_strikes_authorized,US allows ATACMS strikes in Russia's Kursk region,"
        "Reuters 17 Nov 2024\n"
        "2024-11,russia,nuclear_signalling,Putin signs the revised nuclear doctrine,"
        "Kremlin 19 Nov 2024\n"
        "2024-12,russia,hybrid_attacks,Baltic cable damage attributed to Russia,example source\n"
    )
    mine = tmp_path / "mine.csv"
    shutil.copy(shipped_timeline_path(), mine)
    with mine.open("a", encoding="utf-8") as stream:
        stream.write(later)
    out = tmp_path / "out"
    code, _, _ = _run(
        [str(mine), "--from", "2024-10", "--replicates", str(SMALL), "--out", str(out)], capsys
    )
    assert code == 0
    forecast = pd.read_csv(out / FORECAST_FILE)
    assert forecast["month"].iloc[-1] == "2024-12"
    observed = forecast[forecast["observed"]]
    assert ("2024-11", "nuclear_signalling") in set(
        zip(observed["month"], observed["event"], strict=True)
    )
    scores = pd.read_csv(out / SCORES_FILE).set_index("event")
    assert (scores["months"] == 3).all()
    assert scores.loc["nuclear_signalling", "observed_months"] == 1
    assert (scores["baseline"] == "training 2022-02..2024-09").all()
    report = (out / REPORT_FILE).read_text(encoding="utf-8")
    assert str(mine) in report
    assert "Not out-of-sample evidence" not in report  # scored after the fitting window


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--from", "2021-01"], "--from 2021-01 is outside the timeline"),
        (["--to", "2024-9"], "--to '2024-9' is not a month"),
        (["--replicates", "0"], "--replicates 0 is out of range"),
        (["--seed", "-1"], "--seed -1 is out of range"),
        (["--replicates", "many"], "invalid int value"),
        (["--colour", "red"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_get_one_line_exit_2_and_nothing_written(tmp_path, capsys, argv, expected):
    out = tmp_path / "out"
    code, _, stderr = _run([*argv, "--out", str(out)], capsys)
    assert code == 2
    assert stderr.count("\n") == 1 and expected in stderr
    assert stderr.startswith("escalation-backtest: error: ")
    assert not out.exists()


def test_a_malformed_user_timeline_gets_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n2024-10,us,aid,x,y\n2024-11,kremlin,aid,x,y\n", encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = _run([str(bad), "--out", str(out)], capsys)
    assert code == 2
    assert stderr.strip() == (
        f"escalation-backtest: error: {bad}:3: column 'actor': unknown actor 'kremlin'; "
        f"allowed: {', '.join(ACTORS)}"
    )
    assert not out.exists()


def test_the_console_script_runs_as_installed(tmp_path):
    script = Path(sys.executable).with_name("escalation-backtest")
    if not script.exists():
        pytest.skip("escalation-backtest is not installed in this environment")
    done = subprocess.run(
        [str(script), "--replicates", "20", "--to", "2022-12", "--out", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    assert (tmp_path / "run" / "figures" / "backtest_timeline.png").stat().st_size > 10_000
    assert pd.read_csv(tmp_path / "run" / FORECAST_FILE)["month"].iloc[-1] == "2022-12"


@pytest.mark.parametrize(
    ("skill", "verdict"),
    [(0.049, "about ties"), (-0.04, "about ties"), (0.06, "beats"), (-0.2, "does not beat")],
)
def test_a_skill_near_zero_is_read_as_a_tie(skill, verdict):
    from escalation.backtest.report import verdicts

    forecast = pd.DataFrame(
        {
            "month": ["2024-01", "2024-02"],
            "event": ["hybrid_attacks"] * 2,
            "p": [0.3, 0.1],
            "observed": [True, False],
        }
    )
    scores = pd.DataFrame(
        [
            {
                "event": "hybrid_attacks",
                "observed_months": 1,
                "brier": 0.2,
                "brier_baseline": 0.25,
                "brier_skill": skill,
            }
        ]
    )
    (line,) = verdicts(forecast, scores, pd.Series([True, True]))
    assert line.startswith(f"- **Hybrid attacks on NATO members**: {verdict} the base rate")
