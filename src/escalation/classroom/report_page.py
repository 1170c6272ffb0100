"""``report.html``: one self-contained page of a run or a sweep, readable on a projector.

The page is built from what is on disk (a run's ``summary.json``, ``narrative.md``, figures and
Hydra's saved config; a sweep's ``summary.csv``, figures and ``multirun.yaml``). Figures are
embedded as base64 data, styles are inline, and nothing refers to another file or to the
network, so the page opens offline and can be mailed or put on a USB stick as it is. Every file
is read back as a regular file inside the folder, never through a symbolic link out of it
(``escalation.files.read_regular``); the configuration is shown as stored, never resolved.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from escalation.classroom.intervals import (
    BAND_COLUMN,
    BAND_NOTE,
    INTERVAL_COLUMN,
    band_span,
    span,
)
from escalation.files import FileRefused, atomic_write, read_regular, read_text
from escalation.run.figure_data import policy_words
from escalation.run.results import DEFINITIONS, FILES, MEAN_DEFINITIONS, PROBABILITIES
from escalation.scope import CAVEAT, EXCLUDED_PATHWAYS, SCOPE_HEADING, scope_markdown
from escalation.sweep.differences import (
    DIFFERENCE_NOTE,
    DIFFERENCES_FILE,
    PAGE_OUTCOMES,
    difference_rows,
)
from escalation.sweep.figure_data import policy_header, swept_columns
from escalation.sweep.figures import RANKING_OUTCOME, ranking, sweep_description
from escalation.sweep.folder import MULTIRUN_FILE, SweepError, load_multirun
from escalation.sweep.gather import SWEEP_FILES, sweep_name

PAGE = "report.html"

CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; font-size: 20px;
       line-height: 1.45; max-width: 1400px; margin: 0 auto; padding: 1.5em; color: #111; }
h1 { font-size: 2em; margin-bottom: 0.2em; } h2 { font-size: 1.5em; margin-top: 1.6em; }
.meta { color: #444; } table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.7em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eee; } figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { color: #444; font-size: 0.85em; } pre { background: #f6f6f6; padding: 1em;
overflow-x: auto; font-size: 0.7em; } .story li { margin: 0.3em 0; }
.note { color: #444; font-size: 0.85em; } .wide { overflow-x: auto; }
table.sortable th { cursor: pointer; } table.sortable th[aria-sort="ascending"]::after
{ content: " \\25B2"; } table.sortable th[aria-sort="descending"]::after { content: " \\25BC"; }
"""

#: How a reader sorts a table of the sweep page.
SORT_HINT = "click a column's header to sort by it, again to reverse"

