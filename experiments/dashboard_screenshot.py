"""Redraw the classroom screenshots of the docs at projector size (1280 x 720), in Chromium.

Run: ``.venv/bin/python experiments/dashboard_screenshot.py`` (needs the dashboard extra,
Playwright and Debian's ``chromium``). It writes into ``docs/figures/``:

- ``dashboard.png``: the dashboard, one policy (the instructors scenario);
- ``dashboard_compare.png``: compare mode (the same scenario, red lines against ambiguity);
- ``report_page.png``: the first screen of the report page of an instructors run
  (``escalation-report DIR --html``);
- ``report_page_sweep.png``: the first screen of the report page of the ``policy_grid`` sweep
  (200 replicates per policy), its ranked table sorted by the risk of lethal engagement as a
  reader's click on its header sorts it.

The dashboard is served on 127.0.0.1 only; the report page is opened offline from a file.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A projector's size, at which the issue of the three users' day checks the page.
VIEWPORT = {"width": 1280, "height": 720}
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def open_when_served(page: Page, url: str) -> None:
    """Go to ``url`` once the server answers, and wait until the page has computed."""
    for _ in range(60):
        try:
            page.goto(url)
            break
        except Exception:  # not serving yet
            time.sleep(1)
    page.get_by_text("Computed and drawn in").first.wait_for(timeout=120_000)
    page.wait_for_timeout(3000)  # images settle


def main() -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "escalation-dashboard"), "--server.port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            for name, query in (
                ("dashboard.png", "scenario=instructors"),
                ("dashboard_compare.png", "mode=compare&scenario=instructors&posture=red_lines"),
            ):
                page = browser.new_page(viewport=VIEWPORT)
                open_when_served(page, f"http://127.0.0.1:{port}/?{query}")
                page.screenshot(path=str(FIGURES / name))
                written.append(name)
                page.close()
            with tempfile.TemporaryDirectory(prefix="escalation-screens-") as tmp:
                run = Path(tmp) / "run"
                command = ["scenario=instructors", f"hydra.run.dir={run}"]
                subprocess.run([str(BIN / "escalation"), *command], check=True, capture_output=True)
                sweep = Path(tmp) / "sweep"
                command = ["-m", "sweep=policy_grid", "sim.replicates=200"]
                subprocess.run(
                    [str(BIN / "escalation"), *command, f"hydra.sweep.dir={sweep}"],
                    check=True,
                    capture_output=True,
                )
                for folder in (run, sweep):
                    subprocess.run(
                        [str(BIN / "escalation-report"), str(folder), "--html"],
                        check=True,
                        capture_output=True,
                    )
                context = browser.new_context(offline=True, viewport=VIEWPORT)
                page = context.new_page()
                page.goto((run / "report.html").as_uri())
                page.wait_for_timeout(1000)
                page.screenshot(path=str(FIGURES / "report_page.png"))
                written.append("report_page.png")
                page.goto((sweep / "report.html").as_uri())
                ranked = page.locator("table.sortable").last
                ranked.locator("th", has_text="Lethal NATO-Russia engagement").click()
                heading = page.locator("h2", has_text="Ranked policies")
                heading.evaluate("heading => heading.scrollIntoView()")  # at the screen's top
                page.wait_for_timeout(500)
                page.screenshot(path=str(FIGURES / "report_page_sweep.png"))
                written.append("report_page_sweep.png")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"Wrote {', '.join(written)} in {FIGURES}")


if __name__ == "__main__":
    main()
