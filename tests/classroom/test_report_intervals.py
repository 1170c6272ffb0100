"""Both intervals on the report page's tables and the dashboard's figure of paired differences."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from synthetic import differences_table, full_grid

from escalation.classroom.figures import BAND_LABEL, MC_LABEL, MEAN_LABEL, differences_figure
from escalation.classroom.report_page import mean_rows, probability_rows, write_report_page
from escalation.run.figures import NO_BAND_NOTE
from escalation.run.results import (
    BAND_NOTE,
    MEAN_DEFINITIONS,
    MEANS,
    NO_BAND,
    PROBABILITIES,
    summarize,
)
from escalation.sweep.figures import ranking


def split_outcomes() -> pd.DataFrame:
    """10 draws of 20 replicates: war in every replicate of draws 0-4, in none of 5-9."""
    draw = np.repeat(np.arange(10), 20)
    table = pd.DataFrame({name: np.zeros(draw.size, bool) for name in PROBABILITIES})
    table = table.drop(columns="red_line_crossed").assign(direct_conflict=draw < 5)
    for name in [*MEANS, "red_lines_crossed"]:
        table[name] = 1.0
    table["ukraine_position_final"] = 70.0 + draw
    return table.assign(draw=draw)


META = {"title": "T", "scenario": "instructors", "replicates": 200, "months": 12, "seed": 7}


def cells(page: str, label: str) -> list[str]:
    """The cells of the table row whose first cell is ``label``."""
    row = re.search(rf"<tr><td[^>]*>{re.escape(label)}</td>(.*?)</tr>", page)
    assert row is not None
    return [html.unescape(cell) for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))]


def test_the_run_page_shows_both_intervals_the_draws_and_the_note(tmp_path):
    summary = {**summarize(split_outcomes(), META), "config": {}}
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = write_report_page(tmp_path).read_text(encoding="utf-8")
    assert "<th>95% interval</th><th>Parameter band</th>" in page
    war = summary["probabilities"]["direct_conflict"]
    assert cells(page, "NATO-Russia war") == [
        "sustained NATO-Russia war, not a contained clash",  # every row says what it counts
        "50.0%",
        f"{war['low']:.1%} to {war['high']:.1%}",
        "0.0% to 100.0%",
        "100",
    ]
    position = cells(page, "ukraine position final")
    assert position[0] == "% of Ukraine's territory held in the last month"
    assert set(MEAN_DEFINITIONS) == set(MEANS)  # every mean the summary can hold
    score = cells(page, "escalation score")
    assert score[0].startswith("rungs summed over the months, in rung-months")
    band = summary["means"]["ukraine_position_final"]
    assert position[-1] == "70.45 to 78.55"  # 5-95% of 70..79
    assert (band["band_low"], band["band_high"]) == pytest.approx((70.45, 78.55))
    assert f'<p class="note">{html.escape(BAND_NOTE)}</p>' in page
    assert "200 replicates in 10 parameter draws x 12 months" in page
    # the config is folded away under one line, not spread over the page
    assert re.search(
        r"<details><summary>Same config and seed 7: same outputs\. Show the config"
        r"</summary><pre>",
        page,
    )
    assert page.count("<pre>") == page.count("<details><summary>")


def test_a_run_summary_written_before_the_bands_shows_a_dash():
    summary = summarize(split_outcomes(), META)
    for item in [*summary["probabilities"].values(), *summary["means"].values()]:
        del item["band_low"], item["band_high"]
    assert set(probability_rows(summary)["Parameter band"]) == {NO_BAND}
    assert set(mean_rows(summary)["Parameter band"]) == {NO_BAND}


def test_the_sweep_page_ranks_policies_with_both_intervals(tmp_path):
    summary = full_grid()
    summary["direct_conflict_band_low"] = summary["direct_conflict"] / 2
    summary["direct_conflict_band_high"] = summary["direct_conflict"] * 2
    summary.to_csv(tmp_path / "summary.csv", index=False)
    (tmp_path / "multirun.yaml").write_text("sweep:\n  name: policy_grid\nseed: 7\n")
    page = write_report_page(tmp_path).read_text(encoding="utf-8")
    assert "<th>95% interval</th><th>Parameter band</th>" in page
    first = ranking(summary, "direct_conflict").iloc[0]
    p = summary.set_index("job").loc[first["job"], "direct_conflict"]
    row = cells(page, "1")  # the rank is the first cell
    assert row[2:4] == [f"{first['low']:.1%} to {first['high']:.1%}", f"{p / 2:.1%} to {p * 2:.1%}"]
    assert f'<p class="note">{html.escape(BAND_NOTE)}</p>' in page


def test_the_sweep_page_leads_with_the_changes_from_the_baseline(tmp_path):
    summary = full_grid()
    summary.to_csv(tmp_path / "summary.csv", index=False)
    (tmp_path / "multirun.yaml").write_text("sweep:\n  name: policy_grid\nseed: 7\n")
    levers = ["job", "instructors", "troops", "deep_strikes", "posture"]
    table = summary[levers].merge(differences_table(summary, baseline=0, half=0.03), on="job")
    table["direct_conflict_diff_band_low"] = table["direct_conflict_diff"] - 0.1
    table["direct_conflict_diff_band_high"] = table["direct_conflict_diff"] + 0.1
    table.to_csv(tmp_path / "differences.csv", index=False)
    page = write_report_page(tmp_path).read_text(encoding="utf-8")
    assert page.index("<h2>Changes from the baseline policy</h2>") < page.index(
        "<h2>Ranked policies</h2>"
    )
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", page.split("<h2>Ranked")[0])
    assert len(rows) == 54
    changes = [float(re.findall(r"[+-]\d+\.\d", cells)[0]) for _, cells in rows]
    assert changes == sorted(changes)  # ranked by the change in the risk of war
    baseline = next(cells for label, cells in rows if label.endswith(" (baseline)"))
    assert "+0.0 [-3.0, +3.0]" in html.unescape(baseline)
    assert "[-10.0, +10.0]" in html.unescape(baseline)  # the band of the change


def test_a_sweep_summary_without_band_columns_shows_a_dash(tmp_path):
    full_grid().to_csv(tmp_path / "summary.csv", index=False)
    (tmp_path / "multirun.yaml").write_text("sweep:\n  name: policy_grid\nseed: 7\n")
    page = write_report_page(tmp_path).read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"number\">\d+</td>.*?</tr>", page)
    assert len(rows) == 54
    assert all(f'<td class="number">{NO_BAND}</td>' in row for row in rows)


def differences(band: bool) -> pd.DataFrame:
    """Two probabilities' paired differences, with or without their bands."""
    table = pd.DataFrame(
        {
            "outcome": ["direct_conflict", "nuclear_use"],
            "label": ["NATO-Russia war", "Nuclear use"],
            "first": [0.1, 0.02],
            "second": [0.15, 0.01],
            "difference": [0.05, -0.01],
            "low": [0.03, -0.02],
            "high": [0.07, 0.0],
            "band_low": [0.0, -0.04],
            "band_high": [0.2, 0.01],
            "kind": ["probability", "probability"],
        }
    )
    if not band:
        table[["band_low", "band_high"]] = np.nan
    return table


def test_the_differences_figure_draws_the_band_and_names_both_intervals():
    import matplotlib.pyplot as plt

    fig = differences_figure(differences(band=True), ("red lines", "ambiguity"))
    try:
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == [MEAN_LABEL, MC_LABEL, BAND_LABEL]
        assert " ".join(legend.get_title().get_text().split()) == BAND_NOTE
        (ax,) = fig.axes
        (band,) = [c for c in ax.collections if c.get_label() == BAND_LABEL]
        ends = [(s[0][0], s[1][0]) for s in band.get_segments()]
        np.testing.assert_allclose(ends, [(0.0, 20.0), (-4.0, 1.0)])
    finally:
        plt.close(fig)
    fig = differences_figure(differences(band=False), ("red lines", "ambiguity"))
    try:
        (legend,) = fig.legends
        assert [t.get_text() for t in legend.get_texts()] == [MEAN_LABEL, MC_LABEL]
        assert " ".join(legend.get_title().get_text().split()) == NO_BAND_NOTE
    finally:
        plt.close(fig)
