"""The dashboard and the report page in a real browser: headless Chromium, offline.

Playwright drives Debian's Chromium (``executable_path``; Playwright cannot download a browser
here). With ``CI=true`` these tests must run: a missing browser fails them instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from escalation.run.results import BAND_NOTE
from escalation.scope import EXCLUDED_PATHWAYS, SCOPE_HEADING

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file() and not IN_CI:
        pytest.skip("the chromium package is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"escalation-dashboard exited with status {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"escalation-dashboard did not listen on 127.0.0.1:{port}")


@contextlib.contextmanager
def dashboard(cwd: Path) -> Iterator[tuple[int, list[str]]]:
    """``escalation-dashboard`` served headless on a free port of 127.0.0.1, from ``cwd``.

    Yields its port and a list that holds its output once it has been stopped.
    """
    port = free_port()
    command = Path(sys.executable).with_name("escalation-dashboard")
    process = subprocess.Popen(
        [str(command), "--server.port", str(port), "--server.headless", "true"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        wait_for(port, process)
        yield port, output
    finally:
        process.terminate()
        output.append(process.communicate(timeout=20)[0])


def test_dashboard_runs_a_scenario_in_chromium_without_leaving_the_machine(browser, tmp_path):
    with dashboard(tmp_path) as (port, output):  # any folder: the settings ship with the package
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"http://127.0.0.1:{port}/?scenario=troops&posture=red_lines&replicates=300")
        page.wait_for_selector("text=Computed and drawn in", timeout=60_000)
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        images = page.evaluate(
            "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 300).length"
        )
        text = page.inner_text("body")
        page.close()
    assert len(values) == 5  # lethal engagement, war, nuclear use, retaliation, position
    assert all(value.endswith("%") for value in values)
    assert images >= 3  # ladder, outcome probabilities, Ukraine's position
    assert "95% interval" in text and "Parameter band" in text
    assert BAND_NOTE in text
    # every headline probability shows both intervals under it: 95% MC a-b%; parameter band c-d%
    assert (
        len(re.findall(r"95% MC [\d.]+\u2013[\d.]+%; parameter band [\d.]+\u2013[\d.]+%", text))
        == 4
    )
    assert "Western ground troops" in text or "troops" in text
    assert "Hidden assumptions of this replicate" in text
    hosts = {urlparse(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}
    assert f"127.0.0.1:{port}" in output[0]
    assert "0.0.0.0" not in output[0]


#: Elements whose text Streamlit cuts with an ellipsis when it does not fit.
CUT_TEXT = """Array.from(document.querySelectorAll(
    '[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"] *'))
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth)
  .map(e => e.textContent)"""
#: For each story box (Streamlit nests two blocks of its height): where it is, the height of its
#: title, and how far down the box its first bullet is.
STORY_BOXES = """Array.from(document.querySelectorAll('[data-testid="stVerticalBlock"]'))
  .filter(b => b.getBoundingClientRect().height === 560 && b.querySelector('li'))
  .map(b => {
    const top = b.getBoundingClientRect().top;
    const title = b.querySelector('h1, h2, h3');
    return [b.getBoundingClientRect().left, title ? title.getBoundingClientRect().height : 0,
            b.querySelector('li').getBoundingClientRect().top - top];
  })"""


def test_compare_mode_fits_a_projector_and_shows_the_stories_first_lines(browser, tmp_path):
    """At 1280 x 720 no headline label or value is cut (compare mode and one policy), and each
    story box shows its story (its title takes at most two lines, its first month within the
    box's first screen)."""
    with dashboard(tmp_path) as (port, _):
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"http://127.0.0.1:{port}/?mode=compare&scenario=instructors&replicates=300")
        page.wait_for_selector("text=Computed and drawn in", timeout=90_000)
        page.wait_for_timeout(500)  # layout settles
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        cut = page.evaluate(CUT_TEXT)
        boxes = page.evaluate(STORY_BOXES)
        page.goto(f"http://127.0.0.1:{port}/?scenario=instructors&replicates=300")
        page.wait_for_selector("text=Computed and drawn in", timeout=90_000)
        page.wait_for_timeout(500)
        cut_single = page.evaluate(CUT_TEXT)
        page.close()
    assert len(labels) == 10  # five headline numbers for each policy
    assert (cut, cut_single) == ([], [])
    boxes = {left: rest for left, *rest in boxes}  # one per box
    assert len(boxes) == 2
    for title_height, first_bullet in boxes.values():
        assert title_height < 80  # two lines of a small heading, not an 8-line H1
        assert first_bullet < 400  # within the box's first screen (its height is 560 px)


