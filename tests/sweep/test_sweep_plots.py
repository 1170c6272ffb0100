"""Tests of the data behind the sweep figures, and of the files written."""

from __future__ import annotations

import functools
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import (
    FIGURES,
    FIXED,
    ORDER,
    conflict,
    differences_table,
    full_grid,
    sweep_summary,
)

from escalation.run.results import PROBABILITIES
from escalation.sweep import figures as sweep_plots

SRC = Path(__file__).resolve().parents[2] / "src"


def test_levers_follow_the_config_order():
    assert {lever: list(values) for lever, values in sweep_plots.LEVERS.items()} == ORDER


def test_swept_levers_in_lever_order():
    assert sweep_plots.swept_levers(full_grid()) == list(ORDER)
    assert sweep_plots.swept_levers(sweep_summary(["posture", "instructors"])) == [
        "instructors",
        "posture",
    ]
    assert sweep_plots.swept_levers(sweep_summary(["troops"])) == ["troops"]
    assert sweep_plots.swept_levers(sweep_summary([])) == []


def test_policy_label_names_only_the_given_levers():
    row = {**FIXED, "instructors": "inside", "troops": "combat"}
    label = sweep_plots.policy_label(row, ["instructors", "troops"])
    assert label == "instructors=inside, troops=combat"
    assert sweep_plots.policy_label(pd.Series(row), ["posture"]) == "posture=ambiguity"
    assert sweep_plots.policy_label(row, []) == sweep_plots.NO_POLICY_SWEPT


def test_lever_values_follow_lever_order_not_row_order():
    summary = sweep_summary(["troops", "posture"], seed=3)
    assert sweep_plots.lever_values(summary, "troops") == ["none", "noncombat", "combat"]
    assert sweep_plots.lever_values(summary, "posture") == ["red_lines", "ambiguity"]
    assert sweep_plots.lever_values(summary, "instructors") == ["outside"]


def test_heatmap_layout_puts_the_most_varied_levers_on_the_axes():
    # instructors and posture: the three-valued lever goes on x.
    two = sweep_summary(["instructors", "posture"])
    assert sweep_plots.heatmap_layout(two) == ("instructors", "posture", [])
    # Three three-valued levers and posture: ties broken by lever order.
    assert sweep_plots.heatmap_layout(full_grid()) == (
        "instructors",
        "troops",
        ["deep_strikes", "posture"],
    )
    three = sweep_summary(["posture", "deep_strikes", "troops"])
    assert sweep_plots.heatmap_layout(three) == ("troops", "deep_strikes", ["posture"])
    assert sweep_plots.heatmap_layout(sweep_summary(["posture"])) == ("posture", None, [])
    assert sweep_plots.heatmap_layout(sweep_summary([])) == (None, None, [])


def test_heatmap_grid_two_by_three_values_and_order():
    summary = sweep_summary(["instructors", "posture"], seed=5)
    grids = sweep_plots.heatmap_grid(summary, "direct_conflict", "instructors", "posture", [])
    assert list(grids) == [()]
    grid = grids[()]
    assert grid.shape == (2, 3)
    assert list(grid.index) == ["red_lines", "ambiguity"]
    assert list(grid.columns) == ["none", "outside", "inside"]
    assert grid.index.name == "posture"
    assert grid.columns.name == "instructors"
    # 0.01 + 0.02 * instructors + 0.001 * posture (troops none, strikes prohibited)
    expected = [[0.010, 0.030, 0.050], [0.011, 0.031, 0.051]]
    np.testing.assert_allclose(grid.to_numpy(), expected)


def test_heatmap_grid_full_grid_facets():
    summary = full_grid()
    grids = sweep_plots.heatmap_grid(
        summary, "direct_conflict", "instructors", "troops", ["deep_strikes", "posture"]
    )
    assert list(grids) == list(itertools.product(ORDER["deep_strikes"], ORDER["posture"]))
    for (strikes, posture), grid in grids.items():
        assert list(grid.index) == ORDER["troops"]
        assert list(grid.columns) == ORDER["instructors"]
        for troops, instructors in itertools.product(ORDER["troops"], ORDER["instructors"]):
            policy = {
                "instructors": instructors,
                "troops": troops,
                "deep_strikes": strikes,
                "posture": posture,
            }
            assert grid.loc[troops, instructors] == pytest.approx(conflict(policy))
    assert grids[("authorized", "ambiguity")].loc["combat", "inside"] == pytest.approx(0.261)


