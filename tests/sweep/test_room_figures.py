"""Figures made for a room: slides style and formats, unclipped titles naming the policy run,
rare rungs kept visible, one colour scale per sweep, legends off the data, a 16:9 ranking, and
the report page of a sweep."""

from __future__ import annotations

import base64
import html
import re

import matplotlib
import pytest
from synthetic import full_grid, run_summary, synthetic_trajectories

from escalation import figure_style
from escalation.config.schema import ConfigError, Plots, validate_plots
from escalation.ladder import Rung
from escalation.run import figure_data as run_figure_data
from escalation.run import figures as plots
from escalation.scope import EXCLUDED_PATHWAYS, SCOPE_HEADING
from escalation.sweep import figures as sweep_plots
from escalation.sweep import heatmap as sweep_heatmap

matplotlib.use("Agg")

TITLE_66 = "French instructors, combat troops and deep strikes, from late 2025"


def inside_canvas(fig, artist) -> bool:
    renderer = fig.canvas.get_renderer()
    box = artist.get_window_extent(renderer)
    canvas = fig.bbox
    return (
        box.x0 >= canvas.x0 and box.x1 <= canvas.x1 and box.y0 >= canvas.y0 and box.y1 <= canvas.y1
    )


@pytest.mark.parametrize("style", ["default", "slides"])
@pytest.mark.parametrize("kind", ["ladder", "outcomes", "position"])
def test_a_66_character_title_lies_inside_the_canvas(style, kind):
    import matplotlib.pyplot as plt

    assert len(TITLE_66) == 66
    summary = {**run_summary(), "title": TITLE_66, "config": {"policy": POLICY}}
    if kind == "ladder":
        fig = plots.ladder_figure(
            synthetic_trajectories(),
            run_figure_data.run_title(summary, "escalation ladder"),
            style=style,
        )
    elif kind == "outcomes":
        fig = plots.outcomes_figure(summary, style=style)
    else:
        fig = plots.position_figure(
            synthetic_trajectories(), run_figure_data.run_title(summary, "position"), style=style
        )
    try:
        fig.canvas.draw()
        title = fig._suptitle
        assert TITLE_66.split()[0] in title.get_text()
        assert inside_canvas(fig, title)
        for legend in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
            assert inside_canvas(fig, legend)
    finally:
        plt.close(fig)


POLICY = {
    "instructors": "inside",
    "troops": "combat",
    "deep_strikes": "limited",
    "posture": "red_lines",
}


def test_titles_name_the_policy_and_posture_actually_run():
    title = run_figure_data.run_title(
        {**run_summary(), "config": {"policy": POLICY}}, "escalation ladder"
    )
    lines = title.splitlines()
    assert lines[0] == "French instructors inside Ukraine: escalation ladder"
    assert lines[1] == (
        "instructors inside Ukraine, combat troops, limited deep strikes; "
        "posture: declared red lines"
    )
    assert lines[2] == "3 replicates, 3 months, from Oct 2024, seed 1"
    ambiguity = run_figure_data.run_title(
        {"config": {"policy": {**POLICY, "posture": "ambiguity"}}}, "x"
    )
    assert "posture: strategic ambiguity" in ambiguity


def test_rare_rungs_have_their_own_panel_on_their_own_scale():
    shares = run_figure_data.rare_rung_shares(synthetic_trajectories())
    # Month 3: replicate 1 at a clash (10), replicate 2 at nuclear use (13).
    assert shares.loc[3].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    assert shares.loc[1].tolist() == [0.0, 0.0, 0.0]
    assert list(run_figure_data.RARE_RUNGS.values()) == [
        Rung.CONTAINED_CLASH,
        Rung.DIRECT_CONFLICT,
        Rung.NUCLEAR_USE_IN_UKRAINE,
    ]
    fig = plots.ladder_figure(synthetic_trajectories(), "Ladder")
    heatmap, rare = fig.axes[0], fig.axes[1]
    assert [line.get_ydata()[-1] for line in rare.get_lines()] == pytest.approx(
        [200 / 3, 100 / 3, 100 / 3]
    )
    assert rare.get_ylim()[1] > 200 / 3  # the rarest rung is drawn on the panel's own scale
    assert heatmap.get_legend() is not None


def test_legends_do_not_cover_the_bars_or_bands():
    import matplotlib.pyplot as plt

    for fig in (
        plots.outcomes_figure(run_summary()),
        plots.position_figure(synthetic_trajectories(), "Position"),
    ):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        (legend,) = fig.legends
        box = legend.get_window_extent(renderer)
        axes = fig.axes[0].get_window_extent(renderer)
        assert box.y1 <= axes.y0 or box.x1 <= axes.x0 or box.x0 >= axes.x1
        plt.close(fig)


def test_slides_style_is_larger_and_every_format_is_written(tmp_path):
    paths = plots.draw_run_figures(
        synthetic_trajectories(),
        run_summary(),
        tmp_path,
        style="slides",
        formats=["png", "svg", "pdf"],
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{stem}.{suffix}"
        for stem in ("escalation_ladder", "outcome_probabilities", "ukraine_position")
        for suffix in ("png", "svg", "pdf")
    )
    assert (tmp_path / "escalation_ladder.pdf").read_bytes()[:4] == b"%PDF"
    assert b"<svg" in (tmp_path / "ukraine_position.svg").read_bytes()[:500]
    assert len(paths) == 9
    assert figure_style.STYLES["slides"]["font.size"] > figure_style.STYLES["default"]["font.size"]
    assert (
        figure_style.STYLES["slides"]["lines.linewidth"]
        > figure_style.STYLES["default"]["lines.linewidth"]
    )
    assert figure_style.FIGSIZES["slides"][0] / figure_style.FIGSIZES["slides"][1] == pytest.approx(
        16 / 9, 0.01
    )
    for stem in ("escalation_ladder", "outcome_probabilities", "ukraine_position"):
        width, height = png_size(tmp_path / f"{stem}.png")  # every run figure fits a 16:9 slide
        assert width / height == pytest.approx(16 / 9, rel=0.01)


