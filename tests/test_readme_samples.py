"""The sample outputs of the README and the site's pages are what the commands beside them print.

A sample is a plain fenced block right after a sentence naming its command in backticks and
saying it ``prints`` (```escalation scenario=instructors` prints a summary:``). The command runs
live from an empty folder and its output is compared line by line, with every number masked:
the lines, their order, the labels and the words must match, whatever the numbers
(which follow the model and are regenerated with it). Run folders are compared relative to the
working folder.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The README and the site's pages (the generated reference pages are not files).
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BIN = Path(sys.executable).parent
SAMPLE = re.compile(
    r"`(?P<command>escalation[^`]*)` prints[^\n]*:\n\n```\n(?P<output>.*?)```", re.S
)


def samples() -> list[tuple[str, str]]:
    return [
        (m["command"], m["output"])
        for document in DOCUMENTS
        for m in SAMPLE.finditer(document.read_text("utf-8"))
    ]


def masked(text: str) -> list[str]:
    """Lines with each number as ``#`` and each run of spaces as one (widths follow numbers)."""
    return [re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip() for line in text.splitlines()]


def test_the_docs_show_at_least_the_summary_sample():
    commands = [command for command, _ in samples()]
    assert "escalation scenario=instructors" in commands


def test_each_readme_sample_is_what_its_command_prints(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    for command, output in samples():
        words = shlex.split(command)
        result = subprocess.run(
            [str(BIN / words[0]), *words[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert result.returncode == 0
        live = result.stdout.replace(f"{tmp_path}{os.sep}", "")
        assert masked(live) == masked(output)
