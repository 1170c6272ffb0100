"""Tests of the data behind the run figures, and of the files written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import DATES, run_summary, synthetic_trajectories

from escalation.ladder import Rung, rung_labels
from escalation.run import figure_data as run_figure_data
from escalation.run import figures as plots

SRC = Path(__file__).resolve().parents[2] / "src"


def test_ladder_distribution_has_every_rung_of_the_ladder_and_columns_sum_to_one():
    shares = run_figure_data.ladder_distribution(synthetic_trajectories())
    assert len(Rung) == 14
    assert list(shares.index) == [int(rung) for rung in Rung]
    assert list(shares.columns) == [1, 2, 3]
    np.testing.assert_allclose(shares.sum(axis=0).to_numpy(), 1.0)


def test_ladder_distribution_matches_hand_computed_shares():
    shares = run_figure_data.ladder_distribution(synthetic_trajectories())
    expected = pd.DataFrame(0.0, index=range(len(Rung)), columns=[1, 2, 3])
    expected.loc[3, 1] = 1.0  # all three at rung 3
    expected.loc[3, 2] = 1 / 3  # replicate 0
    expected.loc[5, 2] = 1 / 3  # replicate 1
    expected.loc[4, 2] = 1 / 3  # replicate 2
    expected.loc[5, 3] = 1 / 3
    expected.loc[Rung.CONTAINED_CLASH, 3] = 1 / 3
    expected.loc[Rung.NUCLEAR_USE, 3] = 1 / 3
    np.testing.assert_allclose(shares.to_numpy(), expected.to_numpy())
    # The two new top rungs are distinct rows: nuclear use in Ukraine stays empty here.
    assert shares.loc[Rung.NUCLEAR_USE_IN_UKRAINE].sum() == 0.0
    assert shares.loc[Rung.NUCLEAR_USE, 3] == pytest.approx(1 / 3)


def test_ladder_distribution_rejects_a_rung_off_the_ladder():
    table = synthetic_trajectories()
    table.loc[0, "rung"] = len(Rung)
    with pytest.raises(ValueError, match=r"rungs \[14\] are not on the ladder \(0 to 13\)"):
        run_figure_data.ladder_distribution(table)


def test_rung_tick_labels_name_every_rung_in_ladder_order():
    labels = run_figure_data.rung_tick_labels()
    assert len(labels) == len(Rung)
    assert labels[0] == f"{Rung.POLITICAL_SUPPORT.label} (0)"
    assert labels[Rung.CONTAINED_CLASH] == "Contained NATO-Russia clash (10)"
    assert labels[Rung.DIRECT_CONFLICT] == "NATO-Russia war (11)"
    assert labels[Rung.NUCLEAR_USE_IN_UKRAINE] == "Nuclear use in Ukraine (12)"
    assert labels[Rung.NUCLEAR_USE] == "Nuclear use against NATO (13)"
    assert [label.rsplit(" (", 1)[0] for label in labels] == rung_labels()


def test_ladder_figure_names_every_rung_on_its_axis(tmp_path, monkeypatch):
    drawn = {}

    def keep(fig, path):
        ax = fig.axes[0]
        drawn["ticks"] = [float(tick) for tick in ax.get_yticks()]
        drawn["labels"] = [label.get_text() for label in ax.get_yticklabels()]
        drawn["ylim"] = ax.get_ylim()

    monkeypatch.setattr(plots, "save_figure", keep)
    plots.plot_ladder(synthetic_trajectories(), "Ladder", tmp_path / "ladder.png")
    assert drawn["labels"] == run_figure_data.rung_tick_labels()
    assert drawn["ticks"] == [float(rung) for rung in Rung]
    assert drawn["ylim"] == pytest.approx((-0.5, len(Rung) - 0.5))


def test_ladder_figure_says_its_colour_hides_the_lower_rungs_in_force(tmp_path, monkeypatch):
    drawn = {}

    def keep(fig, path):
        drawn["note"] = fig.axes[0].get_legend().get_title().get_text()

    monkeypatch.setattr(plots, "save_figure", keep)
    plots.plot_ladder(synthetic_trajectories(), "Ladder", tmp_path / "ladder.png")
    assert drawn["note"] == run_figure_data.LADDER_NOTE
    assert "lower rungs in force are not shown" in run_figure_data.LADDER_NOTE


def test_every_outcome_has_a_definition_that_tells_the_overlapping_ones_apart():
    from escalation.run.results import DEFINITIONS, PROBABILITIES

    assert list(DEFINITIONS) == list(PROBABILITIES)
    assert all(len(definition) > 20 for definition in DEFINITIONS.values())
    assert "needs no NATO war" in DEFINITIONS["nuclear_use"]
    assert "in Ukraine or against NATO" in DEFINITIONS["nuclear_use"]
    assert "any NATO-Russia military clash" in DEFINITIONS["contained_clash"]
    assert "war" in DEFINITIONS["direct_conflict"]
    assert len(set(DEFINITIONS.values())) == len(DEFINITIONS)


def test_outcomes_figure_names_each_outcome_and_its_definition(tmp_path, monkeypatch):
    from escalation.run.results import DEFINITIONS

    drawn = {}

    def keep(fig, path):
        drawn["labels"] = [label.get_text() for label in fig.axes[0].get_yticklabels()]

    monkeypatch.setattr(plots, "save_figure", keep)
    summary = run_summary()
    plots.plot_outcomes(summary, tmp_path / "outcomes.png")
    table = run_figure_data.outcome_probabilities(summary)
    assert table["definition"].tolist() == [DEFINITIONS[name] for name in table["outcome"]]
    assert drawn["labels"] == run_figure_data.outcome_tick_labels(table)
    for label, name, definition in zip(
        drawn["labels"], table["label"], table["definition"], strict=True
    ):
        first, _, rest = label.partition("\n")
        assert first == name
        assert rest.replace("\n", " ") == f"({definition})"
        assert max(len(line) for line in rest.splitlines()) <= run_figure_data.DEFINITION_WIDTH


def test_median_rung_by_month():
    median = run_figure_data.median_rung(synthetic_trajectories())
    assert median.to_dict() == {1: 3.0, 2: 4.0, 3: float(Rung.CONTAINED_CLASH)}


def test_position_bands_median_and_ordering():
    bands = run_figure_data.position_bands(synthetic_trajectories())
    assert list(bands.columns) == ["month", "date", "p5", "p25", "p50", "p75", "p95"]
    assert bands["month"].tolist() == [1, 2, 3]
    assert bands["date"].tolist() == DATES
    assert bands["p50"].tolist() == [82.0, 81.0, 80.0]
    # Month 3 positions are 70, 80, 90: linear quantiles are 70 + 20 * q.
    month3 = bands.iloc[2]
    assert month3["p5"] == pytest.approx(71.0)
    assert month3["p25"] == pytest.approx(75.0)
    assert month3["p75"] == pytest.approx(85.0)
    assert month3["p95"] == pytest.approx(89.0)
    quantiles = bands[["p5", "p25", "p50", "p75", "p95"]].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()


def test_outcome_probabilities_keeps_summary_order_and_values():
    table = run_figure_data.outcome_probabilities(run_summary())
    assert list(table.columns) == [
        "outcome",
        "label",
        "p",
        "low",
        "high",
        "band_low",
        "band_high",
        "definition",
    ]
    assert table[["band_low", "band_high"]].isna().all().all()  # a summary without bands
    assert table["outcome"].tolist() == ["russian_retaliation", "direct_conflict", "nuclear_use"]
    assert table["label"].tolist() == [
        "Russian retaliation",
        "NATO-Russia war",
        "Nuclear use",
    ]
    np.testing.assert_allclose(table["p"], [0.30, 0.05, 0.0])
    np.testing.assert_allclose(table["low"], [0.27, 0.04, 0.0])
    np.testing.assert_allclose(table["high"], [0.33, 0.066, 0.0038])


def test_month_label():
    assert run_figure_data.month_label("2025-01") == "Jan 2025"
    assert run_figure_data.month_label("not a date") == "not a date"


def test_draw_run_figures_writes_three_pngs_and_no_temporary_files(tmp_path):
    folder = tmp_path / "figures"
    paths = plots.draw_run_figures(synthetic_trajectories(), run_summary(), folder)
    names = ["escalation_ladder.png", "outcome_probabilities.png", "ukraine_position.png"]
    assert [path.name for path in paths] == names
    assert sorted(entry.name for entry in folder.iterdir()) == sorted(names)
    for path in paths:
        assert path.parent == folder
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_runs_figures_drawn_on_two_processes_are_those_drawn_on_one(tmp_path):
    table, summary = synthetic_trajectories(), run_summary()
    one = plots.draw_run_figures(table, summary, tmp_path / "one", workers=1)
    two = plots.draw_run_figures(table, summary, tmp_path / "two", workers=2)
    assert [path.name for path in one] == [path.name for path in two]
    for mine, theirs in zip(one, two, strict=True):
        assert mine.read_bytes() == theirs.read_bytes()


def test_a_large_run_draws_its_figures_in_its_own_process():
    from escalation.config.scenarios import load_settings
    from escalation.run import parallel
    from escalation.run.runs import figure_workers

    small = load_settings("status_quo", replicates=parallel.CHUNK)
    large = load_settings("status_quo", replicates=parallel.CHUNK + 1)
    assert figure_workers(small) >= 1
    assert figure_workers(large) == 1
    assert figure_workers(load_settings("status_quo", replicates=10, **{"sim.workers": 3})) == 3


def test_draw_run_figures_closes_its_figures(tmp_path):
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    plots.draw_run_figures(synthetic_trajectories(), run_summary(), tmp_path)
    assert set(plt.get_fignums()) == before


def test_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.plot_position(synthetic_trajectories(), "Position", tmp_path / "position.png")
    assert list(tmp_path.iterdir()) == []


def test_importing_plots_is_cheap_and_does_not_import_the_model():
    code = (
        "import sys, escalation.run.figures; "
        "heavy = [m for m in ('matplotlib', 'escalation.model') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == ""


def with_measures(table: pd.DataFrame) -> pd.DataFrame:
    """The synthetic trajectories with the measures in force: replicate 0 has instructors from
    month 2, replicate 1 limited deep strikes throughout, replicate 2 non-combat troops in month 3
    (and prohibited deep strikes)."""
    month, replicate = table["month"], table["replicate"]
    return table.assign(
        instructors_inside=(replicate == 0) & (month >= 2),
        deep_strikes=np.where(replicate == 1, "limited", "prohibited"),
        troops=np.where((replicate == 2) & (month == 3), "noncombat", "none"),
    )


def test_measure_shares_count_each_measure_in_force_whatever_the_top_rung():
    shares = run_figure_data.measure_shares(with_measures(synthetic_trajectories()))
    assert list(shares.columns) == [
        "Instructors in Ukraine (5)",
        "Deep strikes (6)",
        "Ground troops (8)",
    ]
    assert shares.index.tolist() == [1, 2, 3]
    np.testing.assert_allclose(
        shares.to_numpy(), [[0, 1 / 3, 0], [1 / 3, 1 / 3, 0], [1 / 3, 1 / 3, 1 / 3]]
    )
    assert run_figure_data.measure_shares(synthetic_trajectories()) is None  # an older table


def test_ladder_figure_shows_the_measures_its_colour_hides_in_a_panel(tmp_path, monkeypatch):
    drawn = {}

    def keep(fig, path):
        lines = fig.axes[2].get_lines()
        drawn["lines"] = {line.get_label(): list(line.get_ydata()) for line in lines}
        drawn["axes"] = len(fig.axes)

    monkeypatch.setattr(plots, "save_figure", keep)
    table = with_measures(synthetic_trajectories())
    plots.plot_ladder(table, "Ladder", tmp_path / "ladder.png")
    shares = run_figure_data.measure_shares(table) * 100.0
    assert drawn["axes"] == 4  # heatmap, rare rungs, measures, colour bar
    assert drawn["lines"] == {label: list(column) for label, column in shares.items()}