#: Sorts a ``sortable`` table by the column whose header is clicked, again to reverse: by the
#: number a cell starts with (an interval's low end), else by its text; numbers first.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable th").forEach((header) => {
  header.addEventListener("click", () => {
    const table = header.closest("table"), body = table.tBodies[0], column = header.cellIndex;
    const up = header.getAttribute("aria-sort") !== "ascending";
    const key = (row) => {
      const text = row.cells[column].textContent.trim();
      const number = parseFloat(text.replace(/^\\[/, ""));
      return Number.isNaN(number) ? text : number;
    };
    const order = (a, b) => typeof a !== typeof b ? (typeof a === "number" ? -1 : 1)
      : a < b ? -1 : a > b ? 1 : 0;
    const rows = Array.from(body.rows).sort((a, b) => (up ? 1 : -1) * order(key(a), key(b)));
    table.querySelectorAll("th").forEach((other) => other.removeAttribute("aria-sort"));
    header.setAttribute("aria-sort", up ? "ascending" : "descending");
    rows.forEach((row) => body.appendChild(row));
  });
});
"""


class ReportPageError(RuntimeError):
    """A folder cannot be made into a page; the message names what is missing."""


def _table(
    frame: pd.DataFrame, numeric: set[str] | None = None, *, sorted_by: str | None = None
) -> str:
    """An HTML table of strings, numeric columns aligned right.

    With ``sorted_by`` (the column its rows are in ascending order of) the reader can sort it
    by any column (``SORT_SCRIPT``).
    """
    numeric = numeric or set()
    head = "".join(
        f'<th aria-sort="ascending">{html.escape(str(column))}</th>'
        if column == sorted_by
        else f"<th>{html.escape(str(column))}</th>"
        for column in frame.columns
    )
    rows = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td class="number">{html.escape(str(value))}</td>'
            if column in numeric
            else f"<td>{html.escape(str(value))}</td>"
            for column, value in row.items()
        )
        rows.append(f"<tr>{cells}</tr>")
    table = "<table" + (' class="sortable"' if sorted_by else "") + ">"
    body = f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
    return f'<div class="wide">{table}{body}</table></div>'  # scrolls, never cut, if too wide


def _figures(folder: Path, root: Path) -> str:
    """Every PNG of a figures folder inside ``root`` as an embedded image, its name as caption.

    Raises:
        ReportPageError: The folder or a figure is a symbolic link or not a regular file.
    """
    if folder.is_symlink():
        raise ReportPageError(f"{folder} is a symbolic link: files are read only inside {root}")
    if not folder.is_dir():
        return '<p class="note">No figures on disk.</p>'
    parts = []
    for path in sorted(folder.glob("*.png")):
        data = base64.b64encode(_read(path, root)).decode("ascii")
        name = path.stem.replace("_", " ")
        parts.append(
            f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(path.name)}</figcaption></figure>"
        )
    return "\n".join(parts) or '<p class="note">No figures on disk.</p>'


def _inline(text: str) -> str:
    """Markdown inline marks (``**bold**``, ``*italic*``, ```code```) of escaped text."""
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def markdown_to_html(markdown: str) -> str:
    """The narrative's Markdown as HTML: headings, paragraphs, bullets one level deep, marks.

    Args:
        markdown: A story as ``escalation.run.narrative.story.tell`` writes it.

    Returns:
        HTML with every piece of text escaped.
    """
    out: list[str] = []
    depth = 0
    for line in markdown.splitlines():
        bullet = re.match(r"^(\s*)- (.*)$", line)
        level = (len(bullet.group(1)) // 2 + 1) if bullet else 0
        while depth > level:
            out.append("</ul>")
            depth -= 1
        while depth < level:
            out.append("<ul>")
            depth += 1
        if bullet:
            out.append(f"<li>{_inline(bullet.group(2))}</li>")
        elif line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            level_h = min(6, hashes + 2)  # below the page's h1 and its section's h2
            out.append(f"<h{level_h}>{_inline(line[hashes:].strip())}</h{level_h}>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
    out += ["</ul>"] * depth
    return "\n".join(out)


def _scope() -> str:
    """The pathways the model leaves out and what its probabilities mean, as an HTML section."""
    items = "".join(f"<li>{html.escape(pathway)}</li>" for pathway in EXCLUDED_PATHWAYS)
    return f"<h2>{html.escape(SCOPE_HEADING)}</h2><ul>{items}</ul><p>{html.escape(CAVEAT)}</p>"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
        '<p class="note">Made by escalation-report --html. A teaching and exploration model, '
        "not a forecast: every number is from the article, a cited source or a swept "
        f"assumption.</p>\n<script>{SORT_SCRIPT}</script>\n</body></html>\n"
    )


def _read(path: Path, root: Path) -> bytes:
    """A file of the folder (``escalation.files.read_regular``); ReportPageError if refused."""
    try:
        return read_regular(path, root)
    except FileRefused as error:
        raise ReportPageError(str(error)) from None


def probability_rows(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A run's outcome probabilities, each said in words, with both intervals, as text.

    A probability without a band shows ``NO_BAND``.
    """
    return pd.DataFrame(
        [
            {
                "Outcome": item["label"],
                "Meaning": DEFINITIONS.get(name, ""),
                "Probability": f"{item['p']:.1%}",
                INTERVAL_COLUMN: span(item["low"], item["high"]),
                BAND_COLUMN: band_span(item),
                "Replicates": f"{item['count']:,}",
            }
            for name, item in summary["probabilities"].items()
        ]
    )