def test_report_page_renders_offline_with_every_figure(browser, tmp_path):
    folder = tmp_path / "run"
    bin_folder = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_folder / "escalation"),
            "scenario=instructors",
            "sim.replicates=200",
            "plots.format=png,svg",
            f"hydra.run.dir={folder}",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert sorted(p.suffix for p in (folder / "figures").iterdir()) == [".png"] * 3 + [".svg"] * 3
    done = subprocess.run(
        [str(bin_folder / "escalation-report"), str(folder), "--html"],
        check=True,
        capture_output=True,
        text=True,
    )
    page_path = folder / "report.html"
    assert f"Wrote {page_path}" in done.stdout
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_path.as_uri())
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.src.slice(0, 22)])"
    )
    headings = page.locator("h2").all_inner_texts()
    text = page.inner_text("body")
    config_shown = page.locator("pre").first.is_visible()  # folded under its summary line
    page.locator("summary").first.click()
    config_opened = page.locator("pre").first.is_visible()
    context.close()
    assert (config_shown, config_opened) == (False, True)
    assert len(images) == 3
    assert all(
        done and width > 500 and src == "data:image/png;base64," for done, width, src in images
    )
    assert headings == [
        "Outcomes",
        SCOPE_HEADING,
        "Figures",
        "The story of one replicate",
        "Configuration",
    ]
    assert EXCLUDED_PATHWAYS[-1] in text
    assert "seed 20241001" in text
    assert "in 100 parameter draws" in text
    assert "Parameter band" in text and BAND_NOTE in text
    assert "Hidden assumptions of this replicate" in text
    assert [url for url in requests if not url.startswith("data:")] == [page_path.as_uri()]


def test_the_sweep_page_sorts_by_any_column_a_reader_clicks(browser, tmp_path):
    from synthetic import differences_table, full_grid

    from escalation.classroom.report_page import write_report_page
    from escalation.run.results import PROBABILITIES

    summary = full_grid()
    summary.to_csv(tmp_path / "summary.csv", index=False)
    (tmp_path / "multirun.yaml").write_text("sweep:\n  name: policy_grid\nseed: 7\n")
    levers = ["job", "instructors", "troops", "deep_strikes", "posture"]
    changes = summary[levers].merge(differences_table(summary), on="job")
    changes["direct_conflict_diff_band_low"] = changes["direct_conflict_diff"] - 0.1
    changes["direct_conflict_diff_band_high"] = changes["direct_conflict_diff"] + 0.1
    changes.to_csv(tmp_path / "differences.csv", index=False)  # a sortable table above it
    page_path = write_report_page(tmp_path)
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(page_path.as_uri())
    assert page.locator("table.sortable").count() == 2
    table = page.locator("table.sortable").last  # the ranked policies
    headers = table.locator("th").all_inner_texts()
    assert f"P({PROBABILITIES['contained_clash']})" in headers
    position = headers.index("Ukraine's final position (mean %)")  # not in the order of war
    policy = headers.index("Policy (instructors, troops, deep_strikes, posture)")

    def column(index: int) -> list[str]:
        return table.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()

    first = [float(value.rstrip("%")) for value in column(position)]
    table.locator("th").nth(position).click()
    ascending = [float(value.rstrip("%")) for value in column(position)]
    sorted_as = table.locator("th").nth(position).get_attribute("aria-sort")
    table.locator("th").nth(position).click()
    descending = [float(value.rstrip("%")) for value in column(position)]
    table.locator("th").nth(policy).click()
    names = column(policy)
    context.close()
    assert first != sorted(first)  # ranked by the risk of war, not by this column
    assert ascending == sorted(first)
    assert sorted_as == "ascending"
    assert descending == sorted(first, reverse=True)
    assert names == sorted(names)