@pytest.mark.parametrize(
    ("plots_config", "message"),
    [
        (Plots(style="poster"), "plots.style: invalid value 'poster'; allowed: default, slides"),
        (Plots(format="png,gif"), "plots.format: invalid value 'png,gif'; allowed: one or more"),
    ],
)
def test_bad_plot_settings_are_named_in_one_line(plots_config, message):
    with pytest.raises(ConfigError) as caught:
        validate_plots(plots_config)
    assert str(caught.value).startswith(message)


def test_plot_formats_are_read_in_order_without_repeats():
    assert Plots(format=" PNG, svg,png ,pdf").formats == ["png", "svg", "pdf"]


def test_each_heatmap_has_its_own_colour_scale_from_its_own_range(tmp_path, monkeypatch):
    tops = {}

    def keep(fig, path):
        if path.name.startswith("heatmap_"):
            tops[path.name] = fig.axes[0].get_images()[0].norm

    monkeypatch.setattr(sweep_heatmap, "save_figure", keep)
    summary = full_grid()
    summary["russian_retaliation"] = summary["direct_conflict"] / 5  # a rarer outcome
    sweep_plots.draw_sweep_figures(summary, tmp_path, sweep_name="policy_grid")
    assert len(tops) == 2
    for outcome in sweep_plots.HEATMAP_OUTCOMES:
        norm = tops[f"heatmap_{outcome}.png"]
        highest = summary[outcome].max() * 100
        assert norm.vmin == 0.0
        assert norm.vmax == sweep_plots.colour_top(summary, [outcome])
        assert highest <= norm.vmax < 2.5 * highest  # its own range, rounded up
    assert tops["heatmap_russian_retaliation.png"].vmax < tops["heatmap_direct_conflict.png"].vmax


def test_a_54_policy_ranking_fits_a_16_9_slide_with_the_top_and_bottom_ten(tmp_path, monkeypatch):
    drawn = {}

    def keep(fig, path):
        fig.canvas.draw()
        drawn["size"] = tuple(fig.get_size_inches())
        drawn["labels"] = [label.get_text() for label in fig.axes[0].get_yticklabels()]
        drawn["inside"] = all(
            inside_canvas(fig, label) for label in fig.axes[0].get_yticklabels()
        ) and inside_canvas(fig, fig._suptitle)

    monkeypatch.setattr(sweep_plots, "save_figure", keep)
    summary = full_grid()
    assert len(summary) == 54
    sweep_plots.plot_ranking(summary, "direct_conflict", tmp_path / "r.png", sweep_name="grid")
    width, height = drawn["size"]
    assert width / height == pytest.approx(16 / 9, rel=0.01)
    ranked = sweep_plots.ranking(summary, "direct_conflict")["label"].tolist()
    expected = [f"{rank}. {ranked[rank - 1]}" for rank in [*range(1, 11), *range(45, 55)]]
    assert drawn["labels"] == expected
    assert drawn["inside"]


def test_sweep_report_page_has_the_ranked_table_and_embedded_figures(tmp_path):
    from escalation.classroom.report_page import write_report_page

    summary = full_grid()
    summary.to_csv(tmp_path / "summary.csv", index=False)
    sweep_plots.draw_sweep_figures(summary, tmp_path / "figures", sweep_name="policy_grid")
    (tmp_path / "multirun.yaml").write_text("sweep:\n  name: policy_grid\nseed: 7\n")
    text = write_report_page(tmp_path).read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"number\">(\d+)</td><td>([^<]+)</td>", text)
    ranked = sweep_plots.ranking(summary, "direct_conflict", values_only=True)
    assert [int(rank) for rank, _ in rows] == list(range(1, 55))
    assert [label for _, label in rows] == ranked["label"].tolist()
    assert ranked["label"][0] == "none, none, prohibited, red_lines"  # the values only
    assert "<th>Policy (instructors, troops, deep_strikes, posture)</th>" in text  # their levers
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 4
    assert all(base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert "sweep of status_quo: 54 policies x 1,000 replicates, 36 months</h1>" in text
    assert not re.search(r"(src|href)=\"(?!data:)", text)
    assert "seed 7" in text
    assert "<th>P(NATO-Russia war)</th>" in text
    assert "<th>P(Lethal NATO-Russia engagement)</th>" in text
    assert "policies ranked by the probability of NATO-Russia war, lowest first" in text
    assert f"<h2>{SCOPE_HEADING}</h2>" in text
    assert all(f"<li>{html.escape(pathway)}</li>" in text for pathway in EXCLUDED_PATHWAYS)


def test_the_story_becomes_escaped_html_with_nested_lists():
    from escalation.classroom.report_page import markdown_to_html

    html_text = markdown_to_html("# T <b>\n\nA **bold** line.\n- **Month 1** — x\n  - nested\n")
    assert html_text.splitlines() == [
        "<h3>T &lt;b&gt;</h3>",
        "<p>A <strong>bold</strong> line.</p>",
        "<ul>",
        "<li><strong>Month 1</strong> — x</li>",
        "<ul>",
        "<li>nested</li>",
        "</ul>",
        "</ul>",
    ]


def png_size(path) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    header = path.read_bytes()[16:24]
    return int.from_bytes(header[:4], "big"), int.from_bytes(header[4:], "big")
