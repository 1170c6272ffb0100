"""Both intervals of every headline: the summary, the terminal table, summary.csv's row, the figure.

Each test builds an outcomes table whose answer is known: draws that differ completely (the
band spans 0 to 1), draws that differ only by chance (the band collapses near the point), one
draw (no band).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from escalation.run import figures as plots
from escalation.run.figure_data import outcome_probabilities
from escalation.run.results import (
    BAND_NOTE,
    MEANS,
    NO_BAND,
    PROBABILITIES,
    clustered_variance,
    parameter_band,
    summarize,
    summary_row,
    summary_table,
    wilson_interval,
)
from escalation.scope import CAVEAT

META = {"title": "T", "replicates": 200, "months": 12, "seed": 7}


def outcomes(war: np.ndarray, draw: np.ndarray | None, position: np.ndarray | None = None):
    """An outcomes table: ``war`` as direct_conflict, every other event never, means at 1."""
    size = len(war)
    table = pd.DataFrame({name: np.zeros(size, bool) for name in PROBABILITIES})
    table = table.drop(columns="red_line_crossed")
    table["direct_conflict"] = war.astype(bool)
    for name in [*MEANS, "red_lines_crossed"]:
        table[name] = 1.0
    table["red_lines_crossed"] = 0.0
    if position is not None:
        table["ukraine_position_final"] = position
    if draw is not None:
        table.insert(0, "draw", draw)
    return table


def split_draws() -> pd.DataFrame:
    """10 draws of 20 replicates: war in every replicate of draws 0-4, in none of 5-9."""
    draw = np.repeat(np.arange(10), 20)
    return outcomes((draw < 5).astype(float), draw, position=70.0 + draw)


def noise_draws() -> pd.DataFrame:
    """50 draws of 40 replicates, war with probability 0.2 whatever the draw."""
    rng = np.random.default_rng(3)
    draw = np.repeat(np.arange(50), 40)
    return outcomes(rng.random(draw.size) < 0.2, draw)


def test_draws_that_differ_completely_give_a_band_from_0_to_1_and_a_clustered_interval():
    summary = summarize(split_draws(), META)
    war = summary["probabilities"]["direct_conflict"]
    assert summary["draws"] == 10
    assert war["p"] == 0.5
    assert (war["band_low"], war["band_high"]) == (0.0, 1.0)
    # The draws' means, 0 or 1, have variance 0.25 * 10/9 over 10 draws: 9 effective replicates.
    assert (war["low"], war["high"]) == pytest.approx(wilson_interval(4.5, 9))
    assert war["band_high"] - war["band_low"] > war["high"] - war["low"]
    # Ukraine's position is 70 + draw: the band is 5-95% of 70..79, no Monte Carlo noise in it.
    position = summary["means"]["ukraine_position_final"]
    assert position["mean"] == pytest.approx(74.5)
    assert (position["band_low"], position["band_high"]) == pytest.approx(
        tuple(np.quantile(np.arange(70.0, 80.0), [0.05, 0.95]))
    )
    never = summary["probabilities"]["nuclear_use"]
    assert (never["p"], never["band_low"], never["band_high"]) == (0.0, 0.0, 0.0)


def test_draws_that_differ_by_chance_only_give_a_band_collapsed_near_the_point():
    table = noise_draws()
    war = summarize(table, META)["probabilities"]["direct_conflict"]
    draw_means = table.groupby("draw")["direct_conflict"].mean()
    raw_low, raw_high = np.quantile(draw_means, [0.05, 0.95])
    assert raw_high - raw_low >= 0.15  # the draws' own estimates scatter by their noise
    assert war["band_high"] - war["band_low"] < (raw_high - raw_low) / 4  # the band keeps little
    assert war["band_low"] <= war["p"] <= war["band_high"]
    assert war["p"] == pytest.approx(0.2, abs=0.02)
    assert (war["band_low"], war["band_high"]) == pytest.approx(
        parameter_band(table["direct_conflict"].to_numpy(float), table["draw"], bounds=(0, 1))
    )


def test_one_draw_or_no_draw_column_gives_no_band():
    war = np.array([1.0, 0.0, 0.0, 0.0] * 5)
    one = summarize(outcomes(war, np.zeros(war.size, int)), META)
    assert one["draws"] == 1
    item = one["probabilities"]["direct_conflict"]
    assert (item["band_low"], item["band_high"]) == (None, None)
    assert item["p"] == 0.25
    # one draw: the replicates' sample variance (n - 1) sets the effective number, 19
    assert (item["low"], item["high"]) == pytest.approx(wilson_interval(0.25 * 19, 19))
    assert one["means"]["max_rung"]["band_low"] is None
    none = summarize(outcomes(war, None), META)
    assert none["draws"] is None
    assert none["probabilities"]["direct_conflict"]["band_high"] is None
    plain = none["probabilities"]["direct_conflict"]
    assert (plain["low"], plain["high"]) == pytest.approx(wilson_interval(5, 20))


def test_summary_row_gives_the_band_of_every_probability_and_mean():
    summary = summarize(split_draws(), META)
    row = summary_row(summary)
    for name, item in summary["probabilities"].items():
        assert row[f"{name}_band_low"] == item["band_low"]
        assert row[f"{name}_band_high"] == item["band_high"]
    for name, item in summary["means"].items():
        assert row[f"{name}_mean_band_low"] == item["band_low"]
        assert row[f"{name}_mean_band_high"] == item["band_high"]
    assert (row["direct_conflict_band_low"], row["direct_conflict_band_high"]) == (0.0, 1.0)
    names = list(row)
    start = names.index("direct_conflict")
    assert names[start : start + 5] == [
        "direct_conflict",
        "direct_conflict_low",
        "direct_conflict_high",
        "direct_conflict_band_low",
        "direct_conflict_band_high",
    ]
    assert len(row) == 5 * len(PROBABILITIES) + 5 * len(MEANS)


def test_summary_row_of_a_summary_written_before_the_bands_has_empty_band_cells():
    summary = summarize(split_draws(), META)
    for item in [*summary["probabilities"].values(), *summary["means"].values()]:
        del item["band_low"], item["band_high"]
    row = summary_row(summary)
    assert row["direct_conflict_band_low"] is None
    assert row["max_rung_mean_band_high"] is None


def test_the_terminal_table_prints_both_intervals_the_draws_and_the_note():
    summary = summarize(split_draws(), META)
    lines = summary_table(summary).splitlines()
    assert lines[0] == "T  (200 replicates in 10 parameter draws x 12 months, seed 7)"
    assert re.split(r"\s{2,}", lines[1]) == ["outcome", "p", "95% interval", "parameter band"]
    war = next(line for line in lines if line.startswith("NATO-Russia war "))
    low, high = (summary["probabilities"]["direct_conflict"][key] for key in ("low", "high"))
    assert re.split(r"\s{2,}", war) == [
        "NATO-Russia war",
        "50.0%",
        f"[{low:.1%}, {high:.1%}]",
        "[0.0%, 100.0%]",
    ]
    rows = 2 + len(PROBABILITIES)
    assert lines[rows] == BAND_NOTE
    assert lines[rows + 1].startswith("mean highest rung")
    # the band column starts at the same place on every row
    starts = {len(line) - len(re.split(r"\s{2,}", line)[-1]) for line in lines[2:rows]}
    assert starts == {lines[1].index("parameter band")}
    assert lines[-1] == CAVEAT


def test_the_terminal_table_shows_a_dash_without_a_band_and_one_draw():
    war = np.array([1.0, 0.0, 0.0, 0.0] * 5)
    summary = summarize(outcomes(war, np.zeros(war.size, int)), {**META, "replicates": 20})
    lines = summary_table(summary).splitlines()
    assert lines[0] == "T  (20 replicates in 1 parameter draw x 12 months, seed 7)"
    for line in lines[2 : 2 + len(PROBABILITIES)]:
        assert re.split(r"\s{2,}", line)[-1] == NO_BAND
        assert re.split(r"\s{2,}", line)[-2].startswith("[")
    assert BAND_NOTE in lines
    old = summarize(outcomes(war, None), {**META, "replicates": 20})
    del old["draws"]
    assert summary_table(old).splitlines()[0] == "T  (20 replicates x 12 months, seed 7)"


def test_the_caveat_says_what_the_two_intervals_are_and_that_the_band_follows_sim_parameters():
    assert "95% interval is Monte Carlo error" in CAVEAT
    assert "parameter band, 5-95% across the run's parameter draws" in CAVEAT
    for words in ("sim.parameters", "posterior:", "prior:", "point:"):
        assert words in CAVEAT
    assert "Monte Carlo error only" not in CAVEAT


def test_outcome_probabilities_carry_the_band_and_nan_without_one():
    summary = summarize(split_draws(), META)
    table = outcome_probabilities(summary).set_index("outcome")
    assert list(table.columns) == [
        "label",
        "p",
        "low",
        "high",
        "band_low",
        "band_high",
        "definition",
    ]
    assert tuple(table.loc["direct_conflict", ["band_low", "band_high"]]) == (0.0, 1.0)
    war = np.array([1.0, 0.0] * 10)
    single = outcome_probabilities(summarize(outcomes(war, np.zeros(20, int)), META))
    assert single["band_low"].isna().all() and single["band_high"].isna().all()


def legend_of(fig) -> tuple[list[str], str]:
    """The figure legend's labels, and its title with line breaks as spaces."""
    (legend,) = fig.legends
    title = " ".join(legend.get_title().get_text().split())
    return [text.get_text() for text in legend.get_texts()], title


