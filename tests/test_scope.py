"""What the model leaves out: one list, shown under every summary the project writes."""

from __future__ import annotations

import ast
import html
import json
from pathlib import Path

import pandas as pd
from synthetic import run_summary

from escalation import scope
from escalation.classroom.report_page import write_report_page
from escalation.run.results import FILES, MEANS, PROBABILITIES, summarize, summary_table
from escalation.scope import (
    CAVEAT,
    EXCLUDED_PATHWAYS,
    SCOPE_HEADING,
    scope_lines,
    scope_markdown,
)
from escalation.sweep.gather import Gathered


def shows_the_scope(text: str) -> bool:
    """Whether a text names every excluded pathway and the caveat, under the heading."""
    return SCOPE_HEADING in text and CAVEAT in text and all(p in text for p in EXCLUDED_PATHWAYS)


def outcomes(replicates: int = 4) -> pd.DataFrame:
    """A small outcomes table: every probability and mean column, half the replicates at war."""
    columns = [name for name in PROBABILITIES if name != "red_line_crossed"]
    table = pd.DataFrame({name: [False] * replicates for name in columns})
    table["direct_conflict"] = [True, False] * (replicates // 2)
    for name in [*MEANS, "red_lines_crossed"]:
        table[name] = 1.0
    return table


def test_the_list_names_the_pathways_the_design_excludes():
    text = " ".join(EXCLUDED_PATHWAYS)
    for words in (
        "stray Russian missiles and drones",
        "false alarms and misperception",
        "early-warning",
        "electoral cycle",
        "Belarus, North Korea, China and Iran",
        "economic war",
        "regime instability in Russia",
    ):
        assert words in text
    assert "95% interval is Monte Carlo error" in CAVEAT
    assert "parameter band" in CAVEAT and "sim.parameters" in CAVEAT


def test_lines_and_markdown_hold_one_item_per_pathway_then_the_caveat():
    assert scope_lines() == [
        f"{SCOPE_HEADING}:",
        *(f"- {pathway}" for pathway in EXCLUDED_PATHWAYS),
        CAVEAT,
    ]
    markdown = scope_markdown(level=3)
    assert markdown.startswith(f"### {SCOPE_HEADING}\n\n- ")
    assert markdown.endswith(f"\n\n{CAVEAT}\n")
    assert markdown.count("\n- ") == len(EXCLUDED_PATHWAYS)


def test_the_module_imports_nothing_but_annotations():
    tree = ast.parse(Path(scope.__file__).read_text(encoding="utf-8"))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert imported == ["__future__"]


def test_summary_json_records_the_excluded_pathways_and_the_caveat():
    summary = summarize(outcomes(), {"title": "T"})
    assert summary["excluded_pathways"] == list(EXCLUDED_PATHWAYS)
    assert summary["caveat"] == CAVEAT
    assert summary["probabilities"]["direct_conflict"]["label"] == "NATO-Russia war"
    assert summary["probabilities"]["direct_conflict"]["p"] == 0.5


def test_the_terminal_summary_ends_with_the_excluded_pathways():
    summary = summarize(outcomes(), {"title": "T", "replicates": 4, "months": 3, "seed": 1})
    table = summary_table(summary)
    assert table.endswith("\n".join(scope_lines()))
    assert "Lethal NATO-Russia engagement" in table
    assert "NATO-Russia war" in table


def test_the_sweep_report_ends_with_the_excluded_pathways(tmp_path):
    gathered = Gathered(outcomes=pd.DataFrame(), summary=pd.DataFrame(), jobs=0)
    report = gathered.report(tmp_path)
    assert report.endswith("\n".join(scope_lines()))


def test_the_run_report_page_shows_the_excluded_pathways_once(tmp_path):
    summary = {**run_summary(), "config": {}}
    (tmp_path / FILES["summary"]).write_text(json.dumps(summary), encoding="utf-8")
    story = f"# A story\n\n- **Month 1** — Nothing.\n\n{scope_markdown()}"
    (tmp_path / FILES["narrative"]).write_text(story, encoding="utf-8")
    page = html.unescape(write_report_page(tmp_path).read_text(encoding="utf-8"))
    assert shows_the_scope(page)
    assert page.count(EXCLUDED_PATHWAYS[0]) == 1
    assert page.index(SCOPE_HEADING) < page.index("The story of one replicate")
    assert "<li><strong>Month 1</strong> — Nothing.</li>" in page