def mean_rows(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A run's means, each said in words, with both intervals, as text.

    Means of no value are left out.
    """
    return pd.DataFrame(
        [
            {
                "Outcome": name.replace("_", " "),
                "Meaning": MEAN_DEFINITIONS.get(name, ""),
                "Mean": f"{item['mean']:.2f}",
                INTERVAL_COLUMN: span(item["low"], item["high"], "{:.2f}"),
                BAND_COLUMN: band_span(item, "{:.2f}"),
            }
            for name, item in summary.get("means", {}).items()
            if item.get("mean") is not None
        ]
    )


def _note() -> str:
    """The line under a table of probabilities: what its two intervals mean."""
    return f'<p class="note">{html.escape(BAND_NOTE)}</p>'


def _draws(summary: Mapping[str, Any]) -> str:
    """`` in N parameter draws`` when the summary records its draws, else nothing."""
    draws = summary.get("draws")
    if draws is None:
        return ""
    return f" in {int(draws):,} parameter draw{'' if draws == 1 else 's'}"


def run_page(folder: Path) -> str:
    """The page of a run folder (``summary.json``, figures, ``narrative.md``, config, seed).

    Raises:
        ReportPageError: ``summary.json`` is missing or malformed.
    """
    path = folder / FILES["summary"]
    try:
        summary = json.loads(read_text(path, folder))
    except (OSError, ValueError) as error:
        raise ReportPageError(f"{path} is missing or malformed: {error}") from None
    config = summary.get("config") or {}
    policy = config.get("policy") or {}
    means = mean_rows(summary)
    narrative = folder / FILES["narrative"]
    story = (  # the story without its own copy of the excluded pathways, shown under Outcomes
        markdown_to_html(
            _read(narrative, folder).decode("utf-8", errors="replace").replace(scope_markdown(), "")
        )
        if narrative.is_file()
        else '<p class="note">No narrative.md on disk.</p>'
    )
    title = summary.get("title") or summary.get("scenario") or "Run"
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">{html.escape(policy_words(policy))}<br>'
        f"{int(summary['replicates']):,} replicates{_draws(summary)} x {summary['months']} "
        "months from "
        f"{html.escape(str(summary.get('start', '')))} &middot; <strong>seed "
        f"{html.escape(str(summary['seed']))}</strong> &middot; scenario "
        f"{html.escape(str(summary.get('scenario', '')))} &middot; escalation "
        f"{html.escape(str(summary.get('version', '')))}</p>",
        "<h2>Outcomes</h2>",
        _table(
            probability_rows(summary),
            {"Probability", INTERVAL_COLUMN, BAND_COLUMN, "Replicates"},
        ),
        _table(means, {"Mean", INTERVAL_COLUMN, BAND_COLUMN}) if len(means) else "",
        _note(),
        _scope(),
        "<h2>Figures</h2>",
        _figures(folder / FILES["figures"], folder),
        '<h2>The story of one replicate</h2><div class="story">',
        story,
        "</div><h2>Configuration</h2>",
        _folded(
            f"Same config and seed {summary['seed']}: same outputs. Show the config",
            _yaml(config),
        ),
    ]
    return _page(f"{title}: report", "\n".join(body))


def _folded(summary: str, text: str) -> str:
    """``text`` as preformatted lines folded away under a one-line ``summary`` (click to open)."""
    folded = f"<summary>{html.escape(summary)}</summary><pre>{html.escape(text)}</pre>"
    return f"<details>{folded}</details>"


def _yaml(config: Mapping[str, Any]) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(dict(config)))


def sweep_page(folder: Path) -> str:
    """The page of a sweep folder: ranked table, comparison figures, sweep config and seed.

    Raises:
        ReportPageError: ``summary.csv`` is missing or malformed.
    """
    path = folder / SWEEP_FILES["summary"]
    try:
        text = read_text(path, folder, limit=None)
        if "\0" in text:
            raise ValueError("holds a NUL byte, not text")
        summary = pd.read_csv(io.StringIO(text))
        table = ranking(summary, RANKING_OUTCOME, values_only=True)
        policy = policy_header(swept_columns(summary))
    except (OSError, ValueError, KeyError) as error:
        raise ReportPageError(f"{path} is missing or malformed: {error}") from None
    multirun = folder / MULTIRUN_FILE
    config_text = ""
    if multirun.is_file():
        config_text = _read(multirun, folder).decode("utf-8", errors="replace")
    try:
        name = sweep_name(load_multirun(folder))
    except (SweepError, ValueError):
        name = "custom"
    risk = f"P({PROBABILITIES[RANKING_OUTCOME]})"
    ranked = pd.DataFrame(
        {
            "Rank": range(1, len(table) + 1),
            policy: table["label"],
            risk: [f"{p:.1%}" for p in table["p"]],
            INTERVAL_COLUMN: [
                span(lo, hi) for lo, hi in zip(table["low"], table["high"], strict=True)
            ],
        }
    )
    ranked[BAND_COLUMN] = _sweep_bands(summary, table, RANKING_OUTCOME)
    extra = {
        **{f"P({PROBABILITIES[name]})": (name, "{:.1%}") for name in PAGE_OUTCOMES[1:]},
        "Ukraine's final position (mean %)": ("ukraine_position_final_mean", "{:.1f}"),
    }
    for header, (column, form) in extra.items():
        if column in summary and "job" in table.columns:
            by_job = dict(zip(summary["job"], summary[column], strict=True))
            ranked[header] = [form.format(by_job[job]) for job in table["job"]]
    seeds = (
        ", ".join(str(seed) for seed in sorted(summary["seed"].unique()))
        if "seed" in summary
        else "?"
    )
    body = [
        f"<h1>{html.escape(sweep_description(summary, name))}</h1>",
        f'<p class="meta"><strong>seed {html.escape(seeds)}</strong> &middot; policies ranked '
        f"by the probability of {html.escape(PROBABILITIES[RANKING_OUTCOME])}, lowest first; "
        f"{SORT_HINT}</p>",
        *_differences(folder),
        "<h2>Ranked policies</h2>",
        _table(ranked, set(ranked.columns) - {policy}, sorted_by="Rank"),
        _note(),
        _scope(),
        "<h2>Comparison figures</h2>",
        _figures(folder / SWEEP_FILES["figures"], folder),
        "<h2>Configuration</h2>",
        _folded(
            "Show the sweep's config (multirun.yaml)", config_text or "multirun.yaml is missing"
        ),
    ]
    return _page(f"{sweep_description(summary, name)}: report", "\n".join(body))


def _differences(folder: Path) -> list[str]:
    """The section of paired differences from the baseline policy (``differences.csv``).

    In percentage points with both intervals; nothing when the sweep has no such file.
    """
    path = folder / DIFFERENCES_FILE
    if not path.is_file():
        return []
    try:
        table = pd.read_csv(io.StringIO(read_text(path, folder, limit=None)))
        rows = difference_rows(table)
    except (OSError, ValueError, KeyError) as error:
        raise ReportPageError(f"{path} is malformed: {error}") from None
    return [
        "<h2>Changes from the baseline policy</h2>",
        '<p class="note">Each policy against the baseline, paired replicate by replicate (same '
        "seed: same parameter draws and random numbers), in percentage points with the 95% "
        f"interval of the change; ranked by the change in the risk of war; {SORT_HINT}.</p>",
        _table(rows, set(rows.columns[1:]), sorted_by=rows.columns[1]),
        f'<p class="note">{html.escape(DIFFERENCE_NOTE)}</p>',
    ]


def _sweep_bands(summary: pd.DataFrame, table: pd.DataFrame, outcome: str) -> list[str]:
    """The parameter band of ``outcome`` for each ranked policy, from ``summary.csv``.

    A ``summary.csv`` written before the bands (no ``OUTCOME_band_low`` column), or a ranking
    without jobs, gives ``NO_BAND`` on every row.
    """
    columns = [f"{outcome}_band_low", f"{outcome}_band_high"]
    if "job" not in table.columns or not set(columns) <= set(summary.columns):
        return [span(None, None)] * len(table)
    bands = dict(zip(summary["job"], zip(*(summary[c] for c in columns), strict=True), strict=True))
    return [span(*bands[job]) for job in table["job"]]


def write_report_page(folder: Path) -> Path:
    """Write ``report.html`` for a run folder or a sweep folder, atomically.

    Args:
        folder: A run folder (with ``summary.json``) or a sweep folder (with ``multirun.yaml``).

    Returns:
        The page's path.

    Raises:
        ReportPageError: The folder has neither a run's nor a sweep's results.
    """
    page = sweep_page(folder) if (folder / MULTIRUN_FILE).is_file() else run_page(folder)
    path = folder / PAGE
    with atomic_write(path) as stream:
        stream.write(page)
    return path