def test_heatmap_grid_other_outcome_and_missing_combination():
    summary = sweep_summary(["troops", "posture"])
    dropped = summary[~((summary["troops"] == "combat") & (summary["posture"] == "red_lines"))]
    grids = sweep_plots.heatmap_grid(dropped, "nuclear_use", "troops", "posture", [])
    grid = grids[()]
    assert np.isnan(grid.loc["red_lines", "combat"])
    # nuclear_use is the second outcome: twice P(conflict) = 2 * (0.01 + 0.1 + 0.02 + 0.001).
    assert grid.loc["ambiguity", "noncombat"] == pytest.approx(2 * 0.131)


def test_heatmap_grid_single_lever_is_one_row():
    summary = sweep_summary(["troops"])
    grids = sweep_plots.heatmap_grid(summary, "direct_conflict", "troops", None, [])
    grid = grids[()]
    assert grid.shape == (1, 3)
    assert list(grid.index) == [sweep_plots.ALL]
    np.testing.assert_allclose(grid.to_numpy(), [[0.031, 0.131, 0.231]])


def test_heatmap_grid_rejects_duplicate_cells():
    summary = sweep_summary(["troops"])
    doubled = pd.concat([summary, summary], ignore_index=True)
    with pytest.raises(ValueError, match="several rows"):
        sweep_plots.heatmap_grid(doubled, "direct_conflict", "troops", None, [])


def test_within_noise_marks_the_policies_whose_difference_interval_holds_zero():
    summary = pd.DataFrame({"job": [0, 1, 2, 3, 4], "direct_conflict": [0.1] * 5})
    differences = pd.DataFrame(
        {
            "job": [0, 1, 2, 3],
            "baseline_job": [0] * 4,
            "direct_conflict_diff_low": [0.0, -0.02, 0.001, -0.05],
            "direct_conflict_diff_high": [0.0, 0.01, 0.03, -0.001],
        }
    )
    marks = sweep_plots.within_noise(summary, differences, "direct_conflict")
    # 0: the baseline; 1: holds 0; 2 and 3: above and below 0; 4: no difference row.
    np.testing.assert_array_equal(marks.to_numpy(), [np.nan, 1.0, 0.0, 0.0, np.nan])
    assert sweep_plots.is_baseline(summary, differences).tolist() == [True] + [False] * 4
    assert sweep_plots.within_noise(summary, None, "direct_conflict").isna().all()
    assert not sweep_plots.is_baseline(summary, None).any()


def test_heatmap_hatches_and_marks_exactly_the_cells_within_noise(tmp_path, monkeypatch):
    from matplotlib.patches import Rectangle

    from escalation.sweep import heatmap as sweep_heatmap

    summary = sweep_summary(["troops", "posture"])
    differences = differences_table(summary, baseline=0, half=0.03)
    drawn = {}

    def keep(fig, path):
        ax = fig.axes[0]
        drawn["hatched"] = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
        drawn["outlined"] = [
            p for p in ax.patches if isinstance(p, Rectangle) and not p.get_hatch()
        ]
        drawn["texts"] = [t.get_text() for t in ax.texts]
        drawn["legend"] = [t.get_text() for t in fig.legends[0].get_texts()]

    monkeypatch.setattr(sweep_heatmap, "save_figure", keep)
    sweep_plots.plot_heatmap(
        summary, "direct_conflict", tmp_path / "h.png", sweep_name="s", differences=differences
    )
    marks = sweep_plots.within_noise(summary, differences, "direct_conflict")
    expected = summary.loc[marks == 1.0, "direct_conflict"]
    assert 0 < len(expected) < len(summary) - 1  # some cells within noise, some not
    assert len(drawn["hatched"]) == len(expected)
    noisy_texts = sorted(t for t in drawn["texts"] if t.startswith(sweep_plots.NOISE_MARK))
    assert noisy_texts == sorted(f"{sweep_plots.NOISE_MARK} {p * 100:.1f}%" for p in expected)
    assert len(drawn["outlined"]) == 1  # the baseline
    assert drawn["legend"] == [sweep_plots.NOISE_LABEL, sweep_plots.BASELINE_LABEL]
    grid = sweep_plots.heatmap_grid(summary, "direct_conflict", "troops", "posture", [])[()]
    centres = sorted((round(p.get_x() + 0.5), round(p.get_y() + 0.5)) for p in drawn["hatched"])
    cells = [(j, i) for (i, j), value in np.ndenumerate(grid.to_numpy()) if value in set(expected)]
    assert centres == sorted(cells)
    # With no cell within noise, the legend does not explain a hatch that is not drawn.
    tight = differences_table(summary, baseline=0, half=0.0)
    sweep_plots.plot_heatmap(
        summary, "direct_conflict", tmp_path / "h.png", sweep_name="s", differences=tight
    )
    assert drawn["hatched"] == []
    assert drawn["legend"] == [sweep_plots.BASELINE_LABEL]


