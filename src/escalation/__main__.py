"""``python -m escalation`` and the ``escalation`` command's entry point.

The command imports Hydra, pandas, Mesa and matplotlib before it can check anything (about a
second); Ctrl-C meanwhile ends it as it does later, with one line and status 130, where Python
would print the traceback of whichever import it interrupted. Nothing is written before then.
"""

from __future__ import annotations

import os
import signal
from typing import Any

#: The shell's status for a command ended by Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def _interrupted_while_starting(signum: int, frame: Any) -> None:
    """Ctrl-C while the command imports: one line, status 130 (no files exist yet)."""
    os.write(2, b"escalation: interrupted\n")
    os._exit(EXIT_INTERRUPTED)


def main() -> None:
    """Console entry point: import the command with Ctrl-C ending it in one line, then run it."""
    previous = signal.signal(signal.SIGINT, _interrupted_while_starting)
    try:
        from escalation.cli import app  # the imports that take a second
    finally:
        signal.signal(signal.SIGINT, previous)
    app.main()


if __name__ == "__main__":
    main()
