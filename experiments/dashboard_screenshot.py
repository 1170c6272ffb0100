"""Redraw docs/figures/dashboard.png: the dashboard on the instructors scenario, in Chromium.

Run: ``.venv/bin/python experiments/dashboard_screenshot.py`` (needs the dashboard extra,
Playwright and Debian's ``chromium``). The dashboard is served on 127.0.0.1 only.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "figures" / "dashboard.png"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "escalation-dashboard"), "--server.port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            for _ in range(60):
                try:
                    page.goto(f"http://127.0.0.1:{port}/?scenario=instructors")
                    break
                except Exception:  # not serving yet
                    time.sleep(1)
            page.get_by_text("95% interval").first.wait_for(timeout=60_000)
            page.wait_for_timeout(3000)
            page.screenshot(path=str(OUT))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