def test_pareto_front_hand_made_case_with_ties():
    table = pd.DataFrame(
        {
            "name": ["A", "B", "C", "D", "E", "F", "G", "H", "I"],
            "direct_conflict": [0.10, 0.10, 0.20, 0.20, 0.30, 0.05, 0.30, np.nan, 0.40],
            "ukraine_position_final_mean": [80, 78, 85, 85, 84, 70, 90, 99, 90],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17, 18],
    )
    front = sweep_plots.pareto_front(table)
    assert front.dtype == bool
    assert list(front.index) == list(table.index)
    on_front = table.loc[front, "name"].tolist()
    # B: same risk as A, less territory. E: C has less risk and more territory.
    # C and D tie exactly and both stay. H has no risk estimate. I: G has same
    # territory at less risk.
    assert on_front == ["A", "C", "D", "F", "G"]


def test_pareto_front_on_intervals_dominates_only_beyond_them():
    table = pd.DataFrame(
        {
            "name": ["A", "B", "C", "D", "E"],
            "direct_conflict": [0.10, 0.11, 0.30, 0.05, 0.20],
            "direct_conflict_low": [0.08, 0.09, 0.27, 0.03, 0.12],
            "direct_conflict_high": [0.12, 0.13, 0.33, 0.07, 0.28],
            "ukraine_position_final_mean": [80.0, 79.5, 70.0, 90.0, 75.0],
            "ukraine_position_final_mean_low": [79.0, 78.5, 69.0, np.nan, 74.0],
            "ukraine_position_final_mean_high": [81.0, 80.5, 71.0, np.nan, 76.0],
        }
    )
    points = sweep_plots.pareto_front(table)
    intervals = sweep_plots.pareto_front(table, intervals=True)
    # On the estimates D beats everyone. On the intervals too: every other risk interval lies
    # wholly above D's 3-7%, and D's position (missing bounds count as its estimate, 90) above
    # every other position interval.
    assert table.loc[points, "name"].tolist() == ["D"]
    assert table.loc[intervals, "name"].tolist() == ["D"]
    without_d = table[table["name"] != "D"]
    # A beats C (12% < 27%, 79 > 71) but not B (intervals overlap on both axes) nor E (its
    # risk interval 8-12% touches E's 12-28%: not wholly below).
    assert without_d.loc[sweep_plots.pareto_front(without_d), "name"].tolist() == ["A"]
    kept = sweep_plots.pareto_front(without_d, intervals=True)
    assert without_d.loc[kept, "name"].tolist() == ["A", "B", "E"]


def test_tradeoff_figure_draws_the_interval_rule_and_numbers_every_policy(tmp_path, monkeypatch):
    from escalation.sweep import tradeoff

    summary = full_grid()
    drawn = {}

    def keep(fig, path):
        ax, key_ax = fig.axes
        drawn["numbers"] = [
            number for text in ax.texts for number in re.split(r",\s*", text.get_text())
        ]
        drawn["key"] = "\n".join(text.get_text() for text in key_ax.texts)
        drawn["points"] = {
            container.get_label(): len(container.lines[0].get_xdata())
            for container in ax.containers
        }

    monkeypatch.setattr(tradeoff, "save_figure", keep)
    sweep_plots.plot_tradeoff(summary, tmp_path / "t.png", sweep_name="s")
    front = sweep_plots.pareto_front(summary, intervals=True)
    assert 0 < front.sum() < len(summary)  # some dominated beyond the intervals, some not
    assert front.sum() > sweep_plots.pareto_front(summary).sum()  # the intervals keep more
    assert drawn["points"] == {
        sweep_plots.FRONT_LABEL: front.sum(),
        sweep_plots.DOMINATED_LABEL: len(summary) - front.sum(),
    }
    # Every policy is numbered on the plot once, 1..54, and named in the key under its number.
    assert sorted(int(n) for n in drawn["numbers"]) == list(range(1, len(summary) + 1))
    key = drawn["key"].replace("\n        ", " ")
    assert " ".join(sweep_plots.DOMINANCE_RULE.split()) in " ".join(key.split())
    assert sweep_plots.OTHERS_HEADER in key
    for _, row in summary.iterrows():
        name = sweep_plots.policy_label(row, list(ORDER), values_only=True)
        assert len(re.findall(rf"^\d+\.  {re.escape(name)}   \(", key, re.M)) == 1
    assert sweep_plots.NO_OTHERS not in key
    numbered = [int(n) for n in re.findall(r"^(\d+)\.  ", key, re.M)]
    assert numbered == list(range(1, len(summary) + 1))