def test_the_outcomes_figure_draws_the_band_and_names_both_intervals():
    import matplotlib.pyplot as plt

    summary = summarize(split_draws(), META)
    fig = plots.outcomes_figure(summary)
    try:
        labels, title = legend_of(fig)
        assert labels == ["Estimated probability", plots.MC_LABEL, plots.BAND_LABEL]
        assert "Monte Carlo" in plots.MC_LABEL and "Parameter band" in plots.BAND_LABEL
        assert title == BAND_NOTE
        (ax,) = fig.axes
        (band,) = [c for c in ax.collections if c.get_label() == plots.BAND_LABEL]
        ends = sorted((s[0][0], s[1][0], s[0][1]) for s in band.get_segments())
        war_row = list(PROBABILITIES).index("direct_conflict")
        assert (0.0, 100.0, float(war_row)) in ends
        assert len(ends) == len(PROBABILITIES)
        assert ax.get_xlabel() == "Probability over the run (%)"
        assert fig.get_suptitle().startswith("T: outcome probabilities")
    finally:
        plt.close(fig)


def test_the_outcomes_figure_without_a_band_says_so():
    import matplotlib.pyplot as plt

    war = np.array([1.0, 0.0] * 10)
    fig = plots.outcomes_figure(summarize(outcomes(war, np.zeros(20, int)), META))
    try:
        labels, title = legend_of(fig)
        assert labels == ["Estimated probability", plots.MC_LABEL]
        assert title == plots.NO_BAND_NOTE
    finally:
        plt.close(fig)


def test_a_paired_difference_band_uses_the_same_functions():
    """The design's rule for a policy difference: y_A - y_B per replicate, same draws."""
    table = split_draws()
    other = table.assign(direct_conflict=table["draw"] < 3)
    values = other["direct_conflict"].to_numpy(float) - table["direct_conflict"].to_numpy(float)
    low, high = parameter_band(values, table["draw"])
    assert (low, high) == pytest.approx((-1.0, 0.0))
    assert math.isclose(clustered_variance(values, table["draw"]), 0.2 * 0.8 / 9)


def test_a_band_shrunk_to_a_point_reads_within_noise_not_a_certain_value():
    from escalation.run.results import WITHIN_NOISE, band_text

    assert band_text({"band_low": 0.004, "band_high": 0.004}) == WITHIN_NOISE
    assert band_text({"band_low": 0.1, "band_high": 0.2}) == "[10.0%, 20.0%]"
    # Rare events in many draws: the spread across draws is all noise, so the band collapses.
    draw = np.repeat(np.arange(100), 10)
    happened = np.zeros(1000)
    happened[[3, 250, 611, 902]] = 1.0
    low, high = parameter_band(happened, draw, bounds=(0.0, 1.0))
    assert low == high == pytest.approx(0.004)