def test_pareto_front_other_columns():
    table = pd.DataFrame({"risk": [0.1, 0.2, 0.3], "gain": [3.0, 1.0, 2.0]})
    front = sweep_plots.pareto_front(table, risk="risk", benefit="gain")
    assert front.tolist() == [True, False, False]


def test_ranking_sorts_by_probability_with_labels_and_intervals():
    summary = sweep_summary(["troops", "posture"], seed=11)
    table = sweep_plots.ranking(summary, "direct_conflict")
    assert list(table.columns) == ["job", "label", "p", "low", "high"]
    assert table["label"].tolist() == [
        "troops=none, posture=red_lines",
        "troops=none, posture=ambiguity",
        "troops=noncombat, posture=red_lines",
        "troops=noncombat, posture=ambiguity",
        "troops=combat, posture=red_lines",
        "troops=combat, posture=ambiguity",
    ]
    np.testing.assert_allclose(table["p"], [0.030, 0.031, 0.130, 0.131, 0.230, 0.231])
    np.testing.assert_allclose(table["low"], 0.8 * table["p"])
    np.testing.assert_allclose(table["high"], 1.2 * table["p"] + 0.01)
    assert list(table.index) == list(range(6))
    job_of = {row["job"]: row for _, row in summary.iterrows()}
    for _, row in table.iterrows():
        assert job_of[row["job"]]["direct_conflict"] == row["p"]


def test_ranking_ties_keep_summary_order_and_missing_come_last():
    summary = sweep_summary(["troops"])
    summary["direct_conflict"] = [0.2, np.nan, 0.2]
    table = sweep_plots.ranking(summary, "direct_conflict")
    assert table["job"].tolist()[:2] == summary["job"].tolist()[::2]
    assert np.isnan(table["p"].iloc[-1])


def test_sweep_description():
    text = sweep_plots.sweep_description(full_grid(), "policy_grid")
    assert text == "policy_grid sweep of status_quo: 54 policies x 1,000 replicates, 36 months"
    mixed = sweep_summary(["troops"])
    mixed["replicates"] = [500, 1000, 1000]
    assert "3 policies x 500-1,000 replicates" in sweep_plots.sweep_description(mixed, "s")


def assert_pngs(folder: Path, paths: list[Path]) -> None:
    assert [path.name for path in paths] == FIGURES
    assert sorted(entry.name for entry in folder.iterdir()) == sorted(FIGURES)
    for path in paths:
        assert path.parent == folder
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_sweep_figures_full_grid_writes_four_pngs_and_no_temporary_files(tmp_path):
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    folder = tmp_path / "sweep" / "figures"
    paths = sweep_plots.draw_sweep_figures(full_grid(), folder, sweep_name="policy_grid")
    assert_pngs(folder, paths)
    assert set(plt.get_fignums()) == before


@pytest.mark.parametrize(
    "swept",
    [[], ["troops"], ["posture"], ["troops", "posture"], ["instructors", "troops", "posture"]],
)
def test_draw_sweep_figures_with_fewer_swept_levers(tmp_path, swept):
    paths = sweep_plots.draw_sweep_figures(sweep_summary(swept), tmp_path, sweep_name="s")
    assert_pngs(tmp_path, paths)


def test_draw_sweep_figures_with_missing_values(tmp_path):
    summary = sweep_summary(["troops", "posture"])
    summary.loc[0, "direct_conflict"] = np.nan
    summary.loc[1, "ukraine_position_final_mean"] = np.nan
    summary = summary.drop(index=2)
    paths = sweep_plots.draw_sweep_figures(summary, tmp_path, sweep_name="s")
    assert_pngs(tmp_path, paths)


def test_failed_save_leaves_no_temporary_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        sweep_plots.plot_tradeoff(full_grid(), tmp_path / "tradeoff.png", sweep_name="s")
    assert list(tmp_path.iterdir()) == []


def test_importing_sweep_plots_is_cheap_and_does_not_import_the_model():
    code = (
        "import sys, escalation.sweep.figures; "
        "heavy = [m for m in ('matplotlib', 'escalation.model', 'mesa') if m in sys.modules]; "
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


def test_swept_columns_add_varying_settings_and_job_when_rows_share_them():
    summary = sweep_summary(["troops"])
    assert sweep_plots.swept_columns(summary) == ["troops"]
    seeds = pd.concat([summary.assign(seed=1), summary.assign(seed=2)], ignore_index=True)
    seeds["job"] = range(len(seeds))
    assert sweep_plots.swept_columns(seeds) == ["troops", "seed"]
    # A setting the summary has no column for (a doctrine number): only the job tells rows apart.
    hidden = pd.concat([summary, summary], ignore_index=True)
    hidden["job"] = range(len(hidden))
    assert sweep_plots.swept_columns(hidden) == ["troops", "job"]


def test_seed_sweep_is_faceted_by_seed_in_numeric_order():
    summary = sweep_summary(["troops", "posture"])
    seeds = pd.concat([summary.assign(seed=10), summary.assign(seed=2)], ignore_index=True)
    seeds["job"] = range(len(seeds))
    assert sweep_plots.heatmap_layout(seeds) == ("troops", "posture", ["seed"])
    grids = sweep_plots.heatmap_grid(seeds, "direct_conflict", "troops", "posture", ["seed"])
    assert list(grids) == [("2",), ("10",)]
    assert grids[("2",)].loc["red_lines", "combat"] == pytest.approx(0.23)


def test_draw_sweep_figures_when_a_setting_without_column_is_swept(tmp_path):
    summary = sweep_summary(["troops", "posture"])
    hidden = pd.concat([summary, summary], ignore_index=True)
    hidden["job"] = range(len(hidden))
    paths = sweep_plots.draw_sweep_figures(hidden, tmp_path, sweep_name="custom")
    assert_pngs(tmp_path, paths)
    labels = sweep_plots.ranking(hidden, "direct_conflict")["label"]
    assert labels.is_unique


def test_draw_sweep_figures_from_a_csv_round_trip_with_empty_means(tmp_path):
    summary = sweep_summary(["troops", "deep_strikes"])
    for column in ["ukraine_position_final_mean", "ukraine_position_final_mean_low"]:
        summary[column] = None
    summary["ukraine_position_final_mean_high"] = None
    summary.to_csv(tmp_path / "summary.csv", index=False)
    read = pd.read_csv(tmp_path / "summary.csv")
    assert not sweep_plots.pareto_front(read).any()
    folder = tmp_path / "figures"
    paths = sweep_plots.draw_sweep_figures(read, folder, sweep_name="s")
    assert_pngs(folder, paths)


THRESHOLD = "uncertainty.red_line_threshold.high"


def threshold_sweep() -> pd.DataFrame:
    """The analyst's sweep: troops x posture x two red-line thresholds, as gathering writes it.

    Under the high threshold every policy is safer (its risk halved) but no position changes, so
    comparing across thresholds would wrongly make the high-threshold rows dominate all others.
    """
    summary = sweep_summary(["troops", "posture"])
    high = summary.copy()
    for name in PROBABILITIES:
        for column in (name, f"{name}_low", f"{name}_high"):
            high[column] = high[column] / 2
    both = pd.concat([summary.assign(**{THRESHOLD: 6.5}), high.assign(**{THRESHOLD: 9.0})])
    both = both.reset_index(drop=True)
    both["job"] = range(len(both))
    front = ["job", "scenario", "replicates", "months", "seed", *ORDER, THRESHOLD]
    return both[front + [c for c in both.columns if c not in front]]


def test_swept_key_columns_label_the_sweep_with_no_job_axis():
    summary = threshold_sweep()
    assert sweep_plots.swept_columns(summary) == ["troops", "posture", THRESHOLD]
    assert sweep_plots.assumption_columns(summary) == [THRESHOLD]
    x, y, facets = sweep_plots.heatmap_layout(summary)
    assert "job" not in (x, y, *facets)
    assert THRESHOLD in (x, y, *facets)
    labels = sweep_plots.ranking(summary, "direct_conflict")["label"]
    assert labels.is_unique
    assert labels.str.contains(f"{THRESHOLD}=9.0").sum() == 6
    assert not labels.str.contains("job").any()


def test_tradeoff_front_is_per_assumption_value_not_across_them():
    summary = threshold_sweep()
    across = sweep_plots.pareto_front(summary)
    per_value = sweep_plots.pareto_front(summary, by=[THRESHOLD])
    # Across values the safer 9.0 rows beat their own 6.5 twins: no 6.5 row is left on the front.
    assert not across[summary[THRESHOLD] == 6.5].any()
    # Per value each threshold keeps the same policies on its front.
    fronts = {
        value: set(
            summary.loc[per_value & (summary[THRESHOLD] == value), list(ORDER)].itertuples(
                index=False
            )
        )
        for value in (6.5, 9.0)
    }
    assert fronts[6.5] == fronts[9.0]
    assert fronts[6.5]


def front_labels(summary: pd.DataFrame, path, monkeypatch) -> list[str]:
    """The legend labels of the fronts ``plot_tradeoff`` draws (recorded from ``errorbar``)."""
    import matplotlib.axes

    labels: list[str] = []
    original = matplotlib.axes.Axes.errorbar

    def record(self, *args, **kwargs):
        labels.append(kwargs.get("label", ""))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", record)
    assert sweep_plots.plot_tradeoff(summary, path, sweep_name="custom").is_file()
    return [label for label in labels if label.startswith(sweep_plots.FRONT_LABEL)]


def test_tradeoff_figure_draws_one_front_per_threshold(tmp_path, monkeypatch):
    fronts = front_labels(threshold_sweep(), tmp_path / "t.png", monkeypatch)
    assert fronts == [
        f"{sweep_plots.FRONT_LABEL}: {THRESHOLD}=6.5",
        f"{sweep_plots.FRONT_LABEL}: {THRESHOLD}=9.0",
    ]


def test_tradeoff_key_names_each_policy_once_with_the_values_where_it_is_on_the_front():
    from escalation.sweep.tradeoff import front_key

    summary = threshold_sweep()
    on_front = sweep_plots.pareto_front(summary, by=[THRESHOLD]).to_numpy()
    number_of, lines = front_key(summary, on_front, list(ORDER), [THRESHOLD])
    policies = summary.loc[on_front, list(ORDER)].drop_duplicates()
    assert len(lines) == len(policies) == on_front.sum() / 2  # the same front at 6.5 and 9.0
    assert all(f"[at every {THRESHOLD}]" in line for line in lines)
    for twin in summary[on_front].groupby(list(ORDER)).groups.values():
        assert len({number_of[summary.index.get_loc(i)] for i in twin}) == 1
    # A policy pushed off the 9.0 front is listed only at 6.5, under the number it keeps.
    first = int(np.flatnonzero(on_front & (summary[THRESHOLD] == 9.0).to_numpy())[0])
    summary.loc[first, "direct_conflict"] = 0.99
    on_front = sweep_plots.pareto_front(summary, by=[THRESHOLD]).to_numpy()
    _, lines = front_key(summary, on_front, list(ORDER), [THRESHOLD])
    assert sum(f"[at {THRESHOLD} = 6.5]" in line for line in lines) == 1
    assert lines[0].startswith("1.  ")
    assert re.fullmatch(r"1\.  .+\(\d+\.\d(–\d+\.\d)?%, \d+\.\d(–\d+\.\d)?% held\)", lines[0])


def test_tradeoff_labels_of_points_drawn_on_top_of_each_other_are_joined():
    from escalation.sweep.tradeoff import label_groups

    risk = np.array([1.0, 2.80, 2.90, 10.0, 10.3, 20.0])
    position = np.array([81.0, 83.6, 83.6, 85.3, 85.35, 86.6])
    groups = label_groups(risk, position, [1, 7, 8, 13, 14, 17])
    assert list(groups.values()) == [["1"], ["7", "8"], ["13", "14"], ["17"]]
    assert list(groups) == [(1.0, 81.0), (2.8, 83.6), (10.0, 85.3), (20.0, 86.6)]
    far = label_groups(np.array([0.0, 5.0]), np.array([0.0, 5.0]), [1, 2])
    assert list(far.values()) == [["1"], ["2"]]


def label_boxes(summary, tmp_path, monkeypatch):
    """The display boxes of the numbers on a trade-off figure, its markers' centres and axes box."""
    from matplotlib.text import Text

    from escalation.sweep import tradeoff

    drawn = {}

    def keep(fig, path):
        fig.draw_without_rendering()  # as savefig lays it out
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        boxes = []
        for text in ax.texts:
            text.update_positions(renderer)
            boxes.append(Text.get_window_extent(text, renderer))
        drawn["boxes"] = boxes
        drawn["frame"] = ax.get_window_extent(renderer)
        drawn["markers"] = ax.transData.transform(
            np.column_stack(
                [summary[sweep_plots.RISK] * 100.0, summary["ukraine_position_final_mean"]]
            )
        )

    monkeypatch.setattr(tradeoff, "save_figure", keep)
    sweep_plots.plot_tradeoff(summary, tmp_path / "t.png", sweep_name="s")
    return drawn["boxes"], drawn["markers"], drawn["frame"]


def dense_grid() -> pd.DataFrame:
    """54 policies crowded as in the real policy_grid: most within a few % of risk and position."""
    summary = full_grid()
    rng = np.random.default_rng(3)
    risk = np.sort(rng.gamma(1.2, 0.09, len(summary)))
    summary[sweep_plots.RISK] = risk
    summary[f"{sweep_plots.RISK}_low"] = risk * 0.8
    summary[f"{sweep_plots.RISK}_high"] = risk * 1.2 + 0.01
    position = 78.5 + 12.0 * risk + rng.normal(0.0, 0.3, len(summary))
    for suffix, shift in (("", 0.0), ("_low", -0.4), ("_high", 0.4)):
        summary[f"ukraine_position_final_mean{suffix}"] = position + shift
    return summary


@pytest.mark.parametrize("grid", [full_grid, dense_grid])
def test_tradeoff_numbers_cover_no_other_number_nor_marker_and_stay_in_the_axes(
    tmp_path, monkeypatch, grid
):
    boxes, markers, frame = label_boxes(grid(), tmp_path, monkeypatch)
    assert len(boxes) >= 10
    for index, box in enumerate(boxes):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1
        assert not any(box.overlaps(other) for other in boxes[index + 1 :])
        assert not any(box.contains(x, y) for x, y in markers)


def test_a_front_identical_to_an_earlier_one_says_so_in_its_legend(tmp_path, monkeypatch):
    summary = threshold_sweep()
    low = summary[summary[THRESHOLD] == 6.5]
    same = pd.concat([low, low.assign(**{THRESHOLD: 9.0})], ignore_index=True)
    same["job"] = range(len(same))
    fronts = front_labels(same, tmp_path / "t.png", monkeypatch)
    assert fronts == [
        f"{sweep_plots.FRONT_LABEL}: {THRESHOLD}=6.5",
        f"{sweep_plots.FRONT_LABEL}: {THRESHOLD}=9.0 (the same front as {THRESHOLD}=6.5)",
    ]


def test_figures_drawn_on_two_processes_are_those_drawn_on_one(tmp_path):
    summary = full_grid()
    one = sweep_plots.draw_sweep_figures(summary, tmp_path / "one", sweep_name="g", workers=1)
    two = sweep_plots.draw_sweep_figures(summary, tmp_path / "two", sweep_name="g", workers=2)
    assert [path.name for path in one] == [path.name for path in two]
    for mine, theirs in zip(one, two, strict=True):
        assert mine.read_bytes() == theirs.read_bytes()


def test_work_done_meanwhile_runs_once_whether_figures_are_drawn_here_or_in_workers(tmp_path):
    summary = full_grid()
    done = []
    for workers in (1, 2):
        meanwhile = functools.partial(done.append, workers)
        paths = sweep_plots.draw_sweep_figures(
            summary, tmp_path / str(workers), sweep_name="g", workers=workers, meanwhile=meanwhile
        )
        assert done[-1] == workers
        assert len(paths) == 4
        assert all(path.is_file() for path in paths)
    assert done == [1, 2]
